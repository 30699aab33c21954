#!/usr/bin/env bash
# Stress: feeds several GB of SCP v2 traffic through the shipped release
# binary (`dynamicdns scp`; DYNAMICDNS_BIN=FILE to use another) and checks that peak memory stays flat, i.e. bounded by
# the largest chunk, not by the total fed.
#
#   scripts/stress.sh [--gb N] [--chunk-mb M] [--max-rss-mb R] [--time-limit S]
#
# The stream is a getinfo request and then execute requests of M MB
# (default 32) of DNS-shaped CSV: hosts that match and do not, multivalue
# cells, quoted values with commas and newlines, 2 KB `_raw` values. The
# replies go to /dev/null. Peak RSS (VmHWM in /proc/<pid>/status) is sampled
# throughout; the run fails if it exceeds R MB (default: 4 x M + 64), if
# the peak after the first quarter differs from the final peak by more
# than 10% (memory growing with input), if the command fails, or if it
# takes longer than S seconds (default 600).
# shellcheck source=lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

gb=4
chunk_mb=32
max_rss_mb=
time_limit=600
while [ $# -gt 0 ]; do
    case $1 in
        --gb) gb=${2:?}; shift 2 ;;
        --chunk-mb) chunk_mb=${2:?}; shift 2 ;;
        --max-rss-mb) max_rss_mb=${2:?}; shift 2 ;;
        --time-limit) time_limit=${2:?}; shift 2 ;;
        -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
        *) die "unknown argument $1" ;;
    esac
done
for v in "$gb" "$chunk_mb" "$time_limit" ${max_rss_mb:+"$max_rss_mb"}; do
    case $v in '' | *[!0-9]*) die "numbers only, got '$v'" ;; esac
done
max_rss_mb=${max_rss_mb:-$((4 * chunk_mb + 64))}

# The shipped x86_64 binary: $DYNAMICDNS_BIN (scripts/test.sh passes the
# packaged one), else the build scripts/package.sh makes (a no-op when fresh).
bin=$(shipped_x86_bin)
log "feeding $bin"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkfifo "$work/in"

# The generator writes one chunk's bytes once and repeats them, so it
# costs next to nothing next to the command.
python3 - "$gb" "$chunk_mb" >"$work/in" <<'PY' &
import json, sys
gb, chunk_mb = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
meta = json.dumps({"action": "getinfo", "searchinfo": {"args": ["field=query,answer"]}}).encode()
out.write(b"chunked 1.0,%d,0\n" % len(meta) + meta)
header = b"_time,query,answer,_raw,__mv_query,__mv_answer,__mv__raw\n"
rows = [
    b'1700000000,x%d.duckdns.org,1.2.3.4,"GET http://x.duckdns.org/a?b=1,2 ""q""\nline2 ' + b"z" * 2000 + b'",,,\n',
    b"1700000001,www.example.com,,plain,,,\n",
    b'1700000002,"a.ddns.net\nb.example.org",,"",$a.ddns.net$;$b.example.org$,,\n',
    b"1700000003,\xff\xfe.no-ip.com,10.0.0.1,\x00,,,\n",
]
body = bytearray(header)
i = 0
while len(body) < chunk_mb << 20:
    r = rows[i % len(rows)]
    body += r % i if b"%d" in r else r
    i += 1
body = bytes(body)
exe = b'{"action":"execute","finished":false}'
chunk = b"chunked 1.0,%d,%d\n" % (len(exe), len(body)) + exe + body
n = max(1, (gb << 30) // len(chunk))
for _ in range(n - 1):
    out.write(chunk)
last = b'{"action":"execute","finished":true}'
out.write(b"chunked 1.0,%d,%d\n" % (len(last), len(body)) + last + body)
sys.stderr.write("stress: generated %d bytes of CSV bodies in %d chunks\n" % (n * len(body), n))
PY
gen=$!

start=$EPOCHREALTIME
"$bin" scp <"$work/in" >/dev/null 2>"$work/err" &
pid=$!
peak=0 quarter=
samples=0
while kill -0 "$pid" 2>/dev/null; do
    hwm=$(awk '/^VmHWM:/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$hwm" ] && peak=$hwm
    samples=$((samples + 1))
    # The peak after ~4 s (several chunks) is kept to compare with the
    # final one: memory must not grow with the bytes fed.
    if [ "$samples" = 40 ]; then quarter=$peak; fi
    if awk -v s="$start" -v n="$EPOCHREALTIME" -v l="$time_limit" 'BEGIN{exit !(n - s > l)}'; then
        kill "$pid"
        die "time limit of ${time_limit}s exceeded"
    fi
    sleep 0.1
done
wait "$pid" && rc=0 || rc=$?
wait "$gen" || true
secs=$(awk -v s="$start" -v n="$EPOCHREALTIME" 'BEGIN{printf "%.1f", n - s}')
[ "$rc" = 0 ] || die "dynamicdns scp exited $rc: $(cat "$work/err")"
grep -q "panicked" "$work/err" && die "panic: $(cat "$work/err")"
summary=$(tail -1 "$work/err")
peak_mb=$((peak / 1024))
quarter_mb=$(( ${quarter:-$peak} / 1024 ))
rate=$(awk -v g="$gb" -v s="$secs" 'BEGIN{printf "%d", g * 1024 / s}')
echo "stress: fed ~${gb} GB in ${chunk_mb} MB chunks in ${secs}s (~${rate} MB/s); peak RSS ${peak_mb} MB (after ~4s: ${quarter_mb} MB; limit ${max_rss_mb} MB)"
echo "stress: $summary"
[ "$peak_mb" -le "$max_rss_mb" ] || die "peak RSS ${peak_mb} MB exceeds ${max_rss_mb} MB"
[ $((peak_mb * 10)) -le $((quarter_mb * 11)) ] || die "peak RSS grew from ${quarter_mb} MB to ${peak_mb} MB during the run"

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

# The shipped x86_64 binary: $DYNAMICDNS_BIN (`cargo xtask ci` passes the
# packaged one), else the build `cargo xtask package` makes (a no-op when fresh).
bin=$(shipped_x86_bin)
log "feeding $bin"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkfifo "$work/in"

# The generator (cargo xtask gen stress) writes one chunk's bytes once and
# repeats them, so it costs next to nothing next to the command; it is built
# first so that its build is not timed.
(cd "$REPO" && cargo build --quiet --package xtask) || die "building the xtask failed"
(cd "$REPO" && exec cargo xtask gen stress --gb "$gb" --chunk-mb "$chunk_mb") >"$work/in" &
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

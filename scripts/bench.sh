#!/usr/bin/env bash
# scripts/bench.sh: reproducible interleaved benchmark of `dynamicdns scp`
# against the pass-through floors and the splunklib peer, using the benchmark
# kit in ../shared/bench (see its README.md and ../shared/docs/perf-anchors.md).
#
# Usage (from the repo root; the script also cd's there itself):
#
#   scripts/bench.sh [--shape narrow|sysmon] [--fields all|selected] [--events N]
#                    [--mode host|text] [--rounds R] [--no-peer] [--check] [-h|--help]
#
#   --shape S    narrow (default): the kit's DNS events (9 fields, ~135 bytes
#                on the wire); sysmon: the same events as Sysmon event 22 (DNS
#                query) from the XmlWinEventLog sourcetype (46 fields, a
#                ~1.2 KB XML _raw, ~1.8 KB on the wire; cargo xtask gen widen)
#   --fields F   all (default): every field, as splunkd sends when the getinfo
#                reply has no required_fields; selected: what splunkd sends
#                after ours: the fields its required_fields declares (read
#                from the built binary's real getinfo reply), _chunked_idx,
#                their __mv_ twins
#   --events N   events in the generated stream (default 1000000 narrow,
#                100000 sysmon)
#   --mode M     host (default); text (needs --shape sysmon --fields all):
#                the same wide stream, its getinfo asking for `field=_raw
#                mode=text`, so dynamicdns finds the query inside the XML
#                `_raw`; its answers are checked against the same oracle, the
#                splunklib peer (host names only) is left out; compare its CPU
#                per event with a host-mode run
#   --rounds R   interleaved rounds for bench.py (default 5)
#   --no-peer    leave out the splunklib peer (about 30 s per round at 1M events)
#                and skip setting up its venv
#   --check      also run `drive.py --check` (lock-step, as splunkd) once per
#                peer before timing and print its exit code, record count,
#                match count and digest
#
# What it does, all under target/bench/ (gitignored through /target; under
# CARGO_TARGET_DIR when that is set):
#   1. finds the kit at ${BENCH_KIT:-../shared/bench}; the kit is only read
#   2. makes venv/ (python3 -m venv) with splunk-sdk==2.1.1 unless present
#   3. writes zones.csv (`*.<zone>*, True` per row, ESCU format; cargo xtask
#      gen zones) from the `zone` column of lookups/dynamic_dns_providers.csv;
#      the same list is compiled into the dynamicdns binary, and the
#      generator and the splunklib peer (through DDNS_ZONES) read zones.csv
#   4. generates dns_<N>.scp with cargo xtask gen stream (the kit's
#      gen_stream.py byte for byte; seed 1, chunks of 50000); it is reused
#      when present and generated from the same zones.csv and generator
#      (stamp file dns_<N>.scp.stamp), and regenerated otherwise; for
#      --shape sysmon / --fields selected / --mode text derives
#      sysmon_<N>[-text].scp and <stream>.sel.scp from it with cargo xtask
#      gen widen (stamped the same way, the required_fields included; those
#      come from cargo xtask gen required-fields, which asks the built binary)
#   5. builds the kit's baseline into baseline-target/ and this crate
#      (cargo build --release)
#   6. runs bench.py with peers csv (the base), echo, dynamicdns, splunklib;
#      per-round progress goes to stderr, the Markdown table (with the run's
#      conditions) is printed and saved to result-<RUN>.md, the JSON lines
#      to result-<RUN>.jsonl, bench.py's raw output to bench-<RUN>.out/.err
#      (RUN = N, sysmon-N, N-selected or sysmon-N-selected).
#      Exits 1 if any peer exited non-zero or died.
#   7. always, before timing: runs dynamicdns (and splunklib) once untimed
#      on the stream (reply-<label>-<N>.scp) and checks the answers with
#      cargo xtask gen check: every record's (query, isDynDNS, zone)
#      must equal an independent oracle's (the peer's rule), hence
#      each other's, and dynamicdns must pass every input field through
#      unchanged. Any disagreement stops the script (exit 1) before timing,
#      so a fast wrong answer cannot produce a table.  With --check, each
#      peer also runs once through drive.py --check (JSON in
#      check-<N>.jsonl); its digests use `provider`, which holds provider
#      names for dynamicdns and zones for splunklib, so compare match counts.
#   8. prints the summary against the issue's targets (wall ratio to csv and
#      to the echo floor, speed-up over splunklib, start-up, peak RSS) and
#      each peer's request bytes and CPU per event.
#
# Environment overrides:
#   BENCH_KIT       benchmark kit directory (default ../shared/bench, from the repo root)
#   ZONES_CSV       zone list to use instead of lookups/dynamic_dns_providers.csv
#                   (a CSV with a `zone` column, or bare zones in the first column)
#   DYNAMICDNS_CMD  command line of the dynamicdns peer instead of
#                   "target/release/dynamicdns scp"; when set, this crate is not
#                   built (e.g. DYNAMICDNS_CMD="target/bench/baseline-target/release/scp-baseline csv"
#                   as a stand-in)
#   BENCH_EXTRA_PEER one more peer for the same interleaved run, as LABEL=COMMAND
#                   (e.g. "before=target/before/dynamicdns scp" for a before/after
#                   table in one run); it is timed, not checked
#   PYTHON          interpreter for the kit's scripts and the venv (default python3)
#   BENCH_SETTLE    seconds to wait, before timing, for the 1-minute load average
#                   to drop below 1.5 (default 60; 0 to skip)
#
# Wall times on a shared 2-core machine are good to about +-10 %: compare the
# ratios within one run, not absolute times across runs.  The script warns
# when the 1-minute load average is above 1.5 before or after the timed rounds
# (perf-anchors.md took its figures below 1.5).

set -euo pipefail

usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { echo "bench.sh: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }

EVENTS=
SHAPE=narrow
FIELDS=all
MODE=host
ROUNDS=5
WITH_PEER=1
CHECK=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) [[ $# -ge 2 ]] || die "--events needs a value"; EVENTS=$2; shift 2 ;;
    --events=*) EVENTS=${1#*=}; shift ;;
    --shape) [[ $# -ge 2 ]] || die "--shape needs a value"; SHAPE=$2; shift 2 ;;
    --shape=*) SHAPE=${1#*=}; shift ;;
    --fields) [[ $# -ge 2 ]] || die "--fields needs a value"; FIELDS=$2; shift 2 ;;
    --fields=*) FIELDS=${1#*=}; shift ;;
    --rounds) [[ $# -ge 2 ]] || die "--rounds needs a value"; ROUNDS=$2; shift 2 ;;
    --rounds=*) ROUNDS=${1#*=}; shift ;;
    --mode) [[ $# -ge 2 ]] || die "--mode needs a value"; MODE=$2; shift 2 ;;
    --mode=*) MODE=${1#*=}; shift ;;
    --no-peer) WITH_PEER=0; shift ;;
    --check) CHECK=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ $SHAPE == narrow || $SHAPE == sysmon ]] || die "--shape must be narrow or sysmon, got '$SHAPE'"
[[ $FIELDS == all || $FIELDS == selected ]] || die "--fields must be all or selected, got '$FIELDS'"
[[ $MODE == host || ($MODE == text && $SHAPE == sysmon && $FIELDS == all) ]] ||
  die "--mode must be host, or text with --shape sysmon --fields all"
[[ $MODE == host ]] || WITH_PEER=0
if [[ -z $EVENTS ]]; then
  if [[ $SHAPE == narrow ]]; then EVENTS=1000000; else EVENTS=100000; fi
fi
[[ $EVENTS =~ ^[1-9][0-9]*$ ]] || die "--events must be a positive integer, got '$EVENTS'"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer, got '$ROUNDS'"
[[ ${BENCH_SETTLE:-60} =~ ^[0-9]+$ ]] || die "BENCH_SETTLE must be a number of seconds"

# Paths given in the environment are relative to the caller's directory.
abspath() { if [[ $1 == /* ]]; then printf '%s' "$1"; else printf '%s/%s' "$PWD" "$1"; fi; }
# Quote one word for bench.py / drive.py, which split peer commands with shlex.
q() { local s=$1; printf "'%s'" "${s//\'/\'\\\'\'}"; }

# shellcheck source=lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"
ROOT=$REPO
if [[ -n ${BENCH_KIT:-} ]]; then KIT=$(abspath "$BENCH_KIT"); else KIT=$ROOT/../shared/bench; fi
if [[ -n ${ZONES_CSV:-} ]]; then ZONES_SRC=$(abspath "$ZONES_CSV"); else ZONES_SRC=$ROOT/lookups/dynamic_dns_providers.csv; fi
PY=${PYTHON:-python3}
cd "$ROOT"
KIT=$(cd "$KIT" 2>/dev/null && pwd) || die "benchmark kit not found (set BENCH_KIT)"
for f in bench.py drive.py peer_splunklib.py baseline/Cargo.toml; do
  [[ -e $KIT/$f ]] || die "kit $KIT lacks $f"
done
[[ -f $ZONES_SRC ]] || die "zone list $ZONES_SRC not found (set ZONES_CSV)"
command -v "$PY" >/dev/null || die "$PY not found (set PYTHON)"
command -v cargo >/dev/null || die "cargo not found"

WORK=$TARGET_DIR/bench
VENV=$WORK/venv
ZONES=$WORK/zones.csv
STREAM=$WORK/dns_$EVENTS.scp
RUN=$EVENTS
[[ $SHAPE == narrow ]] || RUN=$SHAPE-$RUN
[[ $FIELDS == all ]] || RUN=$RUN-$FIELDS
[[ $MODE == host ]] || RUN=$RUN-$MODE
RESULT=$WORK/result-$RUN.md
RESULT_JSON=$WORK/result-$RUN.jsonl
SDK=splunk-sdk==2.1.1
mkdir -p "$WORK"

load1() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0; }
warn_load() {
  local l; l=$(load1)
  if awk -v l="$l" 'BEGIN { exit !(l > 1.5) }'; then
    echo "bench.sh: warning: load average $l $1; wall times will be noisy" >&2
  fi
}

# 2. venv with splunk-sdk (only needed for the splunklib peer).
sdk_ok() {
  "$VENV/bin/python" - <<'EOF' 2>/dev/null
import importlib.metadata as m, sys
import splunklib.searchcommands  # noqa: F401
sys.exit(m.version("splunk-sdk") != "2.1.1")
EOF
}
if [[ $WITH_PEER == 1 ]]; then
  if sdk_ok; then
    say "venv: $SDK already in $VENV"
  else
    if ! "$VENV/bin/python" -c '' 2>/dev/null; then
      say "venv: creating $VENV"
      rm -rf "$VENV"
      "$PY" -m venv "$VENV"
    fi
    say "venv: installing $SDK"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$SDK"
    sdk_ok || die "splunklib is still not importable from $VENV after pip install"
  fi
fi

# 3. zones.csv in ESCU format; rewritten only when its content changes, so the
#    stream stamp below stays valid.
cargo xtask gen zones "$ZONES_SRC" "$ZONES.tmp"
if [[ -f $ZONES ]] && cmp -s "$ZONES" "$ZONES.tmp"; then
  rm -f "$ZONES.tmp"
  say "zones: $ZONES unchanged ($(wc -l <"$ZONES") zones from $ZONES_SRC)"
else
  mv "$ZONES.tmp" "$ZONES"
  say "zones: wrote $ZONES ($(wc -l <"$ZONES") zones from $ZONES_SRC)"
fi
export DDNS_ZONES=$ZONES

# 4. The stream, reused only if it was generated from the same inputs.
stamp=$(cat "$ZONES" xtask/src/gen/*.rs <(echo "seed=1 chunk=50000 events=$EVENTS") | sha256sum | cut -d' ' -f1)
if [[ -f $STREAM && -f $STREAM.stamp && $(cat "$STREAM.stamp") == "$stamp" ]]; then
  say "stream: $STREAM already present"
else
  say "stream: generating $STREAM ($EVENTS events)"
  rm -f "$STREAM.stamp"
  cargo xtask gen stream --zones "$ZONES" --events "$EVENTS" --chunk 50000 --seed 1 --out "$STREAM.tmp"
  mv "$STREAM.tmp" "$STREAM"
  echo "$stamp" >"$STREAM.stamp"
fi

# 5. Builds.  The kit is read-only: its lock file is used as is (--locked)
#    and its build goes to target/bench/baseline-target.
say "build: kit baseline"
cargo build --release --locked --manifest-path "$KIT/baseline/Cargo.toml" --target-dir "$WORK/baseline-target"
BASELINE=$WORK/baseline-target/release/scp-baseline
[[ -x $BASELINE ]] || die "baseline binary $BASELINE missing after build"
if [[ -n ${DYNAMICDNS_CMD:-} ]]; then
  say "build: skipping this crate, DYNAMICDNS_CMD=$DYNAMICDNS_CMD"
  DDNS_CMD=$DYNAMICDNS_CMD
else
  say "build: dynamicdns (release-lto, as shipped)"
  cargo build --profile release-lto --locked
  DDNS_BIN=$TARGET_DIR/release-lto/dynamicdns
  [[ -x $DDNS_BIN ]] || die "$DDNS_BIN missing after cargo build --release"
  DDNS_CMD="$(q "$DDNS_BIN") scp"
fi

# 4b. The wide and selected-fields streams, derived from the narrow one.
derive() { # derive OUT ARGS...: cargo xtask gen widen on the narrow stream, stamped
  local out=$1 st
  shift
  st=$( { cat "$STREAM.stamp"; echo "$*"; } | sha256sum | cut -d' ' -f1)
  if [[ -f $out && -f $out.stamp && $(cat "$out.stamp") == "$st" ]]; then
    say "stream: $out already present"
  else
    say "stream: deriving $out (gen widen $*)"
    rm -f "$out.stamp"
    cargo xtask gen widen "$STREAM" "$@"
    echo "$st" >"$out.stamp"
  fi
}
NARROW=$STREAM
if [[ $SHAPE == sysmon && $FIELDS == all && $MODE == host ]]; then
  derive "$WORK/sysmon_$EVENTS.scp" --shape sysmon --wide "$WORK/sysmon_$EVENTS.scp"
elif [[ $MODE == text ]]; then
  # The same events; only the getinfo request's arguments change.
  derive "$WORK/sysmon_$EVENTS-text.scp" --shape sysmon --getinfo-args field=_raw,mode=text \
    --wide "$WORK/sysmon_$EVENTS-text.scp"
fi
REPLACED=
if [[ $FIELDS == selected ]]; then
  mapfile -t words < <("$PY" -c 'import shlex, sys; print("\n".join(shlex.split(sys.argv[1])))' "$DDNS_CMD")
  required=$(cargo xtask gen required-fields "$NARROW" "${words[@]}") ||
    die "could not read required_fields from $DDNS_CMD"
  say "required_fields (from the getinfo reply): $required"
  shape=none
  if [[ $SHAPE == sysmon ]]; then shape=sysmon; fi
  derive "${STREAM%.scp}-$SHAPE.sel.scp" --shape "$shape" --required "$required" --selected "${STREAM%.scp}-$SHAPE.sel.scp"
  # The written fields (declared after the field= ones) arrive as empty
  # columns and are filled in place.
  REPLACED=$("$PY" -c 'import sys; f = sys.argv[1].split(",")[1:]; print(",".join(f + ["__mv_" + x for x in f]))' "$required")
fi
if [[ $SHAPE == sysmon ]]; then STREAM=$WORK/sysmon_$EVENTS.scp; fi
if [[ $FIELDS == selected ]]; then STREAM=${NARROW%.scp}-$SHAPE.sel.scp; fi
if [[ $MODE == text ]]; then STREAM=$WORK/sysmon_$EVENTS-text.scp; fi

PEERS=(
  "csv=$(q "$BASELINE") csv"
  "echo=$(q "$BASELINE") echo"
  "dynamicdns=$DDNS_CMD"
)
if [[ $WITH_PEER == 1 ]]; then
  PEERS+=("splunklib=$(q "$VENV/bin/python") $(q "$KIT/peer_splunklib.py")")
fi
if [[ -n ${BENCH_EXTRA_PEER:-} ]]; then
  [[ $BENCH_EXTRA_PEER == *=* ]] || die "BENCH_EXTRA_PEER must be LABEL=COMMAND"
  PEERS+=("$BENCH_EXTRA_PEER")
fi

# 7a. Answers must agree (always): one untimed run per answering peer, its
#     whole stdout kept, checked against the oracle and each other.
say "check: answers of dynamicdns$([[ $WITH_PEER == 1 ]] && echo ' and splunklib') against the oracle"
replies=()
for p in "${PEERS[@]}"; do
  label=${p%%=*}
  [[ $label == dynamicdns || $label == splunklib ]] || continue
  mapfile -t words < <("$PY" -c 'import shlex, sys; print("\n".join(shlex.split(sys.argv[1])))' "${p#*=}")
  reply=$WORK/reply-$label-$RUN.scp
  "${words[@]}" <"$STREAM" >"$reply" 2>"$WORK/reply-$label-$RUN.err" ||
    die "$label exited non-zero on the stream (see $WORK/reply-$label-$RUN.err)"
  replies+=(--reply "$label=$reply")
done
cargo xtask gen check --stream "$STREAM" --zones "$ZONES" --replaced "$REPLACED" "${replies[@]}" \
  >"$WORK/agreement-$RUN.md" || { cat "$WORK/agreement-$RUN.md"; die "answers disagree (see above); not timing"; }
cat "$WORK/agreement-$RUN.md" >&2
rm -f "$WORK"/reply-*-"$RUN".scp

# 7b. With --check: one lock-step drive.py --check run per peer.
if [[ $CHECK == 1 ]]; then
  say "check: drive.py --check once per peer"
  check_log=$WORK/check-$RUN.jsonl
  : >"$check_log"
  check_failed=0
  for p in "${PEERS[@]}"; do
    label=${p%%=*}
    cmd=${p#*=}
    # drive.py takes the command as separate words: split it as bench.py does.
    mapfile -t words < <("$PY" -c 'import shlex, sys; print("\n".join(shlex.split(sys.argv[1])))' "$cmd")
    if ! "$PY" "$KIT/drive.py" --stream "$STREAM" --check --label "$label" --json "$check_log" -- "${words[@]}" \
         >/dev/null 2>"$WORK/check-$RUN-$label.err"; then
      echo "bench.sh: drive.py failed for $label, see $WORK/check-$RUN-$label.err" >&2
      check_failed=1
    fi
  done
  "$PY" - "$check_log" "$EVENTS" <<'EOF' || check_failed=1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
events = int(sys.argv[2])
print("\n| peer | rc | records out | matched | digest | top providers |")
print("|---|---|---:|---:|---|---|")
bad = False
for r in rows:
    tops = ", ".join("%s %d" % (p, n) for p, n in r.get("top_providers") or [])
    print("| %s | %s | %s | %s | %s | %s |" % (r["label"], ",".join(map(str, r["rc"])),
          format(r["out_records"], ","), format(r["matched"], ","), r["digest"], tops))
    if r["rc"] != [0] or r["out_records"] != events:
        bad = True
        print("bench.sh: %s: rc %s, %d of %d records" % (r["label"], r["rc"], r["out_records"], events), file=sys.stderr)
print()
sys.exit(1 if bad else 0)
EOF
  [[ $check_failed == 0 ]] || die "check failed (see above); not timing"
fi

# 6. The interleaved run.
say "bench: $ROUNDS rounds over $(basename "$STREAM"), peers: $(for p in "${PEERS[@]}"; do printf '%s ' "${p%%=*}"; done)"
peer_args=()
for p in "${PEERS[@]}"; do peer_args+=(--peer "$p"); done
# Our own builds (and anyone else's) raise the load: give it a moment to settle.
settle=${BENCH_SETTLE:-60}
while (( settle > 0 )) && awk -v l="$(load1)" 'BEGIN { exit !(l > 1.5) }'; do
  (( settle == ${BENCH_SETTLE:-60} )) && say "load average $(load1) > 1.5: waiting up to ${BENCH_SETTLE:-60} s for it to settle"
  sleep 5
  settle=$(( settle - 5 ))
done
warn_load "before the run"
load_before=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo "?")
rm -f "$RESULT_JSON"
raw_out=$WORK/bench-$RUN.out
raw_err=$WORK/bench-$RUN.err
# stdout (JSON lines and table) to a file; stderr (per-round progress) both
# to the terminal and to a file, which is searched for failed runs below.
if ! "$PY" "$KIT/bench.py" --stream "$STREAM" --rounds "$ROUNDS" --base csv --json "$RESULT_JSON" "${peer_args[@]}" \
  2>&1 >"$raw_out" | tee "$raw_err" >&2; then
  die "bench.py failed (a peer that never answers getinfo makes it crash); see $raw_err, or rerun with --check"
fi
load_after=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo "?")
warn_load "after the run"

failures=$(grep -E ' exited |command died|reply [0-9]+ metadata' "$raw_err" || true)
{
  echo "# dynamicdns benchmark: $EVENTS events ($SHAPE, $FIELDS fields, $MODE mode), $ROUNDS rounds"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src Cargo.toml Cargo.lock build.rs lookups 2>/dev/null || echo ' (uncommitted changes)')"
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || echo '?')"
  echo "- load average before / after: $load_before / $load_after"
  echo "- $(rustc --version 2>/dev/null || echo 'rustc ?'); $("$PY" --version 2>&1)$([[ $WITH_PEER == 1 ]] && echo "; $SDK")"
  echo "- stream: $(basename "$STREAM") (cargo xtask gen stream, seed 1, chunk 50000), zones: $(wc -l <"$ZONES") from ${ZONES_SRC#"$ROOT"/}"
  for p in "${PEERS[@]}"; do echo "- peer \`${p%%=*}\`: \`${p#*=}\`"; done
  if [[ -n $failures ]]; then
    echo
    echo "**Some runs failed, so these numbers are not valid:**"
    echo
    printf '%s\n' "$failures" | sed 's/^/    /'
  fi
  echo
  grep '^|' "$raw_out"
} >"$RESULT"

# In text mode the host-mode targets do not apply: the shape is "sysmon text".
shape=$SHAPE
[[ $MODE == host ]] || shape="$SHAPE $MODE"
"$PY" - "$RESULT_JSON" "$raw_err" "$STREAM" "$shape" "$FIELDS" <<'EOF' >>"$RESULT"
import json, os, re, statistics, sys
rows = {r["label"]: r for r in map(json.loads, open(sys.argv[1])) if r.get("label") != "floors"}
shape, fields = sys.argv[4], sys.argv[5]
# Per-round walls from bench.py's progress lines, for ratios to the echo floor.
walls = {}
for l in open(sys.argv[2]):
    m = re.match(r"round (\d+) (\S+)\s+wall ([0-9.]+)s", l)
    if m:
        walls.setdefault(m[2], {})[int(m[1])] = float(m[3])
def ratio(a, b):
    common = sorted(set(walls.get(a, {})) & set(walls.get(b, {})))
    return statistics.median(walls[a][r] / walls[b][r] for r in common) if common else float("nan")
d = rows.get("dynamicdns")
events = d["events"] if d else 1
size = os.path.getsize(sys.argv[3])
print("\n| peer | request bytes/event | CPU µs/event | wall ÷ csv | wall ÷ echo |")
print("|---|---:|---:|---:|---:|")
for label, r in rows.items():
    print("| %s | %.0f | %.2f | %.2f× | %.2f× |" % (label, size / events, r["cpu_median_s"] / events * 1e6,
          r["wall_ratio_to_base"], ratio(label, "echo")))
if d:
    print("\n| dynamicdns against the targets (%s, %s fields) | figure | target | met |" % (shape, fields))
    print("|---|---:|---:|---|")
    def line(what, fig, target, ok):
        print("| %s | %s | %s | %s |" % (what, fig, target, "-" if ok is None else "yes" if ok else "NO"))
    goal = {("narrow", "all"): 0.65, ("sysmon", "all"): 0.62}.get((shape, fields))
    x = d["wall_ratio_to_base"]
    line("wall ÷ csv pass-through (median of per-round ratios)", "%.2f×" % x,
         "≤ %.2f×" % goal if goal else "report", x <= goal if goal else None)
    e = ratio("dynamicdns", "echo")
    line("wall ÷ echo floor (median of per-round ratios)", "%.2f×" % e,
         "≤ 1.10×" if shape == "sysmon" and fields == "all" else "report",
         e <= 1.10 if shape == "sysmon" and fields == "all" else None)
    if "splunklib" in rows:
        x = rows["splunklib"]["wall_median_s"] / d["wall_median_s"]
        line("speed-up over splunklib (ratio of median walls)", "%.1f×" % x, "≥ 40×", x >= 40)
    line("start-up, spawn to getinfo reply", "%.1f ms" % (d["startup_getinfo_s"] * 1000), "≤ 5 ms", d["startup_getinfo_s"] <= 0.005)
    narrow = shape == "narrow"
    line("peak RSS (VmHWM)", "%.1f MiB" % d["maxrss_mib"], "≤ 24 MiB" if narrow else "report",
         d["maxrss_mib"] <= 24 if narrow else None)
EOF
{ echo; cat "$WORK/agreement-$RUN.md"; } >>"$RESULT"

echo
cat "$RESULT"
echo
say "saved $RESULT and $RESULT_JSON"
if [[ -n $failures ]]; then
  die "some peer runs failed (see $raw_err)"
fi

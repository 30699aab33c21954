#!/usr/bin/env bash
# scripts/perf-guard.sh: CI regression guard on instruction counts, not wall
# time (wall time on a shared 2-core machine is only good to about 10 %).
#
# Usage (from anywhere; the script cd's to the repo root):
#
#   scripts/perf-guard.sh            check against scripts/perf-budget.txt
#   scripts/perf-guard.sh --update   measure and write the budget file
#
# It measures the shipped x86_64 binary: $DYNAMICDNS_BIN when set
# (`cargo xtask ci` passes the one `cargo xtask package` has just packaged), else
# the same build made here (cargo zigbuild, glibc 2.17, profile release-lto;
# `cargo xtask package binary linux_x86_64`), so that CI builds the
# optimised binary once and the budget is the shipped binary's. It generates a fixed
# stream with `cargo xtask gen stream` (the benchmark kit's stream, byte for
# byte: seed 1, 100,000 events in chunks of 50,000, zones from
# lookups/dynamic_dns_providers.csv), and runs `dynamicdns scp` under
# `valgrind --tool=callgrind` with the stream replayed from a file on stdin
# (no driver process, so nothing but the command is counted; start-up and
# the zone table are included); `cargo xtask gen check` then checks that every
# event came back with the oracle's answer. It prints the total and per-event
# instruction counts and fails (exit 1) when the total exceeds the budget by
# more than PERF_GUARD_TOLERANCE percent (default 3). A change that really
# costs more updates the budget in the same commit, with the reason.
#
# Needs valgrind (installed with apt-get when missing and run as root). No network once
# valgrind and the crates are on the machine. About 30 s with the binary
# built, 2 to 3 minutes on 2 cores with the release build; the files go to
# target/perf-guard/ (under CARGO_TARGET_DIR when set).

# shellcheck source=lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

say() { log "$*"; }

UPDATE=0
case "${1:-}" in
  "") ;;
  --update) UPDATE=1 ;;
  -h|--help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) die "unknown argument: $1" ;;
esac

ROOT=$REPO
cd "$ROOT" || exit
BUDGET_FILE=$ROOT/scripts/perf-budget.txt
TOLERANCE=${PERF_GUARD_TOLERANCE:-3}
EVENTS=100000
WORK=$TARGET_DIR/perf-guard
mkdir -p "$WORK"

ensure_debian valgrind=valgrind || die "valgrind is needed (apt-get install valgrind)"

start=$SECONDS
BIN=$(shipped_x86_bin)
say "measuring $BIN"

ZONES=$WORK/zones.csv
STREAM=$WORK/dns_$EVENTS.scp
cargo xtask gen zones lookups/dynamic_dns_providers.csv "$ZONES" 2>/dev/null || die "cargo xtask gen zones failed"
stamp=$(cat "$ZONES" xtask/src/gen/*.rs <(echo "seed=1 chunk=50000 events=$EVENTS") | sha256sum | cut -d' ' -f1)
if [[ ! -f $STREAM || ! -f $STREAM.stamp || $(cat "$STREAM.stamp") != "$stamp" ]]; then
  say "generating $EVENTS-event stream"
  cargo xtask gen stream --zones "$ZONES" --events "$EVENTS" --chunk 50000 --seed 1 --out "$STREAM.tmp" ||
    die "cargo xtask gen stream failed"
  mv "$STREAM.tmp" "$STREAM"
  echo "$stamp" >"$STREAM.stamp"
fi

say "running dynamicdns scp under callgrind"
log=$WORK/callgrind.log
valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" "$BIN" scp \
  <"$STREAM" >"$WORK/reply.scp" 2>"$log" || { tail -20 "$log" >&2; die "dynamicdns scp failed under valgrind"; }
# Every event back, with the oracle's answer and its fields unchanged.
cargo xtask gen check --stream "$STREAM" --zones "$ZONES" --reply dynamicdns="$WORK/reply.scp" >"$WORK/check.md" ||
  { cat "$WORK/check.md" "$log" >&2; die "dynamicdns did not answer all $EVENTS events as the oracle does"; }
total=$(sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$log")
[[ $total =~ ^[0-9]+$ ]] || die "no instruction count in $log"
per_event=$(( total / EVENTS ))

if [[ $UPDATE == 1 ]]; then
  {
    echo "# Instruction budget of scripts/perf-guard.sh: total instructions of"
    echo "# 'dynamicdns scp' under callgrind on the fixed $EVENTS-event stream"
    echo "# (cargo xtask gen stream, seed 1, chunks of 50000), start-up included, measured on"
    echo "# the shipped x86_64 binary (cargo zigbuild, glibc 2.17, profile release-lto)."
    echo "# Measured $(date -u +%Y-%m-%d) at $(git rev-parse --short HEAD 2>/dev/null || echo '?'): $per_event per event."
    echo "$total"
  } >"$BUDGET_FILE"
  say "wrote $BUDGET_FILE"
fi
[[ -f $BUDGET_FILE ]] || die "no budget file $BUDGET_FILE (run with --update)"
budget=$(grep -v '^#' "$BUDGET_FILE" | tr -d '[:space:]')
[[ $budget =~ ^[0-9]+$ ]] || die "$BUDGET_FILE holds no number"
limit=$(( budget + budget * TOLERANCE / 100 ))
change=$(awk -v t="$total" -v b="$budget" 'BEGIN { printf "%+.2f", (t - b) * 100 / b }')
printf 'perf-guard: %s instructions (%s per event) for %s events; budget %s, limit %s (+%s %%): %s %%; %s s\n' \
  "$total" "$per_event" "$EVENTS" "$budget" "$limit" "$TOLERANCE" "$change" $(( SECONDS - start ))
if (( total > limit )); then
  die "over budget: $total > $limit instructions. If the cost is intended, run scripts/perf-guard.sh --update and say why in the commit."
fi
echo "perf-guard: ok"

#!/usr/bin/env bash
# The project's test command (README "The two commands"; .ci/run calls it).
# The steps, quick checks first so that a broken change fails in minutes,
# then the package and what needs it:
#
#   fmt            cargo fmt --check
#   fetch          cargo fetch --locked for Cargo.lock and fuzz/Cargo.lock:
#                  every platform's crates (cargo-deny reads them all)
#   debian         strace (tests/sandbox.rs), valgrind (perf guard) and
#                  ShellCheck from Debian's archive, where missing
#   ShellCheck     (step shellcheck) over scripts/*.sh scripts/lib/*.sh
#   clippy         cargo clippy --locked --workspace --all-targets -- -D warnings
#   doc            RUSTDOCFLAGS='-D warnings' cargo doc --locked --no-deps --workspace
#   test           cargo test --locked --workspace: unit and integration
#                  tests (one integration binary) and the xtask's. The
#                  package is not built yet (a stale one is removed first),
#                  so the app install tests print a note and pass here.
#   package        scripts/package.sh: dist/dynamicdns-<version>.tgz
#                  (Linux x86_64 and aarch64, glibc >= 2.17; Windows x86_64)
#   package-tests  DYNAMICDNS_REQUIRE_PACKAGE=1 cargo test --locked
#                  $PACKAGE_TESTS: the tests that need the package (the
#                  aarch64 binary under qemu, the Windows one under wine)
#   appinspect     scripts/appinspect.sh: tarball modes, Splunk AppInspect
#   perf-guard     scripts/perf-guard.sh: callgrind instruction count of the
#                  packaged x86_64 binary against scripts/perf-budget.txt
#   stress         scripts/stress.sh --gb 2, the packaged x86_64 binary
#   exports        scripts/exports-check.sh: every `zones export` format
#                  through its platform's real parser or engine
#   detections     scripts/detections.sh: contentctl (pinned, PyPI) validates
#                  and builds detections/; default/'s savedsearches.conf,
#                  analyticstories.conf and macros.conf must be what it generates
#   fuzz           scripts/fuzz.sh --seconds 10: every fuzz target
#   audit          scripts/audit.sh: licences, bans, sources, RustSec
#                  advisories (../shared/advisory-db or
#                  DYNAMICDNS_ADVISORY_DB) and the canary that must fail
#
# Two lanes: lane 1 runs the steps above in order, from fmt to stress. From
# the package step on, lane 2 runs detections, fuzz and audit (with the installs of
# cargo-fuzz and cargo-deny) beside it at low priority, in the background:
# neither needs the package, and the package's link-time optimised builds
# leave a core idle for minutes. Its output is printed when lane 1 is done
# (log: target/test-logs/lane2.log). DYNAMICDNS_TEST_LANES=1 runs them one
# after the other instead.
#
# Each step's wall time is printed in a table at the end (lane 2's overlap
# lane 1's; lane2-wait is the time lane 1 then waited), and also when a step
# fails: the table up to that step, then the step's exit status.
#
# With CI=true (or DYNAMICDNS_REQUIRE_AARCH64=1, DYNAMICDNS_REQUIRE_WINDOWS=1)
# a missing aarch64 (Windows) build is a failure; elsewhere the package is built without it when this machine
# cannot build one (no root for Debian's packages), with a warning. CI=true
# also requires strace, valgrind, ShellCheck and the advisory check, and
# builds the tests without incremental caches and with line tables only.
#
# Usage: scripts/test.sh [--quick]
#   --quick   only fmt, shellcheck (if installed), clippy, doc and test:
#             no package, nothing installed

set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/common.sh
. scripts/lib/common.sh

# The cargo test arguments that select the tests needing the package (they
# run after scripts/package.sh, with DYNAMICDNS_REQUIRE_PACKAGE=1).
PACKAGE_TESTS=(--test integration app_install::)

quick=0
for arg in "$@"; do
    case $arg in
        --quick) quick=1 ;;
        -h | --help)
            sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *)
            echo "test.sh: unknown argument '$arg' (see --help)" >&2
            exit 2
            ;;
    esac
done

if [ "${CI:-}" = true ]; then
    export DYNAMICDNS_REQUIRE_AARCH64=${DYNAMICDNS_REQUIRE_AARCH64:-1}
    export DYNAMICDNS_REQUIRE_WINDOWS=${DYNAMICDNS_REQUIRE_WINDOWS:-1}
    # CI builds everything once, from a fresh clone: no incremental caches
    # to write, and line tables instead of full debug info in the test
    # builds (backtraces keep file:line; the test binaries compile and link
    # faster). Not done outside CI, where it would make the next plain
    # `cargo test` rebuild everything.
    export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
    export CARGO_PROFILE_DEV_DEBUG=${CARGO_PROFILE_DEV_DEBUG:-line-tables-only}
fi

logs=$TARGET_DIR/test-logs
mkdir -p "$logs"
names=() secs=() results=()
t_start=$EPOCHREALTIME
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
mmss() { awk -v s="$1" 'BEGIN { printf "%d:%04.1f", s / 60, s - 60 * int(s / 60) }'; }

lane2_rows() { printf '%s\n' "${names[@]}" | grep -F '(lane 2)' || true; }
print_table() {
    local i total
    total=$(elapsed "$t_start")
    {
        echo
        echo "== step times (wall, $(nproc) cores)"
        printf '| %-22s | %9s | %-6s |\n' step time result
        printf '|%s|%s|%s|\n' "------------------------" "----------:" "--------"
        for i in "${!names[@]}"; do
            printf '| %-22s | %9s | %-6s |\n' "${names[$i]}" "$(mmss "${secs[$i]}")" "${results[$i]}"
        done
        printf '| %-22s | %9s | %-6s |\n' total "$(mmss "$total")" ""
        if [ -n "$(lane2_rows)" ]; then
            echo "(lane 2 ran beside lane 1 from the package step on: its times overlap lane 1's;"
            echo " lane2-wait is how long lane 1 then waited for it)"
        fi
    } | tee "$logs/times.md"
}

# run_step NAME COMMAND...: runs COMMAND, times it, and on failure prints
# the table and exits with its status. The command runs in a background
# subshell that is waited for, so that `set -e` holds inside shell
# functions too.
run_step() {
    local name=$1 t0=$EPOCHREALTIME rc=0
    shift
    printf '\n== %s: %s\n' "$name" "$*" >&2
    ("$@") &
    wait $! || rc=$?
    finish_step "$name" "$t0" "$rc"
}
finish_step() { # name start-time exit-status
    local name=$1 t0=$2 rc=$3
    names+=("$name")
    secs+=("$(elapsed "$t0")")
    if [ "$rc" = 0 ]; then
        results+=(ok)
    else
        results+=("FAILED")
        print_table
        echo "test.sh: step '$name' failed (exit $rc)" >&2
        echo "steps: $((${#names[@]} - 1)) passed, 1 failed"
        exit "$rc"
    fi
}

# --- Lane 2: fuzz and audit need neither the package nor the tests' builds,
# so from the package step on they run beside it, at low priority: the
# package's link-time optimised builds leave a core idle for minutes. The
# output goes to $logs/lane2.log (printed at the end), the step times to
# $logs/lane2.times. A session of its own, so that it can be stopped with
# its children when lane 1 fails.
lane2_pid=
lane2_body() {
    set -euo pipefail
    # The debug binary the test step built (lane 1 exports DYNAMICDNS_BIN
    # for the perf guard later; the export checks do not need an optimised
    # build).
    lane_step exports env DYNAMICDNS_BIN="$DYNAMICDNS_TARGET_DIR/debug/dynamicdns" \
        scripts/exports-check.sh
    lane_step detections scripts/detections.sh
    lane_step fuzz-install scripts/fuzz.sh --install-only
    lane_step fuzz scripts/fuzz.sh --seconds 10
    lane_step audit-install scripts/audit.sh --install-only
    lane_step audit scripts/audit.sh
}
lane_step() {
    local name=$1 t0=$EPOCHREALTIME rc=0
    shift
    printf '\n== %s: %s\n' "$name" "$*"
    "$@" || rc=$?
    printf '%s %s %s\n' "$name" "$(elapsed "$t0")" "$rc" >>"$LANE2_TIMES"
    return "$rc"
}
start_lane2() {
    export LANE2_TIMES=$logs/lane2.times
    : >"$LANE2_TIMES"
    export -f lane2_body lane_step elapsed
    setsid nice -n 10 bash -c lane2_body </dev/null >"$logs/lane2.log" 2>&1 &
    lane2_pid=$!
}
# Waits for lane 2 (a step of its own: the time lane 1 waited), then adds its
# steps to the table and its output to the log.
finish_lane2() {
    local rc=0 t0=$EPOCHREALTIME name s r
    printf '\n== lane2-wait: fuzz and audit, running since the package step\n' >&2
    wait "$lane2_pid" || rc=$?
    lane2_pid=
    finish_step lane2-wait "$t0" 0
    printf '\n== lane 2 output (%s)\n' "$logs/lane2.log" >&2
    cat "$logs/lane2.log" >&2
    while read -r name s r; do
        names+=("$name (lane 2)")
        secs+=("$s")
        results+=("$([ "$r" = 0 ] && echo ok || echo FAILED)")
    done <"$LANE2_TIMES"
    if [ "$rc" != 0 ]; then
        print_table
        echo "test.sh: lane 2 failed (exit $rc), see its output above" >&2
        echo "steps: $((${#names[@]} - 1)) passed, 1 failed"
        exit "$rc"
    fi
}
stop_lane2() {
    if [ -n "$lane2_pid" ]; then
        kill -TERM -- "-$lane2_pid" 2>/dev/null || true
    fi
}
trap stop_lane2 EXIT

# --- Steps.
fetch_crates() {
    cargo fetch --locked
    cargo fetch --locked --manifest-path fuzz/Cargo.toml
}
debian_tools() {
    ensure_debian strace=strace valgrind=valgrind shellcheck=shellcheck ||
        [ "${CI:-}" != true ] || die "strace, valgrind and shellcheck are required in CI"
}
run_shellcheck() {
    if ! command -v shellcheck >/dev/null; then
        echo "shellcheck is not installed: skipped (scripts/test.sh without --quick installs it)" >&2
        return 0
    fi
    shellcheck --version | sed -n 's/^version: /shellcheck /p' >&2
    shellcheck -x -P SCRIPTDIR scripts/*.sh scripts/lib/*.sh
}
cargo_doc() { RUSTDOCFLAGS='-D warnings' cargo doc --locked --no-deps --workspace; }
package_tests() { DYNAMICDNS_REQUIRE_PACKAGE=1 cargo test --locked "${PACKAGE_TESTS[@]}"; }

# The x86_64 binary inside the package, for the perf guard and stress.
packaged_bin=$TARGET_DIR/test-package-bin/dynamicdns
extract_packaged_bin() {
    local tgz
    tgz=$REPO/dist/$APP_ID-$(crate_version).tgz
    rm -rf "${packaged_bin%/*}"
    mkdir -p "${packaged_bin%/*}"
    tar -xzf "$tgz" -O "$APP_ID/bin/linux_x86_64/dynamicdns" >"$packaged_bin"
    chmod 755 "$packaged_bin"
}

# The fuzz crate has its own lock file; a dependency added to the engine must
# reach it too, or the fetch step (cargo fetch --locked) fails in CI.
fuzz_lock_current() {
    cargo metadata --locked --offline --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null
}

run_step fmt cargo fmt --check
if [ "$quick" = 1 ]; then
    run_step fuzz-lock fuzz_lock_current
    run_step shellcheck run_shellcheck
    run_step clippy cargo clippy --locked --workspace --all-targets -- -D warnings
    run_step doc cargo_doc
    run_step test cargo test --locked --workspace
    print_table
    echo "steps: ${#names[@]} passed, 0 failed"
    exit 0
fi

# A package left by an earlier run would be tested by the first cargo test
# (the app install tests use it when present); this run builds a new one.
rm -f "dist/$APP_ID-$(crate_version).tgz" "dist/$APP_ID-$(crate_version).tgz.sha256"

run_step fetch fetch_crates
run_step debian debian_tools
run_step shellcheck run_shellcheck
run_step clippy cargo clippy --locked --workspace --all-targets -- -D warnings
run_step doc cargo_doc
run_step test cargo test --locked --workspace

# DYNAMICDNS_TEST_LANES=1 (or a single core): lane 2 runs after lane 1.
lanes=${DYNAMICDNS_TEST_LANES:-2}
[ "$(nproc)" -gt 1 ] || lanes=1
[ "$lanes" = 1 ] || start_lane2
run_step package scripts/package.sh
run_step package-tests package_tests
run_step appinspect scripts/appinspect.sh
extract_packaged_bin
export DYNAMICDNS_BIN=$packaged_bin
run_step perf-guard scripts/perf-guard.sh
run_step stress scripts/stress.sh --gb 2
if [ "$lanes" = 1 ]; then
    run_step exports env DYNAMICDNS_BIN="$TARGET_DIR/debug/dynamicdns" scripts/exports-check.sh
    run_step detections scripts/detections.sh
    run_step fuzz scripts/fuzz.sh --seconds 10
    run_step audit scripts/audit.sh
else
    finish_lane2
fi
print_table
echo "steps: ${#names[@]} passed, 0 failed"

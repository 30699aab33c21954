#!/usr/bin/env bash
# The project's test command (README "The two commands"; .ci/run calls it):
#
#   1. cargo fmt --check, cargo clippy -D warnings
#   2. scripts/package.sh: the Splunk app dist/dynamicdns-<version>.tgz
#      (x86_64 and aarch64, glibc >= 2.17; tools installed under target/tools)
#   3. cargo test --locked: every test, the app install tests included
#      (they unpack the package into a scratch $SPLUNK_HOME and run it)
#   4. scripts/appinspect.sh: tarball modes and Splunk AppInspect (cloud tag)
#   5. scripts/perf-guard.sh: callgrind instruction count of a fixed 100k-event
#      SCP stream against scripts/perf-budget.txt (+3 %)
#   6. scripts/stress.sh --gb 2: GBs through the release binary, peak RSS flat
#   7. scripts/fuzz.sh --seconds 10: every fuzz target from its seed corpus
#   8. scripts/audit.sh: cargo-deny licences, bans, sources (advisories when
#      the RustSec database is reachable)
#
# Before the tests, strace is installed if missing (tests/sandbox.rs traces
# the binary's system calls with it).
#
# With CI=true (or DYNAMICDNS_REQUIRE_AARCH64=1) a missing aarch64 build is
# a failure; elsewhere the package is built without it when this machine
# cannot build one (no root for Debian's packages), with a warning.
#
# Usage: scripts/test.sh [--quick]
#   --quick   only steps 1 and 3, without the package (no tools to install)

set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

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

step() { printf '\n== %s\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --check
step "cargo clippy --locked --workspace --all-targets -- -D warnings"
cargo clippy --locked --workspace --all-targets -- -D warnings
step "cargo doc --no-deps --workspace (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --workspace --quiet

if [ "$quick" = 1 ]; then
    step "cargo test --locked"
    cargo test --locked --workspace
    exit 0
fi

if [ "${CI:-}" = true ]; then
    export DYNAMICDNS_REQUIRE_AARCH64=${DYNAMICDNS_REQUIRE_AARCH64:-1}
fi
step "scripts/package.sh"
scripts/package.sh
step "strace for tests/sandbox.rs"
# shellcheck source=lib/common.sh
(. scripts/lib/common.sh && ensure_strace)
step "cargo test --locked (with the package)"
DYNAMICDNS_REQUIRE_PACKAGE=1 cargo test --locked --workspace
step "scripts/appinspect.sh"
scripts/appinspect.sh
step "scripts/perf-guard.sh"
scripts/perf-guard.sh
step "scripts/stress.sh --gb 2"
scripts/stress.sh --gb 2
step "scripts/fuzz.sh --seconds 10"
scripts/fuzz.sh --seconds 10
step "scripts/audit.sh"
scripts/audit.sh

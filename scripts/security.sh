#!/usr/bin/env bash
# Runs the system-call sandbox test (tests/sandbox.rs: no network, no
# writes, only the app's own files read) with strace available: installs
# Debian's strace when missing (root and apt-get needed; otherwise the test
# prints a note and passes without checking).
# shellcheck source=lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

ensure_strace
cd "$REPO" || exit
cargo test --locked --test integration sandbox:: -- --nocapture

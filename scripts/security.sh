#!/usr/bin/env bash
# Runs the system-call sandbox test (tests/sandbox.rs: no network, no
# writes, only the app's own files read) with strace available: installs
# Debian's strace when missing (root and apt-get needed; otherwise the test
# prints a note and passes without checking).
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

if ! command -v strace >/dev/null; then
    if can_use_apt; then
        log "installing strace (Debian)"
        DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends strace >/dev/null ||
            { apt-get -qq update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends strace >/dev/null; }
    else
        log "strace is missing and cannot be installed here (needs root and apt-get)"
    fi
fi
cd "$REPO"
cargo test --locked --test sandbox -- --nocapture

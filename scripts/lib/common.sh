# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this
# Shared by scripts/package.sh, scripts/appinspect.sh and
# scripts/build-tools.sh: paths, versions and the installers of the build
# tools. Everything is installed by these scripts under $TOOLS (default
# target/tools; set DYNAMICDNS_TOOLS to keep it across fresh clones), from
# PyPI, crates.io and Debian's archive - nothing by hand.

set -euo pipefail

REPO=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
TOOLS=${DYNAMICDNS_TOOLS:-$REPO/target/tools}
APP_ID=dynamicdns
# Lookup files users create and edit: never shipped (an app upgrade replaces
# every file the package contains). The last two are the names before 0.2.
USER_LOOKUPS="dynamicdns_local_zones.csv dynamicdns_allowlist.csv dynamicdns_first_seen.csv dynamic_dns_providers_local.csv dynamic_dns_allowlist.csv"

# Pinned tool versions (bump deliberately; each is checked after install).
ZIGLANG_VERSION=0.15.2          # PyPI ziglang: the zig toolchain cargo-zigbuild links with
CARGO_ZIGBUILD_VERSION=0.24.1   # crates.io cargo-zigbuild
APPINSPECT_VERSION=4.3.1        # PyPI splunk-appinspect

# Targets: glibc 2.17 is the floor for both architectures.
GLIBC_FLOOR=2.17
X86_TARGET=x86_64-unknown-linux-gnu
ARM_TARGET=aarch64-unknown-linux-gnu

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# The crate's version, from Cargo.toml's [package] section, or from
# [workspace.package] where the package says `version.workspace = true`.
crate_version() {
    awk '/^\[/{p=($0=="[package]"||$0=="[workspace.package]")} p&&/^version *=/{gsub(/.*= *"|".*/,"");print;exit}' \
        "$REPO/Cargo.toml"
}

# SOURCE_DATE_EPOCH for reproducible archives: the environment's, else the
# last commit's time, else 0.
source_date_epoch() {
    if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
        echo "$SOURCE_DATE_EPOCH"
    else
        git -C "$REPO" log -1 --format=%ct 2>/dev/null || echo 0
    fi
}

# A Python venv under $TOOLS with the given requirement; prints its bin dir.
ensure_venv() { # name requirement
    local venv=$TOOLS/$1 req=$2
    if [ ! -x "$venv/bin/python" ] || ! grep -qxF "$req" "$venv/.installed" 2>/dev/null; then
        log "installing $req into ${venv#"$REPO"/} (PyPI)"
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$req"
        echo "$req" >"$venv/.installed"
    fi
    echo "$venv/bin"
}

# zig (PyPI ziglang) and cargo-zigbuild (crates.io) on PATH.
ensure_zigbuild() {
    local zbin
    zbin=$(ensure_venv zig "ziglang==$ZIGLANG_VERSION")
    # cargo-zigbuild looks for `zig`, then `python3 -m ziglang`.
    mkdir -p "$TOOLS/bin"
    cat >"$TOOLS/bin/zig" <<EOF
#!/bin/sh
exec "$zbin/python" -m ziglang "\$@"
EOF
    chmod 755 "$TOOLS/bin/zig"
    local czb=$TOOLS/cargo/bin/cargo-zigbuild
    if [ ! -x "$czb" ] || [ "$("$czb" --version 2>/dev/null)" != "cargo-zigbuild $CARGO_ZIGBUILD_VERSION" ]; then
        log "installing cargo-zigbuild $CARGO_ZIGBUILD_VERSION into ${TOOLS#"$REPO"/}/cargo (crates.io)"
        # --debug: it only drives the build, and compiles in a third of the
        # time of an optimised build.
        cargo install --quiet --locked --debug --force --root "$TOOLS/cargo" \
            cargo-zigbuild --version "$CARGO_ZIGBUILD_VERSION"
    fi
    export PATH="$TOOLS/bin:$TOOLS/cargo/bin:$PATH"
    zig version >/dev/null || die "zig from PyPI ziglang $ZIGLANG_VERSION does not run"
}

# apt-get download into $dir, fetching arm64 package lists on the way when
# needed (without adding arm64 to dpkg's architectures). Root only.
apt_fetch() { # dir package...
    local dir=$1
    shift
    local aptopts=(-o APT::Architectures::=arm64 -o APT::Sandbox::User=root -qq)
    mkdir -p "$dir"
    local pkg
    for pkg in "$@"; do
        # (apt-cache show succeeds if any one of several packages is known)
        if ! apt-cache "${aptopts[@]}" show "$pkg" >/dev/null 2>&1; then
            apt-get "${aptopts[@]}" update >/dev/null
            break
        fi
    done
    (cd "$dir" && apt-get "${aptopts[@]}" download "$@" >/dev/null)
}

can_use_apt() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null
}

# A Rust compiler that has the aarch64-unknown-linux-gnu standard library.
# The machine's rustup toolchain has only x86_64 and rustup cannot download
# targets here, so this uses Debian's rustc-web (a newer rustc built for
# Debian 12's browsers) with its x86_64 and arm64 libstd packages, unpacked
# under $TOOLS/debian-rust (nothing is installed system-wide except the
# shared libraries libLLVM needs, if missing). Prints the rustc wrapper.
ensure_aarch64_rustc() {
    local root=$TOOLS/debian-rust
    local wrapper=$root/rustc
    if [ -x "$wrapper" ] && "$wrapper" --print target-libdir --target "$ARM_TARGET" >/dev/null 2>&1 &&
        [ -d "$("$wrapper" --print target-libdir --target "$ARM_TARGET")" ]; then
        echo "$wrapper"
        return
    fi
    can_use_apt || {
        log "cannot fetch Debian's rustc-web (needs root and apt-get)"
        return 1
    }
    log "fetching Debian rustc-web with the aarch64 standard library into ${root#"$REPO"/}"
    rm -rf "$root"
    local debs=$root/debs
    apt_fetch "$debs" rustc-web libstd-rust-web-dev "libstd-rust-web-dev:arm64" || return 1
    # libstd-rust-web-dev depends on libstd-rust-web-<ver> (the shared
    # libraries, librustc_driver among them), which depends on libllvm<N>.
    local libstd llvm
    libstd=$(dpkg-deb -f "$debs"/libstd-rust-web-dev_*_amd64.deb Depends | grep -o 'libstd-rust-web-[0-9.]*' | head -1)
    [ -n "$libstd" ] || return 1
    apt_fetch "$debs" "$libstd" || return 1
    llvm=$(dpkg-deb -f "$debs/${libstd}"_*_amd64.deb Depends | grep -o 'libllvm[0-9]*' | head -1)
    [ -n "$llvm" ] || return 1
    apt_fetch "$debs" "$llvm" || return 1
    local deb
    for deb in "$debs"/*.deb; do
        dpkg-deb -x "$deb" "$root/sysroot"
    done
    local libdir=$root/sysroot/usr/lib/x86_64-linux-gnu
    # libLLVM's own dependencies (libedit, libffi, libxml2, libz3 ...) are
    # ordinary Debian libraries; install the missing ones.
    local missing
    missing=$(LD_LIBRARY_PATH=$libdir ldd "$libdir"/libLLVM.so.* 2>/dev/null | awk '/not found/{print $1}')
    if [ -n "$missing" ]; then
        local deps
        mapfile -t deps < <(dpkg-deb -f "$debs/${llvm}"_*.deb Depends | tr ',' '\n' |
            sed 's/^ *//;s/[ (|].*//' | grep -v '^libc6$')
        log "installing libLLVM's dependencies: ${deps[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends "${deps[@]}" \
            >/dev/null || return 1
    fi
    rm -rf "$debs" "$root/sysroot/usr/share/doc" "$root/sysroot/usr/share/man"
    cat >"$wrapper" <<EOF
#!/bin/sh
LD_LIBRARY_PATH="$libdir\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$root/sysroot/usr/bin/rustc" "\$@"
EOF
    chmod 755 "$wrapper"
    "$wrapper" --print target-libdir --target "$ARM_TARGET" >/dev/null || return 1
    echo "$wrapper"
}

# qemu-aarch64 (Debian qemu-user) with an arm64 glibc, unpacked under
# $TOOLS/qemu-aarch64, to run the aarch64 binary in tests. Prints the
# runner: `run BINARY ARGS...`.
ensure_qemu_aarch64() {
    local root=$TOOLS/qemu-aarch64
    local runner=$root/run
    if [ -x "$runner" ]; then
        echo "$runner"
        return
    fi
    can_use_apt || return 1
    log "fetching qemu-user and the arm64 C library into ${root#"$REPO"/}"
    rm -rf "$root"
    apt_fetch "$root/debs" qemu-user "libc6:arm64" "libgcc-s1:arm64" libcapstone4 || return 1
    local deb
    for deb in "$root"/debs/*.deb; do
        dpkg-deb -x "$deb" "$root/sysroot"
    done
    # Keep only the one emulator needed.
    find "$root/sysroot/usr/bin" -name 'qemu-*' ! -name qemu-aarch64 -delete
    rm -rf "$root/debs" "$root/sysroot/usr/share"
    cat >"$runner" <<EOF
#!/bin/sh
# Runs an aarch64 Linux program under qemu user-mode emulation.
LD_LIBRARY_PATH="$root/sysroot/usr/lib/x86_64-linux-gnu" exec "$root/sysroot/usr/bin/qemu-aarch64" -L "$root/sysroot" "\$@"
EOF
    chmod 755 "$runner"
    echo "$runner"
}

# The highest GLIBC_x.y symbol version an ELF binary needs (empty if none).
max_glibc() {
    objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1
}

# Fails unless the binary needs at most glibc $GLIBC_FLOOR; prints the check.
check_glibc_floor() { # binary
    local max
    max=$(max_glibc "$1")
    if [ -z "$max" ] || [ "$(printf '%s\n%s\n' "$max" "$GLIBC_FLOOR" | sort -V | tail -1)" = "$GLIBC_FLOOR" ]; then
        echo "glibc floor: ${1#"$REPO"/}: highest GLIBC symbol version GLIBC_${max:-none} <= GLIBC_$GLIBC_FLOOR: ok"
    else
        echo "glibc floor: ${1#"$REPO"/}: needs GLIBC_$max > GLIBC_$GLIBC_FLOOR" >&2
        return 1
    fi
}

# strace on PATH (Debian's package), for tests/sandbox.rs. Where it cannot be
# installed (no root or apt) the sandbox test prints a note and passes, so
# this fails instead when CI=true.
ensure_strace() {
    command -v strace >/dev/null && return
    if can_use_apt; then
        log "installing strace (Debian)"
        DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends strace >/dev/null ||
            { apt-get -qq update >/dev/null &&
                DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends strace >/dev/null; }
    fi
    command -v strace >/dev/null && return
    log "strace is missing and cannot be installed here (needs root and apt-get)"
    [ "${CI:-}" != true ] || die "strace is required in CI (tests/sandbox.rs)"
}

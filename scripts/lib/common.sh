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
# Lookup files users create and edit: never shipped (an app upgrade replaces
# every file the package contains). The last two are the names before 0.2.
USER_LOOKUPS="dynamicdns_local_zones.csv dynamicdns_allowlist.csv dynamicdns_first_seen.csv dynamic_dns_providers_local.csv dynamic_dns_allowlist.csv"

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

# The cargo profile of the shipped binaries (package.sh); the perf guard and
# the stress test measure that same binary.
SHIP_PROFILE=release-lto

# Pinned tool versions (bump deliberately; each is checked after install).
ZIGLANG_VERSION=0.15.2          # PyPI ziglang: the zig toolchain cargo-zigbuild links with
CARGO_ZIGBUILD_VERSION=0.24.1   # PyPI cargo-zigbuild (binary wheel): drives the zig builds
APPINSPECT_VERSION=4.3.1        # PyPI splunk-appinspect

# Targets: glibc 2.17 is the floor for both architectures.
GLIBC_FLOOR=2.17
X86_TARGET=x86_64-unknown-linux-gnu
ARM_TARGET=aarch64-unknown-linux-gnu
WIN_TARGET=x86_64-pc-windows-gnu

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# The shipped binaries (scripts/package.sh): cargo zigbuild for glibc
# $GLIBC_FLOOR, profile $SHIP_PROFILE.
X86_BIN=$TARGET_DIR/$X86_TARGET/$SHIP_PROFILE/dynamicdns
ARM_TARGET_DIR=$TARGET_DIR/aarch64-debian
ARM_BIN=$ARM_TARGET_DIR/$ARM_TARGET/$SHIP_PROFILE/dynamicdns
WIN_TARGET_DIR=$TARGET_DIR/windows-debian
WIN_BIN=$WIN_TARGET_DIR/$WIN_TARGET/$SHIP_PROFILE/dynamicdns.exe

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

# SOURCE_DATE_EPOCH for reproducible archives: the environment's, else the
# last commit's time, else 0.
source_date_epoch() {
    if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
        echo "$SOURCE_DATE_EPOCH"
    else
        git -C "$REPO" log -1 --format=%ct 2>/dev/null || echo 0
    fi
}

# A Python venv under $TOOLS with the given requirements; prints its bin dir.
ensure_venv() { # name requirement...
    local venv=$TOOLS/$1
    shift
    local req="$*"
    if [ ! -x "$venv/bin/python" ] || ! grep -qxF "$req" "$venv/.installed" 2>/dev/null; then
        log "installing $req into ${venv#"$REPO"/} (PyPI)"
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
        echo "$req" >"$venv/.installed"
    fi
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

# The build id | dynamicdnsinfo reports (crates/engine/build.rs reads
# DYNAMICDNS_BUILD): the commit, `-dirty` when tracked files changed, `dev`
# outside git. A function of the commit only, so the same commit still gives
# the same bytes; set for every shipped build (package, perf guard, stress),
# so they share one build.
export_build_id() {
    if [ -z "${DYNAMICDNS_BUILD:-}" ]; then
        DYNAMICDNS_BUILD=$(git -C "$REPO" rev-parse --short=12 HEAD 2>/dev/null || echo dev)
        if [ "$DYNAMICDNS_BUILD" != dev ] && ! git -C "$REPO" diff --quiet HEAD -- 2>/dev/null; then
            DYNAMICDNS_BUILD=$DYNAMICDNS_BUILD-dirty
        fi
    fi
    export DYNAMICDNS_BUILD
}

# Paths in panic messages must not depend on where the repo, the target
# directory or cargo's registry is, so that the binaries are the same from any
# checkout. (rustc applies the last matching prefix.)
remap_flags() {
    local flags="--remap-path-prefix=$REPO=/dynamicdns"
    case $TARGET_DIR/ in
        "$REPO"/*) ;;
        *) flags+=" --remap-path-prefix=$TARGET_DIR=/dynamicdns/target" ;;
    esac
    echo "$flags --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
}

# The shipped x86_64 binary, $X86_BIN (cargo's freshness check makes a
# second call a no-op: package.sh, the perf guard and the stress test share
# this one optimised build).
build_x86_release() {
    export_build_id
    ensure_zigbuild
    log "building $X86_TARGET (glibc $GLIBC_FLOOR, profile $SHIP_PROFILE) with cargo zigbuild"
    (cd "$REPO" && RUSTFLAGS="$(remap_flags)" cargo zigbuild --quiet --profile "$SHIP_PROFILE" --locked \
        --bin dynamicdns --target "$X86_TARGET.$GLIBC_FLOOR")
    [ -x "$X86_BIN" ] || die "no x86_64 binary at $X86_BIN after the build"
}

# Prints the x86_64 binary to measure: $DYNAMICDNS_BIN, else the shipped
# build (built if needed).
shipped_x86_bin() {
    if [ -n "${DYNAMICDNS_BIN:-}" ]; then
        [ -x "$DYNAMICDNS_BIN" ] || die "DYNAMICDNS_BIN=$DYNAMICDNS_BIN is not an executable file"
        echo "$DYNAMICDNS_BIN"
        return
    fi
    build_x86_release >&2
    echo "$X86_BIN"
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

# The Windows x86_64 binary, $WIN_BIN. No Windows standard library can be
# downloaded here, so std is compiled from source: Debian's rust-web-src
# (the source of the same rustc-web as ensure_aarch64_rustc's) becomes the
# sysroot's lib/rustlib/src/rust, Debian's MinGW-w64 GCC links, and cargo's
# -Zbuild-std builds std and panic_abort for $WIN_TARGET (allowed for this
# one build by RUSTC_BOOTSTRAP=1; std's own crates come from crates.io).
# Returns 1 (after a message) where the tools cannot be set up.
build_windows_release() {
    export_build_id
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
    ensure_debian x86_64-w64-mingw32-gcc=gcc-mingw-w64-x86-64 || return 1
    log "building $WIN_TARGET (profile $SHIP_PROFILE, std from source) with $("$rustc" --version)"
    (cd "$REPO" && RUSTC=$rustc RUSTC_BOOTSTRAP=1 RUSTFLAGS="$(remap_flags)" CARGO_TARGET_DIR=$WIN_TARGET_DIR \
        CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
        cargo build --quiet --profile "$SHIP_PROFILE" --locked --bin dynamicdns \
        --target "$WIN_TARGET" -Zbuild-std=std,panic_abort) || return 1
    [ -f "$WIN_BIN" ] || {
        log "no Windows binary at $WIN_BIN after the build"
        return 1
    }
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
    ensure_debian strace=strace && return
    [ "${CI:-}" != true ] || die "strace is required in CI (tests/sandbox.rs)"
}

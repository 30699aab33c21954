#!/usr/bin/env bash
# Builds the Splunk app package dist/dynamicdns-<version>.tgz:
#
#   dynamicdns/                    top folder = app.conf [package] id
#     app.manifest README.md LICENSE LICENSES/...
#     bin/dynamicdns.py            launcher (commands.conf, transforms.conf), run by
#                                  Splunk's Python: hands over to bin/<os>_<cpu>/
#     bin/linux_x86_64/dynamicdns  glibc >= 2.17 (cargo zigbuild)
#     bin/linux_aarch64/dynamicdns glibc >= 2.17 (cargo zigbuild, Debian rustc-web)
#     bin/windows_x86_64/dynamicdns.exe  MinGW-w64 (Debian rustc-web, std from source)
#     default/*.conf               conf files
#     default/data/ui/{nav,views}/ navigation and dashboards (Simple XML)
#     static/appIcon*.png          icons (app/static/, drawn by scripts/lib/draw_icons.py)
#     lookups/*.csv                shipped lookups only: never a file users edit
#     metadata/default.meta
#
# Files users edit (local zones, allowlist, first-seen baseline) are not in
# the package, so installing a new version over an old one - which replaces
# every file the package contains - never overwrites them; the script fails
# if one of them is in lookups/.
#
# The archive is reproducible: sorted names, numeric owner 0/0, mtime
# SOURCE_DATE_EPOCH (default: the last commit's time), modes 0755 for
# directories and files under bin/, 0644 for everything else, gzip -n.
#
# Usage: scripts/package.sh [--no-build]
#   --no-build   package the binaries already built (under cargo's target
#                directory, CARGO_TARGET_DIR honoured), if present
# Environment:
#   DYNAMICDNS_AARCH64_BIN=FILE   use this prebuilt aarch64 binary instead of building one
#   DYNAMICDNS_AARCH64=skip       package without an aarch64 binary (not for Splunk Cloud)
#   DYNAMICDNS_REQUIRE_AARCH64=1  fail if no aarch64 binary can be built or found (CI)
#   DYNAMICDNS_WINDOWS_BIN=FILE   use this prebuilt Windows binary instead of building one
#   DYNAMICDNS_WINDOWS=skip       package without a Windows binary
#   DYNAMICDNS_REQUIRE_WINDOWS=1  fail if no Windows binary can be built or found (CI)
#   DYNAMICDNS_TOOLS=DIR          where build tools are installed (default target/tools)
#   SOURCE_DATE_EPOCH             archive timestamps
#   DYNAMICDNS_BUILD              build id compiled into the binaries (| dynamicdnsinfo's
#                                 `build`; default: the commit, 12 hex digits, +
#                                 "-dirty" when tracked files differ from it)

# shellcheck source=lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

build=1
for arg in "$@"; do
    case $arg in
        --no-build) build=0 ;;
        -h | --help)
            sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *) die "unknown argument '$arg' (see --help)" ;;
    esac
done

cd "$REPO" || exit 1
version=$(crate_version)
[ -n "$version" ] || die "no version in Cargo.toml"
epoch=$(source_date_epoch)

# --- Versions must agree: Cargo.toml, app.conf ([id], [launcher]), app.manifest.
conf_versions=$(awk -F' *= *' '/^\[/{s=$0} (s=="[id]"||s=="[launcher]")&&$1=="version"{print $2}' default/app.conf | sort -u)
manifest_version=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["info"]["id"]["version"])' app/app.manifest)
[ "$conf_versions" = "$version" ] || die "default/app.conf version(s) '$conf_versions' != Cargo.toml $version"
[ "$manifest_version" = "$version" ] || die "app/app.manifest info.id.version $manifest_version != Cargo.toml $version"
package_id=$(awk -F' *= *' '/^\[/{s=$0} s=="[package]"&&$1=="id"{print $2}' default/app.conf)
[ "$package_id" = "$APP_ID" ] || die "default/app.conf [package] id '$package_id' != $APP_ID"

# --- Binaries (under cargo's target directory: CARGO_TARGET_DIR is honoured)
x86_bin=$X86_BIN
# The build id the binaries report (| dynamicdnsinfo), from the commit.
export_build_id
arm_bin=$ARM_BIN

# The Windows build (std from source, in its own target directory) runs
# beside the two Linux builds, whose fat-LTO links leave a core idle for
# minutes. Debian's rustc, which it shares with the aarch64 build, is set up
# first, once.
win_pid=
win_log=$TARGET_DIR/package-windows.log
if [ -z "${DYNAMICDNS_WINDOWS_BIN:-}" ] && [ "${DYNAMICDNS_WINDOWS:-}" != skip ] && [ "$build" = 1 ]; then
    ensure_aarch64_rustc >/dev/null || true
    mkdir -p "$TARGET_DIR"
    build_windows_release >"$win_log" 2>&1 &
    win_pid=$!
    trap 'kill "$win_pid" 2>/dev/null || true' EXIT
fi

if [ "$build" = 1 ]; then
    build_x86_release
fi
[ -x "$x86_bin" ] || die "no x86_64 binary at $x86_bin (run without --no-build)"

if [ -n "${DYNAMICDNS_AARCH64_BIN:-}" ]; then
    arm_bin=$DYNAMICDNS_AARCH64_BIN
    log "using the prebuilt aarch64 binary $arm_bin"
elif [ "${DYNAMICDNS_AARCH64:-}" = skip ]; then
    arm_bin=
elif [ "$build" = 1 ]; then
    if rustc_arm=$(ensure_aarch64_rustc); then
        log "building $ARM_TARGET (glibc $GLIBC_FLOOR) with cargo zigbuild and $("$rustc_arm" --version)"
        RUSTC=$rustc_arm RUSTFLAGS="$(remap_flags)" CARGO_TARGET_DIR=$ARM_TARGET_DIR \
            cargo zigbuild --quiet --profile "$SHIP_PROFILE" --locked --bin dynamicdns \
            --target "$ARM_TARGET.$GLIBC_FLOOR"
    else
        log "warning: no Rust compiler with the aarch64 standard library could be set up"
        arm_bin=
    fi
fi
if [ -n "$arm_bin" ] && [ ! -f "$arm_bin" ]; then
    arm_bin=
fi
if [ -z "$arm_bin" ]; then
    [ "${DYNAMICDNS_REQUIRE_AARCH64:-}" != 1 ] || die "no aarch64 binary (DYNAMICDNS_REQUIRE_AARCH64=1)"
    log "WARNING: packaging WITHOUT an aarch64 binary: ARM hosts (Splunk Cloud indexers) cannot run the command"
fi

win_bin=$WIN_BIN
if [ -n "${DYNAMICDNS_WINDOWS_BIN:-}" ]; then
    win_bin=$DYNAMICDNS_WINDOWS_BIN
    log "using the prebuilt Windows binary $win_bin"
elif [ "${DYNAMICDNS_WINDOWS:-}" = skip ]; then
    win_bin=
elif [ -n "$win_pid" ]; then
    if wait "$win_pid"; then
        cat "$win_log" >&2
    else
        cat "$win_log" >&2
        log "warning: the Windows binary could not be built"
        win_bin=
    fi
    trap - EXIT
fi
if [ -n "$win_bin" ] && [ ! -f "$win_bin" ]; then
    win_bin=
fi
if [ -z "$win_bin" ]; then
    [ "${DYNAMICDNS_REQUIRE_WINDOWS:-}" != 1 ] || die "no Windows binary (DYNAMICDNS_REQUIRE_WINDOWS=1)"
    log "WARNING: packaging WITHOUT a Windows binary: Windows search heads and indexers cannot run the command"
fi

# --- Checks on the binaries: architecture, glibc floor, version, lookup mode.
file -b "$x86_bin" | grep -q 'ELF 64-bit.*x86-64' || die "$x86_bin is not an x86-64 ELF: $(file -b "$x86_bin")"
check_glibc_floor "$x86_bin"
# `dynamicdns --version`: version, build id and zone data version.
data_version=$(awk '$1=="version"{print $2}' data/VERSION)
want_version="dynamicdns $version (build $DYNAMICDNS_BUILD, zone data $data_version)"
got=$("$x86_bin" --version)
[ "$got" = "$want_version" ] || die "x86_64 binary reports '$got', expected '$want_version' (rebuild without --no-build)"
if ! printf 'query,isDynDNS\na.duckdns.org,\n' | "$x86_bin" lookup query --no-local 2>/dev/null | grep -q '^a.duckdns.org,True$'; then
    die "the binary has no working 'lookup' subcommand (the external lookup of transforms.conf; src/cmd/lookup.rs)"
fi
log "build id $DYNAMICDNS_BUILD"
if [ -n "$arm_bin" ]; then
    file -b "$arm_bin" | grep -q 'ELF 64-bit.*ARM aarch64' || die "$arm_bin is not an aarch64 ELF: $(file -b "$arm_bin")"
    check_glibc_floor "$arm_bin"
    if qemu=$(ensure_qemu_aarch64 2>/dev/null); then
        got=$("$qemu" "$arm_bin" --version)
        [ "$got" = "$want_version" ] || die "aarch64 binary (under qemu) reports '$got', expected '$want_version'"
        log "aarch64 binary runs under qemu: $got"
    fi
fi

if [ -n "$win_bin" ]; then
    file -b "$win_bin" | grep -q 'PE32+ executable (console) x86-64' ||
        die "$win_bin is not an x86-64 Windows console program: $(file -b "$win_bin")"
    # The package tests run it under wine (tests/app_install/windows.rs).
    if wine=$(ensure_wine64); then
        log "wine for the package tests: $wine"
    else
        [ "${DYNAMICDNS_REQUIRE_WINDOWS:-}" != 1 ] || die "no wine64 to test the Windows binary with"
        log "warning: no wine64: the package tests cannot run the Windows binary"
    fi
fi

# --- Stage the app.
stage=$TARGET_DIR/package
app=$stage/$APP_ID
rm -rf "$stage"
mkdir -p "$app"/{bin/linux_x86_64,default,lookups,metadata,LICENSES}
cp app/app.manifest "$app/"
cp app/README.md "$app/README.md"
cp data/licenses/Apache-2.0.txt "$app/LICENSE"
cp default/*.conf "$app/default/"
cp -R default/data "$app/default/"
cp lookups/*.csv "$app/lookups/"
for user_file in $USER_LOOKUPS; do
    [ ! -e "$app/lookups/$user_file" ] ||
        die "lookups/$user_file is a file users edit: it must not be shipped (an upgrade would overwrite it)"
done
cp app/metadata/default.meta "$app/metadata/"
mkdir -p "$app/static" && cp app/static/*.png "$app/static/"
cp bin/dynamicdns.py "$app/bin/"
cp "$x86_bin" "$app/bin/linux_x86_64/dynamicdns"
if [ -n "$arm_bin" ]; then
    mkdir -p "$app/bin/linux_aarch64" && cp "$arm_bin" "$app/bin/linux_aarch64/dynamicdns"
fi
if [ -n "$win_bin" ]; then
    mkdir -p "$app/bin/windows_x86_64" && cp "$win_bin" "$app/bin/windows_x86_64/dynamicdns.exe"
fi
# Third-party notices: the zone data's sources and licences, and the Rust
# crates in the binary.
cp data/licenses/* "$app/LICENSES/"
cp data/README.md "$app/LICENSES/ZONE-DATA-SOURCES.md"
{
    echo "Rust crates compiled into (or used to compile) bin/*/dynamicdns, with their licences."
    echo "The Rust standard library is MIT OR Apache-2.0. Texts: LICENSES/ and each crate's"
    echo "repository (crates.io). Generated by scripts/package.sh from Cargo.lock."
    echo
    cargo tree --locked --offline -e normal --target "$X86_TARGET" --prefix none -f '{p}|{l}' |
        sed -e 's/ (\*)$//' -e 's/ (proc-macro)//' -e 's/ ([^)]*)|/|/' | sort -u |
        awk -F'|' '{printf "%-40s %s\n", $1, $2}'
} >"$app/LICENSES/THIRD-PARTY-CRATES.txt"

# No dotfiles, no local/ or local.meta (AppInspect fails those).
if [ -n "$(find "$app" -name '.*' -o -name local -o -name local.meta)" ]; then
    die "staged app has dotfiles or local config: $(find "$app" -name '.*' -o -name local -o -name local.meta)"
fi
find "$app" -type d -exec chmod 0755 {} +
find "$app" -type f -exec chmod 0644 {} +
find "$app/bin" -type f -exec chmod 0755 {} +
find "$app" -exec touch -h -d "@$epoch" {} +

# --- Archive.
mkdir -p dist
tgz=$REPO/dist/$APP_ID-$version.tgz
tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
    -C "$stage" -cf - "$APP_ID" | gzip -n -9 >"$tgz.tmp"
mv "$tgz.tmp" "$tgz"
(cd dist && sha256sum "${tgz##*/}" >"${tgz##*/}.sha256")
log "wrote ${tgz#"$REPO"/} ($(du -k "$tgz" | cut -f1) KiB, sha256 $(cut -c1-16 "$tgz.sha256")…): $(tar -tzf "$tgz" | grep -c '[^/]$') files; aarch64: $([ -n "$arm_bin" ] && echo yes || echo NO); windows: $([ -n "$win_bin" ] && echo yes || echo NO)"

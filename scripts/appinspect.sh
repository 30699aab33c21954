#!/usr/bin/env bash
# Vets the Splunk app package the way Splunk Cloud does, and checks what
# AppInspect does not:
#
#  1. the tarball against the package manifest (`cargo xtask package
#     check`): one top folder named like app.conf [package] id, no "./"
#     paths, no dotfiles, no links, owner 0/0, modes 0755 for directories
#     and for files under bin/, 0644 for every other file, the launcher and
#     binaries present (aarch64 too when DYNAMICDNS_REQUIRE_AARCH64=1, Windows
#     when DYNAMICDNS_REQUIRE_WINDOWS=1), the icons, navigation and
#     dashboards present, no lookup file users edit (an upgrade would
#     overwrite it);
#  2. Splunk AppInspect (PyPI splunk-appinspect, pinned, installed into a
#     venv under target/tools by this script):
#       splunk-appinspect inspect <tgz> --mode precert --included-tags cloud --ci
#     with --skip-trusted-libraries-update (works offline). Any failure or
#     future failure fails this script, and so does any warning except
#     those of $EXPLAINED_WARNINGS, which app/README.md ("AppInspect")
#     explains. The JUnit report is written to target/appinspect/ (under
#     CARGO_TARGET_DIR when set).
#
# Usage: scripts/appinspect.sh [--all-tags] [PACKAGE.tgz]
#   default package: dist/dynamicdns-<version>.tgz
#   --all-tags   also run every check (no tag filter) and report it (never fails)

# shellcheck source=lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

# AppInspect checks whose warnings the package gets by design: any .py file
# (the launcher), any Windows binary (bin/windows_x86_64/dynamicdns.exe).
EXPLAINED_WARNINGS="check_for_python_script_existence check_that_app_contains_any_windows_specific_components"

all_tags=0
tgz=
for arg in "$@"; do
    case $arg in
        --all-tags) all_tags=1 ;;
        -h | --help)
            sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        -*) die "unknown option '$arg' (see --help)" ;;
        *) tgz=$arg ;;
    esac
done
tgz=${tgz:-$REPO/dist/$APP_ID-$(crate_version).tgz}
[ -f "$tgz" ] || die "no package $tgz (run cargo xtask package first)"
tgz=$(realpath "$tgz")

# --- 1. The archive against the package manifest (xtask/src/package/manifest.rs).
(cd "$REPO" && cargo xtask package check "$tgz")

# --- 2. Splunk AppInspect.
bin=$(ensure_venv appinspect "splunk-appinspect==$APPINSPECT_VERSION")
out=$TARGET_DIR/appinspect
mkdir -p "$out"
skip=()
if "$bin/splunk-appinspect" inspect --help | grep -q -- '--skip-trusted-libraries-update'; then
    skip=(--skip-trusted-libraries-update)
fi

# Prints the report's counts and every non-success; exits 1 if one is not
# an explained warning.
summarise() { # junit-file
    python3 - "$1" "$EXPLAINED_WARNINGS" <<'EOF'
import sys, xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
explained = set(sys.argv[2].split())
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
counts = {k: sum(int(s.get(k, 0) or 0) for s in suites)
          for k in ("tests", "failures", "errors", "skipped", "warnings")}
bad = 0
for case in root.iter("testcase"):
    for el in case:
        # AppInspect writes <failure>/<error> elements, and warnings as
        # <success type="WARNING" message=...> (future failures likewise).
        kind = (el.get("type") or "").upper()
        if el.tag in ("failure", "error", "warning") or kind not in ("", "SUCCESS"):
            ok = kind == "WARNING" and case.get("name") in explained
            bad += not ok
            text = (el.get("message", "") + " " + (el.text or "")).strip().replace("\n", " ")
            note = " (explained in app/README.md)" if ok else ""
            print(f"  {kind or el.tag.upper()}{note}: {case.get('name')}: {text[:600]}")
print("  " + ", ".join(f"{k}={v}" for k, v in counts.items()))
sys.exit(1 if bad else 0)
EOF
}

ver=$("$bin/splunk-appinspect" --version 2>/dev/null || echo "$APPINSPECT_VERSION")
log "splunk-appinspect $ver: inspect ${tgz#"$REPO"/} --mode precert --included-tags cloud --ci ${skip[*]}"
set +e
"$bin/splunk-appinspect" inspect "$tgz" --mode precert --included-tags cloud --ci "${skip[@]}" \
    --data-format junitxml --output-file "$out/appinspect-cloud.xml" --max-messages all \
    >"$out/appinspect-cloud.log" 2>&1
rc=$?
set -e
if [ ! -s "$out/appinspect-cloud.xml" ]; then
    cat "$out/appinspect-cloud.log" >&2
    die "AppInspect wrote no report (exit $rc)"
fi
echo "AppInspect (cloud tag):"
unexplained=0
summarise "$out/appinspect-cloud.xml" || unexplained=1

if [ "$all_tags" = 1 ]; then
    set +e
    "$bin/splunk-appinspect" inspect "$tgz" --mode precert --ci "${skip[@]}" \
        --data-format junitxml --output-file "$out/appinspect-all.xml" --max-messages all \
        >"$out/appinspect-all.log" 2>&1
    rc_all=$?
    set -e
    echo "AppInspect (all checks, informational, exit $rc_all):"
    summarise "$out/appinspect-all.xml" || true
fi

case $rc in
    0) echo "AppInspect: cloud checks passed: 0 failures, 0 warnings (exit 0)" ;;
    101) die "AppInspect: failures (exit 101); report: $out/appinspect-cloud.xml" ;;
    103)
        [ "$unexplained" = 0 ] || die "AppInspect: warnings not explained in app/README.md (exit 103); report: $out/appinspect-cloud.xml"
        echo "AppInspect: cloud checks passed: 0 failures; only the warnings app/README.md explains (exit 103)"
        ;;
    104) die "AppInspect: future failures (exit 104); report: $out/appinspect-cloud.xml" ;;
    *)
        tail -20 "$out/appinspect-cloud.log" >&2
        die "AppInspect could not inspect the package (exit $rc)"
        ;;
esac

#!/usr/bin/env bash
# The app's Enterprise Security content, authored as Splunk's detection YAML
# in detections/ (a contentctl project: correlation searches, the baseline,
# macros, lookups, data sources, the analytic story), validated and built
# with contentctl from PyPI (pinned below; a venv under
# target/tools/contentctl), offline (contentctl.yml sets enrichments: false).
#
# The project is validated and built in a scratch copy under the target
# directory, with the service-hosts CSV taken from lookups/ (one copy of the
# data, in the app) and contentctl's empty content folders added. From
# contentctl's build and detections/app_overlay.conf (what the YAML cannot
# carry), scripts/lib/detections_conf.py writes the app's
# savedsearches.conf, analyticstories.conf and macros.conf.
#
#   scripts/detections.sh              validate, and fail when default/'s
#                                      three files differ from what the YAML
#                                      generates (the diff is shown)
#   scripts/detections.sh --write      regenerate them in default/
#   scripts/detections.sh --emit DIR   write them into DIR (the package)
#   scripts/detections.sh --install-only
# shellcheck source=lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

CONTENTCTL_VERSION=5.6.2

bin=$(ensure_venv contentctl "contentctl==$CONTENTCTL_VERSION")
got=$("$bin/python" -m pip show contentctl 2>/dev/null | sed -n 's/^Version: //p')
[ "$got" = "$CONTENTCTL_VERSION" ] || die "contentctl in $bin is '$got', not $CONTENTCTL_VERSION"
mode=${1:-check}
case $mode in
    --install-only) exit 0 ;;
    check | --write) ;;
    --emit) [ -n "${2:-}" ] || die "usage: scripts/detections.sh --emit DIR" ;;
    *) die "usage: scripts/detections.sh [--write | --emit DIR | --install-only]" ;;
esac

# One scratch folder per mode: the package step (--emit) and the test
# command's check may run at the same time.
work=$TARGET_DIR/detections-${mode#--}
rm -rf "$work"
mkdir -p "$work"
cp -R "$REPO/detections/." "$work/"
for d in app_template baselines dashboards data_sources deployments docs investigations lookups \
    macros playbooks removed reporting stories; do
    mkdir -p "$work/$d"
done
cp "$REPO/lookups/dynamic_dns_service_hosts.csv" "$work/lookups/dynamicdns_service_hosts.csv"
log "contentctl $CONTENTCTL_VERSION validate (detections/, $(find "$REPO/detections/detections" -name '*.yml' | wc -l) detections)"
if ! (cd "$work" && "$bin/contentctl" validate) >"$work.log" 2>&1; then
    grep -v 'Progress:' "$work.log" >&2 || true
    die "contentctl validate failed (log: ${work#"$REPO"/}.log)"
fi
# It prints issues (exit 1) or only its progress bars (exit 0): require the
# detections' bar at 100 % and no issue, so a silent partial run fails too.
if ! grep -q 'DETECTION Progress: \[100%\]' "$work.log" || grep -q 'Validation Issues' "$work.log"; then
    die "contentctl validate did not validate every detection (log: ${work#"$REPO"/}.log)"
fi
log "contentctl validate: ok"

if ! (cd "$work" && "$bin/contentctl" build) >"$work-build.log" 2>&1; then
    grep -v 'Progress:' "$work-build.log" >&2 || true
    die "contentctl build failed (log: ${work#"$REPO"/}-build.log)"
fi
out=$work-app
[ "$mode" = --emit ] && out=$2
mkdir -p "$out"
"$bin/python" "$REPO/scripts/lib/detections_conf.py" "$work/dist/$APP_ID/default" \
    "$REPO/detections/app_overlay.conf" "$out" || die "generating the confs from contentctl's build failed"
files=(savedsearches.conf analyticstories.conf macros.conf)
case $mode in
    --emit) log "generated ${files[*]} into $out" ;;
    --write)
        for f in "${files[@]}"; do cp "$out/$f" "$REPO/default/$f"; done
        log "regenerated default/: ${files[*]}"
        ;;
    check)
        same=1
        for f in "${files[@]}"; do
            diff -u --label "default/$f" --label "generated from detections/" "$REPO/default/$f" "$out/$f" >&2 ||
                same=0
        done
        [ $same = 1 ] || die "default/ differs from what detections/ generates (above): run scripts/detections.sh --write"
        log "default/${files[0]}, ${files[1]} and ${files[2]} are what detections/ generates"
        ;;
esac

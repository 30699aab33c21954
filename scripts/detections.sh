#!/usr/bin/env bash
# Validates the app's Enterprise Security content, authored as Splunk's
# detection YAML in detections/ (a contentctl project: correlation searches,
# macros, the service-hosts lookup, data sources, the analytic story), with
# contentctl from PyPI (pinned below; a venv under target/tools/contentctl),
# offline (contentctl.yml sets enrichments: false).
#
# The project is validated in a scratch copy under the target directory,
# with the lookup's CSV taken from lookups/ (one copy of the data, in the
# app) and contentctl's empty content folders added. Whether the YAML says
# what default/savedsearches.conf, analyticstories.conf and macros.conf say
# is checked here too: contentctl builds its app from the YAML and
# scripts/lib/detections_agree.py compares it with default/.
#
#   scripts/detections.sh [--install-only]
# shellcheck source=lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

CONTENTCTL_VERSION=5.6.2

bin=$(ensure_venv contentctl "contentctl==$CONTENTCTL_VERSION")
got=$("$bin/python" -m pip show contentctl 2>/dev/null | sed -n 's/^Version: //p')
[ "$got" = "$CONTENTCTL_VERSION" ] || die "contentctl in $bin is '$got', not $CONTENTCTL_VERSION"
[ "${1:-}" = --install-only ] && exit 0

work=$TARGET_DIR/detections-validate
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

# The app's default/ confs are kept by hand (contentctl's own output lacks
# what the app needs: per-search schedules and suppression, notable titles,
# _entities, the kept filter macro names, the app's transforms.conf), so
# contentctl builds its app from the YAML and the confs must say the same.
if ! (cd "$work" && "$bin/contentctl" build) >"$work-build.log" 2>&1; then
    grep -v 'Progress:' "$work-build.log" >&2 || true
    die "contentctl build failed (log: ${work#"$REPO"/}-build.log)"
fi
"$bin/python" "$REPO/scripts/lib/detections_agree.py" "$work/dist/$APP_ID/default" "$REPO/default" ||
    die "default/ and detections/ disagree (above): change both, or regenerate one from the other"
log "contentctl build: default/savedsearches.conf, analyticstories.conf and macros.conf agree with detections/"

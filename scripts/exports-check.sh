#!/usr/bin/env bash
# Checks `dynamicdns zones export` with each platform's real parser or
# engine (the pure-Rust checks are in `cargo test`, tests/export.rs):
#
#   kql       Microsoft's Kusto.Language (npm @kusto/language-service-next)
#             parses and analyses the queries; duckdb-kql executes the core
#             query on the policy table
#   suricata  Suricata 7 (Debian backports) loads every rule set (-T) and
#             replays generated pcaps (DNS, TLS SNI, HTTP Host) for content
#             and dataset rules
#   zeek      zeekscript (Zeek's tree-sitter grammar) parses both scripts;
#             the zone table is read back from the syntax tree; parsezeeklogs
#             reads the zones TSV
#   sigma     pySigma parses, validates (offline validators) and converts the
#             rules (Splunk, Lucene, SQLite); SQLite runs them
#   misp      PyMISPWarningLists validates the lists against its bundled
#             misp-warninglists schema and matches the policy hosts
#   elastic   the pipeline's Painless scripts, compiled and run as Java with
#             an enrich emulation (no Elasticsearch is installable here)
#
# Verdicts are compared with `dynamicdns check` on the policy table of
# tests/util/policy.rs. Installs what it needs, pinned, under $TOOLS
# (target/tools; DYNAMICDNS_TOOLS keeps it across clones): a venv from
# scripts/lib/exports-requirements.txt, the npm package, and with root the
# Debian packages suricata (from <codename>-backports, added by copying the
# machine's own Debian source entry) and a JDK when javac is missing.
# A tool that cannot be installed is a loud skip; with CI=true it fails.
#
# Usage: scripts/exports-check.sh [--only kql-parse,kql-execute,suricata-syntax,
#                                   suricata-replay,zeek,sigma,misp,elastic]
#   DYNAMICDNS_BIN=path   the binary to check (default: the debug build in cargo's
#                         target directory, target/debug/dynamicdns,
#                         built if missing)

set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO"

KUSTO_NPM_VERSION=12.4.1 # npm @kusto/language-service-next

only=()
case "${1:-}" in
    --only) only=(--only "$2") ;;
    -h | --help)
        sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    "") ;;
    *) die "unknown argument '$1' (see --help)" ;;
esac

start=$(date +%s)
missing=()

# --- Python tools: one venv, rebuilt when the requirements change.
venv=$TOOLS/exports-venv
req=scripts/lib/exports-requirements.txt
stamp=$(sha256sum "$req" | cut -c1-16)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.installed" 2>/dev/null)" != "$stamp" ]; then
    log "installing the Python tools of $req into ${venv#"$REPO"/} (PyPI)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$stamp" >"$venv/.installed"
fi

# --- Kusto.Language from npm.
npm_prefix=$TOOLS/exports-npm
if command -v npm >/dev/null; then
    if [ "$(cat "$npm_prefix/.installed" 2>/dev/null)" != "$KUSTO_NPM_VERSION" ]; then
        log "installing @kusto/language-service-next@$KUSTO_NPM_VERSION into ${npm_prefix#"$REPO"/} (npm)"
        rm -rf "$npm_prefix"
        mkdir -p "$npm_prefix"
        npm install --silent --no-audit --no-fund --prefix "$npm_prefix" \
            "@kusto/language-service-next@$KUSTO_NPM_VERSION" >/dev/null
        echo "$KUSTO_NPM_VERSION" >"$npm_prefix/.installed"
    fi
else
    missing+=("node/npm (Kusto.Language)")
fi

# --- Suricata 7 from Debian backports (not in bookworm's main suite). The
# backports entry is a copy of the machine's own Debian entry (its URIs and
# Signed-By), so no archive host is named here; it is removed afterwards.
install_suricata() {
    can_use_apt || return 1
    # shellcheck disable=SC1091
    local codename
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$codename" ] || return 1
    local list=/etc/apt/sources.list.d/dynamicdns-exports-backports.sources
    local src uris signed
    for src in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
        [ -f "$src" ] || continue
        # The stanza whose Suites has the bare codename (not -security).
        IFS=$'\t' read -r uris signed < <(awk -v c="$codename" '
            BEGIN { RS = ""; FS = "\n" }
            {
                u = ""; s = ""; ok = 0
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/) { u = $i; sub(/^URIs: */, "", u) }
                    if ($i ~ /^Signed-By:/) { s = $i; sub(/^Signed-By: */, "", s) }
                    if ($i ~ /^Suites:/) { n = split(substr($i, 8), w, " "); for (j = 1; j <= n; j++) if (w[j] == c) ok = 1 }
                }
                if (ok && u != "") { print u "\t" (s == "" ? "-" : s); exit }
            }' "$src") || true
        [ -n "${uris:-}" ] && break
    done
    if [ -z "${uris:-}" ] && [ -f /etc/apt/sources.list ]; then
        # One-line style: deb [signed-by=…] URI codename main
        uris=$(awk -v c="$codename" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i == c) { print $(i - 1); exit } }' /etc/apt/sources.list)
        signed=-
    fi
    [ -n "${uris:-}" ] || return 1
    {
        echo "Types: deb"
        echo "URIs: $uris"
        echo "Suites: $codename-backports"
        echo "Components: main"
        [ "$signed" = - ] || echo "Signed-By: $signed"
    } >"$list"
    log "installing suricata from $codename-backports (Debian)"
    local ok=0
    apt-get -qq update >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends \
            -t "$codename-backports" suricata >/dev/null && ok=1
    rm -f "$list"
    [ "$ok" = 1 ]
}
if ! command -v suricata >/dev/null; then
    install_suricata || true
fi
if command -v suricata >/dev/null; then
    suricata -V | grep -q 'version 7\.' || log "warning: $(suricata -V) (the checks were written for Suricata 7)"
else
    missing+=("suricata")
fi

# --- A JDK for the Painless scripts.
if ! command -v javac >/dev/null && can_use_apt; then
    log "installing a JDK (Debian default-jdk-headless)"
    DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends default-jdk-headless >/dev/null ||
        { apt-get -qq update >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends default-jdk-headless >/dev/null; } ||
        true
fi
command -v javac >/dev/null || missing+=("javac")

installed=$(date +%s)

bin=${DYNAMICDNS_BIN:-$TARGET_DIR/debug/dynamicdns}
if [ -z "${DYNAMICDNS_BIN:-}" ]; then
    cargo build --locked --quiet --bin dynamicdns
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
PATH="$venv/bin:$PATH" EXPORTS_NODE_PREFIX="$npm_prefix" \
    "$venv/bin/python" scripts/lib/exports_check.py "$bin" "$work" "${only[@]}" || status=$?
end=$(date +%s)
log "tools $((installed - start)) s, checks $((end - installed)) s"

if [ "${#missing[@]}" -gt 0 ]; then
    log "SKIPPED (could not install): ${missing[*]}"
    [ "${CI:-}" != true ] || die "CI=true: every export check must run"
fi
exit "$status"

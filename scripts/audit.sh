#!/usr/bin/env bash
# Supply-chain audit of Cargo.lock with cargo-deny (pinned, installed from
# crates.io under target/tools/cargo-deny):
# - always: licenses (deny.toml's allow list), bans (duplicates reported,
#   wildcards denied), sources (crates.io only);
# - advisories (RustSec) when the advisory database can be had: from a git
#   checkout of github.com/rustsec/advisory-db at $DYNAMICDNS_ADVISORY_DB,
#   else fetched from GitHub. Where neither works (no GitHub access, as on
#   the build machine) the check is skipped with a loud note, or fails with
#   --require-advisories.
#
#   scripts/audit.sh [--require-advisories]
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

CARGO_DENY_VERSION=0.20.2

require=0
case ${1-} in
    --require-advisories) require=1 ;;
    '') ;;
    *) die "unknown argument $1" ;;
esac

root=$TOOLS/cargo-deny
deny=$root/bin/cargo-deny
if [ ! -x "$deny" ] || [ "$("$deny" --version 2>/dev/null)" != "cargo-deny $CARGO_DENY_VERSION" ]; then
    log "installing cargo-deny $CARGO_DENY_VERSION into ${root#"$REPO"/} (crates.io)"
    # --debug: a third of the build time (1.5 min instead of several on 2
    # cores), and checking two small lock files takes about a second anyway.
    cargo install --quiet --locked --debug --force --root "$root" cargo-deny --version "$CARGO_DENY_VERSION"
fi

cd "$REPO"
for manifest in Cargo.toml fuzz/Cargo.toml; do
    log "licenses, bans, sources: $manifest"
    "$deny" --manifest-path "$manifest" --config "$REPO/deny.toml" --locked --offline check \
        licenses bans sources
done

# Advisories: from a local copy of the database (a git checkout), else
# fetched from GitHub.
cfg=$REPO/deny.toml
if [ -n "${DYNAMICDNS_ADVISORY_DB:-}" ]; then
    cfg=$TOOLS/deny-local-db.toml
    sed "s|^db-urls = .*|db-urls = [\"file://$DYNAMICDNS_ADVISORY_DB\"]|" "$REPO/deny.toml" >"$cfg"
fi
if timeout 30 "$deny" --manifest-path Cargo.toml --config "$cfg" fetch db >/dev/null 2>&1; then
    have_db=1
else
    have_db=0
fi
if [ "$have_db" = 1 ]; then
    for manifest in Cargo.toml fuzz/Cargo.toml; do
        log "advisories: $manifest"
        "$deny" --manifest-path "$manifest" --config "$cfg" --locked --offline check advisories
    done
else
    log "WARNING: the RustSec advisory database could not be fetched (github.com unreachable?)"
    log "WARNING: advisories NOT checked; set DYNAMICDNS_ADVISORY_DB to a copy of rustsec/advisory-db"
    [ "$require" = 0 ] || die "advisories required but not checked"
fi
log "audit passed"

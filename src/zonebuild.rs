//! Rebuilds the shipped zone list, `lookups/dynamic_dns_providers.csv`, and
//! its two companion reports from the sources vendored under `data/`, byte
//! for byte reproducibly (`dynamicdns zones build`).
//!
//! # Inputs (all under the data directory)
//!
//! - `sources/<name>.csv`, one file per source (see [`SOURCES`] for the
//!   list and the precedence order): a header row with at least the columns
//!   `zone` and `provider` (and `source_ref` for `maltrail`; other columns
//!   are ignored), then one row per zone. The zones are already normalised
//!   (lower case, punycode): this module validates them and does not repair
//!   them.
//! - `suspicious.csv`: columns `zone` and `reason` (others ignored): zones
//!   that are probably not dynamic DNS, with the research's reasons, resolved
//!   by rule 8 below.
//! - `psl_provider_category.json`: `{"provider": "category", …}` for the
//!   PSL blocks classified by hand.
//! - `providers.csv`: columns `provider` and `category` (others ignored);
//!   its names are the canonical spellings of providers.
//!
//! `data/README.md` gives the origin and licence of each file.
//!
//! # Outputs ([`build`] returns all three as [`Built`])
//!
//! - the **lookup** (`lookups/dynamic_dns_providers.csv`): header
//!   `zone,provider,category,tier,sources`, one row per zone;
//! - the **excluded zones** (`lookups/dynamic_dns_excluded.csv`): header
//!   `zone,reason,sources`, every zone some source names but rule 8
//!   excludes, with the rule and the research's reason;
//! - the **resolution** of `suspicious.csv` (`data/suspicious_resolution.csv`):
//!   header `zone,decision,reason`, one row per suspicious zone with the
//!   decision (`exclude`, `extended`, `keep` or `absent`) and the rules that
//!   made it.
//!
//! All three are sorted bytewise by zone, with LF line endings and quoting
//! only where needed; `sources` is the `;`-joined, sorted list of the sources
//! (file stems) that name the zone. The same inputs always give the same
//! bytes.
//!
//! # Rules
//!
//! 1. **Validity.** Every zone must be lower-case `label(.label)+` with labels
//!    of 1 to 63 bytes from `[a-z0-9_-]`, at most 253 bytes, and a last label
//!    that is not all digits (no IP literal, no numeric TLD). A file must not
//!    name a zone twice. A bad row is an error naming the file and line.
//! 2. **Union.** The list is the union of the zones of all sources, minus
//!    the zones rule 8 excludes.
//! 3. **Provider.** A zone's provider is the first one named in precedence
//!    order: the provider-owned sources first — `psl` (PSL block headers,
//!    submitted by the providers) > `dyn_dns_list` > `sublime` (both scraped
//!    from the providers' own sign-up pages) — then the curated ones —
//!    `et_open` (rule message or reference URL) > `maltrail` (only rows whose
//!    `source_ref` ends in `[basis: provider page reference]`) > `seed_kql`.
//!    `maltrail` rows marked `[basis: heuristic …]` (sections built from
//!    passive DNS, shared name servers or whois) never name a provider;
//!    `misp`, `security_content`, `sigma` and `nolovia` have no provider
//!    column worth reading (it is ignored). A `maltrail` row without a
//!    known basis tag, or whose tag contradicts its provider column, is an
//!    error.
//! 4. **Harmonised names.** Provider names are harmonised before they are
//!    compared or written: whitespace is collapsed, a small alias table maps
//!    known variants (`noip`, `No-IP.com` → `No-IP`; `dyn.com`, `DynDNS Pro`
//!    → `Dyn (DynDNS)` …), and a name equal, ignoring case, to one in
//!    `providers.csv` or `psl_provider_category.json` takes that spelling.
//!    Any other name is kept as given.
//! 5. **Seed.** The seed's "provider" column holds display names that are
//!    really zone names (`DDNS.net`, `FreeDDNS`, `GotDNS` …), so for
//!    `seed_kql` rows the provider comes from a table keyed by zone, with the
//!    real provider as the other sources name it (`ddns.net` → No-IP, as the
//!    PSL's No-IP block says; `freeddns.org` → Dynu; `freedynamicdns.org` and
//!    `.net` → No-IP; `publicvm.com` → `DNSExit` …). A seed zone not in that
//!    table falls back to its harmonised display name.
//! 6. **Category.** A zone's category is its provider's category from
//!    `psl_provider_category.json` or `providers.csv` (the two must agree):
//!    `ddns`, `vendor-ddns` (device vendors' DDNS: Synology, QNAP, AVM …) or
//!    `vpn-vendor` (VPN products' DDNS: `SoftEther`, `AirVPN`); `ddns` when
//!    the provider is unknown or empty.
//! 7. **Tier.** A zone is `core` when at least one source names it with
//!    evidence of being a DDNS zone:
//!    - a `psl` row (a provider declared it);
//!    - a `dyn_dns_list` or `sublime` row naming a provider other than
//!      FreeDNS (afraid.org) — the provider lists its own zone;
//!    - an `et_open` row (an analyst wrote a rule for the zone);
//!    - a `maltrail` row with a provider-page reference;
//!    - a `seed_kql` row.
//!
//!    Every other zone is `extended`: the FreeDNS (afraid.org) shared-domain
//!    registry (ordinary domains whose owners share them, as
//!    `dyn_dns_list`/`sublime` list them), and zones named only by `misp`,
//!    `security_content`, `sigma`, `nolovia` or by `maltrail` sections
//!    without a provider reference (heuristic or unreferenced). Rule 8 may
//!    move a zone from `core` to `extended`, never the other way. This is
//!    the core suggested by the zone research (PSL ∪ ET ∪ maltrail provider
//!    pages ∪ non-FreeDNS provider lists); the seed adds no zone of its own.
//! 8. **Suspicious zones.** Each `suspicious.csv` row is resolved by rule
//!    from its `reason` text, never dropped blindly. The reason is split at
//!    each `;` outside parentheses; each part must start with one of the
//!    phrases of [`SUSPICION_RULES`] (ignoring case), else the build fails
//!    naming the line. Each phrase gives a decision or none (informational); the
//!    strongest decision of the row wins (`exclude` > `extended` > `keep`),
//!    and a row with no deciding phrase is an error. The decisions:
//!    - **exclude** (the zone leaves the lookup and is written to the
//!      excluded list): tunnels and port mappers (`portmap.io`,
//!      `gl.at.ply.gg`, `loophole.site`, `nat123.cc` …), wildcard-IP DNS
//!      (`nip.io`), free web hosting and free subdomain registries
//!      (maltrail's `free_web_hosting` list, `comxa.com`, `cjb.net`, SpaceWeb,
//!      `usa.cc`), provider corporate domains (`no-ip.com`, `noip.com`,
//!      `dyndns.com`, `dnsexit.com`, `changeip.com`, `tzo.com` … — the
//!      provider's own site and update API, not user hosts), DNS-hosting
//!      companies and DNS infrastructure (`easydns.*`, `dnsmadeeasy.com`,
//!      `dnsomatic.com`), ISPs and carriers (`surfnet.ca`, `free.fr` …),
//!      PSL private suffixes of non-DDNS operators (`eu.org`, `gb.net`,
//!      `now.sh`, `dpdns.org` …) and unrelated companies (`linode.com`,
//!      `garenanow.com`, `forcepoint.com`, `blockscout.com`);
//!    - **extended** (kept, but never `core`): government/education domains
//!      (`*.go.id`, `*.gob.mx`, `govt.hu` …: FreeDNS registry members, so
//!      anyone can create hosts below them, but the owner's own hosts are
//!      most of the traffic — kept for recall, out of the precision tier),
//!      and popular sites (Tranco top 50k) without provider-owned evidence:
//!      real vendor DDNS such as `asuscomm.com`, `tplinkdns.com`,
//!      `fortiddns.com`, `kro.kr`, but popularity means much benign traffic
//!      below the zone (`cloudns.net` is name servers, `dynu.com` the
//!      provider's site and API);
//!    - **keep** (ordinary tier): VPN vendor DDNS (`softether.net`) — which
//!      is also popular, hence `extended`;
//!    - **absent**: a suspicious zone that no vendored source names (the
//!      hagezi-only rows) is only reported, with the decision it would get.
//!
//! # Known provider disagreements (resolved by precedence)
//!
//! - `16-b.it`, `32-b.it`, `64-b.it`: PSL says OpenHost (the registry),
//!   `dyn_dns_list` and ET say Now-DNS (which sells them) → OpenHost.
//! - `duckdns.org`: ET's reference URL says `ChangeIP` — an ET data error;
//!   PSL (and maltrail, the seed) say `DuckDNS` → `DuckDNS`.
//! - `dnsget.org`, `tftpd.net`: `dyn_dns_list` and ET say Now-DNS (today's
//!   owner), maltrail says `DNSdynamic` (the historic one) → Now-DNS.
//! - `apps.dj`: `dyn_dns_list` says FreeDNS, ET says `ChangeIP` → FreeDNS.
//! - `dtdns.org` (Now-DNS vs `DtDNS`) is no disagreement here: maltrail's
//!   `DtDNS` rows are heuristic.
//!
//! The unit tests pin this list, so a new disagreement is noticed.
//!
//! # Adding a source
//!
//! Vendor `data/sources/<name>.csv` (and its licence, in `data/README.md`)
//! and insert the source in [`SOURCES`] at its place in the precedence
//! order, with its [`Kind`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// File name of the lookup, in the app's `lookups/` folder.
pub const LOOKUP_FILE_NAME: &str = "dynamic_dns_providers.csv";
/// File name of the excluded-zones report, beside the lookup.
pub const EXCLUDED_FILE_NAME: &str = "dynamic_dns_excluded.csv";
/// File name of the resolution of `suspicious.csv`, in the data directory.
pub const RESOLUTION_FILE_NAME: &str = "suspicious_resolution.csv";

/// The three files one build produces, as exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The zone list, `lookups/dynamic_dns_providers.csv`: columns
    /// `zone,provider,category,tier,sources`.
    pub lookup: Vec<u8>,
    /// The zones some source names but the suspicious-zone rules exclude,
    /// `lookups/dynamic_dns_excluded.csv`: columns `zone,reason,sources`.
    pub excluded: Vec<u8>,
    /// How each row of `suspicious.csv` was resolved,
    /// `data/suspicious_resolution.csv`: columns `zone,decision,reason`,
    /// decision `exclude`, `extended`, `keep` or `absent`.
    pub resolution: Vec<u8>,
}

impl Built {
    /// The files with their paths relative to the repository root (the
    /// data directory being `data/`), in the order lookup, excluded,
    /// resolution.
    pub fn files(&self) -> [(String, &[u8]); 3] {
        [
            (format!("lookups/{LOOKUP_FILE_NAME}"), &self.lookup),
            (format!("lookups/{EXCLUDED_FILE_NAME}"), &self.excluded),
            (format!("data/{RESOLUTION_FILE_NAME}"), &self.resolution),
        ]
    }
}

/// An error while building the lookup. The message names the file, the line
/// when there is one, and the problem.
#[derive(Debug, thiserror::Error)]
pub enum ZoneBuildError {
    /// A file could not be read.
    #[error("{}: cannot read: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// A problem with a file as a whole, such as a missing column.
    #[error("{}: {problem}", .path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A problem with one line of a file, such as an invalid zone.
    #[error("{}: line {line}: {problem}", .path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// The 1-based line number (the header is line 1).
        line: u64,
        /// What is wrong.
        problem: String,
    },
    /// Serialising an output failed.
    #[error("writing the lookup CSV: {0}")]
    Write(String),
}

/// What a source is, which decides how its rows name providers and whether
/// they are evidence for the `core` tier (module rules 3, 5 and 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Submitted by the providers themselves (the PSL): the `provider`
    /// column names the provider; every row is core evidence.
    ProviderSubmitted,
    /// Scraped from the providers' own pages: the `provider` column names
    /// the provider; a row is core evidence unless its provider is empty or
    /// FreeDNS (afraid.org), whose registry is the extended long tail.
    ProviderPages,
    /// Curated detection rules (ET Open): the `provider` column names the
    /// provider, possibly empty; every row is core evidence.
    CuratedRules,
    /// maltrail's sections: `source_ref` ends in `[basis: …]`; only rows
    /// with a provider-page reference name a provider and are core
    /// evidence.
    MaltrailSections,
    /// The project brief's seed: display names that are zone names, mapped
    /// by [`SEED_ZONE_PROVIDERS`]; every row is core evidence.
    Seed,
    /// Zones only (`provider` ignored); never core evidence.
    ZonesOnly,
}

/// One vendored source: `data/sources/<name>.csv`.
#[derive(Debug)]
pub struct Source {
    /// The file stem, also the name written in the `sources` column.
    pub name: &'static str,
    /// How its rows are read.
    pub kind: Kind,
}

/// The sources, in precedence order for provider attribution.
pub const SOURCES: &[Source] = &[
    Source { name: "psl", kind: Kind::ProviderSubmitted },
    Source { name: "dyn_dns_list", kind: Kind::ProviderPages },
    Source { name: "sublime", kind: Kind::ProviderPages },
    Source { name: "et_open", kind: Kind::CuratedRules },
    Source { name: "maltrail", kind: Kind::MaltrailSections },
    Source { name: "seed_kql", kind: Kind::Seed },
    Source { name: "misp", kind: Kind::ZonesOnly },
    Source { name: "security_content", kind: Kind::ZonesOnly },
    Source { name: "sigma", kind: Kind::ZonesOnly },
    Source { name: "nolovia", kind: Kind::ZonesOnly },
];

/// The canonical name of FreeDNS, whose shared-domain registry is the
/// extended tier.
const FREEDNS: &str = "FreeDNS (afraid.org)";

/// Known variant spellings (lower case, single spaces) → canonical name as
/// spelled in `providers.csv`. Names that differ from a canonical one only in
/// case need no entry here.
const PROVIDER_ALIASES: &[(&str, &str)] = &[
    ("no-ip.com", "No-IP"),
    ("noip", "No-IP"),
    ("noip.com", "No-IP"),
    ("no ip", "No-IP"),
    ("dyn", "Dyn (DynDNS)"),
    ("dyn.com", "Dyn (DynDNS)"),
    ("dyndns", "Dyn (DynDNS)"),
    ("dyndns.com", "Dyn (DynDNS)"),
    ("dyndns pro", "Dyn (DynDNS)"),
    ("afraid.org", FREEDNS),
    ("freedns", FREEDNS),
    ("freedns.afraid.org", FREEDNS),
    ("changeip.com", "ChangeIP"),
    ("now-dns.com", "Now-DNS"),
    ("nowdns", "Now-DNS"),
    ("dynu.com", "Dynu"),
    ("pubyun", "Pubyun (3322.org)"),
    ("pubyun.com", "Pubyun (3322.org)"),
    ("3322", "Pubyun (3322.org)"),
    ("3322.org", "Pubyun (3322.org)"),
    ("3223", "Pubyun (3322.org)"),
    ("dnsexit.com", "DNSExit"),
    ("dynv6.com", "dynv6"),
    ("gslb", "GSLB.me"),
    ("duiadns.net", "DuiaDNS"),
    ("cloudns.net", "ClouDNS"),
    ("ydns.eu", "YDNS"),
    ("ydns.io", "YDNS"),
    ("duckdns.org", "DuckDNS"),
];

/// The real provider of each zone in the `seed_kql` source, whose provider
/// column holds display names (mostly zone names). Evidence, from the other
/// vendored sources (zone-data.md §2):
/// - No-IP: the PSL No-IP block lists `3utilities.com`, `bounceme.net`,
///   `ddns.net`, `gotdns.ch`, `hopto.org`, `myftp.org`, `myvnc.com`,
///   `serveftp.com`, `servegame.com`, `zapto.org`; `dyn_dns_list` (and ET's
///   reference URLs) give `freedynamicdns.net`/`.org` to No-IP;
/// - Dynu: PSL and `dyn_dns_list` for `freeddns.org`;
/// - `DuckDNS`: PSL for `duckdns.org`;
/// - `DNSExit`: `dyn_dns_list` for `publicvm.com`.
pub const SEED_ZONE_PROVIDERS: &[(&str, &str)] = &[
    ("3utilities.com", "No-IP"),
    ("bounceme.net", "No-IP"),
    ("ddns.net", "No-IP"),
    ("duckdns.org", "DuckDNS"),
    ("freeddns.org", "Dynu"),
    ("freedynamicdns.net", "No-IP"),
    ("freedynamicdns.org", "No-IP"),
    ("gotdns.ch", "No-IP"),
    ("hopto.org", "No-IP"),
    ("myftp.org", "No-IP"),
    ("myvnc.com", "No-IP"),
    ("publicvm.com", "DNSExit"),
    ("serveftp.com", "No-IP"),
    ("servegame.com", "No-IP"),
    ("zapto.org", "No-IP"),
];

/// What the resolution of a suspicious zone does (module rule 8). The order
/// is the strength: the strongest decision of a row's reasons wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Decision {
    /// Keep the zone, tier by the ordinary rule.
    Keep,
    /// Keep the zone in the `extended` tier.
    Extended,
    /// Leave the zone out of the lookup; list it as excluded.
    Exclude,
}

impl Decision {
    /// The decision as written in the resolution file.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Extended => "extended",
            Decision::Exclude => "exclude",
        }
    }
}

/// One phrase a part of a suspicious zone's reason may start with.
#[derive(Debug)]
pub struct SuspicionRule {
    /// The phrase (lower case), matched against the start of a reason part
    /// ignoring case.
    pub phrase: &'static str,
    /// What the phrase decides; `None` for informational phrases.
    pub decision: Option<Decision>,
    /// The rule's name, written in the outputs.
    pub label: &'static str,
}

const TUNNEL: &str = "tunnel or port-mapping service, not DDNS";
const WILDCARD_IP: &str = "wildcard DNS for IP addresses, not DDNS";
const FREE_HOSTING: &str = "free web hosting or free subdomain registry, not DDNS";
const CORPORATE: &str = "provider corporate domain (site and update API, no user hosts)";
const DNS_HOSTING: &str = "DNS hosting company or DNS infrastructure, not DDNS";
const ISP: &str = "ISP or carrier domain";
const PSL_NON_DDNS: &str = "PSL private suffix of a non-DDNS operator";
const UNRELATED: &str = "unrelated company or site";
const GOV_EDU: &str = "government/education domain (FreeDNS registry member): extended only";
const POPULAR: &str = "popular site without provider-owned evidence: extended only";
const VPN_VENDOR: &str = "VPN vendor DDNS: kept";
const INFORMATIONAL: &str = "listed as a free subdomain host (informational)";

/// The phrases of `suspicious.csv` reasons and what they decide (module
/// rule 8). A reason part matching none of them fails the build.
pub const SUSPICION_RULES: &[SuspicionRule] = &[
    rule("tunnelling service", Decision::Exclude, TUNNEL),
    rule("port-mapping/tunnelling service", Decision::Exclude, TUNNEL),
    rule("ipv6 tunnel broker", Decision::Exclude, TUNNEL),
    rule("also listed in maltrail suspicious/port_proxy.txt", Decision::Exclude, TUNNEL),
    rule("wildcard dns for ip addresses", Decision::Exclude, WILDCARD_IP),
    rule("free web hosting", Decision::Exclude, FREE_HOSTING),
    rule(
        "also listed in maltrail suspicious/free_web_hosting.txt",
        Decision::Exclude,
        FREE_HOSTING,
    ),
    rule("free/test hosting subdomains", Decision::Exclude, FREE_HOSTING),
    rule("free subdomain registry", Decision::Exclude, FREE_HOSTING),
    rule("provider corporate domain", Decision::Exclude, CORPORATE),
    rule("dns hosting company domain", Decision::Exclude, DNS_HOSTING),
    rule("dns update relay", Decision::Exclude, DNS_HOSTING),
    rule("dyn managed-dns infrastructure domain", Decision::Exclude, DNS_HOSTING),
    rule("isp domain", Decision::Exclude, ISP),
    rule("isp / portal domain", Decision::Exclude, ISP),
    rule("carrier domain", Decision::Exclude, ISP),
    rule("psl private suffix of a non-ddns operator", Decision::Exclude, PSL_NON_DDNS),
    rule("security vendor corporate domain", Decision::Exclude, UNRELATED),
    rule("game company domain", Decision::Exclude, UNRELATED),
    rule("cloud hosting company domain", Decision::Exclude, UNRELATED),
    rule("blockchain explorer site", Decision::Exclude, UNRELATED),
    rule("government/education domain", Decision::Extended, GOV_EDU),
    rule("popular site (tranco rank", Decision::Extended, POPULAR),
    rule("vpn vendor ddns", Decision::Keep, VPN_VENDOR),
    SuspicionRule {
        phrase: "listed as a free subdomain host",
        decision: None,
        label: INFORMATIONAL,
    },
    SuspicionRule {
        phrase: "only checkip/updates live here",
        decision: None,
        label: "only check-IP and update hosts live there (informational)",
    },
];

/// A deciding [`SuspicionRule`].
const fn rule(phrase: &'static str, decision: Decision, label: &'static str) -> SuspicionRule {
    SuspicionRule { phrase, decision: Some(decision), label }
}

/// The category of a zone whose provider is unknown or has none.
const DEFAULT_CATEGORY: &str = "ddns";

/// The header of the lookup.
const LOOKUP_HEADER: [&str; 5] = ["zone", "provider", "category", "tier", "sources"];
/// The header of the excluded-zones report.
const EXCLUDED_HEADER: [&str; 3] = ["zone", "reason", "sources"];
/// The header of the resolution report.
const RESOLUTION_HEADER: [&str; 3] = ["zone", "decision", "reason"];

/// Builds the lookup CSV from the vendored sources in `data_dir` (the
/// repository's `data/`) and returns its exact bytes: the `lookup` of
/// [`build`].
///
/// # Errors
///
/// As [`build`].
pub fn build_lookup(data_dir: &Path) -> Result<Vec<u8>, ZoneBuildError> {
    build(data_dir).map(|built| built.lookup)
}

/// Builds the lookup, the excluded-zones report and the resolution of
/// `suspicious.csv` from the vendored files in `data_dir` (the repository's
/// `data/`); see the module documentation for the inputs, rules and
/// formats.
///
/// # Errors
///
/// [`ZoneBuildError`] when a file is missing or unreadable, lacks a column,
/// is not valid CSV/JSON, holds an invalid or duplicate zone, a `maltrail`
/// row without a valid basis tag, a suspicious reason no rule knows, or when
/// the two category files disagree.
pub fn build(data_dir: &Path) -> Result<Built, ZoneBuildError> {
    let names = Names::load(data_dir)?;
    let mut zones = merge(data_dir, &names)?;
    let suspicious_path = data_dir.join("suspicious.csv");
    let suspicious = read_suspicious(&suspicious_path)?;

    let mut excluded = Vec::new();
    let mut resolution = Vec::with_capacity(suspicious.len());
    for row in suspicious {
        let decision = row.decision.as_str();
        let Some(merged) = zones.get_mut(&row.zone) else {
            let reason =
                format!("named by no vendored source (would be {decision}: {})", row.labels);
            resolution.push([row.zone, "absent".to_string(), reason]);
            continue;
        };
        match row.decision {
            Decision::Keep => {}
            Decision::Extended => merged.core = false,
            Decision::Exclude => {
                let sources = merged.sources_column();
                zones.remove(&row.zone);
                let reason = format!("{} (suspicious.csv: {})", row.labels, row.reason);
                excluded.push([row.zone.clone(), reason, sources]);
            }
        }
        resolution.push([row.zone, decision.to_string(), row.labels]);
    }
    excluded.sort();
    resolution.sort();

    let mut lookup = Csv::new(LOOKUP_HEADER)?;
    for (zone, merged) in &zones {
        let provider = merged.provider();
        let category =
            if provider.is_empty() { DEFAULT_CATEGORY } else { names.category_of(provider) };
        let tier = if merged.core { "core" } else { "extended" };
        lookup.row([zone.as_str(), provider, category, tier, &merged.sources_column()])?;
    }
    let mut excluded_csv = Csv::new(EXCLUDED_HEADER)?;
    for row in &excluded {
        excluded_csv.row(row)?;
    }
    let mut resolution_csv = Csv::new(RESOLUTION_HEADER)?;
    for row in &resolution {
        resolution_csv.row(row)?;
    }
    Ok(Built {
        lookup: lookup.finish()?,
        excluded: excluded_csv.finish()?,
        resolution: resolution_csv.finish()?,
    })
}

/// What the sources say about one zone.
#[derive(Debug, Default)]
struct Merged {
    /// Each source naming a provider for the zone, with that (harmonised)
    /// provider, in precedence order.
    claims: Vec<(&'static str, String)>,
    /// Whether some source names the zone with core evidence.
    core: bool,
    /// The sources naming the zone (sorted).
    sources: BTreeSet<&'static str>,
}

impl Merged {
    /// The provider: the first claim in precedence order, or empty.
    fn provider(&self) -> &str {
        self.claims.first().map_or("", |(_, provider)| provider.as_str())
    }

    /// The `sources` column: sorted, `;`-joined.
    fn sources_column(&self) -> String {
        self.sources.iter().copied().collect::<Vec<_>>().join(";")
    }
}

/// Reads every source and merges them by zone (rules 1 to 5 and 7).
fn merge(data_dir: &Path, names: &Names) -> Result<BTreeMap<String, Merged>, ZoneBuildError> {
    let mut zones: BTreeMap<String, Merged> = BTreeMap::new();
    for source in SOURCES {
        let path = data_dir.join("sources").join(format!("{}.csv", source.name));
        for row in read_source(&path, source.kind)? {
            let claim =
                claim(source.kind, &row, names).map_err(|p| line_error(&path, row.line, p))?;
            let merged = zones.entry(row.zone).or_default();
            if !claim.provider.is_empty() {
                merged.claims.push((source.name, claim.provider));
            }
            merged.core |= claim.core;
            merged.sources.insert(source.name);
        }
    }
    Ok(zones)
}

/// What one source row says: a provider (possibly empty) and whether it is
/// core evidence.
#[derive(Debug)]
struct Claim {
    provider: String,
    core: bool,
}

/// The basis tag of a `maltrail` row's `source_ref`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Basis {
    /// `[basis: provider page reference]`: the section cites the provider.
    ProviderPage,
    /// `[basis: heuristic …]`: passive DNS, name servers, whois.
    Heuristic,
    /// `[basis: no provider]`: a section without a reference.
    NoProvider,
}

/// The basis tag at the end of a `maltrail` `source_ref`, if it has a known
/// one.
fn maltrail_basis(source_ref: &str) -> Option<Basis> {
    let start = source_ref.rfind("[basis: ")?;
    let tag = source_ref[start + "[basis: ".len()..].strip_suffix(']')?;
    match tag {
        "provider page reference" => Some(Basis::ProviderPage),
        "no provider" => Some(Basis::NoProvider),
        _ if tag.starts_with("heuristic") => Some(Basis::Heuristic),
        _ => None,
    }
}

/// What a row of a source of `kind` claims; `Err` is the problem with the
/// row.
fn claim(kind: Kind, row: &SourceRow, names: &Names) -> Result<Claim, String> {
    let named = || names.harmonise(&row.provider);
    let none = || Claim { provider: String::new(), core: false };
    Ok(match kind {
        Kind::ProviderSubmitted | Kind::CuratedRules => Claim { provider: named(), core: true },
        Kind::ProviderPages => {
            let provider = named();
            let core = !provider.is_empty() && provider != FREEDNS;
            Claim { provider, core }
        }
        Kind::MaltrailSections => match (maltrail_basis(&row.source_ref), row.provider.is_empty())
        {
            (Some(Basis::ProviderPage), false) => Claim { provider: named(), core: true },
            (Some(Basis::Heuristic), _) | (Some(Basis::NoProvider), true) => none(),
            (Some(basis), _) => {
                return Err(format!(
                    "basis {basis:?} in source_ref contradicts provider {:?}",
                    row.provider
                ))
            }
            (None, _) => {
                return Err(format!(
                    "source_ref {:?} does not end in a known `[basis: …]` tag \
                     (provider page reference, heuristic…, no provider)",
                    row.source_ref
                ))
            }
        },
        Kind::Seed => {
            let provider = seed_provider(&row.zone).map_or_else(named, str::to_string);
            Claim { provider, core: true }
        }
        Kind::ZonesOnly => none(),
    })
}

/// One row of a source file.
#[derive(Debug)]
struct SourceRow {
    line: u64,
    zone: String,
    provider: String,
    /// Empty unless the source's kind needs it.
    source_ref: String,
}

/// The provider of a `seed_kql` zone, per [`SEED_ZONE_PROVIDERS`].
fn seed_provider(zone: &str) -> Option<&'static str> {
    SEED_ZONE_PROVIDERS.iter().find(|(z, _)| *z == zone).map(|&(_, provider)| provider)
}

/// A resolved row of `suspicious.csv`.
#[derive(Debug)]
struct Suspicious {
    zone: String,
    /// The research's reason, as given.
    reason: String,
    /// The strongest decision of the reason's parts.
    decision: Decision,
    /// The labels of the rules that made the decision, `; `-joined.
    labels: String,
}

/// Reads `suspicious.csv` and resolves each row by [`SUSPICION_RULES`].
fn read_suspicious(path: &Path) -> Result<Vec<Suspicious>, ZoneBuildError> {
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::new();
    for (line, row) in read_table(path, &["zone", "reason"])? {
        let [zone, reason] = <[String; 2]>::try_from(row)
            .map_err(|_| line_error(path, line, "wrong number of columns read".to_string()))?;
        if let Some(problem) = zone_problem(&zone) {
            return Err(line_error(path, line, problem));
        }
        if let Some(first) = first_line.insert(zone.clone(), line) {
            let problem = format!("zone {zone:?} is already listed on line {first}");
            return Err(line_error(path, line, problem));
        }
        let (decision, labels) = resolve_reason(&reason)
            .map_err(|problem| line_error(path, line, format!("zone {zone:?}: {problem}")))?;
        rows.push(Suspicious { zone, reason, decision, labels: labels.join("; ") });
    }
    Ok(rows)
}

/// The decision for a suspicious zone's reason and the labels of the rules
/// that made it (module rule 8); `Err` names the part no rule knows, or says
/// that no part decides.
fn resolve_reason(reason: &str) -> Result<(Decision, Vec<&'static str>), String> {
    let mut decided: Vec<(Decision, &'static str)> = Vec::new();
    for part in reason_parts(reason) {
        let lower = part.to_lowercase();
        let rule =
            SUSPICION_RULES.iter().find(|r| lower.starts_with(r.phrase)).ok_or_else(|| {
                format!(
                    "reason part {part:?} matches no rule; add its phrase to SUSPICION_RULES \
                 in src/zonebuild.rs"
                )
            })?;
        if let Some(decision) = rule.decision {
            decided.push((decision, rule.label));
        }
    }
    let strongest = decided.iter().map(|&(d, _)| d).max().ok_or_else(|| {
        format!("reason {reason:?} has no deciding part (only informational ones)")
    })?;
    let mut labels = Vec::new();
    for (decision, label) in decided {
        if decision == strongest && !labels.contains(&label) {
            labels.push(label);
        }
    }
    Ok((strongest, labels))
}

/// The parts of a reason: split at each `;` outside parentheses, trimmed,
/// empty parts dropped (`"a (b; c); d"` → `a (b; c)`, `d`).
fn reason_parts(reason: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in reason.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ';' if depth == 0 => {
                parts.push(&reason[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&reason[start..]);
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// Canonical provider names and their categories.
#[derive(Debug)]
struct Names {
    /// Lower-cased name → canonical spelling.
    canonical: BTreeMap<String, String>,
    /// Canonical name → category.
    category: BTreeMap<String, String>,
}

impl Names {
    /// Reads `psl_provider_category.json` and `providers.csv`.
    fn load(data_dir: &Path) -> Result<Names, ZoneBuildError> {
        let json_path = data_dir.join("psl_provider_category.json");
        let bytes = read_file(&json_path)?;
        let json: BTreeMap<String, String> =
            serde_json::from_slice(&bytes).map_err(|e| json_error(&json_path, &e))?;
        let mut category = BTreeMap::new();
        for (provider, cat) in json {
            if let Some(problem) = name_problem(&provider).or_else(|| category_problem(&cat)) {
                return Err(file_error(&json_path, format!("provider {provider:?}: {problem}")));
            }
            category.insert(provider, cat);
        }

        let csv_path = data_dir.join("providers.csv");
        let mut listed = HashMap::new();
        for (line, row) in read_table(&csv_path, &["provider", "category"])? {
            let [provider, cat] = <[String; 2]>::try_from(row).map_err(|_| {
                line_error(&csv_path, line, "wrong number of columns read".to_string())
            })?;
            if provider.is_empty() {
                return Err(line_error(&csv_path, line, "empty provider name".to_string()));
            }
            if let Some(problem) = name_problem(&provider).or_else(|| category_problem(&cat)) {
                return Err(line_error(
                    &csv_path,
                    line,
                    format!("provider {provider:?}: {problem}"),
                ));
            }
            if let Some(first) = listed.insert(provider.clone(), line) {
                let problem = format!("provider {provider:?} is already listed on line {first}");
                return Err(line_error(&csv_path, line, problem));
            }
            match category.get(&provider) {
                Some(other) if *other != cat => {
                    let problem = format!(
                        "provider {provider:?} has category {cat:?}, but \
                         psl_provider_category.json says {other:?}"
                    );
                    return Err(line_error(&csv_path, line, problem));
                }
                Some(_) => {}
                None => {
                    category.insert(provider, cat);
                }
            }
        }

        let mut canonical = BTreeMap::new();
        for name in category.keys() {
            if let Some(other) = canonical.insert(name.to_lowercase(), name.clone()) {
                let problem = format!("provider names {other:?} and {name:?} differ only in case");
                return Err(file_error(&csv_path, problem));
            }
        }
        for &(alias, target) in PROVIDER_ALIASES {
            if let Some(name) = canonical.get(alias) {
                if name != target {
                    let problem = format!(
                        "provider {name:?} is also a built-in alias of {target:?}; \
                         fix the alias table in src/zonebuild.rs"
                    );
                    return Err(file_error(&csv_path, problem));
                }
            }
        }
        Ok(Names { canonical, category })
    }

    /// The harmonised spelling of a provider name (empty stays empty).
    fn harmonise(&self, raw: &str) -> String {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let key = name.to_lowercase();
        if let Some(&(_, target)) = PROVIDER_ALIASES.iter().find(|(alias, _)| *alias == key) {
            return target.to_string();
        }
        self.canonical.get(&key).cloned().unwrap_or(name)
    }

    /// The category of a (harmonised) provider.
    fn category_of(&self, provider: &str) -> &str {
        self.category.get(provider).map_or(DEFAULT_CATEGORY, String::as_str)
    }
}

/// Reads and validates one source file.
fn read_source(path: &Path, kind: Kind) -> Result<Vec<SourceRow>, ZoneBuildError> {
    let columns: &[&str] = if kind == Kind::MaltrailSections {
        &["zone", "provider", "source_ref"]
    } else {
        &["zone", "provider"]
    };
    let table = read_table(path, columns)?;
    let mut first_line: HashMap<String, u64> = HashMap::with_capacity(table.len());
    let mut rows = Vec::with_capacity(table.len());
    for (line, row) in table {
        let mut values = row.into_iter();
        let (Some(zone), Some(provider)) = (values.next(), values.next()) else {
            return Err(line_error(path, line, "wrong number of columns read".to_string()));
        };
        let source_ref = values.next().unwrap_or_default();
        if let Some(problem) = zone_problem(&zone) {
            return Err(line_error(path, line, problem));
        }
        if let Some(problem) = name_problem(&provider) {
            return Err(line_error(path, line, format!("provider {provider:?}: {problem}")));
        }
        if let Some(first) = first_line.insert(zone.clone(), line) {
            let problem = format!("zone {zone:?} is already listed on line {first}");
            return Err(line_error(path, line, problem));
        }
        rows.push(SourceRow { line, zone, provider, source_ref });
    }
    Ok(rows)
}

/// Reads a CSV file with a header row and returns, for each record, its line
/// number and the values of `columns` (looked up by header name).
fn read_table(path: &Path, columns: &[&str]) -> Result<Vec<(u64, Vec<String>)>, ZoneBuildError> {
    let bytes = read_file(path)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes.as_slice());
    let headers = reader.headers().map_err(|e| csv_error(path, &e))?.clone();
    if headers.is_empty() {
        return Err(file_error(path, "empty file: no header row".to_string()));
    }
    let mut index = Vec::with_capacity(columns.len());
    for column in columns {
        let i = headers.iter().position(|h| h == *column).ok_or_else(|| {
            let found = headers.iter().collect::<Vec<_>>().join(",");
            line_error(path, 1, format!("no `{column}` column in the header ({found})"))
        })?;
        index.push(i);
    }
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|e| csv_error(path, &e))? {
        let line = record.position().map_or(0, csv::Position::line);
        rows.push((
            line,
            index.iter().map(|&i| record.get(i).unwrap_or("").to_string()).collect(),
        ));
    }
    Ok(rows)
}

/// A CSV output being written: LF line endings, quoting only where needed.
struct Csv(csv::Writer<Vec<u8>>);

impl Csv {
    /// A new output with its header row.
    fn new<const N: usize>(header: [&str; N]) -> Result<Csv, ZoneBuildError> {
        let writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(Vec::new());
        let mut csv = Csv(writer);
        csv.row(header)?;
        Ok(csv)
    }

    /// Writes one row.
    fn row<I, T>(&mut self, fields: I) -> Result<(), ZoneBuildError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.0.write_record(fields).map_err(|e| ZoneBuildError::Write(e.to_string()))
    }

    /// The bytes written.
    fn finish(self) -> Result<Vec<u8>, ZoneBuildError> {
        self.0.into_inner().map_err(|e| ZoneBuildError::Write(e.error().to_string()))
    }
}

/// Why `zone` is not a valid zone, if it is not.
fn zone_problem(zone: &str) -> Option<String> {
    if zone.is_empty() {
        return Some("empty zone".to_string());
    }
    if zone.len() > 253 {
        return Some(format!("zone {zone:?} is {} bytes long (at most 253)", zone.len()));
    }
    let labels: Vec<&str> = zone.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Some(format!("zone {zone:?} has an empty label"));
        }
        if label.len() > 63 {
            return Some(format!("zone {zone:?} has a label longer than 63 bytes"));
        }
        if let Some(c) = label.chars().find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-' | '_')) {
            return Some(format!(
                "zone {zone:?} contains {c:?} (zones are lower-case label(.label)+, \
                 labels [a-z0-9_-]{{1,63}})"
            ));
        }
    }
    if labels.len() < 2 {
        return Some(format!("zone {zone:?} is a single label"));
    }
    if labels.last().is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit())) {
        return Some(format!("zone {zone:?} ends in a numeric label (IP literal or numeric TLD)"));
    }
    None
}

/// Why `name` is not acceptable as a provider name, if it is not.
fn name_problem(name: &str) -> Option<String> {
    name.chars().any(char::is_control).then(|| "name contains a control character".to_string())
}

/// Why `category` is not acceptable, if it is not.
fn category_problem(category: &str) -> Option<String> {
    let ok = !category.is_empty() && category.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    (!ok).then(|| format!("category {category:?} is not a lower-case token like `ddns`"))
}

/// Reads a whole file.
fn read_file(path: &Path) -> Result<Vec<u8>, ZoneBuildError> {
    std::fs::read(path).map_err(|source| ZoneBuildError::Read { path: path.to_path_buf(), source })
}

/// A whole-file error.
fn file_error(path: &Path, problem: String) -> ZoneBuildError {
    ZoneBuildError::File { path: path.to_path_buf(), problem }
}

/// An error on one line.
fn line_error(path: &Path, line: u64, problem: String) -> ZoneBuildError {
    ZoneBuildError::Line { path: path.to_path_buf(), line, problem }
}

/// A CSV parse error, with its line when the parser knows it.
fn csv_error(path: &Path, err: &csv::Error) -> ZoneBuildError {
    let problem = match err.kind() {
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("field {} is not valid UTF-8", err.field() + 1)
        }
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields, but the header has {expected_len}")
        }
        _ => format!("invalid CSV: {err}"),
    };
    match err.position() {
        Some(pos) => line_error(path, pos.line(), problem),
        None => file_error(path, problem),
    }
}

/// A JSON parse error, with its line.
fn json_error(path: &Path, err: &serde_json::Error) -> ZoneBuildError {
    let message = err.to_string();
    let position = format!(" at line {} column {}", err.line(), err.column());
    let message = message.strip_suffix(&position).unwrap_or(&message);
    if err.line() == 0 {
        return file_error(path, format!("invalid JSON: {message}"));
    }
    line_error(
        path,
        err.line() as u64,
        format!("column {}: invalid JSON: {message}", err.column()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        for (alias, _) in PROVIDER_ALIASES {
            assert_eq!(*alias, alias.to_lowercase(), "alias keys are lower case");
            assert_eq!(*alias, alias.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        for (zone, _) in SEED_ZONE_PROVIDERS {
            assert_eq!(zone_problem(zone), None);
        }
        let mut names: Vec<&str> = SOURCES.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SOURCES.len());
        for rule in SUSPICION_RULES {
            assert_eq!(rule.phrase, rule.phrase.to_lowercase(), "phrases are lower case");
            assert!(!rule.phrase.contains(';'), "{}", rule.phrase);
        }
        // No phrase hides another (the first match wins).
        for (i, a) in SUSPICION_RULES.iter().enumerate() {
            for b in &SUSPICION_RULES[i + 1..] {
                assert!(!b.phrase.starts_with(a.phrase), "{:?} hides {:?}", a.phrase, b.phrase);
            }
        }
    }

    #[test]
    fn maltrail_basis_tags() {
        let r = "stamparm/maltrail trails/static/suspicious/dynamic_domain.txt@087ea6483";
        assert_eq!(
            maltrail_basis(&format!("{r} [basis: provider page reference]")),
            Some(Basis::ProviderPage)
        );
        assert_eq!(
            maltrail_basis(&format!(
                "{r} [basis: heuristic: passive-DNS/whois/registrant section]"
            )),
            Some(Basis::Heuristic)
        );
        assert_eq!(maltrail_basis(&format!("{r} [basis: no provider]")), Some(Basis::NoProvider));
        assert_eq!(maltrail_basis(r), None);
        assert_eq!(maltrail_basis(&format!("{r} [basis: guess]")), None);
        assert_eq!(maltrail_basis(&format!("{r} [basis: no provider] x")), None);
    }

    #[test]
    fn reasons_resolve_by_rule() {
        let cases: &[(&str, Decision, &[&str])] = &[
            ("tunnelling service (playit.gg)", Decision::Exclude, &[TUNNEL]),
            (
                "tunnelling service (portmap.io); also listed in maltrail \
                 suspicious/port_proxy.txt; popular site (Tranco rank 49727) with no \
                 provider-owned evidence",
                Decision::Exclude,
                &[TUNNEL],
            ),
            ("port-mapping/tunnelling service (nat123)", Decision::Exclude, &[TUNNEL]),
            (
                "wildcard DNS for IP addresses, not DDNS; listed as a free subdomain host \
                 (sublime-security free_subdomain_hosts.txt); popular site (Tranco rank 2760) \
                 with no provider-owned evidence",
                Decision::Exclude,
                &[WILDCARD_IP],
            ),
            (
                "free web hosting (000webhost), not DDNS; also listed in maltrail \
                 suspicious/free_web_hosting.txt",
                Decision::Exclude,
                &[FREE_HOSTING],
            ),
            (
                "provider corporate domain (No-IP); popular site (Tranco rank 836) with no \
                 provider-owned evidence",
                Decision::Exclude,
                &[CORPORATE],
            ),
            ("DNS hosting company domain", Decision::Exclude, &[DNS_HOSTING]),
            ("ISP domain (Charter); popular site (Tranco rank 5399)", Decision::Exclude, &[ISP]),
            ("carrier domain (Level 3)", Decision::Exclude, &[ISP]),
            (
                "PSL private suffix of a non-DDNS operator: CentralNic",
                Decision::Exclude,
                &[PSL_NON_DDNS],
            ),
            ("game company domain (Garena), not DDNS", Decision::Exclude, &[UNRELATED]),
            ("government/education domain", Decision::Extended, &[GOV_EDU]),
            (
                "popular site (Tranco rank 3579) with no provider-owned evidence",
                Decision::Extended,
                &[POPULAR],
            ),
            (
                "VPN vendor DDNS for SoftEther VPN servers (vendor DDNS; keep or drop by \
                 policy); popular site (Tranco rank 15393) with no provider-owned evidence",
                Decision::Extended,
                &[POPULAR],
            ),
            ("VPN vendor DDNS for X", Decision::Keep, &[VPN_VENDOR]),
            // Case is ignored; two parts with one rule give one label.
            ("ISP DOMAIN; isp domain (again)", Decision::Exclude, &[ISP]),
        ];
        for &(reason, decision, labels) in cases {
            assert_eq!(resolve_reason(reason), Ok((decision, labels.to_vec())), "{reason}");
        }
    }

    #[test]
    fn reason_parts_respect_parentheses() {
        assert_eq!(reason_parts("a (b; c); d;; e ;"), ["a (b; c)", "d", "e"]);
        assert_eq!(reason_parts("a (b (c; d)); e"), ["a (b (c; d))", "e"]);
        assert_eq!(reason_parts("a) ; b"), ["a)", "b"]);
        assert!(reason_parts(" ; ").is_empty());
    }

    #[test]
    fn unknown_or_undecided_reasons_are_errors() {
        let err = resolve_reason("government/education domain; looks odd").unwrap_err();
        assert!(err.contains("\"looks odd\" matches no rule"), "{err}");
        let err = resolve_reason("listed as a free subdomain host (x)").unwrap_err();
        assert!(err.contains("no deciding part"), "{err}");
        assert!(resolve_reason("").unwrap_err().contains("no deciding part"));
    }

    /// The provider disagreements in the vendored data are exactly the known
    /// ones of the module documentation.
    #[test]
    fn known_disagreements_in_vendored_data() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let names = Names::load(&data).unwrap();
        let zones = merge(&data, &names).unwrap();
        let mut found = Vec::new();
        for (zone, merged) in &zones {
            let distinct: BTreeSet<&str> = merged.claims.iter().map(|(_, p)| p.as_str()).collect();
            if distinct.len() > 1 {
                let claims: Vec<String> =
                    merged.claims.iter().map(|(s, p)| format!("{s}={p}")).collect();
                found.push(format!("{zone}: {} -> {}", claims.join(" "), merged.provider()));
            }
        }
        assert_eq!(
            found,
            [
                "16-b.it: psl=OpenHost dyn_dns_list=Now-DNS et_open=Now-DNS -> OpenHost",
                "32-b.it: psl=OpenHost dyn_dns_list=Now-DNS et_open=Now-DNS -> OpenHost",
                "64-b.it: psl=OpenHost dyn_dns_list=Now-DNS et_open=Now-DNS -> OpenHost",
                "apps.dj: dyn_dns_list=FreeDNS (afraid.org) et_open=ChangeIP \
                 -> FreeDNS (afraid.org)",
                "dnsget.org: dyn_dns_list=Now-DNS et_open=Now-DNS maltrail=DNSdynamic -> Now-DNS",
                "duckdns.org: psl=DuckDNS et_open=ChangeIP maltrail=DuckDNS seed_kql=DuckDNS \
                 -> DuckDNS",
                "tftpd.net: dyn_dns_list=Now-DNS et_open=Now-DNS maltrail=DNSdynamic -> Now-DNS",
            ]
        );
    }

    #[test]
    fn freedns_is_canonical_in_vendored_providers() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let names = Names::load(&data).unwrap();
        assert_eq!(names.harmonise("freedns"), FREEDNS);
        assert!(names.category.contains_key(FREEDNS), "{FREEDNS} missing from providers.csv");
    }
}

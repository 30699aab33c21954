//! The build's tables: the sources in precedence order with their kinds
//! (rules 3, 5, 7), provider-name aliases (rule 4), the seed's providers
//! (rule 5) and the suspicion phrases with their decisions (rule 8).

/// What a source is, which decides how its rows name providers and whether
/// they are evidence for the `core` tier (rules 3, 5 and 7).
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
pub(crate) const FREEDNS: &str = "FreeDNS (afraid.org)";

/// Known variant spellings (lower case, single spaces) → canonical name as
/// spelled in `providers.csv`. Names that differ from a canonical one only in
/// case need no entry here.
pub(crate) const PROVIDER_ALIASES: &[(&str, &str)] = &[
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
/// vendored sources (`data/README.md`):
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

/// What the resolution of a suspicious zone does (rule 8). The order
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

pub(crate) const TUNNEL: &str = "tunnel or port-mapping service, not DDNS";
pub(crate) const WILDCARD_IP: &str = "wildcard DNS for IP addresses, not DDNS";
pub(crate) const FREE_HOSTING: &str = "free web hosting or free subdomain registry, not DDNS";
pub(crate) const CORPORATE: &str =
    "provider corporate domain (site and update API, no user hosts)";
pub(crate) const DNS_HOSTING: &str = "DNS hosting company or DNS infrastructure, not DDNS";
pub(crate) const ISP: &str = "ISP or carrier domain";
pub(crate) const PSL_NON_DDNS: &str = "PSL private suffix of a non-DDNS operator";
pub(crate) const UNRELATED: &str = "unrelated company or site";
pub(crate) const GOV_EDU: &str =
    "government/education domain (FreeDNS registry member): extended only";
pub(crate) const POPULAR: &str = "popular site without provider-owned evidence: extended only";
pub(crate) const VPN_VENDOR: &str = "VPN vendor DDNS: kept";
pub(crate) const INFORMATIONAL: &str = "listed as a free subdomain host (informational)";

/// The phrases of `suspicious.csv` reasons and what they decide (rule 8). A reason part matching none of them fails the build.
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
pub(crate) const DEFAULT_CATEGORY: &str = "ddns";

/// The header of the lookup.
pub(crate) const LOOKUP_HEADER: [&str; 5] = ["zone", "provider", "category", "tier", "sources"];
/// The header of the excluded-zones report.
pub(crate) const EXCLUDED_HEADER: [&str; 3] = ["zone", "reason", "sources"];
/// The header of the resolution report.
pub(crate) const RESOLUTION_HEADER: [&str; 3] = ["zone", "decision", "reason"];

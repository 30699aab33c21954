//! The zone set and the verdict rule: a host is dynamic DNS when it lies
//! **strictly below** a zone, and the longest such zone (on label
//! boundaries) names the provider.
//!
//! A set is the shipped list — `lookups/dynamic_dns_providers.csv`, compiled
//! into the binary by `build.rs` as a static hash table, so
//! [`ZoneSet::embedded`] costs nothing at start-up — plus, optionally:
//! - **local additions** ([`crate::zonefile::LOCAL_FILE`]):
//!   more zones, or another provider for a shipped zone; they are always
//!   used, whatever the tier selection;
//! - an **allowlist** ([`crate::zonefile::ALLOWLIST_FILE`]):
//!   hosts or zones never to flag; an entry covers itself and every name
//!   below it;
//! - a **tier selection**: `core` uses only zones with provider-owned or
//!   curated evidence, `all` adds the extended long tail;
//! - the **provider service hosts** (`lookups/dynamic_dns_service_hosts.csv`,
//!   compiled in like the list): the providers' own update, check-IP, API
//!   and web hosts. Exactly these hosts match as the provider's
//!   infrastructure ([`ZoneMatch::is_dyndns`] false, category
//!   `provider-service`), so an analyst can still find the devices that run
//!   DDNS clients; a host below one is judged as usual.
//!
//! Reading those files is [`crate::zonefile`]'s job (it depends on this
//! module, not the other way round: `ZoneSet::from_csv` is defined there);
//! this module only matches.

use std::num::NonZeroU64;

use dynamicdns_zonetable::{for_each_suffix, Entry, LastLabels, Tier, ZoneTable};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/zones_table.rs"));
}

/// The category of a zone whose list gives none.
pub const DEFAULT_CATEGORY: &str = "ddns";
/// The category of a provider service host.
pub const SERVICE_CATEGORY: &str = "provider-service";

/// The provider service hosts: exact names, with the provider's zone and
/// the host's role (`update`, `check-ip`, `api`, `web`) beside the table.
#[derive(Clone, Debug)]
pub struct ServiceHosts {
    table: ZoneTable,
    side: &'static [(&'static str, &'static str)],
}

impl ServiceHosts {
    /// The shipped list, compiled into the binary.
    pub fn embedded() -> ServiceHosts {
        ServiceHosts { table: embedded::service_table(), side: embedded::SERVICE_SIDE }
    }

    /// Number of hosts.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The index of an exact service host whose [`hash`] is `h` (computed
    /// here when `None`), if it is one.
    ///
    /// [`hash`]: dynamicdns_zonetable::hash
    #[inline]
    fn position_hashed(&self, host: &[u8], h: Option<u64>) -> Option<usize> {
        if host.len() > self.table.max_len() {
            return None;
        }
        let h = h.unwrap_or_else(|| dynamicdns_zonetable::hash(host));
        self.table.position_hashed(host, h)
    }

    /// The match of the host at index `i`.
    fn match_at(&self, i: usize) -> ZoneMatch<'_> {
        let (zone, role) = self.side[i];
        ZoneMatch {
            zone,
            provider: self.table.provider_name(self.table.entry(i)),
            category: SERVICE_CATEGORY,
            tier: Tier::Core,
            role: Some(role),
        }
    }

    /// Every host with its provider, zone and role, in list order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, ZoneMatch<'_>)> + '_ {
        self.table
            .entries()
            .enumerate()
            .map(move |(i, e)| (self.table.zone_name(e), self.match_at(i)))
    }
}

/// Which tiers of the shipped list are used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TierSelection {
    /// Only zones with provider-owned or curated evidence (precision).
    Core,
    /// Every shipped zone, the FreeDNS registry long tail included (recall;
    /// the default, as broad as the ESCU list it replaces).
    #[default]
    All,
}

/// A set of dynamic-DNS zones with their providers.
#[derive(Clone, Debug)]
pub struct ZoneSet {
    base: ZoneTable,
    local: Option<ZoneTable>,
    /// `None` when empty, so the hot path tests one word.
    allow: Option<Allowlist>,
    tiers: TierSelection,
    service: Option<ServiceHosts>,
}

/// Names, providers and categories never to flag.
#[derive(Clone, Debug, Default)]
pub struct Allowlist {
    /// Hosts or zones, each covering itself and every name below it.
    pub names: Option<ZoneTable>,
    /// Provider names (compared ignoring ASCII case).
    pub providers: Vec<String>,
    /// Categories (`vendor-ddns`, `provider-service` …).
    pub categories: Vec<String>,
}

impl Allowlist {
    /// True when the allowlist has no entry.
    pub fn is_empty(&self) -> bool {
        self.names.as_ref().is_none_or(ZoneTable::is_empty)
            && self.providers.is_empty()
            && self.categories.is_empty()
    }
}

/// What a host matched: the zone, its provider (`""` when unknown), its
/// category and tier, and for a provider service host its role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneMatch<'z> {
    /// The matched zone, e.g. `duckdns.org` (for a service host, the
    /// provider's zone it lies in).
    pub zone: &'z str,
    /// The provider's name, e.g. `DuckDNS`; empty when no source names one.
    pub provider: &'z str,
    /// The category: `ddns`, `vendor-ddns`, `vpn-vendor`, or
    /// `provider-service` for a service host.
    pub category: &'z str,
    /// The evidence tier (`core` for service hosts, a curated list).
    pub tier: Tier,
    /// For a provider service host, its role (`update`, `check-ip`, `api`,
    /// `web`, `nameserver`); `None` for a host below a zone.
    pub role: Option<&'z str>,
}

impl ZoneMatch<'_> {
    /// True for a dynamic-DNS host (`isDynDNS=True`); false for a
    /// provider's own service host.
    #[inline]
    pub fn is_dyndns(&self) -> bool {
        self.role.is_none()
    }
}

/// A [`ZoneMatch`] of one [`ZoneSet`] in 8 bytes: the table it came from
/// and the entry's index there. The verdict cache keeps these instead of
/// the 72-byte matches, so its 4,096 slots take 224 KiB instead of 480 KiB
/// and stay in a core's L2 cache beside the zone table. Only the set that
/// made an id can resolve it (so ids stay inside the crate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MatchId(NonZeroU64);

/// Which table of a [`ZoneSet`] a [`MatchId`] points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Base,
    Local,
    Service,
}

impl MatchId {
    #[inline]
    fn new(source: Source, index: usize) -> MatchId {
        // A table's indexes fit in 32 bits (its hash slots store them so);
        // the source goes above them, and 1 is added so the id is non-zero.
        let raw = (source as u64) << 32 | index as u64;
        MatchId(NonZeroU64::MIN.saturating_add(raw))
    }

    #[inline]
    fn parts(self) -> (Source, usize) {
        let raw = self.0.get() - 1;
        let source = match raw >> 32 {
            0 => Source::Base,
            1 => Source::Local,
            _ => Source::Service,
        };
        (source, (raw & u64::from(u32::MAX)) as usize)
    }
}

/// One row of the zone list: a zone and everything known about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneRow<'z> {
    /// The zone.
    pub zone: &'z str,
    /// Its provider (`""` when unknown).
    pub provider: &'z str,
    /// Its category.
    pub category: &'z str,
    /// Its tier.
    pub tier: Tier,
    /// The sources naming it, `;`-joined (`"local"` style for local files).
    pub sources: &'z str,
}

impl ZoneSet {
    /// The shipped default zone list, compiled into the binary: all tiers,
    /// no local files.
    pub fn embedded() -> ZoneSet {
        ZoneSet::from_table(embedded::zone_table()).with_service_hosts(ServiceHosts::embedded())
    }

    /// A set over one table (all tiers, no local files, no service hosts).
    pub fn from_table(table: ZoneTable) -> ZoneSet {
        ZoneSet { base: table, local: None, allow: None, tiers: TierSelection::All, service: None }
    }

    /// Uses `hosts` as the provider service hosts.
    pub fn with_service_hosts(mut self, hosts: ServiceHosts) -> ZoneSet {
        self.service = Some(hosts);
        self
    }

    /// The provider service hosts in use, if any.
    pub fn service_hosts(&self) -> Option<&ServiceHosts> {
        self.service.as_ref()
    }

    /// Uses `table` as local additions: its zones are added, and its
    /// provider wins where it also names a shipped zone.
    pub fn with_local(mut self, table: ZoneTable) -> ZoneSet {
        self.local = (!table.is_empty()).then_some(table);
        self
    }

    /// Uses `allow` as the allowlist.
    pub fn with_allowlist(mut self, allow: Allowlist) -> ZoneSet {
        self.allow = (!allow.is_empty()).then_some(allow);
        self
    }

    /// Selects the tiers of the shipped list that are used.
    pub fn with_tiers(mut self, tiers: TierSelection) -> ZoneSet {
        self.tiers = tiers;
        self
    }

    /// The last labels of every name the set can match (its zones, local
    /// zones and service hosts): a host whose last label is not among them
    /// has no match. Three small maps joined, nothing walked.
    pub fn last_labels(&self) -> LastLabels {
        let mut l = *self.base.last_labels();
        if let Some(t) = &self.local {
            l.union(t.last_labels());
        }
        if let Some(s) = &self.service {
            l.union(s.table.last_labels());
        }
        l
    }

    /// Number of zones in the shipped part of the set (all tiers, whatever
    /// the selection and the local additions).
    pub fn shipped_len(&self) -> usize {
        self.base.len()
    }

    /// Every zone in use (local additions, then the selected tiers of the
    /// shipped list), with its provider.
    pub fn iter(&self) -> impl Iterator<Item = ZoneMatch<'_>> + '_ {
        self.rows().map(|r| ZoneMatch {
            zone: r.zone,
            provider: r.provider,
            category: r.category,
            tier: r.tier,
            role: None,
        })
    }

    /// Every zone in use, as [`iter`](Self::iter), with its sources.
    pub fn rows(&self) -> impl Iterator<Item = ZoneRow<'_>> + '_ {
        let local = self.local.iter().flat_map(|t| t.entries().map(move |e| to_row(t, e)));
        let base = self
            .base
            .entries()
            .filter(move |&e| self.tier_ok(e))
            .map(move |e| to_row(&self.base, e));
        local.chain(base)
    }

    /// The provider and zone of an exact zone name, if it is in use.
    pub fn get(&self, zone: &[u8]) -> Option<ZoneMatch<'_>> {
        if let Some(t) = &self.local {
            if let Some(e) = t.get(zone) {
                return Some(to_match(t, e));
            }
        }
        self.base.get(zone).filter(|&e| self.tier_ok(e)).map(|e| to_match(&self.base, e))
    }

    /// The verdict for a normalised host (lower-case ASCII, no trailing
    /// dot, as [`HostExtractor`](crate::host::HostExtractor) returns it):
    /// the host itself when it is a provider service host, else the
    /// longest zone that the host lies strictly below, if any; nothing when
    /// the allowlist covers the host or the match's provider or category.
    /// A zone's apex never matches as a zone.
    #[inline]
    pub fn longest_match(&self, host: &[u8]) -> Option<ZoneMatch<'_>> {
        self.longest_match_id(host).map(|id| self.resolve(id))
    }

    /// [`longest_match`](Self::longest_match) as a [`MatchId`], which
    /// [`resolve`](Self::resolve) turns into the match.
    #[inline]
    pub(crate) fn longest_match_id(&self, host: &[u8]) -> Option<MatchId> {
        let (below, whole) = self.below_zone(host);
        // The suffix walk hashed the whole host too: a service host costs
        // one probe, not another pass.
        let found = match self.service.as_ref().and_then(|s| s.position_hashed(host, whole)) {
            Some(i) => Some(MatchId::new(Source::Service, i)),
            None => below,
        };
        match found {
            Some(id) if self.allow.is_some() && self.is_allowed(host, &self.resolve(id)) => None,
            found => found,
        }
    }

    /// The match a [`MatchId`] of this set stands for.
    #[inline]
    pub(crate) fn resolve(&self, id: MatchId) -> ZoneMatch<'_> {
        let (source, i) = id.parts();
        match source {
            Source::Base => to_match(&self.base, self.base.entry(i)),
            Source::Local => {
                let t = self.local.as_ref().expect("a local MatchId comes from a local table");
                to_match(t, t.entry(i))
            }
            Source::Service => self
                .service
                .as_ref()
                .expect("a service MatchId comes from the service hosts")
                .match_at(i),
        }
    }

    /// The longest zone `host` lies strictly below, and the hash of the
    /// whole host when the walk computed it.
    #[inline]
    fn below_zone(&self, host: &[u8]) -> (Option<MatchId>, Option<u64>) {
        // Suffixes come shortest first, so the last hit is the longest zone.
        let max_len = self.local.as_ref().map_or(0, ZoneTable::max_len).max(self.base.max_len());
        let mut best = None;
        let whole = for_each_suffix(host, max_len, |start, h| {
            if let Some(id) = self.position_hashed(&host[start..], h) {
                best = Some(id);
            }
        });
        (best, whole)
    }

    fn position_hashed(&self, zone: &[u8], h: u64) -> Option<MatchId> {
        if let Some(t) = &self.local {
            if let Some(i) = t.position_hashed(zone, h) {
                return Some(MatchId::new(Source::Local, i));
            }
        }
        let i = self.base.position_hashed(zone, h)?;
        self.tier_ok(self.base.entry(i)).then(|| MatchId::new(Source::Base, i))
    }

    /// Whether the allowlist covers a match of `host`: the host or a name
    /// above it is listed, or the match's provider or category is.
    pub fn is_allowed(&self, host: &[u8], m: &ZoneMatch<'_>) -> bool {
        let Some(a) = &self.allow else { return false };
        if a.providers.iter().any(|p| p.eq_ignore_ascii_case(m.provider))
            || a.categories.iter().any(|c| c == m.category)
        {
            return true;
        }
        let Some(names) = &a.names else { return false };
        let mut rest = host;
        loop {
            if names.get(rest).is_some() {
                return true;
            }
            match memchr::memchr(b'.', rest) {
                Some(dot) => rest = &rest[dot + 1..],
                None => return false,
            }
        }
    }

    fn tier_ok(&self, e: Entry) -> bool {
        self.tiers == TierSelection::All || e.tier() == Tier::Core
    }
}

#[inline]
fn to_match(t: &ZoneTable, e: Entry) -> ZoneMatch<'_> {
    let category = t.category_name(e);
    let category = if category.is_empty() { DEFAULT_CATEGORY } else { category };
    ZoneMatch {
        zone: t.zone_name(e),
        provider: t.provider_name(e),
        category,
        tier: e.tier(),
        role: None,
    }
}

fn to_row(t: &ZoneTable, e: Entry) -> ZoneRow<'_> {
    let m = to_match(t, e);
    let sources = t.info(e).sources;
    ZoneRow { zone: m.zone, provider: m.provider, category: m.category, tier: m.tier, sources }
}

impl Default for ZoneSet {
    fn default() -> Self {
        ZoneSet::embedded()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zonefile::{load, FileKind};

    fn table(csv: &str, kind: FileKind) -> ZoneTable {
        let l = load(csv.as_bytes(), "t.csv", kind);
        assert!(l.problems.is_empty(), "{:?}", l.problems);
        l.table
    }

    fn set() -> ZoneSet {
        ZoneSet::from_table(table(
            "zone,provider,tier\nduckdns.org,DuckDNS,core\nshared.example,FreeDNS,extended\nhome.dyndns.org,Dyn,core\n",
            FileKind::Zones,
        ))
    }

    fn zone_of<'a>(s: &'a ZoneSet, host: &str) -> Option<(&'a str, &'a str)> {
        s.longest_match(host.as_bytes()).map(|m| (m.zone, m.provider))
    }

    #[test]
    fn tiers_select_zones() {
        let s = set();
        assert_eq!(zone_of(&s, "a.shared.example"), Some(("shared.example", "FreeDNS")));
        let core = set().with_tiers(TierSelection::Core);
        assert_eq!(zone_of(&core, "a.shared.example"), None);
        assert_eq!(zone_of(&core, "a.duckdns.org"), Some(("duckdns.org", "DuckDNS")));
    }

    #[test]
    fn local_additions_add_and_override() {
        let local = table(
            "zone,provider\nduckdns.org,Duck Local\ncorp.example,Corp\n*.Extra.EXAMPLE.,\n",
            FileKind::Zones,
        );
        let s = set().with_tiers(TierSelection::Core).with_local(local);
        assert_eq!(zone_of(&s, "a.duckdns.org"), Some(("duckdns.org", "Duck Local")));
        assert_eq!(zone_of(&s, "a.corp.example"), Some(("corp.example", "Corp")));
        assert_eq!(zone_of(&s, "a.extra.example"), Some(("extra.example", "")));
        // A local zone nested above a shipped one: longest still wins.
        let local = table("zone,provider\nx.home.dyndns.org,X\n", FileKind::Zones);
        let s = set().with_local(local);
        assert_eq!(zone_of(&s, "a.x.home.dyndns.org"), Some(("x.home.dyndns.org", "X")));
        assert_eq!(zone_of(&s, "a.home.dyndns.org"), Some(("home.dyndns.org", "Dyn")));
    }

    fn allow(csv: &str) -> Allowlist {
        let l = load(csv.as_bytes(), "a.csv", FileKind::Allowlist);
        assert!(l.problems.is_empty(), "{:?}", l.problems);
        l.into_allowlist()
    }

    #[test]
    fn allowlist_covers_entry_and_below() {
        let s = set()
            .with_allowlist(allow("host,comment\nours.duckdns.org,our VPN\nhome.dyndns.org,\n"));
        assert_eq!(zone_of(&s, "ours.duckdns.org"), None);
        assert_eq!(zone_of(&s, "a.ours.duckdns.org"), None);
        assert_eq!(zone_of(&s, "theirs.duckdns.org"), Some(("duckdns.org", "DuckDNS")));
        assert_eq!(zone_of(&s, "x.home.dyndns.org"), None);
        let plain = set();
        let m = plain.longest_match(b"x.home.dyndns.org").unwrap();
        assert!(s.is_allowed(b"home.dyndns.org", &m));
    }

    /// Allowlist rows by provider (any case) and by category.
    #[test]
    fn allowlist_by_provider_and_category() {
        let s = set().with_allowlist(allow("provider,category\nfreedns,\n,vendor-ddns\n"));
        assert_eq!(zone_of(&s, "a.shared.example"), None);
        assert_eq!(zone_of(&s, "a.duckdns.org"), Some(("duckdns.org", "DuckDNS")));
        let z = ZoneSet::embedded();
        assert_eq!(z.longest_match(b"nas.synology.me").map(|m| m.category), Some("vendor-ddns"));
        let z = z.with_allowlist(allow("category\nvendor-ddns\nprovider-service\n"));
        assert_eq!(z.longest_match(b"nas.synology.me"), None);
        assert_eq!(z.longest_match(b"checkip.dyndns.org"), None);
        assert!(z.longest_match(b"a.duckdns.org").is_some());
    }

    /// Exactly the listed service hosts match as the provider's own
    /// infrastructure: provider and zone filled, category provider-service,
    /// not dynamic DNS; a name below one, or the zone's other hosts, are
    /// judged as usual; a listed host outside every DDNS zone still gets its
    /// provider.
    #[test]
    fn service_hosts_match_exactly_and_are_not_dyndns() {
        let z = ZoneSet::embedded();
        let hosts = z.service_hosts().unwrap();
        assert!(hosts.len() >= 50, "{}", hosts.len());
        for (host, want) in hosts.iter() {
            let got = z.longest_match(host.as_bytes()).unwrap();
            assert_eq!(got, want, "{host}");
            assert!(!got.is_dyndns() && got.category == SERVICE_CATEGORY, "{host}");
        }
        let m = z.longest_match(b"checkip.dyndns.org").unwrap();
        assert_eq!((m.zone, m.provider, m.role), ("dyndns.org", "Dyn (DynDNS)", Some("check-ip")));
        let m = z.longest_match(b"dynupdate.no-ip.com").unwrap();
        assert_eq!((m.zone, m.provider, m.is_dyndns()), ("no-ip.com", "No-IP", false));
        let m = z.longest_match(b"www.duckdns.org").unwrap();
        assert_eq!((m.category, m.is_dyndns()), (SERVICE_CATEGORY, false));
        for host in ["x.www.duckdns.org", "nas.duckdns.org", "x.checkip.dyndns.org"] {
            let m = z.longest_match(host.as_bytes()).unwrap();
            assert!(m.is_dyndns() && m.role.is_none(), "{host}: {m:?}");
        }
        assert_eq!(z.longest_match(b"www.no-ip.com"), None);
        // A registrar's DDNS endpoint lies below no DDNS zone: its zone is
        // the registrar's domain, and it still is provider-service.
        let m = z.longest_match(b"dynamicdns.park-your-domain.com").unwrap();
        assert_eq!(
            (m.zone, m.provider, m.category, m.is_dyndns()),
            ("park-your-domain.com", "Namecheap", SERVICE_CATEGORY, false)
        );
        assert_eq!(z.longest_match(b"park-your-domain.com"), None);
        let m = z.longest_match(b"ns1.afraid.org").unwrap();
        assert_eq!((m.provider, m.role), ("FreeDNS (afraid.org)", Some("nameserver")));
    }

    /// Category and tier come from the list (an empty category is ddns).
    #[test]
    fn matches_carry_category_and_tier() {
        let s = set();
        let m = s.longest_match(b"a.shared.example").unwrap();
        assert_eq!((m.category, m.tier), (DEFAULT_CATEGORY, Tier::Extended));
        let z = ZoneSet::embedded();
        let m = z.longest_match(b"a.duckdns.org").unwrap();
        assert_eq!((m.category, m.tier, m.is_dyndns()), ("ddns", Tier::Core, true));
        let rows: Vec<ZoneRow> = z.rows().filter(|r| r.zone == "duckdns.org").collect();
        assert!(rows[0].sources.contains("psl"), "{rows:?}");
    }
}

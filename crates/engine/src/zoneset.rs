//! The zone set and the verdict rule: a host is dynamic DNS when it lies
//! **strictly below** a zone, and the longest such zone (on label
//! boundaries) names the provider.
//!
//! A set is the shipped list — `lookups/dynamic_dns_providers.csv`, compiled
//! into the binary by `build.rs` as a static hash table, so
//! [`ZoneSet::embedded`] costs nothing at start-up — plus, optionally:
//! - **local additions** ([`zonefile::LOCAL_FILE`]):
//!   more zones, or another provider for a shipped zone; they are always
//!   used, whatever the tier selection;
//! - an **allowlist** ([`zonefile::ALLOWLIST_FILE`]):
//!   hosts or zones never to flag; an entry covers itself and every name
//!   below it;
//! - a **tier selection**: `core` uses only zones with provider-owned or
//!   curated evidence, `all` adds the extended long tail.
//!
//! Reading those files is [`zonefile`]'s job; this module
//! only matches.

use dynamicdns_zonetable::{for_each_suffix, Entry, Tier, ZoneTable};

use crate::zonefile::{self, ZoneFileError};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/zones_table.rs"));
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
    allow: Option<ZoneTable>,
    tiers: TierSelection,
}

/// The zone a host matched, and its provider (`""` when unknown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneMatch<'z> {
    /// The matched zone, e.g. `duckdns.org`.
    pub zone: &'z str,
    /// The provider's name, e.g. `DuckDNS`; empty when no source names one.
    pub provider: &'z str,
}

impl ZoneSet {
    /// The shipped default zone list, compiled into the binary: all tiers,
    /// no local files.
    pub fn embedded() -> ZoneSet {
        ZoneSet::from_table(embedded::table())
    }

    /// A set over one table (all tiers, no local files).
    pub fn from_table(table: ZoneTable) -> ZoneSet {
        ZoneSet { base: table, local: None, allow: None, tiers: TierSelection::All }
    }

    /// Reads a zone CSV (header with `zone`, optionally `provider` and
    /// `tier`) strictly: the first bad row is an error naming file and line.
    pub fn from_csv<R: std::io::Read>(input: R, file: &str) -> Result<ZoneSet, ZoneFileError> {
        let loaded = zonefile::load(input, file, zonefile::FileKind::Zones);
        match loaded.problems.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(ZoneSet::from_table(loaded.table)),
        }
    }

    /// Uses `table` as local additions: its zones are added, and its
    /// provider wins where it also names a shipped zone.
    pub fn with_local(mut self, table: ZoneTable) -> ZoneSet {
        self.local = (!table.is_empty()).then_some(table);
        self
    }

    /// Uses `table` as the allowlist.
    pub fn with_allowlist(mut self, table: ZoneTable) -> ZoneSet {
        self.allow = (!table.is_empty()).then_some(table);
        self
    }

    /// Selects the tiers of the shipped list that are used.
    pub fn with_tiers(mut self, tiers: TierSelection) -> ZoneSet {
        self.tiers = tiers;
        self
    }

    /// Number of zones in the shipped part of the set (all tiers, whatever
    /// the selection and the local additions).
    pub fn shipped_len(&self) -> usize {
        self.base.len()
    }

    /// Every zone in use (local additions, then the selected tiers of the
    /// shipped list), with its provider.
    pub fn iter(&self) -> impl Iterator<Item = ZoneMatch<'_>> + '_ {
        let local = self.local.iter().flat_map(|t| t.entries().map(move |e| to_match(t, e)));
        let base = self
            .base
            .entries()
            .filter(move |&e| self.tier_ok(e))
            .map(move |e| to_match(&self.base, e));
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
    /// the longest zone that the host lies strictly below, if any, unless
    /// the host is allowlisted. The host itself is never compared, so a
    /// zone's apex does not match.
    #[inline]
    pub fn longest_match(&self, host: &[u8]) -> Option<ZoneMatch<'_>> {
        // Suffixes come shortest first, so the last hit is the longest zone.
        let max_len = self.local.as_ref().map_or(0, ZoneTable::max_len).max(self.base.max_len());
        let mut best = None;
        for_each_suffix(host, max_len, |start, h| {
            if let Some(m) = self.get_hashed(&host[start..], h) {
                best = Some(m);
            }
        });
        match best {
            Some(_) if self.is_allowed(host) => None,
            best => best,
        }
    }

    fn get_hashed(&self, zone: &[u8], h: u64) -> Option<ZoneMatch<'_>> {
        if let Some(t) = &self.local {
            if let Some(e) = t.get_hashed(zone, h) {
                return Some(to_match(t, e));
            }
        }
        self.base.get_hashed(zone, h).filter(|&e| self.tier_ok(e)).map(|e| to_match(&self.base, e))
    }

    /// Whether the allowlist covers `host`: it or a name above it is listed.
    pub fn is_allowed(&self, host: &[u8]) -> bool {
        let Some(allow) = &self.allow else { return false };
        let mut rest = host;
        loop {
            if allow.get(rest).is_some() {
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

fn to_match(t: &ZoneTable, e: Entry) -> ZoneMatch<'_> {
    ZoneMatch { zone: t.zone_name(e), provider: t.provider_name(e) }
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

    #[test]
    fn allowlist_covers_entry_and_below() {
        let allow = table(
            "host,comment\nours.duckdns.org,our VPN\nhome.dyndns.org,\n",
            FileKind::Allowlist,
        );
        let s = set().with_allowlist(allow);
        assert_eq!(zone_of(&s, "ours.duckdns.org"), None);
        assert_eq!(zone_of(&s, "a.ours.duckdns.org"), None);
        assert_eq!(zone_of(&s, "theirs.duckdns.org"), Some(("duckdns.org", "DuckDNS")));
        assert_eq!(zone_of(&s, "x.home.dyndns.org"), None);
        assert!(s.is_allowed(b"home.dyndns.org"));
    }
}

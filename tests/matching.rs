//! The verdict policy (README "Verdict policy"), table by table, plus
//! property tests of the matcher against the naive oracle.

use dynamicdns_engine::host::HostExtractor;
use dynamicdns_engine::options::Mode;
use dynamicdns_engine::verdict::{Field, Judge};
use dynamicdns_engine::zoneset::ZoneSet;
use proptest::prelude::*;

use crate::util::oracle::naive_longest;

/// A small set with nested zones carrying different providers.
fn nested() -> ZoneSet {
    let csv = "zone,provider\n\
               duckdns.org,DuckDNS\n\
               dyndns.org,Dyn (DynDNS)\n\
               home.dyndns.org,Dyn Home\n\
               go.dyndns.org,\n\
               no-ip.co.uk,No-IP\n";
    ZoneSet::from_csv(csv.as_bytes(), "nested.csv").unwrap()
}

/// (input, zone expected or None) through host extraction + matching.
fn verdict(zones: &ZoneSet, value: &str) -> Option<(String, String)> {
    let mut j = Judge::new(zones, Mode::Host);
    let hits = j.verdict(value.as_bytes());
    (!hits.is_empty())
        .then(|| (hits.values(Field::Zone).join("\n"), hits.values(Field::Provider).join("\n")))
}

/// The policy table over [`nested`]: each value and the (zone, provider)
/// it matches, or `None`.
const POLICY: &[(&str, Option<(&str, &str)>)] = &[
    // Rule 2: strictly below a zone, longest match on label boundaries.
    ("foo.duckdns.org", Some(("duckdns.org", "DuckDNS"))),
    ("a.b.c.duckdns.org", Some(("duckdns.org", "DuckDNS"))),
    ("x.home.dyndns.org", Some(("home.dyndns.org", "Dyn Home"))),
    ("home.dyndns.org", Some(("dyndns.org", "Dyn (DynDNS)"))),
    ("x.go.dyndns.org", Some(("go.dyndns.org", ""))),
    ("x.dyndns.org", Some(("dyndns.org", "Dyn (DynDNS)"))),
    ("pc.no-ip.co.uk", Some(("no-ip.co.uk", "No-IP"))),
    // Rule 3: the apex is not a DDNS host.
    ("duckdns.org", None),
    ("DuckDNS.org.", None),
    ("https://duckdns.org/", None),
    ("dyndns.org", None),
    ("no-ip.co.uk", None),
    ("co.uk", None),
    // Rule 5: lookalikes and mentions.
    ("foo.duckdns.org.evil.com", None),
    ("foo.duckdns.organic.com", None),
    ("duckdns.organic.com", None),
    ("foo.duckdns.org-evil.com", None),
    ("foo.duckdns.orgs", None),
    ("myduckdns.org", None),
    ("foo-duckdns.org", None),
    ("http://foo.duckdns.org@evil.example/", None),
    ("http://evil.example/foo.duckdns.org", None),
    ("http://evil.example/?u=http://foo.duckdns.org/", None),
    ("http://evil.example/#foo.duckdns.org", None),
    // Rule 1: extraction.
    ("  FOO.DuckDns.ORG.  ", Some(("duckdns.org", "DuckDNS"))),
    ("http://user:pass@foo.duckdns.org:8080/p?q=1#f", Some(("duckdns.org", "DuckDNS"))),
    ("hxxp://foo.duckdns.org/", Some(("duckdns.org", "DuckDNS"))),
    ("foo.duckdns.org:443", Some(("duckdns.org", "DuckDNS"))),
    ("(3)foo(7)duckdns(3)org(0)", Some(("duckdns.org", "DuckDNS"))),
    ("http://foo%2Educkdns%2Eorg/", Some(("duckdns.org", "DuckDNS"))),
    ("bücher.duckdns.org", Some(("duckdns.org", "DuckDNS"))),
    ("foo.duckdns.org\r\n", Some(("duckdns.org", "DuckDNS"))),
    // Rule 4: not hosts.
    ("", None),
    ("-", None),
    ("(empty)", None),
    ("duckdns", None),
    ("192.0.2.1", None),
    ("http://192.0.2.1/foo.duckdns.org", None),
    ("[2001:db8::1]", None),
    ("http://[2001:db8::1]:8443/", None),
    ("2001:db8::1", None),
    ("1.2.0.192.in-addr.arpa", None),
    ("foo..duckdns.org", None),
    ("foo.duckdns.org..", None),
    // Policy additions: one pair of matching quotes is removed; UNC paths
    // and their WebDAV forms name their server; file:// is a URL; Zeek's
    // \xHH escapes are not decoded.
    ("\"foo.duckdns.org\"", Some(("duckdns.org", "DuckDNS"))),
    ("'foo.duckdns.org'", Some(("duckdns.org", "DuckDNS"))),
    ("\"foo.duckdns.org'", None),
    ("\\\\foo.duckdns.org\\share\\payload.exe", Some(("duckdns.org", "DuckDNS"))),
    ("\\\\foo.duckdns.org@SSL\\DavWWWRoot\\x.dll", Some(("duckdns.org", "DuckDNS"))),
    ("\\\\foo.duckdns.org@SSL@443\\DavWWWRoot\\x", Some(("duckdns.org", "DuckDNS"))),
    ("\\\\evil.example\\foo.duckdns.org", None),
    ("file://foo.duckdns.org/share/x", Some(("duckdns.org", "DuckDNS"))),
    ("file:///C:/foo.duckdns.org", None),
    ("foo\\x2cbar.duckdns.org", None),
];

#[test]
fn policy_table_nested_set() {
    let z = nested();
    for (input, want) in POLICY {
        let got = verdict(&z, input);
        let want = want.map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(got, want, "input {input:?}");
    }
}

/// Text mode over the same table: every value that is a hit in host mode is
/// a hit in text mode too, with the same zone, except the encodings only
/// host mode decodes (debug-log names, percent-encoding); and a value text
/// mode flags holds, somewhere in it, a host that host mode flags.
#[test]
fn policy_table_in_text_mode() {
    let z = nested();
    let mut text = Judge::new(&z, Mode::Text);
    let decoded_only_in_host_mode = ["(3)foo(7)duckdns(3)org(0)", "http://foo%2Educkdns%2Eorg/"];
    for (input, _) in POLICY {
        let host = verdict(&z, input);
        let hits = text.verdict(input.as_bytes());
        let got = (!hits.is_empty()).then(|| hits.values(Field::Zone).join("\n"));
        match (&host, &got) {
            (Some((zone, _)), None) => {
                assert!(
                    decoded_only_in_host_mode.contains(input),
                    "{input:?}: text mode misses {zone}"
                )
            }
            (Some((zone, _)), Some(t)) => assert_eq!(t, zone, "{input:?}"),
            (None, Some(t)) => {
                // A mention: some run of host bytes in the value is a DDNS host.
                let found = input
                    .split(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
                    .any(|run| verdict(&z, run).is_some());
                assert!(found, "{input:?}: text mode flags {t} but no run of it is a host");
            }
            (None, None) => {}
        }
    }
}

#[test]
fn policy_table_embedded_set() {
    let z = ZoneSet::embedded();
    assert!(z.shipped_len() > 1000, "embedded set has {} zones", z.shipped_len());
    for host in ["foo.duckdns.org", "x.ddns.net", "a.hopto.org", "b.no-ip.org", "c.dynv6.net"] {
        assert!(verdict(&z, host).is_some(), "{host} should be DDNS");
    }
    for host in [
        "duckdns.org",
        "ddns.net",
        "www.google.com",
        "foo.duckdns.org.evil.com",
        "duckdns.organic.com",
        "10.0.0.1",
    ] {
        assert_eq!(verdict(&z, host), None, "{host} should not be DDNS");
    }
    assert_eq!(verdict(&z, "foo.duckdns.org").unwrap(), ("duckdns.org".into(), "DuckDNS".into()));
    assert_eq!(verdict(&z, "x.ddns.net").unwrap().1, "No-IP");
}

/// Every zone in the shipped list matches one label below it, and its apex
/// does not: the compiled table and the CSV agree row for row.
#[test]
fn every_shipped_zone_matches_below_and_not_at_apex() {
    let path = crate::util::root().join("lookups/dynamic_dns_providers.csv");
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let z = ZoneSet::embedded();
    let mut n = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let (zone, provider) = (&rec[0], &rec[1]);
        let m = z.longest_match(format!("host.{zone}").as_bytes()).unwrap();
        assert_eq!(m.zone, zone);
        assert_eq!(m.provider, provider, "{zone}");
        // The apex may still lie below a shorter zone (nested zones).
        // (A service host may equal a zone, `ddnss.de`: it matches, but not
        // as dynamic DNS.)
        let apex = z.longest_match(zone.as_bytes()).filter(|m| m.is_dyndns());
        assert_ne!(apex.map(|m| m.zone), Some(zone));
        n += 1;
    }
    assert_eq!(n, z.shipped_len());
}

fn label() -> impl Strategy<Value = String> {
    // A tiny alphabet makes collisions between hosts and zones likely.
    "[ab-][ab0]{0,2}".prop_map(|s| s)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn longest_match_agrees_with_oracle(
        zones in prop::collection::vec(prop::collection::vec(label(), 1..4), 1..12),
        host in prop::collection::vec(label(), 1..6),
    ) {
        let zones: Vec<(String, String)> = zones
            .into_iter()
            .map(|mut labels| {
                labels.push("com".into());
                labels.join(".")
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|z| { let p = format!("P-{z}"); (z, p) })
            .collect();
        let csv: String = std::iter::once("zone,provider\n".to_string())
            .chain(zones.iter().map(|(z, p)| format!("{z},{p}\n")))
            .collect();
        let set = ZoneSet::from_csv(csv.as_bytes(), "prop.csv").unwrap();
        let mut host = host;
        host.push("com".into());
        let host = host.join(".");
        let got = set.longest_match(host.as_bytes()).map(|m| (m.zone.to_string(), m.provider.to_string()));
        let want = naive_longest(&zones, &host).map(|(z, p)| (z.clone(), p.clone()));
        prop_assert_eq!(got, want, "host {}", host);
    }

    /// Extraction never panics, and whatever it returns is a valid host that
    /// is the lower-cased, dot-stripped value when the value is plain.
    #[test]
    fn extraction_is_total(value in prop::collection::vec(any::<u8>(), 0..80)) {
        let mut h = HostExtractor::new();
        if let Some(host) = h.host(&value) {
            prop_assert!(dynamicdns_engine::host::is_host(host));
        }
    }

    #[test]
    fn url_wrapping_does_not_change_the_verdict(
        sub in "[a-z0-9]{1,10}",
        zone in prop::sample::select(vec!["duckdns.org", "home.dyndns.org", "no-ip.co.uk", "example.com"]),
        scheme in prop::sample::select(vec!["http", "https", "ftp", "ws"]),
        user in prop::option::of("[a-z]{1,5}"),
        port in prop::option::of(1u16..),
        path in "(/[a-z.]{0,8}){0,3}",
    ) {
        let z = nested();
        let host = format!("{sub}.{zone}");
        let url = format!(
            "{scheme}://{}{host}{}{path}",
            user.map(|u| format!("{u}@")).unwrap_or_default(),
            port.map(|p| format!(":{p}")).unwrap_or_default()
        );
        prop_assert_eq!(verdict(&z, &url), verdict(&z, &host));
    }
}

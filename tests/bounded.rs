//! Bounded work per value and per record: hostile shapes —
//! `a.a.a…` names, 64k-byte values, 10,000-label names, records naming
//! thousands of distinct zones — cost time linear in their size.
//!
//! Timing is compared, not measured absolutely: the same input at n and 4n
//! must take well under the 16x a quadratic path would (the bound allows
//! 10x plus slack for a noisy shared machine); each case is the fastest of
//! three runs. Everything runs in-process through the library enricher.

use std::time::{Duration, Instant};

use dynamicdns_engine::enrich::{Dialect, Enricher};
use dynamicdns_engine::options::Options;
use dynamicdns_engine::zoneset::ZoneSet;

fn embedded() -> &'static ZoneSet {
    static Z: std::sync::OnceLock<ZoneSet> = std::sync::OnceLock::new();
    Z.get_or_init(ZoneSet::embedded)
}

/// A small set for text mode: building the automaton over every shipped
/// zone takes seconds in a debug build and is not what is measured here.
fn small() -> &'static ZoneSet {
    static Z: std::sync::OnceLock<ZoneSet> = std::sync::OnceLock::new();
    Z.get_or_init(|| {
        ZoneSet::from_csv(
            &b"zone,provider\nduckdns.org,DuckDNS\nddns.net,No-IP\na.a,A\n"[..],
            "small.csv",
        )
        .unwrap()
    })
}

/// Enriches `body`; returns the output and the fastest of three runs.
fn enrich(zones: &ZoneSet, args: &[&str], body: &[u8]) -> (Vec<u8>, Duration) {
    let options = Options::from_spl_args(args).unwrap();
    let mut e = Enricher::new(zones, &options, Dialect::Splunk);
    let mut best = Duration::MAX;
    let mut out = Vec::new();
    for _ in 0..3 {
        out.clear();
        let t = Instant::now();
        e.process_body(body, &mut out).unwrap();
        best = best.min(t.elapsed());
    }
    (out, best)
}

/// Asserts that `make(4n)` costs less than 10x `make(n)` (plus slack).
fn assert_linear(
    what: &str,
    zones: &ZoneSet,
    args: &[&str],
    n: usize,
    make: impl Fn(usize) -> Vec<u8>,
) {
    // One measurement at a time: the tests of this file run in parallel.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let (small_body, large_body) = (make(n), make(4 * n));
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (_, small) = enrich(zones, args, &small_body);
    let (_, large) = enrich(zones, args, &large_body);
    assert!(
        large <= small * 10 + Duration::from_millis(100),
        "{what}: n={n} took {small:?}, 4n took {large:?} (quadratic?)"
    );
}

/// Builds a body of size parameter n.
type MakeBody = dyn Fn(usize) -> Vec<u8>;

/// One-column body with `value` quoted in one record.
fn body(field: &str, value: &[u8]) -> Vec<u8> {
    let mut b = format!("{field},other\n\"").into_bytes();
    for &c in value {
        if c == b'"' {
            b.push(b'"');
        }
        b.push(c);
    }
    b.extend_from_slice(b"\",x\n");
    b
}

#[test]
fn dotted_and_long_values_in_host_mode() {
    let zones = embedded();
    let cases: Vec<(&str, Box<MakeBody>)> = vec![
        ("a.a.a…", Box::new(|n| body("query", &b"a.".repeat(n)))),
        (
            "a.a.a….duckdns.org",
            Box::new(|n| body("query", &[&b"a.".repeat(n)[..], b"duckdns.org"].concat())),
        ),
        (
            "one long label",
            Box::new(|n| body("query", &[&b"a".repeat(n)[..], b".duckdns.org"].concat())),
        ),
        (
            "userinfo @@@",
            Box::new(|n| {
                body("query", &[b"http://", &b"@".repeat(n)[..], b"x.duckdns.org/"].concat())
            }),
        ),
        ("percent-encoded", Box::new(|n| body("query", &b"%41.".repeat(n)))),
        ("unicode labels", Box::new(|n| body("query", "ü.".repeat(n).as_bytes()))),
        ("debug name", Box::new(|n| body("query", &[&b"(1)a".repeat(n)[..], b"(0)"].concat()))),
        ("brackets", Box::new(|n| body("query", &b"[".repeat(n)))),
        ("newline-joined values", Box::new(|n| body("query", &b"a.duckdns.org\n".repeat(n)))),
    ];
    for (what, make) in &cases {
        assert_linear(what, zones, &[], 16 * 1024, make);
        // The long record itself comes out whole.
        let input = make(32 * 1024);
        let (out, _) = enrich(zones, &[], &input);
        let record = &input[b"query,other\n".len()..input.len() - 1];
        assert!(memchr::memmem::find(&out, record).is_some(), "{what}");
    }
}

#[test]
fn ten_thousand_labels_and_overlong_names_are_not_hosts() {
    let zones = embedded();
    for value in [
        [&b"a.".repeat(10_000)[..], b"duckdns.org"].concat(),
        [&b"a".repeat(64)[..], b".duckdns.org"].concat(),
        [&b"a.".repeat(122)[..], b"duckdns.org"].concat(), // 255 bytes
        [&b"a".repeat(100_000)[..], b".duckdns.org"].concat(),
    ] {
        let input = body("query", &value);
        let (out, _) = enrich(zones, &[], &input);
        let content = &input[..input.len() - 1];
        assert_eq!(
            out,
            [
                b"query,other,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier,__mv_provider,__mv_dyndns_zone,__mv_dyndns_category,__mv_dyndns_tier\n",
                &content[12..],
                b",False,,,,,,,,\n"
            ]
            .concat()
        );
    }
}

#[test]
fn text_mode_runs_of_host_bytes() {
    let zones = small();
    let args = ["mode=text", "field=_raw"];
    assert_linear("a.a.a… text", zones, &args, 16 * 1024, |n| body("_raw", &b"a.".repeat(n)));
    assert_linear("many hits text", zones, &args, 4 * 1024, |n| {
        body("_raw", &b"x.duckdns.org y.ddns.net ".repeat(n))
    });
    assert_linear("one long run", zones, &args, 4 * 1024, |n| {
        body("_raw", &b"x.duckdns.org.".repeat(n))
    });
}

/// A record naming thousands of distinct zones (a `_raw` listing them, or
/// a multivalue field): deduplicating the hits was quadratic in their
/// number (81 s for 64,000 in a debug build); now linear.
#[test]
fn thousands_of_distinct_zones_in_one_record() {
    let zones = embedded();
    let names: Vec<&str> = zones.iter().map(|m| m.zone).take(8000).collect();
    let hosts = |n: usize| -> Vec<Vec<u8>> {
        names[..n].iter().map(|z| format!("x.{z}").into_bytes()).collect()
    };
    // Plain cell, values joined by newlines.
    assert_linear("newline-joined distinct zones", zones, &[], 2000, |n| {
        body("query", &hosts(n).join(&b'\n'))
    });
    // The __mv_ cell.
    let mv = |n: usize| {
        let mut cell = Vec::new();
        dynamicdns_engine::record::encode_mv(hosts(n).iter().map(Vec::as_slice), &mut cell);
        let mut b = b"query,__mv_query\nx,".to_vec();
        dynamicdns_engine::record::write_field(&cell, &mut b);
        b.push(b'\n');
        b
    };
    assert_linear("multivalue distinct zones", zones, &[], 2000, mv);
    // Every zone is reported once, in order.
    let (out, _) = enrich(zones, &[], &body("query", &hosts(8000).join(&b'\n')));
    let mut rdr = csv::Reader::from_reader(&out[..]);
    let zone_col = rdr.headers().unwrap().iter().position(|h| h == "dyndns_zone").unwrap();
    let row = rdr.records().next().unwrap().unwrap();
    let got: Vec<&str> = row[zone_col].split('\n').collect();
    assert_eq!(got, names);
}

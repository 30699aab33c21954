//! Bounded work per value and per record: hostile shapes — `a.a.a…`
//! names, 64k-byte values, 10,000-label names, records naming thousands of
//! distinct zones — cost work linear in their size.
//!
//! Counted, not timed: each body goes through `dynamicdns scp` (one getinfo,
//! one execute request) under callgrind, and the instructions at size 4n,
//! less those of a header-only body, must stay within 5× those at n: a
//! linear path gives 4×, a quadratic one 16×. The counts are exact, so the
//! check does not move with the machine's load, and the whole process is
//! measured (the record scanner, host extraction and the IDNA crate, the
//! suffix hash, the verdict's distinct lists). Needs valgrind (the `debian`
//! step of `cargo xtask ci` installs it); without it these tests print a
//! note and pass, unless `CI=true`. The times themselves are the
//! benchmarks' (`benches/huge_record.rs`, `cargo xtask bench`).

use std::process::Command;

use dynamicdns_engine::enrich::{Dialect, Enricher};
use dynamicdns_engine::options::Options;
use dynamicdns_engine::zoneset::ZoneSet;

use crate::util::{process, scp, BIN};

/// The SCP session splunkd would send for `| dynamicdns ARGS` over `body`.
fn session(args: &[&str], body: &[u8]) -> Vec<u8> {
    [scp::getinfo(args), scp::execute(true, body)].concat()
}

/// valgrind, if installed; `None` (after a note) when it is not and CI does
/// not require it.
fn valgrind() -> Option<&'static str> {
    static FOUND: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let found = *FOUND.get_or_init(|| {
        let ok =
            Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success());
        if !ok {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "valgrind is needed for tests/bounded.rs (CI=true); apt-get install valgrind"
            );
            eprintln!("note: no valgrind: skipping the work counts of tests/bounded.rs");
        }
        ok
    });
    found.then_some("valgrind")
}

/// Instructions `dynamicdns scp` executes on `input` (callgrind's
/// `Collected` line); the session must succeed. The input comes from a
/// file, so every run reads it in the same pieces.
fn instructions(valgrind: &str, input: &[u8]) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session");
    std::fs::write(&path, input).unwrap();
    let out = Command::new(valgrind)
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(BIN)
        .arg("scp")
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    err.lines()
        .find_map(|l| l.split_once("== Collected : ").and_then(|(_, n)| n.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no callgrind count in:\n{err}"))
}

/// Asserts that `make(4n)` costs at most 5× the work of `make(n)`, each
/// less the work of the same body's header row alone.
fn assert_linear(what: &str, args: &[&str], n: usize, make: impl Fn(usize) -> Vec<u8>) {
    let Some(vg) = valgrind() else { return };
    let (small, large) = (make(n), make(4 * n));
    let header = &small[..=small.iter().position(|&b| b == b'\n').unwrap()];
    let [base, small, large] =
        [header, &small, &large].map(|body| instructions(vg, &session(args, body)));
    let (small, large) = (small.saturating_sub(base).max(1), large.saturating_sub(base));
    assert!(
        large <= 5 * small,
        "{what}: {small} instructions at n={n}, {large} at 4n (beyond {base} for the header \
         alone): {:.1}× (quadratic?)",
        large as f64 / small as f64
    );
}

/// The execute reply's body for `body` (run natively).
fn reply(args: &[&str], body: &[u8]) -> Vec<u8> {
    let out = process::run(process::bin().arg("scp"), &session(args, body));
    assert!(out.status.success(), "{}", process::stderr(&out));
    scp::split_chunks(&out.stdout).pop().unwrap().1
}

/// Builds a body of size parameter n.
type MakeBody = dyn Fn(usize) -> Vec<u8>;

/// A body with `value` quoted in one record of column `field`.
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
        assert_linear(what, &[], 4 * 1024, make);
        // The long record itself comes out whole.
        let input = make(32 * 1024);
        let out = reply(&[], &input);
        let record = &input[b"query,other\n".len()..input.len() - 1];
        assert!(memchr::memmem::find(&out, record).is_some(), "{what}");
    }
}

#[test]
fn ten_thousand_labels_and_overlong_names_are_not_hosts() {
    let zones = ZoneSet::embedded();
    let mut e = Enricher::new(&zones, &Options::default(), Dialect::Splunk);
    for value in [
        [&b"a.".repeat(10_000)[..], b"duckdns.org"].concat(),
        [&b"a".repeat(64)[..], b".duckdns.org"].concat(),
        [&b"a.".repeat(122)[..], b"duckdns.org"].concat(), // 255 bytes
        [&b"a".repeat(100_000)[..], b".duckdns.org"].concat(),
    ] {
        let input = body("query", &value);
        let mut out = Vec::new();
        e.process_body(&input, &mut out).unwrap();
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
    let args = ["mode=text", "field=_raw"];
    assert_linear("a.a.a… text", &args, 4 * 1024, |n| body("_raw", &b"a.".repeat(n)));
    assert_linear("many hits text", &args, 1024, |n| {
        body("_raw", &b"x.duckdns.org y.ddns.net ".repeat(n))
    });
    assert_linear("one long run", &args, 1024, |n| body("_raw", &b"x.duckdns.org.".repeat(n)));
}

/// A record naming thousands of distinct zones (a `_raw` listing them, or
/// a multivalue field): deduplicating the hits was once quadratic in their
/// number (81 s for 64,000 in a debug build).
#[test]
fn thousands_of_distinct_zones_in_one_record() {
    let zones = ZoneSet::embedded();
    let names: Vec<&str> = zones.iter().map(|m| m.zone).take(8000).collect();
    let hosts = |n: usize| -> Vec<Vec<u8>> {
        names[..n].iter().map(|z| format!("x.{z}").into_bytes()).collect()
    };
    // Plain cell, values joined by newlines.
    assert_linear("newline-joined distinct zones", &[], 2000, |n| {
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
    assert_linear("multivalue distinct zones", &[], 2000, mv);
    // Every zone is reported once, in order.
    let out = reply(&[], &body("query", &hosts(8000).join(&b'\n')));
    let mut rdr = csv::Reader::from_reader(&out[..]);
    let zone_col = rdr.headers().unwrap().iter().position(|h| h == "dyndns_zone").unwrap();
    let row = rdr.records().next().unwrap().unwrap();
    let got: Vec<&str> = row[zone_col].split('\n').collect();
    assert_eq!(got, names);
}

//! Micro-benchmark of the matcher alone: hosts per second through
//! [`ZoneSet::longest_match`] over the shipped zone list, and through host
//! extraction plus matching (what the command does per value).
//!
//! `cargo bench --bench matcher`; divan prints the time per pass over the
//! host list and the throughput in hosts per second (ns/host = 1 / that).
//! The lists are fixed (no randomness), so runs compare. Each pass checks
//! its hit count against a naive oracle (a hash set of the zone names and
//! every proper suffix of the host), so a fast wrong matcher fails here.

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use std::collections::HashSet;

use dynamicdns_engine::host::HostExtractor;
use dynamicdns_engine::zoneset::ZoneSet;

fn main() {
    divan::main();
}

const WORDS: &[&str] = &[
    "alpha", "beacon", "cedar", "delta", "ember", "falcon", "granite", "harbor", "iron", "jade",
    "kite", "lumen", "maple", "nimbus", "oak", "pixel", "quartz", "river", "summit", "tundra",
];
const POPULAR: &[&str] = &[
    "google.com",
    "microsoft.com",
    "akamaiedge.net",
    "cloudfront.net",
    "amazonaws.com",
    "github.com",
    "office365.com",
    "bbc.co.uk",
];

/// 10,000 normalised hosts shaped like the benchmark stream's queries: 97 %
/// ordinary names of two to five labels, 3 % below a shipped zone (every
/// 40th zone of the list), apexes and prefix lookalikes among the misses.
fn hosts(zones: &ZoneSet) -> Vec<String> {
    let ddns: Vec<&str> = zones.iter().step_by(40).map(|m| m.zone).collect();
    (0..10_000usize)
        .map(|i| {
            let w = |k: usize| WORDS[(i * 7 + k * 13) % WORDS.len()];
            let p = POPULAR[i % POPULAR.len()];
            match i % 100 {
                0..=2 => format!("{}{}.{}", w(0), i, ddns[i % ddns.len()]),
                3 => ddns[i % ddns.len()].to_string(),
                4 => format!("my{}", ddns[i % ddns.len()]),
                5..=40 => format!("{}.{}", w(1), p),
                41..=70 => format!("s{}.{}{}.com", i, w(2), w(3)),
                _ => format!("e{}.{:x}.{}.{}", i, i * 2654435761, w(4), p),
            }
        })
        .collect()
}

/// How many of `hosts` lie strictly below some zone: every suffix after a
/// dot looked up in a set of the zone names.
fn expected_hits(zones: &ZoneSet, hosts: impl Iterator<Item = String>) -> usize {
    let names: HashSet<&str> = zones.iter().map(|m| m.zone).collect();
    hosts.filter(|h| h.match_indices('.').any(|(i, _)| names.contains(&h[i + 1..]))).count()
}

#[divan::bench]
fn longest_match(bencher: Bencher) {
    let zones = ZoneSet::embedded();
    let hosts = hosts(&zones);
    let expected = expected_hits(&zones, hosts.iter().cloned());
    assert!(expected > 250, "the list has DDNS hosts: {expected}");
    bencher.counter(ItemsCount::new(hosts.len())).bench_local(|| {
        let mut hits = 0usize;
        for h in &hosts {
            hits += usize::from(zones.longest_match(black_box(h.as_bytes())).is_some());
        }
        assert_eq!(hits, expected);
        hits
    });
}

#[divan::bench]
fn extract_and_match(bencher: Bencher) {
    let zones = ZoneSet::embedded();
    // Raw values as they arrive: some upper-case, some with a root dot,
    // some URLs.
    let values: Vec<String> = hosts(&zones)
        .into_iter()
        .enumerate()
        .map(|(i, h)| match i % 50 {
            0 => h.to_ascii_uppercase(),
            1 => format!("{h}."),
            2 => format!("https://{h}:8443/a?b"),
            _ => h,
        })
        .collect();
    // The raw forms normalise to the same hosts.
    let expected = expected_hits(&zones, hosts(&zones).into_iter());
    let mut x = HostExtractor::new();
    bencher.counter(ItemsCount::new(values.len())).bench_local(|| {
        let mut hits = 0usize;
        for v in &values {
            if let Some(h) = x.host(black_box(v.as_bytes())) {
                hits += usize::from(zones.longest_match(h).is_some());
            }
        }
        assert_eq!(hits, expected);
        hits
    });
}

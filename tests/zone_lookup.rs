//! The committed zone list, `lookups/dynamic_dns_providers.csv`, is exactly
//! what `zonebuild` makes of the vendored sources in `data/`.

use std::path::PathBuf;

use dynamicdns::zonebuild::build_lookup;

const REGENERATE: &str = "run `cargo run --release -- zones build` to regenerate it from data/";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn committed() -> Vec<u8> {
    let path = root().join("lookups").join("dynamic_dns_providers.csv");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn built() -> Vec<u8> {
    let data = root().join("data");
    build_lookup(&data).unwrap_or_else(|e| panic!("building from {}: {e}", data.display()))
}

#[test]
fn committed_lookup_matches_vendored_sources() {
    let (built, committed) = (built(), committed());
    if built != committed {
        let (b, c) = (String::from_utf8_lossy(&built), String::from_utf8_lossy(&committed));
        let first = b.lines().zip(c.lines()).position(|(x, y)| x != y);
        let detail = match first {
            Some(i) => format!(
                "first difference on line {}:\n  built:     {}\n  committed: {}",
                i + 1,
                b.lines().nth(i).unwrap_or(""),
                c.lines().nth(i).unwrap_or("")
            ),
            None => format!(
                "built has {} lines, committed has {} (or line endings differ)",
                b.lines().count(),
                c.lines().count()
            ),
        };
        panic!("lookups/dynamic_dns_providers.csv is out of date; {REGENERATE}.\n{detail}");
    }
}

#[test]
fn build_is_deterministic() {
    assert!(built() == built(), "two builds from the same data/ differ");
}

/// Spot checks of the committed list: precedence, seed fixes, categories.
#[test]
fn committed_lookup_spot_checks() {
    let committed = committed();
    let mut reader = csv::Reader::from_reader(committed.as_slice());
    let header = reader.headers().expect("header").clone();
    assert_eq!(header.iter().collect::<Vec<_>>(), ["zone", "provider", "category", "sources"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("CSV row")).collect();
    let find = |zone: &str| -> Vec<String> {
        let row = rows.iter().find(|r| &r[0] == zone);
        let row = row.unwrap_or_else(|| panic!("{zone} missing; {REGENERATE}"));
        row.iter().map(str::to_string).collect()
    };
    let expected = [
        // The seed's display names are zone names; the PSL names the provider.
        ("ddns.net", "No-IP", "ddns", "dyn_dns_list;psl;seed_kql"),
        ("gotdns.ch", "No-IP", "ddns", "dyn_dns_list;psl;seed_kql"),
        ("freeddns.org", "Dynu", "ddns", "dyn_dns_list;psl;seed_kql"),
        ("duckdns.org", "DuckDNS", "ddns", "psl;seed_kql"),
        ("freedynamicdns.org", "No-IP", "ddns", "dyn_dns_list;seed_kql"),
        ("publicvm.com", "DNSExit", "ddns", "dyn_dns_list;seed_kql"),
        // psl beats dyn_dns_list (which says Now-DNS).
        ("16-b.it", "OpenHost", "ddns", "dyn_dns_list;psl"),
        ("home.dyndns.org", "Dyn (DynDNS)", "ddns", "dyn_dns_list;psl"),
        ("synology.me", "Synology", "vendor-ddns", "psl"),
    ];
    for (zone, provider, category, sources) in expected {
        assert_eq!(find(zone), [zone, provider, category, sources], "row of {zone}");
    }
    // Sorted bytewise, no duplicates.
    assert!(rows.windows(2).all(|w| w[0][0].as_bytes() < w[1][0].as_bytes()), "not sorted");
    // Every provider is spelled as in data/providers.csv.
    let known = std::fs::read(root().join("data").join("providers.csv")).expect("providers.csv");
    let mut reader = csv::Reader::from_reader(known.as_slice());
    let known: Vec<String> =
        reader.records().map(|r| r.expect("CSV row")[0].to_string()).collect();
    for row in &rows {
        assert!(
            row[1].is_empty() || known.iter().any(|k| k == &row[1]),
            "provider {:?} of {} is not in data/providers.csv",
            &row[1],
            &row[0]
        );
    }
}

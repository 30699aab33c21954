//! Compiles the shipped lists of the repository's `lookups/` into static
//! hash tables, so the binary needs no file and no parsing to start: the
//! zone list (`dynamic_dns_providers.csv`) and the provider service hosts
//! (`dynamic_dns_service_hosts.csv`), both written by `cargo xtask zones
//! build`. A bad row fails the build, naming the file and the line.

use std::fmt::Write as _;
use std::path::PathBuf;

use dynamicdns_zonetable::{TableBuilder, Tier, ZoneInfo};

const ZONES: &str = "../../lookups/dynamic_dns_providers.csv";
const SERVICE: &str = "../../lookups/dynamic_dns_service_hosts.csv";

/// The rows of a CSV file as (line, values of `columns`).
fn read(path: &str, columns: &[&str]) -> Vec<(usize, Vec<String>)> {
    let mut rdr = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let headers = rdr.headers().unwrap_or_else(|e| panic!("{path}: {e}")).clone();
    let cols: Vec<usize> = columns
        .iter()
        .map(|c| {
            headers
                .iter()
                .position(|h| h == *c)
                .unwrap_or_else(|| panic!("{path}: no `{c}` column"))
        })
        .collect();
    rdr.records()
        .enumerate()
        .map(|(i, rec)| {
            let rec = rec.unwrap_or_else(|e| panic!("{path}: {e}"));
            (i + 2, cols.iter().map(|&c| rec.get(c).unwrap_or("").to_string()).collect())
        })
        .collect()
}

fn main() {
    println!("cargo:rerun-if-changed={ZONES}");
    println!("cargo:rerun-if-changed={SERVICE}");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));

    let mut zones = TableBuilder::new();
    for (line, row) in read(ZONES, &["zone", "provider", "category", "tier", "sources"]) {
        let [zone, provider, category, tier, sources] = &row[..] else { unreachable!() };
        let tier = Tier::parse(tier)
            .unwrap_or_else(|| panic!("{ZONES}: line {line}: unknown tier {tier:?}"));
        let info = ZoneInfo { provider, category, tier, sources };
        if let Err(e) = zones.add(zone, info) {
            panic!("{ZONES}: line {line}: zone {zone:?}: {e}");
        }
    }
    let (blob, mut src) = zones.build().write_rust("zone_table", "zones.blob");
    std::fs::write(out.join("zones.blob"), blob).expect("write zones.blob");

    // Service hosts: exact names; the table's provider, category, tier and
    // sources, plus each host's zone and role in arrays beside it.
    let mut hosts = TableBuilder::new();
    let mut side = String::from("/// Zone and role of each service host, by table position.\n");
    side.push_str("pub(crate) static SERVICE_SIDE: &[(&str, &str)] = &[\n");
    for (line, row) in read(SERVICE, &["host", "provider", "zone", "role", "category", "source"]) {
        let [host, provider, zone, role, category, source] = &row[..] else { unreachable!() };
        let info = ZoneInfo { provider, category, tier: Tier::Core, sources: source };
        if let Err(e) = hosts.add(host, info) {
            panic!("{SERVICE}: line {line}: host {host:?}: {e}");
        }
        if dynamicdns_zonetable::name::problem(zone.as_bytes()).is_some() || role.is_empty() {
            panic!("{SERVICE}: line {line}: bad zone {zone:?} or empty role");
        }
        writeln!(side, "({zone:?}, {role:?}),").unwrap();
    }
    side.push_str("];\n");
    let rows = side.lines().count() - 3;
    let hosts = hosts.build();
    // The side array is indexed by table position: one row per host.
    assert_eq!(hosts.len(), rows, "{SERVICE}: a host is listed twice");
    let (blob, hosts_src) = hosts.write_rust("service_table", "service.blob");
    std::fs::write(out.join("service.blob"), blob).expect("write service.blob");
    src.push_str(&hosts_src);
    src.push_str(&side);
    std::fs::write(out.join("zones_table.rs"), src).expect("write zones_table.rs");
}

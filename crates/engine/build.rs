//! Compiles the shipped zone list (`lookups/dynamic_dns_providers.csv` at
//! the repository root) into a static hash table, so the binary needs no
//! file and no parsing to start.

use std::path::PathBuf;

use dynamicdns_zonetable::{TableBuilder, Tier};

const LOOKUP: &str = "../../lookups/dynamic_dns_providers.csv";

fn main() {
    println!("cargo:rerun-if-changed={LOOKUP}");
    let mut rdr = csv::Reader::from_path(LOOKUP).unwrap_or_else(|e| panic!("{LOOKUP}: {e}"));
    let headers = rdr.headers().unwrap_or_else(|e| panic!("{LOOKUP}: {e}")).clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{LOOKUP}: no `{name}` column"))
    };
    let (zone_col, provider_col) = (col("zone"), col("provider"));
    let tier_col = headers.iter().position(|h| h == "tier");
    let mut builder = TableBuilder::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.unwrap_or_else(|e| panic!("{LOOKUP}: {e}"));
        let zone = rec.get(zone_col).unwrap_or("");
        let provider = rec.get(provider_col).unwrap_or("");
        let tier = tier_col.and_then(|c| rec.get(c)).unwrap_or("");
        let tier = Tier::parse(tier)
            .unwrap_or_else(|| panic!("{LOOKUP}: line {line}: unknown tier {tier:?}"));
        if let Err(e) = builder.add(zone, provider, tier) {
            panic!("{LOOKUP}: line {line}: zone {zone:?}: {e}");
        }
    }
    let (blob, src) = builder.build().write_rust("zones.blob");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("zones.blob"), blob).expect("write zones.blob");
    std::fs::write(out.join("zones_table.rs"), src).expect("write zones_table.rs");
}

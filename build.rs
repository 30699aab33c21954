//! Compiles the shipped zone list (`lookups/dynamic_dns_providers.csv`) into
//! a static hash table, so the binary needs no file and no parsing to start.

use std::fmt::Write as _;
use std::path::PathBuf;

#[allow(dead_code)]
#[path = "src/zonetable.rs"]
mod zonetable;

const LOOKUP: &str = "lookups/dynamic_dns_providers.csv";

fn main() {
    println!("cargo:rerun-if-changed={LOOKUP}");
    println!("cargo:rerun-if-changed=src/zonetable.rs");
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
    let mut builder = zonetable::TableBuilder::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap_or_else(|e| panic!("{LOOKUP}: {e}"));
        let zone = rec.get(zone_col).unwrap_or("");
        let provider = rec.get(provider_col).unwrap_or("");
        let tier = tier_col.and_then(|c| rec.get(c)).unwrap_or("");
        let tier = zonetable::parse_tier(tier)
            .unwrap_or_else(|| panic!("{LOOKUP}: line {}: unknown tier {tier:?}", i + 2));
        if let Err(e) = builder.add(zone, provider, tier) {
            panic!("{LOOKUP}: line {}: zone {zone:?}: {e:?}", i + 2);
        }
    }
    let table = builder.build();

    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("zones.blob"), &*table.blob).expect("write zones.blob");
    let mut src = String::new();
    writeln!(src, "/// Zone names, concatenated.").unwrap();
    writeln!(
        src,
        "static BLOB: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/zones.blob\"));"
    )
    .unwrap();
    writeln!(src, "static ENTRIES: &[Entry] = &[").unwrap();
    for e in table.entries.iter() {
        writeln!(
            src,
            "Entry{{start:{},len:{},provider:{},tier:{}}},",
            e.start, e.len, e.provider, e.tier
        )
        .unwrap();
    }
    writeln!(src, "];\nstatic SLOTS: &[u32] = &[").unwrap();
    for chunk in table.slots.chunks(32) {
        let line: Vec<String> = chunk.iter().map(u32::to_string).collect();
        writeln!(src, "{},", line.join(",")).unwrap();
    }
    writeln!(src, "];\nstatic PROVIDERS: &[Cow<'static, str>] = &[").unwrap();
    for p in table.providers.iter() {
        writeln!(src, "Cow::Borrowed({:?}),", p.as_ref()).unwrap();
    }
    writeln!(src, "];\nconst MAX_LEN: usize = {};", table.max_len).unwrap();
    writeln!(src, "const INDEX_BITS: u32 = {};", table.index_bits).unwrap();
    std::fs::write(out.join("zones_table.rs"), src).expect("write zones_table.rs");
}

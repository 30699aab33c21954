//! The zone-file and allowlist loader (`zonefile::load`, `ZoneSet::from_csv`)
//! over arbitrary CSV, then lookups against what was loaded. Every zone
//! loaded must be a valid name and must be found again by `get`.
#![no_main]

use dynamicdns_engine::host::is_host;
use dynamicdns_engine::zonefile::{load, FileKind};
use dynamicdns_engine::zoneset::ZoneSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for kind in [FileKind::Zones, FileKind::Allowlist] {
        let loaded = load(data, "fuzz.csv", kind);
        // Each problem names the file; at most 20 and one that counts the rest.
        for p in &loaded.problems {
            assert!(p.to_string().contains("fuzz.csv"));
        }
        assert!(loaded.problems.len() <= dynamicdns_engine::zonefile::MAX_PROBLEMS_PER_FILE + 1);
        let set = ZoneSet::embedded().with_local(loaded.table.clone());
        let names: Vec<String> = ZoneSet::from_table(loaded.table).iter().map(|m| m.zone.to_string()).collect();
        for z in &names {
            assert!(is_host(z.as_bytes()), "{z:?}");
            let below = format!("x.{z}");
            if kind == FileKind::Zones {
                assert!(set.get(z.as_bytes()).is_some());
                assert!(set.longest_match(below.as_bytes()).is_some());
            }
        }
    }
    let _ = ZoneSet::from_csv(data, "fuzz.csv");
});

//! The external lookup over arbitrary CSV requests. The first input byte
//! picks the input field and the mode; the rest is the request. Checks: no
//! panic; a request that is answered gets one row back per row read, and
//! its header row back unchanged; text mode gives the same row count.
#![no_main]

use std::sync::LazyLock;

use dynamicdns_engine::external_lookup::lookup_stream;
use dynamicdns_engine::options::Mode;
use dynamicdns_engine::verdict::{Judge, OutputNames};
use dynamicdns_engine::zoneset::ZoneSet;
use libfuzzer_sys::fuzz_target;

static ZONES: LazyLock<ZoneSet> = LazyLock::new(ZoneSet::embedded);

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, request)) = data.split_first() else { return };
    let field = if ctl & 1 == 0 { "query" } else { "url" };
    let mode = if ctl & 2 == 0 { Mode::Host } else { Mode::Text };
    let mut judge = Judge::new(&ZONES, mode);
    let mut out = Vec::new();
    let Ok(stats) = lookup_stream(request, &mut out, &mut judge, field, &OutputNames::default())
    else {
        return;
    };
    // Every row read is written back, after the header.
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&out[..]);
    let rows = rdr.byte_records().count() as u64;
    if stats.rows > 0 || !out.is_empty() {
        assert_eq!(rows, stats.rows + 1, "rows written");
    }
    assert_eq!(stats.answered + stats.reverse, stats.rows);
});

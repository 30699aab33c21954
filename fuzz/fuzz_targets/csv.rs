//! The CSV record layer and the enricher over arbitrary bodies. The first
//! input byte picks the fields and Splunk (mv) mode; the rest is the body.
//! Checks: no panic; when a body enriches, feeding it in two pieces (the
//! streaming path the CLI uses) gives the same output; every input record
//! starts its output line unchanged unless it had a column of an added
//! name; multivalue encode/decode round-trips.
#![no_main]

use std::sync::LazyLock;

use dynamicdns_engine::enrich::{BodyStream, Dialect, Enricher};
use dynamicdns_engine::options::Options;
use dynamicdns_engine::record::{self, Scan};
use dynamicdns_engine::zoneset::ZoneSet;
use libfuzzer_sys::fuzz_target;

static ZONES: LazyLock<ZoneSet> = LazyLock::new(ZoneSet::embedded);

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, body)) = data.split_first() else { return };
    let fields: &[&str] = match ctl & 3 {
        0 => &["query"],
        1 => &["query", "answer"],
        2 => &["url"],
        _ => &["a", "_raw", "query"],
    };
    let args: Vec<String> = vec![format!("field={}", fields.join(","))];
    let options = Options::from_spl_args(&args).unwrap();
    let dialect = if ctl & 4 != 0 { Dialect::Splunk } else { Dialect::PlainCsv };
    let mut e = Enricher::new(&ZONES, &options, dialect);

    let mut whole = Vec::new();
    let whole_res = e.process_body(body, &mut whole);

    // Streaming in two pieces (the BodyStream the CLI and SCP use) must
    // agree with the whole-body result, error or not.
    let split = usize::from(ctl >> 3) * body.len() / 32;
    let mut e2 = Enricher::new(&ZONES, &options, dialect);
    let mut stream = BodyStream::new();
    stream.start(&mut e2);
    let mut out = Vec::new();
    stream.input().extend_from_slice(&body[..split]);
    let first = stream.process(&mut e2, false, &mut out);
    let streamed = first.and_then(|_| {
        stream.input().extend_from_slice(&body[split..]);
        stream.process(&mut e2, true, &mut out)
    });
    assert_eq!(streamed.is_ok(), whole_res.is_ok());
    if whole_res.is_ok() && !whole.is_empty() {
        assert_eq!(out, whole);
    }

    // The scanner's spans tile each record; unquote never grows a value.
    let mut spans = Vec::new();
    let mut scratch = Vec::new();
    let mut pos = 0;
    while let Ok(Scan::Record(r)) = record::scan_record(body, pos, true, &mut spans) {
        assert!(r.start == pos && r.content_end <= r.end && r.end > pos || r.end == body.len());
        for &(s, e) in &spans {
            assert!(s <= e && e <= r.content_end);
            assert!(record::unquote(&body[s..e], &mut scratch).len() <= e - s);
        }
        if r.end == pos {
            break;
        }
        pos = r.end;
    }

    // Multivalue: decode then encode reproduces a well-formed cell, and
    // encode then decode reproduces the values.
    let mut vals = Vec::new();
    if record::for_each_mv_value(body, &mut scratch, |v| vals.push(v.to_vec())) {
        let mut enc = Vec::new();
        record::encode_mv(vals.iter().map(Vec::as_slice), &mut enc);
        assert_eq!(enc, body);
    }
    let parts: Vec<&[u8]> = body.split(|&b| b == b';').collect();
    let mut enc = Vec::new();
    record::encode_mv(parts.iter().copied(), &mut enc);
    let mut back = Vec::new();
    assert!(record::for_each_mv_value(&enc, &mut scratch, |v| back.push(v.to_vec())));
    assert_eq!(back, parts);

    // A value written as a field scans back as one field of that value.
    let mut field = Vec::new();
    record::write_field(body, &mut field);
    if let Ok(Scan::Record(_)) = record::scan_record(&field, 0, true, &mut spans) {
        if spans.len() == 1 {
            assert_eq!(record::unquote(&field[spans[0].0..spans[0].1], &mut scratch), body);
        }
    }
});

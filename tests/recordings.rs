//! Replays of real splunkd input (Splunk 6.3, vendored under
//! `tests/data/recordings/scpv2/Splunk-6.3/`, see its README.md; Splunk
//! 8.0.3, used from `../shared/recordings/scpv2/Splunk-8.0.3/` and skipped
//! with a note when that folder is absent) through the real binary with the
//! lock-step driver of `util`.
//!
//! Each recording's getinfo gets `searchinfo.args` (and `raw_args`) replaced
//! by options for `dynamicdns`; its execute chunks are sent byte for byte
//! (the metadata as splunkd wrote it). The two truncated recordings are
//! repaired here as `shared/recordings/README.md` describes, and the
//! TestInternals output chunk's body (non-empty `__mv_` columns, invalid
//! UTF-8, CRLF rows) is sent as an execute request body. Every reply is
//! checked by `util::scp::check_execute_reply`: one reply per request,
//! `finished` echoed, equal record counts, every input field byte-identical,
//! the appended columns present and consistent (and equal to the naive
//! oracle where the named field holds plain hosts).

use crate::util::prelude::*;

const TEST_INTERNALS: &str =
    "TestInternals.test_record_writer_with_recordings.1443154424.42.output";

/// Replays `chunks` through `dynamicdns scp` (see [`replay_through`]).
fn replay(
    name: &str,
    chunks: &[(Vec<u8>, Vec<u8>)],
    args: &[&str],
    fields: &[&str],
    oracle: Option<&Oracle>,
) -> Vec<Exchange> {
    replay_through(Driver::spawn(), name, chunks, args, fields, oracle)
}

/// Re-splits one execute body into requests of `per` records each (header
/// row repeated, raw bytes kept), the last one `finished:true`.
fn resplit(body: &[u8], per: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let csv = parse_csv(body);
    let header = &body[csv.spans[0].start..csv.spans[0].end];
    let records = &csv.spans[1..];
    let n = records.len().div_ceil(per);
    (0..n)
        .map(|k| {
            let part = &records[k * per..((k + 1) * per).min(records.len())];
            let mut b = header.to_vec();
            b.extend_from_slice(&body[part[0].start..part[part.len() - 1].end]);
            let meta = format!(r#"{{"action":"execute","finished":{}}}"#, k + 1 == n);
            (meta.into_bytes(), b)
        })
        .collect()
}

fn count_newlines(values: &[&[u8]]) -> usize {
    values.iter().filter(|v| v.contains(&b'\n')).count()
}

#[test]
fn countmatches_text_mode() {
    let chunks = split_chunks(&recording("countmatches.input.gz"));
    assert_eq!(chunks.len(), 2);
    let body = &chunks[1].1;
    // The recording's point: lengths are bytes, not characters.
    assert_eq!(body.len(), 48_108);
    assert_eq!(std::str::from_utf8(body).unwrap().chars().count(), 39_083);
    let ex = replay("countmatches", &chunks, &["field=text", "mode=text"], &["text"], None);
    assert_eq!(ex.len(), 1);
    let Exchange { input, output } = &ex[0];
    assert_eq!(input.rows.len(), 500);
    assert_eq!(output.rows.len(), 500);
    // 48 tweets hold embedded newlines, all of them survive.
    assert_eq!(count_newlines(&input.column("text")), 48);
    assert_eq!(count_newlines(&output.column("text")), 48);
    assert_eq!(output.column("text"), input.column("text"));
    // Multibyte text (Arabic, CJK, emoji …) is unchanged.
    let non_ascii = output.column("text").iter().filter(|v| !v.is_ascii()).count();
    assert!(non_ascii > 50, "{non_ascii}");
    assert_eq!(output.column("isDynDNS").len(), 500);
}

#[test]
fn countmatches_resplit_into_7_record_requests() {
    let chunks = split_chunks(&recording("countmatches.input.gz"));
    let mut split = vec![chunks[0].clone()];
    split.extend(resplit(&chunks[1].1, 7));
    assert_eq!(split.len(), 1 + 72);
    // Host mode here: text mode builds its scanner over ~40,000 zones at
    // start-up, seconds in a debug build, and countmatches_text_mode already
    // covers it.
    let ex = replay("countmatches re-split", &split, &["field=text"], &["text"], None);
    assert_eq!(ex.len(), 72);
    let records: usize = ex.iter().map(|e| e.output.rows.len()).sum();
    assert_eq!(records, 500);
    let newlines: usize = ex.iter().map(|e| count_newlines(&e.output.column("text"))).sum();
    assert_eq!(newlines, 48);
}

#[test]
fn sum_map_50000_records() {
    let chunks = split_chunks(&recording("sum.map.input.gz"));
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[1].1.len(), 16_109_782);
    let ex = replay("sum.map", &chunks, &["field=host"], &["host"], Some(Oracle::shared()));
    let Exchange { input, output } = &ex[0];
    assert_eq!(input.rows.len(), 50_000);
    assert_eq!(output.rows.len(), 50_000);
    assert_eq!(input.header.len(), 48);
    assert_eq!(output.header.len(), 48 + ADDED.len());
}

#[test]
fn sum_reduce_one_record() {
    let chunks = split_chunks(&recording("sum.reduce.input.gz"));
    assert_eq!(chunks.len(), 2);
    let ex = replay("sum.reduce", &chunks, &["field=total"], &["total"], Some(Oracle::shared()));
    let Exchange { input, output } = &ex[0];
    assert_eq!(input.rows.len(), 1);
    assert_eq!(output.column("total"), vec![&b"2147943.07811"[..]]);
    assert_eq!(output.column("isDynDNS"), vec![&b"False"[..]]);
}

/// The generating commands' recordings (repaired, see `util::scp`) through
/// the streaming command: requests without records get empty replies.
/// `tests/info.rs` replays them through the generating `dynamicdns info`.
#[test]
fn generatehello_repaired() {
    let chunks = crate::util::scp::generatehello_repaired();
    let ex = replay("generatehello", &chunks, &[], &["query"], None);
    assert_eq!(ex.len(), 1);
    assert!(ex[0].input.rows.is_empty() && ex[0].output.rows.is_empty());
}

#[test]
fn pypygeneratetext_repaired() {
    let chunks = crate::util::scp::pypygeneratetext_repaired();
    let ex = replay("pypygeneratetext", &chunks, &[], &["query"], None);
    assert_eq!(ex.len(), 1);
}

#[test]
fn test_internals_body_with_multivalues_invalid_utf8_and_crlf() {
    let chunks = split_chunks(&recording(TEST_INTERNALS));
    assert_eq!(chunks.len(), 1);
    let body = &chunks[0].1;
    assert_eq!(body.len(), 762_288);
    // What makes it a torture test, checked on the input.
    let input = parse_csv(body);
    assert_eq!(input.rows.len(), 31);
    assert!(std::str::from_utf8(body).is_err(), "expected invalid UTF-8");
    assert!(input.spans.iter().all(|s| &body[s.content_end..s.end] == b"\r\n"), "CRLF row ends");
    let mv = input.column("__mv_random_integers").iter().filter(|v| !v.is_empty()).count();
    assert!(mv > 0, "non-empty __mv_ cells");
    assert!(input.rows.iter().flatten().any(|v| v.contains(&b'\n')), "LF inside values");

    let fields = ["random_unicode", "random_integers"];
    let requests = [getinfo(&["field=random_unicode,random_integers"]), execute(true, body)];
    let mut d = Driver::spawn();
    let reply = d.request(&requests[0]);
    assert_eq!(reply.metadata_raw, getinfo_reply(&["field=random_unicode,random_integers"]));
    let reply = d.request(&requests[1]);
    let (_, output) = check_execute_reply("TestInternals", body, true, &reply, &fields, None);
    assert_eq!(output.rows.len(), 31);
    assert_eq!(output.column("__mv_random_integers"), input.column("__mv_random_integers"));
    assert_eq!(output.column("random_bytes"), input.column("random_bytes"));
    // Every reply row keeps the CRLF of its input row.
    assert!(output.spans.iter().all(|s| &reply.body[s.content_end..s.end] == b"\r\n"));
    let fin = d.finish();
    assert_eq!(fin.status.code(), Some(0), "stderr {:?}", fin.stderr);
}

/// The Splunk 8.0.3 recording, read from `../shared` (repository root +
/// `../shared`) at run time, not copied into the project; None, with a
/// printed note, when it is absent.
fn splunk_803() -> Option<Vec<u8>> {
    let path =
        crate::util::root().join("../shared/recordings/scpv2/Splunk-8.0.3/multibyte_input.gz");
    if !path.exists() {
        eprintln!("note: {} is absent; the Splunk 8.0.3 replay is skipped", path.display());
        return None;
    }
    Some(read_recording(&path))
}

/// The execute requests of the 8.0.3 recording, as its README describes
/// them: raw splunkd bytes, irregular sizes, LF row ends, the last request
/// (`finished:true`) with records.
const SIZES_803: [usize; 9] = [6_638, 5_861, 1, 6_574, 5_926, 6_412, 6_088, 1_741, 1_441];

/// Splunk 8.0.3: the getinfo (re-serialised by splunklib: float times, no
/// args) with our options, then the nine execute chunks byte for byte, each
/// reply checked field by field against its request and the oracle.
#[test]
fn splunk_803_multibyte_input() {
    let Some(stream) = splunk_803() else { return };
    let chunks = split_chunks(&stream);
    assert_eq!(chunks.len(), 10);
    let meta: serde_json::Value = serde_json::from_slice(&chunks[0].0).unwrap();
    assert_eq!(meta["searchinfo"]["splunk_version"], "8.0.3");
    assert!(chunks[1..].iter().all(|(_, b)| !b.contains(&b'\r')), "LF row ends");
    let ex = replay(
        "8.0.3 multibyte_input",
        &chunks,
        &["field=teststring"],
        &["teststring"],
        Some(Oracle::shared()),
    );
    let sizes: Vec<usize> = ex.iter().map(|e| e.output.rows.len()).collect();
    assert_eq!(sizes, SIZES_803);
    let last = serde_json::from_slice::<serde_json::Value>(&chunks[9].0).unwrap();
    assert_eq!(last["finished"], true);
    for e in &ex {
        // The multibyte value survives; it is no host, so every event is False.
        assert!(e.output.column("teststring").iter().all(|v| *v == "ทt".as_bytes()));
        assert!(e.output.column("isDynDNS").iter().all(|v| *v == b"False"));
        assert_eq!(e.output.column("_time"), e.input.column("_time"));
    }
}

/// The same events as splunkd would send them after our getinfo reply
/// (selected-fields mode: `teststring`, the written fields, `_chunked_idx`
/// and their twins), merged back by `_chunked_idx`: the same events and
/// verdicts as the raw replay, `_time` (never sent) included.
#[test]
fn splunk_803_in_selected_fields_mode() {
    let Some(stream) = splunk_803() else { return };
    let chunks = split_chunks(&stream);
    let args = ["field=teststring"];
    let mut all = Splunkd::start(FieldMode::All, ChunkedIdx::PerRequest, &args);
    let mut sel = Splunkd::start(FieldMode::Selected, ChunkedIdx::PerRequest, &args);
    for (i, (meta, body)) in chunks[1..].iter().enumerate() {
        let m: serde_json::Value = serde_json::from_slice(meta).unwrap();
        let finished = m["finished"].as_bool().unwrap();
        let what = format!("8.0.3 request {}", i + 1);
        let a = all.execute(&what, finished, body);
        check_execute_reply(&what, &a.body, finished, &a.reply, &["teststring"], None);
        let s = sel.execute(&what, finished, body);
        check_execute_reply(&what, &s.body, finished, &s.reply, &["teststring"], None);
        assert!(!s.body.windows(7).any(|w| w == b"__time"), "{what}: _time was sent");
        assert_eq!(s.events.rows.len(), SIZES_803[i]);
        s.events.assert_same(&a.events, &what);
    }
    for d in [all, sel] {
        let fin = d.finish();
        assert_eq!(fin.status.code(), Some(0), "stderr {:?}", fin.stderr);
        assert_eq!(fin.stderr, "");
    }
}

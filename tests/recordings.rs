//! Replays of real splunkd input (Splunk 6.3, vendored under
//! `tests/data/recordings/scpv2/Splunk-6.3/`, see its README.md) through the
//! real binary with the lock-step driver of `util`.
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
    assert_eq!(reply.metadata_raw, GETINFO_REPLY);
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

//! Checking execute replies against their requests, and replaying a
//! conversation through a driven process with every reply checked.

use serde_json::Value;

use super::{chunk, getinfo_reply, with_args, Reply, ADDED};
use crate::util::driver::Driver;
use crate::util::oracle::Oracle;
use crate::util::splunk_csv::{decode_mv, parse_csv, Csv};

/// One checked execute exchange.
pub struct Exchange {
    /// The request body, parsed.
    pub input: Csv,
    /// The reply body, parsed.
    pub output: Csv,
}

/// Replays `chunks` (a getinfo, then execute requests) through the driven
/// process `d`: the getinfo with `args`, each execute request unchanged.
/// Checks every reply with [`check_execute_reply`] and a clean exit 0, and
/// returns the exchanges.
pub fn replay_through(
    mut d: Driver,
    name: &str,
    chunks: &[(Vec<u8>, Vec<u8>)],
    args: &[&str],
    fields: &[&str],
    oracle: Option<&Oracle>,
) -> Vec<Exchange> {
    let (meta, body) = &chunks[0];
    assert!(body.is_empty(), "{name}: getinfo has a body");
    let reply = d.request(&chunk(with_args(meta, args), b""));
    assert_eq!(
        String::from_utf8_lossy(&reply.metadata_raw),
        String::from_utf8_lossy(&getinfo_reply(args)),
        "{name}: getinfo reply"
    );
    assert!(reply.body.is_empty(), "{name}: getinfo reply body");
    let mut out = Vec::new();
    for (i, (meta, body)) in chunks[1..].iter().enumerate() {
        let m: Value = serde_json::from_slice(meta).unwrap();
        assert_eq!(m["action"], "execute", "{name}: chunk {}", i + 2);
        let finished = m["finished"].as_bool().expect("finished");
        let reply = d.request(&chunk(meta, body));
        let what = format!("{name}: execute request {}", i + 1);
        let (input, output) = check_execute_reply(&what, body, finished, &reply, fields, oracle);
        out.push(Exchange { input, output });
    }
    let fin = d.finish();
    assert_eq!(fin.status.code(), Some(0), "{name}: exit status, stderr {:?}", fin.stderr);
    out
}

/// Checks one execute reply against its request:
/// - metadata is `{"finished": <request's finished>}`, optionally with an
///   `inspector` WARN message, allowed only on the last request
///   (`finished`), when none of its records has a value in any of `fields`
///   (that no earlier request had one either is for the callers to check,
///   where they know the session);
/// - no records in → empty body out;
/// - otherwise the reply parses with the CSV oracle; its header is the
///   input header (an input column named like an added one — selected-fields
///   mode declares them, or the command ran twice — is replaced where it
///   stands) plus the [`ADDED`] columns the input lacks, raw header bytes
///   kept; the record count is equal; every other input field is
///   byte-identical by column name and in its raw (quoted) bytes; without
///   replaced columns each output record's raw bytes start with the input
///   record's content followed by a comma; every record ends with the input
///   record's own line ending;
/// - the added columns are consistent (`True`/`False`, `__mv_` cells decode
///   to the LF-joined plain cell, `__mv_isDynDNS` empty), and equal the
///   oracle's values when an oracle is given.
///
/// Returns the parsed input and output.
pub fn check_execute_reply(
    what: &str,
    request_body: &[u8],
    finished: bool,
    reply: &Reply,
    fields: &[&str],
    oracle: Option<&Oracle>,
) -> (Csv, Csv) {
    // Both bodies are parsed at once (16 MB each for sum.map, in debug).
    let (input, output) = std::thread::scope(|s| {
        let out = s.spawn(|| parse_csv(&reply.body));
        let input = parse_csv(request_body);
        match out.join() {
            Ok(output) => (input, output),
            Err(e) => std::panic::resume_unwind(e),
        }
    });
    let written =
        |name: &[u8]| ADDED.iter().chain(&["__mv_isDynDNS"]).any(|a| a.as_bytes() == name);
    let replaced = input.header.iter().any(|h| written(h));
    let has_value = fields
        .iter()
        .any(|f| input.col(f).is_some_and(|c| input.rows.iter().any(|r| !r[c].is_empty())));

    let meta = &reply.metadata;
    assert_eq!(
        meta.get("finished"),
        Some(&Value::Bool(finished)),
        "{what}: finished not echoed: {meta:?}"
    );
    for key in meta.keys() {
        assert!(
            key == "finished" || key == "inspector",
            "{what}: unexpected metadata key {key:?}: {meta:?}"
        );
    }
    if let Some(insp) = meta.get("inspector") {
        let msgs = insp
            .get("messages")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{what}: {insp}"));
        assert!(!msgs.is_empty(), "{what}: empty inspector messages");
        for m in msgs {
            let m = m.as_array().unwrap_or_else(|| panic!("{what}: inspector message {m}"));
            assert_eq!(m.len(), 2, "{what}: inspector message {m:?}");
            assert_eq!(m[0], "WARN", "{what}: inspector level {m:?}");
            assert!(m[1].is_string(), "{what}: inspector text {m:?}");
        }
        // The missing-field warning is about the whole session, so it
        // comes with splunkd's last request, whatever that one holds.
        assert!(
            !has_value && finished,
            "{what}: WARN although a named field has a value or the request is not the last"
        );
    }

    if input.rows.is_empty() {
        assert!(
            reply.body.is_empty(),
            "{what}: a request without records got a {}-byte body: {:?}",
            reply.body.len(),
            String::from_utf8_lossy(&reply.body[..reply.body.len().min(200)])
        );
        return (input, output);
    }

    let mut want_header = input.header.clone();
    for a in ADDED {
        if input.col(a).is_none() {
            want_header.push(a.as_bytes().to_vec());
        }
    }
    assert_eq!(output.header, want_header, "{what}: output header");
    assert_eq!(output.rows.len(), input.rows.len(), "{what}: record count");

    // Raw bytes: the header and every record keep their input bytes.
    for (k, (i, o)) in input.spans.iter().zip(&output.spans).enumerate() {
        let in_content = &request_body[i.start..i.content_end];
        let out_content = &reply.body[o.start..o.content_end];
        if replaced && k > 0 {
            let (ins, outs) = (raw_fields(in_content), raw_fields(out_content));
            assert_eq!(outs.len(), output.header.len(), "{what}: record {k}: raw fields");
            for (c, name) in input.header.iter().enumerate() {
                assert!(
                    written(name) || ins[c] == outs[c],
                    "{what}: record {k}, field {:?}: raw bytes changed:\n in: {:?}\nout: {:?}",
                    String::from_utf8_lossy(name),
                    ins[c].escape_ascii().to_string(),
                    outs[c].escape_ascii().to_string()
                );
            }
        } else {
            assert!(
                out_content.starts_with(in_content)
                    && (out_content.len() == in_content.len() && replaced
                        || out_content.get(in_content.len()) == Some(&b',')),
                "{what}: record {k} (0 = header) does not start with its input bytes:\n in: {:?}\nout: {:?}",
                in_content.escape_ascii().to_string(),
                out_content.escape_ascii().to_string()
            );
        }
        assert!(
            !out_content.ends_with(b"\n") && !out_content.ends_with(b"\r"),
            "{what}: record {k} is followed by a blank line"
        );
        let in_eol = &request_body[i.content_end..i.end];
        let in_eol: &[u8] = if in_eol.is_empty() { b"\n" } else { in_eol };
        assert_eq!(
            &reply.body[o.content_end..o.end],
            in_eol,
            "{what}: record {k} (0 = header) line ending"
        );
    }

    // Values, by column name.
    let map: Vec<usize> = input
        .header
        .iter()
        .map(|h| output.header.iter().position(|o| o == h).expect("column kept"))
        .collect();
    let added: Vec<usize> = ADDED.iter().map(|a| output.col(a).unwrap()).collect();
    let mv_is = output.col("__mv_isDynDNS");
    for (r, (irow, orow)) in input.rows.iter().zip(&output.rows).enumerate() {
        for (c, &oc) in map.iter().enumerate() {
            if irow[c] != orow[oc] && !written(&input.header[c]) {
                panic!(
                    "{what}: record {r}, field {:?} changed:\n in: {:?}\nout: {:?}",
                    String::from_utf8_lossy(&input.header[c]),
                    irow[c].escape_ascii().to_string(),
                    orow[oc].escape_ascii().to_string()
                );
            }
        }
        if let Some(c) = mv_is {
            assert!(orow[c].is_empty(), "{what}: record {r}: __mv_isDynDNS set");
        }
        let got: Vec<&[u8]> = added.iter().map(|&c| &orow[c][..]).collect();
        check_added_consistent(what, r, &got);
        if let Some(oracle) = oracle {
            let want = oracle.expected(fields, &input.header, irow);
            for (k, name) in ADDED.iter().enumerate() {
                if got[k] != want[k] {
                    panic!(
                        "{what}: record {r}: {name} is {:?}, the oracle says {:?}; input row {:?}",
                        got[k].escape_ascii().to_string(),
                        want[k].escape_ascii().to_string(),
                        irow.iter().map(|v| v.escape_ascii().to_string()).collect::<Vec<_>>()
                    );
                }
            }
        }
    }
    (input, output)
}

/// The raw fields of one record's content (quotes kept), split on the
/// commas outside quotes.
fn raw_fields(content: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, &b) in content.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                out.push(&content[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&content[start..]);
    out
}

/// The appended values agree with each other.
fn check_added_consistent(what: &str, r: usize, got: &[&[u8]]) {
    let [is, provider, zone, category, tier] = [got[0], got[1], got[2], got[3], got[4]];
    let mv = &got[5..9];
    match is {
        b"True" => assert!(!zone.is_empty(), "{what}: record {r}: True without a zone"),
        // False: no hit at all, or only provider service hosts.
        b"False" if zone.is_empty() => assert!(
            got[1..].iter().all(|v| v.is_empty()),
            "{what}: record {r}: False with values but no zone"
        ),
        b"False" => assert_eq!(
            category, b"provider-service",
            "{what}: record {r}: False with a zone that is not a service host"
        ),
        other => panic!("{what}: record {r}: isDynDNS = {:?}", other.escape_ascii().to_string()),
    }
    if !zone.is_empty() {
        assert!(!category.is_empty() && !tier.is_empty(), "{what}: record {r}: no category/tier");
    }
    let names = ["provider", "dyndns_zone", "dyndns_category", "dyndns_tier"];
    for ((plain, mv), name) in [provider, zone, category, tier].into_iter().zip(mv).zip(names) {
        let values: Vec<&[u8]> = plain.split(|&b| b == b'\n').collect();
        if values.len() > 1 {
            let decoded =
                decode_mv(mv).unwrap_or_else(|| panic!("{what}: record {r}: bad __mv_{name}"));
            assert_eq!(decoded, values, "{what}: record {r}: __mv_{name} disagrees with {name}");
        } else {
            assert!(mv.is_empty(), "{what}: record {r}: __mv_{name} set for one value");
        }
    }
}

//! SCP v2 chunks as splunkd writes them, recordings of real splunkd, and
//! [`check_execute_reply`], which checks one execute reply against its
//! request (every record back, in order, byte-identical, with exactly the
//! added fields, and the oracle's verdicts).
//!
//! What splunkd sends is described in the repository's DESIGN.md
//! ("The protocol's contract").

use std::io::Read;

use serde_json::{json, Map, Value};

use super::driver::Driver;
use super::oracle::Oracle;
use super::splunk_csv::{decode_mv, parse_csv, Csv};

/// The getinfo reply `dynamicdns` sends.
pub const GETINFO_REPLY: &[u8] = br#"{"type":"streaming"}"#;

/// The columns the command appends, in order.
pub const ADDED: [&str; 9] = [
    "isDynDNS",
    "provider",
    "dyndns_zone",
    "dyndns_category",
    "dyndns_tier",
    "__mv_provider",
    "__mv_dyndns_zone",
    "__mv_dyndns_category",
    "__mv_dyndns_tier",
];

/// One chunk read from the command's stdout.
#[derive(Clone, Debug)]
pub struct Reply {
    /// The metadata bytes as written.
    pub metadata_raw: Vec<u8>,
    /// The metadata, parsed (always a JSON object).
    pub metadata: Map<String, Value>,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// A whole chunk: transport header, metadata bytes, body bytes.
pub fn chunk(metadata: impl AsRef<[u8]>, body: impl AsRef<[u8]>) -> Vec<u8> {
    let (metadata, body) = (metadata.as_ref(), body.as_ref());
    let mut v = format!("chunked 1.0,{},{}\n", metadata.len(), body.len()).into_bytes();
    v.extend_from_slice(metadata);
    v.extend_from_slice(body);
    v
}

/// The exact error reply chunk for `msg` (inspector first, as the command
/// writes it).
pub fn error_reply(msg: &str) -> Vec<u8> {
    let m = serde_json::to_string(msg).unwrap();
    chunk(
        format!(r#"{{"inspector":{{"messages":[["ERROR",{m}]]}},"finished":true,"error":{m}}}"#),
        b"",
    )
}

/// A chunk whose metadata is `metadata` serialised compactly, as splunkd
/// writes it.
pub fn chunk_json(metadata: &Value, body: &[u8]) -> Vec<u8> {
    chunk(serde_json::to_vec(metadata).unwrap(), body)
}

/// An execute request exactly as splunkd writes it.
pub fn execute(finished: bool, body: &[u8]) -> Vec<u8> {
    chunk(format!(r#"{{"action":"execute","finished":{finished}}}"#).as_bytes(), body)
}

/// Percent-encodes `s` the way splunkd encodes `searchinfo.search`
/// (everything but unreserved characters).
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Realistic getinfo metadata for `| dynamicdns <args>`:
/// every searchinfo key splunkd 6.3 and 8.2 send, plus unknown keys that a
/// command must ignore.
pub fn getinfo_metadata(args: &[&str]) -> Value {
    let search = format!("search index=dns sourcetype=stream:dns | dynamicdns {}", args.join(" "));
    json!({
        "action": "getinfo",
        "preview": false,
        "streaming_command_will_restart": false,
        "searchinfo": {
            "args": args,
            "raw_args": args,
            "dispatch_dir": "/opt/splunk/var/run/splunk/dispatch/1700000000.42",
            "sid": "1700000000.42",
            "app": "dynamicdns",
            "owner": "admin",
            "username": "admin",
            "session_key": "Zq9^kT_3x9PZl2m0rJ0M0bq^Wr8Xy7Gk2c1R0aXfBq6gL2mQ4zU5nV7wY9sA1dC3eF5hJ7kL9",
            "splunkd_uri": "https://127.0.0.1:8089",
            "splunk_version": "9.1.2",
            "search": url_encode(&search),
            "earliest_time": "0",
            "latest_time": "0",
            "command": "dynamicdns",
            "maxresultrows": 50000,
            "x_future_key": {"nested": [1, "two", null]}
        },
        "x_unknown_top_level": "ignored"
    })
}

/// A getinfo request for `| dynamicdns <args>`.
pub fn getinfo(args: &[&str]) -> Vec<u8> {
    chunk_json(&getinfo_metadata(args), b"")
}

/// Splits a stream of complete, well-formed chunks into (metadata, body)
/// pairs; panics on anything else (a truncated chunk, a stray byte).
pub fn split_chunks(stream: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').expect("chunk header without LF");
        let (m, b) = parse_header(&rest[..=nl]).unwrap_or_else(|| {
            panic!("bad chunk header {:?}", rest[..=nl].escape_ascii().to_string())
        });
        let (m, b) = (m as usize, b as usize);
        let start = nl + 1;
        assert!(rest.len() >= start + m + b, "chunk {} is truncated", out.len() + 1);
        out.push((rest[start..start + m].to_vec(), rest[start + m..start + m + b].to_vec()));
        rest = &rest[start + m + b..];
    }
    out
}

/// Strict transport header: exactly `chunked 1.0,<digits>,<digits>\n`.
pub(crate) fn parse_header(line: &[u8]) -> Option<(u64, u64)> {
    let rest = line.strip_prefix(b"chunked 1.0,")?.strip_suffix(b"\n")?;
    let comma = rest.iter().position(|&b| b == b',')?;
    let num = |d: &[u8]| -> Option<u64> {
        if d.is_empty() || d.len() > 19 || !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(d).ok()?.parse().ok()
    };
    Some((num(&rest[..comma])?, num(&rest[comma + 1..])?))
}

/// The folder of the vendored splunkd recordings.
pub const RECORDINGS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/recordings/scpv2/Splunk-6.3");

/// A recording's bytes, gunzipped when its name ends in `.gz`.
pub fn recording(name: &str) -> Vec<u8> {
    let path = format!("{RECORDINGS}/{name}");
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if !name.ends_with(".gz") {
        return raw;
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    out
}

/// The `generatehello` recording (a generating command; getinfo, then
/// one execute request with `finished:false` in splunkd 6.3's spaced JSON)
/// as chunks, repaired: its execute header announces a 150-byte body that
/// is not in the file, so it announces the 0 bytes that are there.
pub fn generatehello_repaired() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut stream = recording("generatehello.input.gz");
    let bad = b"chunked 1.0,43,150\n";
    let at = stream.windows(bad.len()).position(|w| w == bad).expect("the damaged header");
    assert_eq!(stream.len() - at - bad.len(), 43, "only the metadata follows the damaged header");
    stream.splice(at..at + bad.len(), b"chunked 1.0,43,0\n".iter().copied());
    let chunks = split_chunks(&stream);
    assert_eq!(chunks.len(), 2);
    // splunkd 6.3 metadata with spaces (and a trailing LF) is still JSON.
    assert_eq!(chunks[1].0, b"{ \"action\": \"execute\", \"finished\": false }\n");
    chunks
}

/// The `pypygeneratetext` recording (a distributed generating command) as
/// chunks, repaired: the stray trailing LF dropped and the missing execute
/// request (`finished:true`, no body) added.
pub fn pypygeneratetext_repaired() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut stream = recording("pypygeneratetext.input.gz");
    assert_eq!(stream.pop(), Some(b'\n'));
    stream.extend_from_slice(&execute(true, b""));
    let chunks = split_chunks(&stream);
    assert_eq!(chunks.len(), 2);
    chunks
}

/// The recording's getinfo metadata with our command's options.
pub fn with_args(getinfo_meta: &[u8], args: &[&str]) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(getinfo_meta).unwrap();
    assert_eq!(v["action"], "getinfo");
    assert!(v["searchinfo"].is_object(), "no searchinfo: {v}");
    v["searchinfo"]["args"] = json!(args);
    v["searchinfo"]["raw_args"] = json!(args);
    serde_json::to_vec(&v).unwrap()
}

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
    assert_eq!(reply.metadata_raw, GETINFO_REPLY, "{name}: getinfo reply");
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
///   `inspector` WARN message, allowed only when the request had records and
///   none of `fields` is in its header;
/// - no records in → empty body out;
/// - otherwise the reply parses with the CSV oracle; its header is the
///   input header plus [`ADDED`], raw header bytes kept; the record count is
///   equal; every input field is byte-identical by column name; each output
///   record's raw bytes start with the input record's content followed by a
///   comma and end with the input record's own line ending;
/// - the added columns are consistent (`True`/`False`, `__mv_` cells decode
///   to the LF-joined plain cell), and equal the oracle's values when an
///   oracle is given.
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
    for name in ADDED {
        assert!(input.col(name).is_none(), "{what}: generator error, input has a column {name}");
    }
    let named_present = fields.iter().any(|f| input.col(f).is_some());

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
        assert!(
            !named_present && !input.rows.is_empty(),
            "{what}: WARN although a named field is present or there are no records"
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
    want_header.extend(ADDED.iter().map(|a| a.as_bytes().to_vec()));
    assert_eq!(output.header, want_header, "{what}: output header");
    assert_eq!(output.rows.len(), input.rows.len(), "{what}: record count");

    // Raw bytes: the header and every record keep their input bytes.
    for (k, (i, o)) in input.spans.iter().zip(&output.spans).enumerate() {
        let in_content = &request_body[i.start..i.content_end];
        let out_content = &reply.body[o.start..o.content_end];
        assert!(
            out_content.starts_with(in_content) && out_content.get(in_content.len()) == Some(&b','),
            "{what}: record {k} (0 = header) does not start with its input bytes:\n in: {:?}\nout: {:?}",
            in_content.escape_ascii().to_string(),
            out_content.escape_ascii().to_string()
        );
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
    for (r, (irow, orow)) in input.rows.iter().zip(&output.rows).enumerate() {
        for (c, &oc) in map.iter().enumerate() {
            if irow[c] != orow[oc] {
                panic!(
                    "{what}: record {r}, field {:?} changed:\n in: {:?}\nout: {:?}",
                    String::from_utf8_lossy(&input.header[c]),
                    irow[c].escape_ascii().to_string(),
                    orow[oc].escape_ascii().to_string()
                );
            }
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

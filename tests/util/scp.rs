//! SCP v2 chunks as splunkd writes them, recordings of real splunkd, and
//! [`check_execute_reply`], which checks one execute reply against its
//! request (every record back, in order, byte-identical, with exactly the
//! added fields, and the oracle's verdicts).
//!
//! What splunkd sends is described in the repository's DESIGN.md
//! ("The protocol's contract").

use std::io::Read;

use serde_json::{json, Map, Value};

use super::driver::{Driver, Finished};
use super::oracle::Oracle;
use super::splunk_csv::{decode_mv, parse_csv, splunk_quote, Csv};

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

/// The fields the command writes: [`ADDED`] without the `__mv_` twins.
pub fn written_fields() -> Vec<&'static str> {
    ADDED.iter().copied().filter(|a| !a.starts_with("__mv_")).collect()
}

/// The fields `| dynamicdns <args>` reads, as a user reads the options
/// (`field=a,b`, repeatable, default `query`); `["*"]` with
/// `allfields=true`: a second, deliberately naive reading of the SPL
/// options, for the expected getinfo reply.
pub fn declared_reads(args: &[&str]) -> Vec<String> {
    let mut reads: Vec<String> = Vec::new();
    for a in args {
        let Some((k, v)) = a.split_once('=') else { continue };
        match k.trim().to_ascii_lowercase().as_str() {
            "field" | "fields" => {
                for f in v.split(',').map(str::trim) {
                    if !reads.iter().any(|r| r == f) {
                        reads.push(f.to_string());
                    }
                }
            }
            "allfields"
                if matches!(
                    v.trim().to_ascii_lowercase().as_str(),
                    "true" | "t" | "1" | "yes" | "y"
                ) =>
            {
                return vec!["*".to_string()]
            }
            _ => {}
        }
    }
    if reads.is_empty() {
        reads.push("query".to_string());
    }
    reads
}

/// The exact getinfo reply `dynamicdns` sends for `| dynamicdns <args>`
/// (no local-file warnings): `{"type":"streaming","required_fields":[…]}`
/// with the fields read, then the fields written, each once; `["*"]` with
/// `allfields=true`.
pub fn getinfo_reply(args: &[&str]) -> Vec<u8> {
    let reads = declared_reads(args);
    let mut fields: Vec<String> = Vec::new();
    if reads == ["*"] {
        fields = reads;
    } else {
        for f in reads.into_iter().chain(written_fields().into_iter().map(String::from)) {
            if !fields.contains(&f) {
                fields.push(f);
            }
        }
    }
    format!(
        r#"{{"type":"streaming","required_fields":{}}}"#,
        serde_json::to_string(&fields).unwrap()
    )
    .into_bytes()
}

/// The getinfo reply chunk (header included) for `| dynamicdns <args>`.
pub fn getinfo_reply_chunk(args: &[&str]) -> Vec<u8> {
    chunk(getinfo_reply(args), b"")
}

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
    read_recording(std::path::Path::new(RECORDINGS).join(name))
}

/// The bytes of the recording at `path`, gunzipped when its name ends in
/// `.gz`.
pub fn read_recording(path: impl AsRef<std::path::Path>) -> Vec<u8> {
    let path = path.as_ref();
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_none_or(|e| e != "gz") {
        return raw;
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
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
///   `inspector` WARN message, allowed only when the request had records and
///   none of them has a value in any of `fields`;
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
        assert!(
            !has_value && !input.rows.is_empty(),
            "{what}: WARN although a named field has a value or there are no records"
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

// ---------------------------------------------------------------------------
// splunkd's two ways of sending fields (shared/docs/protocol-modern.md §2,
// protocol.md §5.3).

/// What splunkd sends the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldMode {
    /// Every field of the events, as they are (the 6.3 recordings; a
    /// getinfo reply with `required_fields` `["*"]`).
    All,
    /// Selected-fields mode: only the fields the getinfo reply declares in
    /// `required_fields` (a declared field no event has is an empty
    /// column), then `_chunked_idx`, then the `__mv_` twins of both; the
    /// reply is merged back into the full events by `_chunked_idx`.
    Selected,
}

/// How splunkd numbers `_chunked_idx` in selected-fields mode (unconfirmed,
/// so the driver tries each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkedIdx {
    /// 0, 1, 2 … in every request.
    PerRequest,
    /// Counting on across requests.
    Global,
    /// Not sent (the reply must then be passed through as it came).
    Absent,
}

/// Events as splunkd holds them: a header and rows of unquoted values. A
/// field a row lacks reads as empty, as in Splunk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Events {
    /// Field names.
    pub header: Vec<Vec<u8>>,
    /// One value per field per row.
    pub rows: Vec<Vec<Vec<u8>>>,
}

impl Events {
    /// The events of a parsed body.
    pub fn from_csv(csv: &Csv) -> Events {
        Events {
            header: csv.header.clone(),
            rows: csv.rows.iter().map(|r| r.iter().map(<[u8]>::to_vec).collect()).collect(),
        }
    }

    /// Column of `name`.
    pub fn col(&self, name: &[u8]) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Row `r`'s value of `name` (empty when the column is absent).
    pub fn get(&self, r: usize, name: &[u8]) -> &[u8] {
        self.col(name).map_or(&[][..], |c| &self.rows[r][c])
    }

    /// Asserts that `self` and `other` hold the same rows with the same
    /// value for every field of either (absent = empty).
    pub fn assert_same(&self, other: &Events, what: &str) {
        assert_eq!(self.rows.len(), other.rows.len(), "{what}: number of events");
        let mut names: Vec<&Vec<u8>> = self.header.iter().collect();
        names.extend(other.header.iter().filter(|h| !self.header.contains(h)));
        for r in 0..self.rows.len() {
            for n in &names {
                let (a, b) = (self.get(r, n), other.get(r, n));
                assert!(
                    a == b,
                    "{what}: event {r}, field {:?}: {:?} against {:?}",
                    String::from_utf8_lossy(n),
                    a.escape_ascii().to_string(),
                    b.escape_ascii().to_string()
                );
            }
        }
    }
}

/// `_chunked_idx` and its twin: splunkd's, never merged into the events.
const IDX: &[u8] = b"_chunked_idx";
const MV_IDX: &[u8] = b"__mv__chunked_idx";

/// What splunkd sends in selected-fields mode for the events of `full`:
/// each `required` field (empty where the events lack it), `_chunked_idx`
/// numbered from `first_idx` (unless `idx` is [`ChunkedIdx::Absent`]), then
/// the `__mv_` twins of all of them, splunkd-quoted, LF row ends. An empty
/// body stays empty; a header-only body gives the header row only.
pub fn select_fields(
    full: &[u8],
    required: &[String],
    idx: ChunkedIdx,
    first_idx: u64,
) -> Vec<u8> {
    if full.is_empty() {
        return Vec::new();
    }
    let events = Events::from_csv(&parse_csv(full));
    let mut names: Vec<Vec<u8>> = required.iter().map(|f| f.as_bytes().to_vec()).collect();
    if idx != ChunkedIdx::Absent {
        names.push(IDX.to_vec());
    }
    let mut out = Vec::new();
    let cells = |values: &mut dyn Iterator<Item = Vec<u8>>, out: &mut Vec<u8>| {
        for (i, v) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if !v.is_empty() {
                splunk_quote(&v, out);
            }
        }
        out.push(b'\n');
    };
    let mut header = names.clone();
    header.extend(names.iter().map(|n| [&b"__mv_"[..], n].concat()));
    cells(&mut header.into_iter(), &mut out);
    for (r, _) in events.rows.iter().enumerate() {
        let mut row: Vec<Vec<u8>> = Vec::new();
        for n in &names {
            row.push(if n == IDX {
                (first_idx + r as u64).to_string().into_bytes()
            } else {
                events.get(r, n).to_vec()
            });
        }
        for n in &names {
            row.push(events.get(r, &[&b"__mv_"[..], n].concat()).to_vec());
        }
        cells(&mut row.into_iter(), &mut out);
    }
    out
}

/// Merges a selected-fields reply back into the full events, as splunkd
/// does: each reply record is found by its `_chunked_idx` (which must be
/// the one sent, in the order sent; by position when none was sent) and
/// every field of it but `_chunked_idx` overwrites (or adds) that field of
/// the event. Panics when a record is missing, added, reordered or
/// carries another `_chunked_idx`.
pub fn merge_back(what: &str, full: &Events, sent: &Csv, reply: &Csv) -> Events {
    let mut merged = full.clone();
    if sent.rows.is_empty() {
        return merged;
    }
    assert_eq!(reply.rows.len(), sent.rows.len(), "{what}: one reply record per record sent");
    assert_eq!(sent.rows.len(), full.rows.len(), "{what}: generator error");
    let position: Vec<usize> = match sent.col("_chunked_idx") {
        None => (0..sent.rows.len()).collect(),
        Some(si) => {
            let ri = reply
                .col("_chunked_idx")
                .unwrap_or_else(|| panic!("{what}: the reply has no _chunked_idx"));
            let by_idx: std::collections::HashMap<&[u8], usize> =
                sent.rows.iter().enumerate().map(|(k, r)| (&r[si], k)).collect();
            reply
                .rows
                .iter()
                .enumerate()
                .map(|(k, r)| {
                    let at = *by_idx.get(&r[ri]).unwrap_or_else(|| {
                        panic!("{what}: reply record {k} has an unknown _chunked_idx {:?}", &r[ri])
                    });
                    assert_eq!(at, k, "{what}: reply record {k} is event {at}: reordered");
                    at
                })
                .collect()
        }
    };
    for (c, name) in reply.header.iter().enumerate() {
        if name == IDX || name == MV_IDX {
            continue;
        }
        let mc = merged.col(name).unwrap_or_else(|| {
            merged.header.push(name.clone());
            for row in &mut merged.rows {
                row.push(Vec::new());
            }
            merged.header.len() - 1
        });
        for (k, row) in reply.rows.iter().enumerate() {
            merged.rows[position[k]][mc] = row[c].to_vec();
        }
    }
    merged
}

/// A driven `dynamicdns scp` with splunkd's field handling: it sends the
/// getinfo, reads `required_fields` from the real reply, and then sends
/// each body of full events the way `mode` says, merging the reply back.
pub struct Splunkd {
    /// The driven process.
    pub driver: Driver,
    /// How fields are sent.
    pub mode: FieldMode,
    /// `required_fields` of the getinfo reply (absent: all fields).
    pub required: Option<Vec<String>>,
    /// How `_chunked_idx` is numbered in selected-fields mode.
    pub idx: ChunkedIdx,
    next_idx: u64,
}

/// One execute exchange through [`Splunkd`].
pub struct Sent {
    /// The body sent (the full body, or its selected fields).
    pub body: Vec<u8>,
    /// The reply.
    pub reply: Reply,
    /// The full events with the reply merged in (for [`FieldMode::All`]:
    /// the reply's events).
    pub events: Events,
}

impl Splunkd {
    /// Starts `dynamicdns scp` and sends the getinfo for `args`; checks the
    /// reply is exactly [`getinfo_reply`] and keeps its `required_fields`.
    pub fn start(mode: FieldMode, idx: ChunkedIdx, args: &[&str]) -> Splunkd {
        Splunkd::start_driver(Driver::spawn(), mode, idx, args)
    }

    /// As [`start`](Self::start), over a driver already started.
    pub fn start_driver(
        mut driver: Driver,
        mode: FieldMode,
        idx: ChunkedIdx,
        args: &[&str],
    ) -> Splunkd {
        let reply = driver.request(&getinfo(args));
        assert_eq!(
            String::from_utf8_lossy(&reply.metadata_raw),
            String::from_utf8_lossy(&getinfo_reply(args)),
            "getinfo reply"
        );
        assert!(reply.body.is_empty(), "getinfo reply has a body");
        let required = reply.metadata.get("required_fields").map(|v| {
            v.as_array()
                .expect("required_fields is a list")
                .iter()
                .map(|f| f.as_str().expect("required_fields holds strings").to_string())
                .collect()
        });
        Splunkd { driver, mode, required, idx, next_idx: 0 }
    }

    /// True when bodies are cut down to the declared fields.
    pub fn selects(&self) -> bool {
        self.mode == FieldMode::Selected
            && self.required.as_ref().is_some_and(|r| !r.iter().any(|f| f == "*"))
    }

    /// Sends one execute request for the events of `full` and merges the
    /// reply back (see [`merge_back`]).
    pub fn execute(&mut self, what: &str, finished: bool, full: &[u8]) -> Sent {
        if !self.selects() {
            let reply = self.driver.request(&execute(finished, full));
            let events = Events::from_csv(&parse_csv(&reply.body));
            return Sent { body: full.to_vec(), reply, events };
        }
        if self.idx != ChunkedIdx::Global {
            self.next_idx = 0;
        }
        let required = self.required.clone().unwrap_or_default();
        let body = select_fields(full, &required, self.idx, self.next_idx);
        let full_csv = parse_csv(full);
        self.next_idx += full_csv.rows.len() as u64;
        let reply = self.driver.request(&execute(finished, &body));
        let sent = parse_csv(&body);
        // Field pruning: a field not declared is not sent.
        for h in full_csv.header.iter().filter(|h| *h != IDX && *h != MV_IDX) {
            let declared = required.iter().any(|f| f.as_bytes() == &h[..])
                || required.iter().any(|f| [&b"__mv_"[..], f.as_bytes()].concat() == *h);
            assert_eq!(
                sent.header.contains(h),
                declared,
                "{what}: field {:?} pruned wrongly",
                String::from_utf8_lossy(h)
            );
        }
        let events =
            merge_back(what, &Events::from_csv(&full_csv), &sent, &parse_csv(&reply.body));
        Sent { body, reply, events }
    }

    /// Closes stdin and waits for the exit (see [`Driver::finish`]).
    pub fn finish(self) -> Finished {
        self.driver.finish()
    }
}

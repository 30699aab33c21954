//! SCP v2 chunks as splunkd writes them, recordings of real splunkd, and
//! [`check_execute_reply`], which checks one execute reply against its
//! request (every record back, in order, byte-identical, with exactly the
//! added fields, and the oracle's verdicts).
//!
//! What splunkd sends is described in the repository's DESIGN.md
//! ("The protocol's contract").

mod check;
mod fields;
mod recordings;

pub use check::{check_execute_reply, replay_through, Exchange};
pub use fields::{ChunkedIdx, Events, FieldMode, Splunkd};
pub use recordings::{
    generatehello_repaired, pypygeneratetext_repaired, read_recording, recording, with_args,
};

use serde_json::{json, Map, Value};

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

//! The SCP v2 session: what `dynamicdns scp` does when splunkd runs it.
//!
//! Lock-step: one getinfo request and one reply (`{"type":"streaming"}`,
//! so splunkd may run the command on indexers), then one reply per execute
//! request, echoing the request's `finished`; EOF between chunks ends the
//! session cleanly (probes that only ask getinfo end that way too). Nothing
//! but chunks is written to stdout. On any error the protocol's error reply
//! is sent — `{"inspector":{"messages":[["ERROR",msg]]},"finished":true,
//! "error":msg}`, inspector first as Splunk's own MLTK does — and the
//! caller exits 1.

use std::io::{self, Read, Write};

use serde_json::{Map, Value};

use crate::command::{Counts, Enricher, Options};
use crate::frame::{self, ChunkReader, FrameError};
use crate::zones::{LocalFiles, ZoneSet};

/// Why a session ended with an error.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The input's framing is broken.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A request is not what the protocol allows.
    #[error("chunk {chunk}: {message}")]
    Protocol {
        /// Which chunk.
        chunk: u64,
        /// What is wrong.
        message: String,
    },
    /// The command's options are wrong (sent in reply to getinfo).
    #[error("{0}")]
    Options(String),
    /// An execute body is not valid CSV for the command.
    #[error("execute request in chunk {chunk}: body line {line}, record {record}: {message}")]
    Body {
        /// Which chunk.
        chunk: u64,
        /// 1-based line of the body.
        line: usize,
        /// 1-based record number (0 = header row).
        record: u64,
        /// What is wrong.
        message: String,
    },
    /// Writing a reply failed (splunkd went away); no reply can be sent.
    #[error("writing a reply failed: {0}")]
    Write(io::Error),
}

impl SessionError {
    /// True when the error reply cannot (or need not) be written: stdout is
    /// gone. A broken pipe means splunkd stopped reading — exit quietly.
    pub fn is_write(&self) -> bool {
        matches!(self, SessionError::Write(_))
    }
}

/// Statistics of a finished session, for the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Execute requests answered.
    pub executes: u64,
    /// Records enriched.
    pub records: u64,
    /// Records with `isDynDNS=True`.
    pub matched: u64,
}

/// Where the session's zones come from.
#[derive(Clone, Debug)]
pub struct ZoneSource {
    /// The shipped set (normally [`ZoneSet::embedded`]).
    pub base: ZoneSet,
    /// The app's `lookups/` folder with the local additions and allowlist
    /// (read once, when the getinfo request arrives), if found.
    pub lookups: Option<std::path::PathBuf>,
}

/// Runs a session over `input`/`output`. On error the error reply has
/// already been written (unless writing itself failed).
pub fn run<R: Read, W: Write>(
    input: R,
    mut output: W,
    source: &ZoneSource,
) -> Result<Summary, SessionError> {
    let result = session(input, &mut output, source);
    if let Err(e) = &result {
        if !e.is_write() {
            // Best effort: if stdout is gone there is nobody to tell.
            let _ = frame::write_chunk(&mut output, &error_metadata(&e.to_string()), b"");
        }
    }
    result
}

fn session<R: Read, W: Write>(
    input: R,
    output: &mut W,
    source: &ZoneSource,
) -> Result<Summary, SessionError> {
    let mut rdr = ChunkReader::new(input);
    let mut summary = Summary::default();
    if !rdr.read_chunk()? {
        return Ok(summary);
    }
    let meta = parse_metadata(&rdr.metadata, rdr.chunk_number())?;
    let action = action_of(&meta, rdr.chunk_number())?;
    if action != "getinfo" {
        return Err(protocol(
            rdr.chunk_number(),
            format!("expected a getinfo request first, got action '{action}'"),
        ));
    }
    let options = options_of(&meta)?;
    let mut zones = source.base.clone().with_tiers(options.tiers);
    let mut getinfo_reply = Map::new();
    getinfo_reply.insert("type".to_string(), Value::from("streaming"));
    if let Some(dir) = &source.lookups {
        let local = LocalFiles::read(dir);
        if !local.problems.is_empty() {
            // Bad rows are skipped, never silently: each one is shown in the
            // job inspector and logged to search.log.
            let messages: Vec<Value> = local
                .problems
                .iter()
                .map(|p| {
                    eprintln!("dynamicdns: {p} (ignored)");
                    serde_json::json!(["WARN", format!("dynamicdns: {p} (ignored)")])
                })
                .collect();
            getinfo_reply
                .insert("inspector".to_string(), serde_json::json!({ "messages": messages }));
        }
        zones = local.apply(zones);
    }
    // Built at the first execute request: getinfo must be answered fast
    // (probe processes only ask getinfo), and text mode builds an automaton.
    let mut enricher: Option<Enricher> = None;
    let reply = serde_json::to_vec(&getinfo_reply).map_err(|e| protocol(1, e.to_string()))?;
    frame::write_chunk(output, &reply, b"").map_err(SessionError::Write)?;

    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut warned = false;
    while rdr.read_head()?.is_some() {
        let chunk = rdr.chunk_number();
        let meta = parse_metadata(&rdr.metadata, chunk)?;
        match action_of(&meta, chunk)? {
            "execute" => {}
            "getinfo" => {
                return Err(protocol(chunk, "unexpected second getinfo request".to_string()))
            }
            other => return Err(protocol(chunk, format!("unknown action '{other}'"))),
        }
        let finished = match meta.get("finished") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                return Err(protocol(chunk, format!("'finished' must be true or false, got {v}")))
            }
        };
        out.clear();
        let enricher = match &mut enricher {
            Some(e) => e,
            None => enricher.insert(
                Enricher::new(&zones, &options, true)
                    .map_err(|e| protocol(chunk, e.to_string()))?,
            ),
        };
        let counts = enrich_body(&mut rdr, enricher, &mut buf, &mut out, chunk)?;
        summary.executes += 1;
        summary.records += counts.records;
        summary.matched += counts.matched;
        let mut reply = Map::new();
        reply.insert("finished".to_string(), Value::Bool(finished));
        if counts.records > 0 && enricher.fields_missing() && !warned {
            warned = true;
            let msg = format!(
                "dynamicdns: none of the fields {} is present in the events; every event gets isDynDNS=False",
                options.fields.join(", ")
            );
            reply.insert("inspector".to_string(), inspector("WARN", &msg));
        }
        let meta_bytes = serde_json::to_vec(&reply).map_err(|e| protocol(chunk, e.to_string()))?;
        frame::write_chunk(output, &meta_bytes, &out).map_err(SessionError::Write)?;
    }
    Ok(summary)
}

/// Bytes of a body worked on at a time: the body is enriched as it
/// arrives, so only the reply is held whole (it must be, its length comes
/// first) and the request body never is.
const BLOCK: usize = 256 << 10;

/// Reads the current chunk's body block by block through `enricher` into
/// `out`; as [`Enricher::process_body`], a body without records writes
/// nothing.
fn enrich_body<R: Read>(
    rdr: &mut ChunkReader<R>,
    enricher: &mut Enricher,
    buf: &mut Vec<u8>,
    out: &mut Vec<u8>,
    chunk: u64,
) -> Result<Counts, SessionError> {
    enricher.reset();
    buf.clear();
    let mut counts = Counts::default();
    // Body offset and line count of buf[0], for error messages.
    let mut base = 0;
    let mut lines_before = 0;
    loop {
        rdr.read_body_part(buf, BLOCK)?;
        let at_eof = rdr.body_remaining() == 0;
        let (used, c) = enricher.process(buf, 0, at_eof, out).map_err(|e| SessionError::Body {
            chunk,
            line: lines_before + crate::record::line_of(buf, e.offset),
            record: e.record,
            message: e.shifted(base).to_string(),
        })?;
        counts.records += c.records;
        counts.matched += c.matched;
        if at_eof {
            break;
        }
        lines_before += memchr::memchr_iter(b'\n', &buf[..used]).count();
        base += used;
        buf.drain(..used);
    }
    if counts.records == 0 {
        out.clear();
    }
    Ok(counts)
}

fn protocol(chunk: u64, message: String) -> SessionError {
    SessionError::Protocol { chunk, message }
}

fn parse_metadata(bytes: &[u8], chunk: u64) -> Result<Map<String, Value>, SessionError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(protocol(chunk, "metadata is not a JSON object".to_string())),
        Err(e) => Err(protocol(chunk, format!("metadata is not valid JSON: {e}"))),
    }
}

fn action_of(meta: &Map<String, Value>, chunk: u64) -> Result<&str, SessionError> {
    match meta.get("action") {
        Some(Value::String(a)) => Ok(a),
        Some(v) => Err(protocol(chunk, format!("'action' must be a string, got {v}"))),
        None => Err(protocol(chunk, "metadata has no 'action'".to_string())),
    }
}

/// The command's options from `searchinfo.args`.
fn options_of(meta: &Map<String, Value>) -> Result<Options, SessionError> {
    let args = meta.get("searchinfo").and_then(|s| s.get("args"));
    let args: Vec<&str> = match args {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str().ok_or_else(|| {
                    SessionError::Options(format!("searchinfo.args holds a non-string: {v}"))
                })
            })
            .collect::<Result<_, _>>()?,
        Some(v) => {
            return Err(SessionError::Options(format!("searchinfo.args is not a list: {v}")))
        }
    };
    Options::from_args(&args).map_err(|e| SessionError::Options(e.to_string()))
}

fn inspector(level: &str, msg: &str) -> Value {
    serde_json::json!({ "messages": [[level, msg]] })
}

/// The error reply's metadata, keys in the order Splunk's MLTK insists on.
pub fn error_metadata(msg: &str) -> Vec<u8> {
    // serde_json's Map keeps keys sorted; "error" < "finished" < "inspector"
    // would put error first, so the object is written by hand.
    let msg = Value::String(msg.to_string());
    format!(r#"{{"inspector":{{"messages":[["ERROR",{msg}]]}},"finished":true,"error":{msg}}}"#)
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(meta: &str, body: &[u8]) -> Vec<u8> {
        let mut c = format!("chunked 1.0,{},{}\n{meta}", meta.len(), body.len()).into_bytes();
        c.extend_from_slice(body);
        c
    }

    /// Runs a session with one execute request; returns the reply body, or
    /// the error text.
    fn run_one(body: &[u8]) -> Result<Vec<u8>, String> {
        let mut input = chunk(r#"{"action":"getinfo","searchinfo":{"args":[]}}"#, b"");
        input.extend(chunk(r#"{"action":"execute","finished":true}"#, body));
        let source = ZoneSource { base: ZoneSet::embedded(), lookups: None };
        let mut output = Vec::new();
        run(&input[..], &mut output, &source).map_err(|e| e.to_string())?;
        let mut rdr = ChunkReader::new(&output[..]);
        assert!(rdr.read_chunk().unwrap());
        assert!(rdr.read_chunk().unwrap());
        Ok(rdr.body.clone())
    }

    /// Bodies several blocks long, with quoted multi-line values and CRLF
    /// rows straddling the block edges, come out as one whole-body pass
    /// gives them; errors far in still name the body's line and byte.
    #[test]
    fn bodies_are_enriched_across_blocks() {
        let mut body = b"_time,query,__mv_query\r\n".to_vec();
        let mut i = 0;
        while body.len() < 3 * BLOCK + 1000 {
            let row = match i % 3 {
                0 => format!("{i},x{i}.duckdns.org,\r\n"),
                1 => format!(
                    "\"{i}\",\"a{i}.example.com\nb{i}.no-ip.org\",\"$a$;$b{i}.no-ip.org$\"\r\n"
                ),
                _ => format!("{i},\"q,{i}.example.net\",\r\n"),
            };
            body.extend_from_slice(row.as_bytes());
            i += 1;
        }
        let zones = ZoneSet::embedded();
        let mut whole = Vec::new();
        Enricher::new(&zones, &Options::default(), true)
            .unwrap()
            .process_body(&body, &mut whole)
            .unwrap();
        assert_eq!(run_one(&body).unwrap(), whole);

        let lines = body.iter().filter(|&&b| b == b'\n').count();
        let at = body.len();
        body.extend_from_slice(b"1,\"x\"y,\r\n");
        let err = run_one(&body).unwrap_err();
        let want = format!(
            "body line {}, record {}: unexpected byte 0x79 after a closing quote at byte {}",
            lines + 1,
            i + 1,
            at + 5
        );
        assert!(err.contains(&want), "{err}\nwant {want}");
    }
}

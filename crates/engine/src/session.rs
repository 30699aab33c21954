//! The SCP v2 session: what `dynamicdns scp` does when splunkd runs it.
//!
//! Lock-step: one getinfo request and one reply
//! (`{"type":"streaming","required_fields":[…]}`: splunkd may run the
//! command on indexers, and sends it only the fields it reads and writes,
//! see [`required_fields`]), then one reply per execute request, echoing
//! the request's `finished`; EOF between chunks ends the session cleanly
//! (probes that only ask getinfo end that way too). Nothing but chunks is
//! written to stdout, and nothing to stderr unless something is wrong (or
//! `debug=true` asks for the summary: splunkd logs every stderr line as an
//! ERROR). On any error the protocol's error reply is sent —
//! `{"inspector":{"messages":[["ERROR",msg]]},"finished":true,"error":msg}`,
//! inspector first as Splunk's own MLTK does — and the caller exits 1.
//! DESIGN.md describes the contract.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::enrich::{self, BodyError, BodyStream, Counts, Dialect, Enricher};
use crate::frame::{self, ChunkReader, FrameError};
use crate::options::Options;
use crate::zonefile::LocalFiles;
use crate::zoneset::ZoneSet;

/// Why a session ended with an error.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The input's framing is broken.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A request is not what the protocol allows.
    #[error("chunk {chunk}: {problem}")]
    Protocol {
        /// Which chunk.
        chunk: u64,
        /// What is wrong.
        problem: ProtocolProblem,
    },
    /// The command's options are wrong (sent in reply to getinfo).
    #[error("{0}")]
    Options(#[from] OptionsProblem),
    /// An execute body is not valid CSV for the command.
    #[error("execute request in chunk {chunk}: body {source}")]
    Body {
        /// Which chunk.
        chunk: u64,
        /// Where in the body, and what is wrong.
        #[source]
        source: BodyError,
    },
    /// Writing a reply failed (splunkd went away); no reply can be sent.
    #[error("writing a reply failed: {0}")]
    Write(#[source] io::Error),
}

/// What is wrong with a request's metadata.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolProblem {
    /// Not JSON.
    #[error("metadata is not valid JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// JSON, but not an object.
    #[error("metadata is not a JSON object")]
    NotObject,
    /// No `action` key.
    #[error("metadata has no 'action'")]
    NoAction,
    /// `action` is not a string (the value is shown).
    #[error("'action' must be a string, got {0}")]
    ActionNotString(Value),
    /// `finished` is not a boolean (the value is shown).
    #[error("'finished' must be true or false, got {0}")]
    FinishedNotBool(Value),
    /// The first request is not a getinfo.
    #[error("expected a getinfo request first, got action '{0}'")]
    NotGetinfoFirst(String),
    /// A getinfo after the first request.
    #[error("unexpected second getinfo request")]
    SecondGetinfo,
    /// An action other than getinfo or execute.
    #[error("unknown action '{0}'")]
    UnknownAction(String),
    /// The text-mode automaton could not be built.
    #[error("{0}")]
    Scanner(#[from] crate::textscan::ScannerBuildError),
}

/// What is wrong with the command's options in a getinfo request.
#[derive(Debug, thiserror::Error)]
pub enum OptionsProblem {
    /// `searchinfo.args` is not a list.
    #[error("searchinfo.args is not a list: {0}")]
    ArgsNotList(Value),
    /// An argument is not a string.
    #[error("searchinfo.args holds a non-string: {0}")]
    ArgNotString(Value),
    /// The arguments are not valid options.
    #[error(transparent)]
    Invalid(#[from] crate::options::OptionsError),
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
    /// The options asked for this summary on stderr (`debug=true`).
    pub debug: bool,
}

/// Where the session's zones come from.
#[derive(Clone, Debug)]
pub struct ZoneSource {
    /// The shipped set (normally [`ZoneSet::embedded`]).
    pub base: ZoneSet,
    /// The app's `lookups/` folder with the local additions and allowlist
    /// (read once, when the getinfo request arrives), if found.
    pub lookups: Option<PathBuf>,
}

/// One request, as the session needs it (also the generating session's,
/// [`crate::generate`]).
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) action: String,
    pub(crate) meta: serde_json::Map<String, Value>,
}

impl Request {
    /// Parses a request's metadata; `chunk` names it in errors.
    pub(crate) fn parse(bytes: &[u8], chunk: u64) -> Result<Request, SessionError> {
        let err = |problem| SessionError::Protocol { chunk, problem };
        let meta = match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(err(ProtocolProblem::NotObject)),
            Err(e) => return Err(err(ProtocolProblem::NotJson(e))),
        };
        let action = match meta.get("action") {
            Some(Value::String(a)) => a.clone(),
            Some(v) => return Err(err(ProtocolProblem::ActionNotString(v.clone()))),
            None => return Err(err(ProtocolProblem::NoAction)),
        };
        Ok(Request { action, meta })
    }

    /// An execute request's `finished` (absent or null: false).
    pub(crate) fn finished(&self, chunk: u64) -> Result<bool, SessionError> {
        match self.meta.get("finished") {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(SessionError::Protocol {
                chunk,
                problem: ProtocolProblem::FinishedNotBool(v.clone()),
            }),
        }
    }

    /// The command's arguments, `searchinfo.args` (absent or null: none).
    pub(crate) fn args(&self) -> Result<Vec<&str>, OptionsProblem> {
        match self.meta.get("searchinfo").and_then(|s| s.get("args")) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().ok_or_else(|| OptionsProblem::ArgNotString(v.clone())))
                .collect(),
            Some(v) => Err(OptionsProblem::ArgsNotList(v.clone())),
        }
    }

    /// The command's options from `searchinfo.args`.
    fn options(&self) -> Result<Options, OptionsProblem> {
        let args = self.meta.get("searchinfo").and_then(|s| s.get("args"));
        let args: Vec<&str> = match args {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().ok_or_else(|| OptionsProblem::ArgNotString(v.clone())))
                .collect::<Result<_, _>>()?,
            Some(v) => return Err(OptionsProblem::ArgsNotList(v.clone())),
        };
        Ok(Options::from_spl_args(&args)?)
    }
}

/// The inspector messages of a reply: `[[LEVEL, TEXT], …]`.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Inspector {
    pub(crate) messages: Vec<(&'static str, String)>,
}

/// The getinfo reply. Field order is key order on the wire:
/// `{"inspector":…,"type":"streaming","required_fields":[…]}`.
#[derive(Debug, Serialize)]
struct GetinfoReply<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    inspector: Option<Inspector>,
    #[serde(rename = "type")]
    kind: &'static str,
    required_fields: Vec<&'a str>,
}

/// The fields the getinfo reply declares in `required_fields`: the fields
/// read (`field=`, in order) and then the fields written
/// ([`enrich::output_fields`] of [`enrich::Dialect::PlainCsv`]), each once; `["*"]` (every field) with
/// `allfields=true`.
///
/// splunkd extracts the declared fields, sends only them plus
/// `_chunked_idx` (and their `__mv_` twins), and merges each reply back
/// into the full events by `_chunked_idx` (`shared/docs/protocol-modern.md`
/// §2). Without the declaration it may prune a field nothing after the
/// command names (`… | dynamicdns | stats count by isDynDNS`), and every
/// event would come back False. The written fields are declared too, so
/// that an event that already has one (the command run twice) has it
/// replaced rather than kept beside the new value.
pub fn required_fields(options: &Options) -> Vec<&str> {
    if options.all_fields {
        return vec!["*"];
    }
    let mut fields: Vec<&str> = Vec::new();
    let written = enrich::output_fields(enrich::Dialect::PlainCsv, &options.names);
    for f in options.fields.iter().map(String::as_str).chain(written) {
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    fields
}

/// The inspector warning (also written to stderr) for a request whose
/// `records` events have no value in any of `fields`.
pub fn missing_fields_warning(fields: &[String], records: u64) -> String {
    let (noun, names) = match fields {
        [one] => ("field", one.clone()),
        _ => ("fields", fields.join(", ")),
    };
    format!(
        "dynamicdns: none of the {records} events in this batch has a value in the {noun} \
         {names}, so they all get isDynDNS=False. Check the field name (field=; names are \
         case-sensitive, e.g. QueryName in Sysmon events, query in CIM data) and that the \
         search extracts the field before dynamicdns (not dropped by | fields or | table, \
         extracted for this sourcetype); if the events have it, try allfields=true"
    )
}

/// An execute reply.
#[derive(Debug, Serialize)]
pub(crate) struct ExecuteReply {
    pub(crate) finished: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) inspector: Option<Inspector>,
}

/// The error reply: inspector first, as Splunk's MLTK writes it.
#[derive(Debug, Serialize)]
struct ErrorReply<'a> {
    inspector: Inspector,
    finished: bool,
    error: &'a str,
}

/// Serialises reply metadata. The replies are plain structs of strings
/// and booleans, which serde_json always serialises.
pub(crate) fn to_json(reply: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(reply).unwrap_or_else(|_| b"{}".to_vec())
}

/// The error reply's metadata for `msg`.
pub fn error_metadata(msg: &str) -> Vec<u8> {
    to_json(&ErrorReply {
        inspector: Inspector { messages: vec![("ERROR", msg.to_string())] },
        finished: true,
        error: msg,
    })
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

/// Bytes of a body worked on at a time: the body is enriched as it
/// arrives, so only the reply is held whole (it must be, its length comes
/// first) and the request body never is.
const BLOCK: usize = 256 << 10;

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
    let getinfo = Request::parse(&rdr.metadata, rdr.chunk_number())?;
    if getinfo.action != "getinfo" {
        return Err(SessionError::Protocol {
            chunk: rdr.chunk_number(),
            problem: ProtocolProblem::NotGetinfoFirst(getinfo.action),
        });
    }
    let options = getinfo.options()?;
    summary.debug = options.debug;
    let mut zones = source.base.clone().with_tiers(options.tiers);
    let mut getinfo_reply = GetinfoReply {
        inspector: None,
        kind: "streaming",
        required_fields: required_fields(&options),
    };
    if let Some(dir) = &source.lookups {
        let local = LocalFiles::read(dir);
        if !local.problems.is_empty() {
            // Bad rows are skipped, never silently: each one is shown in the
            // job inspector and logged to search.log (at most
            // MAX_PROBLEMS_PER_FILE per file, then a count).
            let mut inspector = Inspector::default();
            for p in &local.problems {
                let msg = format!("dynamicdns: {}", crate::health::problem_text(p));
                eprintln!("{msg}");
                inspector.messages.push(("WARN", msg));
            }
            getinfo_reply.inspector = Some(inspector);
        }
        zones = local.apply(zones);
    }
    frame::write_chunk(output, &to_json(&getinfo_reply), b"").map_err(SessionError::Write)?;

    // Built at the first execute request: getinfo must be answered fast
    // (probe processes only ask getinfo), and text mode builds an automaton.
    let mut enricher: Option<Enricher> = None;
    let mut stream = BodyStream::new();
    let mut out = Vec::new();
    let mut warned = false;
    while rdr.read_head()?.is_some() {
        let chunk = rdr.chunk_number();
        let request = Request::parse(&rdr.metadata, chunk)?;
        match request.action.as_str() {
            "execute" => {}
            "getinfo" => {
                return Err(SessionError::Protocol {
                    chunk,
                    problem: ProtocolProblem::SecondGetinfo,
                })
            }
            _ => {
                return Err(SessionError::Protocol {
                    chunk,
                    problem: ProtocolProblem::UnknownAction(request.action),
                })
            }
        }
        let finished = request.finished(chunk)?;
        let enricher = match &mut enricher {
            Some(e) => e,
            None => enricher.insert(
                Enricher::new(&zones, &options, Dialect::Splunk)
                    .map_err(|e| SessionError::Protocol { chunk, problem: e.into() })?,
            ),
        };
        out.clear();
        let counts = enrich_body(&mut rdr, enricher, &mut stream, &mut out)
            .map_err(|e| e.in_chunk(chunk))?;
        summary.executes += 1;
        summary.records += counts.records;
        summary.matched += counts.matched;
        let mut reply = ExecuteReply { finished, inspector: None };
        if counts.records > 0 && enricher.fields_missing() && !warned {
            // Once per process: the inspector shows at most 20 messages
            // per level, and every indexer runs its own process.
            warned = true;
            let msg = missing_fields_warning(&options.fields, counts.records);
            eprintln!("{msg}");
            reply.inspector = Some(Inspector { messages: vec![("WARN", msg)] });
        }
        frame::write_chunk(output, &to_json(&reply), &out).map_err(SessionError::Write)?;
    }
    Ok(summary)
}

/// An error while streaming a body: framing, or the body's CSV.
enum BodyFailure {
    Frame(FrameError),
    Body(BodyError),
}

impl BodyFailure {
    fn in_chunk(self, chunk: u64) -> SessionError {
        match self {
            BodyFailure::Frame(e) => SessionError::Frame(e),
            BodyFailure::Body(source) => SessionError::Body { chunk, source },
        }
    }
}

/// Reads the current chunk's body block by block through `enricher` into
/// `out`; as [`Enricher::process_body`], a body without records writes
/// nothing.
fn enrich_body<R: Read>(
    rdr: &mut ChunkReader<R>,
    enricher: &mut Enricher,
    stream: &mut BodyStream,
    out: &mut Vec<u8>,
) -> Result<Counts, BodyFailure> {
    stream.start(enricher);
    let mut counts = Counts::default();
    loop {
        rdr.read_body_part(stream.input(), BLOCK).map_err(BodyFailure::Frame)?;
        let at_eof = rdr.body_remaining() == 0;
        counts += stream.process(enricher, at_eof, out).map_err(BodyFailure::Body)?;
        if at_eof {
            break;
        }
    }
    if counts.records == 0 {
        out.clear();
    }
    Ok(counts)
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
        Enricher::new(&zones, &Options::default(), Dialect::Splunk)
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

    /// The replies' key order is the wire order splunkd and MLTK expect.
    #[test]
    fn reply_key_order() {
        assert_eq!(
            error_metadata("bad \"x\""),
            br#"{"inspector":{"messages":[["ERROR","bad \"x\""]]},"finished":true,"error":"bad \"x\""}"#
        );
        let r = GetinfoReply {
            inspector: Some(Inspector { messages: vec![("WARN", "w".into())] }),
            kind: "streaming",
            required_fields: vec!["q", "isDynDNS"],
        };
        assert_eq!(
            to_json(&r),
            br#"{"inspector":{"messages":[["WARN","w"]]},"type":"streaming","required_fields":["q","isDynDNS"]}"#
        );
        let r = ExecuteReply { finished: false, inspector: None };
        assert_eq!(to_json(&r), br#"{"finished":false}"#);
    }

    /// `required_fields`: the fields read, then every field the enricher
    /// appends (whatever columns it gains), each once; `["*"]` with
    /// allfields=true.
    #[test]
    fn required_fields_follow_the_output_columns() {
        let zones = ZoneSet::embedded();
        let options = Options::from_spl_args(&["field=url,query"]).unwrap();
        let mut out = Vec::new();
        Enricher::new(&zones, &options, Dialect::Splunk)
            .unwrap()
            .process_body(b"url,query\nx,y\n", &mut out)
            .unwrap();
        let header = std::str::from_utf8(&out[..out.iter().position(|&b| b == b'\n').unwrap()])
            .unwrap()
            .to_string();
        let appended: Vec<&str> =
            header.split(',').skip(2).filter(|n| !n.starts_with("__mv_")).collect();
        let mut want = vec!["url", "query"];
        want.extend(&appended);
        assert_eq!(required_fields(&options), want);
        assert!(appended.starts_with(&["isDynDNS", "provider", "dyndns_zone"]), "{appended:?}");
        // A field read that is also written is declared once.
        let o = Options::from_spl_args(&["field=provider"]).unwrap();
        assert_eq!(required_fields(&o).iter().filter(|&&f| f == "provider").count(), 1);
        let o = Options::from_spl_args(&["allfields=true", "field=query"]).unwrap();
        assert_eq!(required_fields(&o), ["*"]);
    }
}

//! The session of `| dynamicdns`, a streaming command: what `dynamicdns
//! scp` does when splunkd runs it. The getinfo request's options and the
//! local files make an [`Enricher`] (at the first execute request, so that
//! probes, which only ask getinfo, cost nothing); the getinfo reply
//! declares [`required_fields`]; every execute body is enriched block by
//! block as it arrives and answered with one reply. The contract with
//! splunkd — lock-step, the error reply, when to warn, what goes to stderr
//! — is told once, in DESIGN.md ("The protocol's contract");
//! [`super::message`] holds the request order and the error reply.

use std::io::{Read, Write};
use std::path::PathBuf;

use super::message::{
    CommandType, Conversation, Execute, ExecuteReply, GetinfoReply, Inspector, Outcome, ScpError,
};
use crate::enrich::{self, BodyStream, Counts, Dialect, Enricher};
use crate::options::Options;
use crate::zonefile::LocalFiles;
use crate::zoneset::ZoneSet;

/// Statistics of a session, for the log, and its warnings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Execute requests answered.
    pub executes: u64,
    /// Records enriched.
    pub records: u64,
    /// Records with `isDynDNS=True`.
    pub matched: u64,
    /// The options asked for this summary on stderr (`debug=true`).
    pub debug: bool,
    /// Warnings sent to the job inspector, in order, for the binary to log
    /// too (stderr, which splunkd copies to search.log): the library
    /// itself prints nothing.
    pub warnings: Vec<String>,
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

/// The inspector warning (also logged) for a session whose `records`
/// events, all of them, have no value in any of `fields`.
pub fn missing_fields_warning(fields: &[String], records: u64) -> String {
    let (noun, names) = match fields {
        [one] => ("field", one.clone()),
        _ => ("fields", fields.join(", ")),
    };
    format!(
        "dynamicdns: none of the {records} events dynamicdns received has a value in the {noun} \
         {names}, so they all get isDynDNS=False. Check the field name (field=; names are \
         case-sensitive, e.g. QueryName in Sysmon events, query in CIM data) and that the \
         search extracts the field before dynamicdns (not dropped by | fields or | table, \
         extracted for this sourcetype); if the events have it, try allfields=true"
    )
}

/// Runs a session over `input`/`output`. On error the error reply has
/// already been written (unless writing itself failed).
pub fn run<R: Read, W: Write>(input: R, output: W, source: &ZoneSource) -> Outcome<Summary> {
    let mut summary = Summary::default();
    let result = Conversation::run(input, output, |conv| session(conv, source, &mut summary));
    Outcome { summary, result }
}

/// Bytes of a body worked on at a time: the body is enriched as it
/// arrives, so only the reply is held whole (it must be, its length comes
/// first) and the request body never is.
const BLOCK: usize = 256 << 10;

fn session<R: Read, W: Write>(
    conv: &mut Conversation<R, W>,
    source: &ZoneSource,
    summary: &mut Summary,
) -> Result<(), ScpError> {
    let Some(getinfo) = conv.getinfo()? else {
        return Ok(());
    };
    let options =
        Options::from_spl_args(&getinfo.args()?).map_err(|e| ScpError::Args(e.into()))?;
    summary.debug = options.debug;
    let mut zones = source.base.clone().with_tiers(options.tiers);
    let mut getinfo_reply = GetinfoReply {
        inspector: None,
        generating: false,
        kind: CommandType::Streaming,
        required_fields: Some(required_fields(&options)),
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
                summary.warnings.push(msg.clone());
                inspector.messages.push(("WARN", msg));
            }
            getinfo_reply.inspector = Some(inspector);
        }
        zones = local.apply(zones);
    }
    conv.reply(&getinfo_reply, b"")?;

    // Built at the first execute request: probe processes only ask getinfo.
    let mut enricher: Option<Enricher> = None;
    let mut stream = BodyStream::new();
    let mut out = Vec::new();
    // Some event of the session had a value in a field read. Judged over
    // the whole session, not per request: splunkd sends a declared field
    // that an event lacks as an empty cell, so a small batch whose cells
    // are all empty is normal (protocol-modern.md §2, protocol.md §5.3).
    let mut saw_value = false;
    let mut warned = false;
    while let Some(Execute { chunk, finished }) = conv.execute()? {
        let enricher = match &mut enricher {
            Some(e) => e,
            None => enricher.insert(Enricher::new(&zones, &options, Dialect::Splunk)),
        };
        out.clear();
        let counts = enrich_body(conv, chunk, enricher, &mut stream, &mut out)?;
        saw_value |= enricher.header_read() && !enricher.fields_missing();
        summary.executes += 1;
        summary.records += counts.records;
        summary.matched += counts.matched;
        let mut reply = ExecuteReply { finished, inspector: None };
        if finished && !warned && !saw_value && summary.records > 0 {
            // Once, with splunkd's last request, when no event at all had
            // a value. The inspector shows at most 20 messages per level,
            // and every indexer runs its own process.
            warned = true;
            let msg = missing_fields_warning(&options.fields, summary.records);
            summary.warnings.push(msg.clone());
            reply.inspector = Some(Inspector { messages: vec![("WARN", msg)] });
        }
        conv.reply(&reply, &out)?;
    }
    Ok(())
}

/// Reads the body of the request in `chunk` block by block through
/// `enricher` into `out`; as [`Enricher::process_body`], a body without
/// records writes nothing.
fn enrich_body<R: Read, W: Write>(
    conv: &mut Conversation<R, W>,
    chunk: u64,
    enricher: &mut Enricher,
    stream: &mut BodyStream,
    out: &mut Vec<u8>,
) -> Result<Counts, ScpError> {
    stream.start(enricher);
    let mut counts = Counts::default();
    loop {
        conv.read_body_part(stream.input(), BLOCK)?;
        let at_eof = conv.body_remaining() == 0;
        counts += stream
            .process(enricher, at_eof, out)
            .map_err(|e| ScpError::Body { chunk, source: e.into() })?;
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
    use crate::scp::frame::ChunkReader;

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
        run(&input[..], &mut output, &source).into_result().map_err(|e| e.to_string())?;
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

    /// The library prints nothing: a bad local row comes back in the
    /// summary's warnings, worded as the getinfo reply's WARN, also when
    /// the session then fails.
    #[test]
    fn warnings_come_back_in_the_summary() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("dynamicdns_local_zones.csv"),
            "zone,provider\nnot a zone,X\n",
        )
        .unwrap();
        let source =
            ZoneSource { base: ZoneSet::embedded(), lookups: Some(tmp.path().to_path_buf()) };
        let mut input = chunk(r#"{"action":"getinfo","searchinfo":{"args":[]}}"#, b"");
        input.extend(chunk(r#"{"action":"execute","finished":true}"#, b"query\n\"x\n"));
        let mut output = Vec::new();
        let outcome = run(&input[..], &mut output, &source);
        let warn = "dynamicdns: dynamicdns_local_zones.csv: line 2: \"not a zone\" is not a DNS \
                    name of two or more labels (ignored)";
        assert_eq!(outcome.summary.warnings, [warn]);
        assert!(outcome.result.is_err());
        let mut rdr = ChunkReader::new(&output[..]);
        assert!(rdr.read_chunk().unwrap());
        let meta: serde_json::Value = serde_json::from_slice(&rdr.metadata).unwrap();
        assert_eq!(meta["inspector"]["messages"][0], serde_json::json!(["WARN", warn]));
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

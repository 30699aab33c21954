//! The SCP v2 session of a **generating** command (one that comes first in
//! a search and makes its own records): what `dynamicdns info` does when
//! splunkd runs `| dynamicdnsinfo`. The command's options and records come
//! from a [`Generator`]; the health command's is
//! [`crate::health::InfoCommand`].
//!
//! The conversation, as splunkd holds it with generating commands (the
//! `generatehello` and `pypygeneratetext` recordings of Splunk 6.3, the
//! protocol notes §4–§6 and §8):
//!
//! - getinfo → `{"generating":true,"type":"stateful"}`, or
//!   `"type":"streaming"` when the command is to run on every indexer too.
//!   splunklib's `distributed` is not on the wire: "not distributed" is
//!   expressed as `stateful` (search head only), exactly the two replies
//!   recorded (`generatehello`, `pypygeneratetext`). Bad options get the
//!   protocol's error reply, as in [`crate::session`].
//! - execute requests carry no records (splunkd 6.3 sent `finished:false`,
//!   8.2 `finished:true` with a header-only body); their bodies are read
//!   and ignored. The first is answered with every record and
//!   `{"finished":true}` — "I have nothing more" (splunklib's generating
//!   commands say `finished:false` only while more batches follow, and
//!   `generatehello` answered its `finished:false` request with
//!   `finished:true` and all 1,000 records). splunkd then closes stdin.
//!   Should it send more execute requests anyway, each still gets exactly
//!   one reply, `{"finished":true}` with an empty body: lock-step is never
//!   broken.
//! - EOF between chunks ends the session cleanly, also right after getinfo
//!   (probe processes); nothing but replies is written to stdout. Local
//!   files are read only for the first execute request, so probes cost
//!   nothing.
//!
//! Every record goes in one reply: fine for the one row of
//! `| dynamicdnsinfo`; a generator of more than `maxresultrows` (50,000)
//! records would have to send them in batches with `finished:false`.

use std::io::{Read, Write};

use serde::Serialize;

use crate::frame::{self, ChunkReader};
use crate::session::{
    error_metadata, to_json, ExecuteReply, Inspector, ProtocolProblem, Request, SessionError,
};

/// Where splunkd runs a generating command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// On the search head only (`type: stateful`).
    SearchHead,
    /// On the search head and every indexer (`type: streaming`).
    Everywhere,
}

/// A generating command: its options and its records.
pub trait Generator {
    /// Reads the command's SPL arguments (`searchinfo.args`, quotes
    /// removed) and says where it runs; an error is a message for the user
    /// (it becomes the error reply).
    fn configure(&mut self, args: &[&str]) -> Result<Placement, String>;

    /// Appends the command's records to `body` as a CSV body (a header row,
    /// then one row per record) and returns messages for the job inspector
    /// (`WARN`, `INFO` …). Called once, for the first execute request.
    fn generate(&mut self, body: &mut Vec<u8>) -> Vec<(&'static str, String)>;
}

/// Why a generating session ended with an error.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Framing, a request that breaks the protocol, `searchinfo.args` that
    /// are not a list of strings, or a failed write: as in the streaming
    /// session.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The command's options are wrong (in reply to getinfo).
    #[error("{0}")]
    Options(String),
}

impl GenerateError {
    /// True when stdout is gone (splunkd stopped reading): no reply can be
    /// sent, and none is needed.
    pub fn is_write(&self) -> bool {
        matches!(self, GenerateError::Session(e) if e.is_write())
    }
}

/// Statistics of a finished session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Where the getinfo reply said the command runs (`None`: EOF before
    /// any request).
    pub placement: Option<Placement>,
    /// Execute requests answered.
    pub executes: u64,
}

/// The getinfo reply of a generating command; key order is wire order, as
/// splunklib wrote it in the recordings.
#[derive(Debug, Serialize)]
struct GetinfoReply {
    generating: bool,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// Runs a session of `command` over `input`/`output`. On error the error
/// reply has already been written (unless writing itself failed).
pub fn run<R: Read, W: Write>(
    input: R,
    mut output: W,
    command: &mut impl Generator,
) -> Result<Summary, GenerateError> {
    let result = session(input, &mut output, command);
    if let Err(e) = &result {
        if !e.is_write() {
            // Best effort: if stdout is gone there is nobody to tell.
            let _ = frame::write_chunk(&mut output, &error_metadata(&e.to_string()), b"");
        }
    }
    result
}

/// Reads the next request whole (its body is skipped: a generating
/// command's requests carry no records), or `None` at EOF between chunks.
fn next_request<R: Read>(
    rdr: &mut ChunkReader<R>,
    sink: &mut Vec<u8>,
) -> Result<Option<Request>, SessionError> {
    if rdr.read_head()?.is_none() {
        return Ok(None);
    }
    let request = Request::parse(&rdr.metadata, rdr.chunk_number())?;
    while rdr.body_remaining() > 0 {
        sink.clear();
        rdr.read_body_part(sink, 1 << 16)?;
    }
    Ok(Some(request))
}

fn session<R: Read, W: Write>(
    input: R,
    output: &mut W,
    command: &mut impl Generator,
) -> Result<Summary, GenerateError> {
    let mut rdr = ChunkReader::new(input);
    let mut sink = Vec::new();
    let mut summary = Summary::default();
    let protocol = |chunk, problem| SessionError::Protocol { chunk, problem };
    let Some(getinfo) = next_request(&mut rdr, &mut sink)? else {
        return Ok(summary);
    };
    if getinfo.action != "getinfo" {
        return Err(protocol(
            rdr.chunk_number(),
            ProtocolProblem::NotGetinfoFirst(getinfo.action),
        )
        .into());
    }
    let args = getinfo.args().map_err(SessionError::from)?;
    let placement = command.configure(&args).map_err(GenerateError::Options)?;
    summary.placement = Some(placement);
    let kind = match placement {
        Placement::SearchHead => "stateful",
        Placement::Everywhere => "streaming",
    };
    let reply = GetinfoReply { generating: true, kind };
    frame::write_chunk(output, &to_json(&reply), b"").map_err(SessionError::Write)?;

    let mut body = Vec::new();
    while let Some(request) = next_request(&mut rdr, &mut sink)? {
        let chunk = rdr.chunk_number();
        match request.action.as_str() {
            "execute" => {}
            "getinfo" => return Err(protocol(chunk, ProtocolProblem::SecondGetinfo).into()),
            _ => {
                return Err(protocol(chunk, ProtocolProblem::UnknownAction(request.action)).into())
            }
        }
        // Checked as in the streaming session, though its value changes
        // nothing: the reply says whether the command has more.
        request.finished(chunk)?;
        body.clear();
        let mut reply = ExecuteReply { finished: true, inspector: None };
        if summary.executes == 0 {
            let messages = command.generate(&mut body);
            if !messages.is_empty() {
                reply.inspector = Some(Inspector { messages });
            }
        }
        summary.executes += 1;
        frame::write_chunk(output, &to_json(&reply), &body).map_err(SessionError::Write)?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(meta: &str, body: &[u8]) -> Vec<u8> {
        let mut c = Vec::new();
        frame::write_chunk(&mut c, meta.as_bytes(), body).unwrap();
        c
    }

    /// A generator of two records, with a WARN; `distributed` as the
    /// health command reads it.
    struct Two;

    impl Generator for Two {
        fn configure(&mut self, args: &[&str]) -> Result<Placement, String> {
            match args {
                [] => Ok(Placement::SearchHead),
                ["everywhere"] => Ok(Placement::Everywhere),
                _ => Err(format!("bad arguments {args:?}")),
            }
        }
        fn generate(&mut self, body: &mut Vec<u8>) -> Vec<(&'static str, String)> {
            body.extend_from_slice(b"a,b\n1,2\n3,4\n");
            vec![("WARN", "w".to_string())]
        }
    }

    /// The replies of a session: (metadata, body) each.
    type Replies = Vec<(String, Vec<u8>)>;

    /// Runs a session; returns every reply and the result.
    fn run_session(input: &[u8]) -> (Replies, Result<Summary, String>) {
        let mut out = Vec::new();
        let result = run(input, &mut out, &mut Two).map_err(|e| e.to_string());
        let mut rdr = ChunkReader::new(&out[..]);
        let mut replies = Vec::new();
        while rdr.read_chunk().unwrap() {
            replies.push((String::from_utf8(rdr.metadata.clone()).unwrap(), rdr.body.clone()));
        }
        (replies, result)
    }

    fn getinfo(args: &str) -> Vec<u8> {
        chunk(&format!(r#"{{"action":"getinfo","searchinfo":{{"args":{args}}}}}"#), b"")
    }

    #[test]
    fn one_reply_per_request_records_in_the_first() {
        let mut input = getinfo("[]");
        // splunkd 6.3: finished false, no body; 8.2: finished true with a
        // header-only body; then one more for good measure.
        input.extend(chunk(r#"{"action":"execute","finished":false}"#, b""));
        input
            .extend(chunk(r#"{"action":"execute","finished":true}"#, b"_time,\"_chunked_idx\"\n"));
        input.extend(chunk(r#"{"action":"execute"}"#, b""));
        let (replies, result) = run_session(&input);
        assert_eq!(result, Ok(Summary { placement: Some(Placement::SearchHead), executes: 3 }));
        let metas: Vec<&str> = replies.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            metas,
            [
                r#"{"generating":true,"type":"stateful"}"#,
                r#"{"finished":true,"inspector":{"messages":[["WARN","w"]]}}"#,
                r#"{"finished":true}"#,
                r#"{"finished":true}"#,
            ]
        );
        assert_eq!(replies[1].1, b"a,b\n1,2\n3,4\n");
        assert!(replies[0].1.is_empty() && replies[2].1.is_empty() && replies[3].1.is_empty());

        let (replies, result) = run_session(&getinfo(r#"["everywhere"]"#));
        assert_eq!(result, Ok(Summary { placement: Some(Placement::Everywhere), executes: 0 }));
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].0, r#"{"generating":true,"type":"streaming"}"#);
        assert_eq!(run_session(b""), (vec![], Ok(Summary::default())));
    }

    /// Every error gets the error reply, worded as in the streaming
    /// session; a truncated request is not answered first.
    #[test]
    fn errors_get_the_error_reply() {
        let exec = chunk(r#"{"action":"execute","finished":true}"#, b"");
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (getinfo(r#"["x"]"#), r#"bad arguments ["x"]"#),
            (getinfo(r#""x""#), r#"searchinfo.args is not a list: "x""#),
            (exec.clone(), "chunk 1: expected a getinfo request first, got action 'execute'"),
            (
                [getinfo("[]"), getinfo("[]")].concat(),
                "chunk 2: unexpected second getinfo request",
            ),
            (
                [getinfo("[]"), chunk(r#"{"action":"finish"}"#, b"")].concat(),
                "chunk 2: unknown action 'finish'",
            ),
            (
                [getinfo("[]"), chunk(r#"{"action":"execute","finished":"yes"}"#, b"")].concat(),
                r#"chunk 2: 'finished' must be true or false, got "yes""#,
            ),
            (
                [
                    getinfo("[]"),
                    b"chunked 1.0,36,10\n".to_vec(),
                    br#"{"action":"execute","finished":true}"#.to_vec(),
                ]
                .concat(),
                "chunk 2: input ended after 0 of 10 body bytes",
            ),
        ];
        for (input, msg) in cases {
            let (replies, result) = run_session(&input);
            assert_eq!(result, Err(msg.to_string()), "{msg}");
            let (meta, body) = replies.last().unwrap();
            assert_eq!(meta.as_bytes(), error_metadata(msg), "{msg}");
            assert!(body.is_empty());
            // Replies before the error: the getinfo reply only.
            assert!(replies.len() <= 2, "{msg}: {replies:?}");
        }
    }
}

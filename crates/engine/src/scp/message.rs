//! What both sessions say and hear, below both of them: a request and its
//! `Action`, the replies, the inspector's messages, the one error type
//! [`ScpError`], and the `Conversation` that holds splunkd to the request
//! order (getinfo first and once, then execute requests) and answers any
//! error with the protocol's error reply. The contract itself is told
//! once, in DESIGN.md ("The protocol's contract").

use std::error::Error;
use std::io::{self, Read, Write};

use serde::Serialize;
use serde_json::{Map, Value};

use super::frame::{self, ChunkReader, FrameError};

/// Why a session ended with an error. Every variant but [`Write`](Self::Write)
/// has been answered with the error reply.
#[derive(Debug, thiserror::Error)]
pub enum ScpError {
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
    /// The command's arguments in the getinfo request are wrong: not a list
    /// of strings ([`ArgsProblem`]), or not options the command takes (the
    /// command's own message).
    #[error("{0}")]
    Args(Box<dyn Error + Send + Sync>),
    /// An execute request's body is not valid input for the command.
    #[error("execute request in chunk {chunk}: body {source}")]
    Body {
        /// Which chunk.
        chunk: u64,
        /// Where in the body, and what is wrong.
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
    /// Writing a reply failed (splunkd went away); no reply can be sent.
    #[error("writing a reply failed: {0}")]
    Write(#[source] io::Error),
}

impl ScpError {
    /// True when the error reply cannot (or need not) be written: stdout is
    /// gone. A broken pipe means splunkd stopped reading — exit quietly.
    pub fn is_write(&self) -> bool {
        matches!(self, ScpError::Write(_))
    }
}

/// What is wrong with a request's metadata or its place in the
/// conversation.
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
}

/// What is wrong with `searchinfo.args` itself.
#[derive(Debug, thiserror::Error)]
pub enum ArgsProblem {
    /// `searchinfo.args` is not a list.
    #[error("searchinfo.args is not a list: {0}")]
    NotList(Value),
    /// An argument is not a string.
    #[error("searchinfo.args holds a non-string: {0}")]
    NotString(Value),
}

/// How a session ended.
#[derive(Debug)]
pub struct Outcome<S> {
    /// What the session did, up to its end or its error.
    pub summary: S,
    /// `Ok`, or the error it ended with (answered with the error reply
    /// unless [`ScpError::is_write`]).
    pub result: Result<(), ScpError>,
}

impl<S> Outcome<S> {
    /// The summary, or the error.
    pub fn into_result(self) -> Result<S, ScpError> {
        self.result.map(|()| self.summary)
    }
}

/// What a request asks for: its `action`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// `getinfo`: the command's options in, its type out.
    Getinfo,
    /// `execute`: records in, records out.
    Execute,
    /// Anything else (an error wherever it comes), as named.
    Other(String),
}

impl Action {
    fn from_name(name: &str) -> Action {
        match name {
            "getinfo" => Action::Getinfo,
            "execute" => Action::Execute,
            other => Action::Other(other.to_string()),
        }
    }

    fn name(&self) -> &str {
        match self {
            Action::Getinfo => "getinfo",
            Action::Execute => "execute",
            Action::Other(name) => name,
        }
    }
}

/// One request's metadata, parsed.
#[derive(Debug)]
pub(crate) struct Request {
    action: Action,
    meta: Map<String, Value>,
}

impl Request {
    /// Parses a request's metadata; `chunk` names it in errors.
    fn parse(bytes: &[u8], chunk: u64) -> Result<Request, ScpError> {
        let err = |problem| ScpError::Protocol { chunk, problem };
        let meta = match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(err(ProtocolProblem::NotObject)),
            Err(e) => return Err(err(ProtocolProblem::NotJson(e))),
        };
        let action = match meta.get("action") {
            Some(Value::String(a)) => Action::from_name(a),
            Some(v) => return Err(err(ProtocolProblem::ActionNotString(v.clone()))),
            None => return Err(err(ProtocolProblem::NoAction)),
        };
        Ok(Request { action, meta })
    }

    /// An execute request's `finished` (absent or null: false).
    fn finished(&self, chunk: u64) -> Result<bool, ScpError> {
        match self.meta.get("finished") {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(ScpError::Protocol {
                chunk,
                problem: ProtocolProblem::FinishedNotBool(v.clone()),
            }),
        }
    }

    /// The command's arguments, `searchinfo.args` (absent or null: none).
    pub(crate) fn args(&self) -> Result<Vec<&str>, ScpError> {
        let problem = |p: ArgsProblem| ScpError::Args(p.into());
        match self.meta.get("searchinfo").and_then(|s| s.get("args")) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().ok_or_else(|| problem(ArgsProblem::NotString(v.clone()))))
                .collect(),
            Some(v) => Err(problem(ArgsProblem::NotList(v.clone()))),
        }
    }
}

/// The inspector messages of a reply: `[[LEVEL, TEXT], …]`.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Inspector {
    pub(crate) messages: Vec<(&'static str, String)>,
}

/// A command's `type` in the getinfo reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CommandType {
    /// Runs on every indexer too, record by record.
    Streaming,
    /// Runs on the search head only.
    Stateful,
}

/// The getinfo reply of either session. Field order is key order on the
/// wire: `{"inspector":…,"type":"streaming","required_fields":[…]}` for the
/// streaming command, `{"generating":true,"type":"stateful"}` for a
/// generating one (as splunklib wrote it in the recordings).
#[derive(Debug, Serialize)]
pub(crate) struct GetinfoReply<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) inspector: Option<Inspector>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) generating: bool,
    #[serde(rename = "type")]
    pub(crate) kind: CommandType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) required_fields: Option<Vec<&'a str>>,
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
fn to_json(reply: &impl Serialize) -> Vec<u8> {
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

/// An execute request, its body still to be read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Execute {
    /// Its chunk number.
    pub(crate) chunk: u64,
    /// Its `finished`: splunkd's last request.
    pub(crate) finished: bool,
}

/// One conversation with splunkd: requests are read in the order the
/// protocol allows — [`getinfo`](Self::getinfo) once, first, then
/// [`execute`](Self::execute) — and any other order is an error; replies
/// go out through [`reply`](Self::reply).
#[derive(Debug)]
pub(crate) struct Conversation<R, W> {
    rdr: ChunkReader<R>,
    out: W,
    getinfo_read: bool,
}

impl<R: Read, W: Write> Conversation<R, W> {
    /// Runs `session` over a conversation on `input` and `output`. When it
    /// fails, the error reply is sent (best effort: unless it was writing
    /// that failed, then there is nobody to tell).
    pub(crate) fn run<T>(
        input: R,
        output: W,
        session: impl FnOnce(&mut Self) -> Result<T, ScpError>,
    ) -> Result<T, ScpError> {
        let mut conv =
            Conversation { rdr: ChunkReader::new(input), out: output, getinfo_read: false };
        let result = session(&mut conv);
        if let Err(e) = &result {
            if !e.is_write() {
                let _ = frame::write_chunk(&mut conv.out, &error_metadata(&e.to_string()), b"");
            }
        }
        result
    }

    /// The first request, which must be a getinfo (its body, which carries
    /// nothing, is skipped), or `None` at EOF before any chunk.
    pub(crate) fn getinfo(&mut self) -> Result<Option<Request>, ScpError> {
        debug_assert!(!self.getinfo_read, "getinfo is read once, first");
        let Some(request) = self.next()? else { return Ok(None) };
        self.getinfo_read = true;
        if request.action != Action::Getinfo {
            return Err(ScpError::Protocol {
                chunk: self.rdr.chunk_number(),
                problem: ProtocolProblem::NotGetinfoFirst(request.action.name().to_string()),
            });
        }
        self.skip_body()?;
        Ok(Some(request))
    }

    /// The next request, which must be an execute request (its body left
    /// to [`read_body_part`](Self::read_body_part) or
    /// [`skip_body`](Self::skip_body)), or `None` at EOF between chunks.
    pub(crate) fn execute(&mut self) -> Result<Option<Execute>, ScpError> {
        debug_assert!(self.getinfo_read, "getinfo comes first");
        let Some(request) = self.next()? else { return Ok(None) };
        let chunk = self.rdr.chunk_number();
        let problem = match &request.action {
            Action::Execute => {
                let finished = request.finished(chunk)?;
                return Ok(Some(Execute { chunk, finished }));
            }
            Action::Getinfo => ProtocolProblem::SecondGetinfo,
            Action::Other(name) => ProtocolProblem::UnknownAction(name.clone()),
        };
        Err(ScpError::Protocol { chunk, problem })
    }

    /// Reads the next chunk's head and parses its metadata.
    fn next(&mut self) -> Result<Option<Request>, ScpError> {
        if self.rdr.read_head()?.is_none() {
            return Ok(None);
        }
        Request::parse(&self.rdr.metadata, self.rdr.chunk_number()).map(Some)
    }

    /// Appends up to `max` more bytes of the current body to `buf`
    /// ([`ChunkReader::read_body_part`]).
    pub(crate) fn read_body_part(
        &mut self,
        buf: &mut Vec<u8>,
        max: usize,
    ) -> Result<usize, FrameError> {
        self.rdr.read_body_part(buf, max)
    }

    /// Bytes of the current body not read yet.
    pub(crate) fn body_remaining(&self) -> u64 {
        self.rdr.body_remaining()
    }

    /// Reads the rest of the current body and drops it, so that a request
    /// cut short is an error before it is answered.
    pub(crate) fn skip_body(&mut self) -> Result<(), FrameError> {
        let mut sink = Vec::new();
        while self.rdr.body_remaining() > 0 {
            sink.clear();
            self.rdr.read_body_part(&mut sink, 1 << 16)?;
        }
        Ok(())
    }

    /// Sends one reply: `metadata` and `body`.
    pub(crate) fn reply(
        &mut self,
        metadata: &impl Serialize,
        body: &[u8],
    ) -> Result<(), ScpError> {
        frame::write_chunk(&mut self.out, &to_json(metadata), body).map_err(ScpError::Write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The replies' key order is the wire order splunkd and MLTK expect.
    #[test]
    fn reply_key_order() {
        assert_eq!(
            error_metadata("bad \"x\""),
            br#"{"inspector":{"messages":[["ERROR","bad \"x\""]]},"finished":true,"error":"bad \"x\""}"#
        );
        let r = GetinfoReply {
            inspector: Some(Inspector { messages: vec![("WARN", "w".into())] }),
            generating: false,
            kind: CommandType::Streaming,
            required_fields: Some(vec!["q", "isDynDNS"]),
        };
        assert_eq!(
            to_json(&r),
            br#"{"inspector":{"messages":[["WARN","w"]]},"type":"streaming","required_fields":["q","isDynDNS"]}"#
        );
        let r = GetinfoReply {
            inspector: None,
            generating: true,
            kind: CommandType::Stateful,
            required_fields: None,
        };
        assert_eq!(to_json(&r), br#"{"generating":true,"type":"stateful"}"#);
        let r = ExecuteReply { finished: false, inspector: None };
        assert_eq!(to_json(&r), br#"{"finished":false}"#);
    }
}

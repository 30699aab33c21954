//! The SCP v2 session of a **generating** command (one that comes first in
//! a search and makes its own records): what `dynamicdns info` does when
//! splunkd runs `| dynamicdnsinfo`. The command's options and records come
//! from a [`Generator`]; the health command's is
//! [`crate::health::InfoCommand`].
//!
//! getinfo is answered `{"generating":true,"type":"stateful"}`, or
//! `"streaming"` for [`Placement::Everywhere`]; execute requests carry no
//! records (their bodies are skipped); the first is answered with every
//! record and `finished:true`, any later one with an empty
//! `finished:true`. Why, and what splunkd was seen to send, is told in
//! DESIGN.md ("The protocol's contract"); [`super::message`] holds the
//! request order and the error reply.

use std::io::{Read, Write};

use super::message::{
    CommandType, Conversation, ExecuteReply, GetinfoReply, Inspector, Outcome, ScpError,
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

/// Statistics of a session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Where the getinfo reply said the command runs (`None`: EOF before
    /// any request).
    pub placement: Option<Placement>,
    /// Execute requests answered.
    pub executes: u64,
}

/// Runs a session of `command` over `input`/`output`. On error the error
/// reply has already been written (unless writing itself failed).
pub fn run<R: Read, W: Write>(
    input: R,
    output: W,
    command: &mut impl Generator,
) -> Outcome<Summary> {
    let mut summary = Summary::default();
    let result = Conversation::run(input, output, |conv| session(conv, command, &mut summary));
    Outcome { summary, result }
}

fn session<R: Read, W: Write>(
    conv: &mut Conversation<R, W>,
    command: &mut impl Generator,
    summary: &mut Summary,
) -> Result<(), ScpError> {
    let Some(getinfo) = conv.getinfo()? else {
        return Ok(());
    };
    let placement = command.configure(&getinfo.args()?).map_err(|m| ScpError::Args(m.into()))?;
    summary.placement = Some(placement);
    let kind = match placement {
        Placement::SearchHead => CommandType::Stateful,
        Placement::Everywhere => CommandType::Streaming,
    };
    let reply = GetinfoReply { inspector: None, generating: true, kind, required_fields: None };
    conv.reply(&reply, b"")?;

    let mut body = Vec::new();
    // `finished` is checked as in the streaming session, though its value
    // changes nothing: the reply says whether the command has more.
    while conv.execute()?.is_some() {
        // A generating command's requests carry no records.
        conv.skip_body()?;
        body.clear();
        let mut reply = ExecuteReply { finished: true, inspector: None };
        if summary.executes == 0 {
            let messages = command.generate(&mut body);
            if !messages.is_empty() {
                reply.inspector = Some(Inspector { messages });
            }
        }
        summary.executes += 1;
        conv.reply(&reply, &body)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scp::frame::{self, ChunkReader};
    use crate::scp::message::error_metadata;

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
        let result = run(input, &mut out, &mut Two).into_result().map_err(|e| e.to_string());
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

//! Bad input through the real binary: each case asserts the exact error
//! reply on stdout (the protocol's error chunk, shown in Splunk's job
//! inspector), the exit status, and that nothing panicked.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn chunk(meta: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!("chunked 1.0,{},{}\n{meta}", meta.len(), body.len()).into_bytes();
    v.extend_from_slice(body);
    v
}

fn getinfo(args: &[&str]) -> Vec<u8> {
    let args = serde_json::to_string(args).unwrap();
    chunk(&format!(r#"{{"action":"getinfo","searchinfo":{{"args":{args}}}}}"#), b"")
}

fn execute(finished: bool, body: &[u8]) -> Vec<u8> {
    chunk(&format!(r#"{{"action":"execute","finished":{finished}}}"#), body)
}

/// Runs `dynamicdns scp` on `input`; returns (stdout, stderr, exit code).
fn run(input: Vec<u8>) -> (Vec<u8>, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dynamicdns"))
        .arg("scp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The command may stop reading early; a failed write is then expected.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out = Vec::new();
    let mut err = String::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "command did not exit");
        std::thread::sleep(Duration::from_millis(5));
    };
    writer.join().unwrap();
    assert!(!err.contains("panicked"), "panic: {err}");
    (out, err, status.code().unwrap_or(-1))
}

/// The exact error chunk for `msg`.
fn error_reply(msg: &str) -> Vec<u8> {
    let m = serde_json::to_string(msg).unwrap();
    chunk(
        &format!(r#"{{"inspector":{{"messages":[["ERROR",{m}]]}},"finished":true,"error":{m}}}"#),
        b"",
    )
}

const INFO_REPLY: &[u8] = b"chunked 1.0,20,0\n{\"type\":\"streaming\"}";

/// Asserts stdout is `prefix` + the error chunk for `msg`, exit 1, and the
/// message also went to stderr (search.log).
fn assert_error(input: Vec<u8>, prefix: &[u8], msg: &str) {
    let (out, err, code) = run(input);
    let mut want = prefix.to_vec();
    want.extend_from_slice(&error_reply(msg));
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&want));
    assert_eq!(code, 1, "exit code; stderr: {err}");
    assert!(err.contains(msg), "stderr lacks the message: {err}");
}

#[test]
fn malformed_header() {
    assert_error(
        b"chunked 2.0,0,0\n".to_vec(),
        b"",
        r#"chunk 1: malformed transport header "chunked 2.0,0,0\\n" (expected "chunked 1.0,<metadata length>,<body length>")"#,
    );
    let mut input = getinfo(&[]);
    input.extend_from_slice(b"chunked 1.0,abc,0\n");
    assert_error(
        input,
        INFO_REPLY,
        r#"chunk 2: malformed transport header "chunked 1.0,abc,0\\n" (expected "chunked 1.0,<metadata length>,<body length>")"#,
    );
    let mut input = getinfo(&[]);
    input.extend_from_slice(b"\n");
    assert_error(
        input,
        INFO_REPLY,
        r#"chunk 2: malformed transport header "\\n" (expected "chunked 1.0,<metadata length>,<body length>")"#,
    );
}

#[test]
fn short_body() {
    let mut input = getinfo(&[]);
    input.extend_from_slice(
        b"chunked 1.0,36,100\n{\"action\":\"execute\",\"finished\":true}query\nfoo\n",
    );
    assert_error(input, INFO_REPLY, "chunk 2: input ended after 10 of 100 body bytes");
}

#[test]
fn huge_length_is_refused_without_allocating() {
    let mut input = getinfo(&[]);
    input.extend_from_slice(
        b"chunked 1.0,36,99999999999999\n{\"action\":\"execute\",\"finished\":true}",
    );
    assert_error(
        input,
        INFO_REPLY,
        "chunk 2: body length 99999999999999 exceeds the limit of 1073741824 bytes",
    );
}

#[test]
fn metadata_not_json() {
    assert_error(
        chunk("{nope", b""),
        b"",
        "chunk 1: metadata is not valid JSON: key must be a string at line 1 column 2",
    );
    assert_error(chunk("[1,2]", b""), b"", "chunk 1: metadata is not a JSON object");
    let mut input = getinfo(&[]);
    input.extend_from_slice(&chunk(r#"{"action":"execute","finished":"yes"}"#, b""));
    assert_error(input, INFO_REPLY, r#"chunk 2: 'finished' must be true or false, got "yes""#);
}

#[test]
fn unknown_or_malformed_options() {
    let usage = "Usage: dynamicdns [field=<field>[,<field>...]] [mode=host|text] [tier=all|core]";
    assert_error(
        getinfo(&["fieldname=query"]),
        b"",
        &format!(
            "unknown option 'fieldname' in 'fieldname=query'; known options: field, mode, tier. {usage}"
        ),
    );
    assert_error(
        getinfo(&["query"]),
        b"",
        &format!("unexpected argument 'query' (to name several fields, join them with commas: field=query,answer). {usage}"),
    );
    assert_error(
        getinfo(&["field="]),
        b"",
        &format!("'field=': empty field name; give field=<field>[,<field>...]. {usage}"),
    );
    assert_error(
        getinfo(&["mode=regex"]),
        b"",
        &format!("'mode=regex': mode must be 'host' or 'text'. {usage}"),
    );
}

#[test]
fn protocol_order_errors() {
    assert_error(
        execute(true, b""),
        b"",
        "chunk 1: expected a getinfo request first, got action 'execute'",
    );
    let mut input = getinfo(&[]);
    input.extend_from_slice(&getinfo(&[]));
    assert_error(input, INFO_REPLY, "chunk 2: unexpected second getinfo request");
    let mut input = getinfo(&[]);
    input.extend_from_slice(&chunk(r#"{"action":"cancel"}"#, b""));
    assert_error(input, INFO_REPLY, "chunk 2: unknown action 'cancel'");
    assert_error(chunk(r#"{"finished":true}"#, b""), b"", "chunk 1: metadata has no 'action'");
}

#[test]
fn bad_csv_bodies() {
    let mut input = getinfo(&[]);
    input.extend_from_slice(&execute(true, b"query,answer\nfoo.duckdns.org,x\nbar\n"));
    assert_error(
        input,
        INFO_REPLY,
        "execute request in chunk 2: body line 3, record 2: record has 1 fields but the header has 2",
    );
    let mut input = getinfo(&[]);
    input.extend_from_slice(&execute(true, b"query\n\"foo\nbar\n"));
    assert_error(
        input,
        INFO_REPLY,
        "execute request in chunk 2: body line 2, record 1: quoted field starting at byte 6 is never closed",
    );
    let mut input = getinfo(&[]);
    input.extend_from_slice(&execute(true, b"query\n\"foo\"x\n"));
    assert_error(
        input,
        INFO_REPLY,
        "execute request in chunk 2: body line 2, record 1: unexpected byte 0x78 after a closing quote at byte 11",
    );
}

#[test]
fn eof_between_chunks_is_a_clean_exit() {
    let (out, _, code) = run(Vec::new());
    assert_eq!((out, code), (Vec::new(), 0));
    let (out, _, code) = run(getinfo(&[]));
    assert_eq!((out, code), (INFO_REPLY.to_vec(), 0));
}

#[test]
fn missing_field_warns_once_and_passes_records_through() {
    let mut input = getinfo(&["field=dest"]);
    input.extend_from_slice(&execute(false, b"query\nfoo.duckdns.org\n"));
    input.extend_from_slice(&execute(true, b"query\nbar.duckdns.org\n"));
    let (out, _, code) = run(input);
    assert_eq!(code, 0);
    let warn = "dynamicdns: none of the fields dest is present in the events; every event gets isDynDNS=False";
    let meta1 = format!(r#"{{"finished":false,"inspector":{{"messages":[["WARN","{warn}"]]}}}}"#);
    let body1 = b"query,isDynDNS,provider,dyndns_zone,__mv_provider,__mv_dyndns_zone\nfoo.duckdns.org,False,,,,\n";
    let body2 = b"query,isDynDNS,provider,dyndns_zone,__mv_provider,__mv_dyndns_zone\nbar.duckdns.org,False,,,,\n";
    let mut want = INFO_REPLY.to_vec();
    want.extend_from_slice(&chunk(&meta1, body1));
    want.extend_from_slice(&chunk(r#"{"finished":true}"#, body2));
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&want));
}

#[test]
fn existing_output_columns_are_replaced_not_duplicated() {
    let mut input = getinfo(&[]);
    input.extend_from_slice(&execute(
        true,
        b"query,isDynDNS,provider,other\nfoo.duckdns.org,False,old,\"a,b\"\nwww.example.com,True,x,y\n",
    ));
    let (out, _, code) = run(input);
    assert_eq!(code, 0);
    let body = b"query,isDynDNS,provider,other,dyndns_zone,__mv_provider,__mv_dyndns_zone\n\
foo.duckdns.org,True,DuckDNS,\"a,b\",duckdns.org,,\n\
www.example.com,False,,y,,,\n";
    let mut want = INFO_REPLY.to_vec();
    want.extend_from_slice(&chunk(r#"{"finished":true}"#, body));
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&want));
}

#[test]
fn scp_takes_no_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_dynamicdns")).args(["scp", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("scp takes no arguments"));
}

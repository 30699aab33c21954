//! Bad input through the real binary: each case asserts the exact error
//! reply on stdout (the protocol's error chunk, shown in Splunk's job
//! inspector), the exit status, and that nothing panicked.

use std::io::{Read, Write};
use std::process::Command;

use crate::util::process::{self, bin};
use crate::util::scp::{
    chunk, error_reply, execute, getinfo, getinfo_reply, getinfo_reply_chunk, split_chunks,
};

/// Runs `dynamicdns scp` on `input`; returns (stdout, stderr, exit code).
fn run(input: Vec<u8>) -> (Vec<u8>, String, i32) {
    run_with(bin().arg("scp"), input)
}

/// Runs `cmd` on `input`; returns (stdout, stderr, exit code).
fn run_with(cmd: &mut Command, input: Vec<u8>) -> (Vec<u8>, String, i32) {
    let o = process::run(cmd, &input);
    (o.stdout.clone(), process::stderr(&o), o.status.code().unwrap_or(-1))
}

/// The usage line every option error ends with.
const USAGE: &str =
    "Usage: dynamicdns [field=<field>[,<field>...]] [mode=host|text] [tier=all|core] \
                     [allfields=true|false] [debug=true|false] \
                     [rename=\"<output> AS <name>[, ...]\"]";

/// The getinfo reply chunk for `| dynamicdns` (default options).
fn info_reply() -> Vec<u8> {
    getinfo_reply_chunk(&[])
}

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
        r#"chunk 1: malformed transport header "chunked 2.0,0,0\n" (expected "chunked 1.0,<metadata length>,<body length>")"#,
    );
    let mut input = getinfo(&[]);
    input.extend_from_slice(b"chunked 1.0,abc,0\n");
    assert_error(
        input,
        &info_reply(),
        r#"chunk 2: malformed transport header "chunked 1.0,abc,0\n" (expected "chunked 1.0,<metadata length>,<body length>")"#,
    );
    let mut input = getinfo(&[]);
    input.extend_from_slice(b"\n");
    assert_error(
        input,
        &info_reply(),
        r#"chunk 2: malformed transport header "\n" (expected "chunked 1.0,<metadata length>,<body length>")"#,
    );
}

#[test]
fn short_body() {
    let mut input = getinfo(&[]);
    input.extend_from_slice(
        b"chunked 1.0,36,100\n{\"action\":\"execute\",\"finished\":true}query\nfoo\n",
    );
    assert_error(input, &info_reply(), "chunk 2: input ended after 10 of 100 body bytes");
}

#[test]
fn huge_length_is_refused_without_allocating() {
    let mut input = getinfo(&[]);
    input.extend_from_slice(
        b"chunked 1.0,36,99999999999999\n{\"action\":\"execute\",\"finished\":true}",
    );
    assert_error(
        input,
        &info_reply(),
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
    assert_error(input, &info_reply(), r#"chunk 2: 'finished' must be true or false, got "yes""#);
}

#[test]
fn unknown_or_malformed_options() {
    let usage = USAGE;
    assert_error(
        getinfo(&["fieldname=query"]),
        b"",
        &format!(
            "unknown option 'fieldname' in 'fieldname=query'; known options: field, mode, tier, allfields, debug, rename. {usage}"
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
    assert_error(input, &info_reply(), "chunk 2: unexpected second getinfo request");
    let mut input = getinfo(&[]);
    input.extend_from_slice(&chunk(r#"{"action":"cancel"}"#, b""));
    assert_error(input, &info_reply(), "chunk 2: unknown action 'cancel'");
    assert_error(chunk(r#"{"finished":true}"#, b""), b"", "chunk 1: metadata has no 'action'");
}

#[test]
fn bad_csv_bodies() {
    let mut input = getinfo(&[]);
    input.extend_from_slice(&execute(true, b"query,answer\nfoo.duckdns.org,x\nbar\n"));
    assert_error(
        input,
        &info_reply(),
        "execute request in chunk 2: body line 3, record 2: record has 1 fields but the header has 2",
    );
    let mut input = getinfo(&[]);
    input.extend_from_slice(&execute(true, b"query\n\"foo\nbar\n"));
    assert_error(
        input,
        &info_reply(),
        "execute request in chunk 2: body line 2, record 1: quoted field starting at byte 6 is never closed",
    );
    let mut input = getinfo(&[]);
    input.extend_from_slice(&execute(true, b"query\n\"foo\"x\n"));
    assert_error(
        input,
        &info_reply(),
        "execute request in chunk 2: body line 2, record 1: unexpected byte 0x78 after a closing quote at byte 11",
    );
}

#[test]
fn eof_between_chunks_is_a_clean_exit() {
    let (out, _, code) = run(Vec::new());
    assert_eq!((out, code), (Vec::new(), 0));
    let (out, _, code) = run(getinfo(&[]));
    assert_eq!((out, code), (info_reply(), 0));
}

#[test]
fn missing_field_warns_once_and_passes_records_through() {
    let mut input = getinfo(&["field=dest"]);
    input.extend_from_slice(&execute(false, b"query\nfoo.duckdns.org\n"));
    input.extend_from_slice(&execute(true, b"query\nbar.duckdns.org\n"));
    let (out, err, code) = run(input);
    assert_eq!(code, 0);
    let warn = "dynamicdns: none of the 2 events dynamicdns received has a value in the field \
                dest, so they all get isDynDNS=False. Check the field name (field=; names are \
                case-sensitive, e.g. QueryName in Sysmon events, query in CIM data) and that \
                the search extracts the field before dynamicdns (not dropped by | fields or \
                | table, extracted for this sourcetype); if the events have it, try \
                allfields=true";
    // A real warning: in the job inspector and on stderr (search.log).
    assert_eq!(err, format!("{warn}\n"));
    // Said once, with the last request: only the whole session shows that
    // no event has the field.
    let meta2 = format!(r#"{{"finished":true,"inspector":{{"messages":[["WARN","{warn}"]]}}}}"#);
    let body1 = b"query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier,__mv_provider,__mv_dyndns_zone,__mv_dyndns_category,__mv_dyndns_tier\nfoo.duckdns.org,False,,,,,,,,\n";
    let body2 = b"query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier,__mv_provider,__mv_dyndns_zone,__mv_dyndns_category,__mv_dyndns_tier\nbar.duckdns.org,False,,,,,,,,\n";
    let mut want = getinfo_reply_chunk(&["field=dest"]);
    want.extend_from_slice(&chunk(r#"{"finished":false}"#, body1));
    want.extend_from_slice(&chunk(&meta2, body2));
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
    let body = b"query,isDynDNS,provider,other,dyndns_zone,dyndns_category,dyndns_tier,\
__mv_provider,__mv_dyndns_zone,__mv_dyndns_category,__mv_dyndns_tier\n\
foo.duckdns.org,True,DuckDNS,\"a,b\",duckdns.org,ddns,core,,,,\n\
www.example.com,False,,y,,,,,,,\n";
    let mut want = info_reply();
    want.extend_from_slice(&chunk(r#"{"finished":true}"#, body));
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&want));
}

/// Success is quiet: splunkd logs every stderr line of a chunked command as
/// an ERROR in search.log, on every indexer, so a session that goes well
/// (or a probe that only asks getinfo) writes nothing there; `debug=true`
/// adds the summary line.
#[test]
fn success_is_quiet_and_debug_prints_the_summary() {
    let (out, err, code) = run(getinfo(&[]));
    assert_eq!((out, err.as_str(), code), (info_reply(), "", 0));
    let session = |args: &[&str]| {
        let mut input = getinfo(args);
        input.extend(execute(false, b"query\nx.duckdns.org\nwww.example.com\n"));
        input.extend(execute(false, b"query\n"));
        input.extend(execute(true, b""));
        run(input)
    };
    let (out, err, code) = session(&[]);
    assert_eq!((err.as_str(), code), ("", 0));
    assert_eq!(split_chunks(&out).len(), 4);
    let (out, err, code) = session(&["debug=true"]);
    assert_eq!(code, 0);
    assert_eq!(split_chunks(&out)[0].0, getinfo_reply(&[]));
    assert_eq!(err, "dynamicdns: 3 execute requests, 2 events, 1 flagged isDynDNS=True\n");
    let (_, err, code) = session(&["debug=false"]);
    assert_eq!((err.as_str(), code), ("", 0));
    let (out, err, code) = run(getinfo(&["debug=t"]));
    assert_eq!((out, code), (info_reply(), 0));
    assert_eq!(err, "dynamicdns: 0 execute requests, 0 events, 0 flagged isDynDNS=True\n");
}

/// allfields=true declares every field; other options keep their meaning.
#[test]
fn allfields_declares_every_field() {
    let mut input = getinfo(&["allfields=true", "field=answer"]);
    input.extend(execute(true, b"query,answer\nx.duckdns.org,y.ddns.net\n"));
    let (out, err, code) = run(input);
    assert_eq!((err.as_str(), code), ("", 0));
    let replies = split_chunks(&out);
    assert_eq!(replies[0].0, br#"{"type":"streaming","required_fields":["*"]}"#);
    assert_eq!(
        String::from_utf8_lossy(&replies[1].1),
        "query,answer,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier,\
         __mv_provider,__mv_dyndns_zone,__mv_dyndns_category,__mv_dyndns_tier\n\
         x.duckdns.org,y.ddns.net,True,No-IP,ddns.net,ddns,core,,,,\n"
    );
}

#[test]
fn scp_takes_no_arguments() {
    let out = process::run(bin().args(["scp", "x"]), b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("scp takes no arguments"));
}

// ---------------------------------------------------------------------------
// The rest of the bad-input matrix.

const BAD_HEADER_TAIL: &str = r#" (expected "chunked 1.0,<metadata length>,<body length>")"#;

#[test]
fn header_matrix() {
    // (input, the header as the message shows it)
    let cases: &[(&[u8], &str)] = &[
        (b"chunked 1.0,-1,0\n", r#""chunked 1.0,-1,0\n""#),
        (b"chunked 1.0,+1,0\n", r#""chunked 1.0,+1,0\n""#),
        (b"chunked 1.0,1,-0\n", r#""chunked 1.0,1,-0\n""#),
        // One past u64::MAX: not a length at all.
        (b"chunked 1.0,18446744073709551616,0\n", r#""chunked 1.0,18446744073709551616,0\n""#),
        (b"chunked 1.0,1e3,0\n", r#""chunked 1.0,1e3,0\n""#),
        (b"chunked 1.0,,0\n", r#""chunked 1.0,,0\n""#),
        (b"chunked 1.0,1\n", r#""chunked 1.0,1\n""#),
        (b"chunked 1.0,1,2,3\n", r#""chunked 1.0,1,2,3\n""#),
        (b"CHUNKED 1.0,0,0\n", r#""CHUNKED 1.0,0,0\n""#),
        (b"chunked 1.0 ,0,0\n", r#""chunked 1.0 ,0,0\n""#),
        (b"chunk\0ed 1.0,2,0\n{}", r#""chunk\x00ed 1.0,2,0\n""#),
        // EOF inside the header line.
        (b"chunked 1.0,2", r#""chunked 1.0,2""#),
        // No newline within 64 bytes: refused without reading on.
        (&[b'9'; 100], r#""9999999999999999999999999999999999999999...""#),
    ];
    for (input, shown) in cases {
        assert_error(
            input.to_vec(),
            b"",
            &format!("chunk 1: malformed transport header {shown}{BAD_HEADER_TAIL}"),
        );
    }
}

#[test]
fn crlf_header_and_leading_zeros_are_accepted() {
    let meta = r#"{"action":"getinfo"}"#;
    let input = format!("chunked 1.0,{},0\r\n{meta}", meta.len()).into_bytes();
    let (out, _, code) = run(input);
    assert_eq!((out, code), (info_reply(), 0));
    let input = format!("chunked 1.0,000{},00\n{meta}", meta.len()).into_bytes();
    let (out, _, code) = run(input);
    assert_eq!((out, code), (info_reply(), 0));
}

#[test]
fn lengths_over_the_caps_are_refused_up_front() {
    assert_error(
        b"chunked 1.0,16777217,0\n{".to_vec(),
        b"",
        "chunk 1: metadata length 16777217 exceeds the limit of 16777216 bytes",
    );
    let mut input = getinfo(&[]);
    input.extend_from_slice(
        b"chunked 1.0,36,1073741825\n{\"action\":\"execute\",\"finished\":true}",
    );
    assert_error(
        input,
        &info_reply(),
        "chunk 2: body length 1073741825 exceeds the limit of 1073741824 bytes",
    );
    let mut input = getinfo(&[]);
    input.extend_from_slice(b"chunked 1.0,0,18446744073709551615\n");
    assert_error(
        input,
        &info_reply(),
        "chunk 2: body length 18446744073709551615 exceeds the limit of 1073741824 bytes",
    );
}

/// Lengths at the caps, announced but not sent, end in a "truncated" error
/// at EOF and are never allocated up front: the command runs with its
/// address space limited to 256 MiB (a 1 GiB allocation would abort it).
#[test]
fn announced_lengths_are_not_allocated() {
    let mut input = getinfo(&[]);
    input.extend_from_slice(
        b"chunked 1.0,36,1073741824\n{\"action\":\"execute\",\"finished\":true}query\n",
    );
    let (out, err, code) = run_with(
        Command::new("sh")
            .args(["-c", "ulimit -v 262144 && exec \"$0\" scp"])
            .arg(crate::util::BIN),
        input,
    );
    let want =
        [&info_reply()[..], &error_reply("chunk 2: input ended after 6 of 1073741824 body bytes")]
            .concat();
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&want), "{err}");
    assert_eq!(code, 1);
    let (out, _, code) = run_with(
        Command::new("sh")
            .args(["-c", "ulimit -v 262144 && exec \"$0\" scp"])
            .arg(crate::util::BIN),
        b"chunked 1.0,16777216,0\n{\"action\"".to_vec(),
    );
    assert_eq!(out, error_reply("chunk 1: input ended after 9 of 16777216 metadata bytes"));
    assert_eq!(code, 1);
}

#[test]
fn stdin_closed_early() {
    // Inside the metadata of the first chunk.
    assert_error(
        b"chunked 1.0,40,0\n{\"action\":\"get".to_vec(),
        b"",
        "chunk 1: input ended after 14 of 40 metadata bytes",
    );
    // Right after a header line.
    let mut input = getinfo(&[]);
    input.extend_from_slice(b"chunked 1.0,36,5\n");
    assert_error(input, &info_reply(), "chunk 2: input ended after 0 of 36 metadata bytes");
    // Inside a header line, after the getinfo.
    let mut input = getinfo(&[]);
    input.extend_from_slice(b"chunked 1.");
    assert_error(
        input,
        &info_reply(),
        &format!("chunk 2: malformed transport header \"chunked 1.\"{BAD_HEADER_TAIL}"),
    );
}

#[test]
fn metadata_matrix() {
    let cases: &[(&str, &str)] = &[
        ("null", "chunk 1: metadata is not a JSON object"),
        (r#""getinfo""#, "chunk 1: metadata is not a JSON object"),
        ("42", "chunk 1: metadata is not a JSON object"),
        ("", "chunk 1: metadata is not valid JSON: EOF while parsing a value at line 1 column 0"),
        (
            "{\"action\":\"getinfo\"} x",
            "chunk 1: metadata is not valid JSON: trailing characters at line 1 column 22",
        ),
        (
            "{\"action\":\"get\0info\"}",
            "chunk 1: metadata is not valid JSON: control character (\\u0000-\\u001F) found while parsing a string at line 1 column 15",
        ),
        (r#"{"action":1}"#, "chunk 1: 'action' must be a string, got 1"),
        (r#"{"action":null}"#, "chunk 1: 'action' must be a string, got null"),
        (r#"{"action":"cancel"}"#, "chunk 1: expected a getinfo request first, got action 'cancel'"),
        (
            r#"{"action":"getinfo","searchinfo":{"args":"field=query"}}"#,
            r#"searchinfo.args is not a list: "field=query""#,
        ),
        (
            r#"{"action":"getinfo","searchinfo":{"args":["field=query",1]}}"#,
            "searchinfo.args holds a non-string: 1",
        ),
    ];
    for (meta, msg) in cases {
        assert_error(chunk(meta, b""), b"", msg);
    }
    // Invalid UTF-8 in the metadata.
    let mut input = b"chunked 1.0,21,0\n{\"action\":\"get\xffinfo\"}".to_vec();
    input.truncate(17 + 21);
    assert_error(
        input,
        b"",
        "chunk 1: metadata is not valid JSON: invalid unicode code point at line 1 column 15",
    );
}

#[test]
fn more_option_errors() {
    let usage = USAGE;
    let cases: &[(&[&str], &str)] = &[
        (&["mode=text", "mode=host"], "mode= is given twice"),
        (&["tier=gold"], "'tier=gold': tier must be 'all' or 'core'"),
        (&["tier=core", "tier=core"], "tier= is given twice"),
        (&["field=a,,b"], "'field=a,,b': empty field name; give field=<field>[,<field>...]"),
        (&["mode="], "'mode=': mode must be 'host' or 'text'"),
        (&["=query"], "unknown option '' in '=query'; known options: field, mode, tier, allfields, debug, rename"),
        (&["allfields=maybe"], "'allfields=maybe': allfields must be true or false"),
        (&["allfields="], "'allfields=': allfields must be true or false"),
        (&["allfields=true", "allfields=false"], "allfields= is given twice"),
        (&["allfields=1", "AllFields=1"], "allfields= is given twice"),
        (&["debug=2"], "'debug=2': debug must be true or false"),
        (&["debug=on"], "'debug=on': debug must be true or false"),
        (&["debug=true", "debug=true"], "debug= is given twice"),
        (&["allfields"], "unexpected argument 'allfields' (to name several fields, join them with commas: field=query,answer)"),
        (&["all_fields=true"], "unknown option 'all_fields' in 'all_fields=true'; known options: field, mode, tier, allfields, debug, rename"),
    ];
    for (args, msg) in cases {
        assert_error(getinfo(args), b"", &format!("{msg}. {usage}"));
    }
}

#[test]
fn ragged_rows_with_more_fields() {
    let mut input = getinfo(&[]);
    input.extend_from_slice(&execute(true, b"query,answer\nfoo.duckdns.org,x,extra\n"));
    assert_error(
        input,
        &info_reply(),
        "execute request in chunk 2: body line 2, record 1: record has 3 fields but the header has 2",
    );
}

/// Values that are not hosts (NUL bytes, 100,000-byte labels, 10,000
/// labels, a 254-byte name) pass through unchanged and unflagged.
#[test]
fn hostile_values_pass_through() {
    let long_label = format!("{}.duckdns.org", "a".repeat(100_000));
    let many_labels = format!("{}duckdns.org", "a.".repeat(10_000));
    let name_254 = format!("b{}duckdns.org", "a.".repeat(121));
    let mut body = b"query,other\n".to_vec();
    let values: [&[u8]; 5] = [
        b"foo.duck\0dns.org",
        long_label.as_bytes(),
        many_labels.as_bytes(),
        name_254.as_bytes(),
        b"\0\0\0",
    ];
    for v in values {
        body.extend_from_slice(v);
        body.extend_from_slice(b",\0x\xff\n");
    }
    body.extend_from_slice(b"x.duckdns.org,\0\n");
    let mut input = getinfo(&[]);
    input.extend_from_slice(&execute(true, &body));
    let (out, err, code) = run(input);
    assert_eq!(code, 0, "{err}");
    let mut want_body =
        b"query,other,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier,__mv_provider,__mv_dyndns_zone,__mv_dyndns_category,__mv_dyndns_tier\n".to_vec();
    for v in values {
        want_body.extend_from_slice(v);
        want_body.extend_from_slice(b",\0x\xff,False,,,,,,,,\n");
    }
    want_body.extend_from_slice(b"x.duckdns.org,\0,True,DuckDNS,duckdns.org,ddns,core,,,,\n");
    let want = [&info_reply()[..], &chunk(r#"{"finished":true}"#, &want_body)].concat();
    assert!(out == want, "reply differs (lengths {} and {})", out.len(), want.len());
}

/// splunkd closing the command's stdout (search cancelled) ends it quietly:
/// exit 0, no panic, no error reply attempted, whatever it was doing.
#[test]
fn stdout_closed_early_exits_quietly() {
    for args in [&["scp"][..], &["enrich", "-"][..], &["check"][..]] {
        let mut input = Vec::new();
        if args[0] == "check" {
            for i in 0..200_000 {
                input.extend_from_slice(format!("h{i}.duckdns.org\n").as_bytes());
            }
        } else if args[0] == "scp" {
            input.extend_from_slice(&getinfo(&[]));
            let body = "query\n".to_string() + &"x.duckdns.org\n".repeat(20_000);
            for _ in 0..50 {
                input.extend_from_slice(&execute(false, body.as_bytes()));
            }
        } else {
            input.extend_from_slice(b"query\n");
            input.extend_from_slice("x.duckdns.org\n".repeat(1_000_000).as_bytes());
        }
        let mut child = process::spawn(bin().args(args));
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let mut first = [0u8; 16];
        child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
        drop(child.stdout.take());
        let o = process::finish(child);
        writer.join().unwrap();
        let (status, err) = (o.status.code().unwrap_or(-1), process::stderr(&o));
        assert_eq!(status, 0, "{args:?}: {err}");
        assert!(err.is_empty() || args[0] == "scp", "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

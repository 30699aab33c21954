//! A splunkd-faithful, lock-step test driver for `dynamicdns scp`, shared by
//! the integration tests (`scp_driver.rs`, `recordings.rs`).
//!
//! What splunkd does, the driver does (protocol.md §1, §2, §8, §14): it
//! writes one request chunk, reads exactly one reply chunk, and only then
//! writes the next; after the last request it closes the command's stdin and
//! expects stdout to end with no further bytes and the process to exit.
//! Every read has a time-out (a reader thread feeds a channel), so a command
//! that hangs fails the test instead of blocking it; writes happen on a
//! writer thread for the same reason.
//!
//! Replies are read strictly: the header must be exactly
//! `chunked 1.0,<digits>,<digits>\n`, the lengths are byte counts, and the
//! metadata must be a JSON object.
//!
//! Also here: chunk and getinfo builders, a splunkd-style CSV writer, a CSV
//! reader built on the `csv` crate (the oracle for the command's CSV), a
//! naive zone matcher over `lookups/dynamic_dns_providers.csv` (read at run
//! time) and [`check_execute_reply`], which checks one execute reply against
//! its request.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

/// How long the driver waits for a reply, for stdout to end, or for exit.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The getinfo reply `dynamicdns` sends.
pub const GETINFO_REPLY: &[u8] = br#"{"type":"streaming"}"#;

/// The columns the command appends, in order.
pub const ADDED: [&str; 5] =
    ["isDynDNS", "provider", "dyndns_zone", "__mv_provider", "__mv_dyndns_zone"];

// ---------------------------------------------------------------------------
// Chunks

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
pub fn chunk(metadata: &[u8], body: &[u8]) -> Vec<u8> {
    let mut v = format!("chunked 1.0,{},{}\n", metadata.len(), body.len()).into_bytes();
    v.extend_from_slice(metadata);
    v.extend_from_slice(body);
    v
}

/// A chunk whose metadata is `metadata` serialised compactly, as splunkd
/// writes it.
pub fn chunk_json(metadata: &Value, body: &[u8]) -> Vec<u8> {
    chunk(&serde_json::to_vec(metadata).unwrap(), body)
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

/// Realistic getinfo metadata for `| dynamicdns <args>` (protocol.md §3):
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
fn parse_header(line: &[u8]) -> Option<(u64, u64)> {
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

// ---------------------------------------------------------------------------
// The driver

enum Event {
    Chunk(Reply),
    Eof,
    Bad(String),
}

/// How a session ended.
#[derive(Debug)]
pub struct Finished {
    /// The exit status.
    pub status: ExitStatus,
    /// Everything written to stderr (lossily decoded).
    pub stderr: String,
}

/// A running `dynamicdns scp` process driven in lock-step.
pub struct Driver {
    child: Child,
    to_writer: Option<Sender<Vec<u8>>>,
    writer: Option<JoinHandle<()>>,
    write_error: Arc<Mutex<Option<String>>>,
    replies: Receiver<Event>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_thread: Option<JoinHandle<()>>,
    timeout: Duration,
    requests: usize,
    exited: bool,
}

impl Driver {
    /// Starts `dynamicdns scp`.
    pub fn spawn() -> Driver {
        Driver::spawn_with_timeout(TIMEOUT)
    }

    /// Starts `dynamicdns scp` with a given time-out for each wait.
    pub fn spawn_with_timeout(timeout: Duration) -> Driver {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dynamicdns"));
        cmd.arg("scp");
        Driver::spawn_command(cmd, timeout)
    }

    /// Drives another program (used to test the driver itself).
    pub fn spawn_command(mut cmd: Command, timeout: Duration) -> Driver {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the command");
        let mut stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr_pipe = child.stderr.take().unwrap();

        let (to_writer, from_driver) = mpsc::channel::<Vec<u8>>();
        let write_error = Arc::new(Mutex::new(None));
        let werr = Arc::clone(&write_error);
        let writer = std::thread::spawn(move || {
            for bytes in from_driver {
                let failed = werr.lock().unwrap().is_some();
                if failed {
                    continue;
                }
                if let Err(e) = stdin.write_all(&bytes).and_then(|()| stdin.flush()) {
                    *werr.lock().unwrap() = Some(e.to_string());
                }
            }
            // The channel is closed: dropping `stdin` closes the pipe (EOF).
        });

        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || read_replies(stdout, tx));

        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        let stderr_thread = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match stderr_pipe.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => sink.lock().unwrap().extend_from_slice(&buf[..n]),
                }
            }
        });

        Driver {
            child,
            to_writer: Some(to_writer),
            writer: Some(writer),
            write_error,
            replies,
            stderr,
            stderr_thread: Some(stderr_thread),
            timeout,
            requests: 0,
            exited: false,
        }
    }

    /// What the command wrote to stderr so far.
    pub fn stderr_now(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    fn context(&self) -> String {
        let werr = self.write_error.lock().unwrap().clone();
        format!(
            "(after {} request(s); write error: {}; stderr so far: {:?})",
            self.requests,
            werr.as_deref().unwrap_or("none"),
            self.stderr_now()
        )
    }

    /// Sends one request chunk and reads exactly one reply chunk; an error
    /// when the command wrote anything before the request, ended without a
    /// reply, wrote a malformed reply, or did not reply in time.
    pub fn try_request(&mut self, request: &[u8]) -> Result<Reply, String> {
        match self.replies.try_recv() {
            Err(TryRecvError::Empty) => {}
            Ok(Event::Chunk(r)) => {
                return Err(format!(
                    "unsolicited chunk on stdout before request {} (metadata {:?}) {}",
                    self.requests + 1,
                    String::from_utf8_lossy(&r.metadata_raw),
                    self.context()
                ))
            }
            Ok(Event::Eof) | Err(TryRecvError::Disconnected) => {
                return Err(format!(
                    "stdout ended before request {} {}",
                    self.requests + 1,
                    self.context()
                ))
            }
            Ok(Event::Bad(m)) => return Err(format!("{m} {}", self.context())),
        }
        self.requests += 1;
        self.to_writer.as_ref().expect("stdin already closed").send(request.to_vec()).unwrap();
        match self.replies.recv_timeout(self.timeout) {
            Ok(Event::Chunk(r)) => Ok(r),
            Ok(Event::Eof) | Err(RecvTimeoutError::Disconnected) => Err(format!(
                "stdout ended without a reply to request {} {}",
                self.requests,
                self.context()
            )),
            Ok(Event::Bad(m)) => {
                Err(format!("reply to request {}: {m} {}", self.requests, self.context()))
            }
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "no reply to request {} within {:?} {}",
                self.requests,
                self.timeout,
                self.context()
            )),
        }
    }

    /// [`try_request`](Self::try_request), panicking on error.
    pub fn request(&mut self, request: &[u8]) -> Reply {
        self.try_request(request).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Sends a getinfo for `args` and asserts the reply is exactly
    /// `{"type":"streaming"}` with an empty body.
    pub fn handshake(&mut self, args: &[&str]) -> Reply {
        let reply = self.request(&getinfo(args));
        assert_eq!(
            reply.metadata_raw,
            GETINFO_REPLY,
            "getinfo reply {:?}",
            String::from_utf8_lossy(&reply.metadata_raw)
        );
        assert!(reply.body.is_empty(), "getinfo reply has a body");
        reply
    }

    /// Closes stdin, checks that stdout then ends with nothing more written
    /// and that the process exits, each within the time-out; returns the exit
    /// status and stderr.
    pub fn finish(mut self) -> Finished {
        self.try_finish().unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`finish`](Self::finish), returning what went wrong instead of
    /// panicking.
    pub fn try_finish(&mut self) -> Result<Finished, String> {
        drop(self.to_writer.take());
        if let Some(w) = self.writer.take() {
            // The writer ends as soon as its queue is empty; a child that
            // stopped reading makes the write fail (EPIPE), not hang, once
            // it has exited, so wait with the time-out below instead.
            let deadline = Instant::now() + self.timeout;
            while !w.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            if !w.is_finished() {
                return Err(format!("the command did not read its input {}", self.context()));
            }
            let _ = w.join();
        }
        match self.replies.recv_timeout(self.timeout) {
            Ok(Event::Eof) => {}
            Ok(Event::Chunk(r)) => {
                return Err(format!(
                    "extra chunk on stdout after the last reply (metadata {:?}, {} body bytes) {}",
                    String::from_utf8_lossy(&r.metadata_raw),
                    r.body.len(),
                    self.context()
                ))
            }
            Ok(Event::Bad(m)) => {
                return Err(format!("after the last reply: {m} {}", self.context()))
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err("reader thread vanished".to_string())
            }
            Err(RecvTimeoutError::Timeout) => {
                return Err(format!(
                    "stdout not closed within {:?} of closing stdin {}",
                    self.timeout,
                    self.context()
                ))
            }
        }
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            if let Some(s) = self.child.try_wait().map_err(|e| e.to_string())? {
                break s;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the command did not exit within {:?} of EOF {}",
                    self.timeout,
                    self.context()
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        self.exited = true;
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
        Ok(Finished { status, stderr: self.stderr_now() })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.exited {
            // Only the child this driver started, by its handle.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read_replies(stdout: ChildStdout, tx: Sender<Event>) {
    let mut r = BufReader::with_capacity(1 << 16, stdout);
    loop {
        let ev = match read_reply(&mut r) {
            Ok(Some(reply)) => Event::Chunk(reply),
            Ok(None) => Event::Eof,
            Err(m) => Event::Bad(m),
        };
        let stop = !matches!(ev, Event::Chunk(_));
        if tx.send(ev).is_err() || stop {
            return;
        }
    }
}

/// Reads one reply strictly; `Ok(None)` at EOF before any byte.
fn read_reply(r: &mut impl BufRead) -> Result<Option<Reply>, String> {
    let mut header = Vec::new();
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("reading stdout: {e}")),
        };
        if buf.is_empty() {
            if header.is_empty() {
                return Ok(None);
            }
            return Err(format!(
                "stdout ended inside a header: {:?}",
                header.escape_ascii().to_string()
            ));
        }
        let room = 64 - header.len();
        let take = buf.len().min(room);
        if let Some(i) = buf[..take].iter().position(|&b| b == b'\n') {
            header.extend_from_slice(&buf[..=i]);
            r.consume(i + 1);
            break;
        }
        header.extend_from_slice(&buf[..take]);
        r.consume(take);
        if header.len() >= 64 {
            return Err(format!("malformed reply header {:?}", header.escape_ascii().to_string()));
        }
    }
    let (m, b) = parse_header(&header).ok_or_else(|| {
        format!("malformed reply header {:?}", header.escape_ascii().to_string())
    })?;
    let mut read_n = |n: u64, what: &str| -> Result<Vec<u8>, String> {
        let mut v = Vec::new();
        r.by_ref().take(n).read_to_end(&mut v).map_err(|e| format!("reading stdout: {e}"))?;
        if v.len() as u64 != n {
            return Err(format!("stdout ended after {} of {n} announced {what} bytes", v.len()));
        }
        Ok(v)
    };
    let metadata_raw = read_n(m, "metadata")?;
    let body = read_n(b, "body")?;
    let metadata = match serde_json::from_slice::<Value>(&metadata_raw) {
        Ok(Value::Object(o)) => o,
        Ok(_) => {
            return Err(format!(
                "reply metadata is not a JSON object: {:?}",
                String::from_utf8_lossy(&metadata_raw)
            ))
        }
        Err(e) => {
            return Err(format!(
                "reply metadata is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&metadata_raw)
            ))
        }
    };
    Ok(Some(Reply { metadata_raw, metadata, body }))
}

/// Runs a whole session: each request in lock-step, then EOF. Returns the
/// replies (one per request) and how the process ended.
pub fn run_session(requests: &[Vec<u8>]) -> (Vec<Reply>, Finished) {
    let mut d = Driver::spawn();
    let replies = requests.iter().map(|r| d.request(r)).collect();
    (replies, d.finish())
}

// ---------------------------------------------------------------------------
// Recordings

/// The folder of the vendored splunkd recordings.
pub const RECORDINGS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/recordings/scpv2/Splunk-6.3");

/// A recording's bytes, gunzipped when its name ends in `.gz`.
pub fn recording(name: &str) -> Vec<u8> {
    let path = format!("{RECORDINGS}/{name}");
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if !name.ends_with(".gz") {
        return raw;
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    out
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
    let reply = d.request(&chunk(&with_args(meta, args), b""));
    assert_eq!(reply.metadata_raw, GETINFO_REPLY, "{name}: getinfo reply");
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

// ---------------------------------------------------------------------------
// splunkd-style CSV

/// The values of one cell: none (empty), one, or several (multivalue).
pub type Values = Vec<Vec<u8>>;

/// Appends `v` quoted the way splunkd quotes: empty stays empty, purely
/// `[A-Za-z0-9]` stays bare, anything else is quoted with `""` escapes.
pub fn splunk_quote(v: &[u8], out: &mut Vec<u8>) {
    if v.iter().all(u8::is_ascii_alphanumeric) {
        out.extend_from_slice(v);
        return;
    }
    out.push(b'"');
    for &b in v {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Splunk's multivalue cell: `$a$;$b$`, with `$` doubled inside values.
pub fn encode_mv(values: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.push(b'$');
        for &b in v {
            if b == b'$' {
                out.push(b'$');
            }
            out.push(b);
        }
        out.push(b'$');
    }
    out
}

/// Decodes a multivalue cell; `None` when it is not well-formed.
pub fn decode_mv(cell: &[u8]) -> Option<Values> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        if cell.get(i) != Some(&b'$') {
            return None;
        }
        i += 1;
        let mut v = Vec::new();
        loop {
            match cell.get(i) {
                None => return None,
                Some(b'$') if cell.get(i + 1) == Some(&b'$') => {
                    v.push(b'$');
                    i += 2;
                }
                Some(b'$') => {
                    i += 1;
                    break;
                }
                Some(&b) => {
                    v.push(b);
                    i += 1;
                }
            }
        }
        out.push(v);
        match cell.get(i) {
            None => return Some(out),
            Some(b';') => i += 1,
            Some(_) => return None,
        }
    }
}

/// A splunkd-style body: the header (every field, then one `__mv_<field>`
/// column per field), then one row per record; `eol(i)` gives the line
/// ending after row `i` (0 = the header row).
pub fn splunk_csv_with_eol(
    fields: &[&str],
    rows: &[Vec<Values>],
    eol: impl Fn(usize) -> &'static str,
) -> Vec<u8> {
    let mut out = Vec::new();
    let names: Vec<String> = fields
        .iter()
        .map(|f| f.to_string())
        .chain(fields.iter().map(|f| format!("__mv_{f}")))
        .collect();
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        splunk_quote(n.as_bytes(), &mut out);
    }
    out.extend_from_slice(eol(0).as_bytes());
    for (r, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), fields.len(), "row {r} has the wrong number of cells");
        for (i, values) in row.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if !values.is_empty() {
                splunk_quote(&values.join(&b'\n'), &mut out);
            }
        }
        for values in row {
            out.push(b',');
            if values.len() > 1 {
                splunk_quote(&encode_mv(values), &mut out);
            }
        }
        out.extend_from_slice(eol(r + 1).as_bytes());
    }
    out
}

/// [`splunk_csv_with_eol`] with one line ending throughout.
pub fn splunk_csv(fields: &[&str], rows: &[Vec<Values>], crlf: bool) -> Vec<u8> {
    splunk_csv_with_eol(fields, rows, |_| if crlf { "\r\n" } else { "\n" })
}

/// Where a record lies in a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawSpan {
    /// First byte.
    pub start: usize,
    /// End of the record's content (its line ending excluded).
    pub content_end: usize,
    /// First byte after its line ending.
    pub end: usize,
}

/// A body parsed by the `csv` crate: the header row, the data rows (values
/// unquoted) and each record's raw span (header first).
#[derive(Clone, Debug, Default)]
pub struct Csv {
    /// Column names.
    pub header: Vec<Vec<u8>>,
    /// Data rows (index a row by column: `&row[c]` is the unquoted value).
    pub rows: Vec<csv::ByteRecord>,
    /// Raw spans: `spans[0]` is the header row, `spans[i + 1]` row `i`.
    pub spans: Vec<RawSpan>,
}

impl Csv {
    /// The column named `name`.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name.as_bytes())
    }

    /// The values of column `name`, one per row.
    pub fn column(&self, name: &str) -> Vec<&[u8]> {
        let c = self.col(name).unwrap_or_else(|| panic!("no column {name:?}"));
        self.rows.iter().map(|r| &r[c][..]).collect()
    }
}

/// Parses a body with the `csv` crate (no header handling, rectangular);
/// panics on a CSV error. An empty body gives an empty [`Csv`].
///
/// The `csv` crate skips blank lines, which the command (rightly, for
/// splunkd) reads as records with one empty value; so only bodies of two or
/// more columns — every splunkd body: each field has its `__mv_` twin — are
/// parsed faithfully.
pub fn parse_csv(body: &[u8]) -> Csv {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(false).from_reader(body);
    let mut rec = csv::ByteRecord::new();
    let mut header = Vec::new();
    let mut rows = Vec::new();
    let mut starts = Vec::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {
                // After a CRLF the csv crate reports the record as starting
                // at the LF; that LF ends the previous record.
                let mut start = rec.position().expect("record position").byte() as usize;
                if start > 0 && body[start - 1] == b'\r' && body.get(start) == Some(&b'\n') {
                    start += 1;
                }
                if starts.is_empty() {
                    header = rec.iter().map(|f| f.to_vec()).collect();
                } else {
                    rows.push(rec.clone());
                }
                starts.push(start);
            }
            Ok(false) => break,
            Err(e) => panic!("CSV oracle rejects the body: {e}"),
        }
    }
    let mut spans = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(body.len());
        let raw = &body[start..end];
        let eol = if raw.ends_with(b"\r\n") {
            2
        } else if raw.ends_with(b"\n") || raw.ends_with(b"\r") {
            1
        } else {
            0
        };
        spans.push(RawSpan { start, content_end: end - eol, end });
    }
    Csv { header, rows, spans }
}

// ---------------------------------------------------------------------------
// The naive oracle

/// The shipped zone list, read at run time, matched naively.
pub struct Oracle {
    /// (zone, provider): the shipped list, then the local additions, in
    /// file order.
    pub zones: Vec<(String, String)>,
    /// Allowlist entries (hosts or zones never flagged, with every name
    /// below them); empty unless `lookups/dynamic_dns_allowlist.csv` has
    /// rows.
    pub allow: Vec<String>,
    cache: Mutex<HashMap<String, Option<usize>>>,
}

/// Reads `column`s of a CSV file under `lookups/`; `None` when the file
/// does not exist.
fn read_lookup(name: &str, columns: &[&str]) -> Option<Vec<Vec<String>>> {
    let path = format!("{}/lookups/{name}", env!("CARGO_MANIFEST_DIR"));
    if !std::path::Path::new(&path).exists() {
        return None;
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let headers = rdr.headers().unwrap().clone();
    let cols: Vec<Option<usize>> =
        columns.iter().map(|n| headers.iter().position(|h| h == *n)).collect();
    assert!(cols[0].is_some(), "{path}: no {} column", columns[0]);
    let rows = rdr
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{path}: {e}"));
            cols.iter().map(|c| c.and_then(|c| r.get(c)).unwrap_or("").to_string()).collect()
        })
        .collect();
    Some(rows)
}

impl Oracle {
    /// Loads `lookups/dynamic_dns_providers.csv` (columns `zone`,
    /// `provider`, …), and — as the binary, which finds the app's `lookups/`
    /// folder next to it, also does — the local additions
    /// (`dynamic_dns_providers_local.csv`) and the allowlist
    /// (`dynamic_dns_allowlist.csv`, column `host`) when they have rows.
    pub fn load() -> Oracle {
        let shipped = read_lookup("dynamic_dns_providers.csv", &["zone", "provider"])
            .expect("lookups/dynamic_dns_providers.csv is missing");
        let local = read_lookup("dynamic_dns_providers_local.csv", &["zone", "provider"])
            .unwrap_or_default();
        let zones =
            shipped.into_iter().chain(local).map(|r| (r[0].clone(), r[1].clone())).collect();
        let allow = read_lookup("dynamic_dns_allowlist.csv", &["host"])
            .unwrap_or_default()
            .into_iter()
            .map(|r| r[0].trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        Oracle { zones, allow, cache: Mutex::new(HashMap::new()) }
    }

    /// One oracle per test binary (loading 40,000 zones in a debug build is
    /// not free).
    pub fn shared() -> &'static Oracle {
        static ORACLE: std::sync::OnceLock<Oracle> = std::sync::OnceLock::new();
        ORACLE.get_or_init(Oracle::load)
    }

    /// For a plain lower-case host: the longest zone `z` with `host` ending
    /// in `.z` (so a zone's apex never matches itself), and its provider. A
    /// zone listed twice keeps its last provider. A host on the allowlist,
    /// or below an entry of it, never matches.
    pub fn match_host(&self, host: &str) -> Option<(&str, &str)> {
        let below = |h: &str, z: &str| {
            h.len() > z.len() + 1 && h.ends_with(z) && h.as_bytes()[h.len() - z.len() - 1] == b'.'
        };
        let cached = self.cache.lock().unwrap().get(host).copied();
        let i = cached.unwrap_or_else(|| {
            let mut best: Option<usize> = None;
            if !self.allow.iter().any(|a| host == a || below(host, a)) {
                for (i, (z, _)) in self.zones.iter().enumerate() {
                    let longer = match best {
                        None => true,
                        Some(b) => z.len() >= self.zones[b].0.len(),
                    };
                    if longer && below(host, z) {
                        best = Some(i);
                    }
                }
            }
            self.cache.lock().unwrap().insert(host.to_string(), best);
            best
        });
        i.map(|i| (self.zones[i].0.as_str(), self.zones[i].1.as_str()))
    }

    /// The five appended values for a record, in [`ADDED`] order, for a
    /// record whose named fields hold plain hosts (ASCII case is ignored):
    /// every value of every named field (a non-empty `__mv_` cell is
    /// authoritative, else the plain cell split on LF), zones distinct in
    /// order, providers distinct and non-empty in order; several values are
    /// joined by LF in the plain cell and `$a$;$b$`-encoded in the `__mv_`
    /// cell, which is empty for fewer than two.
    pub fn expected(
        &self,
        fields: &[&str],
        header: &[Vec<u8>],
        row: &csv::ByteRecord,
    ) -> [Vec<u8>; 5] {
        let mut hits: Vec<(String, String)> = Vec::new();
        for f in fields {
            let Some(c) = header.iter().position(|h| h == f.as_bytes()) else { continue };
            let mv = format!("__mv_{f}");
            let mv_cell = header.iter().position(|h| h == mv.as_bytes()).map(|m| &row[m]);
            let values = match mv_cell.filter(|c| !c.is_empty()).and_then(decode_mv) {
                Some(v) => v,
                None => row[c].split(|&b| b == b'\n').map(|v| v.to_vec()).collect(),
            };
            for v in values {
                let host = String::from_utf8_lossy(&v).to_ascii_lowercase();
                if let Some((z, p)) = self.match_host(&host) {
                    if !hits.iter().any(|h| h.0 == z) {
                        hits.push((z.to_string(), p.to_string()));
                    }
                }
            }
        }
        let mut providers: Vec<Vec<u8>> = Vec::new();
        for (_, p) in &hits {
            if !p.is_empty() && !providers.iter().any(|q| q == p.as_bytes()) {
                providers.push(p.as_bytes().to_vec());
            }
        }
        let zones: Vec<Vec<u8>> = hits.iter().map(|h| h.0.as_bytes().to_vec()).collect();
        let mv = |v: &[Vec<u8>]| if v.len() > 1 { encode_mv(v) } else { Vec::new() };
        [
            if hits.is_empty() { b"False".to_vec() } else { b"True".to_vec() },
            providers.join(&b'\n'),
            zones.join(&b'\n'),
            mv(&providers),
            mv(&zones),
        ]
    }
}

// ---------------------------------------------------------------------------
// Checking an execute reply

/// Checks one execute reply against its request:
/// - metadata is `{"finished": <request's finished>}`, optionally with an
///   `inspector` WARN message, allowed only when the request had records and
///   none of `fields` is in its header;
/// - no records in → empty body out;
/// - otherwise the reply parses with the CSV oracle; its header is the
///   input header plus [`ADDED`], raw header bytes kept; the record count is
///   equal; every input field is byte-identical by column name; each output
///   record's raw bytes start with the input record's content followed by a
///   comma and end with the input record's own line ending;
/// - the added columns are consistent (`True`/`False`, `__mv_` cells decode
///   to the LF-joined plain cell), and equal the oracle's values when an
///   oracle is given.
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
    for name in ADDED {
        assert!(input.col(name).is_none(), "{what}: generator error, input has a column {name}");
    }
    let named_present = fields.iter().any(|f| input.col(f).is_some());

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
            !named_present && !input.rows.is_empty(),
            "{what}: WARN although a named field is present or there are no records"
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
    want_header.extend(ADDED.iter().map(|a| a.as_bytes().to_vec()));
    assert_eq!(output.header, want_header, "{what}: output header");
    assert_eq!(output.rows.len(), input.rows.len(), "{what}: record count");

    // Raw bytes: the header and every record keep their input bytes.
    for (k, (i, o)) in input.spans.iter().zip(&output.spans).enumerate() {
        let in_content = &request_body[i.start..i.content_end];
        let out_content = &reply.body[o.start..o.content_end];
        assert!(
            out_content.starts_with(in_content) && out_content.get(in_content.len()) == Some(&b','),
            "{what}: record {k} (0 = header) does not start with its input bytes:\n in: {:?}\nout: {:?}",
            in_content.escape_ascii().to_string(),
            out_content.escape_ascii().to_string()
        );
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
    for (r, (irow, orow)) in input.rows.iter().zip(&output.rows).enumerate() {
        for (c, &oc) in map.iter().enumerate() {
            if irow[c] != orow[oc] {
                panic!(
                    "{what}: record {r}, field {:?} changed:\n in: {:?}\nout: {:?}",
                    String::from_utf8_lossy(&input.header[c]),
                    irow[c].escape_ascii().to_string(),
                    orow[oc].escape_ascii().to_string()
                );
            }
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

/// The appended values agree with each other.
fn check_added_consistent(what: &str, r: usize, got: &[&[u8]]) {
    let [is, provider, zone, mv_provider, mv_zone] = [got[0], got[1], got[2], got[3], got[4]];
    match is {
        b"True" => assert!(!zone.is_empty(), "{what}: record {r}: True without a zone"),
        b"False" => assert!(
            provider.is_empty() && zone.is_empty() && mv_provider.is_empty() && mv_zone.is_empty(),
            "{what}: record {r}: False with values"
        ),
        other => panic!("{what}: record {r}: isDynDNS = {:?}", other.escape_ascii().to_string()),
    }
    for (plain, mv, name) in [(provider, mv_provider, "provider"), (zone, mv_zone, "dyndns_zone")]
    {
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
// A deterministic RNG (no rand crate here)

/// SplitMix64.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// One element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

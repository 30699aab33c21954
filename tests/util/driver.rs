//! A splunkd-faithful, lock-step driver for `dynamicdns scp`.
//!
//! What splunkd does, the driver does: it writes one request chunk, reads
//! exactly one reply chunk, and only then writes the next; after the last
//! request it closes the command's stdin and expects stdout to end with no
//! further bytes and the process to exit. Every read has a time-out (a
//! reader thread feeds a channel), so a command that hangs fails the test
//! instead of blocking it; writes happen on a writer thread for the same
//! reason. Replies are read strictly: the header must be exactly
//! `chunked 1.0,<digits>,<digits>\n`, the lengths are byte counts, and the
//! metadata must be a JSON object.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::scp::{getinfo, getinfo_reply, parse_header, Reply};

/// How long the driver waits for a reply, for stdout to end, or for exit.
///
/// Generous: debug builds, and packaged binaries under qemu or wine, on a
/// loaded 2-core machine.
pub const TIMEOUT: Duration = Duration::from_secs(60);

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
    /// [`getinfo_reply`] (`{"type":"streaming","required_fields":[…]}`)
    /// with an empty body.
    pub fn handshake(&mut self, args: &[&str]) -> Reply {
        let reply = self.request(&getinfo(args));
        assert_eq!(
            String::from_utf8_lossy(&reply.metadata_raw),
            String::from_utf8_lossy(&getinfo_reply(args)),
            "getinfo reply"
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

#[cfg(test)]
mod self_test {
    use super::Driver;
    use crate::util::scp::{execute, getinfo};

    /// The driver itself catches what a broken command would do (DESIGN.md,
    /// "The protocol's contract"): each fake command (a shell script) must be
    /// flagged.
    #[test]
    fn driver_flags_misbehaving_commands() {
        use std::process::Command;
        use std::time::Duration;
        const OK: &str = r#"printf 'chunked 1.0,20,0\n{"type":"streaming"}'"#;
        // Short time-outs only where the fake is meant to hang.
        let fake = |script: String| {
            let hangs = script.contains("sleep");
            let mut cmd = Command::new("sh");
            // Each fake reads the request's header line before answering.
            cmd.arg("-c").arg(format!("IFS= read -r header; {script}"));
            Driver::spawn_command(cmd, Duration::from_millis(if hangs { 600 } else { 10_000 }))
        };
        // (script, error expected from the getinfo request or else from finish)
        let on_request: &[(String, &str)] = &[
            (
                "printf 'dynamicdns v1\\n'; exec cat >/dev/null".to_string(),
                "malformed reply header",
            ),
            (
                r#"printf 'chunked 1.0,20,0\r\n{"type":"streaming"}'; exec cat >/dev/null"#
                    .to_string(),
                "malformed reply header",
            ),
            (
                r#"printf 'chunked 1.0,9,0\n{"a":"\303\251"}'; exec cat >/dev/null"#.to_string(),
                "not JSON",
            ),
            (
                "printf 'chunked 1.0,2,0\\n[]'; exec cat >/dev/null".to_string(),
                "not a JSON object",
            ),
            (
                r#"printf 'chunked 1.0,20,5\n{"type":"streaming"}ab'"#.to_string(),
                "ended after 2 of 5",
            ),
            ("exec sleep 30".to_string(), "no reply to request 1"),
            ("exit 0".to_string(), "stdout ended"),
        ];
        for (script, want) in on_request {
            let mut d = fake(script.clone());
            let err = d.try_request(&getinfo(&[])).expect_err(script);
            assert!(err.contains(want), "{script}: {err}");
        }
        let on_finish: &[(String, &str)] = &[
            (format!("{OK}; {OK}; exec cat >/dev/null"), "extra chunk"),
            (format!("{OK}; cat >/dev/null; printf '\\n'"), "after the last reply"),
            (format!("{OK}; cat >/dev/null; exec sleep 30 >/dev/null"), "did not exit"),
        ];
        for (script, want) in on_finish {
            let mut d = fake(script.clone());
            d.try_request(&getinfo(&[])).unwrap_or_else(|e| panic!("{script}: {e}"));
            let err = d.try_finish().expect_err(script);
            assert!(err.contains(want), "{script}: {err}");
        }
        // A double reply is also caught at the next request.
        let mut d = fake(format!("{OK}; {OK}; exec cat >/dev/null"));
        d.request(&getinfo(&[]));
        std::thread::sleep(Duration::from_millis(200));
        let err = d.try_request(&execute(true, b"")).expect_err("double reply");
        assert!(err.contains("unsolicited chunk"), "{err}");
        // A non-zero exit is reported, not hidden.
        let mut d = fake(format!("{OK}; cat >/dev/null; exit 3"));
        d.request(&getinfo(&[]));
        let fin = d.finish();
        assert_eq!(fin.status.code(), Some(3));
    }
}

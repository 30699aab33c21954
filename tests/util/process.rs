//! Running a process with some stdin and collecting what it did, with a
//! time-out, so a hanging command fails its test instead of blocking it.

use std::io::{Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long a process may run before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A command for the binary under test.
pub fn bin() -> Command {
    Command::new(super::BIN)
}

/// Starts `cmd` with all three streams piped. Retries while another test
/// thread's fork still holds a freshly copied binary open for writing
/// (ETXTBSY), which happens when tests copy the binary into an app tree.
pub fn spawn(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for _ in 0..100 {
        match cmd.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(Duration::from_millis(20))
            }
            r => return r.unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}")),
        }
    }
    panic!("{cmd:?}: the binary stayed busy")
}

/// Runs `cmd` with `stdin` as its input (written on a thread: the command
/// may stop reading early) and returns what it did. Fails the test if it
/// runs past [`TIMEOUT`] or panicked.
pub fn run(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = spawn(cmd);
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = finish(child);
    writer.join().expect("stdin writer");
    out
}

/// Waits for a started process (whatever of its stdout and stderr is still
/// piped is read to the end) and returns what it did; fails the test if it
/// runs past [`TIMEOUT`] or panicked.
pub fn finish(mut child: Child) -> Output {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut v);
            }
            v
        })
    }
    let (out, err) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            // Only the child this test started, by its handle.
            let _ = child.kill();
            let _ = child.wait();
            panic!("the command did not exit within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let output = Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "the command panicked: {stderr}");
    output
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

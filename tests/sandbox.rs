//! What the binary touches (issue #7): an SCP session and an `enrich` run
//! under `strace -f` make no network system calls, start no process, open
//! no file for writing, create, rename or delete nothing, and read only the
//! system's loader files, `/proc/self/maps` (Rust's runtime, for the main
//! thread's stack guard), the app's own lookups and the named input file.
//!
//! Needs `strace`: `scripts/security.sh` installs it from Debian when
//! missing and runs this test. Without it the test prints a note and
//! passes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TRACED: &str = "trace=network,process,openat,open,creat,unlink,unlinkat,rename,renameat,\
renameat2,mkdir,mkdirat,rmdir,truncate,ftruncate,link,linkat,symlink,symlinkat,chmod,fchmodat";

fn strace() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("strace")).find(|p| p.is_file())
}

/// Runs `dynamicdns <args>` under strace with `stdin`; returns the trace.
fn traced(strace: &Path, args: &[&str], stdin: &[u8], name: &str) -> String {
    let log =
        std::env::temp_dir().join(format!("dynamicdns-strace-{}-{name}", std::process::id()));
    let mut child = Command::new(strace)
        .args(["-f", "-qq", "-e", TRACED, "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_dynamicdns"))
        .args(args)
        // Cargo points the loader at target/; splunkd does not.
        .env_remove("LD_LIBRARY_PATH")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert!(!out.stdout.is_empty(), "{args:?}: no output");
    let trace = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    trace
}

/// Checks every traced call; `inputs` are the files it may read besides
/// the system's and the app's lookups.
fn check(trace: &str, inputs: &[&Path]) {
    let lookups = concat!(env!("CARGO_MANIFEST_DIR"), "/lookups/");
    let mut execs = 0;
    let mut opens = 0;
    for line in trace.lines() {
        // "<pid> <call>(<args>) = <result>"
        let call = line.split_once(' ').map_or(line, |(_, c)| c).trim_start();
        let name = call.split('(').next().unwrap_or("");
        match name {
            "execve" => {
                execs += 1;
                assert!(call.contains(env!("CARGO_BIN_EXE_dynamicdns")), "exec: {line}");
            }
            // The process's own exit is traced under `process`.
            "exit" | "exit_group" | "+++" => {}
            "openat" | "open" => {
                opens += 1;
                assert!(
                    !call.contains("O_WRONLY")
                        && !call.contains("O_RDWR")
                        && !call.contains("O_CREAT"),
                    "opened for writing: {line}"
                );
                let path = call.split('"').nth(1).unwrap_or_else(|| panic!("no path: {line}"));
                let allowed = path == "/etc/ld.so.cache"
                    || path.starts_with("/lib/")
                    || path.starts_with("/lib64/")
                    || path.starts_with("/usr/lib/")
                    || path.starts_with("/usr/lib64/")
                    || path == "/proc/self/maps"
                    || path.starts_with(lookups)
                    || inputs.iter().any(|i| Path::new(path) == *i);
                assert!(allowed, "unexpected file read: {line}");
            }
            _ if line.ends_with("+++") || line.contains("--- SIG") => {}
            _ => panic!("unexpected system call: {line}"),
        }
    }
    assert_eq!(execs, 1, "exactly one exec (the binary itself):\n{trace}");
    assert!(opens > 0, "the trace saw no open at all, so it proves nothing:\n{trace}");
}

#[test]
fn no_network_no_writes_only_own_files() {
    let Some(strace) = strace() else {
        eprintln!("note: strace is not installed; run scripts/security.sh, which installs it");
        return;
    };
    let body = b"query,_raw\nfoo.duckdns.org,x\nwww.example.com,\"a,b\"\n";
    let mut session = Vec::new();
    for (meta, body) in [
        (&br#"{"action":"getinfo","searchinfo":{"args":["field=query"]}}"#[..], &b""[..]),
        (br#"{"action":"execute","finished":true}"#, body),
    ] {
        session
            .extend_from_slice(format!("chunked 1.0,{},{}\n", meta.len(), body.len()).as_bytes());
        session.extend_from_slice(meta);
        session.extend_from_slice(body);
    }
    check(&traced(&strace, &["scp"], &session, "scp"), &[]);

    let input = std::env::temp_dir().join(format!("dynamicdns-strace-{}.csv", std::process::id()));
    std::fs::write(&input, body).unwrap();
    let trace = traced(&strace, &["enrich", input.to_str().unwrap()], b"", "enrich");
    let _ = std::fs::remove_file(&input);
    check(&trace, &[&input]);
    // Text mode from stdin with a zone file (a small one: building the
    // automaton over every shipped zone takes seconds in a debug build).
    let zones =
        std::env::temp_dir().join(format!("dynamicdns-strace-{}.zones", std::process::id()));
    std::fs::write(&zones, "zone,provider\nduckdns.org,DuckDNS\n").unwrap();
    let args = ["enrich", "--text", "--field", "_raw", "--zones", zones.to_str().unwrap()];
    let trace = traced(&strace, &args, body, "text");
    let _ = std::fs::remove_file(&zones);
    check(&trace, &[&zones]);
}

//! What the binary touches: an SCP session, a `| dynamicdnsinfo` session
//! (and `info --text`), `enrich` runs and an export under `strace -f` make
//! no network system calls, start no process, open no file for writing,
//! create, rename or delete nothing, and read only the system's loader
//! files, `/proc/self/maps` (Rust's runtime, for the main thread's stack
//! guard), the app's own lookups and the named input file.
//!
//! Needs `strace`: `cargo xtask ci --only debian` installs it from Debian
//! when missing. Without it the test prints a note and
//! passes.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::process;
use crate::util::scp::chunk;

const TRACED: &str = "trace=network,process,openat,open,creat,unlink,unlinkat,rename,renameat,\
renameat2,mkdir,mkdirat,rmdir,truncate,ftruncate,link,linkat,symlink,symlinkat,chmod,fchmodat";

fn strace() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("strace")).find(|p| p.is_file())
}

/// Runs `dynamicdns <args>` under strace with `stdin`; returns the trace.
fn traced(strace: &Path, args: &[&str], stdin: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("strace.log");
    let out = process::run(
        Command::new(strace)
            .args(["-f", "-qq", "-e", TRACED, "-o"])
            .arg(&log)
            .arg(crate::util::BIN)
            .args(args)
            // Cargo points the loader at target/; splunkd does not.
            .env_remove("LD_LIBRARY_PATH"),
        stdin,
    );
    assert!(out.status.success(), "{args:?}: {}", process::stderr(&out));
    assert!(!out.stdout.is_empty(), "{args:?}: no output");
    std::fs::read_to_string(&log).unwrap()
}

/// Checks every traced call; `inputs` are the files it may read besides
/// the system's and the app's lookups.
fn check(trace: &str, inputs: &[&Path]) {
    let lookups = format!("{}/lookups/", crate::util::root().display());
    let mut execs = 0;
    let mut opens = 0;
    for line in trace.lines() {
        // "<pid> <call>(<args>) = <result>"
        let call = line.split_once(' ').map_or(line, |(_, c)| c).trim_start();
        let name = call.split('(').next().unwrap_or("");
        match name {
            "execve" => {
                execs += 1;
                assert!(call.contains(crate::util::BIN), "exec: {line}");
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
                    || path.starts_with(&lookups)
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
        eprintln!("note: strace is not installed; `cargo xtask ci --only debian` installs it");
        return;
    };
    let body = b"query,_raw\nfoo.duckdns.org,x\nwww.example.com,\"a,b\"\n";
    let mut session = chunk(r#"{"action":"getinfo","searchinfo":{"args":["field=query"]}}"#, b"");
    session.extend(chunk(r#"{"action":"execute","finished":true}"#, body));
    check(&traced(&strace, &["scp"], &session), &[]);
    // The health command reads the same files, no more.
    let mut session = chunk(r#"{"action":"getinfo","searchinfo":{"args":[]}}"#, b"");
    session.extend(chunk(r#"{"action":"execute","finished":true}"#, b""));
    check(&traced(&strace, &["info"], &session), &[]);
    check(&traced(&strace, &["info", "--text"], b""), &[]);

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.csv");
    std::fs::write(&input, body).unwrap();
    let trace = traced(&strace, &["enrich", input.to_str().unwrap()], b"");
    check(&trace, &[&input]);
    // Text mode from stdin with a zone file: that file is all it reads.
    let zones = dir.path().join("zones.csv");
    std::fs::write(&zones, "zone,provider\nduckdns.org,DuckDNS\n").unwrap();
    let args = ["enrich", "--text", "--field", "_raw", "--zones", zones.to_str().unwrap()];
    let trace = traced(&strace, &args, body);
    check(&trace, &[&zones]);
    // The line formats, and an export of a multi-part format: stdout only.
    let json = dir.path().join("input.json");
    std::fs::write(&json, b"{\"query\":\"foo.duckdns.org\"}\n").unwrap();
    let trace = traced(&strace, &["enrich", "--format", "jsonl", json.to_str().unwrap()], b"");
    check(&trace, &[&json]);
    let args = ["zones", "export", "--format", "suricata", "--tier", "all", "--part", "zones"];
    check(&traced(&strace, &args, b""), &[]);
}

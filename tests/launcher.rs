//! The launcher `bin/dynamicdns.sh`: it works from an app path
//! with spaces, quotes, `$` and backslashes in it, passes every argument
//! through as one word, unevaluated, and without a binary still answers
//! with a well-formed protocol error whatever the path.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::process;

/// A scratch app under a hostile path; removed when dropped.
struct App {
    top: tempfile::TempDir,
    bin: PathBuf,
}

fn app(with_binary: bool) -> App {
    let top = tempfile::Builder::new().prefix("dynamicdns-launcher-").tempdir().unwrap();
    let bin = top.path().join("etc/apps/my app $(touch pwned) 'q\" \\x/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let launcher = bin.join("dynamicdns.sh");
    std::fs::copy(crate::util::root().join("bin/dynamicdns.sh"), &launcher).unwrap();
    if with_binary {
        let arch = match std::env::consts::ARCH {
            "aarch64" => "aarch64",
            _ => "x86_64",
        };
        std::fs::create_dir_all(bin.join(arch)).unwrap();
        std::fs::copy(crate::util::BIN, bin.join(arch).join("dynamicdns")).unwrap();
    }
    App { top, bin }
}

/// Runs the launcher as splunkd does (`/bin/sh <path> args`, from another
/// working directory), with `stdin`.
fn run(launcher: &Path, args: &[&str], stdin: &[u8], cwd: &Path) -> Output {
    process::run(Command::new("sh").arg(launcher).args(args).current_dir(cwd), stdin)
}

#[test]
fn paths_with_spaces_and_hostile_arguments() {
    let app = app(true);
    let launcher = app.bin.join("dynamicdns.sh");
    let args =
        ["check", "x.duckdns.org; touch pwned", "$(touch pwned)", "`touch pwned`", "a b", "-", ""];
    let out = run(&launcher, &args, b"", app.top.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "value,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
         x.duckdns.org; touch pwned,False,,,,\n\
         $(touch pwned),False,,,,\n\
         `touch pwned`,False,,,,\n\
         a b,False,,,,\n\
         -,False,,,,\n\
         ,False,,,,\n"
    );
    // Nothing was evaluated: no `pwned` anywhere under the app or here.
    let mut stack = vec![app.top.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            assert_ne!(e.file_name(), "pwned", "an argument or the path was evaluated");
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
    // SCP mode through the launcher, from a relative path with spaces.
    let meta = br#"{"action":"getinfo","searchinfo":{"args":[]}}"#;
    let mut input = format!("chunked 1.0,{},0\n", meta.len()).into_bytes();
    input.extend_from_slice(meta);
    let rel = launcher.strip_prefix(app.top.path()).unwrap();
    let out = run(rel, &["scp"], &input, app.top.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, crate::util::scp::getinfo_reply_chunk(&[]));
}

#[test]
fn no_binary_gives_a_valid_protocol_error_whatever_the_path() {
    let app = app(false);
    let launcher = app.bin.join("dynamicdns.sh");
    let meta = br#"{"action":"getinfo","searchinfo":{"args":[]}}"#;
    let mut input = format!("chunked 1.0,{},0\r\n", meta.len()).into_bytes();
    input.extend_from_slice(meta);
    let out = run(&launcher, &["scp"], &input, app.top.path());
    assert_eq!(out.status.code(), Some(1));
    let text = out.stdout;
    let nl = text.iter().position(|&b| b == b'\n').unwrap();
    let header = std::str::from_utf8(&text[..nl]).unwrap();
    let lens: Vec<usize> = header
        .strip_prefix("chunked 1.0,")
        .unwrap()
        .split(',')
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(text.len(), nl + 1 + lens[0] + lens[1], "lengths count bytes");
    let v: serde_json::Value = serde_json::from_slice(&text[nl + 1..nl + 1 + lens[0]])
        .unwrap_or_else(|e| {
            panic!("error reply is not JSON ({e}): {:?}", String::from_utf8_lossy(&text))
        });
    let msg = v["error"].as_str().unwrap();
    assert!(msg.starts_with("dynamicdns: no binary for this platform"), "{msg}");
    assert!(msg.contains("my app $(touch pwned) 'q"), "{msg}");
    assert_eq!(v["inspector"]["messages"][0][1], msg);
    assert_eq!(v["finished"], true);
    // Other modes: the message on stderr, exit 1, nothing on stdout.
    let out = run(&launcher, &["lookup", "query"], b"query\n", app.top.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no binary for this platform"));
}

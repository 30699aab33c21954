//! The launcher `bin/dynamicdns.py` (run by Splunk's Python): it works from
//! an app path with spaces, quotes, `$` and backslashes in it, passes every
//! argument through as one word, unevaluated, and without a binary still
//! answers with a well-formed protocol error whatever the path. Its Windows
//! argument quoting follows the C runtime's rules.

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
    let launcher = bin.join("dynamicdns.py");
    std::fs::copy(crate::util::root().join("bin/dynamicdns.py"), &launcher).unwrap();
    if with_binary {
        let platform = format!("linux_{}", std::env::consts::ARCH);
        std::fs::create_dir_all(bin.join(&platform)).unwrap();
        std::fs::copy(crate::util::BIN, bin.join(&platform).join("dynamicdns")).unwrap();
    }
    App { top, bin }
}

/// Runs the launcher as splunkd does (`python3 <path> args`, from another
/// working directory), with `stdin`.
fn run(launcher: &Path, args: &[&str], stdin: &[u8], cwd: &Path) -> Output {
    process::run(Command::new("python3").arg(launcher).args(args).current_dir(cwd), stdin)
}

#[test]
fn paths_with_spaces_and_hostile_arguments() {
    let app = app(true);
    let launcher = app.bin.join("dynamicdns.py");
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
    let launcher = app.bin.join("dynamicdns.py");
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

#[test]
fn windows_arguments_are_quoted_as_the_c_runtime_splits_them() {
    // Pairs from Microsoft's "Parsing C command-line arguments" table, read
    // backwards: the argument, and how it must appear on the command line.
    let cases = [
        ("scp", "scp"),
        ("", "\"\""),
        ("a b", "\"a b\""),
        (r#"a"b"#, r#""a\"b""#),
        (r"a\b", r"a\b"),
        (r"C:\Program Files\Splunk\", r#""C:\Program Files\Splunk\\""#),
        (r#"a\"b c"#, r#""a\\\"b c""#),
    ];
    let script = format!(
        "import importlib.util, json, sys\n\
         spec = importlib.util.spec_from_file_location('launcher', {path:?})\n\
         m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n\
         print(json.dumps([m.windows_arg(a) for a in json.load(sys.stdin)]))",
        path = crate::util::root().join("bin/dynamicdns.py").display().to_string()
    );
    let args: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let out = process::run(
        Command::new("python3").args(["-c", &script]),
        serde_json::to_string(&args).unwrap().as_bytes(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    let want: Vec<&str> = cases.iter().map(|c| c.1).collect();
    assert_eq!(got, want);
}

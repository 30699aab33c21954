//! The packaged Windows binary, `bin/windows_x86_64/dynamicdns.exe`: an
//! x86-64 console program that, run under wine64 from the installed app,
//! answers splunkd's SCP sessions (every reply checked against the oracle,
//! in both field modes), the external lookup, `info` and `--version`
//! exactly as the Linux binary does.
//!
//! wine 8 (Debian 12) lacks `bcryptprimitives.dll!ProcessPrng`, which Rust's
//! std imports and every supported Windows has; the test puts a test-only
//! stand-in, built here with MinGW-w64 GCC over `SystemFunction036`
//! (RtlGenRandom), beside the copy it runs. The package never ships it.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::home::SplunkHome;
use super::package;
use super::session::{check_dns_verdicts, parse_csv, scp_session, tune_lookups, DNS_ROWS};
use crate::util::manifest::{LINUX_X86_64, WINDOWS_X86_64};
use crate::util::oracle::Oracle;
use crate::util::scp::{check_execute_reply, ChunkedIdx, FieldMode, Splunkd};

pub(super) fn require_windows() -> bool {
    std::env::var("DYNAMICDNS_REQUIRE_WINDOWS").is_ok_and(|v| v == "1")
}

/// Skips (with a note) or, under `DYNAMICDNS_REQUIRE_WINDOWS=1`, fails.
fn unavailable(what: &str) {
    assert!(!require_windows(), "{what} (DYNAMICDNS_REQUIRE_WINDOWS=1)");
    eprintln!("note: {what}; not running the Windows binary");
}

/// One wine session at a time: the two tests share the prefix and its
/// wineserver, and under load a second wine starting beside the first once
/// faulted in wine's own start-up.
static WINE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The wine runner the project's scripts set up (`ensure_wine64`), if any.
fn wine() -> Option<PathBuf> {
    let tools = std::env::var_os("DYNAMICDNS_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::util::root().join("target/tools"));
    let run = tools.join("wine/run");
    run.is_file().then_some(run)
}

/// The stand-in for `ProcessPrng` (see the module comment).
const PROCESS_PRNG_C: &str = r#"#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG n = length > 0x40000000u ? 0x40000000u : (ULONG)length;
        if (!SystemFunction036(data, n)) return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
"#;

/// Builds `bcryptprimitives.dll` into `dir`; false if no MinGW-w64 GCC.
fn build_process_prng_dll(dir: &Path) -> bool {
    let src = dir.join("processprng.c");
    std::fs::write(&src, PROCESS_PRNG_C).unwrap();
    let out = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-shared", "-O2", "-s", "-o"])
        .arg(dir.join("bcryptprimitives.dll"))
        .arg(&src)
        .arg("-ladvapi32")
        .output();
    std::fs::remove_file(&src).unwrap();
    match out {
        Ok(out) => {
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            true
        }
        Err(_) => false,
    }
}

/// The installed app with the Windows binary runnable under wine:
/// `(home, [wine, exe])`, or `None` after a note.
fn installed(test: &str) -> Option<(SplunkHome, Vec<String>)> {
    let tgz = package()?;
    let home = SplunkHome::install(&tgz, test);
    let exe = home.app().join(WINDOWS_X86_64.path());
    if !exe.is_file() {
        unavailable(&format!("the package has no {}", WINDOWS_X86_64.path()));
        return None;
    }
    check_pe(&std::fs::read(&exe).unwrap());
    let Some(wine) = wine() else {
        unavailable("no wine64 runner (cargo xtask package sets one up)");
        return None;
    };
    if !build_process_prng_dll(exe.parent().unwrap()) {
        unavailable("no x86_64-w64-mingw32-gcc for the test's ProcessPrng DLL");
        return None;
    }
    Some((home, vec![wine.display().to_string(), exe.display().to_string()]))
}

/// A PE32+ x86-64 console program.
fn check_pe(pe: &[u8]) {
    assert_eq!(&pe[..2], b"MZ");
    let at = u32::from_le_bytes(pe[0x3c..0x40].try_into().unwrap()) as usize;
    assert_eq!(&pe[at..at + 4], b"PE\0\0");
    assert_eq!(u16::from_le_bytes([pe[at + 4], pe[at + 5]]), 0x8664, "machine AMD64");
    let opt = at + 24;
    assert_eq!(u16::from_le_bytes([pe[opt], pe[opt + 1]]), 0x20b, "PE32+");
    assert_eq!(u16::from_le_bytes([pe[opt + 68], pe[opt + 69]]), 3, "console subsystem");
}

/// splunkd-style DNS rows over the shipped zones: names below a zone, a
/// zone's apex, CNAME chains as multivalue answers, names of no zone.
fn dns_body(oracle: &Oracle, first: usize, n: usize) -> Vec<u8> {
    let mut body = b"_time,src,query,answer,__mv_answer\r\n".to_vec();
    for i in first..first + n {
        let zone = &oracle.zones[(i * 7919) % oracle.zones.len()].zone;
        let (query, answer) = match i % 4 {
            0 => (format!("h{i}.{zone}"), "203.0.113.7".to_string()),
            1 => (zone.clone(), "198.51.100.1".to_string()),
            2 => (format!("www{i}.example.com"), format!("\"edge.example.net\nx{i}.{zone}\"")),
            _ => (format!("host-{i}.corp.example"), "10.0.0.1".to_string()),
        };
        let mv =
            if i % 4 == 2 { format!("$edge.example.net$;$x{i}.{zone}$") } else { String::new() };
        body.extend_from_slice(
            format!("{i},10.1.{}.{},{query},{answer},{mv}\r\n", i % 250, i % 200).as_bytes(),
        );
    }
    body
}

#[test]
fn the_windows_binary_answers_scp_sessions_under_wine() {
    let _wine = WINE.lock().unwrap_or_else(|e| e.into_inner());
    let Some((home, wine_exe)) = installed("windows-scp") else { return };
    let oracle = Oracle::shared();
    let argv: Vec<String> = wine_exe.iter().cloned().chain(["scp".to_string()]).collect();
    // 3,000 records, an empty body, more records, in both of splunkd's
    // field modes, every reply checked (no local files: the oracle is the
    // shipped list).
    let bodies = [dns_body(oracle, 0, 1500), Vec::new(), dns_body(oracle, 1500, 1500)];
    for mode in [FieldMode::All, FieldMode::Selected] {
        let args = ["field=query,answer"];
        let mut s = Splunkd::start_driver(home.driver(&argv), mode, ChunkedIdx::PerRequest, &args);
        for (i, body) in bodies.iter().enumerate() {
            let finished = i + 1 == bodies.len();
            let what = format!("windows, {mode:?}, request {}", i + 1);
            let sent = s.execute(&what, finished, body);
            check_execute_reply(
                &what,
                &sent.body,
                finished,
                &sent.reply,
                &["query", "answer"],
                Some(oracle),
            );
        }
        let fin = s.finish();
        assert!(fin.status.success(), "exit {}; stderr: {}", fin.status, fin.stderr);
        assert!(fin.stderr.is_empty(), "{}", fin.stderr);
    }
    // The app's local files are found from the .exe's own location.
    tune_lookups(&home);
    let replies = scp_session(&home, &argv, &["field=query,answer"], &[DNS_ROWS]);
    check_dns_verdicts(&replies[0]);
}

#[test]
fn the_windows_binary_runs_the_lookup_info_and_version_under_wine() {
    let _wine = WINE.lock().unwrap_or_else(|e| e.into_inner());
    let Some((home, wine_exe)) = installed("windows-cli") else { return };
    tune_lookups(&home);
    let run = |args: &[&str], stdin: &[u8]| {
        let argv: Vec<String> =
            wine_exe.iter().cloned().chain(args.iter().map(|a| a.to_string())).collect();
        crate::util::process::run(&mut home.command(&argv), stdin)
    };
    // The external lookup: CSV in, the same CSV with the verdicts out,
    // bytes unchanged (LF stays LF: no text-mode translation).
    let out = run(
        &["lookup", "query"],
        b"query,isDynDNS,provider\na.corp-dyn.example,,\nok.duckdns.org,,\nx.duckdns.org,,\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = parse_csv(&out.stdout);
    let got: Vec<(&str, &str)> =
        rows.iter().map(|r| (r["query"].as_str(), r["isDynDNS"].as_str())).collect();
    assert_eq!(
        got,
        [("a.corp-dyn.example", "True"), ("ok.duckdns.org", "False"), ("x.duckdns.org", "True")]
    );
    assert!(!out.stdout.contains(&b'\r'), "no CR added on Windows");

    let out = run(&["info", "--text"], b"");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\narch: x86_64\n") && text.contains("\nstatus: ok\n"), "{text}");
    assert!(text.contains("dynamicdns_local_zones.csv"), "the local files are found: {text}");

    // The same version and build as the Linux binary of the package.
    let linux = home.app().join(LINUX_X86_64.path());
    let want = Command::new(&linux).arg("--version").output().unwrap();
    let out = run(&["--version"], b"");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&want.stdout));
}

//! The command-line program installed on its own (`cargo install --path .`
//! puts it in `~/.cargo/bin/`): outside an app folder, `zones stats` counts
//! the compiled zone list, `info --text` reports it and says that no app
//! folder was found, and `check` gives the shipped verdicts.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The binary copied into `<tmp>/.cargo/bin/`, as `cargo install` leaves
/// it: no `lookups/` folder anywhere above it.
struct Installed {
    _top: tempfile::TempDir,
    bin: PathBuf,
}

fn installed() -> Installed {
    let top = tempfile::Builder::new().prefix("dynamicdns-cli-").tempdir().unwrap();
    let dir = top.path().join(".cargo/bin");
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("dynamicdns");
    std::fs::copy(crate::util::BIN, &bin).unwrap();
    let mut up = top.path().to_path_buf();
    while up.pop() {
        assert!(!up.join("lookups").is_dir(), "{} has a lookups/ folder", up.display());
    }
    Installed { _top: top, bin }
}

fn run(bin: &PathBuf, args: &[&str]) -> Output {
    let out = Command::new(bin).args(args).current_dir(bin.parent().unwrap()).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

#[test]
fn zones_stats_counts_the_compiled_list() {
    let cli = installed();
    let out = run(&cli.bin, &["zones", "stats"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let (first, counts) = text.split_once('\n').unwrap();
    assert!(first.starts_with("the compiled zone list (data "), "{first}");
    // The same counts as the shipped file the list was compiled from.
    let file = crate::util::root().join("lookups/dynamic_dns_providers.csv");
    let want = run(&cli.bin, &["zones", "stats", file.to_str().unwrap()]);
    let want = String::from_utf8(want.stdout).unwrap();
    let (want_first, want_counts) = want.split_once('\n').unwrap();
    assert_eq!(
        first.split_once(": ").unwrap().1,
        want_first.split_once(": ").unwrap().1,
        "zone totals"
    );
    assert_eq!(counts, want_counts);
}

#[test]
fn info_text_says_no_app_folder_was_found() {
    let cli = installed();
    let out = run(&cli.bin, &["info", "--text"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\napp_dir:\n"), "{text}");
    assert!(text.contains("\nstatus: ok\n"), "{text}");
    let zones = dynamicdns_engine::zoneset::ZoneSet::embedded().shipped_len();
    assert!(text.contains(&format!("\nzones: {zones}\n")), "{text}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no app folder found next to the binary"), "{err}");
    // --no-local asks for no local files: nothing to explain.
    let out = run(&cli.bin, &["info", "--text", "--no-local"]);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn check_works_outside_an_app_folder() {
    let cli = installed();
    let out = run(&cli.bin, &["check", "x.duckdns.org", "www.example.com"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "value,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
         x.duckdns.org,True,DuckDNS,duckdns.org,ddns,core\n\
         www.example.com,False,,,,\n"
    );
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

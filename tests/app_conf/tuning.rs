//! The tuning section of the app README, run: its allowlist example loads
//! with the columns the binary reads and silences what it says, and the
//! permissions it states are the ones `metadata/default.meta` ships.

use crate::util::conf::parse_conf;
use crate::util::process::{bin, run, stderr};
use crate::util::read;

/// The fenced block of `text` whose first line is `first`.
fn block<'a>(text: &'a str, first: &str) -> &'a str {
    let start = text.find(&format!("```\n{first}\n")).unwrap_or_else(|| panic!("{first}")) + 4;
    &text[start..start + text[start..].find("```").unwrap()]
}

#[test]
fn the_readme_allowlist_example_loads_and_silences_what_it_names() {
    let readme = read("app/README.md");
    let header = "host,provider,category,reason,expires";
    let csv = block(&readme, header);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dynamicdns_allowlist.csv"), csv).unwrap();
    let hosts = ["vpn.corp.duckdns.org", "nas.diskstation.me", "x.airdns.org", "x.duckdns.org"];
    let verdict = |lookups: Option<&std::path::Path>| {
        let mut cmd = bin();
        cmd.arg("check");
        match lookups {
            Some(d) => cmd.arg("--lookups").arg(d),
            None => cmd.arg("--no-local"),
        };
        let out = run(cmd.args(hosts), b"");
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout.clone()).unwrap();
        let flags: Vec<bool> =
            text.lines().skip(1).map(|l| l.split(',').nth(1) == Some("True")).collect();
        (flags, stderr(&out))
    };
    let (without, _) = verdict(None);
    assert_eq!(without, [true, true, true, true], "every example host is dynamic DNS");
    let (with, warnings) = verdict(Some(dir.path()));
    assert_eq!(with, [false, false, false, true], "the example silences its three rows only");
    assert!(warnings.trim().is_empty(), "the example loads without warnings: {warnings}");
    // transforms.conf's comment names the same columns.
    let transforms = read("default/transforms.conf");
    assert!(transforms
        .contains("# columns: host (or zone), provider, category, reason (or comment), expires"));
    assert!(!transforms.contains("columns: host, comment"));
}

#[test]
fn the_readme_states_who_may_edit_the_files_as_the_metadata_ships() {
    let meta = parse_conf("default.meta", &read("app/metadata/default.meta")).unwrap();
    let access = meta.req("").req("access");
    assert_eq!(access, "read : [ * ], write : [ admin, sc_admin ]");
    let readme = read("app/README.md");
    assert!(readme.contains("only `admin`\nand `sc_admin` (Splunk Cloud) write its objects"));
    let grant = block(&readme, "[lookups/dynamicdns_allowlist.csv]");
    let grant = parse_conf("local.meta", grant).unwrap();
    for (_, stanza) in &grant.stanzas {
        let a = stanza.req("access");
        assert!(a.starts_with("read : [ * ], write : [ admin, sc_admin, "), "{a}");
    }
    assert!(grant.stanza("macros/dynamicdns_allowlist").is_some());
}

//! Local additions, the allowlist and tier selection, from an app tree laid
//! out as Splunk installs it: the binary finds `lookups/` from its own
//! location (`<app>/bin/<arch>/dynamicdns`), as on an indexer after bundle
//! replication.

use std::path::Path;
use std::process::Command;

use crate::util::process;
use crate::util::scp::{chunk, getinfo_reply, split_chunks};

/// A scratch `$SPLUNK_HOME/etc/apps/dynamicdns` with the binary in
/// `bin/x86_64/` and the given lookup files; removed when dropped (also
/// used by `tests/info.rs`).
pub(crate) struct App {
    _home: tempfile::TempDir,
    root: std::path::PathBuf,
}

impl std::ops::Deref for App {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.root
    }
}

pub(crate) fn app(files: &[(&str, &str)]) -> App {
    let home = tempfile::Builder::new().prefix("dynamicdns-app-").tempdir().unwrap();
    let root = home.path().join("etc/apps/dynamicdns");
    std::fs::create_dir_all(root.join("bin/x86_64")).unwrap();
    std::fs::create_dir_all(root.join("lookups")).unwrap();
    std::fs::copy(crate::util::BIN, root.join("bin/x86_64/dynamicdns")).unwrap();
    for (f, content) in files {
        std::fs::write(root.join("lookups").join(f), content).unwrap();
    }
    App { _home: home, root }
}

/// Runs the installed binary in SCP mode on one execute request; returns
/// the getinfo reply metadata and the execute reply body.
fn scp(app: &Path, args: &[&str], body: &str) -> (String, String) {
    let (info, body, _) = scp_stderr(app, args, body);
    (info, body)
}

/// [`scp`], and the process's stderr.
fn scp_stderr(app: &Path, args: &[&str], body: &str) -> (String, String, String) {
    let args = serde_json::to_string(args).unwrap();
    let mut input = chunk(format!(r#"{{"action":"getinfo","searchinfo":{{"args":{args}}}}}"#), "");
    input.extend(chunk(r#"{"action":"execute","finished":true}"#, body));
    // Run from elsewhere: the working directory must not matter.
    let mut cmd = Command::new(app.join("bin/x86_64/dynamicdns"));
    cmd.arg("scp").current_dir(std::env::temp_dir());
    let out = process::run(&mut cmd, &input);
    assert!(out.status.success(), "{}", process::stderr(&out));
    let replies = split_chunks(&out.stdout);
    assert_eq!(replies.len(), 2);
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
    (text(&replies[0].0), text(&replies[1].1), process::stderr(&out))
}

const BODY: &str =
    "query\nfoo.duckdns.org\nvpn.ours.duckdns.org\nx.corp-ddns.example\nwww.example.com\n";
const HEADER: &str = "query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier,__mv_provider,__mv_dyndns_zone,__mv_dyndns_category,__mv_dyndns_tier\n";

#[test]
fn no_local_files_uses_the_shipped_list() {
    let app = app(&[]);
    let (info, body) = scp(&app, &[], BODY);
    assert_eq!(info.as_bytes(), getinfo_reply(&[]));
    assert_eq!(
        body,
        format!(
            "{HEADER}foo.duckdns.org,True,DuckDNS,duckdns.org,ddns,core,,,,\n\
             vpn.ours.duckdns.org,True,DuckDNS,duckdns.org,ddns,core,,,,\n\
             x.corp-ddns.example,False,,,,,,,,\nwww.example.com,False,,,,,,,,\n"
        )
    );
}

#[test]
fn local_additions_and_allowlist_apply() {
    let app = app(&[
            (
                "dynamicdns_local_zones.csv",
                "zone,provider,category,tier,sources\ncorp-ddns.example,Corp DDNS,ddns,core,local\nduckdns.org,Duck (local name),ddns,core,local\n",
            ),
            ("dynamicdns_allowlist.csv", "host,comment\nours.duckdns.org,our own VPN names\n"),
        ],
    );
    let (info, body) = scp(&app, &[], BODY);
    assert_eq!(info.as_bytes(), getinfo_reply(&[]));
    assert_eq!(
        body,
        format!(
            "{HEADER}foo.duckdns.org,True,Duck (local name),duckdns.org,ddns,core,,,,\n\
             vpn.ours.duckdns.org,False,,,,,,,,\n\
             x.corp-ddns.example,True,Corp DDNS,corp-ddns.example,ddns,core,,,,\n\
             www.example.com,False,,,,,,,,\n"
        )
    );
}

#[test]
fn bad_local_rows_are_skipped_with_a_warning_in_the_job_inspector() {
    let app = app(&[
        ("dynamicdns_local_zones.csv", "zone,provider\ncorp-ddns.example,Corp\nnot a zone,X\n"),
        ("dynamicdns_allowlist.csv", "comment\nx\n"),
    ]);
    let (info, body) = scp(&app, &[], BODY);
    assert_eq!(
        info,
        r#"{"inspector":{"messages":[["WARN","dynamicdns: dynamicdns_local_zones.csv: line 3: \"not a zone\" is not a DNS name of two or more labels (ignored)"],["WARN","dynamicdns: dynamicdns_allowlist.csv: line 1: no `host` (or `zone`), `provider` or `category` column in the header (its columns: comment) (ignored)"]]},"type":"streaming","required_fields":["query","isDynDNS","provider","dyndns_zone","dyndns_category","dyndns_tier"]}"#
    );
    assert!(
        body.contains("x.corp-ddns.example,True,Corp,corp-ddns.example,ddns,core,,,,\n"),
        "{body}"
    );
    assert!(body.contains("vpn.ours.duckdns.org,True,DuckDNS"), "{body}");
}

#[test]
fn tier_core_drops_the_extended_tail_but_keeps_local_zones() {
    let extended = {
        // The first extended-tier zone of the shipped list, if it has tiers.
        let mut rdr =
            csv::Reader::from_path(crate::util::root().join("lookups/dynamic_dns_providers.csv"))
                .unwrap();
        let h = rdr.headers().unwrap().clone();
        let tier = h.iter().position(|c| c == "tier");
        tier.and_then(|t| {
            rdr.records()
                .map(Result::unwrap)
                .find(|r| &r[t] == "extended")
                .map(|r| r[0].to_string())
        })
    };
    let app = app(&[(
        "dynamicdns_local_zones.csv",
        "zone,provider,tier\ncorp-ddns.example,Corp,extended\n",
    )]);
    let mut body = String::from(BODY);
    if let Some(z) = &extended {
        body.push_str(&format!("h.{z}\n"));
    }
    let (_, all) = scp(&app, &["tier=all"], &body);
    let (_, core) = scp(&app, &["tier=core"], &body);
    assert!(core.contains("foo.duckdns.org,True,DuckDNS"), "{core}");
    assert!(core.contains("x.corp-ddns.example,True,Corp"), "{core}");
    if let Some(z) = extended {
        assert!(all.contains(&format!("h.{z},True,")), "{all}");
        assert!(core.contains(&format!("h.{z},False,")), "{core}");
    }
}

#[test]
fn cli_reads_the_same_files() {
    let app = app(&[("dynamicdns_allowlist.csv", "host\nours.duckdns.org\n")]);
    let out = process::run(
        Command::new(app.join("bin/x86_64/dynamicdns")).args([
            "check",
            "vpn.ours.duckdns.org",
            "foo.duckdns.org",
        ]),
        b"",
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "value,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
         vpn.ours.duckdns.org,False,,,,\nfoo.duckdns.org,True,DuckDNS,duckdns.org,ddns,core\n"
    );
    let out = process::run(
        Command::new(app.join("bin/x86_64/dynamicdns")).args([
            "check",
            "--no-local",
            "vpn.ours.duckdns.org",
        ]),
        b"",
    );
    assert!(String::from_utf8(out.stdout).unwrap().contains("vpn.ours.duckdns.org,True,DuckDNS"));
}

/// A local zones file exported with `;` between the columns (a spreadsheet
/// in a European locale): `zones validate` knows it by its name, `check`
/// warns naming the folder, and both say what the header read and how to
/// fix it; `info --text --lookups .` names the app folder, not "".
#[test]
fn a_semicolon_separated_local_file_is_explained() {
    let app = app(&[("dynamicdns_local_zones.csv", "zone;provider\nfoo.example;Me\n")]);
    let bin = app.join("bin/x86_64/dynamicdns");
    let lookups = app.join("lookups");
    let hint = "dynamicdns_local_zones.csv: line 1: no `zone` column in the header (it reads \
                \"zone;provider\": separate the columns with commas)";
    let out = process::run(
        Command::new(&bin)
            .args(["zones", "validate", "dynamicdns_local_zones.csv"])
            .current_dir(&lookups),
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{hint}\ndynamicdns_local_zones.csv: 0 zones OK, 1 bad rows\n")
    );
    let out = process::run(
        Command::new(&bin)
            .args(["check", "--lookups", ".", "x.foo.example"])
            .current_dir(&lookups),
        b"",
    );
    assert!(out.status.success());
    assert_eq!(
        process::stderr(&out),
        format!("dynamicdns: warning: {hint} (ignored) (in {})\n", lookups.display())
    );
    let out = process::run(
        Command::new(&bin).args(["info", "--text", "--lookups", "."]).current_dir(&lookups),
        b"",
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("\napp_dir: {}\n", app.display())), "{text}");
}

/// An unreadable local file is reported in the job inspector and the
/// search goes on with the shipped list. A directory in place of the file
/// is unreadable for every user; a mode-000 file only when not running as
/// root (root reads it regardless), so that part is skipped, with a note,
/// under root.
#[test]
fn unreadable_local_files_warn_and_the_search_goes_on() {
    let app = app(&[]);
    std::fs::create_dir(app.join("lookups/dynamicdns_local_zones.csv")).unwrap();
    let (info, body) = scp(&app, &[], BODY);
    assert_eq!(
        info,
        r#"{"inspector":{"messages":[["WARN","dynamicdns: dynamicdns_local_zones.csv: a directory, not a regular file; not read (ignored)"]]},"type":"streaming","required_fields":["query","isDynDNS","provider","dyndns_zone","dyndns_category","dyndns_tier"]}"#
    );
    assert!(body.contains("foo.duckdns.org,True,DuckDNS"), "{body}");

    use std::os::unix::fs::PermissionsExt;
    let path = app.join("lookups/dynamicdns_allowlist.csv");
    std::fs::write(&path, "host\nours.duckdns.org\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        eprintln!("note: running as root, which reads mode-000 files; permission case skipped");
        return;
    }
    let (info, _) = scp(&app, &[], BODY);
    assert!(
        info.contains(
            "dynamicdns: dynamicdns_allowlist.csv: Permission denied (os error 13) (ignored)"
        ),
        "{info}"
    );
}

/// The getinfo reply's inspector messages (each `[level, text]`).
fn inspector(info: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(info).unwrap();
    v["inspector"]["messages"]
        .as_array()
        .map_or(vec![], |m| m.iter().map(|m| m[1].as_str().unwrap().to_string()).collect())
}

/// 200,000 bad rows: the getinfo reply, stderr (SCP and CLI) and
/// `zones validate` each give the first 20 problems with their lines and
/// one line counting the rest, not 200,000 lines; the good rows load.
#[test]
fn bad_rows_are_capped_per_file_everywhere() {
    let mut zones = String::from("zone,provider\ncorp-ddns.example,Corp\n");
    for i in 0..200_000 {
        zones.push_str(&format!("bad{i},X\n"));
    }
    let app = app(&[
        ("dynamicdns_local_zones.csv", &zones),
        ("dynamicdns_allowlist.csv", "host\nbad\n"),
    ]);
    let (info, body, stderr) = scp_stderr(&app, &[], BODY);
    let msgs = inspector(&info);
    let mut want: Vec<String> = (0..20)
        .map(|i| {
            format!(
                "dynamicdns: dynamicdns_local_zones.csv: line {}: \"bad{i}\" is not a DNS name \
                 of two or more labels (ignored)",
                i + 3
            )
        })
        .collect();
    want.push(
        "dynamicdns: … and 199980 more problems in dynamicdns_local_zones.csv (ignored)".into(),
    );
    want.push(
        "dynamicdns: dynamicdns_allowlist.csv: line 2: \"bad\" is not a DNS name of two or more \
         labels (ignored)"
            .into(),
    );
    assert_eq!(msgs, want);
    assert!(info.len() < 4096, "getinfo reply of {} bytes", info.len());
    assert_eq!(stderr.lines().collect::<Vec<_>>(), want);
    assert!(body.contains("x.corp-ddns.example,True,Corp,"), "{body}");

    let bin = app.join("bin/x86_64/dynamicdns");
    let out = process::run(Command::new(&bin).args(["check", "x.corp-ddns.example"]), b"");
    assert!(out.status.success());
    assert_eq!(process::stderr(&out).lines().count(), 22, "{}", process::stderr(&out));
    assert!(String::from_utf8(out.stdout).unwrap().contains("x.corp-ddns.example,True,Corp,"));

    let local = app.join("lookups/dynamicdns_local_zones.csv");
    let out = process::run(Command::new(&bin).args(["zones", "validate"]).arg(&local), b"");
    assert_eq!(out.status.code(), Some(1), "{}", process::stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let name = local.display().to_string();
    assert_eq!(lines.len(), 22, "{stdout}");
    assert_eq!(
        lines[0],
        format!("{name}: line 3: \"bad0\" is not a DNS name of two or more labels")
    );
    assert_eq!(lines[20], format!("… and 199980 more problems in {name}"));
    assert_eq!(lines[21], format!("{name}: 1 zones OK, 200000 bad rows"));
}

/// Unicode zone names load as punycode (as the shipped list stores them),
/// so a host below one matches whether the event spells it in Unicode or
/// in punycode; an allowlist row in Unicode applies the same way.
#[test]
fn unicode_local_zones_match_as_punycode() {
    let app = app(&[
        ("dynamicdns_local_zones.csv", "zone,provider\nBücher.example,Books\nmünchen.de,M\n"),
        ("dynamicdns_allowlist.csv", "host\nok.MÜNCHEN.de\n"),
    ]);
    let body = "query\nx.bücher.example\nx.xn--bcher-kva.example\nhttp://X.BÜCHER.example/a\n\
                a.münchen.de\nok.xn--mnchen-3ya.de\n";
    let (info, out) = scp(&app, &[], body);
    assert_eq!(info.as_bytes(), getinfo_reply(&[]));
    let verdicts: Vec<&str> = out.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(verdicts, ["True", "True", "True", "True", "False"], "{out}");
    assert!(out.contains("x.bücher.example,True,Books,xn--bcher-kva.example,"), "{out}");
}

/// What is not a regular file (a FIFO: never waited on), or is larger than
/// 64 MiB, is refused with a message naming the file and the reason; the
/// search goes on.
#[test]
fn special_and_oversized_local_files_are_refused() {
    let app = app(&[]);
    let fifo = app.join("lookups/dynamicdns_local_zones.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let big = std::fs::File::create(app.join("lookups/dynamicdns_allowlist.csv")).unwrap();
    // Sparse: no 64 MiB written.
    big.set_len((64 << 20) + 1).unwrap();
    let (info, body) = scp(&app, &[], BODY);
    assert_eq!(
        inspector(&info),
        [
            "dynamicdns: dynamicdns_local_zones.csv: a FIFO, not a regular file; not read (ignored)",
            "dynamicdns: dynamicdns_allowlist.csv: 67108865 bytes, more than the 64 MiB a local \
             file may have; not read (ignored)",
        ]
    );
    assert!(body.contains("foo.duckdns.org,True,DuckDNS"), "{body}");
}

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
    (text(&replies[0].0), text(&replies[1].1))
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
        r#"{"inspector":{"messages":[["WARN","dynamicdns: dynamicdns_local_zones.csv: line 3: \"not a zone\" is not a DNS name of two or more labels (ignored)"],["WARN","dynamicdns: dynamicdns_allowlist.csv: line 1: no `host` (or `zone`), `provider` or `category` column in the header (ignored)"]]},"type":"streaming","required_fields":["query","isDynDNS","provider","dyndns_zone","dyndns_category","dyndns_tier"]}"#
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
        r#"{"inspector":{"messages":[["WARN","dynamicdns: dynamicdns_local_zones.csv: Is a directory (os error 21) (ignored)"]]},"type":"streaming","required_fields":["query","isDynDNS","provider","dyndns_zone","dyndns_category","dyndns_tier"]}"#
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

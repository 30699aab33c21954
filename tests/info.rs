//! The generating health command `| dynamicdnsinfo` (`dynamicdns info`),
//! driven in lock-step as splunkd drives a generating command: getinfo
//! (stateful, or streaming with `distributed=true`), execute requests
//! without records (the first answered with the one row and
//! `finished:true`, any later one with an empty `finished:true` reply),
//! EOF → exit 0 with nothing on stderr; option and protocol errors → the
//! error reply. The row is read with the independent CSV reader, its
//! counts checked against the shipped lookups read with the `csv` crate,
//! and its `__mv_` cells decoded against the plain cells. The binary runs
//! from an app tree in a scratch folder, as Splunk installs it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use dynamicdns_engine::health::{FIELDS, MULTIVALUE};
use serde_json::{json, Value};

use crate::local_files::app;
use crate::util::prelude::*;
use crate::util::process;

const TIMEOUT: Duration = Duration::from_secs(60);

/// Realistic getinfo metadata for `| dynamicdnsinfo <args>`.
fn info_getinfo(args: &[&str]) -> Vec<u8> {
    let mut meta = getinfo_metadata(args);
    meta["searchinfo"]["command"] = json!("dynamicdnsinfo");
    meta["searchinfo"]["search"] =
        json!(url_encode(&format!("| dynamicdnsinfo {}", args.join(" "))));
    chunk_json(&meta, b"")
}

/// `bin` started as splunkd starts it: `info`, from elsewhere, with
/// `SPLUNK_SERVER_NAME` set.
fn driver(bin: &Path) -> Driver {
    let mut cmd = Command::new(bin);
    cmd.arg("info").current_dir(std::env::temp_dir()).env("SPLUNK_SERVER_NAME", "idx-07");
    Driver::spawn_command(cmd, TIMEOUT)
}

/// The getinfo reply of a generating command, as splunklib wrote it in the
/// recordings.
fn getinfo_reply(distributed: bool) -> String {
    let kind = if distributed { "streaming" } else { "stateful" };
    format!(r#"{{"generating":true,"type":"{kind}"}}"#)
}

/// The ended session: exit 0 and nothing on stderr.
fn finish_quietly(d: Driver) {
    let fin = d.finish();
    assert_eq!(fin.status.code(), Some(0), "stderr {:?}", fin.stderr);
    assert_eq!(fin.stderr, "", "stderr stays quiet on success");
}

/// Counts of a lookup CSV's rows: all, and per value of each of `columns`.
fn lookup_counts(file: &str, columns: &[&str]) -> (usize, BTreeMap<String, usize>) {
    let path = crate::util::root().join("lookups").join(file);
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let cols: Vec<(usize, &str)> =
        columns.iter().map(|c| (headers.iter().position(|h| h == *c).unwrap(), *c)).collect();
    let mut total = 0;
    let mut by = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        total += 1;
        for &(i, name) in &cols {
            *by.entry(format!("{name}={}", &rec[i])).or_default() += 1;
        }
    }
    (total, by)
}

/// The fields the row must hold for the shipped data, from the repository's
/// lookups (independently of the engine's table).
fn shipped_fields() -> Vec<(&'static str, String)> {
    let (zones, by) = lookup_counts("dynamic_dns_providers.csv", &["tier", "category"]);
    let (hosts, _) = lookup_counts("dynamic_dns_service_hosts.csv", &[]);
    let n = |k: &str| by.get(k).copied().unwrap_or(0).to_string();
    vec![
        ("zones", zones.to_string()),
        ("zones_core", n("tier=core")),
        ("zones_extended", n("tier=extended")),
        ("zones_ddns", n("category=ddns")),
        ("zones_vendor_ddns", n("category=vendor-ddns")),
        ("zones_vpn_vendor", n("category=vpn-vendor")),
        ("service_hosts", hosts.to_string()),
    ]
}

/// The one row of an execute reply's body, by field name, after checking
/// its shape: the header is [`FIELDS`] then a `__mv_` twin per multivalue
/// field; exactly one record; LF line ends; each `__mv_` cell is empty for
/// fewer than two values and otherwise decodes to the values of the plain
/// cell, which holds them joined by LF. Multivalue fields come back as
/// their LF-joined plain cell.
fn the_row(body: &[u8]) -> BTreeMap<String, String> {
    let csv = parse_csv(body);
    let mut want: Vec<Vec<u8>> = FIELDS.iter().map(|f| f.as_bytes().to_vec()).collect();
    want.extend(MULTIVALUE.iter().map(|f| format!("__mv_{f}").into_bytes()));
    assert_eq!(csv.header, want, "header");
    assert_eq!(csv.rows.len(), 1, "one record");
    assert!(csv.spans.iter().all(|s| &body[s.content_end..s.end] == b"\n"), "LF row ends");
    let row = &csv.rows[0];
    for f in MULTIVALUE {
        let plain = &row[csv.col(f).unwrap()];
        let mv = &row[csv.col(&format!("__mv_{f}")).unwrap()];
        let values: Vec<&[u8]> = plain.split(|&b| b == b'\n').collect();
        if values.len() < 2 {
            assert!(mv.is_empty(), "__mv_{f} set for {} value(s)", values.len());
        } else {
            let decoded = decode_mv(mv).unwrap_or_else(|| panic!("bad __mv_{f}: {mv:?}"));
            assert_eq!(decoded, values, "__mv_{f} disagrees with {f}");
        }
    }
    FIELDS
        .iter()
        .map(|f| {
            let v = &row[csv.col(f).unwrap()];
            (f.to_string(), String::from_utf8(v.to_vec()).expect("UTF-8 value"))
        })
        .collect()
}

/// The app folder as the binary sees itself (`/proc/self/exe` is
/// canonical).
fn canonical(p: &Path) -> String {
    std::fs::canonicalize(p).unwrap().display().to_string()
}

#[test]
fn getinfo_is_stateful_or_with_distributed_true_streaming() {
    let app = app(&[]);
    let bin = app.join("bin/x86_64/dynamicdns");
    for (args, distributed) in [
        (&[][..], false),
        (&["distributed=true"][..], true),
        (&["distributed=false"][..], false),
        (&["DISTRIBUTED=T"][..], true),
        (&["distributed=0"][..], false),
    ] {
        // A probe: getinfo only, then EOF.
        let mut d = driver(&bin);
        let reply = d.request(&info_getinfo(args));
        assert_eq!(
            String::from_utf8_lossy(&reply.metadata_raw),
            getinfo_reply(distributed),
            "{args:?}"
        );
        assert!(reply.body.is_empty());
        finish_quietly(d);
    }
    // EOF before any request.
    finish_quietly(driver(&bin));
}

#[test]
fn the_first_execute_gets_the_row_later_ones_an_empty_reply() {
    let app = app(&[]);
    let bin = app.join("bin/x86_64/dynamicdns");
    // splunkd 6.3 sent finished:false (its body is lost from the
    // recording), 8.2 finished:true with a header-only body (the required
    // fields and _chunked_idx).
    let bodies: [(bool, &[u8]); 2] = [(false, b""), (true, b"_time,\"_chunked_idx\"\n")];
    for (finished, body) in bodies {
        for distributed in [false, true] {
            let mut d = driver(&bin);
            let args: &[&str] = if distributed { &["distributed=true"] } else { &[] };
            let reply = d.request(&info_getinfo(args));
            assert_eq!(String::from_utf8_lossy(&reply.metadata_raw), getinfo_reply(distributed));
            let reply = d.request(&execute(finished, body));
            assert_eq!(
                reply.metadata_raw, br#"{"finished":true}"#,
                "no inspector without problems"
            );
            let row = the_row(&reply.body);
            let want: BTreeMap<String, String> = [
                ("server", "idx-07".to_string()),
                ("version", env!("CARGO_PKG_VERSION").to_string()),
                ("build", dynamicdns_engine::health::BUILD.to_string()),
                ("arch", std::env::consts::ARCH.to_string()),
                ("app_dir", canonical(&app)),
                ("local_zones", "0".into()),
                ("allowlist", "0".into()),
                ("local_files", "".into()),
                ("problems", "".into()),
                ("problem_count", "0".into()),
                ("status", "ok".into()),
            ]
            .into_iter()
            .chain(shipped_fields())
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            assert_eq!(row, want);
            // Anything splunkd sends after that: one empty reply each.
            for _ in 0..2 {
                let reply = d.request(&execute(true, b""));
                assert_eq!(reply.metadata_raw, br#"{"finished":true}"#);
                assert!(reply.body.is_empty());
            }
            finish_quietly(d);
        }
    }
}

/// Without `SPLUNK_SERVER_NAME`, `server` is empty.
#[test]
fn server_is_empty_without_splunk_server_name() {
    let app = app(&[]);
    let mut cmd = Command::new(app.join("bin/x86_64/dynamicdns"));
    cmd.arg("info").env_remove("SPLUNK_SERVER_NAME");
    let mut d = Driver::spawn_command(cmd, TIMEOUT);
    d.request(&info_getinfo(&[]));
    let row = the_row(&d.request(&execute(true, b"")).body);
    assert_eq!(row["server"], "");
    assert_eq!(row["status"], "ok");
    finish_quietly(d);
}

#[test]
fn local_files_with_problems_show_in_the_row_and_the_job_inspector() {
    let app = app(&[
        (
            "dynamicdns_local_zones.csv",
            "zone,provider,category,tier\ncorp-ddns.example,Corp,ddns,core\nnot a zone,X,,\n\
             lab.example,Lab,vendor-ddns,extended\nbad.example,B,,gold\n",
        ),
        ("dynamicdns_allowlist.csv", "host,provider,category,reason,expires\nvpn.corp.duckdns.org,,,VPN,\n,No-IP,,lab,\n,,gold,,\n"),
        ("dynamic_dns_providers_local.csv", "zone,provider\nold.example,Old\n"),
    ]);
    let bin = app.join("bin/x86_64/dynamicdns");
    let mut d = driver(&bin);
    let reply = d.request(&info_getinfo(&["distributed=true"]));
    // Probes get no warnings: the files are read for the first execute.
    assert_eq!(String::from_utf8_lossy(&reply.metadata_raw), getinfo_reply(true));
    let reply = d.request(&execute(true, b""));
    let problems = [
        "dynamicdns_local_zones.csv: line 3: \"not a zone\" is not a DNS name of two or more labels (ignored)",
        "dynamicdns_local_zones.csv: line 5: tier \"gold\" is not 'core' or 'extended' (ignored)",
        "dynamic_dns_providers_local.csv: old file name, read for now; rename it to \
         dynamicdns_local_zones.csv (the app's own files are named dynamicdns_*, so that no \
         other app's lookup, such as ESCU's dynamic_dns_providers_local.csv, can shadow them)",
        "dynamicdns_allowlist.csv: line 4: category \"gold\" is not one the list uses (ddns, \
         vendor-ddns, vpn-vendor, provider-service) (ignored)",
    ];
    let messages: Vec<Value> =
        problems.iter().map(|p| json!(["WARN", format!("dynamicdns: {p}")])).collect();
    assert_eq!(
        Value::Object(reply.metadata.clone()),
        json!({"finished": true, "inspector": {"messages": messages}})
    );
    // Key order on the wire: finished first, then the inspector.
    assert!(reply.metadata_raw.starts_with(br#"{"finished":true,"inspector":"#));
    let row = the_row(&reply.body);
    assert_eq!(row["problems"], problems.join("\n"));
    assert_eq!(row["problem_count"], "4");
    assert_eq!(row["status"], "warning");
    assert_eq!(
        row["local_files"],
        "dynamicdns_local_zones.csv: 2 rows\ndynamic_dns_providers_local.csv: 1 row\n\
         dynamicdns_allowlist.csv: 2 rows"
    );
    assert_eq!((row["local_zones"].as_str(), row["allowlist"].as_str()), ("3", "2"));
    assert_eq!(row["app_dir"], canonical(&app));
    for (k, v) in shipped_fields() {
        assert_eq!(row[k], v, "{k}: local zones are not shipped zones");
    }
    finish_quietly(d);

    // The CLI form says the same, line by line.
    let out = process::run(Command::new(&bin).args(["info", "--text"]), b"");
    assert!(out.status.success());
    assert_eq!(process::stderr(&out), "");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("\nproblems: {}\n", problems[0])), "{text}");
    assert!(text.contains("\nlocal_files: dynamic_dns_providers_local.csv: 1 row\n"), "{text}");
    assert!(text.ends_with("\nproblem_count: 4\nstatus: warning\n"), "{text}");
    let out = process::run(Command::new(&bin).args(["info", "--text", "--no-local"]), b"");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with("\nlocal_files:\nproblems:\nproblem_count: 0\nstatus: ok\n"), "{text}");
    assert!(text.contains(&format!("\napp_dir: {}\n", canonical(&app))), "{text}");
}

#[test]
fn bad_options_get_the_error_reply_naming_the_option() {
    let usage = "Usage: dynamicdnsinfo [distributed=<bool>]";
    for (args, msg) in [
        (&["distributed=maybe"][..], "'distributed=maybe': distributed must be true or false"),
        (
            &["verbose=1"][..],
            "unknown option 'verbose' in 'verbose=1'; the only option is distributed",
        ),
        (&["distributed=true", "distributed=false"][..], "distributed= is given twice"),
        (&["distributed"][..], "unexpected argument 'distributed'"),
    ] {
        let mut d = driver(Path::new(crate::util::BIN));
        let reply = d.request(&info_getinfo(args));
        let want = format!("{msg}. {usage}");
        assert_eq!(chunk(&reply.metadata_raw, &reply.body), error_reply(&want), "{args:?}");
        let fin = d.finish();
        assert_eq!(fin.status.code(), Some(1), "{args:?}");
        assert!(fin.stderr.contains(&want), "{:?}", fin.stderr);
    }
}

#[test]
fn protocol_errors_get_the_error_reply() {
    let cases: Vec<(Vec<Vec<u8>>, &str)> = vec![
        (
            vec![execute(true, b"")],
            "chunk 1: expected a getinfo request first, got action 'execute'",
        ),
        (vec![info_getinfo(&[]), info_getinfo(&[])], "chunk 2: unexpected second getinfo request"),
        (
            vec![chunk("not json", "")],
            "chunk 1: metadata is not valid JSON: expected ident at line 1 column 2",
        ),
    ];
    for (requests, msg) in cases {
        let mut d = driver(Path::new(crate::util::BIN));
        let (last, first) = requests.split_last().unwrap();
        for r in first {
            d.request(r);
        }
        let reply = d.request(last);
        assert_eq!(chunk(&reply.metadata_raw, &reply.body), error_reply(msg), "{msg}");
        assert_eq!(d.finish().status.code(), Some(1), "{msg}");
    }
}

/// Real splunkd bytes of generating commands (Splunk 6.3, repaired as
/// `util::scp` says): `generatehello`'s `finished:false` request in spaced
/// JSON, `pypygeneratetext` with `distributed=true` in place of its own
/// options.
#[test]
fn generating_recordings_replay() {
    let app = app(&[]);
    let bin = app.join("bin/x86_64/dynamicdns");
    for (name, chunks, args, distributed) in [
        ("generatehello", generatehello_repaired(), &[][..], false),
        ("pypygeneratetext", pypygeneratetext_repaired(), &["distributed=true"][..], true),
    ] {
        let mut d = driver(&bin);
        let reply = d.request(&chunk(with_args(&chunks[0].0, args), b""));
        assert_eq!(
            String::from_utf8_lossy(&reply.metadata_raw),
            getinfo_reply(distributed),
            "{name}"
        );
        let reply = d.request(&chunk(&chunks[1].0, &chunks[1].1));
        assert_eq!(reply.metadata_raw, br#"{"finished":true}"#, "{name}");
        let row = the_row(&reply.body);
        assert_eq!(row["app_dir"], canonical(&app), "{name}");
        finish_quietly(d);
    }
}

#[test]
fn help_and_usage() {
    let out = process::run(process::bin().args(["info", "--help"]), b"");
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.starts_with("Usage: dynamicdns info\n"), "{help}");
    assert!(help.contains("--text") && help.contains("distributed=<bool>"), "{help}");
    let out = process::run(process::bin().args(["info", "--lookups", "x"]), b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(process::stderr(&out).contains("give --text"));
    let out = process::run(process::bin().args(["info", "--text", "extra"]), b"");
    assert_eq!(out.status.code(), Some(2));
}

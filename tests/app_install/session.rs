//! Lock-step SCP v2 sessions with the installed command, and the DNS rows
//! and local lookups they are run with.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use serde_json::json;

use super::home::SplunkHome;
use super::TIMEOUT;
use crate::util::scp::{self, getinfo_reply};

// ---------------------------------------------------------------------------
// SCP v2, lock-step, as splunkd speaks it (the shared driver of tests/util)

/// A getinfo request for `| dynamicdns <args>` run from `dispatch_dir`.
pub(super) fn getinfo(args: &[&str], dispatch_dir: &Path) -> Vec<u8> {
    let mut meta = scp::getinfo_metadata(args);
    meta["searchinfo"]["dispatch_dir"] = json!(dispatch_dir.display().to_string());
    scp::chunk_json(&meta, b"")
}

pub(super) fn wait(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            panic!("the command did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(super) fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

/// One SCP session: getinfo, then one execute request per body (the last
/// one `finished`), each reply read before the next request is written;
/// then stdin is closed and the process must exit 0 with nothing more on
/// stdout. Returns the execute replies' bodies, parsed as CSV.
pub(super) fn scp_session(
    home: &SplunkHome,
    argv: &[String],
    args: &[&str],
    bodies: &[&[u8]],
) -> Vec<Vec<BTreeMap<String, String>>> {
    let mut d = home.driver(argv);
    let reply = d.request(&getinfo(args, &home.dispatch_dir()));
    assert_eq!(reply.metadata_raw, getinfo_reply(args), "getinfo reply");
    assert!(reply.body.is_empty());
    let mut out = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let finished = i + 1 == bodies.len();
        let reply = d.request(&scp::execute(finished, body));
        assert_eq!(reply.metadata.get("finished"), Some(&json!(finished)), "execute reply");
        assert!(reply.metadata.get("error").is_none(), "execute reply {:?}", reply.metadata);
        out.push(parse_csv(&reply.body));
    }
    let fin = d.finish();
    assert!(fin.status.success(), "exit {}; stderr: {}", fin.status, fin.stderr);
    out
}

pub(super) fn parse_csv(body: &[u8]) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::ReaderBuilder::new().from_reader(body);
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
        })
        .collect()
}

/// splunkd-style DNS rows: `__mv_` twin for the multivalue answer (CNAME
/// chain), CRLF-free, quoted where needed.
pub(super) const DNS_ROWS: &[u8] = b"_time,src,query,answer,__mv_answer\r\n\
1700000000,10.1.4.22,update7.duckdns.org,203.0.113.45,\r\n\
1700000001,10.1.7.3,www.example.com,93.184.216.34,\r\n\
1700000002,10.1.9.8,cdn.example.net,\"edge.example.net\nhome.ddns.net\",$edge.example.net$;$home.ddns.net$\r\n\
1700000003,10.1.9.9,ok.duckdns.org,198.51.100.1,\r\n\
1700000004,10.1.9.9,a.corp-dyn.example,198.51.100.2,\r\n\
1700000005,10.1.9.9,duckdns.org,99.79.143.35,\r\n";

/// The app's local files, as an admin would edit them.
pub(super) fn tune_lookups(home: &SplunkHome) {
    let lookups = home.app().join("lookups");
    std::fs::write(
        lookups.join("dynamicdns_allowlist.csv"),
        "host,comment\nok.duckdns.org,our VPN\n",
    )
    .unwrap();
    std::fs::write(
        lookups.join("dynamicdns_local_zones.csv"),
        "zone,provider,category,tier,sources\ncorp-dyn.example,Corp DDNS,ddns,core,local\n",
    )
    .unwrap();
}

pub(super) fn check_dns_verdicts(rows: &[BTreeMap<String, String>]) {
    let verdicts: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["query"].as_str(),
                r["isDynDNS"].as_str(),
                r["provider"].as_str(),
                r["dyndns_zone"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("update7.duckdns.org", "True", "DuckDNS", "duckdns.org"),
            ("www.example.com", "False", "", ""),
            ("cdn.example.net", "True", "No-IP", "ddns.net"),
            ("ok.duckdns.org", "False", "", ""),
            ("a.corp-dyn.example", "True", "Corp DDNS", "corp-dyn.example"),
            ("duckdns.org", "False", "", ""),
        ]
    );
    // Input fields come back unchanged.
    assert_eq!(rows[2]["answer"], "edge.example.net\nhome.ddns.net");
    assert_eq!(rows[0]["src"], "10.1.4.22");
}

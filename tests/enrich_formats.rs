//! `enrich --format jsonl|zeek` on the real logs of `../shared/data/
//! real_logs/` (Zeek TSV and JSON, Suricata eve, Sysmon event 22; proxy and
//! BIND lines through `check --text`), with DDNS names planted in copies
//! made here: every input line comes out, in order, unchanged but for the
//! appended fields, and the verdicts are right. Skipped with a note when
//! `../shared` is absent.

use std::path::{Path, PathBuf};

use dynamicdns_engine::host::HostExtractor;
use dynamicdns_engine::zoneset::ZoneSet;

use crate::util::process::{self, bin};

/// A real log, or `None` (with a note) when `../shared` is absent.
pub(crate) fn real_log(name: &str) -> Option<PathBuf> {
    let p = crate::util::root().join("../shared/data/real_logs").join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("note: {} absent; test skipped", p.display());
        None
    }
}

/// Writes `text` to a file in a scratch folder.
fn scratch(name: &str, text: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

fn enrich(args: &[&str], file: &Path) -> Vec<u8> {
    let o = process::run(bin().arg("enrich").arg("--no-local").args(args).arg(file), b"");
    assert!(o.status.success(), "{args:?}: {}", process::stderr(&o));
    o.stdout
}

/// The zone a value lies below, as the engine judges it (None for no DDNS).
fn zone_of(zones: &ZoneSet, v: &str) -> Option<String> {
    let mut x = HostExtractor::new();
    let m = x.host(v.as_bytes()).and_then(|h| zones.longest_match(h))?;
    m.is_dyndns().then(|| m.zone.to_string())
}

/// Lines of a byte text, each with its line ending.
fn lines(b: &[u8]) -> Vec<&[u8]> {
    b.split_inclusive(|&c| c == b'\n').collect()
}

/// Plants DDNS names in every `every`-th line that `plant` changes.
fn planted(
    text: &str,
    every: usize,
    mut plant: impl FnMut(&str, usize) -> Option<String>,
) -> (String, usize) {
    let mut out = String::new();
    let mut n = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        match (i % every == every - 1).then(|| plant(l, n)).flatten() {
            Some(p) => {
                out.push_str(&p);
                n += 1;
            }
            None => out.push_str(l),
        }
    }
    (out, n)
}

const PLANTS: [(&str, &str); 4] = [
    ("x{}.duckdns.org", "duckdns.org"),
    ("h{}.home.dyndns.org", "home.dyndns.org"),
    ("n{}.ddns.net", "ddns.net"),
    ("NAS{}.Synology.ME", "synology.me"),
];

fn plant_name(n: usize) -> (String, &'static str) {
    let (pat, zone) = PLANTS[n % PLANTS.len()];
    (pat.replace("{}", &n.to_string()), zone)
}

/// JSON lines: each output line is its input line up to the final `}`,
/// then the five keys, then the rest; the keys' values are the verdict.
fn check_jsonl(file: &str, fields: &str, key: &str, every: usize) {
    let Some(p) = real_log(file) else { return };
    let text = std::fs::read_to_string(&p).unwrap();
    let needle = format!("\"{key}\":\"");
    let (copy, n) = planted(&text, every, |l, n| {
        let at = l.find(&needle)? + needle.len();
        let end = at + l[at..].find('"')?;
        Some(format!("{}{}{}", &l[..at], plant_name(n).0, &l[end..]))
    });
    assert!(n > 3, "{file}: nothing planted");
    let (_dir, path) = scratch(file, copy.as_bytes());
    let out = enrich(&["--format", "jsonl", "--field", fields], &path);
    let (ins, outs) = (lines(copy.as_bytes()), lines(&out));
    assert_eq!(ins.len(), outs.len(), "{file}: line count");
    let zones = ZoneSet::embedded();
    let mut hits = 0;
    for (a, b) in ins.iter().zip(&outs) {
        let a = std::str::from_utf8(a).unwrap().trim_end_matches('\n');
        let b = std::str::from_utf8(b).unwrap().trim_end_matches('\n');
        let cut = a.rfind('}').unwrap();
        assert!(b.starts_with(&a[..cut]) && b.ends_with(&a[cut + 1..]), "{file}: {a}");
        let added = &b[cut..b.len() - (a.len() - cut - 1)];
        let added: serde_json::Value =
            serde_json::from_str(&format!("{{{}", &added[1..])).unwrap();
        let whole: serde_json::Value = serde_json::from_str(b).unwrap();
        let value = whole
            .pointer(&format!("/{}", fields.replace('.', "/")))
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let want = zone_of(&zones, value);
        assert_eq!(added["isDynDNS"], want.is_some(), "{file}: {value}");
        if let Some(z) = want {
            assert_eq!(added["dyndns_zone"][0], z.as_str(), "{file}: {value}");
            hits += 1;
        }
    }
    assert!(hits >= n, "{file}: {hits} hits for {n} planted");
}

#[test]
fn jsonl_zeek_dns() {
    check_jsonl("zeek_json_dns_otrf_apt29_day2_NEWYORK.log", "query", "query", 10);
}

#[test]
fn jsonl_zeek_http() {
    check_jsonl("zeek_json_http_otrf_apt29_day1_SCRANTON.log", "host", "host", 5);
}

#[test]
fn jsonl_suricata_eve() {
    check_jsonl("suricata_eve_dns_zeus_analysis.json", "dns.rrname", "rrname", 50);
}

#[test]
fn jsonl_sysmon_22() {
    check_jsonl(
        "sysmon_eid22_otrf_psh_cmstp_execution_bypassuac.json",
        "QueryName",
        "QueryName",
        10,
    );
}

/// Zeek JSON `answers` (an array) is a multivalue field.
#[test]
fn jsonl_arrays_are_multivalue() {
    let Some(p) = real_log("zeek_json_dns_otrf_apt29_day2_NEWYORK.log") else { return };
    let text = std::fs::read_to_string(&p).unwrap();
    let line = text.lines().find(|l| l.contains("\"answers\":[\"")).unwrap();
    let planted =
        line.replacen("\"answers\":[\"", "\"answers\":[\"a.duckdns.org\",\"b.ddns.net\",\"", 1);
    let (_dir, path) = scratch("a.log", format!("{planted}\n").as_bytes());
    let out = String::from_utf8(enrich(&["--format", "jsonl", "--field", "query,answers"], &path))
        .unwrap();
    assert!(out.ends_with(",\"isDynDNS\":true,\"provider\":[\"No-IP\",\"DuckDNS\"],\"dyndns_zone\":[\"ddns.net\",\"duckdns.org\"],\"dyndns_category\":[\"ddns\"],\"dyndns_tier\":[\"core\"]}\n"), "{out}");
}

/// A bad line stops with file and line; with --pass-bad-lines it is
/// copied and counted on stderr. CRLF endings stay.
#[test]
fn jsonl_bad_lines() {
    let (_dir, path) =
        scratch("bad.json", b"{\"query\":\"a.ddns.net\"}\r\nnot json\n{\"query\":1}");
    let o =
        process::run(bin().args(["enrich", "--no-local", "--format", "jsonl"]).arg(&path), b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        process::stderr(&o).contains("bad.json: line 2: not a JSON object at byte 1"),
        "{}",
        process::stderr(&o)
    );
    let o = process::run(
        bin().args(["enrich", "--no-local", "--format", "jsonl", "--pass-bad-lines"]).arg(&path),
        b"",
    );
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    let l: Vec<&str> = out.split_inclusive('\n').collect();
    assert!(
        l[0].starts_with("{\"query\":\"a.ddns.net\",\"isDynDNS\":true,")
            && l[0].ends_with("}\r\n"),
        "{out}"
    );
    assert_eq!(l[1], "not json\n");
    assert!(l[2].starts_with("{\"query\":1,\"isDynDNS\":false") && !l[2].ends_with('\n'));
    assert!(process::stderr(&o).contains("1 bad lines passed through unchanged (first: line 2"));
}

/// Zeek TSV: header lines in place (#fields and #types extended), every
/// data line its input plus five columns; planted queries and answers get
/// their zone.
#[test]
fn zeek_tsv_wrccdc() {
    let Some(p) = real_log("zeek_tsv_dns_wrccdc2018.log") else { return };
    let text = std::fs::read_to_string(&p).unwrap();
    let (copy, n) = planted(&text, 100, |l, n| {
        if l.starts_with('#') {
            return None;
        }
        let mut cols: Vec<String> =
            l.trim_end_matches('\n').split('\t').map(String::from).collect();
        let (name, _) = plant_name(n);
        if n % 2 == 0 {
            cols[9] = name;
        } else {
            cols[21] = format!("1.2.3.4,{name}");
        }
        Some(cols.join("\t") + "\n")
    });
    let (_dir, path) = scratch("dns.log", copy.as_bytes());
    let out = enrich(&["--format", "zeek", "--field", "query,answers"], &path);
    let (ins, outs) = (lines(copy.as_bytes()), lines(&out));
    assert_eq!(ins.len(), outs.len());
    let zones = ZoneSet::embedded();
    let mut hits = 0;
    for (a, b) in ins.iter().zip(&outs) {
        let a = std::str::from_utf8(a).unwrap().trim_end_matches('\n');
        let b = std::str::from_utf8(b).unwrap().trim_end_matches('\n');
        if a.starts_with("#fields") || a.starts_with("#types") {
            assert_eq!(b.split('\t').count(), a.split('\t').count() + 5);
            continue;
        }
        if a.starts_with('#') {
            assert_eq!(a, b);
            continue;
        }
        assert!(b.starts_with(a) && b.as_bytes()[a.len()] == b'\t', "{a}");
        let added: Vec<&str> = b[a.len() + 1..].split('\t').collect();
        let cols: Vec<&str> = a.split('\t').collect();
        let values = std::iter::once(cols[9]).chain(cols[21].split(','));
        let want: Vec<String> = values.filter_map(|v| zone_of(&zones, v)).collect();
        assert_eq!(added[0], if want.is_empty() { "F" } else { "T" }, "{a}");
        if !want.is_empty() {
            assert_eq!(added[2], want.join(","), "{a}");
            hits += 1;
        } else {
            assert_eq!(&added[1..], ["-"; 4], "{a}");
        }
    }
    assert!(hits >= n && n > 50, "{hits} hits, {n} planted");
}

/// The btest baselines (a `###` first line, `#open XXXX…` with a space):
/// every line kept; http logs judge `host`.
#[test]
fn zeek_tsv_btest_baselines() {
    for (file, field) in [
        ("zeek_tsv_dns_zeek-testsuite_opt.basic.log", "query"),
        ("zeek_tsv_http_zeek-testsuite_opt.basic.log", "host"),
    ] {
        let Some(p) = real_log(file) else { return };
        let input = std::fs::read(&p).unwrap();
        let out = enrich(&["--format", "zeek", "--field", field], &p);
        let (ins, outs) = (lines(&input), lines(&out));
        assert_eq!(ins.len(), outs.len(), "{file}");
        assert!(ins[0].starts_with(b"###"));
        for (a, b) in ins.iter().zip(&outs) {
            let a = a.strip_suffix(b"\n").unwrap_or(a);
            assert!(b.starts_with(a), "{file}: {}", String::from_utf8_lossy(a));
        }
    }
}

/// Proxy and BIND lines are not JSON or TSV: `check --text` judges each
/// line; one row per line, in order, planted names found.
#[test]
fn proxy_and_bind_lines_through_check_text() {
    for (file, anchor, every) in [
        ("squid_access_elastic-integrations_sample_excerpt.log", "http://", 7),
        ("proxifier_loghub_Proxifier_2k.log", " - ", 50),
        ("infoblox_nios_bind_elastic-integrations_test-dns.log", "query: ", 2),
    ] {
        let Some(p) = real_log(file) else { return };
        let text = std::fs::read_to_string(&p).unwrap();
        let (copy, n) = planted(&text, every, |l, n| {
            let at = l.find(anchor)? + anchor.len();
            Some(format!("{}{} {}", &l[..at], plant_name(n).0.to_lowercase(), &l[at..]))
        });
        assert!(n > 3, "{file}");
        // Core tier: the text automaton over every zone costs seconds in a
        // debug build, and the planted zones are core.
        let o = process::run(
            bin().args(["check", "--no-local", "--text", "--tier", "core"]),
            copy.as_bytes(),
        );
        assert!(o.status.success());
        let mut r = csv::Reader::from_reader(&o.stdout[..]);
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), copy.lines().count(), "{file}");
        let found = rows.iter().filter(|r| &r[1] == "True").count();
        assert!(found >= n, "{file}: {found} of {n}");
    }
}

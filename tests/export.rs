//! `dynamicdns zones export`: every format through the real binary, parsed,
//! and its matching logic run on the policy table ([`POLICY`]) wherever it
//! can be emulated faithfully in Rust (KQL's regexes with an RE2-like
//! engine, the Painless scripts transliterated line by line and pinned to
//! the exported text, MISP's two hostname evaluations; Suricata, Zeek and
//! Sigma in `export_rules.rs`). The
//! real engines and parsers (Kusto.Language, duckdb-kql, Suricata 7,
//! zeekscript, pySigma, PyMISPWarningLists, a JVM) run in
//! `scripts/exports-check.sh`.

use std::collections::{HashMap, HashSet};

use dynamicdns_engine::export::{DataVersion, ELASTIC_CANDIDATES_SCRIPT, ELASTIC_VERDICT_SCRIPT};

use crate::util::policy::{hosts, Case, POLICY};
use crate::util::process::{self, bin};

/// The export's stdout; the run must succeed.
pub(crate) fn export(args: &[&str]) -> String {
    let mut a = vec!["zones", "export"];
    a.extend_from_slice(args);
    let o = process::run(bin().args(&a), b"");
    assert!(o.status.success(), "{a:?}: {}", process::stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// The lookup's rows (zone, provider, category, tier, sources) of a tier.
pub(crate) fn lookup_rows(core_only: bool) -> Vec<Vec<String>> {
    let text = crate::util::read("lookups/dynamic_dns_providers.csv");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|x| x.unwrap().iter().map(String::from).collect::<Vec<_>>())
        .filter(|row| !core_only || row[3] == "core")
        .collect()
}

/// What a matcher answered for one value: (is DDNS, zone, service host).
pub(crate) type Answer = (bool, String, bool);

/// Checks a matcher's answers on `cases`: DDNS and zone as the table says;
/// a service host is never DDNS.
pub(crate) fn assert_policy<'a>(
    what: &str,
    cases: impl Iterator<Item = &'a Case>,
    mut answer: impl FnMut(&str) -> Answer,
) {
    let mut n = 0;
    for c in cases {
        let (dyndns, zone, service) = answer(c.input);
        assert_eq!(dyndns, c.dyndns, "{what}: {:?}: isDynDNS", c.input);
        if c.dyndns {
            assert_eq!(zone, c.zone, "{what}: {:?}: zone", c.input);
        }
        if c.service {
            assert!(!dyndns && (service || zone.is_empty()), "{what}: {:?}", c.input);
        }
        n += 1;
    }
    assert!(n >= 15, "{what}: only {n} cases");
}

/// The table is what `dynamicdns check` answers (so each export's test is
/// held to the binary).
#[test]
fn policy_table_is_what_check_answers() {
    let inputs: Vec<&str> = POLICY.iter().map(|c| c.input).collect();
    let o = process::run(bin().arg("check").arg("--no-local").args(&inputs), b"");
    assert!(o.status.success());
    let mut r = csv::Reader::from_reader(&o.stdout[..]);
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), POLICY.len());
    for (c, row) in POLICY.iter().zip(&rows) {
        assert_eq!(&row[0], c.input);
        assert_eq!(&row[1] == "True", c.dyndns, "{:?}", c.input);
        assert_eq!(&row[3], c.zone, "{:?}", c.input);
        assert_eq!(&row[2], c.provider, "{:?}", c.input);
        assert_eq!(&row[4] == "provider-service", c.service, "{:?}", c.input);
    }
}

/// The data version names the lists the binary was built from: bump
/// `data/VERSION` with every change of a list.
#[test]
fn data_version_matches_the_lists() {
    let v = DataVersion::embedded();
    let (lookup, service) = DataVersion::recorded_sha256();
    assert_eq!(
        (v.lookup_sha256, v.service_sha256),
        (lookup, service),
        "lookups/ changed: bump `version` in data/VERSION and set its sha lines to these"
    );
    let json: serde_json::Value = serde_json::from_str(&export(&["--format", "json"])).unwrap();
    assert_eq!(json["data_version"], v.version);
    assert_eq!(json["lookup_sha256"], v.lookup_sha256);
}

#[test]
fn csv_is_the_lookup_filtered_by_tier() {
    for (tier, core) in [("all", false), ("core", true)] {
        let text = export(&["--format", "csv", "--tier", tier]);
        let lines: Vec<&str> = text.lines().take(5).collect();
        assert!(lines[..4].iter().all(|l| l.starts_with("# ")), "{lines:?}");
        assert!(lines[1].contains(DataVersion::embedded().version));
        let body: String = text.lines().skip(4).map(|l| format!("{l}\n")).collect();
        let mut r = csv::Reader::from_reader(body.as_bytes());
        assert_eq!(r.headers().unwrap(), vec!["zone", "provider", "category", "tier", "sources"]);
        let rows: Vec<Vec<String>> =
            r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect();
        assert_eq!(rows, lookup_rows(core), "{tier}");
    }
}

#[test]
fn json_holds_every_zone_and_service_host() {
    let v: serde_json::Value =
        serde_json::from_str(&export(&["--format", "json", "--tier", "core"])).unwrap();
    let zones = v["zones"].as_array().unwrap();
    let want = lookup_rows(true);
    assert_eq!(zones.len(), want.len());
    for (z, w) in zones.iter().zip(&want) {
        assert_eq!(z["zone"], w[0].as_str());
        assert_eq!(z["provider"], w[1].as_str());
        let sources: Vec<&str> =
            z["sources"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        assert_eq!(sources.join(";"), w[4]);
    }
    assert!(v["service_hosts"].as_array().unwrap().len() >= 50);
    assert_eq!(v["max_zone_labels"], 3);
    let licences: Vec<&str> =
        v["sources"].as_array().unwrap().iter().filter_map(|s| s["license"].as_str()).collect();
    assert!(licences.contains(&"MPL-2.0") && licences.contains(&"DRL-1.1"), "{licences:?}");
}

/// Same data, same bytes: two runs of every format agree.
#[test]
fn exports_are_deterministic() {
    for args in [
        &["--format", "kql"][..],
        &["--format", "sigma"],
        &["--format", "zeek"],
        &["--format", "misp", "--tier", "core"],
        &["--format", "elastic", "--tier", "core", "--part", "pipeline"],
        &["--format", "suricata", "--tier", "all", "--part", "rules"],
    ] {
        assert_eq!(export(args), export(args), "{args:?}");
    }
}

/// Usage errors: a part is needed, an artefact too large is refused, an
/// option of another format is refused.
#[test]
fn usage_errors_exit_2_with_the_commands() {
    for (args, want) in [
        (&["--format", "elastic"][..], "--part index > dynamicdns-index.json"),
        (&["--format", "kql", "--tier", "all"], "--kql-source watchlist"),
        (&["--format", "sigma", "--tier", "all"], "not offered"),
        (&["--format", "nope"], "the formats are kql, suricata"),
        (&["--format", "zeek", "--tier", "all", "--zeek-data", "inline"], "--zeek-data file"),
        (&["--format", "kql", "--part", "x"], "has no part \"x\""),
        (
            &["--format", "csv", "--suricata-mode", "dataset"],
            "--format csv does not take --suricata-mode",
        ),
    ] {
        let mut a = vec!["zones", "export"];
        a.extend_from_slice(args);
        let o = process::run(bin().args(&a), b"");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(process::stderr(&o).contains(want), "{args:?}: {}", process::stderr(&o));
    }
}

// ---------------------------------------------------------------- KQL

/// The regex of an `extract(@"…", 1, …)` call starting at `text[at..]`.
fn verbatim_after<'a>(text: &'a str, marker: &str) -> &'a str {
    let start = text.find(marker).unwrap_or_else(|| panic!("no {marker}")) + marker.len();
    let rest = &text[start..];
    &rest[..rest.find("\", ").unwrap()]
}

/// KQL: the query's own regexes (RE2 syntax, run with regex-lite, which
/// follows RE2's leftmost-first semantics), its datatable rows and service
/// host list, evaluated as the `lookup`s and `case()`s say.
#[test]
fn kql_matches_the_policy() {
    let q = export(&["--format", "kql"]);
    let host_re = regex_lite::Regex::new(verbatim_after(&q, "tolower(extract(@\"")).unwrap();
    let mut cands = Vec::new();
    for k in (2..=9).rev() {
        let marker = format!("DynDnsCandidate{k} = extract(@\"");
        if q.contains(&marker) {
            cands.push((k, regex_lite::Regex::new(verbatim_after(&q, &marker)).unwrap()));
        }
    }
    assert_eq!(cands.len(), 2, "zones have 2 or 3 labels today");
    let mut zones = HashMap::new();
    for line in q.lines().filter(|l| l.starts_with("    \"") && l.ends_with("\",")) {
        let cells: Vec<&str> =
            line.trim().trim_end_matches(',').split(", ").map(|c| c.trim_matches('"')).collect();
        zones.insert(cells[0].to_string(), cells[1].to_string());
    }
    assert_eq!(zones.len(), lookup_rows(true).len());
    let svc_line = q.lines().find(|l| l.starts_with("let DynamicDnsServiceHosts")).unwrap();
    let service: HashSet<&str> = svc_line.split('"').skip(1).step_by(2).collect();
    assert!(service.contains("checkip.dyndns.org"));
    assert_policy("kql", POLICY.iter(), |v| {
        let h = host_re
            .captures(v.trim())
            .and_then(|c| c.get(1))
            .map_or("", |m| m.as_str())
            .to_lowercase();
        let h = h.strip_suffix('.').unwrap_or(&h).to_string();
        for (_, re) in &cands {
            let c = re.captures(&h).and_then(|c| c.get(1)).map_or("", |m| m.as_str());
            if zones.contains_key(c) {
                let s = service.contains(h.as_str());
                return (!s, c.to_string(), s);
            }
        }
        (false, String::new(), false)
    });
}

// ---------------------------------------------------------------- MISP

/// MISP: the warninglist's entries are the zones with a leading dot, and
/// both of MISP's hostname evaluations behave as the README says:
/// PyMISPWarningLists (`value == e or value.endswith("." + e.lstrip("."))`)
/// matches strictly below, MISP core (`__evalHostname`: every suffix of
/// the host, the whole host included, against the entries with their dots
/// trimmed) also matches the apex; neither excludes service hosts.
#[test]
fn misp_warninglist_matches_as_documented() {
    let v: serde_json::Value =
        serde_json::from_str(&export(&["--format", "misp", "--tier", "core"])).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["description", "list", "matching_attributes", "name", "type", "version"]);
    assert_eq!(v["type"], "hostname");
    assert_eq!(u64::from(DataVersion::embedded().number()), v["version"].as_u64().unwrap());
    let list: Vec<&str> =
        v["list"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert_eq!(list.len(), lookup_rows(true).len());
    assert!(list.iter().all(|e| e.starts_with('.')) && list.windows(2).all(|w| w[0] < w[1]));
    let trimmed: HashSet<&str> = list.iter().map(|e| e.trim_matches('.')).collect();
    let pymisp = |value: &str| {
        list.iter()
            .any(|e| value == *e || value.ends_with(&format!(".{}", e.trim_start_matches('.'))))
    };
    let core = |value: &str| {
        let h = value.trim_end_matches('.');
        let parts: Vec<&str> = h.split('.').collect();
        (0..parts.len()).any(|i| trimmed.contains(parts[i..].join(".").as_str()))
    };
    assert_policy(
        "pymispwarninglists",
        hosts().filter(|c| {
            !c.service
                && c.input == c.input.to_lowercase()
                && !c.input.ends_with('.')
                && !c.input.starts_with('.')
                && !c.input.contains("..")
        }),
        |h| {
            let longest = list.iter().filter(|e| h.ends_with(*e)).max_by_key(|e| e.len());
            (pymisp(h), longest.map_or(String::new(), |e| e[1..].to_string()), false)
        },
    );
    assert!(pymisp("checkip.dyndns.org"), "service hosts match in MISP");
    assert!(core("duckdns.org") && !pymisp("duckdns.org"), "MISP core matches the apex");
    assert!(core("x.duckdns.org") && !core("myduckdns.org"));
}

// ------------------------------------------------------------- Elastic

/// Elastic: the pipeline holds exactly the scripts transliterated here;
/// candidates, an enrich emulation (exact lookup, hits in reverse order:
/// the order is not defined) and the verdict run on the policy table.
#[test]
fn elastic_pipeline_matches_the_policy() {
    let p: serde_json::Value = serde_json::from_str(&export(&[
        "--format", "elastic", "--tier", "core", "--part", "pipeline",
    ]))
    .unwrap();
    let procs = p["processors"].as_array().unwrap();
    assert_eq!(procs[0]["script"]["source"], ELASTIC_CANDIDATES_SCRIPT);
    assert_eq!(procs[2]["script"]["source"], ELASTIC_VERDICT_SCRIPT);
    assert_eq!(procs[1]["enrich"]["field"], "dynamicdns._candidates");
    let max = procs[0]["script"]["params"]["max_labels"].as_u64().unwrap() as usize;
    assert!(procs[1]["enrich"]["max_matches"].as_u64().unwrap() as usize >= max - 1);
    let service: Vec<&str> = procs[2]["script"]["params"]["service_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let bulk = export(&["--format", "elastic", "--tier", "core", "--part", "bulk"]);
    let lines: Vec<serde_json::Value> =
        bulk.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(bulk.ends_with('\n') && lines.len() == 2 * lookup_rows(true).len());
    let mut index = HashMap::new();
    for pair in lines.chunks(2) {
        assert_eq!(pair[0]["index"]["_id"], pair[1]["zone"]);
        index.insert(pair[1]["zone"].as_str().unwrap().to_string(), pair[1].clone());
    }
    for part in ["index", "policy"] {
        let v: serde_json::Value =
            serde_json::from_str(&export(&["--format", "elastic", "--part", part])).unwrap();
        assert!(v.is_object());
    }
    assert_policy("elastic", hosts(), |value| {
        // candidates.painless, statement by statement (the host field is given).
        let host = Some(value.trim()).filter(|h| !h.is_empty());
        let Some(host) = host else { return (false, String::new(), false) };
        let mut h = host.to_lowercase();
        if h.ends_with('.') {
            h.pop();
        }
        let mut cands = Vec::new();
        if !h.starts_with('.') && !h.contains("..") {
            let mut pos = h.rfind('.').map_or(-1, |p| p as i64);
            let mut labels = 1;
            while pos > 0 {
                let prev = h[..pos as usize].rfind('.').map_or(-1, |p| p as i64);
                labels += 1;
                if prev < 0 || labels > max {
                    break;
                }
                cands.push(h[prev as usize + 1..].to_string());
                pos = prev;
            }
        }
        // enrich: exact lookups; hits reversed.
        let mut matches: Vec<&serde_json::Value> =
            cands.iter().filter_map(|c| index.get(c)).collect();
        matches.reverse();
        // verdict.painless.
        let best = matches.iter().max_by_key(|m| m["zone"].as_str().unwrap().len());
        match best {
            None => (false, String::new(), false),
            Some(m) => {
                let svc = service.contains(&h.as_str());
                (!svc, m["zone"].as_str().unwrap().to_string(), svc)
            }
        }
    });
}

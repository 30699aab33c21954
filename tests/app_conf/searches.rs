//! The ES correlation searches: schedule, detection metadata, risk and
//! notable actions, drilldowns, the risk scheme and the analytic story.

use std::collections::BTreeSet;

use serde_json::Value;

use super::spl::macros;
use crate::util::conf::{default_conf as conf, Conf, Stanza};
use crate::util::read;

// ---------------------------------------------------------------------------
// Correlation searches

fn json(s: &Stanza, key: &str) -> Value {
    serde_json::from_str(s.req(key)).unwrap_or_else(|e| panic!("{key} is not JSON: {e}"))
}

/// The saved searches that are ES correlation searches (all but the
/// first-seen baseline).
fn correlation_searches(saved: &Conf) -> Vec<(&String, &Stanza)> {
    saved
        .stanzas
        .iter()
        .filter(|(_, s)| s.get("action.correlationsearch.enabled").is_some())
        .map(|(n, s)| (n, s))
        .collect()
}

/// How many correlation searches judge the names seen (DNS by host and by
/// client, Web, Sysmon).
const ZONE_SEARCHES: usize = 4;

/// The correlation searches that look beyond one name's zone, scored by
/// `dynamicdns_signal_risk_score`.
pub(super) const SIGNAL_SEARCHES: &[&str] = &[
    "Dynamic DNS - DDNS Update Client - Rule",
    "Dynamic DNS - Delegated to Dynamic DNS Name Servers - Rule",
    "Dynamic DNS - Many Dynamic DNS Names on One Address - Rule",
];

/// The flat score of `dynamicdns_signal_risk_score` (`eval risk_score=N`).
fn signal_risk_score() -> u64 {
    let def = &macros()["dynamicdns_signal_risk_score"];
    let n = def.strip_prefix("eval risk_score=").expect(def).parse().expect(def);
    assert!((41..=60).contains(&n), "{n}: medium, as contentctl ranks scores");
    n
}

/// `xxxxxxxx-xxxx-Mxxx-Nxxx-xxxxxxxxxxxx`, lower-case hex.
fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

#[test]
fn correlation_searches_are_scheduled_disabled_and_complete() {
    let saved = conf("savedsearches.conf");
    let corr = correlation_searches(&saved);
    assert_eq!(corr.len(), ZONE_SEARCHES + SIGNAL_SEARCHES.len());
    let signal_score = signal_risk_score();
    let mut sources = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for (name, s) in &saved.stanzas {
        // Every saved search (the baseline too) ships disabled, scheduled at
        // most hourly, bounded in time, not real-time (AppInspect).
        let ctx = format!("[{name}]");
        assert!(name.starts_with("Dynamic DNS - "), "{ctx}: the Health view finds it by name");
        assert_eq!(s.req("disabled"), "1", "{ctx} ships disabled");
        assert_eq!(s.req("enableSched"), "1", "{ctx} is scheduled");
        let cron: Vec<&str> = s.req("cron_schedule").split_whitespace().collect();
        assert_eq!(cron.len(), 5, "{ctx}: cron");
        assert!(cron[0].parse::<u8>().is_ok(), "{ctx}: at most once an hour");
        let earliest = s.req("dispatch.earliest_time");
        let latest = s.req("dispatch.latest_time");
        assert!(!earliest.starts_with("rt") && !latest.starts_with("rt"), "{ctx}: not real-time");
        assert!(earliest.starts_with('-') && latest.starts_with('-'), "{ctx}: bounded");
        assert_eq!(s.req("realtime_schedule"), "0");
    }
    for (name, s) in corr {
        let ctx = format!("[{name}]");
        // The searches beyond one name's zone score flat; the others by
        // the zones' category and tier.
        let signal = SIGNAL_SEARCHES.contains(&name.as_str());
        assert!(name.ends_with(" - Rule"), "{ctx}: ES naming");
        assert_eq!(s.req("action.correlationsearch.enabled"), "1");
        assert_eq!(s.req("action.correlationsearch.label"), name);
        // ES 8: event-based detection, stable id and version.
        assert_eq!(s.req("action.correlationsearch.detection_type"), "ebd", "{ctx}");
        let meta = json(s, "action.correlationsearch.metadata");
        let id = meta["detection_id"].as_str().expect("detection_id");
        assert!(is_uuid(id), "{ctx}: detection_id {id} is a UUID");
        assert!(ids.insert(id.to_string()), "{ctx}: detection_id {id} is unique");
        let version = meta["detection_version"].as_str().expect("detection_version (a string)");
        assert!(version.parse::<u32>().is_ok_and(|v| v >= 1), "{ctx}: version {version}");
        assert_eq!(meta["deprecated"], "0", "{ctx}");
        assert!(meta["publish_time"].as_f64().is_some_and(|t| t > 1.7e9), "{ctx}: publish_time");
        // Annotations in contentctl's current shape: no confidence/impact.
        let ann = json(s, "action.correlationsearch.annotations");
        assert!(ann.get("confidence").is_none() && ann.get("impact").is_none(), "{ctx}");
        assert_eq!(ann["type"], "TTP", "{ctx}");
        assert_eq!(ann["type_list"], serde_json::json!(["TTP"]), "{ctx}");
        assert!(ann["data_source"].as_array().is_some_and(|a| !a.is_empty()), "{ctx}");
        let stories: Vec<&str> = ann["analytic_story"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            stories.contains(&STORY) && stories.contains(&"Dynamic DNS"),
            "{ctx}: {stories:?}"
        );
        let mitre: Vec<&str> =
            ann["mitre_attack"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for t in ["T1568", "T1568.002", "T1189"] {
            assert!(mitre.contains(&t), "{ctx}: MITRE {t}");
        }
        // Risk: one system object, the default score 56 (the result's
        // risk_score field, set by `dynamicdns_risk_score`, takes precedence);
        // the signal searches' static score is their macro's.
        assert_eq!(s.req("action.risk"), "1");
        let risk = json(s, "action.risk.param._risk");
        let object = &risk[0];
        assert_eq!(object["risk_score"], if signal { signal_score } else { 56 }, "{ctx}");
        assert_eq!(object["risk_object_type"], "system", "{ctx}");
        let risk_field = object["risk_object_field"].as_str().unwrap();
        assert!(["host", "src", "answer"].contains(&risk_field));
        let threat = if name.contains("Update Client") { "ddns_name" } else { "query" };
        assert!(risk.as_array().unwrap().iter().any(|o| o["threat_object_field"] == threat));
        // The notable (ES 8: finding) names the same entity, score 0 (the
        // risk comes from the risk action only).
        assert_eq!(s.req("action.notable"), "1");
        let entities = json(s, "action.notable.param._entities");
        assert_eq!(entities.as_array().unwrap().len(), 1, "{ctx}");
        assert_eq!(entities[0]["risk_object_field"], risk_field, "{ctx}");
        assert_eq!(entities[0]["risk_object_type"], "system", "{ctx}");
        assert_eq!(entities[0]["risk_score"], 0, "{ctx}");
        let token = format!("${risk_field}$");
        let title = s.req("action.notable.param.rule_title");
        let desc = s.req("action.notable.param.rule_description");
        // (The fan-in title names the address and how many names: the
        // names themselves are a list.)
        let named = if name.contains("One Address") { "ddns_names" } else { threat };
        assert!(title.contains(&format!("${named}$")), "{ctx}: title names ${named}$");
        assert!(title.contains(&token) || desc.contains(&token), "{ctx}: names {token}");
        for field in ["$dyndns_zone$", "$provider$", "$dyndns_category$", "$dyndns_tier$"] {
            assert!(desc.contains(field), "{ctx}: description names {field}");
        }
        assert!(["network", "endpoint"].contains(&s.req("action.notable.param.security_domain")));
        assert_eq!(s.req("action.notable.param.severity"), "medium", "{ctx}: 41-60 is medium");
        assert_eq!(s.req("alert.suppress.fields"), s.req("action.notable.param.nes_fields"));
        assert!(s.req("alert.suppress.fields").starts_with(risk_field), "{ctx}: suppression");
        // Drilldowns: the ES 7 single form, and the list with the risk
        // events of the risk object over 7 days.
        // Between them, the detection's own results for the object (what
        // contentctl writes for `%original_detection_search%`).
        let drill = json(s, "action.notable.param.drilldown_searches");
        let drill = drill.as_array().unwrap();
        assert_eq!(drill.len(), 3, "{ctx}");
        assert_eq!(drill[0]["name"], s.req("action.notable.param.drilldown_name"));
        assert_eq!(drill[0]["search"], s.req("action.notable.param.drilldown_search"));
        let own = drill[1]["search"].as_str().unwrap();
        let one_line = s.req("search").split_whitespace().collect::<Vec<_>>().join(" ");
        let own_search = own.split_whitespace().collect::<Vec<_>>().join(" ");
        let rest = own_search.strip_prefix(&one_line).unwrap_or_else(|| panic!("{ctx}: {own}"));
        assert!(rest.starts_with(" | search ") && rest.contains(&token), "{ctx}: {rest}");
        let risk_drill = drill[2]["search"].as_str().unwrap();
        assert!(risk_drill.starts_with("index=risk "), "{ctx}: {risk_drill}");
        assert!(risk_drill.contains(&format!("risk_object=\"{token}\"")), "{ctx}: {risk_drill}");
        assert!(drill[2]["name"].as_str().unwrap().contains(&token));
        for d in drill {
            assert_eq!(d["earliest_offset"], "$info_min_time$");
            assert_eq!(d["latest_offset"], "$info_max_time$");
        }
        let search = s.req("search");
        assert!(search.contains("dynamicdns"), "{ctx}");
        if signal {
            assert!(search.contains("| `dynamicdns_signal_risk_score`"), "{ctx}: scored");
        } else {
            assert!(search.contains("isDynDNS=True"), "{ctx}");
            let scored = search.find("| `dynamicdns_risk_score`").expect("risk by category");
            assert!(scored > search.find("isDynDNS=True").unwrap(), "{ctx}: scores the hits");
            assert!(search.contains("query"), "{ctx}: the search produces query");
        }
        assert!(search.contains("`dynamicdns_allowlist`"), "{ctx}: tuning macro");
        if signal {
            continue;
        }
        sources.insert(if search.contains("datamodel=Network_Resolution") {
            "dns"
        } else if search.contains("datamodel=Web") {
            "web"
        } else if search.contains("EventCode=22") {
            "sysmon"
        } else {
            "other"
        });
    }
    assert_eq!(sources.into_iter().collect::<Vec<_>>(), ["dns", "sysmon", "web"]);
    // (1) is the ESCU v5 detection rebuilt.
    let escu = saved.req("Dynamic DNS - Host Resolved Dynamic DNS Domain - Rule").req("search");
    assert!(escu.contains(
        "values(DNS.answer) as answer from datamodel=Network_Resolution by DNS.query host"
    ));
    assert!(escu.contains("| dynamicdns field=query,answer"));
    assert!(!saved
        .req("Dynamic DNS - Sysmon DNS Query for Dynamic DNS Domain - Rule")
        .req("search")
        .contains("datamodel"));
}

#[test]
fn one_detection_is_shaped_like_escu_v11() {
    // ESCU v11 (2026-03-10) groups by the querying client, DNS.src, and by
    // answer, counts, reply code and vendor, skipping "-" and "unknown".
    let saved = conf("savedsearches.conf");
    let s = saved.req("Dynamic DNS - Client Resolved Dynamic DNS Domain - Rule");
    let search = s.req("search");
    assert!(search.contains("where DNS.query=* NOT DNS.query IN (\"-\", \"unknown\")"));
    let by = search.split(" by ").nth(1).unwrap().lines().next().unwrap();
    let fields: BTreeSet<&str> = by.split_whitespace().filter(|w| *w != "\\").collect();
    let v11: BTreeSet<&str> = [
        "DNS.answer",
        "DNS.answer_count",
        "DNS.query",
        "DNS.query_count",
        "DNS.reply_code_id",
        "DNS.src",
        "DNS.vendor_product",
    ]
    .into();
    assert_eq!(fields, v11, "ESCU v11's by-clause");
    assert_eq!(json(s, "action.risk.param._risk")[0]["risk_object_field"], "src");
    assert!(search.contains("| dynamicdns field=query,answer"));
}

/// The score table of `dynamicdns_risk_score`: (category, tier, score).
const RISK_SCHEME: &[(&str, &str, u32)] = &[
    ("ddns", "core", 56),
    ("ddns", "extended", 40),
    ("vendor-ddns", "core", 32),
    ("vendor-ddns", "extended", 24),
    ("vpn-vendor", "core", 16),
    ("vpn-vendor", "extended", 12),
];

#[test]
fn risk_is_scored_by_category_and_documented() {
    let macros = macros();
    let def = &macros["dynamicdns_risk_score"];
    for (category, tier, score) in RISK_SCHEME {
        let clause = if *tier == "core" {
            format!("dyndns_risk_category=\"{category}\" AND dyndns_risk_tier=\"core\", {score}")
        } else {
            format!("dyndns_risk_category=\"{category}\", {score}")
        };
        assert!(def.contains(&clause), "dynamicdns_risk_score scores {category}/{tier} {score}");
    }
    // Free DDNS > vendor DDNS > VPN vendors; extended-only below core.
    for pair in RISK_SCHEME.windows(2) {
        assert!(pair[0].2 > pair[1].2, "{pair:?}");
    }
    // The providers' own service hosts never raise a notable or risk event.
    assert!(def.contains("true(), \"provider-service\")"));
    assert!(def.contains("true(), 0) | where risk_score > 0"));
    // Without categories (an older binary), the old flat 56.
    assert!(def.starts_with("eval dyndns_risk_category=case(isnull(dyndns_category), \"ddns\""));
    // The README documents the same table and the Incident Review fields.
    let readme = read("app/README.md");
    for (category, tier, score) in RISK_SCHEME {
        let row = format!("| `{category}` | `{tier}` | {score} |");
        assert!(readme.contains(&row), "app/README.md has the row {row}");
    }
    for field in ["dyndns_category", "dyndns_tier", "risk_score"] {
        assert!(readme.contains(&format!("| `{field}` |")), "Incident Review field {field}");
    }
}

/// Our analytic story (not ESCU's "Dynamic DNS", see analyticstories.conf).
const STORY: &str = "Dynamic DNS (dynamicdns)";

#[test]
fn the_analytic_story_names_the_detections() {
    let stories = conf("analyticstories.conf");
    let saved = conf("savedsearches.conf");
    let corr: BTreeSet<&str> =
        correlation_searches(&saved).iter().map(|(n, _)| n.as_str()).collect();
    let story = stories.req(&format!("analytic_story://{STORY}"));
    assert_eq!(story.req("spec_version"), "3");
    for key in ["references", "maintainers"] {
        assert!(json(story, key).is_array(), "{key} is a JSON list");
    }
    let searches = json(story, "searches");
    let listed: BTreeSet<&str> =
        searches.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(listed, corr, "the story lists exactly the correlation searches");
    let mut detailed = BTreeSet::new();
    for (name, s) in &stories.stanzas {
        if let Some(search) = name.strip_prefix("savedsearch://") {
            assert!(corr.contains(search), "[{name}] names an existing correlation search");
            assert_eq!(s.req("type"), "detection");
            let ann = json(s, "annotations");
            let conf_ann = json(saved.req(search), "action.correlationsearch.annotations");
            assert_eq!(ann["mitre_attack"], conf_ann["mitre_attack"], "[{name}]");
            assert!(json(s, "providing_technologies").is_array());
            detailed.insert(search);
        } else {
            assert!(name.starts_with("analytic_story://"), "[{name}]");
        }
    }
    assert_eq!(detailed, corr, "every correlation search has its [savedsearch://] stanza");
}

/// The verdict of each value as `dynamicdns check --no-local` gives it:
/// (isDynDNS, dyndns_category), in input order.
pub(super) fn check(values: &[&str]) -> Vec<(bool, String)> {
    let mut cmd = crate::util::process::bin();
    cmd.args(["check", "--no-local"]).args(values);
    let out = crate::util::process::run(&mut cmd, b"");
    assert!(out.status.success(), "{}", crate::util::process::stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let rows: Vec<(bool, String)> = rows
        .records()
        .map(|r| {
            let r = r.unwrap();
            (&r[1] == "True", r[4].to_string())
        })
        .collect();
    assert_eq!(rows.len(), values.len());
    rows
}

/// The quoted string arguments of the first `call(` in `spl`
/// (`in(dest, "null", "-")` → `["null", "-"]`).
pub(super) fn string_args<'a>(spl: &'a str, call: &str) -> Vec<&'a str> {
    let start = spl.find(call).unwrap_or_else(|| panic!("{call} in {spl}")) + call.len();
    let args = &spl[start..start + spl[start..].find(')').unwrap()];
    args.split('"').skip(1).step_by(2).collect()
}

/// The Web search judges dest and each URL's host on its own and names the
/// dynamic DNS one; a dest tstats filled with "null" counts as missing.
/// The search's own URL-host regex and null list are run here, with the
/// binary's verdicts, on the cases the conf review raised.
#[test]
fn the_web_search_names_the_dynamic_dns_host_and_a_filled_null_is_missing() {
    let saved = conf("savedsearches.conf");
    let s = saved.req("Dynamic DNS - Web Traffic to Dynamic DNS Host - Rule");
    let search = s.req("search");
    // tstats fills a missing by-field with the string "null".
    assert!(macros()["dynamicdns_summariesonly"].contains("fillnull_value=null"));
    let nulls = string_args(search, "eval dest=if(in(dest, ");
    assert!(nulls.contains(&"null") && nulls.contains(&""), "{nulls:?}");
    // Each host judged alone: the candidates are expanded before the verdict.
    let order = ["eval dest=if(in(dest,", "| mvexpand query", "| dynamicdns field=query "];
    let at: Vec<usize> = order.iter().map(|n| search.find(n).expect(n)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{order:?} in order");
    assert!(!search.contains("field=dest,url"), "one verdict for dest and URL names neither");
    // The URL-host regex (both uses the same), run as the search runs it.
    let re_text: Vec<&str> = search
        .split("replace(url, \"")
        .skip(1)
        .map(|r| &r[..r.find("\", \"\\1\")").unwrap()])
        .collect();
    assert_eq!(re_text.len(), 2);
    assert_eq!(re_text[0], re_text[1]);
    let re = regex_lite::Regex::new(re_text[0]).unwrap();
    let host = |url: &str| re.replace(url, "$1").to_ascii_lowercase();
    for (url, want) in [
        ("http://u:p@X.DuckDNS.org:8080/a?b=c", "x.duckdns.org"),
        ("y.ddns.net/path", "y.ddns.net"),
        ("/index.html", ""),
        ("https://www.example.com#f", "www.example.com"),
    ] {
        assert_eq!(host(url), want, "{url}");
    }
    // (dest, urls) → the hosts the search names.
    let named = |dest: &str, urls: &[&str]| -> Vec<String> {
        let mut cand: Vec<String> = Vec::new();
        if !nulls.contains(&dest) {
            cand.push(dest.to_ascii_lowercase());
        }
        for u in urls {
            let h = host(u);
            if !cand.contains(&h) {
                cand.push(h);
            }
        }
        let values: Vec<&str> = cand.iter().map(String::as_str).collect();
        let verdicts = check(&values);
        cand.into_iter().zip(verdicts).filter(|(_, v)| v.0).map(|(c, _)| c).collect()
    };
    assert_eq!(named("null", &["http://x.duckdns.org/p"]), ["x.duckdns.org"]);
    assert_eq!(named("proxy.corp.example", &["http://y.ddns.net/"]), ["y.ddns.net"]);
    assert_eq!(named("Z.duckdns.org", &["/index.html"]), ["z.duckdns.org"]);
    assert!(named("null", &["http://www.example.com/"]).is_empty());
    assert!(named("www.duckdns.org", &["https://www.duckdns.org/update?domains=a"]).is_empty());
    // Titles, suppression and drilldowns name query (the dynamic DNS host),
    // never dest (which may be a proxy, an address or "null").
    assert_eq!(s.req("alert.suppress.fields"), "src,query");
    for key in ["rule_title", "drilldown_name", "drilldown_search", "drilldown_searches"] {
        let v = s.req(&format!("action.notable.param.{key}"));
        assert!(!v.contains("$dest$"), "{key}: {v}");
        assert!(v.contains("$query$"), "{key}: {v}");
    }
}

/// The two DNS searches judge the query alone first, so a notable says
/// whether the query itself or only an answer (a CNAME target) is dynamic
/// DNS: a custom domain aliased into a DDNS zone is not called a dynamic
/// DNS name in the title without saying so.
#[test]
fn the_dns_searches_say_whether_the_query_or_an_answer_matched() {
    let saved = conf("savedsearches.conf");
    for name in [
        "Dynamic DNS - Host Resolved Dynamic DNS Domain - Rule",
        "Dynamic DNS - Client Resolved Dynamic DNS Domain - Rule",
    ] {
        let s = saved.req(name);
        let search = s.req("search");
        let via = "| eval dyndns_via=if(isDynDNS=\"True\", \"query\", \"answer\")";
        let order = ["| dynamicdns field=query ", via, "| dynamicdns field=query,answer"];
        let at: Vec<usize> = order.iter().map(|n| search.find(n).expect(n)).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "[{name}]: {order:?} in order");
        for key in ["rule_title", "rule_description"] {
            let v = s.req(&format!("action.notable.param.{key}"));
            assert!(v.contains("$dyndns_via$"), "[{name}] {key}: {v}");
        }
        assert!(s.req("action.risk.param._risk_message").contains("$dyndns_via$"));
    }
    // What the two verdicts give on a CNAME into No-IP and a DDNS query.
    let v = check(&["home.example-corp.com", "home-corp.servebeer.com", "x.duckdns.org"]);
    assert_eq!((v[0].0, v[1].0, v[2].0), (false, true, true));
}

/// Every correlation search has its contentctl YAML in `detections/`
/// (named as contentctl names files: the snake-cased name), with the same
/// id and version. scripts/detections.sh generates savedsearches.conf from
/// the YAML and fails when the committed file differs; this catches a conf
/// edited by hand without Python.
#[test]
fn every_correlation_search_has_its_contentctl_yaml() {
    let saved = conf("savedsearches.conf");
    let dir = crate::util::root().join("detections/detections");
    let mut yaml = Vec::new();
    for sub in std::fs::read_dir(&dir).unwrap() {
        for f in std::fs::read_dir(sub.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            yaml.push((
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
    let corr = correlation_searches(&saved);
    assert_eq!(yaml.len(), corr.len(), "one YAML file per correlation search");
    for (name, s) in corr {
        let short = name.strip_prefix("Dynamic DNS - ").unwrap().strip_suffix(" - Rule").unwrap();
        let file: String = short
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
            .collect::<String>()
            + ".yml";
        let (_, text) =
            yaml.iter().find(|(f, _)| *f == file).unwrap_or_else(|| panic!("[{name}]: no {file}"));
        let meta = json(s, "action.correlationsearch.metadata");
        assert!(text.starts_with(&format!("name: {short}\n")), "{file}");
        assert!(
            text.contains(&format!("\nid: {}\n", meta["detection_id"].as_str().unwrap())),
            "{file}: id"
        );
        let version = meta["detection_version"].as_str().unwrap();
        assert!(text.contains(&format!("\nversion: {version}\n")), "{file}: version {version}");
    }
}

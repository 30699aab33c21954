//! The three correlation searches beyond one name's zone, exercised without
//! Splunk on the real logs in `../shared/data/real_logs/` with planted
//! events: the search's own regular expressions, null list and threshold
//! are read from `savedsearches.conf`/`macros.conf`, the verdicts come from
//! the binary (`check`, and `enrich` over the planted copy), and a small
//! evaluator plays the tstats/stats/where steps. Each fires on its planted
//! events, with the device, name and address the notable would name, and
//! on nothing in the untouched logs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::searches::string_args;
use super::spl::macros;
use crate::enrich_formats::real_log;
use crate::util::conf::default_conf as conf;
use crate::util::process::{bin, run, stderr};

/// What the binary says of one value.
#[derive(Clone, Debug, Default)]
struct Verdict {
    dyndns: bool,
    provider: String,
    zone: String,
    category: String,
}

/// The verdict of each value (`dynamicdns check --no-local`, stdin lines).
fn verdicts<'a>(values: impl IntoIterator<Item = &'a String>) -> HashMap<String, Verdict> {
    let values: Vec<&String> = values.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
    let input: String = values.iter().map(|v| format!("{v}\n")).collect();
    let out = run(bin().args(["check", "--no-local"]), input.as_bytes());
    assert!(out.status.success(), "{}", stderr(&out));
    let mut rows = csv::Reader::from_reader(&out.stdout[..]);
    let got: Vec<Verdict> = rows
        .records()
        .map(|r| {
            let r = r.unwrap();
            Verdict {
                dyndns: &r[1] == "True",
                provider: r[2].to_string(),
                zone: r[3].to_string(),
                category: r[4].to_string(),
            }
        })
        .collect();
    assert_eq!(got.len(), values.len());
    values.into_iter().cloned().zip(got).collect()
}

/// The search text of a correlation search.
fn search(name: &str) -> String {
    conf("savedsearches.conf")
        .req(&format!("Dynamic DNS - {name} - Rule"))
        .req("search")
        .to_string()
}

/// The SPL string literal that follows `prefix` (which ends with `"`) in
/// `spl`, unescaped (`\"` and `\\`), as a regex for the evaluator.
fn literal(spl: &str, prefix: &str) -> regex_lite::Regex {
    let start =
        spl.find(prefix).unwrap_or_else(|| panic!("{prefix:?} in the search")) + prefix.len();
    let (mut out, mut chars) = (String::new(), spl[start..].chars());
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n @ ('"' | '\\')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => break,
            },
            '"' => break,
            c => out.push(c),
        }
    }
    regex_lite::Regex::new(&out).unwrap_or_else(|e| panic!("{out}: {e}"))
}

/// The lines of a real log with `planted` lines inserted after every
/// `every`-th line (so they sit among the real ones, not at one end).
fn plant(text: &str, planted: &[String]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let every = (lines.len() / (planted.len() + 1)).max(1);
    let mut out = String::new();
    let mut next = planted.iter();
    for (i, l) in lines.iter().enumerate() {
        out.push_str(l);
        out.push('\n');
        if (i + 1) % every == 0 && !l.starts_with('#') {
            if let Some(p) = next.next() {
                out.push_str(p);
                out.push('\n');
            }
        }
    }
    for p in next {
        out.push_str(p);
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------
// DDNS Update Client (Web)

/// A Web data model row: (src, dest, url).
type WebRow = (String, String, String);

/// Squid access log → Web rows (client, method, URL: fields 3, 6, 7; dest
/// is the URL's host, as the Squid add-on maps it).
fn squid_rows(text: &str, host: &dyn Fn(&str) -> String) -> Vec<WebRow> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 7).then(|| (f[2].to_string(), host(f[6]), f[6].to_string()))
        })
        .collect()
}

/// Zeek http JSON → Web rows (id_orig_h, host, http://host/uri).
fn zeek_http_rows(text: &str) -> Vec<WebRow> {
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let (host, uri) = (v["host"].as_str().unwrap_or(""), v["uri"].as_str().unwrap_or(""));
            (
                v["id_orig_h"].as_str().unwrap().to_string(),
                host.to_string(),
                format!("http://{host}{uri}"),
            )
        })
        .collect()
}

/// The DDNS Update Client search played over Web rows: (src, update host,
/// published name) of each result.
fn update_clients(rows: &[WebRow]) -> BTreeSet<(String, String, String)> {
    let spl = search("DDNS Update Client");
    let url_host = literal(&spl, "lower(replace(url, \"");
    let looks_like_update = literal(&spl, "\"api\") AND match(url, \"");
    let update_path = literal(&spl, ")) OR match(url, \"");
    let prefilter_path = literal(&spl, "OR isnotnull(mvfind(url, \"");
    let name_rex = literal(&spl, "| rex field=url \"");
    let nulls = string_args(&spl, "if(in(dest, ");
    let roles = string_args(&spl, "where (in(update_role, ");
    // The dynamicdns_service_hosts lookup: host → (role, provider).
    let mut service = HashMap::new();
    for r in
        csv::Reader::from_path(crate::util::root().join("lookups/dynamic_dns_service_hosts.csv"))
            .unwrap()
            .records()
    {
        let r = r.unwrap();
        service.insert(r[0].to_ascii_lowercase(), r[3].to_string());
    }
    let v = verdicts(rows.iter().flat_map(|(_, d, u)| [d, u]));
    let service_cat = |x: &str| v[x].category.split(',').any(|c| c == "provider-service");
    let mut out = BTreeSet::new();
    // tstats by src dest, values(url): the prefilter judges dest and urls
    // together; then one row per URL.
    let mut groups: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for (s, d, u) in rows {
        groups.entry((s, d)).or_default().push(u);
    }
    for ((src, dest), urls) in groups {
        let any =
            service_cat(dest) || urls.iter().any(|u| service_cat(u) || prefilter_path.is_match(u));
        if !any {
            continue;
        }
        for url in urls {
            let from_url = url_host.replace(url, "$1").to_ascii_lowercase();
            let update_host = if !from_url.is_empty() {
                from_url
            } else if nulls.contains(&dest) {
                continue;
            } else {
                dest.to_ascii_lowercase()
            };
            let role = service.get(&update_host).map(String::as_str).unwrap_or("");
            let by_host = roles.contains(&role) && looks_like_update.is_match(url);
            if !(by_host || update_path.is_match(url)) {
                continue;
            }
            let name = name_rex
                .captures(url)
                .and_then(|c| c.name("ddns_name"))
                .map_or("unknown".to_string(), |m| m.as_str().to_ascii_lowercase());
            for n in name.split(',') {
                out.insert((src.to_string(), update_host.clone(), n.to_string()));
            }
        }
    }
    out
}

#[test]
fn ddns_update_client_finds_planted_updates_in_real_web_logs_and_nothing_else() {
    let (Some(squid), Some(zeek)) = (
        real_log("squid_access_elastic-integrations_sample_excerpt.log"),
        real_log("zeek_json_http_otrf_apt29_day1_SCRANTON.log"),
    ) else {
        return;
    };
    let spl = search("DDNS Update Client");
    let url_host = literal(&spl, "lower(replace(url, \"");
    let host = |u: &str| url_host.replace(u, "$1").to_string();
    let squid = std::fs::read_to_string(squid).unwrap();
    let zeek = std::fs::read_to_string(zeek).unwrap();
    let untouched: Vec<WebRow> =
        squid_rows(&squid, &host).into_iter().chain(zeek_http_rows(&zeek)).collect();
    assert!(untouched.len() > 100, "{}", untouched.len());
    assert_eq!(update_clients(&untouched), BTreeSet::new(), "no update client in the real logs");

    let sq = |src: &str, url: &str| {
        format!("1157689400.000    120 {src} TCP_MISS/200 312 GET {url} - DIRECT/198.51.100.7 text/plain")
    };
    let planted_squid = [
        // dyndns2 through No-IP's update host, with credentials in the URL.
        sq("10.105.21.50", "http://user:pw@dynupdate.no-ip.com/nic/update?hostname=cam01.ddns.net&myip=203.0.113.9"),
        // DuckDNS's own API: an update host, the name in domains=.
        sq("10.105.21.51", "https://www.duckdns.org/update?domains=nas-home&token=t0k3n&ip="),
        // A custom domain kept by a registrar's dyndns2 endpoint: the path
        // family names it though no zone list holds example-corp.com.
        sq("10.105.21.52", "https://dyn.example-registrar.net/nic/update?hostname=vpn.example-corp.com&myip=203.0.113.10"),
        // Not updates: DuckDNS's home page and a check-IP call.
        sq("10.105.21.53", "https://www.duckdns.org/"),
        sq("10.105.21.54", "http://checkip.dyndns.com/"),
    ];
    let planted_zeek = [
        r#"{"ts":1588206800.0,"id_orig_h":"10.0.1.77","id_resp_h":"198.51.100.8","method":"GET","host":"api.dynu.com","uri":"/nic/update?hostname=relay.freeddns.org&myip=203.0.113.11","user_agent":"inadyn/2.12.0 https://github.com/troglobit/inadyn/issues"}"#.to_string(),
    ];
    let squid_planted = plant(&squid, &planted_squid);
    let zeek_planted = plant(&zeek, &planted_zeek);
    // The binary over the planted copy: every line comes out, in order.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("http.log");
    std::fs::write(&path, &zeek_planted).unwrap();
    let out = run(
        bin().args(["enrich", "--no-local", "--format", "jsonl", "--field", "host"]).arg(&path),
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let enriched = String::from_utf8(out.stdout).unwrap();
    assert_eq!(enriched.lines().count(), zeek_planted.lines().count());
    let dynu = enriched.lines().find(|l| l.contains("api.dynu.com")).unwrap();
    assert!(dynu.contains(r#""dyndns_category":["provider-service"]"#), "{dynu}");

    let rows: Vec<WebRow> = squid_rows(&squid_planted, &host)
        .into_iter()
        .chain(zeek_http_rows(&zeek_planted))
        .collect();
    let found = update_clients(&rows);
    let want: BTreeSet<(String, String, String)> = [
        ("10.105.21.50", "dynupdate.no-ip.com", "cam01.ddns.net"),
        ("10.105.21.51", "www.duckdns.org", "nas-home"),
        ("10.105.21.52", "dyn.example-registrar.net", "vpn.example-corp.com"),
        ("10.0.1.77", "api.dynu.com", "relay.freeddns.org"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(found, want);
}

// ---------------------------------------------------------------------------
// Network_Resolution: delegation and fan-in

/// A Network_Resolution row: (src, query, answer).
type DnsRow = (String, String, String);

/// Zeek DNS JSON → one row per answer.
fn zeek_dns_json_rows(text: &str) -> Vec<DnsRow> {
    let mut out = Vec::new();
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let (src, query) = (v["id_orig_h"].as_str().unwrap(), v["query"].as_str().unwrap_or("-"));
        for a in v["answers"].as_array().into_iter().flatten() {
            out.push((src.to_string(), query.to_string(), a.as_str().unwrap().to_string()));
        }
    }
    out
}

/// Zeek DNS TSV → one row per answer (answers comma-separated).
fn zeek_dns_tsv_rows(text: &str) -> Vec<DnsRow> {
    let fields: Vec<&str> =
        text.lines().find(|l| l.starts_with("#fields")).unwrap().split('\t').skip(1).collect();
    let col = |n: &str| fields.iter().position(|f| *f == n).unwrap();
    let (src, query, answers) = (col("id.orig_h"), col("query"), col("answers"));
    let mut out = Vec::new();
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = l.split('\t').collect();
        if f[answers] == "-" {
            continue;
        }
        for a in f[answers].split(',') {
            out.push((f[src].to_string(), f[query].to_string(), a.to_string()));
        }
    }
    out
}

/// The untouched DNS logs with answers, as rows.
fn real_dns_rows() -> Option<(String, Vec<DnsRow>)> {
    let json =
        std::fs::read_to_string(real_log("zeek_json_dns_otrf_apt29_day2_NEWYORK.log")?).unwrap();
    let tsv = std::fs::read_to_string(real_log("zeek_tsv_dns_wrccdc2018.log")?).unwrap();
    let rows: Vec<DnsRow> =
        zeek_dns_json_rows(&json).into_iter().chain(zeek_dns_tsv_rows(&tsv)).collect();
    assert!(rows.len() > 1000, "{}", rows.len());
    Some((json, rows))
}

/// A planted Zeek DNS JSON line.
fn dns_line(src: &str, query: &str, qtype: &str, answers: &[&str]) -> String {
    serde_json::json!({"ts": 1588316700.0, "id_orig_h": src, "id_resp_h": "10.0.0.4", "proto": "udp",
        "query": query, "qtype_name": qtype, "rcode_name": "NOERROR", "answers": answers})
    .to_string()
}

/// The Delegated search played over DNS rows: (query, answer) of each
/// result.
fn delegations(rows: &[DnsRow]) -> BTreeSet<(String, String)> {
    let spl = search("Delegated to Dynamic DNS Name Servers");
    let address = literal(&spl, "AND NOT match(answer, \"");
    let reverse = literal(&spl, "AND NOT match(query, \"");
    let nulls = string_args(&spl, "AND NOT in(answer, ");
    let rows: Vec<(String, String)> = rows
        .iter()
        .map(|(_, q, a)| (q.to_ascii_lowercase(), a.to_ascii_lowercase()))
        .filter(|(q, a)| {
            !nulls.contains(&a.as_str()) && !address.is_match(a) && !reverse.is_match(q)
        })
        .collect();
    let v = verdicts(rows.iter().flat_map(|(q, a)| [q, a]));
    rows.into_iter()
        .filter(|(q, a)| {
            let (vq, va) = (&v[q], &v[a]);
            let own = q == &va.zone || q.ends_with(&format!(".{}", va.zone));
            vq.provider.is_empty() && (va.dyndns || va.category == "provider-service") && !own
        })
        .collect()
}

#[test]
fn delegated_to_ddns_name_servers_finds_planted_answers_and_nothing_in_real_dns() {
    let Some((json, rows)) = real_dns_rows() else { return };
    assert_eq!(delegations(&rows), BTreeSet::new(), "no delegation in the real logs");
    let planted = [
        // A custom domain CNAMEd into No-IP (servebeer.com).
        dns_line(
            "10.0.1.5",
            "home.example-corp.com",
            "A",
            &["home-corp.servebeer.com", "198.51.100.20"],
        ),
        // A custom domain whose name servers are Dynu's.
        dns_line("10.0.1.6", "example-corp.net", "NS", &["ns1.dynu.com", "ns2.dynu.com"]),
        // Not delegations: the provider's own domain, a DDNS query itself,
        // an address answer.
        dns_line("10.0.1.7", "duckdns.org", "NS", &["ns1.duckdns.org"]),
        dns_line("10.0.1.7", "x.duckdns.org", "CNAME", &["y.duckdns.org"]),
        dns_line("10.0.1.7", "www.example.org", "A", &["203.0.113.5"]),
    ];
    let planted_json = plant(&json, &planted);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dns.log");
    std::fs::write(&path, &planted_json).unwrap();
    let out = run(
        bin().args(["enrich", "--no-local", "--format", "jsonl", "--field", "answers"]).arg(&path),
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // Every line comes out; the answers with a verdict (a DDNS host, or a
    // provider's own host such as a name server) are the planted ones.
    let enriched = String::from_utf8(out.stdout).unwrap();
    assert_eq!(enriched.lines().count(), planted_json.lines().count());
    let hit = |l: &&str| l.contains(r#""isDynDNS":true"#) || l.contains(r#""provider-service""#);
    let flagged: Vec<&str> = enriched.lines().filter(hit).collect();
    assert_eq!(flagged.len(), 4, "the planted answers and only those: {flagged:#?}");
    assert!(flagged.iter().all(|l| l.contains("1588316700")), "{flagged:#?}");
    let tsv = std::fs::read_to_string(real_log("zeek_tsv_dns_wrccdc2018.log").unwrap()).unwrap();
    let rows: Vec<DnsRow> =
        zeek_dns_json_rows(&planted_json).into_iter().chain(zeek_dns_tsv_rows(&tsv)).collect();
    let found = delegations(&rows);
    let want: BTreeSet<(String, String)> = [
        ("home.example-corp.com", "home-corp.servebeer.com"),
        ("example-corp.net", "ns1.dynu.com"),
        ("example-corp.net", "ns2.dynu.com"),
    ]
    .iter()
    .map(|(q, a)| (q.to_string(), a.to_string()))
    .collect();
    assert_eq!(found, want);
}

/// The fan-in search played over DNS rows: (answer, distinct names) of
/// each result.
fn fan_in(rows: &[DnsRow]) -> BTreeMap<String, usize> {
    let spl = search("Many Dynamic DNS Names on One Address");
    let ipv4 = literal(&spl, "| where match(answer, \"");
    let ipv6 = literal(&spl, "OR match(answer, \"");
    let skipped = string_args(&spl, "OR in(answer, ");
    assert!(spl.contains("cidrmatch(\"127.0.0.0/8\", answer)"));
    let threshold: usize = macros()["dynamicdns_fanin_threshold"].parse().unwrap();
    assert!(spl.contains("| where ddns_names >= `dynamicdns_fanin_threshold`"));
    let rows: Vec<(String, String)> = rows
        .iter()
        .map(|(_, q, a)| (q.to_ascii_lowercase(), a.clone()))
        .filter(|(_, a)| {
            (ipv4.is_match(a) || ipv6.is_match(a))
                && !a.starts_with("127.")
                && !skipped.contains(&a.as_str())
        })
        .collect();
    let v = verdicts(rows.iter().map(|(q, _)| q));
    let mut names: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (q, a) in rows.into_iter().filter(|(q, _)| v[q].dyndns) {
        names.entry(a).or_default().insert(q);
    }
    names.into_iter().map(|(a, n)| (a, n.len())).filter(|(_, n)| *n >= threshold).collect()
}

#[test]
fn many_ddns_names_on_one_address_finds_planted_fan_in_and_nothing_in_real_dns() {
    let Some((json, rows)) = real_dns_rows() else { return };
    assert_eq!(fan_in(&rows), BTreeMap::new(), "no fan-in in the real logs");
    let threshold: usize = macros()["dynamicdns_fanin_threshold"].parse().unwrap();
    let names = [
        "a1.duckdns.org",
        "b2.ddns.net",
        "c3.no-ip.org",
        "d4.hopto.org",
        "e5.freeddns.org",
        "f6.dynu.net",
    ];
    let mut planted = Vec::new();
    // threshold names on one address (one of them twice, from two
    // clients), threshold - 1 on another, all of them on loopback.
    for (i, n) in names.iter().take(threshold).enumerate() {
        planted.push(dns_line(&format!("10.0.1.{}", 20 + i), n, "A", &["203.0.113.50"]));
    }
    planted.push(dns_line("10.0.1.99", &names[0].to_uppercase(), "A", &["203.0.113.50"]));
    for n in names.iter().take(threshold - 1) {
        planted.push(dns_line("10.0.1.30", n, "A", &["203.0.113.51"]));
    }
    for n in &names {
        planted.push(dns_line("10.0.1.31", n, "A", &["127.0.0.1"]));
    }
    assert!(names.len() > threshold, "the loopback case has more names than the threshold");
    let planted_json = plant(&json, &planted);
    let tsv = std::fs::read_to_string(real_log("zeek_tsv_dns_wrccdc2018.log").unwrap()).unwrap();
    let rows: Vec<DnsRow> =
        zeek_dns_json_rows(&planted_json).into_iter().chain(zeek_dns_tsv_rows(&tsv)).collect();
    let found = fan_in(&rows);
    assert_eq!(found, BTreeMap::from([("203.0.113.50".to_string(), threshold)]));
}

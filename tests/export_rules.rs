//! `zones export` for the rule languages: Suricata's content and dataset
//! keywords evaluated, the Zeek script's walk transliterated line by line
//! and pinned to the exported text, Sigma's modifiers; each on the policy
//! table through the real binary (helpers in `export.rs`).

use std::collections::{HashMap, HashSet};

use dynamicdns_engine::export::ZEEK_ZONE_OF;

use crate::export::{assert_policy, export, lookup_rows};
use crate::util::policy::{hosts, POLICY};

// ------------------------------------------------------------ Suricata

/// A content rule's logic: the buffer keyword, the positive suffix, the
/// negated suffixes and exact names, and its zone.
struct ContentRule {
    buffer: String,
    zone: String,
    plus: String,
    minus_suffix: Vec<String>,
    minus_exact: Vec<String>,
    nocase: bool,
}

fn content_rules(text: &str) -> Vec<ContentRule> {
    let mut rules = Vec::new();
    for l in text.lines().filter(|l| l.starts_with("alert ")) {
        let body = &l[l.find('(').unwrap() + 1..l.rfind(')').unwrap()];
        let opts: Vec<&str> = body.split("; ").map(str::trim).collect();
        let buffer = opts[1].to_string();
        let mut r = ContentRule {
            buffer,
            zone: String::new(),
            plus: String::new(),
            minus_suffix: vec![],
            minus_exact: vec![],
            nocase: false,
        };
        let mut i = 2;
        while i < opts.len() {
            let o = opts[i];
            if let Some(c) = o.strip_prefix("content:") {
                let (neg, s) = match c.strip_prefix('!') {
                    Some(s) => (true, s),
                    None => (false, c),
                };
                let s = s.trim_matches('"').to_string();
                let mut mods = Vec::new();
                while i + 1 < opts.len()
                    && matches!(opts[i + 1], "nocase" | "endswith" | "startswith")
                {
                    mods.push(opts[i + 1]);
                    i += 1;
                }
                r.nocase |= mods.contains(&"nocase");
                let ends = mods.contains(&"endswith");
                let starts = mods.contains(&"startswith");
                match (neg, starts, ends) {
                    (false, false, true) => r.plus = s,
                    (true, false, true) => r.minus_suffix.push(s),
                    (true, true, true) => r.minus_exact.push(s),
                    // The empty-label guard: checked by eval.
                    (true, true, false) | (true, false, false) => {
                        assert!(s == "." || s == "..", "{o}")
                    }
                    _ => panic!("unexpected content {o}"),
                }
            } else if let Some(m) = o.strip_prefix("metadata:dyndns_zone ") {
                r.zone = m.split(',').next().unwrap().to_string();
            }
            i += 1;
        }
        rules.push(r);
    }
    rules
}

fn content_fires(r: &ContentRule, value: &str) -> bool {
    let v = if r.nocase { value.to_lowercase() } else { value.to_string() };
    if v.starts_with('.') || v.contains("..") {
        return false;
    }
    v.ends_with(&r.plus)
        && !r.minus_suffix.iter().any(|s| v.ends_with(s.as_str()))
        && !r.minus_exact.contains(&v)
}

/// Content mode on the real core rules, per buffer: exactly the expected
/// zone's rule fires, or none. `http.host` is lower-cased by Suricata
/// (libhtp), so it is given lower-case; content mode does not drop a
/// trailing dot (a documented difference), so those cases are left out.
#[test]
fn suricata_content_rules_match_the_policy() {
    let text = export(&["--format", "suricata"]);
    let rules = content_rules(&text);
    assert_eq!(rules.len(), 3 * lookup_rows(true).len());
    let mut sids = HashSet::new();
    for l in text.lines().filter(|l| l.starts_with("alert ")) {
        let sid = l.split("sid:").nth(1).unwrap().split(';').next().unwrap();
        assert!(sids.insert(sid.to_string()), "duplicate sid {sid}");
    }
    for buffer in ["dns.query", "tls.sni", "http.host"] {
        let mine: Vec<&ContentRule> = rules.iter().filter(|r| r.buffer == buffer).collect();
        assert_eq!(
            mine.iter().filter(|r| r.nocase).count(),
            if buffer == "http.host" { 0 } else { mine.len() }
        );
        assert_policy(buffer, hosts().filter(|c| !c.input.ends_with('.')), |v| {
            let v = if buffer == "http.host" { v.to_lowercase() } else { v.to_string() };
            // Only a rule whose content the value ends with can fire: those
            // are the rules of the value's dot-suffixes (a faster scan of
            // the same rules).
            let lower = v.to_lowercase();
            let suffixes: HashSet<&str> =
                lower.match_indices('.').map(|(i, _)| &lower[i..]).collect();
            let fired: Vec<&&ContentRule> = mine
                .iter()
                .filter(|r| suffixes.contains(r.plus.as_str()) && content_fires(r, &v))
                .collect();
            assert!(fired.len() <= 1, "{buffer} {v}: {} rules fired", fired.len());
            fired.first().map_or((false, String::new(), false), |r| (true, r.zone.clone(), false))
        });
    }
}

/// Base64 (standard, padded) decoding, for the dataset files.
fn unbase64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("bad base64 {c}"),
    };
    let mut out = Vec::new();
    for chunk in s.trim_end_matches('=').as_bytes().chunks(4) {
        let n = chunk.iter().fold(0u32, |n, &c| (n << 6) | u32::from(val(c)))
            << (6 * (4 - chunk.len()));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// Dataset mode on the real all-tier parts: every rule's chain of
/// `pcrexform` (leaves the buffer as it is when the regex does not match,
/// as Suricata does) and `dataset:isset/isnotset`, evaluated.
#[test]
fn suricata_dataset_rules_match_the_policy() {
    let rules = export(&["--format", "suricata", "--tier", "all", "--part", "rules"]);
    let set = |part: &str| -> HashSet<String> {
        export(&["--format", "suricata", "--tier", "all", "--part", part])
            .lines()
            .map(|l| String::from_utf8(unbase64(l)).unwrap())
            .collect()
    };
    let (zones, service) = (set("zones"), set("service-hosts"));
    assert_eq!(zones.len(), lookup_rows(false).len());
    assert!(zones.contains(".duckdns.org") && service.contains("checkip.dyndns.org"));
    let alerts: Vec<&str> = rules.lines().filter(|l| l.starts_with("alert ")).collect();
    assert_eq!(alerts.len(), 6);
    for buffer in ["dns.query", "tls.sni", "http.host"] {
        assert_policy(buffer, hosts(), |v| {
            let v = if buffer == "http.host" { v.to_lowercase() } else { v.to_string() };
            let mut fired = Vec::new();
            for rule in alerts.iter().filter(|l| l.contains(&format!("; {buffer};"))) {
                let body = &rule[rule.find('(').unwrap() + 1..rule.rfind(')').unwrap()];
                let mut buf = v.clone();
                let mut ok = !(v.starts_with('.') || v.contains(".."));
                let mut labels = 0;
                for o in body.split("; ") {
                    if o == buffer {
                        buf = v.clone();
                    } else if o == "to_lowercase" {
                        buf = buf.to_lowercase();
                    } else if let Some(re) = o.strip_prefix("pcrexform:\"") {
                        let re = regex_lite::Regex::new(re.trim_end_matches('"')).unwrap();
                        if let Some(m) = re.captures(&buf).and_then(|c| c.get(1)) {
                            buf = m.as_str().to_string();
                        }
                    } else if let Some(d) = o.strip_prefix("dataset:") {
                        let mut p = d.split(',');
                        let (op, name) = (p.next().unwrap(), p.next().unwrap());
                        let s = if name == "dynamicdns-zones" { &zones } else { &service };
                        ok &= (op == "isset") == s.contains(&buf);
                    } else if let Some(n) = o.strip_prefix("metadata:dyndns_zone_labels ") {
                        labels = n.parse().unwrap();
                    }
                }
                if ok {
                    fired.push(labels);
                }
            }
            assert!(fired.len() <= 1, "{buffer} {v}: {fired:?}");
            match fired.first() {
                // The zone is the value's last `labels` labels.
                Some(&k) => {
                    let h = v.to_lowercase();
                    let h = h.trim_end_matches('.');
                    let parts: Vec<&str> = h.split('.').collect();
                    (true, parts[parts.len() - k..].join("."), false)
                }
                None => (false, String::new(), false),
            }
        });
    }
}

// ---------------------------------------------------------------- Zeek

/// Zeek: the script holds exactly the walk transliterated here
/// ([`ZEEK_ZONE_OF`]), and its table and service hosts are the core zones;
/// the walk and the log_policy hook run on the policy table.
#[test]
fn zeek_script_matches_the_policy() {
    let s = export(&["--format", "zeek"]);
    assert!(s.contains(ZEEK_ZONE_OF), "the script's walk differs from the transliterated one");
    assert!(s.contains("hook DNS::log_policy(rec: DNS::Info, id: Log::ID, filter: Log::Filter)"));
    let mut zones = HashSet::new();
    for l in s.lines().filter(|l| l.starts_with("\t\t[\"")) {
        zones.insert(l.split('"').nth(1).unwrap().to_string());
    }
    assert_eq!(zones.len(), lookup_rows(true).len());
    let start = s.find("const service_hosts: set[string] = {").unwrap();
    let end = start + s[start..].find('}').unwrap();
    let service: HashSet<&str> = s[start..end].split('"').skip(1).step_by(2).collect();
    let max: usize = s
        .split("const max_zone_labels = ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // normalize() and zone_of() of ZEEK_ZONE_OF, statement by statement.
    let normalize = |host: &str| -> String {
        let h = host.to_lowercase();
        if !h.is_empty() && h.ends_with('.') {
            h[..h.len() - 1].to_string()
        } else {
            h
        }
    };
    let zone_of = |host: &str| -> String {
        let h = normalize(host);
        if h.is_empty() || h.starts_with('.') || h.contains("..") {
            return String::new();
        }
        let labels: Vec<&str> = h.split('.').collect();
        let n = labels.len();
        if n < 3 {
            return String::new();
        }
        let mut best = String::new();
        let mut suffix = labels[n - 1].to_string();
        let mut k = 2;
        while k < n && k <= max {
            suffix = format!("{}.{suffix}", labels[n - k]);
            if zones.contains(&suffix) {
                best = suffix.clone();
            }
            k += 1;
        }
        best
    };
    // The hook: query "-" is an unset field in dns.log, never a query.
    assert_policy("zeek", hosts().filter(|c| !c.input.is_empty() && c.input != "-"), |q| {
        let z = zone_of(q);
        if z.is_empty() {
            return (false, z, false);
        }
        let svc = service.contains(normalize(q).as_str());
        (!svc, z, svc)
    });
}

#[test]
fn zeek_file_mode_reads_a_tsv_of_every_zone() {
    let script = export(&["--format", "zeek", "--tier", "all", "--part", "script"]);
    assert!(script.contains("Input::add_table([$source=zones_file"));
    assert!(script.contains(ZEEK_ZONE_OF));
    let tsv = export(&["--format", "zeek", "--tier", "all", "--part", "zones"]);
    assert!(tsv.starts_with("#separator \\x09\n#set_separator\t,\n"));
    let data: Vec<&str> = tsv.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(data.len(), lookup_rows(false).len());
    assert!(data.iter().all(|l| l.split('\t').count() == 4));
    assert!(tsv.lines().any(|l| l == "#fields\tzone\tprovider\tcategory\ttier"));
}

// --------------------------------------------------------------- Sigma

/// One Sigma detection item: field, modifier, values (any value matches).
type Item = (String, String, Vec<String>);

/// The detections of the exported rules (their YAML shape is fixed by the
/// generator; pySigma parses them in scripts/exports-check.sh): per rule
/// its log source category, its blocks' items and its condition.
fn sigma_rules(text: &str) -> Vec<(String, HashMap<String, Vec<Item>>, String)> {
    let unq = |v: &str| v.trim().trim_matches('\'').replace("''", "'");
    let split = |k: &str| -> (String, String) {
        let (f, m) = k.split_once('|').unwrap_or((k, ""));
        (f.to_string(), m.to_string())
    };
    let mut out = Vec::new();
    for doc in text.split("\n---\n") {
        let category =
            doc.lines().find_map(|l| l.strip_prefix("    category: ")).unwrap().to_string();
        let mut blocks: HashMap<String, Vec<Item>> = HashMap::new();
        let mut condition = String::new();
        let mut block = String::new();
        let mut item: Option<(String, Item)> = None;
        let flush = |item: &mut Option<(String, Item)>,
                     blocks: &mut HashMap<String, Vec<Item>>| {
            if let Some((b, it)) = item.take() {
                blocks.entry(b).or_default().push(it);
            }
        };
        let det = &doc[doc.find("detection:\n").unwrap()..];
        for l in det.lines().skip(1).take_while(|l| l.starts_with("    ")) {
            let indent = l.len() - l.trim_start().len();
            let t = l.trim_start();
            match indent {
                4 if t.starts_with("condition: ") => {
                    condition = t["condition: ".len()..].to_string()
                }
                4 => {
                    flush(&mut item, &mut blocks);
                    block = t.trim_end_matches(':').to_string();
                }
                8 if t.starts_with("- ") => {
                    flush(&mut item, &mut blocks);
                    let (k, v) = t[2..].split_once(": ").unwrap();
                    let (f, m) = split(k);
                    blocks.entry(block.clone()).or_default().push((f, m, vec![unq(v)]));
                }
                8 => {
                    flush(&mut item, &mut blocks);
                    let (f, m) = split(t.trim_end_matches(':'));
                    item = Some((block.clone(), (f, m, Vec::new())));
                }
                12 => item.as_mut().expect("a value list").1 .2.push(unq(&t[2..])),
                _ => panic!("unexpected detection line {l:?}"),
            }
        }
        flush(&mut item, &mut blocks);
        out.push((category, blocks, condition));
    }
    out
}

/// Sigma's value matching: case-insensitive; `|endswith`, `|startswith`,
/// `|contains` or equality.
fn item_matches(item: &Item, value: &str) -> bool {
    let v = value.to_lowercase();
    item.2.iter().any(|x| {
        let x = x.to_lowercase();
        match item.1.as_str() {
            "endswith" => v.ends_with(&x),
            "startswith" => v.starts_with(&x),
            "contains" => v.contains(&x),
            _ => v == x,
        }
    })
}

/// Sigma: every rule's selections and filters on the policy table, per log
/// source: exactly the rule of the expected zone's provider fires, or none
/// (the proxy rule also gets `host:port` values). Trailing dots are a
/// documented difference and left out.
#[test]
fn sigma_rules_match_the_policy() {
    let text = export(&["--format", "sigma"]);
    let rules = sigma_rules(&text);
    let core = lookup_rows(true);
    let providers: HashSet<&str> = core.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(rules.len(), 2 * providers.len());
    let provider_of: HashMap<&str, &str> =
        core.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    let ids: HashSet<&str> = text.lines().filter_map(|l| l.strip_prefix("id: ")).collect();
    assert_eq!(ids.len(), rules.len(), "ids unique");
    for category in ["dns_query", "proxy"] {
        let mine: Vec<_> = rules.iter().filter(|r| r.0 == category).collect();
        let cases =
            POLICY.iter().filter(|c| !c.input.ends_with('.') && (category == "proxy" || !c.url));
        let cases = cases.filter(|c| !c.input.contains(['/', '\\']) && !c.input.starts_with('['));
        assert_policy(category, cases, |v| {
            let fired: Vec<&HashMap<String, Vec<Item>>> = mine
                .iter()
                .filter(|(_, blocks, cond)| {
                    let hit = |prefix: &str| {
                        blocks.iter().any(|(k, items)| {
                            k.starts_with(prefix) && items.iter().any(|i| item_matches(i, v))
                        })
                    };
                    let sel = if cond.starts_with("1 of selection_*") {
                        hit("selection_")
                    } else {
                        hit("selection")
                    };
                    assert!(cond.ends_with("and not 1 of filter_*"), "{cond}");
                    sel && !hit("filter_")
                })
                .map(|r| &r.1)
                .collect();
            assert!(fired.len() <= 1, "{category} {v}: {} rules", fired.len());
            match fired.first() {
                Some(blocks) => {
                    // The rule's zones: the longest one the value ends with.
                    let h = v.to_lowercase();
                    let host = h.split(':').next().unwrap();
                    let zone = blocks
                        .iter()
                        .filter(|(k, _)| k.starts_with("selection"))
                        .flat_map(|(_, items)| items.iter().flat_map(|i| i.2.iter()))
                        .map(|z| z.trim_end_matches(':'))
                        .filter(|z| host.ends_with(z))
                        .max_by_key(|z| z.len())
                        .unwrap();
                    let zone = zone.trim_start_matches('.').trim_end_matches(':');
                    assert!(provider_of.contains_key(zone));
                    (true, zone.to_string(), false)
                }
                None => (false, String::new(), false),
            }
        });
    }
}

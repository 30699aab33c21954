//! Every mode agrees: the same generated records judged through the SCP
//! session (host and text mode), the external lookup, `check` (host and
//! text mode), and `enrich` as CSV, JSON lines and Zeek TSV must give the
//! same five verdict fields, and so must every permutation of a record's
//! values (the verdict is a function of the set of values).

use std::io::Write;

use crate::util::driver::Driver;
use crate::util::process::{self, bin};
use crate::util::rng::SplitMix64;
use crate::util::scp::{execute, getinfo};
use crate::util::splunk_csv::splunk_quote;

fn splunk_quote_str(v: &str, out: &mut Vec<u8>) {
    splunk_quote(v.as_bytes(), out)
}

/// Values every mode reads the same way: hosts, URLs, service hosts, apexes,
/// look-alikes and non-hosts (no commas, tabs, quotes or spaces, so that
/// Zeek sets and text-mode joins keep them whole).
const POOL: &[&str] = &[
    "x.duckdns.org",
    "www.duckdns.org",
    "c2.duckdns.org",
    "duckdns.org",
    "members.dyndns.org",
    "a.dyndns.org",
    "x.home.dyndns.org",
    "nas.synology.me",
    "foo.ddns.net",
    "http://evil.hopto.org/x",
    "https://c2.no-ip.org:8443/p",
    "x.asuscomm.com",
    "dynamicdns.park-your-domain.com",
    "ns1.afraid.org",
    "example.com",
    "myduckdns.org",
    "duckdns.org.evil.com",
    "192.168.1.1",
    "www.google.com",
];

/// The five verdict fields, lists joined by LF.
type Verdict = [String; 5];

/// One way of judging records: all of them through one mode.
type ModeFn = fn(&[Vec<&str>]) -> Vec<Verdict>;

fn records(n: usize, seed: u64) -> Vec<Vec<&'static str>> {
    let mut rng = SplitMix64::new(seed);
    (0..n)
        .map(|_| {
            let k = 1 + rng.below(4);
            (0..k).map(|_| *rng.pick(POOL)).collect()
        })
        .collect()
}

fn shuffled(rec: &[&'static str], rng: &mut SplitMix64) -> Vec<&'static str> {
    let mut r = rec.to_vec();
    for i in (1..r.len()).rev() {
        r.swap(i, rng.below(i + 1));
    }
    r
}

/// Reads the five verdict columns of a CSV output (by name).
fn csv_verdicts(out: &[u8]) -> Vec<Verdict> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(out);
    let header = rdr.headers().unwrap().clone();
    let names = ["isDynDNS", "provider", "dyndns_zone", "dyndns_category", "dyndns_tier"];
    let cols: Vec<usize> =
        names.iter().map(|n| header.iter().position(|h| h == *n).expect(n)).collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            std::array::from_fn(|i| r[cols[i]].to_string())
        })
        .collect()
}

fn run(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let o = process::run(bin().args(args).arg("--no-local"), stdin);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

/// `enrich` (CSV): query is the first value, answer the rest joined by LF.
fn via_enrich_csv(recs: &[Vec<&str>]) -> Vec<Verdict> {
    let mut input = b"query,answer\n".to_vec();
    for r in recs {
        let mut line = Vec::new();
        splunk_quote_str(r[0], &mut line);
        line.push(b',');
        splunk_quote_str(&r[1..].join("\n"), &mut line);
        input.extend_from_slice(&line);
        input.push(b'\n');
    }
    csv_verdicts(&run(&["enrich", "--field", "query,answer"], &input))
}

/// `enrich --format jsonl`: answer is an array.
fn via_enrich_jsonl(recs: &[Vec<&str>]) -> Vec<Verdict> {
    let mut input = Vec::new();
    for r in recs {
        let v = serde_json::json!({"query": r[0], "answer": &r[1..]});
        writeln!(input, "{v}").unwrap();
    }
    let out = run(&["enrich", "--format", "jsonl", "--field", "query,answer"], &input);
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let list = |k: &str| {
                v[k].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect::<Vec<_>>()
            };
            let flag = if v["isDynDNS"].as_bool().unwrap() { "True" } else { "False" };
            [
                flag.to_string(),
                list("provider").join("\n"),
                list("dyndns_zone").join("\n"),
                list("dyndns_category").join("\n"),
                list("dyndns_tier").join("\n"),
            ]
        })
        .collect()
}

/// `enrich --format zeek`: answer is a `set[string]`.
fn via_enrich_zeek(recs: &[Vec<&str>]) -> Vec<Verdict> {
    let mut input = b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n\
        #unset_field\t-\n#fields\tquery\tanswer\n#types\tstring\tset[string]\n"
        .to_vec();
    for r in recs {
        let answer = if r.len() > 1 { r[1..].join(",") } else { "-".to_string() };
        writeln!(input, "{}\t{answer}", r[0]).unwrap();
    }
    let out = run(&["enrich", "--format", "zeek", "--field", "query,answer"], &input);
    let text = String::from_utf8(out).unwrap();
    let names: Vec<&str> =
        text.lines().find_map(|l| l.strip_prefix("#fields\t")).unwrap().split('\t').collect();
    let col = |n: &str| names.iter().position(|x| *x == n).unwrap();
    let cols = ["isDynDNS", "provider", "dyndns_zone", "dyndns_category", "dyndns_tier"].map(col);
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            std::array::from_fn(|i| {
                let c = cells[cols[i]];
                match (i, c) {
                    (0, "T") => "True".to_string(),
                    (0, _) => "False".to_string(),
                    (_, "-") => String::new(),
                    _ => c.replace(',', "\n"),
                }
            })
        })
        .collect()
}

/// The external lookup: a cell holds the record's values joined by LF.
fn via_lookup(recs: &[Vec<&str>]) -> Vec<Verdict> {
    let mut input = b"query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n".to_vec();
    for r in recs {
        splunk_quote_str(&r.join("\n"), &mut input);
        input.extend_from_slice(b",,,,,\n");
    }
    csv_verdicts(&run(&["lookup", "query"], &input))
}

/// `check --text`: a record is one text of its values joined by spaces.
fn via_check_text(recs: &[Vec<&str>]) -> Vec<Verdict> {
    let mut input = Vec::new();
    for r in recs {
        writeln!(input, "{}", r.join(" ")).unwrap();
    }
    csv_verdicts(&run(&["check", "--text"], &input))
}

/// The SCP session: `field=query,answer` (host mode, answer multivalue in
/// its `__mv_` twin, as splunkd sends it) and `field=_raw mode=text`.
fn via_scp(recs: &[Vec<&str>], text: bool) -> Vec<Verdict> {
    let args: &[&str] = if text { &["field=_raw", "mode=text"] } else { &["field=query,answer"] };
    let mut body = b"_raw,query,answer,__mv_answer\n".to_vec();
    for r in recs {
        splunk_quote_str(&r.join(" "), &mut body);
        body.push(b',');
        splunk_quote_str(r[0], &mut body);
        body.push(b',');
        splunk_quote_str(&r[1..].join("\n"), &mut body);
        body.push(b',');
        if r.len() > 2 {
            let mv: Vec<String> =
                r[1..].iter().map(|v| format!("${}$", v.replace('$', "$$"))).collect();
            splunk_quote_str(&mv.join(";"), &mut body);
        }
        body.push(b'\n');
    }
    let mut d = Driver::spawn();
    d.handshake(args);
    let reply = d.request(&execute(true, &body));
    d.finish();
    csv_verdicts(&reply.body)
}

/// `check` (host mode) gives one value's verdict: for one-value records.
fn via_check(recs: &[Vec<&str>]) -> Vec<Verdict> {
    let input: String = recs.iter().map(|r| format!("{}\n", r[0])).collect();
    csv_verdicts(&run(&["check"], input.as_bytes()))
}

#[test]
fn every_mode_gives_the_same_verdict_whatever_the_order() {
    let recs = records(400, 0x5eed_d1ff);
    let mut rng = SplitMix64::new(7);
    let perm: Vec<Vec<&str>> = recs.iter().map(|r| shuffled(r, &mut rng)).collect();
    let want = via_enrich_csv(&recs);
    assert_eq!(want.len(), recs.len());
    assert!(want.iter().any(|v| v[0] == "True") && want.iter().any(|v| v[0] == "False"));
    let modes: [(&str, ModeFn); 7] = [
        ("enrich csv", via_enrich_csv),
        ("enrich jsonl", via_enrich_jsonl),
        ("enrich zeek", via_enrich_zeek),
        ("lookup", via_lookup),
        ("check --text", via_check_text),
        ("scp host", |r| via_scp(r, false)),
        ("scp text", |r| via_scp(r, true)),
    ];
    for (name, f) in modes {
        for (what, input) in [("as generated", &recs), ("permuted", &perm)] {
            let got = f(input);
            assert_eq!(got.len(), recs.len(), "{name}: records");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "{name} ({what}): record {i} {:?}", input[i]);
            }
        }
    }
    // Single values through `check`.
    let singles: Vec<Vec<&str>> = POOL.iter().map(|v| vec![*v]).collect();
    assert_eq!(via_check(&singles), via_enrich_csv(&singles));
}

/// `rename`/`--rename` writes the verdict under other names in every mode,
/// and an event's own `provider` field is kept byte for byte.
#[test]
fn renamed_outputs_keep_the_events_own_fields() {
    let spec = "provider AS ddns_provider, isDynDNS AS ddns";
    let out = run(
        &["enrich", "--field", "host", "--rename", spec],
        b"host,provider\nx.duckdns.org,Okta\n",
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "host,provider,ddns,ddns_provider,dyndns_zone,dyndns_category,dyndns_tier\n\
         x.duckdns.org,Okta,True,DuckDNS,duckdns.org,ddns,core\n"
    );
    let out = run(
        &["enrich", "--format", "jsonl", "--field", "host", "--rename", spec],
        b"{\"host\":\"x.duckdns.org\",\"provider\":\"Okta\"}\n",
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"host\":\"x.duckdns.org\",\"provider\":\"Okta\",\"ddns\":true,\"ddns_provider\":[\"DuckDNS\"],\
         \"dyndns_zone\":[\"duckdns.org\"],\"dyndns_category\":[\"ddns\"],\"dyndns_tier\":[\"core\"]}\n"
    );
    let mut d = Driver::spawn();
    let info = d.request(&getinfo(&["field=host", "rename=provider AS ddns_provider"]));
    // splunkd is asked for the renamed field (to replace one an event has).
    assert_eq!(
        info.metadata["required_fields"],
        serde_json::json!([
            "host",
            "isDynDNS",
            "ddns_provider",
            "dyndns_zone",
            "dyndns_category",
            "dyndns_tier"
        ])
    );
    let reply = d.request(&execute(true, b"host,provider\nx.duckdns.org,Okta\n"));
    d.finish();
    assert_eq!(
        String::from_utf8(reply.body).unwrap(),
        "host,provider,isDynDNS,ddns_provider,dyndns_zone,dyndns_category,dyndns_tier,\
         __mv_ddns_provider,__mv_dyndns_zone,__mv_dyndns_category,__mv_dyndns_tier\n\
         x.duckdns.org,Okta,True,DuckDNS,duckdns.org,ddns,core,,,,\n"
    );
    let o = process::run(bin().args(["check", "--rename", "query AS q"]), b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("'query' is not an output field"));
}

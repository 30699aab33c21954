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
        process::stderr(&o).contains("bad.json: line 2, byte 25: not a JSON object\n"),
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
        let o = process::run(
            bin().args(["check", "--no-local", "--text", "--tier", "all"]),
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

/// Runs `enrich ARGS` on `input` (stdin); stdout, stderr and the exit code.
fn enrich_stdin(args: &[&str], input: &[u8]) -> (Vec<u8>, String, Option<i32>) {
    let o = process::run(bin().args(["enrich", "--no-local"]).args(args).arg("-"), input);
    (o.stdout.clone(), process::stderr(&o), o.status.code())
}

/// The CSV header `enrich` writes after `names`.
fn csv_header(names: &str) -> String {
    use dynamicdns_engine::enrich::{output_fields, Dialect};
    let out_names = Default::default();
    let added: Vec<&str> = output_fields(Dialect::PlainCsv, &out_names).collect();
    format!("{names},{}", added.join(","))
}

/// The input contract, the same in every format: a byte-order mark is kept,
/// a header without records is valid, a `--field` the header lacks is an
/// error naming it, the header's fields and a near miss (JSON lines: a
/// warning naming every field no line had).
#[test]
fn enrich_header_rules() {
    let (out, err, code) = enrich_stdin(&[], b"\xEF\xBB\xBFquery,x\na.duckdns.org,1\n");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with(format!("\u{feff}{}\n", csv_header("query,x")).as_bytes()));
    assert!(String::from_utf8(out).unwrap().contains("a.duckdns.org,1,True,DuckDNS,"));
    let (out, err, code) = enrich_stdin(&[], b"query\n");
    assert_eq!(
        (String::from_utf8(out).unwrap(), err.as_str(), code),
        (format!("{}\n", csv_header("query")), "", Some(0))
    );
    let (out, err, code) = enrich_stdin(&[], b"UtcTime,QueryName\n1,a.duckdns.org\n");
    assert_eq!(code, Some(1));
    assert!(out.is_empty());
    assert_eq!(
        err,
        "dynamicdns: <stdin>: line 1, byte 1: the header has no field named query (its fields: \
         UtcTime, QueryName); did you mean --field QueryName?\n"
    );
    let zeek = b"#separator \\x09\n#fields\tts\thost\n#types\ttime\tstring\n1\ta.duckdns.org\n";
    let (out, err, code) = enrich_stdin(&["--format", "zeek", "--field", "Host"], zeek);
    assert_eq!((out.as_slice(), code), (&b"#separator \\x09\n"[..], Some(1)));
    assert_eq!(
        err,
        "dynamicdns: <stdin>: line 2, byte 17: the header has no field named Host (its fields: \
         ts, host); did you mean --field host?\n"
    );
    let (out, err, code) = enrich_stdin(
        &["--format", "jsonl", "--field", "query,QueryName,dns.rrname"],
        b"\xEF\xBB\xBF{\"QueryName\":\"pay.no-ip.org\"}\n",
    );
    assert_eq!(code, Some(0));
    assert!(out.starts_with(b"\xEF\xBB\xBF{\"QueryName\":\"pay.no-ip.org\",\"isDynDNS\":true"));
    assert_eq!(
        err,
        "dynamicdns: <stdin>: no line has the field query\n\
         dynamicdns: <stdin>: no line has the field dns.rrname\n"
    );
}

/// An input whose first line fails, and plainly has another format than
/// the one read, gets a hint naming that format; a failure further on, or
/// a first line that says nothing, gets none.
#[test]
fn enrich_first_line_in_another_format() {
    let jsonl = b"{\"query\":\"a.duckdns.org\"}\n";
    let zeek = b"#separator \\x09\n#fields\tts\tquery\n1\ta.duckdns.org\n";
    let csv = b"query,x\na.duckdns.org,1\n";
    let cases: [(&[&str], &[u8], &str); 5] = [
        (
            &[],
            jsonl,
            "line 1, byte 1: the header has no field named query (its fields: \
             {\"query\":\"a.duckdns.org\"}) (the input looks like JSON lines: use --format jsonl)",
        ),
        (
            &[],
            zeek,
            "line 1, byte 1: the header has no field named query (its fields: #separator \\x09) \
             (the input looks like a Zeek log: use --format zeek)",
        ),
        (
            &["--format", "jsonl"],
            csv,
            "line 1, byte 1: not a JSON object (the input looks like CSV: use --format csv)",
        ),
        (
            &["--format", "zeek"],
            jsonl,
            "line 1, byte 1: a data line before the #fields header \
             (the input looks like JSON lines: use --format jsonl)",
        ),
        (
            &["--format", "jsonl"],
            b"{\"query\":1}\nquery,x\n",
            "line 2, byte 13: not a JSON object",
        ),
    ];
    for (args, input, want) in cases {
        let (_, err, code) = enrich_stdin(args, input);
        assert_eq!(code, Some(1), "{args:?}");
        assert_eq!(err, format!("dynamicdns: <stdin>: {want}\n"), "{args:?}");
    }
}

/// 100 good records, then a bad one, then a good one: the 100 are written
/// and the error names the file, line and byte; with --pass-bad-lines every
/// line comes out, the bad one unchanged, and it is counted. The same in
/// every format.
#[test]
fn enrich_bad_line_after_good_ones() {
    for (format, head, good, bad, at) in [
        ("csv", "n,query\n", "{i},h{i}.duckdns.org\n", "x,\"y\"z\n", 5),
        ("jsonl", "", "{\"n\":{i},\"query\":\"h{i}.duckdns.org\"}\n", "not json\n", 0),
        ("zeek", "#fields\tn\tquery\n", "{i}\th{i}.duckdns.org\n", "1\t2\t3\n", 0),
    ] {
        let mut input = head.to_string();
        for i in 0..100 {
            input.push_str(&good.replace("{i}", &i.to_string()));
        }
        let (before, line) = (input.clone(), input.matches('\n').count() + 1);
        input.push_str(bad);
        input.push_str(&good.replace("{i}", "100"));
        let (_dir, path) = scratch("in.txt", input.as_bytes());
        let o =
            process::run(bin().args(["enrich", "--no-local", "--format", format]).arg(&path), b"");
        assert_eq!(o.status.code(), Some(1), "{format}");
        let out = String::from_utf8(o.stdout.clone()).unwrap();
        assert_eq!(
            out.lines().count(),
            before.lines().count(),
            "{format}: lines before the bad one"
        );
        assert_eq!(out.matches("DuckDNS").count(), 100, "{format}");
        let where_ = format!("{}: line {line}, byte {}: ", path.display(), before.len() + at + 1);
        assert!(
            process::stderr(&o).starts_with(&format!("dynamicdns: {where_}")),
            "{format}: {}",
            process::stderr(&o)
        );
        let o = process::run(
            bin()
                .args(["enrich", "--no-local", "--pass-bad-lines", "--format", format])
                .arg(&path),
            b"",
        );
        assert_eq!(o.status.code(), Some(0), "{format}");
        let out = String::from_utf8(o.stdout.clone()).unwrap();
        let outs: Vec<&str> = out.split_inclusive('\n').collect();
        assert_eq!(outs.len(), input.split_inclusive('\n').count(), "{format}");
        assert_eq!(outs[line - 1], bad, "{format}");
        assert_eq!(out.matches("DuckDNS").count(), 101, "{format}");
        assert!(
            process::stderr(&o).contains(&format!(
                "1 bad lines passed through unchanged (first: line {line}, byte"
            )),
            "{format}: {}",
            process::stderr(&o)
        );
    }
}

/// The answer never depends on where reads end: a CSV whose first 2 MiB
/// have no value in the field, a JSON-lines file and a Zeek log, each
/// fed through a pipe in small, slow pieces (the header a byte at a
/// time), give exactly what the whole file gives.
#[test]
fn enrich_fed_slowly_through_a_pipe() {
    use std::io::Write;
    let mut csv = b"x,query\n".to_vec();
    while csv.len() < 2 << 20 {
        csv.extend_from_slice(b"some filler text,\n");
    }
    csv.extend_from_slice(b"1,a.duckdns.org\n");
    let jsonl = b"\xEF\xBB\xBF{\"query\":\"a.ddns.net\"}\r\n{\"query\":\"b.example\"}".to_vec();
    let zeek = b"#fields\tquery\n#types\tstring\na.ddns.net\n".to_vec();
    for (format, input) in [("csv", csv), ("jsonl", jsonl), ("zeek", zeek)] {
        let (_dir, path) = scratch("whole", &input);
        let whole =
            process::run(bin().args(["enrich", "--no-local", "--format", format]).arg(&path), b"");
        assert!(whole.status.success(), "{format}: {}", process::stderr(&whole));
        let mut child =
            process::spawn(bin().args(["enrich", "--no-local", "--format", format, "-"]));
        let mut pipe = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || {
            let (head, rest) = input.split_at(input.len().min(40));
            for b in head {
                pipe.write_all(&[*b]).unwrap();
                pipe.flush().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            for piece in rest.chunks(100_003) {
                pipe.write_all(piece).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        let slow = process::finish(child);
        feeder.join().unwrap();
        assert!(slow.status.success(), "{format}: {}", process::stderr(&slow));
        assert!(slow.stdout == whole.stdout, "{format}: the output depends on the reads");
    }
}

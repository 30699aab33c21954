//! Generated SCP v2 sessions through the real binary, driven the way
//! splunkd drives it (lock-step, one reply per request, EOF at the end).
//!
//! Each session sends a realistic getinfo and then ~30 execute requests of
//! 0..500 splunkd-style CSV records: LF, CRLF and mixed row ends, empty
//! (0-byte) and header-only bodies with `finished` false and true,
//! `_chunked_idx` columns (per-request and global numbering), multivalue
//! answer fields, values with commas, quotes, embedded CR/LF, `$`, Unicode
//! and invalid UTF-8 in other fields, a field set that changes between
//! requests, and the named fields missing from some requests. Every reply is
//! checked by `util::scp::check_execute_reply` (finished echo, record count,
//! every input field byte-identical, raw record bytes kept, appended columns
//! equal to the naive oracle over `lookups/dynamic_dns_providers.csv`).
//!
//! Each session runs in both of splunkd's modes at once
//! (`util::scp::Splunkd`): one process gets every field, the other only the
//! fields its real getinfo reply declares in `required_fields` plus
//! `_chunked_idx`, and its replies are merged back into the full events by
//! `_chunked_idx`; the merged events must equal the all-fields run's, and
//! every field the command does not write must survive. Success writes
//! nothing to stderr.

use crate::util::prelude::*;
use proptest::prelude::*;

/// Fields other than the ones the command reads.
const OTHER_FIELDS: &[&str] =
    &["_time", "_raw", "src", "host", "count", "weird, \"name\"", "ünïcode", "mv_other", "bin"];

/// Text fragments for free-text values.
const FRAGMENTS: &[&[u8]] = &[
    b"a",
    b"Z9",
    b" ",
    b",",
    b"\"",
    b"\"\"",
    b"\n",
    b"\r\n",
    b"\r",
    b"$",
    b";",
    b"$a$;$b$",
    b"__mv_",
    b"chunked 1.0,1,1\n",
    "Tú novia".as_bytes(),
    "日本語".as_bytes(),
    "🙂".as_bytes(),
    "مرحبا".as_bytes(),
    "ไทย".as_bytes(),
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\x00",
    b"\t",
    b"word123.duckdns.org",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Eol {
    Lf,
    Crlf,
    Mixed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A 0-byte body.
    Empty,
    /// A header row and no records.
    HeaderOnly(Eol),
    /// A header row and this many records.
    Records(usize),
}

struct Gen {
    rng: SplitMix64,
    hosts: Vec<String>,
    /// Fields the command is told to read.
    named: Vec<&'static str>,
    /// `_chunked_idx`: None = absent, Some(global) = present.
    chunked_idx: Option<bool>,
    next_idx: u64,
}

/// Hosts drawn from the lookup's zones (below a zone, apexes, lookalikes,
/// upper case) plus values that are no DDNS host at all.
fn host_pool(oracle: &Oracle, rng: &mut SplitMix64) -> Vec<String> {
    let zones: Vec<&str> = oracle.zones.iter().map(|z| z.zone.as_str()).collect();
    let set: std::collections::HashSet<&str> = zones.iter().copied().collect();
    // Zones below another zone first (longest-match cases), then a sample.
    let nested = |z: &&str| z.match_indices('.').any(|(i, _)| set.contains(&z[i + 1..]));
    let mut picked: Vec<&str> = zones.iter().copied().filter(nested).step_by(7).take(24).collect();
    let stride = (zones.len() / 40).max(1);
    picked.extend(zones.iter().copied().step_by(stride).take(40));
    picked.sort_unstable();
    picked.dedup();
    let mut hosts = Vec::new();
    for z in picked {
        let n = rng.below(1000);
        hosts.push(format!("word{n}.{z}"));
        hosts.push(format!("a-b.c{n}.x_y.{z}"));
        hosts.push(z.to_string());
        hosts.push(format!("{z}.evil.com"));
        hosts.push(format!("my{z}"));
        hosts.push(format!("{z}x"));
        hosts.push(format!("WORD{n}.{}", z.to_ascii_uppercase()));
    }
    for h in [
        "-",
        "",
        "10.1.2.3",
        "192.168.0.1",
        "example.com",
        "www.example.org",
        "localhost",
        "a.b.c.d.e.f",
    ] {
        hosts.push(h.to_string());
    }
    hosts
}

impl Gen {
    fn new(seed: u64, oracle: &Oracle, named: &[&'static str], chunked_idx: Option<bool>) -> Gen {
        let mut rng = SplitMix64::new(seed);
        let hosts = host_pool(oracle, &mut rng);
        Gen { rng, hosts, named: named.to_vec(), chunked_idx, next_idx: 0 }
    }

    fn text(&mut self, max_parts: usize) -> Vec<u8> {
        let n = self.rng.below(max_parts + 1);
        let mut v = Vec::new();
        for _ in 0..n {
            let f: &[u8] = self.rng.pick::<&[u8]>(FRAGMENTS);
            v.extend_from_slice(f);
        }
        v
    }

    fn host_cell(&mut self) -> Values {
        let n = match self.rng.below(10) {
            0 => 0,
            1..=6 => 1,
            _ => 2 + self.rng.below(3),
        };
        (0..n).map(|_| self.rng.pick(&self.hosts).clone().into_bytes()).collect()
    }

    fn cell(&mut self, field: &str, idx: u64) -> Values {
        if self.named.contains(&field) || field == "query" || field == "answer" {
            return self.host_cell();
        }
        let one = |v: Vec<u8>| if v.is_empty() { vec![] } else { vec![v] };
        match field {
            "_time" => {
                vec![format!("17000{:05}.{:03}", self.rng.below(100_000), self.rng.below(1000))
                    .into_bytes()]
            }
            "_raw" | "weird, \"name\"" => one(self.text(12)),
            "src" => vec![format!(
                "10.{}.{}.{}",
                self.rng.below(256),
                self.rng.below(256),
                self.rng.below(256)
            )
            .into_bytes()],
            "host" => vec![format!("web-{:02}", self.rng.below(100)).into_bytes()],
            "count" => vec![self.rng.below(100_000).to_string().into_bytes()],
            "ünïcode" => one(["Tú novia te ama", "東京 🙂", "", "مرحبا بالعالم"]
                [self.rng.below(4)]
            .as_bytes()
            .to_vec()),
            "mv_other" => {
                let n = self.rng.below(4);
                (0..n).map(|_| self.text(4)).collect()
            }
            "bin" => one((0..self.rng.below(12)).map(|_| self.rng.next_u64() as u8).collect()),
            "_chunked_idx" => vec![idx.to_string().into_bytes()],
            other => panic!("no generator for {other}"),
        }
    }

    /// A field set for one request: a random subset of the other fields
    /// and the named ones, shuffled; `_chunked_idx` after the fields as
    /// splunkd puts it.
    fn fields(&mut self) -> Vec<&'static str> {
        let mut f: Vec<&'static str> =
            OTHER_FIELDS.iter().copied().filter(|_| self.rng.chance(0.5)).collect();
        for n in self.named.clone() {
            if self.rng.chance(0.75) {
                f.push(n);
            }
        }
        // A field the command is not told about, named like one it may be.
        if self.rng.chance(0.3) && !self.named.contains(&"query") {
            f.push("query");
        }
        if f.is_empty() {
            f.push("_time");
        }
        for i in (1..f.len()).rev() {
            let j = self.rng.below(i + 1);
            f.swap(i, j);
        }
        if self.chunked_idx.is_some() {
            f.push("_chunked_idx");
        }
        f
    }

    fn body(&mut self, kind: Kind) -> Vec<u8> {
        let fields = self.fields();
        let (n, eol) = match kind {
            Kind::Empty => return Vec::new(),
            Kind::HeaderOnly(eol) => (0, eol),
            Kind::Records(n) => (n, *self.rng.pick(&[Eol::Lf, Eol::Lf, Eol::Crlf, Eol::Mixed])),
        };
        if self.chunked_idx == Some(false) {
            self.next_idx = 0;
        }
        let mut rows = Vec::with_capacity(n);
        for _ in 0..n {
            let idx = self.next_idx;
            self.next_idx += 1;
            rows.push(fields.iter().map(|f| self.cell(f, idx)).collect());
        }
        let ends: Vec<&'static str> = (0..=n)
            .map(|_| match eol {
                Eol::Lf => "\n",
                Eol::Crlf => "\r\n",
                Eol::Mixed => {
                    if self.rng.chance(0.5) {
                        "\n"
                    } else {
                        "\r\n"
                    }
                }
            })
            .collect();
        splunk_csv_with_eol(&fields, &rows, |i| ends[i])
    }
}

#[derive(Debug, Default)]
struct Totals {
    requests: usize,
    records: usize,
    matched: usize,
    multi_zone: usize,
    warnings: usize,
}

/// The `_chunked_idx` numbering for the generator's setting: its own
/// `_chunked_idx` column (per request or global) stands for what splunkd
/// sends in all-fields mode; selected-fields mode numbers the same way.
fn idx_numbering(chunked_idx: Option<bool>) -> ChunkedIdx {
    match chunked_idx {
        Some(true) => ChunkedIdx::Global,
        _ => ChunkedIdx::PerRequest,
    }
}

/// Sends one body of full events to both processes — `all` gets every
/// field, `sel` only the declared ones (merged back by `_chunked_idx`) —
/// and checks both replies against the request each got
/// ([`check_execute_reply`], with the oracle), that the merged events
/// equal the all-fields run's (verdicts included), that every field the
/// command does not write survives the merge unchanged, and that both
/// modes warn alike. Returns the all-fields exchange.
fn exchange_both(
    all: &mut Splunkd,
    sel: &mut Splunkd,
    what: &str,
    finished: bool,
    full: &[u8],
    named: &[&str],
    oracle: Option<&Oracle>,
) -> (Csv, Csv, Reply) {
    let a = all.execute(what, finished, full);
    let (input, output) = check_execute_reply(what, &a.body, finished, &a.reply, named, oracle);
    let what_sel = format!("{what}, selected fields");
    let s = sel.execute(&what_sel, finished, full);
    check_execute_reply(&what_sel, &s.body, finished, &s.reply, named, oracle);
    s.events.assert_same(&a.events, &what_sel);
    let events = Events::from_csv(&input);
    let written = |n: &[u8]| ADDED.iter().chain(&["__mv_isDynDNS"]).any(|a| a.as_bytes() == n);
    for (c, name) in events.header.iter().enumerate().filter(|(_, n)| !written(n)) {
        for (r, row) in events.rows.iter().enumerate() {
            assert_eq!(s.events.get(r, name), &row[c][..], "{what_sel}: event {r} lost {name:?}");
        }
    }
    assert_eq!(
        a.reply.metadata.get("inspector"),
        s.reply.metadata.get("inspector"),
        "{what}: the modes warn differently"
    );
    (input, output, a.reply)
}

/// Asserts stderr holds exactly `warnings` lines, each the missing-field
/// warning: nothing else is written when all is well.
fn assert_quiet(stderr: &str, warnings: usize) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), warnings, "stderr: {stderr:?}");
    assert!(lines.iter().all(|l| l.starts_with("dynamicdns: none of the ")), "{stderr:?}");
}

/// One generated session: getinfo with `args`, `n` execute requests (the
/// last one `finished:true` and of kind `last`), EOF; run twice at once,
/// as splunkd would with all fields and in selected-fields mode (see
/// [`exchange_both`]), every reply checked.
fn run_stream(
    seed: u64,
    args: &[&str],
    named: &[&'static str],
    chunked_idx: Option<bool>,
    n: usize,
    last: Kind,
) -> Totals {
    let oracle = Oracle::shared();
    let mut g = Gen::new(seed, oracle, named, chunked_idx);
    let idx = idx_numbering(chunked_idx);
    let mut all = Splunkd::start(FieldMode::All, idx, args);
    let mut sel = Splunkd::start(FieldMode::Selected, idx, args);
    assert!(sel.selects(), "{:?}", sel.required);
    let mut t = Totals::default();
    for i in 0..n {
        let finished = i + 1 == n;
        let kind = if finished {
            last
        } else {
            match i {
                2 => Kind::Empty,
                4 => Kind::HeaderOnly(Eol::Lf),
                6 => Kind::HeaderOnly(Eol::Crlf),
                8 => Kind::Records(500),
                _ if g.rng.chance(0.1) => Kind::Empty,
                _ if g.rng.chance(0.1) => Kind::HeaderOnly(Eol::Lf),
                _ if g.rng.chance(0.2) => Kind::Records(g.rng.below(501)),
                _ => Kind::Records(g.rng.below(60)),
            }
        };
        let body = g.body(kind);
        let what = format!("seed {seed}, request {} ({kind:?}, finished {finished})", i + 1);
        let (input, output, reply) =
            exchange_both(&mut all, &mut sel, &what, finished, &body, named, Some(oracle));
        t.requests += 1;
        t.records += input.rows.len();
        t.warnings += usize::from(reply.metadata.contains_key("inspector"));
        if !output.rows.is_empty() {
            let is = output.col("isDynDNS").unwrap();
            let zone = output.col("dyndns_zone").unwrap();
            t.matched += output.rows.iter().filter(|r| &r[is] == b"True").count();
            t.multi_zone += output.rows.iter().filter(|r| r[zone].contains(&b'\n')).count();
        }
    }
    for (mode, d) in [("all fields", all), ("selected fields", sel)] {
        let fin = d.finish();
        eprintln!("seed {seed}, {mode}: {t:?}");
        assert!(fin.status.success(), "exit status {:?}, stderr {:?}", fin.status, fin.stderr);
        assert_quiet(&fin.stderr, t.warnings);
    }
    assert_eq!(t.requests, n);
    if !oracle.zones.is_empty() {
        assert!(
            t.matched > 0,
            "no record matched: the generator is not exercising the matcher ({t:?})"
        );
        assert!(t.multi_zone > 0, "no record had several zones ({t:?})");
    }
    assert!(t.warnings <= 1, "the missing-field warning was repeated ({t:?})");
    t
}

#[test]
fn stream_two_fields_ends_with_records() {
    let t = run_stream(
        1,
        &["field=query,answer"],
        &["query", "answer"],
        Some(false),
        30,
        Kind::Records(77),
    );
    assert!(t.records > 500, "{t:?}");
}

#[test]
fn stream_answer_field_ends_header_only_lf() {
    run_stream(
        2,
        &["field=answer", "mode=host"],
        &["answer"],
        Some(true),
        30,
        Kind::HeaderOnly(Eol::Lf),
    );
}

#[test]
fn stream_default_field_ends_empty() {
    run_stream(3, &[], &["query"], None, 30, Kind::Empty);
}

#[test]
fn stream_spaced_field_list_ends_header_only_crlf() {
    run_stream(
        4,
        &["field=answer, query"],
        &["answer", "query"],
        Some(false),
        30,
        Kind::HeaderOnly(Eol::Crlf),
    );
}

#[test]
fn named_field_absent_everywhere_warns_once_and_passes_records_through() {
    // `nosuchfield` is in no event: with all fields it is in no header, in
    // selected-fields mode it is an empty column. Either way every record
    // is False and the WARN comes once, with splunkd's last request (when
    // the whole session is known to have no value), in the job inspector
    // and on stderr.
    let oracle = Oracle::shared();
    let mut g = Gen::new(5, oracle, &[], None);
    let args = ["field=nosuchfield"];
    let mut all = Splunkd::start(FieldMode::All, ChunkedIdx::PerRequest, &args);
    let mut sel = Splunkd::start(FieldMode::Selected, ChunkedIdx::PerRequest, &args);
    let kinds = [Kind::HeaderOnly(Eol::Lf), Kind::Records(20), Kind::Records(3), Kind::Records(0)];
    for (i, &kind) in kinds.iter().enumerate() {
        let finished = i + 1 == kinds.len();
        let body = g.body(kind);
        let what = format!("request {i}");
        let (_, _, reply) = exchange_both(
            &mut all,
            &mut sel,
            &what,
            finished,
            &body,
            &["nosuchfield"],
            Some(oracle),
        );
        assert_eq!(
            reply.metadata.contains_key("inspector"),
            finished,
            "request {i}: {:?}",
            reply.metadata
        );
    }
    for d in [all, sel] {
        let fin = d.finish();
        assert!(fin.status.success());
        assert_quiet(&fin.stderr, 1);
    }
}

/// A batch whose events all lack the field read is normal — in
/// selected-fields mode the declared field comes as an empty column — and
/// is not warned about while some event of the session has a value (in an
/// earlier or a later request). A session in which no event has one gets
/// the warning once, with splunkd's last request, counting every event.
#[test]
fn empty_batches_warn_only_when_no_event_of_the_session_has_a_value() {
    let args = ["field=query"];
    let inspector = |r: &Reply| r.metadata.get("inspector").cloned();
    for mode in [FieldMode::All, FieldMode::Selected] {
        for value_first in [false, true] {
            let mut d = Splunkd::start(mode, ChunkedIdx::PerRequest, &args);
            let with_value = b"src,query\n10.0.0.3,x.duckdns.org\n".as_slice();
            let small = [
                b"src,_raw\n10.0.0.1,a\n10.0.0.2,b\n".as_slice(),
                b"src,query\n10.0.0.1,\n".as_slice(),
            ];
            let mut bodies = small.to_vec();
            bodies.insert(if value_first { 0 } else { 2 }, with_value);
            for (i, body) in bodies.iter().enumerate() {
                let sent = d.execute(&format!("{mode:?} {i}"), false, body);
                assert_eq!(inspector(&sent.reply), None, "{mode:?}, request {i}");
            }
            let last = d.execute("last", true, b"src,query\n");
            assert_eq!(inspector(&last.reply), None, "{mode:?}, last");
            let fin = d.finish();
            assert!(fin.status.success());
            assert_eq!(fin.stderr, "", "{mode:?}");
        }

        let mut d = Splunkd::start(mode, ChunkedIdx::PerRequest, &args);
        for (i, body) in [&b"src,_raw\n10.0.0.1,a\n"[..], b"src,query\n10.0.0.2,\n10.0.0.3,\n"]
            .iter()
            .enumerate()
        {
            let sent = d.execute(&format!("{i}"), false, body);
            assert_eq!(inspector(&sent.reply), None, "{mode:?} {i}");
        }
        let last = d.execute("last", true, b"src,query\n10.0.0.4,\n");
        let warn = "dynamicdns: none of the 4 events dynamicdns received has a value in the \
                    field query, so they all get isDynDNS=False. Check the field name (field=; \
                    names are case-sensitive, e.g. QueryName in Sysmon events, query in CIM \
                    data) and that the search extracts the field before dynamicdns (not dropped \
                    by | fields or | table, extracted for this sourcetype); if the events have \
                    it, try allfields=true";
        assert_eq!(
            inspector(&last.reply),
            Some(serde_json::json!({ "messages": [["WARN", warn]] })),
            "{mode:?}"
        );
        let fin = d.finish();
        assert!(fin.status.success());
        assert_eq!(fin.stderr, format!("{warn}\n"), "{mode:?}");
    }
}

/// Field pruning: in selected-fields mode splunkd sends the declared
/// fields only (a DDNS host in an undeclared field is never seen), each
/// declared field even where no event has it, then `_chunked_idx`, then
/// the twins; every other field of the events survives the merge.
#[test]
fn selected_fields_mode_sends_only_declared_fields() {
    let rows: Vec<Vec<Values>> = vec![
        vec![
            vec![b"www.example.com".to_vec()],
            vec![b"x.duckdns.org".to_vec()],
            vec![b"10.0.0.1".to_vec()],
        ],
        vec![vec![b"a.ddns.net".to_vec()], vec![], vec![b"10.0.0.2".to_vec()]],
    ];
    let full = splunk_csv(&["query", "answer", "src"], &rows, false);
    let oracle = Oracle::shared();
    for (args, named, sent_header, verdicts) in [
        (
            &["field=query"][..],
            &["query"][..],
            &br#"query,isDynDNS,provider,"dyndns_zone","dyndns_category","dyndns_tier","_chunked_idx","__mv_query","__mv_isDynDNS","__mv_provider","__mv_dyndns_zone","__mv_dyndns_category","__mv_dyndns_tier","__mv__chunked_idx""#[..],
            [&b"False"[..], b"True"],
        ),
        (
            &["field=query,answer"],
            &["query", "answer"],
            br#"query,answer,isDynDNS,provider,"dyndns_zone","dyndns_category","dyndns_tier","_chunked_idx","__mv_query","__mv_answer","__mv_isDynDNS","__mv_provider","__mv_dyndns_zone","__mv_dyndns_category","__mv_dyndns_tier","__mv__chunked_idx""#,
            [b"True", b"True"],
        ),
        (
            &["field=url"],
            &["url"],
            br#"url,isDynDNS,provider,"dyndns_zone","dyndns_category","dyndns_tier","_chunked_idx","__mv_url","__mv_isDynDNS","__mv_provider","__mv_dyndns_zone","__mv_dyndns_category","__mv_dyndns_tier","__mv__chunked_idx""#,
            [b"False", b"False"],
        ),
    ] {
        let mut all = Splunkd::start(FieldMode::All, ChunkedIdx::PerRequest, args);
        let mut sel = Splunkd::start(FieldMode::Selected, ChunkedIdx::PerRequest, args);
        let what = format!("{args:?}");
        exchange_both(&mut all, &mut sel, &what, false, &full, named, Some(oracle));
        let s = sel.execute(&what, true, &full);
        let header = &s.body[..s.body.iter().position(|&b| b == b'\n').unwrap()];
        assert_eq!(String::from_utf8_lossy(header), String::from_utf8_lossy(sent_header));
        assert!(!s.body.windows(6).any(|w| w == b"10.0.0"), "src was sent");
        for (r, want) in verdicts.iter().enumerate() {
            assert_eq!(s.events.get(r, b"isDynDNS"), *want, "{what}: event {r}");
            assert_eq!(s.events.get(r, b"src"), &rows[r][2][0][..]);
            assert_eq!(s.events.get(r, b"answer"), rows[r][1].concat());
        }
        for d in [all, sel] {
            let fin = d.finish();
            assert!(fin.status.success());
        }
    }
    // allfields=true: required_fields ["*"], so splunkd sends every field.
    let mut sel = Splunkd::start(FieldMode::Selected, ChunkedIdx::PerRequest, &["allfields=true"]);
    assert_eq!(sel.required, Some(vec!["*".to_string()]));
    assert!(!sel.selects());
    let s = sel.execute("allfields", true, &full);
    assert_eq!(s.body, full);
    check_execute_reply("allfields", &s.body, true, &s.reply, &["query"], Some(oracle));
    assert!(sel.finish().status.success());
}

/// Records sent without `_chunked_idx` (a splunkd that does not number
/// them) come back one for one, in order, unchanged: each reply is checked
/// against what was sent, and merged back by position it equals the
/// all-fields run.
#[test]
fn selected_fields_without_chunked_idx_pass_through_in_order() {
    let oracle = Oracle::shared();
    let mut g = Gen::new(11, oracle, &["query", "answer"], None);
    let args = ["field=query,answer"];
    let mut all = Splunkd::start(FieldMode::All, ChunkedIdx::PerRequest, &args);
    let mut sel = Splunkd::start(FieldMode::Selected, ChunkedIdx::Absent, &args);
    let kinds =
        [Kind::Records(200), Kind::HeaderOnly(Eol::Lf), Kind::Records(1), Kind::Records(50)];
    let mut warnings = 0;
    for (i, &kind) in kinds.iter().enumerate() {
        let finished = i + 1 == kinds.len();
        let body = g.body(kind);
        let what = format!("request {i}");
        let named = ["query", "answer"];
        let (_, _, reply) =
            exchange_both(&mut all, &mut sel, &what, finished, &body, &named, Some(oracle));
        warnings += usize::from(reply.metadata.contains_key("inspector"));
    }
    let body = g.body(Kind::Records(5));
    let a = all.execute("last", false, &body);
    let s = sel.execute("last", false, &body);
    warnings += usize::from(s.reply.metadata.contains_key("inspector"));
    assert!(!s.body.windows(12).any(|w| w == b"_chunked_idx"));
    s.events.assert_same(&a.events, "last");
    for d in [all, sel] {
        let fin = d.finish();
        assert!(fin.status.success());
        assert_quiet(&fin.stderr, warnings);
    }
}

/// Text mode (`mode=text`, `_raw`) in selected-fields mode: `_raw` is
/// declared and sent, the verdicts equal the all-fields run's.
#[test]
fn selected_fields_text_mode() {
    let rows: Vec<Vec<Values>> = (0..40)
        .map(|i| {
            let raw = match i % 4 {
                0 => format!("<Event><Data Name='QueryName'>h{i}.duckdns.org</Data></Event>"),
                1 => format!("powershell iwr http://x{i}.ddns.net/a.ps1, ping duckdns.org"),
                2 => format!("nothing here {i}"),
                _ => String::new(),
            };
            let raw = if raw.is_empty() { vec![] } else { vec![raw.into_bytes()] };
            vec![vec![format!("17000000{i:02}").into_bytes()], raw, vec![b"web-01".to_vec()]]
        })
        .collect();
    let full = splunk_csv(&["_time", "_raw", "host"], &rows, false);
    let args = ["field=_raw", "mode=text"];
    let mut all = Splunkd::start(FieldMode::All, ChunkedIdx::PerRequest, &args);
    let mut sel = Splunkd::start(FieldMode::Selected, ChunkedIdx::PerRequest, &args);
    let (_, output, _) = exchange_both(&mut all, &mut sel, "text", true, &full, &["_raw"], None);
    let matched = output.column("isDynDNS").iter().filter(|v| **v == b"True").count();
    assert_eq!(matched, 20);
    for d in [all, sel] {
        assert!(d.finish().status.success());
    }
}

#[test]
fn getinfo_only_probe_exits_0() {
    let mut d = Driver::spawn();
    d.handshake(&["field=query"]);
    let fin = d.finish();
    assert_eq!(fin.status.code(), Some(0), "stderr {:?}", fin.stderr);
    assert_eq!(fin.stderr, "", "a probe that only asks getinfo writes nothing to stderr");
}

#[test]
fn eof_at_start_exits_0() {
    let fin = Driver::spawn().finish();
    assert_eq!(fin.status.code(), Some(0), "stderr {:?}", fin.stderr);
}

#[test]
fn finished_true_on_empty_and_header_only_bodies() {
    // splunkd ends with either; each gets an empty-bodied {"finished":true}.
    for body in
        [Vec::new(), b"query,\"__mv_query\"\n".to_vec(), b"query,\"__mv_query\"\r\n".to_vec()]
    {
        let (replies, fin) =
            run_session(&[getinfo(&[]), execute(false, &body), execute(true, &body)]);
        assert_eq!(replies[1].metadata_raw, br#"{"finished":false}"#);
        assert_eq!(replies[2].metadata_raw, br#"{"finished":true}"#);
        assert!(replies[1].body.is_empty() && replies[2].body.is_empty());
        assert!(fin.status.success());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary bytes in another field, and hosts in the named one, survive
    /// a session unchanged.
    #[test]
    fn arbitrary_bytes_survive(
        raws in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..48), 1..40),
        picks in proptest::collection::vec(any::<u16>(), 40),
        crlf in any::<bool>(),
    ) {
        let oracle = Oracle::shared();
        let hosts = host_pool(oracle, &mut SplitMix64::new(9));
        let rows: Vec<Vec<Values>> = raws
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                let host = hosts[picks[i] as usize % hosts.len()].clone().into_bytes();
                let raw = if raw.is_empty() { vec![] } else { vec![raw.clone()] };
                vec![raw, vec![host]]
            })
            .collect();
        let body = splunk_csv(&["_raw", "query"], &rows, crlf);
        let (replies, fin) = run_session(&[getinfo(&[]), execute(true, &body)]);
        check_execute_reply("proptest", &body, true, &replies[1], &["query"], Some(oracle));
        prop_assert!(fin.status.success());
    }
}

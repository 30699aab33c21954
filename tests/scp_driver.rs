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

/// One generated session: getinfo with `args`, `n` execute requests (the
/// last one `finished:true` and of kind `last`), EOF; every reply checked.
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
    let mut d = Driver::spawn();
    d.handshake(args);
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
        let reply = d.request(&execute(finished, &body));
        let what = format!("seed {seed}, request {} ({kind:?}, finished {finished})", i + 1);
        let (input, output) =
            check_execute_reply(&what, &body, finished, &reply, named, Some(oracle));
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
    let fin = d.finish();
    eprintln!("seed {seed}: {t:?}");
    assert!(fin.status.success(), "exit status {:?}, stderr {:?}", fin.status, fin.stderr);
    assert!(!fin.stderr.contains("panicked"), "stderr: {}", fin.stderr);
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
    // `nosuchfield` is never in a header: every record is False and the
    // WARN comes with the first request that has records, once.
    let oracle = Oracle::shared();
    let mut g = Gen::new(5, oracle, &[], None);
    let mut d = Driver::spawn();
    d.handshake(&["field=nosuchfield"]);
    let kinds = [Kind::HeaderOnly(Eol::Lf), Kind::Records(20), Kind::Records(3), Kind::Records(0)];
    for (i, &kind) in kinds.iter().enumerate() {
        let finished = i + 1 == kinds.len();
        let body = g.body(kind);
        let reply = d.request(&execute(finished, &body));
        check_execute_reply(
            &format!("request {i}"),
            &body,
            finished,
            &reply,
            &["nosuchfield"],
            Some(oracle),
        );
        assert_eq!(
            reply.metadata.contains_key("inspector"),
            i == 1,
            "request {i}: {:?}",
            reply.metadata
        );
    }
    assert!(d.finish().status.success());
}

#[test]
fn getinfo_only_probe_exits_0() {
    let mut d = Driver::spawn();
    d.handshake(&["field=query"]);
    let fin = d.finish();
    assert_eq!(fin.status.code(), Some(0), "stderr {:?}", fin.stderr);
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

/// The driver itself catches what a broken command would do (DESIGN.md,
/// "The protocol's contract"): each fake command (a shell script) must be
/// flagged.
#[test]
fn driver_flags_misbehaving_commands() {
    use std::process::Command;
    use std::time::Duration;
    const OK: &str = r#"printf 'chunked 1.0,20,0\n{"type":"streaming"}'"#;
    // Short time-outs only where the fake is meant to hang.
    let fake = |script: String| {
        let hangs = script.contains("sleep");
        let mut cmd = Command::new("sh");
        // Each fake reads the request's header line before answering.
        cmd.arg("-c").arg(format!("IFS= read -r header; {script}"));
        Driver::spawn_command(cmd, Duration::from_millis(if hangs { 600 } else { 10_000 }))
    };
    // (script, error expected from the getinfo request or else from finish)
    let on_request: &[(String, &str)] = &[
        ("printf 'dynamicdns v1\\n'; exec cat >/dev/null".to_string(), "malformed reply header"),
        (
            r#"printf 'chunked 1.0,20,0\r\n{"type":"streaming"}'; exec cat >/dev/null"#
                .to_string(),
            "malformed reply header",
        ),
        (
            r#"printf 'chunked 1.0,9,0\n{"a":"\303\251"}'; exec cat >/dev/null"#.to_string(),
            "not JSON",
        ),
        ("printf 'chunked 1.0,2,0\\n[]'; exec cat >/dev/null".to_string(), "not a JSON object"),
        (r#"printf 'chunked 1.0,20,5\n{"type":"streaming"}ab'"#.to_string(), "ended after 2 of 5"),
        ("exec sleep 30".to_string(), "no reply to request 1"),
        ("exit 0".to_string(), "stdout ended"),
    ];
    for (script, want) in on_request {
        let mut d = fake(script.clone());
        let err = d.try_request(&getinfo(&[])).expect_err(script);
        assert!(err.contains(want), "{script}: {err}");
    }
    let on_finish: &[(String, &str)] = &[
        (format!("{OK}; {OK}; exec cat >/dev/null"), "extra chunk"),
        (format!("{OK}; cat >/dev/null; printf '\\n'"), "after the last reply"),
        (format!("{OK}; cat >/dev/null; exec sleep 30 >/dev/null"), "did not exit"),
    ];
    for (script, want) in on_finish {
        let mut d = fake(script.clone());
        d.try_request(&getinfo(&[])).unwrap_or_else(|e| panic!("{script}: {e}"));
        let err = d.try_finish().expect_err(script);
        assert!(err.contains(want), "{script}: {err}");
    }
    // A double reply is also caught at the next request.
    let mut d = fake(format!("{OK}; {OK}; exec cat >/dev/null"));
    d.request(&getinfo(&[]));
    std::thread::sleep(Duration::from_millis(200));
    let err = d.try_request(&execute(true, b"")).expect_err("double reply");
    assert!(err.contains("unsolicited chunk"), "{err}");
    // A non-zero exit is reported, not hidden.
    let mut d = fake(format!("{OK}; cat >/dev/null; exit 3"));
    d.request(&getinfo(&[]));
    let fin = d.finish();
    assert_eq!(fin.status.code(), Some(3));
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

//! Round-trip property (issue #7): arbitrary splunkd-style records, split
//! into any number of execute requests, come back in order with every input
//! field byte-identical, their raw bytes kept, and exactly the added
//! columns appended.
//!
//! Generated: field names (`_`-prefixed, with quotes, commas, spaces,
//! Unicode), values of arbitrary bytes (quotes, commas, CR/LF, `$`, invalid
//! UTF-8, NUL, empty), multivalue cells with `$` in the values, values up to
//! 70,000 bytes, up to 24 fields, and the named field (`query`) holding
//! plain hosts (checked against the naive oracle) or arbitrary bytes
//! (checked for consistency only). Most cases go through the library
//! session (`scp::streaming::run`, fast); a few through the real `dynamicdns scp`
//! binary with the lock-step driver. Every reply is checked by
//! `util::scp::check_execute_reply`, whose CSV oracle is the `csv` crate.
//!
//! Failing cases are kept in `tests/round_trip.proptest-regressions` and
//! replayed first on every run.

use crate::util::prelude::*;
use dynamicdns_engine::scp::streaming::{self, ZoneSource};
use dynamicdns_engine::zoneset::ZoneSet;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::Value;

/// One generated session: header fields, rows, how the rows are split
/// into requests, and the line ending.
#[derive(Clone, Debug)]
struct Session {
    fields: Vec<String>,
    rows: Vec<Vec<Values>>,
    /// Rows per request, in order (0 = a header-only body).
    splits: Vec<usize>,
    crlf: bool,
    /// Whether `query` holds plain hosts (so the oracle applies).
    plain_query: bool,
}

/// Field names: the kinds splunkd sends and the kinds it could.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,12}",
        "_[a-z]{1,8}",
        Just("_raw".to_string()),
        Just("_time".to_string()),
        "[ -~]{1,10}",
        "[a-z]{1,4}[,\" ][a-z]{0,4}",
        "\\PC{1,6}",
    ]
}

/// One value's bytes.
fn value() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        Just(b",".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"$".to_vec()),
        Just(b"$$;$".to_vec()),
        Just(b"\x00".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just("ü日🙂".as_bytes().to_vec()),
        Just(b"x.duckdns.org".to_vec()),
        "[a-zA-Z0-9 .]{1,12}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 1..16),
    ];
    prop_oneof![
        24 => proptest::collection::vec(fragment, 0..8).prop_map(|f| f.concat()),
        1 => (any::<u8>(), 1000usize..70_000).prop_map(|(b, n)| {
            // A long value of a repeated byte with a comma and quote in it.
            let mut v = vec![b; n];
            v[n / 2] = b',';
            v[n / 3] = b'"';
            v
        }),
    ]
}

/// A cell: none, one or several values (multivalue).
fn cell() -> impl Strategy<Value = Values> {
    prop_oneof![
        1 => Just(Vec::new()),
        6 => value().prop_map(|v| vec![v]),
        2 => proptest::collection::vec(value(), 2..5),
    ]
}

/// Hosts for `query` when it holds plain hosts.
const HOSTS: &[&str] = &[
    "foo.duckdns.org",
    "a.b.ddns.net",
    "www.example.com",
    "x.no-ip.com",
    "duckdns.org",
    "deep.er.dyndns.org",
    "",
];

fn query_cell(plain: bool) -> BoxedStrategy<Values> {
    if plain {
        proptest::collection::vec(proptest::sample::select(HOSTS), 0..3)
            .prop_map(|hs| {
                hs.iter().filter(|h| !h.is_empty()).map(|h| h.as_bytes().to_vec()).collect()
            })
            .boxed()
    } else {
        cell().boxed()
    }
}

fn session(max_fields: usize, max_rows: usize) -> impl Strategy<Value = Session> {
    (
        proptest::collection::vec(field_name(), 1..max_fields),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(move |(names, with_query, plain_query, crlf)| {
            let mut fields: Vec<String> = Vec::new();
            for n in names {
                // Distinct names, none an added column, none an `__mv_`
                // twin (splunkd writes those itself), `query` only once.
                let taken = fields.contains(&n)
                    || ADDED.contains(&n.as_str())
                    || n.starts_with("__mv_")
                    || n == "query";
                if !taken {
                    fields.push(n);
                }
            }
            if with_query || fields.is_empty() {
                let at = fields.len() / 2;
                fields.insert(at, "query".to_string());
            }
            let q = fields.iter().position(|f| f == "query");
            let row = fields
                .iter()
                .enumerate()
                .map(|(i, _)| if Some(i) == q { query_cell(plain_query) } else { cell().boxed() })
                .collect::<Vec<_>>();
            (
                Just(fields),
                proptest::collection::vec(row, 0..max_rows),
                proptest::collection::vec(0usize..8, 1..6),
                Just(crlf),
                Just(plain_query),
            )
        })
        .prop_map(|(fields, rows, cuts, crlf, plain_query)| {
            // Spread the rows over the requests: each takes `cut` rows (the
            // last takes the rest), so bodies of 0 rows occur too.
            let mut splits = Vec::new();
            let mut left = rows.len();
            for (i, &c) in cuts.iter().enumerate() {
                let n = if i + 1 == cuts.len() { left } else { c.min(left) };
                splits.push(n);
                left -= n;
            }
            Session { fields, rows, splits, crlf, plain_query }
        })
}

/// The requests of a session: getinfo, then one execute per split (the
/// last with `finished` true), each body with its own header row.
fn requests(s: &Session) -> Vec<(Vec<u8>, Vec<u8>)> {
    let names: Vec<&str> = s.fields.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    let mut at = 0;
    for (i, &n) in s.splits.iter().enumerate() {
        let body = splunk_csv(&names, &s.rows[at..at + n], s.crlf);
        at += n;
        let finished = i + 1 == s.splits.len();
        out.push((execute(finished, &body), body));
    }
    out
}

fn check(s: &Session, replies: &[Reply], exchanges: &[(Vec<u8>, Vec<u8>)]) {
    assert_eq!(replies.len(), exchanges.len() + 1, "one reply per request");
    assert_eq!(replies[0].metadata_raw, getinfo_reply(&[]));
    let oracle = s.plain_query.then(Oracle::shared);
    let mut records = 0;
    for (i, ((_, body), reply)) in exchanges.iter().zip(&replies[1..]).enumerate() {
        let finished = i + 1 == exchanges.len();
        let (input, _) = check_execute_reply(
            &format!("request {}", i + 1),
            body,
            finished,
            reply,
            &["query"],
            oracle,
        );
        records += input.rows.len();
    }
    assert_eq!(records, s.rows.len(), "every record came back");
}

fn lookups_dir() -> std::path::PathBuf {
    crate::util::root().join("lookups")
}

/// Runs the session through the library entry point, as `dynamicdns scp`
/// does (same zones, same lookups folder).
fn run_library(s: &Session) {
    static SOURCE: std::sync::OnceLock<ZoneSource> = std::sync::OnceLock::new();
    let source = SOURCE
        .get_or_init(|| ZoneSource { base: ZoneSet::embedded(), lookups: Some(lookups_dir()) });
    let exchanges = requests(s);
    let mut input = getinfo(&[]);
    for (req, _) in &exchanges {
        input.extend_from_slice(req);
    }
    let mut out = Vec::new();
    let summary =
        streaming::run(&input[..], &mut out, source).into_result().expect("session succeeds");
    assert_eq!(summary.records, s.rows.len() as u64);
    let replies: Vec<Reply> = split_chunks(&out)
        .into_iter()
        .map(|(m, body)| {
            let metadata = match serde_json::from_slice(&m) {
                Ok(Value::Object(o)) => o,
                other => panic!("reply metadata {other:?}"),
            };
            Reply { metadata_raw: m, metadata, body }
        })
        .collect();
    check(s, &replies, &exchanges);
}

/// Runs the session through the real binary, lock-step.
fn run_binary(s: &Session) {
    let exchanges = requests(s);
    let mut all = vec![getinfo(&[])];
    all.extend(exchanges.iter().map(|(r, _)| r.clone()));
    let (replies, fin) = run_session(&all);
    assert!(fin.status.success(), "exit {:?}: {}", fin.status, fin.stderr);
    assert!(!fin.stderr.contains("panicked"), "{}", fin.stderr);
    check(s, &replies, &exchanges);
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// Through the library session: many cases, wide shapes.
    #[test]
    fn library_session_round_trips(s in session(24, 24)) {
        run_library(&s);
    }
}

proptest! {
    #![proptest_config(config(12))]

    /// Through the real binary: fewer cases (each spawns a process).
    #[test]
    fn binary_session_round_trips(s in session(12, 30)) {
        run_binary(&s);
    }
}

/// A fixed case of every awkward thing at once, so a failure here needs no
/// shrinking to read.
#[test]
fn awkward_fixed_case() {
    let s = Session {
        fields: vec![
            "_raw".into(),
            "query".into(),
            "we,ird \"name\"".into(),
            "ünï".into(),
            "_time".into(),
        ],
        rows: vec![
            vec![
                vec![b"a,b\r\nc\"d\"\x00\xff".to_vec()],
                vec![b"foo.duckdns.org".to_vec(), b"x.no-ip.com".to_vec()],
                vec![b"$a$;$b$".to_vec(), b"$$".to_vec(), b"".to_vec()],
                vec![],
                vec![vec![b'z'; 65_536]],
            ],
            vec![vec![], vec![], vec![], vec![b"\r".to_vec()], vec![b"\n".to_vec()]],
        ],
        splits: vec![0, 1, 0, 1],
        crlf: true,
        plain_query: true,
    };
    run_library(&s);
    run_binary(&s);
}

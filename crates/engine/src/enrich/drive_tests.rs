//! The one `enrich` driver: the same rules in every format, and an output
//! that does not depend on where reads end.

use std::io::Read;

use super::*;
use crate::enrich::{output_fields, Dialect, Format, FORMATS, UTF8_BOM};

fn zones() -> ZoneSet {
    ZoneSet::from_csv(&b"zone,provider\nduckdns.org,DuckDNS\nddns.net,No-IP\n"[..], "t").unwrap()
}

/// Hands out `data` in reads of the sizes given (the last repeated).
struct Pieces<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = if self.sizes.len() > 1 { self.sizes.remove(0) } else { self.sizes[0] };
        let n = size.max(1).min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Runs `input` as `format` judging `fields`, read in `sizes`; the output
/// and the summary or the error's text.
fn go(
    format: Format,
    fields: &[&str],
    pass_bad: bool,
    input: &[u8],
    sizes: Vec<usize>,
) -> (Vec<u8>, Result<Summary, String>) {
    let z = zones();
    let options =
        Options { fields: fields.iter().map(|f| f.to_string()).collect(), ..Options::default() };
    let mut out = Vec::new();
    let r = run(format, &z, &options, pass_bad, Pieces { data: input, sizes }, &mut out);
    (out, r.map_err(|e| e.to_string()))
}

fn whole(format: Format, fields: &[&str], input: &[u8]) -> (Vec<u8>, Result<Summary, String>) {
    go(format, fields, false, input, vec![usize::MAX])
}

/// The CSV header the enricher writes after `names`.
fn csv_header(names: &str) -> String {
    let out_names = crate::verdict::OutputNames::default();
    let added: Vec<&str> = output_fields(Dialect::PlainCsv, &out_names).collect();
    format!("{names},{}", added.join(","))
}

/// One input per format with a byte-order mark, CRLF and LF endings, a
/// match, a multi-line CSV value and a line longer than 64 KiB.
fn samples() -> Vec<(Format, &'static [&'static str], Vec<u8>)> {
    let long = "x".repeat(70_000);
    let mut csv = UTF8_BOM.to_vec();
    csv.extend(
        format!("n,query\r\n1,a.duckdns.org\r\n2,\"b\nc.ddns.net\"\n3,{long}\n4,\n").bytes(),
    );
    let mut jsonl = UTF8_BOM.to_vec();
    jsonl.extend(
        format!("{{\"query\":\"a.duckdns.org\"}}\r\n\n{{\"query\":\"{long}\"}}\n{{\"q\":1}}")
            .bytes(),
    );
    let mut zeek = UTF8_BOM.to_vec();
    zeek.extend(
        format!("#separator \\x09\n#fields\tts\tquery\n#types\ttime\tstring\n1\ta.ddns.net\n2\t{long}\n#close\tx\n")
            .bytes(),
    );
    vec![
        (Format::Csv, &["query"], csv),
        (Format::Jsonl, &["query"], jsonl),
        (Format::Zeek, &["query"], zeek),
    ]
}

/// Every format gives the same output however its input is cut into reads:
/// two reads split at every byte, and reads of every small size.
#[test]
fn output_does_not_depend_on_where_reads_end() {
    for (format, fields, input) in samples() {
        let (want, r) = whole(format, fields, &input);
        let r = r.unwrap();
        assert!(want.starts_with(UTF8_BOM), "{format}: the BOM is kept");
        assert_eq!(r.matched, if format == Format::Csv { 2 } else { 1 }, "{format}");
        let short = input.len() - 69_990;
        for cut in (0..short).chain(input.len() - 20..=input.len()) {
            let (got, r2) = go(format, fields, false, &input, vec![cut, usize::MAX]);
            assert!(got == want, "{format}: split at {cut}");
            assert_eq!(r2.as_ref(), Ok(&r), "{format}: split at {cut}");
        }
        for size in [1, 2, 3, 5, 64, 4096] {
            let (got, _) = go(format, fields, false, &input, vec![size]);
            assert!(got == want, "{format}: reads of {size}");
        }
    }
}

/// A field the header lacks is an error naming it, the header's fields and
/// a near miss, however the header arrives; nothing is written.
#[test]
fn a_field_the_header_lacks_is_an_error() {
    let csv = b"\xEF\xBB\xBFUtcTime,QueryName\n1,a.duckdns.org\n";
    let zeek = b"#fields\tts\tQuery\n#types\ttime\tstring\n1\ta.duckdns.org\n";
    let msg = |byte: usize, header: &str, near: &str| {
        format!(
            "line 1, byte {byte}: the header has no field named query (its fields: {header}); \
             did you mean --field {near}?"
        )
    };
    for cut in 0..csv.len() {
        let (out, r) = go(Format::Csv, &["query"], false, csv, vec![cut, usize::MAX]);
        assert_eq!(r, Err(msg(4, "UtcTime, QueryName", "QueryName")), "cut {cut}");
        assert!(out.is_empty());
    }
    for cut in 0..zeek.len() {
        let (out, r) = go(Format::Zeek, &["query"], false, zeek, vec![cut, usize::MAX]);
        assert_eq!(r, Err(msg(1, "ts, Query", "Query")), "cut {cut}");
        assert!(out.is_empty());
    }
    // JSON lines have no header: the fields no line had come back.
    let (out, r) =
        whole(Format::Jsonl, &["query", "QueryName"], b"{\"QueryName\":\"a.ddns.net\"}\n");
    assert!(out.ends_with(b"}\n"));
    let r = r.unwrap();
    assert_eq!(r.unseen_fields, ["query"]);
    assert_eq!(r.matched, 1);
    // A field that is there but empty everywhere is no error.
    let (out, r) = whole(Format::Csv, &["query"], b"query\n\n");
    assert_eq!(r.unwrap().records, 1);
    assert!(out.starts_with(csv_header("query").as_bytes()));
}

/// A header without records gives the header with the added columns;
/// empty input gives empty output; a lone byte-order mark stays.
#[test]
fn header_only_and_empty_inputs_are_valid() {
    for (input, want) in [
        (&b"query\n"[..], format!("{}\n", csv_header("query"))),
        (b"a,query\r\n", format!("{}\r\n", csv_header("a,query"))),
        (b"query", format!("{}\n", csv_header("query"))),
        (b"\xEF\xBB\xBFquery\n", format!("\u{feff}{}\n", csv_header("query"))),
        (b"", String::new()),
        (b"\xEF\xBB\xBF", "\u{feff}".to_string()),
    ] {
        let (out, r) = whole(Format::Csv, &["query"], input);
        assert_eq!(r.unwrap().records, 0, "{input:?}");
        assert_eq!(String::from_utf8(out).unwrap(), want, "{input:?}");
    }
    for format in FORMATS {
        let (out, r) = whole(*format, &["query"], b"");
        assert!(out.is_empty() && r.is_ok(), "{format}");
        let (out, r) = whole(*format, &["query"], b"\xFF\xFEq\0");
        assert!(out.is_empty(), "{format}");
        assert_eq!(r.unwrap_err(), format!("line 1, byte 1: {}", crate::enrich::UTF16_PROBLEM));
    }
}

/// On a bad record or line, every one before it is written, then the error
/// names its line and byte; with `pass_bad` it is copied and counted. The
/// same in every format.
#[test]
fn bad_lines_stop_after_everything_before_them() {
    let good = |format: Format, i: usize| match format {
        Format::Csv => format!("{i},h{i}.duckdns.org\n"),
        Format::Jsonl => format!("{{\"n\":{i},\"query\":\"h{i}.duckdns.org\"}}\n"),
        Format::Zeek => format!("{i}\th{i}.duckdns.org\n"),
    };
    for &format in FORMATS {
        let (head, bad, problem, at) = match format {
            Format::Csv => {
                ("n,query\n", "7,\"x\"y\n", "unexpected byte 0x79 after a closing quote", 5)
            }
            Format::Jsonl => ("", "{\"n\":7,\"query\":x}\n", "expected a JSON value", 15),
            Format::Zeek => ("#fields\tn\tquery\n", "7\tx\ty\n", "3 columns but #fields has 2", 0),
        };
        let mut input = head.to_string();
        for i in 0..100 {
            input.push_str(&good(format, i));
        }
        let bad_at = input.len();
        input.push_str(bad);
        input.push_str(&good(format, 100));
        let lines_before = input[..bad_at].matches('\n').count();
        let (all, r) = go(format, &["query"], true, input.as_bytes(), vec![4096]);
        let r = r.unwrap();
        assert_eq!((r.matched, r.passed_bad), (101, 1), "{format}");
        let first = r.first_bad.unwrap();
        let want_err = format!("line {}, byte {}: {problem}", lines_before + 1, bad_at + at + 1);
        assert_eq!(first.to_string(), want_err, "{format}");
        let all = String::from_utf8(all).unwrap();
        let outs: Vec<&str> = all.split_inclusive('\n').collect();
        assert_eq!(outs.len(), input.split_inclusive('\n').count(), "{format}");
        assert_eq!(outs[lines_before], bad, "{format}: the bad line is copied");
        for size in [1, 7, 4096, usize::MAX] {
            let (out, e) = go(format, &["query"], false, input.as_bytes(), vec![size]);
            assert_eq!(e, Err(want_err.clone()), "{format}");
            let before: usize = outs[..lines_before].iter().map(|l| l.len()).sum();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                all[..before],
                "{format}: reads of {size}"
            );
        }
    }
}

/// Zeek: judged columns are split on the set separator without `#types`;
/// a set separator equal to the separator is refused.
#[test]
fn zeek_sets_and_separators() {
    let (out, r) = whole(Format::Zeek, &["answers"], b"#fields\tanswers\nx.example,b.ddns.net\n");
    assert_eq!(r.unwrap().matched, 1);
    assert!(String::from_utf8(out).unwrap().contains("\tT\tNo-IP\t"));
    let (out, r) = whole(
        Format::Zeek,
        &["answers"],
        b"#fields\tanswers\n#types\tstring\nx.example,b.ddns.net\n",
    );
    assert_eq!(r.unwrap().matched, 0, "a string column is one value");
    assert!(out.ends_with(b"\tF\t-\t-\t-\t-\n"));
    for input in [
        &b"#set_separator\t\\x09\n"[..],
        b"#separator ;\n#set_separator;;\n",
        b"#set_separator\t|\n#separator |\n",
    ] {
        let (out, r) = whole(Format::Zeek, &["answers"], input);
        let e = r.unwrap_err();
        assert!(e.contains("#set_separator is the #separator"), "{e}");
        // Every input ends with the line at fault: the lines before it come out.
        let last = input[..input.len() - 1].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        assert_eq!(out, input[..last]);
    }
}

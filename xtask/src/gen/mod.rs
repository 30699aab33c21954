//! `cargo xtask gen …`: the test data of the benchmarks, the perf guard and
//! the stress test (SCP v2 streams, derived wide and selected-fields streams,
//! command lines, log lines) and the checks of the answers to them, in one
//! implementation. Every generator is deterministic: the same arguments give
//! the same bytes (the perf budget is counted on `gen stream`'s output).

pub(crate) mod check;
mod pyrandom;
pub(crate) mod scp;
pub(crate) mod stream;
mod sysmon;
pub(crate) mod text;
mod widen;

pub(crate) use scp::required_fields_of;
pub(crate) use sysmon::gmtime;

use crate::{failed, usage, Failure};
use std::ffi::OsString;
use std::path::Path;

const HELP: &str = "\
Usage: cargo xtask gen zones SRC.csv OUT.csv
       cargo xtask gen stream --zones ZONES.csv --out FILE [--events N] [--chunk N]
                              [--ddns-rate X] [--lookalike-rate X] [--seed N]
                              [--field F] [--eol lf|crlf]
       cargo xtask gen widen STREAM [--shape pad|sysmon|none] [--pad N] [--field F]
                              [--required F1,F2…] [--wide FILE] [--selected FILE]
                              [--getinfo-args A1,A2…]
       cargo xtask gen required-fields STREAM COMMAND [ARG…]
       cargo xtask gen check --stream FILE --zones ZONES.csv --reply LABEL=FILE…
                              [--field F] [--replaced C1,C2…]
       cargo xtask gen stress --gb N --chunk-mb M
       cargo xtask gen cmdlines N ZONES.csv [SEED]
       cargo xtask gen log-lines jsonl|zeek N REAL_LOG [KEY]

zones: the zone list in the ESCU form the benchmark kit reads (`*.<zone>*,
True` per row) from a CSV with a `zone` column or bare zones in its first
column. stream: a Splunk SCP v2 input stream of DNS events (getinfo, execute
requests of --chunk records, a last header-only request with finished:true).
widen: the stream's events as Sysmon event 22 (`sysmon`) or padded with extra
fields (`pad`), and the selected-fields stream splunkd sends after a getinfo
reply with required_fields; --getinfo-args replaces the getinfo arguments of
the wide stream. required-fields: the fields COMMAND's getinfo reply declares.
check: whether each reply's (query, isDynDNS, zone) per record equals the
suffix-walk oracle's and dynamicdns passed every input field through
(a Markdown table; exit 1 on a disagreement). stress: the stress test's
stream on stdout. cmdlines: a CSV of N Windows command lines, one in 100
naming a host below a listed zone. log-lines: N lines of a real JSON-lines or
Zeek log repeated, one in 100 with a DDNS query name.
";

/// Runs `cargo xtask gen ARGS…`.
pub(crate) fn run(args: Vec<OsString>) -> Result<(), Failure> {
    let Some(task) = args.first().map(|a| a.to_string_lossy().into_owned()) else {
        return Err(usage(HELP));
    };
    let rest = args[1..].to_vec();
    match task.as_str() {
        "zones" => text::escu_zones(&rest),
        "stream" => stream::run(rest),
        "widen" => widen::run(rest),
        "required-fields" => scp::required_fields(&rest),
        "check" => check::run(rest),
        "stress" => scp::stress(rest),
        "cmdlines" => text::cmdlines(&rest),
        "log-lines" => text::log_lines(&rest),
        "-h" | "--help" | "help" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(usage(format!("unknown gen task {other:?}\n\n{HELP}"))),
    }
}

/// The next option value, or a usage error.
fn value(parser: &mut lexopt::Parser) -> Result<String, Failure> {
    let v = parser.value().map_err(|e| usage(e.to_string()))?;
    v.into_string().map_err(|v| usage(format!("not UTF-8: {v:?}")))
}

/// The next option value as a number, or a usage error.
fn number<T: std::str::FromStr>(parser: &mut lexopt::Parser) -> Result<T, Failure> {
    let v = value(parser)?;
    v.parse().map_err(|_| usage(format!("not a number: {v:?}")))
}

/// An unexpected argument as a usage error with the help.
fn unexpected(arg: lexopt::Arg) -> Failure {
    usage(format!("{}\n\n{HELP}", arg.unexpected()))
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| failed(format!("{}: {e}", path.display())))
}

pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes).map_err(|e| failed(format!("{}: {e}", path.display())))
}

/// The zones of an ESCU-style list (`*.<zone>*` in the first column),
/// lower-cased, in file order.
pub(crate) fn read_escu_zones(path: &Path) -> Result<Vec<String>, Failure> {
    let bytes = read(path)?;
    let at = |e: String| failed(format!("{}: {e}", path.display()));
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&bytes[..]);
    // One record reused: the list has a hundred thousand rows.
    let mut record = csv::ByteRecord::new();
    let mut zones = Vec::new();
    while reader.read_byte_record(&mut record).map_err(|e| at(e.to_string()))? {
        let first = record.get(0).unwrap_or_default();
        let pat = std::str::from_utf8(first).map_err(|e| at(e.to_string()))?.trim();
        if pat.len() >= 3 && pat.starts_with("*.") && pat.ends_with('*') {
            zones.push(pat[2..pat.len() - 1].to_lowercase());
        }
    }
    Ok(zones)
}

/// The records of a CSV text (RFC 4180 with `"` quoting; rows may differ in
/// length), as Python's `csv.reader` reads them.
fn csv_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(rows)
}

/// Appends one CSV row as Python's `csv.writer` writes it (minimal quoting:
/// a field with a comma, a quote or a line break is quoted, quotes doubled;
/// a row of one empty field is `""`).
fn write_csv_row<S: AsRef<str>>(out: &mut String, fields: &[S], eol: &str) {
    if let [only] = fields {
        if only.as_ref().is_empty() {
            out.push_str("\"\"");
            out.push_str(eol);
            return;
        }
    }
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = f.as_ref();
        // A byte loop: the char-array pattern is slow in the unoptimised build.
        if f.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push_str(eol);
}

/// A multivalue cell's `__mv_` form: `$v1$;$v2$`, `$` doubled inside.
fn mv_encode<S: AsRef<str>>(values: &[S]) -> String {
    let cells: Vec<String> =
        values.iter().map(|v| format!("${}$", v.as_ref().replace('$', "$$"))).collect();
    cells.join(";")
}

/// The sha256 of `bytes` in hex (the golden digests of the tests).
#[cfg(test)]
fn sha256_hex(bytes: &[u8]) -> String {
    hmac_sha256::Hash::hash(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Python's `"{:,}".format(n)`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_written_as_python_writes_them() {
        let mut out = String::new();
        write_csv_row(&mut out, &["a", "b,c", "say \"hi\"", "x\ny", ""], "\n");
        write_csv_row(&mut out, &[""], "\r\n");
        assert_eq!(out, "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\",\n\"\"\r\n");
        assert_eq!(csv_rows(out.as_bytes()).unwrap()[0], ["a", "b,c", "say \"hi\"", "x\ny", ""]);
    }

    #[test]
    fn helpers() {
        assert_eq!(mv_encode(&["a$", "b"]), "$a$$$;$b$");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }
}

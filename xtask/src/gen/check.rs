//! `gen check`: are the peers' answers to a stream the same, and did
//! dynamicdns pass every input field through unchanged?
//!
//! Each reply file is a command's whole stdout for the stream. For every
//! execute reply the CSV body gives, per record, (query, isDynDNS, zone),
//! where zone is `dyndns_zone` when the reply has it set (dynamicdns names
//! the provider in `provider`) and `provider` otherwise (the splunklib peer
//! puts the zone there). An independent oracle computes the same triple from
//! the input with the peer's rule (strip, drop trailing dots, lower-case,
//! longest zone strictly above the name). Every reply must give the oracle's
//! triples in the input's order, and a reply whose label starts with
//! `dynamicdns` must carry each input record's fields unchanged (same names,
//! same values) before the fields it adds, except the columns named by
//! --replaced (the fields the command writes, which a selected-fields stream
//! already carries, empty, because the getinfo reply declares them). Prints
//! a Markdown table; fails on any disagreement, naming the first differing
//! record.

use super::scp::messages;
use super::{failed, read, thousands, unexpected, usage, Failure};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

type Triple = (String, bool, String);
/// A body's header (none for an empty body) and records.
type Body = (Option<Vec<String>>, Vec<csv::ByteRecord>);

pub(super) fn run(args: Vec<std::ffi::OsString>) -> Result<(), Failure> {
    use lexopt::prelude::*;
    let (mut stream, mut zones, mut field) = (None, None, "query".to_string());
    let (mut replies, mut replaced) = (Vec::new(), String::new());
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| usage(e.to_string()))? {
        match arg {
            Long("stream") => stream = Some(PathBuf::from(super::value(&mut parser)?)),
            Long("zones") => zones = Some(PathBuf::from(super::value(&mut parser)?)),
            Long("field") => field = super::value(&mut parser)?,
            Long("reply") => {
                let spec = super::value(&mut parser)?;
                let (label, path) = spec
                    .split_once('=')
                    .ok_or_else(|| usage(format!("--reply LABEL=FILE, not {spec:?}")))?;
                replies.push((label.to_string(), PathBuf::from(path)));
            }
            Long("replaced") => replaced = super::value(&mut parser)?,
            other => return Err(unexpected(other)),
        }
    }
    let (Some(stream), Some(zones)) = (stream, zones) else {
        return Err(usage("check needs --stream FILE, --zones FILE and --reply LABEL=FILE"));
    };
    if replies.is_empty() {
        return Err(usage("check needs at least one --reply LABEL=FILE"));
    }
    let (table, problems) = check(&stream, &zones, &field, &replies, &replaced)?;
    print!("{table}");
    if problems.is_empty() {
        Ok(())
    } else {
        Err(failed(format!("DISAGREEMENT: {}", problems.join("\nDISAGREEMENT: "))))
    }
}

/// The check of `replies` (label, file) to `stream` against the oracle
/// over the zones of `zones` (an ESCU-style list): the Markdown table and
/// the disagreements (none when every reply agrees).
pub(crate) fn check(
    stream: &Path,
    zones: &Path,
    field: &str,
    replies: &[(String, PathBuf)],
    replaced: &str,
) -> Result<(String, Vec<String>), Failure> {
    let zones: HashSet<String> = super::read_escu_zones(zones)?.into_iter().collect();
    let replaced: HashSet<&str> = replaced.split(',').filter(|c| !c.is_empty()).collect();

    let data = read(stream)?;
    let at = |e: String| failed(format!("{}: {e}", stream.display()));
    let mut inputs = Vec::new(); // per execute request: (header, rows)
    let mut want = Vec::new();
    for (meta, body) in messages(&data).map_err(at)? {
        if json(meta).map_err(at)?.get("action").and_then(|a| a.as_str()) != Some("execute") {
            continue;
        }
        let (hdr, rows) = rows(body).map_err(at)?;
        if let Some(hdr) = &hdr {
            let qi = hdr
                .iter()
                .position(|h| h == field)
                .ok_or_else(|| at(format!("no {field} column")))?;
            for r in &rows {
                let q = text(r.get(qi)).to_string();
                let z = oracle(&q, &zones);
                want.push((q, !z.is_empty(), z));
            }
        }
        inputs.push((hdr, rows));
    }

    let mut table =
        vec![("oracle (suffix walk)".to_string(), want.len(), matched(&want), digest(&want), "-")];
    let mut problems = Vec::new();
    for (label, path) in replies {
        let (got, problem) = match compare(label, &read(path)?, &inputs, field, &replaced) {
            Err(problem) => (Vec::new(), Some(problem)),
            Ok(got) if got == want => (got, None),
            Ok(got) if got.len() != want.len() => {
                let p = format!("{} records for {}", got.len(), want.len());
                (got, Some(p))
            }
            Ok(got) => {
                let k = got.iter().zip(&want).position(|(g, w)| g != w).expect("a difference");
                let p = format!("record {}: got {:?}, oracle says {:?}", k + 1, got[k], want[k]);
                (got, Some(p))
            }
        };
        let agrees = if problem.is_none() { "yes" } else { "NO" };
        table.push((label.clone(), got.len(), matched(&got), digest(&got), agrees));
        problems.extend(problem.map(|p| format!("{label}: {p}")));
    }
    let mut text =
        "| answers of | records | matched | digest (query, isDynDNS, zone) | agrees |\n\
                    |---|---:|---:|---|---|\n"
            .to_string();
    for (label, records, matched, digest, agrees) in table {
        text.push_str(&format!(
            "| {label} | {} | {} | {digest} | {agrees} |\n",
            thousands(records),
            thousands(matched)
        ));
    }
    Ok((text, problems))
}

fn json(meta: &[u8]) -> Result<serde_json::Value, String> {
    if meta.is_empty() {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    serde_json::from_slice(meta).map_err(|e| format!("metadata: {e}"))
}

/// Whether Python would take the JSON value for true.
fn truthy(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A body's header and records (no header for an empty body). The
/// records stay bytes (one allocation each, not one per cell: the check
/// reads hundreds of thousands of them in the unoptimised build).
fn rows(body: &[u8]) -> Result<Body, String> {
    if body.is_empty() {
        return Ok((None, Vec::new()));
    }
    std::str::from_utf8(body).map_err(|e| e.to_string())?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
    let (mut records, mut record) = (Vec::new(), csv::ByteRecord::new());
    let mut hdr = None;
    while reader.read_byte_record(&mut record).map_err(|e| e.to_string())? {
        if hdr.is_none() {
            hdr = Some(record.iter().map(|f| text(Some(f)).to_string()).collect());
        } else {
            records.push(record.clone());
        }
    }
    Ok((hdr, records))
}

/// A cell of a body already checked to be UTF-8 ("" when absent).
fn text(cell: Option<&[u8]>) -> &str {
    cell.and_then(|c| std::str::from_utf8(c).ok()).unwrap_or("")
}

/// The longest zone strictly above the name, or "".
fn oracle(value: &str, zones: &HashSet<String>) -> String {
    let name = value.trim().trim_end_matches('.').to_lowercase();
    let mut rest = name.as_str();
    while let Some(dot) = rest.find('.') {
        rest = &rest[dot + 1..];
        if zones.contains(rest) {
            return rest.to_string();
        }
    }
    String::new()
}

fn matched(triples: &[Triple]) -> usize {
    triples.iter().filter(|t| t.1).count()
}

/// The first 16 hex digits of the sha256 of `query\tTrue|False\tzone\n` lines.
fn digest(triples: &[Triple]) -> String {
    let mut h = hmac_sha256::Hash::new();
    for (q, m, z) in triples {
        h.update(format!("{q}\t{}\t{z}\n", if *m { "True" } else { "False" }));
    }
    h.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

type Inputs = [Body];

/// The triples of one reply file, or the first thing wrong with it.
fn compare(
    label: &str,
    data: &[u8],
    inputs: &Inputs,
    field: &str,
    replaced: &HashSet<&str>,
) -> Result<Vec<Triple>, String> {
    let replies = messages(data)?;
    // The first reply answers getinfo.
    if replies.len() != inputs.len() + 1 {
        return Err(format!("{} replies to {} requests", replies.len(), inputs.len() + 1));
    }
    let mut got = Vec::new();
    let fidelity = label.starts_with("dynamicdns");
    for (n, ((meta, body), (ihdr, irows))) in replies[1..].iter().zip(inputs).enumerate() {
        let n = n + 1;
        let meta = json(meta).map_err(|e| format!("reply {n}: {e}"))?;
        if let Some(error) = meta.get("error").filter(|e| truthy(e)) {
            return Err(format!("reply {n}: error {error}"));
        }
        let (hdr, rs) = rows(body).map_err(|e| format!("reply {n}: {e}"))?;
        let (Some(ihdr), false) = (ihdr, irows.is_empty()) else { continue };
        let Some(hdr) = hdr.filter(|_| rs.len() == irows.len()) else {
            return Err(format!("reply {n}: {} records for {}", rs.len(), irows.len()));
        };
        let col = |name: &str| hdr.iter().position(|h| h == name);
        let (Some(qi), Some(di), Some(pi)) = (col(field), col("isDynDNS"), col("provider")) else {
            return Err(format!("reply {n} lacks a {field}, isDynDNS or provider column"));
        };
        let zi = col("dyndns_zone");
        if fidelity && hdr.get(..ihdr.len()) != Some(&ihdr[..]) {
            return Err(format!(
                "reply {n}: input columns changed: {:?}",
                &hdr[..ihdr.len().min(hdr.len())]
            ));
        }
        let keep: Vec<usize> =
            (0..ihdr.len()).filter(|&c| !replaced.contains(ihdr[c].as_str())).collect();
        for (k, (r, ir)) in rs.iter().zip(irows).enumerate() {
            let cell = |c: usize| text(r.get(c));
            if fidelity && keep.iter().any(|&c| r.get(c) != ir.get(c)) {
                let cells = |r: &csv::ByteRecord| -> Vec<String> {
                    r.iter().take(ir.len()).map(|c| text(Some(c)).to_string()).collect()
                };
                return Err(format!(
                    "reply {n} record {}: input fields changed:\n  in  {:?}\n  out {:?}",
                    k + 1,
                    cells(ir),
                    cells(r)
                ));
            }
            // dynamicdns names the zone in dyndns_zone; the splunklib peer
            // puts it in provider (and leaves a dyndns_zone column of a
            // selected-fields stream empty).
            let zone = match zi.map(cell) {
                Some(z) if !z.is_empty() => z,
                _ => cell(pi),
            };
            let is = cell(di) == "True";
            got.push((
                cell(qi).to_string(),
                is,
                if is { zone.to_string() } else { String::new() },
            ));
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oracle_walks_the_suffixes() {
        let zones: HashSet<String> = ["duckdns.org".to_string(), "org".to_string()].into();
        assert_eq!(oracle(" A.DuckDNS.org.. ", &zones), "duckdns.org");
        assert_eq!(oracle("duckdns.org", &zones), "org");
        assert_eq!(oracle("org", &zones), "");
        // python3: hashlib.sha256(b"a\tTrue\tz\n").hexdigest()[:16]
        assert_eq!(digest(&[("a".into(), true, "z".into())]), "1eb0c5b7898e981f");
    }
}

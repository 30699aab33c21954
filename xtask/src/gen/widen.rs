//! `gen widen`: streams derived from a `gen stream` stream, to weigh wide
//! events and getinfo's `required_fields` (cargo xtask bench).
//!
//! The wide stream (--wide), by --shape:
//! - `sysmon`: each event as the Splunk Add-on for Sysmon presents a Sysmon
//!   event 22 (DNS query) from the XmlWinEventLog sourcetype (the field
//!   names of shared/data/real_logs/sysmon_eid22_*.json, the add-on's CIM
//!   aliases, Splunk's default fields): 46 fields, a single-line XML `_raw`
//!   of about 1.2 KB, `QueryName` and `query` holding the input event's
//!   `query`, `answer` its answers (multivalue), `tag` multivalue; each field
//!   with its `__mv_` twin, quoted as splunkd quotes (everything not purely
//!   alphanumeric); about 1.8 KB per event on the wire.
//! - `pad` (the default): the input events padded with --pad extra fields
//!   (`pad01`…; 16-byte values, some quoted with a comma inside) plus their
//!   empty `__mv_` twins.
//! - `none`: the input events as they are.
//!
//! The selected-fields stream (--selected): what splunkd sends instead in
//! selected-fields mode (protocol.md 5.3), for the shape's events: each
//! field of --required (default --field; an empty column where the events
//! lack it), `_chunked_idx` (0, 1, … per request), then the `__mv_` twins of
//! all of them, splunkd-quoted.
//!
//! --getinfo-args A1,A2… replaces `args` and `raw_args` of the wide
//! stream's getinfo request (e.g. `field=_raw,mode=text` for text mode).
//!
//! Deterministic: every generated value depends only on the input event and
//! its position.

use super::scp::{frame, messages};
use super::{csv_rows, failed, mv_encode, unexpected, usage, write_csv_row, Failure};
use std::path::PathBuf;

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Pad,
    Sysmon,
    None,
}

pub(super) fn run(args: Vec<std::ffi::OsString>) -> Result<(), Failure> {
    use lexopt::prelude::*;
    let (mut stream, mut wide, mut selected) = (None, None, None);
    let (mut shape, mut pad, mut field, mut required) =
        (Shape::Pad, 40usize, "query".to_string(), None);
    let mut getinfo_args = None;
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| usage(e.to_string()))? {
        match arg {
            Value(v) if stream.is_none() => stream = Some(PathBuf::from(v)),
            Long("shape") => {
                shape = match super::value(&mut parser)?.as_str() {
                    "pad" => Shape::Pad,
                    "sysmon" => Shape::Sysmon,
                    "none" => Shape::None,
                    other => {
                        return Err(usage(format!("--shape pad, sysmon or none, not {other:?}")))
                    }
                }
            }
            Long("pad") => pad = super::number(&mut parser)?,
            Long("field") => field = super::value(&mut parser)?,
            Long("required") => required = Some(super::value(&mut parser)?),
            Long("wide") => wide = Some(PathBuf::from(super::value(&mut parser)?)),
            Long("selected") => selected = Some(PathBuf::from(super::value(&mut parser)?)),
            Long("getinfo-args") => getinfo_args = Some(super::value(&mut parser)?),
            other => return Err(unexpected(other)),
        }
    }
    let stream = stream.ok_or_else(|| usage("widen needs a STREAM"))?;
    let required: Vec<String> = required.unwrap_or(field).split(',').map(str::to_string).collect();
    let getinfo_args: Option<Vec<String>> =
        getinfo_args.map(|a| a.split(',').map(str::to_string).collect());
    let data = super::read(&stream)?;
    let at = |e: String| failed(format!("{}: {e}", stream.display()));
    let (w, s) = derive(&data, shape, pad, &required, getinfo_args.as_deref()).map_err(at)?;
    if let Some(path) = wide {
        super::write(&path, &w)?;
    }
    if let Some(path) = selected {
        super::write(&path, &s)?;
    }
    Ok(())
}

/// Events of one request: the field names, and per event the values of
/// each (the `__mv_` cell wins over the plain one when it is set).
struct Events {
    names: Vec<String>,
    values: Vec<Vec<Vec<String>>>,
}

impl Events {
    /// The values of field `name` of event `k` (none where it is absent).
    fn get(&self, k: usize, name: &str) -> &[String] {
        match self.names.iter().rposition(|n| n == name) {
            Some(i) => &self.values[k][i],
            None => &[],
        }
    }
}

/// The wide and the selected-fields streams from `data`.
fn derive(
    data: &[u8],
    shape: Shape,
    pad: usize,
    required: &[String],
    getinfo_args: Option<&[String]>,
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (mut wide, mut sel) = (Vec::new(), Vec::new());
    let mut n = 0usize;
    for (m, (meta, body)) in messages(data)?.into_iter().enumerate() {
        let json: serde_json::Value = serde_json::from_slice(meta)
            .map_err(|e| format!("message {}: metadata: {e}", m + 1))?;
        if json.get("action").and_then(|a| a.as_str()) != Some("execute") || body.is_empty() {
            match (getinfo_args, json) {
                (Some(args), mut json)
                    if json.get("action").and_then(|a| a.as_str()) == Some("getinfo") =>
                {
                    let info = &mut json["searchinfo"];
                    info["args"] = args.into();
                    info["raw_args"] = args.into();
                    frame(&mut wide, json.to_string().as_bytes(), body);
                }
                _ => frame(&mut wide, meta, body),
            }
            frame(&mut sel, meta, body);
            continue;
        }
        let text =
            std::str::from_utf8(body).map_err(|e| format!("message {}: body: {e}", m + 1))?;
        let rows = csv_rows(text.as_bytes()).map_err(|e| format!("message {}: {e}", m + 1))?;
        let (hdr, recs) =
            rows.split_first().ok_or_else(|| format!("message {}: no header", m + 1))?;
        if let Some(k) = recs.iter().position(|r| r.len() < hdr.len()) {
            return Err(format!(
                "message {}: record {} has fewer cells than the header",
                m + 1,
                k + 1
            ));
        }
        let col = |name: &str| hdr.iter().rposition(|h| h == name);
        let plain: Vec<&String> = hdr.iter().filter(|h| !h.starts_with("__mv_")).collect();
        let plain_cols: Vec<usize> =
            plain.iter().map(|h| col(h).expect("a header name")).collect();
        let mv_cols: Vec<Option<usize>> =
            plain.iter().map(|h| col(&format!("__mv_{h}"))).collect();
        let mut events = Events {
            names: plain.iter().map(|h| h.to_string()).collect(),
            values: recs
                .iter()
                .map(|r| {
                    let cells = plain_cols.iter().zip(&mv_cols);
                    cells.map(|(&p, &mv)| cell_values(&r[p], mv.map_or("", |c| &r[c]))).collect()
                })
                .collect(),
        };
        match shape {
            Shape::Pad => {
                let pads: Vec<String> = (1..=pad).map(|i| format!("pad{i:02}")).collect();
                let mut out = String::new();
                let header: Vec<String> = plain
                    .iter()
                    .map(|h| h.to_string())
                    .chain(pads.iter().cloned())
                    .chain(plain.iter().map(|h| format!("__mv_{h}")))
                    .chain(pads.iter().map(|p| format!("__mv_{p}")))
                    .collect();
                write_csv_row(&mut out, &header, "\n");
                for (r, values) in recs.iter().zip(&mut events.values) {
                    let padded: Vec<String> = (0..pad)
                        .map(|i| {
                            n += 1;
                            let sep = if i % 4 == 0 { ',' } else { '.' };
                            format!("v{n:07x}{sep}{i:06}")
                        })
                        .collect();
                    let mut row: Vec<&str> = plain_cols.iter().map(|&c| r[c].as_str()).collect();
                    row.extend(padded.iter().map(String::as_str));
                    row.extend(mv_cols.iter().map(|c| c.map_or("", |c| r[c].as_str())));
                    row.extend(std::iter::repeat_n("", pad));
                    write_csv_row(&mut out, &row, "\n");
                    values.extend(padded.into_iter().map(|v| vec![v]));
                }
                events.names.extend(pads);
                frame(&mut wide, meta, out.as_bytes());
            }
            Shape::Sysmon => {
                let mut values = Vec::with_capacity(events.values.len());
                let mut names = Vec::new();
                for k in 0..events.values.len() {
                    let ev = super::sysmon::event(n, |f| events.get(k, f))?;
                    n += 1;
                    if names.is_empty() {
                        names = ev.iter().map(|(name, _)| name.to_string()).collect();
                    }
                    values.push(ev.into_iter().map(|(_, v)| v).collect());
                }
                events = Events { names, values };
                let fields: Vec<String> =
                    super::sysmon::FIELDS.iter().map(|f| f.to_string()).collect();
                frame(&mut wide, meta, splunk_csv(&events, &fields, None).as_bytes());
            }
            Shape::None => frame(&mut wide, meta, body),
        }
        frame(&mut sel, meta, splunk_csv(&events, required, Some("_chunked_idx")).as_bytes());
    }
    Ok((wide, sel))
}

/// The values of one cell (the `__mv_` cell wins when it is set).
fn cell_values(plain: &str, mv: &str) -> Vec<String> {
    if mv.is_empty() {
        return if plain.is_empty() { Vec::new() } else { vec![plain.to_string()] };
    }
    // `$v$` items, `$$` inside a value standing for `$`.
    let (mut values, mut cur, mut inside) = (Vec::new(), String::new(), false);
    let mut chars = mv.chars().peekable();
    while let Some(c) = chars.next() {
        match (inside, c) {
            (false, '$') => inside = true,
            (false, _) => {}
            (true, '$') if chars.peek() == Some(&'$') => {
                chars.next();
                cur.push('$');
            }
            (true, '$') => {
                values.push(std::mem::take(&mut cur));
                inside = false;
            }
            (true, c) => cur.push(c),
        }
    }
    values
}

/// A value as splunkd writes it: empty or purely ASCII-alphanumeric bare,
/// anything else quoted with doubled quotes.
fn splunk_cell(out: &mut String, v: &str) {
    if v.bytes().all(|b| b.is_ascii_alphanumeric()) {
        out.push_str(v);
    } else {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    }
}

/// The body splunkd sends with `fields` of `events` (and the counter
/// column `idx`, when given), then the `__mv_` twins of all of them.
fn splunk_csv(events: &Events, fields: &[String], idx: Option<&str>) -> String {
    let mut names: Vec<&str> = fields.iter().map(String::as_str).collect();
    names.extend(idx);
    let mut out = String::new();
    let header =
        names.iter().map(|f| f.to_string()).chain(names.iter().map(|f| format!("__mv_{f}")));
    for (i, h) in header.enumerate() {
        if i > 0 {
            out.push(',');
        }
        splunk_cell(&mut out, &h);
    }
    out.push('\n');
    let cols: Vec<Option<usize>> =
        fields.iter().map(|f| events.names.iter().rposition(|n| n == f)).collect();
    for (k, values) in events.values.iter().enumerate() {
        let mut cells: Vec<(String, String)> = cols
            .iter()
            .map(|c| match c.map_or(&[][..], |c| &values[c][..]) {
                [] => (String::new(), String::new()),
                [one] => (one.clone(), String::new()),
                many => (many.join("\n"), mv_encode(many)),
            })
            .collect();
        if idx.is_some() {
            cells.push((k.to_string(), String::new()));
        }
        let row = cells.iter().map(|c| &c.0).chain(cells.iter().map(|c| &c.1));
        for (i, v) in row.enumerate() {
            if i > 0 {
                out.push(',');
            }
            splunk_cell(&mut out, v);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Python deriver's bytes (widen_stream.py) for a 300-event stream
    /// in chunks of 100, as digests: (shape, pad, required, wide, selected).
    #[test]
    fn derived_streams_are_the_python_derivers_bytes() {
        let stream =
            crate::gen::stream::generate(&crate::gen::stream::tests::options(300, 100, false));
        let sha = |b: &[u8]| crate::gen::sha256_hex(b);
        assert_eq!(
            sha(&stream),
            "51c3abec4bde58d726f36b7cf57810c9c72d85d79ae662287b71dfe7e8364b0e"
        );
        for (shape, pad, required, wide, selected) in [
            (
                Shape::Sysmon,
                40,
                "query,isDynDNS",
                "c80002ab8dd6eb2e6c11025dfefc60e8b18512ecc986e5e2cb0f18ad57330173",
                "b372e40fa73a194e791a72952203447bc579c772d1ace68eeefaf1694e7a1a1c",
            ),
            (
                Shape::Pad,
                5,
                "query,pad02,answer",
                "e0e7a67b9d618ccf6e3627472ba94912fe6039a12481f46078f9794a51ac29d2",
                "4d6be22ff5b7dcaa0e1bd5094f588b60996cb512b54d27f0569264f51f802250",
            ),
        ] {
            let required: Vec<String> = required.split(',').map(str::to_string).collect();
            let (w, s) = derive(&stream, shape, pad, &required, None).unwrap();
            assert_eq!((sha(&w).as_str(), sha(&s).as_str()), (wide, selected));
        }
    }

    #[test]
    fn the_getinfo_arguments_are_replaced() {
        let stream =
            crate::gen::stream::generate(&crate::gen::stream::tests::options(3, 100, false));
        let args = ["field=_raw".to_string(), "mode=text".to_string()];
        let (w, _) = derive(&stream, Shape::None, 0, &["query".into()], Some(&args)).unwrap();
        let m = messages(&w).unwrap();
        let meta: serde_json::Value = serde_json::from_slice(m[0].0).unwrap();
        assert_eq!(meta["searchinfo"]["args"], serde_json::json!(["field=_raw", "mode=text"]));
        assert_eq!(meta["searchinfo"]["raw_args"], meta["searchinfo"]["args"]);
        assert_eq!(meta["searchinfo"]["sid"], "1700000000.42");
        assert_eq!(&m[1..], &messages(&stream).unwrap()[1..]);
    }

    #[test]
    fn multivalue_cells_are_read() {
        assert_eq!(cell_values("a\nb", "$a$;$b$$c$"), ["a", "b$c"]);
        assert_eq!(cell_values("x", ""), ["x"]);
        assert!(cell_values("", "").is_empty());
    }

    #[test]
    fn cells_are_quoted_as_splunkd_quotes_them() {
        let mut out = String::new();
        for v in ["", "abc9", "a b", "q\""] {
            splunk_cell(&mut out, v);
            out.push('|');
        }
        assert_eq!(out, "|abc9|\"a b\"|\"q\"\"\"|");
    }
}

//! The CSV splunkd writes (its quoting, `__mv_` multivalue cells) and a
//! reader built on the `csv` crate: the independent oracle for the
//! command's CSV.

/// The values of one cell: none (empty), one, or several (multivalue).
pub type Values = Vec<Vec<u8>>;

/// Appends `v` quoted the way splunkd quotes: empty stays empty, purely
/// `[A-Za-z0-9]` stays bare, anything else is quoted with `""` escapes.
pub fn splunk_quote(v: &[u8], out: &mut Vec<u8>) {
    if v.iter().all(u8::is_ascii_alphanumeric) {
        out.extend_from_slice(v);
        return;
    }
    out.push(b'"');
    for &b in v {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Splunk's multivalue cell: `$a$;$b$`, with `$` doubled inside values.
pub fn encode_mv(values: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.push(b'$');
        for &b in v {
            if b == b'$' {
                out.push(b'$');
            }
            out.push(b);
        }
        out.push(b'$');
    }
    out
}

/// Decodes a multivalue cell; `None` when it is not well-formed.
pub fn decode_mv(cell: &[u8]) -> Option<Values> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        if cell.get(i) != Some(&b'$') {
            return None;
        }
        i += 1;
        let mut v = Vec::new();
        loop {
            match cell.get(i) {
                None => return None,
                Some(b'$') if cell.get(i + 1) == Some(&b'$') => {
                    v.push(b'$');
                    i += 2;
                }
                Some(b'$') => {
                    i += 1;
                    break;
                }
                Some(&b) => {
                    v.push(b);
                    i += 1;
                }
            }
        }
        out.push(v);
        match cell.get(i) {
            None => return Some(out),
            Some(b';') => i += 1,
            Some(_) => return None,
        }
    }
}

/// A splunkd-style body: the header (every field, then one `__mv_<field>`
/// column per field), then one row per record; `eol(i)` gives the line
/// ending after row `i` (0 = the header row).
pub fn splunk_csv_with_eol(
    fields: &[&str],
    rows: &[Vec<Values>],
    eol: impl Fn(usize) -> &'static str,
) -> Vec<u8> {
    let mut out = Vec::new();
    let names: Vec<String> = fields
        .iter()
        .map(|f| f.to_string())
        .chain(fields.iter().map(|f| format!("__mv_{f}")))
        .collect();
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        splunk_quote(n.as_bytes(), &mut out);
    }
    out.extend_from_slice(eol(0).as_bytes());
    for (r, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), fields.len(), "row {r} has the wrong number of cells");
        for (i, values) in row.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if !values.is_empty() {
                splunk_quote(&values.join(&b'\n'), &mut out);
            }
        }
        for values in row {
            out.push(b',');
            if values.len() > 1 {
                splunk_quote(&encode_mv(values), &mut out);
            }
        }
        out.extend_from_slice(eol(r + 1).as_bytes());
    }
    out
}

/// [`splunk_csv_with_eol`] with one line ending throughout.
pub fn splunk_csv(fields: &[&str], rows: &[Vec<Values>], crlf: bool) -> Vec<u8> {
    splunk_csv_with_eol(fields, rows, |_| if crlf { "\r\n" } else { "\n" })
}

/// Where a record lies in a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawSpan {
    /// First byte.
    pub start: usize,
    /// End of the record's content (its line ending excluded).
    pub content_end: usize,
    /// First byte after its line ending.
    pub end: usize,
}

/// A body parsed by the `csv` crate: the header row, the data rows (values
/// unquoted) and each record's raw span (header first).
#[derive(Clone, Debug, Default)]
pub struct Csv {
    /// Column names.
    pub header: Vec<Vec<u8>>,
    /// Data rows (index a row by column: `&row[c]` is the unquoted value).
    pub rows: Vec<csv::ByteRecord>,
    /// Raw spans: `spans[0]` is the header row, `spans[i + 1]` row `i`.
    pub spans: Vec<RawSpan>,
}

impl Csv {
    /// The column named `name`.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name.as_bytes())
    }

    /// The values of column `name`, one per row.
    pub fn column(&self, name: &str) -> Vec<&[u8]> {
        let c = self.col(name).unwrap_or_else(|| panic!("no column {name:?}"));
        self.rows.iter().map(|r| &r[c][..]).collect()
    }
}

/// Parses a body with the `csv` crate (no header handling, rectangular);
/// panics on a CSV error. An empty body gives an empty [`Csv`].
///
/// The `csv` crate skips blank lines, which the command (rightly, for
/// splunkd) reads as records with one empty value; so only bodies of two or
/// more columns — every splunkd body: each field has its `__mv_` twin — are
/// parsed faithfully.
pub fn parse_csv(body: &[u8]) -> Csv {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(false).from_reader(body);
    let mut rec = csv::ByteRecord::new();
    let mut header = Vec::new();
    let mut rows = Vec::new();
    let mut starts = Vec::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {
                // After a CRLF the csv crate reports the record as starting
                // at the LF; that LF ends the previous record.
                let mut start = rec.position().expect("record position").byte() as usize;
                if start > 0 && body[start - 1] == b'\r' && body.get(start) == Some(&b'\n') {
                    start += 1;
                }
                if starts.is_empty() {
                    header = rec.iter().map(|f| f.to_vec()).collect();
                } else {
                    rows.push(rec.clone());
                }
                starts.push(start);
            }
            Ok(false) => break,
            Err(e) => panic!("CSV oracle rejects the body: {e}"),
        }
    }
    let mut spans = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(body.len());
        let raw = &body[start..end];
        let eol = if raw.ends_with(b"\r\n") {
            2
        } else if raw.ends_with(b"\n") || raw.ends_with(b"\r") {
            1
        } else {
            0
        };
        spans.push(RawSpan { start, content_end: end - eol, end });
    }
    Csv { header, rows, spans }
}

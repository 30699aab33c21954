//! The CSV record layer for Splunk's bodies: finds record and field
//! boundaries in raw bytes without building records, so each input record
//! can be copied out unchanged; decodes single values (quotes) and Splunk's
//! multivalue cells (`$a$;$b$`, `$$` escape); writes values with minimal
//! quoting.
//!
//! Grammar (RFC 4180 as splunkd writes it): fields separated by `,`, records
//! ended by `\n`, `\r\n` or a lone `\r`; a field that starts with `"` is
//! quoted, runs to the next `"` not doubled, and must be followed by `,`, a
//! record end or the end of input. A `"` inside an unquoted field is data.

mod classify;
mod scanner;
#[cfg(test)]
mod tests;

pub use scanner::RecordScanner;

/// Where a field lies in the input: `start..end`, quotes included.
pub type Span = (usize, usize);

/// One record found by [`scan_record`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordSpan {
    /// First byte of the record.
    pub start: usize,
    /// End of the last field (the terminator is not included).
    pub content_end: usize,
    /// First byte after the terminator (== `content_end` at end of input).
    pub end: usize,
}

/// What [`scan_record`] found at a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scan {
    /// A whole record; its fields are in the `fields` vector.
    Record(RecordSpan),
    /// The input ends inside a record and more input may follow
    /// (only when `at_eof` is false).
    NeedMore,
    /// No bytes are left.
    End,
}

/// A CSV syntax error, at a byte offset of the scanned input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// A quoted field has no closing quote before the end of the input.
    #[error("quoted field starting at byte {at} is never closed")]
    UnclosedQuote {
        /// Byte offset of the opening quote.
        at: usize,
    },
    /// A byte other than `,` or a line end follows a closing quote.
    #[error("unexpected byte {byte:#04x} after a closing quote at byte {at}")]
    AfterQuote {
        /// Byte offset of the offending byte.
        at: usize,
        /// The byte.
        byte: u8,
    },
}

impl CsvError {
    /// The same error with its byte offset moved by `by`, for input that was
    /// scanned from a buffer starting `by` bytes into the whole.
    pub(crate) fn shifted(self, by: usize) -> CsvError {
        match self {
            CsvError::UnclosedQuote { at } => CsvError::UnclosedQuote { at: at + by },
            CsvError::AfterQuote { at, byte } => CsvError::AfterQuote { at: at + by, byte },
        }
    }
}

/// Scans one record starting at `pos`, pushing each field's span into
/// `fields` (cleared first). With `at_eof` false, a record that reaches the
/// end of `buf` without a terminator is [`Scan::NeedMore`]; with `at_eof`
/// true it is a record (an unclosed quote is then an error).
pub fn scan_record(
    buf: &[u8],
    pos: usize,
    at_eof: bool,
    fields: &mut Vec<Span>,
) -> Result<Scan, CsvError> {
    scan_record_prefix(buf, pos, at_eof, fields, usize::MAX).map(|(scan, _)| scan)
}

/// As [`scan_record`], but only the first `max_spans` fields' spans are
/// pushed; the rest of the record is only delimited and its fields counted
/// (the command reads a few columns of wide events). Returns the scan and
/// the record's number of fields. To scan many records of one buffer, a
/// [`RecordScanner`] is cheaper.
pub fn scan_record_prefix(
    buf: &[u8],
    pos: usize,
    at_eof: bool,
    fields: &mut Vec<Span>,
    max_spans: usize,
) -> Result<(Scan, usize), CsvError> {
    RecordScanner::new(buf).scan(pos, at_eof, fields, max_spans)
}

/// The value of a raw field: quotes removed and `""` undoubled. Borrows
/// `raw` when nothing needs undoubling, else decodes into `scratch`.
pub fn unquote<'a>(raw: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
    if raw.len() < 2 || raw[0] != b'"' {
        return raw;
    }
    let inner = &raw[1..raw.len() - 1];
    if memchr::memchr(b'"', inner).is_none() {
        return inner;
    }
    scratch.clear();
    let mut rest = inner;
    while let Some(q) = memchr::memchr(b'"', rest) {
        // Inside a well-formed quoted field every quote is doubled.
        scratch.extend_from_slice(&rest[..=q]);
        rest = rest.get(q + 2..).unwrap_or(&[]);
    }
    scratch.extend_from_slice(rest);
    scratch
}

/// Calls `f` with each value of a Splunk multivalue cell (`$a$;$b$$c$` →
/// `a`, `b$c`). Returns false, having called `f` for the values before the
/// fault, when the cell is not well-formed.
pub fn for_each_mv_value(cell: &[u8], scratch: &mut Vec<u8>, mut f: impl FnMut(&[u8])) -> bool {
    let mut rest = cell;
    loop {
        if rest.first() != Some(&b'$') {
            return false;
        }
        rest = &rest[1..];
        scratch.clear();
        loop {
            let Some(d) = memchr::memchr(b'$', rest) else { return false };
            scratch.extend_from_slice(&rest[..d]);
            if rest.get(d + 1) == Some(&b'$') {
                scratch.push(b'$');
                rest = &rest[d + 2..];
            } else {
                rest = &rest[d + 1..];
                break;
            }
        }
        f(scratch);
        match rest.split_first() {
            None => return true,
            Some((b';', tail)) => rest = tail,
            Some(_) => return false,
        }
    }
}

/// Appends `values` as a multivalue cell body (`$a$;$b$$c$`), unquoted.
pub fn encode_mv<'a>(values: impl IntoIterator<Item = &'a [u8]>, out: &mut Vec<u8>) {
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.push(b'$');
        let mut rest = v;
        while let Some(d) = memchr::memchr(b'$', rest) {
            out.extend_from_slice(&rest[..=d]);
            out.push(b'$');
            rest = &rest[d + 1..];
        }
        out.extend_from_slice(rest);
        out.push(b'$');
    }
}

/// Appends `value` as one CSV field, quoted only when it holds `,`, `"`,
/// CR or LF.
pub fn write_field(value: &[u8], out: &mut Vec<u8>) {
    if !value.iter().any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
        out.extend_from_slice(value);
        return;
    }
    out.push(b'"');
    let mut rest = value;
    while let Some(q) = memchr::memchr(b'"', rest) {
        out.extend_from_slice(&rest[..=q]);
        out.push(b'"');
        rest = &rest[q + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

/// The 1-based line of byte `offset` in `buf`.
pub fn line_of(buf: &[u8], offset: usize) -> usize {
    1 + memchr::memchr_iter(b'\n', &buf[..offset.min(buf.len())]).count()
}

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
/// pushed; the rest of the record is only delimited and its fields counted,
/// which is cheaper (the command reads a few leading columns of wide
/// events). Returns the scan and the record's number of fields.
pub fn scan_record_prefix(
    buf: &[u8],
    pos: usize,
    at_eof: bool,
    fields: &mut Vec<Span>,
    max_spans: usize,
) -> Result<(Scan, usize), CsvError> {
    fields.clear();
    if pos >= buf.len() {
        return Ok((Scan::End, 0));
    }
    let mut i = pos;
    let mut count = 0;
    loop {
        if count == max_spans {
            if let Some((content_end, n)) = plain_tail(buf, i) {
                return match content_end {
                    Some(e) => Ok((
                        Scan::Record(RecordSpan { start: pos, content_end: e, end: e + 1 }),
                        count + n,
                    )),
                    None if at_eof => Ok((
                        Scan::Record(RecordSpan {
                            start: pos,
                            content_end: buf.len(),
                            end: buf.len(),
                        }),
                        count + n,
                    )),
                    None => Ok((Scan::NeedMore, 0)),
                };
            }
        }
        let start = i;
        if buf.get(i) == Some(&b'"') {
            // Quoted: find the closing quote, skipping doubled ones.
            let mut j = i + 1;
            loop {
                match memchr::memchr(b'"', &buf[j..]) {
                    None => {
                        return if at_eof {
                            Err(CsvError::UnclosedQuote { at: start })
                        } else {
                            Ok((Scan::NeedMore, 0))
                        };
                    }
                    Some(k) => {
                        let q = j + k;
                        if buf.get(q + 1) == Some(&b'"') {
                            j = q + 2;
                            continue;
                        }
                        if q + 1 == buf.len() && !at_eof {
                            // The next byte may be another quote.
                            return Ok((Scan::NeedMore, 0));
                        }
                        i = q + 1;
                        break;
                    }
                }
            }
            match buf.get(i) {
                None | Some(b',' | b'\n' | b'\r') => {}
                Some(&byte) => return Err(CsvError::AfterQuote { at: i, byte }),
            }
        } else {
            i = unquoted_end(buf, i);
        }
        if count < max_spans {
            fields.push((start, i));
        }
        count += 1;
        match buf.get(i) {
            Some(b',') => i += 1,
            Some(b'\n') => {
                return Ok((
                    Scan::Record(RecordSpan { start: pos, content_end: i, end: i + 1 }),
                    count,
                ))
            }
            Some(b'\r') => {
                if i + 1 == buf.len() && !at_eof {
                    // A CRLF may be split across reads.
                    return Ok((Scan::NeedMore, 0));
                }
                let end = if buf.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 };
                return Ok((Scan::Record(RecordSpan { start: pos, content_end: i, end }), count));
            }
            Some(_) => unreachable!("fields end at a separator or the end"),
            None if at_eof => {
                return Ok((
                    Scan::Record(RecordSpan { start: pos, content_end: i, end: i }),
                    count,
                ))
            }
            None => return Ok((Scan::NeedMore, 0)),
        }
    }
}

/// The rest of a record from `i` (a field start) when it holds no quote and
/// no CR, the common case: the LF that ends it (None: none in `buf`) and
/// its number of fields. None when the slow path must decide.
#[inline]
fn plain_tail(buf: &[u8], i: usize) -> Option<(Option<usize>, usize)> {
    let rest = &buf[i..];
    let lf = memchr::memchr(b'\n', rest);
    let seg = &rest[..lf.unwrap_or(rest.len())];
    if memchr::memchr2(b'"', b'\r', seg).is_some() {
        return None;
    }
    Some((lf.map(|l| i + l), 1 + memchr::memchr_iter(b',', seg).count()))
}

/// The end of an unquoted field starting at `i`: the next `,`, LF or CR,
/// or the end of `buf`.
#[inline]
fn unquoted_end(buf: &[u8], mut i: usize) -> usize {
    // Splunk's fields are mostly a few bytes long, where memchr3's set-up
    // costs more than the search: test 8 bytes at a time in a register
    // first, and leave long fields to memchr3.
    for _ in 0..2 {
        let Some(bytes) = buf.get(i..i + 8) else { break };
        let mut w = [0; 8];
        w.copy_from_slice(bytes);
        let w = u64::from_le_bytes(w);
        // The three separators are the only bytes below 0x2d that can end
        // an unquoted field, and most field bytes are above it: find the
        // first byte below 0x2d (exact for the lowest one), and only when
        // it is not a separator test the word exactly.
        let below = w.wrapping_sub(ONES * 0x2d) & !w & (ONES * 0x80);
        if below != 0 {
            let at = (below.trailing_zeros() / 8) as usize;
            if matches!(bytes[at], b',' | b'\n' | b'\r') {
                return i + at;
            }
            let hits = zero_bytes(w ^ (ONES * u64::from(b',')))
                | zero_bytes(w ^ (ONES * u64::from(b'\n')))
                | zero_bytes(w ^ (ONES * u64::from(b'\r')));
            if hits != 0 {
                return i + (hits.trailing_zeros() / 8) as usize;
            }
        }
        i += 8;
    }
    i + memchr::memchr3(b',', b'\n', b'\r', &buf[i..]).unwrap_or(buf.len() - i)
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of each zero byte of `x`, and no other bit.
#[inline]
fn zero_bytes(x: u64) -> u64 {
    let low7 = ONES * 0x7f;
    !(((x & low7) + low7) | x | low7)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(buf: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut pos = 0;
        let mut fields = Vec::new();
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        while let Scan::Record(r) = scan_record(buf, pos, true, &mut fields).unwrap() {
            out.push(
                fields.iter().map(|&(s, e)| unquote(&buf[s..e], &mut scratch).to_vec()).collect(),
            );
            pos = r.end;
        }
        out
    }

    #[test]
    fn records_and_quotes() {
        let body = b"a,\"b,\"\"c\"\"\",d\r\n\"x\ny\",,z\n1,2,3";
        let recs = scan_all(body);
        assert_eq!(
            recs,
            vec![
                vec![b"a".to_vec(), b"b,\"c\"".to_vec(), b"d".to_vec()],
                vec![b"x\ny".to_vec(), b"".to_vec(), b"z".to_vec()],
                vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()],
            ]
        );
    }

    #[test]
    fn keep_limits_spans_but_counts_every_field() {
        let mut f = Vec::new();
        for (body, n) in [
            (&b"a,b,c,d,e\n"[..], 5),
            (b"a,b,\"c\nx\",d\n", 4),
            (b"a,b,c,d\r\n", 4),
            (b"a,b,,,\n", 5),
            (b"a,b", 2),
        ] {
            let (full, all) = scan_record_prefix(body, 0, true, &mut f, usize::MAX).unwrap();
            let spans = f.clone();
            let (scan, count) = scan_record_prefix(body, 0, true, &mut f, 2).unwrap();
            assert_eq!((scan, count, all), (full, n, n), "{body:?}");
            assert_eq!(f, spans[..2], "{body:?}");
        }
        assert_eq!(scan_record_prefix(b"a,b,c", 0, false, &mut f, 1), Ok((Scan::NeedMore, 0)));
        assert_eq!(
            scan_record_prefix(b"a,b,\"c\"x\n", 0, true, &mut f, 1),
            Err(CsvError::AfterQuote { at: 7, byte: b'x' })
        );
    }

    #[test]
    fn unquoted_end_agrees_with_a_byte_loop() {
        use proptest::prelude::*;
        let byte = prop_oneof![
            Just(b'a'),
            Just(b' '),
            Just(b'$'),
            Just(b'+'),
            Just(b'-'),
            Just(b','),
            Just(b'\n'),
            Just(b'\r'),
            Just(0xc3u8),
            Just(0u8),
        ];
        proptest!(|(buf in proptest::collection::vec(byte, 0..40), start in 0usize..40)| {
            let start = start.min(buf.len());
            let naive = buf[start..]
                .iter()
                .position(|b| matches!(b, b',' | b'\n' | b'\r'))
                .map_or(buf.len(), |p| start + p);
            prop_assert_eq!(unquoted_end(&buf, start), naive);
        });
    }

    #[test]
    fn single_empty_column_lines_are_records() {
        assert_eq!(scan_all(b"q\n\nx\n").len(), 3);
    }

    #[test]
    fn need_more_at_split_points() {
        let mut f = Vec::new();
        for partial in [&b"a,b"[..], b"a,\"b", b"a,\"b\"", b"a,b\r"] {
            assert_eq!(scan_record(partial, 0, false, &mut f), Ok(Scan::NeedMore), "{partial:?}");
        }
        assert!(matches!(scan_record(b"a,b\r\n", 0, false, &mut f), Ok(Scan::Record(_))));
    }

    #[test]
    fn errors_say_where() {
        let mut f = Vec::new();
        assert_eq!(
            scan_record(b"a,\"bc", 0, true, &mut f),
            Err(CsvError::UnclosedQuote { at: 2 })
        );
        assert_eq!(
            scan_record(b"a,\"b\"c\n", 0, true, &mut f),
            Err(CsvError::AfterQuote { at: 5, byte: b'c' })
        );
    }

    #[test]
    fn mv_round_trip() {
        let vals: Vec<&[u8]> = vec![b"a", b"b$c", b"", b"$$"];
        let mut enc = Vec::new();
        encode_mv(vals.iter().copied(), &mut enc);
        assert_eq!(enc, b"$a$;$b$$c$;$$;$$$$$$");
        let mut got = Vec::new();
        let mut scratch = Vec::new();
        assert!(for_each_mv_value(&enc, &mut scratch, |v| got.push(v.to_vec())));
        assert_eq!(got, vals.iter().map(|v| v.to_vec()).collect::<Vec<_>>());
        for bad in [&b"a"[..], b"$a", b"$a$b", b"$a$;"] {
            assert!(!for_each_mv_value(bad, &mut scratch, |_| {}), "{bad:?}");
        }
    }

    #[test]
    fn write_field_quotes_minimally() {
        let mut out = Vec::new();
        write_field(b"FreeDNS (afraid.org)", &mut out);
        out.push(b'|');
        write_field(b"a,\"b\"\nc", &mut out);
        assert_eq!(out, b"FreeDNS (afraid.org)|\"a,\"\"b\"\"\nc\"");
    }
}

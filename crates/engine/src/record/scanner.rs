//! [`RecordScanner`]: the record scanner over one buffer, its exact scan
//! of the structural bytes and its mask-based column scan.

#[cfg(not(target_arch = "x86_64"))]
use super::classify::Portable;
use super::classify::{has_avx2, structural_mask, Classify, Window};
#[cfg(target_arch = "x86_64")]
use super::classify::{Avx2, Sse2};
#[cfg(doc)]
use super::{scan_record_prefix, unquote};
use super::{CsvError, RecordSpan, Scan, Span};

/// Scans the records of one buffer in order. Two ways:
///
/// - [`scan`](Self::scan), exact: finds the bytes that can open or end a
///   field (`,`, `"`, LF, CR) 64 at a time and visits each, as the grammar
///   says; any input, every error.
/// - [`scan_columns`](Self::scan_columns), for data records of which only a
///   few columns are read: classifies 64 bytes at a time into quote, comma
///   and line-end masks, finds what lies inside quotes from the quotes'
///   parity (a prefix XOR), and so counts fields and finds the record's end
///   and the wanted columns without visiting each field. Anything the
///   masks cannot vouch for (a quote inside an unquoted field, a byte after
///   a closing quote, a quote left open at the end of the input) is handed
///   to the exact scan, so both give the same answer for every input.
///
/// Both count the LF bytes of the records they return
/// ([`lines`](Self::lines)), so that a body's line numbers need no second
/// pass.
#[derive(Debug)]
pub struct RecordScanner<'a> {
    buf: &'a [u8],
    /// Start of the 64-byte window `mask` describes.
    base: usize,
    /// The structural bytes of the window not yet visited, bit `i` for
    /// `buf[base + i]`.
    mask: u64,
    /// [`scan_columns`](Self::scan_columns)' last window and where it
    /// starts.
    window: Window,
    window_base: usize,
    /// Spans of the exact scan when `scan_columns` falls back to it.
    scratch: Vec<Span>,
    /// Whether AVX2 classifies windows (else SSE2, or portable code). Read
    /// on x86_64 only: elsewhere the portable code is the one path.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub(super) avx2: bool,
    /// LF bytes in the records returned so far.
    lines: u64,
    /// The last record [`scan_columns`](Self::scan_columns) returned has no
    /// LF inside a quoted value and no doubled quote.
    plain: bool,
}

/// `x` with each bit replaced by the XOR of it and every lower bit: bit `i`
/// is set when an odd number of quotes lie at or below `i`, i.e. byte `i`
/// is inside a quoted value (or is its opening quote).
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

impl<'a> RecordScanner<'a> {
    /// A scanner over `buf`.
    pub fn new(buf: &'a [u8]) -> RecordScanner<'a> {
        RecordScanner {
            buf,
            base: 0,
            mask: structural_mask(buf, 0),
            window: Window::default(),
            window_base: usize::MAX,
            scratch: Vec::new(),
            avx2: has_avx2(),
            lines: 0,
            plain: false,
        }
    }

    /// LF bytes in the records returned so far (each record's terminator
    /// and the line ends inside its quoted values): the lines they span.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// True when the last record [`scan_columns`](Self::scan_columns)
    /// returned has no LF inside a quoted value and no doubled quote: none
    /// of its values then holds an LF, and a quoted one is its bytes
    /// between the quotes ([`unquote`] need not look). False when unsure.
    pub fn last_record_plain(&self) -> bool {
        self.plain
    }

    /// Scans the record at `pos`, as [`scan_record_prefix`]. Records must be
    /// scanned in order (each `pos` at or after the previous record's end).
    pub fn scan(
        &mut self,
        pos: usize,
        at_eof: bool,
        fields: &mut Vec<Span>,
        max_spans: usize,
    ) -> Result<(Scan, usize), CsvError> {
        fields.clear();
        let buf = self.buf;
        let len = buf.len();
        if pos >= len {
            return Ok((Scan::End, 0));
        }
        // The window, in locals (registers) while scanning.
        let (mut base, mut mask) = if pos >= self.base && pos - self.base < 64 {
            (self.base, self.mask & (u64::MAX << (pos - self.base)))
        } else {
            (pos, structural_mask(buf, pos))
        };
        // The next structural byte's position, or `len` at the end.
        macro_rules! next {
            () => {
                loop {
                    if mask != 0 {
                        let at = base + mask.trailing_zeros() as usize;
                        mask &= mask - 1;
                        break at;
                    }
                    base += 64;
                    if base >= len {
                        base = len;
                        break len;
                    }
                    mask = structural_mask(buf, base);
                }
            };
        }
        let mut lines = 0;
        let mut count = 0;
        let mut start = pos;
        loop {
            // The end of the field at `start`: the separator there (its bit
            // visited), or `len`.
            let end = if buf[start] == b'"' {
                // Quoted: past the opening quote's bit to the closing quote,
                // skipping doubled ones; LFs inside are counted. When the
                // window holds no more structural bytes (a long value),
                // memchr finds the next quote instead.
                let open = next!();
                debug_assert_eq!(open, start);
                let close = loop {
                    let q = if mask == 0 && base + 64 < len {
                        let from = base + 64;
                        let q = memchr::memchr(b'"', &buf[from..]).map_or(len, |i| from + i);
                        lines += memchr::memchr_iter(b'\n', &buf[from..q]).count() as u64;
                        base = q;
                        mask = if q < len { structural_mask(buf, q) & !1 } else { 0 };
                        q
                    } else {
                        next!()
                    };
                    if q == len {
                        return if at_eof {
                            Err(CsvError::UnclosedQuote { at: start })
                        } else {
                            Ok((Scan::NeedMore, 0))
                        };
                    }
                    match buf[q] {
                        b'"' => match buf.get(q + 1) {
                            Some(b'"') => {
                                next!();
                            }
                            // The next byte may be another quote.
                            None if !at_eof => return Ok((Scan::NeedMore, 0)),
                            _ => break q + 1,
                        },
                        b'\n' => lines += 1,
                        _ => {}
                    }
                };
                match buf.get(close) {
                    None => close,
                    Some(b',' | b'\n' | b'\r') => {
                        let sep = next!();
                        debug_assert_eq!(sep, close);
                        close
                    }
                    Some(&byte) => return Err(CsvError::AfterQuote { at: close, byte }),
                }
            } else {
                // Unquoted: the next structural byte that is not a quote (a
                // quote inside an unquoted field is data).
                loop {
                    let q = next!();
                    if q == len || buf[q] != b'"' {
                        break q;
                    }
                }
            };
            if count < max_spans {
                fields.push((start, end));
            }
            count += 1;
            let rec_end = if end == len {
                if !at_eof {
                    return Ok((Scan::NeedMore, 0));
                }
                end
            } else {
                match buf[end] {
                    b',' => {
                        start = end + 1;
                        if start < len {
                            continue;
                        }
                        // A record ending in a comma: one more, empty, field.
                        if !at_eof {
                            return Ok((Scan::NeedMore, 0));
                        }
                        if count < max_spans {
                            fields.push((start, start));
                        }
                        count += 1;
                        self.lines += lines;
                        (self.base, self.mask) = (base, mask);
                        let rec = RecordSpan { start: pos, content_end: len, end: len };
                        return Ok((Scan::Record(rec), count));
                    }
                    b'\n' => {
                        lines += 1;
                        end + 1
                    }
                    _ => match buf.get(end + 1) {
                        // A CRLF may be split across reads.
                        None if !at_eof => return Ok((Scan::NeedMore, 0)),
                        Some(b'\n') => {
                            next!();
                            lines += 1;
                            end + 2
                        }
                        _ => end + 1,
                    },
                }
            };
            self.lines += lines;
            (self.base, self.mask) = (base, mask);
            let rec = RecordSpan { start: pos, content_end: end, end: rec_end };
            return Ok((Scan::Record(rec), count));
        }
    }
}

impl RecordScanner<'_> {
    /// Scans the record at `pos` for the columns `wanted` (ascending, no
    /// repeats): `spans[k]` is then the span of column `wanted[k]` (`(0, 0)`
    /// for a column the record lacks). Returns what [`scan`](Self::scan)
    /// returns, and counts lines the same way; records must be scanned in
    /// order.
    pub fn scan_columns(
        &mut self,
        pos: usize,
        at_eof: bool,
        wanted: &[usize],
        spans: &mut Vec<Span>,
    ) -> Result<(Scan, usize), CsvError> {
        spans.clear();
        spans.resize(wanted.len(), (0, 0));
        if let Some(done) = self.scan_fast(pos, at_eof, wanted, spans) {
            return Ok(done);
        }
        self.plain = false;
        let mut scratch = std::mem::take(&mut self.scratch);
        let keep = wanted.last().map_or(0, |&c| c + 1);
        let result = self.scan(pos, at_eof, &mut scratch, keep);
        if let Ok((Scan::Record(_), _)) = result {
            for (k, &c) in wanted.iter().enumerate() {
                spans[k] = scratch.get(c).copied().unwrap_or((0, 0));
            }
        }
        self.scratch = scratch;
        result
    }

    /// [`scan_columns`](Self::scan_columns) from the masks; None when the
    /// exact scan must decide. Compiled twice: for CPUs with AVX2 (and the
    /// bit instructions that come with it), and for the x86-64 baseline
    /// (SSE2) or the portable classifier.
    pub(super) fn scan_fast(
        &mut self,
        pos: usize,
        at_eof: bool,
        wanted: &[usize],
        spans: &mut [Span],
    ) -> Option<(Scan, usize)> {
        #[cfg(target_arch = "x86_64")]
        {
            if self.avx2 {
                // SAFETY: `avx2` is only set when the CPU has AVX2, POPCNT,
                // BMI1 and LZCNT.
                return unsafe { self.scan_fast_avx2(pos, at_eof, wanted, spans) };
            }
            self.scan_fast_with::<Sse2>(pos, at_eof, wanted, spans)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self.scan_fast_with::<Portable>(pos, at_eof, wanted, spans)
        }
    }

    /// [`scan_fast`](Self::scan_fast) for CPUs with AVX2.
    ///
    /// # Safety
    /// The CPU must have AVX2, POPCNT, BMI1 and LZCNT.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,popcnt,bmi1,lzcnt")]
    unsafe fn scan_fast_avx2(
        &mut self,
        pos: usize,
        at_eof: bool,
        wanted: &[usize],
        spans: &mut [Span],
    ) -> Option<(Scan, usize)> {
        self.scan_fast_with::<Avx2>(pos, at_eof, wanted, spans)
    }

    #[inline(always)]
    fn scan_fast_with<C: Classify>(
        &mut self,
        pos: usize,
        at_eof: bool,
        wanted: &[usize],
        spans: &mut [Span],
    ) -> Option<(Scan, usize)> {
        let buf = self.buf;
        let window_at = |at: usize| -> Window {
            let mut padded = [0u8; 64];
            let bytes: &[u8; 64] = match buf.get(at..at + 64) {
                Some(w) => w.try_into().expect("64 bytes"),
                None => {
                    let rest = buf.get(at..).unwrap_or(&[]);
                    padded[..rest.len()].copy_from_slice(rest);
                    &padded
                }
            };
            C::classify(bytes)
        };
        let len = buf.len();
        if pos >= len {
            return Some((Scan::End, 0));
        }
        let (mut base, mut win, mut lo) = if pos >= self.window_base && pos - self.window_base < 64
        {
            (self.window_base, self.window, pos - self.window_base)
        } else {
            (pos, window_at(pos), 0)
        };
        // State carried from one window to the next: inside quotes (all
        // ones or zero), the last byte was a comma outside quotes, or a
        // closing quote.
        let mut inside_carry = 0u64;
        let mut comma_carry = 0u64;
        let mut close_pending = false;
        let mut lines = 0u64;
        let mut count = 0usize;
        let mut col_start = pos;
        let mut wi = 0usize;
        let mut first = true;
        // Doubled quotes and LFs inside quotes seen (any bit set: the
        // record is not plain).
        let mut escapes = 0u64;
        loop {
            let from = u64::MAX << lo;
            let quote = win.quote & from;
            let was_inside = inside_carry;
            let (commas, ends, rec);
            if quote == 0 && inside_carry == 0 && !close_pending {
                // No quote in sight (most windows of most events).
                ends = (win.lf | win.cr) & from;
                rec = if ends != 0 { (ends & ends.wrapping_neg()) - 1 } else { u64::MAX } & from;
                commas = win.comma & rec;
            } else {
                let inside = prefix_xor(quote) ^ inside_carry;
                let outside = !inside;
                ends = (win.lf | win.cr) & outside & from;
                // The record's bytes in this window: up to its line end.
                rec = if ends != 0 { (ends & ends.wrapping_neg()) - 1 } else { u64::MAX } & from;
                commas = win.comma & outside & rec;
                let opening = quote & inside & rec;
                let closing = quote & outside & rec;
                // Quotes must open a field (or follow a closing quote: a
                // doubled one) and close before a separator (or an opening
                // quote: doubled).
                let starts = (commas << 1) | comma_carry | if first { 1 << lo } else { 0 };
                let after_close = (closing << 1) | u64::from(close_pending);
                if opening & !(starts | after_close) != 0 {
                    return None;
                }
                let line_end = ends & ends.wrapping_neg();
                let next_ok = (commas | opening | line_end) >> 1;
                if closing & !next_ok & !(1 << 63) != 0 {
                    return None;
                }
                if close_pending && (commas | opening | line_end) & 1 == 0 {
                    return None;
                }
                close_pending = closing >> 63 != 0;
                let lf_inside = win.lf & rec & inside;
                // A doubled quote is a closing quote right before an
                // opening one.
                escapes |= (after_close & opening) | lf_inside;
                if lf_inside != 0 {
                    lines += u64::from(lf_inside.count_ones());
                }
                inside_carry = ((inside as i64) >> 63) as u64;
            }
            // Columns ending in this window: for each wanted one, step over
            // the commas before it, take its span; then count the rest.
            let mut cm = commas;
            while wi < wanted.len() && wanted[wi] < count + cm.count_ones() as usize {
                for _ in count..wanted[wi] {
                    col_start = base + cm.trailing_zeros() as usize + 1;
                    cm &= cm - 1;
                }
                let at = base + cm.trailing_zeros() as usize;
                cm &= cm - 1;
                spans[wi] = (col_start, at);
                (count, col_start, wi) = (wanted[wi] + 1, at + 1, wi + 1);
            }
            if cm != 0 {
                count += cm.count_ones() as usize;
                col_start = base + 64 - cm.leading_zeros() as usize;
            }
            if ends != 0 {
                let end = base + ends.trailing_zeros() as usize;
                if wi < wanted.len() && wanted[wi] == count {
                    spans[wi] = (col_start, end);
                }
                let rec_end = if buf[end] == b'\n' {
                    lines += 1;
                    end + 1
                } else {
                    match buf.get(end + 1) {
                        // A CRLF may be split across reads.
                        None if !at_eof => return Some((Scan::NeedMore, 0)),
                        Some(b'\n') => {
                            lines += 1;
                            end + 2
                        }
                        _ => end + 1,
                    }
                };
                self.lines += lines;
                self.plain = escapes == 0;
                (self.window_base, self.window) = (base, win);
                let span = RecordSpan { start: pos, content_end: end, end: rec_end };
                return Some((Scan::Record(span), count + 1));
            }
            comma_carry = commas >> 63;
            base += 64;
            if base >= len {
                // The input ends inside the record.
                if close_pending || (inside_carry != 0 && at_eof) {
                    return None;
                }
                if !at_eof {
                    return Some((Scan::NeedMore, 0));
                }
                if wi < wanted.len() && wanted[wi] == count {
                    spans[wi] = (col_start, len);
                }
                self.lines += lines;
                self.plain = escapes == 0;
                let span = RecordSpan { start: pos, content_end: len, end: len };
                return Some((Scan::Record(span), count + 1));
            }
            first = false;
            if was_inside != 0 && quote == 0 {
                // A whole window inside a quoted value: a long one (an XML
                // `_raw`). memchr2 finds its next quote faster than
                // classifying its windows; the LFs on the way are counted.
                let q = loop {
                    match memchr::memchr2(b'"', b'\n', &buf[base..]) {
                        None => break len,
                        Some(i) if buf[base + i] == b'\n' => {
                            lines += 1;
                            escapes = 1;
                            base += i + 1;
                        }
                        Some(i) => break base + i,
                    }
                };
                if q == len {
                    return if at_eof { None } else { Some((Scan::NeedMore, 0)) };
                }
                base = q;
            }
            win = window_at(base);
            lo = 0;
        }
    }
}

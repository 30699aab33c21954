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
    /// Whether AVX2 classifies windows (else SSE2, or portable code).
    avx2: bool,
    /// LF bytes in the records returned so far.
    lines: u64,
    /// The last record [`scan_columns`](Self::scan_columns) returned has no
    /// LF inside a quoted value and no doubled quote.
    plain: bool,
}

/// One 64-byte window's quote, comma, LF and CR bytes: bit `i` for byte
/// `i` (bytes past the end of the input are none of them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Window {
    quote: u64,
    comma: u64,
    lf: u64,
    cr: u64,
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
    fn scan_fast(
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

/// Whether this CPU has AVX2 and the bit instructions the AVX2 scan is
/// compiled with (checked once per scanner; std caches the answer).
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        has!("avx2") && has!("popcnt") && has!("bmi1") && has!("lzcnt")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A way to classify 64 bytes into a [`Window`].
trait Classify {
    fn classify(bytes: &[u8; 64]) -> Window;
}

/// AVX2; only used inside [`RecordScanner::scan_fast_avx2`].
#[cfg(target_arch = "x86_64")]
struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Classify for Avx2 {
    #[inline(always)]
    fn classify(bytes: &[u8; 64]) -> Window {
        // SAFETY: only called from code compiled for (and run on) CPUs with
        // AVX2 (`scan_fast_avx2`).
        unsafe { classify_avx2(bytes) }
    }
}

/// SSE2, the x86-64 baseline.
#[cfg(target_arch = "x86_64")]
struct Sse2;

#[cfg(target_arch = "x86_64")]
impl Classify for Sse2 {
    #[inline(always)]
    fn classify(bytes: &[u8; 64]) -> Window {
        classify_sse2(bytes)
    }
}

/// One byte at a time.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
struct Portable;

impl Classify for Portable {
    #[inline(always)]
    fn classify(bytes: &[u8; 64]) -> Window {
        classify_portable(bytes)
    }
}

/// Classifies 64 bytes with AVX2 when `avx2`, else SSE2 (x86-64) or
/// portably; for tests.
#[cfg(test)]
fn classify(bytes: &[u8; 64], avx2: bool) -> Window {
    #[cfg(target_arch = "x86_64")]
    {
        if avx2 {
            return Avx2::classify(bytes);
        }
        Sse2::classify(bytes)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = avx2;
        Portable::classify(bytes)
    }
}

/// [`classify`] with AVX2, 32 bytes at a time.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn classify_avx2(bytes: &[u8; 64]) -> Window {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };
    let mut w = Window::default();
    // SAFETY: AVX2 is available (the caller's contract); each unaligned load
    // reads 32 of the 64 bytes of `bytes`.
    unsafe {
        let [quote, comma, lf, cr] = [b'"', b',', b'\n', b'\r'].map(|b| _mm256_set1_epi8(b as i8));
        for k in 0..2 {
            let v = _mm256_loadu_si256(bytes.as_ptr().add(32 * k).cast::<__m256i>());
            let bits = |m| u64::from(_mm256_movemask_epi8(m) as u32) << (32 * k);
            w.quote |= bits(_mm256_cmpeq_epi8(v, quote));
            w.comma |= bits(_mm256_cmpeq_epi8(v, comma));
            w.lf |= bits(_mm256_cmpeq_epi8(v, lf));
            w.cr |= bits(_mm256_cmpeq_epi8(v, cr));
        }
    }
    w
}

/// [`classify`] with SSE2 (part of every x86-64), 16 bytes at a time.
#[cfg(target_arch = "x86_64")]
#[inline]
fn classify_sse2(bytes: &[u8; 64]) -> Window {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut w = Window::default();
    // SAFETY: SSE2 is part of the x86-64 baseline; each unaligned load reads
    // 16 of the 64 bytes of `bytes`.
    unsafe {
        let [quote, comma, lf, cr] = [b'"', b',', b'\n', b'\r'].map(|b| _mm_set1_epi8(b as i8));
        for k in 0..4 {
            let v = _mm_loadu_si128(bytes.as_ptr().add(16 * k).cast::<__m128i>());
            let bits = |m| u64::from(_mm_movemask_epi8(m) as u16) << (16 * k);
            w.quote |= bits(_mm_cmpeq_epi8(v, quote));
            w.comma |= bits(_mm_cmpeq_epi8(v, comma));
            w.lf |= bits(_mm_cmpeq_epi8(v, lf));
            w.cr |= bits(_mm_cmpeq_epi8(v, cr));
        }
    }
    w
}

/// [`classify`] one byte at a time (elsewhere, and the reference the SIMD
/// versions are tested against).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn classify_portable(bytes: &[u8; 64]) -> Window {
    let mut w = Window::default();
    for (i, &b) in bytes.iter().enumerate() {
        let bit = 1u64 << i;
        match b {
            b'"' => w.quote |= bit,
            b',' => w.comma |= bit,
            b'\n' => w.lf |= bit,
            b'\r' => w.cr |= bit,
            _ => {}
        }
    }
    w
}

/// Bit `i` set when `buf[at + i]` is `,`, `"`, LF or CR (bytes past the end
/// of `buf` are none of them).
#[inline]
fn structural_mask(buf: &[u8], at: usize) -> u64 {
    match buf.get(at..at + 64) {
        Some(window) => mask64(window.try_into().expect("64 bytes")),
        None => {
            let mut window = [0u8; 64];
            let rest = buf.get(at..).unwrap_or(&[]);
            window[..rest.len()].copy_from_slice(rest);
            mask64(&window)
        }
    }
}

/// The structural bytes of 64 bytes, with SSE2 (part of every x86-64).
#[cfg(target_arch = "x86_64")]
#[inline]
fn mask64(window: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut mask = 0u64;
    // SAFETY: SSE2 is part of the x86-64 baseline, so these intrinsics are
    // available; each unaligned load reads 16 of the 64 bytes of `window`.
    unsafe {
        let [comma, quote, lf, cr] = [b',', b'"', b'\n', b'\r'].map(|b| _mm_set1_epi8(b as i8));
        for k in 0..4 {
            let v = _mm_loadu_si128(window.as_ptr().add(16 * k).cast::<__m128i>());
            let hit = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
                _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)),
            );
            mask |= u64::from(_mm_movemask_epi8(hit) as u16) << (16 * k);
        }
    }
    mask
}

/// The structural bytes of 64 bytes, portably.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn mask64(window: &[u8; 64]) -> u64 {
    mask64_portable(window)
}

/// The structural bytes of 64 bytes, one byte at a time (the reference the
/// SIMD version is tested against).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline]
fn mask64_portable(window: &[u8; 64]) -> u64 {
    let mut mask = 0u64;
    for (i, &b) in window.iter().enumerate() {
        mask |= u64::from(matches!(b, b',' | b'"' | b'\n' | b'\r')) << i;
    }
    mask
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
    fn structural_mask_agrees_with_a_byte_loop() {
        use proptest::prelude::*;
        let byte = prop_oneof![
            Just(b'a'),
            Just(b','),
            Just(b'"'),
            Just(b'\n'),
            Just(b'\r'),
            Just(b'+'),
            Just(0xacu8),
            Just(0xa2u8),
            Just(0x8au8),
            any::<u8>(),
        ];
        proptest!(|(buf in proptest::collection::vec(byte, 0..200), at in 0usize..200)| {
            let at = at.min(buf.len());
            let mut want = 0u64;
            for (i, &b) in buf[at..].iter().take(64).enumerate() {
                want |= u64::from(matches!(b, b',' | b'"' | b'\n' | b'\r')) << i;
            }
            prop_assert_eq!(structural_mask(&buf, at), want);
            if let Some(w) = buf.get(at..at + 64) {
                prop_assert_eq!(mask64_portable(w.try_into().unwrap()), want);
            }
        });
    }

    /// The scanner against a naive byte-at-a-time reading of the grammar:
    /// the same records, spans, field counts, errors, NeedMore, and LF
    /// counts, for arbitrary bytes over the structural alphabet, whole or
    /// cut anywhere.
    #[test]
    fn scanner_agrees_with_a_naive_reader() {
        use proptest::prelude::*;
        let byte = prop_oneof![
            4 => Just(b'a'),
            2 => Just(b','),
            2 => Just(b'"'),
            1 => Just(b'\n'),
            1 => Just(b'\r'),
            1 => Just(b'x'),
        ];
        // Sparse structural bytes too: long values, whole windows without
        // one (the quoted-field memchr path).
        let sparse = prop_oneof![
            120 => Just(b'a'),
            2 => Just(b','),
            2 => Just(b'"'),
            1 => Just(b'\n'),
            1 => Just(b'\r'),
        ];
        let bytes = prop_oneof![
            proptest::collection::vec(byte, 0..300),
            proptest::collection::vec(sparse, 0..700),
        ];
        proptest!(|(buf in bytes, keep in 0usize..6)| {
            for at_eof in [true, false] {
                let mut sc = RecordScanner::new(&buf);
                let mut pos = 0;
                let mut spans = Vec::new();
                let mut lines = 0;
                loop {
                    let got = sc.scan(pos, at_eof, &mut spans, keep);
                    let (want, want_spans, want_lines) = naive_scan(&buf, pos, at_eof, keep);
                    prop_assert_eq!(got, want);
                    match got {
                        Ok((Scan::Record(r), _)) => {
                            prop_assert_eq!(&spans, &want_spans);
                            lines += want_lines;
                            prop_assert_eq!(sc.lines(), lines);
                            prop_assert!(r.end > pos || r.end == buf.len());
                            if r.end == pos { break; }
                            pos = r.end;
                        }
                        _ => break,
                    }
                }
            }
        });
    }

    /// The masks of every classifier agree with a byte loop.
    #[test]
    fn classifiers_agree() {
        use proptest::prelude::*;
        proptest!(|(bytes in proptest::collection::vec(
            prop_oneof![Just(b'"'), Just(b','), Just(b'\n'), Just(b'\r'), any::<u8>()], 64))| {
            let w: &[u8; 64] = bytes[..].try_into().unwrap();
            let want = classify_portable(w);
            prop_assert_eq!(classify(w, false), want);
            if has_avx2() {
                prop_assert_eq!(classify(w, true), want);
            }
        });
    }

    /// `scan_columns` against the naive reader: the same records, field
    /// counts, wanted spans, errors, NeedMore and lines, record after
    /// record, whole or cut anywhere, with SSE2 and (where there is) AVX2.
    #[test]
    fn scan_columns_agrees_with_a_naive_reader() {
        use proptest::prelude::*;
        let byte = prop_oneof![
            6 => Just(b'a'),
            2 => Just(b','),
            2 => Just(b'"'),
            1 => Just(b'\n'),
            1 => Just(b'\r'),
        ];
        let sparse = prop_oneof![
            60 => Just(b'a'),
            3 => Just(b','),
            2 => Just(b'"'),
            1 => Just(b'\n'),
            1 => Just(b'\r'),
        ];
        // Well-formed records too (quoted fields with doubled quotes and
        // line ends inside), where the fast path does not fall back.
        let field = prop_oneof![
            "[a-z]{0,12}".prop_map(String::into_bytes),
            "[a-z,\n\r\"]{0,90}".prop_map(|v| {
                let mut f = vec![b'"'];
                for b in v.into_bytes() {
                    if b == b'"' {
                        f.push(b'"');
                    }
                    f.push(b);
                }
                f.push(b'"');
                f
            }),
        ];
        let record = (
            proptest::collection::vec(field, 1..9),
            prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b"\r"[..])],
        )
            .prop_map(|(fs, eol)| {
                let mut r = fs.join(&b',');
                r.extend_from_slice(eol);
                r
            });
        let bytes = prop_oneof![
            proptest::collection::vec(byte, 0..300),
            proptest::collection::vec(sparse, 0..700),
            proptest::collection::vec(record, 0..12).prop_map(|rs| rs.concat()),
        ];
        let wanted = proptest::collection::btree_set(0usize..10, 0..4)
            .prop_map(|s| s.into_iter().collect::<Vec<_>>());
        proptest!(|(buf in bytes, wanted in wanted, cut in 0usize..1000)| {
            let cut = cut.min(buf.len());
            for (data, at_eof) in [(&buf[..], true), (&buf[..], false), (&buf[..cut], false)] {
                for avx2 in [false, has_avx2()] {
                    let mut sc = RecordScanner::new(data);
                    sc.avx2 = avx2;
                    let mut pos = 0;
                    let mut spans = Vec::new();
                    let mut lines = 0;
                    let keep = wanted.last().map_or(0, |&c| c + 1);
                    loop {
                        let got = sc.scan_columns(pos, at_eof, &wanted, &mut spans);
                        let (want, all, want_lines) = naive_scan(data, pos, at_eof, keep);
                        prop_assert_eq!(got, want, "at {} in {:?}", pos, data.escape_ascii().to_string());
                        match got {
                            Ok((Scan::Record(r), _)) => {
                                if sc.last_record_plain() {
                                    // No value holds an LF or a doubled quote.
                                    let (_, every, _) = naive_scan(data, pos, at_eof, usize::MAX);
                                    for &(s, e) in &every {
                                        let v = &data[s..e];
                                        let inner = if v.first() == Some(&b'"') { &v[1..v.len() - 1] } else { v };
                                        prop_assert!(!v.contains(&b'\n'), "{:?}", data.escape_ascii().to_string());
                                        prop_assert!(v.first() != Some(&b'"') || !inner.contains(&b'"'), "{:?}", data.escape_ascii().to_string());
                                    }
                                }
                                let want_spans: Vec<Span> =
                                    wanted.iter().map(|&c| all.get(c).copied().unwrap_or((0, 0))).collect();
                                prop_assert_eq!(&spans, &want_spans, "at {} in {:?}", pos, data.escape_ascii().to_string());
                                lines += want_lines;
                                prop_assert_eq!(sc.lines(), lines);
                                if r.end == pos { break; }
                                pos = r.end;
                            }
                            _ => break,
                        }
                    }
                }
            }
        });
    }

    /// Well-formed records never need the exact scan: quoted values with
    /// doubled quotes, commas and line ends inside, across windows.
    #[test]
    fn well_formed_records_take_the_fast_path() {
        let mut body = Vec::new();
        for i in 0..50 {
            let long = "x".repeat(i * 7);
            body.extend_from_slice(
                format!("{i},\"a,\"\"b\"\"\nc{long}\",,\"{long}\",\"\",q{i}\r\n").as_bytes(),
            );
        }
        for avx2 in [false, has_avx2()] {
            let mut sc = RecordScanner::new(&body);
            sc.avx2 = avx2;
            let (mut pos, mut spans) = (0, vec![(0, 0); 2]);
            while pos < body.len() {
                match sc.scan_fast(pos, true, &[1, 5], &mut spans) {
                    Some((Scan::Record(r), 6)) => pos = r.end,
                    other => panic!("at {pos}: {other:?}"),
                }
                assert!(body[spans[0].0..spans[0].1].starts_with(b"\"a,"));
                assert_eq!(body[spans[1].0], b'q');
            }
            assert_eq!(sc.lines(), 100);
        }
    }

    /// One record by the grammar, a byte at a time: the scan, the spans
    /// kept, the record's LF bytes.
    fn naive_scan(
        buf: &[u8],
        pos: usize,
        at_eof: bool,
        keep: usize,
    ) -> (Result<(Scan, usize), CsvError>, Vec<Span>, u64) {
        let mut spans = Vec::new();
        if pos >= buf.len() {
            return (Ok((Scan::End, 0)), spans, 0);
        }
        let (mut i, mut count) = (pos, 0);
        loop {
            let start = i;
            if buf.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    match buf.get(i) {
                        None if at_eof => {
                            return (Err(CsvError::UnclosedQuote { at: start }), spans, 0)
                        }
                        None => return (Ok((Scan::NeedMore, 0)), spans, 0),
                        Some(b'"') if buf.get(i + 1) == Some(&b'"') => i += 2,
                        Some(b'"') if i + 1 == buf.len() && !at_eof => {
                            return (Ok((Scan::NeedMore, 0)), spans, 0)
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                match buf.get(i) {
                    None | Some(b',' | b'\n' | b'\r') => {}
                    Some(&byte) => return (Err(CsvError::AfterQuote { at: i, byte }), spans, 0),
                }
            } else {
                while !matches!(buf.get(i), None | Some(b',' | b'\n' | b'\r')) {
                    i += 1;
                }
            }
            if count < keep {
                spans.push((start, i));
            }
            count += 1;
            let lf = |end: usize| buf[pos..end].iter().filter(|&&b| b == b'\n').count() as u64;
            match buf.get(i) {
                Some(b',') => i += 1,
                Some(b'\n') => {
                    let r = RecordSpan { start: pos, content_end: i, end: i + 1 };
                    return (Ok((Scan::Record(r), count)), spans, lf(i + 1));
                }
                Some(b'\r') if i + 1 == buf.len() && !at_eof => {
                    return (Ok((Scan::NeedMore, 0)), spans, 0)
                }
                Some(b'\r') => {
                    let end = if buf.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 };
                    let r = RecordSpan { start: pos, content_end: i, end };
                    return (Ok((Scan::Record(r), count)), spans, lf(end));
                }
                None if at_eof => {
                    let r = RecordSpan { start: pos, content_end: i, end: i };
                    return (Ok((Scan::Record(r), count)), spans, lf(i));
                }
                _ => return (Ok((Scan::NeedMore, 0)), spans, 0),
            }
        }
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

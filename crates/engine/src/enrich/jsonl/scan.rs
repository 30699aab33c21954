//! The validating JSON scanner of [`super`]: one pass over a line checks
//! RFC 8259 (strings, escapes, UTF-8, numbers, literals, nesting) and
//! decodes the strings the enricher asks for.

use crate::enrich::lines::LineProblem;

use super::MAX_DEPTH;

/// Byte classes inside a JSON string.
pub(super) const PLAIN: u8 = 0;
const QUOTE: u8 = 1;
const BACKSLASH: u8 = 2;
const CONTROL: u8 = 3;
const HIGH: u8 = 4;
pub(super) static STRING_CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b {
            0x22 => QUOTE,
            0x5c => BACKSLASH,
            0..=0x1f => CONTROL,
            0x80..=0xff => HIGH,
            _ => PLAIN,
        };
        b += 1;
    }
    t
};

/// The high bit of each byte of a word of string bytes that may be a quote,
/// a backslash, a control or a non-ASCII byte (SWAR "has zero byte" / "has
/// byte less than" tests). Zero when there is none; otherwise its lowest
/// set bit marks the first such byte exactly (a borrow only runs upwards
/// from a byte that is one, so bytes below it are never flagged).
#[inline]
pub(super) fn special_mask(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let quote = zero(w ^ (ONES * 0x22));
    let backslash = zero(w ^ (ONES * 0x5c));
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    quote | backslash | control | (w & HIGH)
}

/// A validating scan over one line.
pub(super) struct Scan<'a> {
    pub(super) b: &'a [u8],
    pub(super) i: usize,
}

impl Scan<'_> {
    pub(super) fn problem(&self, what: &str) -> LineProblem {
        LineProblem { what: what.to_string(), at: self.i }
    }

    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    pub(super) fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        self.i += 1;
        c
    }

    #[inline]
    pub(super) fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// Skips (and validates) any value.
    pub(super) fn value(&mut self, depth: usize) -> Result<(), LineProblem> {
        if depth >= MAX_DEPTH {
            return Err(self.problem("nested too deeply"));
        }
        match self.peek() {
            Some(b'"') => {
                self.skip_string()?;
            }
            Some(b'{') => self.object(depth, |s, depth| {
                s.skip_string()?;
                s.ws();
                if s.next() != Some(b':') {
                    return Err(s.problem("expected ':' after a key"));
                }
                s.ws();
                s.value(depth)
            })?,
            Some(b'[') => self.array(depth, |s, depth| s.value(depth))?,
            Some(b't') => self.literal(b"true")?,
            Some(b'f') => self.literal(b"false")?,
            Some(b'n') => self.literal(b"null")?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.problem("expected a JSON value")),
        }
        Ok(())
    }

    /// Walks the object at `{` (at `depth`), calling `each` with the scan
    /// at each member's key (its opening quote) and the members' depth;
    /// `each` reads the key, the `:` and the value. The one object grammar
    /// that skipping and path descent share.
    pub(super) fn object(
        &mut self,
        depth: usize,
        mut each: impl FnMut(&mut Self, usize) -> Result<(), LineProblem>,
    ) -> Result<(), LineProblem> {
        if depth >= MAX_DEPTH {
            return Err(self.problem("nested too deeply"));
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.problem("expected a key string"));
            }
            each(self, depth + 1)?;
            self.ws();
            match self.next() {
                Some(b',') => continue,
                Some(b'}') => return Ok(()),
                _ => return Err(self.problem("expected ',' or '}' in an object")),
            }
        }
    }

    /// Walks the array at `[` (at `depth`), calling `each` with the scan at
    /// each element and the elements' depth; the one array grammar that
    /// skipping, path descent and value collection share.
    pub(super) fn array(
        &mut self,
        depth: usize,
        mut each: impl FnMut(&mut Self, usize) -> Result<(), LineProblem>,
    ) -> Result<(), LineProblem> {
        if depth >= MAX_DEPTH {
            return Err(self.problem("nested too deeply"));
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            each(self, depth + 1)?;
            self.ws();
            match self.next() {
                Some(b',') => continue,
                Some(b']') => return Ok(()),
                _ => return Err(self.problem("expected ',' or ']' in an array")),
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), LineProblem> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.problem("bad literal"))
        }
    }

    fn number(&mut self) -> Result<(), LineProblem> {
        let digits = |s: &mut Self| {
            let start = s.i;
            while let Some(b'0'..=b'9') = s.peek() {
                s.i += 1;
            }
            s.i - start
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let lead = self.peek();
        let n = digits(self);
        if n == 0 || (lead == Some(b'0') && n > 1) {
            return Err(self.problem("bad number"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(self.problem("bad number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.problem("bad number"));
            }
        }
        Ok(())
    }

    /// Skips a string (at its `"`), validating it.
    #[inline]
    pub(super) fn skip_string(&mut self) -> Result<(), LineProblem> {
        self.scan_string(None).map(|_| ())
    }

    /// Reads a string (at its `"`): true when it had escapes, and then its
    /// unescaped bytes are in `buf`; else the content is `b[start+1..i-1]`.
    #[inline]
    pub(super) fn string(&mut self, buf: &mut Vec<u8>) -> Result<bool, LineProblem> {
        self.scan_string(Some(buf))
    }

    /// One pass over a string: a byte class table finds the closing quote,
    /// escapes and control bytes; UTF-8 is checked only for a string with
    /// a non-ASCII byte. With `buf`, an escaped string is decoded into it.
    fn scan_string(&mut self, mut buf: Option<&mut Vec<u8>>) -> Result<bool, LineProblem> {
        let start = self.i + 1;
        let mut i = start;
        let mut run = start; // first byte not yet copied into buf
        let mut escaped = false;
        let mut non_ascii = false;
        loop {
            // Eight plain bytes at a time, up to the first special byte;
            // the table classifies it (and the last few bytes of a line).
            while let Some(w) = self.b.get(i..i + 8) {
                let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
                let m = special_mask(w);
                if m != 0 {
                    i += (m.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            let Some(&c) = self.b.get(i) else {
                self.i = self.b.len();
                return Err(self.problem("unterminated string"));
            };
            match STRING_CLASS[usize::from(c)] {
                PLAIN => i += 1,
                HIGH => {
                    non_ascii = true;
                    i += 1;
                }
                QUOTE => break,
                BACKSLASH => {
                    if !escaped {
                        if let Some(b) = buf.as_deref_mut() {
                            b.clear();
                        }
                    }
                    escaped = true;
                    if let Some(b) = buf.as_deref_mut() {
                        b.extend_from_slice(&self.b[run..i]);
                    }
                    self.i = i;
                    let n = self.escape(buf.as_deref_mut())?;
                    i += n;
                    run = i;
                }
                _ => {
                    self.i = i;
                    return Err(self.problem("control byte in a string"));
                }
            }
        }
        if non_ascii && std::str::from_utf8(&self.b[start..i]).is_err() {
            self.i = start;
            return Err(self.problem("invalid UTF-8 in a string"));
        }
        if escaped {
            if let Some(b) = buf {
                b.extend_from_slice(&self.b[run..i]);
            }
        }
        self.i = i + 1;
        Ok(escaped)
    }

    /// Decodes the escape at `self.i` (a `\`) into `buf` (only validates
    /// it without one); returns its length.
    fn escape(&mut self, buf: Option<&mut Vec<u8>>) -> Result<usize, LineProblem> {
        let c = self.b.get(self.i + 1).copied();
        let simple = match c {
            Some(b'"') => Some(b'"'),
            Some(b'\\') => Some(b'\\'),
            Some(b'/') => Some(b'/'),
            Some(b'b') => Some(8),
            Some(b'f') => Some(12),
            Some(b'n') => Some(b'\n'),
            Some(b'r') => Some(b'\r'),
            Some(b't') => Some(b'\t'),
            Some(b'u') => None,
            _ => return Err(self.problem("bad escape")),
        };
        if let Some(b) = simple {
            if let Some(buf) = buf {
                buf.push(b);
            }
            return Ok(2);
        }
        let hex = |at: usize| -> Option<u32> {
            let h = self.b.get(at..at + 4)?;
            let s = std::str::from_utf8(h).ok()?;
            u32::from_str_radix(s, 16).ok()
        };
        let Some(u) = hex(self.i + 2) else { return Err(self.problem("bad \\u escape")) };
        let (cp, len) = if (0xd800..0xdc00).contains(&u) {
            match (self.b.get(self.i + 6..self.i + 8), hex(self.i + 8)) {
                (Some(b"\\u"), Some(lo)) if (0xdc00..0xe000).contains(&lo) => {
                    (0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00), 12)
                }
                _ => (0xfffd, 6),
            }
        } else if (0xdc00..0xe000).contains(&u) {
            (0xfffd, 6)
        } else {
            (u, 6)
        };
        if let Some(buf) = buf {
            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
            let mut tmp = [0; 4];
            buf.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
        }
        Ok(len)
    }
}

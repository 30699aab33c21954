//! The DNS-name grammar: what a zone (and a host we judge) is. One copy,
//! used by the table builder, host extraction, free-text scanning and the
//! zone-list build.
//!
//! A name is `label(.label)+`: two or more labels of 1 to 63 bytes from
//! `[a-z0-9_-]` (lower case; `_` because SRV-style and some DDNS names use
//! it), at most 253 bytes, and a last label that is not all digits (so no
//! IPv4 literal and no numeric TLD).

use std::fmt;

/// Longest name, in bytes (RFC 1035 without the root's length octet).
pub const MAX_NAME: usize = 253;
/// Longest label, in bytes.
pub const MAX_LABEL: usize = 63;

/// Why a name is not a well-formed zone. The messages read after the name,
/// as in `zone "a..b" has an empty label`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameProblem {
    /// The name is empty.
    Empty,
    /// The name is longer than [`MAX_NAME`] bytes (the length is given).
    TooLong(usize),
    /// Two dots in a row, or a leading or trailing dot.
    EmptyLabel,
    /// A label is longer than [`MAX_LABEL`] bytes.
    LongLabel,
    /// A character outside `[a-z0-9_-]` (invalid UTF-8 shows as U+FFFD).
    BadChar(char),
    /// Only one label.
    SingleLabel,
    /// The last label is all digits.
    NumericLast,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => write!(f, "is empty"),
            NameProblem::TooLong(n) => write!(f, "is {n} bytes long (at most {MAX_NAME})"),
            NameProblem::EmptyLabel => write!(f, "has an empty label"),
            NameProblem::LongLabel => write!(f, "has a label longer than {MAX_LABEL} bytes"),
            NameProblem::BadChar(c) => write!(
                f,
                "contains {c:?} (zones are lower-case label(.label)+, labels [a-z0-9_-]{{1,63}})"
            ),
            NameProblem::SingleLabel => write!(f, "is a single label"),
            NameProblem::NumericLast => {
                write!(f, "ends in a numeric label (IP literal or numeric TLD)")
            }
        }
    }
}

/// Whether a byte may appear in a label.
#[inline]
pub fn is_label_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
}

/// Why `name` is not a well-formed zone, if it is not. Problems are looked
/// for in this order: empty, too long, then label by label (empty, too
/// long, bad character), then single label, then numeric last label.
pub fn problem(name: &[u8]) -> Option<NameProblem> {
    if name.is_empty() {
        return Some(NameProblem::Empty);
    }
    if name.len() > MAX_NAME {
        return Some(NameProblem::TooLong(name.len()));
    }
    let mut labels = 0;
    let mut last_numeric = false;
    for label in name.split(|&b| b == b'.') {
        if label.is_empty() {
            return Some(NameProblem::EmptyLabel);
        }
        if label.len() > MAX_LABEL {
            return Some(NameProblem::LongLabel);
        }
        if let Some(i) = label.iter().position(|&b| !is_label_byte(b)) {
            return Some(NameProblem::BadChar(first_char(&label[i..])));
        }
        labels += 1;
        last_numeric = label.iter().all(u8::is_ascii_digit);
    }
    if labels < 2 {
        return Some(NameProblem::SingleLabel);
    }
    last_numeric.then_some(NameProblem::NumericLast)
}

/// Whether `name` is a well-formed zone ([`problem`] finds nothing).
#[inline]
pub fn is_valid_zone(name: &[u8]) -> bool {
    problem(name).is_none()
}

/// The character that starts `bytes` (U+FFFD when it is not valid UTF-8).
fn first_char(bytes: &[u8]) -> char {
    let end = bytes.len().min(4);
    (1..=end)
        .find_map(|n| std::str::from_utf8(&bytes[..n]).ok().and_then(|s| s.chars().next()))
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_table() {
        let long_label = format!("{}.com", "a".repeat(64));
        let long_name = format!("{}com", "abcdefghi.".repeat(26));
        let cases: &[(&[u8], Option<NameProblem>)] = &[
            (b"duckdns.org", None),
            (b"a_b.x-y.example", None),
            (b"", Some(NameProblem::Empty)),
            (long_name.as_bytes(), Some(NameProblem::TooLong(263))),
            (b"a..example", Some(NameProblem::EmptyLabel)),
            (b".example.com", Some(NameProblem::EmptyLabel)),
            (b"example.com.", Some(NameProblem::EmptyLabel)),
            (long_label.as_bytes(), Some(NameProblem::LongLabel)),
            (b"*.example.com", Some(NameProblem::BadChar('*'))),
            (b"Bad.example", Some(NameProblem::BadChar('B'))),
            ("bücher.example".as_bytes(), Some(NameProblem::BadChar('ü'))),
            (b"x\xff.example", Some(NameProblem::BadChar('\u{fffd}'))),
            (b"localhost", Some(NameProblem::SingleLabel)),
            (b"1.2.3.4", Some(NameProblem::NumericLast)),
            (b"example.123", Some(NameProblem::NumericLast)),
            (b"123.example", None),
        ];
        for (name, want) in cases {
            assert_eq!(problem(name), *want, "{:?}", String::from_utf8_lossy(name));
            assert_eq!(is_valid_zone(name), want.is_none());
        }
        assert_eq!(
            NameProblem::BadChar('ü').to_string(),
            "contains 'ü' (zones are lower-case label(.label)+, labels [a-z0-9_-]{1,63})"
        );
    }
}

//! The input formats of `enrich` and what every format shares at the
//! start of its input (a byte-order mark).

use std::fmt;

/// An input format of `enrich`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// CSV with a header row (the default).
    #[default]
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Zeek's ASCII TSV logs.
    Zeek,
}

/// Every format, in the order help lists them.
pub const FORMATS: &[Format] = &[Format::Csv, Format::Jsonl, Format::Zeek];

impl Format {
    /// The format of a name or an alias (`csv`, `jsonl`, `ndjson` …, any
    /// case).
    pub fn parse(name: &str) -> Option<Format> {
        FORMATS.iter().copied().find(|f| {
            f.name().eq_ignore_ascii_case(name)
                || f.aliases().iter().any(|a| a.eq_ignore_ascii_case(name))
        })
    }

    /// The format's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Zeek => "zeek",
        }
    }

    /// Other names accepted for the format.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Format::Csv => &[],
            Format::Jsonl => &["json", "ndjson"],
            Format::Zeek => &["tsv"],
        }
    }

    /// What the format is called in prose (`a Zeek log`).
    pub fn title(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Jsonl => "JSON lines",
            Format::Zeek => "a Zeek log",
        }
    }

    /// The format the first line of an input plainly has, for a hint when
    /// it was read as another: Zeek's `#separator`/`#fields` header, a JSON
    /// object, or a comma-separated header row; `None` when the line says
    /// nothing. A guess for messages only: the format read is always the
    /// one asked for.
    pub fn sniff(first_line: &[u8]) -> Option<Format> {
        let line = first_line.strip_prefix(UTF8_BOM).unwrap_or(first_line);
        let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
        let text = line.trim_ascii_start();
        if line.starts_with(b"#separator ") || line.starts_with(b"#fields\t") {
            Some(Format::Zeek)
        } else if text.starts_with(b"{") {
            Some(Format::Jsonl)
        } else if !text.starts_with(b"#") && line.contains(&b',') {
            Some(Format::Csv)
        } else {
            None
        }
    }

    /// Whether the input is read line by line (a bad line can be passed
    /// through) rather than as CSV records (which may span lines).
    pub fn is_line_based(self) -> bool {
        match self {
            Format::Csv => false,
            Format::Jsonl | Format::Zeek => true,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The UTF-8 byte-order mark (what Excel's "CSV UTF-8" and Windows
/// PowerShell's `-Encoding utf8` write first). It is copied to the output
/// and not read as part of the first field or line.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The message for an input in UTF-16, which no format reads.
pub const UTF16_PROBLEM: &str =
    "the input is UTF-16 (it starts with a UTF-16 byte-order mark); convert it to UTF-8";

/// What the first bytes of an input say about its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bom {
    /// No byte-order mark.
    None,
    /// A UTF-8 one (three bytes).
    Utf8,
    /// A UTF-16 one (either byte order).
    Utf16,
    /// Too few bytes to tell yet (more input may follow).
    NeedMore,
}

/// The byte-order mark at the start of `buf`; `at_eof` when no more bytes
/// follow (a short input then has none).
pub(crate) fn byte_order_mark(buf: &[u8], at_eof: bool) -> Bom {
    if buf.starts_with(UTF8_BOM) {
        Bom::Utf8
    } else if buf.starts_with(b"\xFF\xFE") || buf.starts_with(b"\xFE\xFF") {
        Bom::Utf16
    } else if !at_eof
        && ((buf.len() < UTF8_BOM.len() && UTF8_BOM.starts_with(buf))
            || buf == b"\xFF"
            || buf == b"\xFE")
    {
        Bom::NeedMore
    } else {
        Bom::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_parse_back() {
        for &f in FORMATS {
            assert_eq!(Format::parse(f.name()), Some(f));
            assert_eq!(Format::parse(&f.name().to_uppercase()), Some(f));
            for a in f.aliases() {
                assert_eq!(Format::parse(a), Some(f));
            }
        }
        assert_eq!(Format::parse("xml"), None);
        assert_eq!(Format::parse(""), None);
    }

    #[test]
    fn first_lines_say_their_format() {
        let cases: &[(&[u8], Option<Format>)] = &[
            (b"#separator \\x09\n#set_separator\t,\n", Some(Format::Zeek)),
            (b"#fields\tts\tquery\n", Some(Format::Zeek)),
            (b"\xEF\xBB\xBF{\"query\": \"a.duckdns.org\"}\n", Some(Format::Jsonl)),
            (b"  {\"a\":1,\"b\":2}", Some(Format::Jsonl)),
            (b"query,answer\r\n", Some(Format::Csv)),
            (b"query\na,b\n", None),
            (b"# a comment, with a comma\n", None),
            (b"", None),
        ];
        for &(line, want) in cases {
            assert_eq!(Format::sniff(line), want, "{:?}", String::from_utf8_lossy(line));
        }
        for &f in FORMATS {
            assert!(!f.title().is_empty());
        }
    }

    #[test]
    fn byte_order_marks() {
        assert_eq!(byte_order_mark(b"", false), Bom::NeedMore);
        assert_eq!(byte_order_mark(b"", true), Bom::None);
        assert_eq!(byte_order_mark(b"\xEF", false), Bom::NeedMore);
        assert_eq!(byte_order_mark(b"\xEF\xBB", true), Bom::None);
        assert_eq!(byte_order_mark(b"\xEF\xBB\xBFq", false), Bom::Utf8);
        assert_eq!(byte_order_mark(b"\xFF", false), Bom::NeedMore);
        assert_eq!(byte_order_mark(b"\xFF\xFEq\0", false), Bom::Utf16);
        assert_eq!(byte_order_mark(b"\xFE\xFF", true), Bom::Utf16);
        assert_eq!(byte_order_mark(b"q", false), Bom::None);
    }
}

//! Zeek's ASCII logs (`enrich --format zeek`): TSV with a `#fields` /
//! `#types` header, the verdict columns appended.
//!
//! Header lines (Zeek's ASCII writer, `src/logging/writers/ascii/`):
//! `#separator \x09` (the separator escaped, after one space),
//! `#set_separator`, `#empty_field`, `#unset_field` (read, with Zeek's
//! defaults `,`, `(empty)`, `-`), `#path`, `#open`, `#fields`, `#types`,
//! `#close`. Every `#` line is copied unchanged and in place (btest's
//! `###` lines and `#open XXXX…` too), except `#fields` and `#types`, which
//! get `isDynDNS`, `provider`, `dyndns_zone`, `dyndns_category`,
//! `dyndns_tier` and `bool`, `vector[string]` ×4 appended. A column that
//! already has one of those names (the command run twice) is replaced in
//! place instead, as the CSV enricher does. A new `#fields` line (logs
//! concatenated) starts a new layout.
//!
//! Reading: a `--field` that `#fields` lacks is an error naming the field
//! and the columns; a `#set_separator` equal to the `#separator` is one
//! too. A judged column's `-` (unset) and `(empty)` hold no value; a
//! `set[…]`/`vector[…]` column is split on the set separator, and so is
//! every judged column when `#types` is absent (host names hold no
//! commas, so a split never hides one). Zeek's `\xHH`
//! escapes are not decoded: Zeek escapes only bytes no host name holds, so
//! such a value is not a host (the verdict policy).
//!
//! Writing: `T`/`F`; each other field is its values (as the CSV enricher
//! gives them: distinct, in order) with Zeek's escaping (`\`, the
//! separators and non-printable bytes as `\xHH`, an element equal to `-` or
//! `(empty)` with its first byte escaped) joined by the set separator, or
//! the unset field `-` when there is none.
//!
//! A data line before any `#fields`, or with another number of columns, is
//! a [`LineProblem`].

use crate::enrich::lines::{LineEnricher, LineProblem};
use crate::enrich::MissingField;
use crate::options::Options;
use crate::verdict::{Field, Judge, OutputNames, Shape};
use crate::zoneset::ZoneSet;

/// The layout of the current `#fields` block.
#[derive(Debug, Default)]
struct Layout {
    ncols: usize,
    /// Judged columns and whether each is a container (set/vector).
    targets: Vec<(usize, bool)>,
    /// Per output field (of [`Field::ALL`]): the input column it replaces.
    replace: [Option<usize>; Field::COUNT],
    /// Columns whose spans a line needs.
    keep: usize,
}

/// Enriches Zeek ASCII logs.
#[derive(Debug)]
pub struct ZeekTsvEnricher<'z> {
    fields: Vec<Vec<u8>>,
    /// The names the verdict columns are written under.
    out_names: OutputNames,
    judge: Judge<'z>,
    sep: u8,
    set_sep: Vec<u8>,
    empty: Vec<u8>,
    unset: Vec<u8>,
    layout: Option<Layout>,
    /// Column names of the current `#fields`, for `#types`.
    names: Vec<Vec<u8>>,
    spans: Vec<(usize, usize)>,
}

impl<'z> ZeekTsvEnricher<'z> {
    /// An enricher judging the columns `options.fields`.
    pub fn new(zones: &'z ZoneSet, options: &Options) -> Self {
        ZeekTsvEnricher {
            fields: options.fields.iter().map(|f| f.as_bytes().to_vec()).collect(),
            out_names: options.names.clone(),
            judge: Judge::new(zones, options.mode),
            sep: b'\t',
            set_sep: b",".to_vec(),
            empty: b"(empty)".to_vec(),
            unset: b"-".to_vec(),
            layout: None,
            names: Vec::new(),
            spans: Vec::new(),
        }
    }

    /// Reads a header line's value: after the separator (`#separator`
    /// after a space), `\xHH` unescaped.
    fn header_value(&self, rest: &[u8]) -> Vec<u8> {
        unescape(rest.strip_prefix(&[self.sep][..]).unwrap_or(rest))
    }

    fn header(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<(), LineProblem> {
        if let Some(rest) = line.strip_prefix(b"#separator") {
            let v = unescape(
                rest.strip_prefix(b" ").or_else(|| rest.strip_prefix(b"\t")).unwrap_or(rest),
            );
            match v[..] {
                [b] => self.sep = b,
                _ => return Err(LineProblem::line("#separator must be one byte")),
            }
            self.check_separators()?;
        } else if let Some(rest) = line.strip_prefix(b"#set_separator") {
            self.set_sep = self.header_value(rest);
            self.check_separators()?;
        } else if let Some(rest) = line.strip_prefix(b"#empty_field") {
            self.empty = self.header_value(rest);
        } else if let Some(rest) = line.strip_prefix(b"#unset_field") {
            self.unset = self.header_value(rest);
        } else if line.starts_with(b"#fields") && line.get(7) == Some(&self.sep) {
            self.fields_line(line, out)?;
            return Ok(());
        } else if line.starts_with(b"#types") && line.get(6) == Some(&self.sep) {
            out.extend_from_slice(line);
            if let Some(mut l) = self.layout.take() {
                let types: Vec<&[u8]> = line[7..].split(|&b| b == self.sep).collect();
                if types.len() != l.ncols {
                    let n = l.ncols;
                    self.layout = Some(l);
                    return Err(LineProblem::line(format!(
                        "#types has {} columns but #fields has {n}",
                        types.len()
                    )));
                }
                for t in &mut l.targets {
                    let ty = types[t.0];
                    t.1 = ty.starts_with(b"set[") || ty.starts_with(b"vector[");
                }
                for f in Field::ALL {
                    if l.replace[f.index()].is_none() {
                        out.push(self.sep);
                        out.extend_from_slice(f.zeek_type().as_bytes());
                    }
                }
                self.layout = Some(l);
            }
            return Ok(());
        }
        out.extend_from_slice(line);
        Ok(())
    }

    /// A set separator equal to the separator would make every set one
    /// column per element.
    fn check_separators(&self) -> Result<(), LineProblem> {
        if self.set_sep == [self.sep] {
            return Err(LineProblem::line(format!(
                "#set_separator is the #separator ({:#04x}): a set could not be told from its columns",
                self.sep
            )));
        }
        Ok(())
    }

    fn fields_line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<(), LineProblem> {
        self.names = line[8..].split(|&b| b == self.sep).map(<[u8]>::to_vec).collect();
        let header: Vec<&[u8]> = self.names.iter().map(Vec::as_slice).collect();
        if let Some(m) = MissingField::check(self.fields.iter().map(Vec::as_slice), &header) {
            return Err(LineProblem::line(m.to_string()));
        }
        let col = |n: &[u8]| self.names.iter().position(|x| x == n);
        let mut l = Layout { ncols: self.names.len(), ..Layout::default() };
        for f in &self.fields {
            if let Some(c) = col(f) {
                // Split as a set until #types says otherwise.
                l.targets.push((c, true));
            }
        }
        for (f, name) in self.out_names.iter() {
            l.replace[f.index()] = col(name.as_bytes());
        }
        l.keep = if l.replace.iter().any(Option::is_some) {
            usize::MAX
        } else {
            l.targets.iter().map(|t| t.0 + 1).max().unwrap_or(0)
        };
        out.extend_from_slice(line);
        for (f, name) in self.out_names.iter() {
            if l.replace[f.index()].is_none() {
                out.push(self.sep);
                out.extend_from_slice(name.as_bytes());
            }
        }
        self.layout = Some(l);
        Ok(())
    }

    /// Writes `field`'s value for the current hits: `T`/`F`, or the
    /// values joined by the set separator (unset when there are none).
    fn write_col(&mut self, field: Field, out: &mut Vec<u8>) {
        let hits = self.judge.hits();
        match field.shape() {
            Shape::Flag => out.push(if hits.is_dyndns() { b'T' } else { b'F' }),
            Shape::List => {
                let values = hits.values(field);
                if values.is_empty() {
                    out.extend_from_slice(&self.unset);
                }
                for (n, v) in values.iter().enumerate() {
                    if n > 0 {
                        out.extend_from_slice(&self.set_sep);
                    }
                    escape(v.as_bytes(), self.sep, &self.set_sep, &self.empty, &self.unset, out);
                }
            }
        }
    }
}

impl LineEnricher for ZeekTsvEnricher<'_> {
    fn line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<bool, LineProblem> {
        if line.first() == Some(&b'#') {
            self.header(line, out)?;
            return Ok(false);
        }
        let Some(l) = &self.layout else {
            return Err(LineProblem::line("a data line before the #fields header"));
        };
        // Spans of the columns read; the rest only counted.
        self.spans.clear();
        let mut start = 0;
        let mut n = 1;
        for i in memchr::memchr_iter(self.sep, line) {
            if self.spans.len() < l.keep {
                self.spans.push((start, i));
            }
            start = i + 1;
            n += 1;
        }
        if self.spans.len() < l.keep {
            self.spans.push((start, line.len()));
        }
        if n != l.ncols {
            return Err(LineProblem::line(format!("{n} columns but #fields has {}", l.ncols)));
        }
        self.judge.clear();
        for &(c, container) in &l.targets {
            let (a, b) = self.spans[c];
            let v = &line[a..b];
            if v == self.unset.as_slice() || v == self.empty.as_slice() {
                continue;
            }
            if container {
                let mut rest = v;
                loop {
                    match memchr::memmem::find(rest, &self.set_sep) {
                        Some(k) if !self.set_sep.is_empty() => {
                            self.judge.add(&rest[..k]);
                            rest = &rest[k + self.set_sep.len()..];
                        }
                        _ => {
                            self.judge.add(rest);
                            break;
                        }
                    }
                }
            } else {
                self.judge.add(v);
            }
        }
        let replace = l.replace;
        if replace.iter().all(Option::is_none) {
            out.extend_from_slice(line);
            for f in Field::ALL {
                out.push(self.sep);
                self.write_col(f, out);
            }
        } else {
            for c in 0..self.spans.len() {
                if c > 0 {
                    out.push(self.sep);
                }
                match replace.iter().position(|r| *r == Some(c)) {
                    Some(i) => self.write_col(Field::ALL[i], out),
                    None => out.extend_from_slice(&line[self.spans[c].0..self.spans[c].1]),
                }
            }
            for f in Field::ALL {
                if replace[f.index()].is_none() {
                    out.push(self.sep);
                    self.write_col(f, out);
                }
            }
        }
        Ok(self.judge.hits().is_dyndns())
    }
}

/// `\xHH` escapes decoded (other bytes as they are).
fn unescape(v: &[u8]) -> Vec<u8> {
    let mut o = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'\\' && v.get(i + 1) == Some(&b'x') {
            if let Some(b) = v
                .get(i + 2..i + 4)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                o.push(b);
                i += 4;
                continue;
            }
        }
        o.push(v[i]);
        i += 1;
    }
    o
}

/// Writes one element as Zeek's writer escapes it.
fn escape(v: &[u8], sep: u8, set_sep: &[u8], empty: &[u8], unset: &[u8], out: &mut Vec<u8>) {
    let hex = |b: u8, out: &mut Vec<u8>| {
        const H: &[u8; 16] = b"0123456789abcdef";
        out.extend_from_slice(&[b'\\', b'x', H[usize::from(b >> 4)], H[usize::from(b & 15)]]);
    };
    let mut i = 0;
    if !v.is_empty() && (v == empty || v == unset) {
        hex(v[0], out);
        i = 1;
    }
    while i < v.len() {
        let b = v[i];
        let reserved = b == b'\\' || b == sep || !(0x20..0x7f).contains(&b);
        if reserved || (!set_sep.is_empty() && v[i..].starts_with(set_sep)) {
            hex(b, out);
        } else {
            out.push(b);
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str) -> Result<String, LineProblem> {
        let z =
            ZoneSet::from_csv(&b"zone,provider\nduckdns.org,DuckDNS\nddns.net,No-IP\n"[..], "t")
                .unwrap();
        let options =
            Options { fields: vec!["query".into(), "answers".into()], ..Options::default() };
        let mut e = ZeekTsvEnricher::new(&z, &options);
        let mut out = String::new();
        for line in input.lines() {
            let mut o = Vec::new();
            e.line(line.as_bytes(), &mut o)?;
            out.push_str(&String::from_utf8(o).unwrap());
            out.push('\n');
        }
        Ok(out)
    }

    #[test]
    fn header_and_lines() {
        let input = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n\
                     #fields\tts\tquery\tanswers\n#types\ttime\tstring\tvector[string]\n\
                     1.0\ta.duckdns.org\t-\n2.0\t(empty)\tx.example,b.ddns.net,c.duckdns.org\n3.0\tduckdns.org\t(empty)\n#close\tX\n";
        let want = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n\
                    #fields\tts\tquery\tanswers\tisDynDNS\tprovider\tdyndns_zone\tdyndns_category\tdyndns_tier\n\
                    #types\ttime\tstring\tvector[string]\tbool\tvector[string]\tvector[string]\tvector[string]\tvector[string]\n\
                    1.0\ta.duckdns.org\t-\tT\tDuckDNS\tduckdns.org\tddns\tcore\n\
                    2.0\t(empty)\tx.example,b.ddns.net,c.duckdns.org\tT\tNo-IP,DuckDNS\tddns.net,duckdns.org\tddns\tcore\n\
                    3.0\tduckdns.org\t(empty)\tF\t-\t-\t-\t-\n#close\tX\n";
        assert_eq!(run(input).unwrap(), want);
    }

    #[test]
    fn existing_columns_are_replaced_and_bad_lines_refused() {
        let input =
            "#fields\tquery\tisDynDNS\tanswers\n#types\tstring\tbool\tstring\na.ddns.net\tF\t-\n";
        let want = "#fields\tquery\tisDynDNS\tanswers\tprovider\tdyndns_zone\tdyndns_category\tdyndns_tier\n\
                    #types\tstring\tbool\tstring\tvector[string]\tvector[string]\tvector[string]\tvector[string]\n\
                    a.ddns.net\tT\t-\tNo-IP\tddns.net\tddns\tcore\n";
        assert_eq!(run(input).unwrap(), want);
        let err = |input: &str| run(input).unwrap_err().to_string();
        assert_eq!(err("a.ddns.net\n"), "a data line before the #fields header");
        assert_eq!(err("#fields\tquery\tanswers\na.ddns.net\n"), "1 columns but #fields has 2");
        assert_eq!(
            err("#fields\tquery\tx\n"),
            "the header has no field named answers (its fields: query, x)"
        );
    }

    #[test]
    fn escaping_as_zeek_writes() {
        let mut out = Vec::new();
        for v in ["-", "(empty)", "a,b", "t\tx", "back\\slash", "é"] {
            escape(v.as_bytes(), b'\t', b",", b"(empty)", b"-", &mut out);
            out.push(b'|');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\\x2d|\\x28empty)|a\\x2cb|t\\x09x|back\\x5cslash|\\xc3\\xa9|"
        );
    }
}

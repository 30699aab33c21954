//! JSON lines (`enrich --format jsonl`): one JSON object per line (Zeek
//! JSON logs, Suricata eve, Sysmon/winlogbeat exports), judged on dotted
//! field paths, with the verdict keys spliced in before the closing brace.
//!
//! The line is never re-serialised: a hand-written scanner validates it as
//! one JSON object (RFC 8259: strings and their escapes, UTF-8, numbers,
//! literals, nesting up to [`MAX_DEPTH`]) and on the way collects the
//! values of the paths asked for. The output is the line's bytes up to its
//! final `}`, then `,"isDynDNS":true|false,"provider":[…],"dyndns_zone":[…],
//! "dyndns_category":[…],"dyndns_tier":[…]}` (always all five; arrays,
//! possibly empty), then whatever followed the `}` (white space).
//!
//! Paths: `a.b.c` at an object first matches a key equal to the whole rest
//! (`"id.orig_h"`, Zeek's flat keys), else a key equal to its first
//! segments, and descends; an array on the way maps over its elements
//! (`dns.answers.rdata` collects every answer's `rdata`). At the end a
//! string is one value and an array of strings a multivalue field; numbers,
//! booleans, null and objects are not judged.
//!
//! An object that already has a top-level key of a verdict field (the
//! command run twice) loses that member, and the new value is appended with
//! the others, so no key appears twice; the remaining members keep their
//! bytes and order (joined by `,`). A blank line is copied as it is; any
//! other line that is not one JSON object is a [`LineProblem`].

use crate::enrich::lines::{LineEnricher, LineProblem};
use crate::options::Options;
use crate::verdict::{Field, Judge, OutputNames, Shape};
use crate::zoneset::ZoneSet;

mod scan;
use scan::Scan;
#[cfg(test)]
use scan::{special_mask, PLAIN, STRING_CLASS};

/// Deepest nesting of objects and arrays accepted.
pub const MAX_DEPTH: usize = 128;

/// Enriches JSON lines.
#[derive(Debug)]
pub struct JsonlEnricher<'z> {
    paths: Vec<Vec<u8>>,
    /// The top-level keys the enricher writes (and replaces).
    names: OutputNames,
    /// Their first bytes: most keys are told apart from them by one.
    name_starts: Vec<u8>,
    judge: Judge<'z>,
    /// (path index, offset into the path) pairs active at each level.
    active: Vec<(usize, usize)>,
    /// An unescaped string.
    scratch: Vec<u8>,
    /// An unescaped key.
    key: Vec<u8>,
    /// Top-level members: (key start, value end, is an output key).
    members: Vec<(usize, usize, bool)>,
    /// Per path: some line had it (for [`LineEnricher::unseen_fields`]).
    seen: Vec<bool>,
}

impl<'z> JsonlEnricher<'z> {
    /// An enricher judging `options.fields` (dotted paths) as
    /// `options.mode` says.
    pub fn new(zones: &'z ZoneSet, options: &Options) -> Self {
        JsonlEnricher {
            paths: options.fields.iter().map(|f| f.as_bytes().to_vec()).collect(),
            names: options.names.clone(),
            name_starts: options.names.iter().filter_map(|(_, n)| n.bytes().next()).collect(),
            judge: Judge::new(zones, options.mode),
            active: Vec::new(),
            scratch: Vec::new(),
            key: Vec::new(),
            members: Vec::new(),
            seen: vec![false; options.fields.len()],
        }
    }
}

impl LineEnricher for JsonlEnricher<'_> {
    fn line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<bool, LineProblem> {
        if line.iter().all(u8::is_ascii_whitespace) {
            out.extend_from_slice(line);
            return Ok(false);
        }
        self.judge.clear();
        self.members.clear();
        self.active.clear();
        self.active.extend((0..self.paths.len()).map(|p| (p, 0)));
        let mut s = Scan { b: line, i: 0 };
        s.ws();
        if s.peek() != Some(b'{') {
            return Err(s.problem("not a JSON object"));
        }
        let n = self.active.len();
        self.object(&mut s, 0, 0, n, true)?;
        let end = s.i; // just after the closing brace
        s.ws();
        if s.i != line.len() {
            return Err(s.problem("data after the JSON object"));
        }
        let hits = self.judge.hits();
        let any_removed = self.members.iter().any(|m| m.2);
        if any_removed {
            let first = self.members.first().map_or(end - 1, |m| m.0);
            out.extend_from_slice(&line[..first]);
            let mut n = 0;
            for &(a, b, removed) in &self.members {
                if !removed {
                    if n > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(&line[a..b]);
                    n += 1;
                }
            }
            if n > 0 {
                out.push(b',');
            }
        } else {
            out.extend_from_slice(&line[..end - 1]);
            if !self.members.is_empty() {
                out.push(b',');
            }
        }
        for (i, field) in Field::ALL.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_string(self.names.name(field), out);
            out.push(b':');
            match field.shape() {
                Shape::Flag => out.extend_from_slice(match hits.is_dyndns() {
                    true => b"true",
                    false => b"false",
                }),
                Shape::List => {
                    out.push(b'[');
                    for (n, v) in hits.values(field).iter().enumerate() {
                        if n > 0 {
                            out.push(b',');
                        }
                        json_string(v, out);
                    }
                    out.push(b']');
                }
            }
        }
        out.push(b'}');
        out.extend_from_slice(&line[end..]);
        Ok(hits.is_dyndns())
    }

    fn unseen_fields(&self) -> Vec<String> {
        let unseen = self.paths.iter().zip(&self.seen).filter(|(_, &seen)| !seen);
        unseen.map(|(p, _)| String::from_utf8_lossy(p).into_owned()).collect()
    }
}

/// Writes `v` as a JSON string.
fn json_string(v: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in v.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0..=0x1f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// What a path does at a key: `Some(None)` ends there, `Some(Some(o))`
/// descends with the rest from offset `o`.
fn path_step(path: &[u8], off: usize, key: &[u8]) -> Option<Option<usize>> {
    let rest = &path[off..];
    if rest == key {
        Some(None)
    } else if rest.len() > key.len() && rest.starts_with(key) && rest[key.len()] == b'.' {
        Some(Some(off + key.len() + 1))
    } else {
        None
    }
}

impl JsonlEnricher<'_> {
    /// Scans an object at `s.i` (a `{`); `self.active[from..to]` are the
    /// paths active here.
    fn object(
        &mut self,
        s: &mut Scan<'_>,
        depth: usize,
        from: usize,
        to: usize,
        top: bool,
    ) -> Result<(), LineProblem> {
        s.object(depth, |s, depth| {
            let key_start = s.i;
            let escaped = s.string(&mut self.key)?;
            let key: &[u8] = if escaped { &self.key } else { &s.b[key_start + 1..s.i - 1] };
            // Which active paths end or continue at this key.
            let mut end_here = false;
            let next_from = self.active.len();
            for a in from..to {
                let (p, off) = self.active[a];
                match path_step(&self.paths[p], off, key) {
                    Some(None) => {
                        end_here = true;
                        self.seen[p] = true;
                    }
                    Some(Some(o)) => self.active.push((p, o)),
                    None => {}
                }
            }
            let is_output = top
                && key.first().is_some_and(|b| self.name_starts.contains(b))
                && self.names.field_named(key).is_some();
            let next_to = self.active.len();
            s.ws();
            if s.peek() != Some(b':') {
                return Err(s.problem("expected ':' after a key"));
            }
            s.i += 1;
            s.ws();
            if end_here {
                self.collect(s, depth)?;
            } else if next_to > next_from {
                self.descend(s, depth, next_from, next_to)?;
            } else {
                s.value(depth)?;
            }
            self.active.truncate(next_from);
            if top {
                self.members.push((key_start, s.i, is_output));
            }
            Ok(())
        })
    }

    /// A value on the way along a path: objects are searched, arrays
    /// mapped over, anything else skipped.
    fn descend(
        &mut self,
        s: &mut Scan<'_>,
        depth: usize,
        from: usize,
        to: usize,
    ) -> Result<(), LineProblem> {
        match s.peek() {
            Some(b'{') => self.object(s, depth, from, to, false),
            Some(b'[') => s.array(depth, |s, depth| self.descend(s, depth, from, to)),
            _ => s.value(depth),
        }
    }

    /// Judges the string at `"` (unescaped into the scratch buffer only
    /// when it has escapes).
    fn judge_string(&mut self, s: &mut Scan<'_>) -> Result<(), LineProblem> {
        let start = s.i;
        let escaped = s.string(&mut self.scratch)?;
        let v = if escaped { &self.scratch[..] } else { &s.b[start + 1..s.i - 1] };
        self.judge.add(v);
        Ok(())
    }

    /// The value at a path's end: a string is judged, an array's strings
    /// are (a multivalue field); anything else is skipped.
    fn collect(&mut self, s: &mut Scan<'_>, depth: usize) -> Result<(), LineProblem> {
        match s.peek() {
            Some(b'"') => self.judge_string(s),
            Some(b'[') => s.array(depth, |s, depth| match s.peek() {
                Some(b'"') => self.judge_string(s),
                _ => s.value(depth),
            }),
            _ => s.value(depth),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zones() -> ZoneSet {
        ZoneSet::from_csv(&b"zone,provider\nduckdns.org,DuckDNS\nddns.net,No-IP\n"[..], "t")
            .unwrap()
    }

    fn run(fields: &[&str], line: &str) -> Result<String, LineProblem> {
        let z = zones();
        let options = Options {
            fields: fields.iter().map(|s| s.to_string()).collect(),
            ..Options::default()
        };
        let mut e = JsonlEnricher::new(&z, &options);
        let mut out = Vec::new();
        e.line(line.as_bytes(), &mut out).map(|_| String::from_utf8(out).unwrap())
    }

    const NO: &str =
        r#""isDynDNS":false,"provider":[],"dyndns_zone":[],"dyndns_category":[],"dyndns_tier":[]"#;

    /// Arrays on a path, at a path's end and skipped share one walk: each
    /// place accepts nesting up to MAX_DEPTH, refuses one level more, and
    /// names a malformed array.
    #[test]
    fn arrays_everywhere_are_bounded_and_checked() {
        let nest = |n: usize, inner: &str| format!("{}{inner}{}", "[".repeat(n), "]".repeat(n));
        // The object is depth 0, the arrays 1 to n, the string n + 1: the
        // deepest value allowed is at MAX_DEPTH - 1 (the same before the
        // walks were shared).
        let ok = nest(MAX_DEPTH - 2, r#""a.duckdns.org""#);
        let deep = nest(MAX_DEPTH - 1, r#""a.duckdns.org""#);
        for (fields, key) in [(&["q"][..], "q"), (&["q.x"][..], "q"), (&["other"][..], "q")] {
            let line = format!(r#"{{"{key}":{ok}}}"#);
            assert!(run(fields, &line).is_ok(), "{fields:?} at the limit");
            let line = format!(r#"{{"{key}":{deep}}}"#);
            let err = run(fields, &line).unwrap_err().what;
            assert!(err.contains("nested too deeply"), "{fields:?}: {err}");
            for bad in [r#"{"q":["a" "b"]}"#, r#"{"q":["a"}"#, r#"{"q":[1}"#] {
                let err = run(fields, bad).unwrap_err().what;
                assert!(
                    err.contains("expected ',' or ']' in an array"),
                    "{fields:?} {bad}: {err}"
                );
            }
        }
        // A value at a path's end inside an array is still judged.
        assert!(run(&["q"], r#"{"q":[1,"a.duckdns.org"]}"#)
            .unwrap()
            .contains(r#""isDynDNS":true"#));
    }

    #[test]
    fn paths_arrays_and_splicing() {
        let yes = |p: &str, z: &str| {
            format!(
                r#""isDynDNS":true,"provider":["{p}"],"dyndns_zone":["{z}"],"dyndns_category":["ddns"],"dyndns_tier":["core"]"#
            )
        };
        let cases: &[(&[&str], &str, String)] = &[
            (
                &["query"],
                r#"{"query":"a.duckdns.org"}"#,
                format!(r#"{{"query":"a.duckdns.org",{}}}"#, yes("DuckDNS", "duckdns.org")),
            ),
            (
                &["query"],
                r#" { "query" : "duckdns.org" }  "#,
                format!(r#" {{ "query" : "duckdns.org" ,{NO}}}  "#),
            ),
            (&["query"], "{}", format!("{{{NO}}}")),
            (
                &["dns.rrname"],
                r#"{"dns":{"rrname":"x.ddns.net","n":[1,2.5e3,-0]}}"#,
                format!(
                    r#"{{"dns":{{"rrname":"x.ddns.net","n":[1,2.5e3,-0]}},{}}}"#,
                    yes("No-IP", "ddns.net")
                ),
            ),
            (
                &["id.orig_h"],
                r#"{"id.orig_h":"a.ddns.net","id":{"orig_h":"b.duckdns.org"}}"#,
                format!(
                    r#"{{"id.orig_h":"a.ddns.net","id":{{"orig_h":"b.duckdns.org"}},{}}}"#,
                    r#""isDynDNS":true,"provider":["No-IP","DuckDNS"],"dyndns_zone":["ddns.net","duckdns.org"],"dyndns_category":["ddns"],"dyndns_tier":["core"]"#
                ),
            ),
            (
                &["dns.answers.rdata"],
                r#"{"dns":{"answers":[{"rdata":"1.2.3.4"},{"rdata":"c.duckdns.org"}]}}"#,
                format!(
                    r#"{{"dns":{{"answers":[{{"rdata":"1.2.3.4"}},{{"rdata":"c.duckdns.org"}}]}},{}}}"#,
                    yes("DuckDNS", "duckdns.org")
                ),
            ),
            (
                &["answers"],
                r#"{"answers":["x.example","y.ddns.net",7]}"#,
                format!(
                    r#"{{"answers":["x.example","y.ddns.net",7],{}}}"#,
                    yes("No-IP", "ddns.net")
                ),
            ),
            (
                &["q"],
                r#"{"q":"a\u002educkdns.org"}"#,
                format!(r#"{{"q":"a\u002educkdns.org",{}}}"#, yes("DuckDNS", "duckdns.org")),
            ),
            (
                &["query"],
                r#"{"isDynDNS":true,"query":"z.example","provider":["old"],"x":1}"#,
                format!(r#"{{"query":"z.example","x":1,{NO}}}"#),
            ),
        ];
        for (fields, line, want) in cases {
            assert_eq!(run(fields, line).unwrap(), *want, "{line}");
        }
    }

    /// The word test finds exactly the first special byte of a word, with
    /// any byte after it.
    #[test]
    fn special_mask_finds_the_first_special_byte() {
        let special = |b: u8| STRING_CLASS[usize::from(b)] != PLAIN;
        for b in 0..=255u8 {
            for after in [b'a', b'"', 0x01, 0xc3, 0x7f, 0x20] {
                for pos in 0..8 {
                    let mut w = [b'a'; 8];
                    w[pos] = b;
                    if pos < 7 {
                        w[7] = after;
                    }
                    let m = special_mask(u64::from_le_bytes(w));
                    let first = w.iter().position(|&x| special(x));
                    let got = (m != 0).then(|| (m.trailing_zeros() / 8) as usize);
                    assert_eq!(got, first, "{w:?}");
                }
            }
        }
    }

    #[test]
    fn bad_lines_are_problems() {
        for bad in [
            "[1]",
            "{",
            r#"{"a":}"#,
            r#"{"a":1}x"#,
            r#"{"a":"\x"}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":01}"#,
            r#"{"a":tru}"#,
            r#"{"a" 1}"#,
            "nope",
        ] {
            assert!(run(&["a"], bad).is_err(), "{bad:?}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(run(&["a"], &deep).is_err());
        assert_eq!(run(&["a"], "   ").unwrap(), "   ");
    }
}

#[cfg(test)]
mod serde_oracle;

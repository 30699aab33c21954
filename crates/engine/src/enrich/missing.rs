//! A field asked for that a header lacks: the error names the field, the
//! fields the header has, and a near miss when one is likely meant
//! (`query` for `QueryName`, `Query`, `qeury`).

use std::fmt;

/// A `--field` absent from a header row (CSV) or a `#fields` line (Zeek).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingField {
    /// The field asked for.
    pub field: String,
    /// The header's fields, in order.
    pub header: Vec<String>,
}

/// At most this many header fields are listed in the message.
const LISTED: usize = 40;

impl MissingField {
    /// The first of `fields` that `header` lacks, if any.
    pub fn check<'a>(
        fields: impl IntoIterator<Item = &'a [u8]>,
        header: &[&[u8]],
    ) -> Option<MissingField> {
        let missing = fields.into_iter().find(|f| !header.contains(f))?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Some(MissingField {
            field: text(missing),
            header: header.iter().map(|h| text(h)).collect(),
        })
    }

    /// The header fields the user likely meant: those equal to the field
    /// but for case, else those that contain it or are contained in it
    /// (case ignored), else those within a small edit distance.
    pub fn near_misses(&self) -> Vec<&str> {
        let want = self.field.to_lowercase();
        let lower: Vec<String> = self.header.iter().map(|h| h.to_lowercase()).collect();
        // A "field" holding quotes or braces, or very long, is data read as
        // a header (a JSON line read as CSV), not a name to suggest.
        let name_like = |h: &str| h.len() <= 64 && !h.contains(['"', '{', '}', '\t', '\r', '\n']);
        let pick = |keep: &dyn Fn(&str) -> bool| -> Vec<&str> {
            let mut v: Vec<&str> = (0..self.header.len())
                .filter(|&i| name_like(&lower[i]) && keep(&lower[i]))
                .map(|i| self.header[i].as_str())
                .collect();
            v.dedup();
            v
        };
        let same = pick(&|h| h == want);
        if !same.is_empty() {
            return same;
        }
        let within =
            pick(&|h| h.len() >= 2 && want.len() >= 2 && (h.contains(&want) || want.contains(h)));
        if !within.is_empty() {
            return within;
        }
        let limit = want.chars().count().div_ceil(3).clamp(1, 3);
        pick(&|h| edit_distance(h, &want) <= limit)
    }
}

impl fmt::Display for MissingField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the header has no field named {}", self.field)?;
        if self.header.is_empty() {
            f.write_str(" (it has no fields)")?;
        } else {
            let shown = &self.header[..self.header.len().min(LISTED)];
            write!(f, " (its fields: {}", shown.join(", "))?;
            if self.header.len() > LISTED {
                write!(f, " and {} more", self.header.len() - LISTED)?;
            }
            f.write_str(")")?;
        }
        let near = self.near_misses();
        if !near.is_empty() {
            write!(f, "; did you mean --field {}?", near.join(" or --field "))?;
        }
        Ok(())
    }
}

impl std::error::Error for MissingField {}

/// Levenshtein distance between `a` and `b`, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = diag + usize::from(ca != cb);
            diag = row[j + 1];
            row[j + 1] = sub.min(row[j] + 1).min(diag + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(field: &str, header: &[&str]) -> String {
        let h: Vec<&[u8]> = header.iter().map(|s| s.as_bytes()).collect();
        MissingField::check([field.as_bytes()], &h).unwrap().to_string()
    }

    #[test]
    fn data_read_as_a_header_is_no_near_miss() {
        assert_eq!(
            missing("query", &["{\"query\":\"a.duckdns.org\"}"]),
            "the header has no field named query (its fields: {\"query\":\"a.duckdns.org\"})"
        );
        let long = format!("query{}", "x".repeat(60));
        assert!(!missing("query", &[&long]).contains("did you mean"));
    }

    #[test]
    fn names_the_field_the_header_and_a_near_miss() {
        assert_eq!(
            missing("query", &["UtcTime", "QueryName", "QueryResults"]),
            "the header has no field named query (its fields: UtcTime, QueryName, QueryResults); \
             did you mean --field QueryName or --field QueryResults?"
        );
        assert_eq!(
            missing("query", &["Query", "x"]),
            "the header has no field named query (its fields: Query, x); did you mean --field Query?"
        );
        assert_eq!(
            missing("query", &["qeury", "host"]),
            "the header has no field named query (its fields: qeury, host); did you mean --field qeury?"
        );
        assert_eq!(
            missing("query", &["a;query"]),
            "the header has no field named query (its fields: a;query); did you mean --field a;query?"
        );
        assert_eq!(
            missing("query", &["ts", "uid"]),
            "the header has no field named query (its fields: ts, uid)"
        );
        assert_eq!(
            missing("query", &[]),
            "the header has no field named query (it has no fields)"
        );
        let many: Vec<String> = (0..45).map(|i| format!("f{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(missing("query", &many).ends_with(", f39 and 5 more)"));
        let h: [&[u8]; 2] = [b"query", b"answer"];
        assert_eq!(MissingField::check([&b"query"[..], b"answer"], &h), None);
        assert_eq!(MissingField::check([&b"query"[..], b"x"], &h).unwrap().field, "x");
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("query", "query"), 0);
        assert_eq!(edit_distance("query", "qeury"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}

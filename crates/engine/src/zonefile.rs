//! The zone files users edit, read leniently: the local additions and the
//! allowlist in the app's `lookups/` folder (found from the binary's own
//! location), or any zone CSV given on the command line.
//!
//! A bad row is never fatal and never silent: it is left out and reported
//! as a [`ZoneFileError`] naming the file and the line, so one typo does not
//! stop every scheduled search on every indexer. Names are normalised as
//! hosts are (case, a leading `*.`, one trailing dot).

use std::io::Read;
use std::path::{Path, PathBuf};

use dynamicdns_zonetable::{AddError, TableBuilder, Tier, ZoneTable};

use crate::zoneset::ZoneSet;

/// File name of the local additions in the app's `lookups/` folder.
pub const LOCAL_FILE: &str = "dynamic_dns_providers_local.csv";
/// File name of the allowlist in the app's `lookups/` folder.
pub const ALLOWLIST_FILE: &str = "dynamic_dns_allowlist.csv";

/// An error loading a zone file: names the file, the line and the problem.
#[derive(Debug, thiserror::Error)]
pub enum ZoneFileError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file's name as given.
        file: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A row is wrong (or the CSV cannot be parsed there).
    #[error("{file}: line {line}: {message}")]
    Row {
        /// The file's name as given.
        file: String,
        /// 1-based line number.
        line: u64,
        /// What went wrong.
        message: String,
    },
}

/// What a zone file holds: zones (`zone[,provider][,tier]`) or allowlist
/// entries (`host`, or `zone`, plus anything else as comments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A zone list.
    Zones,
    /// An allowlist.
    Allowlist,
}

/// A zone file read leniently: the table of its good rows, and one
/// [`ZoneFileError`] per bad row (or the whole file, if unreadable).
#[derive(Debug)]
pub struct Loaded {
    /// The good rows.
    pub table: ZoneTable,
    /// Every problem found, in file order.
    pub problems: Vec<ZoneFileError>,
}

/// Reads a zone or allowlist CSV with a header row. Bad rows are reported
/// in [`Loaded::problems`] and left out; the caller decides whether that is
/// fatal. Names are normalised as hosts are (case, a leading `*.`, one
/// trailing dot).
pub fn load<R: Read>(input: R, file: &str, kind: FileKind) -> Loaded {
    let mut builder = TableBuilder::new();
    let mut problems = Vec::new();
    let row_err =
        |line: u64, message: String| ZoneFileError::Row { file: file.to_string(), line, message };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = match rdr.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(csv_problem(e, file));
            return Loaded { table: builder.build(), problems };
        }
    };
    let col = |name: &[u8]| headers.iter().position(|h| h.trim_ascii().eq_ignore_ascii_case(name));
    let name_col = match kind {
        FileKind::Zones => col(b"zone"),
        FileKind::Allowlist => col(b"host").or_else(|| col(b"zone")),
    };
    let Some(name_col) = name_col else {
        let want = if kind == FileKind::Zones { "`zone`" } else { "`host` (or `zone`)" };
        problems.push(row_err(1, format!("no {want} column in the header")));
        return Loaded { table: builder.build(), problems };
    };
    let (provider_col, tier_col) = match kind {
        FileKind::Zones => (col(b"provider"), col(b"tier")),
        FileKind::Allowlist => (None, None),
    };
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let fatal = e.is_io_error();
                problems.push(csv_problem(e, file));
                if fatal {
                    break;
                }
                continue;
            }
        }
        let line = rec.position().map_or(0, |p| p.line());
        let raw = rec.get(name_col).unwrap_or(b"");
        if raw.trim_ascii().is_empty() || raw.starts_with(b"#") {
            continue; // blank rows and comments are allowed in hand-edited files
        }
        let text = |c: Option<usize>| {
            c.and_then(|c| rec.get(c)).map(|v| String::from_utf8_lossy(v).trim().to_string())
        };
        let provider = text(provider_col).unwrap_or_default();
        let tier_name = text(tier_col).unwrap_or_default();
        let Some(tier) = Tier::parse(&tier_name) else {
            problems
                .push(row_err(line, format!("tier {tier_name:?} is not 'core' or 'extended'")));
            continue;
        };
        let name = normalise_zone(raw);
        match builder.add(&name, &provider, tier) {
            Ok(()) => {}
            Err(AddError::BadZone(_)) => problems.push(row_err(
                line,
                format!(
                    "{:?} is not a DNS name of two or more labels",
                    String::from_utf8_lossy(raw)
                ),
            )),
            Err(AddError::TooManyProviders | AddError::TooLarge) => {
                problems.push(row_err(line, "the zone table is full".to_string()));
                break;
            }
        }
    }
    Loaded { table: builder.build(), problems }
}

fn csv_problem(e: csv::Error, file: &str) -> ZoneFileError {
    let line = e.position().map_or(1, |p| p.line());
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(source) => ZoneFileError::Io { file: file.to_string(), source },
        _ => ZoneFileError::Row { file: file.to_string(), line, message },
    }
}

/// Lower-cases a name from a file and strips whitespace, a leading `*.` or
/// `.` and one trailing dot, so `*.DuckDNS.org.` loads as `duckdns.org`.
fn normalise_zone(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let mut z = s.trim();
    z = z.strip_prefix("*.").unwrap_or(z);
    z = z.strip_prefix('.').unwrap_or(z);
    z = z.strip_suffix('.').unwrap_or(z);
    z.to_ascii_lowercase()
}

/// The app's `lookups/` folder, found from the running binary's own
/// location: the first of `<exe dir>/lookups`, `<exe dir>/../lookups`,
/// `<exe dir>/../../lookups`, `<exe dir>/../../../lookups` that is a
/// folder. This covers `<app>/bin/dynamicdns`, `<app>/bin/<arch>/dynamicdns`
/// and `<app>/<platform>/bin/dynamicdns`, on search heads and on indexers
/// (where the app arrives in the knowledge bundle).
pub fn app_lookups_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.ancestors().skip(1).take(4).map(|d| d.join("lookups")).find(|d| d.is_dir())
}

/// The local files found in a lookups folder, read leniently.
#[derive(Debug, Default)]
pub struct LocalFiles {
    /// Local additions, if the file exists.
    pub zones: Option<ZoneTable>,
    /// The allowlist, if the file exists.
    pub allow: Option<ZoneTable>,
    /// Problems found (bad rows skipped, unreadable files), for the user.
    pub problems: Vec<ZoneFileError>,
}

impl LocalFiles {
    /// Reads [`LOCAL_FILE`] and [`ALLOWLIST_FILE`] from `dir` when present.
    pub fn read(dir: &Path) -> LocalFiles {
        let mut out = LocalFiles::default();
        for (name, kind) in [(LOCAL_FILE, FileKind::Zones), (ALLOWLIST_FILE, FileKind::Allowlist)]
        {
            let path = dir.join(name);
            let file = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => {
                    out.problems.push(ZoneFileError::Io { file: name.to_string(), source });
                    continue;
                }
            };
            let loaded = load(std::io::BufReader::new(file), name, kind);
            out.problems.extend(loaded.problems);
            match kind {
                FileKind::Zones => out.zones = Some(loaded.table),
                FileKind::Allowlist => out.allow = Some(loaded.table),
            }
        }
        out
    }

    /// Applies the files to `set`.
    pub fn apply(self, mut set: ZoneSet) -> ZoneSet {
        if let Some(t) = self.zones {
            set = set.with_local(t);
        }
        if let Some(t) = self.allow {
            set = set.with_allowlist(t);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_are_reported_with_file_and_line_and_skipped() {
        let l = load(
            "zone,provider,tier\ngood.example,G,\nnot a zone,B,core\n\n# comment,,\nx.example,X,gold\n10.0.0.1,Y,\n"
                .as_bytes(),
            "local.csv",
            FileKind::Zones,
        );
        let msgs: Vec<String> = l.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "local.csv: line 3: \"not a zone\" is not a DNS name of two or more labels",
                "local.csv: line 6: tier \"gold\" is not 'core' or 'extended'",
                "local.csv: line 7: \"10.0.0.1\" is not a DNS name of two or more labels",
            ]
        );
        assert_eq!(l.table.len(), 1);
        let l = load("name\nx.example\n".as_bytes(), "allow.csv", FileKind::Allowlist);
        assert_eq!(
            l.problems[0].to_string(),
            "allow.csv: line 1: no `host` (or `zone`) column in the header"
        );
    }
}

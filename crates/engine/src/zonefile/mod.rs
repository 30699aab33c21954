//! The zone files users edit, read leniently: the local additions and the
//! allowlist in the app's `lookups/` folder (found from the binary's own
//! location), or any zone CSV given on the command line.
//!
//! A bad row is never fatal and never silent: it is left out and reported
//! as a [`ZoneFileError`] naming the file and the line, so one typo does not
//! stop every scheduled search on every indexer. Names are normalised as
//! hosts are (case, a leading `*.`, one trailing dot).
//!
//! - A **zone file** has a `zone` column and optionally `provider`,
//!   `category`, `tier` and `sources` (the shipped list's columns).
//! - An **allowlist** row names a host or zone (column `host` or `zone`:
//!   it and every name below it), or a `provider`, or a `category`, never
//!   to flag; optional `reason` (or `comment`) says why, and `expires`
//!   (`YYYY-MM-DD`) the last day the row applies: after it the row is
//!   ignored with a warning, so temporary exceptions do not outlive their
//!   reason.
//!
//! Bounds, so that a broken or hostile file cannot flood splunkd's getinfo
//! reply or `search.log`: at most [`MAX_PROBLEMS_PER_FILE`] problems are
//! reported per file, then one line counts the rest; a local file must be a
//! regular file of at most [`MAX_FILE_BYTES`] (anything else is refused
//! with a message, and a FIFO is never waited on); a row past a zone
//! table's capacity (distinct provider names, categories, source lists) is
//! a problem naming the limit. Unicode names are stored as punycode, as
//! the shipped list stores them, with the IDNA rules host extraction uses.

use std::io::Read;

use dynamicdns_zonetable::{AddError, TableBuilder, Tier, ZoneInfo, ZoneTable};

pub use crate::date::Date;
use crate::zoneset::{Allowlist, ZoneSet, DEFAULT_CATEGORY, SERVICE_CATEGORY};

/// File name of the local additions in the app's `lookups/` folder.
pub const LOCAL_FILE: &str = "dynamicdns_local_zones.csv";
/// The local additions' old file name, which ESCU's local lookup also uses
/// (so with both apps installed a lookup may read the other app's file):
/// still read, with a warning to rename it.
pub const OLD_LOCAL_FILE: &str = "dynamic_dns_providers_local.csv";
/// File name of the allowlist in the app's `lookups/` folder.
pub const ALLOWLIST_FILE: &str = "dynamicdns_allowlist.csv";
/// The allowlist's old file name: still read, with a warning to rename it.
pub const OLD_ALLOWLIST_FILE: &str = "dynamic_dns_allowlist.csv";

/// The categories the shipped data uses; an allowlist row may name one.
pub const CATEGORIES: &[&str] = &[DEFAULT_CATEGORY, "vendor-ddns", "vpn-vendor", SERVICE_CATEGORY];

/// Problems reported per file: the first this many, with file and line,
/// then one [`ZoneFileError::More`] with the count of the rest.
pub const MAX_PROBLEMS_PER_FILE: usize = 20;

/// The largest local file read, 64 MiB (the shipped list of ~117,000 zones
/// is under 10 MiB): a larger file is refused, not read.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

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
    /// The file is not read: not a regular file, or too large.
    #[error("{file}: {reason}; not read")]
    Refused {
        /// The file's name as given.
        file: String,
        /// Why.
        reason: String,
    },
    /// A zone of a file left out when the local files were merged.
    #[error("{file}: zone {zone:?} left out: {reason}")]
    LeftOut {
        /// The file's name as given.
        file: String,
        /// The zone.
        zone: String,
        /// Why.
        reason: String,
    },
    /// The problems of a file past the first [`MAX_PROBLEMS_PER_FILE`].
    #[error("… and {count} more problems in {file}")]
    More {
        /// The file's name as given.
        file: String,
        /// How many more.
        count: u64,
    },
    /// The file is read under its old name.
    #[error(
        "{old}: old file name, read for now; rename it to {new} (the app's own files are \
         named dynamicdns_*, so that no other app's lookup, such as ESCU's \
         dynamic_dns_providers_local.csv, can shadow them)"
    )]
    OldName {
        /// The old name.
        old: String,
        /// The name to use.
        new: String,
    },
}

impl ZoneFileError {
    /// True when the problem left a row or a file out (as opposed to a
    /// notice, such as an old file name, that loses nothing).
    pub fn ignored(&self) -> bool {
        !matches!(self, ZoneFileError::OldName { .. })
    }

    /// How many problems this one stands for: the count of a
    /// [`ZoneFileError::More`], else 1.
    pub fn count(&self) -> u64 {
        match self {
            ZoneFileError::More { count, .. } => *count,
            _ => 1,
        }
    }
}

/// What a zone file holds: zones or allowlist entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A zone list.
    Zones,
    /// An allowlist.
    Allowlist,
}

impl FileKind {
    /// The kind of a local file by its name ([`LOCAL_FILE`],
    /// [`ALLOWLIST_FILE`] and their pre-0.2 names), whatever folder it is
    /// in; `None` for any other name.
    pub fn of_file_name(path: &std::path::Path) -> Option<FileKind> {
        match path.file_name()?.to_str()? {
            LOCAL_FILE | OLD_LOCAL_FILE => Some(FileKind::Zones),
            ALLOWLIST_FILE | OLD_ALLOWLIST_FILE => Some(FileKind::Allowlist),
            _ => None,
        }
    }
}

/// A zone file read leniently: the table of its good rows (for an
/// allowlist also its provider and category rows), and one
/// [`ZoneFileError`] per bad row (or the whole file, if unreadable), at
/// most [`MAX_PROBLEMS_PER_FILE`] of them and then one that counts the rest.
#[derive(Debug)]
pub struct Loaded {
    /// The good zone (or host) rows.
    pub table: ZoneTable,
    /// Allowlist rows naming a provider.
    pub providers: Vec<String>,
    /// Allowlist rows naming a category.
    pub categories: Vec<String>,
    /// The problems found, in file order (capped, see
    /// [`problem_count`](Self::problem_count)).
    pub problems: Vec<ZoneFileError>,
}

impl Loaded {
    /// How many problems were found, those only counted included.
    pub fn problem_count(&self) -> u64 {
        self.problems.iter().map(ZoneFileError::count).sum()
    }

    /// The allowlist these rows make.
    pub fn into_allowlist(self) -> Allowlist {
        Allowlist {
            names: Some(self.table),
            providers: self.providers,
            categories: self.categories,
        }
    }
}

impl ZoneSet {
    /// Reads a zone CSV (header with `zone`, optionally `provider` and
    /// `tier`) strictly: the first bad row is an error naming file and line.
    /// (Defined here, beside the reading, so that [`crate::zoneset`] does
    /// not depend on this module.)
    pub fn from_csv<R: Read>(input: R, file: &str) -> Result<ZoneSet, ZoneFileError> {
        let loaded = load(input, file, FileKind::Zones);
        match loaded.problems.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(ZoneSet::from_table(loaded.table)),
        }
    }
}

/// Reads a zone or allowlist CSV with a header row, as of today (see
/// [`load_at`]).
pub fn load<R: Read>(input: R, file: &str, kind: FileKind) -> Loaded {
    load_at(input, file, kind, Date::today())
}

/// Reads a zone or allowlist CSV with a header row; allowlist rows that
/// expired before `today` are left out with a warning. Bad rows are
/// reported in [`Loaded::problems`] and left out; the caller decides
/// whether that is fatal.
pub fn load_at<R: Read>(input: R, file: &str, kind: FileKind, today: Date) -> Loaded {
    let mut builder = TableBuilder::new();
    let mut out = Loaded {
        table: ZoneTable::empty(),
        providers: vec![],
        categories: vec![],
        problems: vec![],
    };
    let mut problems = Problems::new(file);
    read_rows(input, file, kind, today, &mut builder, &mut out, &mut problems);
    out.table = builder.build();
    out.problems = problems.finish();
    out
}

/// What the header read was, after "no … column in the header": its
/// columns, and for one column holding `;` or a tab (a spreadsheet's
/// export in another locale) that local files are comma-separated.
fn header_hint(headers: &csv::ByteRecord) -> String {
    let cols: Vec<String> =
        headers.iter().map(|h| String::from_utf8_lossy(h.trim_ascii()).into_owned()).collect();
    match cols.as_slice() {
        [one] if one.contains([';', '\t']) => {
            format!(" (it reads {one:?}: separate the columns with commas)")
        }
        _ => format!(" (its columns: {})", cols.join(", ")),
    }
}

/// The rows of [`load_at`], into `builder` and `out`.
fn read_rows<R: Read>(
    input: R,
    file: &str,
    kind: FileKind,
    today: Date,
    builder: &mut TableBuilder,
    out: &mut Loaded,
    problems: &mut Problems,
) {
    let row_err =
        |line: u64, message: String| ZoneFileError::Row { file: file.to_string(), line, message };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = match rdr.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => return problems.push(csv_problem(e, file)),
    };
    let col = |name: &[u8]| headers.iter().position(|h| h.trim_ascii().eq_ignore_ascii_case(name));
    let name_col = match kind {
        FileKind::Zones => col(b"zone"),
        FileKind::Allowlist => col(b"host").or_else(|| col(b"zone")),
    };
    let (provider_col, category_col) = (col(b"provider"), col(b"category"));
    let (tier_col, sources_col, expires_col) = (col(b"tier"), col(b"sources"), col(b"expires"));
    let missing = match kind {
        FileKind::Zones => name_col.is_none().then_some("`zone`"),
        FileKind::Allowlist => {
            (name_col.is_none() && provider_col.is_none() && category_col.is_none())
                .then_some("`host` (or `zone`), `provider` or `category`")
        }
    };
    if let Some(want) = missing {
        return problems
            .push(row_err(1, format!("no {want} column in the header{}", header_hint(&headers))));
    }
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
        let raw = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or(b"");
        let text = |c: Option<usize>| String::from_utf8_lossy(raw(c)).trim().to_string();
        let first = [name_col, provider_col, category_col]
            .into_iter()
            .flatten()
            .min()
            .map_or(&b""[..], |c| raw(Some(c)));
        if first.starts_with(b"#") {
            continue; // comment rows are allowed in hand-edited files
        }
        let name = raw(name_col);
        match kind {
            FileKind::Zones => {
                if name.trim_ascii().is_empty() {
                    continue; // blank rows too
                }
                let tier_name = text(tier_col);
                let Some(tier) = Tier::parse(&tier_name) else {
                    problems.push(row_err(
                        line,
                        format!("tier {tier_name:?} is not 'core' or 'extended'"),
                    ));
                    continue;
                };
                let category = text(category_col);
                if !category.is_empty() && !is_token(&category) {
                    problems.push(row_err(
                        line,
                        format!("category {category:?} is not a lower-case word like `ddns`"),
                    ));
                    continue;
                }
                let (provider, sources) = (text(provider_col), text(sources_col));
                let info =
                    ZoneInfo { provider: &provider, category: &category, tier, sources: &sources };
                add(builder, name, info, line, &row_err, problems);
            }
            FileKind::Allowlist => {
                let (provider, category) = (text(provider_col), text(category_col));
                let given =
                    [!name.trim_ascii().is_empty(), !provider.is_empty(), !category.is_empty()];
                match given.iter().filter(|&&g| g).count() {
                    0 => continue, // a blank row
                    1 => {}
                    _ => {
                        problems.push(row_err(
                            line,
                            "give one of host (or zone), provider or category per row".to_string(),
                        ));
                        continue;
                    }
                }
                let expires = text(expires_col);
                if !expires.is_empty() {
                    match Date::parse(&expires) {
                        None => {
                            problems.push(row_err(
                                line,
                                format!("expires {expires:?} is not a date (YYYY-MM-DD)"),
                            ));
                            continue;
                        }
                        Some(d) if d < today => {
                            problems.push(row_err(line, format!("expired on {d}")));
                            continue;
                        }
                        Some(_) => {}
                    }
                }
                if !provider.is_empty() {
                    out.providers.push(provider);
                } else if !category.is_empty() {
                    if !CATEGORIES.contains(&category.as_str()) {
                        problems.push(row_err(
                            line,
                            format!(
                                "category {category:?} is not one the list uses ({})",
                                CATEGORIES.join(", ")
                            ),
                        ));
                        continue;
                    }
                    out.categories.push(category);
                } else {
                    add(builder, name, ZoneInfo::default(), line, &row_err, problems);
                }
            }
        }
    }
}

/// A file's problems: the first [`MAX_PROBLEMS_PER_FILE`] kept, the rest
/// counted.
struct Problems {
    file: String,
    list: Vec<ZoneFileError>,
    more: u64,
}

impl Problems {
    fn new(file: &str) -> Problems {
        Problems { file: file.to_string(), list: Vec::new(), more: 0 }
    }

    fn push(&mut self, p: ZoneFileError) {
        if self.list.len() < MAX_PROBLEMS_PER_FILE {
            self.list.push(p);
        } else {
            self.more += 1;
        }
    }

    /// The kept problems, then one counting the rest (if any).
    fn finish(mut self) -> Vec<ZoneFileError> {
        if self.more > 0 {
            self.list.push(ZoneFileError::More { file: self.file, count: self.more });
        }
        self.list
    }
}

/// Adds one name; a bad name, or one past the table's capacity, is a
/// problem and the row is left out (later rows still load: a capacity
/// limit concerns only rows that bring a new provider, category or
/// source list).
fn add(
    builder: &mut TableBuilder,
    raw: &[u8],
    info: ZoneInfo<'_>,
    line: u64,
    row_err: &impl Fn(u64, String) -> ZoneFileError,
    problems: &mut Problems,
) {
    let name = || String::from_utf8_lossy(raw).trim().to_string();
    match builder.add(&normalise_zone(raw), info) {
        Ok(()) => {}
        Err(AddError::BadZone(_)) => problems
            .push(row_err(line, format!("{:?} is not a DNS name of two or more labels", name()))),
        Err(e) => problems.push(row_err(line, format!("{:?} left out: {e}", name()))),
    }
}

/// A lower-case word of letters and hyphens, like `vendor-ddns`.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
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
/// `.` and one trailing dot, so `*.DuckDNS.org.` loads as `duckdns.org`; a
/// Unicode name is mapped to punycode as hosts are ([`crate::host`]), so
/// `Bücher.example` loads as `xn--bcher-kva.example`.
fn normalise_zone(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let mut z = s.trim();
    z = z.strip_prefix("*.").unwrap_or(z);
    z = z.strip_prefix('.').unwrap_or(z);
    z = z.strip_suffix('.').unwrap_or(z);
    match z.is_ascii() {
        true => z.to_ascii_lowercase(),
        // Not a domain (an IP literal, a forbidden character): kept as it
        // is, so the row is reported as not a DNS name.
        false => crate::host::domain_to_ascii(z).unwrap_or_else(|| z.to_string()),
    }
}

mod local;
pub use local::{FoundFile, LocalFiles};

#[cfg(test)]
mod tests;

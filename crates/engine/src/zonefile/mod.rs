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

use std::io::Read;
use std::path::{Path, PathBuf};

use dynamicdns_zonetable::{AddError, TableBuilder, Tier, ZoneInfo, ZoneTable};

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
}

/// What a zone file holds: zones or allowlist entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A zone list.
    Zones,
    /// An allowlist.
    Allowlist,
}

/// A calendar date, for the allowlist's `expires`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day, 1–31.
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD` (a real date; surrounding white space ignored).
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let d = &s[r];
            d.bytes().all(|c| c.is_ascii_digit()).then(|| d.parse().ok()).flatten()
        };
        let (year, month, day) = (num(0..4)? as i32, num(5..7)?, num(8..10)?);
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let ok = (1..=12).contains(&month) && day >= 1 && day <= days[month as usize - 1];
        ok.then_some(Date { year, month, day })
    }

    /// Today, in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days((secs / 86_400) as i64)
    }

    /// The date `days` after 1970-01-01 (the civil-from-days algorithm of
    /// H. Hinnant's date library).
    fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A zone file read leniently: the table of its good rows (for an
/// allowlist also its provider and category rows), and one
/// [`ZoneFileError`] per bad row (or the whole file, if unreadable).
#[derive(Debug)]
pub struct Loaded {
    /// The good zone (or host) rows.
    pub table: ZoneTable,
    /// Allowlist rows naming a provider.
    pub providers: Vec<String>,
    /// Allowlist rows naming a category.
    pub categories: Vec<String>,
    /// Every problem found, in file order.
    pub problems: Vec<ZoneFileError>,
}

impl Loaded {
    /// The allowlist these rows make.
    pub fn into_allowlist(self) -> Allowlist {
        Allowlist {
            names: Some(self.table),
            providers: self.providers,
            categories: self.categories,
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
    let row_err =
        |line: u64, message: String| ZoneFileError::Row { file: file.to_string(), line, message };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = match rdr.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            out.problems.push(csv_problem(e, file));
            return out;
        }
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
        out.problems.push(row_err(1, format!("no {want} column in the header")));
        return out;
    }
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let fatal = e.is_io_error();
                out.problems.push(csv_problem(e, file));
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
                    out.problems.push(row_err(
                        line,
                        format!("tier {tier_name:?} is not 'core' or 'extended'"),
                    ));
                    continue;
                };
                let category = text(category_col);
                if !category.is_empty() && !is_token(&category) {
                    out.problems.push(row_err(
                        line,
                        format!("category {category:?} is not a lower-case word like `ddns`"),
                    ));
                    continue;
                }
                let (provider, sources) = (text(provider_col), text(sources_col));
                let info =
                    ZoneInfo { provider: &provider, category: &category, tier, sources: &sources };
                if !add(&mut builder, name, info, line, &row_err, &mut out.problems) {
                    break;
                }
            }
            FileKind::Allowlist => {
                let (provider, category) = (text(provider_col), text(category_col));
                let given =
                    [!name.trim_ascii().is_empty(), !provider.is_empty(), !category.is_empty()];
                match given.iter().filter(|&&g| g).count() {
                    0 => continue, // a blank row
                    1 => {}
                    _ => {
                        out.problems.push(row_err(
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
                            out.problems.push(row_err(
                                line,
                                format!("expires {expires:?} is not a date (YYYY-MM-DD)"),
                            ));
                            continue;
                        }
                        Some(d) if d < today => {
                            out.problems.push(row_err(line, format!("expired on {d}")));
                            continue;
                        }
                        Some(_) => {}
                    }
                }
                if !provider.is_empty() {
                    out.providers.push(provider);
                } else if !category.is_empty() {
                    if !CATEGORIES.contains(&category.as_str()) {
                        out.problems.push(row_err(
                            line,
                            format!(
                                "category {category:?} is not one the list uses ({})",
                                CATEGORIES.join(", ")
                            ),
                        ));
                        continue;
                    }
                    out.categories.push(category);
                } else if !add(
                    &mut builder,
                    name,
                    ZoneInfo::default(),
                    line,
                    &row_err,
                    &mut out.problems,
                ) {
                    break;
                }
            }
        }
    }
    out.table = builder.build();
    out
}

/// Adds one name; false when the table is full (reading stops).
fn add(
    builder: &mut TableBuilder,
    raw: &[u8],
    info: ZoneInfo<'_>,
    line: u64,
    row_err: &impl Fn(u64, String) -> ZoneFileError,
    problems: &mut Vec<ZoneFileError>,
) -> bool {
    match builder.add(&normalise_zone(raw), info) {
        Ok(()) => true,
        Err(AddError::BadZone(_)) => {
            problems.push(row_err(
                line,
                format!(
                    "{:?} is not a DNS name of two or more labels",
                    String::from_utf8_lossy(raw)
                ),
            ));
            true
        }
        Err(AddError::TooManyNames(_) | AddError::TooLarge) => {
            problems.push(row_err(line, "the zone table is full".to_string()));
            false
        }
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

/// One local file found, and how many rows loaded from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundFile {
    /// The file's name in the lookups folder.
    pub name: String,
    /// Rows loaded (zones, or allowlist entries of every kind).
    pub rows: usize,
}

/// The local files found in a lookups folder, read leniently.
#[derive(Debug, Default)]
pub struct LocalFiles {
    /// Local additions, if a local zones file exists.
    pub zones: Option<ZoneTable>,
    /// The allowlist, if the file exists.
    pub allow: Option<Allowlist>,
    /// The files read, with their row counts.
    pub found: Vec<FoundFile>,
    /// Problems found (bad rows skipped, unreadable files, an old file
    /// name), for the user.
    pub problems: Vec<ZoneFileError>,
}

impl LocalFiles {
    /// Reads the local zones ([`LOCAL_FILE`], and [`OLD_LOCAL_FILE`] with a
    /// warning) and the allowlist ([`ALLOWLIST_FILE`], and
    /// [`OLD_ALLOWLIST_FILE`] with a warning) from `dir` when present, as of
    /// today. Where a new and an old file both name a zone, the new file's
    /// row wins.
    pub fn read(dir: &Path) -> LocalFiles {
        LocalFiles::read_at(dir, Date::today())
    }

    /// As [`read`](Self::read), with `today` for the allowlist's `expires`.
    pub fn read_at(dir: &Path, today: Date) -> LocalFiles {
        let mut out = LocalFiles::default();
        let mut zones = TableBuilderRows::default();
        let mut allow = TableBuilderRows::default();
        let mut allow_names = Allowlist::default();
        for (name, kind, new) in [
            (LOCAL_FILE, FileKind::Zones, None),
            (OLD_LOCAL_FILE, FileKind::Zones, Some(LOCAL_FILE)),
            (ALLOWLIST_FILE, FileKind::Allowlist, None),
            (OLD_ALLOWLIST_FILE, FileKind::Allowlist, Some(ALLOWLIST_FILE)),
        ] {
            let path = dir.join(name);
            let file = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => {
                    out.problems.push(ZoneFileError::Io { file: name.to_string(), source });
                    continue;
                }
            };
            if let Some(new) = new {
                out.problems
                    .push(ZoneFileError::OldName { old: name.to_string(), new: new.to_string() });
            }
            let loaded = load_at(std::io::BufReader::new(file), name, kind, today);
            out.problems.extend(loaded.problems);
            match kind {
                FileKind::Zones => {
                    out.found.push(FoundFile { name: name.to_string(), rows: loaded.table.len() });
                    zones.tables.push(loaded.table);
                }
                FileKind::Allowlist => {
                    let rows =
                        loaded.table.len() + loaded.providers.len() + loaded.categories.len();
                    out.found.push(FoundFile { name: name.to_string(), rows });
                    allow.tables.push(loaded.table);
                    allow_names.providers.extend(loaded.providers);
                    allow_names.categories.extend(loaded.categories);
                    out.allow = Some(Allowlist::default());
                }
            }
        }
        out.zones = zones.merge();
        if out.allow.is_some() {
            allow_names.names = allow.merge();
            out.allow = Some(allow_names);
        }
        out
    }

    /// Applies the files to `set`.
    pub fn apply(self, mut set: ZoneSet) -> ZoneSet {
        if let Some(t) = self.zones {
            set = set.with_local(t);
        }
        if let Some(a) = self.allow {
            set = set.with_allowlist(a);
        }
        set
    }
}

/// The local zone tables read (the new file's, then the old one's).
#[derive(Default)]
struct TableBuilderRows {
    tables: Vec<ZoneTable>,
}

impl TableBuilderRows {
    /// One table of every zone; where both files name a zone, the new
    /// file's row wins.
    fn merge(mut self) -> Option<ZoneTable> {
        match self.tables.len() {
            0 => None,
            1 => self.tables.pop(),
            _ => {
                let mut b = TableBuilder::new();
                for t in self.tables.iter().rev() {
                    for e in t.entries() {
                        // Rows of a loaded table are valid zones: this cannot fail
                        // short of the table-full case, already reported.
                        let _ = b.add(t.zone_name(e), t.info(e));
                    }
                }
                Some(b.build())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Date = Date { year: 2026, month: 12, day: 1 };

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
            "allow.csv: line 1: no `host` (or `zone`), `provider` or `category` column in the header"
        );
    }

    /// Allowlist rows by host, provider or category, with reason and
    /// expiry; the old two-column files still load.
    #[test]
    fn allowlist_rows_by_name_provider_and_category() {
        let csv = "host,provider,category,reason,expires\n\
                   vpn.duckdns.org,,,our VPN,\n\
                   ,No-IP,,lab uses No-IP,2026-12-31\n\
                   ,,vendor-ddns,NAS fleet,2026-12-01\n\
                   ,,provider-service,,\n\
                   old.duckdns.org,,,temporary,2026-11-30\n\
                   ,,gold,,\n\
                   x.duckdns.org,Dyn,,both,\n\
                   ,Dynu,,bad date,2026-02-30\n\
                   # ,Ignored,,,\n";
        let l = load_at(csv.as_bytes(), "allow.csv", FileKind::Allowlist, TODAY);
        let msgs: Vec<String> = l.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "allow.csv: line 6: expired on 2026-11-30",
                "allow.csv: line 7: category \"gold\" is not one the list uses (ddns, vendor-ddns, vpn-vendor, provider-service)",
                "allow.csv: line 8: give one of host (or zone), provider or category per row",
                "allow.csv: line 9: expires \"2026-02-30\" is not a date (YYYY-MM-DD)",
            ]
        );
        assert_eq!(l.providers, ["No-IP"]);
        assert_eq!(l.categories, ["vendor-ddns", "provider-service"]);
        assert_eq!(l.table.len(), 1);
        let l = load_at(
            "host,comment\nours.duckdns.org,x\n".as_bytes(),
            "a",
            FileKind::Allowlist,
            TODAY,
        );
        assert!(l.problems.is_empty() && l.table.len() == 1);
        let l = load_at("provider\nNo-IP\n".as_bytes(), "a", FileKind::Allowlist, TODAY);
        assert!(l.problems.is_empty() && l.providers == ["No-IP"]);
    }

    #[test]
    fn dates() {
        assert_eq!(Date::parse("2024-02-29"), Some(Date { year: 2024, month: 2, day: 29 }));
        for bad in ["2023-02-29", "2026-13-01", "2026-1-01", "26-01-01", "2026-01-00", "x"] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_423).to_string(), "2025-12-01");
        assert_eq!(Date::from_days(11_016).to_string(), "2000-02-29");
        assert!(Date::today() > TODAY.min(Date { year: 2020, month: 1, day: 1 }));
    }

    /// The local zones file under its new name wins; the old name is still
    /// read, with a warning, so upgrades keep their rows.
    #[test]
    fn old_local_file_name_is_read_with_a_warning() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(
            dir.join(OLD_LOCAL_FILE),
            "zone,provider\nold.example,Old\nboth.example,Old\n",
        )
        .unwrap();
        let l = LocalFiles::read_at(dir, TODAY);
        let msgs: Vec<String> = l.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            msgs,
            ["dynamic_dns_providers_local.csv: old file name, read for now; rename it to \
              dynamicdns_local_zones.csv (the app's own files are named dynamicdns_*, so that \
              no other app's lookup, such as ESCU's dynamic_dns_providers_local.csv, can shadow \
              them)"]
        );
        assert_eq!(l.zones.as_ref().unwrap().len(), 2);
        std::fs::write(dir.join(LOCAL_FILE), "zone,provider\nnew.example,New\nboth.example,New\n")
            .unwrap();
        let l = LocalFiles::read_at(dir, TODAY);
        let t = l.zones.unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.provider_name(t.get(b"both.example").unwrap()), "New");
        assert_eq!(
            l.found,
            [
                FoundFile { name: LOCAL_FILE.into(), rows: 2 },
                FoundFile { name: OLD_LOCAL_FILE.into(), rows: 2 }
            ]
        );
    }
}

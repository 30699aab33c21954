//! The zone set and the verdict rule: a host is dynamic DNS when it lies
//! **strictly below** a zone, and the longest such zone (on label
//! boundaries) names the provider.
//!
//! The default set is the shipped `lookups/dynamic_dns_providers.csv`,
//! compiled into the binary by `build.rs` as a static hash table, so
//! [`ZoneSet::embedded`] costs nothing at start-up.

use std::io::Read;

use crate::zonetable::{AddError, Entry, TableBuilder, ZoneTable};

mod embedded {
    use super::Entry;
    use std::borrow::Cow;
    include!(concat!(env!("OUT_DIR"), "/zones_table.rs"));

    pub(super) fn table() -> super::ZoneTable {
        super::ZoneTable {
            blob: Cow::Borrowed(BLOB),
            entries: Cow::Borrowed(ENTRIES),
            slots: Cow::Borrowed(SLOTS),
            providers: Cow::Borrowed(PROVIDERS),
            max_len: MAX_LEN,
        }
    }
}

/// A set of dynamic-DNS zones with their providers.
#[derive(Clone, Debug)]
pub struct ZoneSet {
    table: ZoneTable,
}

/// The zone a host matched, and its provider (`""` when unknown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneMatch<'z> {
    /// The matched zone, e.g. `duckdns.org`.
    pub zone: &'z str,
    /// The provider's name, e.g. `DuckDNS`; empty when no source names one.
    pub provider: &'z str,
}

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
    /// The CSV could not be parsed.
    #[error("{file}: line {line}: {message}")]
    Csv {
        /// The file's name as given.
        file: String,
        /// 1-based line number.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// The header has no `zone` column.
    #[error("{file}: line 1: no `zone` column in the header")]
    NoZoneColumn {
        /// The file's name as given.
        file: String,
    },
    /// A row's zone is not a valid zone name.
    #[error(
        "{file}: line {line}: zone {zone:?} is not a lower-case DNS name of two or more labels"
    )]
    BadZone {
        /// The file's name as given.
        file: String,
        /// 1-based line number.
        line: u64,
        /// The offending value.
        zone: String,
    },
    /// Too many provider names or zones for the table.
    #[error("{file}: line {line}: the zone table is full")]
    Full {
        /// The file's name as given.
        file: String,
        /// 1-based line number.
        line: u64,
    },
}

impl ZoneSet {
    /// The shipped default zone list, compiled into the binary.
    pub fn embedded() -> ZoneSet {
        ZoneSet { table: embedded::table() }
    }

    /// Reads a zone CSV with a header row holding `zone` and optionally
    /// `provider` (other columns are ignored). `file` names it in errors.
    /// Zone names are normalised as hosts are (case, one trailing dot).
    pub fn from_csv<R: Read>(input: R, file: &str) -> Result<ZoneSet, ZoneFileError> {
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let csv_err = |e: csv::Error| {
            let line = e.position().map_or(1, |p| p.line());
            let message = e.to_string();
            match e.into_kind() {
                csv::ErrorKind::Io(source) => ZoneFileError::Io { file: file.to_string(), source },
                _ => ZoneFileError::Csv { file: file.to_string(), line, message },
            }
        };
        let headers = rdr.byte_headers().map_err(csv_err)?.clone();
        let col = |name: &[u8]| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let zone_col =
            col(b"zone").ok_or_else(|| ZoneFileError::NoZoneColumn { file: file.to_string() })?;
        let provider_col = col(b"provider");
        let mut builder = TableBuilder::new();
        let mut rec = csv::ByteRecord::new();
        while rdr.read_byte_record(&mut rec).map_err(csv_err)? {
            let line = rec.position().map_or(0, |p| p.line());
            let raw = rec.get(zone_col).unwrap_or(b"");
            let zone = normalise_zone(raw);
            let provider = provider_col
                .and_then(|c| rec.get(c))
                .map(|p| String::from_utf8_lossy(p).trim().to_string())
                .unwrap_or_default();
            builder.add(&zone, &provider).map_err(|e| match e {
                AddError::BadZone => ZoneFileError::BadZone {
                    file: file.to_string(),
                    line,
                    zone: String::from_utf8_lossy(raw).into_owned(),
                },
                AddError::TooManyProviders | AddError::TooLarge => {
                    ZoneFileError::Full { file: file.to_string(), line }
                }
            })?;
        }
        Ok(ZoneSet { table: builder.build() })
    }

    /// Number of zones in the set.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when the set holds no zone.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Every zone with its provider, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = ZoneMatch<'_>> + '_ {
        self.table.entries.iter().map(|&e| self.to_match(e))
    }

    /// The provider and zone of an exact zone name, if it is in the set.
    pub fn get(&self, zone: &[u8]) -> Option<ZoneMatch<'_>> {
        self.table.get(zone).map(|e| self.to_match(e))
    }

    /// The verdict for a normalised host (lower-case ASCII, no trailing
    /// dot, as [`crate::host::HostExtractor`] returns it): the longest zone
    /// that the host lies strictly below, if any. The host itself is never
    /// compared, so a zone's apex does not match.
    #[inline]
    pub fn longest_match(&self, host: &[u8]) -> Option<ZoneMatch<'_>> {
        // Walk the label boundaries left to right: the first suffix found is
        // the longest zone, and the whole host (the apex case) is skipped.
        let mut rest = host;
        while let Some(dot) = memchr::memchr(b'.', rest) {
            rest = &rest[dot + 1..];
            if let Some(e) = self.table.get(rest) {
                return Some(self.to_match(e));
            }
        }
        None
    }

    fn to_match(&self, e: Entry) -> ZoneMatch<'_> {
        ZoneMatch { zone: self.table.zone_name(e), provider: self.table.provider_name(e) }
    }
}

/// Lower-cases a zone from a file and strips whitespace, a leading `*.` or
/// `.` and one trailing dot, so `*.DuckDNS.org.` loads as `duckdns.org`.
fn normalise_zone(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let mut z = s.trim();
    z = z.strip_prefix("*.").unwrap_or(z);
    z = z.strip_prefix('.').unwrap_or(z);
    z = z.strip_suffix('.').unwrap_or(z);
    z.to_ascii_lowercase()
}

impl Default for ZoneSet {
    fn default() -> Self {
        ZoneSet::embedded()
    }
}

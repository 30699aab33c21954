//! The zone set and the verdict rule: a host is dynamic DNS when it lies
//! **strictly below** a zone, and the longest such zone (on label
//! boundaries) names the provider.
//!
//! A set is the shipped list — `lookups/dynamic_dns_providers.csv`, compiled
//! into the binary by `build.rs` as a static hash table, so
//! [`ZoneSet::embedded`] costs nothing at start-up — plus, optionally:
//! - **local additions** (`dynamic_dns_providers_local.csv`): more zones, or
//!   another provider for a shipped zone; they are always used, whatever the
//!   tier selection;
//! - an **allowlist** (`dynamic_dns_allowlist.csv`): hosts or zones never to
//!   flag; an entry covers itself and every name below it;
//! - a **tier selection**: `core` uses only zones with provider-owned or
//!   curated evidence, `all` adds the extended long tail.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::zonetable::{self, AddError, Entry, TableBuilder, ZoneTable};

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
            index_bits: INDEX_BITS,
        }
    }
}

/// File name of the local additions in the app's `lookups/` folder.
pub const LOCAL_FILE: &str = "dynamic_dns_providers_local.csv";
/// File name of the allowlist in the app's `lookups/` folder.
pub const ALLOWLIST_FILE: &str = "dynamic_dns_allowlist.csv";

/// Which tiers of the shipped list are used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TierSelection {
    /// Only zones with provider-owned or curated evidence (precision).
    Core,
    /// Every shipped zone, the FreeDNS registry long tail included (recall;
    /// the default, as broad as the ESCU list it replaces).
    #[default]
    All,
}

/// A set of dynamic-DNS zones with their providers.
#[derive(Clone, Debug)]
pub struct ZoneSet {
    base: ZoneTable,
    local: Option<ZoneTable>,
    allow: Option<ZoneTable>,
    tiers: TierSelection,
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
        let Some(tier) = zonetable::parse_tier(&tier_name) else {
            problems
                .push(row_err(line, format!("tier {tier_name:?} is not 'core' or 'extended'")));
            continue;
        };
        let name = normalise_zone(raw);
        match builder.add(&name, &provider, tier) {
            Ok(()) => {}
            Err(AddError::BadZone) => problems.push(row_err(
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

impl ZoneSet {
    /// The shipped default zone list, compiled into the binary: all tiers,
    /// no local files.
    pub fn embedded() -> ZoneSet {
        ZoneSet::from_table(embedded::table())
    }

    /// A set over one table (all tiers, no local files).
    pub fn from_table(table: ZoneTable) -> ZoneSet {
        ZoneSet { base: table, local: None, allow: None, tiers: TierSelection::All }
    }

    /// Reads a zone CSV (header with `zone`, optionally `provider` and
    /// `tier`) strictly: the first bad row is an error naming file and line.
    pub fn from_csv<R: Read>(input: R, file: &str) -> Result<ZoneSet, ZoneFileError> {
        let loaded = load(input, file, FileKind::Zones);
        match loaded.problems.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(ZoneSet::from_table(loaded.table)),
        }
    }

    /// Uses `table` as local additions: its zones are added, and its
    /// provider wins where it also names a shipped zone.
    pub fn with_local(mut self, table: ZoneTable) -> ZoneSet {
        self.local = (!table.is_empty()).then_some(table);
        self
    }

    /// Uses `table` as the allowlist.
    pub fn with_allowlist(mut self, table: ZoneTable) -> ZoneSet {
        self.allow = (!table.is_empty()).then_some(table);
        self
    }

    /// Selects the tiers of the shipped list that are used.
    pub fn with_tiers(mut self, tiers: TierSelection) -> ZoneSet {
        self.tiers = tiers;
        self
    }

    /// Number of zones in the shipped part of the set (all tiers).
    pub fn len(&self) -> usize {
        self.base.len()
    }

    /// True when the shipped part holds no zone.
    pub fn is_empty(&self) -> bool {
        self.base.is_empty()
    }

    /// Every zone in use (local additions, then the selected tiers of the
    /// shipped list), with its provider.
    pub fn iter(&self) -> impl Iterator<Item = ZoneMatch<'_>> + '_ {
        let local = self.local.iter().flat_map(|t| t.entries.iter().map(move |&e| to_match(t, e)));
        let base = self
            .base
            .entries
            .iter()
            .filter(move |e| self.tier_ok(**e))
            .map(move |&e| to_match(&self.base, e));
        local.chain(base)
    }

    /// The provider and zone of an exact zone name, if it is in use.
    pub fn get(&self, zone: &[u8]) -> Option<ZoneMatch<'_>> {
        if let Some(t) = &self.local {
            if let Some(e) = t.get(zone) {
                return Some(to_match(t, e));
            }
        }
        self.base.get(zone).filter(|&e| self.tier_ok(e)).map(|e| to_match(&self.base, e))
    }

    /// The verdict for a normalised host (lower-case ASCII, no trailing
    /// dot, as [`crate::host::HostExtractor`] returns it): the longest zone
    /// that the host lies strictly below, if any, unless the host is
    /// allowlisted. The host itself is never compared, so a zone's apex does
    /// not match.
    #[inline]
    pub fn longest_match(&self, host: &[u8]) -> Option<ZoneMatch<'_>> {
        // Suffixes come shortest first, so the last hit is the longest zone.
        let max_len = self.local.as_ref().map_or(0, |t| t.max_len).max(self.base.max_len);
        let mut best = None;
        zonetable::for_each_suffix(host, max_len, |start, h| {
            if let Some(m) = self.get_hashed(&host[start..], h) {
                best = Some(m);
            }
        });
        match best {
            Some(_) if self.is_allowed(host) => None,
            best => best,
        }
    }

    fn get_hashed(&self, zone: &[u8], h: u64) -> Option<ZoneMatch<'_>> {
        if let Some(t) = &self.local {
            if let Some(e) = t.get_hashed(zone, h) {
                return Some(to_match(t, e));
            }
        }
        self.base.get_hashed(zone, h).filter(|&e| self.tier_ok(e)).map(|e| to_match(&self.base, e))
    }

    /// Whether the allowlist covers `host`: it or a name above it is listed.
    pub fn is_allowed(&self, host: &[u8]) -> bool {
        let Some(allow) = &self.allow else { return false };
        let mut rest = host;
        loop {
            if allow.get(rest).is_some() {
                return true;
            }
            match memchr::memchr(b'.', rest) {
                Some(dot) => rest = &rest[dot + 1..],
                None => return false,
            }
        }
    }

    fn tier_ok(&self, e: Entry) -> bool {
        self.tiers == TierSelection::All || e.tier == zonetable::CORE
    }
}

fn to_match(t: &ZoneTable, e: Entry) -> ZoneMatch<'_> {
    ZoneMatch { zone: t.zone_name(e), provider: t.provider_name(e) }
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

impl Default for ZoneSet {
    fn default() -> Self {
        ZoneSet::embedded()
    }
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

    fn table(csv: &str, kind: FileKind) -> ZoneTable {
        let l = load(csv.as_bytes(), "t.csv", kind);
        assert!(l.problems.is_empty(), "{:?}", l.problems);
        l.table
    }

    fn set() -> ZoneSet {
        ZoneSet::from_table(table(
            "zone,provider,tier\nduckdns.org,DuckDNS,core\nshared.example,FreeDNS,extended\nhome.dyndns.org,Dyn,core\n",
            FileKind::Zones,
        ))
    }

    fn zone_of<'a>(s: &'a ZoneSet, host: &str) -> Option<(&'a str, &'a str)> {
        s.longest_match(host.as_bytes()).map(|m| (m.zone, m.provider))
    }

    #[test]
    fn tiers_select_zones() {
        let s = set();
        assert_eq!(zone_of(&s, "a.shared.example"), Some(("shared.example", "FreeDNS")));
        let core = set().with_tiers(TierSelection::Core);
        assert_eq!(zone_of(&core, "a.shared.example"), None);
        assert_eq!(zone_of(&core, "a.duckdns.org"), Some(("duckdns.org", "DuckDNS")));
    }

    #[test]
    fn local_additions_add_and_override() {
        let local = table(
            "zone,provider\nduckdns.org,Duck Local\ncorp.example,Corp\n*.Extra.EXAMPLE.,\n",
            FileKind::Zones,
        );
        let s = set().with_tiers(TierSelection::Core).with_local(local);
        assert_eq!(zone_of(&s, "a.duckdns.org"), Some(("duckdns.org", "Duck Local")));
        assert_eq!(zone_of(&s, "a.corp.example"), Some(("corp.example", "Corp")));
        assert_eq!(zone_of(&s, "a.extra.example"), Some(("extra.example", "")));
        // A local zone nested above a shipped one: longest still wins.
        let local = table("zone,provider\nx.home.dyndns.org,X\n", FileKind::Zones);
        let s = set().with_local(local);
        assert_eq!(zone_of(&s, "a.x.home.dyndns.org"), Some(("x.home.dyndns.org", "X")));
        assert_eq!(zone_of(&s, "a.home.dyndns.org"), Some(("home.dyndns.org", "Dyn")));
    }

    #[test]
    fn allowlist_covers_entry_and_below() {
        let allow = table(
            "host,comment\nours.duckdns.org,our VPN\nhome.dyndns.org,\n",
            FileKind::Allowlist,
        );
        let s = set().with_allowlist(allow);
        assert_eq!(zone_of(&s, "ours.duckdns.org"), None);
        assert_eq!(zone_of(&s, "a.ours.duckdns.org"), None);
        assert_eq!(zone_of(&s, "theirs.duckdns.org"), Some(("duckdns.org", "DuckDNS")));
        assert_eq!(zone_of(&s, "x.home.dyndns.org"), None);
        assert!(s.is_allowed(b"home.dyndns.org"));
    }

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

//! Rebuilds the shipped zone list, `lookups/dynamic_dns_providers.csv`, from
//! the sources vendored under `data/`, byte for byte reproducibly
//! (`dynamicdns zones build`).
//!
//! # Inputs (all under the data directory)
//!
//! - `sources/<name>.csv`, one file per source: a header row with at least
//!   the columns `zone` and `provider` (others, such as `source_ref`, are
//!   ignored), then one row per zone. The zones are already normalised
//!   (lower case, punycode): this module validates them and does not
//!   repair them. The sources read, in precedence order, are `psl`,
//!   `dyn_dns_list` and `seed_kql`.
//! - `psl_provider_category.json`: `{"provider": "category", …}` for the
//!   PSL blocks classified by hand.
//! - `providers.csv`: columns `provider` and `category` (others ignored);
//!   its names are the canonical spellings of providers.
//!
//! `data/README.md` gives the origin and licence of each file.
//!
//! # Rules
//!
//! 1. Every zone must be lower-case `label(.label)+` with labels of 1 to 63
//!    bytes from `[a-z0-9_-]`, at most 253 bytes, and a last label that is
//!    not all digits (no IP literal, no numeric TLD). A source must not
//!    name a zone twice. A bad row is an error naming the file and line.
//! 2. The list is the union of the zones of all sources.
//! 3. A zone's provider is the one named by the first source in precedence
//!    order that names one (`psl` > `dyn_dns_list` > `seed_kql`): provider
//!    submitted data first, then lists scraped from the providers' own
//!    pages, then the project brief's seed.
//! 4. Provider names are harmonised before they are compared or written:
//!    whitespace is collapsed, a small alias table maps known variants
//!    (`noip`, `No-IP.com` → `No-IP`; `dyn.com`, `DynDNS Pro` →
//!    `Dyn (DynDNS)` …), and a name equal, ignoring case, to one in
//!    `providers.csv` or `psl_provider_category.json` takes that
//!    spelling. Any other name is kept as given.
//! 5. The seed's "provider" column holds display names that are really zone
//!    names (`DDNS.net`, `FreeDDNS`, `GotDNS` …), so for `seed_kql` rows the
//!    provider comes from a table keyed by zone, with the real provider as
//!    the PSL and `dyn_dns_list` name it (`ddns.net` → No-IP,
//!    `freeddns.org` → Dynu, `publicvm.com` → `DNSExit` …). A seed zone not in
//!    that table falls back to its harmonised display name.
//! 6. A zone's category is its provider's category from
//!    `psl_provider_category.json` or `providers.csv` (the two must agree),
//!    and `ddns` when the provider is unknown or empty.
//!
//! # Output
//!
//! CSV with the header `zone,provider,category,sources`, one row per zone
//! sorted bytewise by zone; `sources` is the `;`-joined, alphabetically
//! sorted list of the sources (file stems) that name the zone. LF line
//! endings, quoting only where needed. The same inputs always give the
//! same bytes.
//!
//! # Adding a source
//!
//! Vendor `data/sources/<name>.csv` (and its licence, in `data/README.md`)
//! and insert the source in `SOURCES` at its place in the precedence order.
//! Sources without provider attribution leave the `provider` column empty;
//! they still add zones and appear in `sources`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// An error while building the lookup. The message names the file, the line
/// when there is one, and the problem.
#[derive(Debug, thiserror::Error)]
pub enum ZoneBuildError {
    /// A file could not be read.
    #[error("{}: cannot read: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// A problem with a file as a whole, such as a missing column.
    #[error("{}: {problem}", .path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A problem with one line of a file, such as an invalid zone.
    #[error("{}: line {line}: {problem}", .path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// The 1-based line number (the header is line 1).
        line: u64,
        /// What is wrong.
        problem: String,
    },
    /// Serialising the lookup failed.
    #[error("writing the lookup CSV: {0}")]
    Write(String),
}

/// How a source's `provider` column is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Naming {
    /// The column names the provider (possibly spelled differently).
    Provider,
    /// The column holds display names that are zone names; the provider
    /// comes from [`SEED_ZONE_PROVIDERS`].
    SeedDisplayName,
}

/// One vendored source: `data/sources/<name>.csv`.
#[derive(Debug)]
struct Source {
    /// The file stem, also the name written in the `sources` column.
    name: &'static str,
    /// How its `provider` column is to be read.
    naming: Naming,
}

/// The sources, in precedence order for provider attribution.
const SOURCES: &[Source] = &[
    Source { name: "psl", naming: Naming::Provider },
    Source { name: "dyn_dns_list", naming: Naming::Provider },
    Source { name: "seed_kql", naming: Naming::SeedDisplayName },
];

/// Known variant spellings (lower case, single spaces) → canonical name as
/// spelled in `providers.csv`. Names that differ from a canonical one only in
/// case need no entry here.
const PROVIDER_ALIASES: &[(&str, &str)] = &[
    ("no-ip.com", "No-IP"),
    ("noip", "No-IP"),
    ("noip.com", "No-IP"),
    ("no ip", "No-IP"),
    ("dyn", "Dyn (DynDNS)"),
    ("dyn.com", "Dyn (DynDNS)"),
    ("dyndns", "Dyn (DynDNS)"),
    ("dyndns.com", "Dyn (DynDNS)"),
    ("dyndns pro", "Dyn (DynDNS)"),
    ("afraid.org", "FreeDNS (afraid.org)"),
    ("freedns", "FreeDNS (afraid.org)"),
    ("freedns.afraid.org", "FreeDNS (afraid.org)"),
    ("changeip.com", "ChangeIP"),
    ("now-dns.com", "Now-DNS"),
    ("nowdns", "Now-DNS"),
    ("dynu.com", "Dynu"),
    ("pubyun", "Pubyun (3322.org)"),
    ("pubyun.com", "Pubyun (3322.org)"),
    ("3322", "Pubyun (3322.org)"),
    ("3322.org", "Pubyun (3322.org)"),
    ("3223", "Pubyun (3322.org)"),
    ("dnsexit.com", "DNSExit"),
    ("dynv6.com", "dynv6"),
    ("gslb", "GSLB.me"),
    ("duiadns.net", "DuiaDNS"),
    ("cloudns.net", "ClouDNS"),
    ("ydns.eu", "YDNS"),
    ("ydns.io", "YDNS"),
    ("duckdns.org", "DuckDNS"),
];

/// The real provider of each zone in the `seed_kql` source, whose provider
/// column holds display names (mostly zone names). Evidence, from the other
/// vendored sources (zone-data.md §2):
/// - No-IP: the PSL No-IP block lists `3utilities.com`, `bounceme.net`,
///   `ddns.net`, `gotdns.ch`, `hopto.org`, `myftp.org`, `myvnc.com`,
///   `serveftp.com`, `servegame.com`, `zapto.org`; `dyn_dns_list` (and ET's
///   reference URLs) give `freedynamicdns.net`/`.org` to No-IP;
/// - Dynu: PSL and `dyn_dns_list` for `freeddns.org`;
/// - `DuckDNS`: PSL for `duckdns.org`;
/// - `DNSExit`: `dyn_dns_list` for `publicvm.com`.
const SEED_ZONE_PROVIDERS: &[(&str, &str)] = &[
    ("3utilities.com", "No-IP"),
    ("bounceme.net", "No-IP"),
    ("ddns.net", "No-IP"),
    ("duckdns.org", "DuckDNS"),
    ("freeddns.org", "Dynu"),
    ("freedynamicdns.net", "No-IP"),
    ("freedynamicdns.org", "No-IP"),
    ("gotdns.ch", "No-IP"),
    ("hopto.org", "No-IP"),
    ("myftp.org", "No-IP"),
    ("myvnc.com", "No-IP"),
    ("publicvm.com", "DNSExit"),
    ("serveftp.com", "No-IP"),
    ("servegame.com", "No-IP"),
    ("zapto.org", "No-IP"),
];

/// The category of a zone whose provider is unknown or has none.
const DEFAULT_CATEGORY: &str = "ddns";

/// The header of the lookup.
const HEADER: [&str; 4] = ["zone", "provider", "category", "sources"];

/// Builds the lookup CSV from the vendored sources in `data_dir` (the
/// repository's `data/`) and returns its exact bytes; see the module
/// documentation for the inputs, rules and format.
///
/// # Errors
///
/// [`ZoneBuildError`] when a file is missing or unreadable, lacks a column,
/// is not valid CSV/JSON, holds an invalid or duplicate zone, or when the
/// two category files disagree.
pub fn build_lookup(data_dir: &Path) -> Result<Vec<u8>, ZoneBuildError> {
    let names = Names::load(data_dir)?;
    let mut zones: BTreeMap<String, Merged> = BTreeMap::new();
    for source in SOURCES {
        let path = data_dir.join("sources").join(format!("{}.csv", source.name));
        for row in read_source(&path)? {
            let provider = match source.naming {
                Naming::Provider => names.harmonise(&row.provider),
                Naming::SeedDisplayName => match seed_provider(&row.zone) {
                    Some(provider) => provider.to_string(),
                    None => names.harmonise(&row.provider),
                },
            };
            let merged = zones.entry(row.zone).or_default();
            if merged.provider.is_empty() {
                merged.provider = provider;
            }
            merged.sources.insert(source.name);
        }
    }
    write_lookup(&zones, &names)
}

/// What the sources say about one zone.
#[derive(Debug, Default)]
struct Merged {
    /// The provider of the first source in precedence order naming one.
    provider: String,
    /// The sources naming the zone (sorted).
    sources: BTreeSet<&'static str>,
}

/// One row of a source file.
#[derive(Debug)]
struct SourceRow {
    zone: String,
    provider: String,
}

/// The provider of a `seed_kql` zone, per [`SEED_ZONE_PROVIDERS`].
fn seed_provider(zone: &str) -> Option<&'static str> {
    SEED_ZONE_PROVIDERS.iter().find(|(z, _)| *z == zone).map(|&(_, provider)| provider)
}

/// Canonical provider names and their categories.
#[derive(Debug)]
struct Names {
    /// Lower-cased name → canonical spelling.
    canonical: BTreeMap<String, String>,
    /// Canonical name → category.
    category: BTreeMap<String, String>,
}

impl Names {
    /// Reads `psl_provider_category.json` and `providers.csv`.
    fn load(data_dir: &Path) -> Result<Names, ZoneBuildError> {
        let json_path = data_dir.join("psl_provider_category.json");
        let bytes = read_file(&json_path)?;
        let json: BTreeMap<String, String> =
            serde_json::from_slice(&bytes).map_err(|e| json_error(&json_path, &e))?;
        let mut category = BTreeMap::new();
        for (provider, cat) in json {
            if let Some(problem) = name_problem(&provider).or_else(|| category_problem(&cat)) {
                return Err(file_error(&json_path, format!("provider {provider:?}: {problem}")));
            }
            category.insert(provider, cat);
        }

        let csv_path = data_dir.join("providers.csv");
        let mut listed = HashMap::new();
        for (line, row) in read_table(&csv_path, &["provider", "category"])? {
            let [provider, cat] = <[String; 2]>::try_from(row).map_err(|_| {
                line_error(&csv_path, line, "wrong number of columns read".to_string())
            })?;
            if provider.is_empty() {
                return Err(line_error(&csv_path, line, "empty provider name".to_string()));
            }
            if let Some(problem) = name_problem(&provider).or_else(|| category_problem(&cat)) {
                return Err(line_error(
                    &csv_path,
                    line,
                    format!("provider {provider:?}: {problem}"),
                ));
            }
            if let Some(first) = listed.insert(provider.clone(), line) {
                let problem = format!("provider {provider:?} is already listed on line {first}");
                return Err(line_error(&csv_path, line, problem));
            }
            match category.get(&provider) {
                Some(other) if *other != cat => {
                    let problem = format!(
                        "provider {provider:?} has category {cat:?}, but \
                         psl_provider_category.json says {other:?}"
                    );
                    return Err(line_error(&csv_path, line, problem));
                }
                Some(_) => {}
                None => {
                    category.insert(provider, cat);
                }
            }
        }

        let mut canonical = BTreeMap::new();
        for name in category.keys() {
            if let Some(other) = canonical.insert(name.to_lowercase(), name.clone()) {
                let problem = format!("provider names {other:?} and {name:?} differ only in case");
                return Err(file_error(&csv_path, problem));
            }
        }
        for &(alias, target) in PROVIDER_ALIASES {
            if let Some(name) = canonical.get(alias) {
                if name != target {
                    let problem = format!(
                        "provider {name:?} is also a built-in alias of {target:?}; \
                         fix the alias table in src/zonebuild.rs"
                    );
                    return Err(file_error(&csv_path, problem));
                }
            }
        }
        Ok(Names { canonical, category })
    }

    /// The harmonised spelling of a provider name (empty stays empty).
    fn harmonise(&self, raw: &str) -> String {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let key = name.to_lowercase();
        if let Some(&(_, target)) = PROVIDER_ALIASES.iter().find(|(alias, _)| *alias == key) {
            return target.to_string();
        }
        self.canonical.get(&key).cloned().unwrap_or(name)
    }

    /// The category of a (harmonised) provider.
    fn category_of(&self, provider: &str) -> &str {
        self.category.get(provider).map_or(DEFAULT_CATEGORY, String::as_str)
    }
}

/// Reads and validates one source file.
fn read_source(path: &Path) -> Result<Vec<SourceRow>, ZoneBuildError> {
    let table = read_table(path, &["zone", "provider"])?;
    let mut first_line: HashMap<String, u64> = HashMap::with_capacity(table.len());
    let mut rows = Vec::with_capacity(table.len());
    for (line, row) in table {
        let [zone, provider] = <[String; 2]>::try_from(row)
            .map_err(|_| line_error(path, line, "wrong number of columns read".to_string()))?;
        if let Some(problem) = zone_problem(&zone) {
            return Err(line_error(path, line, problem));
        }
        if let Some(problem) = name_problem(&provider) {
            return Err(line_error(path, line, format!("provider {provider:?}: {problem}")));
        }
        if let Some(first) = first_line.insert(zone.clone(), line) {
            let problem = format!("zone {zone:?} is already listed on line {first}");
            return Err(line_error(path, line, problem));
        }
        rows.push(SourceRow { zone, provider });
    }
    Ok(rows)
}

/// Reads a CSV file with a header row and returns, for each record, its line
/// number and the values of `columns` (looked up by header name).
fn read_table(path: &Path, columns: &[&str]) -> Result<Vec<(u64, Vec<String>)>, ZoneBuildError> {
    let bytes = read_file(path)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes.as_slice());
    let headers = reader.headers().map_err(|e| csv_error(path, &e))?.clone();
    if headers.is_empty() {
        return Err(file_error(path, "empty file: no header row".to_string()));
    }
    let mut index = Vec::with_capacity(columns.len());
    for column in columns {
        let i = headers.iter().position(|h| h == *column).ok_or_else(|| {
            let found = headers.iter().collect::<Vec<_>>().join(",");
            line_error(path, 1, format!("no `{column}` column in the header ({found})"))
        })?;
        index.push(i);
    }
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|e| csv_error(path, &e))? {
        let line = record.position().map_or(0, csv::Position::line);
        rows.push((
            line,
            index.iter().map(|&i| record.get(i).unwrap_or("").to_string()).collect(),
        ));
    }
    Ok(rows)
}

/// Writes the merged zones as the lookup CSV.
fn write_lookup(
    zones: &BTreeMap<String, Merged>,
    names: &Names,
) -> Result<Vec<u8>, ZoneBuildError> {
    let write_error = |e: csv::Error| ZoneBuildError::Write(e.to_string());
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    writer.write_record(HEADER).map_err(write_error)?;
    for (zone, merged) in zones {
        let category = if merged.provider.is_empty() {
            DEFAULT_CATEGORY
        } else {
            names.category_of(&merged.provider)
        };
        let sources = merged.sources.iter().copied().collect::<Vec<_>>().join(";");
        writer
            .write_record([zone.as_str(), merged.provider.as_str(), category, sources.as_str()])
            .map_err(write_error)?;
    }
    writer.into_inner().map_err(|e| ZoneBuildError::Write(e.error().to_string()))
}

/// Why `zone` is not a valid zone, if it is not.
fn zone_problem(zone: &str) -> Option<String> {
    if zone.is_empty() {
        return Some("empty zone".to_string());
    }
    if zone.len() > 253 {
        return Some(format!("zone {zone:?} is {} bytes long (at most 253)", zone.len()));
    }
    let labels: Vec<&str> = zone.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Some(format!("zone {zone:?} has an empty label"));
        }
        if label.len() > 63 {
            return Some(format!("zone {zone:?} has a label longer than 63 bytes"));
        }
        if let Some(c) = label.chars().find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-' | '_')) {
            return Some(format!(
                "zone {zone:?} contains {c:?} (zones are lower-case label(.label)+, \
                 labels [a-z0-9_-]{{1,63}})"
            ));
        }
    }
    if labels.len() < 2 {
        return Some(format!("zone {zone:?} is a single label"));
    }
    if labels.last().is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit())) {
        return Some(format!("zone {zone:?} ends in a numeric label (IP literal or numeric TLD)"));
    }
    None
}

/// Why `name` is not acceptable as a provider name, if it is not.
fn name_problem(name: &str) -> Option<String> {
    name.chars().any(char::is_control).then(|| "name contains a control character".to_string())
}

/// Why `category` is not acceptable, if it is not.
fn category_problem(category: &str) -> Option<String> {
    let ok = !category.is_empty() && category.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    (!ok).then(|| format!("category {category:?} is not a lower-case token like `ddns`"))
}

/// Reads a whole file.
fn read_file(path: &Path) -> Result<Vec<u8>, ZoneBuildError> {
    std::fs::read(path).map_err(|source| ZoneBuildError::Read { path: path.to_path_buf(), source })
}

/// A whole-file error.
fn file_error(path: &Path, problem: String) -> ZoneBuildError {
    ZoneBuildError::File { path: path.to_path_buf(), problem }
}

/// An error on one line.
fn line_error(path: &Path, line: u64, problem: String) -> ZoneBuildError {
    ZoneBuildError::Line { path: path.to_path_buf(), line, problem }
}

/// A CSV parse error, with its line when the parser knows it.
fn csv_error(path: &Path, err: &csv::Error) -> ZoneBuildError {
    let problem = match err.kind() {
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("field {} is not valid UTF-8", err.field() + 1)
        }
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields, but the header has {expected_len}")
        }
        _ => format!("invalid CSV: {err}"),
    };
    match err.position() {
        Some(pos) => line_error(path, pos.line(), problem),
        None => file_error(path, problem),
    }
}

/// A JSON parse error, with its line.
fn json_error(path: &Path, err: &serde_json::Error) -> ZoneBuildError {
    let message = err.to_string();
    let position = format!(" at line {} column {}", err.line(), err.column());
    let message = message.strip_suffix(&position).unwrap_or(&message);
    if err.line() == 0 {
        return file_error(path, format!("invalid JSON: {message}"));
    }
    line_error(
        path,
        err.line() as u64,
        format!("column {}: invalid JSON: {message}", err.column()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const CATEGORIES_JSON: &str = r#"{
 "DuckDNS": "ddns",
 "Dynu": "ddns",
 "No-IP": "ddns",
 "OpenHost": "ddns",
 "Synology": "vendor-ddns"
}
"#;

    const PROVIDERS_CSV: &str = "provider,category,zones_in_merged\n\
                                 Dyn (DynDNS),ddns,1\n\
                                 No-IP,ddns,1\n\
                                 Now-DNS,ddns,1\n\
                                 DNSExit,ddns,1\n\
                                 Synology,vendor-ddns,1\n\
                                 AirVPN,vpn-vendor,1\n";

    const HEADER_ROW: &str = "zone,provider,source_ref\n";

    /// A temporary data directory, removed on drop.
    struct DataDir(PathBuf);

    impl DataDir {
        /// A data directory with the given source rows (without header) and
        /// the test category files.
        fn new(psl: &str, dyn_dns_list: &str, seed_kql: &str) -> DataDir {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir()
                .join(format!("dynamicdns-zonebuild-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(dir.join("sources")).unwrap();
            let d = DataDir(dir);
            d.write("psl_provider_category.json", CATEGORIES_JSON);
            d.write("providers.csv", PROVIDERS_CSV);
            d.write("sources/psl.csv", &format!("{HEADER_ROW}{psl}"));
            d.write("sources/dyn_dns_list.csv", &format!("{HEADER_ROW}{dyn_dns_list}"));
            d.write("sources/seed_kql.csv", &format!("{HEADER_ROW}{seed_kql}"));
            d
        }

        fn write(&self, rel: &str, text: &str) {
            fs::write(self.0.join(rel), text).unwrap();
        }

        fn build(&self) -> Result<String, ZoneBuildError> {
            build_lookup(&self.0).map(|bytes| String::from_utf8(bytes).unwrap())
        }

        /// The error message of a failing build.
        fn error(&self) -> String {
            match build_lookup(&self.0) {
                Ok(bytes) => panic!("expected an error, got {}", String::from_utf8_lossy(&bytes)),
                Err(e) => e.to_string(),
            }
        }
    }

    impl Drop for DataDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// The output row of `zone`.
    fn row<'a>(out: &'a str, zone: &str) -> &'a str {
        out.lines().find(|l| l.split(',').next() == Some(zone)).unwrap_or_else(|| {
            panic!("no row for {zone} in\n{out}");
        })
    }

    #[test]
    fn psl_beats_dyn_dns_list() {
        let d = DataDir::new(
            "16-b.it,OpenHost,r\n",
            "16-b.it,Now-DNS,r\nnow-dns.example,Now-DNS,r\n",
            "",
        );
        let out = d.build().unwrap();
        assert_eq!(row(&out, "16-b.it"), "16-b.it,OpenHost,ddns,dyn_dns_list;psl");
        assert_eq!(row(&out, "now-dns.example"), "now-dns.example,Now-DNS,ddns,dyn_dns_list");
    }

    #[test]
    fn dyn_dns_list_beats_seed_and_empty_provider_falls_through() {
        let d = DataDir::new(
            "empty.example,,r\n",
            "empty.example,Dynu,r\nfreedynamicdns.org,noip,r\n",
            "freedynamicdns.org,FreeDynamicDNS,r\nempty.example,No-IP,r\n",
        );
        let out = d.build().unwrap();
        assert_eq!(
            row(&out, "empty.example"),
            "empty.example,Dynu,ddns,dyn_dns_list;psl;seed_kql"
        );
        assert_eq!(
            row(&out, "freedynamicdns.org"),
            "freedynamicdns.org,No-IP,ddns,dyn_dns_list;seed_kql"
        );
    }

    #[test]
    fn provider_names_are_harmonised() {
        let d = DataDir::new(
            "",
            "a.example,noip,r\n\
             b.example,No-IP.com,r\n\
             c.example,dyn.com,r\n\
             d.example,DynDNS Pro,r\n\
             e.example,now-dns.com,r\n\
             f.example,DYNU,r\n\
             g.example,  synology ,r\n\
             h.example,pubyun.com,r\n\
             i.example,Unknown  Provider,r\n",
            "",
        );
        let out = d.build().unwrap();
        let expected = [
            ("a.example", "No-IP,ddns"),
            ("b.example", "No-IP,ddns"),
            ("c.example", "Dyn (DynDNS),ddns"),
            ("d.example", "Dyn (DynDNS),ddns"),
            ("e.example", "Now-DNS,ddns"),
            ("f.example", "Dynu,ddns"),
            ("g.example", "Synology,vendor-ddns"),
            ("h.example", "Pubyun (3322.org),ddns"),
            ("i.example", "Unknown Provider,ddns"),
        ];
        for (zone, provider_category) in expected {
            assert_eq!(row(&out, zone), format!("{zone},{provider_category},dyn_dns_list"));
        }
    }

    #[test]
    fn seed_display_names_become_providers() {
        // Seed only: the zone table alone must give the real providers.
        let d = DataDir::new(
            "",
            "",
            "ddns.net,DDNS.net,r\n\
             freeddns.org,FreeDDNS,r\n\
             duckdns.org,DuckDNS,r\n\
             gotdns.ch,GotDNS,r\n\
             3utilities.com,3utilities,r\n\
             bounceme.net,BounceMe,r\n\
             publicvm.com,PublicVM,r\n\
             zapto.org,No-IP,r\n\
             new-seed.example,noip.com,r\n",
        );
        let out = d.build().unwrap();
        assert_eq!(
            out,
            "zone,provider,category,sources\n\
             3utilities.com,No-IP,ddns,seed_kql\n\
             bounceme.net,No-IP,ddns,seed_kql\n\
             ddns.net,No-IP,ddns,seed_kql\n\
             duckdns.org,DuckDNS,ddns,seed_kql\n\
             freeddns.org,Dynu,ddns,seed_kql\n\
             gotdns.ch,No-IP,ddns,seed_kql\n\
             new-seed.example,No-IP,ddns,seed_kql\n\
             publicvm.com,DNSExit,ddns,seed_kql\n\
             zapto.org,No-IP,ddns,seed_kql\n"
        );
    }

    #[test]
    fn seed_fixes_agree_with_other_sources() {
        let d = DataDir::new(
            "ddns.net,No-IP,r\nfreeddns.org,Dynu,r\nduckdns.org,DuckDNS,r\n",
            "ddns.net,No-IP,r\nfreeddns.org,Dynu,r\n",
            "ddns.net,DDNS.net,r\nfreeddns.org,FreeDDNS,r\nduckdns.org,DuckDNS,r\n",
        );
        let out = d.build().unwrap();
        assert_eq!(row(&out, "ddns.net"), "ddns.net,No-IP,ddns,dyn_dns_list;psl;seed_kql");
        assert_eq!(row(&out, "freeddns.org"), "freeddns.org,Dynu,ddns,dyn_dns_list;psl;seed_kql");
        assert_eq!(row(&out, "duckdns.org"), "duckdns.org,DuckDNS,ddns,psl;seed_kql");
    }

    #[test]
    fn exact_output_sorting_sources_and_quoting() {
        let d = DataDir::new(
            "home.dyndns.org,Dyn (DynDNS),r\n\
             synology.me,Synology,r\n\
             a.example,\"Foo, Inc.\",r\n",
            "a_b.example,ChangeIP,r\n\
             a0.example,ChangeIP,r\n\
             dyndns.org,Dyn (DynDNS),r\n\
             a-b.example,ChangeIP,r\n\
             home.dyndns.org,dyn.com,r\n",
            "zapto.org,No-IP,r\n",
        );
        let out = d.build().unwrap();
        // Bytewise: '-' < '.' < '0' < '_' < 'a'.
        assert_eq!(
            out,
            "zone,provider,category,sources\n\
             a-b.example,ChangeIP,ddns,dyn_dns_list\n\
             a.example,\"Foo, Inc.\",ddns,psl\n\
             a0.example,ChangeIP,ddns,dyn_dns_list\n\
             a_b.example,ChangeIP,ddns,dyn_dns_list\n\
             dyndns.org,Dyn (DynDNS),ddns,dyn_dns_list\n\
             home.dyndns.org,Dyn (DynDNS),ddns,dyn_dns_list;psl\n\
             synology.me,Synology,vendor-ddns,psl\n\
             zapto.org,No-IP,ddns,seed_kql\n"
        );
        // Deterministic, LF only.
        assert_eq!(d.build().unwrap(), out);
        assert!(!out.contains('\r'));
    }

    #[test]
    fn empty_sources_give_header_only() {
        let d = DataDir::new("", "", "");
        assert_eq!(d.build().unwrap(), "zone,provider,category,sources\n");
    }

    #[test]
    fn bad_zone_names_file_and_line() {
        let d = DataDir::new("", "ok.example,Dynu,r\nBad.Example,Dynu,r\n", "");
        let path = d.0.join("sources").join("dyn_dns_list.csv");
        let message = d.error();
        assert!(
            message.starts_with(&format!("{}: line 3: zone \"Bad.Example\"", path.display())),
            "{message}"
        );
        assert!(message.contains("'B'"), "{message}");
    }

    #[test]
    fn invalid_zones_are_rejected() {
        let cases = [
            ("localhost", "single label"),
            ("1.2.3.4", "numeric label"),
            ("example.123", "numeric label"),
            ("a..example", "empty label"),
            (".example.com", "empty label"),
            ("example.com.", "empty label"),
            ("*.example.com", "contains '*'"),
            (" example.com", "contains ' '"),
            ("ex%61mple.com", "contains '%'"),
        ];
        for (zone, problem) in cases {
            let d = DataDir::new(&format!("\"{zone}\",No-IP,r\n"), "", "");
            let message = d.error();
            assert!(message.contains("psl.csv: line 2: "), "{zone}: {message}");
            assert!(message.contains(problem), "{zone}: {message}");
        }
        let long_label = format!("{}.com", "a".repeat(64));
        let d = DataDir::new(&format!("{long_label},No-IP,r\n"), "", "");
        assert!(d.error().contains("longer than 63"));
        let long_zone = format!("{}com", "abcdefghi.".repeat(26));
        let d = DataDir::new(&format!("{long_zone},No-IP,r\n"), "", "");
        assert!(d.error().contains("at most 253"));
        let d = DataDir::new(",No-IP,r\n", "", "");
        assert!(d.error().ends_with("psl.csv: line 2: empty zone"));
    }

    #[test]
    fn duplicate_zone_in_one_source_is_an_error() {
        let d = DataDir::new("", "", "ddns.net,DDNS.net,r\nzapto.org,No-IP,r\nddns.net,No-IP,r\n");
        let message = d.error();
        assert!(
            message
                .ends_with("seed_kql.csv: line 4: zone \"ddns.net\" is already listed on line 2"),
            "{message}"
        );
    }

    #[test]
    fn malformed_csv_names_line() {
        let d = DataDir::new("ddns.net,No-IP,r,extra\n", "", "");
        let message = d.error();
        assert!(message.contains("psl.csv: line 2: 4 fields, but the header has 3"), "{message}");
    }

    #[test]
    fn missing_column_and_file() {
        let d = DataDir::new("", "", "");
        d.write("sources/psl.csv", "domain,provider\nddns.net,No-IP\n");
        let message = d.error();
        assert!(message.contains("psl.csv: line 1: no `zone` column"), "{message}");

        let d = DataDir::new("", "", "");
        fs::remove_file(d.0.join("sources/seed_kql.csv")).unwrap();
        let message = d.error();
        assert!(message.contains("seed_kql.csv: cannot read"), "{message}");
    }

    #[test]
    fn category_files_are_checked() {
        let d = DataDir::new("", "", "");
        d.write("providers.csv", "provider,category\nSynology,ddns\n");
        let message = d.error();
        assert!(
            message.contains("providers.csv: line 2: provider \"Synology\" has category \"ddns\""),
            "{message}"
        );

        let d = DataDir::new("", "", "");
        d.write("providers.csv", "provider,category\nNo-IP,ddns\nNo-IP,ddns\n");
        assert!(d.error().contains("providers.csv: line 3: provider \"No-IP\" is already listed"));

        let d = DataDir::new("", "", "");
        d.write("providers.csv", "provider,category\nFoo,DDNS\n");
        assert!(d.error().contains("providers.csv: line 2: provider \"Foo\": category \"DDNS\""));

        let d = DataDir::new("", "", "");
        d.write("psl_provider_category.json", "{\n \"No-IP\": \"ddns\",\n \"x\": 1\n}\n");
        let message = d.error();
        assert!(message.contains("psl_provider_category.json: line 3: column"), "{message}");
    }

    #[test]
    fn tables_are_consistent() {
        for (alias, _) in PROVIDER_ALIASES {
            assert_eq!(*alias, alias.to_lowercase(), "alias keys are lower case");
            assert_eq!(*alias, alias.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        for (zone, _) in SEED_ZONE_PROVIDERS {
            assert_eq!(zone_problem(zone), None);
        }
        let mut names: Vec<&str> = SOURCES.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SOURCES.len());
    }
}

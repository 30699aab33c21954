//! Rebuilds the shipped zone list, `lookups/dynamic_dns_providers.csv`, and
//! its two companion reports from the sources vendored under `data/`, byte
//! for byte reproducibly (`cargo xtask zones build`).
//!
//! The inputs, the build rules (validity, union, provider precedence,
//! harmonised names, the seed, category, tier, suspicious zones, corrupt
//! rows, provider service hosts), the outputs and the known provider
//! disagreements are documented in `data/README.md` ("How the list is
//! built"); the rules are cited here by their numbers. [`rules`] holds the
//! tables (sources in precedence order, aliases, seed providers, suspicion
//! phrases), [`names`] the canonical provider names and categories,
//! [`hygiene`] the corrupt-row classes and [`service`] the service hosts.

mod attribution;
pub(crate) mod hygiene;
mod names;
pub mod rules;
pub mod service;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use dynamicdns_zonetable::name::{self as zone_name, NameProblem};

use names::Names;
pub use rules::*;

/// File name of the lookup, in the app's `lookups/` folder.
pub const LOOKUP_FILE_NAME: &str = "dynamic_dns_providers.csv";
/// File name of the excluded-zones report, beside the lookup.
pub const EXCLUDED_FILE_NAME: &str = "dynamic_dns_excluded.csv";
/// File name of the resolution of `suspicious.csv`, in the data directory.
pub const RESOLUTION_FILE_NAME: &str = "suspicious_resolution.csv";
/// File name of the provider service hosts, beside the lookup.
pub const SERVICE_FILE_NAME: &str = "dynamic_dns_service_hosts.csv";

/// The four files one build produces, as exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The zone list, `lookups/dynamic_dns_providers.csv`: columns
    /// `zone,provider,category,tier,sources`.
    pub lookup: Vec<u8>,
    /// The zones some source names but the suspicious-zone rules exclude,
    /// `lookups/dynamic_dns_excluded.csv`: columns `zone,reason,sources`.
    pub excluded: Vec<u8>,
    /// How each row of `suspicious.csv` was resolved,
    /// `data/suspicious_resolution.csv`: columns `zone,decision,reason`,
    /// decision `exclude`, `extended`, `keep` or `absent`.
    pub resolution: Vec<u8>,
    /// The provider service hosts, `lookups/dynamic_dns_service_hosts.csv`:
    /// columns `host,provider,zone,role,category,source` (rule 10).
    pub service_hosts: Vec<u8>,
}

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
    /// Serialising an output failed.
    #[error("writing the lookup CSV: {0}")]
    Write(String),
}

/// Builds the lookup, the excluded-zones report and the resolution of
/// `suspicious.csv` from the vendored files in `data_dir` (the repository's
/// `data/`); see `data/README.md` for the inputs, rules and
/// formats.
///
/// # Errors
///
/// [`ZoneBuildError`] when a file is missing or unreadable, lacks a column,
/// is not valid CSV/JSON, holds an invalid or duplicate zone, a `maltrail`
/// row without a valid basis tag, a suspicious reason no rule knows, or when
/// the two category files disagree.
pub fn build(data_dir: &Path) -> Result<Built, ZoneBuildError> {
    let names = Names::load(data_dir)?;
    let mut zones = merge(data_dir, &names)?;
    let suspicious_path = data_dir.join("suspicious.csv");
    let suspicious = read_suspicious(&suspicious_path)?;
    attribution::apply(data_dir, &names, &mut zones)?;

    let mut excluded = Vec::new();
    let mut resolution = Vec::with_capacity(suspicious.len());
    for row in suspicious {
        let decision = row.decision.as_str();
        let Some(merged) = zones.get_mut(&row.zone) else {
            let reason =
                format!("named by no vendored source (would be {decision}: {})", row.labels);
            resolution.push([row.zone, "absent".to_string(), reason]);
            continue;
        };
        match row.decision {
            Decision::Keep => {}
            Decision::Extended => merged.core = false,
            Decision::Exclude => {
                let sources = merged.sources_column();
                zones.remove(&row.zone);
                let reason = format!("{} (suspicious.csv: {})", row.labels, row.reason);
                excluded.push([row.zone.clone(), reason, sources]);
            }
        }
        resolution.push([row.zone, decision.to_string(), row.labels]);
    }
    // Rule 9: corrupt rows leave the list, with the reason.
    let tlds = hygiene::Tlds::load(data_dir)?;
    let corrupt: Vec<(String, String)> = zones
        .keys()
        .filter_map(|z| hygiene::corruption(z, &zones, &tlds).map(|r| (z.clone(), r)))
        .collect();
    for (zone, reason) in corrupt {
        if let Some(merged) = zones.remove(&zone) {
            excluded.push([
                zone,
                format!("corrupt source row: {reason}"),
                merged.sources_column(),
            ]);
        }
    }
    excluded.sort();
    resolution.sort();

    let mut lookup = Csv::new(LOOKUP_HEADER)?;
    for (zone, merged) in &zones {
        let provider = merged.provider();
        let category =
            if provider.is_empty() { DEFAULT_CATEGORY } else { names.category_of(provider) };
        let tier = if merged.core { "core" } else { "extended" };
        lookup.row([zone.as_str(), provider, category, tier, &merged.sources_column()])?;
    }
    let mut excluded_csv = Csv::new(EXCLUDED_HEADER)?;
    for row in &excluded {
        excluded_csv.row(row)?;
    }
    let mut resolution_csv = Csv::new(RESOLUTION_HEADER)?;
    for row in &resolution {
        resolution_csv.row(row)?;
    }
    Ok(Built {
        lookup: lookup.finish()?,
        excluded: excluded_csv.finish()?,
        resolution: resolution_csv.finish()?,
        service_hosts: service::build(data_dir, &names)?,
    })
}

/// What the sources say about one zone.
#[derive(Debug, Default)]
struct Merged {
    /// Each source naming a provider for the zone, with that (harmonised)
    /// provider, in precedence order.
    claims: Vec<(&'static str, String)>,
    /// Whether some source names the zone with core evidence.
    core: bool,
    /// The sources naming the zone (sorted).
    sources: BTreeSet<&'static str>,
    /// The provider `attribution.csv` names (rule 11), which comes first.
    curated: Option<String>,
    /// The provider of the first `maltrail` heuristic row naming the zone,
    /// used only when no other source names one (rule 3).
    fallback: Option<String>,
}

impl Merged {
    /// The provider: the curated one, else the first claim in precedence
    /// order, else the heuristic fallback, else empty.
    fn provider(&self) -> &str {
        self.curated
            .as_deref()
            .or_else(|| self.claims.first().map(|(_, provider)| provider.as_str()))
            .or(self.fallback.as_deref())
            .unwrap_or("")
    }

    /// The `sources` column: sorted, `;`-joined.
    fn sources_column(&self) -> String {
        self.sources.iter().copied().collect::<Vec<_>>().join(";")
    }
}

/// Reads every source and merges them by zone (rules 1 to 5 and 7).
fn merge(data_dir: &Path, names: &Names) -> Result<BTreeMap<String, Merged>, ZoneBuildError> {
    let mut zones: BTreeMap<String, Merged> = BTreeMap::new();
    for source in SOURCES {
        let path = data_dir.join("sources").join(format!("{}.csv", source.name));
        for row in read_source(&path, source.kind)? {
            let claim =
                claim(source.kind, &row, names).map_err(|p| line_error(&path, row.line, p))?;
            let merged = zones.entry(row.zone).or_default();
            if claim.heuristic {
                if merged.fallback.is_none() && !claim.provider.is_empty() {
                    merged.fallback = Some(claim.provider);
                }
            } else if !claim.provider.is_empty() {
                merged.claims.push((source.name, claim.provider));
            }
            merged.core |= claim.core;
            merged.sources.insert(source.name);
        }
    }
    Ok(zones)
}

/// What one source row says: a provider (possibly empty), whether it is
/// core evidence, and whether the provider is only a heuristic reading
/// (a last resort, rule 3).
#[derive(Debug)]
struct Claim {
    provider: String,
    core: bool,
    heuristic: bool,
}

/// The basis tag of a `maltrail` row's `source_ref`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Basis {
    /// `[basis: provider page reference]`: the section cites the provider.
    ProviderPage,
    /// `[basis: heuristic …]`: passive DNS, name servers, whois.
    Heuristic,
    /// `[basis: no provider]`: a section without a reference.
    NoProvider,
}

/// The basis tag at the end of a `maltrail` `source_ref`, if it has a known
/// one.
fn maltrail_basis(source_ref: &str) -> Option<Basis> {
    let start = source_ref.rfind("[basis: ")?;
    let tag = source_ref[start + "[basis: ".len()..].strip_suffix(']')?;
    match tag {
        "provider page reference" => Some(Basis::ProviderPage),
        "no provider" => Some(Basis::NoProvider),
        _ if tag.starts_with("heuristic") => Some(Basis::Heuristic),
        _ => None,
    }
}

/// What a row of a source of `kind` claims; `Err` is the problem with the
/// row.
fn claim(kind: Kind, row: &SourceRow, names: &Names) -> Result<Claim, String> {
    let named = || names.harmonise(&row.provider);
    let none = || Claim { provider: String::new(), core: false, heuristic: false };
    let claim = |provider, core| Claim { provider, core, heuristic: false };
    Ok(match kind {
        Kind::ProviderSubmitted | Kind::CuratedRules => claim(named(), true),
        Kind::ProviderPages => {
            let provider = named();
            let core = !provider.is_empty() && provider != FREEDNS;
            claim(provider, core)
        }
        Kind::MaltrailSections => match (maltrail_basis(&row.source_ref), row.provider.is_empty())
        {
            (Some(Basis::ProviderPage), false) => claim(named(), true),
            (Some(Basis::Heuristic), _) => {
                Claim { provider: named(), core: false, heuristic: true }
            }
            (Some(Basis::NoProvider), true) => none(),
            (Some(basis), _) => {
                return Err(format!(
                    "basis {basis:?} in source_ref contradicts provider {:?}",
                    row.provider
                ))
            }
            (None, _) => {
                return Err(format!(
                    "source_ref {:?} does not end in a known `[basis: …]` tag \
                     (provider page reference, heuristic…, no provider)",
                    row.source_ref
                ))
            }
        },
        Kind::Seed => claim(seed_provider(&row.zone).map_or_else(named, str::to_string), true),
        Kind::ZonesOnly => none(),
    })
}

/// One row of a source file.
#[derive(Debug)]
struct SourceRow {
    line: u64,
    zone: String,
    provider: String,
    /// Empty unless the source's kind needs it.
    source_ref: String,
}

/// The provider of a `seed_kql` zone, per [`SEED_ZONE_PROVIDERS`].
fn seed_provider(zone: &str) -> Option<&'static str> {
    SEED_ZONE_PROVIDERS.iter().find(|(z, _)| *z == zone).map(|&(_, provider)| provider)
}

/// A resolved row of `suspicious.csv`.
#[derive(Debug)]
struct Suspicious {
    zone: String,
    /// The research's reason, as given.
    reason: String,
    /// The strongest decision of the reason's parts.
    decision: Decision,
    /// The labels of the rules that made the decision, `; `-joined.
    labels: String,
}

/// Reads `suspicious.csv` and resolves each row by [`SUSPICION_RULES`].
fn read_suspicious(path: &Path) -> Result<Vec<Suspicious>, ZoneBuildError> {
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::new();
    for (line, row) in read_table(path, &["zone", "reason"])? {
        let [zone, reason] = <[String; 2]>::try_from(row)
            .map_err(|_| line_error(path, line, "wrong number of columns read".to_string()))?;
        if let Some(problem) = zone_problem(&zone) {
            return Err(line_error(path, line, problem));
        }
        if let Some(first) = first_line.insert(zone.clone(), line) {
            let problem = format!("zone {zone:?} is already listed on line {first}");
            return Err(line_error(path, line, problem));
        }
        let (decision, labels) = resolve_reason(&reason)
            .map_err(|problem| line_error(path, line, format!("zone {zone:?}: {problem}")))?;
        rows.push(Suspicious { zone, reason, decision, labels: labels.join("; ") });
    }
    Ok(rows)
}

/// The decision for a suspicious zone's reason and the labels of the rules
/// that made it (rule 8); `Err` names the part no rule knows, or says
/// that no part decides.
fn resolve_reason(reason: &str) -> Result<(Decision, Vec<&'static str>), String> {
    let mut decided: Vec<(Decision, &'static str)> = Vec::new();
    for part in reason_parts(reason) {
        let lower = part.to_lowercase();
        let rule =
            SUSPICION_RULES.iter().find(|r| lower.starts_with(r.phrase)).ok_or_else(|| {
                format!(
                    "reason part {part:?} matches no rule; add its phrase to SUSPICION_RULES \
                 in xtask/src/zonebuild/rules.rs"
                )
            })?;
        if let Some(decision) = rule.decision {
            decided.push((decision, rule.label));
        }
    }
    let strongest = decided.iter().map(|&(d, _)| d).max().ok_or_else(|| {
        format!("reason {reason:?} has no deciding part (only informational ones)")
    })?;
    let mut labels = Vec::new();
    for (decision, label) in decided {
        if decision == strongest && !labels.contains(&label) {
            labels.push(label);
        }
    }
    Ok((strongest, labels))
}

/// The parts of a reason: split at each `;` outside parentheses, trimmed,
/// empty parts dropped (`"a (b; c); d"` → `a (b; c)`, `d`).
fn reason_parts(reason: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in reason.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ';' if depth == 0 => {
                parts.push(&reason[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&reason[start..]);
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// Reads and validates one source file.
fn read_source(path: &Path, kind: Kind) -> Result<Vec<SourceRow>, ZoneBuildError> {
    let columns: &[&str] = if kind == Kind::MaltrailSections {
        &["zone", "provider", "source_ref"]
    } else {
        &["zone", "provider"]
    };
    let table = read_table(path, columns)?;
    let mut first_line: HashMap<String, u64> = HashMap::with_capacity(table.len());
    let mut rows = Vec::with_capacity(table.len());
    for (line, row) in table {
        let mut values = row.into_iter();
        let (Some(zone), Some(provider)) = (values.next(), values.next()) else {
            return Err(line_error(path, line, "wrong number of columns read".to_string()));
        };
        let source_ref = values.next().unwrap_or_default();
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
        rows.push(SourceRow { line, zone, provider, source_ref });
    }
    Ok(rows)
}

/// Reads a CSV file with a header row and returns, for each record, its line
/// number and the values of `columns` (looked up by header name).
pub(crate) fn read_table(
    path: &Path,
    columns: &[&str],
) -> Result<Vec<(u64, Vec<String>)>, ZoneBuildError> {
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

/// A CSV output being written: LF line endings, quoting only where needed.
pub(crate) struct Csv(csv::Writer<Vec<u8>>);

impl Csv {
    /// A new output with its header row.
    pub(crate) fn new<const N: usize>(header: [&str; N]) -> Result<Csv, ZoneBuildError> {
        let writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(Vec::new());
        let mut csv = Csv(writer);
        csv.row(header)?;
        Ok(csv)
    }

    /// Writes one row.
    pub(crate) fn row<I, T>(&mut self, fields: I) -> Result<(), ZoneBuildError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.0.write_record(fields).map_err(|e| ZoneBuildError::Write(e.to_string()))
    }

    /// The bytes written.
    pub(crate) fn finish(self) -> Result<Vec<u8>, ZoneBuildError> {
        self.0.into_inner().map_err(|e| ZoneBuildError::Write(e.error().to_string()))
    }
}

/// Why `zone` is not a valid zone (rule 1), if it is not.
fn zone_problem(zone: &str) -> Option<String> {
    zone_name::problem(zone.as_bytes()).map(|p| match p {
        NameProblem::Empty => "empty zone".to_string(),
        p => format!("zone {zone:?} {p}"),
    })
}

/// Why `name` is not acceptable as a provider name, if it is not.
pub(crate) fn name_problem(name: &str) -> Option<String> {
    name.chars().any(char::is_control).then(|| "name contains a control character".to_string())
}

/// Why `category` is not acceptable, if it is not.
pub(crate) fn category_problem(category: &str) -> Option<String> {
    let ok = !category.is_empty() && category.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    (!ok).then(|| format!("category {category:?} is not a lower-case token like `ddns`"))
}

/// Reads a whole file.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, ZoneBuildError> {
    std::fs::read(path).map_err(|source| ZoneBuildError::Read { path: path.to_path_buf(), source })
}

/// A whole-file error.
pub(crate) fn file_error(path: &Path, problem: String) -> ZoneBuildError {
    ZoneBuildError::File { path: path.to_path_buf(), problem }
}

/// An error on one line.
pub(crate) fn line_error(path: &Path, line: u64, problem: String) -> ZoneBuildError {
    ZoneBuildError::Line { path: path.to_path_buf(), line, problem }
}

/// A CSV parse error, with its line when the parser knows it.
pub(crate) fn csv_error(path: &Path, err: &csv::Error) -> ZoneBuildError {
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
pub(crate) fn json_error(path: &Path, err: &serde_json::Error) -> ZoneBuildError {
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
mod tests;

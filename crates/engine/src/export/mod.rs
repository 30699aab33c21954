//! Exports of the zone list for other platforms (`dynamicdns zones export`):
//! a CSV or JSON table, a KQL query (Microsoft Sentinel / Defender XDR),
//! Suricata rules, a Zeek script, Sigma rules, a MISP warninglist and an
//! Elasticsearch enrich pipeline.
//!
//! Every matching format implements the verdict rule in the platform's own
//! terms, not as a substring match: a host matches iff it lies **strictly
//! below** an exported zone on label boundaries; the longest zone names the
//! provider; the apex, look-alikes (`myduckdns.org`,
//! `duckdns.org.evil.com`) and names with empty labels do not match; a
//! provider service host (`checkip.dyndns.org`) is not a dynamic-DNS host.
//! Each module says where its platform cannot follow the rule exactly.
//!
//! Every export names the data version ([`DataVersion`]) and the licences of
//! the sources that contributed its zones, and is deterministic: the same
//! data gives the same bytes (no clock, sorted rows). The binary writes an
//! export to stdout only; a format with several files is exported one
//! [part](Format::parts) per run.

mod elastic;
mod kql;
mod misp;
mod options;
mod sigma;
mod suricata;
mod table;
mod zeek;

pub use elastic::{
    CANDIDATES_SCRIPT as ELASTIC_CANDIDATES_SCRIPT, VERDICT_SCRIPT as ELASTIC_VERDICT_SCRIPT,
};
pub use options::{KqlSource, Options, SuricataMode, ZeekData};
pub use sigma::{rule_id as sigma_rule_id, ID_NAMESPACE as SIGMA_ID_NAMESPACE};
pub use zeek::ZONE_OF as ZEEK_ZONE_OF;

use std::collections::HashMap;
use std::fmt;

use dynamicdns_zonetable::Tier;

use crate::zoneset::{TierSelection, ZoneRow, ZoneSet};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/export_data.rs"));
}

/// The version of the shipped zone data and the sha256 of its two lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataVersion {
    /// `YYYY.MM.DD`, from `data/VERSION`.
    pub version: &'static str,
    /// sha256 (hex) of `lookups/dynamic_dns_providers.csv` as compiled in.
    pub lookup_sha256: &'static str,
    /// sha256 (hex) of `lookups/dynamic_dns_service_hosts.csv` as compiled in.
    pub service_sha256: &'static str,
}

impl DataVersion {
    /// The version compiled into the binary (the sha256 are those of the
    /// lists as built, whatever `data/VERSION` records).
    pub fn embedded() -> DataVersion {
        DataVersion {
            version: generated::DATA_VERSION,
            lookup_sha256: generated::LOOKUP_SHA256,
            service_sha256: generated::SERVICE_SHA256,
        }
    }

    /// The sha256 of the two lists as `data/VERSION` records them (a test
    /// holds them equal to the built ones, so a data change bumps the
    /// version).
    pub fn recorded_sha256() -> (&'static str, &'static str) {
        (generated::RECORDED_LOOKUP_SHA256, generated::RECORDED_SERVICE_SHA256)
    }

    /// The version as a number, `YYYYMMDD` (MISP list version, Suricata rev).
    pub fn number(&self) -> u32 {
        self.version
            .bytes()
            .filter(u8::is_ascii_digit)
            .fold(0, |n, d| n * 10 + u32::from(d - b'0'))
    }

    /// The version as a date, `YYYY-MM-DD` (Sigma's `date`).
    pub fn date(&self) -> String {
        self.version.replace('.', "-")
    }

    /// The first 12 hex digits of the zone list's sha256.
    pub fn short_sha(&self) -> &'static str {
        &self.lookup_sha256[..self.lookup_sha256.len().min(12)]
    }
}

/// One source of the zone list: its name (as in a row's `sources`), its
/// licence (SPDX id; empty for the project's own data) and origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// The name as in `sources` (`psl`, `et_open` …).
    pub name: &'static str,
    /// SPDX licence id, empty when none applies.
    pub license: &'static str,
    /// Where the data comes from (`data/README.md` has the commits).
    pub origin: &'static str,
}

/// The zone list's sources in the zone build's precedence order
/// (`xtask/src/zonebuild/rules.rs`), with the licences `data/README.md`
/// records.
pub const SOURCES: &[Source] = &[
    Source { name: "psl", license: "MPL-2.0", origin: "Public Suffix List, private section" },
    Source { name: "dyn_dns_list", license: "Unlicense", origin: "alexandrosmagos/dyn-dns-list" },
    Source { name: "sublime", license: "MIT", origin: "sublime-security/static-files" },
    Source { name: "et_open", license: "BSD-3-Clause", origin: "Emerging Threats Open rules" },
    Source { name: "maltrail", license: "MIT", origin: "stamparm/maltrail" },
    Source { name: "seed_kql", license: "", origin: "the project's Defender/KQL seed" },
    Source { name: "misp", license: "CC0-1.0", origin: "MISP/misp-warninglists" },
    Source {
        name: "security_content",
        license: "Apache-2.0",
        origin: "splunk/security_content (ESCU)",
    },
    Source { name: "sigma", license: "DRL-1.1", origin: "SigmaHQ/sigma" },
    Source { name: "nolovia", license: "Apache-2.0", origin: "parseword/nolovia" },
];

/// A Sigma rule whose zones the list took (DRL 1.1 asks exports to keep
/// its author, a link to it and the licence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigmaOrigin {
    /// Path in SigmaHQ/sigma.
    pub path: &'static str,
    /// The rule's id.
    pub id: &'static str,
    /// The rule's author.
    pub author: &'static str,
}

/// The two Sigma rules of `data/sources/sigma.csv`, in its `source_ref`
/// order (index = the number `build.rs` gives each zone).
pub const SIGMA_ORIGINS: [SigmaOrigin; 2] = [
    SigmaOrigin {
        path: "rules/web/proxy_generic/proxy_download_susp_dyndns.yml",
        id: "195c1119-ef07-4909-bb12-e66f5e07bf3c",
        author: "Florian Roth (Nextron Systems)",
    },
    SigmaOrigin {
        path: "rules-threat-hunting/network/net_dns_low_reputation_etld.yml",
        id: "cf5ee356-65c4-4556-8d11-6977fcdfed4b",
        author: "Norbert Jaśniewicz (AlphaSOC)",
    },
];

/// The Sigma rule (index into [`SIGMA_ORIGINS`]) a zone was taken from.
pub fn sigma_origin(zone: &str) -> Option<&'static SigmaOrigin> {
    let i = generated::SIGMA_ZONES.binary_search_by(|(z, _)| (*z).cmp(zone)).ok()?;
    SIGMA_ORIGINS.get(usize::from(generated::SIGMA_ZONES[i].1))
}

/// A zone's index in the Suricata sid registry (`data/suricata_sids.csv`).
pub fn sid_index(zone: &str) -> Option<u32> {
    let i = generated::SID_INDEX.binary_search_by(|(z, _)| (*z).cmp(zone)).ok()?;
    Some(generated::SID_INDEX[i].1)
}

/// A provider service host: the exact host, its provider, the provider's
/// zone and the host's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceRow<'a> {
    /// The host (`checkip.dyndns.org`).
    pub host: &'a str,
    /// Its provider.
    pub provider: &'a str,
    /// The provider's zone the host lies in.
    pub zone: &'a str,
    /// `update`, `check-ip`, `api`, `web` or `nameserver`.
    pub role: &'a str,
}

/// The formats of `zones export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// The zone table as CSV (a Sentinel watchlist, a Splunk lookup …).
    Csv,
    /// The zone table and service hosts as one JSON document.
    Json,
    /// A KQL query with the zones as a `datatable` (Sentinel, Defender XDR).
    Kql,
    /// Suricata rules (content rules, or dataset rules plus dataset files).
    Suricata,
    /// A Zeek script adding the verdict to `dns.log`.
    Zeek,
    /// Sigma rules, one per log source and provider.
    Sigma,
    /// A MISP warninglist.
    Misp,
    /// An Elasticsearch enrich index, policy and ingest pipeline.
    Elastic,
}

/// Every format, in the order help lists them.
pub const FORMATS: &[Format] = &[
    Format::Kql,
    Format::Suricata,
    Format::Zeek,
    Format::Sigma,
    Format::Misp,
    Format::Elastic,
    Format::Csv,
    Format::Json,
];

impl Format {
    /// The format of a name (`kql`, `suricata` …, any case).
    pub fn parse(name: &str) -> Option<Format> {
        FORMATS.iter().copied().find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// The format's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Kql => "kql",
            Format::Suricata => "suricata",
            Format::Zeek => "zeek",
            Format::Sigma => "sigma",
            Format::Misp => "misp",
            Format::Elastic => "elastic",
        }
    }

    /// The tier exported when none is asked for: `core` where the
    /// platform's artefact would be impractical with every zone (a query
    /// text, rules, a script), else `all`.
    pub fn default_tier(self) -> TierSelection {
        match self {
            Format::Kql | Format::Suricata | Format::Zeek | Format::Sigma => TierSelection::Core,
            Format::Csv | Format::Json | Format::Misp | Format::Elastic => TierSelection::All,
        }
    }

    /// The parts of the format's artefact for these options and tier (the
    /// first is the main one).
    pub fn parts(self, options: &Options, tier: TierSelection) -> &'static [&'static str] {
        match self {
            Format::Csv => &["csv"],
            Format::Json => &["json"],
            Format::Kql => &["query"],
            Format::Sigma => &["rules"],
            Format::Misp => &["warninglist"],
            Format::Elastic => &["index", "bulk", "policy", "pipeline"],
            Format::Suricata => match options.suricata_mode(tier) {
                SuricataMode::Content => &["rules"],
                SuricataMode::Dataset => &["rules", "zones", "service-hosts"],
            },
            Format::Zeek => match options.zeek_data(tier) {
                ZeekData::Inline => &["script"],
                ZeekData::File => &["script", "zones"],
            },
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an export cannot be made as asked (all usage errors).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// The format's artefact has several parts and none was named.
    #[error(
        "--format {format} writes {n} files; name one with --part ({parts}), one run each:\n{commands}",
        n = parts.len(),
        parts = parts.join(", "),
        commands = commands.join("\n")
    )]
    PartRequired {
        /// The format.
        format: Format,
        /// Its parts.
        parts: Vec<&'static str>,
        /// One command line per part.
        commands: Vec<String>,
    },
    /// The part named is not one of the format's.
    #[error("--format {format} has no part {part:?}; its parts: {}", parts.join(", "))]
    UnknownPart {
        /// The format.
        format: Format,
        /// The part asked for.
        part: String,
        /// Its parts.
        parts: Vec<&'static str>,
    },
    /// The combination of format, tier and options is not offered.
    #[error("{0}")]
    NotOffered(String),
}

/// The data an export is made from: the zones of one tier selection, the
/// provider service hosts and the data version.
#[derive(Clone, Debug)]
pub struct ExportData<'a> {
    zones: Vec<ZoneRow<'a>>,
    service: Vec<ServiceRow<'a>>,
    tier: TierSelection,
    version: DataVersion,
    index: HashMap<&'a str, usize>,
    max_labels: usize,
}

impl<'a> ExportData<'a> {
    /// The shipped list of `set` (its local additions are not exported:
    /// an export is a function of the data version) at `tier`, with its
    /// service hosts and the embedded data version.
    pub fn from_set(set: &'a ZoneSet, tier: TierSelection) -> ExportData<'a> {
        let zones = set.rows().filter(|r| tier == TierSelection::All || r.tier == Tier::Core);
        let service = set.service_hosts().into_iter().flat_map(|s| s.iter()).map(|(host, m)| {
            ServiceRow { host, provider: m.provider, zone: m.zone, role: m.role.unwrap_or("") }
        });
        ExportData::new(zones.collect(), service.collect(), tier, DataVersion::embedded())
    }

    /// Data from explicit rows (sorted here by zone and host).
    pub fn new(
        mut zones: Vec<ZoneRow<'a>>,
        mut service: Vec<ServiceRow<'a>>,
        tier: TierSelection,
        version: DataVersion,
    ) -> ExportData<'a> {
        zones.sort_by(|a, b| a.zone.cmp(b.zone));
        zones.dedup_by(|a, b| a.zone == b.zone);
        service.sort_by(|a, b| a.host.cmp(b.host));
        let index = zones.iter().enumerate().map(|(i, r)| (r.zone, i)).collect();
        let max_labels = zones.iter().map(|r| labels(r.zone)).max().unwrap_or(2);
        ExportData { zones, service, tier, version, index, max_labels }
    }

    /// The zones, sorted by name.
    pub fn zones(&self) -> &[ZoneRow<'a>] {
        &self.zones
    }

    /// Every provider service host, sorted.
    pub fn service_hosts(&self) -> &[ServiceRow<'a>] {
        &self.service
    }

    /// The tier selection exported.
    pub fn tier(&self) -> TierSelection {
        self.tier
    }

    /// The data version.
    pub fn version(&self) -> DataVersion {
        self.version
    }

    /// The most labels any zone has: the longest suffix a matcher needs to
    /// look up.
    pub fn max_labels(&self) -> usize {
        self.max_labels
    }

    /// The reference verdict the exports implement, on a host as a
    /// platform sees it: lower-cased, one trailing dot dropped, no empty
    /// label; the longest zone among its suffixes of 2 .. labels − 1
    /// labels, and whether the host is a service host below it.
    pub fn zone_of(&self, host: &str) -> Option<(&ZoneRow<'a>, bool)> {
        let h = host.to_ascii_lowercase();
        let h = h.strip_suffix('.').unwrap_or(&h);
        if h.is_empty() || h.split('.').any(str::is_empty) {
            return None;
        }
        let mut best = None;
        // Each dot starts a suffix strictly shorter than the host.
        for (i, b) in h.bytes().enumerate().rev() {
            if b == b'.' {
                let suffix = &h[i + 1..];
                let n = labels(suffix);
                if n > self.max_labels {
                    break;
                }
                if let Some(&z) = self.index.get(suffix).filter(|_| n >= 2) {
                    best = Some(&self.zones[z]);
                }
            }
        }
        best.map(|z| (z, self.service.iter().any(|s| s.host == h)))
    }

    /// The longest zone strictly above `name` (a zone or a host), if any.
    fn parent_zone(&self, name: &str) -> Option<&ZoneRow<'a>> {
        let mut best = None;
        for (i, b) in name.bytes().enumerate().rev() {
            if b == b'.' {
                if let Some(&z) = self.index.get(&name[i + 1..]) {
                    best = Some(&self.zones[z]);
                }
            }
        }
        best
    }

    /// The zones whose longest zone above is `zone` (the nested zones a
    /// matcher of `zone` must leave to their own rule).
    fn children(&self) -> HashMap<&'a str, Vec<&'a str>> {
        let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
        for r in &self.zones {
            if let Some(p) = self.parent_zone(r.zone) {
                map.entry(p.zone).or_default().push(r.zone);
            }
        }
        map
    }

    /// The service hosts that lie strictly below an exported zone (the
    /// only ones a matcher must exclude), with that zone.
    pub fn matching_service_hosts(&self) -> Vec<(&ServiceRow<'a>, &ZoneRow<'a>)> {
        self.service.iter().filter_map(|s| self.parent_zone(s.host).map(|z| (s, z))).collect()
    }

    /// The sources that contributed zones, in precedence order.
    pub fn sources(&self) -> Vec<&'static Source> {
        let used: std::collections::HashSet<&str> =
            self.zones.iter().flat_map(|r| r.sources.split(';')).collect();
        SOURCES.iter().filter(|s| used.contains(s.name)).collect()
    }

    /// The Sigma rules whose zones are exported.
    fn sigma_origins(&self) -> Vec<&'static SigmaOrigin> {
        let mut v: Vec<&SigmaOrigin> = SIGMA_ORIGINS
            .iter()
            .filter(|o| self.zones.iter().any(|r| sigma_origin(r.zone) == Some(o)))
            .collect();
        v.dedup();
        v
    }

    /// `psl MPL-2.0; dyn_dns_list Unlicense; …` for the sources used.
    pub fn licence_line(&self) -> String {
        let parts: Vec<String> = self
            .sources()
            .iter()
            .map(|s| match s.license {
                "" => format!("{} (project data, no licence)", s.name),
                l => format!("{} {l}", s.name),
            })
            .collect();
        parts.join("; ")
    }

    /// The provenance header every export carries (without comment marks):
    /// the command, the versions and counts, the licences, the rule.
    pub fn provenance(&self, format: Format, extra: &str) -> Vec<String> {
        let v = self.version;
        let mut lines = vec![
            format!("dynamicdns zones export --format {format} --tier {}{extra}", tier_name(self.tier)),
            format!(
                "dynamicdns {}, zone data {} (lookups/dynamic_dns_providers.csv sha256 {}), {} zones, {} service hosts",
                env!("CARGO_PKG_VERSION"),
                v.version,
                v.short_sha(),
                self.zones.len(),
                self.matching_service_hosts().len(),
            ),
            format!("Zone sources and licences: {}.", self.licence_line()),
        ];
        let authors: Vec<&str> = self.sigma_origins().iter().map(|o| o.author).collect();
        if !authors.is_empty() {
            lines.push(format!("Sigma-derived zones (DRL-1.1): {}.", authors.join(", ")));
        }
        lines.push(VERDICT_1.to_string());
        lines.push(VERDICT_2.to_string());
        lines
    }
}

const VERDICT_1: &str = "Verdict: a host matches iff it lies strictly below a zone (whole labels; the longest zone names the provider)";
const VERDICT_2: &str =
    "and is not a provider service host. The zone apex, look-alikes and mentions are not matched.";

/// `core` or `all`.
pub fn tier_name(t: TierSelection) -> &'static str {
    match t {
        TierSelection::Core => "core",
        TierSelection::All => "all",
    }
}

/// Labels in a name.
fn labels(name: &str) -> usize {
    name.bytes().filter(|&b| b == b'.').count() + 1
}

/// Writes the export of `data` in `format` to `out`.
pub fn export(
    data: &ExportData<'_>,
    format: Format,
    options: &Options,
    out: &mut String,
) -> Result<(), ExportError> {
    let unused = options.unused_by(format);
    if !unused.is_empty() {
        return Err(ExportError::NotOffered(format!(
            "--format {format} does not take {}",
            unused.join(", ")
        )));
    }
    let tier = data.tier;
    let parts = format.parts(options, tier);
    let part = match &options.part {
        Some(p) if parts.contains(&p.as_str()) => parts.iter().copied().find(|x| x == p).unwrap(),
        Some(p) => {
            return Err(ExportError::UnknownPart {
                format,
                part: p.clone(),
                parts: parts.to_vec(),
            })
        }
        None if parts.len() == 1 => parts[0],
        None => {
            let mut extra = String::new();
            if format == Format::Suricata {
                extra = format!(
                    " --suricata-mode {}",
                    suricata_mode_name(options.suricata_mode(tier))
                );
            }
            if format == Format::Zeek {
                extra = format!(" --zeek-data {}", zeek_data_name(options.zeek_data(tier)));
            }
            let commands = parts
                .iter()
                .map(|p| {
                    format!(
                        "  dynamicdns zones export --format {format} --tier {}{extra} --part {p} > {}",
                        tier_name(tier),
                        part_file(format, p)
                    )
                })
                .collect();
            return Err(ExportError::PartRequired { format, parts: parts.to_vec(), commands });
        }
    };
    match format {
        Format::Csv => table::csv(data, options, out),
        Format::Json => table::json(data, out),
        Format::Kql => kql::query(data, options, out),
        Format::Suricata => match options.suricata_mode(tier) {
            SuricataMode::Content => suricata::content(data, out),
            SuricataMode::Dataset => suricata::dataset(data, part, out),
        },
        Format::Zeek => zeek::export(data, options.zeek_data(tier), part, out),
        Format::Sigma => sigma::rules(data, out),
        Format::Misp => misp::warninglist(data, out),
        Format::Elastic => elastic::export(data, options, part, out),
    }
}

/// The file name the README suggests for a part.
pub fn part_file(format: Format, part: &str) -> &'static str {
    match (format, part) {
        (Format::Suricata, "rules") => "dynamicdns.rules",
        (Format::Suricata, "zones") => suricata::ZONES_FILE,
        (Format::Suricata, "service-hosts") => suricata::SERVICE_FILE,
        (Format::Zeek, "script") => "dynamicdns.zeek",
        (Format::Zeek, "zones") => zeek::ZONES_FILE,
        (Format::Elastic, "index") => "dynamicdns-index.json",
        (Format::Elastic, "bulk") => "dynamicdns-zones.ndjson",
        (Format::Elastic, "policy") => "dynamicdns-policy.json",
        (Format::Elastic, "pipeline") => "dynamicdns-pipeline.json",
        (Format::Kql, _) => "dynamicdns.kql",
        (Format::Sigma, _) => "dynamicdns_sigma.yml",
        (Format::Misp, _) => "dynamicdns-warninglist.json",
        (Format::Csv, _) => "dynamicdns-zones.csv",
        (Format::Json, _) => "dynamicdns-zones.json",
        _ => "FILE",
    }
}

/// `content` or `dataset`.
pub fn suricata_mode_name(m: SuricataMode) -> &'static str {
    match m {
        SuricataMode::Content => "content",
        SuricataMode::Dataset => "dataset",
    }
}

/// `inline` or `file`.
pub fn zeek_data_name(d: ZeekData) -> &'static str {
    match d {
        ZeekData::Inline => "inline",
        ZeekData::File => "file",
    }
}

/// Appends `lines` to `out`, each after `prefix`.
fn comment(out: &mut String, prefix: &str, lines: &[String]) {
    for l in lines {
        out.push_str(prefix);
        if !l.is_empty() {
            out.push(' ');
            out.push_str(l);
        }
        out.push('\n');
    }
}

/// The lowercase hex sha256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    hmac_sha256::Hash::hash(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

#[cfg(test)]
mod tests;

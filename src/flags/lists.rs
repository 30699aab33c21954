//! The lists and texts the tables in [`super::defs`] are made from: the
//! words a flag takes and the help texts that name formats, parts, tiers
//! and output fields, all from the engine's own lists.

use dynamicdns_engine::export::{self, Format, SuricataMode, ZeekData, FORMATS};
use dynamicdns_engine::options::Options;
use dynamicdns_engine::verdict::Field;
use dynamicdns_engine::zoneset::TierSelection;

use super::EnrichFormat;
use dynamicdns_engine::enrich;

/// `--tier`'s words.
pub fn tier_names() -> Vec<&'static str> {
    [TierSelection::All, TierSelection::Core].map(export::tier_name).to_vec()
}

pub(super) fn tier_help() -> String {
    let default = export::tier_name(Options::default().tiers);
    let names = tier_names().join(" or ");
    format!(
        "{names} (default: {default}): core uses only zones with provider-owned or curated \
         evidence, all adds the extended long tail (FreeDNS registry)"
    )
}

/// `enrich --format`'s words.
pub fn enrich_format_names() -> Vec<&'static str> {
    enrich::FORMATS.iter().map(|f| f.name()).collect()
}

pub(super) fn enrich_format_help() -> String {
    let mut h = String::from("the input's format:");
    for &f in enrich::FORMATS {
        let default = if f == EnrichFormat::default() { " (default)" } else { "" };
        h.push_str(&format!("\n{}{default}: {}", f.name(), enrich_format_about(f)));
    }
    h
}

/// What each input format of `enrich` is (help only).
pub(super) fn enrich_format_about(f: EnrichFormat) -> &'static str {
    match f {
        EnrichFormat::Csv => "CSV with a header row",
        EnrichFormat::Jsonl => "one JSON object per line (Zeek JSON, Suricata eve, Sysmon)",
        EnrichFormat::Zeek => "Zeek's TSV logs with #fields",
    }
}

/// `zones export --format`'s words.
pub fn export_format_names() -> Vec<&'static str> {
    FORMATS.iter().map(|f| f.name()).collect()
}

/// What each export format is for (help only; the match makes a new
/// format a compile error here until it is described).
pub(super) fn export_format_about(f: Format) -> &'static str {
    match f {
        Format::Kql => "a query for Microsoft Sentinel and Defender XDR",
        Format::Suricata => "Suricata rules",
        Format::Zeek => "a Zeek script adding the verdict to dns.log",
        Format::Sigma => "Sigma rules",
        Format::Misp => "a MISP warninglist",
        Format::Elastic => "an Elasticsearch enrich index, policy and ingest pipeline",
        Format::Csv => "the zone table as CSV (a Sentinel watchlist, a lookup)",
        Format::Json => "the zone table and service hosts as one JSON document",
    }
}

/// A format's parts with the default options, per tier: one entry when
/// the tier does not change them.
pub(super) fn parts_by_tier(f: Format) -> Vec<(TierSelection, &'static [&'static str])> {
    let o = export::Options::default();
    let (core, all) = (f.parts(&o, TierSelection::Core), f.parts(&o, TierSelection::All));
    if core == all {
        vec![(f.default_tier(), core)]
    } else {
        vec![(TierSelection::Core, core), (TierSelection::All, all)]
    }
}

pub(super) fn export_format_help() -> String {
    let mut h = String::from("the output format (required):");
    for &f in FORMATS {
        let tier = export::tier_name(f.default_tier());
        h.push_str(&format!("\n{f}: {}; default tier {tier}", export_format_about(f)));
        let by_tier = parts_by_tier(f);
        for (t, parts) in &by_tier {
            let when = if by_tier.len() > 1 {
                format!(" with tier {}", export::tier_name(*t))
            } else {
                String::new()
            };
            if parts.len() > 1 {
                h.push_str(&format!("; parts{when}: {}", parts.join(", ")));
            } else if by_tier.len() > 1 {
                h.push_str(&format!("; one file{when}"));
            }
        }
    }
    h
}

/// Every part name of every format, each once.
pub fn part_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for &f in FORMATS {
        for (_, parts) in parts_by_tier(f) {
            for p in parts {
                if parts.len() > 1 && !names.contains(p) {
                    names.push(p);
                }
            }
        }
    }
    names
}

pub(super) fn part_help() -> String {
    let mut h = String::from(
        "the part to write when the format makes several files (one run each; output goes \
         to stdout only):",
    );
    for &f in FORMATS {
        let mut parts: Vec<&str> = Vec::new();
        for (_, ps) in parts_by_tier(f) {
            if ps.len() > 1 {
                parts.extend(ps.iter().filter(|p| !parts.contains(p)).collect::<Vec<_>>());
            }
        }
        if !parts.is_empty() {
            h.push_str(&format!("\n{f}: {}", parts.join(", ")));
        }
    }
    h
}

/// `--suricata-mode`'s words.
pub fn suricata_mode_names() -> Vec<&'static str> {
    [SuricataMode::Content, SuricataMode::Dataset].map(export::suricata_mode_name).to_vec()
}

/// `--zeek-data`'s words.
pub fn zeek_data_names() -> Vec<&'static str> {
    [ZeekData::Inline, ZeekData::File].map(export::zeek_data_name).to_vec()
}

/// `--kql-source`'s words, in [`export::KqlSource`]'s order (the parser
/// maps them by position).
pub fn kql_source_names() -> Vec<&'static str> {
    vec!["datatable", "watchlist", "externaldata"]
}

/// `--generate`'s words.
pub fn generate_names() -> Vec<&'static str> {
    crate::generate::KINDS.iter().map(|k| k.0).collect()
}

pub(super) fn generate_help() -> String {
    let mut h = String::from("print one of these to stdout:");
    for (name, what, _) in crate::generate::KINDS {
        h.push_str(&format!("\n{name}: {what}"));
    }
    h
}

/// The verdict fields and what they hold, one line each.
pub fn output_fields() -> String {
    Field::ALL.map(|f| format!("{}: {}", f.default_name(), f.description())).join("\n")
}

/// The verdict fields' names, comma-separated.
pub(super) fn field_names(sep: &str) -> String {
    Field::ALL.map(Field::default_name).join(sep)
}

pub(super) fn scp_about() -> String {
    format!(
        "Speaks Splunk's custom search command protocol v2 (chunked) on stdin and stdout; \
         commands.conf runs it. SPL options arrive in the getinfo request:\n\n  | {}",
        dynamicdns_engine::options::USAGE
    )
}

pub(super) fn check_about() -> String {
    format!(
        "Judges each VALUE (a host name, URL, host:port …), or each line of stdin when no \
         VALUE (or `-`) is given, and writes CSV: value,{} — one row per value, in input order.",
        field_names(",")
    )
}

pub(super) fn enrich_about() -> String {
    format!(
        "Reads a log (FILE, or stdin when FILE is - or absent) and writes it to stdout with \
         {} added. Every input record comes out, in order, byte for byte, with the new \
         fields appended: CSV as columns, --format jsonl as keys before each object's \
         closing brace, --format zeek as columns of #fields/#types and each line. With \
         stderr a terminal, a line on stderr shows the records, bytes/s and hits so far, and \
         a summary at the end.",
        field_names(", ")
    )
}

pub(super) fn lookup_about() -> String {
    format!(
        "Splunk external lookup (transforms.conf external_type = executable). Reads a CSV \
         with a header row on stdin (the lookup's fields_list, e.g. query,{}) and writes the \
         same CSV to stdout with the verdict fields the header has filled from FIELD's value \
         (default: query). Rows that carry only output values (a reverse lookup) are \
         answered with FIELD=* (any host).",
        field_names(",")
    )
}

pub(super) const INFO_ABOUT: &str = "\
Without options: the health command | dynamicdnsinfo [distributed=<bool>], a generating \
command speaking Splunk's custom search command protocol v2 on stdin and stdout \
(commands.conf runs it; on a terminal it says so and exits). It answers with one row: \
version, build, CPU, app folder, zone counts per tier and category, provider service hosts, \
the local files found with their row counts, and their problems. distributed=true (in SPL) \
runs it on every indexer too.

With --text: prints the same fields as `key: value` lines, one per value of a multivalue \
field, for admins outside Splunk (e.g. bin/dynamicdns.sh info --text in the installed app). \
The exit status is 0 whatever `status` says.";

pub(super) const VALIDATE_ABOUT: &str = "\
Checks local files (zones: zone[,provider][,category][,tier]; allowlist: host, provider or \
category[,reason][,expires]); prints every bad row with its line and exits 1 if there is \
one. A file is read as an allowlist when its name contains `allowlist` or its header has no \
`zone` column.";

pub(super) const STATS_ABOUT: &str = "\
Counts zones per tier, category, provider and source in a zone list (default: the list \
compiled into this binary).";

pub(super) fn export_about() -> String {
    format!(
        "Writes the shipped zone list (not the local files) for another platform to stdout: \
         {}. Each matches a host only when it lies strictly below a zone (the apex and \
         look-alikes do not match; the longest zone names the provider; provider service \
         hosts are not DDNS hosts), and names the data version and the sources' licences. A \
         format made of several files is written one --part per run (without --part the \
         command lists them). The shipped list is rebuilt from the vendored sources by the \
         developers' `cargo xtask zones build` (not part of this binary, which writes no \
         files).",
        export_format_names().join(", ")
    )
}

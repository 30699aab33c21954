//! `csv` and `json`: the zone table itself, for platforms that do the
//! suffix walk themselves (a Sentinel watchlist, a Splunk or pandas lookup,
//! a script).
//!
//! CSV: exactly four `#` comment lines (the provenance), then the shipped
//! lookup's header `zone,provider,category,tier,sources` and its rows for
//! the tier, byte for byte (RFC 4180, LF, quoting only where needed). The
//! fixed count is what Sentinel's watchlist upload asks for ("number of
//! lines before row with headings": 4). `--no-comments` leaves them out
//! (for KQL's `externaldata`, which cannot skip comment lines).
//!
//! JSON: one document; top-level keys one per line, one zone or service
//! host per line, so a diff of two versions reads row by row.

use std::fmt::Write as _;

use super::{json_str, ExportData, ExportError, Options, VERDICT_1, VERDICT_2};
use crate::export::{tier_name, Format};

/// The CSV export.
pub(super) fn csv(
    data: &ExportData<'_>,
    options: &Options,
    out: &mut String,
) -> Result<(), ExportError> {
    if !options.no_comments {
        let p = data.provenance(Format::Csv, "");
        // Always four lines: the command, the versions, the licences (Sigma
        // authors folded in), the rule.
        let licences = match p.iter().find(|l| l.starts_with("Sigma-derived")) {
            Some(s) => format!("{} {s}", p[2]),
            None => p[2].clone(),
        };
        for line in [&p[0], &p[1], &licences, &format!("{VERDICT_1} {VERDICT_2}")] {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("zone,provider,category,tier,sources\n");
    for r in data.zones() {
        let fields = [r.zone, r.provider, r.category, r.tier.as_str(), r.sources];
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(f, out);
        }
        out.push('\n');
    }
    Ok(())
}

/// A CSV field, quoted only when it must be.
fn csv_field(f: &str, out: &mut String) {
    if f.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push('"');
        out.push_str(&f.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(f);
    }
}

/// The JSON export.
pub(super) fn json(data: &ExportData<'_>, out: &mut String) -> Result<(), ExportError> {
    let v = data.version();
    let tier = tier_name(data.tier());
    out.push_str("{\n");
    let _ = writeln!(
        out,
        "\"generator\": {},",
        json_str(&format!(
            "dynamicdns {} zones export --format json --tier {tier}",
            env!("CARGO_PKG_VERSION")
        ))
    );
    let _ = writeln!(out, "\"data_version\": {},", json_str(v.version));
    let _ = writeln!(out, "\"lookup_sha256\": {},", json_str(v.lookup_sha256));
    let _ = writeln!(out, "\"service_hosts_sha256\": {},", json_str(v.service_sha256));
    let _ = writeln!(out, "\"tier\": {},", json_str(tier));
    let _ = writeln!(
        out,
        "\"semantics\": {},",
        json_str(&format!("{} {}", VERDICT_1.trim_start_matches("Verdict: "), VERDICT_2))
    );
    let _ = writeln!(out, "\"max_zone_labels\": {},", data.max_labels());
    out.push_str("\"sources\": [\n");
    let sources = data.sources();
    for (i, s) in sources.iter().enumerate() {
        let _ = write!(
            out,
            "{{\"name\": {}, \"license\": {}, \"origin\": {}}}",
            json_str(s.name),
            if s.license.is_empty() { "null".to_string() } else { json_str(s.license) },
            json_str(s.origin)
        );
        out.push_str(if i + 1 < sources.len() { ",\n" } else { "\n" });
    }
    out.push_str("],\n\"zones\": [\n");
    let zones = data.zones();
    for (i, r) in zones.iter().enumerate() {
        let sources: Vec<String> =
            r.sources.split(';').filter(|s| !s.is_empty()).map(json_str).collect();
        let _ = write!(
            out,
            "{{\"zone\": {}, \"provider\": {}, \"category\": {}, \"tier\": {}, \"sources\": [{}]}}",
            json_str(r.zone),
            json_str(r.provider),
            json_str(r.category),
            json_str(r.tier.as_str()),
            sources.join(", ")
        );
        out.push_str(if i + 1 < zones.len() { ",\n" } else { "\n" });
    }
    out.push_str("],\n\"service_hosts\": [\n");
    let hosts = data.service_hosts();
    for (i, s) in hosts.iter().enumerate() {
        let _ = write!(
            out,
            "{{\"host\": {}, \"provider\": {}, \"zone\": {}, \"role\": {}}}",
            json_str(s.host),
            json_str(s.provider),
            json_str(s.zone),
            json_str(s.role)
        );
        out.push_str(if i + 1 < hosts.len() { ",\n" } else { "\n" });
    }
    out.push_str("]\n}\n");
    Ok(())
}

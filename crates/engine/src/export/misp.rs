//! `misp`: a MISP warninglist of type `hostname`, in the layout of
//! MISP/misp-warninglists' own `lists/dynamic-dns/list.json` (keys sorted,
//! two-space indent, entries sorted, final newline — what that repository's
//! `jq -S .` writes), with every zone written `.zone`.
//!
//! Semantics in MISP's terms: PyMISPWarningLists matches a `hostname`
//! entry `.zone` when the value ends in `.zone` — strictly below, on a
//! label boundary. What differs, and cannot be expressed in a warninglist:
//! MISP's own hostname evaluation also matches the apex (`duckdns.org`);
//! provider service hosts match (a warninglist has no exclusions); no
//! provider is named (a warninglist only says "known"). The `name` differs
//! from the default list's (MISP will not import over a default list) and
//! `version` is the data version as `YYYYMMDD` (MISP updates a list only to
//! a higher version).

use super::{ExportData, ExportError};

/// The MISP export.
pub(super) fn warninglist(data: &ExportData<'_>, out: &mut String) -> Result<(), ExportError> {
    let v = data.version();
    let mut authors: Vec<&str> = Vec::new();
    for r in data.zones() {
        if let Some(o) = super::sigma_origin(r.zone) {
            if !authors.contains(&o.author) {
                authors.push(o.author);
            }
        }
    }
    let sigma = if authors.is_empty() {
        String::new()
    } else {
        format!(" Sigma-derived zones (DRL-1.1): {}.", authors.join(", "))
    };
    let description = format!(
        "Hosts strictly below a known dynamic-DNS provider zone. Exported by dynamicdns {} from zone \
         data {} (sha256 {}); tier {}, {} zones. Sources and licences: {}.{sigma} MISP also matches \
         a zone's apex and the providers' own service hosts.",
        env!("CARGO_PKG_VERSION"),
        v.version,
        v.short_sha(),
        super::tier_name(data.tier()),
        data.zones().len(),
        data.licence_line(),
    );
    let list: Vec<String> = data.zones().iter().map(|r| format!(".{}", r.zone)).collect();
    // serde_json's map is sorted by key (no preserve_order), as jq -S.
    let doc = serde_json::json!({
        "description": description,
        "list": list,
        "matching_attributes": ["domain", "domain|ip", "hostname", "url"],
        "name": "List of known dynamic DNS domains (dynamicdns)",
        "type": "hostname",
        "version": v.number(),
    });
    out.push_str(&serde_json::to_string_pretty(&doc).unwrap_or_default());
    out.push('\n');
    Ok(())
}

//! `sigma`: one rule per log source and provider, core tier only (the
//! FreeDNS registry alone would put 77,000 values in one rule).
//!
//! Log sources from Sigma's taxonomy: `product: windows, category:
//! dns_query` (Sysmon event 22, field `QueryName`) and `category: proxy`
//! (field `cs-host`, the Host header, which may carry `:port`). Semantics
//! in Sigma's terms — values are case-insensitive: `QueryName|endswith:
//! '.zone'` (strictly below, label boundary; the apex has no leading dot);
//! the proxy rule adds `cs-host|contains: '.zone:'` for a port. Filters: the
//! provider's service hosts (exact, and `host:` for a port), names with an
//! empty label (`startswith: '.'`, `contains: '..'`), and zones of another
//! provider nested below one of this provider's (their own rule names
//! them: longest match). Differences: a trailing dot is not dropped
//! (`x.duckdns.org.` does not match), and the proxy `contains` also
//! matches `.zone:` inside a longer value.
//!
//! Ids are UUIDv5 of `{category}/{provider}` in a fixed namespace, so a
//! rule keeps its id across data versions. Rules holding zones taken from
//! SigmaHQ rules keep their authors, `related` ids and links (DRL 1.1).

use std::fmt::Write as _;

use super::{ExportData, ExportError, SIGMA_ORIGINS};
use crate::export::{sigma_origin, Format, SOURCES};
use crate::zoneset::{TierSelection, ZoneRow};

/// The namespace of the rule ids: UUIDv5(URL namespace,
/// `urn:dynamicdns:sigma`).
pub const ID_NAMESPACE: &str = "d72a8ea4-5394-5209-a917-bd9b5ff029da";

/// A rule's id: UUIDv5 of `{category}/{provider}` (`unattributed` for
/// zones without a provider).
pub fn rule_id(category: &str, provider: &str) -> String {
    let ns = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:dynamicdns:sigma");
    let provider = if provider.is_empty() { "unattributed" } else { provider };
    uuid::Uuid::new_v5(&ns, format!("{category}/{provider}").as_bytes()).to_string()
}

/// A YAML single-quoted scalar.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

struct LogSource {
    category: &'static str,
    product: Option<&'static str>,
    field: &'static str,
    title: &'static str,
    what: &'static str,
    port: bool,
}

const LOG_SOURCES: [LogSource; 2] = [
    LogSource {
        category: "dns_query",
        product: Some("windows"),
        field: "QueryName",
        title: "DNS Query for a Host Below a Dynamic DNS Zone",
        what: "DNS queries for a host",
        port: false,
    },
    LogSource {
        category: "proxy",
        product: None,
        field: "cs-host",
        title: "Proxy Request to a Host Below a Dynamic DNS Zone",
        what: "proxy requests whose Host header names a host",
        port: true,
    },
];

/// The Sigma export.
pub(super) fn rules(data: &ExportData<'_>, out: &mut String) -> Result<(), ExportError> {
    if data.tier() == TierSelection::All {
        return Err(ExportError::NotOffered(
            "--format sigma --tier all is not offered: the FreeDNS (afraid.org) rule alone would \
             list about 77,000 zones; use --tier core (the default), or --format csv/json for a \
             lookup table"
                .to_string(),
        ));
    }
    // Providers in order of name; the unattributed zones last.
    let mut groups: Vec<(&str, Vec<&ZoneRow<'_>>)> = Vec::new();
    for r in data.zones() {
        match groups.iter_mut().find(|(p, _)| *p == r.provider) {
            Some((_, v)) => v.push(r),
            None => groups.push((r.provider, vec![r])),
        }
    }
    groups.sort_by(|a, b| (a.0.is_empty(), a.0).cmp(&(b.0.is_empty(), b.0)));
    let mut lines = data.provenance(Format::Sigma, "");
    lines.push(format!(
        "{} rules: one per log source (dns_query, proxy) and provider.",
        2 * groups.len()
    ));
    super::comment(out, "#", &lines);
    let children = data.children();
    let service = data.matching_service_hosts();
    let v = data.version();
    let mut first = true;
    for (provider, zones) in &groups {
        let name = if provider.is_empty() { "unattributed zones" } else { provider };
        let category = zones[0].category;
        let level =
            if matches!(category, "vendor-ddns" | "vpn-vendor") { "informational" } else { "low" };
        // Nested zones of another provider: left to their own rule.
        let mut nested: Vec<&str> = zones
            .iter()
            .flat_map(|z| children.get(z.zone).into_iter().flatten())
            .filter(|c| data.zones().iter().any(|r| r.zone == **c && r.provider != *provider))
            .copied()
            .collect();
        nested.sort_unstable();
        let hosts: Vec<&str> =
            service.iter().filter(|(_, z)| z.provider == *provider).map(|(s, _)| s.host).collect();
        let origins: Vec<_> = SIGMA_ORIGINS
            .iter()
            .filter(|o| zones.iter().any(|z| sigma_origin(z.zone) == Some(o)))
            .collect();
        let mut licences: Vec<&str> = Vec::new();
        if !origins.is_empty() {
            licences.push("DRL-1.1");
        }
        for s in SOURCES {
            let used = zones.iter().any(|z| z.sources.split(';').any(|x| x == s.name));
            if used && !s.license.is_empty() && !licences.contains(&s.license) {
                licences.push(s.license);
            }
        }
        for ls in &LOG_SOURCES {
            if !first {
                out.push_str("---\n");
            }
            first = false;
            let _ = writeln!(out, "title: {}", q(&format!("{} - {name}", ls.title)));
            let _ = writeln!(out, "id: {}", rule_id(ls.category, provider));
            if !origins.is_empty() {
                out.push_str("related:\n");
                for o in &origins {
                    let _ = writeln!(out, "    - id: {}\n      type: derived", o.id);
                }
            }
            out.push_str("status: experimental\ndescription: |\n");
            let _ = writeln!(
                out,
                "    Detects {} strictly below a {name} dynamic-DNS zone ({} zones).\n    \
                 The zone apex, provider service hosts and look-alike names are not matched.\n    \
                 Generated by dynamicdns {} from zone data {} (sha256 {}).",
                ls.what,
                zones.len(),
                env!("CARGO_PKG_VERSION"),
                v.version,
                v.short_sha()
            );
            let _ = writeln!(out, "license: {}", licences.join(" AND "));
            // The rules the zones came from and their licence, when any did
            // (the DRL is no reference of a rule made from other sources).
            if !origins.is_empty() {
                out.push_str("references:\n");
                for o in &origins {
                    let _ = writeln!(
                        out,
                        "    - https://github.com/SigmaHQ/sigma/blob/master/{}",
                        o.path
                    );
                }
                out.push_str("    - https://github.com/SigmaHQ/Detection-Rule-License\n");
            }
            let mut author = "dynamicdns contributors (generated)".to_string();
            if !origins.is_empty() {
                let names: Vec<&str> = origins.iter().map(|o| o.author).collect();
                author.push_str(&format!("; zones from Sigma rules by {}", names.join(", ")));
            }
            let _ = writeln!(out, "author: {}", q(&author));
            let _ = writeln!(out, "date: {}", v.date());
            out.push_str("tags:\n    - attack.command-and-control\n    - attack.t1568\n    - attack.t1071.004\nlogsource:\n");
            if let Some(p) = ls.product {
                let _ = writeln!(out, "    product: {p}");
            }
            let _ = writeln!(out, "    category: {}", ls.category);
            out.push_str("detection:\n");
            let list = |out: &mut String, key: &str, values: &mut dyn Iterator<Item = String>| {
                let _ = writeln!(out, "    {key}:");
                for v in values {
                    let _ = writeln!(out, "            - {}", q(&v));
                }
            };
            let f = ls.field;
            let sel = if ls.port { "selection_host" } else { "selection" };
            list(
                out,
                &format!("{sel}:\n        {f}|endswith"),
                &mut zones.iter().map(|z| format!(".{}", z.zone)),
            );
            if ls.port {
                list(
                    out,
                    &format!("selection_host_port:\n        {f}|contains"),
                    &mut zones.iter().map(|z| format!(".{}:", z.zone)),
                );
            }
            let _ = writeln!(out, "    filter_malformed:\n        - {f}|startswith: '.'\n        - {f}|contains: '..'");
            if !hosts.is_empty() {
                list(
                    out,
                    &format!("filter_service_hosts:\n        {f}"),
                    &mut hosts.iter().map(|h| h.to_string()),
                );
                if ls.port {
                    list(
                        out,
                        &format!("filter_service_hosts_port:\n        {f}|startswith"),
                        &mut hosts.iter().map(|h| format!("{h}:")),
                    );
                }
            }
            if !nested.is_empty() {
                list(
                    out,
                    &format!("filter_nested:\n        {f}|endswith"),
                    &mut nested.iter().map(|c| format!(".{c}")),
                );
                if ls.port {
                    list(
                        out,
                        &format!("filter_nested_port:\n        {f}|contains"),
                        &mut nested.iter().map(|c| format!(".{c}:")),
                    );
                }
            }
            let sel = if ls.port { "1 of selection_*" } else { "selection" };
            let _ = writeln!(out, "    condition: {sel} and not 1 of filter_*");
            out.push_str("falsepositives:\n    - Routers, NAS and cameras that use the provider's own DDNS service\n");
            let _ = writeln!(out, "level: {level}");
            let _ = writeln!(out, "dyndns_provider: {}", q(provider));
            let _ = writeln!(out, "dyndns_category: {category}\ndyndns_tier: core");
        }
    }
    Ok(())
}

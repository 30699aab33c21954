//! `kql`: one query text for Microsoft Sentinel and Defender XDR advanced
//! hunting: the zones (a `datatable`, a watchlist or `externaldata`), a
//! host function and a match function, and an example.
//!
//! Semantics in KQL's terms: `DynamicDnsHost` drops scheme, userinfo (up
//! to the last `@` of the authority), port, path, query and fragment (`\`
//! ends the authority too; after `http:`, `https:`, `ws:`, `wss:` or `ftp:`
//! any run of `/` and `\` is skipped, as browsers do), lower-cases and
//! drops one trailing dot.
//! `DynamicDnsMatch` extracts, for each k from the most labels any zone has
//! down to 2, the suffix of k labels that has at least one label before it
//! (`^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*?\.(k labels)$`: strictly below, whole
//! labels, no empty label), looks each up with `lookup`, and takes the
//! longest found; service hosts are compared exactly. Differences from the
//! Rust matcher: no IDNA mapping or percent-decoding (a Unicode host does
//! not match; punycode does), no Windows debug-log names, no quotes or UNC
//! paths, label lengths unchecked.

use std::fmt::Write as _;

use super::{comment, ExportData, ExportError, KqlSource, Options};
use crate::export::Format;
use crate::zoneset::TierSelection;

/// A KQL string literal (double-quoted, `\` and `"` escaped).
fn lit(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// The regex that extracts the suffix of `k` labels below at least one
/// more label.
pub(super) fn candidate_regex(k: usize) -> String {
    let labels = vec!["[a-z0-9_-]+"; k].join(r"\.");
    format!(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*?\.({labels})$")
}

/// The host-extraction regex (group 1 is the host or a bracketed literal).
/// The special schemes (`http`, `https`, `ws`, `wss`, `ftp`, any case) take
/// any run of `/` and `\` after the colon, as browsers read them
/// (`https:\\host\`, `http:/host`); other schemes need `://`.
pub(super) const HOST_REGEX: &str = concat!(
    r"^(?:(?:[Hh][Tt][Tt][Pp][Ss]?|[Ww][Ss][Ss]?|[Ff][Tt][Pp]):[/\\]*|[A-Za-z][A-Za-z0-9+.\-]*://)?",
    r"(?:[^/?#\\]*@)?(\[[^\]]*\]|[^:/?#\\]*)"
);

/// The KQL export.
pub(super) fn query(
    data: &ExportData<'_>,
    options: &Options,
    out: &mut String,
) -> Result<(), ExportError> {
    let source = options.kql_source;
    if source == KqlSource::Datatable && data.tier() == TierSelection::All {
        return Err(ExportError::NotOffered(
            "--format kql --tier all would be a query of several MB with every zone in a \
             datatable; use --kql-source watchlist (a Sentinel watchlist from --format csv) or \
             --kql-source externaldata --kql-url URL, or --tier core"
                .to_string(),
        ));
    }
    let extra = match source {
        KqlSource::Datatable => String::new(),
        KqlSource::Watchlist => " --kql-source watchlist".to_string(),
        KqlSource::Externaldata => " --kql-source externaldata".to_string(),
    };
    comment(out, "//", &data.provenance(Format::Kql, &extra));
    match source {
        KqlSource::Datatable => {
            out.push_str(
                "let DynamicDnsZones = datatable(zone:string, provider:string, category:string, tier:string)\n[\n",
            );
            for r in data.zones() {
                let _ = writeln!(
                    out,
                    "    {}, {}, {}, {},",
                    lit(r.zone),
                    lit(r.provider),
                    lit(r.category),
                    lit(r.tier.as_str())
                );
            }
            out.push_str("];\n");
        }
        KqlSource::Watchlist => {
            out.push_str(
                "// The watchlist DynamicDnsZones: upload `dynamicdns zones export --format csv` \
                 (4 lines before the header, SearchKey column zone).\n\
                 let DynamicDnsZones = _GetWatchlist(\"DynamicDnsZones\") | project zone = tostring(SearchKey), \
                 provider = tostring(provider), category = tostring(category), tier = tostring(tier);\n",
            );
        }
        KqlSource::Externaldata => {
            let Some(url) = &options.kql_url else {
                return Err(ExportError::NotOffered(
                    "--kql-source externaldata needs --kql-url URL (where `dynamicdns zones export \
                     --format csv --no-comments` is served)"
                        .to_string(),
                ));
            };
            if url.contains('"') || url.contains('\n') {
                return Err(ExportError::NotOffered(format!(
                    "--kql-url {url:?}: no quotes or newlines"
                )));
            }
            out.push_str(
                "// The CSV at the URL is `dynamicdns zones export --format csv --no-comments`.\n",
            );
            let _ = writeln!(
                out,
                "let DynamicDnsZones = externaldata(zone:string, provider:string, category:string, \
                 tier:string, sources:string) [@\"{url}\"] with (format=\"csv\", ignoreFirstRecord=true);"
            );
        }
    }
    let hosts: Vec<String> =
        data.matching_service_hosts().iter().map(|(s, _)| lit(s.host)).collect();
    let _ = writeln!(out, "let DynamicDnsServiceHosts = dynamic([{}]);", hosts.join(", "));
    out.push_str(
        "// The host of a URL, host:port or bare name: scheme, userinfo, port, path, query dropped; lower case; one trailing dot removed.\n\
         let DynamicDnsHost = (value:string) {\n",
    );
    let _ = writeln!(
        out,
        "    let h = tolower(extract(@\"{HOST_REGEX}\", 1, trim(@\"\\s+\", value)));"
    );
    out.push_str("    iff(h endswith \".\", substring(h, 0, strlen(h) - 1), h)\n};\n");
    out.push_str(
        "// Adds DynDnsZone, DynDnsProvider, DynDnsCategory, DynDnsTier and IsDynDns to a table with a DynDnsHost column.\n\
         let DynamicDnsMatch = (T:(DynDnsHost:string)) {\n    T\n",
    );
    let ks: Vec<usize> = (2..=data.max_labels()).rev().collect();
    let cands: Vec<String> = ks
        .iter()
        .map(|k| {
            format!("DynDnsCandidate{k} = extract(@\"{}\", 1, DynDnsHost)", candidate_regex(*k))
        })
        .collect();
    let _ = writeln!(out, "    | extend {}", cands.join(",\n             "));
    for k in &ks {
        let _ = writeln!(
            out,
            "    | lookup kind=leftouter (DynamicDnsZones | project DynDnsCandidate{k} = zone, \
             DynDnsProvider{k} = provider, DynDnsCategory{k} = category, DynDnsTier{k} = tier) on DynDnsCandidate{k}"
        );
    }
    let arms = |f: &dyn Fn(usize) -> String| -> String {
        ks.iter().map(|k| format!("DynDnsLevel == {k}, {}", f(*k))).collect::<Vec<_>>().join(", ")
    };
    let levels: Vec<String> =
        ks.iter().map(|k| format!("isnotempty(DynDnsTier{k}), {k}")).collect();
    let _ = writeln!(out, "    | extend DynDnsLevel = case({}, 0)", levels.join(", "));
    out.push_str(
        "    | extend DynDnsService = DynDnsLevel > 0 and DynDnsHost in (DynamicDnsServiceHosts)\n",
    );
    let _ = writeln!(
        out,
        "    | extend DynDnsZone = case({}, \"\"),\n             DynDnsProvider = case({}, \"\"),\n             \
         DynDnsCategory = case(DynDnsService, \"provider-service\", {}, \"\"),\n             DynDnsTier = case({}, \"\")",
        arms(&|k| format!("DynDnsCandidate{k}")),
        arms(&|k| format!("DynDnsProvider{k}")),
        arms(&|k| format!("DynDnsCategory{k}")),
        arms(&|k| format!("DynDnsTier{k}")),
    );
    out.push_str("    | extend IsDynDns = DynDnsLevel > 0 and not(DynDnsService)\n");
    let mut away = Vec::new();
    for k in &ks {
        away.push(format!("DynDnsCandidate{k}"));
    }
    for what in ["Provider", "Category", "Tier"] {
        for k in &ks {
            away.push(format!("DynDns{what}{k}"));
        }
    }
    away.push("DynDnsLevel".into());
    away.push("DynDnsService".into());
    let _ = writeln!(out, "    | project-away {}\n}};", away.join(", "));
    out.push_str(
        "// Example (Defender XDR). Sentinel DNS: DnsEvents | extend DynDnsHost = DynamicDnsHost(Name) | invoke DynamicDnsMatch() | where IsDynDns\n\
         DeviceNetworkEvents\n\
         | where Timestamp > ago(1d)\n\
         | extend DynDnsHost = DynamicDnsHost(RemoteUrl)\n\
         | invoke DynamicDnsMatch()\n\
         | where IsDynDns\n\
         | project Timestamp, DeviceName, RemoteUrl, DynDnsHost, DynDnsZone, DynDnsProvider, DynDnsCategory, DynDnsTier\n",
    );
    Ok(())
}

//! `suricata`: rules for the `dns.query`, `tls.sni` and `http.host`
//! buffers (Suricata 7).
//!
//! **Content mode** (default for core): three rules per zone,
//! `content:".zone"; endswith;` — the dot makes the match strictly below
//! the zone on a label boundary, so the apex never matches (no `dotprefix`,
//! which would let the apex match). A zone with longer zones below it
//! negates them (`content:!".child"; endswith;`: the longest zone's own
//! rule fires instead), and a service host below it is negated exactly
//! (`startswith; endswith;`). Every rule first refuses a name with an empty
//! label (`content:!"."; startswith; content:!"..";`). `dns.query` and
//! `tls.sni` are raw (`nocase`); `http.host` is normalised to lower case
//! and refuses `nocase`. A trailing dot (legal in an HTTP Host header,
//! which libhtp keeps) defeats `endswith`: content rules do not match
//! `x.duckdns.org.` in `http.host` or `tls.sni` (a `pcrexform` dropping it
//! made `suricata -T` 17 times slower on the core rules). sids come from
//! the append-only registry `data/suricata_sids.csv`: `1900000 + 3 × index
//! + buffer`; `rev` is the data version `YYYYMMDD`.
//!
//! **Dataset mode** (default for all): per buffer one rule per zone length
//! k (labels), independent of the zone count: `pcrexform` cuts the suffix
//! of k labels with its leading dot (it exists only when a label precedes
//! it), `dataset:isset` looks `.suffix` up in the zones part, `isnotset` of
//! every longer suffix keeps the longest match, and an exact `isnotset` in
//! the service-hosts part excludes those. Datasets carry no data in
//! Suricata 7, so an alert names the zone's label count, not the provider
//! (the zone is the alerted name's last k labels; join with the `csv`
//! export). Dataset files hold base64 strings and no comments, so their
//! provenance (and sha256) is in the rules part.

use std::fmt::Write as _;

use super::{comment, ExportData, ExportError};
use crate::export::Format;
use crate::zoneset::TierSelection;

/// The zones part's file name (rules load it relative to their file).
pub(super) const ZONES_FILE: &str = "dynamicdns-zones.lst";
/// The service-hosts part's file name.
pub(super) const SERVICE_FILE: &str = "dynamicdns-service-hosts.lst";

/// First sid of the content rules (local-use range).
const CONTENT_SID: u32 = 1_900_000;
/// First sid of the dataset rules: `+ 10 × buffer + labels`.
const DATASET_SID: u32 = 1_999_900;

/// A buffer the rules inspect.
struct Buffer {
    proto: &'static str,
    keyword: &'static str,
    what: &'static str,
    /// The buffer is raw (not lower-cased by Suricata).
    raw: bool,
}

const BUFFERS: [Buffer; 3] = [
    Buffer { proto: "dns", keyword: "dns.query", what: "DNS query", raw: true },
    Buffer { proto: "tls", keyword: "tls.sni", what: "TLS SNI", raw: true },
    Buffer { proto: "http", keyword: "http.host", what: "HTTP Host", raw: false },
];

/// Escapes a `msg` or `content` string (`\`, `;`, `"`).
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ';' | '"') {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// A metadata value: no `,` or `;` (they end the value in Suricata).
fn meta_value(s: &str) -> Result<String, ExportError> {
    if s.contains([',', ';', '"', '\\']) {
        return Err(ExportError::NotOffered(format!(
            "Suricata metadata cannot hold {s:?} (a comma, semicolon, quote or backslash)"
        )));
    }
    Ok(if s.is_empty() { "unknown".to_string() } else { s.to_string() })
}

/// The content-mode rules file.
pub(super) fn content(data: &ExportData<'_>, out: &mut String) -> Result<(), ExportError> {
    if data.tier() == TierSelection::All {
        return Err(ExportError::NotOffered(
            "--format suricata --suricata-mode content --tier all would be three rules per zone \
             (over 350,000); use --suricata-mode dataset (the default for --tier all) or --tier core"
                .to_string(),
        ));
    }
    let rev = data.version().number();
    let children = data.children();
    let service = data.matching_service_hosts();
    let mut lines = data.provenance(Format::Suricata, " --suricata-mode content");
    lines.push(format!(
        "{} rules: three per zone (dns.query, tls.sni, http.host).",
        3 * data.zones().len()
    ));
    comment(out, "#", &lines);
    for r in data.zones() {
        let index = super::sid_index(r.zone).ok_or_else(|| {
            ExportError::NotOffered(format!(
                "zone {} has no sid in data/suricata_sids.csv (run cargo xtask zones build)",
                r.zone
            ))
        })?;
        let provider =
            if r.provider.is_empty() { "unattributed".to_string() } else { esc(r.provider) };
        let meta = format!(
            "metadata:dyndns_zone {}, dyndns_provider {}, dyndns_category {}, dyndns_tier {}",
            meta_value(r.zone)?,
            meta_value(r.provider)?,
            meta_value(r.category)?,
            r.tier.as_str()
        );
        let kids = children.get(r.zone).map(Vec::as_slice).unwrap_or(&[]);
        let hosts: Vec<&str> =
            service.iter().filter(|(_, z)| z.zone == r.zone).map(|(s, _)| s.host).collect();
        for (b, buf) in BUFFERS.iter().enumerate() {
            let nocase = if buf.raw { " nocase;" } else { "" };
            let sid = CONTENT_SID + 3 * index + b as u32;
            let _ = write!(
                out,
                "alert {} any any -> any any (msg:\"DYNAMICDNS {} below {} ({provider})\"; {};",
                buf.proto,
                buf.what,
                esc(r.zone),
                buf.keyword
            );
            let _ = write!(
                out,
                " content:!\".\"; startswith; content:!\"..\"; content:\".{}\";{nocase} endswith;",
                esc(r.zone)
            );
            for k in kids {
                let _ = write!(out, " content:!\".{}\";{nocase} endswith;", esc(k));
            }
            for h in &hosts {
                let _ = write!(out, " content:!\"{}\";{nocase} startswith; endswith;", esc(h));
            }
            let _ = writeln!(out, " {meta}; classtype:policy-violation; sid:{sid}; rev:{rev};)");
        }
    }
    Ok(())
}

/// A dataset option string shared by every rule naming the set.
fn set_opts(name: &str, file: &str, entries: usize) -> String {
    // hashsize: a power of two at least the entry count, within Suricata's
    // default datasets.limits.single-hashsize (262144).
    let hashsize = entries.next_power_of_two().clamp(1024, 262_144);
    let memcap = if entries > 10_000 { "256mb" } else { "1mb" };
    format!("{name},type string,load {file},memcap {memcap},hashsize {hashsize}")
}

/// Base64 (standard alphabet, padded) of `bytes`.
pub(super) fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut o = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                o.push(char::from(A[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                o.push('=');
            }
        }
    }
    o
}

/// The zones part: base64 of `.zone`, one a line, sorted.
fn zones_part(data: &ExportData<'_>) -> String {
    let mut s = String::new();
    for r in data.zones() {
        s.push_str(&base64(format!(".{}", r.zone).as_bytes()));
        s.push('\n');
    }
    s
}

/// The service-hosts part: base64 of each host that lies below a zone.
fn service_part(data: &ExportData<'_>) -> String {
    let mut s = String::new();
    for (h, _) in data.matching_service_hosts() {
        s.push_str(&base64(h.host.as_bytes()));
        s.push('\n');
    }
    s
}

/// The regex capturing the suffix of `k` labels with its leading dot.
pub(super) fn suffix_regex(k: usize) -> String {
    format!(r"(\.{})\.?$", vec![r"[^.]+"; k].join(r"\."))
}

/// One part of the dataset mode.
pub(super) fn dataset(
    data: &ExportData<'_>,
    part: &str,
    out: &mut String,
) -> Result<(), ExportError> {
    match part {
        "zones" => out.push_str(&zones_part(data)),
        "service-hosts" => out.push_str(&service_part(data)),
        _ => dataset_rules(data, out),
    }
    Ok(())
}

fn dataset_rules(data: &ExportData<'_>, out: &mut String) {
    let rev = data.version().number();
    let zones = set_opts("dynamicdns-zones", ZONES_FILE, data.zones().len());
    let hosts =
        set_opts("dynamicdns-service-hosts", SERVICE_FILE, data.matching_service_hosts().len());
    let sha = |s: &str| super::sha256_hex(s.as_bytes());
    let mut lines = data.provenance(Format::Suricata, " --suricata-mode dataset");
    lines.push(format!(
        "Place {ZONES_FILE} (--part zones, sha256 {}) and {SERVICE_FILE} (--part service-hosts, sha256 {}) beside this file.",
        sha(&zones_part(data)),
        sha(&service_part(data))
    ));
    lines.push(
        "Alerts name the zone's label count: the zone is the last N labels of the alerted name."
            .into(),
    );
    comment(out, "#", &lines);
    let max = data.max_labels();
    for (b, buf) in BUFFERS.iter().enumerate() {
        let lower = if buf.raw { " to_lowercase;" } else { "" };
        for k in (2..=max).rev() {
            let sid = DATASET_SID + 10 * b as u32 + k as u32;
            let _ = write!(
                out,
                "alert {} any any -> any any (msg:\"DYNAMICDNS {} below a dynamic-DNS zone ({k} labels)\"; {}; \
                 content:!\".\"; startswith; content:!\"..\";{lower} pcrexform:\"{}\"; dataset:isset,{zones};",
                buf.proto,
                buf.what,
                buf.keyword,
                suffix_regex(k)
            );
            for longer in k + 1..=max {
                let _ = write!(
                    out,
                    " {};{lower} pcrexform:\"{}\"; dataset:isnotset,{zones};",
                    buf.keyword,
                    suffix_regex(longer)
                );
            }
            let _ = writeln!(
                out,
                " {};{lower} pcrexform:\"^(.*?)\\.?$\"; dataset:isnotset,{hosts}; metadata:dyndns_zone_labels {k}; \
                 classtype:policy-violation; sid:{sid}; rev:{rev};)",
                buf.keyword
            );
        }
    }
}

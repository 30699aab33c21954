//! The naive oracle: zones matched by "the longest zone the host ends in
//! after a dot", over the shipped list read at run time (and the local
//! files and the provider service hosts, as the binary reads them), with
//! the verdict fields the command appends computed the simple way.

use std::collections::HashMap;
use std::sync::Mutex;

use super::splunk_csv::{decode_mv, encode_mv};

/// Whether `host` lies strictly below `zone`: it ends in `.zone`.
pub fn is_below(host: &str, zone: &str) -> bool {
    host.len() > zone.len() + 1
        && host.ends_with(zone)
        && host.as_bytes()[host.len() - zone.len() - 1] == b'.'
}

/// The naive rule over a list of (zone, provider): the longest zone `host`
/// lies strictly below (the last listed of equal length), if any.
pub fn naive_longest<'a>(
    zones: &'a [(String, String)],
    host: &str,
) -> Option<&'a (String, String)> {
    let mut best: Option<&(String, String)> = None;
    for z in zones {
        if is_below(host, &z.0) && best.is_none_or(|b| z.0.len() >= b.0.len()) {
            best = Some(z);
        }
    }
    best
}

/// One zone (or service host) the oracle knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    /// The zone (for a service host, the provider's zone it lies in).
    pub zone: String,
    /// Its provider.
    pub provider: String,
    /// Its category (`ddns` when the list gives none).
    pub category: String,
    /// Its tier.
    pub tier: String,
    /// True for a provider service host (not dynamic DNS).
    pub service: bool,
}

/// The shipped zone list, read at run time, matched naively.
pub struct Oracle {
    /// The shipped list, then the local additions, in file order.
    pub zones: Vec<Zone>,
    /// The provider service hosts: (host, its match).
    pub service: Vec<(String, Zone)>,
    /// Allowlist entries (hosts or zones never flagged, with every name
    /// below them); empty unless the app's allowlist has rows.
    pub allow: Vec<String>,
    cache: Mutex<HashMap<String, Option<Zone>>>,
}

/// Reads `column`s of a CSV file under `lookups/`; `None` when the file
/// does not exist. A missing column reads as empty.
fn read_lookup(name: &str, columns: &[&str]) -> Option<Vec<Vec<String>>> {
    let path = super::root().join("lookups").join(name);
    if !path.exists() {
        return None;
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = rdr.headers().unwrap().clone();
    let cols: Vec<Option<usize>> =
        columns.iter().map(|n| headers.iter().position(|h| h == *n)).collect();
    assert!(cols[0].is_some(), "{}: no {} column", path.display(), columns[0]);
    let rows = rdr
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            cols.iter().map(|c| c.and_then(|c| r.get(c)).unwrap_or("").to_string()).collect()
        })
        .collect();
    Some(rows)
}

fn zone_of(r: &[String], service: bool) -> Zone {
    let or = |v: &str, d: &str| if v.is_empty() { d.to_string() } else { v.to_string() };
    Zone {
        zone: r[0].clone(),
        provider: r[1].clone(),
        category: or(&r[2], "ddns"),
        tier: or(&r[3], "core"),
        service,
    }
}

impl Oracle {
    /// Loads `lookups/dynamic_dns_providers.csv` and
    /// `lookups/dynamic_dns_service_hosts.csv`, and — as the binary, which
    /// finds the app's `lookups/` folder next to it, also does — the local
    /// additions and the allowlist (host rows) when they have rows.
    pub fn load() -> Oracle {
        use dynamicdns_engine::zonefile::{ALLOWLIST_FILE, LOCAL_FILE};
        let cols = ["zone", "provider", "category", "tier"];
        let shipped = read_lookup("dynamic_dns_providers.csv", &cols)
            .expect("lookups/dynamic_dns_providers.csv is missing");
        let local = read_lookup(LOCAL_FILE, &cols).unwrap_or_default();
        let zones = shipped.iter().chain(&local).map(|r| zone_of(r, false)).collect();
        let service = read_lookup("dynamic_dns_service_hosts.csv", &["host", "provider", "zone"])
            .expect("lookups/dynamic_dns_service_hosts.csv is missing")
            .into_iter()
            .map(|r| {
                let m = [r[2].clone(), r[1].clone(), "provider-service".into(), String::new()];
                (r[0].clone(), zone_of(&m, true))
            })
            .collect();
        let allow = read_lookup(ALLOWLIST_FILE, &["host"])
            .unwrap_or_default()
            .into_iter()
            .map(|r| r[0].trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        Oracle { zones, service, allow, cache: Mutex::new(HashMap::new()) }
    }

    /// One oracle per test binary (loading the 117,000 shipped zones in a
    /// debug build is not free).
    pub fn shared() -> &'static Oracle {
        static ORACLE: std::sync::OnceLock<Oracle> = std::sync::OnceLock::new();
        ORACLE.get_or_init(Oracle::load)
    }

    /// For a plain lower-case host: a listed service host is its own match;
    /// else the longest zone `z` with `host` ending in `.z` (so a zone's
    /// apex never matches itself). A zone listed twice keeps its last row.
    /// A host on the allowlist, or below an entry of it, never matches.
    pub fn match_host(&self, host: &str) -> Option<Zone> {
        if let Some(m) = self.cache.lock().unwrap().get(host) {
            return m.clone();
        }
        let mut best: Option<&Zone> = self.service.iter().find(|(h, _)| h == host).map(|(_, m)| m);
        if best.is_none() {
            for z in &self.zones {
                if is_below(host, &z.zone) && best.is_none_or(|b| z.zone.len() >= b.zone.len()) {
                    best = Some(z);
                }
            }
        }
        if self.allow.iter().any(|a| host == a || is_below(host, a)) {
            best = None;
        }
        let best = best.cloned();
        self.cache.lock().unwrap().insert(host.to_string(), best.clone());
        best
    }

    /// The appended values for a record, in [`ADDED`](super::scp::ADDED)
    /// order, for a record whose named fields hold plain hosts (ASCII case
    /// is ignored): every value of every named field (a non-empty `__mv_`
    /// cell is authoritative, else the plain cell split on LF); the
    /// distinct matches (by zone and category) sorted dynamic-DNS first,
    /// then by zone and category; from them zones, non-empty providers,
    /// categories and tiers, each distinct in that order; `True` when a
    /// match is not a service host; several values are joined by LF in the plain cell and
    /// `$a$;$b$`-encoded in the `__mv_` cell, which is empty for fewer than
    /// two.
    pub fn expected(
        &self,
        fields: &[&str],
        header: &[Vec<u8>],
        row: &csv::ByteRecord,
    ) -> [Vec<u8>; 9] {
        let mut hits: Vec<Zone> = Vec::new();
        for f in fields {
            let Some(c) = header.iter().position(|h| h == f.as_bytes()) else { continue };
            let mv = format!("__mv_{f}");
            let mv_cell = header.iter().position(|h| h == mv.as_bytes()).map(|m| &row[m]);
            let values = match mv_cell.filter(|c| !c.is_empty()).and_then(decode_mv) {
                Some(v) => v,
                None => row[c].split(|&b| b == b'\n').map(|v| v.to_vec()).collect(),
            };
            for v in values {
                let host = String::from_utf8_lossy(&v).to_ascii_lowercase();
                if let Some(m) = self.match_host(&host) {
                    if !hits.iter().any(|h| h.zone == m.zone && h.category == m.category) {
                        hits.push(m);
                    }
                }
            }
        }
        // The documented order: dynamic-DNS matches first, then by zone and
        // category, whatever the order of the values.
        hits.sort_by(|a, b| {
            (a.service, &a.zone, &a.category).cmp(&(b.service, &b.zone, &b.category))
        });
        let distinct = |get: fn(&Zone) -> &str| {
            let mut out: Vec<Vec<u8>> = Vec::new();
            for h in &hits {
                let v = get(h);
                if !v.is_empty() && !out.iter().any(|q| q == v.as_bytes()) {
                    out.push(v.as_bytes().to_vec());
                }
            }
            out
        };
        let providers = distinct(|z| &z.provider);
        let zones = distinct(|z| &z.zone);
        let categories = distinct(|z| &z.category);
        let tiers = distinct(|z| &z.tier);
        let mv = |v: &[Vec<u8>]| if v.len() > 1 { encode_mv(v) } else { Vec::new() };
        let dyndns = hits.iter().any(|h| !h.service);
        [
            if dyndns { b"True".to_vec() } else { b"False".to_vec() },
            providers.join(&b'\n'),
            zones.join(&b'\n'),
            categories.join(&b'\n'),
            tiers.join(&b'\n'),
            mv(&providers),
            mv(&zones),
            mv(&categories),
            mv(&tiers),
        ]
    }
}

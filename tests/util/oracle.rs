//! The naive oracle: zones matched by "the longest zone the host ends in
//! after a dot", over the shipped list read at run time (and the local
//! files, as the binary reads them).

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

/// The shipped zone list, read at run time, matched naively.
pub struct Oracle {
    /// (zone, provider): the shipped list, then the local additions, in
    /// file order.
    pub zones: Vec<(String, String)>,
    /// Allowlist entries (hosts or zones never flagged, with every name
    /// below them); empty unless `lookups/dynamic_dns_allowlist.csv` has
    /// rows.
    pub allow: Vec<String>,
    cache: Mutex<HashMap<String, Option<usize>>>,
}

/// Reads `column`s of a CSV file under `lookups/`; `None` when the file
/// does not exist.
fn read_lookup(name: &str, columns: &[&str]) -> Option<Vec<Vec<String>>> {
    let path = format!("{}/lookups/{name}", env!("CARGO_MANIFEST_DIR"));
    if !std::path::Path::new(&path).exists() {
        return None;
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let headers = rdr.headers().unwrap().clone();
    let cols: Vec<Option<usize>> =
        columns.iter().map(|n| headers.iter().position(|h| h == *n)).collect();
    assert!(cols[0].is_some(), "{path}: no {} column", columns[0]);
    let rows = rdr
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{path}: {e}"));
            cols.iter().map(|c| c.and_then(|c| r.get(c)).unwrap_or("").to_string()).collect()
        })
        .collect();
    Some(rows)
}

impl Oracle {
    /// Loads `lookups/dynamic_dns_providers.csv` (columns `zone`,
    /// `provider`, …), and — as the binary, which finds the app's `lookups/`
    /// folder next to it, also does — the local additions
    /// (`dynamic_dns_providers_local.csv`) and the allowlist
    /// (`dynamic_dns_allowlist.csv`, column `host`) when they have rows.
    pub fn load() -> Oracle {
        let shipped = read_lookup("dynamic_dns_providers.csv", &["zone", "provider"])
            .expect("lookups/dynamic_dns_providers.csv is missing");
        let local = read_lookup("dynamic_dns_providers_local.csv", &["zone", "provider"])
            .unwrap_or_default();
        let zones =
            shipped.into_iter().chain(local).map(|r| (r[0].clone(), r[1].clone())).collect();
        let allow = read_lookup("dynamic_dns_allowlist.csv", &["host"])
            .unwrap_or_default()
            .into_iter()
            .map(|r| r[0].trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        Oracle { zones, allow, cache: Mutex::new(HashMap::new()) }
    }

    /// One oracle per test binary (loading the 117,000 shipped zones in a
    /// debug build is not free).
    pub fn shared() -> &'static Oracle {
        static ORACLE: std::sync::OnceLock<Oracle> = std::sync::OnceLock::new();
        ORACLE.get_or_init(Oracle::load)
    }

    /// For a plain lower-case host: the longest zone `z` with `host` ending
    /// in `.z` (so a zone's apex never matches itself), and its provider. A
    /// zone listed twice keeps its last provider. A host on the allowlist,
    /// or below an entry of it, never matches.
    pub fn match_host(&self, host: &str) -> Option<(&str, &str)> {
        let cached = self.cache.lock().unwrap().get(host).copied();
        let i = cached.unwrap_or_else(|| {
            let mut best: Option<usize> = None;
            if !self.allow.iter().any(|a| host == a || is_below(host, a)) {
                for (i, (z, _)) in self.zones.iter().enumerate() {
                    let longer = match best {
                        None => true,
                        Some(b) => z.len() >= self.zones[b].0.len(),
                    };
                    if longer && is_below(host, z) {
                        best = Some(i);
                    }
                }
            }
            self.cache.lock().unwrap().insert(host.to_string(), best);
            best
        });
        i.map(|i| (self.zones[i].0.as_str(), self.zones[i].1.as_str()))
    }

    /// The five appended values for a record, in [`ADDED`](super::scp::ADDED) order, for a
    /// record whose named fields hold plain hosts (ASCII case is ignored):
    /// every value of every named field (a non-empty `__mv_` cell is
    /// authoritative, else the plain cell split on LF), zones distinct in
    /// order, providers distinct and non-empty in order; several values are
    /// joined by LF in the plain cell and `$a$;$b$`-encoded in the `__mv_`
    /// cell, which is empty for fewer than two.
    pub fn expected(
        &self,
        fields: &[&str],
        header: &[Vec<u8>],
        row: &csv::ByteRecord,
    ) -> [Vec<u8>; 5] {
        let mut hits: Vec<(String, String)> = Vec::new();
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
                if let Some((z, p)) = self.match_host(&host) {
                    if !hits.iter().any(|h| h.0 == z) {
                        hits.push((z.to_string(), p.to_string()));
                    }
                }
            }
        }
        let mut providers: Vec<Vec<u8>> = Vec::new();
        for (_, p) in &hits {
            if !p.is_empty() && !providers.iter().any(|q| q == p.as_bytes()) {
                providers.push(p.as_bytes().to_vec());
            }
        }
        let zones: Vec<Vec<u8>> = hits.iter().map(|h| h.0.as_bytes().to_vec()).collect();
        let mv = |v: &[Vec<u8>]| if v.len() > 1 { encode_mv(v) } else { Vec::new() };
        [
            if hits.is_empty() { b"False".to_vec() } else { b"True".to_vec() },
            providers.join(&b'\n'),
            zones.join(&b'\n'),
            mv(&providers),
            mv(&zones),
        ]
    }
}

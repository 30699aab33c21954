//! What `zones build` keeps beside the list for the exports
//! (`dynamicdns zones export`): the append-only Suricata sid registry
//! `data/suricata_sids.csv`, and a reminder to bump `data/VERSION` when a
//! list's sha256 changed.

use std::collections::HashSet;
use std::path::Path;

/// The registry's file name in the data folder.
pub const SIDS_FILE_NAME: &str = "suricata_sids.csv";
/// The data version's file name in the data folder.
pub const VERSION_FILE_NAME: &str = "VERSION";

/// The registry with every core zone of `lookup` that it lacks appended
/// (in byte order, with the next free indexes); existing rows unchanged.
/// Returns the new text and how many rows were added.
pub fn extend_sids(registry: &str, lookup: &[u8]) -> Result<(String, usize), String> {
    let mut known = HashSet::new();
    let mut next = 0u32;
    for (i, line) in registry.lines().enumerate() {
        if line.starts_with('#') || line == "zone,index" || line.is_empty() {
            continue;
        }
        let (zone, index) = line
            .split_once(',')
            .and_then(|(z, n)| Some((z.to_string(), n.parse::<u32>().ok()?)))
            .ok_or_else(|| format!("{SIDS_FILE_NAME}: line {}: not zone,index", i + 1))?;
        next = next.max(index + 1);
        known.insert(zone);
    }
    let mut rdr = csv::Reader::from_reader(lookup);
    let mut new: Vec<String> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        if rec.get(3) == Some("core") && !known.contains(&rec[0]) {
            new.push(rec[0].to_string());
        }
    }
    new.sort();
    let mut text = registry.to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for (k, zone) in new.iter().enumerate() {
        text.push_str(&format!("{zone},{}\n", next + k as u32));
    }
    Ok((text, new.len()))
}

/// A note when `data/VERSION` records another sha256 for a list than
/// `bytes` have.
pub fn version_note(data: &Path, key: &str, file: &str, bytes: &[u8]) -> Option<String> {
    let sha: String = hmac_sha256::Hash::hash(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let version = std::fs::read_to_string(data.join(VERSION_FILE_NAME)).unwrap_or_default();
    let recorded = version.lines().find_map(|l| l.strip_prefix(key)).map(str::trim);
    (recorded != Some(sha.as_str())).then(|| {
        format!("xtask: {file} changed: in data/VERSION bump `version` and set `{key} {sha}`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_core_zones_get_the_next_indexes_and_old_rows_stay() {
        let reg = "# c\nzone,index\nb.example,0\nd.example,5\n";
        let lookup = b"zone,provider,category,tier,sources\na.example,,ddns,core,x\nb.example,,ddns,core,x\nc.example,,ddns,extended,x\ne.example,,ddns,core,x\n";
        let (text, n) = extend_sids(reg, lookup).unwrap();
        assert_eq!(n, 2);
        assert_eq!(text, "# c\nzone,index\nb.example,0\nd.example,5\na.example,6\ne.example,7\n");
        assert_eq!(extend_sids(&text, lookup).unwrap(), (text.clone(), 0));
    }
}

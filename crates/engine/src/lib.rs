/*!
The `dynamicdns` engine: flags host names that lie below a dynamic-DNS
provider's zone (`x.duckdns.org`, `y.ddns.net` …) and names the provider,
as a Splunk custom search command speaking the chunked protocol (SCP v2),
an external lookup, and the CLI's `check` and `enrich` (the binary in the
repository's `src/` is a thin shell over this crate).

How the pieces fit (DESIGN.md has the data flow and the invariants):
- [`scp`] is the protocol, in layers: [`scp::frame`] reads and writes SCP
  v2 chunks; [`scp::message`] holds what both sessions share (requests,
  replies, the one error type, the request order enforced once);
  [`scp::streaming`] is the session of `| dynamicdns` and
  [`scp::generating`] that of a generating command, whose one user is
  [`health`], the row of the health command `| dynamicdnsinfo`;
- [`record`] finds CSV record and field boundaries in raw bytes and handles
  Splunk's multivalue cells;
- [`host`] turns a field value (host, URL, debug-log name …) into a
  normalised host; [`textscan`] finds hosts embedded in free text;
- [`zoneset`] holds the zone set (the shipped list is compiled into the
  binary as a [`dynamicdns_zonetable::ZoneTable`]) and applies the
  longest-suffix rule; [`zonefile`] reads the local zone files (its
  allowlist `expires` dates are [`date`]'s);
- [`spl`] is the `key=value` grammar of SPL arguments, which [`options`]
  (the command's options) and [`health`] read theirs with;
- [`verdict`] judges values into hits and names the output fields
  ([`verdict::Field`]); [`enrich`] writes them into the input formats, one
  driver for all ([`enrich::run`]): a CSV body (block by block, also the
  SCP session's), and through [`enrich::lines`] JSON lines
  ([`enrich::jsonl`], the verdict keys spliced in) and Zeek TSV
  ([`enrich::zeek`], columns appended);
- [`export`] writes the zone list for other platforms (KQL, Suricata,
  Zeek, Sigma, MISP, Elastic, CSV, JSON);
- [`external_lookup`] is the Splunk external lookup.

The library prints nothing and exits nowhere: errors and warnings come back
to the binary (a session's [`scp::message::Outcome`]), which prints them.

```
use dynamicdns_engine::enrich::{Dialect, Enricher};
use dynamicdns_engine::options::Options;
use dynamicdns_engine::zoneset::ZoneSet;

let zones = ZoneSet::embedded();
assert_eq!(zones.longest_match(b"nas.duckdns.org").map(|m| m.zone), Some("duckdns.org"));
assert_eq!(zones.longest_match(b"duckdns.org"), None); // the apex is not DDNS

let mut enricher = Enricher::new(&zones, &Options::default(), Dialect::PlainCsv);
let mut out = Vec::new();
enricher.process_body(b"query\nx.ddns.net\n", &mut out).unwrap();
assert_eq!(
    String::from_utf8(out).unwrap(),
    "query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
     x.ddns.net,True,No-IP,ddns.net,ddns,core\n"
);
```
*/
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod date;
pub mod enrich;
pub mod export;
pub mod external_lookup;
pub mod health;
pub mod host;
pub mod options;
pub mod record;
pub mod scp;
pub mod spl;
pub mod textscan;
pub mod verdict;
pub mod zonefile;
pub mod zoneset;

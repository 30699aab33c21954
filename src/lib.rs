/*!
`dynamicdns` flags host names that lie below a dynamic-DNS provider's zone
(`x.duckdns.org`, `y.ddns.net` …) and names the provider. It is a Splunk
custom search command speaking the chunked protocol (SCP v2) and a CLI over
the same engine.

How the pieces fit:
- [`frame`] reads and writes SCP v2 chunks;
- [`record`] finds CSV record and field boundaries in raw bytes and handles
  Splunk's multivalue cells;
- [`host`] turns a field value (host, URL, debug-log name …) into a
  normalised host;
- [`zones`] holds the zone set ([`zonetable`] is its hash table, compiled
  into the binary) and applies the longest-suffix verdict rule;
- [`textscan`] finds hosts embedded in free text;
- [`command`] is the command: options, and the enrichment of a CSV body;
- [`scp`] is the protocol session; [`cli`] the command line;
- [`zonebuild`] rebuilds the shipped zone list from the vendored sources.
*/
#![deny(missing_docs)]

pub mod cli;
pub mod command;
pub mod frame;
pub mod host;
pub mod lookup;
pub mod record;
pub mod scp;
pub mod textscan;
pub mod zonebuild;
pub mod zones;
pub mod zonetable;

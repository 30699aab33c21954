//! Benchmark (not a timed test) of one CSV record far longer than a read
//! block: `enrich` over `query,_raw` with a single quoted `_raw` of 128,
//! 256 and 512 MiB (XML-like lines with commas), read in 1 MiB blocks as
//! the CLI reads a file. Scanning a cut-off record again from its start at
//! every block made this quadratic; the ratio 512 MiB / 128 MiB should now
//! stay near 4 (the bound: 4.5).
//!
//! `cargo bench --bench huge_record` (needs about 2.5 GiB of memory). Prints
//! the best of three runs per size and the ratio; fails if the output is
//! not the input with the verdict columns appended.

use std::io::Read;
use std::time::{Duration, Instant};

use dynamicdns_engine::enrich::{self, Format};
use dynamicdns_engine::options::Options;
use dynamicdns_engine::zoneset::ZoneSet;

/// The input: a header, the huge record (a match), a short record.
fn input(mib: usize) -> Vec<u8> {
    let mut v = b"query,_raw\na.duckdns.org,\"".to_vec();
    let line = b"<Data Name='x'>some text, with commas</Data>\n";
    while v.len() < mib << 20 {
        v.extend_from_slice(line);
    }
    v.extend_from_slice(b"\"\nb.ddns.net,short\n");
    v
}

/// A reader handing out at most 1 MiB per read, as a file does.
struct Blocks<'a>(&'a [u8]);

impl Read for Blocks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(1 << 20);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fn run(zones: &ZoneSet, data: &[u8], out: &mut Vec<u8>) -> Duration {
    out.clear();
    let start = Instant::now();
    let s = enrich::run(Format::Csv, zones, &Options::default(), false, Blocks(data), &mut *out)
        .expect("enrich");
    let took = start.elapsed();
    assert_eq!((s.records, s.matched), (2, 2));
    let tail = String::from_utf8_lossy(&out[out.len() - 100..]).into_owned();
    assert!(out.len() > data.len() && tail.contains("\nb.ddns.net,short,True,"), "{tail}");
    took
}

fn main() {
    let zones = ZoneSet::embedded();
    let mut out = Vec::new();
    let mut best = Vec::new();
    for mib in [128, 256, 512] {
        let data = input(mib);
        let t = (0..3).map(|_| run(&zones, &data, &mut out)).min().unwrap();
        println!("{mib:>4} MiB record: {:>8.3} s", t.as_secs_f64());
        best.push(t.as_secs_f64());
    }
    println!("512 MiB / 128 MiB: {:.2}x (linear: 4; the bound: 4.5)", best[2] / best[0]);
}

//! What the line-format targets (`jsonl`, `zeek`) share: the one `enrich`
//! driver over arbitrary input, read in pieces of arbitrary sizes.

use std::io::Read;
use std::sync::LazyLock;

use dynamicdns_engine::enrich::{self, EnrichError, Format, Summary};
use dynamicdns_engine::options::Options;
use dynamicdns_engine::zoneset::ZoneSet;

static ZONES: LazyLock<ZoneSet> = LazyLock::new(ZoneSet::embedded);

/// A reader that hands out `data` a few bytes at a time (sizes cycling
/// through `sizes`), as a pipe might.
struct Pieces<'a> {
    data: &'a [u8],
    sizes: &'a [usize],
    k: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = self.sizes[self.k % self.sizes.len()].max(1);
        self.k += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Runs `input` through the driver as `format` judging `fields`, read in
/// pieces of `sizes`; returns the output and the result.
pub fn enrich(
    format: Format,
    fields: &[&str],
    pass_bad: bool,
    input: &[u8],
    sizes: &[usize],
) -> (Vec<u8>, Result<Summary, String>) {
    let options =
        Options { fields: fields.iter().map(|f| f.to_string()).collect(), ..Options::default() };
    let mut out = Vec::new();
    let reader = Pieces { data: input, sizes, k: 0 };
    let r = enrich::run(format, &ZONES, &options, pass_bad, reader, &mut out);
    let r = r.map_err(|e| match e {
        EnrichError::Input(e) => e.to_string(),
        other => panic!("not an input error: {other}"),
    });
    (out, r)
}

/// The checks common to the line formats, for input `data` whose first
/// byte picks the read sizes: the output does not depend on where reads
/// end; with bad lines passed, every input line comes out, in order, its
/// bytes kept up to the splice (`kept(input, line, out)`); stopping at a bad line
/// writes exactly the lines before it.
pub fn check_lines(
    format: Format,
    fields: &[&str],
    data: &[u8],
    kept: impl Fn(&[u8], &[u8], &[u8]) -> bool,
) {
    let Some((&ctl, input)) = data.split_first() else { return };
    let sizes = [usize::from(ctl & 15) + 1, usize::from(ctl >> 4) * 7 + 1, 4096];
    let (whole, whole_r) = enrich(format, fields, true, input, &[1 << 20]);
    let (pieces, pieces_r) = enrich(format, fields, true, input, &sizes);
    assert_eq!(whole, pieces, "the output depends on where reads end");
    assert_eq!(whole_r, pieces_r);
    let summary = match whole_r {
        Ok(s) => s,
        Err(e) => {
            // Only an input that is not UTF-8 stops with bad lines passed.
            assert!(e.ends_with(enrich::UTF16_PROBLEM) && whole.is_empty(), "{e}");
            return;
        }
    };
    // A byte-order mark stays on the first line, in and out.
    let ins: Vec<&[u8]> = input.split_inclusive(|&b| b == b'\n').collect();
    let outs: Vec<&[u8]> = whole.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(ins.len(), outs.len(), "a line was lost or split");
    for (i, o) in ins.iter().zip(&outs) {
        assert!(
            kept(input, i, o),
            "{:?} -> {:?}",
            String::from_utf8_lossy(i),
            String::from_utf8_lossy(o)
        );
    }
    assert_eq!(summary.records + summary.passed_bad, ins.len() as u64);
    // Stopping at the first bad line: the lines before it, then the error.
    let (stopped, stopped_r) = enrich(format, fields, false, input, &sizes);
    match (&summary.first_bad, stopped_r) {
        (None, Ok(s)) => assert_eq!(s, summary),
        (Some(first), Err(e)) => {
            assert_eq!(e, first.to_string());
            let before = usize::try_from(first.line).unwrap() - 1;
            let want: usize = outs[..before].iter().map(|l| l.len()).sum();
            assert_eq!(stopped, whole[..want]);
        }
        (first, r) => panic!("passed {first:?} but stopped with {r:?}"),
    }
}

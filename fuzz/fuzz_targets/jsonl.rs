//! The JSON-lines reader (`enrich --format jsonl`) through the one enrich
//! driver, over arbitrary input read in arbitrary pieces. Checks (beyond
//! no panic): the output does not depend on where reads end; every line
//! comes out, in order; a line accepted keeps its bytes up to the closing
//! brace, where the verdict keys are spliced, and what followed it (unless
//! it held a verdict key, which is replaced); a bad line is kept whole;
//! stopping at a bad line writes exactly the lines before it.
#![no_main]

use dynamicdns_engine::enrich::Format;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::check_lines(Format::Jsonl, &["query", "dns.answers.rdata", "id.orig_h"], data, kept);
});

/// `out` is `line` unchanged, or `line` with the verdict keys spliced in
/// before its last `}`.
fn kept(_input: &[u8], line: &[u8], out: &[u8]) -> bool {
    if out == line {
        return true;
    }
    let Some(brace) = line.iter().rposition(|&b| b == b'}') else { return false };
    let (head, tail) = (&line[..brace], &line[brace + 1..]);
    let holds_verdict_key =
        [&b"\"isDynDNS\""[..], b"\"provider\"", b"\"dyndns_"].iter().any(|k| memmem(line, k));
    out.ends_with(tail)
        && memmem(out, b"\"isDynDNS\":")
        && (holds_verdict_key || out.starts_with(head))
}

fn memmem(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

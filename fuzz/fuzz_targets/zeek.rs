//! The Zeek TSV reader (`enrich --format zeek`) through the one enrich
//! driver, over arbitrary input read in arbitrary pieces. Checks (beyond
//! no panic): the output does not depend on where reads end; every line
//! comes out, in order; a line keeps its bytes and gets the verdict
//! columns appended (unless a column of a verdict name is replaced in
//! place); a header or bad line is kept whole; stopping at a bad line
//! writes exactly the lines before it.
#![no_main]

use dynamicdns_engine::enrich::Format;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::check_lines(Format::Zeek, &["query", "answers"], data, kept);
});

/// `out` is `line` unchanged, or `line` (without its line ending) with
/// columns appended (or, when a `#fields` line of `input` may name a verdict
/// column, replaced in place).
fn kept(input: &[u8], line: &[u8], out: &[u8]) -> bool {
    if out == line {
        return true;
    }
    // The line ending is `\r\n`, `\n` or none (a lone `\r` is content).
    let content = match line.strip_suffix(b"\n") {
        Some(c) => c.strip_suffix(b"\r").unwrap_or(c),
        None => line,
    };
    let holds_verdict_name = [&b"isDynDNS"[..], b"provider", b"dyndns_"]
        .iter()
        .any(|k| input.windows(k.len()).any(|w| w == *k));
    out.ends_with(&line[content.len()..]) && (holds_verdict_name || out.starts_with(content))
}

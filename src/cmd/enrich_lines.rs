//! `dynamicdns enrich --format jsonl|zeek`: line formats through the
//! engine's line driver; memory is bounded by the longest line.

use std::cell::Cell;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

use dynamicdns_engine::jsonl::JsonlEnricher;
use dynamicdns_engine::lines::{self, LineEnricher, LineProblem, LinesError};
use dynamicdns_engine::zeektsv::ZeekTsvEnricher;
use dynamicdns_engine::zoneset::ZoneSet;

use super::progress::Progress;
use crate::flags::{Args, EnrichFormat};
use crate::CliError;

/// Enriches `input` (named `name` in messages) as `args.enrich_format`
/// says, to stdout.
pub fn run(
    name: &str,
    input: Box<dyn Read>,
    zones: &ZoneSet,
    args: &Args,
) -> Result<(), CliError> {
    match args.enrich_format {
        EnrichFormat::Zeek => {
            drive(name, input, &mut ZeekTsvEnricher::new(zones, &args.options)?, args)
        }
        _ => drive(name, input, &mut JsonlEnricher::new(zones, &args.options)?, args),
    }
}

fn drive(
    name: &str,
    input: Box<dyn Read>,
    enricher: &mut impl LineEnricher,
    args: &Args,
) -> Result<(), CliError> {
    let bytes = Rc::new(Cell::new(0));
    let input = BufReader::with_capacity(1 << 16, Counting { inner: input, bytes: bytes.clone() });
    let out = io::stdout().lock();
    let progress = Progress::for_stderr("lines");
    let mut watched = Watched { inner: enricher, progress, bytes };
    let run = lines::run(input, out, &mut watched, args.pass_bad_lines);
    let summary = run.map_err(|e| match e {
        LinesError::Read(source) => CliError::Input { name: name.to_string(), source },
        LinesError::Write(e) => CliError::Write(e),
        LinesError::Line { line, problem } => {
            CliError::Data(format!("{name}: line {line}: {problem}"))
        }
    })?;
    watched.progress.bytes = watched.bytes.get();
    watched.progress.finish(name);
    if let Some((line, problem)) = &summary.first_bad {
        eprintln!(
            "dynamicdns: {name}: {} bad lines passed through unchanged (first: line {line}: {problem})",
            summary.passed_bad
        );
    }
    Ok(())
}

/// Counts the bytes read, for the progress line.
struct Counting<R> {
    inner: R,
    bytes: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

/// An enricher whose lines and hits the progress line counts.
struct Watched<'a, E> {
    inner: &'a mut E,
    progress: Progress,
    bytes: Rc<Cell<u64>>,
}

impl<E: LineEnricher> LineEnricher for Watched<'_, E> {
    fn line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<bool, LineProblem> {
        let r = self.inner.line(line, out);
        let p = &mut self.progress;
        p.records += 1;
        p.hits += u64::from(matches!(r, Ok(true)));
        // The clock is read every 1024 lines, not on each.
        if p.records % 1024 == 0 {
            p.bytes = self.bytes.get();
            p.tick();
        }
        r
    }
}

//! `dynamicdns enrich --format jsonl|zeek`: line formats through the
//! engine's line driver; memory is bounded by the longest line.

use std::io::{self, BufReader, Read};

use dynamicdns_engine::jsonl::JsonlEnricher;
use dynamicdns_engine::lines::{self, LineEnricher, LinesError};
use dynamicdns_engine::zeektsv::ZeekTsvEnricher;
use dynamicdns_engine::zoneset::ZoneSet;

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
    let input = BufReader::with_capacity(1 << 16, input);
    let out = io::stdout().lock();
    let summary = lines::run(input, out, enricher, args.pass_bad_lines).map_err(|e| match e {
        LinesError::Read(source) => CliError::Input { name: name.to_string(), source },
        LinesError::Write(e) => CliError::Write(e),
        LinesError::Line { line, problem } => {
            CliError::Data(format!("{name}: line {line}: {problem}"))
        }
    })?;
    if let Some((line, problem)) = &summary.first_bad {
        eprintln!(
            "dynamicdns: {name}: {} bad lines passed through unchanged (first: line {line}: {problem})",
            summary.passed_bad
        );
    }
    Ok(())
}

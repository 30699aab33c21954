//! The one driver of `enrich` for every input [`Format`]: reads the input,
//! feeds it to the format's enricher, writes what comes back, and places
//! every problem in the input (line and byte) the same way. Memory is
//! bounded by the read block plus the longest record (twice it, for a
//! record longer than a block; see [`BodyStream`]).
//!
//! The same rules in every format:
//! - a UTF-8 byte-order mark is copied and not read as data; UTF-16 is an
//!   error;
//! - a field asked for that the header lacks (CSV's header row, Zeek's
//!   `#fields`) is an error naming the field and the header's fields; in
//!   JSON lines the fields no line had come back in [`Summary::unseen_fields`];
//! - on a bad record or line, everything before it is written, then the
//!   error names its line and byte; with `pass_bad` it is copied unchanged
//!   and counted instead (the first kept for the message);
//! - the output does not depend on where reads end.

use std::io::{self, BufRead, BufReader, Read, Write};

use super::format::{byte_order_mark, Bom, Format, UTF16_PROBLEM, UTF8_BOM};
use super::missing::MissingField;
use super::{BodyError, BodyStream, Dialect, Enricher, RecordErrorKind};
use crate::enrich::jsonl::JsonlEnricher;
use crate::enrich::lines::{LineEnricher, LineProblem};
use crate::enrich::zeek::ZeekTsvEnricher;
use crate::options::Options;
use crate::record::CsvError;
use crate::zoneset::ZoneSet;

/// Bytes read at a time.
const BLOCK: usize = 1 << 20;

/// Output bytes gathered before a write.
const FLUSH_AT: usize = 1 << 16;

/// What is wrong with a record or line of the input (where is the
/// [`InputError`]'s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A CSV record.
    Csv(RecordErrorKind),
    /// A line of a line format.
    Line(LineProblem),
    /// A header without a field asked for.
    MissingField(MissingField),
    /// The input is in UTF-16.
    Utf16,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The byte is the error's, not repeated here.
            Problem::Csv(RecordErrorKind::Csv(CsvError::UnclosedQuote { .. })) => {
                f.write_str("a quoted field is never closed")
            }
            Problem::Csv(RecordErrorKind::Csv(CsvError::AfterQuote { byte, .. })) => {
                write!(f, "unexpected byte {byte:#04x} after a closing quote")
            }
            Problem::Csv(kind @ RecordErrorKind::Ragged { .. }) => kind.fmt(f),
            Problem::Line(p) => p.fmt(f),
            Problem::MissingField(m) => m.fmt(f),
            Problem::Utf16 => f.write_str(UTF16_PROBLEM),
        }
    }
}

impl std::error::Error for Problem {}

/// A problem and where it lies in the input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, byte {byte}: {problem}")]
pub struct InputError {
    /// 1-based line of the input where the record or line at fault starts.
    pub line: u64,
    /// 1-based offset in the input of the byte at fault.
    pub byte: u64,
    /// What is wrong.
    pub problem: Problem,
}

impl From<BodyError> for InputError {
    fn from(e: BodyError) -> InputError {
        let at = match e.kind {
            RecordErrorKind::Csv(
                CsvError::UnclosedQuote { at } | CsvError::AfterQuote { at, .. },
            ) => at,
            RecordErrorKind::Ragged { .. } => e.offset,
        };
        InputError { line: e.line as u64, byte: at as u64 + 1, problem: Problem::Csv(e.kind) }
    }
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    /// Reading the input failed.
    #[error("{0}")]
    Read(#[source] io::Error),
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Write(#[source] io::Error),
    /// The input is wrong (everything before the fault was written).
    #[error("{0}")]
    Input(#[from] InputError),
}

/// Counts of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records (CSV) or lines (line formats, header lines included) read
    /// and written enriched.
    pub records: u64,
    /// Those with a dynamic-DNS match.
    pub matched: u64,
    /// Bad records or lines passed through unchanged (`pass_bad`).
    pub passed_bad: u64,
    /// The first of them.
    pub first_bad: Option<InputError>,
    /// JSON lines: the fields asked for that no line had (empty when no
    /// line was read).
    pub unseen_fields: Vec<String>,
}

/// Enriches `input`, read as `format`, into `output`, judging
/// `options.fields` over `zones`.
pub fn run(
    format: Format,
    zones: &ZoneSet,
    options: &Options,
    pass_bad: bool,
    input: impl Read,
    output: impl Write,
) -> Result<Summary, EnrichError> {
    run_with_progress(format, zones, options, pass_bad, input, output, &mut |_| {})
}

/// [`run`], calling `progress` with the counts so far after each block
/// written (a person watching a long run sees them; the library prints
/// nothing itself).
pub fn run_with_progress(
    format: Format,
    zones: &ZoneSet,
    options: &Options,
    pass_bad: bool,
    input: impl Read,
    output: impl Write,
    progress: &mut dyn FnMut(&Summary),
) -> Result<Summary, EnrichError> {
    match format {
        Format::Csv => {
            let mut e = Enricher::new(zones, options, Dialect::PlainCsv);
            e.require_fields(true);
            e.pass_bad_records(pass_bad);
            run_csv(&mut e, input, output, progress)
        }
        Format::Jsonl => {
            let mut e = JsonlEnricher::new(zones, options);
            run_lines(&mut e, pass_bad, input, output, progress)
        }
        Format::Zeek => {
            let mut e = ZeekTsvEnricher::new(zones, options);
            run_lines(&mut e, pass_bad, input, output, progress)
        }
    }
}

/// The CSV driver: blocks through a [`BodyStream`].
fn run_csv(
    e: &mut Enricher<'_>,
    mut input: impl Read,
    mut output: impl Write,
    progress: &mut dyn FnMut(&Summary),
) -> Result<Summary, EnrichError> {
    let mut stream = BodyStream::new();
    stream.start(e);
    let mut s = Summary::default();
    let mut out = Vec::new();
    let mut block = vec![0; BLOCK];
    let mut bom_read = false;
    // A byte-order mark is written with the first output (not before a
    // header that is refused).
    let mut bom = false;
    let mut header_at = 0;
    loop {
        let n = read_block(&mut input, &mut block, stream.input()).map_err(EnrichError::Read)?;
        let at_eof = n == 0;
        if !bom_read {
            match byte_order_mark(stream.input(), at_eof) {
                Bom::NeedMore => continue,
                Bom::Utf8 => {
                    bom = true;
                    stream.skip(UTF8_BOM.len());
                    header_at = UTF8_BOM.len() as u64;
                }
                Bom::Utf16 => return Err(utf16().into()),
                Bom::None => {}
            }
            bom_read = true;
        }
        out.clear();
        let result = stream.process(e, at_eof, &mut out);
        if let Some(m) = e.missing_field() {
            // The header row alone is in `out`: nothing is written.
            let problem = Problem::MissingField(m.clone());
            return Err(InputError { line: 1, byte: header_at + 1, problem }.into());
        }
        if bom && (!out.is_empty() || (at_eof && result.is_ok())) {
            output.write_all(UTF8_BOM).map_err(EnrichError::Write)?;
            bom = false;
        }
        let counts = match result {
            Ok(counts) => counts,
            Err(err) => {
                output
                    .write_all(&out)
                    .and_then(|()| output.flush())
                    .map_err(EnrichError::Write)?;
                return Err(InputError::from(err).into());
            }
        };
        s.records += counts.records;
        s.matched += counts.matched;
        s.passed_bad += counts.passed_bad;
        output.write_all(&out).map_err(EnrichError::Write)?;
        progress(&s);
        if at_eof {
            s.first_bad = stream.first_bad().cloned().map(InputError::from);
            output.flush().map_err(EnrichError::Write)?;
            return Ok(s);
        }
    }
}

fn utf16() -> InputError {
    InputError { line: 1, byte: 1, problem: Problem::Utf16 }
}

/// Appends what one read of `input` gives (up to [`BLOCK`] bytes, through
/// `block`, zeroed once rather than at each read: a pipe gives 64 KiB or
/// less at a time) to `buf`; 0 at end of input.
fn read_block(input: &mut impl Read, block: &mut [u8], buf: &mut Vec<u8>) -> io::Result<usize> {
    loop {
        match input.read(block) {
            Ok(n) => {
                buf.extend_from_slice(&block[..n]);
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The line driver: every line, in order, through `enricher`; line endings
/// (`\n`, `\r\n`, none on the last line) are kept as they were.
fn run_lines(
    enricher: &mut impl LineEnricher,
    pass_bad: bool,
    input: impl Read,
    mut output: impl Write,
    progress: &mut dyn FnMut(&Summary),
) -> Result<Summary, EnrichError> {
    let mut input = BufReader::with_capacity(FLUSH_AT, input);
    let mut s = Summary::default();
    let mut line = Vec::new();
    let mut out = Vec::with_capacity(FLUSH_AT);
    let (mut number, mut offset) = (0u64, 0u64);
    loop {
        line.clear();
        let n = input.read_until(b'\n', &mut line).map_err(EnrichError::Read)?;
        if n == 0 {
            break;
        }
        number += 1;
        let mut from = 0;
        let mark = out.len();
        if number == 1 {
            match byte_order_mark(&line, true) {
                Bom::Utf8 => {
                    out.extend_from_slice(UTF8_BOM);
                    from = UTF8_BOM.len();
                }
                Bom::Utf16 => return Err(utf16().into()),
                Bom::None | Bom::NeedMore => {}
            }
        }
        let content_end = content_end(&line).max(from);
        match enricher.line(&line[from..content_end], &mut out) {
            Ok(hit) => {
                s.records += 1;
                s.matched += u64::from(hit);
                out.extend_from_slice(&line[content_end..]);
            }
            Err(problem) => {
                out.truncate(mark);
                let byte = offset + (from + problem.at) as u64 + 1;
                let err = InputError { line: number, byte, problem: Problem::Line(problem) };
                if !pass_bad {
                    output
                        .write_all(&out)
                        .and_then(|()| output.flush())
                        .map_err(EnrichError::Write)?;
                    return Err(err.into());
                }
                out.extend_from_slice(&line);
                s.passed_bad += 1;
                s.first_bad.get_or_insert(err);
            }
        }
        offset += n as u64;
        if out.len() >= FLUSH_AT {
            output.write_all(&out).map_err(EnrichError::Write)?;
            out.clear();
            progress(&s);
        }
    }
    output.write_all(&out).and_then(|()| output.flush()).map_err(EnrichError::Write)?;
    if s.records > 0 {
        s.unseen_fields = enricher.unseen_fields();
    }
    Ok(s)
}

/// Where a line's content ends: before its `\r\n` or `\n`.
fn content_end(line: &[u8]) -> usize {
    match line {
        [.., b'\r', b'\n'] => line.len() - 2,
        [.., b'\n'] => line.len() - 1,
        _ => line.len(),
    }
}

#[cfg(test)]
#[path = "drive_tests.rs"]
mod tests;

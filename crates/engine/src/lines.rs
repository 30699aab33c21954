//! Line-oriented enrichment (`enrich --format jsonl|zeek`): a driver that
//! feeds every input line, in order, through a [`LineEnricher`] and writes
//! what it returns, with one reused line buffer, so memory is bounded by
//! the longest line.
//!
//! A line the enricher cannot read is an error naming the line
//! ([`LinesError::Line`]), or, with `pass_bad` set, is copied unchanged and
//! counted in the [`Summary`] (the first problem is kept for the message).

use std::io::{self, BufRead, Write};

/// What is wrong with one input line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LineProblem(pub String);

/// Enriches one line at a time.
pub trait LineEnricher {
    /// Writes the enriched `line` (without its line ending) to `out`; true
    /// when the line is a dynamic-DNS match. On an error nothing useful is
    /// in `out` (the driver truncates it).
    fn line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<bool, LineProblem>;
}

/// Counts of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines read (and written).
    pub lines: u64,
    /// Lines with a dynamic-DNS match.
    pub matched: u64,
    /// Bad lines passed through unchanged.
    pub passed_bad: u64,
    /// The first bad line passed through: its number and problem.
    pub first_bad: Option<(u64, LineProblem)>,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum LinesError {
    /// Reading the input failed.
    #[error("{0}")]
    Read(#[source] io::Error),
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Write(#[source] io::Error),
    /// A line cannot be read (1-based line number).
    #[error("line {line}: {problem}")]
    Line {
        /// The line's number.
        line: u64,
        /// What is wrong.
        problem: LineProblem,
    },
}

/// Runs every line of `input` through `enricher` into `output`. Line
/// endings (`\n`, `\r\n`, none on the last line) are kept as they were.
pub fn run(
    mut input: impl BufRead,
    mut output: impl Write,
    enricher: &mut impl LineEnricher,
    pass_bad: bool,
) -> Result<Summary, LinesError> {
    let mut s = Summary::default();
    let mut line = Vec::new();
    let mut out = Vec::with_capacity(1 << 16);
    loop {
        line.clear();
        let n = input.read_until(b'\n', &mut line).map_err(LinesError::Read)?;
        if n == 0 {
            break;
        }
        s.lines += 1;
        let content_end = content_end(&line);
        let mark = out.len();
        match enricher.line(&line[..content_end], &mut out) {
            Ok(hit) => {
                s.matched += u64::from(hit);
                out.extend_from_slice(&line[content_end..]);
            }
            Err(problem) if pass_bad => {
                out.truncate(mark);
                out.extend_from_slice(&line);
                s.passed_bad += 1;
                if s.first_bad.is_none() {
                    s.first_bad = Some((s.lines, problem));
                }
            }
            Err(problem) => return Err(LinesError::Line { line: s.lines, problem }),
        }
        if out.len() >= 1 << 16 {
            output.write_all(&out).map_err(LinesError::Write)?;
            out.clear();
        }
    }
    output.write_all(&out).and_then(|()| output.flush()).map_err(LinesError::Write)?;
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

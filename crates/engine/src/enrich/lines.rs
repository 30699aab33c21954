//! Line-oriented enrichment (`enrich --format jsonl|zeek`): the
//! [`LineEnricher`] each line format implements, fed one line at a time by
//! the one `enrich` driver ([`crate::enrich::run`]).

/// What is wrong with one input line, and where in it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what}")]
pub struct LineProblem {
    /// What is wrong.
    pub what: String,
    /// Offset in the line (without its line ending) of the byte at fault.
    pub at: usize,
}

impl LineProblem {
    /// A problem with the line as a whole (reported at its first byte).
    pub fn line(what: impl Into<String>) -> LineProblem {
        LineProblem { what: what.into(), at: 0 }
    }
}

/// Enriches one line at a time.
pub trait LineEnricher {
    /// Writes the enriched `line` (without its line ending) to `out`; true
    /// when the line is a dynamic-DNS match. On an error nothing useful is
    /// in `out` (the driver truncates it).
    fn line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<bool, LineProblem>;

    /// The fields asked for that no line so far had (formats without a
    /// header; the driver reports them at the end of the input).
    fn unseen_fields(&self) -> Vec<String> {
        Vec::new()
    }
}

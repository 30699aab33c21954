//! [`BodyStream`]: a CSV body that arrives in blocks, fed through an
//! [`Enricher`], with errors positioned in the whole body.

use super::{Counts, Enricher, RecordError, RecordErrorKind};
use crate::record;

/// A record error in a streamed body, positioned in the whole body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, record {record}: {kind}")]
pub struct BodyError {
    /// 1-based line of the body where the failing record (or scan) starts.
    pub line: usize,
    /// 1-based record number since the header (0 = the header).
    pub record: u64,
    /// Byte offset in the body of the failing record (or scan).
    pub offset: usize,
    /// What is wrong (CSV offsets are the body's).
    #[source]
    pub kind: RecordErrorKind,
}

/// Feeds a body that arrives in blocks through an [`Enricher`]: the caller
/// appends bytes to [`input`](Self::input), then calls
/// [`process`](Self::process), which enriches the complete records, keeps
/// the cut-off rest for the next block, and positions errors in the whole
/// body. Used by the SCP session (execute bodies) and the CLI (files).
#[derive(Debug, Default)]
pub struct BodyStream {
    buf: Vec<u8>,
    /// Body offset of `buf[0]`.
    base: usize,
    /// Lines of the body before `buf[0]` (the scanner counts them as it
    /// goes, so the body is not read twice for line numbers).
    lines_before: u64,
    /// Blocks are only buffered, not scanned, until `buf` holds this many
    /// bytes: twice the cut-off record left by the last scan. Each attempt
    /// scans that record from its start, so waiting for the buffer to
    /// double keeps the time linear in the record's length (a record
    /// longer than many blocks, or a body arriving in tiny reads); a block
    /// longer than the cut-off record, the common case, is scanned at once.
    scan_at: usize,
    /// The first bad record passed through, positioned in the body.
    first_bad: Option<BodyError>,
}

impl BodyStream {
    /// A stream with no body started.
    pub fn new() -> BodyStream {
        BodyStream::default()
    }

    /// Starts a new body: forgets any rest of the last one and resets the
    /// enricher's header.
    pub fn start(&mut self, enricher: &mut Enricher<'_>) {
        enricher.reset();
        self.buf.clear();
        self.base = 0;
        self.lines_before = 0;
        self.scan_at = 0;
        self.first_bad = None;
    }

    /// Drops the first `n` bytes buffered, which are not part of the body
    /// proper (a byte-order mark); offsets stay those of the whole input.
    pub fn skip(&mut self, n: usize) {
        self.buf.drain(..n);
        self.base += n;
    }

    /// The first bad record passed through since [`start`](Self::start)
    /// (see [`Enricher::pass_bad_records`]).
    pub fn first_bad(&self) -> Option<&BodyError> {
        self.first_bad.as_ref()
    }

    /// The buffer to append the body's next bytes to.
    pub fn input(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Enriches the complete records buffered so far into `out` (all of
    /// them when `at_eof`, the body's end).
    pub fn process(
        &mut self,
        enricher: &mut Enricher<'_>,
        at_eof: bool,
        out: &mut Vec<u8>,
    ) -> Result<Counts, BodyError> {
        if !at_eof && self.buf.len() < self.scan_at {
            return Ok(Counts::default());
        }
        let locate = |e: RecordError| {
            let line = self.lines_before as usize + record::line_of(&self.buf, e.offset);
            let e = e.shifted(self.base);
            BodyError { line, record: e.record, offset: e.offset, kind: e.kind }
        };
        let result = enricher.process(&self.buf, 0, at_eof, out);
        if let Some(bad) = enricher.first_bad.take() {
            if self.first_bad.is_none() {
                self.first_bad = Some(locate(bad));
            }
        }
        let (used, counts) = result.map_err(locate)?;
        if !at_eof {
            debug_assert_eq!(
                counts.lines,
                memchr::memchr_iter(b'\n', &self.buf[..used]).count() as u64
            );
            self.lines_before += counts.lines;
            self.base += used;
            self.buf.drain(..used);
            self.scan_at = 2 * self.buf.len();
        }
        Ok(counts)
    }
}

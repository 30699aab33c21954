//! Enrichment of a CSV body (a header row, then records): what the SCP
//! session does with each execute request and the CLI's `enrich` with a
//! file.
//!
//! Every input record is copied to the output byte for byte and the
//! verdict fields are appended: `isDynDNS` (`True`/`False`), `provider`,
//! `dyndns_zone`, `dyndns_category` and `dyndns_tier` (plus their `__mv_`
//! twins in the [`Dialect::Splunk`] dialect). Where the input already has a column of one of those names
//! (the command run twice, or an older lookup's output), that column's
//! value is replaced in place instead, so the output never holds two
//! columns of one name.
//!
//! [`Enricher`] works on a buffer holding whole records; [`BodyStream`]
//! feeds it a body that arrives in blocks, so memory is bounded by the
//! block size plus the longest record, and turns buffer offsets into the
//! body's own lines and bytes for error messages.

mod drive;
mod format;
pub mod jsonl;
pub mod lines;
mod missing;
mod stream;
pub mod zeek;

pub use drive::{run, run_with_progress, EnrichError, InputError, Problem, Summary};
pub use format::{Format, FORMATS, UTF16_PROBLEM, UTF8_BOM};
pub use missing::MissingField;
pub use stream::{BodyError, BodyStream};

use crate::options::Options;
use crate::record::{self, CsvError, RecordScanner, RecordSpan, Scan, Span};
use crate::verdict::{Field, Hits, Judge, OutputNames, Shape};
use crate::zoneset::ZoneSet;

/// How several values of one output field are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Splunk's chunked protocol: several values are joined by newlines in
    /// the field and also given as a `__mv_<field>` multivalue cell.
    Splunk,
    /// Plain CSV: several values are joined by newlines in one cell, as
    /// Splunk's own CSV export does; no `__mv_` columns.
    PlainCsv,
}

/// One output column the command writes: a field, or its `__mv_` twin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OutCol {
    Plain(Field),
    Mv(Field),
}

impl OutCol {
    fn name(self, names: &OutputNames) -> &str {
        match self {
            OutCol::Plain(f) => names.name(f),
            OutCol::Mv(f) => names.mv_name(f),
        }
    }
}

/// Every output column the enricher writes in `dialect`, in the order it
/// appends them: the fields of [`Field::ALL`], then (in
/// [`Dialect::Splunk`]) the `__mv_` twins of the list fields.
/// `__mv_isDynDNS` is only ever kept consistent where the input has it,
/// never added. The one list: the header the enricher writes and the
/// fields the getinfo reply declares ([`output_fields`]) both follow it.
fn outputs(dialect: Dialect) -> impl Iterator<Item = OutCol> {
    let plain = Field::ALL.into_iter().map(OutCol::Plain);
    let mv = Field::ALL.into_iter().filter(|f| f.shape() == Shape::List).map(OutCol::Mv);
    plain.chain(mv.filter(move |_| dialect == Dialect::Splunk))
}

/// The names of the columns the enricher appends in `dialect`, in order
/// (what the command writes into every event). [`Dialect::PlainCsv`]'s are
/// also the fields the getinfo reply declares besides the fields read, so
/// that splunkd sends (and merges back) them.
pub fn output_fields(dialect: Dialect, names: &OutputNames) -> impl Iterator<Item = &str> {
    outputs(dialect).map(move |c| c.name(names))
}

/// Appends `,<name>` for each output field in plain CSV (the verdict
/// columns of a header row, as `check` writes them).
pub fn write_csv_names(names: &OutputNames, out: &mut Vec<u8>) {
    for (_, name) in names.iter() {
        out.push(b',');
        record::write_field(name.as_bytes(), out);
    }
}

/// Appends `,<value>` for each output field of `hits` in plain CSV (a
/// list's values joined by newlines in one cell); `scratch` is reused.
pub fn write_csv_values(hits: &Hits<'_>, scratch: &mut Vec<u8>, out: &mut Vec<u8>) {
    for f in Field::ALL {
        out.push(b',');
        scratch.clear();
        hits.write_joined(f, b"\n", scratch);
        record::write_field(scratch, out);
    }
}

/// A record error in a buffer given to [`Enricher::process`]: where, and
/// which record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct RecordError {
    /// What is wrong (CSV offsets are the buffer's).
    pub kind: RecordErrorKind,
    /// Byte offset in the buffer of the record (or the scan) that failed.
    pub offset: usize,
    /// 1-based record number since the header (0 = the header).
    pub record: u64,
}

impl RecordError {
    /// The same error with its offsets moved by `by`, for a buffer that
    /// starts `by` bytes into the body.
    fn shifted(mut self, by: usize) -> RecordError {
        self.offset += by;
        if let RecordErrorKind::Csv(e) = &mut self.kind {
            *e = e.shifted(by);
        }
        self
    }
}

/// What is wrong with a CSV body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordErrorKind {
    /// CSV syntax.
    #[error("{0}")]
    Csv(#[from] CsvError),
    /// A record's field count differs from the header's.
    #[error("record has {got} fields but the header has {want}")]
    Ragged {
        /// Fields in the record.
        got: usize,
        /// Fields in the header.
        want: usize,
    },
}

/// Column layout of one body, derived from its header row. Columns are
/// named by their slot in [`wanted`](Self::wanted), which is where the
/// scanner puts their spans.
#[derive(Debug, Default)]
struct Layout {
    ncols: usize,
    /// The columns a data record's spans are needed for, ascending: those
    /// read and those replaced.
    wanted: Vec<usize>,
    /// For each field to read: the slots of its column and its `__mv_`
    /// column.
    targets: Vec<(usize, Option<usize>)>,
    /// The slots of the input columns replaced in place, in column order,
    /// and the output column written in each.
    replace: Vec<(usize, OutCol)>,
    /// Output columns appended after the input's.
    append: Vec<OutCol>,
    /// Appended bytes for a record with no match (the common case).
    no_hit_suffix: Vec<u8>,
}

/// Enriches CSV bodies: one per SCP execute request, or one CSV file.
#[derive(Debug)]
pub struct Enricher<'z> {
    fields: Vec<Vec<u8>>,
    names: OutputNames,
    dialect: Dialect,
    judge: Judge<'z>,
    layout: Layout,
    header_done: bool,
    records: u64,
    /// Some record of the current body has a value in a field read.
    saw_value: bool,
    /// A field read that the header lacks stops the body
    /// ([`require_fields`](Self::require_fields)).
    require_fields: bool,
    /// The first field read that the current header lacks.
    missing: Option<MissingField>,
    /// Bad records are copied unchanged and counted instead of stopping the
    /// body ([`pass_bad_records`](Self::pass_bad_records)).
    pass_bad: bool,
    /// The first bad record passed since [`process`](Self::process) last
    /// handed it to a [`BodyStream`] (offsets of that buffer).
    first_bad: Option<RecordError>,
    spans: Vec<Span>,
    /// The unquoted plain cell being read.
    cell: Vec<u8>,
    /// The unquoted `__mv_` cell being read.
    mv_cell: Vec<u8>,
    /// One decoded value of a multivalue cell.
    mv_value: Vec<u8>,
    /// One output value, before CSV quoting.
    value_out: Vec<u8>,
}

/// Counts for one processed buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records read (and written).
    pub records: u64,
    /// Records with `isDynDNS=True`.
    pub matched: u64,
    /// LF bytes in the rows read (the header row included): the lines of
    /// the input they span.
    pub lines: u64,
    /// Bad records passed through unchanged (not in `records`).
    pub passed_bad: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.records += other.records;
        self.matched += other.matched;
        self.lines += other.lines;
        self.passed_bad += other.passed_bad;
    }
}

impl<'z> Enricher<'z> {
    /// An enricher for `options` over `zones`, writing `dialect`.
    pub fn new(zones: &'z ZoneSet, options: &Options, dialect: Dialect) -> Enricher<'z> {
        Enricher {
            fields: options.fields.iter().map(|f| f.as_bytes().to_vec()).collect(),
            names: options.names.clone(),
            dialect,
            judge: Judge::new(zones, options.mode),
            layout: Layout::default(),
            header_done: false,
            records: 0,
            saw_value: false,
            require_fields: false,
            missing: None,
            pass_bad: false,
            first_bad: None,
            spans: Vec::new(),
            cell: Vec::new(),
            mv_cell: Vec::new(),
            mv_value: Vec::new(),
            value_out: Vec::new(),
        }
    }

    /// Forgets the current header, so the next [`process`](Self::process)
    /// starts a new body.
    pub fn reset(&mut self) {
        self.header_done = false;
        self.records = 0;
        self.saw_value = false;
        self.missing = None;
        self.first_bad = None;
    }

    /// With `on`, a header that lacks a field read stops the body right
    /// after it ([`missing_field`](Self::missing_field) says which): the
    /// CLI's rule. splunkd sends a field no event has as no column, so the
    /// SCP session warns instead ([`fields_missing`](Self::fields_missing)).
    pub fn require_fields(&mut self, on: bool) {
        self.require_fields = on;
    }

    /// With `on`, a bad data record (ragged, or bad CSV up to the next line
    /// end) is copied unchanged and counted in [`Counts::passed_bad`]
    /// instead of being an error.
    pub fn pass_bad_records(&mut self, on: bool) {
        self.pass_bad = on;
    }

    /// The field read that the current header lacks, once the header is
    /// read, when [`require_fields`](Self::require_fields) is on.
    pub fn missing_field(&self) -> Option<&MissingField> {
        self.missing.as_ref().filter(|_| self.require_fields)
    }

    /// True once the current body's header row has been read.
    pub fn header_read(&self) -> bool {
        self.header_done
    }

    /// True when no record of the current body so far has a value in any
    /// of the fields read: its header has none of them, or every such cell
    /// is empty (splunkd sends a declared field that no event has as an
    /// empty column).
    pub fn fields_missing(&self) -> bool {
        self.header_done && !self.saw_value
    }

    /// Enriches one whole body (header row + records) into `out`. A body
    /// with no records (empty, or a header row only) writes nothing.
    pub fn process_body(&mut self, body: &[u8], out: &mut Vec<u8>) -> Result<Counts, RecordError> {
        self.reset();
        let start = out.len();
        let (_, counts) = self.process(body, 0, true, out)?;
        if counts.records == 0 {
            out.truncate(start);
        }
        Ok(counts)
    }

    /// Enriches the complete records of `buf[pos..]` (the header row first,
    /// if not read yet) into `out`; returns the position after the last
    /// complete record. With `at_eof` false a record cut off at the end of
    /// `buf` is left for the next call.
    pub fn process(
        &mut self,
        buf: &[u8],
        mut pos: usize,
        at_eof: bool,
        out: &mut Vec<u8>,
    ) -> Result<(usize, Counts), RecordError> {
        let mut counts = Counts::default();
        let mut scanner = RecordScanner::new(buf);
        // LFs in bad records passed through (the scanner did not count them).
        let mut passed_lines = 0;
        loop {
            // Data records are scanned for the columns the command reads
            // (and replaces) only.
            let scan = if self.header_done {
                scanner.scan_columns(pos, at_eof, &self.layout.wanted, &mut self.spans)
            } else {
                scanner.scan(pos, at_eof, &mut self.spans, usize::MAX)
            };
            let (rec, nfields) = match scan {
                Ok((Scan::Record(rec), n)) => (rec, n),
                Ok((Scan::NeedMore | Scan::End, _)) => {
                    counts.lines = scanner.lines() + passed_lines;
                    return Ok((pos, counts));
                }
                Err(e) => {
                    let err = RecordError {
                        kind: e.into(),
                        offset: pos,
                        record: self.records + u64::from(self.header_done),
                    };
                    if !(self.pass_bad && self.header_done) {
                        return Err(err);
                    }
                    // Passed through up to the next line end after the
                    // fault (the rest of the input for an unclosed quote).
                    let from = match e {
                        CsvError::UnclosedQuote { .. } => buf.len(),
                        CsvError::AfterQuote { at, .. } => at,
                    };
                    let end = match memchr::memchr(b'\n', &buf[from..]) {
                        Some(i) => from + i + 1,
                        None if at_eof => buf.len(),
                        None => {
                            counts.lines = scanner.lines() + passed_lines;
                            return Ok((pos, counts));
                        }
                    };
                    self.records += 1;
                    passed_lines += memchr::memchr_iter(b'\n', &buf[pos..end]).count() as u64;
                    self.pass(err, &buf[pos..end], &mut counts, out);
                    pos = end;
                    continue;
                }
            };
            if !self.header_done {
                self.read_header(buf, rec, out);
                self.header_done = true;
                if self.missing_field().is_some() {
                    counts.lines = scanner.lines();
                    return Ok((rec.end, counts));
                }
            } else {
                self.records += 1;
                if nfields != self.layout.ncols {
                    let err = RecordError {
                        kind: RecordErrorKind::Ragged { got: nfields, want: self.layout.ncols },
                        offset: rec.start,
                        record: self.records,
                    };
                    if !self.pass_bad {
                        return Err(err);
                    }
                    self.pass(err, &buf[rec.start..rec.end], &mut counts, out);
                    pos = rec.end;
                    continue;
                }
                counts.records += 1;
                let plain = scanner.last_record_plain();
                if self.record(buf, rec, plain, out) {
                    counts.matched += 1;
                }
            }
            pos = rec.end;
        }
    }

    /// Copies a bad record unchanged and counts it.
    fn pass(&mut self, err: RecordError, record: &[u8], counts: &mut Counts, out: &mut Vec<u8>) {
        out.extend_from_slice(record);
        counts.passed_bad += 1;
        self.first_bad.get_or_insert(err);
    }

    fn read_header(&mut self, buf: &[u8], rec: RecordSpan, out: &mut Vec<u8>) {
        let names: Vec<Vec<u8>> = self
            .spans
            .iter()
            .map(|&(s, e)| record::unquote(&buf[s..e], &mut self.cell).to_vec())
            .collect();
        let header: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
        self.missing = MissingField::check(self.fields.iter().map(Vec::as_slice), &header);
        let col = |name: &[u8]| names.iter().position(|n| n == name);
        let mut layout = Layout { ncols: names.len(), ..Layout::default() };
        for f in &self.fields {
            if let Some(c) = col(f) {
                let mut mv = b"__mv_".to_vec();
                mv.extend_from_slice(f);
                layout.targets.push((c, col(&mv)));
            }
        }
        let names = &self.names;
        let mv_flag = (self.dialect == Dialect::Splunk).then_some(OutCol::Mv(Field::IsDynDns));
        for oc in outputs(self.dialect).chain(mv_flag) {
            match col(oc.name(names).as_bytes()) {
                Some(c) => layout.replace.push((c, oc)),
                // __mv_isDynDNS is only ever kept consistent, never added.
                None if Some(oc) != mv_flag => layout.append.push(oc),
                None => {}
            }
        }
        layout.replace.sort_unstable_by_key(|&(c, _)| c);
        // Columns to slots.
        let read = layout.targets.iter().flat_map(|&(c, mv)| std::iter::once(c).chain(mv));
        layout.wanted = read.chain(layout.replace.iter().map(|&(c, _)| c)).collect();
        layout.wanted.sort_unstable();
        layout.wanted.dedup();
        let slot = |c: usize| layout.wanted.binary_search(&c).expect("a wanted column");
        layout.targets = layout.targets.iter().map(|&(c, mv)| (slot(c), mv.map(slot))).collect();
        layout.replace = layout.replace.iter().map(|&(c, oc)| (slot(c), oc)).collect();
        for &oc in &layout.append {
            layout.no_hit_suffix.push(b',');
            if oc == OutCol::Plain(Field::IsDynDns) {
                layout.no_hit_suffix.extend_from_slice(b"False");
            }
        }
        out.extend_from_slice(&buf[rec.start..rec.content_end]);
        for &oc in &layout.append {
            out.push(b',');
            out.extend_from_slice(oc.name(&self.names).as_bytes());
        }
        out.extend_from_slice(eol(buf, rec));
        self.layout = layout;
    }

    /// Judges the values a record holds in the fields read.
    /// Judges the values a record holds in the fields read; `plain` when
    /// the scanner vouches that no value of it holds an LF or a doubled
    /// quote (then cells are not searched for either).
    fn judge_record(&mut self, buf: &[u8], plain: bool) {
        self.judge.clear();
        for &(col, mv_col) in &self.layout.targets {
            let mv_cell = mv_col.map(|c| {
                let (s, e) = self.spans[c];
                if plain {
                    strip_quotes(&buf[s..e])
                } else {
                    record::unquote(&buf[s..e], &mut self.mv_cell)
                }
            });
            let judge = &mut self.judge;
            let mut done = false;
            if let Some(cell) = mv_cell.filter(|c| !c.is_empty()) {
                self.saw_value = true;
                done = record::for_each_mv_value(cell, &mut self.mv_value, |v| judge.add(v));
            }
            if !done {
                // No (or a malformed) multivalue cell: the plain cell holds
                // the value, or several joined by newlines.
                let (s, e) = self.spans[col];
                if plain {
                    let cell = strip_quotes(&buf[s..e]);
                    self.saw_value |= !cell.is_empty();
                    judge.add(cell);
                    continue;
                }
                let cell = record::unquote(&buf[s..e], &mut self.cell);
                self.saw_value |= !cell.is_empty();
                // memchr splits; a byte-by-byte split costs more than the
                // match on a typical single value.
                let mut rest = Some(cell);
                while let Some(c) = rest {
                    let (v, tail) = match memchr::memchr(b'\n', c) {
                        Some(nl) => (&c[..nl], Some(&c[nl + 1..])),
                        None => (c, None),
                    };
                    rest = tail;
                    judge.add(v);
                }
            }
        }
    }

    /// Writes one enriched record; true when it matched. `plain` as for
    /// [`judge_record`](Self::judge_record).
    fn record(&mut self, buf: &[u8], rec: RecordSpan, plain: bool, out: &mut Vec<u8>) -> bool {
        self.judge_record(buf, plain);
        let hits = self.judge.hits();
        let (matched, dyndns) = (!hits.is_empty(), hits.is_dyndns());
        if self.layout.replace.is_empty() {
            out.extend_from_slice(&buf[rec.start..rec.content_end]);
        } else {
            // The bytes between replaced columns are copied as they are,
            // separators included; so is a replaced cell that already
            // holds its new value (a record without a match, whose written
            // fields splunkd sends empty in selected-fields mode).
            let mut from = rec.start;
            for i in 0..self.layout.replace.len() {
                let (c, oc) = self.layout.replace[i];
                let (s, e) = self.spans[c];
                if !matched
                    && buf[s..e]
                        == *if oc == OutCol::Plain(Field::IsDynDns) { &b"False"[..] } else { b"" }
                {
                    continue;
                }
                out.extend_from_slice(&buf[from..s]);
                self.write_out(oc, out);
                from = e;
            }
            out.extend_from_slice(&buf[from..rec.content_end]);
        }
        if matched {
            for i in 0..self.layout.append.len() {
                out.push(b',');
                self.write_out(self.layout.append[i], out);
            }
        } else {
            out.extend_from_slice(&self.layout.no_hit_suffix);
        }
        out.extend_from_slice(eol(buf, rec));
        dyndns
    }

    /// Writes the value of one output column for the current hits: a
    /// plain column holds the values joined by newlines; an `__mv_` twin
    /// holds them as a multivalue cell when there are several, else
    /// nothing (splunkd reads the plain column then).
    fn write_out(&mut self, oc: OutCol, out: &mut Vec<u8>) {
        let hits = self.judge.hits();
        let v = &mut self.value_out;
        v.clear();
        match oc {
            OutCol::Plain(f) => hits.write_joined(f, b"\n", v),
            OutCol::Mv(f) => match f.shape() {
                Shape::List if hits.values(f).len() > 1 => {
                    record::encode_mv(hits.values(f).iter().map(|s| s.as_bytes()), v)
                }
                Shape::List | Shape::Flag => {}
            },
        }
        record::write_field(v, out);
    }
}

/// A raw field without its quotes, for a field with no doubled quote.
#[inline]
fn strip_quotes(raw: &[u8]) -> &[u8] {
    match raw {
        [b'"', inner @ .., b'"'] => inner,
        _ => raw,
    }
}

/// A record's own line ending, or LF for a last record that has none.
fn eol(buf: &[u8], rec: RecordSpan) -> &[u8] {
    if rec.end > rec.content_end {
        &buf[rec.content_end..rec.end]
    } else {
        b"\n"
    }
}

#[cfg(test)]
mod tests;

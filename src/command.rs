//! The `dynamicdns` command itself: its options, and the enrichment of a
//! CSV body (header + records) that both the SCP session and the CLI's
//! `enrich` run.
//!
//! Every input record is copied to the output byte for byte and the
//! verdict fields are appended: `isDynDNS` (`True`/`False`), `provider` and
//! `dyndns_zone` (plus their `__mv_` twins in Splunk mode). Where the input
//! already has a column of one of those names (the command run twice, or an
//! older lookup's output), that column's value is replaced in place instead,
//! so the output never holds two columns of one name.

use std::collections::HashSet;

use crate::host::HostExtractor;
use crate::record::{self, RecordSpan, Scan, Span};
use crate::textscan::{ScannerBuildError, TextScanner};
use crate::zones::{TierSelection, ZoneMatch, ZoneSet};

/// How field values are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Each value is one host name or URL (the default).
    Host,
    /// Each value is free text searched for embedded host names.
    Text,
}

/// The command's options, as given in SPL or on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Fields to read, in order; default `query`.
    pub fields: Vec<String>,
    /// How to read them.
    pub mode: Mode,
    /// Which tiers of the shipped zone list to use.
    pub tiers: TierSelection,
}

/// The usage line shown with option errors.
pub const USAGE: &str = "dynamicdns [field=<field>[,<field>...]] [mode=host|text] [tier=all|core]";

/// A bad option, with a message for the user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}. Usage: {USAGE}")]
pub struct OptionsError(String);

impl Default for Options {
    fn default() -> Self {
        Options { fields: vec!["query".to_string()], mode: Mode::Host, tiers: TierSelection::All }
    }
}

impl Options {
    /// Parses SPL arguments as splunkd passes them (`searchinfo.args`,
    /// quotes already removed): `field=a,b` (repeatable; names joined by
    /// commas, spaces around them ignored) and `mode=host|text`.
    pub fn from_args<S: AsRef<str>>(args: &[S]) -> Result<Options, OptionsError> {
        let mut fields: Vec<String> = Vec::new();
        let mut mode = None;
        let mut tiers = None;
        for arg in args {
            let arg = arg.as_ref();
            let Some((key, value)) = arg.split_once('=') else {
                return Err(OptionsError(format!(
                    "unexpected argument '{arg}' (to name several fields, join them with commas: \
                     field=query,answer)"
                )));
            };
            match key.trim().to_ascii_lowercase().as_str() {
                "field" | "fields" => {
                    for name in value.split(',').map(str::trim) {
                        if name.is_empty() {
                            return Err(OptionsError(format!(
                                "'{arg}': empty field name; give field=<field>[,<field>...]"
                            )));
                        }
                        if !fields.iter().any(|f| f == name) {
                            fields.push(name.to_string());
                        }
                    }
                }
                "mode" => {
                    if mode.is_some() {
                        return Err(OptionsError("mode= is given twice".to_string()));
                    }
                    mode = Some(match value.trim().to_ascii_lowercase().as_str() {
                        "host" => Mode::Host,
                        "text" => Mode::Text,
                        _ => {
                            return Err(OptionsError(format!(
                                "'{arg}': mode must be 'host' or 'text'"
                            )))
                        }
                    });
                }
                "tier" | "tiers" => {
                    if tiers.is_some() {
                        return Err(OptionsError("tier= is given twice".to_string()));
                    }
                    tiers = Some(match value.trim().to_ascii_lowercase().as_str() {
                        "all" | "extended" => TierSelection::All,
                        "core" => TierSelection::Core,
                        _ => {
                            return Err(OptionsError(format!(
                                "'{arg}': tier must be 'all' or 'core'"
                            )))
                        }
                    });
                }
                _ => {
                    return Err(OptionsError(format!(
                        "unknown option '{}' in '{arg}'; known options: field, mode, tier",
                        key.trim()
                    )))
                }
            }
        }
        if fields.is_empty() {
            fields.push("query".to_string());
        }
        Ok(Options { fields, mode: mode.unwrap_or(Mode::Host), tiers: tiers.unwrap_or_default() })
    }
}

/// The names of the fields the command adds.
pub const IS_DYNDNS: &str = "isDynDNS";
/// Provider field name.
pub const PROVIDER: &str = "provider";
/// Matched-zone field name.
pub const ZONE: &str = "dyndns_zone";

/// One output column the command writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OutCol {
    IsDynDns,
    Provider,
    Zone,
    MvIsDynDns,
    MvProvider,
    MvZone,
}

impl OutCol {
    fn name(self) -> &'static str {
        match self {
            OutCol::IsDynDns => IS_DYNDNS,
            OutCol::Provider => PROVIDER,
            OutCol::Zone => ZONE,
            OutCol::MvIsDynDns => "__mv_isDynDNS",
            OutCol::MvProvider => "__mv_provider",
            OutCol::MvZone => "__mv_dyndns_zone",
        }
    }
}

/// Where a record error happened: byte offset in the scanned buffer and
/// the 1-based data-record number (0 = the header row).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct RecordError {
    /// What is wrong.
    pub kind: RecordErrorKind,
    /// Byte offset in the buffer given to [`Enricher::process`].
    pub offset: usize,
    /// 1-based record number since the header (0 = the header).
    pub record: u64,
}

impl RecordError {
    /// The same error with its offsets moved by `by`, for a buffer that
    /// starts `by` bytes into the body.
    pub fn shifted(mut self, by: usize) -> RecordError {
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
    Csv(#[from] record::CsvError),
    /// A record's field count differs from the header's.
    #[error("record has {got} fields but the header has {want}")]
    Ragged {
        /// Fields in the record.
        got: usize,
        /// Fields in the header.
        want: usize,
    },
}

/// Column layout of one body, derived from its header row.
#[derive(Debug, Default)]
struct Layout {
    ncols: usize,
    /// For each field to read: its column and its `__mv_` column.
    targets: Vec<(usize, Option<usize>)>,
    /// Per input column: the output column that replaces it, if any.
    replace: Vec<Option<OutCol>>,
    any_replace: bool,
    /// Leading columns whose spans a data record needs: through the last
    /// column read, or all when a column is replaced in place.
    keep: usize,
    /// Output columns appended after the input's.
    append: Vec<OutCol>,
    /// Appended bytes for a record with no match (the common case).
    no_hit_suffix: Vec<u8>,
}

/// Enriches CSV bodies: one per SCP execute request, or one CSV file.
#[derive(Debug)]
pub struct Enricher<'z> {
    zones: &'z ZoneSet,
    fields: Vec<Vec<u8>>,
    mode: Mode,
    mv_columns: bool,
    hosts: HostExtractor,
    scanner: Option<TextScanner>,
    layout: Layout,
    header_done: bool,
    records: u64,
    spans: Vec<Span>,
    scratch: Vec<u8>,
    mv_scratch: Vec<u8>,
    value_scratch: Vec<u8>,
    hits: Vec<ZoneMatch<'z>>,
    providers: Vec<&'z str>,
    /// Zones and providers already in `hits`/`providers`, once those are
    /// too long to scan (see [`push_distinct`]).
    hit_set: HashSet<&'z str>,
    provider_set: HashSet<&'z str>,
}

/// One value's verdict, borrowed from the [`Enricher`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict<'a> {
    /// `True` or `False`.
    pub is_dyndns: &'static str,
    /// Distinct providers, joined by newlines (empty when unknown).
    pub providers: &'a [u8],
    /// Matched zones, joined by newlines.
    pub zones: &'a [u8],
}

/// Counts for one processed buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records read (and written).
    pub records: u64,
    /// Records with `isDynDNS=True`.
    pub matched: u64,
}

impl<'z> Enricher<'z> {
    /// An enricher for `options` over `zones`. `mv_columns` selects Splunk
    /// mode (`__mv_provider`/`__mv_dyndns_zone` are written); without it
    /// several values are joined by newlines in one cell, as Splunk's own
    /// CSV export does.
    pub fn new(
        zones: &'z ZoneSet,
        options: &Options,
        mv_columns: bool,
    ) -> Result<Enricher<'z>, ScannerBuildError> {
        let scanner = match options.mode {
            Mode::Text => Some(TextScanner::new(zones)?),
            Mode::Host => None,
        };
        Ok(Enricher {
            zones,
            fields: options.fields.iter().map(|f| f.as_bytes().to_vec()).collect(),
            mode: options.mode,
            mv_columns,
            hosts: HostExtractor::new(),
            scanner,
            layout: Layout::default(),
            header_done: false,
            records: 0,
            spans: Vec::new(),
            scratch: Vec::new(),
            mv_scratch: Vec::new(),
            value_scratch: Vec::new(),
            hits: Vec::new(),
            providers: Vec::new(),
            hit_set: HashSet::new(),
            provider_set: HashSet::new(),
        })
    }

    /// Forgets the current header, so the next [`process`](Self::process)
    /// starts a new body.
    pub fn reset(&mut self) {
        self.header_done = false;
        self.records = 0;
    }

    /// True when the last header read had none of the fields to read.
    pub fn fields_missing(&self) -> bool {
        self.header_done && self.layout.targets.is_empty()
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
        loop {
            // Data records keep only the columns the command reads.
            let keep = if self.header_done { self.layout.keep } else { usize::MAX };
            let (rec, nfields) =
                match record::scan_record_keep(buf, pos, at_eof, &mut self.spans, keep) {
                    Ok((Scan::Record(rec), n)) => (rec, n),
                    Ok((Scan::NeedMore | Scan::End, _)) => return Ok((pos, counts)),
                    Err(e) => {
                        return Err(RecordError {
                            kind: e.into(),
                            offset: pos,
                            record: self.records + u64::from(self.header_done),
                        })
                    }
                };
            if !self.header_done {
                self.read_header(buf, rec, out);
                self.header_done = true;
            } else {
                self.records += 1;
                if nfields != self.layout.ncols {
                    return Err(RecordError {
                        kind: RecordErrorKind::Ragged { got: nfields, want: self.layout.ncols },
                        offset: rec.start,
                        record: self.records,
                    });
                }
                counts.records += 1;
                if self.record(buf, rec, out) {
                    counts.matched += 1;
                }
            }
            pos = rec.end;
        }
    }

    fn read_header(&mut self, buf: &[u8], rec: RecordSpan, out: &mut Vec<u8>) {
        let names: Vec<Vec<u8>> = self
            .spans
            .iter()
            .map(|&(s, e)| record::unquote(&buf[s..e], &mut self.scratch).to_vec())
            .collect();
        let col = |name: &[u8]| names.iter().position(|n| n == name);
        let mut layout = Layout { ncols: names.len(), ..Layout::default() };
        for f in &self.fields {
            if let Some(c) = col(f) {
                let mut mv = b"__mv_".to_vec();
                mv.extend_from_slice(f);
                layout.targets.push((c, col(&mv)));
            }
        }
        let outputs: &[OutCol] = if self.mv_columns {
            &[OutCol::IsDynDns, OutCol::Provider, OutCol::Zone, OutCol::MvProvider, OutCol::MvZone]
        } else {
            &[OutCol::IsDynDns, OutCol::Provider, OutCol::Zone]
        };
        layout.replace = vec![None; names.len()];
        for &oc in outputs.iter().chain(self.mv_columns.then_some(&OutCol::MvIsDynDns)) {
            match col(oc.name().as_bytes()) {
                Some(c) => {
                    layout.replace[c] = Some(oc);
                    layout.any_replace = true;
                }
                // __mv_isDynDNS is only ever kept consistent, never added.
                None if oc != OutCol::MvIsDynDns => layout.append.push(oc),
                None => {}
            }
        }
        layout.keep = if layout.any_replace {
            usize::MAX
        } else {
            layout.targets.iter().map(|&(c, mv)| c.max(mv.unwrap_or(0)) + 1).max().unwrap_or(0)
        };
        for &oc in &layout.append {
            layout.no_hit_suffix.push(b',');
            if oc == OutCol::IsDynDns {
                layout.no_hit_suffix.extend_from_slice(b"False");
            }
        }
        out.extend_from_slice(&buf[rec.start..rec.content_end]);
        for &oc in &layout.append {
            out.push(b',');
            out.extend_from_slice(oc.name().as_bytes());
        }
        out.extend_from_slice(eol(buf, rec));
        self.layout = layout;
    }

    /// Writes one enriched record; true when it matched.
    fn record(&mut self, buf: &[u8], rec: RecordSpan, out: &mut Vec<u8>) -> bool {
        self.hits.clear();
        for &(col, mv_col) in &self.layout.targets {
            let mv_cell = mv_col.map(|c| {
                let (s, e) = self.spans[c];
                record::unquote(&buf[s..e], &mut self.mv_scratch)
            });
            let mut done = false;
            if let Some(cell) = mv_cell.filter(|c| !c.is_empty()) {
                let mut hits = std::mem::take(&mut self.hits);
                done = record::for_each_mv_value(cell, &mut self.value_scratch, |v| {
                    judge(
                        self.zones,
                        self.mode,
                        &mut self.hosts,
                        &mut self.scanner,
                        v,
                        (&mut hits, &mut self.hit_set),
                    )
                });
                self.hits = hits;
            }
            if !done {
                // No (or a malformed) multivalue cell: the plain cell holds
                // the value, or several joined by newlines.
                let (s, e) = self.spans[col];
                let cell = record::unquote(&buf[s..e], &mut self.scratch);
                // memchr splits; a byte-by-byte split costs more than the
                // match on a typical single value.
                let mut rest = Some(cell);
                while let Some(c) = rest {
                    let (v, tail) = match memchr::memchr(b'\n', c) {
                        Some(nl) => (&c[..nl], Some(&c[nl + 1..])),
                        None => (c, None),
                    };
                    rest = tail;
                    judge(
                        self.zones,
                        self.mode,
                        &mut self.hosts,
                        &mut self.scanner,
                        v,
                        (&mut self.hits, &mut self.hit_set),
                    );
                }
            }
        }
        let matched = !self.hits.is_empty();
        let content = &buf[rec.start..rec.content_end];
        if !self.layout.any_replace {
            out.extend_from_slice(content);
            if matched {
                for i in 0..self.layout.append.len() {
                    out.push(b',');
                    self.write_out(self.layout.append[i], out);
                }
            } else {
                out.extend_from_slice(&self.layout.no_hit_suffix);
            }
        } else {
            for i in 0..self.spans.len() {
                let (s, e) = self.spans[i];
                if i > 0 {
                    out.push(b',');
                }
                match self.layout.replace[i] {
                    Some(oc) => self.write_out(oc, out),
                    None => out.extend_from_slice(&buf[s..e]),
                }
            }
            for i in 0..self.layout.append.len() {
                out.push(b',');
                self.write_out(self.layout.append[i], out);
            }
        }
        out.extend_from_slice(eol(buf, rec));
        matched
    }

    /// The verdict for one value (as `check` reports it): several providers
    /// or zones (possible in text mode) are joined by newlines.
    pub fn verdict(&mut self, value: &[u8]) -> Verdict<'_> {
        self.hits.clear();
        judge(
            self.zones,
            self.mode,
            &mut self.hosts,
            &mut self.scanner,
            value,
            (&mut self.hits, &mut self.hit_set),
        );
        self.collect_providers();
        self.scratch.clear();
        self.mv_scratch.clear();
        join_lines(self.providers.iter().map(|p| p.as_bytes()), &mut self.scratch);
        join_lines(self.hits.iter().map(|h| h.zone.as_bytes()), &mut self.mv_scratch);
        Verdict {
            is_dyndns: if self.hits.is_empty() { "False" } else { "True" },
            providers: &self.scratch,
            zones: &self.mv_scratch,
        }
    }

    /// The distinct, non-empty providers of the current hits, in order.
    fn collect_providers(&mut self) {
        self.providers.clear();
        for h in &self.hits {
            if !h.provider.is_empty() {
                push_distinct(&mut self.providers, &mut self.provider_set, h.provider, |p| p);
            }
        }
    }

    /// Writes the value of one output column for the current hits.
    fn write_out(&mut self, oc: OutCol, out: &mut Vec<u8>) {
        self.collect_providers();
        let zones = || self.hits.iter().map(|h| h.zone.as_bytes());
        let providers = || self.providers.iter().map(|p| p.as_bytes());
        self.scratch.clear();
        match oc {
            OutCol::IsDynDns => {
                out.extend_from_slice(if self.hits.is_empty() { b"False" } else { b"True" })
            }
            OutCol::Provider => join_lines(providers(), &mut self.scratch),
            OutCol::Zone => join_lines(zones(), &mut self.scratch),
            OutCol::MvIsDynDns => {}
            OutCol::MvProvider if self.providers.len() > 1 => {
                record::encode_mv(providers(), &mut self.scratch)
            }
            OutCol::MvZone if self.hits.len() > 1 => record::encode_mv(zones(), &mut self.scratch),
            OutCol::MvProvider | OutCol::MvZone => {}
        }
        record::write_field(&self.scratch, out);
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

fn join_lines<'a>(values: impl Iterator<Item = &'a [u8]>, out: &mut Vec<u8>) {
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(v);
    }
}

/// Up to this many items, [`push_distinct`] scans the list.
const SCAN_MAX: usize = 16;

/// Appends `item` to `list` unless an item of the same key is there. The
/// usual handful is scanned; past [`SCAN_MAX`] the keys go into `seen`, so a
/// record naming thousands of zones costs linear, not quadratic, time.
/// `seen` is only read once `list` is that long, and is refilled each time
/// a list grows past the limit, so it never needs clearing.
fn push_distinct<'z, T: Copy>(
    list: &mut Vec<T>,
    seen: &mut HashSet<&'z str>,
    item: T,
    key: impl Fn(T) -> &'z str,
) {
    if list.len() < SCAN_MAX {
        if !list.iter().any(|&x| key(x) == key(item)) {
            list.push(item);
            if list.len() == SCAN_MAX {
                seen.clear();
                seen.extend(list.iter().map(|&x| key(x)));
            }
        }
    } else if seen.insert(key(item)) {
        list.push(item);
    }
}

/// Judges one value and records its zone (once) in `hits`.
fn judge<'z>(
    zones: &'z ZoneSet,
    mode: Mode,
    hosts: &mut HostExtractor,
    scanner: &mut Option<TextScanner>,
    value: &[u8],
    (hits, seen): (&mut Vec<ZoneMatch<'z>>, &mut HashSet<&'z str>),
) {
    let mut add = |m: ZoneMatch<'z>| push_distinct(hits, seen, m, |h: ZoneMatch<'z>| h.zone);
    match (mode, scanner) {
        (Mode::Text, Some(s)) => s.scan(zones, value, add),
        _ => {
            if let Some(m) = hosts.host(value).and_then(|h| zones.longest_match(h)) {
                add(m);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_table() {
        let ok = |args: &[&str], fields: &[&str], mode, tiers| {
            assert_eq!(
                Options::from_args(args).unwrap(),
                Options { fields: fields.iter().map(|s| s.to_string()).collect(), mode, tiers },
                "{args:?}"
            )
        };
        let all = TierSelection::All;
        ok(&[], &["query"], Mode::Host, all);
        ok(&["field=answer"], &["answer"], Mode::Host, all);
        ok(&["field=query,answer"], &["query", "answer"], Mode::Host, all);
        ok(&["field=query, answer ", "field=url"], &["query", "answer", "url"], Mode::Host, all);
        ok(&["field=a,a"], &["a"], Mode::Host, all);
        ok(&["mode=text", "field=_raw"], &["_raw"], Mode::Text, all);
        ok(&["FIELD=x", "Mode=HOST"], &["x"], Mode::Host, all);
        ok(&["tier=core"], &["query"], Mode::Host, TierSelection::Core);
        ok(&["tier=all"], &["query"], Mode::Host, all);
        let err = |args: &[&str], msg: &str| {
            let e = Options::from_args(args).unwrap_err().to_string();
            assert!(e.contains(msg), "{args:?}: {e}");
            assert!(e.ends_with(USAGE), "{e}");
        };
        err(&["bogus=1"], "unknown option 'bogus' in 'bogus=1'");
        err(&["answer"], "unexpected argument 'answer'");
        err(&["field="], "empty field name");
        err(&["field=a,,b"], "empty field name");
        err(&["mode=fast"], "mode must be 'host' or 'text'");
        err(&["mode=host", "mode=text"], "mode= is given twice");
        err(&["tier=gold"], "tier must be 'all' or 'core'");
        err(&["tier=core", "tier=all"], "tier= is given twice");
    }
}

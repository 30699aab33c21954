//! `dynamicdns lookup`: the same verdict served as a Splunk **external
//! lookup** (`transforms.conf`: `external_type = executable`), so that
//! `| lookup dynamicdns query OUTPUT isDynDNS provider` and automatic
//! lookups work without the search command.
//!
//! The contract (Splunk's `external_lookup.py` sample, Splunk's
//! `transforms.conf` spec for `external_type = executable`):
//! splunkd writes a CSV to stdin whose header is the stanza's `fields_list`
//! (`query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier`), one
//! row per input value with the
//! input column filled and the output columns empty; the program writes the
//! same CSV back with the output columns filled. Here:
//!
//! - the header is written back unchanged, and every other column of a row
//!   is copied as it came;
//! - a row with a non-empty input value gets `isDynDNS` (`True`/`False`),
//!   `provider`, `dyndns_zone`, `dyndns_category` and `dyndns_tier`,
//!   whichever of those columns the header has (a value that is not a host,
//!   an empty value included, is `False`);
//! - a row whose input is empty but which carries output values is a
//!   *reverse* request (which hosts have `isDynDNS=True`?), which splunkd
//!   may send for a search on an automatic lookup's output field. A suffix
//!   list cannot enumerate hosts, so the answer is the wildcard `*` ("any
//!   host may"), with the row's output values kept: a base search
//!   `isDynDNS=True` then becomes `query=*`, and the forward lookup of each
//!   event decides. (How splunkd uses reverse answers is not documented;
//!   dropping the row instead would make such a search find nothing.)
//! - rows shorter than the header are padded with empty values, longer ones
//!   cut to the header's width.
//!
//! It is a streaming loop over the `csv` crate's reader and writer: memory
//! is bounded by the longest row, whatever the batch size. Diagnostics go to
//! stderr (splunkd copies them to `search.log`); the CLI (`dynamicdns
//! lookup`, in `cli`) exits 1 on a bad CSV, 2 on a bad argument, and 0
//! quietly when stdout is closed.

use std::io::{self, Read, Write};

use crate::verdict::{Field, Judge, OutputNames};

/// Counts of one lookup run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LookupStats {
    /// Data rows read.
    pub rows: u64,
    /// Rows answered (written with the output columns filled).
    pub answered: u64,
    /// Of those, rows with `isDynDNS=True`.
    pub matched: u64,
    /// Reverse requests (answered with `*`).
    pub reverse: u64,
}

/// Why a lookup run failed.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The header row has no column of the input field's name.
    #[error("the input CSV's header has no '{field}' column (header: {header})")]
    NoInputColumn {
        /// The input field asked for.
        field: String,
        /// The header as read.
        header: String,
    },
    /// Reading stdin failed (at a line, when the reader knows it).
    #[error("stdin: {}{source}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Read {
        /// 1-based line where reading failed.
        line: Option<u64>,
        /// The underlying error.
        source: io::Error,
    },
    /// The input is not CSV the reader accepts.
    #[error("stdin: {0}")]
    Csv(#[source] csv::Error),
    /// Writing stdout failed.
    #[error("writing output: {0}")]
    Write(#[source] io::Error),
}

impl LookupError {
    fn from_read(e: csv::Error) -> LookupError {
        let line = e.position().map(|p| p.line());
        if !e.is_io_error() {
            return LookupError::Csv(e);
        }
        match e.into_kind() {
            csv::ErrorKind::Io(source) => LookupError::Read { line, source },
            _ => unreachable!("is_io_error"),
        }
    }

    fn from_write(e: csv::Error) -> LookupError {
        if !e.is_io_error() {
            return LookupError::Write(io::Error::other(e));
        }
        match e.into_kind() {
            csv::ErrorKind::Io(io) => LookupError::Write(io),
            _ => unreachable!("is_io_error"),
        }
    }

    /// True when stdout was closed by the reader (not worth an error).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, LookupError::Write(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// Streams one external-lookup request from `input` to `output`: header
/// row first, then one answer per row (see the module docs).
pub fn lookup_stream<R: Read, W: Write>(
    input: R,
    output: W,
    judge: &mut Judge<'_>,
    input_field: &str,
    out_names: &OutputNames,
) -> Result<LookupStats, LookupError> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input);
    let mut wtr = csv::WriterBuilder::new().flexible(true).from_writer(output);
    let mut stats = LookupStats::default();

    let mut header = csv::ByteRecord::new();
    if !rdr.read_byte_record(&mut header).map_err(LookupError::from_read)? {
        return Ok(stats); // no input at all: nothing to answer
    }
    // Column names, trimmed (the csv reader already drops a UTF-8 BOM).
    let names: Vec<&[u8]> = header.iter().map(<[u8]>::trim_ascii).collect();
    let find = |name: &str| names.iter().position(|n| *n == name.as_bytes());
    let input_col = find(input_field).ok_or_else(|| LookupError::NoInputColumn {
        field: input_field.to_string(),
        header: String::from_utf8_lossy(&names.join(&b","[..])).into_owned(),
    })?;
    // The output field each column holds, if any.
    let col_field: Vec<Option<Field>> = names.iter().map(|n| out_names.field_named(n)).collect();
    let outputs: Vec<usize> = (0..header.len()).filter(|&c| col_field[c].is_some()).collect();
    wtr.write_byte_record(&header).map_err(LookupError::from_write)?;

    let width = header.len();
    let mut row = csv::ByteRecord::new();
    let mut out = csv::ByteRecord::new();
    let mut values: Vec<Vec<u8>> = vec![Vec::new(); Field::COUNT];
    while rdr.read_byte_record(&mut row).map_err(LookupError::from_read)? {
        stats.rows += 1;
        let cell = |i: usize| row.get(i).unwrap_or(b"");
        let value = cell(input_col);
        if value.trim_ascii().is_empty() && outputs.iter().any(|&i| !cell(i).is_empty()) {
            stats.reverse += 1;
            out.clear();
            for i in 0..width {
                out.push_field(if i == input_col { b"*" } else { cell(i) });
            }
            wtr.write_byte_record(&out).map_err(LookupError::from_write)?;
            continue;
        }
        // A cell holds one value, or several joined by newlines (a
        // multivalue field), read as the search command reads them.
        judge.clear();
        for v in value.split(|&b| b == b'\n') {
            judge.add(v.strip_suffix(b"\r").unwrap_or(v));
        }
        let hits = judge.hits();
        if hits.is_dyndns() {
            stats.matched += 1;
        }
        for (f, v) in Field::ALL.into_iter().zip(&mut values) {
            v.clear();
            hits.write_joined(f, b"\n", v);
        }
        out.clear();
        for (i, field) in col_field.iter().enumerate() {
            match field {
                Some(f) => out.push_field(&values[f.index()]),
                None => out.push_field(cell(i)),
            }
        }
        wtr.write_byte_record(&out).map_err(LookupError::from_write)?;
        stats.answered += 1;
    }
    wtr.flush().map_err(LookupError::Write)?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Mode;
    use crate::zoneset::ZoneSet;

    fn zones() -> ZoneSet {
        ZoneSet::from_csv(
            "zone,provider,tier\nduckdns.org,DuckDNS,core\nddns.net,No-IP,core\nshared.example,,extended\n"
                .as_bytes(),
            "test.csv",
        )
        .unwrap()
    }

    fn run(input: &[u8], field: &str) -> Result<(String, LookupStats), LookupError> {
        let zones = zones();
        let mut e = Judge::new(&zones, Mode::Host);
        let mut out = Vec::new();
        let stats = lookup_stream(input, &mut out, &mut e, field, &OutputNames::default())?;
        Ok((String::from_utf8(out).unwrap(), stats))
    }

    #[test]
    fn fills_the_output_columns_and_keeps_the_header() {
        let (out, stats) = run(
            b"query,isDynDNS,provider,dyndns_zone\nx.duckdns.org,,,\nwww.example.com,,,\nhttps://a.ddns.net:8080/p,,,\nshared.example.x,,,\nb.shared.example,,,\n",
            "query",
        )
        .unwrap();
        assert_eq!(
            out,
            "query,isDynDNS,provider,dyndns_zone\nx.duckdns.org,True,DuckDNS,duckdns.org\n\
             www.example.com,False,,\nhttps://a.ddns.net:8080/p,True,No-IP,ddns.net\n\
             shared.example.x,False,,\nb.shared.example,True,,shared.example\n"
        );
        assert_eq!(stats, LookupStats { rows: 5, answered: 5, matched: 3, reverse: 0 });
    }

    #[test]
    fn any_column_order_and_a_subset_of_outputs() {
        let (out, _) = run(b"provider,query\n,x.duckdns.org\n,duckdns.org\n", "query").unwrap();
        assert_eq!(out, "provider,query\nDuckDNS,x.duckdns.org\n,duckdns.org\n");
        let (out, _) = run(b"host,isDynDNS\nA.DDNS.NET.,\n", "host").unwrap();
        assert_eq!(out, "host,isDynDNS\nA.DDNS.NET.,True\n");
    }

    #[test]
    fn csv_quoting_survives_both_ways() {
        let (out, _) = run(
            b"query,isDynDNS,provider,dyndns_zone,note\r\n\"x.duckdns.org\",,,,\"a, \"\"b\"\"\nc\"\r\n\"with,comma\",,,,\r\n",
            "query",
        )
        .unwrap();
        assert_eq!(
            out,
            "query,isDynDNS,provider,dyndns_zone,note\nx.duckdns.org,True,DuckDNS,duckdns.org,\"a, \"\"b\"\"\nc\"\n\
             \"with,comma\",False,,,\n"
        );
    }

    #[test]
    fn reverse_requests_get_a_wildcard_and_empty_inputs_are_false() {
        let (out, stats) = run(
            b"query,isDynDNS,provider\n,True,\n,,DuckDNS\n,,\n  ,,\nx.duckdns.org,False,stale\n",
            "query",
        )
        .unwrap();
        // Only outputs set: "any host" with the outputs kept. Nothing set:
        // an empty value, not a host. Both set: recomputed from the input.
        assert_eq!(
            out,
            "query,isDynDNS,provider\n*,True,\n*,,DuckDNS\n,False,\n  ,False,\n\
             x.duckdns.org,True,DuckDNS\n"
        );
        assert_eq!(stats, LookupStats { rows: 5, answered: 3, matched: 1, reverse: 2 });
    }

    #[test]
    fn ragged_rows_are_padded_or_cut_to_the_header() {
        let (out, _) =
            run(b"query,isDynDNS,provider\nx.duckdns.org\ny.ddns.net,,,extra\n", "query").unwrap();
        assert_eq!(
            out,
            "query,isDynDNS,provider\nx.duckdns.org,True,DuckDNS\ny.ddns.net,True,No-IP\n"
        );
    }

    #[test]
    fn empty_and_header_only_inputs() {
        assert_eq!(run(b"", "query").unwrap().0, "");
        assert_eq!(run(b"query,isDynDNS\n", "query").unwrap().0, "query,isDynDNS\n");
        // A byte-order mark before the first name is not part of it.
        assert_eq!(
            run(b"\xEF\xBB\xBFquery,isDynDNS\nx.duckdns.org,\n", "query").unwrap().0,
            "query,isDynDNS\nx.duckdns.org,True\n"
        );
    }

    #[test]
    fn invalid_utf8_passes_through_and_is_not_a_host() {
        let zones = zones();
        let mut e = Judge::new(&zones, Mode::Host);
        let mut out = Vec::new();
        lookup_stream(
            &b"query,isDynDNS,src\n\xff.duckdns.org,,h\xfe\n"[..],
            &mut out,
            &mut e,
            "query",
            &OutputNames::default(),
        )
        .unwrap();
        assert_eq!(out, b"query,isDynDNS,src\n\xff.duckdns.org,False,h\xfe\n");
    }

    #[test]
    fn missing_input_column_is_an_error() {
        let e = run(b"url,isDynDNS\nx.duckdns.org,\n", "query").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the input CSV's header has no 'query' column (header: url,isDynDNS)"
        );
    }

    #[test]
    fn many_rows_stream_through() {
        let mut input = b"query,isDynDNS,provider,dyndns_zone\n".to_vec();
        for i in 0..20_000 {
            input.extend_from_slice(
                format!("h{i}.duckdns.org,,,\nh{i}.example.com,,,\n").as_bytes(),
            );
        }
        let (out, stats) = run(&input, "query").unwrap();
        assert_eq!(stats.rows, 40_000);
        assert_eq!(stats.matched, 20_000);
        assert_eq!(out.lines().count(), 40_001);
    }
}

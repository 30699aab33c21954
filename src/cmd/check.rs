//! `dynamicdns check [VALUE...]`: judges values given as arguments, or one
//! per stdin line (no VALUE, or `-`), and writes a `value` column and the verdict fields
//! (`enrich::write_csv_names`) as CSV rows.

use std::ffi::OsString;
use std::io::{self, BufRead, BufWriter, Write};

use dynamicdns_engine::enrich::{write_csv_names, write_csv_values};
use dynamicdns_engine::record::write_field;
use dynamicdns_engine::verdict::Judge;

use crate::flags::{self, Cmd};
use crate::CliError;

/// Runs `check` with the arguments after its name.
pub fn run(args: Vec<OsString>) -> Result<(), CliError> {
    let args = flags::parse(Cmd::Check, args)?;
    if args.help {
        return crate::print(&flags::help(Cmd::Check));
    }
    let zones = super::load_zones(&args)?;
    let mut judge = Judge::new(&zones, args.options.mode);
    let mut w = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut row = Vec::new();
    let mut joined = Vec::new();
    let mut header = b"value".to_vec();
    write_csv_names(&args.options.names, &mut header);
    header.push(b'\n');
    w.write_all(&header).map_err(CliError::Write)?;
    let mut write_row = |w: &mut BufWriter<_>, value: &[u8], judge: &mut Judge| {
        row.clear();
        write_field(value, &mut row);
        write_csv_values(judge.verdict(value), &mut joined, &mut row);
        row.push(b'\n');
        w.write_all(&row).map_err(CliError::Write)
    };
    // `-` alone is stdin, as for enrich (no value is a bare `-`).
    if args.positional.is_empty() || args.positional == ["-"] {
        let mut stdin = io::stdin().lock();
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = stdin
                .read_until(b'\n', &mut line)
                .map_err(|source| CliError::Input { name: "<stdin>".to_string(), source })?;
            if n == 0 {
                break;
            }
            let v = line.strip_suffix(b"\n").unwrap_or(&line);
            let v = v.strip_suffix(b"\r").unwrap_or(v);
            write_row(&mut w, v, &mut judge)?;
        }
    } else {
        for a in &args.positional {
            write_row(&mut w, a.as_encoded_bytes(), &mut judge)?;
        }
    }
    w.flush().map_err(CliError::Write)
}

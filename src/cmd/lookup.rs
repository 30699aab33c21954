//! `dynamicdns lookup [FIELD]`: one Splunk external-lookup request over
//! stdin and stdout (transforms.conf `[dynamicdns]`).

use std::ffi::OsString;
use std::io;

use dynamicdns_engine::external_lookup::lookup_stream;
use dynamicdns_engine::verdict::Judge;

use crate::flags::{self, Cmd};
use crate::CliError;

/// Runs `lookup` with the arguments after its name.
pub fn run(args: Vec<OsString>) -> Result<(), CliError> {
    let args = flags::parse(Cmd::Lookup, args)?;
    if args.help {
        return crate::print(&flags::help(Cmd::Lookup));
    }
    if args.positional.len() > 1 {
        return Err(CliError::Usage("lookup takes one input FIELD (see --help)".to_string()));
    }
    let field = match args.positional.first() {
        None => "query",
        Some(f) => f.to_str().ok_or_else(|| CliError::Usage("FIELD: not valid UTF-8".into()))?,
    };
    let zones = super::load_zones(&args)?;
    let mut judge = Judge::new(&zones, args.options.mode);
    let stdin = io::BufReader::with_capacity(1 << 16, io::stdin().lock());
    let stdout = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let s = lookup_stream(stdin, stdout, &mut judge, field, &args.options.names)
        .map_err(CliError::Lookup)?;
    // splunkd copies stderr to search.log (as errors): only on request.
    if args.debug {
        eprintln!(
            "dynamicdns lookup: {} rows, {} answered, {} isDynDNS=True, {} reverse requests",
            s.rows, s.answered, s.matched, s.reverse
        );
    }
    Ok(())
}

//! `dynamicdns zones export --format F`: the shipped zone list in another
//! platform's terms, written to stdout only (the binary writes no files);
//! a format made of several files is written one `--part` per run.

use std::ffi::OsString;
use std::io::{self, Write};

use dynamicdns_engine::export::{self, ExportData, ExportError};
use dynamicdns_engine::zoneset::ZoneSet;

use crate::flags::{self, Cmd};
use crate::CliError;

/// Runs `zones export` with the arguments after `export`.
pub fn run(args: Vec<OsString>) -> Result<(), CliError> {
    let args = flags::parse(Cmd::Export, args)?;
    if args.help {
        return crate::print(&flags::help(Cmd::Export));
    }
    if let Some(p) = args.positional.first() {
        return Err(CliError::Usage(format!(
            "zones export takes no argument ({}); it writes to stdout (see --help)",
            p.to_string_lossy()
        )));
    }
    let Some(format) = args.export_format else {
        return Err(CliError::Usage(format!(
            "zones export needs --format F\n\n{}",
            flags::help(Cmd::Export)
        )));
    };
    let tier = if args.tier_given { args.options.tiers } else { format.default_tier() };
    let zones = ZoneSet::embedded();
    let data = ExportData::from_set(&zones, tier);
    let mut text = String::new();
    export::export(&data, format, &args.export, &mut text).map_err(|e| match e {
        ExportError::PartRequired { .. }
        | ExportError::UnknownPart { .. }
        | ExportError::NotOffered(_) => CliError::Usage(e.to_string()),
    })?;
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(CliError::Write)
}

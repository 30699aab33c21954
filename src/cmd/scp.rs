//! `dynamicdns scp`: the SCP v2 session of `| dynamicdns` on stdin/stdout,
//! as splunkd runs it (errors, closed pipes and panics as
//! [`super::protocol`] handles them).

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use dynamicdns_engine::session::{self, ZoneSource};
use dynamicdns_engine::zonefile::app_lookups_dir;
use dynamicdns_engine::zoneset::ZoneSet;

use crate::flags;

/// Runs the session; `args` must be empty (SPL options arrive in the
/// getinfo request) or ask for help.
pub fn run(args: Vec<OsString>) -> ExitCode {
    if let Some(a) = args.first() {
        if a == "-h" || a == "--help" {
            let mut out = io::stdout().lock();
            return match out.write_all(flags::scp_help().as_bytes()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            };
        }
        eprintln!(
            "dynamicdns: scp takes no arguments (SPL options arrive in the getinfo request)"
        );
        return ExitCode::from(2);
    }
    let source = ZoneSource { base: ZoneSet::embedded(), lookups: app_lookups_dir() };
    super::protocol::run(|stdin, stdout| {
        session::run(stdin, stdout, &source).map(|summary| {
            Some(format!(
                "{} execute requests, {} events, {} flagged isDynDNS=True",
                summary.executes, summary.records, summary.matched
            ))
        })
    })
}

//! `dynamicdns info`: the health command `| dynamicdnsinfo`. Without
//! arguments it is the generating SCP v2 session splunkd runs
//! (commands.conf `command.arg.1 = info`; errors, closed pipes and panics
//! as [`super::protocol`] handles them); `--text` prints the same report
//! as `key: value` lines for admins outside Splunk.
//!
//! `server` is the process's `SPLUNK_SERVER_NAME` (empty if unset);
//! `app_dir` the folder above the `lookups/` found next to the binary.
//! Nothing goes to stderr when all is well: splunkd logs every stderr line
//! of a search command as an ERROR in `search.log`, and the local files'
//! problems are in the row and in the job inspector already.

use std::ffi::OsString;
use std::io::{self, IsTerminal};
use std::process::ExitCode;

use super::app_lookups_dir;
use dynamicdns_engine::health::{InfoCommand, Report};
use dynamicdns_engine::scp::generating;

use crate::flags::{self, Cmd};
use crate::CliError;

/// The `server` field: `SPLUNK_SERVER_NAME`, or empty.
fn server() -> String {
    std::env::var("SPLUNK_SERVER_NAME").unwrap_or_default()
}

/// `dynamicdns info` with no arguments: the SCP session. splunkd always
/// gives it a pipe; a person at a terminal would otherwise wait for a
/// protocol message that never comes, so a terminal on stdin gets told
/// what to run instead (exit 2, bad usage).
pub fn run_scp() -> ExitCode {
    if io::stdin().is_terminal() {
        eprintln!(
            "dynamicdns: info speaks Splunk's search command protocol (SCP v2) on stdin, as \
             splunkd runs it for | dynamicdnsinfo; for the report on a terminal, run \
             `dynamicdns info --text` (see `dynamicdns info --help`)"
        );
        return ExitCode::from(2);
    }
    let mut command = InfoCommand { server: server(), lookups: app_lookups_dir() };
    super::protocol::run(|stdin, stdout| {
        (Vec::new(), generating::run(stdin, stdout, &mut command).result)
    })
}

/// `dynamicdns info` with arguments: `--help`, or `--text`.
pub fn run(args: Vec<OsString>) -> Result<(), CliError> {
    let args = flags::parse(Cmd::Info, args)?;
    if args.help {
        return crate::print(&flags::help(Cmd::Info));
    }
    if !args.report {
        return Err(CliError::Usage(
            "info takes no arguments when splunkd runs it; for the report as text, give --text \
             (see --help)"
                .to_string(),
        ));
    }
    if !args.positional.is_empty() {
        return Err(CliError::Usage(
            "info --text takes no FILE or VALUE (see --help)".to_string(),
        ));
    }
    let lookups = super::lookups_dir(&args);
    if lookups.is_none() && !args.no_local {
        // An installed CLI (cargo install) has no app folder: say why no
        // local file is read.
        eprintln!(
            "dynamicdns: no app folder found next to the binary (no lookups/ folder up to three \
             levels above it): reporting the compiled zone list without local files \
             (--lookups DIR names a folder)"
        );
    }
    let report = if args.no_local {
        let service = dynamicdns_engine::zoneset::ServiceHosts::embedded().len();
        let zones = dynamicdns_engine::health::ZoneCounts::shipped();
        Report::from_parts(&server(), zones, service, lookups.as_deref(), None)
    } else {
        Report::gather(&server(), lookups.as_deref())
    };
    let mut text = String::new();
    report.write_text(&mut text);
    crate::print(&text)
}

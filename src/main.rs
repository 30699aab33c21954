//! The `dynamicdns` binary: a thin shell over the engine crate. `scp` and
//! `info` are what Splunk runs (commands.conf: `| dynamicdns`,
//! `| dynamicdnsinfo`); `lookup` is transforms.conf's external lookup;
//! `check`, `enrich`, `zones` and `info --text` are the command line.
//! Errors go to stderr and name the file and line; exit status 1 for bad
//! data, 2 for bad usage; a closed stdout (`| head`) ends quietly with 0.
//! This is the one place that decides the exit code (the SCP sessions'
//! in `cmd::protocol`).

mod cmd;
mod flags;
mod generate;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

/// Why a command-line run failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The arguments are wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// An input could not be opened or read.
    #[error("{name}: {source}")]
    Input {
        /// The input's name as given (`<stdin>` for stdin).
        name: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Writing stdout failed (a closed pipe is not reported).
    #[error("writing output: {0}")]
    Write(#[source] io::Error),
    /// A zone file given on the command line is wrong.
    #[error(transparent)]
    ZoneFile(#[from] dynamicdns_engine::zonefile::ZoneFileError),
    /// An `enrich` input is wrong: the file, its line and byte, and the
    /// problem.
    #[error("{name}: {source}{}", format_hint(.looks_like))]
    Body {
        /// The input's name.
        name: String,
        /// Where and what.
        source: dynamicdns_engine::enrich::InputError,
        /// The format the input's first line has, when it failed there
        /// read as another.
        looks_like: Option<dynamicdns_engine::enrich::Format>,
    },
    /// The external lookup failed.
    #[error("lookup: {0}")]
    Lookup(#[source] dynamicdns_engine::external_lookup::LookupError),
    /// The data is wrong in a way the message says.
    #[error("{0}")]
    Data(String),
}

/// The hint after an `enrich` error on an input that looks like another
/// format than the one read.
fn format_hint(looks_like: &Option<dynamicdns_engine::enrich::Format>) -> String {
    match looks_like {
        Some(f) => format!(" (the input looks like {}: use --format {})", f.title(), f.name()),
        None => String::new(),
    }
}

impl CliError {
    /// The exit status for this error.
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }

    /// True when the error, or one it came from, is a closed output pipe:
    /// the reader (`head`, splunkd) went away, which is no failure.
    fn is_broken_pipe(&self) -> bool {
        let mut err: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = err {
            if e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            {
                return true;
            }
            err = e.source();
        }
        false
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let first = args.next();
    let rest: Vec<OsString> = args.collect();
    // The protocol paths have their own error reply and exit handling.
    if first.as_deref() == Some("scp".as_ref()) {
        return cmd::scp::run(rest);
    }
    if first.as_deref() == Some("info".as_ref()) && rest.is_empty() {
        return cmd::info::run_scp();
    }
    let result = match first.as_ref().and_then(|a| a.to_str()) {
        Some("check") => cmd::check::run(rest),
        Some("info") => cmd::info::run(rest),
        Some("enrich") => cmd::enrich::run(rest),
        Some("lookup") => cmd::lookup::run(rest),
        Some("zones") => cmd::zones::run(rest),
        Some("-h" | "--help" | "help") => print(&flags::main_help()),
        Some("-V" | "--version") => print(&version_line()),
        Some(a) if a == "--generate" || a.starts_with("--generate=") => {
            generate::run(first.into_iter().chain(rest).collect())
        }
        Some(other) => {
            Err(CliError::Usage(format!("unknown command '{other}'\n\n{}", flags::main_help())))
        }
        None => {
            // The usage itself, not an error message about it.
            eprint!("{}", flags::main_help());
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dynamicdns: {}", e.to_string().trim_end());
            ExitCode::from(e.exit_code())
        }
    }
}

/// Writes `text` to stdout.
fn print(text: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(CliError::Write)
}

/// `dynamicdns --version`: one line naming the program's version, the build
/// (the commit of a release build, `dev` otherwise) and the zone data's
/// version, e.g. `dynamicdns 0.2.0 (build 0123456789ab, zone data 2026.12.01)`.
fn version_line() -> String {
    use dynamicdns_engine::{export::DataVersion, health};
    let data = DataVersion::embedded().version;
    format!("dynamicdns {} (build {}, zone data {data})\n", health::VERSION, health::BUILD)
}

//! What `scp` and `info` share: running an SCP v2 session on stdin and
//! stdout as splunkd runs it. Errors reach splunkd as the protocol's error
//! reply (the session has sent it) and go to stderr (`search.log`); a
//! closed stdout means the search is gone and ends quietly with 0; a
//! panic, which should never happen, is caught and reported through the
//! protocol too instead of dying silently.

use std::io::{self, StdinLock, StdoutLock};
use std::process::ExitCode;

use dynamicdns_engine::scp::frame;
use dynamicdns_engine::scp::message::{error_metadata, ScpError};

/// Runs `session` over stdin and stdout and turns its outcome into the
/// exit status. The session returns the lines to log (its warnings, and
/// its summary when asked: splunkd logs every stderr line as an error) and
/// how it ended; the lines go to stderr (`search.log`) whatever the end.
/// 0 when it ends well or when splunkd closed stdout; 1 after an error
/// (which the session has already answered with the error reply) or a
/// panic (answered here).
pub fn run(
    session: impl FnOnce(
        StdinLock<'static>,
        &mut StdoutLock<'static>,
    ) -> (Vec<String>, Result<(), ScpError>),
) -> ExitCode {
    let stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| session(stdin, &mut stdout)));
    match outcome {
        Ok((log, result)) => {
            for line in log {
                eprintln!("{line}");
            }
            match result {
                Ok(()) => ExitCode::SUCCESS,
                // splunkd closed our stdout: the search is gone; nothing to say.
                Err(e) if e.is_write() => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("dynamicdns: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let msg = format!("internal error in dynamicdns (please report): {what}");
            let _ = frame::write_chunk(&mut stdout, &error_metadata(&msg), b"");
            ExitCode::FAILURE
        }
    }
}

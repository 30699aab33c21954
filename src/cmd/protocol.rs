//! What `scp` and `info` share: running an SCP v2 session on stdin and
//! stdout as splunkd runs it. Errors reach splunkd as the protocol's error
//! reply (the session has sent it) and go to stderr (`search.log`); a
//! closed stdout means the search is gone and ends quietly with 0; a
//! panic, which should never happen, is caught and reported through the
//! protocol too instead of dying silently.

use std::fmt::Display;
use std::io::{self, StdinLock, StdoutLock};
use std::process::ExitCode;

use dynamicdns_engine::frame;
use dynamicdns_engine::generate::GenerateError;
use dynamicdns_engine::session::{self, SessionError};

/// A session's error: shown, and whether it was writing stdout that
/// failed (then there is nobody to tell).
pub trait SessionFailure: Display {
    /// True when stdout is gone.
    fn is_write(&self) -> bool;
}

impl SessionFailure for SessionError {
    fn is_write(&self) -> bool {
        SessionError::is_write(self)
    }
}

impl SessionFailure for GenerateError {
    fn is_write(&self) -> bool {
        GenerateError::is_write(self)
    }
}

/// Runs `session` over stdin and stdout and turns its outcome into the
/// exit status: 0 when it ends well (its line, if any, goes to
/// `search.log`; a session returns one only when asked, since splunkd
/// logs every stderr line as an error) or when splunkd closed stdout; 1 after an error (which
/// the session has already answered with the error reply) or a panic
/// (answered here).
pub fn run<E: SessionFailure>(
    session: impl FnOnce(StdinLock<'static>, &mut StdoutLock<'static>) -> Result<Option<String>, E>,
) -> ExitCode {
    let stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| session(stdin, &mut stdout)));
    match outcome {
        Ok(Ok(log)) => {
            if let Some(line) = log {
                eprintln!("dynamicdns: {line}");
            }
            ExitCode::SUCCESS
        }
        Ok(Err(e)) if e.is_write() => {
            // splunkd closed our stdout: the search is gone; nothing to say.
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("dynamicdns: {e}");
            ExitCode::FAILURE
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let msg = format!("internal error in dynamicdns (please report): {what}");
            let _ = frame::write_chunk(&mut stdout, &session::error_metadata(&msg), b"");
            ExitCode::FAILURE
        }
    }
}

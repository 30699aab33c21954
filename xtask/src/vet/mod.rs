//! `cargo xtask fuzz`, `cargo xtask audit` and `cargo xtask appinspect`:
//! the checks run with outside tools (cargo-fuzz, cargo-deny, Splunk
//! AppInspect), which `scripts/tools.sh` installs, pinned, and names.

mod appinspect;
mod audit;
mod fuzz;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::package::{self, Context};
use crate::{failed, usage, Failure};

/// `cargo xtask fuzz|audit|appinspect ARGS…`.
pub(crate) fn run(task: &str, args: Vec<OsString>) -> Result<(), Failure> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let parser = lexopt::Parser::from_args(args);
    match task {
        "fuzz" => fuzz::run(&root, parser),
        "audit" => audit::run(&root, parser),
        "appinspect" => appinspect::run(&root, parser),
        _ => Err(usage(format!("no task {task}"))),
    }
}

/// The repository and cargo's target directory, as `cargo xtask package`
/// resolves them.
fn context(root: &Path) -> Result<Context, Failure> {
    package::context(root)
}

/// An outside tool from `scripts/tools.sh TOOL` (installed if missing).
fn tool(cx: &Context, name: &str) -> Result<PathBuf, Failure> {
    package::builds::tool(cx, name, false).map_err(failed)
}

/// The pinned tools' folder (`DYNAMICDNS_TOOLS`, default `target/tools` of
/// the repository, as `scripts/lib/common.sh` has it).
fn tools_dir(cx: &Context) -> PathBuf {
    package::env("DYNAMICDNS_TOOLS").map_or_else(|| cx.root.join("target/tools"), PathBuf::from)
}

/// A line for the reader on stderr, named after the task.
fn log(task: &str, line: &str) {
    eprintln!("xtask {task}: {line}");
}

/// Runs `c` (output inherited) and fails unless it succeeds.
fn run_ok(mut c: Command, what: &str) -> Result<(), Failure> {
    let status = c.status().map_err(|e| failed(format!("{what}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(format!("{what} failed ({status})")))
    }
}

/// Runs `c` with its output discarded: did it succeed?
fn quietly(mut c: Command) -> bool {
    c.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Runs `c`: its standard output (empty when it cannot start).
fn stdout_of(mut c: Command) -> String {
    c.stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

fn mkdir(dir: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(dir).map_err(|e| failed(format!("{}: {e}", dir.display())))
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text).map_err(|e| failed(format!("{}: {e}", path.display())))
}

/// Removes a folder if it is there.
fn remove_dir(dir: &Path) -> Result<(), Failure> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(failed(format!("{}: {e}", dir.display())))
        }
        _ => Ok(()),
    }
}

/// A value of an option, as text.
fn value(parser: &mut lexopt::Parser) -> Result<String, Failure> {
    let v = parser.value().map_err(|e| usage(e.to_string()))?;
    v.into_string().map_err(|v| usage(format!("not UTF-8: {}", v.to_string_lossy())))
}

//! The packaged Splunk app, installed and run as splunkd runs it.
//!
//! `cargo xtask package` writes `dist/dynamicdns-<version>.tgz`. These tests
//! check the archive against the package manifest (`tests/util/`: top folder,
//! modes, owner, the files it must and must not hold) and its gzip header, unpack it into
//! a scratch `$SPLUNK_HOME/etc/apps/`, and then
//!
//! - run the command exactly as `commands.conf` declares it — the program
//!   `filename` looked up in `<app>/linux_x86_64/bin/` then `<app>/bin/`
//!   (the launcher `dynamicdns.py`, run by Python 3, which hands over to
//!   `bin/linux_x86_64/dynamicdns`), with `command.arg.<N>` as its arguments, in a dispatch folder as its
//!   working directory — through a lock-step SCP v2 conversation (getinfo,
//!   then execute requests with DNS rows), as splunkd does;
//! - run the external lookup exactly as `transforms.conf` declares it
//!   (`external_cmd` in `<app>/bin/`, CSV with the `fields_list` header on
//!   stdin);
//! - check that the installed app's `lookups/` (local zones, allowlist) are
//!   found by the binary behind the launcher;
//! - run the aarch64 binary the same way under qemu when the project's
//!   scripts have set qemu up (target/tools/qemu-aarch64/run), and the
//!   Windows binary under wine64 (target/tools/wine/run);
//! - run the launcher where no binary fits, and read its protocol error;
//! - upgrade: install an older version, add rows to every file users edit
//!   (and a `local/` setting), install the package over it as Splunk does
//!   (unpacked over the app folder: every file the package contains is
//!   replaced, every other file stays), and check that every user file is
//!   unchanged, every packaged file is the new one, and the package ships
//!   none of the users' files.
//!
//! Without a package the tests print a note and pass, unless
//! `DYNAMICDNS_REQUIRE_PACKAGE` is set (CI sets it after packaging).
//! `DYNAMICDNS_REQUIRE_AARCH64=1` also requires the aarch64 binary, and
//! `DYNAMICDNS_REQUIRE_WINDOWS=1` the Windows one and wine to run it.

mod archive;
mod commands;
mod home;
mod platforms;
mod session;
mod upgrade;
mod windows;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::util::manifest::APP_ID as APP;
use crate::util::root;

const TIMEOUT: Duration = Duration::from_secs(60);

/// The package, or `None` (after a printed note) when there is none and
/// none is required.
fn package() -> Option<PathBuf> {
    let tgz = root().join(format!("dist/{APP}-{}.tgz", env!("CARGO_PKG_VERSION")));
    if tgz.is_file() {
        return Some(tgz);
    }
    if std::env::var_os("DYNAMICDNS_REQUIRE_PACKAGE").is_some() {
        panic!(
            "{} is missing (DYNAMICDNS_REQUIRE_PACKAGE is set): run cargo xtask package",
            tgz.display()
        );
    }
    // Written past the test harness's output capture, once, so that a
    // skipped run says so in the log.
    static NOTE: std::sync::Once = std::sync::Once::new();
    NOTE.call_once(|| {
        let _ = writeln!(
            std::io::stderr().lock(),
            "note: {} not found; skipping the app install tests (run cargo xtask package, \
             or set DYNAMICDNS_REQUIRE_PACKAGE=1 to make this a failure)",
            tgz.display()
        );
    });
    None
}

fn require_aarch64() -> bool {
    std::env::var("DYNAMICDNS_REQUIRE_AARCH64").is_ok_and(|v| v == "1")
}

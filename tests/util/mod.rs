//! What the integration tests share: the binary and the repository's
//! paths, one way to run a process, the .conf parser, the splunkd-faithful
//! SCP driver and chunk builders, splunkd's CSV, the naive zone oracle,
//! the exports' policy table and a deterministic RNG.

pub mod conf;
pub mod driver;
/// What the app package contains (files, modes, platforms, the lookups
/// users edit) and the check of a package archive: the one definition,
/// shared with `cargo xtask package`, which also includes it as a module.
#[path = "../../xtask/src/package/manifest.rs"]
#[allow(dead_code)]
pub mod manifest;
pub mod oracle;
pub mod policy;
pub mod process;
pub mod rng;
pub mod scp;
pub mod splunk_csv;

use std::path::PathBuf;

/// The `dynamicdns` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_dynamicdns");

/// The repository root (the app source: `default/`, `lookups/`, `bin/` …).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the repository, as text.
pub fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// What the SCP tests use together: the driver, chunk builders and reply
/// checks, splunkd's CSV, the oracle and the RNG.
pub mod prelude {
    pub use super::driver::*;
    pub use super::oracle::*;
    pub use super::rng::*;
    pub use super::scp::*;
    pub use super::splunk_csv::*;
}

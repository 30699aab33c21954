//! The integration tests, compiled into one binary (one link instead of one
//! per file; `Cargo.toml` sets `autotests = false`). Each module is a
//! topic; `util` is what they share. Add a test to the module of its
//! topic rather than a new file.

mod util;

mod app_conf;
mod app_install;
mod bad_input;
mod bounded;
mod cli;
mod cli_install;
mod differential;
mod docs;
mod enrich_formats;
mod export;
mod export_rules;
mod info;
mod launcher;
mod local_files;
mod matching;
mod recordings;
mod round_trip;
mod sandbox;
mod scp_driver;

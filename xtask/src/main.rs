//! `cargo xtask`: the developer tasks of dynamicdns, kept out of the binary
//! that ships to Splunk (which never writes a file).
//!
//! - `cargo xtask zones build [--data DIR] [--out FILE]`: rebuilds
//!   `lookups/dynamic_dns_providers.csv`, `lookups/dynamic_dns_excluded.csv`
//!   and `data/suspicious_resolution.csv` from the sources vendored in
//!   `data/` (see `data/README.md`), appends new core zones to the exports'
//!   sid registry `data/suricata_sids.csv`, and says when `data/VERSION`
//!   needs a bump.
//! - `cargo xtask zones diff [OLD NEW]`: what changed between two versions
//!   of a shipped list (default: the committed zone list at git `HEAD`
//!   against the one in the working tree), as Markdown for the CHANGELOG.
//! - `cargo xtask dist [--no-build] [--partial] [--out DIR]`: the release
//!   files in `dist/` (see `dist.rs`).
//! - `cargo xtask gen …`: the test data of the benchmarks, the perf guard
//!   and the stress test, and the checks of the answers (see `gen/mod.rs`).
//! - `cargo xtask ci [--quick] [--only STEP,...]`: the test command (see
//!   `ci/`).
//! - `cargo xtask package [--no-build] [check [TGZ] | binary FOLDER]`: the
//!   Splunk app package (see `package/`).
//! - `cargo xtask perf-guard [--update]`, `cargo xtask stress [--gb N]`: the
//!   instruction budget and the memory bound of the shipped binary (see
//!   `perf_guard.rs`, `stress.rs`).
//! - `cargo xtask fuzz|audit|appinspect …`: the checks run with outside
//!   tools (see `vet/`).

mod bench;
mod ci;
mod datadiff;
mod dist;
mod exportdata;
mod gen;
mod package;
mod perf_guard;
mod stress;
mod vet;
mod zonebuild;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP: &str = "\
Usage: cargo xtask zones build [--data DIR] [--out FILE]
       cargo xtask zones diff [OLD.csv NEW.csv]
       cargo xtask dist [--no-build] [--partial] [--out DIR]
       cargo xtask gen TASK … (test data; cargo xtask gen --help)
       cargo xtask bench [--shape S] [--events N] … (the benchmark; cargo xtask bench --help)
       cargo xtask ci [--quick] [--only STEP,...] (the test command; cargo xtask ci --help)
       cargo xtask package [--no-build] [check [TGZ] | binary FOLDER]
       cargo xtask perf-guard [--update] (cargo xtask perf-guard --help)
       cargo xtask stress [--gb N] [--chunk-mb M] … (cargo xtask stress --help)
       cargo xtask fuzz [--seconds N] [--install-only] [--minimize] [TARGET...]
       cargo xtask audit [--require-advisories] [--no-canary] [--install-only]
       cargo xtask appinspect [--all-tags] [PACKAGE.tgz]

Rebuilds the shipped zone list from the vendored sources in DIR (default:
data/ of the repository) and writes it to FILE (default:
lookups/dynamic_dns_providers.csv of the repository; - for stdout), the
excluded zones with their reasons (dynamic_dns_excluded.csv) and the provider
service hosts (dynamic_dns_service_hosts.csv) beside it, and
DIR/suspicious_resolution.csv. The result is byte-for-byte reproducible;
review the diff and commit the three files together.

zones diff prints, as Markdown, the rows added, removed, re-attributed
(provider or category changed) and otherwise changed between two versions of
a list (the zone list or the service hosts). Without files it compares the
zone list committed at git HEAD with the one in the working tree.

dist runs `package` (--no-build: reuses the package in DIR) and writes,
beside the app package in DIR (default: dist/ of the repository), the CLI
archives for Linux x86_64 and aarch64 (.tar.gz) and Windows x86_64 (.zip)
and SHA256SUMS, byte-identical from the same commit. --partial leaves out a platform the
package has no binary for instead of failing.

package builds the three binaries (--no-build: takes those already built)
and writes dist/dynamicdns-<version>.tgz and its .sha256, reproducibly (see
docs/packaging.md for the environment it reads). `package check [TGZ]`
checks an app archive against the package manifest; `package binary FOLDER`
(linux_x86_64, linux_aarch64, windows_x86_64) builds and checks one binary
and prints its path.

fuzz runs the cargo-fuzz targets, audit checks both lock files with
cargo-deny (licences, bans, sources, RustSec advisories, the canary),
appinspect vets the package with Splunk AppInspect; each has --help.
";

/// A failed task: the message, and whether it was a usage error (exit 2)
/// or a failure of the task itself (exit 1).
pub(crate) struct Failure {
    pub(crate) message: String,
    usage: bool,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure { message: message.into(), usage: true }
}

fn failed(message: impl Into<String>) -> Failure {
    Failure { message: message.into(), usage: false }
}

fn main() -> ExitCode {
    // `ci` parses its own options.
    if std::env::args_os().nth(1).is_some_and(|a| a == "ci") {
        return ci::main(std::env::args_os().skip(2).collect());
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("xtask: {}", f.message.trim_end());
            ExitCode::from(if f.usage { 2 } else { 1 })
        }
    }
}

fn run() -> Result<(), Failure> {
    use lexopt::prelude::*;
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "gen") {
        return gen::run(args[1..].to_vec());
    }
    if let Some(task) = args.first().and_then(|a| a.to_str()) {
        if ["fuzz", "audit", "appinspect"].contains(&task) {
            return vet::run(task, args[1..].to_vec());
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    match args.first().and_then(|a| a.to_str()) {
        Some("perf-guard") => return perf_guard::run(&root, &args[1..]),
        Some("stress") => return stress::run(&root, args[1..].to_vec()),
        Some("bench") => return bench::run(&root, args[1..].to_vec()),
        _ => {}
    }
    let mut data = root.join("data");
    let mut out = None;
    let (mut build, mut partial) = (true, false);
    let mut words = Vec::new();
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next().map_err(|e| usage(format!("{e}\n\n{HELP}")))? {
        match arg {
            Long("data") => data = PathBuf::from(value(&mut parser)?),
            Long("out") => out = Some(PathBuf::from(value(&mut parser)?)),
            Long("no-build") => build = false,
            Long("partial") => partial = true,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            Value(v) => words.push(v.to_string_lossy().into_owned()),
            other => return Err(usage(format!("{}\n\n{HELP}", other.unexpected()))),
        }
    }
    match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["zones", "build"] => zones_build(
            &data,
            &out.unwrap_or_else(|| root.join("lookups").join(zonebuild::LOOKUP_FILE_NAME)),
        ),
        ["zones", "diff"] => zones_diff(&root, None),
        ["zones", "diff", old, new] => zones_diff(&root, Some((old, new))),
        ["dist"] => {
            let out = out.unwrap_or_else(|| root.join("dist"));
            dist::run(&dist::Options { root, out, build, partial })
        }
        ["package", ref rest @ ..] => package::run(&root, build, rest),
        _ => Err(usage(HELP)),
    }
}

fn value(parser: &mut lexopt::Parser) -> Result<std::ffi::OsString, Failure> {
    parser.value().map_err(|e| usage(e.to_string()))
}

/// `zones diff`: the Markdown report of `old` → `new`, or of the zone list
/// committed at `HEAD` → the working tree's.
fn zones_diff(root: &Path, files: Option<(&str, &str)>) -> Result<(), Failure> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| failed(format!("{}: {e}", p.display())));
    let (old, new) = match files {
        Some((old, new)) => (read(Path::new(old))?, read(Path::new(new))?),
        None => {
            let rel = format!("lookups/{}", zonebuild::LOOKUP_FILE_NAME);
            let out = std::process::Command::new("git")
                .arg("-C")
                .arg(root)
                .args(["show", &format!("HEAD:{rel}")])
                .output()
                .map_err(|e| failed(format!("running git: {e}")))?;
            if !out.status.success() {
                let err = String::from_utf8_lossy(&out.stderr);
                return Err(failed(format!("git show HEAD:{rel}: {}", err.trim())));
            }
            (out.stdout, read(&root.join(rel))?)
        }
    };
    let md = datadiff::diff(&old, &new).map_err(failed)?;
    print!("{md}");
    Ok(())
}

/// `zones build`: writes the lookup to `out` (`-`: stdout), the excluded
/// zones beside it and the resolution into `data`.
pub(crate) fn zones_build(data: &Path, out: &Path) -> Result<(), Failure> {
    let built = zonebuild::build(data).map_err(|e| failed(e.to_string()))?;
    if out.as_os_str() == "-" {
        use std::io::Write;
        return std::io::stdout()
            .write_all(&built.lookup)
            .map_err(|e| failed(format!("writing output: {e}")));
    }
    let excluded = out.with_file_name(zonebuild::EXCLUDED_FILE_NAME);
    let service = out.with_file_name(zonebuild::SERVICE_FILE_NAME);
    let resolution = data.join(zonebuild::RESOLUTION_FILE_NAME);
    for (path, bytes) in [
        (out, &built.lookup),
        (&excluded, &built.excluded),
        (&service, &built.service_hosts),
        (&resolution, &built.resolution),
    ] {
        std::fs::write(path, bytes).map_err(|e| failed(format!("{}: {e}", path.display())))?;
    }
    // The exports' sid registry grows with the core tier; the data version
    // must be bumped by hand (a test fails until it is).
    let sids = data.join(exportdata::SIDS_FILE_NAME);
    let registry = std::fs::read_to_string(&sids).unwrap_or_default();
    let (registry, added) = exportdata::extend_sids(&registry, &built.lookup).map_err(failed)?;
    if added > 0 {
        std::fs::write(&sids, registry).map_err(|e| failed(format!("{}: {e}", sids.display())))?;
        eprintln!("xtask: {} new core zones in {}", added, sids.display());
    }
    for (key, file, bytes) in [
        ("lookup-sha256", zonebuild::LOOKUP_FILE_NAME, &built.lookup),
        ("service-hosts-sha256", zonebuild::SERVICE_FILE_NAME, &built.service_hosts),
    ] {
        if let Some(note) = exportdata::version_note(data, key, file, bytes) {
            eprintln!("{note}");
        }
    }
    let rows = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count().saturating_sub(1);
    eprintln!(
        "xtask: wrote {} ({} zones), {} ({} excluded), {} ({} service hosts) and {}",
        out.display(),
        rows(&built.lookup),
        excluded.display(),
        rows(&built.excluded),
        service.display(),
        rows(&built.service_hosts),
        resolution.display()
    );
    Ok(())
}

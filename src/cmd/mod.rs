//! One module per subcommand, plus what `check`, `enrich` and `lookup`
//! share: the zone set they use; `scp` and `info` share the protocol's exit
//! handling ([`protocol`]).

pub mod check;
pub mod enrich;
pub mod export;
pub mod info;
pub mod lookup;
pub mod progress;
pub mod protocol;
pub mod scp;
pub mod zones;

use std::fs::File;
use std::io;
use std::path::PathBuf;

use dynamicdns_engine::health::problem_text;
use dynamicdns_engine::zonefile::LocalFiles;
use dynamicdns_engine::zoneset::{ServiceHosts, ZoneSet};

use crate::flags::Args;
use crate::CliError;

/// The zone set of a CLI run: the built-in list (or `--zones FILE`, with
/// the built-in provider service hosts all the same, so the shipped list
/// passed as a file judges as the built-in one), the selected tiers, and the local additions and allowlist of the app's
/// `lookups/` folder (or `--lookups DIR`) unless `--no-local`. Bad rows in
/// the local files are skipped with a warning on stderr, as in Splunk.
pub fn load_zones(args: &Args) -> Result<ZoneSet, CliError> {
    let base = match &args.zones {
        None => ZoneSet::embedded(),
        Some(p) => {
            let name = p.display().to_string();
            let f =
                File::open(p).map_err(|source| CliError::Input { name: name.clone(), source })?;
            ZoneSet::from_csv(io::BufReader::new(f), &name)?
                .with_service_hosts(ServiceHosts::embedded())
        }
    };
    let set = base.with_tiers(args.options.tiers);
    if args.no_local {
        return Ok(set);
    }
    let Some(dir) = lookups_dir(args) else {
        return Ok(set);
    };
    let local = LocalFiles::read(&dir);
    for p in &local.problems {
        eprintln!("dynamicdns: warning: {} (in {})", problem_text(p), dir.display());
    }
    Ok(local.apply(set))
}

/// The folder of the local files: `--lookups DIR` made absolute (so that
/// messages and `app_dir` name a real folder, not `.`), else the app's.
pub(crate) fn lookups_dir(args: &Args) -> Option<PathBuf> {
    match &args.lookups {
        Some(d) => Some(std::path::absolute(d).unwrap_or_else(|_| d.clone())),
        None => app_lookups_dir(),
    }
}

// The binary, not the engine, looks at the process (its own path): the
// engine is given the folder.
/// The app's `lookups/` folder, found from the running binary's own
/// location: the first of `<exe dir>/lookups`, `<exe dir>/../lookups`,
/// `<exe dir>/../../lookups`, `<exe dir>/../../../lookups` that is a
/// folder. This covers `<app>/bin/dynamicdns`, `<app>/bin/<arch>/dynamicdns`
/// and `<app>/<platform>/bin/dynamicdns`, on search heads and on indexers
/// (where the app arrives in the knowledge bundle).
pub(crate) fn app_lookups_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.ancestors().skip(1).take(4).map(|d| d.join("lookups")).find(|d| d.is_dir())
}

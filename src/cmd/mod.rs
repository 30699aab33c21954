//! One module per subcommand, plus what `check`, `enrich` and `lookup`
//! share: the zone set they use; `scp` and `info` share the protocol's exit
//! handling ([`protocol`]).

pub mod check;
pub mod enrich;
pub mod export;
pub mod info;
pub mod lookup;
pub mod protocol;
pub mod scp;
pub mod zones;

use std::fs::File;
use std::io;

use dynamicdns_engine::zonefile::{app_lookups_dir, LocalFiles};
use dynamicdns_engine::zoneset::ZoneSet;

use crate::flags::Args;
use crate::CliError;

/// The zone set of a CLI run: the built-in list (or `--zones FILE`), the
/// selected tiers, and the local additions and allowlist of the app's
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
        }
    };
    let set = base.with_tiers(args.options.tiers);
    if args.no_local {
        return Ok(set);
    }
    let Some(dir) = args.lookups.clone().or_else(app_lookups_dir) else {
        return Ok(set);
    };
    let local = LocalFiles::read(&dir);
    for p in &local.problems {
        let ignored = if p.ignored() { " (ignored)" } else { "" };
        eprintln!("dynamicdns: warning: {}: {p}{ignored}", dir.display());
    }
    Ok(local.apply(set))
}

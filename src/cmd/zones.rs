//! `dynamicdns zones validate|stats|export`: operator tools for the zone
//! files (`export` is in [`super::export`]). They only read; the shipped list is rebuilt by `cargo xtask zones
//! build`, which is not part of this binary.

use std::ffi::OsString;
use std::path::Path;

use dynamicdns_engine::export::DataVersion;
use dynamicdns_engine::zonefile::{load, FileKind};
use dynamicdns_engine::zoneset::ZoneSet;

use crate::flags::{self, Cmd};
use crate::CliError;

/// Runs `zones` with the arguments after its name.
pub fn run(args: Vec<OsString>) -> Result<(), CliError> {
    if args.first().is_some_and(|a| a == "export") {
        return super::export::run(args[1..].to_vec());
    }
    let Some(sub) = args.first().and_then(|a| a.to_str()) else {
        return crate::print(&flags::zones_help());
    };
    let cmd = match sub {
        "validate" => Cmd::Validate,
        "stats" => Cmd::Stats,
        "-h" | "--help" => return crate::print(&flags::zones_help()),
        "build" => {
            return Err(CliError::Usage(
                "zones build is a developer task now: run `cargo xtask zones build` in the \
                 repository (the shipped binary writes no files)"
                    .to_string(),
            ))
        }
        other => {
            return Err(CliError::Usage(format!(
                "unknown zones command '{other}'\n\n{}",
                flags::zones_help()
            )))
        }
    };
    let parsed = flags::parse(cmd, args[1..].to_vec())?;
    if parsed.help {
        return crate::print(&flags::help(cmd));
    }
    let files: Vec<String> =
        parsed.positional.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    match cmd {
        Cmd::Validate => validate(&files),
        _ => stats(&files),
    }
}

/// Reports every bad row of each file; fails if any.
fn validate(files: &[String]) -> Result<(), CliError> {
    if files.is_empty() {
        return Err(CliError::Usage(format!(
            "zones validate needs a file\n\n{}",
            flags::help(Cmd::Validate)
        )));
    }
    let mut bad = 0;
    let mut report = String::new();
    for file in files {
        let bytes = std::fs::read(file)
            .map_err(|source| CliError::Input { name: file.clone(), source })?;
        // The app's local files are known by name; another file is an
        // allowlist if its name says so, else a zone list if its header has
        // a `zone` column and no `host` one, else an allowlist.
        let header = bytes.split(|&b| b == b'\n').next().unwrap_or(b"").to_ascii_lowercase();
        let cols: Vec<&[u8]> = header.split(|&b| b == b',').map(|c| c.trim_ascii()).collect();
        let kind = FileKind::of_file_name(Path::new(file)).unwrap_or(
            if file.contains("allowlist")
                || cols.contains(&&b"host"[..])
                || !cols.contains(&&b"zone"[..])
            {
                FileKind::Allowlist
            } else {
                FileKind::Zones
            },
        );
        let loaded = load(&bytes[..], file, kind);
        // The first problems with their lines, then a count of the rest.
        for p in &loaded.problems {
            report.push_str(&format!("{p}\n"));
        }
        let n = loaded.problem_count();
        bad += n;
        let what = if kind == FileKind::Zones { "zones" } else { "allowlist entries" };
        let rows = loaded.table.len() + loaded.providers.len() + loaded.categories.len();
        report.push_str(&format!("{file}: {rows} {what} OK, {n} bad rows\n"));
    }
    crate::print(&report)?;
    if bad > 0 {
        return Err(CliError::Data(format!("{bad} bad rows")));
    }
    Ok(())
}

/// Counts per tier, category, provider and source in a zone list: the
/// file named, else the list compiled into the binary (the zones the
/// command uses, with or without an app folder).
fn stats(args: &[String]) -> Result<(), CliError> {
    let mut counts: Vec<std::collections::BTreeMap<String, u64>> = vec![Default::default(); 4];
    let mut total = 0u64;
    let mut count = |fields: [Option<&str>; 4]| {
        total += 1;
        for (i, v) in fields.iter().take(3).enumerate() {
            if let Some(v) = v {
                let v = if v.is_empty() { "(none)" } else { v };
                *counts[i].entry(v.to_string()).or_default() += 1;
            }
        }
        for s in fields[3].unwrap_or("").split(';').filter(|s| !s.is_empty()) {
            *counts[3].entry(s.to_string()).or_default() += 1;
        }
    };
    let name = match args {
        [] => {
            for r in ZoneSet::embedded().rows() {
                count([
                    Some(r.tier.as_str()),
                    Some(r.category),
                    Some(r.provider),
                    Some(r.sources),
                ]);
            }
            format!("the compiled zone list (data {})", DataVersion::embedded().version)
        }
        [f] => {
            let name = f.clone();
            let data = |e: csv::Error| CliError::Data(format!("{name}: {e}"));
            let mut rdr = csv::Reader::from_path(f).map_err(data)?;
            let headers = rdr.headers().map_err(data)?.clone();
            let col = |n: &str| headers.iter().position(|h| h == n);
            let cols = [col("tier"), col("category"), col("provider"), col("sources")];
            for rec in rdr.records() {
                let rec = rec.map_err(data)?;
                count(cols.map(|c| c.and_then(|c| rec.get(c))));
            }
            name
        }
        _ => {
            return Err(CliError::Usage(format!(
                "zones stats takes one file\n\n{}",
                flags::help(Cmd::Stats)
            )))
        }
    };
    let mut out = format!("{name}: {total} zones\n");
    let titles = ["tier", "category", "provider", "source"];
    for (title, map) in titles.iter().zip(&counts) {
        if map.is_empty() {
            continue;
        }
        out.push_str(&format!("\nby {title}:\n"));
        let mut rows: Vec<(&String, &u64)> = map.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, v) in rows {
            out.push_str(&format!("{v:>9}  {k}\n"));
        }
    }
    crate::print(&out)
}

//! The command line's flags: each is defined once, in [`defs::FLAGS`], and
//! the parser, every subcommand's help text ([`help`](mod@help)), the man page and
//! the shell completions (`crate::generate`) are made from that table, so
//! they cannot drift apart.

mod defs;
mod help;
mod lists;

pub use defs::{flags_of, Cmd, CmdDef, FlagDef, Values, CMDS};
pub use help::{help, main_help, scp_help, zones_help, TAGLINE};
pub use lists::output_fields;

use defs::{Flag, FLAGS};

use std::ffi::OsString;
use std::path::PathBuf;

use dynamicdns_engine::export::{self, KqlSource, SuricataMode, ZeekData};
use dynamicdns_engine::options::{Mode, Options};
use dynamicdns_engine::verdict::OutputNames;
use dynamicdns_engine::zoneset::TierSelection;

use crate::CliError;

/// The input format of `enrich` (the engine's list).
pub use dynamicdns_engine::enrich::Format as EnrichFormat;

/// The parsed arguments of `check`, `enrich` or `lookup`.
#[derive(Debug, Default)]
pub struct Args {
    /// The engine's options (fields, mode, tiers).
    pub options: Options,
    /// `--zones FILE`.
    pub zones: Option<PathBuf>,
    /// `--lookups DIR`.
    pub lookups: Option<PathBuf>,
    /// `--no-local`.
    pub no_local: bool,
    /// `--debug`.
    pub debug: bool,
    /// `info --text`.
    pub report: bool,
    /// The arguments that are not flags, in order.
    pub positional: Vec<OsString>,
    /// `-h`/`--help`.
    pub help: bool,
    /// `enrich --format`.
    pub enrich_format: EnrichFormat,
    /// `enrich --pass-bad-lines`.
    pub pass_bad_lines: bool,
    /// `zones export --format`.
    pub export_format: Option<export::Format>,
    /// `--tier` was given (an export's default tier depends on the format).
    pub tier_given: bool,
    /// `zones export`'s other options.
    pub export: export::Options,
    /// `dynamicdns --generate KIND`.
    pub generate: Option<String>,
    /// `-V`/`--version`.
    pub version: bool,
}

/// Parses the arguments of `cmd` (after the subcommand's name).
pub fn parse(cmd: Cmd, args: Vec<OsString>) -> Result<Args, CliError> {
    use lexopt::Arg;
    let mut parser = lexopt::Parser::from_args(args);
    let mut out = Args::default();
    let mut fields: Vec<String> = Vec::new();
    let usage = |e: lexopt::Error| CliError::Usage(format!("{e} (see --help)"));
    while let Some(arg) = parser.next().map_err(usage)? {
        let def = match &arg {
            Arg::Value(v) => {
                out.positional.push(v.clone());
                continue;
            }
            Arg::Long(name) => FLAGS.iter().find(|d| d.long == *name && d.on.contains(&cmd)),
            Arg::Short(c) => FLAGS.iter().find(|d| d.short == Some(*c) && d.on.contains(&cmd)),
        };
        let Some(def) = def else {
            return Err(usage(arg.unexpected()));
        };
        let mut value = || -> Result<OsString, CliError> {
            parser.value().map_err(|_| {
                CliError::Usage(format!(
                    "--{} needs a value {}",
                    def.long,
                    def.value.unwrap_or("")
                ))
            })
        };
        match def.flag {
            Flag::Field => {
                let v = value()?;
                let v = v
                    .to_str()
                    .ok_or_else(|| CliError::Usage("--field: not valid UTF-8".to_string()))?;
                for name in v.split(',').map(str::trim) {
                    if name.is_empty() {
                        return Err(CliError::Usage(format!(
                            "--field {v:?}: empty field name; give --field F or --field F1,F2"
                        )));
                    }
                    if !fields.iter().any(|f| f == name) {
                        fields.push(name.to_string());
                    }
                }
            }
            Flag::Text => out.options.mode = Mode::Text,
            Flag::Tier | Flag::ExportTier => {
                out.tier_given = true;
                let v = value()?;
                out.options.tiers = match v.to_str().map(str::to_ascii_lowercase).as_deref() {
                    Some("all" | "extended") => TierSelection::All,
                    Some("core") => TierSelection::Core,
                    _ => {
                        return Err(CliError::Usage(format!(
                            "--tier {}: the tier must be all or core",
                            v.to_string_lossy()
                        )))
                    }
                };
            }
            Flag::Rename => {
                let v = value()?;
                let v = v.to_string_lossy();
                out.options.names = OutputNames::parse(&v)
                    .map_err(|e| CliError::Usage(format!("--rename {v}: {e}")))?;
            }
            Flag::Zones => out.zones = Some(PathBuf::from(value()?)),
            Flag::Lookups => out.lookups = Some(PathBuf::from(value()?)),
            Flag::NoLocal => out.no_local = true,
            Flag::Debug => out.debug = true,
            Flag::Report => out.report = true,
            Flag::Format => {
                let v = value()?.to_string_lossy().to_ascii_lowercase();
                out.enrich_format = EnrichFormat::parse(&v).ok_or_else(|| {
                    let names = lists::enrich_format_names().join(", ");
                    CliError::Usage(format!("--format {v}: enrich reads {names}"))
                })?;
            }
            Flag::ExportFormat => {
                let v = value()?.to_string_lossy().to_ascii_lowercase();
                out.export_format = Some(export::Format::parse(&v).ok_or_else(|| {
                    let names = lists::export_format_names().join(", ");
                    CliError::Usage(format!("--format {v}: the formats are {names}"))
                })?);
            }
            Flag::PassBadLines => out.pass_bad_lines = true,
            Flag::Part => out.export.part = Some(value()?.to_string_lossy().into_owned()),
            Flag::SuricataMode => {
                out.export.suricata_mode =
                    Some(match choice(def, value()?, &lists::suricata_mode_names())? {
                        0 => SuricataMode::Content,
                        _ => SuricataMode::Dataset,
                    })
            }
            Flag::ZeekData => {
                out.export.zeek_data =
                    Some(match choice(def, value()?, &lists::zeek_data_names())? {
                        0 => ZeekData::Inline,
                        _ => ZeekData::File,
                    })
            }
            Flag::KqlSource => {
                out.export.kql_source = match choice(def, value()?, &lists::kql_source_names())? {
                    0 => KqlSource::Datatable,
                    1 => KqlSource::Watchlist,
                    _ => KqlSource::Externaldata,
                }
            }
            Flag::KqlUrl => out.export.kql_url = Some(value()?.to_string_lossy().into_owned()),
            Flag::ElasticFields => {
                let v = value()?.to_string_lossy().into_owned();
                let fields: Vec<String> = v
                    .split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(String::from)
                    .collect();
                if fields.is_empty() {
                    return Err(CliError::Usage("--elastic-fields: no field named".to_string()));
                }
                out.export.elastic_fields = Some(fields);
            }
            Flag::NoComments => out.export.no_comments = true,
            Flag::Generate => {
                let v = value()?;
                let kind = lists::generate_names()[choice(def, v, &lists::generate_names())?];
                out.generate = Some(kind.to_string());
            }
            Flag::Version => out.version = true,
            Flag::Help => out.help = true,
        }
    }
    if !fields.is_empty() {
        out.options.fields = fields;
    }
    Ok(out)
}

/// The index of `v` among `names` (any case), or a usage error naming them.
fn choice(def: &FlagDef, v: OsString, names: &[&str]) -> Result<usize, CliError> {
    let v = v.to_string_lossy().to_ascii_lowercase();
    names.iter().position(|n| *n == v).ok_or_else(|| {
        CliError::Usage(format!("--{} {v}: must be one of {}", def.long, names.join(", ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(cmd: Cmd, args: &[&str]) -> Args {
        parse(cmd, args.iter().map(OsString::from).collect()).unwrap()
    }

    fn parse_err(cmd: Cmd, args: &[&str]) -> String {
        match parse(cmd, args.iter().map(OsString::from).collect()) {
            Err(CliError::Usage(m)) => m,
            other => panic!("{args:?}: expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn flags_parse_into_options() {
        let a = parse_ok(Cmd::Enrich, &["-f", "query, answer", "--field=url", "--text", "x.csv"]);
        assert_eq!(a.options.fields, ["query", "answer", "url"]);
        assert_eq!(a.options.mode, Mode::Text);
        assert_eq!(a.positional, ["x.csv"]);
        let a = parse_ok(Cmd::Check, &["--tier", "CORE", "--no-local", "--", "--x"]);
        assert_eq!(a.options.tiers, TierSelection::Core);
        assert!(a.no_local);
        assert_eq!(a.positional, ["--x"]);
        assert_eq!(a.options.fields, ["query"]);
        let a = parse_ok(Cmd::Lookup, &["--zones", "z.csv", "--lookups=d", "-h", "dest"]);
        assert_eq!(a.zones, Some(PathBuf::from("z.csv")));
        assert_eq!(a.lookups, Some(PathBuf::from("d")));
        assert!(a.help);
        assert_eq!(a.positional, ["dest"]);
        assert_eq!(parse_ok(Cmd::Check, &["-"]).positional, ["-"]);
    }

    #[test]
    fn bad_flags_are_usage_errors() {
        assert!(parse_err(Cmd::Check, &["--nope"]).contains("--nope"));
        assert!(parse_err(Cmd::Check, &["--field", "x"]).contains("--field"));
        assert!(parse_err(Cmd::Enrich, &["--field"]).contains("--field needs a value"));
        assert!(parse_err(Cmd::Enrich, &["--field", "a,,b"]).contains("empty field name"));
        assert!(parse_err(Cmd::Lookup, &["--tier", "most"]).contains("all or core"));
        assert!(parse_err(Cmd::Lookup, &["--no-local=x"]).contains("--no-local"));
        assert!(parse_err(Cmd::Info, &["--tier", "core"]).contains("--tier"));
        assert!(parse_err(Cmd::Info, &["--zones", "z.csv"]).contains("--zones"));
    }

    /// `--text` means one thing for check, enrich and lookup, another for
    /// info: each subcommand gets its own definition.
    #[test]
    fn a_long_name_per_subcommand() {
        let a = parse_ok(Cmd::Check, &["--text"]);
        assert!(a.options.mode == Mode::Text && !a.report);
        let a = parse_ok(Cmd::Info, &["--text", "--lookups", "d", "--no-local"]);
        assert!(a.options.mode == Mode::Host && a.report && a.no_local);
        assert_eq!(a.lookups, Some(PathBuf::from("d")));
    }

    /// The flag names the engine gives when it refuses an export option
    /// another format reads are `zones export` flags of this table.
    #[test]
    fn export_option_names_are_flags() {
        let a = parse_ok(
            Cmd::Export,
            &[
                "--suricata-mode=dataset",
                "--zeek-data=file",
                "--kql-source=watchlist",
                "--kql-url=https://x/",
                "--elastic-fields=a",
                "--no-comments",
            ],
        );
        let named = a.export.unused_by(export::Format::Json);
        assert_eq!(named.len(), 6);
        for name in named {
            let flag = FLAGS.iter().find(|f| format!("--{}", f.long) == name);
            assert!(
                flag.is_some_and(|f| flags_of(Cmd::Export).any(|e| e.long == f.long)),
                "{name}"
            );
        }
    }
}

//! The command line's flags: each is defined once, in [`FLAGS`], and both
//! the parser and every subcommand's help text are made from that table,
//! so the two cannot drift apart.

use std::ffi::OsString;
use std::path::PathBuf;

use dynamicdns_engine::enrich;
use dynamicdns_engine::export::{self, KqlSource, SuricataMode, ZeekData};
use dynamicdns_engine::options::{Mode, Options};
use dynamicdns_engine::zoneset::TierSelection;

use crate::CliError;

/// A subcommand that takes flags from [`FLAGS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    /// `dynamicdns check`.
    Check,
    /// `dynamicdns enrich`.
    Enrich,
    /// `dynamicdns lookup`.
    Lookup,
    /// `dynamicdns info` (its flags select the CLI form; without any it
    /// speaks SCP).
    Info,
    /// `dynamicdns zones export`.
    Export,
}

/// Which flag a [`FlagDef`] defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flag {
    Field,
    Text,
    Tier,
    Zones,
    Lookups,
    NoLocal,
    Debug,
    Report,
    Format,
    PassBadLines,
    Part,
    SuricataMode,
    ZeekData,
    KqlSource,
    KqlUrl,
    ElasticFields,
    NoComments,
    Help,
}

/// One flag: its names, its value's name (if it takes one), its help, and
/// the subcommands that accept it. A long name may be defined twice for
/// different subcommands (`--text`).
struct FlagDef {
    flag: Flag,
    long: &'static str,
    short: Option<char>,
    value: Option<&'static str>,
    help: &'static str,
    on: &'static [Cmd],
}

const ALL: &[Cmd] = &[Cmd::Check, Cmd::Enrich, Cmd::Lookup];
/// The subcommands that read the local files.
const LOCAL: &[Cmd] = &[Cmd::Check, Cmd::Enrich, Cmd::Lookup, Cmd::Info];
const EXPORT: &[Cmd] = &[Cmd::Export];

/// Every flag, in the order help lists them.
const FLAGS: &[FlagDef] = &[
    FlagDef {
        flag: Flag::Field,
        long: "field",
        short: Some('f'),
        value: Some("F"),
        help: "field to judge (repeatable, or F1,F2); default: query. With --format jsonl a \
               dotted path (dns.rrname, answers): a key with dots is tried whole first, an array \
               is a multivalue field",
        on: &[Cmd::Enrich],
    },
    FlagDef {
        flag: Flag::Format,
        long: "format",
        short: None,
        value: Some("F"),
        help: "enrich: csv (default), jsonl (one JSON object per line: Zeek JSON, Suricata eve, \
               Sysmon) or zeek (Zeek TSV with #fields). zones export: kql, suricata, zeek, \
               sigma, misp, elastic, csv or json",
        on: &[Cmd::Enrich, Cmd::Export],
    },
    FlagDef {
        flag: Flag::PassBadLines,
        long: "pass-bad-lines",
        short: None,
        value: None,
        help: "enrich: copy a line (CSV: record) that cannot be read unchanged (counted on \
               stderr) instead of stopping with an error naming file, line and byte",
        on: &[Cmd::Enrich],
    },
    FlagDef {
        flag: Flag::Text,
        long: "text",
        short: None,
        value: None,
        help: "read each value as free text and judge the host names embedded in it",
        on: ALL,
    },
    FlagDef {
        flag: Flag::Tier,
        long: "tier",
        short: None,
        value: Some("T"),
        help: "all (default) or core: core uses only zones with provider-owned or curated \
               evidence, all adds the extended long tail (FreeDNS registry); zones export: \
               the default depends on the format (core for kql, suricata, zeek, sigma)",
        on: &[Cmd::Check, Cmd::Enrich, Cmd::Lookup, Cmd::Export],
    },
    FlagDef {
        flag: Flag::Part,
        long: "part",
        short: None,
        value: Some("NAME"),
        help: "the part to write when the format has several files (suricata dataset: rules, \
               zones, service-hosts; zeek file: script, zones; elastic: index, bulk, policy, \
               pipeline); output goes to stdout only",
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::SuricataMode,
        long: "suricata-mode",
        short: None,
        value: Some("M"),
        help: "content (one rule per zone and buffer; default for core) or dataset (six rules \
               and two dataset files; default for all)",
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::ZeekData,
        long: "zeek-data",
        short: None,
        value: Some("D"),
        help: "inline (zones in the script; default for core) or file (a TSV the script reads; \
               default for all)",
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::KqlSource,
        long: "kql-source",
        short: None,
        value: Some("S"),
        help: "datatable (zones in the query; default, core only), watchlist (Sentinel \
               watchlist DynamicDnsZones from --format csv) or externaldata (--kql-url)",
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::KqlUrl,
        long: "kql-url",
        short: None,
        value: Some("URL"),
        help: "with --kql-source externaldata: where --format csv --no-comments is served",
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::ElasticFields,
        long: "elastic-fields",
        short: None,
        value: Some("F"),
        help: "document fields holding the host, comma-separated, first non-empty wins \
               (default: dns.question.name, url.domain, tls.client.server_name, \
               destination.domain)",
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::NoComments,
        long: "no-comments",
        short: None,
        value: None,
        help: "csv: leave out the four # provenance lines (for KQL externaldata)",
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::Zones,
        long: "zones",
        short: None,
        value: Some("FILE"),
        help: "use this zone CSV (columns zone[,provider][,tier]) instead of the built-in list",
        on: ALL,
    },
    FlagDef {
        flag: Flag::Lookups,
        long: "lookups",
        short: None,
        value: Some("DIR"),
        help: "folder with the local zones and the allowlist (default: the app's lookups/ \
               folder next to the binary, if any)",
        on: LOCAL,
    },
    FlagDef {
        flag: Flag::NoLocal,
        long: "no-local",
        short: None,
        value: None,
        help: "ignore the local zones and the allowlist",
        on: LOCAL,
    },
    FlagDef {
        flag: Flag::Report,
        long: "text",
        short: None,
        value: None,
        help: "print the health report as `key: value` lines (instead of speaking SCP)",
        on: &[Cmd::Info],
    },
    FlagDef {
        flag: Flag::Debug,
        long: "debug",
        short: None,
        value: None,
        help: "write a summary (rows, answers, matches) to stderr when done; splunkd logs \
               every stderr line as an error, so nothing is written by default",
        on: &[Cmd::Lookup],
    },
    FlagDef {
        flag: Flag::Help,
        long: "help",
        short: Some('h'),
        value: None,
        help: "print this help",
        on: &[Cmd::Check, Cmd::Enrich, Cmd::Lookup, Cmd::Info, Cmd::Export],
    },
];

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
    pub enrich_format: enrich::Format,
    /// `enrich --pass-bad-lines`.
    pub pass_bad_lines: bool,
    /// `zones export --format`.
    pub export_format: Option<export::Format>,
    /// `--tier` was given (an export's default tier depends on the format).
    pub tier_given: bool,
    /// `zones export`'s other options.
    pub export: export::Options,
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
            Flag::Tier => {
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
            Flag::Zones => out.zones = Some(PathBuf::from(value()?)),
            Flag::Lookups => out.lookups = Some(PathBuf::from(value()?)),
            Flag::NoLocal => out.no_local = true,
            Flag::Debug => out.debug = true,
            Flag::Report => out.report = true,
            Flag::Format => {
                let v = value()?;
                let v = v.to_string_lossy().to_ascii_lowercase();
                if cmd == Cmd::Enrich {
                    out.enrich_format = enrich::Format::parse(&v).ok_or_else(|| {
                        let names: Vec<&str> = enrich::FORMATS.iter().map(|f| f.name()).collect();
                        CliError::Usage(format!("--format {v}: enrich reads {}", names.join(", ")))
                    })?;
                } else {
                    let names: Vec<&str> = export::FORMATS.iter().map(|f| f.name()).collect();
                    out.export_format = Some(export::Format::parse(&v).ok_or_else(|| {
                        CliError::Usage(format!(
                            "--format {v}: the formats are {}",
                            names.join(", ")
                        ))
                    })?);
                }
            }
            Flag::PassBadLines => out.pass_bad_lines = true,
            Flag::Part => out.export.part = Some(value()?.to_string_lossy().into_owned()),
            Flag::SuricataMode => {
                out.export.suricata_mode =
                    Some(match choice(def, value()?, &["content", "dataset"])? {
                        0 => SuricataMode::Content,
                        _ => SuricataMode::Dataset,
                    })
            }
            Flag::ZeekData => {
                out.export.zeek_data = Some(match choice(def, value()?, &["inline", "file"])? {
                    0 => ZeekData::Inline,
                    _ => ZeekData::File,
                })
            }
            Flag::KqlSource => {
                let names = ["datatable", "watchlist", "externaldata"];
                out.export.kql_source = match choice(def, value()?, &names)? {
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

/// The help of `cmd`: its usage and description, then its flags from
/// [`FLAGS`].
pub fn help(cmd: Cmd) -> String {
    let mut h = String::from(match cmd {
        Cmd::Check => CHECK_USAGE,
        Cmd::Enrich => ENRICH_USAGE,
        Cmd::Lookup => LOOKUP_USAGE,
        Cmd::Info => INFO_USAGE,
        Cmd::Export => EXPORT_USAGE,
    });
    h.push_str("\nOptions:\n");
    for def in FLAGS.iter().filter(|d| d.on.contains(&cmd)) {
        let mut names = match def.short {
            Some(c) => format!("-{c}, --{}", def.long),
            None => format!("    --{}", def.long),
        };
        if let Some(v) = def.value {
            names.push(' ');
            names.push_str(v);
        }
        push_wrapped(&mut h, &names, def.help);
    }
    h
}

/// Appends `  NAMES  help…` with the help wrapped at 79 columns, continuation
/// lines aligned under the help.
fn push_wrapped(out: &mut String, names: &str, help: &str) {
    const INDENT: usize = 22;
    const WIDTH: usize = 79;
    let mut line = format!("  {names}");
    if line.len() + 2 > INDENT {
        out.push_str(&line);
        out.push('\n');
        line = String::new();
    }
    for word in help.split_whitespace() {
        let start = line.is_empty() || line.len() < INDENT;
        if start {
            line = format!("{line:INDENT$}{word}");
        } else if line.len() + 1 + word.len() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = format!("{:INDENT$}{word}", "");
        } else {
            line.push(' ');
            line.push_str(word);
        }
    }
    out.push_str(&line);
    out.push('\n');
}

/// The program's help (`dynamicdns --help`).
pub const MAIN_HELP: &str = "\
dynamicdns — flag hosts below dynamic-DNS provider zones (duckdns.org, no-ip …)

Usage:
  dynamicdns scp                      Splunk custom search command (SCP v2 on stdin/stdout)
  dynamicdns check [OPTIONS] [VALUE...]
                                      judge host names / URLs (arguments, or one per stdin line)
  dynamicdns enrich [OPTIONS] [FILE|-]
                                      add isDynDNS, provider, dyndns_zone … to a CSV,
                                      JSON lines or Zeek TSV log
  dynamicdns lookup [OPTIONS] [FIELD]
                                      Splunk external lookup (CSV on stdin/stdout)
  dynamicdns info [--text]            the health report of | dynamicdnsinfo (SCP v2;
                                      --text: key: value lines)
  dynamicdns zones validate FILE...   check local zone and allowlist files
  dynamicdns zones stats [FILE]       zone counts per tier, category, provider, source
  dynamicdns zones export --format F [OPTIONS]
                                      the zone list for kql, suricata, zeek, sigma, misp,
                                      elastic, csv, json (stdout)
  dynamicdns --version

Run `dynamicdns <command> --help` for a command's options.
";

/// `dynamicdns scp --help`, with the SPL usage of the engine's options.
pub fn scp_help() -> String {
    format!(
        "Usage: dynamicdns scp\n\n\
         Speaks Splunk's custom search command protocol v2 (chunked) on stdin and\n\
         stdout; commands.conf runs it. SPL options arrive in the getinfo request:\n\n  | {}\n",
        dynamicdns_engine::options::USAGE
    )
}

const CHECK_USAGE: &str = "\
Usage: dynamicdns check [OPTIONS] [VALUE...]

Judges each VALUE (a host name, URL, host:port …), or each line of stdin when
no VALUE is given, and writes CSV: value,isDynDNS,provider,dyndns_zone,
dyndns_category,dyndns_tier — one row per value, in input order.
";

const ENRICH_USAGE: &str = "\
Usage: dynamicdns enrich [OPTIONS] [FILE|-]

Reads a CSV with a header row (FILE, or stdin when FILE is - or absent) and
writes it to stdout with isDynDNS, provider, dyndns_zone, dyndns_category and
dyndns_tier added. Every input row comes out, in order, byte for byte, with the
new fields appended. --format jsonl appends them as keys before each object's
closing brace; --format zeek appends columns to #fields/#types and each line.
";

const EXPORT_USAGE: &str = "\
Usage: dynamicdns zones export --format F [--tier T] [--part NAME] [OPTIONS]

Writes the shipped zone list (not the local files) for another platform to
stdout: kql (Sentinel, Defender XDR), suricata, zeek, sigma, misp (warninglist),
elastic (enrich index and pipeline), csv or json. Each matches a host only when
it lies strictly below a zone (the apex and look-alikes do not match; the
longest zone names the provider; provider service hosts are not DDNS hosts),
and names the data version and the sources' licences. A format made of several
files is written one --part per run (without --part the command lists them).
";

const LOOKUP_USAGE: &str = "\
Usage: dynamicdns lookup [OPTIONS] [FIELD]

Splunk external lookup (transforms.conf external_type = executable). Reads a
CSV with a header row on stdin (the lookup's fields_list, e.g.
query,isDynDNS,provider,dyndns_zone) and writes the same CSV to stdout with
isDynDNS (True/False), provider, dyndns_zone, dyndns_category and dyndns_tier
(those the header has) filled from FIELD's value (default: query). Rows that
carry only output values (a reverse lookup) are answered with FIELD=* (any
host).
";

const INFO_USAGE: &str = "\
Usage: dynamicdns info
       dynamicdns info --text [--lookups DIR | --no-local]

Without options: the health command | dynamicdnsinfo [distributed=<bool>],
a generating command speaking Splunk's custom search command protocol v2 on
stdin and stdout (commands.conf runs it). It answers with one row: version,
build, CPU, app folder, zone counts per tier and category, provider service
hosts, the local files found with their row counts, and their problems.
distributed=true (in SPL) runs it on every indexer too.

With --text: prints the same fields as `key: value` lines, one per value of a
multivalue field, for admins outside Splunk (e.g. bin/dynamicdns.sh info
--text in the installed app). The exit status is 0 whatever `status` says.
";

/// `dynamicdns zones --help`.
pub const ZONES_HELP: &str = "\
Usage:
  dynamicdns zones validate FILE...
      Checks local files (zones: zone[,provider][,category][,tier];
      allowlist: host, provider or category[,reason][,expires]); prints
      every bad row with its line and exits 1 if there is one.
  dynamicdns zones stats [FILE]
      Counts zones per tier, category, provider and source in a zone list
      (default: the shipped list in the app's lookups/ folder).
  dynamicdns zones export --format F [--tier all|core] [--part NAME]
      Writes the shipped list for another platform to stdout (see
      `dynamicdns zones export --help`).

The shipped list is rebuilt from the vendored sources by the developers'
`cargo xtask zones build` (not part of this binary, which writes no files).
";

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

    /// Every flag a command accepts is in its help, and every flag in its
    /// help is accepted (the table is the one source).
    #[test]
    fn help_lists_exactly_the_accepted_flags() {
        for cmd in [Cmd::Check, Cmd::Enrich, Cmd::Lookup, Cmd::Info, Cmd::Export] {
            let h = help(cmd);
            assert!(h.starts_with("Usage: dynamicdns "), "{h}");
            let options = h.split("\nOptions:\n").nth(1).unwrap();
            for def in FLAGS {
                let listed = options.contains(&format!("--{} ", def.long))
                    || options.contains(&format!("--{}\n", def.long));
                let accepted = FLAGS.iter().any(|d| d.long == def.long && d.on.contains(&cmd));
                assert_eq!(listed, accepted, "{cmd:?} --{}", def.long);
                if def.on.contains(&cmd) {
                    assert!(options.contains(def.help.split_whitespace().next().unwrap()));
                }
                if def.on.contains(&cmd) {
                    let mut args = vec![format!("--{}", def.long)];
                    if def.value.is_some() {
                        args.push(
                            match def.flag {
                                Flag::Tier => "core",
                                Flag::Format if cmd == Cmd::Enrich => "jsonl",
                                Flag::Format => "kql",
                                Flag::SuricataMode => "dataset",
                                Flag::ZeekData => "file",
                                Flag::KqlSource => "watchlist",
                                _ => "x",
                            }
                            .into(),
                        );
                    }
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    parse_ok(cmd, &args);
                }
            }
            assert!(h.lines().all(|l| l.chars().count() <= 80), "{h}");
        }
    }
}

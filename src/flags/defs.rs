//! The definitions: every subcommand ([`CMDS`]) and every flag ([`FLAGS`]),
//! once. The parser, each subcommand's `--help`, the man page and the shell
//! completions are all made from these two tables; where a text names
//! formats, parts, tiers or output fields it is made from the engine's own
//! lists, so it cannot drift from what the binary does.

use std::borrow::Cow;

use super::lists::*;

/// A subcommand that takes flags from [`FLAGS`] (`Main`: the program's own
/// flags, before any subcommand).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    /// `dynamicdns --generate …`, `--help`, `--version`.
    Main,
    /// `dynamicdns scp`.
    Scp,
    /// `dynamicdns check`.
    Check,
    /// `dynamicdns enrich`.
    Enrich,
    /// `dynamicdns lookup`.
    Lookup,
    /// `dynamicdns info` (its flags select the CLI form; without any it
    /// speaks SCP).
    Info,
    /// `dynamicdns zones validate`.
    Validate,
    /// `dynamicdns zones stats`.
    Stats,
    /// `dynamicdns zones export`.
    Export,
}

/// A help text: fixed, or made from the engine's lists.
#[derive(Clone, Copy)]
pub enum Text {
    /// Written here.
    Fixed(&'static str),
    /// Made when asked for.
    Made(fn() -> String),
}

impl Text {
    /// The text. A `\n` separates lines that are wrapped on their own.
    pub fn get(self) -> Cow<'static, str> {
        match self {
            Text::Fixed(s) => Cow::Borrowed(s),
            Text::Made(f) => Cow::Owned(f()),
        }
    }
}

/// What a subcommand is: its name after `dynamicdns`, its synopsis lines,
/// a one-line summary and the description its help starts with.
pub struct CmdDef {
    /// The subcommand.
    pub cmd: Cmd,
    /// Its words after `dynamicdns` (`zones export`).
    pub name: &'static str,
    /// What follows the name, one synopsis line each.
    pub synopsis: &'static [&'static str],
    /// One line for the program's help.
    pub summary: &'static str,
    /// The description.
    pub about: Text,
}

/// Every subcommand, in the order the program's help lists them.
pub const CMDS: &[CmdDef] = &[
    CmdDef {
        cmd: Cmd::Scp,
        name: "scp",
        synopsis: &[""],
        summary: "Splunk custom search command (SCP v2 on stdin/stdout)",
        about: Text::Made(scp_about),
    },
    CmdDef {
        cmd: Cmd::Check,
        name: "check",
        synopsis: &["[OPTIONS] [VALUE...]"],
        summary: "judge host names / URLs (arguments, or one per stdin line)",
        about: Text::Made(check_about),
    },
    CmdDef {
        cmd: Cmd::Enrich,
        name: "enrich",
        synopsis: &["[OPTIONS] [FILE|-]"],
        summary: "add the verdict fields to a CSV, JSON lines or Zeek TSV log",
        about: Text::Made(enrich_about),
    },
    CmdDef {
        cmd: Cmd::Lookup,
        name: "lookup",
        synopsis: &["[OPTIONS] [FIELD]"],
        summary: "Splunk external lookup (CSV on stdin/stdout)",
        about: Text::Made(lookup_about),
    },
    CmdDef {
        cmd: Cmd::Info,
        name: "info",
        synopsis: &["", "--text [--lookups DIR | --no-local]"],
        summary: "the health report of | dynamicdnsinfo (SCP v2; --text: key: value lines)",
        about: Text::Fixed(INFO_ABOUT),
    },
    CmdDef {
        cmd: Cmd::Validate,
        name: "zones validate",
        synopsis: &["FILE..."],
        summary: "check local zone and allowlist files",
        about: Text::Fixed(VALIDATE_ABOUT),
    },
    CmdDef {
        cmd: Cmd::Stats,
        name: "zones stats",
        synopsis: &["[FILE]"],
        summary: "zone counts per tier, category, provider, source",
        about: Text::Fixed(STATS_ABOUT),
    },
    CmdDef {
        cmd: Cmd::Export,
        name: "zones export",
        synopsis: &["--format F [--tier T] [--part NAME] [OPTIONS]"],
        summary: "the zone list for another platform (stdout)",
        about: Text::Made(export_about),
    },
];

impl Cmd {
    /// The subcommand's definition (`None` for [`Cmd::Main`]).
    pub fn def(self) -> Option<&'static CmdDef> {
        CMDS.iter().find(|d| d.cmd == self)
    }
}

/// Which flag a [`FlagDef`] defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    Field,
    Text,
    Tier,
    ExportTier,
    Rename,
    Zones,
    Lookups,
    NoLocal,
    Debug,
    Report,
    Format,
    ExportFormat,
    PassBadLines,
    Part,
    SuricataMode,
    ZeekData,
    KqlSource,
    KqlUrl,
    ElasticFields,
    NoComments,
    Generate,
    Version,
    Help,
}

/// What a flag's value is, for shell completion.
#[derive(Clone, Copy)]
pub enum Values {
    /// A switch, or a value that cannot be listed.
    Any,
    /// A file name.
    File,
    /// A folder name.
    Dir,
    /// One of these words.
    OneOf(fn() -> Vec<&'static str>),
}

/// One flag: its names, its value's name (if it takes one), its help, and
/// the subcommands that accept it. A long name may be defined more than
/// once for different subcommands (`--text`, `--format`, `--tier`): each
/// subcommand's help says only what the flag does there.
pub struct FlagDef {
    /// What the parser does with it.
    pub flag: Flag,
    /// `--long`.
    pub long: &'static str,
    /// `-s`.
    pub short: Option<char>,
    /// The value's name, if the flag takes one.
    pub value: Option<&'static str>,
    /// What the value can be.
    pub values: Values,
    /// What the flag does.
    pub help: Text,
    /// The subcommands that accept it.
    pub on: &'static [Cmd],
}

const ALL: &[Cmd] = &[Cmd::Check, Cmd::Enrich, Cmd::Lookup];
/// The subcommands that read the local files.
const LOCAL: &[Cmd] = &[Cmd::Check, Cmd::Enrich, Cmd::Lookup, Cmd::Info];
const EXPORT: &[Cmd] = &[Cmd::Export];

/// Every flag, in the order help lists them.
pub const FLAGS: &[FlagDef] = &[
    FlagDef {
        flag: Flag::Field,
        long: "field",
        short: Some('f'),
        value: Some("F"),
        values: Values::Any,
        help: Text::Fixed(
            "field to judge (repeatable, or F1,F2); default: query. With --format jsonl a \
             dotted path (dns.rrname, answers): a key with dots is tried whole first, an \
             array is a multivalue field",
        ),
        on: &[Cmd::Enrich],
    },
    FlagDef {
        flag: Flag::Format,
        long: "format",
        short: None,
        value: Some("F"),
        values: Values::OneOf(enrich_format_names),
        help: Text::Made(enrich_format_help),
        on: &[Cmd::Enrich],
    },
    FlagDef {
        flag: Flag::ExportFormat,
        long: "format",
        short: None,
        value: Some("F"),
        values: Values::OneOf(export_format_names),
        help: Text::Made(export_format_help),
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::PassBadLines,
        long: "pass-bad-lines",
        short: None,
        value: None,
        values: Values::Any,
        help: Text::Fixed(
            "copy a line (CSV: a record) that cannot be read unchanged (counted on stderr) \
             instead of stopping with an error naming file, line and byte",
        ),
        on: &[Cmd::Enrich],
    },
    FlagDef {
        flag: Flag::Text,
        long: "text",
        short: None,
        value: None,
        values: Values::Any,
        help: Text::Fixed("read each value as free text and judge the host names embedded in it"),
        on: ALL,
    },
    FlagDef {
        flag: Flag::Tier,
        long: "tier",
        short: None,
        value: Some("T"),
        values: Values::OneOf(tier_names),
        help: Text::Made(tier_help),
        on: ALL,
    },
    FlagDef {
        flag: Flag::ExportTier,
        long: "tier",
        short: None,
        value: Some("T"),
        values: Values::OneOf(tier_names),
        help: Text::Fixed(
            "all or core; the default depends on the format (see --format): core where the \
             artefact would be impractical with every zone",
        ),
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::Rename,
        long: "rename",
        short: None,
        value: Some("SPEC"),
        values: Values::Any,
        help: Text::Fixed(
            "write verdict fields under other names: 'provider AS ddns_provider[, ...]' \
             (for inputs that already have a field of that name)",
        ),
        on: ALL,
    },
    FlagDef {
        flag: Flag::Part,
        long: "part",
        short: None,
        value: Some("NAME"),
        values: Values::OneOf(part_names),
        help: Text::Made(part_help),
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::SuricataMode,
        long: "suricata-mode",
        short: None,
        value: Some("M"),
        values: Values::OneOf(suricata_mode_names),
        help: Text::Fixed(
            "content (one rule per zone and buffer; default for core) or dataset (six rules \
             and two dataset files; default for all)",
        ),
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::ZeekData,
        long: "zeek-data",
        short: None,
        value: Some("D"),
        values: Values::OneOf(zeek_data_names),
        help: Text::Fixed(
            "inline (zones in the script; default for core) or file (a TSV the script reads; \
             default for all)",
        ),
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::KqlSource,
        long: "kql-source",
        short: None,
        value: Some("S"),
        values: Values::OneOf(kql_source_names),
        help: Text::Fixed(
            "datatable (zones in the query; default, core only), watchlist (Sentinel \
             watchlist DynamicDnsZones from --format csv) or externaldata (--kql-url)",
        ),
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::KqlUrl,
        long: "kql-url",
        short: None,
        value: Some("URL"),
        values: Values::Any,
        help: Text::Fixed(
            "with --kql-source externaldata: where --format csv --no-comments is served",
        ),
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::ElasticFields,
        long: "elastic-fields",
        short: None,
        value: Some("F"),
        values: Values::Any,
        help: Text::Fixed(
            "document fields holding the host, comma-separated, first non-empty wins \
             (default: dns.question.name, url.domain, tls.client.server_name, \
             destination.domain)",
        ),
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::NoComments,
        long: "no-comments",
        short: None,
        value: None,
        values: Values::Any,
        help: Text::Fixed("csv: leave out the four # provenance lines (for KQL externaldata)"),
        on: EXPORT,
    },
    FlagDef {
        flag: Flag::Zones,
        long: "zones",
        short: None,
        value: Some("FILE"),
        values: Values::File,
        help: Text::Fixed(
            "use this zone CSV (columns zone[,provider][,category][,tier]) instead of the \
             built-in zone list; the built-in provider service hosts still apply, so the \
             shipped list passed here gives the same verdicts as the built-in one",
        ),
        on: ALL,
    },
    FlagDef {
        flag: Flag::Lookups,
        long: "lookups",
        short: None,
        value: Some("DIR"),
        values: Values::Dir,
        help: Text::Fixed(
            "folder with the local zones and the allowlist (default: the app's lookups/ \
             folder next to the binary, if any)",
        ),
        on: LOCAL,
    },
    FlagDef {
        flag: Flag::NoLocal,
        long: "no-local",
        short: None,
        value: None,
        values: Values::Any,
        help: Text::Fixed("ignore the local zones and the allowlist"),
        on: LOCAL,
    },
    FlagDef {
        flag: Flag::Report,
        long: "text",
        short: None,
        value: None,
        values: Values::Any,
        help: Text::Fixed(
            "print the health report as `key: value` lines (instead of speaking SCP)",
        ),
        on: &[Cmd::Info],
    },
    FlagDef {
        flag: Flag::Debug,
        long: "debug",
        short: None,
        value: None,
        values: Values::Any,
        help: Text::Fixed(
            "write a summary (rows, answers, matches) to stderr when done; splunkd logs \
             every stderr line as an error, so nothing is written by default",
        ),
        on: &[Cmd::Lookup],
    },
    FlagDef {
        flag: Flag::Generate,
        long: "generate",
        short: None,
        value: Some("KIND"),
        values: Values::OneOf(generate_names),
        help: Text::Made(generate_help),
        on: &[Cmd::Main],
    },
    FlagDef {
        flag: Flag::Version,
        long: "version",
        short: Some('V'),
        value: None,
        values: Values::Any,
        help: Text::Fixed("print the version"),
        on: &[Cmd::Main],
    },
    FlagDef {
        flag: Flag::Help,
        long: "help",
        short: Some('h'),
        value: None,
        values: Values::Any,
        help: Text::Fixed("print this help"),
        on: &[
            Cmd::Main,
            Cmd::Scp,
            Cmd::Check,
            Cmd::Enrich,
            Cmd::Lookup,
            Cmd::Info,
            Cmd::Validate,
            Cmd::Stats,
            Cmd::Export,
        ],
    },
];

/// The flags `cmd` accepts, in help order.
pub fn flags_of(cmd: Cmd) -> impl Iterator<Item = &'static FlagDef> {
    FLAGS.iter().filter(move |d| d.on.contains(&cmd))
}

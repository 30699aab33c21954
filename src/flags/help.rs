//! The help texts, made from [`CMDS`] and [`FLAGS`](super::defs::FLAGS): a subcommand's help is
//! its usage, its description, the flags it accepts with what they do
//! there, and (for the commands that judge) the output fields.

use super::defs::{flags_of, Cmd, FlagDef, CMDS};
use super::lists::output_fields;

/// Help lines are wrapped at this many columns.
const WIDTH: usize = 79;
/// A flag's help starts in this column.
const FLAG_INDENT: usize = 22;

/// The first line of the program's help and the man page's NAME.
pub const TAGLINE: &str = "flag hosts below dynamic-DNS provider zones (duckdns.org, no-ip …)";

/// The commands whose help lists the output fields.
pub fn writes_verdicts(cmd: Cmd) -> bool {
    matches!(cmd, Cmd::Check | Cmd::Enrich | Cmd::Lookup)
}

/// A flag's names as help shows them: `-f, --field F` or `    --zones FILE`.
pub fn flag_names(def: &FlagDef) -> String {
    let mut names = match def.short {
        Some(c) => format!("-{c}, --{}", def.long),
        None => format!("    --{}", def.long),
    };
    if let Some(v) = def.value {
        names.push(' ');
        names.push_str(v);
    }
    names
}

/// The help of `cmd`: its usage and description, then its flags from
/// [`FLAGS`](super::defs::FLAGS) and, for the commands that judge, the output fields.
pub fn help(cmd: Cmd) -> String {
    if cmd == Cmd::Main {
        return main_help();
    }
    let def = cmd.def().expect("every subcommand has a CmdDef");
    let mut h = String::new();
    for (i, syn) in def.synopsis.iter().enumerate() {
        let lead = if i == 0 { "Usage:" } else { "      " };
        h.push_str(format!("{lead} dynamicdns {} {syn}", def.name).trim_end());
        h.push('\n');
    }
    h.push('\n');
    wrap(&mut h, "", &def.about.get(), 0);
    push_flags(&mut h, cmd);
    if writes_verdicts(cmd) {
        h.push_str("\nOutput fields:\n");
        for line in output_fields().lines() {
            let (name, what) = line.split_once(": ").unwrap_or((line, ""));
            wrap(&mut h, &format!("  {name}"), what, FLAG_INDENT);
        }
    }
    h
}

/// Appends `Options:` and `cmd`'s flags.
fn push_flags(h: &mut String, cmd: Cmd) {
    h.push_str("\nOptions:\n");
    for def in flags_of(cmd) {
        wrap(h, &format!("  {}", flag_names(def)), &def.help.get(), FLAG_INDENT);
    }
}

/// Appends `names` and then `text` wrapped at [`WIDTH`] columns, starting
/// in column `indent` (on the next line when `names` reaches it). Each
/// `\n`-separated line of `text` is wrapped on its own, indented as far
/// again as its leading spaces (the lines after the first are list items:
/// their continuations are indented two more); an empty one is a blank line.
pub fn wrap(out: &mut String, names: &str, text: &str, indent: usize) {
    let width = |s: &str| s.chars().count();
    let mut line = names.to_string();
    if !line.is_empty() && width(&line) + 2 > indent {
        out.push_str(&line);
        out.push('\n');
        line.clear();
    }
    for (i, para) in text.split('\n').enumerate() {
        let ind = indent + width(para) - width(para.trim_start());
        // A list item's continuation lines (every line after the first)
        // are indented under its text.
        let cont = if i > 0 { ind + 2 } else { ind };
        let mut fresh = true;
        for word in para.split_whitespace() {
            if fresh {
                line = format!("{line:ind$}{word}");
                fresh = false;
            } else if width(&line) + 1 + width(word) > WIDTH {
                out.push_str(&line);
                out.push('\n');
                line = format!("{:cont$}{word}", "");
            } else {
                line.push(' ');
                line.push_str(word);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        line.clear();
    }
}

/// The program's help (`dynamicdns --help`): the subcommands with their
/// summaries, then the program's own flags.
pub fn main_help() -> String {
    let mut h = format!("dynamicdns — {TAGLINE}\n\nUsage:\n");
    for def in CMDS {
        for syn in def.synopsis.iter().take(1) {
            let usage = format!("  dynamicdns {} {syn}", def.name);
            wrap(&mut h, usage.trim_end(), def.summary, 38);
        }
    }
    h.push_str("  dynamicdns [OPTIONS]\n");
    push_flags(&mut h, Cmd::Main);
    h.push_str("\nRun `dynamicdns <command> --help` for a command's options.\n");
    h
}

/// `dynamicdns scp --help`, with the SPL usage of the engine's options.
pub fn scp_help() -> String {
    help(Cmd::Scp)
}

/// `dynamicdns zones --help`: the `zones` subcommands.
pub fn zones_help() -> String {
    let mut h = String::from("Usage:\n");
    for def in CMDS.iter().filter(|d| d.name.starts_with("zones ")) {
        h.push_str(&format!("  dynamicdns {} {}\n", def.name, def.synopsis[0]));
        wrap(&mut h, "", def.summary, 6);
    }
    h.push_str("\nRun `dynamicdns zones <command> --help` for a command's options.\n");
    h
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use crate::flags::defs::{Flag, FLAGS};
    use dynamicdns_engine::export::FORMATS;
    use dynamicdns_engine::verdict::Field;
    use std::ffi::OsString;

    const EVERY: [Cmd; 9] = [
        Cmd::Main,
        Cmd::Scp,
        Cmd::Check,
        Cmd::Enrich,
        Cmd::Lookup,
        Cmd::Info,
        Cmd::Validate,
        Cmd::Stats,
        Cmd::Export,
    ];

    fn options(h: &str) -> &str {
        let o = h.split("\nOptions:\n").nth(1).unwrap();
        o.split("\nOutput fields:\n").next().unwrap()
    }

    /// Every flag a command accepts is in its help, and every flag in its
    /// help is accepted (the table is the one source); each is accepted
    /// with a value its own help names.
    #[test]
    fn help_lists_exactly_the_accepted_flags() {
        for cmd in EVERY {
            let h = help(cmd);
            assert!(cmd == Cmd::Main || h.starts_with("Usage: dynamicdns "), "{h}");
            let options = options(&h);
            for def in FLAGS {
                let listed = options.contains(&format!("--{} ", def.long))
                    || options.contains(&format!("--{}\n", def.long));
                let accepted = FLAGS.iter().any(|d| d.long == def.long && d.on.contains(&cmd));
                assert_eq!(listed, accepted, "{cmd:?} --{}", def.long);
                if !def.on.contains(&cmd) {
                    continue;
                }
                let first = def.help.get();
                assert!(options.contains(first.split_whitespace().next().unwrap()));
                let mut args = vec![format!("--{}", def.long)];
                if def.value.is_some() {
                    args.push(
                        match def.values {
                            super::super::Values::OneOf(names) => names()[0],
                            _ if def.flag == Flag::Rename => "provider AS p",
                            _ => "x",
                        }
                        .into(),
                    );
                }
                let args: Vec<OsString> = args.iter().map(OsString::from).collect();
                assert!(parse(cmd, args).is_ok(), "{cmd:?} --{}", def.long);
            }
            assert!(h.lines().all(|l| l.chars().count() <= 80), "{h}");
        }
    }

    /// No help carries another subcommand's text: enrich's --format names
    /// no export format, check's --tier says nothing of exports, and
    /// export's --tier and --format state no enrich default.
    #[test]
    fn each_help_speaks_of_its_own_subcommand() {
        let enrich = help(Cmd::Enrich);
        assert!(!enrich.contains("suricata") && !enrich.contains("export"), "{enrich}");
        for cmd in [Cmd::Check, Cmd::Enrich, Cmd::Lookup] {
            let h = help(cmd);
            assert!(!h.contains("kql") && !h.contains("sigma"), "{h}");
            assert!(h.contains("all or core (default: all)"), "{h}");
        }
        let export = help(Cmd::Export);
        assert!(!export.contains("all (default)") && !export.contains("csv (default)"));
        assert!(export.contains("(required)"), "{export}");
        assert!(help(Cmd::Validate).starts_with("Usage: dynamicdns zones validate FILE..."));
        assert!(help(Cmd::Stats).starts_with("Usage: dynamicdns zones stats [FILE]"));
        assert!(!main_help().starts_with("dynamicdns: "));
    }

    /// `zones export --help` lists every format with its default tier and,
    /// when it has several, its parts; the judging commands list every
    /// output field with its description.
    #[test]
    fn lists_come_from_the_engine() {
        let export = help(Cmd::Export);
        let joined = export.split_whitespace().collect::<Vec<_>>().join(" ");
        for &f in FORMATS {
            let tier = dynamicdns_engine::export::tier_name(f.default_tier());
            assert!(joined.contains(&format!("{f}: ")), "{f}");
            let line = joined.split(&format!(" {f}: ")).nth(1).unwrap();
            assert!(line.contains(&format!("default tier {tier}")), "{f}: {line}");
            for t in [TierSel::Core, TierSel::All] {
                let parts = f.parts(&Default::default(), t);
                if parts.len() > 1 {
                    assert!(line.contains(&parts.join(", ")), "{f}: {line}");
                }
            }
        }
        for cmd in [Cmd::Check, Cmd::Enrich, Cmd::Lookup] {
            let h = help(cmd);
            let fields = h.split("\nOutput fields:\n").nth(1).unwrap();
            let fields = fields.split_whitespace().collect::<Vec<_>>().join(" ");
            for f in Field::ALL {
                let first = f.description().split_whitespace().next().unwrap();
                assert!(fields.contains(&format!("{} {first}", f.default_name())), "{f}");
            }
        }
    }

    use dynamicdns_engine::zoneset::TierSelection as TierSel;
}

//! `dynamicdns --generate KIND`: the man page and the shell completions,
//! made from the same tables as the parser and `--help`
//! ([`flags::CMDS`], the flag table), so a flag the binary accepts is in
//! each of them and nothing else is.

use std::ffi::OsString;

use dynamicdns_engine::zonefile::{ALLOWLIST_FILE, LOCAL_FILE};

use crate::flags::{self, flags_of, Cmd, FlagDef, Values, CMDS};
use crate::CliError;

/// One thing `--generate` makes: its name, what it is, and the maker.
pub type Kind = (&'static str, &'static str, fn() -> String);

/// What `--generate` makes.
pub const KINDS: &[Kind] = &[
    ("man", "the man page dynamicdns(1) (roff; man -l - reads it)", man),
    ("complete-bash", "bash completion (source it, or put it in bash-completion's folder)", bash),
    ("complete-zsh", "zsh completion (save as _dynamicdns in a folder of $fpath)", zsh),
    (
        "complete-fish",
        "fish completion (save as dynamicdns.fish in ~/.config/fish/completions)",
        fish,
    ),
    ("complete-powershell", "PowerShell completion (dot-source it from $PROFILE)", powershell),
];

/// Runs `dynamicdns --generate KIND`.
pub fn run(args: Vec<OsString>) -> Result<(), CliError> {
    let args = flags::parse(Cmd::Main, args)?;
    if args.help {
        return crate::print(&flags::main_help());
    }
    if let Some(p) = args.positional.first() {
        return Err(CliError::Usage(format!(
            "--generate takes one KIND ({} is not one; see --help)",
            p.to_string_lossy()
        )));
    }
    let kind = args.generate.as_deref().unwrap_or_default();
    let (_, _, make) = KINDS.iter().find(|k| k.0 == kind).expect("the parser checked KIND");
    crate::print(&make())
}

/// The subcommands' first words (`zones` once), in help order.
fn top_words() -> Vec<&'static str> {
    let mut words: Vec<&'static str> = Vec::new();
    for def in CMDS {
        let w = def.name.split(' ').next().unwrap_or(def.name);
        if !words.contains(&w) {
            words.push(w);
        }
    }
    words
}

/// The `zones` subcommands: (second word, definition).
fn zones_words() -> Vec<(&'static str, &'static flags::CmdDef)> {
    CMDS.iter().filter_map(|d| d.name.strip_prefix("zones ").map(|w| (w, d))).collect()
}

/// True when the subcommand's arguments are files.
fn takes_files(cmd: Cmd) -> bool {
    cmd.def().is_some_and(|d| d.synopsis.iter().any(|s| s.contains("FILE")))
}

/// A flag's help cut to its first clause, for completion menus.
fn brief(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    let cut = [" (", "; ", ": "]
        .iter()
        .filter_map(|p| first.find(p))
        .filter(|&i| i >= 8)
        .min()
        .unwrap_or(first.len());
    let s = first[..cut].trim_end_matches([':', '.']);
    if s.chars().count() > 70 {
        s.chars().take(69).collect::<String>() + "…"
    } else {
        s.to_string()
    }
}

/// The flag's names with dashes: `--long` and `-s`.
fn names(def: &FlagDef) -> Vec<String> {
    let mut n = vec![format!("--{}", def.long)];
    n.extend(def.short.map(|c| format!("-{c}")));
    n
}

// ---- man page ----

/// Escapes text for roff: backslashes, hyphens (so they are not
/// hyphenation points), non-ASCII as `\[uXXXX]`, and a leading `.` or `'`.
fn roff(text: &str) -> String {
    let mut out = String::new();
    for line in text.split('\n') {
        if !out.is_empty() {
            out.push('\n');
        }
        if line.starts_with(['.', '\'']) {
            out.push_str("\\&");
        }
        for c in line.chars() {
            match c {
                '\\' => out.push_str("\\e"),
                '-' => out.push_str("\\-"),
                c if c.is_ascii() => out.push(c),
                c => out.push_str(&format!("\\[u{:04X}]", c as u32)),
            }
        }
    }
    out
}

/// A text of paragraphs (blank-line separated) and lines as roff.
fn roff_text(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.lines().map(|l| roff(l.trim())).collect::<Vec<_>>().join("\n.br\n"))
        .collect::<Vec<_>>()
        .join("\n.PP\n")
}

fn man_flags(out: &mut String, cmd: Cmd) {
    for def in flags_of(cmd) {
        let mut head = names(def)
            .iter()
            .rev()
            .map(|n| format!("\\fB{}\\fR", roff(n)))
            .collect::<Vec<_>>()
            .join(", ");
        if let Some(v) = def.value {
            head.push_str(&format!(" \\fI{}\\fR", roff(v)));
        }
        out.push_str(&format!(".TP\n{head}\n{}\n", roff_text(&def.help.get())));
    }
}

/// The man page dynamicdns(1).
pub fn man() -> String {
    let mut m = format!(
        ".TH DYNAMICDNS 1 \"\" \"dynamicdns {}\" \"User Commands\"\n.SH NAME\ndynamicdns \\- {}\n\
         .SH SYNOPSIS\n",
        env!("CARGO_PKG_VERSION"),
        roff(flags::TAGLINE)
    );
    for def in CMDS {
        for syn in def.synopsis {
            m.push_str(&format!("\\fBdynamicdns {}\\fR {}\n.br\n", def.name, roff(syn)));
        }
    }
    m.push_str("\\fBdynamicdns\\fR [\\fIOPTIONS\\fR]\n.SH DESCRIPTION\n");
    m.push_str(&roff_text(DESCRIPTION));
    m.push_str("\n.SH OPTIONS\n");
    man_flags(&mut m, Cmd::Main);
    m.push_str(".SH COMMANDS\n");
    for def in CMDS {
        m.push_str(&format!(".SS \"dynamicdns {}\"\n", def.name));
        for syn in def.synopsis {
            m.push_str(&format!("\\fBdynamicdns {}\\fR {}\n.br\n", def.name, roff(syn)));
        }
        m.push_str(&format!(".PP\n{}\n", roff_text(&def.about.get())));
        man_flags(&mut m, def.cmd);
    }
    m.push_str(".SH \"OUTPUT FIELDS\"\ncheck, enrich and lookup write these fields (named otherwise with \\fB\\-\\-rename\\fR):\n");
    for line in flags::output_fields().lines() {
        let (name, what) = line.split_once(": ").unwrap_or((line, ""));
        m.push_str(&format!(".TP\n.B {}\n{}\n", roff(name), roff(what)));
    }
    m.push_str(&format!(".SH \"EXIT STATUS\"\n{}\n", roff_text(EXIT_STATUS)));
    m.push_str(&format!(
        ".SH FILES\n.TP\n.I lookups/{}\n{}\n.TP\n.I lookups/{}\n{}\n",
        roff(LOCAL_FILE),
        roff("local zones added to the built-in list (zone[,provider][,category][,tier])"),
        roff(ALLOWLIST_FILE),
        roff("hosts, providers or categories never flagged (host, provider or category[,reason][,expires])"),
    ));
    m.push_str(&roff_text(FILES_NOTE));
    m.push('\n');
    m
}

const DESCRIPTION: &str = "\
dynamicdns marks values whose host lies strictly below a dynamic-DNS provider's zone: DNS \
queries and answers, URL hosts, or host names in free text. The zone apex, look-alikes and \
the providers' own service hosts are not dynamic-DNS hosts.

In Splunk it is the streaming search command | dynamicdns (dynamicdns scp), the health \
command | dynamicdnsinfo (dynamicdns info) and an external lookup (dynamicdns lookup). On the \
command line, check judges values, enrich adds the verdict to a CSV, JSON lines or Zeek log, \
and zones validates, counts and exports the zone list.";

const EXIT_STATUS: &str = "\
0: success, also when the reader of stdout went away (| head).
1: bad data: an input that cannot be read, with its file and line on stderr.
2: bad usage: an unknown flag or command, a missing or wrong value.";

const FILES_NOTE: &str = "\
The zone list and the provider service hosts are compiled in. The local files are read from \
the app's lookups/ folder next to the binary, or from --lookups DIR; --no-local ignores them.";

// ---- bash ----

/// Quotes `s` for bash and fish single quotes.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The bash `case` arm completing the value of `cmd`'s flags.
fn bash_values(cmd: Cmd) -> String {
    let mut arms = String::new();
    for def in flags_of(cmd).filter(|d| d.value.is_some()) {
        let action = match def.values {
            Values::OneOf(words) => {
                format!("COMPREPLY=($(compgen -W {} -- \"$cur\"))", sh_quote(&words().join(" ")))
            }
            Values::File => "COMPREPLY=($(compgen -f -- \"$cur\"))".to_string(),
            Values::Dir => "COMPREPLY=($(compgen -d -- \"$cur\"))".to_string(),
            Values::Any => "COMPREPLY=()".to_string(),
        };
        arms.push_str(&format!(
            "                {}) {action}; return 0 ;;\n",
            names(def).join("|")
        ));
    }
    arms
}

fn bash_words(cmd: Cmd) -> String {
    flags_of(cmd).flat_map(names).collect::<Vec<_>>().join(" ")
}

/// The bash completion.
pub fn bash() -> String {
    let mut s = String::from(
        "# bash completion for dynamicdns (dynamicdns --generate complete-bash)\n\
         _dynamicdns() {\n\
         \x20   local cur prev cmd words i\n\
         \x20   cur=\"${COMP_WORDS[COMP_CWORD]}\"\n\
         \x20   prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n\
         \x20   cmd=\"\"\n\
         \x20   # The subcommand: the first word that is not a flag, and for zones the next.\n\
         \x20   for ((i = 1; i < COMP_CWORD; i++)); do\n\
         \x20       case \"${COMP_WORDS[i]}\" in\n\
         \x20           -*) ;;\n\
         \x20           *)\n\
         \x20               if [[ -z \"$cmd\" ]]; then cmd=\"${COMP_WORDS[i]}\"\n\
         \x20               elif [[ \"$cmd\" == zones ]]; then cmd=\"zones_${COMP_WORDS[i]}\"; break\n\
         \x20               else break; fi ;;\n\
         \x20       esac\n\
         \x20   done\n\
         \x20   case \"$cmd\" in\n",
    );
    let mut arm = |key: &str, words: String, cmd: Option<Cmd>| {
        s.push_str(&format!(
            "        {})\n            words={}\n",
            sh_quote(key),
            sh_quote(&words)
        ));
        if let Some(cmd) = cmd {
            s.push_str("            case \"$prev\" in\n");
            s.push_str(&bash_values(cmd));
            s.push_str("            esac\n");
            if takes_files(cmd) {
                s.push_str(
                    "            if [[ \"$cur\" != -* ]]; then COMPREPLY=($(compgen -f -- \"$cur\")); return 0; fi\n",
                );
            }
        }
        s.push_str("            ;;\n");
    };
    arm("", format!("{} {}", top_words().join(" "), bash_words(Cmd::Main)), Some(Cmd::Main));
    let zones: Vec<&str> = zones_words().iter().map(|(w, _)| *w).collect();
    arm("zones", format!("{} --help -h", zones.join(" ")), None);
    for def in CMDS {
        arm(&def.name.replace(' ', "_"), bash_words(def.cmd), Some(def.cmd));
    }
    s.push_str(
        "        *) words=\"\" ;;\n\
         \x20   esac\n\
         \x20   COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n\
         }\n\
         complete -F _dynamicdns dynamicdns\n",
    );
    s
}

// ---- zsh ----

/// Escapes a description for a zsh `_arguments` spec in single quotes.
fn zsh_desc(s: &str) -> String {
    s.replace('\'', "'\\''").replace('[', "(").replace(']', ")").replace(':', "\\:")
}

fn zsh_specs(cmd: Cmd) -> String {
    let mut specs = Vec::new();
    for def in flags_of(cmd) {
        let desc = zsh_desc(&brief(&def.help.get()));
        let value = match (def.value, def.values) {
            (None, _) => String::new(),
            (Some(v), Values::OneOf(words)) => format!(":{v}:({})", words().join(" ")),
            (Some(v), Values::File) => format!(":{v}:_files"),
            (Some(v), Values::Dir) => format!(":{v}:_files -/"),
            (Some(v), Values::Any) => format!(":{v}: "),
        };
        let (long_sep, short_sep) = if def.value.is_some() { ("=", "+") } else { ("", "") };
        specs.push(format!("'--{}{long_sep}[{desc}]{value}'", def.long));
        if let Some(c) = def.short {
            specs.push(format!("'-{c}{short_sep}[{desc}]{value}'"));
        }
    }
    if cmd != Cmd::Main {
        specs.push(if takes_files(cmd) { "'*:file:_files'".into() } else { "'*:value: '".into() });
    }
    specs.join(" \\\n                ")
}

fn zsh_commands(list: &[(&str, &str)]) -> String {
    list.iter()
        // `_describe` splits at the first colon: the rest is the text.
        .map(|(w, d)| format!("'{w}:{}'", d.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The zsh completion.
pub fn zsh() -> String {
    let top: Vec<(&str, &str)> = top_words()
        .into_iter()
        .map(|w| {
            let summary = CMDS
                .iter()
                .find(|d| d.name == w)
                .map_or("check, count and export zone lists", |d| d.summary);
            (w, summary)
        })
        .collect();
    let zones: Vec<(&str, &str)> = zones_words().iter().map(|(w, d)| (*w, d.summary)).collect();
    let mut s = format!(
        "#compdef dynamicdns\n\
         # zsh completion for dynamicdns (dynamicdns --generate complete-zsh)\n\n\
         _dynamicdns() {{\n\
         \x20   local cmd\n\
         \x20   local -a commands\n\
         \x20   if [[ ${{words[2]}} == -* ]]; then\n\
         \x20       _arguments -s -S {}\n\
         \x20       return\n\
         \x20   fi\n\
         \x20   if (( CURRENT == 2 )); then\n\
         \x20       commands=({})\n\
         \x20       _describe -t commands 'dynamicdns command' commands\n\
         \x20       return\n\
         \x20   fi\n\
         \x20   cmd=${{words[2]}}\n\
         \x20   if [[ $cmd == zones ]]; then\n\
         \x20       if (( CURRENT == 3 )); then\n\
         \x20           commands=({})\n\
         \x20           _describe -t commands 'zones command' commands\n\
         \x20           return\n\
         \x20       fi\n\
         \x20       cmd=\"zones ${{words[3]}}\"\n\
         \x20       words=(\"${{(@)words[3,-1]}}\")\n\
         \x20       (( CURRENT -= 2 ))\n\
         \x20   else\n\
         \x20       words=(\"${{(@)words[2,-1]}}\")\n\
         \x20       (( CURRENT -= 1 ))\n\
         \x20   fi\n\
         \x20   case $cmd in\n",
        zsh_specs(Cmd::Main),
        zsh_commands(&top),
        zsh_commands(&zones),
    );
    for def in CMDS {
        s.push_str(&format!(
            "        ('{}')\n            _arguments -s -S {}\n            ;;\n",
            def.name,
            zsh_specs(def.cmd)
        ));
    }
    s.push_str("    esac\n}\n\n_dynamicdns \"$@\"\n");
    s
}

// ---- fish ----

fn fish_condition(cmd: Cmd) -> String {
    match cmd.def() {
        None => "__fish_use_subcommand".to_string(),
        Some(d) => d
            .name
            .split(' ')
            .map(|w| format!("__fish_seen_subcommand_from {w}"))
            .collect::<Vec<_>>()
            .join("; and "),
    }
}

/// The fish completion.
pub fn fish() -> String {
    let mut s = String::from(
        "# fish completion for dynamicdns (dynamicdns --generate complete-fish)\n\
         complete -c dynamicdns -f\n",
    );
    for w in top_words() {
        let d = CMDS.iter().find(|d| d.name == w).map_or("zone list tools", |d| d.summary);
        s.push_str(&format!(
            "complete -c dynamicdns -n __fish_use_subcommand -a {w} -d {}\n",
            sh_quote(d)
        ));
    }
    let zones = zones_words();
    let all: Vec<&str> = zones.iter().map(|(w, _)| *w).collect();
    for (w, d) in &zones {
        s.push_str(&format!(
            "complete -c dynamicdns -n '__fish_seen_subcommand_from zones; and not \
             __fish_seen_subcommand_from {}' -a {w} -d {}\n",
            all.join(" "),
            sh_quote(d.summary)
        ));
    }
    let mut cmds = vec![Cmd::Main];
    cmds.extend(CMDS.iter().map(|d| d.cmd));
    for cmd in cmds {
        let cond = sh_quote(&fish_condition(cmd));
        for def in flags_of(cmd) {
            let mut line = format!("complete -c dynamicdns -n {cond} -l {}", def.long);
            if let Some(c) = def.short {
                line.push_str(&format!(" -s {c}"));
            }
            if def.value.is_some() {
                line.push_str(&match def.values {
                    Values::OneOf(words) => format!(" -x -a {}", sh_quote(&words().join(" "))),
                    Values::File => " -r -F".to_string(),
                    Values::Dir => " -x -a '(__fish_complete_directories)'".to_string(),
                    Values::Any => " -x".to_string(),
                });
            }
            line.push_str(&format!(" -d {}\n", sh_quote(&brief(&def.help.get()))));
            s.push_str(&line);
        }
        if takes_files(cmd) {
            s.push_str(&format!("complete -c dynamicdns -n {cond} -F\n"));
        }
    }
    s
}

// ---- PowerShell ----

fn ps_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn ps_result(text: &str, kind: &str, tip: &str) -> String {
    format!(
        "            [CompletionResult]::new({q}, {q}, [CompletionResultType]::{kind}, {})\n",
        ps_quote(tip),
        q = ps_quote(text),
    )
}

/// The PowerShell completion.
pub fn powershell() -> String {
    let mut s = String::from(
        "# PowerShell completion for dynamicdns (dynamicdns --generate complete-powershell)\n\
         using namespace System.Management.Automation\n\
         using namespace System.Management.Automation.Language\n\n\
         Register-ArgumentCompleter -Native -CommandName 'dynamicdns' -ScriptBlock {\n\
         \x20   param($wordToComplete, $commandAst, $cursorPosition)\n\
         \x20   # The command path: the words before the first flag.\n\
         \x20   $path = @('dynamicdns'\n\
         \x20       for ($i = 1; $i -lt $commandAst.CommandElements.Count; $i++) {\n\
         \x20           $e = $commandAst.CommandElements[$i]\n\
         \x20           if ($e -isnot [StringConstantExpressionAst] -or\n\
         \x20               $e.StringConstantType -ne [StringConstantType]::BareWord -or\n\
         \x20               $e.Value.StartsWith('-') -or $e.Value -eq $wordToComplete) { break }\n\
         \x20           $e.Value\n\
         \x20       }) -join ';'\n\
         \x20   $completions = @(switch ($path) {\n",
    );
    let mut arm = |key: String, words: Vec<(String, &str, String)>| {
        s.push_str(&format!("        {} {{\n", ps_quote(&key)));
        for (text, kind, tip) in words {
            s.push_str(&ps_result(&text, kind, &tip));
        }
        s.push_str("            break\n        }\n");
    };
    let flag_words = |cmd: Cmd| -> Vec<(String, &str, String)> {
        flags_of(cmd)
            .flat_map(|d| {
                let tip = brief(&d.help.get());
                names(d).into_iter().map(move |n| (n, "ParameterName", tip.clone()))
            })
            .collect()
    };
    let mut top: Vec<(String, &str, String)> = top_words()
        .into_iter()
        .map(|w| {
            let d = CMDS.iter().find(|d| d.name == w).map_or("zone list tools", |d| d.summary);
            (w.to_string(), "ParameterValue", d.to_string())
        })
        .collect();
    top.extend(flag_words(Cmd::Main));
    arm("dynamicdns".into(), top);
    let zones = zones_words()
        .iter()
        .map(|(w, d)| (w.to_string(), "ParameterValue", d.summary.to_string()))
        .collect();
    arm("dynamicdns;zones".into(), zones);
    for def in CMDS {
        arm(format!("dynamicdns;{}", def.name.replace(' ', ";")), flag_words(def.cmd));
    }
    s.push_str(
        "    })\n\
         \x20   $completions.Where{ $_.CompletionText -like \"$wordToComplete*\" } |\n\
         \x20       Sort-Object -Property ListItemText\n\
         }\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_cmd() -> Vec<Cmd> {
        let mut c = vec![Cmd::Main];
        c.extend(CMDS.iter().map(|d| d.cmd));
        c
    }

    /// Every flag of every subcommand is in the man page and in each
    /// completion script.
    #[test]
    fn every_flag_is_in_every_output() {
        let man = man();
        for cmd in every_cmd() {
            for def in flags_of(cmd) {
                assert!(
                    man.contains(&format!("\\fB\\-\\-{}\\fR", roff(def.long))),
                    "man {}",
                    def.long
                );
            }
        }
        for (kind, _, make) in KINDS.iter().skip(1) {
            let text = make();
            for cmd in every_cmd() {
                for def in flags_of(cmd) {
                    assert!(text.contains(def.long), "{kind}: --{}", def.long);
                }
                if let Some(d) = cmd.def() {
                    for w in d.name.split(' ') {
                        assert!(text.contains(w), "{kind}: {w}");
                    }
                }
            }
        }
    }

    #[test]
    fn roff_escapes() {
        assert_eq!(roff(".x-y\\ …"), "\\&.x\\-y\\e \\[u2026]");
        assert_eq!(brief("all or core (default: all): core uses"), "all or core");
        assert_eq!(brief("the input's format:\ncsv: …"), "the input's format");
    }
}

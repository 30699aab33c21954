//! The SPL scanner (commands, macros and lookups a search uses) and the
//! check that everything the macros and saved searches use exists.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::util::conf::default_conf as conf;

// ---------------------------------------------------------------------------
// SPL: commands, macros and lookups used

/// SPL commands the app's searches may use besides its own.
const BUILTIN_COMMANDS: &[&str] = &[
    "search",
    "tstats",
    "rename",
    "eval",
    "convert",
    "stats",
    "table",
    "makeresults",
    "lookup",
    "inputlookup",
    "fields",
    "sort",
    "where",
    "mvexpand",
    "dedup",
    "rex",
    "fillnull",
    "outputlookup",
    "timechart",
    "head",
    "addinfo",
    "append",
    "join",
    "rest",
    "eventstats",
];

/// What a piece of SPL uses.
#[derive(Debug, Default)]
pub(super) struct Uses {
    pub(super) commands: BTreeSet<String>,
    /// Macro calls as `name` or `name(N)`.
    pub(super) macros: BTreeSet<String>,
    pub(super) lookups: BTreeSet<String>,
}

/// Scans SPL for the command at the start of each pipeline segment
/// (`| cmd`, `[cmd` / `[| cmd` in subsearches, and the first word when
/// `first_is_command`), macro calls in backticks and the table names of
/// `lookup` / `inputlookup`. Quoted strings are skipped.
pub(super) fn spl_uses(spl: &str, first_is_command: bool, uses: &mut Uses) {
    let chars: Vec<char> = spl.chars().collect();
    let mut i = 0;
    let mut expect_command = first_is_command;
    let word_at = |mut j: usize| -> (String, usize) {
        while j < chars.len() && chars[j].is_whitespace() {
            j += 1;
        }
        let start = j;
        while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
            j += 1;
        }
        (chars[start..j].iter().collect(), j)
    };
    let mut after_lookup: Option<String> = None;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            expect_command = false;
            continue;
        }
        if c == '`' {
            let end =
                chars[i + 1..].iter().position(|&c| c == '`').expect("closing backtick") + i + 1;
            let call: String = chars[i + 1..end].iter().collect();
            let name = match call.split_once('(') {
                Some((name, args)) => {
                    let n = args.trim_end_matches(')').split(',').count();
                    format!("{name}({n})")
                }
                None => call.clone(),
            };
            uses.macros.insert(name);
            i = end + 1;
            expect_command = false;
            continue;
        }
        if c == '|' || c == '[' {
            expect_command = true;
            i += 1;
            continue;
        }
        let (word, end) = word_at(i);
        if word.is_empty() {
            i += 1;
            expect_command = false;
            continue;
        }
        if expect_command {
            uses.commands.insert(word.clone());
            if word == "lookup" || word == "inputlookup" || word == "outputlookup" {
                after_lookup = Some(word);
            }
        } else if after_lookup.is_some() {
            // Options come as key=value; the first bare word is the table.
            if chars.get(end) == Some(&'=') {
                let mut j = end + 1;
                while j < chars.len() && !chars[j].is_whitespace() {
                    j += 1;
                }
                expect_command = false;
                i = j;
                continue;
            }
            // A table is a definition name or a file name (`x.csv`).
            let mut j = end;
            while j < chars.len() && (chars[j].is_alphanumeric() || "_.-".contains(chars[j])) {
                j += 1;
            }
            uses.lookups.insert(chars[i..j].iter().collect());
            after_lookup = None;
            expect_command = false;
            i = j;
            continue;
        }
        expect_command = false;
        i = end.max(i + 1);
    }
}

pub(super) fn macros() -> BTreeMap<String, String> {
    conf("macros.conf")
        .stanzas
        .iter()
        .map(|(name, s)| (name.clone(), s.req("definition").to_string()))
        .collect()
}

/// Checks that everything `uses` names exists; returns the problems.
pub(super) fn missing(what: &str, uses: &Uses) -> Vec<String> {
    let commands = conf("commands.conf");
    let transforms = conf("transforms.conf");
    let macros = macros();
    let mut problems = Vec::new();
    for c in &uses.commands {
        if !BUILTIN_COMMANDS.contains(&c.as_str()) && commands.stanza(c).is_none() {
            problems.push(format!("{what}: command {c} is neither built in nor in commands.conf"));
        }
    }
    for m in &uses.macros {
        if !macros.contains_key(m) {
            problems.push(format!("{what}: macro `{m}` is not in macros.conf"));
        }
    }
    for l in &uses.lookups {
        let defined = if l.ends_with(".csv") {
            transforms.stanzas.iter().any(|(_, s)| s.get("filename") == Some(l.as_str()))
        } else {
            transforms.stanza(l).is_some()
        };
        if !defined {
            problems.push(format!("{what}: lookup {l} is not in transforms.conf"));
        }
    }
    problems
}

#[test]
fn the_spl_scanner_finds_commands_macros_and_lookups() {
    let mut u = Uses::default();
    spl_uses(
        "`src` x=\"a | b\" | dynamicdns field=q | `f(1,2)` | lookup local=t zones zone \
         [| makeresults | eval s=\"[x]\" | fields s] | stats count \
         | inputlookup append=true base.csv | outputlookup base.csv",
        false,
        &mut u,
    );
    assert_eq!(
        u.commands.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "dynamicdns",
            "eval",
            "fields",
            "inputlookup",
            "lookup",
            "makeresults",
            "outputlookup",
            "stats"
        ]
    );
    assert_eq!(u.macros.iter().map(String::as_str).collect::<Vec<_>>(), ["f(2)", "src"]);
    assert_eq!(u.lookups.iter().map(String::as_str).collect::<Vec<_>>(), ["base.csv", "zones"]);
}

#[test]
fn every_macro_command_and_lookup_used_exists() {
    let mut problems = Vec::new();
    let macros = macros();
    // Macro definitions: those used in command position start with a
    // command; all are checked for their inner pipelines.
    for (name, def) in &macros {
        let mut u = Uses::default();
        // Argument macros (search terms, tstats options) and value macros
        // (a number, such as a threshold) do not start with a command.
        let value = def.bytes().all(|b| b.is_ascii_digit());
        let first_is_command =
            !name.ends_with("_sysmon") && !name.ends_with("_summariesonly") && !value;
        spl_uses(def, first_is_command, &mut u);
        problems.extend(missing(&format!("macro {name}"), &u));
    }
    let saved = conf("savedsearches.conf");
    let mut used_macros = BTreeSet::new();
    for (name, s) in &saved.stanzas {
        let mut u = Uses::default();
        // A search, drilldown or workflow search starts with search terms
        // (the implicit search command), a macro, or `| command`.
        spl_uses(s.req("search"), false, &mut u);
        if let Some(d) = s.get("action.notable.param.drilldown_search") {
            spl_uses(d, false, &mut u);
        }
        if let Some(d) = s.get("action.notable.param.drilldown_searches") {
            let list: Value = serde_json::from_str(d).unwrap();
            for entry in list.as_array().unwrap() {
                spl_uses(entry["search"].as_str().unwrap(), false, &mut u);
            }
        }
        assert!(!u.commands.is_empty(), "[{name}] uses commands");
        assert!(
            u.commands.contains("dynamicdns")
                || u.macros.iter().any(|m| m.starts_with("dynamic_dns"))
        );
        used_macros.extend(u.macros.iter().cloned());
        problems.extend(missing(&format!("savedsearches [{name}]"), &u));
    }
    for (name, s) in &conf("workflow_actions.conf").stanzas {
        let mut u = Uses::default();
        spl_uses(s.req("search.search_string"), false, &mut u);
        problems.extend(missing(&format!("workflow_actions [{name}]"), &u));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The tuning macros are used.
    assert!(used_macros.contains("dynamicdns_allowlist"));
}

#[test]
fn escu_macros_keep_their_names_and_contract() {
    let macros = macros();
    for (name, field) in [("dynamic_dns_providers", "query"), ("dynamic_dns_web_traffic", "url")] {
        let def = macros.get(name).unwrap_or_else(|| panic!("macro {name}"));
        assert!(def.starts_with(&format!("dynamicdns field={field} ")), "{name}: {def}");
        assert!(def.ends_with("| search isDynDNS=True"), "{name} keeps isDynDNS=True: {def}");
    }
    for (name, def) in &macros {
        if name.ends_with("_filter") || name == "dynamicdns_allowlist" {
            assert_eq!(def, "search *", "tuning macro {name} ships as a no-op");
        }
        if let Some(n) = name.split_once('(').map(|(_, n)| n.trim_end_matches(')')) {
            let args = conf("macros.conf").req(name).req("args").split(',').count();
            assert_eq!(n.parse::<usize>().unwrap(), args, "{name}: args");
        }
    }
}

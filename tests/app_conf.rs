//! The Splunk app's configuration (`default/`, `app/`, `bin/`, `lookups/`)
//! parsed and cross-checked, without Splunk:
//!
//! - every file parses as a .conf file (stanzas, `key = value`, `\`
//!   continuations), with no duplicate stanza or key;
//! - every key of every stanza is one its file knows (the tables below,
//!   from Splunk's `*.conf.spec` and, for Enterprise Security's alert
//!   actions, from ES's own content);
//! - every macro, command and lookup used by a saved search, a macro, a
//!   workflow action or a drilldown exists in the app (or is a built-in
//!   command);
//! - versions agree (Cargo.toml, app.conf, app.manifest), the command and
//!   external lookup point at the launcher in `bin/`, lookups name files
//!   that exist with the columns they match on, the correlation searches
//!   are scheduled, disabled, bounded in time and carry the ES keys.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::util::conf::{default_conf as conf, parse_conf, Stanza};
use crate::util::{read, root};

// ---------------------------------------------------------------------------
// Allowed keys per file

/// Keys each shipped file may use. A key matches an entry exactly, or an
/// entry ending in `<N>` (digits) or `*` (any suffix) by prefix.
fn allowed_keys(file: &str) -> &'static [&'static str] {
    match file {
        // app.conf.spec
        "app.conf" => &[
            "is_configured",
            "state",
            "build",
            "state_change_requires_restart",
            "allows_disable",
            "install_source_checksum",
            "id",
            "check_for_updates",
            "show_upgrade_notification",
            "name",
            "version",
            "author",
            "description",
            "is_visible",
            "label",
            "docs_section_override",
            "show_in_nav",
            "supported_themes",
            "deployer_lookups_push_mode",
            "deployer_push_mode",
            "reload.*",
        ],
        // commands.conf.spec: the only keys valid with chunked = true.
        "commands.conf" => &[
            "chunked",
            "filename",
            "command.arg.<N>",
            "is_risky",
            "maxwait",
            "maxchunksize",
            "run_in_preview",
        ],
        // searchbnf.conf.spec (category: used by Splunk's own searchbnf.conf)
        "searchbnf.conf" => &[
            "syntax",
            "simplesyntax",
            "alias",
            "description",
            "shortdesc",
            "example<N>",
            "comment<N>",
            "usage",
            "tags",
            "related",
            "category",
        ],
        // macros.conf.spec
        "macros.conf" => {
            &["args", "definition", "validation", "errormsg", "iseval", "description"]
        }
        // transforms.conf.spec: lookup settings only (no index-time transforms here)
        "transforms.conf" => &[
            "filename",
            "match_type",
            "case_sensitive_match",
            "max_matches",
            "min_matches",
            "default_match",
            "replicate",
            "batch_index_query",
            "allow_caching",
            "cache_size",
            "filter",
            "external_cmd",
            "external_type",
            "fields_list",
            "reverse_lookup_honor_case_sensitive_match",
        ],
        // props.conf.spec: search-time lookups only
        "props.conf" => &["LOOKUP-*", "FIELDALIAS-*", "EVAL-*"],
        // workflow_actions.conf.spec (type = search only)
        "workflow_actions.conf" => &[
            "type",
            "label",
            "fields",
            "eventtypes",
            "display_location",
            "disabled",
            "search.search_string",
            "search.app",
            "search.view",
            "search.target",
            "search.earliest",
            "search.latest",
            "search.preserve_timerange",
        ],
        // savedsearches.conf.spec + Enterprise Security's correlation
        // search, notable and risk action keys (as ES and ESCU write them).
        "savedsearches.conf" => &[
            "description",
            "search",
            "disabled",
            "enableSched",
            "cron_schedule",
            "dispatch.earliest_time",
            "dispatch.latest_time",
            "schedule_window",
            "schedule_priority",
            "realtime_schedule",
            "is_visible",
            "counttype",
            "relation",
            "quantity",
            "alert.digest_mode",
            "alert.suppress",
            "alert.suppress.fields",
            "alert.suppress.period",
            "alert.track",
            "alert.severity",
            "request.ui_dispatch_app",
            "request.ui_dispatch_view",
            "allow_skew",
            "action.correlationsearch.enabled",
            "action.correlationsearch.label",
            "action.correlationsearch.annotations",
            "action.correlationsearch.metadata",
            "action.notable",
            "action.notable.param.rule_title",
            "action.notable.param.rule_description",
            "action.notable.param.security_domain",
            "action.notable.param.severity",
            "action.notable.param.nes_fields",
            "action.notable.param.drilldown_name",
            "action.notable.param.drilldown_search",
            "action.notable.param.drilldown_earliest_offset",
            "action.notable.param.drilldown_latest_offset",
            "action.notable.param.drilldown_searches",
            "action.notable.param.default_owner",
            "action.notable.param.default_status",
            "action.notable.param.recommended_actions",
            "action.notable.param.next_steps",
            "action.risk",
            "action.risk.param._risk",
            "action.risk.param._risk_message",
            "action.risk.param._risk_score",
            "action.risk.param.verbose",
        ],
        _ => &[],
    }
}

fn key_allowed(file: &str, key: &str) -> bool {
    allowed_keys(file).iter().any(|pat| {
        if let Some(prefix) = pat.strip_suffix("<N>") {
            key.strip_prefix(prefix)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        } else if let Some(prefix) = pat.strip_suffix('*') {
            key.len() > prefix.len() && key.starts_with(prefix)
        } else {
            key == *pat
        }
    })
}

const CONF_FILES: [&str; 8] = [
    "app.conf",
    "commands.conf",
    "searchbnf.conf",
    "macros.conf",
    "transforms.conf",
    "props.conf",
    "savedsearches.conf",
    "workflow_actions.conf",
];

#[test]
fn every_file_parses_and_every_key_is_known_for_its_file() {
    let mut shipped: Vec<String> = std::fs::read_dir(root().join("default"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    shipped.sort();
    let mut known: Vec<String> = CONF_FILES.iter().map(|s| s.to_string()).collect();
    known.sort();
    assert_eq!(shipped, known, "default/ holds exactly the known conf files");
    let mut problems = Vec::new();
    for file in CONF_FILES {
        let c = conf(file);
        for (stanza, s) in &c.stanzas {
            for (key, value, line) in &s.keys {
                if !key_allowed(file, key) {
                    problems.push(format!("{file}:{line}: [{stanza}] unknown key {key:?}"));
                }
                if value.is_empty() && file != "app.conf" {
                    problems.push(format!("{file}:{line}: [{stanza}] {key} is empty"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_parser_rejects_what_splunk_would_merge_silently() {
    assert!(parse_conf("t", "[a]\nx = 1\n[a]\n").unwrap_err().contains("duplicate stanza"));
    assert!(parse_conf("t", "[a]\nx = 1\nx = 2\n").unwrap_err().contains("duplicate key"));
    assert!(parse_conf("t", "x = 1\n").unwrap_err().contains("outside any stanza"));
    let c = parse_conf("t", "# c\n[a]\nx = one \\\ntwo\ny=\n").unwrap();
    assert_eq!(c.req("a").get("x"), Some("one \ntwo"));
    assert_eq!(c.req("a").get("y"), Some(""));
    assert!(key_allowed("commands.conf", "command.arg.1"));
    assert!(!key_allowed("commands.conf", "command.arg.x"));
    assert!(!key_allowed("commands.conf", "streaming"));
    assert!(key_allowed("app.conf", "reload.log_review"));
}

// ---------------------------------------------------------------------------
// app.conf, app.manifest, metadata

#[test]
fn versions_and_ids_agree() {
    let version = env!("CARGO_PKG_VERSION");
    let app = conf("app.conf");
    assert_eq!(app.req("id").req("version"), version, "app.conf [id] version");
    assert_eq!(app.req("launcher").req("version"), version, "app.conf [launcher] version");
    assert_eq!(app.req("id").req("name"), "dynamicdns");
    assert_eq!(
        app.req("package").req("id"),
        "dynamicdns",
        "[package] id = the tarball's top folder"
    );
    assert_eq!(app.req("package").req("check_for_updates"), "false");
    assert_eq!(app.req("install").req("is_configured"), "false");
    assert!(app.req("install").req("build").parse::<u32>().is_ok());
    let label = app.req("ui").req("label");
    assert!((5..=80).contains(&label.len()), "[ui] label is 5-80 characters");
    assert!(app.req("launcher").req("description").len() <= 200);
    assert!(app.stanza("triggers").is_some());

    let manifest: Value = serde_json::from_str(&read("app/app.manifest")).unwrap();
    assert_eq!(manifest["schemaVersion"], "2.0.0");
    assert_eq!(manifest["info"]["id"]["name"], "dynamicdns");
    assert_eq!(manifest["info"]["id"]["version"], version, "app.manifest info.id.version");
}

#[test]
fn custom_confs_have_reload_triggers() {
    // Splunk's own conf files need no trigger; any other shipped conf does
    // (AppInspect check_reload_trigger_for_all_custom_confs).
    let splunk_confs = CONF_FILES;
    let app = conf("app.conf");
    for file in std::fs::read_dir(root().join("default")).unwrap() {
        let name = file.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".conf") {
            if !splunk_confs.contains(&name.as_str()) {
                assert!(
                    app.req("triggers").get(&format!("reload.{stem}")).is_some(),
                    "{name} needs reload.{stem} in app.conf [triggers]"
                );
            }
        }
    }
}

#[test]
fn metadata_exports_and_permissions() {
    let meta = parse_conf("default.meta", &read("app/metadata/default.meta")).unwrap();
    let global = meta.req("");
    let access = global.req("access").replace(' ', "");
    assert!(access.contains("read:[*]"), "everyone reads: {access}");
    let write = access.split("write:").nth(1).expect("global write list");
    assert!(!write.contains('*'), "no write for everyone");
    assert!(write.contains("admin") && write.contains("sc_admin"), "admin and sc_admin write");
    for kind in ["commands", "macros", "lookups", "transforms", "searchbnf"] {
        assert_eq!(meta.req(kind).get("export"), Some("system"), "[{kind}] export = system");
    }
    assert!(!root().join("app/metadata/local.meta").exists());
}

// ---------------------------------------------------------------------------
// The command, the launcher, the lookups

#[test]
fn the_command_runs_the_launcher_in_scp_mode() {
    let c = conf("commands.conf");
    let cmd = c.req("dynamicdns");
    assert_eq!(cmd.req("chunked"), "true");
    assert_eq!(cmd.req("filename"), "dynamicdns.sh");
    assert_eq!(cmd.req("command.arg.1"), "scp");
    assert_eq!(cmd.req("is_risky"), "false");
    assert!(cmd.req("maxwait").parse::<u64>().is_ok());
    assert!(cmd.req("maxchunksize").parse::<u64>().is_ok());
    // Explicit: the default is false for chunked commands from Splunk 9.0,
    // true before.
    assert_eq!(cmd.req("run_in_preview"), "true");
    assert_eq!(c.stanzas.len(), 1);
    let launcher = root().join("bin/dynamicdns.sh");
    let text = read("bin/dynamicdns.sh");
    assert!(text.starts_with("#!/bin/sh\n"));
    assert!(text.contains("exec \"$exe\" \"$@\""), "the launcher execs with exact quoting");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&launcher).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "bin/dynamicdns.sh is executable");
    }
}

#[test]
fn searchbnf_documents_every_option() {
    let c = conf("searchbnf.conf");
    let cmd = c.req("dynamicdns-command");
    assert_eq!(cmd.req("usage"), "public");
    let syntax = format!("{} {}", cmd.req("syntax"), c.req("dynamicdns-options").req("syntax"));
    let description = cmd.req("description");
    for option in ["field=", "mode=", "tier=", "allfields=", "debug="] {
        assert!(syntax.contains(option), "syntax lists {option}");
        assert!(description.contains(option), "description explains {option}");
    }
    for value in ["host", "text", "all", "core", "true", "false"] {
        assert!(syntax.contains(value), "syntax lists {value}");
    }
    assert!(cmd.get("category").is_some());
    for (key, _, _) in &cmd.keys {
        if let Some(n) = key.strip_prefix("example") {
            assert!(cmd.get(&format!("comment{n}")).is_some(), "{key} has comment{n}");
        }
    }
}

/// The header of a lookup CSV in `lookups/`.
fn csv_header(file: &str) -> Vec<String> {
    let text = read(&format!("lookups/{file}"));
    text.lines().next().unwrap_or("").split(',').map(|s| s.trim().to_string()).collect()
}

#[test]
fn lookups_point_at_existing_files_and_the_launcher() {
    let t = conf("transforms.conf");
    let ext = t.req("dynamicdns");
    assert_eq!(ext.req("external_type"), "executable");
    let cmd: Vec<&str> = ext.req("external_cmd").split_whitespace().collect();
    assert_eq!(cmd, ["dynamicdns.sh", "lookup", "query"]);
    assert!(root().join("bin").join(cmd[0]).is_file());
    let fields: Vec<&str> = ext.req("fields_list").split(',').map(str::trim).collect();
    assert_eq!(fields, ["query", "isDynDNS", "provider", "dyndns_zone"]);

    let mut files = BTreeSet::new();
    for (name, s) in &t.stanzas {
        if let Some(file) = s.get("filename") {
            assert!(root().join("lookups").join(file).is_file(), "[{name}] {file} exists");
            let header = csv_header(file);
            assert!(!header.is_empty() && !header[0].is_empty(), "{file} has a header");
            files.insert(file.to_string());
        } else {
            assert!(s.get("external_cmd").is_some(), "[{name}] is a CSV or an external lookup");
        }
    }
    for required in [
        "dynamic_dns_providers.csv",
        "dynamic_dns_providers_local.csv",
        "dynamic_dns_allowlist.csv",
    ] {
        assert!(files.contains(required), "a lookup definition for {required}");
    }
    assert_eq!(csv_header("dynamic_dns_providers.csv")[0], "zone");
    assert_eq!(csv_header("dynamic_dns_providers_local.csv")[0], "zone");
    assert_eq!(csv_header("dynamic_dns_allowlist.csv")[0], "host");
    // Every file in lookups/ is a CSV (AppInspect check_lookups_allow_list).
    for e in std::fs::read_dir(root().join("lookups")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name.ends_with(".csv"), "lookups/{name}");
    }
}

#[test]
fn automatic_lookups_use_defined_lookups_and_are_shipped_disabled() {
    let props_text = read("default/props.conf");
    let props = conf("props.conf");
    assert!(props.stanzas.is_empty(), "automatic lookups ship commented out (disabled)");
    let transforms = conf("transforms.conf");
    // The commented examples must be valid when uncommented.
    let uncommented: String = props_text
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| (l.starts_with('[') && l.ends_with(']')) || l.starts_with("LOOKUP-"))
        .map(|l| format!("{l}\n"))
        .collect();
    let examples = parse_conf("props.conf (examples)", &uncommented).unwrap();
    assert!(examples.stanzas.len() >= 5, "examples for common DNS sourcetypes");
    for (stanza, s) in &examples.stanzas {
        for (key, value, _) in &s.keys {
            assert!(key_allowed("props.conf", key));
            let words: Vec<&str> = value.split_whitespace().collect();
            assert!(transforms.stanza(words[0]).is_some(), "[{stanza}] uses a defined lookup");
            assert_eq!(words[1], "query", "[{stanza}] maps the lookup's input field");
            assert!(words.contains(&"isDynDNS"));
        }
    }
}

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
];

/// What a piece of SPL uses.
#[derive(Debug, Default)]
struct Uses {
    commands: BTreeSet<String>,
    /// Macro calls as `name` or `name(N)`.
    macros: BTreeSet<String>,
    lookups: BTreeSet<String>,
}

/// Scans SPL for the command at the start of each pipeline segment
/// (`| cmd`, `[cmd` / `[| cmd` in subsearches, and the first word when
/// `first_is_command`), macro calls in backticks and the table names of
/// `lookup` / `inputlookup`. Quoted strings are skipped.
fn spl_uses(spl: &str, first_is_command: bool, uses: &mut Uses) {
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
            if word == "lookup" || word == "inputlookup" {
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
            uses.lookups.insert(word);
            after_lookup = None;
        }
        expect_command = false;
        i = end.max(i + 1);
    }
}

fn macros() -> BTreeMap<String, String> {
    conf("macros.conf")
        .stanzas
        .iter()
        .map(|(name, s)| (name.clone(), s.req("definition").to_string()))
        .collect()
}

/// Checks that everything `uses` names exists; returns the problems.
fn missing(what: &str, uses: &Uses) -> Vec<String> {
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
        if transforms.stanza(l).is_none() {
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
         [| makeresults | eval s=\"[x]\" | fields s] | stats count",
        false,
        &mut u,
    );
    assert_eq!(
        u.commands.iter().map(String::as_str).collect::<Vec<_>>(),
        ["dynamicdns", "eval", "fields", "lookup", "makeresults", "stats"]
    );
    assert_eq!(u.macros.iter().map(String::as_str).collect::<Vec<_>>(), ["f(2)", "src"]);
    assert_eq!(u.lookups.iter().map(String::as_str).collect::<Vec<_>>(), ["zones"]);
}

#[test]
fn every_macro_command_and_lookup_used_exists() {
    let mut problems = Vec::new();
    let macros = macros();
    // Macro definitions: those used in command position start with a
    // command; all are checked for their inner pipelines.
    for (name, def) in &macros {
        let mut u = Uses::default();
        let first_is_command = !name.ends_with("_sysmon") && !name.ends_with("_summariesonly");
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

// ---------------------------------------------------------------------------
// Correlation searches

fn json(s: &Stanza, key: &str) -> Value {
    serde_json::from_str(s.req(key)).unwrap_or_else(|e| panic!("{key} is not JSON: {e}"))
}

#[test]
fn correlation_searches_are_scheduled_disabled_and_complete() {
    let saved = conf("savedsearches.conf");
    assert!(saved.stanzas.len() >= 3);
    let mut sources = BTreeSet::new();
    for (name, s) in &saved.stanzas {
        let ctx = format!("[{name}]");
        assert!(name.ends_with(" - Rule"), "{ctx}: ES naming");
        assert_eq!(s.req("disabled"), "1", "{ctx} ships disabled");
        assert_eq!(s.req("enableSched"), "1", "{ctx} is scheduled");
        let cron: Vec<&str> = s.req("cron_schedule").split_whitespace().collect();
        assert_eq!(cron.len(), 5, "{ctx}: cron");
        assert!(cron[0].parse::<u8>().is_ok(), "{ctx}: at most once an hour");
        let earliest = s.req("dispatch.earliest_time");
        let latest = s.req("dispatch.latest_time");
        assert!(!earliest.starts_with("rt") && !latest.starts_with("rt"), "{ctx}: not real-time");
        assert!(earliest.starts_with('-') && latest.starts_with('-'), "{ctx}: bounded");
        assert_eq!(s.req("realtime_schedule"), "0");
        assert_eq!(s.req("action.correlationsearch.enabled"), "1");
        assert_eq!(s.req("action.correlationsearch.label"), name);
        let ann = json(s, "action.correlationsearch.annotations");
        assert_eq!(ann["confidence"], 80, "{ctx}");
        assert_eq!(ann["impact"], 70, "{ctx}");
        let mitre: Vec<&str> =
            ann["mitre_attack"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for t in ["T1568", "T1568.002", "T1189"] {
            assert!(mitre.contains(&t), "{ctx}: MITRE {t}");
        }
        assert_eq!(s.req("action.notable"), "1");
        let title = s.req("action.notable.param.rule_title");
        let desc = s.req("action.notable.param.rule_description");
        assert!(title.contains("$query$"), "{ctx}: title names $query$");
        assert!(desc.contains("$host$") || title.contains("$host$"), "{ctx}: names $host$");
        assert!(["network", "endpoint"].contains(&s.req("action.notable.param.security_domain")));
        assert_eq!(s.req("action.notable.param.severity"), "medium", "{ctx}: score 56 is medium");
        let drill = json(s, "action.notable.param.drilldown_searches");
        assert_eq!(drill[0]["name"], s.req("action.notable.param.drilldown_name"));
        assert_eq!(drill[0]["search"], s.req("action.notable.param.drilldown_search"));
        assert_eq!(s.req("action.risk"), "1");
        let risk = json(s, "action.risk.param._risk");
        let object = &risk[0];
        assert_eq!(object["risk_score"], 56, "{ctx}");
        assert_eq!(object["risk_object_type"], "system", "{ctx}");
        let risk_field = object["risk_object_field"].as_str().unwrap();
        assert!(["host", "src"].contains(&risk_field));
        assert!(risk.as_array().unwrap().iter().any(|o| o["threat_object_field"] == "query"));
        let search = s.req("search");
        assert!(search.contains("dynamicdns"), "{ctx}");
        assert!(search.contains("isDynDNS=True"), "{ctx}");
        assert!(search.contains("`dynamicdns_allowlist`"), "{ctx}: tuning macro");
        assert!(search.contains("query"), "{ctx}: the search produces query");
        sources.insert(if search.contains("datamodel=Network_Resolution") {
            "dns"
        } else if search.contains("datamodel=Web") {
            "web"
        } else if search.contains("EventCode=22") {
            "sysmon"
        } else {
            "other"
        });
    }
    assert_eq!(sources.into_iter().collect::<Vec<_>>(), ["dns", "sysmon", "web"]);
    // (1) is the ESCU detection rebuilt.
    let escu = saved.req("Dynamic DNS - Host Resolved Dynamic DNS Domain - Rule").req("search");
    assert!(escu.contains(
        "values(DNS.answer) as answer from datamodel=Network_Resolution by DNS.query host"
    ));
    assert!(escu.contains("| dynamicdns field=query,answer"));
    assert!(!saved
        .req("Dynamic DNS - Sysmon DNS Query for Dynamic DNS Domain - Rule")
        .req("search")
        .contains("datamodel"));
}

#[test]
fn workflow_actions_are_searches_in_a_search_view() {
    let wa = conf("workflow_actions.conf");
    assert!(wa.stanzas.len() >= 2);
    let mut on_query = false;
    for (name, s) in &wa.stanzas {
        assert_eq!(s.req("type"), "search", "[{name}]: no external links");
        assert_eq!(s.req("search.view"), "search", "[{name}]");
        assert!(s.req("label").contains("$@field_value$"));
        assert!(s.req("search.search_string").contains("$@field_value$"));
        on_query |= s.req("fields").split(',').any(|f| f.trim() == "query");
    }
    assert!(on_query, "an action on a notable's query");
}

#[test]
fn packaging_files_exist() {
    for f in
        ["app/app.manifest", "app/README.md", "app/metadata/default.meta", "bin/dynamicdns.sh"]
    {
        assert!(Path::new(&root().join(f)).is_file(), "{f}");
    }
    assert!(!root().join("default/local").exists() && !root().join("local").exists());
}

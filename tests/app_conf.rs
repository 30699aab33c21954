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
//!   are scheduled, disabled, bounded in time and carry the ES 7 and ES 8
//!   keys (detection metadata with unique UUIDs, entities, risk drilldown),
//!   the analytic story names existing searches;
//! - the dashboards and navigation are well-formed Simple XML 1.1, every
//!   search in them uses only defined macros, lookups and commands, every
//!   `$token$` is defined, the navigation names existing views;
//! - no shipped file or stanza is named like one of ESCU's, no file users
//!   edit is shipped, the icons have Splunk's sizes, and the README
//!   documents what the confs do (risk scheme, Incident Review fields,
//!   binary declaration).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::util::conf::{default_conf as conf, parse_conf, Conf, Stanza};
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
        // Enterprise Security's analytic stories, in the shape contentctl
        // writes them for ESCU ([analytic_story://...] and [savedsearch://...]).
        "analyticstories.conf" => &[
            "category",
            "last_updated",
            "version",
            "references",
            "maintainers",
            "spec_version",
            "searches",
            "description",
            "narrative",
            "type",
            "asset_type",
            "confidence",
            "explanation",
            "how_to_implement",
            "annotations",
            "known_false_positives",
            "providing_technologies",
        ],
        // server.conf: an app may only list custom confs for search head
        // cluster replication (AppInspect, Splunk Cloud).
        "server.conf" => &["conf_replication_include.*"],
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
            "replicate",
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
            "action.correlationsearch.detection_type",
            "action.notable",
            "action.notable.param._entities",
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

const CONF_FILES: [&str; 10] = [
    "app.conf",
    "analyticstories.conf",
    "server.conf",
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
        .filter(|name| name != "data")
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
    assert!(key_allowed("server.conf", "conf_replication_include.analyticstories"));
    assert!(!key_allowed("server.conf", "serverName"));
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

/// Conf files that are not Splunk's own (AppInspect's list of Splunk-defined
/// confs does not have them).
const CUSTOM_CONFS: [&str; 1] = ["analyticstories.conf"];

#[test]
fn custom_confs_have_reload_triggers_and_cluster_replication() {
    // Splunk's own conf files need neither; any other shipped conf needs a
    // reload trigger (AppInspect check_reload_trigger_for_all_custom_confs,
    // a failure) and search head cluster replication
    // (check_custom_conf_replication, a warning).
    let app = conf("app.conf");
    let server = conf("server.conf");
    let shc = server.req("shclustering");
    assert_eq!(server.stanzas.len(), 1, "server.conf holds only [shclustering]");
    for file in std::fs::read_dir(root().join("default")).unwrap() {
        let name = file.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".conf") {
            let custom = CUSTOM_CONFS.contains(&name.as_str());
            assert!(custom || CONF_FILES.contains(&name.as_str()), "{name}: Splunk's or custom?");
            let trigger = app.req("triggers").get(&format!("reload.{stem}"));
            let replicated = shc.get(&format!("conf_replication_include.{stem}"));
            if custom {
                assert_eq!(trigger, Some("simple"), "{name} needs reload.{stem} = simple");
                assert_eq!(replicated, Some("true"), "{name} needs conf_replication_include");
            } else {
                assert!(trigger.is_none() && replicated.is_none(), "{name} is Splunk's own");
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
    assert_eq!(c.stanzas.len(), 2, "dynamicdns and dynamicdnsinfo");
    // The health command: same launcher, argument "info" (its getinfo reply
    // declares it generating, stateful or with distributed=true streaming).
    let info = c.req("dynamicdnsinfo");
    assert_eq!(info.req("chunked"), "true");
    assert_eq!(info.req("filename"), "dynamicdns.sh");
    assert_eq!(info.req("command.arg.1"), "info");
    assert_eq!(info.req("is_risky"), "false");
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
    for field in ["isDynDNS", "provider", "dyndns_zone", "dyndns_category", "dyndns_tier"] {
        assert!(description.contains(field), "description names the field {field}");
    }
    let info = c.req("dynamicdnsinfo-command");
    assert_eq!(info.req("usage"), "public");
    assert!(info.req("syntax").starts_with("dynamicdnsinfo "));
    assert!(info.req("syntax").contains("distributed=<bool>"));
    for field in INFO_FIELDS {
        assert!(info.req("description").contains(field), "dynamicdnsinfo documents {field}");
    }
    for stanza in [cmd, info] {
        for (key, _, _) in &stanza.keys {
            if let Some(n) = key.strip_prefix("example") {
                assert!(stanza.get(&format!("comment{n}")).is_some(), "{key} has comment{n}");
            }
        }
    }
}

/// The fields `| dynamicdnsinfo` emits: the engine's list, which the
/// binary's row is made from (`tests/info.rs` checks the row against it).
const INFO_FIELDS: &[&str] = dynamicdns_engine::health::FIELDS;

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
    // The input field, then every field the command writes (the engine's
    // own list), so the lookup and the command report the same fields.
    use dynamicdns_engine::enrich::{output_fields, Dialect};
    let want: Vec<&str> =
        std::iter::once("query").chain(output_fields(Dialect::PlainCsv)).collect();
    assert_eq!(fields, want);

    let mut files = BTreeSet::new();
    for (name, s) in &t.stanzas {
        if let Some(file) = s.get("filename") {
            if USER_FILES.iter().any(|(f, _)| f == &file) {
                // Created on first use, never shipped: an upgrade replaces
                // every file the package contains.
                assert!(!root().join("lookups").join(file).exists(), "{file} is not shipped");
            } else {
                assert!(root().join("lookups").join(file).is_file(), "[{name}] {file} exists");
                let header = csv_header(file);
                assert!(!header.is_empty() && !header[0].is_empty(), "{file} has a header");
            }
            files.insert(file.to_string());
        } else {
            assert!(s.get("external_cmd").is_some(), "[{name}] is a CSV or an external lookup");
        }
    }
    assert!(files.contains("dynamic_dns_providers.csv"), "a lookup definition for the list");
    assert_eq!(csv_header("dynamic_dns_providers.csv")[0], "zone");
    for (file, definition) in USER_FILES {
        let s = t.req(definition);
        assert_eq!(s.req("filename"), *file, "[{definition}]");
        // The binary reads local zones and allowlist on the indexers too;
        // the baseline is read on the search head only.
        let replicated = *file != "dynamicdns_first_seen.csv";
        assert_eq!(s.req("replicate"), if replicated { "true" } else { "false" }, "{file}");
    }
    for old in OLD_USER_FILES {
        assert!(!files.contains(*old), "{old} is the pre-0.2 name");
        assert!(!root().join("lookups").join(old).exists(), "{old} is not shipped");
    }
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

/// Lookup files users create and edit, with their lookup definitions. The
/// package ships none of them (scripts/package.sh, tests/app_install.rs).
const USER_FILES: &[(&str, &str)] = &[
    ("dynamicdns_local_zones.csv", "dynamicdns_zones_local"),
    ("dynamicdns_allowlist.csv", "dynamicdns_allowlist_hosts"),
    ("dynamicdns_first_seen.csv", "dynamicdns_first_seen"),
];
/// Their names before 0.2, which 0.1.0 shipped (header only); the binary
/// still reads them, with a deprecation warning.
const OLD_USER_FILES: &[&str] = &["dynamic_dns_providers_local.csv", "dynamic_dns_allowlist.csv"];

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

/// The saved searches that are ES correlation searches (all but the
/// first-seen baseline).
fn correlation_searches(saved: &Conf) -> Vec<(&String, &Stanza)> {
    saved
        .stanzas
        .iter()
        .filter(|(_, s)| s.get("action.correlationsearch.enabled").is_some())
        .map(|(n, s)| (n, s))
        .collect()
}

/// `xxxxxxxx-xxxx-Mxxx-Nxxx-xxxxxxxxxxxx`, lower-case hex.
fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

#[test]
fn correlation_searches_are_scheduled_disabled_and_complete() {
    let saved = conf("savedsearches.conf");
    let corr = correlation_searches(&saved);
    assert_eq!(corr.len(), 4);
    let mut sources = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for (name, s) in &saved.stanzas {
        // Every saved search (the baseline too) ships disabled, scheduled at
        // most hourly, bounded in time, not real-time (AppInspect).
        let ctx = format!("[{name}]");
        assert!(name.starts_with("Dynamic DNS - "), "{ctx}: the Health view finds it by name");
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
    }
    for (name, s) in corr {
        let ctx = format!("[{name}]");
        assert!(name.ends_with(" - Rule"), "{ctx}: ES naming");
        assert_eq!(s.req("action.correlationsearch.enabled"), "1");
        assert_eq!(s.req("action.correlationsearch.label"), name);
        // ES 8: event-based detection, stable id and version.
        assert_eq!(s.req("action.correlationsearch.detection_type"), "ebd", "{ctx}");
        let meta = json(s, "action.correlationsearch.metadata");
        let id = meta["detection_id"].as_str().expect("detection_id");
        assert!(is_uuid(id), "{ctx}: detection_id {id} is a UUID");
        assert!(ids.insert(id.to_string()), "{ctx}: detection_id {id} is unique");
        let version = meta["detection_version"].as_str().expect("detection_version (a string)");
        assert!(version.parse::<u32>().is_ok_and(|v| v >= 1), "{ctx}: version {version}");
        assert_eq!(meta["deprecated"], "0", "{ctx}");
        assert!(meta["publish_time"].as_f64().is_some_and(|t| t > 1.7e9), "{ctx}: publish_time");
        // Annotations in contentctl's current shape: no confidence/impact.
        let ann = json(s, "action.correlationsearch.annotations");
        assert!(ann.get("confidence").is_none() && ann.get("impact").is_none(), "{ctx}");
        assert_eq!(ann["type"], "TTP", "{ctx}");
        assert_eq!(ann["type_list"], serde_json::json!(["TTP"]), "{ctx}");
        assert!(ann["data_source"].as_array().is_some_and(|a| !a.is_empty()), "{ctx}");
        let stories: Vec<&str> = ann["analytic_story"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            stories.contains(&STORY) && stories.contains(&"Dynamic DNS"),
            "{ctx}: {stories:?}"
        );
        let mitre: Vec<&str> =
            ann["mitre_attack"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for t in ["T1568", "T1568.002", "T1189"] {
            assert!(mitre.contains(&t), "{ctx}: MITRE {t}");
        }
        // Risk: one system object, the default score 56 (the result's
        // risk_score field, set by `dynamicdns_risk_score`, takes precedence).
        assert_eq!(s.req("action.risk"), "1");
        let risk = json(s, "action.risk.param._risk");
        let object = &risk[0];
        assert_eq!(object["risk_score"], 56, "{ctx}");
        assert_eq!(object["risk_object_type"], "system", "{ctx}");
        let risk_field = object["risk_object_field"].as_str().unwrap();
        assert!(["host", "src"].contains(&risk_field));
        assert!(risk.as_array().unwrap().iter().any(|o| o["threat_object_field"] == "query"));
        // The notable (ES 8: finding) names the same entity, score 0 (the
        // risk comes from the risk action only).
        assert_eq!(s.req("action.notable"), "1");
        let entities = json(s, "action.notable.param._entities");
        assert_eq!(entities.as_array().unwrap().len(), 1, "{ctx}");
        assert_eq!(entities[0]["risk_object_field"], risk_field, "{ctx}");
        assert_eq!(entities[0]["risk_object_type"], "system", "{ctx}");
        assert_eq!(entities[0]["risk_score"], 0, "{ctx}");
        let token = format!("${risk_field}$");
        let title = s.req("action.notable.param.rule_title");
        let desc = s.req("action.notable.param.rule_description");
        assert!(title.contains("$query$"), "{ctx}: title names $query$");
        assert!(title.contains(&token) || desc.contains(&token), "{ctx}: names {token}");
        for field in ["$dyndns_zone$", "$provider$", "$dyndns_category$", "$dyndns_tier$"] {
            assert!(desc.contains(field), "{ctx}: description names {field}");
        }
        assert!(["network", "endpoint"].contains(&s.req("action.notable.param.security_domain")));
        assert_eq!(s.req("action.notable.param.severity"), "medium", "{ctx}: score 56 is medium");
        assert_eq!(s.req("alert.suppress.fields"), s.req("action.notable.param.nes_fields"));
        assert!(s.req("alert.suppress.fields").starts_with(risk_field), "{ctx}: suppression");
        // Drilldowns: the ES 7 single form, and the list with the risk
        // events of the risk object over 7 days.
        let drill = json(s, "action.notable.param.drilldown_searches");
        let drill = drill.as_array().unwrap();
        assert_eq!(drill.len(), 2, "{ctx}");
        assert_eq!(drill[0]["name"], s.req("action.notable.param.drilldown_name"));
        assert_eq!(drill[0]["search"], s.req("action.notable.param.drilldown_search"));
        let risk_drill = drill[1]["search"].as_str().unwrap();
        assert!(risk_drill.starts_with("index=risk "), "{ctx}: {risk_drill}");
        assert!(risk_drill.contains(&format!("risk_object=\"{token}\"")), "{ctx}: {risk_drill}");
        assert!(drill[1]["name"].as_str().unwrap().contains(&token));
        for d in drill {
            assert_eq!(d["earliest_offset"], "$info_min_time$");
            assert_eq!(d["latest_offset"], "$info_max_time$");
        }
        let search = s.req("search");
        assert!(search.contains("dynamicdns"), "{ctx}");
        assert!(search.contains("isDynDNS=True"), "{ctx}");
        let scored = search.find("| `dynamicdns_risk_score`").expect("risk by category");
        assert!(scored > search.find("isDynDNS=True").unwrap(), "{ctx}: scores the hits");
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
    // (1) is the ESCU v5 detection rebuilt.
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
fn one_detection_is_shaped_like_escu_v11() {
    // ESCU v11 (2026-03-10) groups by the querying client, DNS.src, and by
    // answer, counts, reply code and vendor, skipping "-" and "unknown".
    let saved = conf("savedsearches.conf");
    let s = saved.req("Dynamic DNS - Client Resolved Dynamic DNS Domain - Rule");
    let search = s.req("search");
    assert!(search.contains("where DNS.query=* NOT DNS.query IN (\"-\", \"unknown\")"));
    let by = search.split(" by ").nth(1).unwrap().lines().next().unwrap();
    let fields: BTreeSet<&str> = by.split_whitespace().filter(|w| *w != "\\").collect();
    let v11: BTreeSet<&str> = [
        "DNS.answer",
        "DNS.answer_count",
        "DNS.query",
        "DNS.query_count",
        "DNS.reply_code_id",
        "DNS.src",
        "DNS.vendor_product",
    ]
    .into();
    assert_eq!(fields, v11, "ESCU v11's by-clause");
    assert_eq!(json(s, "action.risk.param._risk")[0]["risk_object_field"], "src");
    assert!(search.contains("| dynamicdns field=query,answer"));
}

/// The score table of `dynamicdns_risk_score`: (category, tier, score).
const RISK_SCHEME: &[(&str, &str, u32)] = &[
    ("ddns", "core", 56),
    ("ddns", "extended", 40),
    ("vendor-ddns", "core", 32),
    ("vendor-ddns", "extended", 24),
    ("vpn-vendor", "core", 16),
    ("vpn-vendor", "extended", 12),
];

#[test]
fn risk_is_scored_by_category_and_documented() {
    let macros = macros();
    let def = &macros["dynamicdns_risk_score"];
    for (category, tier, score) in RISK_SCHEME {
        let clause = if *tier == "core" {
            format!("dyndns_risk_category=\"{category}\" AND dyndns_risk_tier=\"core\", {score}")
        } else {
            format!("dyndns_risk_category=\"{category}\", {score}")
        };
        assert!(def.contains(&clause), "dynamicdns_risk_score scores {category}/{tier} {score}");
    }
    // Free DDNS > vendor DDNS > VPN vendors; extended-only below core.
    for pair in RISK_SCHEME.windows(2) {
        assert!(pair[0].2 > pair[1].2, "{pair:?}");
    }
    // The providers' own service hosts never raise a notable or risk event.
    assert!(def.contains("true(), \"provider-service\")"));
    assert!(def.contains("true(), 0) | where risk_score > 0"));
    // Without categories (an older binary), the old flat 56.
    assert!(def.starts_with("eval dyndns_risk_category=case(isnull(dyndns_category), \"ddns\""));
    // The README documents the same table and the Incident Review fields.
    let readme = read("app/README.md");
    for (category, tier, score) in RISK_SCHEME {
        let row = format!("| `{category}` | `{tier}` | {score} |");
        assert!(readme.contains(&row), "app/README.md has the row {row}");
    }
    for field in ["dyndns_category", "dyndns_tier", "risk_score"] {
        assert!(readme.contains(&format!("| `{field}` |")), "Incident Review field {field}");
    }
}

/// Our analytic story (not ESCU's "Dynamic DNS", see analyticstories.conf).
const STORY: &str = "Dynamic DNS (dynamicdns)";

#[test]
fn the_analytic_story_names_the_detections() {
    let stories = conf("analyticstories.conf");
    let saved = conf("savedsearches.conf");
    let corr: BTreeSet<&str> =
        correlation_searches(&saved).iter().map(|(n, _)| n.as_str()).collect();
    let story = stories.req(&format!("analytic_story://{STORY}"));
    assert_eq!(story.req("spec_version"), "3");
    for key in ["references", "maintainers"] {
        assert!(json(story, key).is_array(), "{key} is a JSON list");
    }
    let searches = json(story, "searches");
    let listed: BTreeSet<&str> =
        searches.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(listed, corr, "the story lists exactly the correlation searches");
    let mut detailed = BTreeSet::new();
    for (name, s) in &stories.stanzas {
        if let Some(search) = name.strip_prefix("savedsearch://") {
            assert!(corr.contains(search), "[{name}] names an existing correlation search");
            assert_eq!(s.req("type"), "detection");
            let ann = json(s, "annotations");
            let conf_ann = json(saved.req(search), "action.correlationsearch.annotations");
            assert_eq!(ann["mitre_attack"], conf_ann["mitre_attack"], "[{name}]");
            assert!(json(s, "providing_technologies").is_array());
            detailed.insert(search);
        } else {
            assert!(name.starts_with("analytic_story://"), "[{name}]");
        }
    }
    assert_eq!(detailed, corr, "every correlation search has its [savedsearch://] stanza");
}

// ---------------------------------------------------------------------------
// Living beside ESCU

/// ESCU's names of the same kinds (ecosystem notes: security_content lookups,
/// macros, stories and stanza prefix).
const ESCU_LOOKUP_FILES: &[&str] =
    &["dynamic_dns_providers_default.csv", "dynamic_dns_providers_local.csv"];
const ESCU_LOOKUPS: &[&str] = &["dynamic_dns_providers_default", "dynamic_dns_providers_local"];
const ESCU_MACROS: &[&str] = &[
    "dynamic_dns_providers",
    "dynamic_dns_web_traffic",
    "detect_hosts_connecting_to_dynamic_domain_providers_filter",
    "security_content_summariesonly",
    "security_content_ctime(1)",
    "drop_dm_object_name(1)",
];
/// Shared on purpose: ESCU's macro contract, so searches written for ESCU
/// run unchanged (README: precedence, btool).
const SHARED_ON_PURPOSE: &[&str] = &["dynamic_dns_providers", "dynamic_dns_web_traffic"];

#[test]
fn no_shipped_name_collides_with_escu() {
    for e in std::fs::read_dir(root().join("lookups")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !ESCU_LOOKUP_FILES.contains(&name.as_str()),
            "lookups/{name} is an ESCU file name"
        );
    }
    let transforms = conf("transforms.conf");
    for (name, s) in &transforms.stanzas {
        assert!(!ESCU_LOOKUPS.contains(&name.as_str()), "[{name}] is an ESCU lookup name");
        if let Some(file) = s.get("filename") {
            assert!(!ESCU_LOOKUP_FILES.contains(&file), "[{name}] reads ESCU's file {file}");
        }
    }
    for name in macros().keys() {
        if ESCU_MACROS.contains(&name.as_str()) {
            assert!(SHARED_ON_PURPOSE.contains(&name.as_str()), "macro {name} is ESCU's");
        }
    }
    for (name, _) in &conf("savedsearches.conf").stanzas {
        assert!(!name.starts_with("ESCU - "), "[{name}] uses ESCU's stanza prefix");
    }
    for (name, _) in &conf("analyticstories.conf").stanzas {
        assert_ne!(name, "analytic_story://Dynamic DNS", "ESCU's story stanza");
    }
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

// ---------------------------------------------------------------------------
// Dashboards and navigation (Simple XML)

/// The dashboards in `default/data/ui/views/`: (view name, XML text).
fn views() -> Vec<(String, String)> {
    let dir = root().join("default/data/ui/views");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".xml").unwrap_or_else(|| panic!("views/{name}"));
            (stem.to_string(), read(&format!("default/data/ui/views/{name}")))
        })
        .collect();
    out.sort();
    out
}

/// The `$token$`s in a text (`$$` is a literal dollar), without filters
/// (`$hosts|s$` → `hosts`).
fn tokens(text: &str) -> Vec<String> {
    let text = text.replace("$$", "");
    let parts: Vec<&str> = text.split('$').collect();
    assert!(parts.len() % 2 == 1, "unpaired $ in {text:?}");
    parts.iter().skip(1).step_by(2).map(|t| t.split('|').next().unwrap().to_string()).collect()
}

/// Tokens Splunk defines itself in Simple XML.
fn predefined_token(t: &str) -> bool {
    ["env:", "job.", "row.", "click.", "result.", "form."].iter().any(|p| t.starts_with(p))
        || ["earliest", "latest"].contains(&t)
}

#[test]
fn the_token_scanner_reads_filters_and_literal_dollars() {
    assert_eq!(tokens("a $x$ b $row.q|u$ $$5"), ["x", "row.q"]);
    assert!(predefined_token("env:user") && predefined_token("row.query"));
    assert!(!predefined_token("hosts"));
}

#[test]
fn dashboards_are_simple_xml_whose_searches_and_tokens_exist() {
    let views = views();
    let names: Vec<&str> = views.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["dynamicdns_check", "dynamicdns_health", "dynamicdns_overview"]);
    let mut problems = Vec::new();
    let mut all_queries = String::new();
    for (view, text) in &views {
        let doc = roxmltree::Document::parse(text)
            .unwrap_or_else(|e| panic!("{view}.xml is not well-formed XML: {e}"));
        let root_el = doc.root_element();
        assert!(["form", "dashboard"].contains(&root_el.tag_name().name()), "{view}");
        // AppInspect check_simplexml_standards_version (Splunk Cloud).
        assert_eq!(root_el.attribute("version"), Some("1.1"), "{view}: Simple XML 1.1");
        assert!(root_el.children().any(|n| n.has_tag_name("label")), "{view}: label");
        // No custom JavaScript or CSS (AppInspect, Splunk Cloud).
        for attr in ["script", "stylesheet"] {
            assert!(root_el.attribute(attr).is_none(), "{view}: no {attr}");
        }
        // Defined tokens: inputs (a time input defines .earliest/.latest),
        // <set>, <eval>, <unset>.
        let mut defined = BTreeSet::new();
        for n in doc.descendants().filter(|n| n.is_element()) {
            match n.tag_name().name() {
                "input" => {
                    let t = n.attribute("token").unwrap_or_else(|| panic!("{view}: input"));
                    if n.attribute("type") == Some("time") {
                        defined.insert(format!("{t}.earliest"));
                        defined.insert(format!("{t}.latest"));
                    }
                    defined.insert(t.to_string());
                }
                "set" | "eval" | "unset" => {
                    defined.insert(n.attribute("token").unwrap().to_string());
                }
                _ => {}
            }
        }
        let ids: BTreeSet<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("search"))
            .filter_map(|n| n.attribute("id"))
            .collect();
        for n in doc.descendants() {
            let texts: Vec<&str> = if n.is_text() {
                vec![n.text().unwrap()]
            } else if n.is_element() {
                n.attributes().map(|a| a.value()).collect()
            } else {
                vec![]
            };
            for t in texts.iter().flat_map(|t| tokens(t)) {
                if !defined.contains(&t) && !predefined_token(&t) {
                    problems.push(format!("{view}.xml: token ${t}$ is not defined"));
                }
            }
        }
        for search in doc.descendants().filter(|n| n.has_tag_name("search")) {
            if let Some(base) = search.attribute("base") {
                assert!(ids.contains(base), "{view}: post-process base {base} exists");
            }
            let query = search
                .children()
                .find(|n| n.has_tag_name("query"))
                .and_then(|q| q.text())
                .unwrap_or_else(|| panic!("{view}: a search without a query"));
            // Tokens become plain values for the scan.
            let parts: Vec<&str> = query.split('$').collect();
            let plain: String =
                parts.iter().enumerate().map(|(i, p)| if i % 2 == 1 { "x" } else { p }).collect();
            let mut u = Uses::default();
            spl_uses(&plain, false, &mut u);
            assert!(!u.commands.is_empty(), "{view}: {query}");
            problems.extend(missing(&format!("{view}.xml"), &u));
            all_queries.push_str(query);
            all_queries.push('\n');
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // What the issue asks of the three views.
    for needle in [
        "| inputlookup dynamicdns_first_seen.csv",
        "timechart span=1h sum(count) as count by provider",
        "timechart span=1h sum(count) as count by category",
        "| dynamicdns field=query tier=",
        "table query isDynDNS provider dyndns_zone dyndns_category dyndns_tier",
        "| dynamicdnsinfo\n",
        "| dynamicdnsinfo distributed=true",
        "from datamodel=Network_Resolution by sourcetype",
        "index=_internal sourcetype=scheduler savedsearch_name=\"Dynamic DNS*\"",
        "| rest /servicesNS/-/dynamicdns/saved/searches",
    ] {
        assert!(all_queries.contains(needle), "a dashboard runs {needle:?}");
    }
    // The Health view shows both splunk_server (from peers) and server.
    assert!(all_queries.contains("| table splunk_server server "));
    for field in INFO_FIELDS.iter().filter(|f| !["problems", "local_files"].contains(f)) {
        assert!(all_queries.contains(&format!(" {field} ")), "Health shows {field}");
    }
}

/// The fields an SPL search reads that it does not make itself: the words
/// of each pipeline segment after its command, without quoted strings,
/// numbers, functions (a word before `(`), `as`/`by`/`AND`/`OR`/`NOT`/
/// `true`/`false`, and the fields it makes (`… as x`, `eval x=…` at the
/// start of an assignment). The first command's own options are skipped
/// when it is `dynamicdnsinfo`.
fn fields_read(spl: &str) -> BTreeSet<String> {
    // Quoted strings go first (no `|` or word inside them counts).
    let mut plain = String::new();
    let mut chars = spl.chars();
    while let Some(c) = chars.next() {
        if c == '"' {
            while let Some(q) = chars.next() {
                match q {
                    '\\' => {
                        chars.next();
                    }
                    '"' => break,
                    _ => {}
                }
            }
            plain.push(' ');
        } else {
            plain.push(c);
        }
    }
    let (mut used, mut made) = (BTreeSet::new(), BTreeSet::new());
    for segment in plain.split('|') {
        let b = segment.as_bytes();
        // (word, the byte after it, follows `as`, starts an assignment)
        let mut words = Vec::new();
        let (mut i, mut depth, mut assign_start) = (0, 0i32, true);
        let mut prev = "";
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_alphanumeric() || c == b'_' {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &segment[start..i];
                words.push((
                    word,
                    b[i..].iter().find(|c| !c.is_ascii_whitespace()).copied(),
                    prev.eq_ignore_ascii_case("as"),
                    assign_start && depth == 0,
                ));
                prev = word;
                assign_start = false;
                continue;
            }
            match c {
                b'(' => depth += 1,
                b')' => depth -= 1,
                b',' if depth == 0 => assign_start = true,
                _ => {}
            }
            i += 1;
        }
        let Some(((command, ..), rest)) = words.split_first() else { continue };
        if *command == "dynamicdnsinfo" {
            continue;
        }
        let assigns = *command == "eval";
        for (k, &(word, next, after_as, at_start)) in rest.iter().enumerate() {
            let keyword = ["as", "by", "and", "or", "not", "true", "false"]
                .contains(&word.to_ascii_lowercase().as_str());
            let at_start = at_start || (assigns && k == 0);
            if next == Some(b'(') || keyword || word.bytes().all(|c| c.is_ascii_digit()) {
                continue;
            }
            if after_as || (assigns && at_start && next == Some(b'=')) {
                made.insert(word.to_string());
            } else {
                used.insert(word.to_string());
            }
        }
    }
    used.difference(&made).cloned().collect()
}

#[test]
fn the_field_scanner_tells_read_fields_from_made_ones() {
    let read = |spl: &str| fields_read(spl).into_iter().collect::<Vec<_>>();
    assert_eq!(
        read("| dynamicdnsinfo distributed=true | eventstats dc(version) as n | eval ok=if(n=1 AND zones>0, \"a|b x\", \"no\"), k=coalesce(server, \"-\") | table splunk_server ok k status typo_field"),
        ["server", "splunk_server", "status", "typo_field", "version", "zones"]
    );
    assert_eq!(
        read("| dynamicdnsinfo | mvexpand local_files | where isnotnull(problems)"),
        ["local_files", "problems"]
    );
}

/// Every field the dashboards' `| dynamicdnsinfo` searches read is one the
/// command emits (the engine's [`INFO_FIELDS`]), `splunk_server` (which
/// Splunk adds to the indexers' rows), or one the search makes itself.
#[test]
fn the_health_view_reads_only_fields_the_command_emits() {
    let mut searches = 0;
    let mut read = BTreeSet::new();
    for (view, text) in views() {
        let doc = roxmltree::Document::parse(&text).unwrap();
        for q in doc.descendants().filter(|n| n.has_tag_name("query")) {
            let query = q.text().unwrap_or("");
            if !query.trim_start().starts_with("| dynamicdnsinfo") {
                continue;
            }
            searches += 1;
            let fields = fields_read(query);
            read.extend(fields.iter().cloned());
            let unknown: Vec<String> = fields
                .into_iter()
                .filter(|f| f != "splunk_server" && !INFO_FIELDS.contains(&f.as_str()))
                .collect();
            assert!(
                unknown.is_empty(),
                "{view}.xml reads {unknown:?}, which | dynamicdnsinfo does not emit:\n{query}"
            );
        }
    }
    assert_eq!(searches, 3, "the Health view's three | dynamicdnsinfo searches");
    // And it shows every one of them (so the scan above saw the searches).
    let mut want: BTreeSet<String> = INFO_FIELDS.iter().map(|f| f.to_string()).collect();
    want.insert("splunk_server".to_string());
    assert_eq!(read, want);
}

#[test]
fn the_navigation_names_existing_views_and_the_app_is_visible() {
    let text = read("default/data/ui/nav/default.xml");
    let doc = roxmltree::Document::parse(&text).expect("nav/default.xml is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "nav");
    let views: Vec<String> = views().into_iter().map(|(n, _)| n).collect();
    let mut listed = Vec::new();
    let mut defaults = 0;
    for n in doc.descendants().filter(|n| n.has_tag_name("view")) {
        let name = n.attribute("name").expect("<view name>");
        // `search` is Splunk's own search view.
        assert!(name == "search" || views.iter().any(|v| v == name), "nav: no view {name}");
        defaults += usize::from(n.attribute("default") == Some("true"));
        listed.push(name.to_string());
    }
    assert_eq!(defaults, 1, "one default view");
    for v in &views {
        assert!(listed.contains(v), "nav lists {v}");
    }
    let app = conf("app.conf");
    assert_eq!(app.req("ui").req("is_visible"), "true");
    assert_eq!(app.req("ui").req("label"), "Dynamic DNS Detection");
}

/// Width and height of a PNG file, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn icons_have_splunks_sizes() {
    for (file, size) in [
        ("appIcon.png", 36),
        ("appIcon_2x.png", 72),
        ("appIconAlt.png", 36),
        ("appIconAlt_2x.png", 72),
    ] {
        let bytes = std::fs::read(root().join("app/static").join(file)).unwrap();
        assert_eq!(png_size(&bytes), (size, size), "app/static/{file}");
    }
    assert!(root().join("scripts/lib/draw_icons.py").is_file(), "the icons can be redrawn");
}

#[test]
fn the_readme_declares_the_binaries_and_the_escu_migration() {
    let readme = read("app/README.md");
    let declaration =
        readme.split("## Binary File Declaration").nth(1).expect("# Binary File Declaration");
    for f in ["bin/dynamicdns.sh", "bin/x86_64/dynamicdns", "bin/aarch64/dynamicdns"] {
        assert!(declaration.contains(f), "the declaration names {f}");
    }
    for needle in ["cargo zigbuild", "--locked", "x86_64-unknown-linux-gnu.2.17", "network"] {
        assert!(declaration.contains(needle), "the declaration says {needle}");
    }
    // ESCU v11 inlines its lookups: the README must not tell users to edit
    // ESCU's macros to migrate, and must show how to check precedence.
    assert!(readme.contains("splunk btool macros list dynamic_dns_providers --debug"));
    assert!(readme.contains("splunk btool transforms list"));
    assert!(readme.contains("v11"));
    for (file, _) in USER_FILES {
        assert!(readme.contains(file), "README documents {file}");
    }
}

#[test]
fn packaging_files_exist() {
    for f in [
        "app/app.manifest",
        "app/README.md",
        "app/metadata/default.meta",
        "bin/dynamicdns.sh",
        "default/data/ui/nav/default.xml",
    ] {
        assert!(Path::new(&root().join(f)).is_file(), "{f}");
    }
    assert!(!root().join("default/local").exists() && !root().join("local").exists());
}

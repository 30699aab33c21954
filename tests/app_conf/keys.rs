//! The keys each shipped conf file may use, and every file parsed and checked
//! against them.

use crate::util::conf::{default_conf as conf, parse_conf};
use crate::util::root;

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
            "python.version",
            // 10.2+ (not yet in the chunked list of the spec; AppInspect wants it)
            "python.required",
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
            "python.version",
            "python.required",
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

pub(super) fn key_allowed(file: &str, key: &str) -> bool {
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

pub(super) const CONF_FILES: [&str; 10] = [
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

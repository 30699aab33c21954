//! Living beside ESCU: no shipped name collides with one of ESCU's, and the
//! workflow actions.

use super::spl::macros;
use crate::util::conf::default_conf as conf;
use crate::util::root;

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

//! The lookups: transforms.conf, the shipped and user-created lookup files,
//! and the automatic lookups of props.conf.

use std::collections::BTreeSet;

use super::keys::key_allowed;
use crate::util::conf::{default_conf as conf, parse_conf};
use crate::util::manifest::{OLD_USER_LOOKUPS, USER_LOOKUPS};
use crate::util::{read, root};

/// The header of a lookup CSV in `lookups/`.
fn csv_header(file: &str) -> Vec<String> {
    let text = read(&format!("lookups/{file}"));
    text.lines().next().unwrap_or("").split(',').map(|s| s.trim().to_string()).collect()
}

#[test]
fn lookups_point_at_existing_files_and_the_launcher() {
    let t = conf("transforms.conf");
    let ext = t.req("dynamicdns");
    assert_eq!(ext.req("external_type"), "python");
    super::commands::assert_python3(ext);
    let cmd: Vec<&str> = ext.req("external_cmd").split_whitespace().collect();
    assert_eq!(cmd, ["dynamicdns.py", "lookup", "query"]);
    assert!(root().join("bin").join(cmd[0]).is_file());
    let fields: Vec<&str> = ext.req("fields_list").split(',').map(str::trim).collect();
    // The input field, then every field the command writes (the engine's
    // own list), so the lookup and the command report the same fields.
    use dynamicdns_engine::enrich::{output_fields, Dialect};
    let names = Default::default();
    let want: Vec<&str> =
        std::iter::once("query").chain(output_fields(Dialect::PlainCsv, &names)).collect();
    assert_eq!(fields, want);

    let mut files = BTreeSet::new();
    for (name, s) in &t.stanzas {
        if let Some(file) = s.get("filename") {
            if USER_LOOKUPS.contains(&file) {
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
    // Each file users edit has its one lookup definition (the package
    // manifest names the files; the package ships none of them).
    for file in USER_LOOKUPS {
        let defs: Vec<_> =
            t.stanzas.iter().filter(|(_, s)| s.get("filename") == Some(*file)).collect();
        assert_eq!(defs.len(), 1, "one lookup definition for {file}");
        let s = &defs[0].1;
        // The binary reads local zones and allowlist on the indexers too;
        // the baseline is read on the search head only.
        let replicated = *file != "dynamicdns_first_seen.csv";
        assert_eq!(s.req("replicate"), if replicated { "true" } else { "false" }, "{file}");
    }
    for old in OLD_USER_LOOKUPS {
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

//! The dashboards and navigation (Simple XML): well-formed, their searches
//! and tokens defined, the fields they read emitted.

use std::collections::BTreeSet;

use super::commands::INFO_FIELDS;
use super::spl::{missing, spl_uses, Uses};
use crate::util::conf::default_conf as conf;
use crate::util::{read, root};

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

/// Every `$token$` in a view that is not safe where it stands, as
/// "element: $token$ (why)". A crafted link (`…?form.tier=…`) sets any
/// input token to any text, and the search runs as whoever opens the link,
/// so each use must make the value inert:
///
/// - inside `<query>` (SPL), only `|s` (Splunk quotes the value and escapes
///   its quotes and backslashes: one string or option value, never SPL);
/// - inside `<earliest>`/`<latest>`, only a time input's own
///   `.earliest`/`.latest`: Splunk sends these as the job's time-range
///   parameters, not as SPL, and refuses one that is not a time;
/// - inside `<link>`, only `|u` (URL-encoded, so the value cannot add
///   parameters or leave the query string);
/// - anywhere else (titles, HTML, `<set>` …), nothing yet: a new kind of use
///   needs its own rule here first.
///
/// `depends`/`rejects` attributes name tokens without substituting them.
fn unsafe_tokens(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let time_inputs: BTreeSet<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("input") && n.attribute("type") == Some("time"))
        .filter_map(|n| n.attribute("token"))
        .collect();
    let mut out = Vec::new();
    for n in doc.descendants() {
        let (element, texts): (&str, Vec<&str>) = if n.is_text() {
            let parent = n.parent_element().map_or("", |p| p.tag_name().name());
            (parent, vec![n.text().unwrap()])
        } else if n.is_element() {
            let attrs = n
                .attributes()
                .filter(|a| !["depends", "rejects"].contains(&a.name()))
                .map(|a| a.value())
                .collect();
            (n.tag_name().name(), attrs)
        } else {
            continue;
        };
        for text in texts {
            let text = text.replace("$$", "");
            for raw in text.split('$').skip(1).step_by(2) {
                let (name, filters) = raw.split_once('|').unwrap_or((raw, ""));
                let why = match element {
                    "query" if filters != "s" => Some("unquoted in SPL: use |s"),
                    "earliest" | "latest" => {
                        let time = name.rsplit_once('.').is_some_and(|(t, part)| {
                            time_inputs.contains(t) && part == element && filters.is_empty()
                        });
                        (!time).then_some("only a time input's own token")
                    }
                    "link" if filters != "u" => Some("not URL-encoded: use |u"),
                    "query" | "link" => None,
                    _ => Some("no rule for tokens here"),
                };
                if let Some(why) = why {
                    out.push(format!("<{element}>: ${raw}$ ({why})"));
                }
            }
        }
    }
    out
}

#[test]
fn the_token_safety_scan_finds_unquoted_tokens() {
    let xml = r#"<form version="1.1"><fieldset>
        <input type="time" token="t"/><input type="text" token="q"/></fieldset>
        <search depends="$q$"><query>| search a=$q|s$ b=$q$ c=$q|u$ d="$q$" $$1</query>
        <earliest>$t.earliest$</earliest><latest>$q$</latest></search>
        <drilldown><link>/app/x?form.q=$row.q|u$&amp;b=$row.q$</link></drilldown>
        <title>$q$</title></form>"#;
    assert_eq!(
        unsafe_tokens(xml),
        [
            "<query>: $q$ (unquoted in SPL: use |s)",
            "<query>: $q|u$ (unquoted in SPL: use |s)",
            "<query>: $q$ (unquoted in SPL: use |s)",
            "<latest>: $q$ (only a time input's own token)",
            "<link>: $row.q$ (not URL-encoded: use |u)",
            "<title>: $q$ (no rule for tokens here)",
        ]
    );
}

/// Dashboards safe by construction: no view puts a token into a search,
/// a time range or a link unless the value is inert there.
#[test]
fn no_view_puts_an_unquoted_token_into_a_search() {
    let mut problems = Vec::new();
    let mut queries_with_tokens = 0;
    for (view, text) in views() {
        problems.extend(unsafe_tokens(&text).into_iter().map(|p| format!("{view}.xml {p}")));
        let doc = roxmltree::Document::parse(&text).unwrap();
        queries_with_tokens += doc
            .descendants()
            .filter(|n| n.has_tag_name("query"))
            .filter(|n| n.text().is_some_and(|t| t.contains("|s$")))
            .count();
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The scan saw the inputs it guards (hosts, tier, category).
    assert!(queries_with_tokens >= 3, "{queries_with_tokens}");
}

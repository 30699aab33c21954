//! `zones diff`: what changed between two versions of a shipped list (the
//! zone list or the service hosts), as Markdown for the CHANGELOG of a data
//! release — rows added, removed, re-attributed (provider or category
//! changed) and otherwise changed (tier, zone, role).

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The compared columns of a row, `(name, value)` in header order.
type Fields = Vec<(String, String)>;

/// One list: key (first column) → the compared columns.
struct List {
    /// The name of the key column (`zone` or `host`).
    key: String,
    rows: BTreeMap<String, Fields>,
}

/// The value of column `name`, if the row has it.
fn get<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Columns never compared: citations and source lists change with every
/// re-vendoring and say nothing about the verdict.
const IGNORED: &[&str] = &["sources", "source"];

/// The columns whose change is a re-attribution.
const ATTRIBUTION: &[&str] = &["provider", "category"];

/// Parses a list; `what` names it in errors.
fn parse(bytes: &[u8], what: &str) -> Result<List, String> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let headers = reader.headers().map_err(|e| format!("{what}: {e}"))?.clone();
    let key = headers.get(0).filter(|k| !k.is_empty()).ok_or(format!("{what}: no header row"))?;
    let mut rows = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{what}: {e}"))?;
        let line = record.position().map_or(0, csv::Position::line);
        let fields: Fields = headers
            .iter()
            .zip(record.iter())
            .skip(1)
            .filter(|(h, _)| !IGNORED.contains(h))
            .map(|(h, v)| (h.to_string(), v.to_string()))
            .collect();
        let id = record.get(0).unwrap_or_default().to_string();
        if rows.insert(id.clone(), fields).is_some() {
            return Err(format!("{what}: line {line}: {key} {id:?} is listed twice"));
        }
    }
    Ok(List { key: key.to_string(), rows })
}

/// A row in the Markdown lists: `provider, category, tier` (empty provider
/// shown as "no provider").
fn describe(fields: &Fields) -> String {
    fields
        .iter()
        .map(|(k, v)| match (k.as_str(), v.is_empty()) {
            ("provider", true) => "no provider".to_string(),
            (_, true) => format!("no {k}"),
            _ => v.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Markdown report of the changes from `old` to `new` (both CSV lists
/// with the same key column).
///
/// # Errors
///
/// A message when a list is not valid CSV, repeats a key, or the two lists
/// have different key columns.
pub fn diff(old: &[u8], new: &[u8]) -> Result<String, String> {
    let old = parse(old, "old list")?;
    let new = parse(new, "new list")?;
    if old.key != new.key {
        return Err(format!(
            "the lists differ: one is keyed by {}, the other by {}",
            old.key, new.key
        ));
    }
    let key = &new.key;
    let added: Vec<_> = new.rows.iter().filter(|(k, _)| !old.rows.contains_key(*k)).collect();
    let removed: Vec<_> = old.rows.iter().filter(|(k, _)| !new.rows.contains_key(*k)).collect();
    let mut reattributed = Vec::new();
    let mut changed = Vec::new();
    for (k, before) in &old.rows {
        let Some(after) = new.rows.get(k) else { continue };
        if before == after {
            continue;
        }
        let moved = ATTRIBUTION.iter().any(|c| get(before, c) != get(after, c));
        if moved { &mut reattributed } else { &mut changed }.push((k, before, after));
    }
    // Re-attributions grouped by (provider before → after), most first.
    let mut moves: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (_, before, after) in &reattributed {
        let arrow = |f: &Fields| {
            let provider = get(f, "provider").filter(|p| !p.is_empty()).unwrap_or("no provider");
            format!("{provider} ({})", get(f, "category").unwrap_or_default())
        };
        *moves.entry((arrow(before), arrow(after))).or_default() += 1;
    }
    let mut moves: Vec<_> = moves.into_iter().collect();
    moves.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "| {key}s | count |\n|---|---:|");
    let _ = writeln!(w, "| before | {} |", old.rows.len());
    let _ = writeln!(w, "| after | {} |", new.rows.len());
    let _ = writeln!(w, "| added | {} |", added.len());
    let _ = writeln!(w, "| removed | {} |", removed.len());
    let _ = writeln!(w, "| re-attributed (provider or category) | {} |", reattributed.len());
    let _ = writeln!(w, "| otherwise changed | {} |", changed.len());
    let with_provider = |l: &List| {
        l.rows.values().filter(|f| get(f, "provider").is_some_and(|p| !p.is_empty())).count()
    };
    if new.rows.values().any(|f| get(f, "provider").is_some()) {
        let _ = writeln!(w, "| with a provider, before | {} |", with_provider(&old));
        let _ = writeln!(w, "| with a provider, after | {} |", with_provider(&new));
    }
    if !moves.is_empty() {
        let _ = writeln!(
            w,
            "\n### Re-attributed, by provider\n\n| before | after | {key}s |\n|---|---|---:|"
        );
        for ((from, to), n) in &moves {
            let _ = writeln!(w, "| {from} | {to} | {n} |");
        }
    }
    let mut section = |title: &str, rows: Vec<String>| {
        if !rows.is_empty() {
            let _ = writeln!(w, "\n### {title} ({})\n", rows.len());
            for r in rows {
                let _ = writeln!(w, "- {r}");
            }
        }
    };
    section("Added", added.iter().map(|(k, f)| format!("`{k}`: {}", describe(f))).collect());
    section("Removed", removed.iter().map(|(k, f)| format!("`{k}`: {}", describe(f))).collect());
    let change = |(k, b, a): &(&String, &Fields, &Fields)| {
        format!("`{k}`: {} → {}", describe(b), describe(a))
    };
    section("Re-attributed", reattributed.iter().map(change).collect());
    section("Otherwise changed", changed.iter().map(change).collect());
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "zone,provider,category,tier,sources\n\
                       a.example,,ddns,extended,misp\n\
                       b.example,No-IP,ddns,core,psl\n\
                       c.example,DuckDNS,ddns,core,maltrail\n\
                       gone.example,,ddns,extended,misp\n\
                       t.example,,ddns,extended,misp\n";
    const NEW: &str = "zone,provider,category,tier,sources\n\
                       a.example,ASUS,vendor-ddns,extended,misp\n\
                       b.example,No-IP,ddns,core,psl;sigma\n\
                       c.example,,ddns,extended,maltrail\n\
                       new.example,Dynu,ddns,core,psl\n\
                       t.example,,ddns,core,misp;et_open\n";

    #[test]
    fn reports_added_removed_reattributed_and_changed() {
        let md = diff(OLD.as_bytes(), NEW.as_bytes()).unwrap();
        for want in [
            "| before | 5 |",
            "| after | 5 |",
            "| added | 1 |",
            "| removed | 1 |",
            "| re-attributed (provider or category) | 2 |",
            "| otherwise changed | 1 |",
            "| with a provider, before | 2 |",
            "| with a provider, after | 3 |",
            "| no provider (ddns) | ASUS (vendor-ddns) | 1 |",
            "| DuckDNS (ddns) | no provider (ddns) | 1 |",
            "### Added (1)\n\n- `new.example`: Dynu, ddns, core\n",
            "### Removed (1)\n\n- `gone.example`: no provider, ddns, extended\n",
            "- `a.example`: no provider, ddns, extended → ASUS, vendor-ddns, extended\n",
            "### Otherwise changed (1)\n\n- `t.example`: no provider, ddns, extended → no provider, ddns, core\n",
        ] {
            assert!(md.contains(want), "missing {want:?} in\n{md}");
        }
        // A change of sources alone is no change.
        assert!(!md.contains("b.example"), "{md}");
    }

    #[test]
    fn identical_lists_report_zero_and_errors_are_specific() {
        let md = diff(OLD.as_bytes(), OLD.as_bytes()).unwrap();
        assert!(md.contains("| added | 0 |") && !md.contains("###"), "{md}");
        let hosts = "host,provider,zone,role,category,source\nx.example,P,example,update,provider-service,u\n";
        assert!(diff(OLD.as_bytes(), hosts.as_bytes()).unwrap_err().contains("keyed by zone"));
        let twice = "zone,provider\na.example,\na.example,X\n";
        let e = diff(twice.as_bytes(), OLD.as_bytes()).unwrap_err();
        assert_eq!(e, "old list: line 3: zone \"a.example\" is listed twice");
        let md = diff(hosts.as_bytes(), hosts.replace("update", "api").as_bytes()).unwrap();
        assert!(md.contains("- `x.example`: P, example, update, provider-service → P, example, api, provider-service"), "{md}");
    }
}

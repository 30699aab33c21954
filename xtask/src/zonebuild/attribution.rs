//! Rule 11, curated attribution: `data/attribution.csv` names the provider
//! of zones that the sources list without one (router and NAS vendors'
//! DDNS, regional providers), and marks look-alike zones that only imitate
//! a provider's zone. Every row cites where the fact is stated (a client's
//! or firmware's source file at a commit, a vendored source's section, or the
//! provider's documentation).

use std::collections::BTreeMap;
use std::path::Path;

use super::names::Names;
use super::rules::Kind;
use super::service::check_sources;
use super::{line_error, read_table, zone_problem, Merged, ZoneBuildError, SOURCES};

/// What a row does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// The zone's provider is `provider` (core evidence: a cited document
    /// names the zone as that provider's DDNS zone).
    Provider,
    /// The zone only imitates a zone of `provider` (a typo-squat): it gets
    /// no provider and is never core.
    Lookalike,
}

/// The actions, as written in the file.
pub const ACTIONS: &[&str] = &["provider", "lookalike"];

/// One checked row.
#[derive(Debug)]
struct Row {
    line: u64,
    zone: String,
    action: Action,
    provider: String,
}

/// Reads and checks `attribution.csv` and applies it to the merged zones.
/// A bad row — invalid or unknown zone, unknown action or provider, missing
/// citation, a provider that contradicts a provider-owned source, rows out
/// of order — fails the build naming the file and the line.
pub(super) fn apply(
    data_dir: &Path,
    names: &Names,
    zones: &mut BTreeMap<String, Merged>,
) -> Result<(), ZoneBuildError> {
    let path = data_dir.join("attribution.csv");
    let mut rows = Vec::new();
    let mut last: Option<String> = None;
    for (line, row) in read_table(&path, &["zone", "action", "provider", "source", "note"])? {
        let err = |problem: String| line_error(&path, line, problem);
        let [zone, action, provider, source, _note] = <[String; 5]>::try_from(row)
            .map_err(|_| err("wrong number of columns read".to_string()))?;
        if let Some(problem) = zone_problem(&zone) {
            return Err(err(problem));
        }
        let action = match action.as_str() {
            "provider" => Action::Provider,
            "lookalike" => Action::Lookalike,
            _ => {
                return Err(err(format!("action {action:?} is not one of {}", ACTIONS.join(", "))))
            }
        };
        let provider = names.harmonise(&provider);
        if !names.category.contains_key(&provider) {
            return Err(err(format!(
                "provider {provider:?} is in neither providers.csv nor \
                 psl_provider_category.json (add it there with its category)"
            )));
        }
        check_sources(&source).map_err(err)?;
        if let Some(prev) = &last {
            if *prev >= zone {
                return Err(err(format!("zone {zone:?} is listed twice or out of order")));
            }
        }
        last = Some(zone.clone());
        rows.push(Row { line, zone, action, provider });
    }
    for row in rows {
        let err = |problem: String| line_error(&path, row.line, problem);
        let Some(merged) = zones.get_mut(&row.zone) else {
            return Err(err(format!("zone {:?} is named by no vendored source", row.zone)));
        };
        match row.action {
            Action::Provider => {
                // A provider-owned source outranks the project's reading.
                if let Some((source, other)) =
                    merged.claims.iter().find(|(s, p)| *p != row.provider && provider_owned(s))
                {
                    return Err(err(format!(
                        "zone {:?}: {source} names provider {other:?}, not {:?}",
                        row.zone, row.provider
                    )));
                }
                merged.curated = Some(row.provider);
                merged.core = true;
            }
            Action::Lookalike => {
                merged.claims.clear();
                merged.fallback = None;
                merged.curated = None;
                merged.core = false;
            }
        }
    }
    Ok(())
}

/// Whether the source is one the providers themselves wrote or publish.
fn provider_owned(source: &str) -> bool {
    SOURCES.iter().any(|s| {
        s.name == source && matches!(s.kind, Kind::ProviderSubmitted | Kind::ProviderPages)
    })
}

//! Canonical provider names and their categories (rules 4 and 6), from
//! `data/psl_provider_category.json` and `data/providers.csv`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::{
    category_problem, file_error, json_error, line_error, name_problem, read_file, read_table,
    ZoneBuildError, DEFAULT_CATEGORY, PROVIDER_ALIASES,
};

/// Canonical provider names and their categories.
#[derive(Debug)]
pub(crate) struct Names {
    /// Lower-cased name → canonical spelling.
    pub(crate) canonical: BTreeMap<String, String>,
    /// Canonical name → category.
    pub(crate) category: BTreeMap<String, String>,
}

impl Names {
    /// Reads `psl_provider_category.json` and `providers.csv`.
    pub(crate) fn load(data_dir: &Path) -> Result<Names, ZoneBuildError> {
        let json_path = data_dir.join("psl_provider_category.json");
        let bytes = read_file(&json_path)?;
        let json: BTreeMap<String, String> =
            serde_json::from_slice(&bytes).map_err(|e| json_error(&json_path, &e))?;
        let mut category = BTreeMap::new();
        for (provider, cat) in json {
            if let Some(problem) = name_problem(&provider).or_else(|| category_problem(&cat)) {
                return Err(file_error(&json_path, format!("provider {provider:?}: {problem}")));
            }
            category.insert(provider, cat);
        }

        let csv_path = data_dir.join("providers.csv");
        let mut listed = HashMap::new();
        for (line, row) in read_table(&csv_path, &["provider", "category"])? {
            let [provider, cat] = <[String; 2]>::try_from(row).map_err(|_| {
                line_error(&csv_path, line, "wrong number of columns read".to_string())
            })?;
            if provider.is_empty() {
                return Err(line_error(&csv_path, line, "empty provider name".to_string()));
            }
            if let Some(problem) = name_problem(&provider).or_else(|| category_problem(&cat)) {
                return Err(line_error(
                    &csv_path,
                    line,
                    format!("provider {provider:?}: {problem}"),
                ));
            }
            if let Some(first) = listed.insert(provider.clone(), line) {
                let problem = format!("provider {provider:?} is already listed on line {first}");
                return Err(line_error(&csv_path, line, problem));
            }
            match category.get(&provider) {
                Some(other) if *other != cat => {
                    let problem = format!(
                        "provider {provider:?} has category {cat:?}, but \
                         psl_provider_category.json says {other:?}"
                    );
                    return Err(line_error(&csv_path, line, problem));
                }
                Some(_) => {}
                None => {
                    category.insert(provider, cat);
                }
            }
        }

        let mut canonical = BTreeMap::new();
        for name in category.keys() {
            if let Some(other) = canonical.insert(name.to_lowercase(), name.clone()) {
                let problem = format!("provider names {other:?} and {name:?} differ only in case");
                return Err(file_error(&csv_path, problem));
            }
        }
        for &(alias, target) in PROVIDER_ALIASES {
            if let Some(name) = canonical.get(alias) {
                if name != target {
                    let problem = format!(
                        "provider {name:?} is also a built-in alias of {target:?}; \
                         fix the alias table in xtask/src/zonebuild/rules.rs"
                    );
                    return Err(file_error(&csv_path, problem));
                }
            }
        }
        Ok(Names { canonical, category })
    }

    /// The harmonised spelling of a provider name (empty stays empty).
    pub(crate) fn harmonise(&self, raw: &str) -> String {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let key = name.to_lowercase();
        if let Some(&(_, target)) = PROVIDER_ALIASES.iter().find(|(alias, _)| *alias == key) {
            return target.to_string();
        }
        self.canonical.get(&key).cloned().unwrap_or(name)
    }

    /// The category of a (harmonised) provider.
    pub(crate) fn category_of(&self, provider: &str) -> &str {
        self.category.get(provider).map_or(DEFAULT_CATEGORY, String::as_str)
    }
}

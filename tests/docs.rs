//! The documentation against the product. Every figure the user docs state
//! is marked where it stands, `116,972<!--fig:zones-->` (an HTML comment,
//! invisible when rendered), and compared here with what the binary reports
//! (`info --text`, the headers and rules of `zones export`) or, for the
//! vendored data, with the rows of the file named: the docs cannot drift
//! from the data, and nothing here hard-codes a count. An unmarked count of
//! zones is refused, so a new figure gets a mark.
//!
//! And every repository path the Markdown files name in backticks, and
//! every relative link, must exist in the checkout (`git ls-files`), so a
//! moved or deleted file cannot leave a stale reference behind.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex_lite::Regex;

use crate::util::{process, root};

/// The user docs whose figures are checked.
fn figure_docs() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> =
        ["README.md", "app/README.md", "data/README.md"].iter().map(PathBuf::from).collect();
    let mut more: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| p.strip_prefix(root()).unwrap().to_path_buf())
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

/// Runs the binary with `args` and returns its stdout; it must succeed.
fn output(args: &[&str]) -> String {
    let out = process::run(process::bin().args(args), b"");
    assert!(out.status.success(), "dynamicdns {args:?}: {}", process::stderr(&out));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The `N zones, M service hosts` of an export's provenance header.
fn export_counts(tier: &str) -> (u64, u64) {
    let text = output(&["zones", "export", "--format", "csv", "--tier", tier]);
    let re = Regex::new(r"(\d+) zones, (\d+) service hosts").unwrap();
    let c = re.captures(&text).unwrap_or_else(|| panic!("no counts in the {tier} header"));
    (c[1].parse().unwrap(), c[2].parse().unwrap())
}

/// Every figure the binary reports, by the name a mark uses: each numeric
/// field of `info --text` (`zones`, `zones_core`, `service_hosts` …), and
/// what the exports count.
fn binary_figures() -> BTreeMap<String, u64> {
    let mut figures = BTreeMap::new();
    for line in output(&["info", "--text", "--no-local"]).lines() {
        if let Some((key, value)) = line.split_once(": ") {
            if let Ok(n) = value.trim().parse::<u64>() {
                figures.insert(key.to_string(), n);
            }
        }
    }
    assert!(figures.contains_key("zones"), "info --text reports no zones");
    for tier in ["core", "all"] {
        let (zones, service_hosts) = export_counts(tier);
        let expected = figures[if tier == "core" { "zones_core" } else { "zones" }];
        assert_eq!(zones, expected, "the {tier} export's zone count against info --text");
        figures.insert(format!("export_service_hosts_{tier}"), service_hosts);
    }
    let suricata = output(&["zones", "export", "--format", "suricata"]);
    let rules = suricata.lines().filter(|l| l.starts_with("alert ")).count();
    figures.insert("suricata_core_rules".into(), rules as u64);
    let sigma = output(&["zones", "export", "--format", "sigma"]);
    let rules = sigma.lines().filter(|l| l.starts_with("title: ")).count();
    figures.insert("sigma_rules".into(), rules as u64);
    figures
}

/// The data rows of a vendored file: its lines that are neither blank nor
/// a `#` comment, less the header row of a CSV.
fn file_rows(rel: &str) -> u64 {
    let text = crate::util::read(rel);
    let lines = text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).count();
    (lines - usize::from(rel.ends_with(".csv"))) as u64
}

/// `116,972` → 116972.
fn number(text: &str) -> u64 {
    text.replace(',', "").parse().unwrap_or_else(|_| panic!("{text:?} is not a number"))
}

#[test]
fn every_stated_figure_is_the_binarys() {
    let figures = binary_figures();
    let marked = Regex::new(r"(\d[\d,]*)?<!--fig:([^ >]+)-->").unwrap();
    let unmarked = Regex::new(r"\b\d{1,3}(,\d{3})+ zones").unwrap();
    let mut wrong = vec![];
    let mut used = BTreeSet::new();
    for doc in figure_docs() {
        let text = crate::util::read(doc.to_str().unwrap());
        for (n, line) in text.lines().enumerate() {
            let at = format!("{}:{}", doc.display(), n + 1);
            for c in marked.captures_iter(line) {
                let key = &c[2];
                let Some(stated) = c.get(1) else {
                    wrong.push(format!("{at}: the mark {key} follows no number"));
                    continue;
                };
                let actual = match key.strip_prefix("rows:") {
                    Some(file) => file_rows(file),
                    None => match figures.get(key) {
                        Some(&v) => v,
                        None => {
                            wrong.push(format!("{at}: no figure named {key}"));
                            continue;
                        }
                    },
                };
                used.insert(key.to_string());
                if number(stated.as_str()) != actual {
                    wrong
                        .push(format!("{at}: {} stated for {key}, now {actual}", stated.as_str()));
                }
            }
            let stripped = marked.replace_all(line, "");
            for m in unmarked.find_iter(&stripped) {
                wrong.push(format!("{at}: \"{}\" has no <!--fig:…--> mark", m.as_str()));
            }
        }
    }
    assert!(used.contains("zones"), "the docs no longer state the zone count with a mark");
    assert!(
        wrong.is_empty(),
        "figures in the docs that disagree with the binary:\n{}",
        wrong.join("\n")
    );
}

/// The files of the checkout, or `None` (after a printed note) outside a
/// git checkout.
fn tracked_files() -> Option<BTreeSet<String>> {
    let out = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success());
    let Some(out) = out else {
        eprintln!("note: not a git checkout (or no git): the docs' path check is skipped");
        return None;
    };
    let names = out.stdout.split(|&b| b == 0).filter(|s| !s.is_empty());
    Some(names.map(|s| String::from_utf8_lossy(s).into_owned()).collect())
}

/// Whether `path` (relative to the repository, `/`-separated, maybe with
/// `*` wildcards) is a tracked file or a folder holding one.
fn exists(tracked: &BTreeSet<String>, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    let pattern = format!("^{}(/.*)?$", regex_lite::escape(path).replace(r"\*", "[^/]*"));
    let re = Regex::new(&pattern).unwrap();
    tracked.iter().any(|f| re.is_match(f))
}

/// `a/./b/../c` → `a/c`; `None` when it climbs out of the repository.
fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = vec![];
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The anchors of a Markdown file's headings, as GitHub makes them: lower
/// case, only letters, digits, `-` and `_` kept, spaces made `-`, a
/// repeated heading numbered.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        let Some(heading) = line.strip_prefix('#').filter(|_| !in_code) else { continue };
        let heading = heading.trim_start_matches('#').trim();
        let slug: String = heading
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut unique = slug.clone();
        for i in 1.. {
            if !seen.contains(&unique) {
                break;
            }
            unique = format!("{slug}-{i}");
        }
        seen.insert(unique);
    }
    seen
}

/// Whether `dir` is a folder of the checkout (holds a tracked file).
fn is_dir(tracked: &BTreeSet<String>, dir: &str) -> bool {
    let prefix = format!("{dir}/");
    tracked.range(prefix.clone()..).next().is_some_and(|f| f.starts_with(&prefix))
}

#[test]
fn every_path_the_docs_name_exists() {
    let Some(tracked) = tracked_files() else { return };
    // Paths the docs name that are not in the repository by design: the
    // lookup files users create (never shipped), an admin's own `local/`
    // settings, and the binaries the package build places under bin/.
    let package_binary = Regex::new(r"^bin/[a-z0-9_]+/(dynamicdns(\.exe)?)?$").unwrap();
    let not_in_repo = |p: &str| {
        p.strip_prefix("lookups/").is_some_and(crate::util::manifest::is_user_lookup)
            || package_binary.is_match(p)
            || p.starts_with("local/")
            || p == "metadata/local.meta"
    };
    // Another project's paths that look like ours: (doc, path, whose).
    const THEIRS: &[(&str, &str, &str)] = &[
        ("data/README.md", "samples/ddns.config_sample", "ddclient's"),
        ("data/README.md", "LICENSE", "dyn-dns-list's, in a quote of its README"),
        (
            "tests/data/recordings/scpv2/Splunk-6.3/README.md",
            "tests/searchcommands/recordings/scpv2/Splunk-6.3/",
            "splunk-sdk-python's",
        ),
    ];
    let theirs = |doc: &str, p: &str| THEIRS.iter().any(|&(d, q, _)| d == doc && q == p);
    let backticked = Regex::new(r"`([A-Za-z0-9_.][A-Za-z0-9_.*-]*/[A-Za-z0-9_.*/-]*)`").unwrap();
    let link = Regex::new(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)").unwrap();
    let mut stale = vec![];
    for doc in tracked.iter().filter(|f| f.ends_with(".md")) {
        let dir = Path::new(doc).parent().unwrap().to_str().unwrap();
        let join = |rel: &str| {
            normalise(&if dir.is_empty() { rel.into() } else { format!("{dir}/{rel}") })
        };
        let text = crate::util::read(doc);
        let mut in_code = false;
        for (n, line) in text.lines().enumerate() {
            let at = format!("{doc}:{}", n + 1);
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
            }
            if in_code {
                continue; // commands and their output, not references
            }
            for c in backticked.captures_iter(line) {
                let path = &c[1];
                if not_in_repo(path) || theirs(doc, path) {
                    continue;
                }
                // A path is ours when its first folder is one of the
                // checkout, from the root or from the doc's own folder
                // (data/README.md names `sources/…`); `local/…`,
                // `target/…` or another project's paths are not.
                let first = path.split('/').next().unwrap();
                let bases: Vec<String> = [Some(String::new()), join("")]
                    .into_iter()
                    .flatten()
                    .filter(|b| {
                        let d =
                            if b.is_empty() { first.to_string() } else { format!("{b}/{first}") };
                        normalise(&d).is_some_and(|d| !d.is_empty() && is_dir(&tracked, &d))
                    })
                    .collect();
                if bases.is_empty() {
                    continue;
                }
                let found = bases.iter().any(|b| {
                    let p = if b.is_empty() { path.to_string() } else { format!("{b}/{path}") };
                    normalise(&p).is_some_and(|p| exists(&tracked, &p))
                });
                if !found {
                    stale.push(format!("{at}: `{path}` does not exist"));
                }
            }
            for c in link.captures_iter(line) {
                let target = &c[1];
                if target.contains("://") || target.starts_with("mailto:") || theirs(doc, target) {
                    continue;
                }
                let file = if target.is_empty() { Some(doc.clone()) } else { join(target) };
                let Some(file) = file.filter(|p| exists(&tracked, p)) else {
                    stale.push(format!("{at}: the link to {target} leads nowhere"));
                    continue;
                };
                if let Some(anchor) = c.get(2).filter(|_| file.ends_with(".md")) {
                    if !anchors(&crate::util::read(&file)).contains(anchor.as_str()) {
                        stale.push(format!("{at}: {file} has no heading #{}", anchor.as_str()));
                    }
                }
            }
        }
    }
    assert!(stale.is_empty(), "paths in the docs that do not exist:\n{}", stale.join("\n"));
}

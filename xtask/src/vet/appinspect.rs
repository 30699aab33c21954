//! `cargo xtask appinspect`: the app package vetted the way Splunk Cloud
//! vets it, and what AppInspect does not check.

use std::fs::File;
use std::path::Path;
use std::process::Command;

use super::{context, log, mkdir, tool};
use crate::package::{self, package_name};
use crate::{failed, usage, Failure};

const HELP: &str = "\
Usage: cargo xtask appinspect [--all-tags] [PACKAGE.tgz]

Vets the Splunk app package (default: dist/dynamicdns-<version>.tgz):

 1. the archive against the package manifest (`cargo xtask package check`:
    layout, owners, modes, the launcher and binaries, no lookup file users
    edit);
 2. Splunk AppInspect (PyPI splunk-appinspect, pinned, in a venv from
    `scripts/tools.sh appinspect`):
      splunk-appinspect inspect <tgz> --mode precert --included-tags cloud --ci
    with --skip-trusted-libraries-update (works offline). Any failure or
    future failure fails it, and so does any warning except those that
    app/README.md (\"AppInspect\") explains. The JUnit report is written to
    target/appinspect/ (cargo's target directory).

--all-tags also runs every check (no tag filter) and reports it (never fails).
";

/// AppInspect checks whose warnings the package gets by design: any .py
/// file (the launcher), any Windows binary
/// (bin/windows_x86_64/dynamicdns.exe). app/README.md explains both.
const EXPLAINED_WARNINGS: [&str; 2] = [
    "check_for_python_script_existence",
    "check_that_app_contains_any_windows_specific_components",
];

fn note(line: &str) {
    log("appinspect", line);
}

pub(super) fn run(root: &Path, mut parser: lexopt::Parser) -> Result<(), Failure> {
    use lexopt::prelude::*;
    let (mut all_tags, mut tgz) = (false, None);
    while let Some(arg) = parser.next().map_err(|e| usage(format!("{e}\n\n{HELP}")))? {
        match arg {
            Long("all-tags") => all_tags = true,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            Value(v) if tgz.is_none() => tgz = Some(std::path::PathBuf::from(v)),
            other => return Err(usage(format!("{}\n\n{HELP}", other.unexpected()))),
        }
    }
    let cx = context(root)?;
    let tgz = tgz.unwrap_or_else(|| cx.root.join("dist").join(package_name(&cx)));
    let tgz = tgz.canonicalize().map_err(|_| {
        failed(format!("no package {} (run cargo xtask package first)", tgz.display()))
    })?;
    let shown = tgz.strip_prefix(&cx.root).unwrap_or(&tgz).display().to_string();

    // --- 1. The archive against the package manifest.
    package::run(&cx.root, false, &["check", &tgz.to_string_lossy()])?;

    // --- 2. Splunk AppInspect.
    let bin = tool(&cx, "appinspect")?;
    let out = cx.target_dir.join("appinspect");
    mkdir(&out)?;
    let stdout = |args: &[&str]| {
        let mut c = Command::new(&bin);
        c.args(args);
        super::stdout_of(c)
    };
    let skip = stdout(&["inspect", "--help"]).contains("--skip-trusted-libraries-update");
    // `--version` is not an option of this CLI; `list version` prints
    // "Splunk AppInspect Version X".
    let listed = stdout(&["list", "version"]);
    let version =
        listed.lines().find_map(|l| l.rsplit_once("Version ")).map_or("?", |v| v.1.trim());
    let inspect = |tags: &[&str], name: &str| -> Result<(i32, String), Failure> {
        let (xml, log) = (out.join(format!("{name}.xml")), out.join(format!("{name}.log")));
        let log_file =
            File::create(&log).map_err(|e| failed(format!("{}: {e}", log.display())))?;
        let mut c = Command::new(&bin);
        c.arg("inspect").arg(&tgz).args(["--mode", "precert"]).args(tags).arg("--ci");
        if skip {
            c.arg("--skip-trusted-libraries-update");
        }
        c.args(["--data-format", "junitxml", "--output-file"]).arg(&xml);
        c.args(["--max-messages", "all"])
            .stdout(log_file.try_clone().map_err(|e| failed(e.to_string()))?);
        let status =
            c.stderr(log_file).status().map_err(|e| failed(format!("{}: {e}", bin.display())))?;
        let rc = status.code().unwrap_or(-1);
        let report = std::fs::read_to_string(&xml).unwrap_or_default();
        if report.is_empty() {
            eprint!("{}", std::fs::read_to_string(&log).unwrap_or_default());
            return Err(failed(format!("AppInspect wrote no report (exit {rc})")));
        }
        Ok((rc, report))
    };
    note(&format!(
        "splunk-appinspect {version}: inspect {shown} --mode precert --included-tags cloud --ci{}",
        if skip { " --skip-trusted-libraries-update" } else { "" }
    ));
    let (rc, report) = inspect(&["--included-tags", "cloud"], "appinspect-cloud")?;
    println!("AppInspect (cloud tag):");
    let unexplained = summarise(&report)?;
    if all_tags {
        let (rc_all, report) = inspect(&[], "appinspect-all")?;
        println!("AppInspect (all checks, informational, exit {rc_all}):");
        summarise(&report)?;
    }
    let xml = out.join("appinspect-cloud.xml");
    let report = xml.display();
    match rc {
        0 => println!("AppInspect: cloud checks passed: 0 failures, 0 warnings (exit 0)"),
        101 => return Err(failed(format!("AppInspect: failures (exit 101); report: {report}"))),
        103 if unexplained > 0 => {
            return Err(failed(format!(
                "AppInspect: warnings not explained in app/README.md (exit 103); report: {report}"
            )))
        }
        103 => println!(
            "AppInspect: cloud checks passed: 0 failures; only the warnings app/README.md explains (exit 103)"
        ),
        104 => return Err(failed(format!("AppInspect: future failures (exit 104); report: {report}"))),
        _ => {
            let log = std::fs::read_to_string(out.join("appinspect-cloud.log")).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            eprintln!("{}", lines[lines.len().saturating_sub(20)..].join("\n"));
            return Err(failed(format!("AppInspect could not inspect the package (exit {rc})")));
        }
    }
    Ok(())
}

/// Prints a JUnit report's counts and every result that is not a success;
/// returns how many of those are not an explained warning.
fn summarise(xml: &str) -> Result<usize, Failure> {
    let (lines, bad) = summary(xml)?;
    for line in lines {
        println!("  {line}");
    }
    Ok(bad)
}

/// The lines of [`summarise`], and its count.
fn summary(xml: &str) -> Result<(Vec<String>, usize), Failure> {
    let doc = roxmltree::Document::parse(xml)
        .map_err(|e| failed(format!("the AppInspect report: {e}")))?;
    let root = doc.root_element();
    let suites: Vec<_> = if root.has_tag_name("testsuite") {
        vec![root]
    } else {
        root.children().filter(|n| n.has_tag_name("testsuite")).collect()
    };
    let (mut lines, mut bad) = (Vec::new(), 0);
    for case in root.descendants().filter(|n| n.has_tag_name("testcase")) {
        let name = case.attribute("name").unwrap_or("");
        for el in case.children().filter(|n| n.is_element()) {
            // AppInspect writes <failure>/<error> elements, and warnings as
            // <success type="WARNING" message=...> (future failures likewise).
            let tag = el.tag_name().name();
            let kind = el.attribute("type").unwrap_or("").to_uppercase();
            if !matches!(tag, "failure" | "error" | "warning")
                && matches!(kind.as_str(), "" | "SUCCESS")
            {
                continue;
            }
            let ok = kind == "WARNING" && EXPLAINED_WARNINGS.contains(&name);
            bad += usize::from(!ok);
            let text =
                format!("{} {}", el.attribute("message").unwrap_or(""), el.text().unwrap_or(""));
            let text: String = text.trim().replace('\n', " ").chars().take(600).collect();
            let kind = if kind.is_empty() { tag.to_uppercase() } else { kind };
            let explained = if ok { " (explained in app/README.md)" } else { "" };
            lines.push(format!("{kind}{explained}: {name}: {text}"));
        }
    }
    let counts: Vec<String> = ["tests", "failures", "errors", "skipped", "warnings"]
        .iter()
        .map(|k| {
            let n: u64 = suites
                .iter()
                .map(|s| s.attribute(*k).and_then(|v| v.parse().ok()).unwrap_or(0))
                .sum();
            format!("{k}={n}")
        })
        .collect();
    lines.push(counts.join(", "));
    Ok((lines, bad))
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn only_explained_warnings_pass() {
        let xml = r#"<testsuites><testsuite tests="3" failures="1" warnings="2">
            <testcase name="check_a"><success type="SUCCESS"/></testcase>
            <testcase name="check_for_python_script_existence"><success type="WARNING" message="a .py file">
            line</success></testcase>
            <testcase name="check_b"><failure message="bad">x</failure></testcase>
            <testcase name="check_c"><success type="FUTURE_FAILURE" message="soon"/></testcase>
            </testsuite></testsuites>"#;
        let (lines, bad) = summary(xml).map_err(|f| f.message).unwrap();
        assert_eq!(bad, 2);
        assert_eq!(
            lines,
            [
                "WARNING (explained in app/README.md): check_for_python_script_existence: a .py file              line",
                "FAILURE: check_b: bad x",
                "FUTURE_FAILURE: check_c: soon",
                "tests=3, failures=1, errors=0, skipped=0, warnings=2"
            ]
        );
    }
}

//! `cargo xtask ci [--quick] [--only STEP,...]`: the project's test command
//! (README "The two commands"; `.ci/run` calls it).
//!
//! The steps are one table, [`steps::STEPS`] (name, lane, when, command);
//! `cargo xtask ci --help` lists it. Lane 1 runs its steps in order; from
//! the package step on, lane 2 (the steps that need neither the package nor
//! lane 1's later builds) runs beside it at low priority, its output in
//! `target/test-logs/lane2.log`, printed when lane 1 is done. Each step's
//! wall time goes into a table printed at the end ([`table`]), and when a
//! step fails, up to that step, followed by its exit status, which is the
//! run's. Only std's processes and threads: the steps are other programs.

mod run;
mod steps;
mod table;

use std::ffi::OsString;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

// The app's id: the package's top folder and file name (the package manifest's).
use crate::package::manifest::APP_ID;

/// With `CI=true`, these are set where the environment leaves them unset or
/// empty: a missing aarch64 or Windows build fails the package step, and
/// CI, which builds everything once from a fresh clone, writes no
/// incremental caches and builds the tests with line tables only
/// (backtraces keep file:line; the test binaries compile and link faster).
/// Not outside CI, where the next plain `cargo test` would rebuild
/// everything.
const CI_ENV: &[(&str, &str)] = &[
    ("DYNAMICDNS_REQUIRE_AARCH64", "1"),
    ("DYNAMICDNS_REQUIRE_WINDOWS", "1"),
    ("CARGO_INCREMENTAL", "0"),
    ("CARGO_PROFILE_DEV_DEBUG", "line-tables-only"),
];

/// The run's fixed facts.
pub(crate) struct Ctx {
    /// The repository: every step runs from it.
    pub(crate) root: PathBuf,
    /// Cargo's target directory, absolute.
    pub(crate) target: PathBuf,
    /// `CI=true`: missing tools are failures, not notes.
    pub(crate) ci: bool,
    pub(crate) cores: usize,
    /// Set for every step: the target directory, and `CI_ENV` in CI.
    pub(crate) env: Vec<(String, String)>,
}

impl Ctx {
    fn new(root: PathBuf) -> Ctx {
        let set = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let target = match set("DYNAMICDNS_TARGET_DIR") {
            Some(d) => PathBuf::from(d),
            None => target_dir(&root),
        };
        let ci = std::env::var_os("CI").is_some_and(|v| v == "true");
        let mut env = vec![("DYNAMICDNS_TARGET_DIR".to_string(), target.display().to_string())];
        // Absolute, so that cargo run from another folder (fuzz/) agrees.
        if set("CARGO_TARGET_DIR").is_some() {
            env.push(("CARGO_TARGET_DIR".into(), target.display().to_string()));
        }
        if ci {
            for (k, v) in CI_ENV.iter().filter(|(k, _)| set(k).is_none()) {
                env.push((k.to_string(), v.to_string()));
            }
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ctx { root, target, ci, cores, env }
    }

    /// Where the logs and the table go.
    pub(crate) fn logs(&self) -> PathBuf {
        self.target.join("test-logs")
    }

    /// `s` with `{target}` replaced by the target directory.
    pub(crate) fn expand(&self, s: &str) -> String {
        s.replace("{target}", &self.target.display().to_string())
    }
}

/// Cargo's target directory as cargo resolves it (`CARGO_TARGET_DIR`,
/// `CARGO_BUILD_TARGET_DIR` or `build.target-dir`, relative to the
/// repository), else `target/`.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    let meta = std::process::Command::new("cargo")
        .args(["metadata", "--no-deps", "--offline", "--format-version", "1"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success());
    if let Some(out) = meta {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) {
            if let Some(dir) = v["target_directory"].as_str() {
                return PathBuf::from(dir);
            }
        }
    }
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(d) => root.join(d),
        None => root.join("target"),
    }
}

/// The `--help` text, with the steps from the table.
fn help() -> String {
    let mut h = String::from(
        "Usage: cargo xtask ci [--quick] [--only STEP,...]

The test command: every check CI runs, quick checks first, each step timed.
At the end (and when a step fails, up to that step) it prints a table of the
step times, also saved as target/test-logs/times.md; a failed step's exit
status is the run's.

  --quick          only the steps marked always or quick: nothing installed,
                   no package
  --only STEP,...  only these steps (any of the table), in the table's order

Steps (lane 2 runs beside lane 1 from the package step on, at low priority;
its output is in target/test-logs/lane2.log, printed when lane 1 is done):

",
    );
    let w = steps::STEPS.iter().map(|s| s.name.len()).max().unwrap_or(0);
    writeln!(h, "  {:w$}  lane  runs    command / what", "step").unwrap();
    for s in steps::STEPS {
        writeln!(h, "  {:w$}  {}     {:6}  {}", s.name, s.lane, s.when.word(), s.shown()).unwrap();
        writeln!(h, "  {:w$}                {}", "", s.about).unwrap();
    }
    h.push_str(
        "
perf-guard and stress run the x86_64 binary taken out of the package
(DYNAMICDNS_BIN); {target} is cargo's target directory.

Environment:
  CI=true                   a missing aarch64 or Windows build, strace,
                            valgrind, ShellCheck or advisory check fails;
                            tests built without incremental caches, with
                            line tables only
  DYNAMICDNS_TEST_LANES=1   lane 2 runs after lane 1 (also on one core)
  CARGO_TARGET_DIR          honoured: builds, scratch files and logs go there
",
    );
    h
}

struct Options {
    quick: bool,
    only: Option<Vec<String>>,
    help: bool,
}

fn parse(args: Vec<OsString>) -> Result<Options, String> {
    use lexopt::prelude::*;
    let mut o = Options { quick: false, only: None, help: false };
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("quick") => o.quick = true,
            Long("only") => {
                let v = parser.value().map_err(|e| e.to_string())?;
                let v = v.to_str().ok_or("--only: not UTF-8")?;
                let names = o.only.get_or_insert_with(Vec::new);
                names.extend(v.split(',').filter(|n| !n.is_empty()).map(String::from));
            }
            Short('h') | Long("help") => o.help = true,
            other => return Err(other.unexpected().to_string()),
        }
    }
    if o.quick && o.only.is_some() {
        return Err("--quick and --only do not go together".into());
    }
    Ok(o)
}

/// `cargo xtask ci ARGS`: the exit status is the failing step's.
pub(crate) fn main(args: Vec<OsString>) -> ExitCode {
    let o = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("xtask ci: {e} (see --help)");
            return ExitCode::from(2);
        }
    };
    if o.help {
        print!("{}", help());
        return ExitCode::SUCCESS;
    }
    let selected = match steps::select(o.quick, o.only.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("xtask ci: {e}");
            return ExitCode::from(2);
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".."));
    let ctx = Ctx::new(root.canonicalize().unwrap_or_else(|_| root.to_path_buf()));
    let two_lanes = cfg!(unix)
        && ctx.cores > 1
        && std::env::var_os("DYNAMICDNS_TEST_LANES").is_none_or(|v| v != "1");
    match run::run(&ctx, &selected, two_lanes) {
        0 => ExitCode::SUCCESS,
        rc => ExitCode::from(u8::try_from(rc).unwrap_or(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_step() {
        let h = help();
        for s in steps::STEPS {
            assert!(
                h.contains(&format!(
                    "\n  {:13}  {}     {:6}  {}\n",
                    s.name,
                    s.lane,
                    s.when.word(),
                    s.shown()
                )),
                "{}",
                s.name
            );
        }
    }

    #[test]
    fn options() {
        let p = |a: &[&str]| parse(a.iter().map(OsString::from).collect());
        assert!(p(&["--quick"]).unwrap().quick);
        let o = p(&["--only", "fmt,test", "--only=audit"]).unwrap();
        assert_eq!(o.only.unwrap(), ["fmt", "test", "audit"]);
        assert!(p(&["--quick", "--only", "fmt"]).is_err());
        assert!(p(&["quick"]).is_err());
    }

    /// .ci/run builds the xtask with CI's build settings.
    #[test]
    fn ci_run_builds_the_xtask_as_ci_builds() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let run = std::fs::read_to_string(root.join(".ci/run")).unwrap();
        for (k, v) in CI_ENV.iter().filter(|(k, _)| k.starts_with("CARGO_")) {
            assert!(run.contains(&format!("export {k}=${{{k}:-{v}}}\n")), "{k}");
        }
        assert!(run.ends_with("\nexec cargo xtask ci\n"));
    }

    /// docs/testing.md's table of the steps names the same steps, in the
    /// same order, in the same lanes.
    #[test]
    fn the_docs_table_is_this_table() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let doc = std::fs::read_to_string(root.join("docs/testing.md")).unwrap();
        let rows: Vec<(String, String)> = doc
            .lines()
            .skip_while(|l| !l.starts_with("| step | lane |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<_> = l.split('|').map(str::trim).collect();
                (cells[1].trim_matches('`').to_string(), cells[2].to_string())
            })
            .filter(|(name, _)| name != "lane2-wait")
            .collect();
        let want: Vec<_> =
            steps::STEPS.iter().map(|s| (s.name.to_string(), s.lane.to_string())).collect();
        assert_eq!(rows, want);
    }
}

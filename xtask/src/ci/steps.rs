//! The steps of `cargo xtask ci`, in order: the one table the runner, the
//! `--help` text and the docs' table (`docs/testing.md`, held equal by a
//! test) come from. Quick checks first, so that a broken change fails in
//! minutes, then the package and what needs it.

use super::run::Exec;

/// Which runs include a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum When {
    /// Every run.
    Always,
    /// Only `--quick`.
    Quick,
    /// Only the full run.
    Full,
}

impl When {
    pub(crate) fn word(self) -> &'static str {
        match self {
            When::Always => "always",
            When::Quick => "quick",
            When::Full => "full",
        }
    }
}

/// One program run from the repository root. `{target}` in an environment
/// value stands for cargo's target directory.
pub(crate) struct Cmd {
    pub(crate) env: &'static [(&'static str, &'static str)],
    pub(crate) argv: &'static [&'static str],
    /// Its standard output is not wanted (only its exit status).
    pub(crate) quiet: bool,
}

const fn cmd(argv: &'static [&'static str]) -> Cmd {
    Cmd { env: &[], argv, quiet: false }
}

/// What a step runs.
pub(crate) enum Work {
    /// Programs in turn; the first failure ends the step.
    Cmds(&'static [Cmd]),
    /// Done here (shown as `shown`); returns the exit status.
    BuiltIn { shown: &'static str, run: fn(&Exec) -> i32 },
}

/// One step of the test command.
pub(crate) struct Step {
    pub(crate) name: &'static str,
    /// 1, or 2: beside lane 1 from [`LANE2_FROM`] on, at low priority.
    pub(crate) lane: u8,
    pub(crate) when: When,
    pub(crate) work: Work,
    /// Runs on the x86_64 binary taken out of the package (`DYNAMICDNS_BIN`,
    /// from the first such step on): the optimised build is made once.
    pub(crate) packaged_bin: bool,
    pub(crate) about: &'static str,
}

/// Lane 2 starts beside lane 1 at this step: none of its steps needs the
/// package, and the package's link-time optimised builds leave a core idle
/// for minutes.
pub(crate) const LANE2_FROM: &str = "package";

/// The cargo test arguments of `package-tests`: the tests that need the
/// package (`cargo test` before it prints a note and passes them).
const PACKAGE_TESTS: &[&str] =
    &["cargo", "test", "--locked", "--test", "integration", "app_install::"];

/// The Debian packages the tests and the perf guard need, as
/// `command=package`; required with `CI=true`.
const DEBIAN_TOOLS: &[&str] = &["strace=strace", "valgrind=valgrind", "shellcheck=shellcheck"];

/// The steps, in order.
pub(crate) const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        lane: 1,
        when: When::Always,
        work: Work::Cmds(&[cmd(&["cargo", "fmt", "--check"])]),
        packaged_bin: false,
        about: "formatting",
    },
    Step {
        name: "fuzz-lock",
        lane: 1,
        when: When::Quick,
        work: Work::Cmds(&[Cmd {
            env: &[],
            argv: &[
                "cargo",
                "metadata",
                "--locked",
                "--offline",
                "--format-version",
                "1",
                "--manifest-path",
                "fuzz/Cargo.toml",
            ],
            quiet: true,
        }]),
        packaged_bin: false,
        about: "fuzz/Cargo.lock is current (a dependency added to the engine must reach it)",
    },
    Step {
        name: "fetch",
        lane: 1,
        when: When::Full,
        work: Work::Cmds(&[
            cmd(&["cargo", "fetch", "--locked"]),
            cmd(&["cargo", "fetch", "--locked", "--manifest-path", "fuzz/Cargo.toml"]),
        ]),
        packaged_bin: false,
        about: "the crates of both lock files for every platform (cargo-deny reads them all)",
    },
    Step {
        name: "debian",
        lane: 1,
        when: When::Full,
        work: Work::BuiltIn {
            shown: "ensure_debian strace valgrind shellcheck (scripts/lib/common.sh)",
            run: debian_tools,
        },
        packaged_bin: false,
        about: "strace (tests/sandbox.rs), valgrind (perf guard, tests/bounded.rs), ShellCheck, \
                where missing",
    },
    Step {
        name: "shellcheck",
        lane: 1,
        when: When::Always,
        work: Work::BuiltIn {
            shown: "shellcheck -x -P SCRIPTDIR scripts/*.sh scripts/lib/*.sh",
            run: shellcheck,
        },
        packaged_bin: false,
        about: "ShellCheck over the scripts (skipped if not installed)",
    },
    Step {
        name: "clippy",
        lane: 1,
        when: When::Always,
        work: Work::Cmds(&[cmd(&[
            "cargo",
            "clippy",
            "--locked",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])]),
        packaged_bin: false,
        about: "lints",
    },
    Step {
        name: "doc",
        lane: 1,
        when: When::Always,
        work: Work::Cmds(&[Cmd {
            env: &[("RUSTDOCFLAGS", "-D warnings")],
            argv: &["cargo", "doc", "--locked", "--no-deps", "--workspace"],
            quiet: false,
        }]),
        packaged_bin: false,
        about: "the API docs, warnings denied",
    },
    Step {
        name: "test",
        lane: 1,
        when: When::Always,
        work: Work::Cmds(&[cmd(&["cargo", "test", "--locked", "--workspace"])]),
        packaged_bin: false,
        about: "unit and integration tests and the xtask's; a full run removes a stale \
                package first, so the app install tests print a note and pass here",
    },
    Step {
        name: "package",
        lane: 1,
        when: When::Full,
        work: Work::Cmds(&[cmd(&["cargo", "xtask", "dist"])]),
        packaged_bin: false,
        about: "the release in dist/: the app dynamicdns-<version>.tgz (Linux x86_64 and \
                aarch64, glibc >= 2.17, Windows x86_64), the CLI archives, SHA256SUMS",
    },
    Step {
        name: "package-tests",
        lane: 1,
        when: When::Full,
        work: Work::Cmds(&[Cmd {
            env: &[("DYNAMICDNS_REQUIRE_PACKAGE", "1")],
            argv: PACKAGE_TESTS,
            quiet: false,
        }]),
        packaged_bin: false,
        about: "the tests that need the package (aarch64 under qemu, Windows under wine)",
    },
    Step {
        name: "appinspect",
        lane: 1,
        when: When::Full,
        work: Work::Cmds(&[cmd(&["cargo", "xtask", "appinspect"])]),
        packaged_bin: false,
        about: "tarball modes, Splunk AppInspect",
    },
    Step {
        name: "perf-guard",
        lane: 1,
        when: When::Full,
        work: Work::Cmds(&[cmd(&["cargo", "xtask", "perf-guard"])]),
        packaged_bin: true,
        about: "callgrind instruction counts of the packaged x86_64 binary against \
                scripts/perf-budget.txt",
    },
    Step {
        name: "stress",
        lane: 1,
        when: When::Full,
        work: Work::Cmds(&[cmd(&["cargo", "xtask", "stress", "--gb", "2"])]),
        packaged_bin: true,
        about: "2 GB through the packaged x86_64 binary, peak memory flat",
    },
    Step {
        name: "exports",
        lane: 2,
        when: When::Full,
        work: Work::Cmds(&[Cmd {
            env: &[("DYNAMICDNS_BIN", "{target}/debug/dynamicdns")],
            argv: &["scripts/exports-check.sh"],
            quiet: false,
        }]),
        packaged_bin: false,
        about: "every `zones export` format through its platform's real parser or engine \
                (the debug binary of `test`)",
    },
    Step {
        name: "detections",
        lane: 2,
        when: When::Full,
        work: Work::Cmds(&[cmd(&["scripts/detections.sh"])]),
        packaged_bin: false,
        about: "contentctl (pinned, PyPI) validates and builds detections/; default/'s \
                savedsearches.conf, analyticstories.conf and macros.conf must be what it \
                generates",
    },
    Step {
        name: "fuzz-install",
        lane: 2,
        when: When::Full,
        work: Work::Cmds(&[cmd(&["cargo", "xtask", "fuzz", "--install-only"])]),
        packaged_bin: false,
        about: "cargo-fuzz",
    },
    Step {
        name: "fuzz",
        lane: 2,
        when: When::Full,
        work: Work::Cmds(&[cmd(&["cargo", "xtask", "fuzz", "--seconds", "10"])]),
        packaged_bin: false,
        about: "every fuzz target, 10 s each",
    },
    Step {
        name: "audit-install",
        lane: 2,
        when: When::Full,
        work: Work::Cmds(&[cmd(&["cargo", "xtask", "audit", "--install-only"])]),
        packaged_bin: false,
        about: "cargo-deny",
    },
    Step {
        name: "audit",
        lane: 2,
        when: When::Full,
        work: Work::Cmds(&[cmd(&["cargo", "xtask", "audit"])]),
        packaged_bin: false,
        about: "licences, bans, sources, RustSec advisories (../shared/advisory-db or \
                DYNAMICDNS_ADVISORY_DB) and the canary that must fail",
    },
];

impl Step {
    /// The step's command as a shell line (for `== step: …` and `--help`).
    pub(crate) fn shown(&self) -> String {
        match &self.work {
            Work::BuiltIn { shown, .. } => (*shown).to_string(),
            Work::Cmds(cmds) => cmds
                .iter()
                .map(|c| {
                    let mut words: Vec<String> =
                        c.env.iter().map(|(k, v)| format!("{k}={}", shell_word(v))).collect();
                    words.extend(c.argv.iter().map(|a| shell_word(a)));
                    if c.quiet {
                        words.push(">/dev/null".into());
                    }
                    words.join(" ")
                })
                .collect::<Vec<_>>()
                .join(" && "),
        }
    }
}

fn shell_word(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,{}<>".contains(c)) {
        s.to_string()
    } else {
        format!("'{s}'")
    }
}

/// The steps a run takes, in the table's order: `--only` names them (any
/// step, whatever its `when`), else the quick or the full run's.
pub(crate) fn select(quick: bool, only: Option<&[String]>) -> Result<Vec<&'static Step>, String> {
    match only {
        Some(names) => {
            if let Some(bad) = names.iter().find(|n| !STEPS.iter().any(|s| s.name == n.as_str())) {
                let all: Vec<_> = STEPS.iter().map(|s| s.name).collect();
                return Err(format!("unknown step '{bad}' (the steps: {})", all.join(", ")));
            }
            Ok(STEPS.iter().filter(|s| names.iter().any(|n| n == s.name)).collect())
        }
        None => {
            let skip = if quick { When::Full } else { When::Quick };
            Ok(STEPS.iter().filter(|s| s.when != skip).collect())
        }
    }
}

/// `debian`: the Debian packages, by scripts/lib/common.sh's installer;
/// where they cannot be installed (no root) a note, and a failure with
/// `CI=true`.
fn debian_tools(x: &Exec) -> i32 {
    let mut c = x.command("bash");
    c.args(["-c", ". scripts/lib/common.sh && ensure_debian \"$@\"", "ci"]).args(DEBIAN_TOOLS);
    if x.status(c) != 0 && x.ctx.ci {
        let names: Vec<_> = DEBIAN_TOOLS.iter().map(|t| t.split('=').next().unwrap()).collect();
        x.note(&format!("xtask ci: error: {} are required in CI", names.join(", ")));
        return 1;
    }
    0
}

/// `shellcheck`: every shell script under scripts/ (skipped with a note
/// where ShellCheck is not installed; the full run installs it).
fn shellcheck(x: &Exec) -> i32 {
    let version = match x.command("shellcheck").arg("--version").output() {
        Ok(out) => String::from_utf8_lossy(&out.stdout).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            x.note("shellcheck is not installed: skipped (cargo xtask ci without --quick installs it)");
            return 0;
        }
        Err(e) => {
            x.note(&format!("xtask ci: shellcheck: {e}"));
            return 1;
        }
    };
    if let Some(v) = version.lines().find_map(|l| l.strip_prefix("version: ")) {
        x.note(&format!("shellcheck {v}"));
    }
    let mut files = Vec::new();
    for dir in ["scripts", "scripts/lib"] {
        let mut sh: Vec<String> = std::fs::read_dir(x.ctx.root.join(dir))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".sh"))
            .map(|n| format!("{dir}/{n}"))
            .collect();
        sh.sort();
        files.extend(sh);
    }
    let mut c = x.command("shellcheck");
    c.args(["-x", "-P", "SCRIPTDIR"]).args(files);
    x.status(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(steps: &[&Step]) -> Vec<&'static str> {
        steps.iter().map(|s| s.name).collect()
    }

    #[test]
    fn quick_and_full_runs_take_their_steps_in_order() {
        assert_eq!(
            names(&select(true, None).unwrap()),
            ["fmt", "fuzz-lock", "shellcheck", "clippy", "doc", "test"]
        );
        assert_eq!(
            names(&select(false, None).unwrap()),
            [
                "fmt",
                "fetch",
                "debian",
                "shellcheck",
                "clippy",
                "doc",
                "test",
                "package",
                "package-tests",
                "appinspect",
                "perf-guard",
                "stress",
                "exports",
                "detections",
                "fuzz-install",
                "fuzz",
                "audit-install",
                "audit"
            ]
        );
    }

    #[test]
    fn only_takes_the_named_steps_in_the_tables_order() {
        let only =
            |v: &[&str]| select(false, Some(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>()));
        assert_eq!(
            names(&only(&["detections", "fuzz-lock", "fmt"]).unwrap()),
            ["fmt", "fuzz-lock", "detections"]
        );
        let err = only(&["fmt", "lint"]).map(|_| ()).unwrap_err();
        assert!(
            err.starts_with("unknown step 'lint' (the steps: fmt, fuzz-lock, fetch,"),
            "{err}"
        );
    }

    #[test]
    fn the_table_is_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for s in STEPS {
            assert!(seen.insert(s.name), "{} twice", s.name);
            assert!(s.lane == 1 || s.lane == 2, "{}", s.name);
            // Lane 2 runs beside the package build: it must not need it,
            // nor run in the quick run, which has no package step.
            assert!(s.lane == 1 || (s.when == When::Full && !s.packaged_bin), "{}", s.name);
        }
        let from = STEPS.iter().position(|s| s.name == LANE2_FROM).expect("LANE2_FROM is a step");
        assert_eq!(STEPS[from].lane, 1);
        // Lane 2 comes last, so that a serial run keeps the table's order.
        let first2 = STEPS.iter().position(|s| s.lane == 2).unwrap();
        assert!(first2 > from && STEPS[first2..].iter().all(|s| s.lane == 2));
    }

    #[test]
    fn commands_show_as_shell_lines() {
        let shown = |n: &str| STEPS.iter().find(|s| s.name == n).unwrap().shown();
        assert_eq!(
            shown("doc"),
            "RUSTDOCFLAGS='-D warnings' cargo doc --locked --no-deps --workspace"
        );
        assert_eq!(
            shown("fetch"),
            "cargo fetch --locked && cargo fetch --locked --manifest-path fuzz/Cargo.toml"
        );
        assert!(shown("fuzz-lock").ends_with("fuzz/Cargo.toml >/dev/null"));
        assert_eq!(
            shown("exports"),
            "DYNAMICDNS_BIN={target}/debug/dynamicdns scripts/exports-check.sh"
        );
    }
}

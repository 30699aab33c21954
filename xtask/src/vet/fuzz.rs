//! `cargo xtask fuzz`: the cargo-fuzz (libFuzzer) targets of `fuzz/`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{context, log, mkdir, remove_dir, run_ok, stdout_of, tool, value};
use crate::package::{env, Context};
use crate::{failed, usage, Failure};

const HELP: &str = "\
Usage: cargo xtask fuzz [--seconds N] [--install-only] [--minimize] [TARGET...]

Runs the cargo-fuzz (libFuzzer) targets in fuzz/ (default: all), one at a
time (the CI machine has two cores), each for N seconds (default 30),
starting from the committed corpus in fuzz/corpus/<target>/. New inputs found
go to a scratch corpus under target/fuzz-corpus/ (cargo's target directory,
not the repository); crashes are written to fuzz/artifacts/<target>/ and
fail the run; each target's libFuzzer output is in target/fuzz-<target>.log.

--minimize then replaces fuzz/corpus/<target>/ with the smallest set of
inputs (committed + scratch) that keeps all their coverage (libFuzzer
-merge=1), to refresh the committed seeds. --seconds 0 only minimizes.

cargo-fuzz comes pinned from `scripts/tools.sh cargo-fuzz` (--install-only
stops there). The stable toolchain runs it with RUSTC_BOOTSTRAP=1: cargo-fuzz
needs nightly-only flags (-Zsanitizer) and no nightly can be installed here.
";

/// libFuzzer's limits: a target holding more than 2 GB fails (unbounded
/// allocation); one input taking over 10 s is a hang; inputs up to 64 KiB
/// (multi-chunk sessions).
const LIMITS: [&str; 3] = ["-rss_limit_mb=2048", "-timeout=10", "-max_len=65536"];

pub(super) fn run(root: &Path, mut parser: lexopt::Parser) -> Result<(), Failure> {
    use lexopt::prelude::*;
    let (mut seconds, mut install_only, mut minimize) = (30u64, false, false);
    let mut targets = Vec::new();
    while let Some(arg) = parser.next().map_err(|e| usage(format!("{e}\n\n{HELP}")))? {
        match arg {
            Long("seconds") => {
                let v = value(&mut parser)?;
                seconds = v
                    .parse()
                    .map_err(|_| usage(format!("--seconds must be a whole number, got '{v}'")))?;
            }
            Long("install-only") => install_only = true,
            Long("minimize") => minimize = true,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            Value(v) => targets.push(v.to_string_lossy().into_owned()),
            other => return Err(usage(format!("{}\n\n{HELP}", other.unexpected()))),
        }
    }
    let cx = context(root)?;
    let cf = tool(&cx, "cargo-fuzz")?;
    if install_only {
        return Ok(());
    }
    let fuzz = cx.root.join("fuzz");
    let cargo_fuzz = |sub: &str| {
        let mut c = Command::new(&cf);
        c.arg(sub).current_dir(&fuzz).env("RUSTC_BOOTSTRAP", "1");
        c
    };
    if targets.is_empty() {
        targets = stdout_of(cargo_fuzz("list")).lines().map(str::to_string).collect();
        if targets.is_empty() {
            return Err(failed(format!("{} list named no targets", cf.display())));
        }
    }
    // The fuzz crate is a workspace of its own: its builds go to
    // fuzz/target, or to $CARGO_TARGET_DIR/fuzz when CARGO_TARGET_DIR is set
    // (not to $CARGO_TARGET_DIR itself, where these flags would fight the
    // release build of the same crates for <triple>/release).
    let build_dir = match env("CARGO_TARGET_DIR") {
        Some(_) => cx.target_dir.join("fuzz"),
        None => fuzz.join("target"),
    };
    // Optimised, with debug assertions (overflow checks) and without ASan:
    // in safe Rust libFuzzer alone catches panics, hangs and runaway
    // allocations, and ASan would halve the exec rate.
    let mut build = cargo_fuzz("build");
    build.args(["--sanitizer", "none", "--debug-assertions"]).env("CARGO_TARGET_DIR", &build_dir);
    run_ok(build, "cargo fuzz build")?;
    // The targets are run directly (not through `cargo fuzz run`, which
    // would rebuild whenever a source file changes while a long run goes on).
    let mut rustc = Command::new("rustc");
    rustc.arg("-vV");
    let vv = stdout_of(rustc);
    let triple = vv.lines().find_map(|l| l.strip_prefix("host: ")).ok_or("rustc -vV: no host");
    let bins = build_dir.join(triple.map_err(failed)?).join("release");
    mkdir(&cx.target_dir)?;
    let mut ok = true;
    for t in &targets {
        ok &= one(&cx, &fuzz, &bins.join(t), t, seconds, minimize)?;
    }
    if ok {
        Ok(())
    } else {
        Err(failed("a fuzz target failed"))
    }
}

/// Fuzzes (and minimizes) one target; false when libFuzzer found a failure.
fn one(
    cx: &Context,
    fuzz: &Path,
    bin: &Path,
    t: &str,
    seconds: u64,
    minimize: bool,
) -> Result<bool, Failure> {
    let scratch = cx.target_dir.join("fuzz-corpus").join(t);
    let corpus = format!("corpus/{t}");
    for dir in [scratch.clone(), fuzz.join(&corpus), fuzz.join("artifacts").join(t)] {
        mkdir(&dir)?;
    }
    let target = |log: &Path| -> Result<Command, Failure> {
        let file = File::create(log).map_err(|e| failed(format!("{}: {e}", log.display())))?;
        let mut c = Command::new(bin);
        c.current_dir(fuzz).stderr(file);
        Ok(c)
    };
    let mut ok = true;
    if seconds > 0 {
        log("fuzz", &format!("fuzzing {t} for {seconds}s"));
        let log_file = cx.target_dir.join(format!("fuzz-{t}.log"));
        let mut c = target(&log_file)?;
        c.arg(&scratch)
            .arg(&corpus)
            .arg(format!("-artifact_prefix=artifacts/{t}/"))
            .arg(format!("-max_total_time={seconds}"))
            .args(LIMITS)
            .arg("-print_final_stats=1");
        if !c.status().is_ok_and(|s| s.success()) {
            log(
                "fuzz",
                &format!("{t}: FAILED, see {} and fuzz/artifacts/{t}/", log_file.display()),
            );
            ok = false;
        }
        // libFuzzer's closing lines: the final stats and the run's end.
        let text =
            String::from_utf8_lossy(&std::fs::read(&log_file).unwrap_or_default()).into_owned();
        for line in text.lines().filter(|l| is_summary(l)) {
            eprintln!("{t}: {line}");
        }
    }
    if minimize {
        let fresh = cx.target_dir.join("fuzz-min").join(t);
        remove_dir(&fresh)?;
        mkdir(&fresh)?;
        let mut c = target(&cx.target_dir.join(format!("fuzz-min-{t}.log")))?;
        c.arg("-merge=1").arg(&fresh).arg(&corpus).arg(&scratch).args(LIMITS);
        run_ok(c, &format!("{t}: -merge=1"))?;
        let dest = fuzz.join(&corpus);
        remove_dir(&dest)?;
        let (files, bytes) = copy_files(&fresh, &dest)?;
        log(
            "fuzz",
            &format!("{t}: corpus minimized to {files} files, {} KB", bytes.div_ceil(1024)),
        );
    }
    Ok(ok)
}

/// `stat::…`, `#N DONE …` and `Done …` lines of libFuzzer's output.
fn is_summary(line: &str) -> bool {
    if line.starts_with("stat::") || line.starts_with("Done") {
        return true;
    }
    let Some(rest) = line.strip_prefix('#') else { return false };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let after = &rest[digits..];
    digits > 0 && after.starts_with(char::is_whitespace) && after.trim_start().starts_with("DONE")
}

/// Copies the files of `from` (libFuzzer's corpus: flat) into a new `to`;
/// returns their count and total size.
fn copy_files(from: &Path, to: &Path) -> Result<(usize, u64), Failure> {
    mkdir(to)?;
    let err = |p: &PathBuf, e: std::io::Error| failed(format!("{}: {e}", p.display()));
    let (mut files, mut bytes) = (0, 0);
    let entries = std::fs::read_dir(from).map_err(|e| err(&from.to_path_buf(), e))?;
    for entry in entries {
        let path = entry.map_err(|e| err(&from.to_path_buf(), e))?.path();
        if path.is_file() {
            let dest = to.join(path.file_name().unwrap_or_default());
            bytes += std::fs::copy(&path, &dest).map_err(|e| err(&dest, e))?;
            files += 1;
        }
    }
    Ok((files, bytes))
}

#[cfg(test)]
mod tests {
    use super::is_summary;

    #[test]
    fn libfuzzer_summary_lines_are_picked() {
        for l in [
            "stat::number_of_executed_units: 12",
            "#4096\tDONE   cov: 1",
            "Done 12 runs in 2 second(s)",
        ] {
            assert!(is_summary(l), "{l}");
        }
        for l in ["#4096\tNEW    cov: 1", "INFO: Seed: 1", "#\tDONE", "x stat::"] {
            assert!(!is_summary(l), "{l}");
        }
    }
}

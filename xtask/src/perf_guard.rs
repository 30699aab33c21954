//! `cargo xtask perf-guard [--update]`: the CI regression guard on
//! instruction counts, not wall time (wall time on a shared 2-core machine
//! is only good to about 10 %).
//!
//! It measures the shipped x86_64 binary (`package::shipped_x86_64`:
//! `DYNAMICDNS_BIN`, which `cargo xtask ci` sets to the packaged one, else
//! the release-lto build `cargo xtask package binary linux_x86_64` makes),
//! so that CI builds the optimised binary once and the budget is the
//! shipped binary's. The stream is `gen stream`'s (the benchmark kit's,
//! byte for byte: seed 1, 100,000 events in chunks of 50,000, zones from
//! lookups/dynamic_dns_providers.csv); `dynamicdns scp` runs under
//! `valgrind --tool=callgrind` with the stream replayed from a file on
//! stdin (no driver process, so nothing but the command is counted;
//! start-up and the zone table are included; an empty environment, as its
//! size moves the count); `gen check` then checks that
//! every event came back with the oracle's answer. Fails when the total
//! exceeds scripts/perf-budget.txt by more than `PERF_GUARD_TOLERANCE`
//! percent (default 3). A change that really costs more updates the budget
//! in the same commit, with the reason. The files go to `perf-guard/` in
//! the target directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::gen::{self, stream};
use crate::{failed, package, usage, Failure};

const HELP: &str = "\
Usage: cargo xtask perf-guard [--update]

Counts the instructions of `dynamicdns scp` (the shipped x86_64 binary, or
DYNAMICDNS_BIN) under callgrind on a fixed 100,000-event stream, checks every
answer against the oracle, and fails when the count exceeds the budget in
scripts/perf-budget.txt by more than PERF_GUARD_TOLERANCE percent (default 3).
--update measures and writes the budget file. Needs valgrind (installed with
apt-get when missing and run as root).
";

const EVENTS: usize = 100_000;
const CHUNK: usize = 50_000;
const SEED: u64 = 1;
const BUDGET_FILE: &str = "scripts/perf-budget.txt";

/// Runs `cargo xtask perf-guard ARGS…`.
pub(crate) fn run(root: &Path, args: &[std::ffi::OsString]) -> Result<(), Failure> {
    let update = match args.iter().map(|a| a.to_str()).collect::<Vec<_>>()[..] {
        [] => false,
        [Some("--update")] => true,
        [Some("-h" | "--help")] => {
            print!("{HELP}");
            return Ok(());
        }
        _ => return Err(usage(format!("unknown argument: {:?}\n\n{HELP}", args[0]))),
    };
    let tolerance: u64 = match package::env("PERF_GUARD_TOLERANCE") {
        Some(v) => v
            .parse()
            .map_err(|_| failed(format!("PERF_GUARD_TOLERANCE={v} is not a whole number")))?,
        None => 3,
    };
    let cx = package::context(root)?;
    let root = &cx.root;
    let work = cx.target_dir.join("perf-guard");
    let io = |p: &Path, e: std::io::Error| failed(format!("{}: {e}", p.display()));
    std::fs::create_dir_all(&work).map_err(|e| io(&work, e))?;
    ensure_debian(root, &["valgrind=valgrind"])
        .map_err(|e| failed(format!("valgrind is needed (apt-get install valgrind): {e}")))?;

    let start = Instant::now();
    let bin = package::shipped_x86_64(&cx)?;
    eprintln!("perf-guard: measuring {}", bin.display());
    let zones = work.join("zones.csv");
    gen::text::write_escu_zones(&root.join("lookups/dynamic_dns_providers.csv"), &zones)?;
    let stream = work.join(format!("dns_{EVENTS}.scp"));
    ensure_stream(root, &zones, &stream)?;

    eprintln!("perf-guard: running dynamicdns scp under callgrind");
    let log = work.join("callgrind.log");
    let reply = work.join("reply.scp");
    let file = |p: &Path| std::fs::File::create(p).map_err(|e| io(p, e));
    let input = std::fs::File::open(&stream).map_err(|e| io(&stream, e))?;
    let valgrind = on_path("valgrind").ok_or_else(|| failed("no valgrind on PATH"))?;
    // An empty environment: the loader and the standard library scan it at
    // start-up, so the count would move with the caller's (cargo's adds
    // some 30,000 instructions).
    let status = Command::new(valgrind)
        .env_clear()
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", work.join("callgrind.out").display()))
        .arg(&bin)
        .arg("scp")
        .stdin(input)
        .stdout(file(&reply)?)
        .stderr(file(&log)?)
        .status()
        .map_err(|e| failed(format!("running valgrind: {e}")))?;
    let log_text = std::fs::read_to_string(&log).map_err(|e| io(&log, e))?;
    if !status.success() {
        let lines: Vec<&str> = log_text.lines().collect();
        eprintln!("{}", lines[lines.len().saturating_sub(20)..].join("\n"));
        return Err(failed("dynamicdns scp failed under valgrind"));
    }
    // Every event back, with the oracle's answer and its fields unchanged.
    let replies = [("dynamicdns".to_string(), reply)];
    let (table, problems) = gen::check::check(&stream, &zones, "query", &replies, "")?;
    let check_md = work.join("check.md");
    std::fs::write(&check_md, &table).map_err(|e| io(&check_md, e))?;
    if !problems.is_empty() {
        eprint!("{table}{}\n{log_text}", problems.join("\n"));
        return Err(failed(format!(
            "dynamicdns did not answer all {EVENTS} events as the oracle does"
        )));
    }
    let total = collected(&log_text)
        .ok_or_else(|| failed(format!("no instruction count in {}", log.display())))?;
    let per_event = total / EVENTS as u64;

    let budget_file = root.join(BUDGET_FILE);
    if update {
        std::fs::write(&budget_file, budget_text(root, total, per_event))
            .map_err(|e| io(&budget_file, e))?;
        eprintln!("perf-guard: wrote {}", budget_file.display());
    }
    let text = std::fs::read_to_string(&budget_file).map_err(|e| {
        failed(format!("no budget file {} (run with --update): {e}", budget_file.display()))
    })?;
    let budget = budget(&text)
        .ok_or_else(|| failed(format!("{} holds no number", budget_file.display())))?;
    let limit = budget + budget * tolerance / 100;
    let change = (total as f64 - budget as f64) * 100.0 / budget as f64;
    println!(
        "perf-guard: {total} instructions ({per_event} per event) for {EVENTS} events; budget \
         {budget}, limit {limit} (+{tolerance} %): {change:+.2} %; {} s",
        start.elapsed().as_secs()
    );
    if total > limit {
        return Err(failed(format!(
            "over budget: {total} > {limit} instructions. If the cost is intended, run \
             cargo xtask perf-guard --update and say why in the commit."
        )));
    }
    println!("perf-guard: ok");
    Ok(())
}

/// Generates the stream unless the one there was made from the same zones
/// by the same generator (its stamp: a digest of both and the options).
fn ensure_stream(root: &Path, zones: &Path, out: &Path) -> Result<(), Failure> {
    let mut stamp = hmac_sha256::Hash::new();
    stamp.update(gen::read(zones)?);
    let gen_dir = root.join("xtask/src/gen");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&gen_dir)
        .map_err(|e| failed(format!("{}: {e}", gen_dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    sources.sort();
    for p in &sources {
        stamp.update(gen::read(p)?);
    }
    stamp.update(format!("seed={SEED} chunk={CHUNK} events={EVENTS}"));
    let stamp: String = stamp.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let stamp_file = PathBuf::from(format!("{}.stamp", out.display()));
    if out.is_file() && std::fs::read_to_string(&stamp_file).ok().as_deref() == Some(&stamp[..]) {
        return Ok(());
    }
    eprintln!("perf-guard: generating {EVENTS}-event stream");
    let o = stream::Options {
        zones: gen::read_escu_zones(zones)?,
        events: EVENTS,
        chunk: CHUNK,
        ddns_rate: 0.03,
        lookalike_rate: 0.001,
        seed: SEED,
        field: "query".into(),
        crlf: false,
    };
    let mut bytes = Vec::new();
    stream::write_stream(&o, &mut bytes).expect("writing to memory");
    gen::write(out, &bytes)?;
    gen::write(&stamp_file, stamp.as_bytes())
}

/// Installs the Debian packages of `tools` (`command=package`) that are
/// missing, by scripts/lib/common.sh's installer (outside tools stay in
/// shell), as the ci step `debian` does.
fn ensure_debian(root: &Path, tools: &[&str]) -> Result<(), String> {
    let status = Command::new("bash")
        .current_dir(root)
        .args(["-c", ". scripts/lib/common.sh && ensure_debian \"$@\"", "perf-guard"])
        .args(tools)
        .status()
        .map_err(|e| format!("running bash: {e}"))?;
    status.success().then_some(()).ok_or_else(|| format!("ensure_debian: {status}"))
}

/// The file `name` in the first directory of `PATH` that has it.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The total of callgrind's `==PID== Collected : N` line.
fn collected(log: &str) -> Option<u64> {
    log.lines().find_map(|l| {
        let rest = l.strip_prefix("==")?;
        let (pid, rest) = rest.split_once("== Collected : ")?;
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        rest.parse().ok().filter(|_| rest.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The budget: the file's lines other than `#` comments, whitespace
/// removed, as one number.
fn budget(text: &str) -> Option<u64> {
    let digits: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    digits.parse().ok().filter(|_| digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The budget file's text for a measured total.
fn budget_text(root: &Path, total: u64, per_event: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d, ..) = crate::gen::gmtime(now as i64);
    let head = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--short", "HEAD"])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or("?".into(), |o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    format!(
        "# Instruction budget of cargo xtask perf-guard: total instructions of\n\
         # 'dynamicdns scp' under callgrind on the fixed {EVENTS}-event stream\n\
         # (cargo xtask gen stream, seed {SEED}, chunks of {CHUNK}), start-up included, measured on\n\
         # the shipped x86_64 binary (cargo zigbuild, glibc 2.17, profile release-lto).\n\
         # Measured {y:04}-{m:02}-{d:02} at {head}: {per_event} per event.\n\
         {total}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_callgrinds_collected_line() {
        let log = "==12== Callgrind, a call-graph generating cache profiler\n\
                   ==12== Events    : Ir\n==12== Collected : 123243293\n==12==\n";
        assert_eq!(collected(log), Some(123_243_293));
        assert_eq!(collected("==12== Collected : 12x\n== Collected : 5\n"), None);
    }

    #[test]
    fn the_budget_is_the_uncommented_number() {
        assert_eq!(budget("# a 1\n# b\n121012584\n"), Some(121_012_584));
        assert_eq!(budget("# a\n 12 34 \n"), Some(1234));
        assert_eq!(budget("# a\n"), None);
        assert_eq!(budget("-5\n"), None);
    }

    #[test]
    fn the_budget_file_is_read_back() {
        let text = budget_text(Path::new("."), 123_243_293, 1232);
        assert_eq!(budget(&text), Some(123_243_293));
        assert!(text.lines().nth(4).unwrap().ends_with(": 1232 per event."), "{text}");
    }
}

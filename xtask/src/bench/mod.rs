//! `cargo xtask bench`: the reproducible interleaved benchmark of
//! `dynamicdns scp` against the pass-through floors and the splunklib peer,
//! with the benchmark kit in `../shared/bench` (its README.md and
//! `../shared/docs/perf-anchors.md`). The kit's scripts (bench.py,
//! drive.py, the splunklib peer) run as they are; the streams come from
//! `cargo xtask gen`'s code, called here.

mod flow;
mod report;

use crate::{failed, usage, Failure};
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SDK: &str = "splunk-sdk==2.1.1";

const HELP: &str = "\
Usage: cargo xtask bench [--shape narrow|sysmon] [--fields all|selected] [--events N]
                         [--mode host|text] [--rounds R] [--no-peer] [--check]

  --shape S    narrow (default): the kit's DNS events (9 fields, ~135 bytes
               on the wire); sysmon: the same events as Sysmon event 22 (DNS
               query) from the XmlWinEventLog sourcetype (46 fields, a
               ~1.2 KB XML _raw, ~1.8 KB on the wire; cargo xtask gen widen)
  --fields F   all (default): every field, as splunkd sends when the getinfo
               reply has no required_fields; selected: what splunkd sends
               after ours: the fields its required_fields declares (read
               from the built binary's real getinfo reply), _chunked_idx,
               their __mv_ twins
  --events N   events in the generated stream (default 1000000 narrow,
               100000 sysmon)
  --mode M     host (default); text (needs --shape sysmon --fields all):
               the same wide stream, its getinfo asking for `field=_raw
               mode=text`, so dynamicdns finds the query inside the XML
               `_raw`; its answers are checked against the same oracle, the
               splunklib peer (host names only) is left out; compare its CPU
               per event with a host-mode run
  --rounds R   interleaved rounds for bench.py (default 5)
  --no-peer    leave out the splunklib peer (about 30 s per round at 1M events)
               and skip setting up its venv
  --check      also run `drive.py --check` (lock-step, as splunkd) once per
               peer before timing and print its exit code, record count,
               match count and digest

What it does, all under target/bench/ (under CARGO_TARGET_DIR when set):
  1. finds the kit at ${BENCH_KIT:-../shared/bench}; the kit is only read
  2. with the splunklib peer: the venv with splunk-sdk==2.1.1
     (scripts/tools.sh splunk-sdk, under target/tools)
  3. writes zones.csv (`*.<zone>*, True` per row, ESCU format; as cargo
     xtask gen zones) from the `zone` column of
     lookups/dynamic_dns_providers.csv; the same list is compiled into the
     binary, and the splunklib peer reads zones.csv (DDNS_ZONES)
  4. generates dns_<N>.scp as cargo xtask gen stream (the kit's
     gen_stream.py byte for byte; seed 1, chunks of 50000), reused when its
     stamp (dns_<N>.scp.stamp: zones.csv, the generator's source, the
     arguments) matches; for --shape sysmon / --fields selected / --mode
     text derives sysmon_<N>[-text].scp and <stream>.sel.scp from it as
     cargo xtask gen widen (stamped the same way; the required_fields come
     from the built binary's getinfo reply)
  5. builds the kit's baseline into baseline-target/ and this crate
     (cargo build --profile release-lto, as shipped)
  6. always, before timing: runs dynamicdns (and splunklib) once untimed on
     the stream and checks the answers as cargo xtask gen check does: every
     record's (query, isDynDNS, zone) must equal an independent oracle's,
     and dynamicdns must pass every input field through unchanged; any
     disagreement stops the run (exit 1) before timing. With --check, each
     peer also runs once through drive.py --check (JSON in check-<RUN>.jsonl;
     its digests use `provider`, which holds provider names for dynamicdns
     and zones for splunklib, so compare match counts)
  7. runs bench.py with the peers csv (the base), echo, dynamicdns,
     splunklib; per-round progress goes to stderr, the Markdown table (with
     the run's conditions) is printed and saved to result-<RUN>.md, the JSON
     lines to result-<RUN>.jsonl, bench.py's raw output to
     bench-<RUN>.out/.err (RUN = N, sysmon-N, N-selected, sysmon-N-text …);
     exits 1 if any peer exited non-zero or died
  8. adds the summary against the targets (wall ratio to csv and to the
     echo floor, speed-up over splunklib, start-up, peak RSS) and each
     peer's request bytes and CPU per event

Environment:
  BENCH_KIT        benchmark kit directory (default ../shared/bench, from the repo root)
  ZONES_CSV        zone list instead of lookups/dynamic_dns_providers.csv
                   (a CSV with a `zone` column, or bare zones in the first column)
  DYNAMICDNS_CMD   command line of the dynamicdns peer instead of
                   \"target/release-lto/dynamicdns scp\"; when set, this crate is
                   not built
  BENCH_EXTRA_PEER one more peer for the same interleaved run, as LABEL=COMMAND
                   (e.g. \"before=target/before/dynamicdns scp\"); timed, not checked
  PYTHON           interpreter for the kit's scripts (default python3)
  BENCH_SETTLE     seconds to wait, before timing, for the 1-minute load average
                   to drop below 1.5 (default 60; 0 to skip)

Wall times on a shared 2-core machine are good to about +-10 %: compare the
ratios within one run, not absolute times across runs. It warns when the
1-minute load average is above 1.5 before or after the timed rounds
(perf-anchors.md took its figures below 1.5).
";

/// The command line.
struct Options {
    events: u64,
    shape: String,
    fields: String,
    mode: String,
    rounds: u64,
    with_peer: bool,
    check: bool,
}

fn parse(args: Vec<OsString>) -> Result<Option<Options>, Failure> {
    use lexopt::prelude::*;
    let (mut events, mut shape, mut fields, mut mode) =
        (None, "narrow".to_string(), "all".to_string(), "host".to_string());
    let (mut rounds, mut with_peer, mut check) = ("5".to_string(), true, false);
    let mut parser = lexopt::Parser::from_args(args);
    let value = |p: &mut lexopt::Parser| -> Result<String, Failure> {
        let v = p.value().map_err(|e| usage(e.to_string()))?;
        v.into_string().map_err(|v| usage(format!("not UTF-8: {v:?}")))
    };
    while let Some(arg) = parser.next().map_err(|e| usage(format!("{e}\n\n{HELP}")))? {
        match arg {
            Long("events") => events = Some(value(&mut parser)?),
            Long("shape") => shape = value(&mut parser)?,
            Long("fields") => fields = value(&mut parser)?,
            Long("mode") => mode = value(&mut parser)?,
            Long("rounds") => rounds = value(&mut parser)?,
            Long("no-peer") => with_peer = false,
            Long("check") => check = true,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(None);
            }
            other => return Err(usage(format!("{}\n\n{HELP}", other.unexpected()))),
        }
    }
    if shape != "narrow" && shape != "sysmon" {
        return Err(usage(format!("--shape must be narrow or sysmon, got '{shape}'")));
    }
    if fields != "all" && fields != "selected" {
        return Err(usage(format!("--fields must be all or selected, got '{fields}'")));
    }
    if !(mode == "host" || mode == "text" && shape == "sysmon" && fields == "all") {
        return Err(usage("--mode must be host, or text with --shape sysmon --fields all"));
    }
    let default = if shape == "narrow" { "1000000" } else { "100000" };
    let events = events.unwrap_or_else(|| default.to_string());
    let positive = |what: &str, v: &str| match v.parse::<u64>() {
        Ok(n) if n > 0 && !v.starts_with('0') && !v.starts_with('+') => Ok(n),
        _ => Err(usage(format!("--{what} must be a positive integer, got '{v}'"))),
    };
    Ok(Some(Options {
        events: positive("events", &events)?,
        rounds: positive("rounds", &rounds)?,
        with_peer: with_peer && mode == "host",
        shape,
        fields,
        mode,
        check,
    }))
}

fn say(msg: &str) {
    eprintln!("==> {msg}");
}

fn warn(msg: &str) {
    eprintln!("xtask bench: warning: {msg}");
}

/// A path from the environment, relative to the caller's directory.
fn env_path(name: &str) -> Option<PathBuf> {
    let v = std::env::var_os(name).filter(|v| !v.is_empty())?;
    Some(std::env::current_dir().map_or_else(|_| PathBuf::from(&v), |d| d.join(&v)))
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| failed(format!("{}: {e}", path.display()))
}

/// Runs `cmd` to completion; a failure names `what`.
fn status(cmd: &mut Command, what: &str) -> Result<(), Failure> {
    let st = cmd.status().map_err(|e| failed(format!("{what}: {e}")))?;
    if st.success() {
        Ok(())
    } else {
        Err(failed(format!("{what} failed ({st})")))
    }
}

/// The first line of a command's output (stdout, else stderr), or `?`.
fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            let text = if o.stdout.is_empty() { o.stderr } else { o.stdout };
            String::from_utf8_lossy(&text).lines().next().unwrap_or("?").to_string()
        })
        .unwrap_or_else(|| "?".to_string())
}

fn loadavg() -> Option<String> {
    fs::read_to_string("/proc/loadavg").ok()
}

fn load1() -> f64 {
    loadavg().and_then(|l| l.split_whitespace().next()?.parse().ok()).unwrap_or(0.0)
}

fn load3() -> String {
    loadavg()
        .map_or("?".to_string(), |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

fn warn_load(when: &str) {
    let l = load1();
    if l > 1.5 {
        warn(&format!("load average {l} {when}; wall times will be noisy"));
    }
}

/// The sha256 of `parts` in hex (the streams' stamps).
fn sha256(parts: &[&[u8]]) -> String {
    let mut h = hmac_sha256::Hash::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes `out` with `make` (saying `what`) unless its stamp file says it
/// was made from the same inputs (`stamp`).
fn stamped(
    out: &Path,
    stamp: &str,
    what: &str,
    make: impl FnOnce() -> Result<(), Failure>,
) -> Result<(), Failure> {
    let stamp_file = PathBuf::from(format!("{}.stamp", out.display()));
    let current = fs::read_to_string(&stamp_file).ok();
    if out.is_file() && current.as_deref().map(str::trim_end) == Some(stamp) {
        say(&format!("stream: {} already present", out.display()));
        return Ok(());
    }
    say(&format!("stream: {what}"));
    let _ = fs::remove_file(&stamp_file);
    make()?;
    fs::write(&stamp_file, format!("{stamp}\n")).map_err(io(&stamp_file))
}

fn gen(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Result<(), Failure> {
    crate::gen::run(args.iter().map(|a| a.as_ref().to_os_string()).collect())
}

/// Runs `cargo xtask bench ARGS…` from the repository `root`.
pub(crate) fn run(root: &Path, args: Vec<OsString>) -> Result<(), Failure> {
    let Some(o) = parse(args)? else { return Ok(()) };
    let settle: u64 = match std::env::var("BENCH_SETTLE") {
        Ok(v) if !v.is_empty() => {
            v.parse().map_err(|_| usage("BENCH_SETTLE must be a number of seconds".to_string()))?
        }
        _ => 60,
    };
    let root = root.canonicalize().map_err(io(root))?;
    let kit = env_path("BENCH_KIT").unwrap_or_else(|| root.join("../shared/bench"));
    let kit = kit.canonicalize().map_err(|_| failed("benchmark kit not found (set BENCH_KIT)"))?;
    for f in ["bench.py", "drive.py", "peer_splunklib.py", "baseline/Cargo.toml"] {
        if !kit.join(f).exists() {
            return Err(failed(format!("kit {} lacks {f}", kit.display())));
        }
    }
    let zones_src = env_path("ZONES_CSV")
        .unwrap_or_else(|| root.join("lookups").join(crate::zonebuild::LOOKUP_FILE_NAME));
    if !zones_src.is_file() {
        return Err(failed(format!(
            "zone list {} not found (set ZONES_CSV)",
            zones_src.display()
        )));
    }
    // Peer commands given in the environment (DYNAMICDNS_CMD …) are relative
    // to the repository, where the steps run.
    std::env::set_current_dir(&root).map_err(io(&root))?;
    let py = std::env::var("PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or("python3".into());
    let py_version = first_line(&py, &["--version"]);
    if py_version == "?" {
        return Err(failed(format!("{py} not found (set PYTHON)")));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = match std::env::var_os("DYNAMICDNS_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => crate::ci::target_dir(&root),
    };
    let work = target.join("bench");
    fs::create_dir_all(&work).map_err(io(&work))?;
    let (events, shape, fields, mode) = (o.events, &o.shape, &o.fields, &o.mode);
    let mut run = events.to_string();
    if shape != "narrow" {
        run = format!("{shape}-{run}");
    }
    if fields != "all" {
        run = format!("{run}-{fields}");
    }
    if mode != "host" {
        run = format!("{run}-{mode}");
    }
    let result = work.join(format!("result-{run}.md"));
    let result_json = work.join(format!("result-{run}.jsonl"));

    // 2. The splunklib peer's venv (an outside tool: scripts/tools.sh).
    let mut venv_python = None;
    if o.with_peer {
        let out = Command::new(root.join("scripts/tools.sh"))
            .arg("splunk-sdk")
            .current_dir(&root)
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| failed(format!("scripts/tools.sh splunk-sdk: {e}")))?;
        let bin = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || bin.is_empty() {
            return Err(failed("scripts/tools.sh splunk-sdk failed"));
        }
        let python = Path::new(&bin).join("python");
        status(
            Command::new(&python).args(["-c", "import splunklib.searchcommands"]),
            &format!("importing splunklib with {}", python.display()),
        )?;
        say(&format!("venv: {SDK} in {bin}"));
        venv_python = Some(python);
    }

    // 3. zones.csv, rewritten only when its content changes (the stamps
    //    below hash it).
    let zones = work.join("zones.csv");
    let tmp = work.join("zones.csv.tmp");
    let count = crate::gen::text::write_escu_zones(&zones_src, &tmp)?;
    let fresh = fs::read(&tmp).map_err(io(&tmp))?;
    if fs::read(&zones).ok().as_deref() == Some(&fresh[..]) {
        let _ = fs::remove_file(&tmp);
        say(&format!(
            "zones: {} unchanged ({count} zones from {})",
            zones.display(),
            zones_src.display()
        ));
    } else {
        fs::rename(&tmp, &zones).map_err(io(&zones))?;
        say(&format!(
            "zones: wrote {} ({count} zones from {})",
            zones.display(),
            zones_src.display()
        ));
    }

    // 4. The stream, reused only if made from the same inputs.
    let narrow = work.join(format!("dns_{events}.scp"));
    let gen_dir = root.join("xtask/src/gen");
    let mut sources: Vec<PathBuf> = fs::read_dir(&gen_dir)
        .map_err(io(&gen_dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    sources.sort();
    let mut inputs = vec![fresh];
    for s in &sources {
        inputs.push(fs::read(s).map_err(io(s))?);
    }
    inputs.push(format!("seed=1 chunk=50000 events={events}\n").into_bytes());
    let stamp = sha256(&inputs.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let what = format!("generating {} ({events} events)", narrow.display());
    stamped(&narrow, &stamp, &what, || {
        let tmp = work.join(format!("dns_{events}.scp.tmp"));
        let n = events.to_string();
        let args: [&dyn AsRef<std::ffi::OsStr>; 11] = [
            &"stream",
            &"--zones",
            &zones,
            &"--events",
            &n,
            &"--chunk",
            &"50000",
            &"--seed",
            &"1",
            &"--out",
            &tmp,
        ];
        gen(&args)?;
        fs::rename(&tmp, &narrow).map_err(io(&narrow))
    })?;

    // 5. Builds. The kit is only read: its lock file is used as is and its
    //    build goes to target/bench/baseline-target.
    say("build: kit baseline");
    let baseline_target = work.join("baseline-target");
    status(
        Command::new(&cargo)
            .args(["build", "--release", "--locked", "--manifest-path"])
            .arg(kit.join("baseline/Cargo.toml"))
            .arg("--target-dir")
            .arg(&baseline_target),
        "building the kit's baseline",
    )?;
    let baseline = baseline_target.join("release/scp-baseline");
    if !baseline.is_file() {
        return Err(failed(format!("baseline binary {} missing after build", baseline.display())));
    }
    let ddns_cmd = match std::env::var("DYNAMICDNS_CMD").ok().filter(|c| !c.is_empty()) {
        Some(cmd) => {
            say(&format!("build: skipping this crate, DYNAMICDNS_CMD={cmd}"));
            cmd
        }
        None => {
            say("build: dynamicdns (release-lto, as shipped)");
            status(
                Command::new(&cargo)
                    .args(["build", "--profile", "release-lto", "--locked"])
                    .current_dir(&root),
                "cargo build --profile release-lto",
            )?;
            let bin = target
                .join("release-lto")
                .join(format!("dynamicdns{}", std::env::consts::EXE_SUFFIX));
            if !bin.is_file() {
                return Err(failed(format!("{} missing after cargo build", bin.display())));
            }
            format!("{} scp", report::quote(&bin.to_string_lossy()))
        }
    };

    let cx = flow::Run {
        o,
        root,
        kit,
        work,
        zones,
        zones_src,
        py,
        py_version,
        run,
        result,
        result_json,
        settle,
    };
    flow::finish(&cx, &narrow, &baseline, &ddns_cmd, venv_python.as_deref())
}

/// The run's conditions, the result file's list under its title.
fn conditions(cx: &flow::Run, before: &str, after: &str, sdk: &str, stream: &Path) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    let git = |args: &[&str]| Command::new("git").args(args).current_dir(&cx.root).output().ok();
    let commit = git(&["rev-parse", "--short", "HEAD"])
        .filter(|o| o.status.success())
        .map_or("?".to_string(), |o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let paths = ["src", "Cargo.toml", "Cargo.lock", "build.rs", "lookups"];
    let clean = git(&[&["diff", "--quiet", "HEAD", "--"][..], &paths[..]].concat())
        .is_some_and(|o| o.status.success());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            let line = c.lines().find(|l| l.starts_with("model name"))?;
            Some(line.split_once(':')?.1.trim_start().to_string())
        })
        .unwrap_or_else(|| "?".to_string());
    let zones = fs::read(&cx.zones).map_or(0, |z| z.iter().filter(|&&b| b == b'\n').count());
    let src = cx.zones_src.strip_prefix(&cx.root).unwrap_or(&cx.zones_src);
    let name = stream.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    format!(
        "- date: {}\n\
         - commit: {commit}{}\n\
         - machine: {cores} CPUs, {model}\n\
         - load average before / after: {before} / {after}\n\
         - {}; {}{sdk}\n\
         - stream: {name} (cargo xtask gen stream, seed 1, chunk 50000), zones: {zones} from {}\n",
        report::utc(now.map_or(0, |d| d.as_secs() as i64)),
        if clean { "" } else { " (uncommitted changes)" },
        first_line("rustc", &["--version"]),
        cx.py_version,
        src.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(OsString::from).collect()) {
            Ok(o) => Ok(o.expect("not --help")),
            Err(f) => Err(f.message),
        }
    }

    #[test]
    fn options_and_defaults() {
        let o = opts(&[]).unwrap();
        assert_eq!((o.events, o.rounds, o.with_peer, o.check), (1_000_000, 5, true, false));
        let o = opts(&["--shape=sysmon", "--mode", "text", "--rounds=2", "--check"]).unwrap();
        assert_eq!((o.events, o.rounds, o.with_peer, o.check), (100_000, 2, false, true));
        let o = opts(&["--events", "20000", "--no-peer", "--fields", "selected"]).unwrap();
        assert_eq!((o.events, o.with_peer, o.fields.as_str()), (20_000, false, "selected"));
        for bad in [
            &["--events", "0"][..],
            &["--events", "012"],
            &["--rounds", "x"],
            &["--shape", "wide"],
            &["--fields", "some"],
            &["--mode", "text"],
            &["--shape", "sysmon", "--fields", "selected", "--mode", "text"],
            &["--frobnicate"],
        ] {
            assert!(opts(bad).is_err(), "{bad:?} accepted");
        }
    }
}

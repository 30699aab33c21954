//! The steps of `cargo xtask bench` after the builds: the derived streams,
//! the answers' check, `drive.py --check`, bench.py's timed rounds and the
//! result file.

use super::{failed, io, report, say, sha256, stamped, warn_load, Options};
use crate::Failure;
use std::fs;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What the steps share.
pub(super) struct Run {
    pub(super) o: Options,
    pub(super) root: PathBuf,
    pub(super) kit: PathBuf,
    pub(super) work: PathBuf,
    pub(super) zones: PathBuf,
    pub(super) zones_src: PathBuf,
    pub(super) py: String,
    pub(super) py_version: String,
    /// The run's name in the files' names: N, sysmon-N, N-selected …
    pub(super) run: String,
    pub(super) result: PathBuf,
    pub(super) result_json: PathBuf,
    /// Seconds to wait for the load to settle.
    pub(super) settle: u64,
}

/// A peer command line split into its words, as the kit splits it.
fn words(cmd: &str) -> Result<Vec<String>, Failure> {
    let w = report::split(cmd).map_err(|e| failed(format!("peer command: {e}")))?;
    if w.is_empty() {
        return Err(failed("empty peer command"));
    }
    Ok(w)
}

/// The file name of `p`.
fn base(p: &Path) -> String {
    p.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// `out` derived from the narrow stream as `cargo xtask gen widen` does,
/// stamped with the narrow stream's stamp and the arguments.
fn derive(narrow: &Path, out: &Path, args: &[String]) -> Result<(), Failure> {
    let stamp_file = PathBuf::from(format!("{}.stamp", narrow.display()));
    let narrow_stamp = fs::read(&stamp_file).map_err(io(&stamp_file))?;
    let line = format!("{}\n", args.join(" "));
    let stamp = sha256(&[&narrow_stamp, line.as_bytes()]);
    let what = format!("deriving {} (gen widen {})", out.display(), args.join(" "));
    stamped(out, &stamp, &what, || {
        let mut all: Vec<std::ffi::OsString> = vec!["widen".into(), narrow.into()];
        all.extend(args.iter().map(Into::into));
        crate::gen::run(all)
    })
}

pub(super) fn finish(
    cx: &Run,
    narrow: &Path,
    baseline: &Path,
    ddns_cmd: &str,
    venv_python: Option<&Path>,
) -> Result<(), Failure> {
    let (o, work) = (&cx.o, &cx.work);
    let (events, shape, fields, mode) = (o.events, o.shape.as_str(), &o.fields, &o.mode);
    let s = |p: &Path| p.display().to_string();

    // The wide and selected-fields streams, derived from the narrow one.
    let sysmon = work.join(format!("sysmon_{events}.scp"));
    let text = work.join(format!("sysmon_{events}-text.scp"));
    let selected =
        PathBuf::from(format!("{}-{shape}.sel.scp", s(narrow).trim_end_matches(".scp")));
    if shape == "sysmon" && fields == "all" && mode == "host" {
        derive(
            narrow,
            &sysmon,
            &["--shape".into(), "sysmon".into(), "--wide".into(), s(&sysmon)],
        )?;
    } else if mode == "text" {
        // The same events; only the getinfo request's arguments change.
        let args = ["--shape", "sysmon", "--getinfo-args", "field=_raw,mode=text", "--wide"];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(s(&text));
        derive(narrow, &text, &args)?;
    }
    let mut replaced = String::new();
    if fields == "selected" {
        let w = words(ddns_cmd)?;
        let rest: Vec<std::ffi::OsString> = w[1..].iter().map(Into::into).collect();
        let required =
            crate::gen::required_fields_of(narrow, w[0].as_ref(), &rest).map_err(|e| {
                failed(format!("could not read required_fields from {ddns_cmd}: {}", e.message))
            })?;
        let required = required.join(",");
        say(&format!("required_fields (from the getinfo reply): {required}"));
        let shape_arg = if shape == "sysmon" { "sysmon" } else { "none" };
        let args = ["--shape", shape_arg, "--required", &required, "--selected", &s(&selected)];
        derive(narrow, &selected, &args.map(String::from))?;
        // The written fields (declared after the field= ones) arrive as
        // empty columns and are filled in place.
        let written: Vec<&str> = required.split(',').skip(1).collect();
        let mv = written.iter().map(|f| format!("__mv_{f}"));
        replaced = written.iter().map(|f| f.to_string()).chain(mv).collect::<Vec<_>>().join(",");
    }
    let stream = if mode == "text" {
        text
    } else if fields == "selected" {
        selected
    } else if shape == "sysmon" {
        sysmon
    } else {
        narrow.to_path_buf()
    };

    let bl = report::quote(&s(baseline));
    let mut peers: Vec<(String, String)> = vec![
        ("csv".into(), format!("{bl} csv")),
        ("echo".into(), format!("{bl} echo")),
        ("dynamicdns".into(), ddns_cmd.to_string()),
    ];
    if let Some(python) = venv_python {
        let peer = report::quote(&s(&cx.kit.join("peer_splunklib.py")));
        peers.push(("splunklib".into(), format!("{} {peer}", report::quote(&s(python)))));
    }
    if let Some(extra) = std::env::var("BENCH_EXTRA_PEER").ok().filter(|e| !e.is_empty()) {
        let (label, cmd) = extra
            .split_once('=')
            .ok_or_else(|| crate::usage("BENCH_EXTRA_PEER must be LABEL=COMMAND"))?;
        peers.push((label.into(), cmd.into()));
    }
    let run = &cx.run;
    let kit_cmd = |script: &str| {
        let mut c = Command::new(&cx.py);
        c.arg(cx.kit.join(script)).env("DDNS_ZONES", &cx.zones).current_dir(&cx.root);
        c
    };

    // The answers must agree (always): one untimed run per answering peer,
    // its whole stdout kept, checked against the oracle and each other.
    let answering = if venv_python.is_some() { "dynamicdns and splunklib" } else { "dynamicdns" };
    say(&format!("check: answers of {answering} against the oracle"));
    let mut replies = Vec::new();
    for (label, cmd) in peers.iter().filter(|(l, _)| l == "dynamicdns" || l == "splunklib") {
        let w = words(cmd)?;
        let reply = work.join(format!("reply-{label}-{run}.scp"));
        let err = work.join(format!("reply-{label}-{run}.err"));
        let input = fs::File::open(&stream).map_err(io(&stream))?;
        let st = Command::new(&w[0])
            .args(&w[1..])
            .env("DDNS_ZONES", &cx.zones)
            .stdin(input)
            .stdout(fs::File::create(&reply).map_err(io(&reply))?)
            .stderr(fs::File::create(&err).map_err(io(&err))?)
            .status();
        if !st.is_ok_and(|st| st.success()) {
            return Err(failed(format!(
                "{label} exited non-zero on the stream (see {})",
                s(&err)
            )));
        }
        replies.push((label.clone(), reply));
    }
    let (table, problems) =
        crate::gen::check::check(&stream, &cx.zones, "query", &replies, &replaced)?;
    let agreement_file = work.join(format!("agreement-{run}.md"));
    fs::write(&agreement_file, &table).map_err(io(&agreement_file))?;
    if !problems.is_empty() {
        print!("{table}");
        for p in &problems {
            eprintln!("DISAGREEMENT: {p}");
        }
        return Err(failed("answers disagree (see above); not timing"));
    }
    eprint!("{table}");
    for (_, r) in &replies {
        let _ = fs::remove_file(r);
    }

    // With --check: one lock-step drive.py --check run per peer.
    if o.check {
        say("check: drive.py --check once per peer");
        let log = work.join(format!("check-{run}.jsonl"));
        fs::write(&log, "").map_err(io(&log))?;
        let mut problems = Vec::new();
        for (label, cmd) in &peers {
            let err = work.join(format!("check-{run}-{label}.err"));
            let ok = kit_cmd("drive.py")
                .arg("--stream")
                .arg(&stream)
                .args(["--check", "--label", label, "--json"])
                .arg(&log)
                .arg("--")
                .args(words(cmd)?)
                .stdout(Stdio::null())
                .stderr(fs::File::create(&err).map_err(io(&err))?)
                .status()
                .is_ok_and(|st| st.success());
            if !ok {
                problems.push(format!("drive.py failed for {label}, see {}", s(&err)));
            }
        }
        let text = fs::read_to_string(&log).map_err(io(&log))?;
        let rows = report::json_lines(&text).map_err(|e| failed(format!("{}: {e}", s(&log))))?;
        let (table, bad) = report::check_table(&rows, events);
        print!("{table}");
        problems.extend(bad);
        if !problems.is_empty() {
            for p in &problems {
                eprintln!("xtask bench: {p}");
            }
            return Err(failed("check failed (see above); not timing"));
        }
    }

    // The interleaved run.
    let labels: Vec<&str> = peers.iter().map(|(l, _)| l.as_str()).collect();
    say(&format!(
        "bench: {} rounds over {}, peers: {} ",
        o.rounds,
        base(&stream),
        labels.join(" ")
    ));
    // Builds (ours and anyone else's) raise the load: let it settle.
    let settle = cx.settle;
    let mut left = settle;
    while left > 0 && super::load1() > 1.5 {
        if left == settle {
            say(&format!(
                "load average {} > 1.5: waiting up to {settle} s for it to settle",
                super::load1()
            ));
        }
        std::thread::sleep(std::time::Duration::from_secs(5));
        left = left.saturating_sub(5);
    }
    warn_load("before the run");
    let load_before = super::load3();
    let _ = fs::remove_file(&cx.result_json);
    let raw_out = work.join(format!("bench-{run}.out"));
    let raw_err = work.join(format!("bench-{run}.err"));
    let mut bench = kit_cmd("bench.py");
    bench.arg("--stream").arg(&stream).args(["--rounds", &o.rounds.to_string(), "--base", "csv"]);
    bench.arg("--json").arg(&cx.result_json);
    for (label, cmd) in &peers {
        bench.arg("--peer").arg(format!("{label}={cmd}"));
    }
    // stdout (JSON lines and table) to a file; stderr (per-round progress)
    // both to the terminal and to a file, searched for failed runs below.
    let mut child = bench
        .stdout(fs::File::create(&raw_out).map_err(io(&raw_out))?)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("running bench.py: {e}")))?;
    let mut err_file = fs::File::create(&raw_err).map_err(io(&raw_err))?;
    let mut progress = String::new();
    for line in std::io::BufReader::new(child.stderr.take().expect("piped stderr")).lines() {
        let line = line.map_err(io(&raw_err))?;
        eprintln!("{line}");
        writeln!(err_file, "{line}").map_err(io(&raw_err))?;
        progress.push_str(&line);
        progress.push('\n');
    }
    if !child.wait().is_ok_and(|st| st.success()) {
        return Err(failed(format!(
            "bench.py failed (a peer that never answers getinfo makes it crash); see {}, or rerun with --check",
            s(&raw_err)
        )));
    }
    let load_after = super::load3();
    warn_load("after the run");

    let failures = report::failures(&progress);
    let sdk = if venv_python.is_some() { format!("; {}", super::SDK) } else { String::new() };
    let mut md = format!(
        "# dynamicdns benchmark: {events} events ({shape}, {fields} fields, {mode} mode), {} rounds\n\n",
        o.rounds
    );
    md.push_str(&super::conditions(cx, &load_before, &load_after, &sdk, &stream));
    for (label, cmd) in &peers {
        md.push_str(&format!("- peer `{label}`: `{cmd}`\n"));
    }
    if !failures.is_empty() {
        md.push_str("\n**Some runs failed, so these numbers are not valid:**\n\n");
        for f in &failures {
            md.push_str(&format!("    {f}\n"));
        }
    }
    md.push('\n');
    let out = fs::read_to_string(&raw_out).map_err(io(&raw_out))?;
    for l in out.lines().filter(|l| l.starts_with('|')) {
        md.push_str(l);
        md.push('\n');
    }
    // In text mode the host-mode targets do not apply: the shape is "sysmon text".
    let shape = if mode == "host" { shape.to_string() } else { format!("{shape} {mode}") };
    let json = fs::read_to_string(&cx.result_json).map_err(io(&cx.result_json))?;
    let rows =
        report::json_lines(&json).map_err(|e| failed(format!("{}: {e}", s(&cx.result_json))))?;
    let size = fs::metadata(&stream).map_err(io(&stream))?.len();
    md.push_str(&report::targets(&rows, &progress, size, &shape, fields));
    md.push('\n');
    md.push_str(&table);
    fs::write(&cx.result, &md).map_err(io(&cx.result))?;
    print!("\n{md}\n");
    say(&format!("saved {} and {}", s(&cx.result), s(&cx.result_json)));
    if !failures.is_empty() {
        return Err(failed(format!("some peer runs failed (see {})", s(&raw_err))));
    }
    Ok(())
}

//! The command line: `dynamicdns scp` (what Splunk runs), `check`,
//! `enrich` and `zones build`. Errors go to stderr, name the file and line,
//! and exit non-zero; a closed stdout (`| head`) ends quietly with 0.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::command::{Enricher, Options};
use crate::zones::{load, FileKind, LocalFiles, ZoneSet};

const MAIN_HELP: &str = "\
dynamicdns — flag hosts below dynamic-DNS provider zones (duckdns.org, no-ip …)

Usage:
  dynamicdns scp                      Splunk custom search command (SCP v2 on stdin/stdout)
  dynamicdns check [OPTIONS] [VALUE...]
                                      judge host names / URLs (arguments, or one per stdin line)
  dynamicdns enrich [OPTIONS] [FILE|-]
                                      add isDynDNS, provider, dyndns_zone to a CSV
  dynamicdns lookup [OPTIONS] [FIELD]
                                      Splunk external lookup (CSV on stdin/stdout)
  dynamicdns zones build [--data DIR] [--out FILE]
                                      rebuild lookups/dynamic_dns_providers.csv from data/
  dynamicdns --version

Run `dynamicdns <command> --help` for a command's options.
";

const SCP_HELP: &str = "\
Usage: dynamicdns scp

Speaks Splunk's custom search command protocol v2 (chunked) on stdin and
stdout; commands.conf runs it. SPL: | dynamicdns [field=<f>[,<f>...]] [mode=host|text]
";

/// The options `check` and `enrich` share, in both help texts.
macro_rules! common_options {
    () => {
        "  --tier T       all (default) or core: core uses only zones with provider-owned or
                 curated evidence, all adds the extended long tail (FreeDNS registry)
  --zones FILE   use this zone CSV (columns zone[,provider][,tier]) instead of the built-in list
  --lookups DIR  folder with dynamic_dns_providers_local.csv and dynamic_dns_allowlist.csv
                 (default: the app's lookups/ folder next to the binary, if any)
  --no-local     ignore those local files
  -h, --help     this help
"
    };
}

const CHECK_HELP: &str = concat!(
    "\
Usage: dynamicdns check [OPTIONS] [VALUE...]

Judges each VALUE (a host name, URL, host:port …), or each line of stdin when
no VALUE is given, and writes CSV: value,isDynDNS,provider,dyndns_zone — one
row per value, in input order.

Options:
  --text         search each value as free text for embedded host names
",
    common_options!()
);

const ENRICH_HELP: &str = concat!(
    "\
Usage: dynamicdns enrich [--field F]... [OPTIONS] [FILE|-]

Reads a CSV with a header row (FILE, or stdin when FILE is - or absent) and
writes it to stdout with isDynDNS, provider and dyndns_zone added. Every input
row comes out, in order, byte for byte, with the new fields appended.

Options:
  --field F      field to judge (repeatable, or F1,F2); default: query
  --text         search the fields as free text for embedded host names
",
    common_options!()
);

const LOOKUP_HELP: &str = concat!(
    "\
Usage: dynamicdns lookup [OPTIONS] [FIELD]

Splunk external lookup (transforms.conf external_type = executable). Reads a
CSV with a header row on stdin (the lookup's fields_list, e.g.
query,isDynDNS,provider,dyndns_zone) and writes the same CSV to stdout with
isDynDNS (True/False), provider and dyndns_zone filled from FIELD's value
(default: query). Rows that carry only output values (a reverse lookup) are
answered with FIELD=* (any host).

Options:
",
    common_options!()
);

const ZONES_HELP: &str = "\
Usage:
  dynamicdns zones build [--data DIR] [--out FILE]
      Rebuilds the shipped zone list from the vendored sources in DIR (default:
      data) and writes it to FILE (default: lookups/dynamic_dns_providers.csv;
      - for stdout), the excluded zones with their reasons beside it
      (dynamic_dns_excluded.csv) and DIR/suspicious_resolution.csv. The result
      is byte-for-byte reproducible.
  dynamicdns zones validate FILE...
      Checks local files (dynamic_dns_providers_local.csv: zone[,provider][,tier];
      dynamic_dns_allowlist.csv: host[,comment]); prints every bad row with its
      line and exits 1 if there is one.
  dynamicdns zones stats [FILE]
      Counts zones per tier, category, provider and source in a zone list
      (default: the shipped list in the app's lookups/ folder).
";

/// A command-line failure: message for stderr, and the exit code.
#[derive(Debug)]
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), code: 2 }
    }
    fn data(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), code: 1 }
    }
}

/// Runs the program with `args` (including the program name) and returns
/// its exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().skip(1).collect();
    let result = match args.first().and_then(|a| a.to_str()) {
        Some("scp") => return run_scp(&args[1..]),
        Some("lookup") => lookup(&args[1..]),
        Some("check") => check(&args[1..]),
        Some("enrich") => enrich(&args[1..]),
        Some("zones") => zones(&args[1..]),
        Some("-h" | "--help" | "help") => print(MAIN_HELP),
        Some("-V" | "--version") => print(&format!("dynamicdns {}\n", env!("CARGO_PKG_VERSION"))),
        Some(other) => Err(Failure::usage(format!("unknown command '{other}'\n\n{MAIN_HELP}"))),
        None => Err(Failure::usage(MAIN_HELP)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("dynamicdns: {}", f.message.trim_end());
            ExitCode::from(f.code)
        }
    }
}

fn print(text: &str) -> Result<(), Failure> {
    write_stdout(io::stdout().lock().write_all(text.as_bytes()))
}

/// Maps a stdout write result: a broken pipe (reader gone) is success.
fn write_stdout(r: io::Result<()>) -> Result<(), Failure> {
    match r {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failure::data(format!("writing output: {e}")))
        }
        _ => Ok(()),
    }
}

fn run_scp(args: &[OsString]) -> ExitCode {
    if let Some(a) = args.first() {
        if a == "-h" || a == "--help" {
            return match print(SCP_HELP) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            };
        }
        eprintln!(
            "dynamicdns: scp takes no arguments (SPL options arrive in the getinfo request)"
        );
        return ExitCode::from(2);
    }
    let source = crate::scp::ZoneSource {
        base: ZoneSet::embedded(),
        lookups: crate::zones::app_lookups_dir(),
    };
    let stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
    // A bug must still reach the user as an error reply, not as a silent
    // crash, so a panic is caught and reported through the protocol.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::scp::run(stdin, &mut stdout, &source)
    }));
    match outcome {
        Ok(Ok(summary)) => {
            eprintln!(
                "dynamicdns: {} execute requests, {} events, {} flagged isDynDNS=True",
                summary.executes, summary.records, summary.matched
            );
            ExitCode::SUCCESS
        }
        Ok(Err(e)) if e.is_write() => {
            // splunkd closed our stdout: the search is gone; nothing to say.
            eprintln!("dynamicdns: {e}");
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("dynamicdns: {e}");
            ExitCode::FAILURE
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let msg = format!("internal error in dynamicdns (please report): {what}");
            let _ = crate::frame::write_chunk(
                &mut io::stdout().lock(),
                &crate::scp::error_metadata(&msg),
                b"",
            );
            ExitCode::FAILURE
        }
    }
}

/// Options shared by `check` and `enrich`.
struct CommonArgs {
    options: Options,
    zones: Option<PathBuf>,
    lookups: Option<PathBuf>,
    no_local: bool,
    positional: Vec<OsString>,
    help: bool,
}

fn parse_common(args: &[OsString], allow_field: bool) -> Result<CommonArgs, Failure> {
    let mut fields = Vec::new();
    let mut text = false;
    let mut zones = None;
    let mut lookups = None;
    let mut no_local = false;
    let mut positional = Vec::new();
    let mut help = false;
    let mut it = args.iter();
    let mut only_positional = false;
    while let Some(arg) = it.next() {
        let s = arg.to_str().unwrap_or("");
        if only_positional || !s.starts_with('-') || s == "-" {
            positional.push(arg.clone());
            continue;
        }
        let (flag, inline) = match s.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(OsString::from(v))),
            _ => (s, None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| Failure::usage(format!("{name} needs a value")))
        };
        match flag {
            "--" => only_positional = true,
            "-h" | "--help" => help = true,
            "--text" => text = true,
            "--zones" => zones = Some(PathBuf::from(value("--zones")?)),
            "--lookups" => lookups = Some(PathBuf::from(value("--lookups")?)),
            "--no-local" => no_local = true,
            "--tier" => {
                let v = value("--tier")?;
                fields.push(format!("tier={}", v.to_string_lossy()));
            }
            "--field" | "-f" if allow_field => {
                let v = value("--field")?;
                fields.push(format!(
                    "field={}",
                    v.to_str().ok_or_else(|| Failure::usage("--field: not valid UTF-8"))?
                ));
            }
            _ => return Err(Failure::usage(format!("unknown option '{s}' (see --help)"))),
        }
    }
    if text {
        fields.push("mode=text".to_string());
    }
    let options = Options::from_args(&fields).map_err(|e| Failure::usage(e.to_string()))?;
    Ok(CommonArgs { options, zones, lookups, no_local, positional, help })
}

/// The zone set the CLI uses: the built-in list (or `--zones FILE`), the
/// selected tiers, and the local additions and allowlist of the app's
/// `lookups/` folder (or `--lookups DIR`) unless `--no-local`. Bad rows in
/// the local files are skipped with a warning, as in Splunk.
fn load_zones(common: &CommonArgs) -> Result<ZoneSet, Failure> {
    let base = match &common.zones {
        None => ZoneSet::embedded(),
        Some(p) => {
            let name = p.display().to_string();
            let f = File::open(p).map_err(|e| Failure::data(format!("{name}: {e}")))?;
            ZoneSet::from_csv(io::BufReader::new(f), &name)
                .map_err(|e| Failure::data(e.to_string()))?
        }
    };
    let set = base.with_tiers(common.options.tiers);
    if common.no_local {
        return Ok(set);
    }
    let Some(dir) = common.lookups.clone().or_else(crate::zones::app_lookups_dir) else {
        return Ok(set);
    };
    let local = LocalFiles::read(&dir);
    for p in &local.problems {
        eprintln!("dynamicdns: warning: {}: {p} (ignored)", dir.display());
    }
    Ok(local.apply(set))
}

fn check(args: &[OsString]) -> Result<(), Failure> {
    let common = parse_common(args, false)?;
    if common.help {
        return print(CHECK_HELP);
    }
    let zones = load_zones(&common)?;
    let mut enricher =
        Enricher::new(&zones, &common.options, false).map_err(|e| Failure::data(e.to_string()))?;
    let stdout = io::stdout().lock();
    let mut w = csv::Writer::from_writer(BufWriter::with_capacity(1 << 16, stdout));
    let mut result = (|| -> Result<(), Failure> {
        w.write_record(["value", "isDynDNS", "provider", "dyndns_zone"]).map_err(csv_write)?;
        let mut row = |value: &[u8], enricher: &mut Enricher| -> Result<(), Failure> {
            let v = enricher.verdict(value);
            w.write_record([value, v.is_dyndns.as_bytes(), v.providers, v.zones])
                .map_err(csv_write)
        };
        if common.positional.is_empty() {
            let mut stdin = io::stdin().lock();
            let mut line = Vec::new();
            loop {
                line.clear();
                if stdin
                    .read_until(b'\n', &mut line)
                    .map_err(|e| Failure::data(format!("stdin: {e}")))?
                    == 0
                {
                    break;
                }
                let v = line.strip_suffix(b"\n").unwrap_or(&line);
                let v = v.strip_suffix(b"\r").unwrap_or(v);
                row(v, &mut enricher)?;
            }
        } else {
            for a in &common.positional {
                row(a.as_encoded_bytes(), &mut enricher)?;
            }
        }
        Ok(())
    })();
    if result.is_ok() {
        result = w.flush().map_err(|e| Failure::data(format!("writing output: {e}")));
    }
    ignore_broken_pipe(result)
}

fn csv_write(e: csv::Error) -> Failure {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => {
            Failure { message: format!("writing output: {io}"), code: pipe_code(&io) }
        }
        other => Failure::data(format!("writing output: {other:?}")),
    }
}

/// Exit code 0 marks a broken pipe, mapped to success by the caller.
fn pipe_code(e: &io::Error) -> u8 {
    if e.kind() == io::ErrorKind::BrokenPipe {
        0
    } else {
        1
    }
}

fn ignore_broken_pipe(r: Result<(), Failure>) -> Result<(), Failure> {
    match r {
        Err(f) if f.code == 0 => Ok(()),
        Err(f) if f.message.contains("Broken pipe") => Ok(()),
        other => other,
    }
}

fn enrich(args: &[OsString]) -> Result<(), Failure> {
    let common = parse_common(args, true)?;
    if common.help {
        return print(ENRICH_HELP);
    }
    if common.positional.len() > 1 {
        return Err(Failure::usage("enrich takes one input file (see --help)"));
    }
    let zones = load_zones(&common)?;
    let path = common.positional.first().filter(|p| *p != "-");
    let (name, input): (String, Box<dyn Read>) = match path {
        Some(p) => {
            let name = Path::new(p).display().to_string();
            let f = File::open(p).map_err(|e| Failure::data(format!("{name}: {e}")))?;
            (name, Box::new(f))
        }
        None => ("<stdin>".to_string(), Box::new(io::stdin().lock())),
    };
    let mut enricher =
        Enricher::new(&zones, &common.options, false).map_err(|e| Failure::data(e.to_string()))?;
    let mut stdout = io::stdout().lock();
    ignore_broken_pipe(enrich_stream(&name, input, &mut stdout, &mut enricher, &common.options))
}

/// Streams `input` through the enricher in blocks, so memory stays bounded
/// by the block size plus the longest record.
fn enrich_stream(
    name: &str,
    mut input: impl Read,
    output: &mut impl Write,
    enricher: &mut Enricher,
    options: &Options,
) -> Result<(), Failure> {
    const BLOCK: usize = 1 << 20;
    let mut buf: Vec<u8> = Vec::with_capacity(BLOCK * 2);
    let mut out: Vec<u8> = Vec::with_capacity(BLOCK * 2);
    let mut lines_before = 0usize;
    // Offset of buf[0] in the input, so error offsets are the file's.
    let mut base = 0usize;
    let mut at_eof = false;
    let mut header_checked = false;
    while !at_eof {
        let filled = buf.len();
        buf.resize(filled + BLOCK, 0);
        let n = loop {
            match input.read(&mut buf[filled..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Failure::data(format!("{name}: {e}"))),
            }
        };
        buf.truncate(filled + n);
        at_eof = n == 0;
        out.clear();
        let (used, _) = enricher.process(&buf, 0, at_eof, &mut out).map_err(|e| {
            let line = lines_before + crate::record::line_of(&buf, e.offset);
            Failure::data(format!("{name}: line {line}: {}", e.shifted(base)))
        })?;
        if !header_checked && (used > 0 || at_eof) {
            header_checked = true;
            if enricher.fields_missing() || (at_eof && used == 0 && buf.is_empty()) {
                return Err(Failure::data(format!(
                    "{name}: line 1: the header has no field named {}",
                    options.fields.join(" or ")
                )));
            }
        }
        output.write_all(&out).map_err(|e| Failure {
            message: format!("writing output: {e}"),
            code: pipe_code(&e),
        })?;
        lines_before += memchr::memchr_iter(b'\n', &buf[..used]).count();
        base += used;
        buf.drain(..used);
    }
    output
        .flush()
        .map_err(|e| Failure { message: format!("writing output: {e}"), code: pipe_code(&e) })
}

/// `dynamicdns lookup`: one external-lookup request over stdin/stdout.
fn lookup(args: &[OsString]) -> Result<(), Failure> {
    let common = parse_common(args, false)?;
    if common.help {
        return print(LOOKUP_HELP);
    }
    if common.positional.len() > 1 {
        return Err(Failure::usage("lookup takes one input FIELD (see --help)"));
    }
    let field = match common.positional.first() {
        None => "query",
        Some(f) => f.to_str().ok_or_else(|| Failure::usage("FIELD: not valid UTF-8"))?,
    };
    let zones = load_zones(&common)?;
    let mut enricher =
        Enricher::new(&zones, &common.options, false).map_err(|e| Failure::data(e.to_string()))?;
    let stdin = io::BufReader::with_capacity(1 << 16, io::stdin().lock());
    let stdout = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match crate::lookup::lookup_stream(stdin, stdout, &mut enricher, field) {
        Ok(s) => {
            // splunkd copies stderr to search.log.
            eprintln!(
                "dynamicdns lookup: {} rows, {} answered, {} isDynDNS=True, {} reverse requests",
                s.rows, s.answered, s.matched, s.reverse
            );
            Ok(())
        }
        Err(e) if e.is_broken_pipe() => Ok(()),
        Err(e) => Err(Failure::data(format!("lookup: {e}"))),
    }
}

fn zones(args: &[OsString]) -> Result<(), Failure> {
    let mut it = args.iter().map(|a| a.to_string_lossy().into_owned());
    let sub = it.next();
    let rest: Vec<String> = it.collect();
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        return print(ZONES_HELP);
    }
    match sub.as_deref() {
        Some("build") => zones_build(&rest),
        Some("validate") => zones_validate(&rest),
        Some("stats") => zones_stats(&rest),
        Some("-h" | "--help") | None => print(ZONES_HELP),
        Some(other) => {
            Err(Failure::usage(format!("unknown zones command '{other}'\n\n{ZONES_HELP}")))
        }
    }
}

fn zones_build(args: &[String]) -> Result<(), Failure> {
    let mut data = PathBuf::from("data");
    let mut out = PathBuf::from("lookups/dynamic_dns_providers.csv");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .map(PathBuf::from)
                .ok_or_else(|| Failure::usage(format!("{name} needs a value")))
        };
        match a.as_str() {
            "--data" => data = value("--data")?,
            "--out" => out = value("--out")?,
            other => {
                return Err(Failure::usage(format!("unknown option '{other}'\n\n{ZONES_HELP}")))
            }
        }
    }
    let built = crate::zonebuild::build(&data).map_err(|e| Failure::data(e.to_string()))?;
    if out.as_os_str() == "-" {
        return write_stdout(io::stdout().lock().write_all(&built.lookup));
    }
    let excluded = out.with_file_name(crate::zonebuild::EXCLUDED_FILE_NAME);
    let resolution = data.join(crate::zonebuild::RESOLUTION_FILE_NAME);
    for (path, bytes) in
        [(&out, &built.lookup), (&excluded, &built.excluded), (&resolution, &built.resolution)]
    {
        std::fs::write(path, bytes)
            .map_err(|e| Failure::data(format!("{}: {e}", path.display())))?;
    }
    eprintln!(
        "dynamicdns: wrote {} ({} zones), {} ({} excluded) and {}",
        out.display(),
        built.lookup.iter().filter(|&&b| b == b'\n').count().saturating_sub(1),
        excluded.display(),
        built.excluded.iter().filter(|&&b| b == b'\n').count().saturating_sub(1),
        resolution.display()
    );
    Ok(())
}

/// Reports every bad row of each file; fails if any.
fn zones_validate(files: &[String]) -> Result<(), Failure> {
    if files.is_empty() {
        return Err(Failure::usage(format!("zones validate needs a file\n\n{ZONES_HELP}")));
    }
    let mut bad = 0;
    let mut report = String::new();
    for file in files {
        let bytes = std::fs::read(file).map_err(|e| Failure::data(format!("{file}: {e}")))?;
        // An allowlist is recognised by its `host` column (and no `zone`).
        let header = bytes.split(|&b| b == b'\n').next().unwrap_or(b"").to_ascii_lowercase();
        let cols: Vec<&[u8]> = header.split(|&b| b == b',').map(|c| c.trim_ascii()).collect();
        let kind = if cols.contains(&&b"host"[..]) && !cols.contains(&&b"zone"[..]) {
            FileKind::Allowlist
        } else {
            FileKind::Zones
        };
        let loaded = load(&bytes[..], file, kind);
        for p in &loaded.problems {
            report.push_str(&format!("{p}\n"));
        }
        bad += loaded.problems.len();
        let what = if kind == FileKind::Zones { "zones" } else { "allowlist entries" };
        report.push_str(&format!(
            "{file}: {} {what} OK, {} bad rows\n",
            loaded.table.len(),
            loaded.problems.len()
        ));
    }
    write_stdout(io::stdout().lock().write_all(report.as_bytes()))?;
    if bad > 0 {
        return Err(Failure::data(format!("{bad} bad rows")));
    }
    Ok(())
}

/// Counts per tier, category, provider and source in a zone list.
fn zones_stats(args: &[String]) -> Result<(), Failure> {
    let path = match args {
        [] => crate::zones::app_lookups_dir()
            .map(|d| d.join("dynamic_dns_providers.csv"))
            .ok_or_else(|| {
                Failure::data("no lookups/ folder found next to the binary; name the file")
            })?,
        [f] => PathBuf::from(f),
        _ => return Err(Failure::usage(format!("zones stats takes one file\n\n{ZONES_HELP}"))),
    };
    let name = path.display().to_string();
    let mut rdr =
        csv::Reader::from_path(&path).map_err(|e| Failure::data(format!("{name}: {e}")))?;
    let headers = rdr.headers().map_err(|e| Failure::data(format!("{name}: {e}")))?.clone();
    let col = |n: &str| headers.iter().position(|h| h == n);
    let cols =
        [("tier", col("tier")), ("category", col("category")), ("provider", col("provider"))];
    let sources_col = col("sources");
    let mut counts: Vec<std::collections::BTreeMap<String, u64>> = vec![Default::default(); 4];
    let mut total = 0u64;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Failure::data(format!("{name}: {e}")))?;
        total += 1;
        for (i, (_, c)) in cols.iter().enumerate() {
            if let Some(v) = c.and_then(|c| rec.get(c)) {
                let v = if v.is_empty() { "(none)" } else { v };
                *counts[i].entry(v.to_string()).or_default() += 1;
            }
        }
        if let Some(v) = sources_col.and_then(|c| rec.get(c)) {
            for s in v.split(';').filter(|s| !s.is_empty()) {
                *counts[3].entry(s.to_string()).or_default() += 1;
            }
        }
    }
    let mut out = format!("{name}: {total} zones\n");
    let titles = ["tier", "category", "provider", "source"];
    for (title, map) in titles.iter().zip(&counts) {
        if map.is_empty() {
            continue;
        }
        out.push_str(&format!("\nby {title}:\n"));
        let mut rows: Vec<(&String, &u64)> = map.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, v) in rows {
            out.push_str(&format!("{v:>9}  {k}\n"));
        }
    }
    write_stdout(io::stdout().lock().write_all(out.as_bytes()))
}

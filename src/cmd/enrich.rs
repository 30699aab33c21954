//! `dynamicdns enrich [FILE|-]`: streams a CSV, JSON lines or a Zeek log
//! through the engine's one `enrich` driver; memory stays bounded by the
//! block size plus the longest record. The driver returns what went wrong
//! or was passed over; this prints it with the input's name.

use std::cell::{Cell, RefCell};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::rc::Rc;

use dynamicdns_engine::enrich::{self, EnrichError};

use crate::flags::{self, Cmd};
use crate::CliError;

/// Runs `enrich` with the arguments after its name.
pub fn run(args: Vec<OsString>) -> Result<(), CliError> {
    let args = flags::parse(Cmd::Enrich, args)?;
    if args.help {
        return crate::print(&flags::help(Cmd::Enrich));
    }
    if args.positional.len() > 1 {
        return Err(CliError::Usage("enrich takes one input file (see --help)".to_string()));
    }
    let zones = super::load_zones(&args)?;
    let path = args.positional.first().filter(|p| *p != "-");
    let (name, input): (String, Box<dyn Read>) = match path {
        Some(p) => {
            let name = Path::new(p).display().to_string();
            let f =
                File::open(p).map_err(|source| CliError::Input { name: name.clone(), source })?;
            (name, Box::new(f))
        }
        None => ("<stdin>".to_string(), Box::new(io::stdin().lock())),
    };
    // The progress line of a person watching (stderr a terminal), fed by
    // the driver's counts and the bytes read.
    let unit = match args.enrich_format {
        enrich::Format::Csv => "records",
        enrich::Format::Jsonl | enrich::Format::Zeek => "lines",
    };
    let mut progress = super::progress::Progress::for_stderr(unit);
    let bytes = Rc::new(Cell::new(0u64));
    let head = Rc::new(RefCell::new(Vec::new()));
    let input = Counted { inner: input, bytes: Rc::clone(&bytes), head: Rc::clone(&head) };
    let summary = enrich::run_with_progress(
        args.enrich_format,
        &zones,
        &args.options,
        args.pass_bad_lines,
        input,
        io::stdout().lock(),
        &mut |s| {
            progress.records = s.records;
            progress.hits = s.matched;
            progress.bytes = bytes.get();
            progress.tick();
        },
    )
    .map_err(|e| match e {
        EnrichError::Read(source) => CliError::Input { name: name.clone(), source },
        EnrichError::Write(e) => CliError::Write(e),
        EnrichError::Input(source) => {
            // A first line that fails is often the wrong --format.
            let looks_like = (source.line == 1)
                .then(|| enrich::Format::sniff(&head.borrow()))
                .flatten()
                .filter(|&f| f != args.enrich_format);
            CliError::Body { name: name.clone(), source, looks_like }
        }
    })?;
    progress.records = summary.records;
    progress.hits = summary.matched;
    progress.bytes = bytes.get();
    progress.finish(&name);
    if let Some(first) = &summary.first_bad {
        eprintln!(
            "dynamicdns: {name}: {} bad lines passed through unchanged (first: {first})",
            summary.passed_bad
        );
    }
    for field in &summary.unseen_fields {
        eprintln!("dynamicdns: {name}: no line has the field {field}");
    }
    Ok(())
}

/// The first bytes of the input kept for [`enrich::Format::sniff`].
const HEAD: usize = 4096;

/// A reader that counts the bytes read through it (for the progress line)
/// and keeps the first [`HEAD`] of them (for a hint on the format).
struct Counted<R> {
    inner: R,
    bytes: Rc<Cell<u64>>,
    head: Rc<RefCell<Vec<u8>>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut head = self.head.borrow_mut();
        let keep = n.min(HEAD - head.len());
        head.extend_from_slice(&buf[..keep]);
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

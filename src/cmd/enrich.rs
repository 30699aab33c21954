//! `dynamicdns enrich [FILE|-]`: streams a CSV through the enricher, so
//! memory stays bounded by the block size plus the longest record.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use dynamicdns_engine::enrich::{BodyStream, Dialect, Enricher};

use crate::flags::{self, Cmd, EnrichFormat};
use crate::CliError;

/// Bytes read at a time.
const BLOCK: usize = 1 << 20;

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
    if args.enrich_format != EnrichFormat::Csv {
        return super::enrich_lines::run(&name, input, &zones, &args);
    }
    if args.pass_bad_lines {
        return Err(CliError::Usage("--pass-bad-lines is for --format jsonl or zeek".into()));
    }
    let mut enricher = Enricher::new(&zones, &args.options, Dialect::PlainCsv)?;
    let fields = args.options.fields.join(" or ");
    stream(&name, input, &mut io::stdout().lock(), &mut enricher, &fields)
}

/// Enriches `input` into `output` block by block. The header must name one
/// of the fields (`fields`, for the message).
fn stream(
    name: &str,
    mut input: impl Read,
    output: &mut impl Write,
    enricher: &mut Enricher,
    fields: &str,
) -> Result<(), CliError> {
    let mut stream = BodyStream::new();
    stream.start(enricher);
    let mut out = Vec::with_capacity(BLOCK * 2);
    let mut header_checked = false;
    let mut progress = super::progress::Progress::for_stderr("records");
    loop {
        let n = read_block(&mut input, stream.input())
            .map_err(|source| CliError::Input { name: name.to_string(), source })?;
        let at_eof = n == 0;
        out.clear();
        let counts = stream
            .process(enricher, at_eof, &mut out)
            .map_err(|source| CliError::Body { name: name.to_string(), source })?;
        progress.records += counts.records;
        progress.hits += counts.matched;
        progress.bytes += n as u64;
        if !header_checked && (enricher.header_read() || at_eof) {
            header_checked = true;
            if enricher.fields_missing() || !enricher.header_read() {
                return Err(CliError::Data(format!(
                    "{name}: line 1: the header has no field named {fields}"
                )));
            }
        }
        output.write_all(&out).map_err(CliError::Write)?;
        if at_eof {
            output.flush().map_err(CliError::Write)?;
            progress.finish(name);
            return Ok(());
        }
        progress.tick();
    }
}

/// Appends up to [`BLOCK`] bytes of `input` to `buf`; 0 at end of input.
fn read_block(input: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<usize> {
    let filled = buf.len();
    buf.resize(filled + BLOCK, 0);
    let n = loop {
        match input.read(&mut buf[filled..]) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                buf.truncate(filled);
                return Err(e);
            }
        }
    };
    buf.truncate(filled + n);
    Ok(n)
}

//! `cargo xtask stress`: feeds several GB of SCP v2 traffic through the
//! shipped release binary (`dynamicdns scp`; `package::shipped_x86_64`:
//! `DYNAMICDNS_BIN`, else the release-lto build) and checks that peak memory
//! stays flat, i.e. bounded by the largest chunk, not by the total fed.
//!
//! The stream is `gen stress`'s (a getinfo request, then execute requests of
//! M MB of DNS-shaped CSV), written to the command's stdin from a thread;
//! the replies go to the null device. Peak RSS (`VmHWM` in
//! `/proc/<pid>/status`) is sampled every 0.1 s.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::gen::scp::StressStream;
use crate::{failed, package, usage, Failure};

const HELP: &str = "\
Usage: cargo xtask stress [--gb N] [--chunk-mb M] [--max-rss-mb R] [--time-limit S]

Feeds a getinfo request and about N GB (default 4) of execute requests of M MB
(default 32) of DNS-shaped CSV (hosts that match and do not, multivalue cells,
quoted values with commas and newlines, 2 KB `_raw` values) through
`dynamicdns scp` (the shipped x86_64 binary, or DYNAMICDNS_BIN=FILE). Peak RSS
is sampled throughout; the run fails if it exceeds R MB (default: 4 x M + 64),
if the peak after the first ~4 s differs from the final peak by more than 10%
(memory growing with input), if the command fails, or if it takes longer than
S seconds (default 600).
";

/// Samples taken before the peak is noted for the comparison with the final
/// one: ~4 s, several chunks.
const EARLY_SAMPLES: u32 = 40;
const SAMPLE: Duration = Duration::from_millis(100);

/// Runs `cargo xtask stress ARGS…`.
pub(crate) fn run(root: &Path, args: Vec<std::ffi::OsString>) -> Result<(), Failure> {
    use lexopt::prelude::*;
    let (mut gb, mut chunk_mb, mut max_rss_mb, mut time_limit) = (4u64, 32u64, None, 600u64);
    let mut parser = lexopt::Parser::from_args(args);
    let number = |parser: &mut lexopt::Parser| -> Result<u64, Failure> {
        let v = parser.value().map_err(|e| usage(e.to_string()))?;
        let v = v.to_string_lossy();
        v.parse().map_err(|_| usage(format!("numbers only, got '{v}'")))
    };
    while let Some(arg) = parser.next().map_err(|e| usage(e.to_string()))? {
        match arg {
            Long("gb") => gb = number(&mut parser)?,
            Long("chunk-mb") => chunk_mb = number(&mut parser)?,
            Long("max-rss-mb") => max_rss_mb = Some(number(&mut parser)?),
            Long("time-limit") => time_limit = number(&mut parser)?,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(usage(format!("{}\n\n{HELP}", other.unexpected()))),
        }
    }
    let max_rss_mb = max_rss_mb.unwrap_or(4 * chunk_mb + 64);
    let cx = package::context(root)?;
    let bin = package::shipped_x86_64(&cx)?;
    eprintln!("stress: feeding {}", bin.display());
    // Built before the clock starts; then it only repeats one chunk's bytes.
    let stream = StressStream::new(gb, chunk_mb)?;

    let start = Instant::now();
    let mut child = Command::new(&bin)
        .arg("scp")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("{}: {e}", bin.display())))?;
    let (mut input, mut errors) = (child.stdin.take(), child.stderr.take());
    let (status, err, peak, early) = std::thread::scope(|s| {
        // A write error means the command stopped reading: its exit status
        // and stderr tell why.
        s.spawn(|| {
            if let Some(mut w) = input.take() {
                if stream.write(&mut w).is_ok() {
                    eprintln!("stress: {}", stream.summary());
                }
            }
        });
        let err = s.spawn(|| {
            let mut text = Vec::new();
            if let Some(mut r) = errors.take() {
                let _ = r.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        });
        let status_file = format!("/proc/{}/status", child.id());
        let (mut peak, mut early, mut samples) = (0u64, None, 0u32);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) => {}
                Err(e) => break Err(failed(format!("waiting for {}: {e}", bin.display()))),
            }
            if let Some(hwm) =
                std::fs::read_to_string(&status_file).ok().as_deref().and_then(vm_hwm)
            {
                peak = hwm;
            }
            samples += 1;
            if samples == EARLY_SAMPLES {
                early = Some(peak);
            }
            if start.elapsed().as_secs_f64() > time_limit as f64 {
                let _ = child.kill();
                let _ = child.wait();
                break Err(failed(format!("time limit of {time_limit}s exceeded")));
            }
            std::thread::sleep(SAMPLE);
        };
        let err = err.join().unwrap_or_default();
        status.map(|s| (s, err, peak, early))
    })?;
    let secs = start.elapsed().as_secs_f64();
    if !status.success() {
        let code = status.code().map_or(status.to_string(), |c| c.to_string());
        return Err(failed(format!("dynamicdns scp exited {code}: {err}")));
    }
    if err.contains("panicked") {
        return Err(failed(format!("panic: {err}")));
    }
    let summary = err.lines().last().unwrap_or_default();
    let peak_mb = peak / 1024;
    let early_mb = early.unwrap_or(peak) / 1024;
    let rate = (gb as f64 * 1024.0 / secs) as u64;
    println!(
        "stress: fed ~{gb} GB in {chunk_mb} MB chunks in {secs:.1}s (~{rate} MB/s); peak RSS \
         {peak_mb} MB (after ~4s: {early_mb} MB; limit {max_rss_mb} MB)"
    );
    println!("stress: {summary}");
    if peak_mb > max_rss_mb {
        return Err(failed(format!("peak RSS {peak_mb} MB exceeds {max_rss_mb} MB")));
    }
    if peak_mb * 10 > early_mb * 11 {
        return Err(failed(format!(
            "peak RSS grew from {early_mb} MB to {peak_mb} MB during the run"
        )));
    }
    Ok(())
}

/// `VmHWM` (peak resident set, kB) of a `/proc/<pid>/status` text.
fn vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_peak_is_vm_hwm() {
        let status =
            "Name:\tdynamicdns\nVmPeak:\t  20000 kB\nVmHWM:\t    3412 kB\nVmRSS:\t 3000 kB\n";
        assert_eq!(super::vm_hwm(status), Some(3412));
        assert_eq!(super::vm_hwm("Name:\tx\n"), None);
    }
}

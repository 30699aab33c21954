//! The progress line of a long `enrich`, for a person watching: with stderr
//! a terminal, one rewritten stderr line (at most four times a second)
//! with the records, bytes/s and hits so far, and a one-line summary at the
//! end. Nothing at all when stderr is not a terminal: splunkd, scripts and
//! logs get no stderr lines (scp and lookup never use this).

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

/// The shortest time between two redraws.
const EVERY: Duration = Duration::from_millis(250);

/// Counts so far and when they were last shown.
pub struct Progress {
    /// Redraw the live line (stderr a terminal, stdout not the same screen).
    live: bool,
    /// Write the summary (stderr a terminal).
    summary: bool,
    /// What a record is called (`records`, `lines`).
    unit: &'static str,
    start: Instant,
    last: Instant,
    shown: bool,
    finished: bool,
    /// Records read.
    pub records: u64,
    /// Input bytes read.
    pub bytes: u64,
    /// Records with a dynamic-DNS match.
    pub hits: u64,
}

impl Progress {
    /// Progress for this process's stderr. The live line stays off when
    /// stdout is a terminal too: the records written there would tear it.
    pub fn for_stderr(unit: &'static str) -> Progress {
        let summary = io::stderr().is_terminal();
        Progress::new(summary && !io::stdout().is_terminal(), summary, unit, Instant::now())
    }

    fn new(live: bool, summary: bool, unit: &'static str, start: Instant) -> Progress {
        Progress {
            live,
            summary,
            unit,
            start,
            last: start,
            shown: false,
            finished: false,
            records: 0,
            bytes: 0,
            hits: 0,
        }
    }

    /// Redraws the line if it is due.
    pub fn tick(&mut self) {
        if !self.live {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.last) >= EVERY {
            self.last = now;
            self.shown = true;
            let line = self.line(now);
            // A progress line that cannot be written is no failure.
            let _ = write!(io::stderr().lock(), "\r{line}\x1b[K");
        }
    }

    /// Replaces the live line by the summary (nothing when stderr is not
    /// a terminal).
    pub fn finish(&mut self, name: &str) {
        self.finished = true;
        if !self.summary {
            return;
        }
        let line = self.line(Instant::now());
        let clear = if self.shown { "\r\x1b[K" } else { "" };
        let _ = writeln!(io::stderr().lock(), "{clear}dynamicdns: enrich {name}: {line}");
    }

    /// `N records, X MB in T s (R MB/s), H hits`.
    fn line(&self, now: Instant) -> String {
        let unit = self.unit;
        let secs = now.duration_since(self.start).as_secs_f64();
        let mb = self.bytes as f64 / 1e6;
        let rate = if secs > 0.0 { mb / secs } else { 0.0 };
        format!(
            "{} {unit}, {mb:.1} MB in {secs:.1} s ({rate:.1} MB/s), {} hits",
            self.records, self.hits
        )
    }
}

impl Drop for Progress {
    /// A run that stops with an error clears its line, so the error
    /// message starts a line of its own.
    fn drop(&mut self) {
        if self.shown && !self.finished {
            let _ = write!(io::stderr().lock(), "\r\x1b[K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_records_rate_and_hits() {
        let start = Instant::now();
        let mut p = Progress::new(false, false, "records", start);
        p.records = 1500;
        p.bytes = 3_000_000;
        p.hits = 7;
        let line = p.line(start + Duration::from_secs(2));
        assert_eq!(line, "1500 records, 3.0 MB in 2.0 s (1.5 MB/s), 7 hits");
        // Off: no line is drawn or counted as shown.
        p.tick();
        assert!(!p.shown);
    }
}

//! The table of step times that `cargo xtask ci` prints at the end, and up
//! to the failing step when one fails (also saved as
//! `target/test-logs/times.md`).

use std::fmt::Write;

/// The suffix of a lane-2 step's name in the table.
pub(crate) const LANE2_SUFFIX: &str = " (lane 2)";

/// One row: a step, its wall time and whether it passed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) secs: f64,
    pub(crate) ok: bool,
}

/// `m:ss.s`, after rounding to tenths of a second (so 59.96 s is `1:00.0`).
pub(crate) fn mmss(secs: f64) -> String {
    let tenths = (secs.max(0.0) * 10.0).round() as u64;
    format!("{}:{:02}.{}", tenths / 600, tenths % 600 / 10, tenths % 10)
}

/// The table: a blank line, the title with the number of cores, one row per
/// step, the total, and a note on overlapping times when lane 2 ran beside
/// lane 1.
pub(crate) fn render(rows: &[Row], total_secs: f64, cores: usize) -> String {
    let mut t = String::new();
    let line = |t: &mut String, name: &str, time: &str, result: &str| {
        writeln!(t, "| {name:<22} | {time:>9} | {result:<6} |").unwrap();
    };
    writeln!(t, "\n== step times (wall, {cores} cores)").unwrap();
    line(&mut t, "step", "time", "result");
    writeln!(t, "|------------------------|----------:|--------|").unwrap();
    for r in rows {
        line(&mut t, &r.name, &mmss(r.secs), if r.ok { "ok" } else { "FAILED" });
    }
    line(&mut t, "total", &mmss(total_secs), "");
    if rows.iter().any(|r| r.name.ends_with(LANE2_SUFFIX)) {
        t.push_str(
            "(lane 2 ran beside lane 1 from the package step on: its times overlap lane 1's;\n \
             lane2-wait is how long lane 1 then waited for it)\n",
        );
    }
    t
}

/// The last line: `steps: N passed, M failed`.
pub(crate) fn summary(rows: &[Row]) -> String {
    let passed = rows.iter().filter(|r| r.ok).count();
    format!("steps: {passed} passed, {} failed", rows.len() - passed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, secs: f64, ok: bool) -> Row {
        Row { name: name.into(), secs, ok }
    }

    #[test]
    fn times_are_minutes_and_tenths() {
        assert_eq!(mmss(0.0), "0:00.0");
        assert_eq!(mmss(0.84), "0:00.8");
        assert_eq!(mmss(5.25), "0:05.3");
        assert_eq!(mmss(59.96), "1:00.0");
        assert_eq!(mmss(258.04), "4:18.0");
        assert_eq!(mmss(3600.0), "60:00.0");
    }

    #[test]
    fn the_table_has_the_known_layout() {
        let rows = [row("fmt", 0.8, true), row("clippy", 57.8, true)];
        assert_eq!(
            render(&rows, 58.64, 2),
            "
== step times (wall, 2 cores)
| step                   |      time | result |
|------------------------|----------:|--------|
| fmt                    |    0:00.8 | ok     |
| clippy                 |    0:57.8 | ok     |
| total                  |    0:58.6 |        |
"
        );
        assert_eq!(summary(&rows), "steps: 2 passed, 0 failed");
    }

    #[test]
    fn a_failure_and_lane_2_show() {
        let rows = [
            row("test", 61.0, true),
            row("lane2-wait", 0.0, true),
            row("exports (lane 2)", 50.0, true),
            row("audit (lane 2)", 3.0, false),
        ];
        let t = render(&rows, 125.0, 4);
        assert!(t.contains("\n| test                   |    1:01.0 | ok     |\n"), "{t}");
        assert!(t.contains("\n| audit (lane 2)         |    0:03.0 | FAILED |\n"), "{t}");
        assert!(t.ends_with(
            "| total                  |    2:05.0 |        |\n\
             (lane 2 ran beside lane 1 from the package step on: its times overlap lane 1's;\n \
             lane2-wait is how long lane 1 then waited for it)\n"
        ));
        assert_eq!(summary(&rows), "steps: 3 passed, 1 failed");
    }
}

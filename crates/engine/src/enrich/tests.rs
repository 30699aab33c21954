//! The enricher's unit tests.

use super::*;
use crate::options::Mode;

fn zones() -> ZoneSet {
    ZoneSet::from_csv(
        &b"zone,provider\nduckdns.org,DuckDNS\nddns.net,No-IP\nx.example,\n"[..],
        "t",
    )
    .unwrap()
}

fn enrich(dialect: Dialect, fields: &[&str], mode: Mode, body: &str) -> String {
    let z = zones();
    let options = Options {
        fields: fields.iter().map(|f| f.to_string()).collect(),
        mode,
        ..Options::default()
    };
    let mut e = Enricher::new(&z, &options, dialect);
    let mut out = Vec::new();
    e.process_body(body.as_bytes(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The enricher's whole contract on small bodies, both dialects: what
/// is appended, what is replaced in place, multivalue input and output,
/// line endings and quoting kept.
#[test]
fn enrichment_table() {
    use Dialect::{PlainCsv, Splunk};
    let q = &["query"][..];
    let cases: &[(Dialect, &[&str], Mode, &str, &str)] = &[
        (
            PlainCsv,
            q,
            Mode::Host,
            "query\na.duckdns.org\nduckdns.org\n",
            "query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
             a.duckdns.org,True,DuckDNS,duckdns.org,ddns,core\nduckdns.org,False,,,,\n",
        ),
        (
            Splunk,
            q,
            Mode::Host,
            "query,__mv_query\r\n\"a\nb.ddns.net\",\r\n,\"$x.duckdns.org$;$y.ddns.net$\"\r\n",
            "query,__mv_query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier,\
             __mv_provider,__mv_dyndns_zone,__mv_dyndns_category,__mv_dyndns_tier\r\n\
             \"a\nb.ddns.net\",,True,No-IP,ddns.net,ddns,core,,,,\r\n\
             ,\"$x.duckdns.org$;$y.ddns.net$\",True,\"No-IP\nDuckDNS\",\"ddns.net\nduckdns.org\",ddns,core,\
             $No-IP$;$DuckDNS$,$ddns.net$;$duckdns.org$,,\r\n",
        ),
        (
            PlainCsv,
            &["query", "answer"],
            Mode::Host,
            "src,answer,query\n1,a.x.example,www.example.com\n",
            "src,answer,query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
             1,a.x.example,www.example.com,True,,x.example,ddns,core\n",
        ),
        (
            PlainCsv,
            q,
            Mode::Host,
            "isDynDNS,query,provider\nstale,a.ddns.net,old\nstale,b.example,old",
            "isDynDNS,query,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
             True,a.ddns.net,No-IP,ddns.net,ddns,core\nFalse,b.example,,,,\n",
        ),
        (
            PlainCsv,
            &["cmd"],
            Mode::Text,
            "cmd\n\"iwr http://a.duckdns.org/x, ping b.ddns.net\"\n",
            "cmd,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\n\
             \"iwr http://a.duckdns.org/x, ping b.ddns.net\",True,\"No-IP\nDuckDNS\",\"ddns.net\nduckdns.org\",ddns,core\n",
        ),
        (PlainCsv, q, Mode::Host, "query\n", ""),
        (PlainCsv, &["nope"], Mode::Host, "query\na.duckdns.org\n", "query,isDynDNS,provider,dyndns_zone,dyndns_category,dyndns_tier\na.duckdns.org,False,,,,\n"),
    ];
    for (i, (dialect, fields, mode, body, want)) in cases.iter().enumerate() {
        assert_eq!(enrich(*dialect, fields, *mode, body), *want, "case {i}: {body:?}");
    }
}

/// Fed in blocks of every size, a body gives what one whole pass gives,
/// and an error names the body's line, record and byte.
#[test]
fn body_stream_blocks_agree_with_one_pass() {
    let z = zones();
    let mut body = b"n,query\r\n".to_vec();
    for i in 0..40 {
        body.extend_from_slice(
            format!("{i},\"h{i}.duckdns.org\nx\"\r\n{i},q{i}.example\n").as_bytes(),
        );
    }
    let mut e = Enricher::new(&z, &Options::default(), Dialect::Splunk);
    let mut whole = Vec::new();
    e.process_body(&body, &mut whole).unwrap();
    let mut bad = body.clone();
    let at = bad.len();
    bad.extend_from_slice(b"1,\"x\"y\n");
    let lines = body.iter().filter(|&&b| b == b'\n').count();
    for block in [1, 2, 3, 7, 64, 1000] {
        for (input, want_err) in [(&body, false), (&bad, true)] {
            let mut s = BodyStream::new();
            s.start(&mut e);
            let mut out = Vec::new();
            let mut total = Counts::default();
            let mut err = None;
            for (k, part) in input.chunks(block).enumerate() {
                s.input().extend_from_slice(part);
                let at_eof = (k + 1) * block >= input.len();
                match s.process(&mut e, at_eof, &mut out) {
                    Ok(c) => total += c,
                    Err(e) => {
                        err = Some(e);
                        break;
                    }
                }
            }
            if want_err {
                let err = err.expect("an error");
                assert_eq!((err.line, err.record, err.offset), (lines + 1, 81, at), "{block}");
                assert_eq!(
                    err.to_string(),
                    format!(
                        "line {}, record 81: unexpected byte 0x79 after a closing quote at byte {}",
                        lines + 1,
                        at + 5
                    )
                );
            } else {
                assert_eq!(err, None);
                let lines = body.iter().filter(|&&b| b == b'\n').count() as u64;
                assert_eq!(
                    total,
                    Counts { records: 80, matched: 40, lines, passed_bad: 0 },
                    "block {block}"
                );
                assert_eq!(out, whole, "block {block}");
            }
        }
    }
}

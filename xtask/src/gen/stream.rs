//! `gen stream`: a repeatable Splunk SCP v2 (chunked) input stream of DNS
//! events, exactly what splunkd writes to a streaming command's stdin:
//!
//! 1. one getinfo request (empty body), then
//! 2. execute requests of --chunk records each (`"finished":false`),
//! 3. a last execute request with `"finished":true` and a header-only body
//!    (what Splunk 8.x sends; see NDietrich/Splunk-CustomSearchProtocol-v2,
//!    example_messages/streaming.txt).
//!
//! The CSV body follows the recordings: the fields, then one `__mv_<field>`
//! column per field; header names that start with `_` are quoted; rows end
//! in `\n` (`--eol crlf`: `\r\n`; multivalue joins stay `\n`). A multivalue
//! field carries its values joined by `\n` in the plain column and
//! `$v1$;$v2$` in the `__mv_` column.
//!
//! The queries: a Zipf-distributed pool of ordinary names (popular domains
//! and synthesised ones, reverse lookups, CDN-style prefixes and hex labels),
//! --ddns-rate of names below a DDNS zone (the popular ones more often), and
//! --lookalike-rate of names on which a suffix match and the ESCU `*.zone*`
//! wildcard disagree. Draw for draw the benchmark kit's Python generator
//! (`random.Random(seed)`), so its streams, and the perf budget counted on
//! them, stay the same bytes.

use super::pyrandom::PyRandom;
use super::scp::{frame, json_str};
use super::{mv_encode, unexpected, usage, write_csv_row, Failure};
use std::io::Write;
use std::path::PathBuf;

const FIELDS: [&str; 9] =
    ["_time", "host", "sourcetype", "query", "query_type", "answer", "reply_code", "src", "count"];

/// Popular registrable domains of enterprise DNS logs (the head of the
/// distribution); the tail is synthesised.
const POPULAR: &str = "google.com googleapis.com gstatic.com googleusercontent.com
youtube.com ytimg.com doubleclick.net google-analytics.com microsoft.com
windowsupdate.com live.com office.com office365.com outlook.com msftncsi.com
azure.com azureedge.net windows.net bing.com skype.com teams.microsoft.com
akamaiedge.net akamaihd.net akamai.net edgekey.net edgesuite.net
cloudfront.net amazonaws.com amazon.com apple.com icloud.com mzstatic.com
facebook.com fbcdn.net instagram.com whatsapp.net twitter.com twimg.com
linkedin.com licdn.com github.com githubusercontent.com slack.com
slack-edge.com zoom.us salesforce.com force.com okta.com oktacdn.com
adobe.com adobe.io dropbox.com box.com cloudflare.com cloudflare-dns.com
fastly.net fastly-insights.com digicert.com sectigo.com letsencrypt.org
mozilla.org mozilla.net firefox.com ubuntu.com debian.org crowdstrike.com
splunkcloud.com servicenow.com atlassian.net atlassian.com zendesk.com
wikipedia.org wikimedia.org reddit.com redd.it netflix.com nflxvideo.net
spotify.com scdn.co yahoo.com yimg.com cnn.com bbc.co.uk nytimes.com
paypal.com ebay.com stripe.com shopify.com hubspot.com marketo.net";

const WORDS: &str = "alpha apex atlas aurora beacon blue bright cedar cloud coral crest
data delta echo ember falcon fjord forge garden global granite harbor
horizon iron jade kite lumen maple meadow metro nimbus north nova oak
orbit pacific pixel prime quartz radiant river sage signal silver solar
spark spruce stone summit swift terra tidal union vector vertex vista
wave willow zen acme secure portal shop media news labs tech net web app
health bank energy travel foods motors systems group partners direct";

/// (value, times in the list drawn from).
const TLDS: [(&str, usize); 16] = [
    ("com", 50),
    ("net", 10),
    ("org", 8),
    ("io", 4),
    ("de", 4),
    ("co.uk", 4),
    ("com.au", 2),
    ("fr", 2),
    ("nl", 2),
    ("jp", 2),
    ("ru", 2),
    ("info", 2),
    ("co", 2),
    ("us", 2),
    ("ca", 2),
    ("com.br", 2),
];

const PREFIXES: [(&str, usize); 16] = [
    ("www", 20),
    ("api", 6),
    ("cdn", 5),
    ("mail", 4),
    ("login", 4),
    ("static", 4),
    ("img", 3),
    ("assets", 3),
    ("auth", 3),
    ("edge", 2),
    ("ocsp", 2),
    ("update", 2),
    ("telemetry", 2),
    ("m", 2),
    ("s3", 2),
    ("", 10),
];

/// Dynamic DNS zones that dominate real traffic; all are in the ESCU list.
const POPULAR_DDNS: [&str; 10] = [
    "no-ip.org",
    "no-ip.com",
    "no-ip.biz",
    "ddns.net",
    "hopto.org",
    "zapto.org",
    "dynu.net",
    "dynu.com",
    "changeip.net",
    "changeip.org",
];

const HOSTS: [&str; 5] = [
    "dns01.corp.example",
    "dns02.corp.example",
    "ns1.dc2.example",
    "stream-fwd-01",
    "stream-fwd-02",
];
const SOURCETYPES: [(&str, usize); 3] =
    [("stream:dns", 6), ("MSAD:NT6:DNS", 2), ("infoblox:dns", 1)];

/// The options of `gen stream`.
pub(crate) struct Options {
    pub zones: Vec<String>,
    pub events: usize,
    pub chunk: usize,
    pub ddns_rate: f64,
    pub lookalike_rate: f64,
    pub seed: u64,
    pub field: String,
    pub crlf: bool,
}

pub(super) fn run(args: Vec<std::ffi::OsString>) -> Result<(), Failure> {
    use lexopt::prelude::*;
    let (mut zones, mut out) = (None, None);
    let mut o = Options {
        zones: Vec::new(),
        events: 100_000,
        chunk: 50_000,
        ddns_rate: 0.03,
        lookalike_rate: 0.001,
        seed: 1,
        field: "query".into(),
        crlf: false,
    };
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| usage(e.to_string()))? {
        match arg {
            Long("zones") => zones = Some(PathBuf::from(super::value(&mut parser)?)),
            Long("out") => out = Some(PathBuf::from(super::value(&mut parser)?)),
            Long("events") => o.events = super::number(&mut parser)?,
            Long("chunk") => o.chunk = super::number(&mut parser)?,
            Long("ddns-rate") => o.ddns_rate = super::number(&mut parser)?,
            Long("lookalike-rate") => o.lookalike_rate = super::number(&mut parser)?,
            Long("seed") => o.seed = super::number(&mut parser)?,
            Long("field") => o.field = super::value(&mut parser)?,
            Long("eol") => {
                o.crlf = match super::value(&mut parser)?.as_str() {
                    "lf" => false,
                    "crlf" => true,
                    other => return Err(usage(format!("--eol lf or crlf, not {other:?}"))),
                }
            }
            other => return Err(unexpected(other)),
        }
    }
    let (Some(zones), Some(out)) = (zones, out) else {
        return Err(usage("stream needs --zones FILE and --out FILE"));
    };
    if o.chunk == 0 {
        return Err(usage("--chunk must be at least 1"));
    }
    o.zones = super::read_escu_zones(&zones)?;
    if o.zones.is_empty() {
        return Err(super::failed(format!("no `*.zone*` rows in {}", zones.display())));
    }
    let io = |e: std::io::Error| super::failed(format!("{}: {e}", out.display()));
    let file = std::fs::File::create(&out).map_err(io)?;
    let mut writer = std::io::BufWriter::new(file);
    write_stream(&o, &mut writer).map_err(io)?;
    writer.flush().map_err(io)?;
    eprintln!("wrote {}: {} events", out.display(), o.events);
    Ok(())
}

/// The whole stream in memory.
#[cfg(test)]
pub(super) fn generate(o: &Options) -> Vec<u8> {
    let mut out = Vec::new();
    write_stream(o, &mut out).expect("writing to memory");
    out
}

/// Writes the stream, one request at a time.
pub(crate) fn write_stream(o: &Options, out: &mut impl Write) -> std::io::Result<()> {
    let eol = if o.crlf { "\r\n" } else { "\n" };
    let mut message = Vec::new();
    frame(&mut message, getinfo_meta(&o.field, o.chunk).as_bytes(), b"");
    out.write_all(&message)?;
    let mut rng = PyRandom::new(o.seed);
    let mut records = Records::new(&mut rng, o);
    let mut done = 0;
    while done < o.events {
        let k = o.chunk.min(o.events - done);
        let mut body = header_line(eol);
        for _ in 0..k {
            let rec = records.next(&mut rng);
            write_csv_row(&mut body, &rec, eol);
        }
        done += k;
        message.clear();
        frame(&mut message, br#"{"action":"execute","finished":false}"#, body.as_bytes());
        out.write_all(&message)?;
    }
    message.clear();
    frame(&mut message, br#"{"action":"execute","finished":true}"#, header_line(eol).as_bytes());
    out.write_all(&message)
}

fn header_line(eol: &str) -> String {
    let cols: Vec<String> = FIELDS
        .iter()
        .map(|f| f.to_string())
        .chain(FIELDS.iter().map(|f| format!("__mv_{f}")))
        .map(|c| if c.starts_with('_') { format!("\"{c}\"") } else { c })
        .collect();
    cols.join(",") + eol
}

fn getinfo_meta(field: &str, chunk: usize) -> String {
    let arg = json_str(&format!("field={field}"));
    let search = json_str(&format!(
        "search%20sourcetype%3Dstream%3Adns%20%7C%20dynamicdns%20field%3D{field}"
    ));
    format!(
        concat!(
            r#"{{"action":"getinfo","preview":false,"streaming_command_will_restart":false,"#,
            r#""searchinfo":{{"args":[{arg}],"raw_args":[{arg}],"#,
            r#""dispatch_dir":"/opt/splunk/var/run/splunk/dispatch/1700000000.42","#,
            r#""sid":"1700000000.42","app":"search","owner":"admin","username":"admin","#,
            r#""session_key":"SESSIONKEY-NOT-REAL","splunkd_uri":"https://127.0.0.1:8089","#,
            r#""splunk_version":"9.1.0","search":{search},"command":"dynamicdns","#,
            r#""maxresultrows":{chunk},"earliest_time":"0","latest_time":"0"}}}}"#
        ),
        arg = arg,
        search = search,
        chunk = chunk
    )
}

fn expand<'a>(weighted: &[(&'a str, usize)]) -> Vec<&'a str> {
    weighted.iter().flat_map(|&(v, n)| std::iter::repeat_n(v, n)).collect()
}

/// The lists the draws pick from, and the event generator's state.
struct Records<'o> {
    o: &'o Options,
    popular: Vec<&'static str>,
    words: Vec<&'static str>,
    tlds: Vec<&'static str>,
    prefixes: Vec<&'static str>,
    sourcetypes: Vec<&'static str>,
    pool: Vec<String>,
    pool_cum: Vec<f64>,
    ddns_pool: Vec<String>,
    t: f64,
}

impl<'o> Records<'o> {
    fn new(rng: &mut PyRandom, o: &'o Options) -> Self {
        let mut r = Records {
            o,
            popular: POPULAR.split_whitespace().collect(),
            words: WORDS.split_whitespace().collect(),
            tlds: expand(&TLDS),
            prefixes: expand(&PREFIXES),
            sourcetypes: expand(&SOURCETYPES),
            pool: Vec::new(),
            pool_cum: Vec::new(),
            ddns_pool: Vec::new(),
            t: 1_700_000_000.0,
        };
        let pool_size = (o.events / 10).clamp(2000, 100_000);
        r.pool = (0..pool_size).map(|_| r.normal_domain(rng)).collect();
        // P(rank k) ~ 1/k, as cumulative weights summed in order.
        let mut s = 0.0;
        r.pool_cum = (0..pool_size)
            .map(|k| {
                s += 1.0 / (k as f64 + 1.0);
                s
            })
            .collect();
        r.ddns_pool = (0..(pool_size / 5).max(200)).map(|_| r.ddns_domain(rng)).collect();
        r
    }

    fn hexlabel(&self, rng: &mut PyRandom, lo: i64, hi: i64) -> String {
        let bits = 4 * rng.randint(lo, hi);
        format!("{:x}", rng.getrandbits(bits as u32))
    }

    fn normal_domain(&self, rng: &mut PyRandom) -> String {
        let r = rng.random();
        if r < 0.03 {
            // Reverse lookups are a real share of DNS logs.
            let o: Vec<i64> = (0..4).map(|_| rng.randint(1, 254)).collect();
            return format!("{}.{}.{}.{}.in-addr.arpa", o[0], o[1], o[2], o[3]);
        }
        let base = if r < 0.55 {
            rng.choice(&self.popular).to_string()
        } else {
            let a = rng.choice(&self.words);
            let sep = rng.choice(&["", "-", ""]);
            let b = rng.choice(&self.words);
            format!("{a}{sep}{b}.{}", rng.choice(&self.tlds))
        };
        let depth = *rng.choose_weighted(&[0, 1, 2, 3, 4], &[15, 50, 20, 10, 5]);
        let mut labels = Vec::new();
        for _ in 0..depth {
            let x = rng.random();
            if x < 0.6 {
                let p = rng.choice(&self.prefixes);
                if !p.is_empty() {
                    labels.push(p.to_string());
                }
            } else if x < 0.8 {
                labels.push(self.hexlabel(rng, 6, 16));
            } else {
                let p = rng.choice(&["e", "a", "r", "s", "prod-", "eu-"]);
                labels.push(format!("{p}{}", rng.randint(1, 9999)));
            }
        }
        labels.push(base);
        labels.join(".")
    }

    fn ddns_domain(&self, rng: &mut PyRandom) -> String {
        let zone = if rng.random() < 0.6 {
            rng.choice(&POPULAR_DDNS)
        } else {
            rng.choice(&self.o.zones).as_str()
        };
        let r = rng.random();
        let host = if r < 0.7 {
            let w = rng.choice(&self.words);
            format!("{w}{}", rng.randint(0, 999))
        } else if r < 0.9 {
            self.hexlabel(rng, 6, 10)
        } else {
            let p = rng.choice(&self.prefixes[..20]);
            format!("{p}.{}", rng.choice(&self.words))
        };
        format!("{host}.{zone}")
    }

    /// Names on which a suffix match and the ESCU `*.zone*` wildcard
    /// disagree, or which neither should match (apex, prefix collision).
    fn lookalike(&self, rng: &mut PyRandom) -> String {
        let zone = rng.choice(&POPULAR_DDNS);
        let n = rng.randint(0, 99);
        let names = [
            format!("x{n}.{zone}.example.net"), // wildcard yes, suffix no
            zone.to_string(),                   // apex: neither
            format!("my{zone}"),                // neither
            format!("a.{}.com", zone.replace('.', "-")), // neither
        ];
        rng.choice(&names).clone()
    }

    fn ipv4(rng: &mut PyRandom, private: bool) -> String {
        if private {
            let o: Vec<i64> =
                [(0, 255), (0, 255), (1, 254)].iter().map(|&(a, b)| rng.randint(a, b)).collect();
            return format!("10.{}.{}.{}", o[0], o[1], o[2]);
        }
        let o: Vec<i64> = [(1, 223), (0, 255), (0, 255), (1, 254)]
            .iter()
            .map(|&(a, b)| rng.randint(a, b))
            .collect();
        format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3])
    }

    /// The next event: its plain columns, then its `__mv_` columns.
    fn next(&mut self, rng: &mut PyRandom) -> Vec<String> {
        self.t += rng.expovariate(2000.0);
        let r = rng.random();
        let mut q = if r < self.o.ddns_rate {
            if rng.random() < 0.5 {
                rng.choice(&self.ddns_pool).clone()
            } else {
                self.ddns_domain(rng)
            }
        } else if r < self.o.ddns_rate + self.o.lookalike_rate {
            self.lookalike(rng)
        } else {
            self.pool[rng.choose_cumulative(&self.pool_cum)].clone()
        };
        if rng.random() < 0.005 {
            // Some sources keep the case or the root dot.
            q = if rng.random() < 0.5 { q.to_uppercase() } else { q + "." };
        }
        let qtype = if q.ends_with("in-addr.arpa") {
            "PTR"
        } else {
            rng.choose_weighted(&["A", "AAAA", "HTTPS", "CNAME", "TXT"], &[70, 18, 6, 4, 2])
        };
        let nxdomain = rng.random() < 0.04;
        let answer: Vec<String> = if nxdomain {
            Vec::new()
        } else if qtype == "PTR" {
            vec![format!("host-{}.isp.example", rng.randint(1, 99999))]
        } else {
            let n = *rng.choose_weighted(&[1, 2, 3, 4], &[70, 15, 10, 5]);
            (0..n).map(|_| Self::ipv4(rng, false)).collect()
        };
        let time = format!("{:.3}", self.t);
        let host = rng.choice(&HOSTS).to_string();
        let sourcetype = rng.choice(&self.sourcetypes).to_string();
        let src = Self::ipv4(rng, true);
        let count = rng.choose_weighted(&[1, 2, 3, 5, 10, 50], &[60, 15, 10, 8, 5, 2]).to_string();
        let (answer, answer_mv) = match answer.len() {
            0 => (String::new(), String::new()),
            1 => (answer[0].clone(), String::new()),
            _ => (answer.join("\n"), mv_encode(&answer)),
        };
        let rcode = if nxdomain { "NXDomain" } else { "NoError" };
        let mut row =
            vec![time, host, sourcetype, q, qtype.to_string(), answer, rcode.into(), src, count];
        row.extend(std::iter::repeat_n(String::new(), 5));
        row.push(answer_mv);
        row.extend(std::iter::repeat_n(String::new(), 3));
        row
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::gen) fn options(events: usize, chunk: usize, crlf: bool) -> Options {
        let zones = ["duckdns.org", "no-ip.org", "example-ddns.net"];
        Options {
            zones: zones.iter().map(|z| z.to_string()).collect(),
            events,
            chunk,
            ddns_rate: 0.03,
            lookalike_rate: 0.001,
            seed: 1,
            field: "query".into(),
            crlf,
        }
    }

    /// The bytes of the benchmark kit's Python generator (gen_stream.py) for
    /// the same arguments, as digests: `--zones` an ESCU file of the three
    /// zones above, `--seed 1`.
    #[test]
    fn streams_are_the_python_generators_bytes() {
        for (events, chunk, crlf, digest) in [
            (
                3000,
                1000,
                false,
                "901e1cb507832a2ead814bccdfdd35f50572ecc9e7ad6a268500cd4f37c20749",
            ),
            (
                2500,
                50_000,
                true,
                "08da60353fddad947a2fdfcf6facab01c714829afa02e57ec9fa21265dd6005f",
            ),
        ] {
            assert_eq!(
                super::super::sha256_hex(&generate(&options(events, chunk, crlf))),
                digest,
                "{events} {chunk} {crlf}"
            );
        }
    }

    #[test]
    fn the_stream_is_framed_as_splunkd_frames_it() {
        let s = generate(&options(5, 2, false));
        let m = super::super::scp::messages(&s).unwrap();
        assert_eq!(m.len(), 1 + 3 + 1);
        assert!(m[0].0.starts_with(br#"{"action":"getinfo""#) && m[0].1.is_empty());
        let rows = super::super::csv_rows(m[3].1).unwrap();
        assert_eq!((rows.len(), rows[0].len()), (2, 18));
        assert_eq!(
            m[4],
            (&br#"{"action":"execute","finished":true}"#[..], header_line("\n").as_bytes())
        );
    }
}

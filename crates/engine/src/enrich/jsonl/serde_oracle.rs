//! The JSON-lines enricher against serde_json as the oracle: any object
//! serde_json writes is accepted, the output is that object (as serde_json
//! reads it back) plus the five verdict keys, and the verdict is the one
//! host mode gives the strings serde_json finds on the path.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::*;
use crate::enrich::lines::LineEnricher;
use crate::host::HostExtractor;

fn zones() -> ZoneSet {
    ZoneSet::from_csv(&b"zone,provider\nduckdns.org,DuckDNS\nddns.net,No-IP\n"[..], "t").unwrap()
}

fn leaf() -> impl Strategy<Value = Value> {
    let strings = prop_oneof![
        Just("a.duckdns.org"),
        Just("X.DuckDNS.ORG."),
        Just("http://b.ddns.net:8080/p?q=1"),
        Just("duckdns.org"),
        Just("a.duckdns.organic"),
        Just("caf\u{e9}.duckdns.org"),
        Just("\u{1F600} c.ddns.net"),
        Just("quote\" and \\ back"),
        Just("ctl\u{1}\n\t"),
        Just(""),
        Just("plain"),
    ];
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        strings.prop_map(Value::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("q"),
        Just("d"),
        Just("other"),
        Just("isDynDNS"),
        Just("provider"),
        Just("k\u{e9}y")
    ]
    .prop_map(str::to_string)
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 40, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(key(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    proptest::collection::btree_map(key(), value(), 0..5).prop_map(|m| m.into_iter().collect())
}

/// The strings at the end of `path` as the module documents it: objects
/// are descended by key, arrays on the way mapped over; at the end a
/// string, or an array's strings.
fn strings_at<'a>(v: &'a Value, path: &[&str], out: &mut Vec<&'a str>) {
    match (v, path) {
        (Value::String(s), []) => out.push(s),
        (Value::Array(a), []) => out.extend(a.iter().filter_map(Value::as_str)),
        (Value::Object(o), [first, rest @ ..]) => {
            if let Some(v) = o.get(*first) {
                strings_at(v, rest, out);
            }
        }
        (Value::Array(a), [_, ..]) => a.iter().for_each(|v| strings_at(v, path, out)),
        _ => {}
    }
}

/// Every non-ASCII character as a `\u` escape (surrogate pairs beyond the
/// BMP): the same JSON text, spelled as an ASCII-only writer spells it.
fn ascii_escaped(line: &str) -> String {
    let mut out = String::new();
    for c in line.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04X}"));
            }
        }
    }
    out
}

#[test]
fn agrees_with_serde_json() {
    let z = zones();
    let names = OutputNames::default();
    proptest!(|(obj in object(), escape in any::<bool>())| {
        let mut line = serde_json::to_string(&Value::Object(obj.clone())).unwrap();
        if escape {
            line = ascii_escaped(&line);
        }
        for path in ["q", "d.q"] {
            let options = Options { fields: vec![path.to_string()], ..Options::default() };
            let mut e = JsonlEnricher::new(&z, &options);
            let mut out = Vec::new();
            let r = e.line(line.as_bytes(), &mut out);
            prop_assert!(r.is_ok(), "{line}: {r:?}");
            let got: Map<String, Value> = serde_json::from_slice(&out)
                .map_err(|err| TestCaseError::fail(format!("{line} -> {}: {err}", String::from_utf8_lossy(&out))))?;

            // The input's members, less any verdict key it had, are kept (as
            // serde_json reads them: its float parsing is not exact).
            let mut want: Map<String, Value> = serde_json::from_str(&line).unwrap();
            for f in Field::ALL {
                want.remove(names.name(f));
            }
            let mut kept = got.clone();
            for f in Field::ALL {
                prop_assert!(kept.remove(names.name(f)).is_some(), "{} missing", names.name(f));
            }
            prop_assert_eq!(&kept, &want);

            // The verdict is host mode's on the strings serde_json finds.
            let segments: Vec<&str> = path.split('.').collect();
            let whole = Value::Object(obj.clone());
            let mut found = Vec::new();
            strings_at(&whole, &segments, &mut found);
            let mut hosts = HostExtractor::new();
            let mut providers: Vec<String> = found
                .iter()
                .filter_map(|s| hosts.host(s.as_bytes()).and_then(|h| z.longest_match(h)))
                .map(|m| m.provider.to_string())
                .collect();
            providers.sort();
            providers.dedup();
            prop_assert_eq!(&got[names.name(Field::IsDynDns)], &Value::Bool(!providers.is_empty()), "{}", line);
            let mut got_providers: Vec<String> = got[names.name(Field::Provider)]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            got_providers.sort();
            prop_assert_eq!(got_providers, providers, "{}", line);
        }
    });
}

/// Random edits of valid lines: the scanner accepts exactly what
/// serde_json accepts as one object (no garbage passes, no valid line is
/// refused).
#[test]
fn accepts_nothing_serde_json_refuses() {
    let z = zones();
    proptest!(|(obj in object(), at in any::<prop::sample::Index>(), byte in prop_oneof![
        Just(b'"'), Just(b','), Just(b':'), Just(b'}'), Just(b']'), Just(b'\\'), Just(b'{'),
        Just(b'['), Just(b'0'), Just(b'-'), Just(b'e'), Just(b' '), Just(0x80u8), Just(0xffu8)
    ], insert in any::<bool>())| {
        let mut line = serde_json::to_vec(&Value::Object(obj)).unwrap();
        let i = at.index(line.len());
        if insert { line.insert(i, byte) } else { line[i] = byte }
        let options = Options { fields: vec!["q".to_string()], ..Options::default() };
        let mut e = JsonlEnricher::new(&z, &options);
        let mut out = Vec::new();
        let ours = e.line(&line, &mut out).is_ok();
        let theirs = serde_json::from_slice::<Map<String, Value>>(&line);
        // Numbers beyond f64 are valid JSON that serde_json declines to
        // read; the enricher passes their bytes through.
        let range = theirs.as_ref().is_err_and(|e| e.to_string().contains("number out of range"));
        if ours && !range {
            prop_assert!(theirs.is_ok(), "accepted what serde_json refuses: {:?}", String::from_utf8_lossy(&line));
        }
        if theirs.is_ok() {
            prop_assert!(ours, "refused what serde_json reads: {:?}", String::from_utf8_lossy(&line));
        }
    });
}

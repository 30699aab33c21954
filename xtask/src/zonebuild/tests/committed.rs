//! The committed zone list (`lookups/dynamic_dns_providers.csv`) and its two
//! reports (`lookups/dynamic_dns_excluded.csv`, `data/suspicious_resolution.csv`)
//! are exactly what the build makes of the vendored sources in `data/`.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use super::repo_root;
use crate::zonebuild::{build, Built, SOURCES};

const REGENERATE: &str = "run `cargo xtask zones build` to regenerate it from data/";

fn root() -> PathBuf {
    repo_root()
}

/// The build of the vendored data (once per test binary).
fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let data = root().join("data");
        build(&data).unwrap_or_else(|e| panic!("building from {}: {e}", data.display()))
    })
}

fn read(rel: &str) -> Vec<u8> {
    let path = root().join(rel);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}; {REGENERATE}", path.display()))
}

/// Parsed CSV: header and rows.
fn parse(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader.headers().expect("header").iter().map(str::to_string).collect();
    let rows = reader
        .records()
        .map(|r| r.expect("CSV row").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn assert_same(rel: &str, built: &[u8], committed: &[u8]) {
    if built == committed {
        return;
    }
    let (b, c) = (String::from_utf8_lossy(built), String::from_utf8_lossy(committed));
    let first = b.lines().zip(c.lines()).position(|(x, y)| x != y);
    let detail = match first {
        Some(i) => format!(
            "first difference on line {}:\n  built:     {}\n  committed: {}",
            i + 1,
            b.lines().nth(i).unwrap_or(""),
            c.lines().nth(i).unwrap_or("")
        ),
        None => format!(
            "built has {} lines, committed has {} (or line endings differ)",
            b.lines().count(),
            c.lines().count()
        ),
    };
    panic!("{rel} is out of date; {REGENERATE}.\n{detail}");
}

#[test]
fn committed_files_match_vendored_sources() {
    let built = built();
    for (rel, bytes) in files(built) {
        assert_same(&rel, bytes, &read(&rel));
    }
}

#[test]
fn build_is_deterministic() {
    let again = build(&root().join("data")).unwrap();
    assert!(&again == built(), "two builds from the same data/ differ");
}

/// A row of the committed lookup, by zone.
fn lookup_row(zone: &str) -> Option<Vec<String>> {
    static ROWS: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    let rows = ROWS.get_or_init(|| parse(&read("lookups/dynamic_dns_providers.csv")).1);
    let i = rows.binary_search_by(|r| r[0].as_bytes().cmp(zone.as_bytes())).ok()?;
    Some(rows[i].clone())
}

/// Precedence, the seed fixes, categories and tiers on the committed list.
#[test]
fn committed_lookup_spot_checks() {
    let expected = [
        // The seed's display names are zone names; the PSL names the provider.
        ("ddns.net", "No-IP", "ddns", "core"),
        ("gotdns.ch", "No-IP", "ddns", "core"),
        ("hopto.org", "No-IP", "ddns", "core"),
        ("freeddns.org", "Dynu", "ddns", "core"),
        ("freedynamicdns.org", "No-IP", "ddns", "core"),
        ("freedynamicdns.net", "No-IP", "ddns", "core"),
        ("publicvm.com", "DNSExit", "ddns", "core"),
        // PSL beats ET's reference URL (ChangeIP: an ET data error).
        ("duckdns.org", "DuckDNS", "ddns", "core"),
        // PSL beats dyn_dns_list and ET (Now-DNS sells them, OpenHost runs them).
        ("16-b.it", "OpenHost", "ddns", "core"),
        // dyn_dns_list beats ET; dyn_dns_list and ET beat maltrail.
        ("apps.dj", "FreeDNS (afraid.org)", "ddns", "core"),
        ("dnsget.org", "Now-DNS", "ddns", "core"),
        ("tftpd.net", "Now-DNS", "ddns", "core"),
        ("dyndns.org", "Dyn (DynDNS)", "ddns", "core"),
        ("home.dyndns.org", "Dyn (DynDNS)", "ddns", "core"),
        ("synology.me", "Synology", "vendor-ddns", "core"),
        // Named only by sublime, maltrail provider pages, ET.
        ("dynaccess.de", "DynAccess", "ddns", "core"),
        ("dnsdynamic.com", "DNSdynamic", "ddns", "core"),
        ("airdns.org", "AirVPN", "vpn-vendor", "core"),
        // FreeDNS registry: core only when ET wrote a rule for it.
        ("0000004.xyz", "FreeDNS (afraid.org)", "ddns", "extended"),
        // maltrail heuristic sections name a provider only as a last
        // resort, never core evidence (Oray's passive-DNS section, DtDNS's).
        ("vicp.net", "Oray (Peanut Shell)", "ddns", "extended"),
        ("gicp.net", "Oray (Peanut Shell)", "ddns", "extended"),
        ("dtdns.net", "DtDNS", "ddns", "core"),
        // ... and lose to any other source's provider (dyn_dns_list: Now-DNS).
        ("dtdns.org", "Now-DNS", "ddns", "core"),
        // attribution.csv: vendors' DDNS, regional providers, look-alikes.
        ("dlinkddns.com", "D-Link", "vendor-ddns", "core"),
        ("mynetgear.com", "NETGEAR", "vendor-ddns", "core"),
        ("kro.kr", "내도메인.한국", "ddns", "extended"),
        ("duckdns.com", "", "ddns", "extended"),
        // Zones-only sources.
        ("0-shiny.com", "", "ddns", "extended"),
        ("boxip.net", "", "ddns", "extended"),
        // Suspicious zones kept in the extended tier.
        ("sulsel.go.id", "FreeDNS (afraid.org)", "ddns", "extended"),
        ("govt.hu", "FreeDNS (afraid.org)", "ddns", "extended"),
        ("asuscomm.com", "ASUS", "vendor-ddns", "extended"),
        ("tplinkdns.com", "", "ddns", "extended"),
        ("cloudns.net", "", "ddns", "extended"),
        ("softether.net", "SoftEther", "vpn-vendor", "extended"),
    ];
    for (zone, provider, category, tier) in expected {
        let row = lookup_row(zone).unwrap_or_else(|| panic!("{zone} missing; {REGENERATE}"));
        assert_eq!(row[..4], [zone, provider, category, tier], "row of {zone}");
    }
    let sources = |zone: &str| lookup_row(zone).unwrap()[4].clone();
    assert_eq!(sources("duckdns.org"), "et_open;maltrail;misp;nolovia;psl;seed_kql;sigma;sublime");
    assert_eq!(sources("synology.me"), "psl");
    // Excluded zones are not in the list.
    for zone in ["nip.io", "portmap.io", "gl.at.ply.gg", "no-ip.com", "noip.com", "surfnet.ca"] {
        assert_eq!(lookup_row(zone), None, "{zone} should be excluded");
    }
}

/// Format and invariants of the committed list.
#[test]
fn committed_lookup_is_well_formed() {
    let (header, rows) = parse(&read("lookups/dynamic_dns_providers.csv"));
    assert_eq!(header, ["zone", "provider", "category", "tier", "sources"]);
    assert!(rows.len() > 100_000, "{} rows", rows.len());
    assert!(rows.windows(2).all(|w| w[0][0].as_bytes() < w[1][0].as_bytes()), "not sorted");
    let known = parse(&read("data/providers.csv")).1;
    let known: BTreeSet<&str> = known.iter().map(|r| r[0].as_str()).collect();
    let source_names: BTreeSet<&str> = SOURCES.iter().map(|s| s.name).collect();
    let zones_only = ["misp", "security_content", "sigma", "nolovia"];
    let (mut core, mut extended) = (0, 0);
    for row in &rows {
        let [zone, provider, category, tier, sources] = &row[..] else {
            panic!("{row:?} has not 5 fields");
        };
        assert!(valid_zone(zone), "invalid zone {zone:?}");
        assert!(provider.is_empty() || known.contains(provider.as_str()), "{zone}: {provider}");
        assert!(["ddns", "vendor-ddns", "vpn-vendor"].contains(&category.as_str()), "{zone}");
        let names: Vec<&str> = sources.split(';').collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "{zone}: sources {sources} not sorted");
        assert!(names.iter().all(|n| source_names.contains(n)), "{zone}: sources {sources}");
        match tier.as_str() {
            "core" => core += 1,
            "extended" => extended += 1,
            _ => panic!("{zone}: tier {tier:?}"),
        }
        // Tier evidence: zones-only sources never make a zone core, nor does
        // the FreeDNS registry without the PSL or an ET rule.
        if names.iter().all(|n| zones_only.contains(n)) {
            assert_eq!(tier, "extended", "{zone}");
        }
        if provider == "FreeDNS (afraid.org)" && !names.contains(&"et_open") {
            assert_eq!(tier, "extended", "{zone}");
        }
        if names.contains(&"psl") && !zone.ends_with(".go.id") {
            assert_eq!(tier, "core", "{zone}");
        }
    }
    assert!((1_500..5_000).contains(&core), "{core} core zones");
    assert!(extended > 100_000, "{extended} extended zones");
}

/// The runtime's zone rule: lower-case `label(.label)+`, labels
/// `[a-z0-9_-]{1,63}`, at most 253 bytes, last label not all digits.
fn valid_zone(zone: &str) -> bool {
    let labels: Vec<&str> = zone.split('.').collect();
    zone.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_'))
        })
        && !labels.last().unwrap().bytes().all(|b| b.is_ascii_digit())
}

/// Every suspicious zone is resolved once, and the lookup and the excluded
/// list agree with the resolution.
#[test]
fn committed_resolution_covers_every_suspicious_zone() {
    let suspicious = parse(&read("data/suspicious.csv")).1;
    let (header, resolution) = parse(&read("data/suspicious_resolution.csv"));
    assert_eq!(header, ["zone", "decision", "reason"]);
    let (header, excluded) = parse(&read("lookups/dynamic_dns_excluded.csv"));
    assert_eq!(header, ["zone", "reason", "sources"]);
    let mut want: Vec<&str> = suspicious.iter().map(|r| r[0].as_str()).collect();
    want.sort_unstable();
    let got: Vec<&str> = resolution.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(got, want, "one resolution row per suspicious zone, sorted");
    let excluded_zones: BTreeSet<&str> = excluded.iter().map(|r| r[0].as_str()).collect();
    for row in &resolution {
        let (zone, decision) = (row[0].as_str(), row[1].as_str());
        assert!(!row[2].is_empty(), "{zone}: no reason");
        let in_lookup = lookup_row(zone);
        match decision {
            "exclude" => {
                assert!(in_lookup.is_none(), "{zone} excluded but in the lookup");
                assert!(excluded_zones.contains(zone), "{zone} not in the excluded list");
            }
            "extended" => assert_eq!(in_lookup.expect(zone)[3], "extended", "{zone}"),
            "keep" => assert!(in_lookup.is_some(), "{zone} kept but not in the lookup"),
            "absent" => {
                assert!(in_lookup.is_none() && !excluded_zones.contains(zone), "{zone}");
            }
            other => panic!("{zone}: decision {other:?}"),
        }
    }
    // Every other excluded row is a corrupt row of rule 9.
    let excluded_by_resolution =
        resolution.iter().filter(|r| r[1] == "exclude").map(|r| r[0].as_str());
    let excluded_by_rule_8 = excluded
        .iter()
        .filter(|r| !r[1].starts_with("corrupt source row: "))
        .map(|r| r[0].as_str());
    assert!(excluded_by_resolution.eq(excluded_by_rule_8));
    for row in &excluded {
        assert!(!row[1].is_empty() && !row[2].is_empty(), "{row:?}");
    }
    let decision = |zone: &str| {
        let row = resolution.iter().find(|r| r[0] == zone).unwrap_or_else(|| panic!("{zone}"));
        (row[1].clone(), row[2].clone())
    };
    // One zone per rule of the issue.
    let cases = [
        ("portmap.io", "exclude", "tunnel"),
        ("gl.at.ply.gg", "exclude", "tunnel"),
        ("loophole.site", "exclude", "tunnel"),
        ("nat123.cc", "exclude", "tunnel"),
        ("nip.io", "exclude", "wildcard DNS"),
        ("comxa.com", "exclude", "free web hosting"),
        ("cjb.net", "exclude", "free web hosting"),
        ("no-ip.com", "exclude", "provider corporate domain"),
        ("noip.com", "exclude", "provider corporate domain"),
        ("dyndns.com", "exclude", "provider corporate domain"),
        ("easydns.com", "exclude", "DNS hosting"),
        ("surfnet.ca", "exclude", "ISP"),
        ("eu.org", "exclude", "PSL private suffix"),
        ("linode.com", "exclude", "unrelated company"),
        ("sulsel.go.id", "extended", "government/education"),
        ("asuscomm.com", "extended", "popular site"),
        ("fortiddns.com", "extended", "popular site"),
        ("softether.net", "extended", "popular site"),
        ("afraid.org", "absent", "would be exclude: provider corporate domain"),
        ("serveo.net", "absent", "would be exclude: tunnel"),
    ];
    for (zone, want_decision, want_reason) in cases {
        let (got_decision, reason) = decision(zone);
        assert_eq!(got_decision, want_decision, "{zone}: {reason}");
        assert!(reason.contains(want_reason), "{zone}: {reason}");
    }
}

/// The files of a build with their paths relative to the repository root.
fn files(built: &Built) -> [(String, &[u8]); 3] {
    use crate::zonebuild::{EXCLUDED_FILE_NAME, LOOKUP_FILE_NAME, RESOLUTION_FILE_NAME};
    [
        (format!("lookups/{LOOKUP_FILE_NAME}"), &built.lookup),
        (format!("lookups/{EXCLUDED_FILE_NAME}"), &built.excluded),
        (format!("data/{RESOLUTION_FILE_NAME}"), &built.resolution),
    ]
}

/// The task itself (`cargo xtask zones build` with `--data` and `--out`)
/// writes the three committed files, byte for byte, where it says.
#[test]
fn zones_build_matches_the_shipped_list() {
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("data");
    copy_dir(&root().join("data"), &data);
    let out = scratch.path().join("lookups").join(crate::zonebuild::LOOKUP_FILE_NAME);
    fs::create_dir_all(out.parent().unwrap()).unwrap();
    if let Err(f) = crate::zones_build(&data, &out) {
        panic!("{}", f.message);
    }
    for (rel, _) in files(built()) {
        let written = fs::read(scratch.path().join(&rel)).unwrap();
        assert_same(&rel, &written, &read(&rel));
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// No shipped zone is a corrupt row of any class rule 9 knows (doubled
/// text, a TLD that does not exist, a host below a listed zone, a broken
/// IDN), and every zone is well-formed by the one name grammar.
#[test]
fn committed_list_has_no_corrupt_rows() {
    let (_, rows) = parse(&read("lookups/dynamic_dns_providers.csv"));
    let listed: std::collections::BTreeMap<String, ()> =
        rows.iter().map(|r| (r[0].clone(), ())).collect();
    let tlds = crate::zonebuild::hygiene::Tlds::load(&root().join("data")).unwrap();
    let mut bad = Vec::new();
    for r in &rows {
        if let Some(reason) = crate::zonebuild::hygiene::corruption(&r[0], &listed, &tlds) {
            bad.push(format!("{}: {reason}", r[0]));
        }
        if let Some(p) = dynamicdns_zonetable::name::problem(r[0].as_bytes()) {
            bad.push(format!("{}: {p}", r[0]));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // The rows rule 9 removed are in the excluded file, with the reason.
    let (_, excluded) = parse(&read("lookups/dynamic_dns_excluded.csv"));
    for zone in ["dyndns.orgdyndns.org", "friendship.twa", "www.jpn.ph", "xn--tt-gg4n.net"] {
        let row = excluded.iter().find(|r| r[0] == zone).unwrap_or_else(|| panic!("{zone}"));
        assert!(row[1].starts_with("corrupt source row: "), "{row:?}");
    }
}

/// The shipped service-host list: every host well-formed, at or below its
/// zone, with a provider, a known role, category provider-service and a
/// citation; sorted and unique.
#[test]
fn committed_service_hosts_are_well_formed() {
    let (header, rows) = parse(&read("lookups/dynamic_dns_service_hosts.csv"));
    assert_eq!(header, ["host", "provider", "zone", "role", "category", "source"]);
    assert!(rows.len() >= 50, "{}", rows.len());
    let mut last = String::new();
    for r in &rows {
        assert!(dynamicdns_zonetable::name::is_valid_zone(r[0].as_bytes()), "{r:?}");
        assert!(r[0] == r[2] || r[0].ends_with(&format!(".{}", r[2])), "{r:?}");
        assert!(!r[1].is_empty(), "{r:?}");
        assert!(crate::zonebuild::service::ROLES.contains(&r[3].as_str()), "{r:?}");
        assert_eq!(r[4], "provider-service");
        assert!(!r[5].is_empty(), "{r:?}");
        assert!(r[0] > last, "{} after {last}", r[0]);
        last = r[0].clone();
    }
    for host in ["checkip.dyndns.org", "members.dyndns.org", "www.duckdns.org", "update.dedyn.io"]
    {
        assert!(rows.iter().any(|r| r[0] == host), "{host}");
    }
}

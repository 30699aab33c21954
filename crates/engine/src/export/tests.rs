//! Unit tests of the exports on a four-zone fixture.

use super::*;
use dynamicdns_zonetable::Tier;

/// The fixture: four zones (one nested), one service host below a zone and
/// one outside every zone.
pub(super) fn fixture(tier: TierSelection) -> ExportData<'static> {
    let row = |zone, provider, tier| ZoneRow {
        zone,
        provider,
        category: "ddns",
        tier,
        sources: "psl;sigma",
    };
    let zones = vec![
        row("duckdns.org", "DuckDNS", Tier::Core),
        row("ddns.net", "No-IP", Tier::Core),
        row("dyndns.org", "Dyn (DynDNS)", Tier::Core),
        row("home.dyndns.org", "Dyn (DynDNS)", Tier::Core),
    ];
    let service = vec![
        ServiceRow {
            host: "checkip.dyndns.org",
            provider: "Dyn (DynDNS)",
            zone: "dyndns.org",
            role: "check-ip",
        },
        ServiceRow {
            host: "dynupdate.no-ip.com",
            provider: "No-IP",
            zone: "no-ip.com",
            role: "update",
        },
    ];
    let version = DataVersion {
        version: "2026.12.02",
        lookup_sha256: "0123456789abcdef",
        service_sha256: "fedcba",
    };
    ExportData::new(zones, service, tier, version)
}

fn run(format: Format, options: &Options) -> Result<String, ExportError> {
    let mut out = String::new();
    export(&fixture(format.default_tier()), format, options, &mut out).map(|()| out)
}

#[test]
fn reference_verdict() {
    let d = fixture(TierSelection::Core);
    let z = |h: &str| d.zone_of(h).map(|(r, s)| (r.zone, s));
    assert_eq!(z("x.home.dyndns.org"), Some(("home.dyndns.org", false)));
    assert_eq!(z("home.dyndns.org"), Some(("dyndns.org", false)));
    assert_eq!(z("CheckIP.dyndns.org."), Some(("dyndns.org", true)));
    assert_eq!(z("dyndns.org"), None);
    assert_eq!(z(".duckdns.org"), None);
    assert_eq!(z("a..duckdns.org"), None);
    assert_eq!(d.max_labels(), 3);
    assert_eq!(d.matching_service_hosts().len(), 1);
}

/// Every format and part exports the fixture, names the data version and
/// gives the same bytes twice.
#[test]
fn every_part_exports_deterministically_with_provenance() {
    for &format in FORMATS {
        let tier = format.default_tier();
        for &part in format.parts(&Options::default(), tier) {
            let options = Options { part: Some(part.to_string()), ..Options::default() };
            let a = run(format, &options).unwrap();
            assert_eq!(a, run(format, &options).unwrap(), "{format} {part}");
            let data_part = matches!(
                (format, part),
                (Format::Suricata, "zones" | "service-hosts")
                    | (Format::Elastic, "bulk" | "policy")
            );
            if !data_part {
                assert!(a.contains("2026.12.02"), "{format} {part}: no data version");
            }
            if !data_part && format != Format::Elastic {
                assert!(
                    a.contains("MPL-2.0") && a.contains("DRL-1.1"),
                    "{format} {part}: no licences"
                );
            }
        }
    }
}

#[test]
fn several_parts_need_part_and_big_artefacts_are_refused() {
    let e = run(Format::Elastic, &Options::default()).unwrap_err();
    assert!(e.to_string().contains("--part bulk > dynamicdns-zones.ndjson"), "{e}");
    let bad = Options { part: Some("nope".into()), ..Options::default() };
    assert!(matches!(run(Format::Kql, &bad), Err(ExportError::UnknownPart { .. })));
    let all = fixture(TierSelection::All);
    for format in [Format::Kql, Format::Sigma] {
        let mut out = String::new();
        let e = export(&all, format, &Options::default(), &mut out).unwrap_err();
        assert!(matches!(e, ExportError::NotOffered(_)), "{format}");
    }
    let content = Options { suricata_mode: Some(SuricataMode::Content), ..Options::default() };
    assert!(export(&all, Format::Suricata, &content, &mut String::new()).is_err());
}

#[test]
fn sigma_ids_are_uuid5_in_the_documented_namespace() {
    let ns = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:dynamicdns:sigma");
    assert_eq!(ns.to_string(), SIGMA_ID_NAMESPACE);
    assert_eq!(sigma_rule_id("dns_query", "DuckDNS"), "7e863803-e780-5092-bd40-e272cc5d7ca9");
    assert_eq!(sigma_rule_id("dns_query", "Dyn (DynDNS)"), "0fd812e8-6702-5fcc-aa39-857fdd42d52f");
    assert_eq!(sigma_rule_id("proxy", "No-IP"), "abc28a26-2cf2-55b6-a4d6-dc6797a2d1d2");
}

/// The fixture's KQL: one candidate per zone length, the nested zone
/// first; only the service host below a zone is listed.
#[test]
fn kql_fixture_shape() {
    let q = run(Format::Kql, &Options::default()).unwrap();
    assert!(q.contains("let DynamicDnsServiceHosts = dynamic([\"checkip.dyndns.org\"]);"), "{q}");
    let c3 = q.find("DynDnsCandidate3 = extract(").unwrap();
    let c2 = q.find("DynDnsCandidate2 = extract(").unwrap();
    assert!(c3 < c2);
    assert!(q.contains(r#"    "home.dyndns.org", "Dyn (DynDNS)", "ddns", "core","#));
}

/// Suricata content rules negate the nested zone and the service host;
/// dataset files are base64 of ".zone".
#[test]
fn suricata_fixture_shape() {
    let r = run(Format::Suricata, &Options::default());
    // The fixture's zones are not in the sid registry except real ones.
    let r = r.unwrap();
    let line = r.lines().find(|l| l.contains("DNS query below dyndns.org")).unwrap();
    assert!(line.contains(r#"content:!".home.dyndns.org"; nocase; endswith;"#), "{line}");
    assert!(
        line.contains(r#"content:!"checkip.dyndns.org"; nocase; startswith; endswith;"#),
        "{line}"
    );
    let http = r.lines().find(|l| l.contains("HTTP Host below dyndns.org")).unwrap();
    assert!(!http.contains("nocase"), "{http}");
    let all = fixture(TierSelection::All);
    let mut zones = String::new();
    let opts = Options { part: Some("zones".into()), ..Options::default() };
    export(&all, Format::Suricata, &opts, &mut zones).unwrap();
    assert_eq!(
        zones,
        "LmRkbnMubmV0\nLmR1Y2tkbnMub3Jn\nLmR5bmRucy5vcmc=\nLmhvbWUuZHluZG5zLm9yZw==\n"
    );
}

#[test]
fn csv_has_exactly_four_comment_lines() {
    let c = run(Format::Csv, &Options::default()).unwrap();
    let lines: Vec<&str> = c.lines().collect();
    assert!(lines[..4].iter().all(|l| l.starts_with("# ")), "{c}");
    assert_eq!(lines[4], "zone,provider,category,tier,sources");
    assert_eq!(lines.len(), 9);
    let bare = run(Format::Csv, &Options { no_comments: true, ..Options::default() }).unwrap();
    assert!(bare.starts_with("zone,provider"));
}

/// An option another format reads is refused, naming it; the format's own
/// options are taken.
#[test]
fn options_of_other_formats_are_refused() {
    let o = Options { suricata_mode: Some(SuricataMode::Dataset), ..Options::default() };
    assert_eq!(
        run(Format::Csv, &o).unwrap_err().to_string(),
        "--format csv does not take --suricata-mode"
    );
    let o = Options {
        kql_url: Some("https://x/".into()),
        no_comments: true,
        elastic_fields: Some(vec!["a".into()]),
        ..Options::default()
    };
    assert_eq!(
        run(Format::Misp, &o).unwrap_err().to_string(),
        "--format misp does not take --kql-url, --elastic-fields, --no-comments"
    );
    assert_eq!(o.unused_by(Format::Csv), ["--kql-url", "--elastic-fields"]);
    let o = Options { zeek_data: Some(ZeekData::Inline), ..Options::default() };
    assert!(o.unused_by(Format::Zeek).is_empty());
    assert!(run(Format::Zeek, &o).is_ok());
}

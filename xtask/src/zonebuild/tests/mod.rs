//! The build's own unit tests; `committed` checks the committed files
//! against a build of `data/`, `rules` each rule on scratch data.

mod attribution;
mod committed;
mod rules;

use super::names::Names;
use super::*;

#[test]
fn tables_are_consistent() {
    for (alias, _) in PROVIDER_ALIASES {
        assert_eq!(*alias, alias.to_lowercase(), "alias keys are lower case");
        assert_eq!(*alias, alias.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    for (zone, _) in SEED_ZONE_PROVIDERS {
        assert_eq!(zone_problem(zone), None);
    }
    let mut names: Vec<&str> = SOURCES.iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), SOURCES.len());
    for rule in SUSPICION_RULES {
        assert_eq!(rule.phrase, rule.phrase.to_lowercase(), "phrases are lower case");
        assert!(!rule.phrase.contains(';'), "{}", rule.phrase);
    }
    // No phrase hides another (the first match wins).
    for (i, a) in SUSPICION_RULES.iter().enumerate() {
        for b in &SUSPICION_RULES[i + 1..] {
            assert!(!b.phrase.starts_with(a.phrase), "{:?} hides {:?}", a.phrase, b.phrase);
        }
    }
}

#[test]
fn maltrail_basis_tags() {
    let r = "stamparm/maltrail trails/static/suspicious/dynamic_domain.txt@087ea6483";
    assert_eq!(
        maltrail_basis(&format!("{r} [basis: provider page reference]")),
        Some(Basis::ProviderPage)
    );
    assert_eq!(
        maltrail_basis(&format!("{r} [basis: heuristic: passive-DNS/whois/registrant section]")),
        Some(Basis::Heuristic)
    );
    assert_eq!(maltrail_basis(&format!("{r} [basis: no provider]")), Some(Basis::NoProvider));
    assert_eq!(maltrail_basis(r), None);
    assert_eq!(maltrail_basis(&format!("{r} [basis: guess]")), None);
    assert_eq!(maltrail_basis(&format!("{r} [basis: no provider] x")), None);
}

#[test]
fn reasons_resolve_by_rule() {
    let cases: &[(&str, Decision, &[&str])] = &[
        ("tunnelling service (playit.gg)", Decision::Exclude, &[TUNNEL]),
        (
            "tunnelling service (portmap.io); also listed in maltrail \
             suspicious/port_proxy.txt; popular site (Tranco rank 49727) with no \
             provider-owned evidence",
            Decision::Exclude,
            &[TUNNEL],
        ),
        ("port-mapping/tunnelling service (nat123)", Decision::Exclude, &[TUNNEL]),
        (
            "wildcard DNS for IP addresses, not DDNS; listed as a free subdomain host \
             (sublime-security free_subdomain_hosts.txt); popular site (Tranco rank 2760) \
             with no provider-owned evidence",
            Decision::Exclude,
            &[WILDCARD_IP],
        ),
        (
            "free web hosting (000webhost), not DDNS; also listed in maltrail \
             suspicious/free_web_hosting.txt",
            Decision::Exclude,
            &[FREE_HOSTING],
        ),
        (
            "provider corporate domain (No-IP); popular site (Tranco rank 836) with no \
             provider-owned evidence",
            Decision::Exclude,
            &[CORPORATE],
        ),
        ("DNS hosting company domain", Decision::Exclude, &[DNS_HOSTING]),
        ("ISP domain (Charter); popular site (Tranco rank 5399)", Decision::Exclude, &[ISP]),
        ("carrier domain (Level 3)", Decision::Exclude, &[ISP]),
        (
            "PSL private suffix of a non-DDNS operator: CentralNic",
            Decision::Exclude,
            &[PSL_NON_DDNS],
        ),
        ("game company domain (Garena), not DDNS", Decision::Exclude, &[UNRELATED]),
        ("government/education domain", Decision::Extended, &[GOV_EDU]),
        (
            "popular site (Tranco rank 3579) with no provider-owned evidence",
            Decision::Extended,
            &[POPULAR],
        ),
        (
            "VPN vendor DDNS for SoftEther VPN servers (vendor DDNS; keep or drop by \
             policy); popular site (Tranco rank 15393) with no provider-owned evidence",
            Decision::Extended,
            &[POPULAR],
        ),
        ("VPN vendor DDNS for X", Decision::Keep, &[VPN_VENDOR]),
        // Case is ignored; two parts with one rule give one label.
        ("ISP DOMAIN; isp domain (again)", Decision::Exclude, &[ISP]),
    ];
    for &(reason, decision, labels) in cases {
        assert_eq!(resolve_reason(reason), Ok((decision, labels.to_vec())), "{reason}");
    }
}

#[test]
fn reason_parts_respect_parentheses() {
    assert_eq!(reason_parts("a (b; c); d;; e ;"), ["a (b; c)", "d", "e"]);
    assert_eq!(reason_parts("a (b (c; d)); e"), ["a (b (c; d))", "e"]);
    assert_eq!(reason_parts("a) ; b"), ["a)", "b"]);
    assert!(reason_parts(" ; ").is_empty());
}

#[test]
fn unknown_or_undecided_reasons_are_errors() {
    let err = resolve_reason("government/education domain; looks odd").unwrap_err();
    assert!(err.contains("\"looks odd\" matches no rule"), "{err}");
    let err = resolve_reason("listed as a free subdomain host (x)").unwrap_err();
    assert!(err.contains("no deciding part"), "{err}");
    assert!(resolve_reason("").unwrap_err().contains("no deciding part"));
}

/// The provider disagreements in the vendored data are exactly the known
/// ones listed in `data/README.md`.
#[test]
fn known_disagreements_in_vendored_data() {
    let data = repo_root().join("data");
    let names = Names::load(&data).unwrap();
    let zones = merge(&data, &names).unwrap();
    let mut found = Vec::new();
    for (zone, merged) in &zones {
        let distinct: BTreeSet<&str> = merged.claims.iter().map(|(_, p)| p.as_str()).collect();
        if distinct.len() > 1 {
            let claims: Vec<String> =
                merged.claims.iter().map(|(s, p)| format!("{s}={p}")).collect();
            found.push(format!("{zone}: {} -> {}", claims.join(" "), merged.provider()));
        }
    }
    assert_eq!(
        found,
        [
            "16-b.it: psl=OpenHost dyn_dns_list=Now-DNS et_open=Now-DNS -> OpenHost",
            "32-b.it: psl=OpenHost dyn_dns_list=Now-DNS et_open=Now-DNS -> OpenHost",
            "64-b.it: psl=OpenHost dyn_dns_list=Now-DNS et_open=Now-DNS -> OpenHost",
            "apps.dj: dyn_dns_list=FreeDNS (afraid.org) et_open=ChangeIP \
             -> FreeDNS (afraid.org)",
            "dnsget.org: dyn_dns_list=Now-DNS et_open=Now-DNS maltrail=DNSdynamic -> Now-DNS",
            "duckdns.org: psl=DuckDNS et_open=ChangeIP maltrail=DuckDNS seed_kql=DuckDNS \
             -> DuckDNS",
            "tftpd.net: dyn_dns_list=Now-DNS et_open=Now-DNS maltrail=DNSdynamic -> Now-DNS",
        ]
    );
}

#[test]
fn freedns_is_canonical_in_vendored_providers() {
    let data = repo_root().join("data");
    let names = Names::load(&data).unwrap();
    assert_eq!(names.harmonise("freedns"), FREEDNS);
    assert!(names.category.contains_key(FREEDNS), "{FREEDNS} missing from providers.csv");
}

/// The repository root (the xtask crate lives in `xtask/`).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask/ has a parent").to_path_buf()
}

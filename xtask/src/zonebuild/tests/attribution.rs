//! Rule 11, `attribution.csv`, on scratch data directories.

use super::rules::{mt, row, DataDir, ATTRIBUTION_HEADER, PAGE};

const CITE: &str = "a/b@0123abc:plugin.c";

/// A data directory whose sources name a few zones, with `rows` as the
/// curated attribution.
fn with_attribution(rows: &str) -> DataDir {
    let d = DataDir::new();
    d.source("psl", "synology.example,Synology,r\n")
        .source("dyn_dns_list", "dyn.example,No-IP,r\n")
        .source("maltrail", &mt("duck.example", "DuckDNS", PAGE))
        .source("security_content", "router.example,,r\nsynology.example,,r\nother.example,,r\n");
    d.write("attribution.csv", &format!("{ATTRIBUTION_HEADER}{rows}"));
    d
}

#[test]
fn curated_provider_names_the_vendor_and_is_core_evidence() {
    let d = with_attribution(&format!(
        "router.example,provider,Synology,{CITE},the firmware's DDNS plugin\n\
         synology.example,provider,Synology,https://example.org/doc,agrees with the PSL\n"
    ));
    let out = d.lookup();
    assert_eq!(
        row(&out, "router.example"),
        "router.example,Synology,vendor-ddns,core,security_content"
    );
    assert_eq!(
        row(&out, "synology.example"),
        "synology.example,Synology,vendor-ddns,core,psl;security_content"
    );
    assert_eq!(row(&out, "other.example"), "other.example,,ddns,extended,security_content");
}

#[test]
fn lookalike_loses_provider_and_core() {
    let d = with_attribution(&format!("duck.example,lookalike,DuckDNS,{CITE},imitates duckdns\n"));
    assert_eq!(row(&d.lookup(), "duck.example"), "duck.example,,ddns,extended,maltrail");
}

#[test]
fn bad_rows_fail_the_build_naming_the_line() {
    let cases: &[(&str, &str)] = &[
        ("Router.example,provider,Synology,https://x,n", "contains 'R'"),
        (
            "router.example,guess,Synology,https://x,n",
            "action \"guess\" is not one of provider, lookalike",
        ),
        ("router.example,provider,Acme,https://x,n", "provider \"Acme\" is in neither"),
        ("router.example,provider,Synology,,n", "no source"),
        ("router.example,provider,Synology,somewhere,n", "neither owner/repo@<commit>:path"),
        ("absent.example,provider,Synology,https://x,n", "is named by no vendored source"),
        // A provider-owned source outranks the curated reading.
        ("dyn.example,provider,Synology,https://x,n", "dyn_dns_list names provider \"No-IP\""),
    ];
    for (rows, want) in cases {
        let e = with_attribution(&format!("{rows}\n")).error();
        assert!(e.contains("attribution.csv: line 2: ") && e.contains(want), "{rows}: {e}");
    }
    let e = with_attribution(&format!(
        "router.example,provider,Synology,{CITE},n\nother.example,provider,Synology,{CITE},n\n"
    ))
    .error();
    assert!(e.contains("line 3: zone \"other.example\" is listed twice or out of order"), "{e}");
}

//! Unit tests of the zone-file reader and the local files.

use super::*;

const TODAY: Date = Date { year: 2026, month: 12, day: 1 };

#[test]
fn bad_rows_are_reported_with_file_and_line_and_skipped() {
    let l = load(
        "zone,provider,tier\ngood.example,G,\nnot a zone,B,core\n\n# comment,,\nx.example,X,gold\n10.0.0.1,Y,\n"
            .as_bytes(),
        "local.csv",
        FileKind::Zones,
    );
    let msgs: Vec<String> = l.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "local.csv: line 3: \"not a zone\" is not a DNS name of two or more labels",
            "local.csv: line 6: tier \"gold\" is not 'core' or 'extended'",
            "local.csv: line 7: \"10.0.0.1\" is not a DNS name of two or more labels",
        ]
    );
    assert_eq!(l.table.len(), 1);
    let l = load("name\nx.example\n".as_bytes(), "allow.csv", FileKind::Allowlist);
    assert_eq!(
        l.problems[0].to_string(),
        "allow.csv: line 1: no `host` (or `zone`), `provider` or `category` column in the header \
         (its columns: name)"
    );
    // A spreadsheet's export with `;` between the columns.
    let l = load("zone;provider\nfoo.example;Me\n".as_bytes(), "local.csv", FileKind::Zones);
    assert_eq!(
        l.problems[0].to_string(),
        "local.csv: line 1: no `zone` column in the header (it reads \"zone;provider\": separate \
         the columns with commas)"
    );
    for (name, kind) in [
        ("lookups/dynamicdns_local_zones.csv", Some(FileKind::Zones)),
        ("dynamic_dns_providers_local.csv", Some(FileKind::Zones)),
        ("/x/dynamicdns_allowlist.csv", Some(FileKind::Allowlist)),
        ("dynamic_dns_allowlist.csv", Some(FileKind::Allowlist)),
        ("mine.csv", None),
    ] {
        assert_eq!(FileKind::of_file_name(std::path::Path::new(name)), kind, "{name}");
    }
}

/// Allowlist rows by host, provider or category, with reason and
/// expiry; the old two-column files still load.
#[test]
fn allowlist_rows_by_name_provider_and_category() {
    let csv = "host,provider,category,reason,expires\n\
               vpn.duckdns.org,,,our VPN,\n\
               ,No-IP,,lab uses No-IP,2026-12-31\n\
               ,,vendor-ddns,NAS fleet,2026-12-01\n\
               ,,provider-service,,\n\
               old.duckdns.org,,,temporary,2026-11-30\n\
               ,,gold,,\n\
               x.duckdns.org,Dyn,,both,\n\
               ,Dynu,,bad date,2026-02-30\n\
               # ,Ignored,,,\n";
    let l = load_at(csv.as_bytes(), "allow.csv", FileKind::Allowlist, TODAY);
    let msgs: Vec<String> = l.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "allow.csv: line 6: expired on 2026-11-30",
            "allow.csv: line 7: category \"gold\" is not one the list uses (ddns, vendor-ddns, vpn-vendor, provider-service)",
            "allow.csv: line 8: give one of host (or zone), provider or category per row",
            "allow.csv: line 9: expires \"2026-02-30\" is not a date (YYYY-MM-DD)",
        ]
    );
    assert_eq!(l.providers, ["No-IP"]);
    assert_eq!(l.categories, ["vendor-ddns", "provider-service"]);
    assert_eq!(l.table.len(), 1);
    let l =
        load_at("host,comment\nours.duckdns.org,x\n".as_bytes(), "a", FileKind::Allowlist, TODAY);
    assert!(l.problems.is_empty() && l.table.len() == 1);
    let l = load_at("provider\nNo-IP\n".as_bytes(), "a", FileKind::Allowlist, TODAY);
    assert!(l.problems.is_empty() && l.providers == ["No-IP"]);
}

/// The local zones file under its new name wins; the old name is still
/// read, with a warning, so upgrades keep their rows.
#[test]
fn old_local_file_name_is_read_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join(OLD_LOCAL_FILE), "zone,provider\nold.example,Old\nboth.example,Old\n")
        .unwrap();
    let l = LocalFiles::read_at(dir, TODAY);
    let msgs: Vec<String> = l.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        msgs,
        ["dynamic_dns_providers_local.csv: old file name, read for now; rename it to \
          dynamicdns_local_zones.csv (the app's own files are named dynamicdns_*, so that \
          no other app's lookup, such as ESCU's dynamic_dns_providers_local.csv, can shadow \
          them)"]
    );
    assert_eq!(l.zones.as_ref().unwrap().len(), 2);
    std::fs::write(dir.join(LOCAL_FILE), "zone,provider\nnew.example,New\nboth.example,New\n")
        .unwrap();
    let l = LocalFiles::read_at(dir, TODAY);
    let t = l.zones.unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(t.provider_name(t.get(b"both.example").unwrap()), "New");
    assert_eq!(
        l.found,
        [
            FoundFile { name: LOCAL_FILE.into(), rows: 2 },
            FoundFile { name: OLD_LOCAL_FILE.into(), rows: 2 }
        ]
    );
}

/// 200,000 bad rows: the first [`MAX_PROBLEMS_PER_FILE`] with their lines,
/// then one that counts the rest; the good rows all load.
#[test]
fn problems_are_capped_per_file() {
    let mut csv = String::from("zone\ngood.example\n");
    for i in 0..200_000 {
        csv.push_str(&format!("bad{i}\n"));
    }
    let l = load(csv.as_bytes(), "local.csv", FileKind::Zones);
    assert_eq!(l.table.len(), 1);
    assert_eq!(l.problems.len(), MAX_PROBLEMS_PER_FILE + 1);
    assert_eq!(
        l.problems[0].to_string(),
        "local.csv: line 3: \"bad0\" is not a DNS name of two or more labels"
    );
    assert_eq!(
        l.problems[MAX_PROBLEMS_PER_FILE].to_string(),
        "… and 199980 more problems in local.csv"
    );
    assert_eq!(l.problem_count(), 200_000);
}

/// A row past a table's capacity is a problem naming the limit; later
/// rows that fit still load.
#[test]
fn capacity_limits_are_problems_naming_the_limit() {
    let mut csv = String::from("zone,category\n");
    // Categories are words of letters: 26 * 26 of them, more than 255.
    let words = (b'a'..=b'z').flat_map(|a| (b'a'..=b'z').map(move |b| [a, b]));
    for (i, w) in words.take(300).enumerate() {
        csv.push_str(&format!("z{i}.example,c-{}\n", std::str::from_utf8(&w).unwrap()));
    }
    csv.push_str("last.example,c-aa\n");
    let l = load(csv.as_bytes(), "local.csv", FileKind::Zones);
    assert_eq!(l.table.len(), 256, "255 categories and the row that reuses one");
    assert_eq!(
        l.problems[0].to_string(),
        "local.csv: line 257: \"z255.example\" left out: more than 255 distinct categories, \
         the most a zone table holds"
    );
    assert_eq!(l.problem_count(), 45);
    assert!(l.table.get(b"last.example").is_some());

    let mut csv = String::from("zone,provider\n");
    for i in 0..65_540 {
        csv.push_str(&format!("z{i}.example,P{i}\n"));
    }
    let l = load(csv.as_bytes(), "local.csv", FileKind::Zones);
    assert_eq!(l.table.len(), 65_535);
    assert_eq!(
        l.problems[0].to_string(),
        "local.csv: line 65537: \"z65535.example\" left out: more than 65535 distinct provider \
         names, the most a zone table holds"
    );
    assert_eq!(l.problem_count(), 5);
}

/// Unicode names load as punycode, with the IDNA mapping host extraction
/// uses, so a host below them matches.
#[test]
fn unicode_names_load_as_punycode() {
    let l = load(
        "zone,provider\nBücher.example,B\n*.münchen.de.,M\nbad name.ü,X\n".as_bytes(),
        "local.csv",
        FileKind::Zones,
    );
    assert!(l.table.get(b"xn--bcher-kva.example").is_some());
    assert!(l.table.get(b"xn--mnchen-3ya.de").is_some());
    let msgs: Vec<String> = l.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        msgs,
        ["local.csv: line 4: \"bad name.ü\" is not a DNS name of two or more labels"]
    );
    let set = ZoneSet::from_table(l.table);
    let mut hosts = crate::host::HostExtractor::new();
    let host = hosts.host("x.BÜCHER.example".as_bytes()).unwrap();
    assert_eq!(set.longest_match(host).map(|m| m.zone), Some("xn--bcher-kva.example"));
}

/// The current and the pre-0.2 local zones file together may bring more
/// distinct providers than one table holds: the rows left out in the merge
/// are problems of their file (capped), never dropped silently.
#[test]
fn merged_local_files_report_rows_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let file = |prefix: &str| {
        let mut csv = String::from("zone,provider\n");
        for i in 0..40_000 {
            csv.push_str(&format!("{prefix}{i}.example,{prefix}{i}\n"));
        }
        csv
    };
    std::fs::write(tmp.path().join(LOCAL_FILE), file("new")).unwrap();
    std::fs::write(tmp.path().join(OLD_LOCAL_FILE), file("old")).unwrap();
    let l = LocalFiles::read_at(tmp.path(), TODAY);
    let msgs: Vec<String> = l.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(msgs.len(), 1 + MAX_PROBLEMS_PER_FILE + 1, "{msgs:?}");
    // The new file's rows go in first: the old file's rows overflow.
    assert_eq!(
        msgs[1],
        "dynamic_dns_providers_local.csv: zone \"old25535.example\" left out: more than 65535 \
         distinct provider names, the most a zone table holds"
    );
    assert_eq!(msgs[21], "… and 14445 more problems in dynamic_dns_providers_local.csv");
    assert_eq!(l.problems.iter().map(ZoneFileError::count).sum::<u64>(), 1 + 14_465);
    assert_eq!(l.zones.unwrap().len(), 65_535);
}

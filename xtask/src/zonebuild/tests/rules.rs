//! The build's rules (precedence, tiers, suspicious-zone resolution, bad
//! rows) on small scratch data directories.

use std::fs;
use std::path::PathBuf;

use crate::zonebuild::{build, SOURCES};

const CATEGORIES_JSON: &str = r#"{
 "DuckDNS": "ddns",
 "Dynu": "ddns",
 "No-IP": "ddns",
 "OpenHost": "ddns",
 "Synology": "vendor-ddns"
}
"#;

const PROVIDERS_CSV: &str = "provider,category,zones_in_merged\n\
                             FreeDNS (afraid.org),ddns,1\n\
                             Dyn (DynDNS),ddns,1\n\
                             No-IP,ddns,1\n\
                             Now-DNS,ddns,1\n\
                             ChangeIP,ddns,1\n\
                             DNSExit,ddns,1\n\
                             DNSdynamic,ddns,1\n\
                             Synology,vendor-ddns,1\n\
                             SoftEther,vpn-vendor,1\n";

const HEADER_ROW: &str = "zone,provider,source_ref\n";
const SERVICE_HEADER: &str = "host,provider,zone,role,source\n";
pub(super) const ATTRIBUTION_HEADER: &str = "zone,action,provider,source,note\n";
const SUSPICIOUS_HEADER: &str = "zone,reason,provider,sources\n";
pub(super) const PAGE: &str = "m [basis: provider page reference]";
const HEURISTIC: &str = "m [basis: heuristic: passive-DNS/whois/registrant section]";
const NO_PROVIDER: &str = "m [basis: no provider]";

/// A scratch data directory, removed on drop: every source present and
/// empty until set.
pub(super) struct DataDir(tempfile::TempDir);

impl DataDir {
    pub(super) fn new() -> DataDir {
        let dir = tempfile::Builder::new().prefix("dynamicdns-zonebuild-").tempdir().unwrap();
        fs::create_dir_all(dir.path().join("sources")).unwrap();
        let d = DataDir(dir);
        d.write("psl_provider_category.json", CATEGORIES_JSON);
        d.write("providers.csv", PROVIDERS_CSV);
        d.write("suspicious.csv", SUSPICIOUS_HEADER);
        d.write("service_hosts.csv", SERVICE_HEADER);
        d.write("attribution.csv", ATTRIBUTION_HEADER);
        // The real TLDs, plus RFC 6761's `example` the scratch data uses.
        let tlds = fs::read_to_string(crate::zonebuild::tests::repo_root().join("data/tlds.txt"))
            .unwrap();
        d.write("tlds.txt", &format!("{tlds}example\n"));
        for source in SOURCES {
            d.source(source.name, "");
        }
        d
    }

    /// Sets the rows (without header) of one source.
    pub(super) fn source(&self, name: &str, rows: &str) -> &DataDir {
        self.write(&format!("sources/{name}.csv"), &format!("{HEADER_ROW}{rows}"));
        self
    }

    /// Sets the rows (without header) of `suspicious.csv`.
    fn suspicious(&self, rows: &str) -> &DataDir {
        self.write("suspicious.csv", &format!("{SUSPICIOUS_HEADER}{rows}"));
        self
    }

    pub(super) fn write(&self, rel: &str, text: &str) {
        fs::write(self.0.path().join(rel), text).unwrap();
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.path().join(rel)
    }

    /// The three outputs as text.
    pub(super) fn build(&self) -> [String; 3] {
        let built = build(self.0.path()).unwrap_or_else(|e| panic!("build failed: {e}"));
        [built.lookup, built.excluded, built.resolution].map(|b| String::from_utf8(b).unwrap())
    }

    /// The lookup as text.
    pub(super) fn lookup(&self) -> String {
        let [lookup, _, _] = self.build();
        lookup
    }

    /// The error message of a failing build.
    pub(super) fn error(&self) -> String {
        match build(self.0.path()) {
            Ok(built) => {
                panic!("expected an error, got {}", String::from_utf8_lossy(&built.lookup))
            }
            Err(e) => e.to_string(),
        }
    }
}

/// The output row of `zone` (zone is the first field).
pub(super) fn row<'a>(out: &'a str, zone: &str) -> &'a str {
    out.lines().find(|l| l.split(',').next() == Some(zone)).unwrap_or_else(|| {
        panic!("no row for {zone} in\n{out}");
    })
}

/// A `maltrail` row.
pub(super) fn mt(zone: &str, provider: &str, basis: &str) -> String {
    format!("{zone},{provider},{basis}\n")
}

#[test]
fn provider_precedence_follows_the_source_order() {
    let d = DataDir::new();
    // Each zone is named by two adjacent sources in precedence order; the
    // first one wins.
    d.source("psl", "a.example,OpenHost,r\n")
        .source("dyn_dns_list", "a.example,Now-DNS,r\nb.example,Now-DNS,r\n")
        .source("sublime", "b.example,ChangeIP,r\nc.example,ChangeIP,r\n")
        .source("et_open", "c.example,No-IP,r\nd.example,No-IP,r\n")
        .source(
            "maltrail",
            &[mt("d.example", "DNSdynamic", PAGE), mt("e.example", "DNSdynamic", PAGE)].concat(),
        )
        .source("seed_kql", "e.example,No-IP,r\nf.example,No-IP,r\n")
        .source("misp", "f.example,Dynu,r\ng.example,Dynu,r\n");
    let out = d.lookup();
    assert_eq!(row(&out, "a.example"), "a.example,OpenHost,ddns,core,dyn_dns_list;psl");
    assert_eq!(row(&out, "b.example"), "b.example,Now-DNS,ddns,core,dyn_dns_list;sublime");
    assert_eq!(row(&out, "c.example"), "c.example,ChangeIP,ddns,core,et_open;sublime");
    assert_eq!(row(&out, "d.example"), "d.example,No-IP,ddns,core,et_open;maltrail");
    assert_eq!(row(&out, "e.example"), "e.example,DNSdynamic,ddns,core,maltrail;seed_kql");
    assert_eq!(row(&out, "f.example"), "f.example,No-IP,ddns,core,misp;seed_kql");
    // misp never names a provider.
    assert_eq!(row(&out, "g.example"), "g.example,,ddns,extended,misp");
}

#[test]
fn empty_provider_falls_through_and_heuristics_come_last() {
    let d = DataDir::new();
    d.source("psl", "a.example,,r\n")
        .source("sublime", "a.example,,r\n")
        .source("et_open", "a.example,,r\nb.example,,r\n")
        .source(
            "maltrail",
            &[
                mt("a.example", "Dyn (DynDNS)", PAGE),
                mt("b.example", "No-IP", HEURISTIC),
                mt("c.example", "DtDNS", HEURISTIC),
                mt("d.example", "", NO_PROVIDER),
                mt("f.example", "DtDNS", HEURISTIC),
            ]
            .concat(),
        )
        .source("seed_kql", "f.example,Seedy,r\n")
        .source("security_content", "b.example,,r\nc.example,,r\n")
        .source("sigma", "d.example,,r\n")
        .source("nolovia", "e.example,No-IP,r\n");
    let out = d.lookup();
    assert_eq!(
        row(&out, "a.example"),
        "a.example,Dyn (DynDNS),ddns,core,et_open;maltrail;psl;sublime"
    );
    // A heuristic section's provider is a last resort and never core evidence.
    assert_eq!(
        row(&out, "b.example"),
        "b.example,No-IP,ddns,core,et_open;maltrail;security_content"
    );
    assert_eq!(row(&out, "c.example"), "c.example,DtDNS,ddns,extended,maltrail;security_content");
    assert_eq!(row(&out, "f.example"), "f.example,Seedy,ddns,core,maltrail;seed_kql");
    assert_eq!(row(&out, "d.example"), "d.example,,ddns,extended,maltrail;sigma");
    assert_eq!(row(&out, "e.example"), "e.example,,ddns,extended,nolovia");
}

#[test]
fn tiers_follow_the_evidence() {
    let d = DataDir::new();
    d.source("psl", "psl.example,,r\n")
        .source(
            "dyn_dns_list",
            "ddl-freedns.example,FreeDNS (afraid.org),r\nddl-noip.example,No-IP,r\n\
             et-freedns.example,FreeDNS (afraid.org),r\n",
        )
        .source(
            "sublime",
            "sub-freedns.example,freedns.afraid.org,r\nsub-empty.example,,r\n\
             sub-dynaccess.example,DynAccess,r\n",
        )
        .source("et_open", "et-freedns.example,FreeDNS (afraid.org),r\net-none.example,,r\n")
        .source(
            "maltrail",
            &[
                mt("mt-page.example", "ChangeIP", PAGE),
                mt("mt-heuristic.example", "ChangeIP", HEURISTIC),
                mt("mt-none.example", "", NO_PROVIDER),
            ]
            .concat(),
        )
        .source("seed_kql", "seed.example,No-IP,r\n")
        .source("misp", "misp.example,,r\nddl-noip.example,,r\n")
        .source("security_content", "sc.example,,r\n")
        .source("sigma", "sigma.example,,r\n")
        .source("nolovia", "nolovia.example,,r\n");
    let out = d.lookup();
    let tier = |zone: &str| row(&out, zone).split(',').nth(3).unwrap().to_string();
    for zone in [
        "psl.example",
        "ddl-noip.example",
        "sub-dynaccess.example",
        "et-freedns.example",
        "et-none.example",
        "mt-page.example",
        "seed.example",
    ] {
        assert_eq!(tier(zone), "core", "{zone}");
    }
    for zone in [
        "ddl-freedns.example",
        "sub-freedns.example",
        "sub-empty.example",
        "mt-heuristic.example",
        "mt-none.example",
        "misp.example",
        "sc.example",
        "sigma.example",
        "nolovia.example",
    ] {
        assert_eq!(tier(zone), "extended", "{zone}");
    }
    assert_eq!(
        row(&out, "sub-freedns.example"),
        "sub-freedns.example,FreeDNS (afraid.org),ddns,extended,sublime"
    );
}

#[test]
fn suspicious_zones_are_resolved_by_rule() {
    let d = DataDir::new();
    d.source("psl", "dyn.example,Dyn (DynDNS),r\n")
        .source(
            "dyn_dns_list",
            "gov.go.id,FreeDNS (afraid.org),r\nisp.example,FreeDNS (afraid.org),r\n",
        )
        .source("et_open", "gov.go.id,FreeDNS (afraid.org),r\nvpn.example,SoftEther,r\n")
        .source(
            "maltrail",
            &[
                mt("popular.example", "", NO_PROVIDER),
                mt("corp.example", "No-IP", HEURISTIC),
                mt("tunnel.example", "", NO_PROVIDER),
            ]
            .concat(),
        )
        .source("sigma", "tunnel.example,,r\n")
        .suspicious(
            "tunnel.example,\"tunnelling service (x); also listed in maltrail \
             suspicious/port_proxy.txt\",,sigma\n\
             corp.example,provider corporate domain (No-IP); popular site (Tranco rank 1) \
             with no provider-owned evidence,No-IP,maltrail\n\
             gov.go.id,government/education domain,FreeDNS (afraid.org),dyn_dns_list\n\
             isp.example,ISP domain,,dyn_dns_list\n\
             popular.example,popular site (Tranco rank 5) with no provider-owned evidence,,x\n\
             vpn.example,VPN vendor DDNS for X (vendor DDNS; keep or drop by policy),,et_open\n\
             hagezi-only.example,DNS hosting company domain,,hagezi\n",
        );
    let [lookup, excluded, resolution] = d.build();
    assert_eq!(
        lookup,
        "zone,provider,category,tier,sources\n\
         dyn.example,Dyn (DynDNS),ddns,core,psl\n\
         gov.go.id,FreeDNS (afraid.org),ddns,extended,dyn_dns_list;et_open\n\
         popular.example,,ddns,extended,maltrail\n\
         vpn.example,SoftEther,vpn-vendor,core,et_open\n"
    );
    assert_eq!(
        excluded,
        "zone,reason,sources\n\
         corp.example,\"provider corporate domain (site and update API, no user hosts) \
         (suspicious.csv: provider corporate domain (No-IP); popular site (Tranco rank 1) with \
         no provider-owned evidence)\",maltrail\n\
         isp.example,ISP or carrier domain (suspicious.csv: ISP domain),dyn_dns_list\n\
         tunnel.example,\"tunnel or port-mapping service, not DDNS (suspicious.csv: tunnelling \
         service (x); also listed in maltrail suspicious/port_proxy.txt)\",maltrail;sigma\n"
    );
    assert_eq!(
        resolution,
        "zone,decision,reason\n\
         corp.example,exclude,\"provider corporate domain (site and update API, no user hosts)\"\n\
         gov.go.id,extended,government/education domain (FreeDNS registry member): extended \
         only\n\
         hagezi-only.example,absent,\"named by no vendored source (would be exclude: DNS \
         hosting company or DNS infrastructure, not DDNS)\"\n\
         isp.example,exclude,ISP or carrier domain\n\
         popular.example,extended,popular site without provider-owned evidence: extended only\n\
         tunnel.example,exclude,\"tunnel or port-mapping service, not DDNS\"\n\
         vpn.example,keep,VPN vendor DDNS: kept\n"
    );
}

#[test]
fn suspicious_reasons_must_be_known_and_decisive() {
    let d = DataDir::new();
    d.suspicious("a.example,government/education domain,,x\nb.example,looks odd,,x\n");
    let path = d.path("suspicious.csv");
    assert_eq!(
        d.error(),
        format!(
            "{}: line 3: zone \"b.example\": reason part \"looks odd\" matches no rule; add its \
             phrase to SUSPICION_RULES in xtask/src/zonebuild/rules.rs",
            path.display()
        )
    );

    let d = DataDir::new();
    d.suspicious("a.example,listed as a free subdomain host (x),,x\n");
    let message = d.error();
    assert!(message.contains("suspicious.csv: line 2: zone \"a.example\": reason"), "{message}");
    assert!(message.contains("no deciding part"), "{message}");

    let d = DataDir::new();
    d.suspicious("a.example,ISP domain,,x\nA.example,ISP domain,,x\n");
    assert!(d.error().contains("suspicious.csv: line 3: zone \"A.example\" contains 'A'"));

    let d = DataDir::new();
    d.suspicious("a.example,ISP domain,,x\na.example,carrier domain,,x\n");
    assert!(d
        .error()
        .ends_with("suspicious.csv: line 3: zone \"a.example\" is already listed on line 2"));

    let d = DataDir::new();
    d.write("suspicious.csv", "zone,provider\na.example,x\n");
    assert!(d.error().contains("suspicious.csv: line 1: no `reason` column"));
}

#[test]
fn seed_display_names_become_providers() {
    // Seed only: the zone table alone must give the real providers.
    let d = DataDir::new();
    d.source(
        "seed_kql",
        "ddns.net,DDNS.net,r\n\
         freeddns.org,FreeDDNS,r\n\
         duckdns.org,DuckDNS,r\n\
         gotdns.ch,GotDNS,r\n\
         3utilities.com,3utilities,r\n\
         bounceme.net,BounceMe,r\n\
         publicvm.com,PublicVM,r\n\
         freedynamicdns.org,FreeDynamicDNS,r\n\
         zapto.org,No-IP,r\n\
         new-seed.example,noip.com,r\n",
    );
    assert_eq!(
        d.lookup(),
        "zone,provider,category,tier,sources\n\
         3utilities.com,No-IP,ddns,core,seed_kql\n\
         bounceme.net,No-IP,ddns,core,seed_kql\n\
         ddns.net,No-IP,ddns,core,seed_kql\n\
         duckdns.org,DuckDNS,ddns,core,seed_kql\n\
         freeddns.org,Dynu,ddns,core,seed_kql\n\
         freedynamicdns.org,No-IP,ddns,core,seed_kql\n\
         gotdns.ch,No-IP,ddns,core,seed_kql\n\
         new-seed.example,No-IP,ddns,core,seed_kql\n\
         publicvm.com,DNSExit,ddns,core,seed_kql\n\
         zapto.org,No-IP,ddns,core,seed_kql\n"
    );
}

#[test]
fn provider_names_are_harmonised() {
    let d = DataDir::new();
    d.source(
        "dyn_dns_list",
        "a.example,noip,r\n\
         b.example,No-IP.com,r\n\
         c.example,dyn.com,r\n\
         d.example,DynDNS Pro,r\n\
         e.example,now-dns.com,r\n\
         f.example,DYNU,r\n\
         g.example,  synology ,r\n\
         h.example,pubyun.com,r\n\
         i.example,Unknown  Provider,r\n\
         j.example,afraid.org,r\n",
    );
    let out = d.lookup();
    let expected = [
        ("a.example", "No-IP,ddns,core"),
        ("b.example", "No-IP,ddns,core"),
        ("c.example", "Dyn (DynDNS),ddns,core"),
        ("d.example", "Dyn (DynDNS),ddns,core"),
        ("e.example", "Now-DNS,ddns,core"),
        ("f.example", "Dynu,ddns,core"),
        ("g.example", "Synology,vendor-ddns,core"),
        ("h.example", "Pubyun (3322.org),ddns,core"),
        ("i.example", "Unknown Provider,ddns,core"),
        ("j.example", "FreeDNS (afraid.org),ddns,extended"),
    ];
    for (zone, rest) in expected {
        assert_eq!(row(&out, zone), format!("{zone},{rest},dyn_dns_list"));
    }
}

#[test]
fn exact_output_sorting_sources_and_quoting() {
    let d = DataDir::new();
    d.source(
        "psl",
        "home.dyndns.org,Dyn (DynDNS),r\nsynology.me,Synology,r\na.example,\"Foo, Inc.\",r\n",
    )
    .source(
        "dyn_dns_list",
        "a_b.example,ChangeIP,r\na0.example,ChangeIP,r\ndyndns.org,Dyn (DynDNS),r\n\
             a-b.example,ChangeIP,r\nhome.dyndns.org,dyn.com,r\n",
    )
    .source("seed_kql", "zapto.org,No-IP,r\n");
    let out = d.lookup();
    // Bytewise: '-' < '.' < '0' < '_' < 'a'.
    assert_eq!(
        out,
        "zone,provider,category,tier,sources\n\
         a-b.example,ChangeIP,ddns,core,dyn_dns_list\n\
         a.example,\"Foo, Inc.\",ddns,core,psl\n\
         a0.example,ChangeIP,ddns,core,dyn_dns_list\n\
         a_b.example,ChangeIP,ddns,core,dyn_dns_list\n\
         dyndns.org,Dyn (DynDNS),ddns,core,dyn_dns_list\n\
         home.dyndns.org,Dyn (DynDNS),ddns,core,dyn_dns_list;psl\n\
         synology.me,Synology,vendor-ddns,core,psl\n\
         zapto.org,No-IP,ddns,core,seed_kql\n"
    );
    // Deterministic, LF only.
    assert_eq!(d.lookup(), out);
    assert!(!out.contains('\r'));
}

#[test]
fn empty_sources_give_headers_only() {
    let d = DataDir::new();
    assert_eq!(
        d.build(),
        [
            "zone,provider,category,tier,sources\n",
            "zone,reason,sources\n",
            "zone,decision,reason\n"
        ]
    );
}

// ---------------------------------------------------------------------------
// Bad rows: the error names the file and the line.

#[test]
fn bad_zone_names_file_and_line() {
    let d = DataDir::new();
    d.source("et_open", "ok.example,Dynu,r\nBad.Example,Dynu,r\n");
    let path = d.path("sources/et_open.csv");
    let message = d.error();
    assert!(
        message.starts_with(&format!("{}: line 3: zone \"Bad.Example\"", path.display())),
        "{message}"
    );
    assert!(message.contains("'B'"), "{message}");
}

#[test]
fn invalid_zones_are_rejected() {
    let cases = [
        ("localhost", "single label"),
        ("1.2.3.4", "numeric label"),
        ("example.123", "numeric label"),
        ("a..example", "empty label"),
        (".example.com", "empty label"),
        ("example.com.", "empty label"),
        ("*.example.com", "contains '*'"),
        (" example.com", "contains ' '"),
        ("ex%61mple.com", "contains '%'"),
        ("bücher.example", "contains 'ü'"),
    ];
    for (zone, problem) in cases {
        for source in ["psl", "security_content"] {
            let d = DataDir::new();
            d.source(source, &format!("ok.example,,r\n\"{zone}\",,r\n"));
            let message = d.error();
            assert!(message.contains(&format!("{source}.csv: line 3: ")), "{zone}: {message}");
            assert!(message.contains(problem), "{zone}: {message}");
        }
    }
    let d = DataDir::new();
    d.source("sigma", &format!("{}.com,,r\n", "a".repeat(64)));
    assert!(d.error().contains("sigma.csv: line 2: zone \"aaaa"));
    assert!(d.error().contains("longer than 63"));
    let d = DataDir::new();
    d.source("nolovia", &format!("{}com,,r\n", "abcdefghi.".repeat(26)));
    assert!(d.error().contains("at most 253"));
    let d = DataDir::new();
    d.source("psl", ",No-IP,r\n");
    assert!(d.error().ends_with("psl.csv: line 2: empty zone"));
}

#[test]
fn duplicate_zone_in_one_source_is_an_error() {
    let d = DataDir::new();
    d.source("seed_kql", "ddns.net,DDNS.net,r\nzapto.org,No-IP,r\nddns.net,No-IP,r\n");
    let message = d.error();
    assert!(
        message.ends_with("seed_kql.csv: line 4: zone \"ddns.net\" is already listed on line 2"),
        "{message}"
    );
}

#[test]
fn maltrail_rows_need_a_consistent_basis() {
    let d = DataDir::new();
    d.source(
        "maltrail",
        &[mt("a.example", "", NO_PROVIDER), mt("b.example", "No-IP", "m")].concat(),
    );
    let message = d.error();
    assert!(
        message.contains("maltrail.csv: line 3: source_ref \"m\" does not end in"),
        "{message}"
    );

    let d = DataDir::new();
    d.source("maltrail", &mt("a.example", "No-IP", NO_PROVIDER));
    let message = d.error();
    assert!(message.contains("maltrail.csv: line 2: basis NoProvider"), "{message}");

    let d = DataDir::new();
    d.source("maltrail", &mt("a.example", "", PAGE));
    assert!(d.error().contains("maltrail.csv: line 2: basis ProviderPage"));

    let d = DataDir::new();
    d.source("maltrail", "");
    d.write("sources/maltrail.csv", "zone,provider\na.example,\n");
    assert!(d.error().contains("maltrail.csv: line 1: no `source_ref` column"));
}

#[test]
fn malformed_csv_names_line() {
    let d = DataDir::new();
    d.source("sublime", "ddns.net,No-IP,r\nzapto.org,No-IP,r,extra\n");
    let message = d.error();
    assert!(message.contains("sublime.csv: line 3: 4 fields, but the header has 3"), "{message}");
}

#[test]
fn missing_column_and_file() {
    let d = DataDir::new();
    d.write("sources/psl.csv", "domain,provider\nddns.net,No-IP\n");
    let message = d.error();
    assert!(message.contains("psl.csv: line 1: no `zone` column"), "{message}");

    for source in SOURCES {
        let d = DataDir::new();
        fs::remove_file(d.path(&format!("sources/{}.csv", source.name))).unwrap();
        let message = d.error();
        assert!(message.contains(&format!("{}.csv: cannot read", source.name)), "{message}");
    }
    let d = DataDir::new();
    fs::remove_file(d.path("suspicious.csv")).unwrap();
    assert!(d.error().contains("suspicious.csv: cannot read"));
    let d = DataDir::new();
    fs::remove_file(d.path("attribution.csv")).unwrap();
    assert!(d.error().contains("attribution.csv: cannot read"));
}

#[test]
fn category_files_are_checked() {
    let d = DataDir::new();
    d.write("providers.csv", "provider,category\nSynology,ddns\n");
    let message = d.error();
    assert!(
        message.contains("providers.csv: line 2: provider \"Synology\" has category \"ddns\""),
        "{message}"
    );

    let d = DataDir::new();
    d.write("providers.csv", "provider,category\nNo-IP,ddns\nNo-IP,ddns\n");
    assert!(d.error().contains("providers.csv: line 3: provider \"No-IP\" is already listed"));

    let d = DataDir::new();
    d.write("providers.csv", "provider,category\nFoo,DDNS\n");
    assert!(d.error().contains("providers.csv: line 2: provider \"Foo\": category \"DDNS\""));

    let d = DataDir::new();
    d.write("psl_provider_category.json", "{\n \"No-IP\": \"ddns\",\n \"x\": 1\n}\n");
    let message = d.error();
    assert!(message.contains("psl_provider_category.json: line 3: column"), "{message}");
}

/// Rule 9 on scratch data: a corrupt row leaves the list for the excluded
/// file, with its reason and sources.
#[test]
fn corrupt_rows_are_excluded_with_the_reason() {
    let d = DataDir::new();
    d.source("security_content", "dyndns.org,,r\ndyndns.orgdyndns.org,,r\nx.nosuchtld,,r\n");
    let [lookup, excluded, _] = d.build();
    assert!(lookup.contains("\ndyndns.org,"), "{lookup}");
    assert!(!lookup.contains("dyndns.orgdyndns.org") && !lookup.contains("nosuchtld"));
    assert!(
        excluded.contains(
            "dyndns.orgdyndns.org,corrupt source row: the zone's text is doubled (dyndns.org twice),security_content"
        ),
        "{excluded}"
    );
    assert!(excluded.contains("x.nosuchtld,corrupt source row: the top-level domain .nosuchtld"));
}

/// Rule 10: the service hosts are checked row by row; a bad row fails the
/// build naming the file and the line.
#[test]
fn service_host_rows_are_checked() {
    let d = DataDir::new();
    d.write(
        "service_hosts.csv",
        &format!(
            "{SERVICE_HEADER}checkip.dyndns.org,dyndns,dyndns.org,check-ip,a/b@0123abc:c.in\n"
        ),
    );
    let built = build(d.0.path()).unwrap();
    assert_eq!(
        String::from_utf8(built.service_hosts).unwrap(),
        "host,provider,zone,role,category,source\n\
         checkip.dyndns.org,Dyn (DynDNS),dyndns.org,check-ip,provider-service,a/b@0123abc:c.in\n"
    );
    let cases: &[(&str, &str)] = &[
        ("Bad.host.org,P,host.org,api,https://x", "host \"Bad.host.org\" contains 'B'"),
        ("a.host.org,P,other.org,api,https://x", "is not \"other.org\" or a name below it"),
        (
            "a.host.org,P,host.org,dns,https://x",
            "role \"dns\" is not one of update, check-ip, web, api, nameserver",
        ),
        ("a.host.org,,host.org,api,https://x", "has no provider"),
        ("a.host.org,P,host.org,api,", "no source"),
        ("a.host.org,P,host.org,api,somewhere", "neither owner/repo@<commit>:path nor"),
    ];
    for (row, want) in cases {
        let d = DataDir::new();
        d.write("service_hosts.csv", &format!("{SERVICE_HEADER}{row}\n"));
        let e = d.error();
        assert!(e.contains("service_hosts.csv: line 2: ") && e.contains(want), "{row}: {e}");
    }
    let d = DataDir::new();
    d.write(
        "service_hosts.csv",
        &format!("{SERVICE_HEADER}b.host.org,P,host.org,api,https://x\na.host.org,P,host.org,api,https://x\n"),
    );
    assert!(d.error().contains("line 3: host \"a.host.org\" is out of order"));
}

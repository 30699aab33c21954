//! The one policy table every export's test runs: hosts and URLs with the
//! verdict `dynamicdns check` gives them (tests/export.rs asserts that it
//! still does), so every platform's answers are held to the binary's.

/// One case: the value, whether it is dynamic DNS, the zone and provider
/// reported (for a service host: its zone, with `service`), and whether the
/// value is a URL (only URL-reading formats get those).
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// The value as a log holds it.
    pub input: &'static str,
    /// `isDynDNS`.
    pub dyndns: bool,
    /// The zone reported (empty when none).
    pub zone: &'static str,
    /// The provider reported (empty when none).
    pub provider: &'static str,
    /// A provider service host (`isDynDNS` false, zone and provider set).
    pub service: bool,
    /// The value is a URL or has a port: only for formats that read URLs.
    pub url: bool,
}

const fn yes(input: &'static str, zone: &'static str, provider: &'static str) -> Case {
    Case { input, dyndns: true, zone, provider, service: false, url: false }
}
const fn no(input: &'static str) -> Case {
    Case { input, dyndns: false, zone: "", provider: "", service: false, url: false }
}
const fn svc(input: &'static str, zone: &'static str, provider: &'static str) -> Case {
    Case { input, dyndns: false, zone, provider, service: true, url: false }
}
const fn url(c: Case) -> Case {
    Case { url: true, ..c }
}

const DUCK: &str = "DuckDNS";
const DYN: &str = "Dyn (DynDNS)";

/// The table (README "Verdict policy", issue 16's cases).
pub const POLICY: &[Case] = &[
    yes("x.duckdns.org", "duckdns.org", DUCK),
    yes("X.DuckDNS.Org", "duckdns.org", DUCK),
    yes("a.b.duckdns.org", "duckdns.org", DUCK),
    yes("x.duckdns.org.", "duckdns.org", DUCK),
    no("duckdns.org"),
    no("DuckDNS.org."),
    no("foo.duckdns.org.evil.com"),
    no("myduckdns.org"),
    no("a.myduckdns.org"),
    no("duckdns.organic.com"),
    yes("x.ddns.net", "ddns.net", "No-IP"),
    no("ddns.net"),
    yes("x.home.dyndns.org", "home.dyndns.org", DYN),
    yes("home.dyndns.org", "dyndns.org", DYN),
    yes("x.dyndns.org", "dyndns.org", DYN),
    svc("checkip.dyndns.org", "dyndns.org", DYN),
    svc("CheckIP.DynDNS.org", "dyndns.org", DYN),
    svc("members.dyndns.org", "dyndns.org", DYN),
    yes("a.checkip.dyndns.org", "dyndns.org", DYN),
    no("dyndns.org"),
    no(".duckdns.org"),
    no("a..duckdns.org"),
    no("example.com"),
    no("10.0.0.1"),
    no("-"),
    no(""),
    url(yes("https://user@x.duckdns.org:8443/p?q=1", "duckdns.org", DUCK)),
    url(yes("x.duckdns.org:443", "duckdns.org", DUCK)),
    url(no("http://evil.example/x.duckdns.org")),
    url(no("http://x.duckdns.org@evil.example/")),
    url(no("[2001:db8::1]")),
    url(no("duckdns.org:443")),
    // Forms browsers accept (WHATWG URL, special schemes, no base URL):
    // any run of `/` and `\` after `scheme:`, `\` ends the authority.
    url(yes("https:\\\\x.duckdns.org\\", "duckdns.org", DUCK)),
    url(yes("HTTP:\\\\\\\\X.duckdns.org\\a.ps1", "duckdns.org", DUCK)),
    url(yes("http:/x.duckdns.org/a", "duckdns.org", DUCK)),
    url(yes("http:///x.duckdns.org/a", "duckdns.org", DUCK)),
    url(yes("http:\\/u@x.duckdns.org:8080\\a", "duckdns.org", DUCK)),
    url(yes("wss:/x.ddns.net", "ddns.net", "No-IP")),
    url(no("http:\\\\evil.example\\x.duckdns.org")),
    url(no("https:\\\\duckdns.org\\")),
    url(no("foo:/x.duckdns.org/a")),
];

/// The host cases (no URLs), for formats that get a host field.
pub fn hosts() -> impl Iterator<Item = &'static Case> {
    POLICY.iter().filter(|c| !c.url)
}

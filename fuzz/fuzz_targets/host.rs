//! Host extraction (URLs, userinfo, ports, brackets, percent-encoding, IDN,
//! Windows debug names) and the free-text scanner. Whatever comes out must
//! be a valid host; extraction is idempotent on its own output; wrapping a
//! host in a URL extracts the same host.
#![no_main]

use std::sync::{LazyLock, Mutex};

use dynamicdns_engine::host::{is_host, HostExtractor};
use dynamicdns_engine::textscan::TextScanner;
use dynamicdns_engine::zoneset::ZoneSet;
use libfuzzer_sys::fuzz_target;

static ZONES: LazyLock<ZoneSet> = LazyLock::new(ZoneSet::embedded);
static SCANNER: LazyLock<Mutex<TextScanner<'static>>> =
    LazyLock::new(|| Mutex::new(TextScanner::new(&ZONES)));

fuzz_target!(|data: &[u8]| {
    let mut x = HostExtractor::new();
    if let Some(h) = x.host(data).map(<[u8]>::to_vec) {
        assert!(is_host(&h), "{h:?}");
        assert_eq!(HostExtractor::new().host(&h), Some(&h[..]));
        let mut url = b"https://u@".to_vec();
        url.extend_from_slice(&h);
        url.extend_from_slice(b":443/p?q#f");
        assert_eq!(HostExtractor::new().host(&url), Some(&h[..]));
        let _ = ZONES.longest_match(&h);
    }
    let mut scanner = SCANNER.lock().unwrap();
    scanner.scan(data, |m| {
        assert!(is_host(m.zone.as_bytes()));
    });
});

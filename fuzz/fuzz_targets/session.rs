//! A whole SCP session through the library entry point (`scp::streaming::run`) over
//! arbitrary bytes: metadata JSON, actions, options, CSV bodies. The reply
//! stream must always be well-formed chunks, and an error must end it with
//! the protocol's error reply.
#![no_main]

use std::sync::LazyLock;

use dynamicdns_engine::scp::frame::ChunkReader;
use dynamicdns_engine::scp::message::error_metadata;
use dynamicdns_engine::scp::streaming::{self, ZoneSource};
use dynamicdns_engine::zoneset::ZoneSet;
use libfuzzer_sys::fuzz_target;

// A small zone set with nested and two-label zones, which the fuzzer finds
// and combines quickly; the zone table itself is fuzzed in `zonefile`.
static SOURCE: LazyLock<ZoneSource> = LazyLock::new(|| ZoneSource {
    base: ZoneSet::from_csv(
        &b"zone,provider,tier\nduckdns.org,DuckDNS,core\nddns.net,No-IP,core\n\
           no-ip.com,No-IP,core\nafraid.org,FreeDNS,extended\nco.uk,X,extended\n"[..],
        "fuzz.csv",
    )
    .unwrap(),
    lookups: None,
});

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    let result = streaming::run(data, &mut out, &SOURCE).result;
    let mut replies = ChunkReader::new(&out[..]);
    let mut last = Vec::new();
    while replies.read_chunk().expect("reply stream is well-formed") {
        let meta: serde_json::Value =
            serde_json::from_slice(&replies.metadata).expect("reply metadata is JSON");
        assert!(meta.is_object());
        last = replies.metadata.clone();
    }
    if let Err(e) = result {
        assert!(!e.is_write());
        assert_eq!(last, error_metadata(&e.to_string()));
    }
});

//! The vendored recordings of real splunkd: read, gunzipped, repaired where
//! damaged, and given our command's options.

use std::io::Read;

use serde_json::{json, Value};

use super::{execute, split_chunks};

/// The folder of the vendored splunkd recordings.
pub const RECORDINGS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/recordings/scpv2/Splunk-6.3");

/// A recording's bytes, gunzipped when its name ends in `.gz`.
pub fn recording(name: &str) -> Vec<u8> {
    read_recording(std::path::Path::new(RECORDINGS).join(name))
}

/// The bytes of the recording at `path`, gunzipped when its name ends in
/// `.gz`.
pub fn read_recording(path: impl AsRef<std::path::Path>) -> Vec<u8> {
    let path = path.as_ref();
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_none_or(|e| e != "gz") {
        return raw;
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    out
}

/// The `generatehello` recording (a generating command; getinfo, then
/// one execute request with `finished:false` in splunkd 6.3's spaced JSON)
/// as chunks, repaired: its execute header announces a 150-byte body that
/// is not in the file, so it announces the 0 bytes that are there.
pub fn generatehello_repaired() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut stream = recording("generatehello.input.gz");
    let bad = b"chunked 1.0,43,150\n";
    let at = stream.windows(bad.len()).position(|w| w == bad).expect("the damaged header");
    assert_eq!(stream.len() - at - bad.len(), 43, "only the metadata follows the damaged header");
    stream.splice(at..at + bad.len(), b"chunked 1.0,43,0\n".iter().copied());
    let chunks = split_chunks(&stream);
    assert_eq!(chunks.len(), 2);
    // splunkd 6.3 metadata with spaces (and a trailing LF) is still JSON.
    assert_eq!(chunks[1].0, b"{ \"action\": \"execute\", \"finished\": false }\n");
    chunks
}

/// The `pypygeneratetext` recording (a distributed generating command) as
/// chunks, repaired: the stray trailing LF dropped and the missing execute
/// request (`finished:true`, no body) added.
pub fn pypygeneratetext_repaired() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut stream = recording("pypygeneratetext.input.gz");
    assert_eq!(stream.pop(), Some(b'\n'));
    stream.extend_from_slice(&execute(true, b""));
    let chunks = split_chunks(&stream);
    assert_eq!(chunks.len(), 2);
    chunks
}

/// The recording's getinfo metadata with our command's options.
pub fn with_args(getinfo_meta: &[u8], args: &[&str]) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(getinfo_meta).unwrap();
    assert_eq!(v["action"], "getinfo");
    assert!(v["searchinfo"].is_object(), "no searchinfo: {v}");
    v["searchinfo"]["args"] = json!(args);
    v["searchinfo"]["raw_args"] = json!(args);
    serde_json::to_vec(&v).unwrap()
}

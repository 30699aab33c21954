//! The SCP v2 frame reader over arbitrary bytes: every chunk it accepts
//! must be exactly the bytes after its header and must survive a write and
//! re-read; nothing may panic or allocate beyond the input.
#![no_main]

use dynamicdns_engine::scp::frame::{write_chunk, ChunkReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rdr = ChunkReader::new(data);
    let mut consumed = 0usize;
    let mut rewritten = Vec::new();
    while let Ok(true) = rdr.read_chunk() {
        // Metadata and body are the bytes right after the header line
        // (whose numbers may have had leading zeros, so it is not compared).
        let rest = &data[consumed..];
        let header_len = rest.iter().position(|&b| b == b'\n').unwrap() + 1;
        let (m, b) = (rdr.metadata.len(), rdr.body.len());
        assert_eq!(&rest[header_len..header_len + m], &rdr.metadata[..]);
        assert_eq!(&rest[header_len + m..header_len + m + b], &rdr.body[..]);
        consumed += header_len + m + b;
        // Writing it back and reading that gives the same chunk.
        rewritten.clear();
        write_chunk(&mut rewritten, &rdr.metadata, &rdr.body).unwrap();
        let mut again = ChunkReader::new(&rewritten[..]);
        assert!(again.read_chunk().unwrap());
        assert_eq!((&again.metadata, &again.body), (&rdr.metadata, &rdr.body));
    }
});

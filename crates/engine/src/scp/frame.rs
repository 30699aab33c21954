//! SCP v2 transport framing: `chunked 1.0,<meta_len>,<body_len>\n` then
//! exactly `meta_len` bytes of JSON metadata and `body_len` bytes of body,
//! both counted in **bytes**, with nothing between chunks.
//!
//! The reader accepts a CRLF header end as well as LF, reads by length
//! (never by line), reuses its buffers, and never allocates from an
//! announced length: bodies grow as bytes arrive, so a bogus huge length
//! ends in a "truncated" error at EOF instead of an allocation, and lengths
//! over the hard caps are refused up front.

use std::io::{self, BufRead, Read, Write};

/// Largest metadata accepted (getinfo metadata is about 1 KB in practice).
pub const MAX_METADATA: u64 = 16 << 20;
/// Largest body accepted: a 50,000-event chunk is tens of MB; beyond this a
/// chunk is refused rather than held in memory.
pub const MAX_BODY: u64 = 1 << 30;
/// Longest transport header line: `chunked 1.0,` + two 20-digit numbers.
const MAX_HEADER: usize = 64;

/// A framing error. Chunk numbers are 1-based, in the order received.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The header line is not `chunked 1.0,<n>,<n>`.
    #[error("chunk {chunk}: malformed transport header \"{got}\" (expected \"chunked 1.0,<metadata length>,<body length>\")")]
    BadHeader {
        /// Which chunk.
        chunk: u64,
        /// The bytes read, escaped and shortened.
        got: String,
    },
    /// An announced length exceeds the cap.
    #[error("chunk {chunk}: {what} length {len} exceeds the limit of {max} bytes")]
    TooLarge {
        /// Which chunk.
        chunk: u64,
        /// `metadata` or `body`.
        what: &'static str,
        /// The announced length.
        len: u64,
        /// The cap.
        max: u64,
    },
    /// Input ended inside a chunk.
    #[error("chunk {chunk}: input ended after {got} of {expected} {what} bytes")]
    Truncated {
        /// Which chunk.
        chunk: u64,
        /// `header`, `metadata` or `body`.
        what: &'static str,
        /// Bytes announced.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// Reading failed.
    #[error("chunk {chunk}: read error: {source}")]
    Io {
        /// Which chunk.
        chunk: u64,
        /// The underlying error.
        source: io::Error,
    },
}

/// Reads chunks from a byte stream into reused buffers.
#[derive(Debug)]
pub struct ChunkReader<R> {
    rdr: io::BufReader<R>,
    header: Vec<u8>,
    /// Metadata bytes of the last chunk read.
    pub metadata: Vec<u8>,
    /// Body bytes of the last chunk read.
    pub body: Vec<u8>,
    count: u64,
    /// Length of the current chunk's body, and how much of it is unread
    /// (see [`read_head`](Self::read_head)).
    body_len: u64,
    body_left: u64,
}

impl<R: Read> ChunkReader<R> {
    /// A reader over `input`.
    pub fn new(input: R) -> ChunkReader<R> {
        ChunkReader {
            rdr: io::BufReader::with_capacity(1 << 16, input),
            header: Vec::with_capacity(MAX_HEADER),
            metadata: Vec::new(),
            body: Vec::new(),
            count: 0,
            body_len: 0,
            body_left: 0,
        }
    }

    /// Number of chunks started so far (the current chunk's number).
    pub fn chunk_number(&self) -> u64 {
        self.count
    }

    /// Reads the next chunk into [`metadata`](Self::metadata) and
    /// [`body`](Self::body). `Ok(false)` on a clean EOF before a header.
    pub fn read_chunk(&mut self) -> Result<bool, FrameError> {
        if self.read_head()?.is_none() {
            return Ok(false);
        }
        self.body.clear();
        let mut body = std::mem::take(&mut self.body);
        let read = self.read_body_part(&mut body, usize::MAX);
        self.body = body;
        read.map(|_| true)
    }

    /// Reads the next chunk's header and [`metadata`](Self::metadata) and
    /// returns its body length, leaving the body to
    /// [`read_body_part`](Self::read_body_part), so a caller can work on it
    /// as it arrives instead of holding it whole. `Ok(None)` on a clean EOF
    /// before a header. An unread rest of the previous body is skipped.
    pub fn read_head(&mut self) -> Result<Option<u64>, FrameError> {
        if self.body_left > 0 {
            let mut sink = Vec::new();
            while self.body_left > 0 {
                sink.clear();
                self.read_body_part(&mut sink, 1 << 16)?;
            }
        }
        let chunk = self.count + 1;
        let io_err = |source| FrameError::Io { chunk, source };
        if !self.read_header_line().map_err(io_err)? {
            return Ok(None);
        }
        self.count = chunk;
        let (meta_len, body_len) = parse_header(&self.header)
            .ok_or_else(|| FrameError::BadHeader { chunk, got: escape(&self.header) })?;
        if meta_len > MAX_METADATA {
            return Err(FrameError::TooLarge {
                chunk,
                what: "metadata",
                len: meta_len,
                max: MAX_METADATA,
            });
        }
        if body_len > MAX_BODY {
            return Err(FrameError::TooLarge {
                chunk,
                what: "body",
                len: body_len,
                max: MAX_BODY,
            });
        }
        read_exact_into(&mut self.rdr, meta_len, &mut self.metadata).map_err(io_err)?.map_err(
            |got| FrameError::Truncated { chunk, what: "metadata", expected: meta_len, got },
        )?;
        self.body_len = body_len;
        self.body_left = body_len;
        Ok(Some(body_len))
    }

    /// Appends up to `max` more bytes of the current body to `buf` and
    /// returns how many; 0 once the body is read. Input that ends inside
    /// the body is an error.
    pub fn read_body_part(&mut self, buf: &mut Vec<u8>, max: usize) -> Result<usize, FrameError> {
        let chunk = self.count;
        let want = self.body_left.min(max as u64);
        let start = buf.len();
        // What the buffer holds first, then straight from the input into
        // `buf`: body bytes are not copied through the buffer. `buf` grows
        // only as bytes arrive, so a bogus length cannot allocate.
        let held = self.rdr.buffer();
        let n = held.len().min(usize::try_from(want).unwrap_or(usize::MAX));
        buf.extend_from_slice(&held[..n]);
        self.rdr.consume(n);
        let rest = want - n as u64;
        let got = n as u64
            + if rest > 0 {
                self.rdr
                    .get_mut()
                    .take(rest)
                    .read_to_end(buf)
                    .map_err(|source| FrameError::Io { chunk, source })? as u64
            } else {
                0
            };
        debug_assert_eq!(buf.len() - start, got as usize);
        self.body_left -= got;
        if got < want {
            return Err(FrameError::Truncated {
                chunk,
                what: "body",
                expected: self.body_len,
                got: self.body_len - self.body_left,
            });
        }
        Ok(got as usize)
    }

    /// Bytes of the current body not read yet.
    pub fn body_remaining(&self) -> u64 {
        self.body_left
    }

    /// Reads up to and including the header's LF. Ok(false) at a clean EOF;
    /// a header that is too long or cut off is left in `self.header` and
    /// reported by the parser (as malformed) — so garbage is never read to
    /// its end looking for a newline.
    fn read_header_line(&mut self) -> io::Result<bool> {
        self.header.clear();
        loop {
            let avail = match self.rdr.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                return Ok(!self.header.is_empty());
            }
            let room = MAX_HEADER - self.header.len();
            let take = avail.len().min(room);
            match memchr::memchr(b'\n', &avail[..take]) {
                Some(i) => {
                    self.header.extend_from_slice(&avail[..=i]);
                    self.rdr.consume(i + 1);
                    return Ok(true);
                }
                None => {
                    self.header.extend_from_slice(&avail[..take]);
                    self.rdr.consume(take);
                    if self.header.len() >= MAX_HEADER {
                        return Ok(true);
                    }
                }
            }
        }
    }
}

/// Reads exactly `len` bytes into `buf` (cleared first), growing it only as
/// bytes arrive. `Ok(Err(got))` when input ends early.
fn read_exact_into<R: Read>(
    rdr: &mut R,
    len: u64,
    buf: &mut Vec<u8>,
) -> io::Result<Result<(), u64>> {
    buf.clear();
    let got = rdr.take(len).read_to_end(buf)? as u64;
    Ok(if got == len { Ok(()) } else { Err(got) })
}

/// Parses `chunked 1.0,<digits>,<digits>` + LF or CRLF.
fn parse_header(line: &[u8]) -> Option<(u64, u64)> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let rest = line.strip_prefix(b"chunked 1.0,")?;
    let comma = memchr::memchr(b',', rest)?;
    Some((parse_len(&rest[..comma])?, parse_len(&rest[comma + 1..])?))
}

fn parse_len(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn escape(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(40)];
    let mut s: String = shown.escape_ascii().to_string();
    if bytes.len() > shown.len() {
        s.push_str("...");
    }
    s
}

/// Writes one chunk (header, metadata, body) and flushes it.
pub fn write_chunk<W: Write>(out: &mut W, metadata: &[u8], body: &[u8]) -> io::Result<()> {
    writeln!(out, "chunked 1.0,{},{}", metadata.len(), body.len())?;
    out.write_all(metadata)?;
    out.write_all(body)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Chunk = Result<(Vec<u8>, Vec<u8>), String>;

    fn read_all(input: &[u8]) -> Vec<Chunk> {
        let mut r = ChunkReader::new(input);
        let mut out = Vec::new();
        loop {
            match r.read_chunk() {
                Ok(true) => out.push(Ok((r.metadata.clone(), r.body.clone()))),
                Ok(false) => return out,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
    }

    #[test]
    fn reads_lf_and_crlf_headers_and_empty_parts() {
        let got = read_all(b"chunked 1.0,2,3\n{}abcchunked 1.0,0,0\r\nchunked 1.0,2,0\n{}");
        assert_eq!(
            got,
            vec![
                Ok((b"{}".to_vec(), b"abc".to_vec())),
                Ok((vec![], vec![])),
                Ok((b"{}".to_vec(), vec![])),
            ]
        );
    }

    #[test]
    fn header_errors() {
        let cases: &[(&[u8], &str)] = &[
            (b"chunked 2.0,1,1\n{}", "chunk 1: malformed transport header \"chunked 2.0,1,1\\n\""),
            (b"chunked 1.0,-1,0\n", "malformed transport header"),
            (b"chunked 1.0, 1,0\n", "malformed transport header"),
            (b"chunked 1.0,1,x\n", "malformed transport header"),
            (b"chunked 1.0,1,0", "malformed transport header"),
            (b"chunked 1.0,99999999999999999999999,0\n", "malformed transport header"),
            (b"chunked 1.0,1,18446744073709551615\n{", "body length 18446744073709551615 exceeds"),
            (b"chunked 1.0,2,10\n{}abc", "chunk 1: input ended after 3 of 10 body bytes"),
            (b"chunked 1.0,5,0\n{}", "chunk 1: input ended after 2 of 5 metadata bytes"),
        ];
        for (input, want) in cases {
            let got = read_all(input);
            let last = got.last().unwrap().clone().unwrap_err();
            assert!(last.contains(want), "{input:?}: {last}");
        }
        let long = [b'x'; 200];
        let got = read_all(&long);
        assert!(got[0]
            .clone()
            .unwrap_err()
            .ends_with("...\" (expected \"chunked 1.0,<metadata length>,<body length>\")"));
    }

    #[test]
    fn write_chunk_counts_bytes() {
        let mut out = Vec::new();
        write_chunk(&mut out, "{\"é\":1}".as_bytes(), "ü".as_bytes()).unwrap();
        assert_eq!(out, "chunked 1.0,8,2\n{\"é\":1}ü".as_bytes());
    }
}

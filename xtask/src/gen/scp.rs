//! The SCP v2 transport as the generators and checks see it: framing,
//! splitting a recorded stream into its messages, and the two tasks that
//! only deal in messages (`required-fields`, `stress`).

use super::{failed, read, unexpected, usage, Failure};
use std::io::Write;
use std::path::Path;

/// One message: `chunked 1.0,<meta length>,<body length>\n<meta><body>`.
pub(super) fn frame(out: &mut Vec<u8>, meta: &[u8], body: &[u8]) {
    out.extend_from_slice(format!("chunked 1.0,{},{}\n", meta.len(), body.len()).as_bytes());
    out.extend_from_slice(meta);
    out.extend_from_slice(body);
}

/// One message's metadata and body.
pub(super) type Message<'a> = (&'a [u8], &'a [u8]);

/// The (metadata, body) of every message of a stream; spaces are allowed
/// around the numbers, as splunkd's reader allows them.
pub(super) fn messages(data: &[u8]) -> Result<Vec<Message<'_>>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let (meta_len, body_len, start) =
            header(data, pos).ok_or_else(|| format!("bad transport header at byte {pos}"))?;
        let body_start = start.saturating_add(meta_len);
        let end = body_start.saturating_add(body_len);
        if end > data.len() {
            return Err(format!("message at byte {pos} ends past the end of the stream"));
        }
        out.push((&data[start..body_start], &data[body_start..end]));
        pos = end;
    }
    Ok(out)
}

/// Parses `chunked\s+1\.0\s*,\s*(\d+)\s*,\s*(\d+)\s*\n` at `pos`: the two
/// lengths and where the metadata starts.
fn header(data: &[u8], pos: usize) -> Option<(usize, usize, usize)> {
    let space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c');
    let rest = data[pos..].strip_prefix(b"chunked")?;
    let skip = |s: &[u8]| s.iter().take_while(|c| space(c)).count();
    let n = skip(rest);
    if n == 0 {
        return None;
    }
    let rest = rest[n..].strip_prefix(b"1.0")?;
    let mut rest = rest;
    let mut lengths = [0usize; 2];
    for len in &mut lengths {
        rest = rest[skip(rest)..].strip_prefix(b",")?;
        rest = &rest[skip(rest)..];
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        *len = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
        rest = &rest[digits..];
    }
    // `\s*\n` backtracks to the last newline of the white space.
    let ws = skip(rest);
    let newline = rest[..ws].iter().rposition(|&c| c == b'\n')?;
    let start = data.len() - rest.len() + newline + 1;
    Some((lengths[0], lengths[1], start))
}

/// A string as Python's `json.dumps` writes it (ASCII only).
pub(super) fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// `required-fields STREAM COMMAND [ARG…]`: sends the stream's getinfo
/// request to the command and prints the `required_fields` of its reply,
/// comma-separated; fails when it declares none or `*`.
pub(super) fn required_fields(args: &[std::ffi::OsString]) -> Result<(), Failure> {
    let [stream, command, rest @ ..] = args else {
        return Err(usage("usage: cargo xtask gen required-fields STREAM COMMAND [ARG…]"));
    };
    println!("{}", required_fields_of(Path::new(stream), command, rest)?.join(","));
    Ok(())
}

/// The `required_fields` of `command`'s reply to `stream`'s getinfo request
/// (`cargo xtask bench` asks it too); fails when it declares none or `*`.
pub(crate) fn required_fields_of(
    stream: &Path,
    command: &std::ffi::OsStr,
    rest: &[std::ffi::OsString],
) -> Result<Vec<String>, Failure> {
    let data = read(stream)?;
    let (_, _, end) = first_message(&data)
        .ok_or_else(|| failed(format!("{}: no message at the start", stream.display())))?;
    let mut child = std::process::Command::new(command)
        .args(rest)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("running {}: {e}", command.to_string_lossy())))?;
    // Closing stdin after the request ends the session.
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(&data[..end])
        .map_err(|e| failed(format!("writing the getinfo request: {e}")))?;
    drop(stdin);
    let out = child.wait_with_output().map_err(|e| failed(format!("reading the reply: {e}")))?;
    let reply: serde_json::Value = first_message(&out.stdout)
        .and_then(|(meta, _, _)| serde_json::from_slice(meta).ok())
        .unwrap_or_default();
    let fields: Vec<String> = reply
        .get("required_fields")
        .and_then(|f| f.as_array())
        .map(|f| f.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if fields.is_empty() || fields.iter().any(|f| f == "*") {
        return Err(failed(format!("the getinfo reply declares no selected fields: {reply}")));
    }
    Ok(fields)
}

/// The first message of `data`: metadata, body and where it ends.
fn first_message(data: &[u8]) -> Option<(&[u8], &[u8], usize)> {
    let (meta_len, body_len, start) = header(data, 0)?;
    let end = start.saturating_add(meta_len).saturating_add(body_len);
    (end <= data.len())
        .then(|| (&data[start..start + meta_len], &data[start + meta_len..end], end))
}

/// `stress --gb N --chunk-mb M`: a getinfo request and about N GiB of
/// execute requests of M MiB of DNS-shaped CSV (matching and other hosts,
/// multivalue cells, quoted values with commas and newlines, 2 KB `_raw`
/// values, invalid UTF-8), on stdout. One chunk is built and repeated, so
/// the generator costs next to nothing next to the command it feeds.
pub(super) fn stress(args: Vec<std::ffi::OsString>) -> Result<(), Failure> {
    use lexopt::prelude::*;
    let (mut gb, mut chunk_mb) = (None::<u64>, None::<u64>);
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| usage(e.to_string()))? {
        match arg {
            Long("gb") => gb = Some(super::number(&mut parser)?),
            Long("chunk-mb") => chunk_mb = Some(super::number(&mut parser)?),
            other => return Err(unexpected(other)),
        }
    }
    let (Some(gb), Some(chunk_mb)) = (gb, chunk_mb) else {
        return Err(usage("stress needs --gb N and --chunk-mb M"));
    };
    let stream = StressStream::new(gb, chunk_mb)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let io = |e: std::io::Error| failed(format!("writing the stream: {e}"));
    stream.write(&mut out).map_err(io)?;
    out.flush().map_err(io)?;
    eprintln!("stress: {}", stream.summary());
    Ok(())
}

/// The stress stream, its one chunk built once (`cargo xtask stress` builds
/// it before it starts timing).
pub(crate) struct StressStream {
    first: Vec<u8>,
    chunk: Vec<u8>,
    last: Vec<u8>,
    /// Execute requests with a body.
    n: u64,
    body_len: u64,
}

impl StressStream {
    /// About `gb` GiB in chunks of `chunk_mb` MiB.
    pub(crate) fn new(gb: u64, chunk_mb: u64) -> Result<Self, Failure> {
        let too_big = || usage("--gb or --chunk-mb too large");
        let size = chunk_mb.checked_mul(1 << 20).ok_or_else(too_big)?;
        let total = gb.checked_mul(1 << 30).ok_or_else(too_big)?;
        let body = stress_body(size);
        let mut first = Vec::new();
        let getinfo = br#"{"action": "getinfo", "searchinfo": {"args": ["field=query,answer"]}}"#;
        frame(&mut first, getinfo, b"");
        let mut chunk = Vec::new();
        frame(&mut chunk, br#"{"action":"execute","finished":false}"#, &body);
        let n = (total / chunk.len() as u64).max(1);
        let mut last = Vec::new();
        frame(&mut last, br#"{"action":"execute","finished":true}"#, &body);
        Ok(StressStream { first, chunk, last, n, body_len: body.len() as u64 })
    }

    /// Writes the whole stream.
    pub(crate) fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(&self.first)?;
        for _ in 1..self.n {
            out.write_all(&self.chunk)?;
        }
        out.write_all(&self.last)
    }

    /// What the stream holds, for the log.
    pub(crate) fn summary(&self) -> String {
        format!("generated {} bytes of CSV bodies in {} chunks", self.n * self.body_len, self.n)
    }
}

/// One stress chunk's CSV body of at least `size` bytes.
fn stress_body(size: u64) -> Vec<u8> {
    let mut body = b"_time,query,answer,_raw,__mv_query,__mv_answer,__mv__raw\n".to_vec();
    let mut i = 0u64;
    while (body.len() as u64) < size {
        match i % 4 {
            0 => {
                let z = "z".repeat(2000);
                body.extend_from_slice(
                    format!(
                        "1700000000,x{i}.duckdns.org,1.2.3.4,\"GET http://x.duckdns.org/a?b=1,2 \"\"q\"\"\nline2 {z}\",,,\n"
                    )
                    .as_bytes(),
                );
            }
            1 => body.extend_from_slice(b"1700000001,www.example.com,,plain,,,\n"),
            2 => body.extend_from_slice(
                b"1700000002,\"a.ddns.net\nb.example.org\",,\"\",$a.ddns.net$;$b.example.org$,,\n",
            ),
            _ => body.extend_from_slice(b"1700000003,\xff\xfe.no-ip.com,10.0.0.1,\x00,,,\n"),
        }
        i += 1;
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_a_stream() {
        let mut s = Vec::new();
        frame(&mut s, b"{}", b"a,b\n");
        s.extend_from_slice(b"chunked  1.0 , 2 ,0 \n\n{}");
        let m = messages(&s).unwrap();
        assert_eq!(m, [(&b"{}"[..], &b"a,b\n"[..]), (&b"{}"[..], &b""[..])]);
        assert!(messages(b"chunked 1.0,5,0\n{}").is_err());
        assert_eq!(messages(b"nope").unwrap_err(), "bad transport header at byte 0");
    }

    #[test]
    fn json_strings_are_escaped_as_python_does() {
        assert_eq!(json_str("a\"b\\c\n\u{1}é😀"), r#""a\"b\\c\n\u0001\u00e9\ud83d\ude00""#);
    }
}

//! Host extraction: turns a field value (a DNS name, a URL, `host:port`, a
//! Windows DNS debug-log name …) into the normalised host the zone set is
//! asked about, or says it is not a host.
//!
//! Policy (README "Verdict policy"; DESIGN.md):
//! - trim ASCII white space (CR/LF included); a value wrapped in one pair
//!   of matching quotes (`"host"`, `'host'`) is read without them (CSV
//!   exports and command lines quote names);
//! - Windows DNS debug names `(3)foo(7)duckdns(3)org(0)` are decoded when the
//!   whole value has that form;
//! - URLs: drop the scheme, userinfo (up to the **last** `@` of the
//!   authority), port, path, query and fragment; `\` ends the authority as
//!   browsers do; a value without a scheme is read as `authority[/path]`, so
//!   `host:443` and `host/path` work too;
//! - the WHATWG special schemes (`http`, `https`, `ws`, `wss`, `ftp`, any
//!   case) are read as browsers read them with no base URL: any run of `/`
//!   and `\` may follow the colon (`https:\\host\`, `http:/host`,
//!   `http:///host`, `http:host` all name `host`); `file:` has a host only
//!   after exactly two of them. A port that is not a number is still
//!   dropped (browsers refuse the URL; the host is what was meant). Tabs
//!   and line breaks inside a value are kept (browsers delete them): such
//!   a value is not a host, as in text mode, where they separate words;
//! - UNC paths `\\host\share\…` (and `\\?\UNC\host\…`) name `host`;
//!   their WebDAV forms `\\host@SSL\DavWWWRoot\…`, `\\host@SSL@443\…`,
//!   `\\host@8080\…` too (the `@…` is the WebDAV transport, not
//!   userinfo); `file://host/…` is an ordinary URL;
//! - Zeek's `\xHH` escapes are not decoded: Zeek escapes only bytes no
//!   host name may hold (non-printable bytes and its separators), so such a
//!   value is not a host;
//! - a bracketed IPv6 literal, an IPv4 literal and anything whose last label
//!   is numeric is not a host;
//! - percent-encoding and Unicode in the host are decoded the way browsers
//!   do (WHATWG host parsing: percent-decode, then IDNA/UTS 46 to punycode);
//! - one trailing dot is stripped, ASCII is lower-cased;
//! - the result must be `label(.label)+`, labels of 1–63 bytes from
//!   `[a-z0-9_-]`, at most 253 bytes; anything else is not a host.

/// Extracts hosts from values, reusing one buffer.
#[derive(Debug, Default)]
pub struct HostExtractor {
    buf: Vec<u8>,
}

impl HostExtractor {
    /// A new extractor.
    pub fn new() -> HostExtractor {
        HostExtractor::default()
    }

    /// The normalised host in `value`, or `None` when the value is not a
    /// host (empty, `-`, an IP literal, garbage …).
    pub fn host<'a>(&'a mut self, value: &'a [u8]) -> Option<&'a [u8]> {
        let value = unquote_once(value.trim_ascii());
        if value.is_empty() {
            return None;
        }
        match plain_host(value) {
            Plain::Valid { lower: true } => {
                return Some(value.strip_suffix(b".").unwrap_or(value))
            }
            Plain::Valid { lower: false } => {
                self.buf.clear();
                let name = value.strip_suffix(b".").unwrap_or(value);
                self.buf.extend(name.iter().map(u8::to_ascii_lowercase));
                return Some(&self.buf);
            }
            Plain::Invalid => return None,
            Plain::Other => {}
        }
        self.general(value)
    }

    /// Any value: debug-log names, URLs, `host:port`, percent-encoding,
    /// Unicode. `value` is trimmed and not empty.
    fn general(&mut self, value: &[u8]) -> Option<&[u8]> {
        if value[0] == b'(' {
            return if decode_debug_name(value, &mut self.buf) {
                finish(&mut self.buf)
            } else {
                None
            };
        }
        let host = match value.strip_prefix(br"\\") {
            Some(unc) => unc_host(unc),
            None => authority_host(value)?,
        };
        if host.is_empty() || host[0] == b'[' {
            // Empty, or a bracketed IPv6 literal: not a name.
            return None;
        }
        self.buf.clear();
        if host.iter().all(|&b| b.is_ascii() && b != b'%') {
            self.buf.extend_from_slice(host);
        } else {
            // Slow path: percent-encoding or non-ASCII.
            let d = domain_to_ascii(std::str::from_utf8(host).ok()?)?;
            self.buf.extend_from_slice(d.as_bytes());
        }
        finish(&mut self.buf)
    }
}

/// `name` as browsers resolve a host (WHATWG host parsing: percent-decode,
/// then IDNA/UTS 46 to lower-case punycode), or `None` when it is not a
/// domain (an IP literal, a forbidden character). The local zone files map
/// Unicode names with it too, so a local zone matches the hosts extracted
/// from values.
pub(crate) fn domain_to_ascii(name: &str) -> Option<String> {
    match url::Host::parse(name).ok()? {
        url::Host::Domain(d) => Some(d),
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => None,
    }
}

/// What [`plain_host`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plain {
    /// Only name bytes, and a valid host once lower-cased (and one trailing
    /// dot dropped); `lower` when it already is lower-case.
    Valid { lower: bool },
    /// Only name bytes, but not a valid host.
    Invalid,
    /// Some other byte: the general path decides.
    Other,
}

/// Byte classes for the plain-name fast path.
const OTHER: u8 = 0;
const NAME: u8 = 1;
const UPPER: u8 = 2;
const DOT: u8 = 3;
static CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_' {
            NAME
        } else if c.is_ascii_uppercase() {
            UPPER
        } else if c == b'.' {
            DOT
        } else {
            OTHER
        };
        b += 1;
    }
    t
};

/// The common case in one pass: a value made only of name bytes
/// (`[A-Za-z0-9_.-]`) is its own host, so URL parsing, copying and a
/// separate validation pass are skipped. Same verdict as the general path
/// ([`authority_host`] then [`finish`]) for such values.
#[inline]
fn plain_host(value: &[u8]) -> Plain {
    let name = value.strip_suffix(b".").unwrap_or(value);
    let mut upper = false;
    let mut label_start = 0;
    let mut labels = 1;
    let mut labels_ok = true;
    for (i, &b) in name.iter().enumerate() {
        match CLASS[usize::from(b)] {
            NAME => {}
            UPPER => upper = true,
            DOT => {
                labels_ok &= (1..=63).contains(&(i - label_start));
                label_start = i + 1;
                labels += 1;
            }
            _ => return Plain::Other,
        }
    }
    let last = &name[label_start..];
    let valid = labels_ok
        && (1..=63).contains(&last.len())
        && labels >= 2
        && name.len() <= 253
        && !last.iter().all(u8::is_ascii_digit);
    match valid {
        true => Plain::Valid { lower: !upper },
        false => Plain::Invalid,
    }
}

/// Strips one trailing dot, lower-cases and validates the host in `buf`.
fn finish(buf: &mut Vec<u8>) -> Option<&[u8]> {
    if buf.last() == Some(&b'.') {
        buf.pop();
    }
    buf.make_ascii_lowercase();
    if is_host(buf) {
        Some(&buf[..])
    } else {
        None
    }
}

/// The host part of a URL or `authority[/path]` value (may still carry
/// percent-encoding or Unicode; may be empty).
fn authority_host(value: &[u8]) -> Option<&[u8]> {
    let rest = match special_scheme(value) {
        Some(Special::File(rest)) => return Some(file_host(rest)),
        Some(Special::Web(rest)) => rest,
        None => match memchr::memmem::find(value, b"://") {
            Some(i) if is_scheme(&value[..i]) => &value[i + 3..],
            _ => value.strip_prefix(b"//").unwrap_or(value),
        },
    };
    let end =
        rest.iter().position(|&b| matches!(b, b'/' | b'?' | b'#' | b'\\')).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = match memchr::memrchr(b'@', authority) {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    if host_port.first() == Some(&b'[') {
        return Some(host_port);
    }
    // A port (or, without brackets, an IPv6 literal's first group) follows
    // the first colon; either way the name is what comes before it.
    Some(match memchr::memchr(b':', host_port) {
        Some(c) => &host_port[..c],
        None => host_port,
    })
}

/// A URL of a WHATWG special scheme, read as browsers read it: what
/// follows `scheme:`.
enum Special<'a> {
    /// `http`, `https`, `ws`, `wss`, `ftp` (any case): the authority
    /// follows any run of `/` and `\` (none, one, three … all work:
    /// `https:\\host\`, `http:/host`, `http:///host`, `http:host`).
    Web(&'a [u8]),
    /// `file`: a host only after exactly two of `/` or `\`.
    File(&'a [u8]),
}

/// The special scheme `value` starts with, if any (WHATWG URL, "special
/// scheme"; parsed without a base URL, as a log value has none).
fn special_scheme(value: &[u8]) -> Option<Special<'_>> {
    // The longest special scheme has 5 bytes: look no further for the colon.
    let colon = value.iter().take(6).position(|&b| b == b':')?;
    let (scheme, rest) = (&value[..colon], &value[colon + 1..]);
    let is = |name: &[u8]| scheme.eq_ignore_ascii_case(name);
    if is(b"file") {
        Some(Special::File(rest))
    } else if is(b"http") || is(b"https") || is(b"ws") || is(b"wss") || is(b"ftp") {
        let slashes = rest.iter().take_while(|&&b| b == b'/' || b == b'\\').count();
        Some(Special::Web(&rest[slashes..]))
    } else {
        None
    }
}

/// The host of a `file:` URL from what follows `file:`: after two slashes
/// (`/` or `\`), up to the next `/`, `\`, `?` or `#`; empty otherwise
/// (`file:///C:/…`, `file:/x` have none). No userinfo or port: a host
/// with `@` or `:` is no host, as in browsers.
fn file_host(rest: &[u8]) -> &[u8] {
    match rest {
        [b'/' | b'\\', b'/' | b'\\', host @ ..] => {
            let end = host
                .iter()
                .position(|&b| matches!(b, b'/' | b'?' | b'#' | b'\\'))
                .unwrap_or(host.len());
            &host[..end]
        }
        _ => b"",
    }
}

/// `value` without one pair of matching quotes around it (white space
/// inside trimmed), or `value`.
#[inline]
fn unquote_once(value: &[u8]) -> &[u8] {
    match value {
        [q @ (b'"' | b'\''), inner @ .., last] if q == last => inner.trim_ascii(),
        _ => value,
    }
}

/// The server of a UNC path after its leading `\\`: up to the next `\` or
/// `/`, without a WebDAV `@SSL`/`@port` suffix; `?\UNC\server\…` is the
/// long-path form of the same.
fn unc_host(unc: &[u8]) -> &[u8] {
    let unc = unc.strip_prefix(br"?\UNC\").unwrap_or(unc);
    let end = unc.iter().position(|&b| b == b'\\' || b == b'/').unwrap_or(unc.len());
    let server = &unc[..end];
    match memchr::memchr(b'@', server) {
        Some(at) => &server[..at],
        None => server,
    }
}

/// RFC 3986 scheme: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(s: &[u8]) -> bool {
    match s.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphabetic()
                && rest
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        }
        None => false,
    }
}

/// Decodes a Windows DNS debug-log name, `(3)foo(7)duckdns(3)org(0)`, into
/// `foo.duckdns.org` in `out`. False unless the whole value has that form.
fn decode_debug_name(value: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut rest = value;
    loop {
        let Some(close) = rest.iter().position(|&b| b == b')') else { return false };
        if !(2..=4).contains(&close) || rest[0] != b'(' {
            return false;
        }
        let digits = &rest[1..close];
        if !digits.iter().all(u8::is_ascii_digit) {
            return false;
        }
        // At most three digits, so this cannot overflow.
        let n = digits.iter().fold(0usize, |n, &d| n * 10 + usize::from(d - b'0'));
        rest = &rest[close + 1..];
        if n == 0 {
            return rest.is_empty() && !out.is_empty();
        }
        if rest.len() < n {
            return false;
        }
        if !out.is_empty() {
            out.push(b'.');
        }
        out.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
    }
}

/// Whether a lower-cased name is a host we judge: the zone grammar of
/// [`dynamicdns_zonetable::name`] (two or more labels of 1–63 bytes from
/// `[a-z0-9_-]`, at most 253 bytes, a last label that is not all digits, so
/// IPv4 literals and numeric TLDs are not names).
#[inline]
pub fn is_host(name: &[u8]) -> bool {
    dynamicdns_zonetable::name::is_valid_zone(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &str) -> Option<String> {
        HostExtractor::new().host(v.as_bytes()).map(|b| String::from_utf8(b.to_vec()).unwrap())
    }

    #[test]
    fn extraction_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("foo.duckdns.org", Some("foo.duckdns.org")),
            ("  Foo.DuckDNS.org.\r\n", Some("foo.duckdns.org")),
            ("foo.duckdns.org..", None),
            ("http://foo.duckdns.org/x?y#z", Some("foo.duckdns.org")),
            ("HTTPS://user:pw@Foo.duckdns.org:8443/p", Some("foo.duckdns.org")),
            ("http://a@b@foo.duckdns.org/", Some("foo.duckdns.org")),
            ("http://foo.duckdns.org@evil.example/", Some("evil.example")),
            ("http://evil.example/foo.duckdns.org", Some("evil.example")),
            ("http://evil.example\\foo.duckdns.org", Some("evil.example")),
            ("http://evil.example?u=http://foo.duckdns.org/", Some("evil.example")),
            ("foo.duckdns.org:443", Some("foo.duckdns.org")),
            ("foo.duckdns.org/path", Some("foo.duckdns.org")),
            ("//foo.duckdns.org/x", Some("foo.duckdns.org")),
            ("(3)foo(7)duckdns(3)org(0)", Some("foo.duckdns.org")),
            ("(3)foo(7)duckdns(3)org", None),
            ("(3)fo(7)duckdns(3)org(0)", None),
            ("http://foo%2Educkdns.org/", Some("foo.duckdns.org")),
            ("bücher.duckdns.org", Some("xn--bcher-kva.duckdns.org")),
            ("http://[2001:db8::1]:80/", None),
            ("[2001:db8::1]", None),
            ("2001:db8::1", None),
            ("10.1.2.3", None),
            ("http://10.1.2.3:8080/", None),
            ("4.3.2.1.in-addr.arpa", Some("4.3.2.1.in-addr.arpa")),
            ("", None),
            ("-", None),
            ("(empty)", None),
            // Quotes: one matching pair is removed, nothing else.
            ("\"foo.duckdns.org\"", Some("foo.duckdns.org")),
            ("'Foo.DuckDNS.org.'", Some("foo.duckdns.org")),
            ("\" http://foo.duckdns.org/x \"", Some("foo.duckdns.org")),
            ("\"foo.duckdns.org'", None),
            ("\"\"foo.duckdns.org\"\"", None),
            ("\"", None),
            ("''", None),
            // UNC paths and their WebDAV forms.
            ("\\\\foo.duckdns.org\\share\\x.exe", Some("foo.duckdns.org")),
            ("\\\\FOO.duckdns.org@SSL\\DavWWWRoot\\a.dll", Some("foo.duckdns.org")),
            ("\\\\foo.duckdns.org@SSL@443\\DavWWWRoot\\a", Some("foo.duckdns.org")),
            ("\\\\foo.duckdns.org@8080\\share", Some("foo.duckdns.org")),
            ("\\\\foo.duckdns.org", Some("foo.duckdns.org")),
            ("\\\\?\\UNC\\foo.duckdns.org\\share", Some("foo.duckdns.org")),
            ("\\\\10.0.0.1\\share", None),
            ("\\\\.\\pipe\\x", None),
            ("\\\\server\\share", None),
            ("file://foo.duckdns.org/share/x", Some("foo.duckdns.org")),
            ("file:///C:/Users/x", None),
            // Special schemes as browsers read them (WHATWG, no base URL):
            // any run of `/` and `\` after the colon.
            ("https:\\\\x.duckdns.org\\", Some("x.duckdns.org")),
            ("HTTP:\\\\\\\\X.duckdns.org\\a", Some("x.duckdns.org")),
            ("http:/x.duckdns.org/a", Some("x.duckdns.org")),
            ("http:///x.duckdns.org/a", Some("x.duckdns.org")),
            ("http:x.duckdns.org", Some("x.duckdns.org")),
            ("https:\\/\\u:p@x.duckdns.org:8443\\a", Some("x.duckdns.org")),
            ("wss:/x.duckdns.org", Some("x.duckdns.org")),
            ("ftp:\\\\x.duckdns.org", Some("x.duckdns.org")),
            ("http:\\\\evil.example\\x.duckdns.org", Some("evil.example")),
            ("http:/x.duckdns.org:abc/", Some("x.duckdns.org")),
            ("file:\\\\x.duckdns.org\\share", Some("x.duckdns.org")),
            ("file:/x.duckdns.org/a", None),
            ("file:////x.duckdns.org/a", None),
            ("file://u@x.duckdns.org/a", None),
            // Not special: the authority needs `//`, `\` is no slash.
            ("foo:/x.duckdns.org/a", None),
            ("foo:\\\\x.duckdns.org\\a", None),
            ("ftp.duckdns.org:21", Some("ftp.duckdns.org")),
            ("http://c2.duck\tdns.org/", None),
            // Zeek's \xHH escapes are not decoded (they stand for bytes no
            // host has).
            ("a\\x2cb.duckdns.org", None),
            ("foo\\x00.duckdns.org", None),
            ("localhost", None),
            ("foo bar.duckdns.org", None),
            ("*.duckdns.org", None),
            ("a..duckdns.org", None),
            (".duckdns.org", None),
            ("\u{ff}\u{fe}", None),
        ];
        for (input, want) in cases {
            assert_eq!(h(input).as_deref(), *want, "input {input:?}");
        }
    }

    #[test]
    fn plain_fast_path_agrees_with_general_path() {
        use proptest::prelude::*;
        let name = proptest::collection::vec(
            prop_oneof![
                Just(b'a'),
                Just(b'Z'),
                Just(b'7'),
                Just(b'-'),
                Just(b'_'),
                Just(b'.'),
                Just(b'.'),
            ],
            1..80,
        );
        let long = (1usize..70, 1usize..6).prop_map(|(n, k)| {
            let label = vec![b'x'; n];
            let mut v = label.clone();
            for _ in 0..k {
                v.push(b'.');
                v.extend_from_slice(&label);
            }
            v.extend_from_slice(b".org");
            v
        });
        proptest!(|(v in prop_oneof![name, long])| {
            let mut x = HostExtractor::new();
            let fast = x.host(&v).map(<[u8]>::to_vec);
            let mut y = HostExtractor::new();
            let general = y.general(&v).map(<[u8]>::to_vec);
            prop_assert_eq!(fast, general, "{:?}", String::from_utf8_lossy(&v));
        });
    }

    /// Values of a special scheme: the host is the one the `url` crate
    /// (WHATWG URL, as browsers parse) finds, wherever it parses the value
    /// and finds a name we judge. (Where it refuses the value, a port that
    /// is not a number for example, we still read the host.)
    #[test]
    fn special_scheme_urls_agree_with_whatwg() {
        use proptest::prelude::*;
        let scheme = prop::sample::select(&["http", "HTTPS", "ws", "Wss", "ftp", "file"][..]);
        let slashes = proptest::collection::vec(prop::sample::select(&["/", "\\"][..]), 0..4);
        let user = prop::sample::select(&["", "u@", "u:p@", "a@b.duckdns.org@", "x%40y@"][..]);
        let host = prop::sample::select(
            &[
                "x.duckdns.org",
                "X.DuckDNS.Org.",
                "x.duckdns.org..",
                "b%C3%BCcher.duckdns.org",
                "bücher.duckdns.org",
                "x%2Educkdns.org",
                "10.0.0.1",
                "[::1]",
                "evil.example",
                "",
            ][..],
        );
        let port = prop::sample::select(&["", ":8080", ":", ":99999", ":x"][..]);
        let tail = prop::sample::select(
            &["", "/", "\\", "/p?q#f", "\\y.duckdns.org", "?u=y.duckdns.org", "#@y.duckdns.org"][..],
        );
        proptest!(|(s in scheme, sl in slashes, u in user, h in host, p in port, t in tail)| {
            let value = format!("{s}:{}{u}{h}{p}{t}", sl.concat());
            let ours = HostExtractor::new().host(value.as_bytes()).map(<[u8]>::to_vec);
            let whatwg = url::Url::parse(&value).ok().and_then(|url| match url.host() {
                Some(url::Host::Domain(d)) => {
                    let d = d.strip_suffix('.').unwrap_or(d);
                    is_host(d.as_bytes()).then(|| d.as_bytes().to_vec())
                }
                _ => None,
            });
            if url::Url::parse(&value).is_ok() {
                prop_assert_eq!(ours, whatwg, "{}", value);
            }
        });
    }

    #[test]
    fn invalid_utf8_is_not_a_host() {
        assert_eq!(HostExtractor::new().host(b"foo.\xffduckdns.org"), None);
    }

    #[test]
    fn label_and_name_limits() {
        let label63 = "a".repeat(63);
        assert!(h(&format!("{label63}.duckdns.org")).is_some());
        assert!(h(&format!("a{label63}.duckdns.org")).is_none());
        let long = format!("{}duckdns.org", "a.".repeat(121));
        assert_eq!(long.len(), 253);
        assert!(h(&long).is_some());
        assert!(h(&format!("a{long}")).is_none());
    }
}

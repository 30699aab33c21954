//! The record layer's unit tests.

use super::classify::{classify, classify_portable, has_avx2, mask64_portable, structural_mask};
use super::*;

fn scan_all(buf: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut pos = 0;
    let mut fields = Vec::new();
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    while let Scan::Record(r) = scan_record(buf, pos, true, &mut fields).unwrap() {
        out.push(
            fields.iter().map(|&(s, e)| unquote(&buf[s..e], &mut scratch).to_vec()).collect(),
        );
        pos = r.end;
    }
    out
}

#[test]
fn records_and_quotes() {
    let body = b"a,\"b,\"\"c\"\"\",d\r\n\"x\ny\",,z\n1,2,3";
    let recs = scan_all(body);
    assert_eq!(
        recs,
        vec![
            vec![b"a".to_vec(), b"b,\"c\"".to_vec(), b"d".to_vec()],
            vec![b"x\ny".to_vec(), b"".to_vec(), b"z".to_vec()],
            vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()],
        ]
    );
}

#[test]
fn keep_limits_spans_but_counts_every_field() {
    let mut f = Vec::new();
    for (body, n) in [
        (&b"a,b,c,d,e\n"[..], 5),
        (b"a,b,\"c\nx\",d\n", 4),
        (b"a,b,c,d\r\n", 4),
        (b"a,b,,,\n", 5),
        (b"a,b", 2),
    ] {
        let (full, all) = scan_record_prefix(body, 0, true, &mut f, usize::MAX).unwrap();
        let spans = f.clone();
        let (scan, count) = scan_record_prefix(body, 0, true, &mut f, 2).unwrap();
        assert_eq!((scan, count, all), (full, n, n), "{body:?}");
        assert_eq!(f, spans[..2], "{body:?}");
    }
    assert_eq!(scan_record_prefix(b"a,b,c", 0, false, &mut f, 1), Ok((Scan::NeedMore, 0)));
    assert_eq!(
        scan_record_prefix(b"a,b,\"c\"x\n", 0, true, &mut f, 1),
        Err(CsvError::AfterQuote { at: 7, byte: b'x' })
    );
}

#[test]
fn structural_mask_agrees_with_a_byte_loop() {
    use proptest::prelude::*;
    let byte = prop_oneof![
        Just(b'a'),
        Just(b','),
        Just(b'"'),
        Just(b'\n'),
        Just(b'\r'),
        Just(b'+'),
        Just(0xacu8),
        Just(0xa2u8),
        Just(0x8au8),
        any::<u8>(),
    ];
    proptest!(|(buf in proptest::collection::vec(byte, 0..200), at in 0usize..200)| {
        let at = at.min(buf.len());
        let mut want = 0u64;
        for (i, &b) in buf[at..].iter().take(64).enumerate() {
            want |= u64::from(matches!(b, b',' | b'"' | b'\n' | b'\r')) << i;
        }
        prop_assert_eq!(structural_mask(&buf, at), want);
        if let Some(w) = buf.get(at..at + 64) {
            prop_assert_eq!(mask64_portable(w.try_into().unwrap()), want);
        }
    });
}

/// The scanner against a naive byte-at-a-time reading of the grammar:
/// the same records, spans, field counts, errors, NeedMore, and LF
/// counts, for arbitrary bytes over the structural alphabet, whole or
/// cut anywhere.
#[test]
fn scanner_agrees_with_a_naive_reader() {
    use proptest::prelude::*;
    let byte = prop_oneof![
        4 => Just(b'a'),
        2 => Just(b','),
        2 => Just(b'"'),
        1 => Just(b'\n'),
        1 => Just(b'\r'),
        1 => Just(b'x'),
    ];
    // Sparse structural bytes too: long values, whole windows without
    // one (the quoted-field memchr path).
    let sparse = prop_oneof![
        120 => Just(b'a'),
        2 => Just(b','),
        2 => Just(b'"'),
        1 => Just(b'\n'),
        1 => Just(b'\r'),
    ];
    let bytes = prop_oneof![
        proptest::collection::vec(byte, 0..300),
        proptest::collection::vec(sparse, 0..700),
    ];
    proptest!(|(buf in bytes, keep in 0usize..6)| {
        for at_eof in [true, false] {
            let mut sc = RecordScanner::new(&buf);
            let mut pos = 0;
            let mut spans = Vec::new();
            let mut lines = 0;
            loop {
                let got = sc.scan(pos, at_eof, &mut spans, keep);
                let (want, want_spans, want_lines) = naive_scan(&buf, pos, at_eof, keep);
                prop_assert_eq!(got, want);
                match got {
                    Ok((Scan::Record(r), _)) => {
                        prop_assert_eq!(&spans, &want_spans);
                        lines += want_lines;
                        prop_assert_eq!(sc.lines(), lines);
                        prop_assert!(r.end > pos || r.end == buf.len());
                        if r.end == pos { break; }
                        pos = r.end;
                    }
                    _ => break,
                }
            }
        }
    });
}

/// The masks of every classifier agree with a byte loop.
#[test]
fn classifiers_agree() {
    use proptest::prelude::*;
    proptest!(|(bytes in proptest::collection::vec(
        prop_oneof![Just(b'"'), Just(b','), Just(b'\n'), Just(b'\r'), any::<u8>()], 64))| {
        let w: &[u8; 64] = bytes[..].try_into().unwrap();
        let want = classify_portable(w);
        prop_assert_eq!(classify(w, false), want);
        if has_avx2() {
            prop_assert_eq!(classify(w, true), want);
        }
    });
}

/// `scan_columns` against the naive reader: the same records, field
/// counts, wanted spans, errors, NeedMore and lines, record after
/// record, whole or cut anywhere, with SSE2 and (where there is) AVX2.
#[test]
fn scan_columns_agrees_with_a_naive_reader() {
    use proptest::prelude::*;
    let byte = prop_oneof![
        6 => Just(b'a'),
        2 => Just(b','),
        2 => Just(b'"'),
        1 => Just(b'\n'),
        1 => Just(b'\r'),
    ];
    let sparse = prop_oneof![
        60 => Just(b'a'),
        3 => Just(b','),
        2 => Just(b'"'),
        1 => Just(b'\n'),
        1 => Just(b'\r'),
    ];
    // Well-formed records too (quoted fields with doubled quotes and
    // line ends inside), where the fast path does not fall back.
    let field = prop_oneof![
        "[a-z]{0,12}".prop_map(String::into_bytes),
        "[a-z,\n\r\"]{0,90}".prop_map(|v| {
            let mut f = vec![b'"'];
            for b in v.into_bytes() {
                if b == b'"' {
                    f.push(b'"');
                }
                f.push(b);
            }
            f.push(b'"');
            f
        }),
    ];
    let record = (
        proptest::collection::vec(field, 1..9),
        prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b"\r"[..])],
    )
        .prop_map(|(fs, eol)| {
            let mut r = fs.join(&b',');
            r.extend_from_slice(eol);
            r
        });
    let bytes = prop_oneof![
        proptest::collection::vec(byte, 0..300),
        proptest::collection::vec(sparse, 0..700),
        proptest::collection::vec(record, 0..12).prop_map(|rs| rs.concat()),
    ];
    let wanted = proptest::collection::btree_set(0usize..10, 0..4)
        .prop_map(|s| s.into_iter().collect::<Vec<_>>());
    proptest!(|(buf in bytes, wanted in wanted, cut in 0usize..1000)| {
        let cut = cut.min(buf.len());
        for (data, at_eof) in [(&buf[..], true), (&buf[..], false), (&buf[..cut], false)] {
            for avx2 in [false, has_avx2()] {
                let mut sc = RecordScanner::new(data);
                sc.avx2 = avx2;
                let mut pos = 0;
                let mut spans = Vec::new();
                let mut lines = 0;
                let keep = wanted.last().map_or(0, |&c| c + 1);
                loop {
                    let got = sc.scan_columns(pos, at_eof, &wanted, &mut spans);
                    let (want, all, want_lines) = naive_scan(data, pos, at_eof, keep);
                    prop_assert_eq!(got, want, "at {} in {:?}", pos, data.escape_ascii().to_string());
                    match got {
                        Ok((Scan::Record(r), _)) => {
                            if sc.last_record_plain() {
                                // No value holds an LF or a doubled quote.
                                let (_, every, _) = naive_scan(data, pos, at_eof, usize::MAX);
                                for &(s, e) in &every {
                                    let v = &data[s..e];
                                    let inner = if v.first() == Some(&b'"') { &v[1..v.len() - 1] } else { v };
                                    prop_assert!(!v.contains(&b'\n'), "{:?}", data.escape_ascii().to_string());
                                    prop_assert!(v.first() != Some(&b'"') || !inner.contains(&b'"'), "{:?}", data.escape_ascii().to_string());
                                }
                            }
                            let want_spans: Vec<Span> =
                                wanted.iter().map(|&c| all.get(c).copied().unwrap_or((0, 0))).collect();
                            prop_assert_eq!(&spans, &want_spans, "at {} in {:?}", pos, data.escape_ascii().to_string());
                            lines += want_lines;
                            prop_assert_eq!(sc.lines(), lines);
                            if r.end == pos { break; }
                            pos = r.end;
                        }
                        _ => break,
                    }
                }
            }
        }
    });
}

/// Well-formed records never need the exact scan: quoted values with
/// doubled quotes, commas and line ends inside, across windows.
#[test]
fn well_formed_records_take_the_fast_path() {
    let mut body = Vec::new();
    for i in 0..50 {
        let long = "x".repeat(i * 7);
        body.extend_from_slice(
            format!("{i},\"a,\"\"b\"\"\nc{long}\",,\"{long}\",\"\",q{i}\r\n").as_bytes(),
        );
    }
    for avx2 in [false, has_avx2()] {
        let mut sc = RecordScanner::new(&body);
        sc.avx2 = avx2;
        let (mut pos, mut spans) = (0, vec![(0, 0); 2]);
        while pos < body.len() {
            match sc.scan_fast(pos, true, &[1, 5], &mut spans) {
                Some((Scan::Record(r), 6)) => pos = r.end,
                other => panic!("at {pos}: {other:?}"),
            }
            assert!(body[spans[0].0..spans[0].1].starts_with(b"\"a,"));
            assert_eq!(body[spans[1].0], b'q');
        }
        assert_eq!(sc.lines(), 100);
    }
}

/// One record by the grammar, a byte at a time: the scan, the spans
/// kept, the record's LF bytes.
fn naive_scan(
    buf: &[u8],
    pos: usize,
    at_eof: bool,
    keep: usize,
) -> (Result<(Scan, usize), CsvError>, Vec<Span>, u64) {
    let mut spans = Vec::new();
    if pos >= buf.len() {
        return (Ok((Scan::End, 0)), spans, 0);
    }
    let (mut i, mut count) = (pos, 0);
    loop {
        let start = i;
        if buf.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match buf.get(i) {
                    None if at_eof => {
                        return (Err(CsvError::UnclosedQuote { at: start }), spans, 0)
                    }
                    None => return (Ok((Scan::NeedMore, 0)), spans, 0),
                    Some(b'"') if buf.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') if i + 1 == buf.len() && !at_eof => {
                        return (Ok((Scan::NeedMore, 0)), spans, 0)
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            match buf.get(i) {
                None | Some(b',' | b'\n' | b'\r') => {}
                Some(&byte) => return (Err(CsvError::AfterQuote { at: i, byte }), spans, 0),
            }
        } else {
            while !matches!(buf.get(i), None | Some(b',' | b'\n' | b'\r')) {
                i += 1;
            }
        }
        if count < keep {
            spans.push((start, i));
        }
        count += 1;
        let lf = |end: usize| buf[pos..end].iter().filter(|&&b| b == b'\n').count() as u64;
        match buf.get(i) {
            Some(b',') => i += 1,
            Some(b'\n') => {
                let r = RecordSpan { start: pos, content_end: i, end: i + 1 };
                return (Ok((Scan::Record(r), count)), spans, lf(i + 1));
            }
            Some(b'\r') if i + 1 == buf.len() && !at_eof => {
                return (Ok((Scan::NeedMore, 0)), spans, 0)
            }
            Some(b'\r') => {
                let end = if buf.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 };
                let r = RecordSpan { start: pos, content_end: i, end };
                return (Ok((Scan::Record(r), count)), spans, lf(end));
            }
            None if at_eof => {
                let r = RecordSpan { start: pos, content_end: i, end: i };
                return (Ok((Scan::Record(r), count)), spans, lf(i));
            }
            _ => return (Ok((Scan::NeedMore, 0)), spans, 0),
        }
    }
}

#[test]
fn single_empty_column_lines_are_records() {
    assert_eq!(scan_all(b"q\n\nx\n").len(), 3);
}

#[test]
fn need_more_at_split_points() {
    let mut f = Vec::new();
    for partial in [&b"a,b"[..], b"a,\"b", b"a,\"b\"", b"a,b\r"] {
        assert_eq!(scan_record(partial, 0, false, &mut f), Ok(Scan::NeedMore), "{partial:?}");
    }
    assert!(matches!(scan_record(b"a,b\r\n", 0, false, &mut f), Ok(Scan::Record(_))));
}

#[test]
fn errors_say_where() {
    let mut f = Vec::new();
    assert_eq!(scan_record(b"a,\"bc", 0, true, &mut f), Err(CsvError::UnclosedQuote { at: 2 }));
    assert_eq!(
        scan_record(b"a,\"b\"c\n", 0, true, &mut f),
        Err(CsvError::AfterQuote { at: 5, byte: b'c' })
    );
}

#[test]
fn mv_round_trip() {
    let vals: Vec<&[u8]> = vec![b"a", b"b$c", b"", b"$$"];
    let mut enc = Vec::new();
    encode_mv(vals.iter().copied(), &mut enc);
    assert_eq!(enc, b"$a$;$b$$c$;$$;$$$$$$");
    let mut got = Vec::new();
    let mut scratch = Vec::new();
    assert!(for_each_mv_value(&enc, &mut scratch, |v| got.push(v.to_vec())));
    assert_eq!(got, vals.iter().map(|v| v.to_vec()).collect::<Vec<_>>());
    for bad in [&b"a"[..], b"$a", b"$a$b", b"$a$;"] {
        assert!(!for_each_mv_value(bad, &mut scratch, |_| {}), "{bad:?}");
    }
}

#[test]
fn write_field_quotes_minimally() {
    let mut out = Vec::new();
    write_field(b"FreeDNS (afraid.org)", &mut out);
    out.push(b'|');
    write_field(b"a,\"b\"\nc", &mut out);
    assert_eq!(out, b"FreeDNS (afraid.org)|\"a,\"\"b\"\"\nc\"");
}

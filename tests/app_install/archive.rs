//! The package archive: its gzip header, and its members against the
//! package manifest (top folder, modes, owner, order, time stamp, the files
//! it must and must not hold: `manifest::check_archive`, the check `cargo
//! xtask package` runs on what it writes).

use std::io::Read;
use std::path::Path;

use super::windows::require_windows;
use super::{package, require_aarch64, APP};
use crate::util::manifest::{
    check_archive, Kind, Member, LINUX_AARCH64, PLATFORMS, WINDOWS_X86_64,
};

// ---------------------------------------------------------------------------
// The archive

/// One entry of a tar archive.
#[derive(Debug)]
struct Entry {
    name: String,
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: u64,
    kind: u8,
    data: Vec<u8>,
}

fn octal(field: &[u8]) -> u64 {
    let s = std::str::from_utf8(field).unwrap().trim_matches(|c: char| c == '\0' || c == ' ');
    if s.is_empty() {
        0
    } else {
        u64::from_str_radix(s, 8).unwrap_or_else(|_| panic!("bad octal field {s:?}"))
    }
}

/// Lists a gzip-compressed tar archive (ustar/GNU headers, GNU long names).
fn list_tgz(tgz: &Path) -> Vec<Entry> {
    let mut data = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(tgz).unwrap())
        .read_to_end(&mut data)
        .unwrap();
    let mut entries = Vec::new();
    let mut pos = 0;
    let mut long_name: Option<String> = None;
    while pos + 512 <= data.len() {
        let h = &data[pos..pos + 512];
        if h.iter().all(|&b| b == 0) {
            break;
        }
        let cstr = |f: &[u8]| {
            String::from_utf8(f.iter().take_while(|&&b| b != 0).copied().collect()).unwrap()
        };
        let size = octal(&h[124..136]) as usize;
        let kind = h[156];
        let body = pos + 512;
        pos = body + size.div_ceil(512) * 512;
        if kind == b'L' {
            long_name = Some(cstr(&data[body..body + size]));
            continue;
        }
        let mut name = cstr(&h[0..100]);
        if &h[257..262] == b"ustar" && h[345] != 0 && &h[257..263] == b"ustar\0" {
            name = format!("{}/{}", cstr(&h[345..500]), name);
        }
        entries.push(Entry {
            name: long_name.take().unwrap_or(name),
            mode: octal(&h[100..108]) as u32,
            uid: octal(&h[108..116]),
            gid: octal(&h[116..124]),
            mtime: octal(&h[136..148]),
            kind,
            data: data[body..body + size].to_vec(),
        });
    }
    entries
}

#[test]
fn the_archive_is_rooted_at_the_app_id_with_splunk_modes() {
    let Some(tgz) = package() else { return };
    let gz = std::fs::read(&tgz).unwrap();
    assert_eq!(&gz[..3], &[0x1f, 0x8b, 8], "gzip");
    assert_eq!(gz[3] & 0x08, 0, "gzip -n: no file name in the header");
    assert_eq!(&gz[4..8], &[0, 0, 0, 0], "gzip -n: no time stamp in the header");
    let members: Vec<Member> = list_tgz(&tgz)
        .into_iter()
        .map(|e| Member {
            path: e.name,
            mode: e.mode,
            owner: (e.uid, e.gid),
            mtime: e.mtime,
            kind: match e.kind {
                b'5' => Kind::Dir,
                b'0' | 0 => Kind::File,
                other => Kind::Other(other),
            },
        })
        .collect();
    assert!(members.len() > 20, "{} members", members.len());
    let mut required = Vec::new();
    if require_aarch64() {
        required.push(&LINUX_AARCH64);
    }
    if require_windows() {
        required.push(&WINDOWS_X86_64);
    }
    let problems = check_archive(&members, &required);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The release files `cargo xtask dist` writes beside the package (CI's
/// package step runs it): `SHA256SUMS` names the package and one archive
/// per platform with their digests, and each `.tar.gz` holds the very
/// binary the package ships for its platform, under one top folder.
#[test]
fn release_archives_hold_the_packaged_binaries() {
    let Some(tgz) = package() else { return };
    let dist = tgz.parent().unwrap();
    let sums = dist.join("SHA256SUMS");
    if !sums.is_file() && std::env::var_os("DYNAMICDNS_REQUIRE_PACKAGE").is_none() {
        return;
    }
    let version = env!("CARGO_PKG_VERSION");
    let text = std::fs::read_to_string(&sums).expect("dist/SHA256SUMS (cargo xtask dist)");
    let mut names = Vec::new();
    for line in text.lines() {
        let (sum, name) = line.split_once("  ").unwrap_or_else(|| panic!("{line:?}"));
        let out = std::process::Command::new("sha256sum").arg(dist.join(name)).output().unwrap();
        let got = String::from_utf8(out.stdout).unwrap();
        assert_eq!(got.split(' ').next(), Some(sum), "{name}");
        names.push(name.to_string());
    }
    let app = list_tgz(&tgz);
    let packaged = |path: &str| {
        let want = format!("{APP}/{path}");
        app.iter().find(|e| e.name == want).map(|e| e.data.clone())
    };
    let mut want = vec![format!("{APP}-{version}.tgz")];
    for p in PLATFORMS {
        let Some(binary) = packaged(&p.path()) else { continue };
        if p.program.ends_with(".exe") {
            // A zip: its layout is the xtask's unit tests'; here its digest.
            want.push(format!("dynamicdns-{version}-{}.zip", p.release));
            continue;
        }
        let name = format!("dynamicdns-{version}-{}.tar.gz", p.release);
        let top = format!("dynamicdns-{version}-{}/", p.release);
        let entries = list_tgz(&dist.join(&name));
        assert!(entries.iter().all(|e| e.name.starts_with(&top)), "{name}");
        let program = entries.iter().find(|e| e.name == format!("{top}{}", p.program)).unwrap();
        assert!(
            program.data == binary && program.mode == 0o755,
            "{name}: not the packaged binary"
        );
        for f in ["README.md", "LICENSE"] {
            assert!(entries.iter().any(|e| e.name == format!("{top}{f}")), "{name}: no {f}");
        }
        want.push(name);
    }
    want.sort();
    assert_eq!(names, want);
}

//! The package archive: top folder, modes, owner, gzip header, the files it
//! must and must not hold.

use std::io::Read;
use std::path::Path;

use super::{package, require_aarch64, APP, USER_LOOKUPS};

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
    let entries = list_tgz(&tgz);
    assert!(!entries.is_empty());
    let mut problems = Vec::new();
    let mtime = entries[0].mtime;
    for e in &entries {
        let parts: Vec<&str> = e.name.trim_end_matches('/').split('/').collect();
        if parts[0] != APP {
            problems.push(format!("{}: not under {APP}/", e.name));
        }
        if parts.iter().any(|p| p.starts_with('.') || p.is_empty()) {
            problems.push(format!("{}: dotfile or ./ path", e.name));
        }
        if (e.uid, e.gid) != (0, 0) {
            problems.push(format!("{}: owner {}:{}", e.name, e.uid, e.gid));
        }
        let is_dir = e.kind == b'5';
        if !is_dir && e.kind != b'0' {
            problems.push(format!("{}: type {:?}", e.name, e.kind as char));
        }
        let want = if is_dir || parts.get(1) == Some(&"bin") { 0o755 } else { 0o644 };
        if e.mode & 0o7777 != want {
            problems.push(format!("{}: mode {:o}, want {want:o}", e.name, e.mode & 0o7777));
        }
        if e.mtime != mtime {
            problems.push(format!("{}: mtime differs", e.name));
        }
    }
    let names: Vec<&str> = entries.iter().map(|e| e.name.trim_end_matches('/')).collect();
    let mut sorted = names.clone();
    sorted.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    if names != sorted {
        problems.push("entries are not sorted by name".to_string());
    }
    for f in [
        "app.manifest",
        "README.md",
        "LICENSE",
        "bin/dynamicdns.py",
        "bin/linux_x86_64/dynamicdns",
        "default/app.conf",
        "default/commands.conf",
        "default/transforms.conf",
        "default/analyticstories.conf",
        "default/server.conf",
        "default/data/ui/nav/default.xml",
        "default/data/ui/views/dynamicdns_overview.xml",
        "default/data/ui/views/dynamicdns_check.xml",
        "default/data/ui/views/dynamicdns_health.xml",
        "static/appIcon.png",
        "static/appIcon_2x.png",
        "static/appIconAlt.png",
        "static/appIconAlt_2x.png",
        "lookups/dynamic_dns_providers.csv",
        "metadata/default.meta",
    ] {
        if !names.contains(&format!("{APP}/{f}").as_str()) {
            problems.push(format!("{APP}/{f} missing"));
        }
    }
    for f in USER_LOOKUPS {
        if names.contains(&format!("{APP}/lookups/{f}").as_str()) {
            problems.push(format!(
                "{APP}/lookups/{f} is a file users edit: an upgrade would overwrite it"
            ));
        }
    }
    if require_aarch64()
        && !names.contains(&format!("{APP}/bin/linux_aarch64/dynamicdns").as_str())
    {
        problems
            .push("bin/linux_aarch64/dynamicdns missing (DYNAMICDNS_REQUIRE_AARCH64=1)".into());
    }
    // Binaries only in the platform folders the launcher knows, and no
    // test-only file (the wine tests' DLL) in the package.
    for name in &names {
        let Some(bin) = name.strip_prefix(&format!("{APP}/bin/")) else { continue };
        let known = ["linux_x86_64", "linux_aarch64", "windows_x86_64"];
        let ok = bin == "dynamicdns.py"
            || known.contains(&bin)
            || known.iter().any(|p| *bin == format!("{p}/dynamicdns"))
            || bin == "windows_x86_64/dynamicdns.exe";
        if !ok {
            problems.push(format!("{name}: not a launcher or platform binary"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

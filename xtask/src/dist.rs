//! `cargo xtask dist`: the release files in `dist/`, byte-identical from
//! the same commit.
//!
//! `cargo xtask package` (`package/`) builds the three binaries and the
//! Splunk app `dist/dynamicdns-<version>.tgz`; this task reuses that package
//! as the one source of every binary (the CLI archives hold exactly the
//! bytes the app ships) and writes beside it
//!
//! - `dynamicdns-<version>-x86_64-linux-gnu.tar.gz` (glibc ≥ 2.17),
//! - `dynamicdns-<version>-aarch64-linux-gnu.tar.gz` (glibc ≥ 2.17),
//! - `dynamicdns-<version>-x86_64-windows.zip`,
//! - `SHA256SUMS` over the app package and the archives (`sha256sum -c`).
//!
//! Each archive has one top folder `dynamicdns-<version>-<platform>/` with
//! the program, README.md, LICENSE and LICENSES/ (the zone data's sources
//! and the crates' licences, as in the app). Entries are sorted, owned by
//! 0:0 with no user names, modes 0755 (folders, programs) or 0644, and dated
//! with the app package's own time stamp (SOURCE_DATE_EPOCH or the last
//! commit); gzip headers carry no name or time.

use crate::package::manifest::PLATFORMS;
use crate::{failed, package, Failure};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// A file or folder of an archive: path (folders end in `/`), mode, bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) path: String,
    pub(crate) mode: u32,
    pub(crate) data: Vec<u8>,
}

impl Entry {
    fn dir(path: String) -> Entry {
        Entry { path, mode: 0o755, data: Vec::new() }
    }
    fn is_dir(&self) -> bool {
        self.path.ends_with('/')
    }
}

/// The options of `cargo xtask dist`.
pub(crate) struct Options {
    /// The repository.
    pub(crate) root: PathBuf,
    /// Where the app package is and the archives go (default `dist/`).
    pub(crate) out: PathBuf,
    /// Run `cargo xtask package` first (else use the package in `out`,
    /// or package the binaries already built when there is none).
    pub(crate) build: bool,
    /// Leave out a platform the package has no binary for, instead of
    /// failing.
    pub(crate) partial: bool,
}

/// Runs the task: the package (unless `--no-build`), then the archives and
/// the checksums.
pub(crate) fn run(o: &Options) -> Result<(), Failure> {
    let cx = package::context(&o.root)?;
    let version = cx.version.as_str();
    let app_name = package::package_name(&cx);
    let app_tgz = o.out.join(&app_name);
    let tgz = if o.build || !app_tgz.is_file() {
        let built = package::package(&cx, o.build)?;
        place(&built, &app_tgz)?
    } else {
        std::fs::read(&app_tgz).map_err(|e| failed(format!("{}: {e}", app_tgz.display())))?
    };
    let readme =
        std::fs::read(o.root.join("README.md")).map_err(|e| failed(format!("README.md: {e}")))?;
    let written = write_dist(&o.out, version, &app_name, &tgz, &readme, o.partial)?;
    for name in &written {
        let path = o.out.join(name);
        eprintln!("xtask: wrote {}", path.strip_prefix(&o.root).unwrap_or(&path).display());
    }
    Ok(())
}

/// The bytes of the package `built`, also at `dest` unless that is the
/// same file under another spelling (`xtask/../dist/…`): copying a file
/// onto itself would empty it.
fn place(built: &Path, dest: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = std::fs::read(built).map_err(|e| failed(format!("{}: {e}", built.display())))?;
    let same = matches!(
        (built.canonicalize(), dest.canonicalize()),
        (Ok(a), Ok(b)) if a == b
    );
    if !same {
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| failed(format!("{}: {e}", dir.display())))?;
        }
        write_file(dest, &bytes)?;
    }
    Ok(bytes)
}

/// Writes the archives and `SHA256SUMS` into `out` from the app package
/// `tgz` (named `app_name` there); returns the names written.
pub(crate) fn write_dist(
    out: &Path,
    version: &str,
    app_name: &str,
    tgz: &[u8],
    readme: &[u8],
    partial: bool,
) -> Result<Vec<String>, Failure> {
    let (app, mtime) = read_tgz(tgz)?;
    let file = |path: &str| app.iter().find(|e| e.path == format!("dynamicdns/{path}"));
    let license = file("LICENSE").ok_or_else(|| failed(format!("{app_name} has no LICENSE")))?;
    let licenses: Vec<&Entry> =
        app.iter().filter(|e| e.path.starts_with("dynamicdns/LICENSES/") && !e.is_dir()).collect();
    let mut sums = vec![(app_name.to_string(), tgz.to_vec())];
    for p in PLATFORMS {
        let Some(program) = file(&p.path()) else {
            if partial {
                eprintln!(
                    "xtask: warning: {app_name} has no {} binary: no {} archive",
                    p.folder, p.release
                );
                continue;
            }
            return Err(failed(format!(
                "{app_name} has no bin/{}/{} (build it, or pass --partial)",
                p.folder, p.program
            )));
        };
        let top = format!("dynamicdns-{version}-{}/", p.release);
        let mut entries = vec![
            Entry::dir(top.clone()),
            Entry { path: format!("{top}{}", p.program), mode: 0o755, data: program.data.clone() },
            Entry { path: format!("{top}README.md"), mode: 0o644, data: readme.to_vec() },
            Entry { path: format!("{top}LICENSE"), mode: 0o644, data: license.data.clone() },
            Entry::dir(format!("{top}LICENSES/")),
        ];
        for l in &licenses {
            let name = l.path.trim_start_matches("dynamicdns/");
            entries.push(Entry {
                path: format!("{top}{name}"),
                mode: 0o644,
                data: l.data.clone(),
            });
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        // Windows users get a zip, the others a .tar.gz.
        let (name, bytes) = if p.program.ends_with(".exe") {
            (format!("dynamicdns-{version}-{}.zip", p.release), zip_bytes(&entries, mtime)?)
        } else {
            (format!("dynamicdns-{version}-{}.tar.gz", p.release), tgz_bytes(&entries, mtime)?)
        };
        sums.push((name, bytes));
    }
    std::fs::create_dir_all(out).map_err(|e| failed(format!("{}: {e}", out.display())))?;
    let mut names = Vec::new();
    let mut list = String::new();
    sums.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, bytes) in &sums {
        if name != app_name {
            write_file(&out.join(name), bytes)?;
            names.push(name.clone());
        }
        list.push_str(&format!("{}  {name}\n", hex(&hmac_sha256::Hash::hash(bytes))));
    }
    write_file(&out.join("SHA256SUMS"), list.as_bytes())?;
    names.push("SHA256SUMS".to_string());
    Ok(names)
}

/// Writes through a temporary name, so that a failed run leaves no
/// half-written release file.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| failed(format!("{}: {e}", path.display())))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The entries of a `.tgz` and the time stamp of its first entry.
pub(crate) fn read_tgz(tgz: &[u8]) -> Result<(Vec<Entry>, u64), Failure> {
    let bad = |e: std::io::Error| failed(format!("the app package: {e}"));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    let mut entries = Vec::new();
    let mut mtime = None;
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let h = entry.header();
        mtime = mtime.or(h.mtime().ok());
        let mode = h.mode().map_err(bad)?;
        let kind = h.entry_type();
        let mut path = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        if kind.is_dir() && !path.ends_with('/') {
            path.push('/');
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(bad)?;
        entries.push(Entry { path, mode, data });
    }
    Ok((entries, mtime.ok_or_else(|| failed("the app package is empty"))?))
}

/// A gzip-compressed tar (GNU format) of `entries`, in their order.
pub(crate) fn tgz_bytes(entries: &[Entry], mtime: u64) -> Result<Vec<u8>, Failure> {
    let io = |e: std::io::Error| failed(format!("writing a tar archive: {e}"));
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(if e.is_dir() {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        });
        h.set_size(e.data.len() as u64);
        h.set_mode(e.mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(mtime);
        b.append_data(&mut h, &e.path, &e.data[..]).map_err(io)?;
    }
    let tar = b.into_inner().map_err(io)?;
    // No file name, time 0, maximum compression: the bytes depend only on
    // the tar's.
    let mut gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    gz.write_all(&tar).map_err(io)?;
    gz.finish().map_err(io)
}

/// A zip of `entries` (deflated files, Unix modes, the MS-DOS time of
/// `mtime` in UTC).
pub(crate) fn zip_bytes(entries: &[Entry], mtime: u64) -> Result<Vec<u8>, Failure> {
    use zip::write::SimpleFileOptions;
    let err = |e: zip::result::ZipError| failed(format!("writing a zip archive: {e}"));
    let (y, mo, d, h, mi, s, _) = crate::gen::gmtime(mtime as i64);
    let time = u16::try_from(y)
        .ok()
        .and_then(|y| {
            zip::DateTime::from_date_and_time(y, mo as u8, d as u8, h as u8, mi as u8, s as u8)
                .ok()
        })
        .ok_or_else(|| failed(format!("time stamp {mtime} is outside the zip format's range")))?;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for e in entries {
        let o = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(9))
            .last_modified_time(time)
            .unix_permissions(e.mode);
        if e.is_dir() {
            w.add_directory(e.path.as_str(), o).map_err(err)?;
        } else {
            w.start_file(e.path.as_str(), o).map_err(err)?;
            w.write_all(&e.data).map_err(|e| failed(format!("writing a zip archive: {e}")))?;
        }
    }
    Ok(w.finish().map_err(err)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small app package in `cargo xtask package`'s shape.
    fn app_tgz(with_windows: bool) -> Vec<u8> {
        let mut e = vec![
            Entry::dir("dynamicdns/".into()),
            Entry { path: "dynamicdns/LICENSE".into(), mode: 0o644, data: b"Apache".to_vec() },
            Entry::dir("dynamicdns/LICENSES/".into()),
            Entry {
                path: "dynamicdns/LICENSES/CC0.txt".into(),
                mode: 0o644,
                data: b"cc0".to_vec(),
            },
            Entry::dir("dynamicdns/bin/".into()),
            Entry {
                path: "dynamicdns/bin/dynamicdns.py".into(),
                mode: 0o755,
                data: b"py".to_vec(),
            },
            Entry::dir("dynamicdns/bin/linux_aarch64/".into()),
            Entry {
                path: "dynamicdns/bin/linux_aarch64/dynamicdns".into(),
                mode: 0o755,
                data: b"\x7fELF arm".to_vec(),
            },
            Entry::dir("dynamicdns/bin/linux_x86_64/".into()),
            Entry {
                path: "dynamicdns/bin/linux_x86_64/dynamicdns".into(),
                mode: 0o755,
                data: b"\x7fELF x86".to_vec(),
            },
        ];
        if with_windows {
            e.push(Entry::dir("dynamicdns/bin/windows_x86_64/".into()));
            e.push(Entry {
                path: "dynamicdns/bin/windows_x86_64/dynamicdns.exe".into(),
                mode: 0o755,
                data: b"MZ".to_vec(),
            });
        }
        tgz_bytes(&e, 1_765_000_000).unwrap_or_else(|f| panic!("{}", f.message))
    }

    fn dist(dir: &Path, tgz: &[u8], partial: bool) -> Result<Vec<String>, Failure> {
        write_dist(dir, "9.8.7", "dynamicdns-9.8.7.tgz", tgz, b"# readme\n", partial)
    }

    /// The package found under another spelling of its own path keeps its
    /// bytes (a copy onto itself once emptied it); elsewhere it is copied.
    #[test]
    fn the_package_is_placed_without_emptying_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dist = tmp.path().join("dist");
        std::fs::create_dir_all(tmp.path().join("xtask")).unwrap();
        std::fs::create_dir_all(&dist).unwrap();
        let built = dist.join("app.tgz");
        std::fs::write(&built, b"package bytes").unwrap();
        let same = tmp.path().join("xtask/../dist/app.tgz");
        assert_eq!(place(&built, &same).ok().unwrap(), b"package bytes");
        assert_eq!(std::fs::read(&built).unwrap(), b"package bytes");
        let other = tmp.path().join("out/app.tgz");
        assert_eq!(place(&built, &other).ok().unwrap(), b"package bytes");
        assert_eq!(std::fs::read(&other).unwrap(), b"package bytes");
    }

    #[test]
    fn two_runs_write_the_same_bytes() {
        let tgz = app_tgz(true);
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let names = dist(a.path(), &tgz, false).unwrap_or_else(|f| panic!("{}", f.message));
        // A second run, a second later: nothing may depend on the clock.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(dist(b.path(), &tgz, false).ok(), Some(names.clone()));
        assert_eq!(
            names,
            [
                "dynamicdns-9.8.7-aarch64-linux-gnu.tar.gz",
                "dynamicdns-9.8.7-x86_64-linux-gnu.tar.gz",
                "dynamicdns-9.8.7-x86_64-windows.zip",
                "SHA256SUMS"
            ]
        );
        for n in &names {
            assert_eq!(
                std::fs::read(a.path().join(n)).unwrap(),
                std::fs::read(b.path().join(n)).unwrap(),
                "{n}"
            );
        }
        // SHA256SUMS names the app package and every archive, in order.
        let sums = std::fs::read_to_string(a.path().join("SHA256SUMS")).unwrap();
        let listed: Vec<&str> = sums.lines().map(|l| l.split_once("  ").unwrap().1).collect();
        assert_eq!(listed[0], "dynamicdns-9.8.7-aarch64-linux-gnu.tar.gz");
        assert!(listed.contains(&"dynamicdns-9.8.7.tgz") && listed.len() == 4);
        let first = sums.lines().next().unwrap();
        let bytes = std::fs::read(a.path().join(listed[0])).unwrap();
        assert!(first.starts_with(&hex(&hmac_sha256::Hash::hash(&bytes))));
    }

    #[test]
    fn archives_hold_the_packaged_program_with_fixed_metadata() {
        let tgz = app_tgz(true);
        let dir = tempfile::tempdir().unwrap();
        dist(dir.path(), &tgz, false).unwrap_or_else(|f| panic!("{}", f.message));
        let linux =
            std::fs::read(dir.path().join("dynamicdns-9.8.7-x86_64-linux-gnu.tar.gz")).unwrap();
        let (entries, mtime) = read_tgz(&linux).unwrap_or_else(|f| panic!("{}", f.message));
        assert_eq!(mtime, 1_765_000_000);
        let got: Vec<(&str, u32, &[u8])> =
            entries.iter().map(|e| (e.path.as_str(), e.mode, &e.data[..])).collect();
        let top = "dynamicdns-9.8.7-x86_64-linux-gnu/";
        assert_eq!(
            got,
            [
                (top, 0o755, &b""[..]),
                (&format!("{top}LICENSE")[..], 0o644, b"Apache"),
                (&format!("{top}LICENSES/")[..], 0o755, b""),
                (&format!("{top}LICENSES/CC0.txt")[..], 0o644, b"cc0"),
                (&format!("{top}README.md")[..], 0o644, b"# readme\n"),
                (&format!("{top}dynamicdns")[..], 0o755, b"\x7fELF x86"),
            ]
        );
        // Owner 0:0, no user or group names, in every header.
        let mut a = tar::Archive::new(flate2::read::GzDecoder::new(&linux[..]));
        for e in a.entries().unwrap() {
            let e = e.unwrap();
            let h = e.header();
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
            assert_eq!((h.username().unwrap(), h.groupname().unwrap()), (Some(""), Some("")));
        }
        let zip = std::fs::read(dir.path().join("dynamicdns-9.8.7-x86_64-windows.zip")).unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        let mut names = Vec::new();
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            let t = f.last_modified().unwrap();
            assert_eq!((t.year(), t.month(), t.day()), (2025, 12, 6));
            names.push((f.name().to_string(), f.unix_mode(), data));
        }
        assert!(names.contains(&(
            "dynamicdns-9.8.7-x86_64-windows/dynamicdns.exe".into(),
            Some(0o100755),
            b"MZ".to_vec()
        )));
    }

    #[test]
    fn a_missing_platform_fails_unless_partial() {
        let tgz = app_tgz(false);
        let dir = tempfile::tempdir().unwrap();
        let Err(Failure { message: e, .. }) = dist(dir.path(), &tgz, false) else {
            panic!("a package without the Windows binary must fail")
        };
        assert!(e.contains("bin/windows_x86_64/dynamicdns.exe"), "{e}");
        let names = dist(dir.path(), &tgz, true).unwrap_or_else(|f| panic!("{}", f.message));
        assert_eq!(names.len(), 3, "{names:?}");
    }
}

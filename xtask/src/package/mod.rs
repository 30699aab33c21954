//! `cargo xtask package`: the Splunk app package
//! `dist/dynamicdns-<version>.tgz` (+ `.sha256`), as `manifest.rs` defines
//! it:
//!
//! 1. the versions agree: Cargo.toml, `default/app.conf` (`[id]`,
//!    `[launcher]`), `app/app.manifest`; `[package] id` is the app folder;
//! 2. the binaries are built (`builds.rs`; the Windows build runs beside
//!    the two Linux ones, whose fat-LTO links leave a core idle), or taken
//!    from `DYNAMICDNS_<PLATFORM>_BIN`, or left out (`=skip`, or where the
//!    tools cannot be set up, unless `DYNAMICDNS_REQUIRE_<PLATFORM>=1`);
//! 3. each binary is checked (`checks.rs`): machine, glibc floor,
//!    `--version`, the external lookup;
//! 4. the app is staged in memory from `manifest::CONTENTS`, with the Rust
//!    crates' licences from `cargo tree` and the ES content generated from
//!    `detections/` while the binaries build (`scripts/detections.sh
//!    --emit`: contentctl's build and the app's overlay give
//!    `savedsearches.conf`, `analyticstories.conf` and `macros.conf`, shipped
//!    over the committed copies), and written as a reproducible
//!    archive: sorted names, owner 0:0, modes from `manifest::mode`, one
//!    time stamp (`SOURCE_DATE_EPOCH`, default the last commit's time),
//!    gzip without name or time (`dist.rs`'s writer). The archive written
//!    is then checked like the package tests check it.
//!
//! `cargo xtask package check [TGZ]` runs that last check on an archive;
//! `cargo xtask package binary FOLDER` builds (or with `--no-build` finds)
//! and checks one platform's binary and prints its path (the perf guard and
//! the stress test measure the shipped x86_64 build).

pub(crate) mod builds;
mod checks;
mod header;
pub(crate) mod manifest;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::dist::{self, Entry};
use crate::{failed, usage, Failure};
use manifest::{Platform, Source, APP_ID, PLATFORMS};

/// What every step needs to know.
pub(crate) struct Context {
    /// The repository (no symbolic links: the remapped path prefix).
    pub(crate) root: PathBuf,
    /// cargo's target directory, as cargo resolves it.
    pub(crate) target_dir: PathBuf,
    /// The version of the `dynamicdns` package in Cargo.toml.
    pub(crate) version: String,
    /// The build id compiled into the binaries (`DYNAMICDNS_BUILD`).
    pub(crate) build_id: String,
}

/// A non-empty environment variable.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `cargo xtask package [--no-build] [check [TGZ] | binary FOLDER]`.
pub(crate) fn run(root: &Path, build: bool, words: &[&str]) -> Result<(), Failure> {
    let cx = context(root)?;
    match words {
        [] => package(&cx, build).map(|_| ()),
        ["check"] => check_file(&cx.root.join("dist").join(package_name(&cx))),
        ["check", tgz] => check_file(Path::new(tgz)),
        ["binary", folder] => {
            println!("{}", binary(&cx, folder, build)?.display());
            Ok(())
        }
        _ => Err(usage("usage: cargo xtask package [--no-build] [check [TGZ] | binary FOLDER]")),
    }
}

/// One platform's binary (`folder`: linux_x86_64, …), built (or with
/// `build` false found) and checked.
pub(crate) fn binary(cx: &Context, folder: &str, build: bool) -> Result<PathBuf, Failure> {
    let p = PLATFORMS.iter().find(|p| p.folder == folder).ok_or_else(|| {
        let known: Vec<&str> = PLATFORMS.iter().map(|p| p.folder).collect();
        usage(format!("no platform {folder} (one of {})", known.join(", ")))
    })?;
    checks::one_binary(cx, p, build).map_err(failed)
}

/// The shipped x86_64 binary the perf guard and the stress test measure:
/// `DYNAMICDNS_BIN` when set (`cargo xtask ci` passes the packaged one),
/// else the build `package binary linux_x86_64` makes (a no-op when fresh).
pub(crate) fn shipped_x86_64(cx: &Context) -> Result<PathBuf, Failure> {
    let Some(bin) = env("DYNAMICDNS_BIN") else {
        return binary(cx, manifest::LINUX_X86_64.folder, true);
    };
    let runnable = std::fs::metadata(&bin).is_ok_and(|m| {
        #[cfg(unix)]
        let exec = std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0;
        #[cfg(not(unix))]
        let exec = true;
        m.is_file() && exec
    });
    if !runnable {
        return Err(failed(format!("DYNAMICDNS_BIN={bin} is not an executable file")));
    }
    Ok(PathBuf::from(bin))
}

/// The package's file name.
pub(crate) fn package_name(cx: &Context) -> String {
    format!("{APP_ID}-{}.tgz", cx.version)
}

pub(crate) fn context(root: &Path) -> Result<Context, Failure> {
    let root = root.canonicalize().map_err(|e| failed(format!("{}: {e}", root.display())))?;
    let out = Command::new("cargo")
        .args(["metadata", "--no-deps", "--offline", "--format-version", "1", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .output()
        .map_err(|e| failed(format!("cargo metadata: {e}")))?;
    if !out.status.success() {
        return Err(failed(format!("cargo metadata: {}", String::from_utf8_lossy(&out.stderr))));
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| failed(format!("cargo metadata: {e}")))?;
    let target_dir = PathBuf::from(meta["target_directory"].as_str().unwrap_or("target"));
    let version = meta["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == APP_ID))
        .and_then(|p| p["version"].as_str())
        .ok_or_else(|| failed("no dynamicdns package version in cargo metadata"))?
        .to_string();
    let build_id = env("DYNAMICDNS_BUILD").unwrap_or_else(|| commit_build_id(&root));
    Ok(Context { root, target_dir, version, build_id })
}

/// The build id `| dynamicdnsinfo` reports (crates/engine/build.rs reads
/// `DYNAMICDNS_BUILD`): the commit, 12 hex digits, `-dirty` when tracked
/// files differ from it, `dev` outside git. A function of the commit only,
/// so that the same commit gives the same bytes.
fn commit_build_id(root: &Path) -> String {
    let git = |args: &[&str]| Command::new("git").arg("-C").arg(root).args(args).output().ok();
    let Some(out) = git(&["rev-parse", "--short=12", "HEAD"]).filter(|o| o.status.success())
    else {
        return "dev".into();
    };
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let clean = git(&["diff", "--quiet", "HEAD", "--"]).is_some_and(|o| o.status.success());
    if clean {
        id
    } else {
        format!("{id}-dirty")
    }
}

/// Archive time stamps: `SOURCE_DATE_EPOCH`, else the last commit's time,
/// else 0.
fn source_date_epoch(root: &Path) -> Result<u64, Failure> {
    if let Some(v) = env("SOURCE_DATE_EPOCH") {
        return v.parse().map_err(|_| failed(format!("SOURCE_DATE_EPOCH={v} is not a number")));
    }
    let out = Command::new("git").arg("-C").arg(root).args(["log", "-1", "--format=%ct"]).output();
    Ok(out.ok().and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(0))
}

/// The value of `key` in `[section]` of a .conf text.
fn conf_values(text: &str, section: &str, key: &str) -> Vec<String> {
    let mut current = "";
    let mut values = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            current = line;
        } else if current == section {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    values.push(v.trim().to_string());
                }
            }
        }
    }
    values
}

/// Cargo.toml, `default/app.conf` `[id]`/`[launcher]` and
/// `app/app.manifest` take one version; `[package] id` is the app folder.
fn check_versions(cx: &Context) -> Result<(), String> {
    let read =
        |rel: &str| std::fs::read_to_string(cx.root.join(rel)).map_err(|e| format!("{rel}: {e}"));
    let conf = read("default/app.conf")?;
    let manifest: serde_json::Value = serde_json::from_str(&read("app/app.manifest")?)
        .map_err(|e| format!("app/app.manifest: {e}"))?;
    let v = &cx.version;
    for section in ["[id]", "[launcher]"] {
        let got = conf_values(&conf, section, "version");
        if got != [v.as_str()] {
            return Err(format!("default/app.conf {section} version {got:?} != Cargo.toml {v}"));
        }
    }
    let got = &manifest["info"]["id"]["version"];
    if got != v.as_str() {
        return Err(format!("app/app.manifest info.id.version {got} != Cargo.toml {v}"));
    }
    let id = conf_values(&conf, "[package]", "id");
    if id != [APP_ID] {
        return Err(format!("default/app.conf [package] id {id:?} != {APP_ID}"));
    }
    Ok(())
}

/// Builds the package; returns its path.
pub(crate) fn package(cx: &Context, build: bool) -> Result<PathBuf, Failure> {
    check_versions(cx).map_err(failed)?;
    let epoch = source_date_epoch(&cx.root)?;
    // contentctl builds the ES content while cargo builds the binaries.
    let (bins, generated) = std::thread::scope(|s| {
        let generated = s.spawn(|| from_detections(cx));
        let bins = checks::binaries(cx, build);
        (bins, generated.join().unwrap_or_else(|_| Err("the detections thread panicked".into())))
    });
    let bins = bins.map_err(failed)?;
    let generated = generated.map_err(failed)?;
    let crates = third_party_crates(cx).map_err(failed)?;
    let entries = stage(cx, &bins, &crates, generated).map_err(failed)?;
    let tgz = dist::tgz_bytes(&entries, epoch)?;
    let problems = check_bytes(&tgz, &bins.iter().map(|b| b.0).collect::<Vec<_>>())?;
    if !problems.is_empty() {
        return Err(failed(format!("the package written:\n{}", problems.join("\n"))));
    }
    let dist = cx.root.join("dist");
    std::fs::create_dir_all(&dist).map_err(|e| failed(format!("{}: {e}", dist.display())))?;
    let name = package_name(cx);
    let path = dist.join(&name);
    let sum = dist::hex(&hmac_sha256::Hash::hash(&tgz));
    dist::write_file(&path, &tgz)?;
    dist::write_file(&dist.join(format!("{name}.sha256")), format!("{sum}  {name}\n").as_bytes())?;
    let files = entries.iter().filter(|e| !e.path.ends_with('/')).count();
    let has =
        |p: &Platform| if bins.iter().any(|b| b.0.folder == p.folder) { "yes" } else { "NO" };
    eprintln!(
        "xtask: wrote dist/{name} ({} KiB, sha256 {}…): {files} files; build {}; aarch64: {}; windows: {}",
        tgz.len() / 1024,
        &sum[..16],
        cx.build_id,
        has(&manifest::LINUX_AARCH64),
        has(&manifest::WINDOWS_X86_64)
    );
    Ok(path)
}

/// The confs that `detections/` generates (`scripts/detections.sh --emit`:
/// contentctl's build of the YAML and the app's overlay), by file name: the
/// package ships them as generated now, over the committed copies in
/// `default/` (which the test command requires to be the same).
fn from_detections(cx: &Context) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let dir = cx.target_dir.join("package-detections");
    let _ = std::fs::remove_dir_all(&dir);
    let status = Command::new(cx.root.join("scripts/detections.sh"))
        .arg("--emit")
        .arg(&dir)
        .current_dir(&cx.root)
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("scripts/detections.sh: {e}"))?;
    if !status.success() {
        return Err(format!("scripts/detections.sh --emit failed ({status})"));
    }
    let mut out = BTreeMap::new();
    for (name, path) in list(&dir, false)? {
        out.insert(name, std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    if out.is_empty() {
        return Err(format!("scripts/detections.sh --emit wrote nothing into {}", dir.display()));
    }
    Ok(out)
}

/// The app's files (`manifest::CONTENTS`) and folders, in archive order;
/// `generated` replaces the committed confs of the same names in `default/`.
fn stage(
    cx: &Context,
    bins: &checks::Binaries,
    crates: &str,
    generated: BTreeMap<String, Vec<u8>>,
) -> Result<Vec<Entry>, String> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut add = |dest: String, data: Vec<u8>| match files.insert(dest.clone(), data) {
        None => Ok(()),
        Some(_) => Err(format!("{dest}: two sources in the package manifest")),
    };
    for (dest, source) in manifest::CONTENTS {
        match source {
            Source::File(src) => add(dest.to_string(), read(&cx.root.join(src))?)?,
            Source::Generated => add(dest.to_string(), crates.as_bytes().to_vec())?,
            Source::Binary(p) => {
                if let Some((_, bin)) = bins.iter().find(|(b, _)| b.folder == p.folder) {
                    add(dest.to_string(), read(bin)?)?;
                }
            }
            Source::Files(..) | Source::Tree(..) => {
                let (dir, suffix, tree) = match source {
                    Source::Files(dir, suffix) => (dir, *suffix, false),
                    Source::Tree(dir) => (dir, "", true),
                    _ => unreachable!(),
                };
                for (rel, path) in list(&cx.root.join(dir), tree)? {
                    if rel.ends_with(suffix) {
                        add(format!("{dest}{rel}"), read(&path)?)?;
                    }
                }
            }
        }
    }
    for (name, data) in generated {
        let dest = format!("default/{name}");
        match files.get(&dest) {
            None => return Err(format!("detections/ generates {name}, which default/ lacks")),
            Some(committed) if *committed != data => eprintln!(
                "xtask: warning: default/{name} differs from what detections/ generates \
                 (scripts/detections.sh --write); the package holds the generated one"
            ),
            Some(_) => {}
        }
        files.insert(dest, data);
    }
    let mut problems = Vec::new();
    let mut entries = Vec::new();
    let mut dirs = BTreeSet::from([String::new()]);
    for (rel, data) in files {
        if let Some(why) = manifest::forbidden(&rel) {
            problems.push(format!("{rel}: must not be shipped: {why}"));
        }
        let mut at = 0;
        while let Some(i) = rel[at..].find('/') {
            dirs.insert(rel[..at + i + 1].to_string());
            at += i + 1;
        }
        entries.push(Entry {
            path: format!("{APP_ID}/{rel}"),
            mode: manifest::mode(&rel, false),
            data,
        });
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    entries.extend(dirs.into_iter().map(|d| Entry {
        path: format!("{APP_ID}/{d}"),
        mode: 0o755,
        data: vec![],
    }));
    // As `tar --sort=name` walks a tree: a folder's entries by name, each
    // folder followed by what it holds.
    entries.sort_by(|a, b| {
        a.path.trim_end_matches('/').split('/').cmp(b.path.trim_end_matches('/').split('/'))
    });
    Ok(entries)
}

/// The files under `dir` (recursively when `tree`) as (relative path,
/// path), sorted.
fn list(dir: &Path, tree: bool) -> Result<Vec<(String, PathBuf)>, String> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in rd {
        let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        if path.is_dir() {
            if tree {
                out.extend(
                    list(&path, true)?.into_iter().map(|(r, p)| (format!("{name}/{r}"), p)),
                );
            }
        } else {
            out.push((name, path));
        }
    }
    out.sort();
    Ok(out)
}

/// `LICENSES/THIRD-PARTY-CRATES.txt`: the crates in the x86_64 binary's
/// tree (`cargo tree`, normal dependencies; the other targets' binaries
/// differ only in platform crates std brings) and their licences.
fn third_party_crates(cx: &Context) -> Result<String, String> {
    let out = Command::new("cargo")
        .current_dir(&cx.root)
        .args(["tree", "--locked", "--offline", "-e", "normal", "--prefix", "none"])
        .args(["--target", manifest::LINUX_X86_64.triple, "-f", "{p}|{l}"])
        .output()
        .map_err(|e| format!("cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo tree: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(crates_text(&String::from_utf8_lossy(&out.stdout)))
}

/// The text of THIRD-PARTY-CRATES.txt from `cargo tree`'s `{p}|{l}` lines:
/// each crate once (no `(*)` repeat marks, proc-macro tags or local
/// paths), sorted, the licence in a column.
fn crates_text(tree: &str) -> String {
    let mut rows = BTreeSet::new();
    for line in tree.lines() {
        let line = line.strip_suffix(" (*)").unwrap_or(line).replace(" (proc-macro)", "");
        let Some((mut krate, licence)) = line.split_once('|') else { continue };
        if krate.ends_with(')') {
            krate = krate.rfind(" (").map_or(krate, |i| &krate[..i]);
        }
        if !krate.is_empty() {
            rows.insert(format!("{krate:<40} {licence}"));
        }
    }
    let mut text = String::from(
        "Rust crates compiled into (or used to compile) bin/*/dynamicdns, with their licences.\n\
         The Rust standard library is MIT OR Apache-2.0. Texts: LICENSES/ and each crate's\n\
         repository (crates.io). Generated by cargo xtask package from Cargo.lock.\n\n",
    );
    for r in rows {
        text += r.trim_end();
        text.push('\n');
    }
    text
}

/// The members of a `.tgz`, for `manifest::check_archive`.
fn members(tgz: &[u8]) -> Result<Vec<manifest::Member>, Failure> {
    let bad = |e: std::io::Error| failed(format!("reading the package: {e}"));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    let mut out = Vec::new();
    for e in archive.entries().map_err(bad)? {
        let e = e.map_err(bad)?;
        let h = e.header();
        let t = h.entry_type();
        out.push(manifest::Member {
            path: e.path().map_err(bad)?.to_string_lossy().into_owned(),
            mode: h.mode().map_err(bad)?,
            owner: (h.uid().map_err(bad)?, h.gid().map_err(bad)?),
            mtime: h.mtime().map_err(bad)?,
            kind: if t.is_dir() {
                manifest::Kind::Dir
            } else if t.is_file() {
                manifest::Kind::File
            } else {
                manifest::Kind::Other(t.as_byte())
            },
        });
    }
    Ok(out)
}

/// The problems of a package archive's bytes, `required` platforms' binaries
/// included.
fn check_bytes(tgz: &[u8], required: &[&Platform]) -> Result<Vec<String>, Failure> {
    Ok(manifest::check_archive(&members(tgz)?, required))
}

/// `package check`: an archive against the manifest; the aarch64 and
/// Windows binaries are required under `DYNAMICDNS_REQUIRE_<PLATFORM>=1`.
fn check_file(tgz: &Path) -> Result<(), Failure> {
    let bytes = std::fs::read(tgz)
        .map_err(|e| failed(format!("{}: {e} (run cargo xtask package first)", tgz.display())))?;
    let required: Vec<&Platform> =
        PLATFORMS.iter().copied().filter(|p| checks::required(p)).collect();
    let problems = check_bytes(&bytes, &required)?;
    if !problems.is_empty() {
        return Err(failed(format!("{}:\n{}", tgz.display(), problems.join("\n"))));
    }
    let all = members(&bytes)?;
    let files = all.iter().filter(|m| m.kind == manifest::Kind::File).count();
    for p in PLATFORMS {
        if !all.iter().any(|m| m.path == format!("{APP_ID}/{}", p.path())) {
            eprintln!("xtask: note: {} has no {}", tgz.display(), p.path());
        }
    }
    eprintln!(
        "xtask: {}: {files} files under {APP_ID}/: paths, owner, modes, order, time stamps and contents ok",
        tgz.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests;

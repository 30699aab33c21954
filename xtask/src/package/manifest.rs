//! What the Splunk app package contains: its files and where they come
//! from, their modes, the platform binaries, the lookup files users edit
//! (never shipped), and the check of a package archive against all that.
//!
//! The one definition of these facts: `cargo xtask package` stages and
//! checks the archive with it, and the integration tests (`tests/util/`)
//! include this file with `#[path]`, so it uses `std` only and nothing of
//! the xtask crate.

/// The app's folder name: `default/app.conf` `[package] id`, the archive's
/// top folder.
pub const APP_ID: &str = "dynamicdns";

/// Lookup files users create and edit: local zones, allowlist, first-seen
/// baseline. Never shipped: installing a new version replaces every file
/// the package contains, so a shipped one would overwrite the user's.
pub const USER_LOOKUPS: &[&str] =
    &["dynamicdns_local_zones.csv", "dynamicdns_allowlist.csv", "dynamicdns_first_seen.csv"];

/// The names of the first two before 0.2 (0.1.0 shipped them, header
/// only; the binary still reads them, with a deprecation warning). Never
/// shipped either.
pub const OLD_USER_LOOKUPS: &[&str] =
    &["dynamic_dns_providers_local.csv", "dynamic_dns_allowlist.csv"];

/// Whether `lookups/<name>` is a file users edit (current or pre-0.2 name).
pub fn is_user_lookup(name: &str) -> bool {
    USER_LOOKUPS.contains(&name) || OLD_USER_LOOKUPS.contains(&name)
}

/// Where a part of the package comes from, relative to the repository.
pub enum Source {
    /// One file.
    File(&'static str),
    /// The files of a folder (not its subfolders) whose names end in the
    /// suffix (`""`: all).
    Files(&'static str, &'static str),
    /// A folder with everything under it.
    Tree(&'static str),
    /// Written by `cargo xtask package` (the crates and their licences,
    /// from `Cargo.lock`).
    Generated,
    /// The binary built for a platform (`None` in a package without it).
    Binary(&'static Platform),
}

/// The package: each destination under the app folder (a folder when it
/// ends in `/`) and its source.
pub const CONTENTS: &[(&str, Source)] = &[
    ("app.manifest", Source::File("app/app.manifest")),
    ("README.md", Source::File("app/README.md")),
    ("LICENSE", Source::File("data/licenses/Apache-2.0.txt")),
    ("LICENSES/", Source::Files("data/licenses", "")),
    ("LICENSES/ZONE-DATA-SOURCES.md", Source::File("data/README.md")),
    ("LICENSES/THIRD-PARTY-CRATES.txt", Source::Generated),
    ("bin/dynamicdns.py", Source::File("bin/dynamicdns.py")),
    ("bin/linux_x86_64/dynamicdns", Source::Binary(&LINUX_X86_64)),
    ("bin/linux_aarch64/dynamicdns", Source::Binary(&LINUX_AARCH64)),
    ("bin/windows_x86_64/dynamicdns.exe", Source::Binary(&WINDOWS_X86_64)),
    ("default/", Source::Files("default", ".conf")),
    ("default/data/", Source::Tree("default/data")),
    ("lookups/", Source::Files("lookups", ".csv")),
    ("metadata/default.meta", Source::File("app/metadata/default.meta")),
    ("static/", Source::Files("app/static", ".png")),
];

/// Files every package must hold (paths under the app folder).
pub const REQUIRED: &[&str] = &[
    "app.manifest",
    "README.md",
    "LICENSE",
    "LICENSES/THIRD-PARTY-CRATES.txt",
    "LICENSES/ZONE-DATA-SOURCES.md",
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
];

/// A platform the launcher (`bin/dynamicdns.py`) knows: its binary is
/// `bin/<folder>/<program>`.
pub struct Platform {
    /// The folder under `bin/`.
    pub folder: &'static str,
    /// The program's file name.
    pub program: &'static str,
    /// The Rust target it is built for.
    pub triple: &'static str,
    /// The platform's name in the CLI archives of `cargo xtask dist`.
    pub release: &'static str,
}

impl Platform {
    /// The binary's path under the app folder.
    pub fn path(&self) -> String {
        format!("bin/{}/{}", self.folder, self.program)
    }
}

/// Linux x86_64, glibc 2.17 or newer; every package has it.
pub const LINUX_X86_64: Platform = Platform {
    folder: "linux_x86_64",
    program: "dynamicdns",
    triple: "x86_64-unknown-linux-gnu",
    release: "x86_64-linux-gnu",
};
/// Linux aarch64, glibc 2.17 or newer (Splunk Cloud's indexers).
pub const LINUX_AARCH64: Platform = Platform {
    folder: "linux_aarch64",
    program: "dynamicdns",
    triple: "aarch64-unknown-linux-gnu",
    release: "aarch64-linux-gnu",
};
/// Windows x86_64 (MinGW-w64).
pub const WINDOWS_X86_64: Platform = Platform {
    folder: "windows_x86_64",
    program: "dynamicdns.exe",
    triple: "x86_64-pc-windows-gnu",
    release: "x86_64-windows",
};
/// Every platform, in the order of `CONTENTS`.
pub const PLATFORMS: &[&Platform] = &[&LINUX_X86_64, &LINUX_AARCH64, &WINDOWS_X86_64];

/// The mode of a path under the app folder: 0755 for folders and for the
/// programs under `bin/`, 0644 for every other file (what AppInspect and
/// Splunk's installer expect).
pub fn mode(path: &str, is_dir: bool) -> u32 {
    if is_dir || path.starts_with("bin/") {
        0o755
    } else {
        0o644
    }
}

/// Why a path under the app folder must not be shipped, if it must not:
/// dotfiles (and `.`/`..`), an admin's `local/` settings or `local.meta`
/// (AppInspect fails those), a file users edit.
pub fn forbidden(path: &str) -> Option<&'static str> {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if parts.iter().any(|p| p.is_empty() || p.starts_with('.')) {
        Some("a dotfile, an empty or a relative path component")
    } else if parts.iter().any(|p| *p == "local" || *p == "local.meta") {
        Some("local configuration (AppInspect fails it)")
    } else if parts.len() == 2 && parts[0] == "lookups" && is_user_lookup(parts[1]) {
        Some("a file users edit (an upgrade would overwrite it)")
    } else {
        None
    }
}

/// What a tar member is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A folder.
    Dir,
    /// A regular file.
    File,
    /// Anything else (link, device …), with its tar type flag.
    Other(u8),
}

/// One member of a package archive, as its tar header says.
#[derive(Clone, Debug)]
pub struct Member {
    /// The path, folders without a trailing `/`.
    pub path: String,
    /// Permission bits (`& 0o7777` is checked).
    pub mode: u32,
    /// Owner and group ids.
    pub owner: (u64, u64),
    /// Modification time.
    pub mtime: u64,
    /// Folder, file or other.
    pub kind: Kind,
}

/// Every problem of a package archive's members (empty: none), in the
/// archive's order: top folder, paths, owner, type, mode, order, one time
/// stamp, the files that must and must not be there, the platform binaries
/// (`required`: those that must be present) and nothing else under `bin/`.
pub fn check_archive(members: &[Member], required: &[&Platform]) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(first) = members.first() else { return vec!["the archive is empty".into()] };
    let top = format!("{APP_ID}/");
    let mut names = Vec::new();
    for m in members {
        let path = m.path.trim_end_matches('/');
        let Some(rel) = path.strip_prefix(&top).or((path == APP_ID).then_some("")) else {
            problems.push(format!("{path}: not under {top}"));
            continue;
        };
        names.push(rel);
        if !rel.is_empty() {
            if let Some(why) = forbidden(rel) {
                problems.push(format!("{path}: must not be shipped: {why}"));
            }
        }
        if m.owner != (0, 0) {
            problems.push(format!("{path}: owner {}:{}, expected 0:0", m.owner.0, m.owner.1));
        }
        if let Kind::Other(t) = m.kind {
            problems.push(format!("{path}: type {:?}, not a plain file or folder", t as char));
        }
        let want = mode(rel, m.kind == Kind::Dir);
        if m.mode & 0o7777 != want {
            problems.push(format!("{path}: mode {:04o}, expected {want:04o}", m.mode & 0o7777));
        }
        if m.mtime != first.mtime {
            problems.push(format!("{path}: mtime {} differs from {}", m.mtime, first.mtime));
        }
        if let Some(bin) = rel.strip_prefix("bin/") {
            let known = bin == "dynamicdns.py"
                || PLATFORMS.iter().any(|p| bin == p.folder || rel == p.path());
            if !known {
                problems.push(format!("{path}: not the launcher or a platform binary"));
            }
        }
    }
    let sorted = names.windows(2).all(|w| w[0].split('/').le(w[1].split('/')));
    if !sorted {
        problems.push("members are not sorted by name".into());
    }
    for f in REQUIRED {
        if !names.contains(f) {
            problems.push(format!("{APP_ID}/{f}: missing"));
        }
    }
    for p in required {
        if !names.contains(&p.path().as_str()) {
            problems.push(format!("{APP_ID}/{}: missing", p.path()));
        }
    }
    problems
}

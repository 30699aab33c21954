//! Which binaries go into the package (built here, given, or left out) and
//! the checks each passes first: machine, glibc floor, `--version`, the
//! external lookup, and the emulators the package tests run them with.
//!
//! Per platform, the environment (`<P>` is `X86_64`, `AARCH64` or
//! `WINDOWS`):
//! - `DYNAMICDNS_<P>_BIN=FILE`: use this prebuilt binary, build none;
//! - `DYNAMICDNS_<P>=skip` (aarch64, Windows): package without it;
//! - `DYNAMICDNS_REQUIRE_<P>=1` (aarch64, Windows): fail if there is none
//!   (elsewhere the package is made without it, with a warning, when the
//!   tools cannot be set up: no root for Debian's packages).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::builds::{self, GLIBC_FLOOR};
use super::header::{self, Kind};
use super::manifest::{Platform, LINUX_AARCH64, LINUX_X86_64, PLATFORMS};
use super::{env, Context};

/// The binaries of a package, by platform.
pub(crate) type Binaries = Vec<(&'static Platform, PathBuf)>;

/// The platform's name in the environment's variables.
fn key(p: &Platform) -> &'static str {
    match p.folder {
        "linux_x86_64" => "X86_64",
        "linux_aarch64" => "AARCH64",
        _ => "WINDOWS",
    }
}

/// Whether every package must hold this platform's binary: x86_64 always,
/// the others under `DYNAMICDNS_REQUIRE_<P>=1`.
pub(crate) fn required(p: &Platform) -> bool {
    p.folder == LINUX_X86_64.folder
        || env(&format!("DYNAMICDNS_REQUIRE_{}", key(p))).as_deref() == Some("1")
}

/// Where a platform's binary comes from.
enum Plan {
    Given(PathBuf),
    Skip,
    Build,
    /// `--no-build`: the build already made, if any.
    Built,
}

fn plan(p: &Platform, build: bool) -> Plan {
    if let Some(file) = env(&format!("DYNAMICDNS_{}_BIN", key(p))) {
        Plan::Given(PathBuf::from(file))
    } else if p.folder != LINUX_X86_64.folder
        && env(&format!("DYNAMICDNS_{}", key(p))).as_deref() == Some("skip")
    {
        Plan::Skip
    } else if build {
        Plan::Build
    } else {
        Plan::Built
    }
}

/// The binary of `p` as the plan says, where there is one; `build` is the
/// build's outcome (`Plan::Build` only).
fn resolve(
    cx: &Context,
    p: &'static Platform,
    plan: &Plan,
    build: Option<Result<PathBuf, String>>,
) -> Result<Option<PathBuf>, String> {
    let found = match plan {
        Plan::Given(file) => {
            if !file.is_file() {
                return Err(format!("DYNAMICDNS_{}_BIN={}: no such file", key(p), file.display()));
            }
            eprintln!("xtask: using the prebuilt {} binary {}", p.folder, file.display());
            Some(file.clone())
        }
        Plan::Skip => None,
        Plan::Built => Some(builds::built_binary(cx, p)).filter(|b| b.is_file()),
        Plan::Build => match build {
            Some(Ok(bin)) if bin.is_file() => Some(bin),
            Some(Ok(bin)) => {
                return Err(format!("no {} binary at {} after the build", p.folder, bin.display()))
            }
            Some(Err(e)) if p.folder == LINUX_X86_64.folder => return Err(e),
            Some(Err(e)) => {
                eprintln!("xtask: warning: the {} binary could not be built: {e}", p.folder);
                None
            }
            None => None,
        },
    };
    if found.is_none() {
        if p.folder == LINUX_X86_64.folder {
            let at = builds::built_binary(cx, p);
            return Err(format!("no x86_64 binary at {} (run without --no-build)", at.display()));
        }
        if required(p) {
            return Err(format!("no {} binary (DYNAMICDNS_REQUIRE_{}=1)", p.folder, key(p)));
        }
        let who = if p.folder == LINUX_AARCH64.folder {
            "ARM hosts (Splunk Cloud indexers)"
        } else {
            "Windows search heads and indexers"
        };
        eprintln!(
            "xtask: WARNING: packaging WITHOUT the {} binary: {who} cannot run the command",
            p.folder
        );
    }
    Ok(found)
}

/// The package's binaries, built (the Windows build beside the Linux
/// builds) or found, and checked.
pub(crate) fn binaries(cx: &Context, build: bool) -> Result<Binaries, String> {
    let plans: Vec<Plan> = PLATFORMS.iter().map(|p| plan(p, build)).collect();
    let [x86, arm, win] = &plans[..] else { unreachable!("three platforms") };
    // Debian's rustc, shared by the aarch64 and Windows builds, is set up
    // first, once (its messages show; a failure shows in the builds).
    if matches!(arm, Plan::Build) || matches!(win, Plan::Build) {
        let _ = builds::tool(cx, "aarch64-rustc", false);
    }
    let slot = builds::Slot::default();
    let log = cx.target_dir.join("package-windows.log");
    let (x86_built, arm_built, win_built) = std::thread::scope(|s| {
        let windows = matches!(win, Plan::Build).then(|| {
            let _ = std::fs::create_dir_all(&cx.target_dir);
            s.spawn(|| builds::build_windows(cx, &log, &slot))
        });
        let x86_built = matches!(x86, Plan::Build).then(|| builds::build_x86_64(cx));
        let arm_built = match x86_built {
            Some(Err(_)) => None,
            _ => matches!(arm, Plan::Build).then(|| builds::build_aarch64(cx)),
        };
        if matches!(x86_built, Some(Err(_))) {
            builds::stop(&slot);
        }
        let win_built = windows
            .map(|t| t.join().unwrap_or_else(|_| Err("the Windows build thread panicked".into())));
        (x86_built, arm_built, win_built)
    });
    if win_built.is_some() {
        if let Ok(text) = std::fs::read_to_string(&log) {
            eprint!("{text}");
        }
    }
    let mut out = Vec::new();
    for ((p, plan), built) in PLATFORMS.iter().zip(&plans).zip([x86_built, arm_built, win_built]) {
        if let Some(bin) = resolve(cx, p, plan, built)? {
            check(cx, p, &bin)?;
            out.push((*p, bin));
        }
    }
    Ok(out)
}

/// One platform's binary, built (or found) and checked.
pub(crate) fn one_binary(
    cx: &Context,
    p: &'static Platform,
    build: bool,
) -> Result<PathBuf, String> {
    let plan = plan(p, build);
    let built = matches!(plan, Plan::Build).then(|| match p.folder {
        "linux_x86_64" => builds::build_x86_64(cx),
        "linux_aarch64" => builds::build_aarch64(cx),
        _ => {
            let log = cx.target_dir.join("package-windows.log");
            let r = builds::build_windows(cx, &log, &builds::Slot::default());
            eprint!("{}", std::fs::read_to_string(&log).unwrap_or_default());
            r
        }
    });
    let bin = resolve(cx, p, &plan, built)?
        .ok_or_else(|| format!("no {} binary (DYNAMICDNS_{}=skip)", p.folder, key(p)))?;
    check(cx, p, &bin)?;
    Ok(bin)
}

/// What `dynamicdns --version` must say: the version, the build id and
/// the zone data's version (`data/VERSION`).
fn want_version(cx: &Context) -> Result<String, String> {
    let path = cx.root.join("data/VERSION");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let data = text
        .lines()
        .find_map(|l| l.strip_prefix("version").filter(|v| v.starts_with(char::is_whitespace)))
        .map(str::trim)
        .ok_or_else(|| format!("{}: no version line", path.display()))?;
    Ok(format!("dynamicdns {} (build {}, zone data {data})", cx.version, cx.build_id))
}

/// Runs a program and returns its stdout, trimmed.
fn output(mut c: Command, stdin: &[u8]) -> Result<String, String> {
    use std::io::Write;
    let what = format!("{c:?}");
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{what}: {e}"))?;
    let mut input = child.stdin.take().ok_or("no stdin")?;
    input.write_all(stdin).map_err(|e| format!("{what}: {e}"))?;
    drop(input);
    let out = child.wait_with_output().map_err(|e| format!("{what}: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// The checks on one binary before it is packaged.
fn check(cx: &Context, p: &Platform, bin: &Path) -> Result<(), String> {
    let bytes = std::fs::read(bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    let want = match p.folder {
        "linux_x86_64" => Kind::ElfX86_64,
        "linux_aarch64" => Kind::ElfAarch64,
        _ => Kind::PeConsoleX86_64,
    };
    match header::identify(&bytes) {
        Ok(kind) if kind == want => {}
        Ok(kind) => {
            return Err(format!("{} is {}, not {}", bin.display(), kind.name(), want.name()))
        }
        Err(what) => return Err(format!("{} is not {}: {what}", bin.display(), want.name())),
    }
    if want != Kind::PeConsoleX86_64 {
        let floor: Vec<u32> = GLIBC_FLOOR.split('.').filter_map(|n| n.parse().ok()).collect();
        let max = header::max_glibc(&bytes).map_err(|e| format!("{}: {e}", bin.display()))?;
        let shown = max.as_deref().map_or("none".into(), header::dotted);
        if max.is_some_and(|m| m > floor) {
            return Err(format!(
                "glibc floor: {} needs GLIBC_{shown} > GLIBC_{GLIBC_FLOOR}",
                bin.display()
            ));
        }
        eprintln!("xtask: glibc floor: {}: highest GLIBC symbol version GLIBC_{shown} <= GLIBC_{GLIBC_FLOOR}: ok", p.folder);
    }
    let want_version = want_version(cx)?;
    match p.folder {
        "linux_x86_64" => {
            let mut c = Command::new(bin);
            c.arg("--version");
            let got = output(c, b"")?;
            if got != want_version {
                return Err(format!(
                    "the x86_64 binary reports '{got}', expected '{want_version}' (rebuild without --no-build)"
                ));
            }
            // The external lookup of transforms.conf (src/cmd/lookup.rs).
            let mut c = Command::new(bin);
            c.args(["lookup", "query", "--no-local"]);
            let got = output(c, b"query,isDynDNS\na.duckdns.org,\n")?;
            if !got.lines().any(|l| l == "a.duckdns.org,True") {
                return Err(format!(
                    "the binary has no working 'lookup' subcommand: it answered {got:?}"
                ));
            }
        }
        "linux_aarch64" => {
            if let Ok(qemu) = builds::tool(cx, "qemu-aarch64", true) {
                let mut c = Command::new(qemu);
                c.arg(bin).arg("--version");
                let got = output(c, b"")?;
                if got != want_version {
                    return Err(format!("the aarch64 binary (under qemu) reports '{got}', expected '{want_version}'"));
                }
                eprintln!("xtask: the aarch64 binary runs under qemu: {got}");
            }
        }
        _ => match builds::tool(cx, "wine", false) {
            Ok(wine) => eprintln!("xtask: wine for the package tests: {}", wine.display()),
            Err(e) if required(p) => {
                return Err(format!("no wine64 to test the Windows binary with: {e}"))
            }
            Err(_) => eprintln!(
                "xtask: warning: no wine64: the package tests cannot run the Windows binary"
            ),
        },
    }
    Ok(())
}

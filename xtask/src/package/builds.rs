//! The release builds of the three binaries, and the outside tools they
//! need (zig, Debian's rustc-web, MinGW-w64, qemu, wine), which
//! `scripts/tools.sh` installs and names.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use super::manifest::{Platform, LINUX_AARCH64, LINUX_X86_64, WINDOWS_X86_64};
use super::Context;

/// The cargo profile of the shipped binaries (fat LTO, one codegen unit,
/// stripped: `Cargo.toml`); the perf guard and the stress test measure that
/// same binary.
pub(crate) const SHIP_PROFILE: &str = "release-lto";
/// The oldest glibc the Linux binaries run on (RHEL/CentOS 7).
pub(crate) const GLIBC_FLOOR: &str = "2.17";

/// An outside tool from `scripts/tools.sh TOOL` (installed there if
/// missing): the path it prints. Its messages go to stderr; `quiet` drops
/// them.
pub(crate) fn tool(cx: &Context, name: &str, quiet: bool) -> Result<PathBuf, String> {
    let script = cx.root.join("scripts/tools.sh");
    let out = Command::new(&script)
        .arg(name)
        .stderr(if quiet { Stdio::null() } else { Stdio::inherit() })
        .output()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || path.is_empty() {
        return Err(format!("scripts/tools.sh {name} failed ({})", out.status));
    }
    Ok(PathBuf::from(path))
}

/// Where the build of a platform's binary goes: cargo's target directory,
/// or one of its own for the builds with Debian's rustc (their std and
/// flags differ, so they must not share build outputs with rustup's).
fn build_dir(cx: &Context, p: &Platform) -> PathBuf {
    match p.folder {
        "linux_aarch64" => cx.target_dir.join("aarch64-debian"),
        "windows_x86_64" => cx.target_dir.join("windows-debian"),
        _ => cx.target_dir.clone(),
    }
}

/// The binary a build of `p` writes.
pub(crate) fn built_binary(cx: &Context, p: &Platform) -> PathBuf {
    build_dir(cx, p).join(p.triple).join(SHIP_PROFILE).join(p.program)
}

/// Paths in panic messages must not depend on where the repository, the
/// target directory or cargo's registry is, so that the binaries are the
/// same from any checkout (rustc applies the last matching prefix).
pub(crate) fn remap_flags(repo: &Path, target_dir: &Path, cargo_home: &Path) -> String {
    let mut flags = format!("--remap-path-prefix={}=/dynamicdns", repo.display());
    if !target_dir.starts_with(repo) {
        flags += &format!(" --remap-path-prefix={}=/dynamicdns/target", target_dir.display());
    }
    flags + &format!(" --remap-path-prefix={}=/cargo", cargo_home.display())
}

/// `cargo` in the repository with what every shipped build shares: the
/// build id, the path remapping (then the platform's own `rustflags`), the
/// profile, `--locked`, the one binary.
fn cargo(cx: &Context, p: &Platform, subcommand: &str, rustflags: &str) -> Command {
    let cargo_home = std::env::var_os("CARGO_HOME").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
    });
    let mut c = Command::new("cargo");
    c.current_dir(&cx.root)
        .env("DYNAMICDNS_BUILD", &cx.build_id)
        .env("RUSTFLAGS", remap_flags(&cx.root, &cx.target_dir, &cargo_home) + rustflags)
        .env("CARGO_TARGET_DIR", build_dir(cx, p))
        .args([
            subcommand,
            "--quiet",
            "--profile",
            SHIP_PROFILE,
            "--locked",
            "--bin",
            "dynamicdns",
        ]);
    c
}

fn run(mut c: Command, what: &str) -> Result<(), String> {
    // Nothing on stdout, which `package binary` keeps for the path.
    let status = c.stdout(std::io::stderr()).status().map_err(|e| format!("{what}: {e}"))?;
    status.success().then_some(()).ok_or_else(|| format!("{what} failed ({status})"))
}

/// `cargo zigbuild` for `triple.GLIBC_FLOOR`, with zig and cargo-zigbuild
/// from `scripts/tools.sh` on `PATH`.
fn zigbuild(cx: &Context, p: &Platform, rustc: Option<&Path>) -> Result<(), String> {
    let zigbuild = tool(cx, "zigbuild", false)?;
    let dir = zigbuild.parent().ok_or("scripts/tools.sh zigbuild: no folder")?;
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(
        std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&path)),
    )
    .map_err(|e| e.to_string())?;
    let mut c = cargo(cx, p, "zigbuild", "");
    c.env("PATH", path).args(["--target", &format!("{}.{GLIBC_FLOOR}", p.triple)]);
    if let Some(rustc) = rustc {
        c.env("RUSTC", rustc);
    }
    run(c, &format!("cargo zigbuild --target {}.{GLIBC_FLOOR}", p.triple))
}

/// `rustc --version` of a compiler, for the log.
fn rustc_version(rustc: &Path) -> String {
    Command::new(rustc)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// The x86_64 binary: `cargo zigbuild` for glibc 2.17 (cargo's freshness
/// check makes a second call a no-op).
pub(crate) fn build_x86_64(cx: &Context) -> Result<PathBuf, String> {
    let p = &LINUX_X86_64;
    eprintln!(
        "xtask: building {} (glibc {GLIBC_FLOOR}, profile {SHIP_PROFILE}) with cargo zigbuild",
        p.triple
    );
    zigbuild(cx, p, None)?;
    Ok(built_binary(cx, p))
}

/// The aarch64 binary: `cargo zigbuild` for glibc 2.17 with Debian's
/// rustc-web (the machine's rustup toolchain has no aarch64 std, and rustup
/// cannot download one here).
pub(crate) fn build_aarch64(cx: &Context) -> Result<PathBuf, String> {
    let p = &LINUX_AARCH64;
    let rustc = tool(cx, "aarch64-rustc", false)
        .map_err(|e| format!("no Rust compiler with the aarch64 standard library: {e}"))?;
    eprintln!(
        "xtask: building {} (glibc {GLIBC_FLOOR}) with cargo zigbuild and {}",
        p.triple,
        rustc_version(&rustc)
    );
    zigbuild(cx, p, Some(&rustc))?;
    Ok(built_binary(cx, p))
}

/// The Windows binary. No Windows std can be downloaded here, so std is
/// compiled from source: Debian's rust-web-src (the source of the same
/// rustc-web) as the sysroot's `lib/rustlib/src/rust`, MinGW-w64's GCC as
/// the linker, `-Zbuild-std` (allowed for this one build by
/// `RUSTC_BOOTSTRAP=1`). Its output goes to `log`; `child` holds the cargo
/// process while it runs, so that the caller can stop it.
pub(crate) fn build_windows(cx: &Context, log: &Path, child: &Slot) -> Result<PathBuf, String> {
    let p = &WINDOWS_X86_64;
    let rustc = tool(cx, "rust-src", false)?;
    let linker = tool(cx, "mingw", false)?;
    let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| format!("{}: {e}", log.display()))?;
    // GNU ld writes the link time into the PE header (and so its checksum):
    // without it the same commit links to the same bytes.
    let mut c = cargo(cx, p, "build", " -C link-arg=-Wl,--no-insert-timestamp");
    c.env("RUSTC", &rustc)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER", linker)
        .args(["--target", p.triple, "-Zbuild-std=std,panic_abort"])
        .stdout(out)
        .stderr(err);
    eprintln!(
        "xtask: building {} (profile {SHIP_PROFILE}, std from source) with {} beside the Linux builds (log: {})",
        p.triple,
        rustc_version(&rustc),
        log.display()
    );
    let status = {
        let mut slot = child.lock().map_err(|_| "lock poisoned")?;
        if slot.stopped {
            return Err("stopped".into());
        }
        slot.child = Some(c.spawn().map_err(|e| format!("cargo build: {e}"))?);
        drop(slot);
        loop {
            std::thread::sleep(std::time::Duration::from_millis(200));
            let mut slot = child.lock().map_err(|_| "lock poisoned")?;
            let Some(ch) = slot.child.as_mut() else { return Err("stopped".into()) };
            if let Some(status) = ch.try_wait().map_err(|e| e.to_string())? {
                slot.child = None;
                break status;
            }
        }
    };
    if !status.success() {
        return Err(format!("cargo build --target {} failed ({status})", p.triple));
    }
    Ok(built_binary(cx, p))
}

/// The background build's process, shared with the thread that waits
/// for it.
#[derive(Default)]
pub(crate) struct Running {
    child: Option<std::process::Child>,
    stopped: bool,
}
/// A [`Running`] shared between threads.
pub(crate) type Slot = Arc<Mutex<Running>>;

/// Stops the background build if it still runs (cargo; a rustc it started
/// finishes its crate), and keeps a later one from starting.
pub(crate) fn stop(slot: &Slot) {
    let Ok(mut s) = slot.lock() else { return };
    s.stopped = true;
    if let Some(mut child) = s.child.take() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remapping_covers_a_target_directory_outside_the_repository() {
        let (repo, home) = (Path::new("/src/dd"), Path::new("/home/u/.cargo"));
        assert_eq!(
            remap_flags(repo, &repo.join("target"), home),
            "--remap-path-prefix=/src/dd=/dynamicdns --remap-path-prefix=/home/u/.cargo=/cargo"
        );
        assert_eq!(
            remap_flags(repo, Path::new("/tmp/t"), home),
            "--remap-path-prefix=/src/dd=/dynamicdns --remap-path-prefix=/tmp/t=/dynamicdns/target \
             --remap-path-prefix=/home/u/.cargo=/cargo"
        );
    }
}

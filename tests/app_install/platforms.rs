//! The platform binaries: aarch64 under qemu, the launcher without a binary
//! for the platform, the glibc symbol versions needed.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use super::home::SplunkHome;
use super::session::{check_dns_verdicts, getinfo, scp_session, tune_lookups, DNS_ROWS};
use super::{package, require_aarch64};
use crate::util::manifest::LINUX_AARCH64;
use crate::util::root;

/// The qemu runner the project's scripts set up, if any.
fn qemu_aarch64() -> Option<PathBuf> {
    let tools = std::env::var_os("DYNAMICDNS_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/tools"));
    let run = tools.join("qemu-aarch64/run");
    run.is_file().then_some(run)
}

#[test]
fn the_aarch64_binary_is_arm_and_runs_the_same_session() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "aarch64");
    let bin = home.app().join(LINUX_AARCH64.path());
    if !bin.is_file() {
        assert!(
            !require_aarch64(),
            "bin/linux_aarch64/dynamicdns missing (DYNAMICDNS_REQUIRE_AARCH64=1)"
        );
        eprintln!("note: the package has no aarch64 binary");
        return;
    }
    let elf = std::fs::read(&bin).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF");
    assert_eq!(elf[4], 2, "64-bit");
    assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), 183, "e_machine EM_AARCH64");
    let Some(qemu) = qemu_aarch64() else {
        eprintln!("note: no qemu-aarch64 runner (cargo xtask package sets one up); not running the aarch64 binary");
        return;
    };
    tune_lookups(&home);
    // As the launcher would on an ARM host: bin/linux_aarch64/dynamicdns scp.
    let argv = [qemu.display().to_string(), bin.display().to_string(), "scp".to_string()];
    let replies = scp_session(&home, &argv, &["field=query,answer"], &[DNS_ROWS]);
    check_dns_verdicts(&replies[0]);
    // The health report says so.
    let out = home
        .command(&[argv[0].clone(), argv[1].clone(), "info".into(), "--text".into()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\narch: aarch64\n") && text.contains("\nstatus: ok\n"), "{text}");
}

#[test]
fn the_launcher_reports_a_missing_platform_binary() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "noarch");
    // An app whose bin/ has only the launcher, as on a platform we do not
    // ship a binary for.
    for platform in ["linux_x86_64", "linux_aarch64", "windows_x86_64"] {
        let _ = std::fs::remove_dir_all(home.app().join("bin").join(platform));
    }
    let argv = home.command_argv();
    let mut d = home.driver(&argv);
    let reply = d.request(&getinfo(&[], &home.dispatch_dir()));
    assert!(reply.body.is_empty());
    let meta = Value::Object(reply.metadata);
    let error = meta["error"].as_str().expect("error reply");
    assert!(error.contains("no binary for this platform (linux_x86_64)"), "{error}");
    assert_eq!(meta["finished"], json!(true));
    assert_eq!(meta["inspector"]["messages"][0][0], json!("ERROR"));
    let fin = d.finish();
    assert_eq!(fin.status.code(), Some(1));
    assert!(fin.stderr.contains("no binary for this platform"));

    // The external lookup fails with the message on stderr.
    let (argv, _) = home.lookup_argv("dynamicdns");
    let out = Command::new(&argv[0]).args(&argv[1..]).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no binary for this platform"));
}

/// `x.y[.z]` as numbers, for comparing symbol versions.
fn version_of(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap()).collect()
}

#[test]
fn the_binaries_need_at_most_glibc_2_17() {
    let Some(tgz) = package() else { return };
    let home = SplunkHome::install(&tgz, "glibc");
    for arch in ["linux_x86_64", "linux_aarch64"] {
        let bin = home.app().join("bin").join(arch).join("dynamicdns");
        if !bin.is_file() {
            continue;
        }
        let out =
            Command::new("objdump").arg("-T").arg(&bin).output().expect("objdump (binutils) runs");
        assert!(out.status.success(), "objdump -T {}", bin.display());
        let text = String::from_utf8_lossy(&out.stdout);
        let max = text
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .filter_map(|w| w.strip_prefix("GLIBC_"))
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
            .map(version_of)
            .max()
            .expect("the binary uses versioned glibc symbols");
        assert!(max <= version_of("2.17"), "bin/{arch}/dynamicdns needs GLIBC_{max:?} > 2.17");
        eprintln!("bin/{arch}/dynamicdns: highest glibc symbol version {max:?}");
    }
}

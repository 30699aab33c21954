//! The app as a whole: app.conf, app.manifest and metadata, custom confs,
//! the icons, the README's declarations and the packaging files.

use std::path::Path;

use serde_json::Value;

use super::keys::CONF_FILES;
use crate::util::conf::{default_conf as conf, parse_conf};
use crate::util::manifest::USER_LOOKUPS;
use crate::util::{read, root};

// ---------------------------------------------------------------------------
// app.conf, app.manifest, metadata

#[test]
fn versions_and_ids_agree() {
    let version = env!("CARGO_PKG_VERSION");
    let app = conf("app.conf");
    assert_eq!(app.req("id").req("version"), version, "app.conf [id] version");
    assert_eq!(app.req("launcher").req("version"), version, "app.conf [launcher] version");
    assert_eq!(app.req("id").req("name"), "dynamicdns");
    assert_eq!(
        app.req("package").req("id"),
        "dynamicdns",
        "[package] id = the tarball's top folder"
    );
    assert_eq!(app.req("package").req("check_for_updates"), "false");
    assert_eq!(app.req("install").req("is_configured"), "false");
    assert!(app.req("install").req("build").parse::<u32>().is_ok());
    let label = app.req("ui").req("label");
    assert!((5..=80).contains(&label.len()), "[ui] label is 5-80 characters");
    assert!(app.req("launcher").req("description").len() <= 200);
    assert!(app.stanza("triggers").is_some());

    let manifest: Value = serde_json::from_str(&read("app/app.manifest")).unwrap();
    assert_eq!(manifest["schemaVersion"], "2.0.0");
    assert_eq!(manifest["info"]["id"]["name"], "dynamicdns");
    assert_eq!(manifest["info"]["id"]["version"], version, "app.manifest info.id.version");

    // One number everywhere: every workspace crate takes the workspace's
    // version, and the binary reports it with its build and data version.
    for krate in ["crates/engine/Cargo.toml", "crates/zonetable/Cargo.toml", "xtask/Cargo.toml"] {
        assert!(read(krate).contains("\nversion.workspace = true\n"), "{krate}");
    }
    let out = std::process::Command::new(crate::util::BIN).arg("--version").output().unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    let data = read("data/VERSION");
    let data = data.lines().find_map(|l| l.strip_prefix("version ")).expect("data/VERSION");
    let want = format!(
        "dynamicdns {version} (build {}, zone data {})\n",
        dynamicdns_engine::health::BUILD,
        data.trim()
    );
    assert_eq!(line, want);
}

/// Conf files that are not Splunk's own (AppInspect's list of Splunk-defined
/// confs does not have them).
const CUSTOM_CONFS: [&str; 1] = ["analyticstories.conf"];

#[test]
fn custom_confs_have_reload_triggers_and_cluster_replication() {
    // Splunk's own conf files need neither; any other shipped conf needs a
    // reload trigger (AppInspect check_reload_trigger_for_all_custom_confs,
    // a failure) and search head cluster replication
    // (check_custom_conf_replication, a warning).
    let app = conf("app.conf");
    let server = conf("server.conf");
    let shc = server.req("shclustering");
    assert_eq!(server.stanzas.len(), 1, "server.conf holds only [shclustering]");
    for file in std::fs::read_dir(root().join("default")).unwrap() {
        let name = file.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".conf") {
            let custom = CUSTOM_CONFS.contains(&name.as_str());
            assert!(custom || CONF_FILES.contains(&name.as_str()), "{name}: Splunk's or custom?");
            let trigger = app.req("triggers").get(&format!("reload.{stem}"));
            let replicated = shc.get(&format!("conf_replication_include.{stem}"));
            if custom {
                assert_eq!(trigger, Some("simple"), "{name} needs reload.{stem} = simple");
                assert_eq!(replicated, Some("true"), "{name} needs conf_replication_include");
            } else {
                assert!(trigger.is_none() && replicated.is_none(), "{name} is Splunk's own");
            }
        }
    }
}

#[test]
fn metadata_exports_and_permissions() {
    let meta = parse_conf("default.meta", &read("app/metadata/default.meta")).unwrap();
    let global = meta.req("");
    let access = global.req("access").replace(' ', "");
    assert!(access.contains("read:[*]"), "everyone reads: {access}");
    let write = access.split("write:").nth(1).expect("global write list");
    assert!(!write.contains('*'), "no write for everyone");
    assert!(write.contains("admin") && write.contains("sc_admin"), "admin and sc_admin write");
    for kind in ["commands", "macros", "lookups", "transforms", "searchbnf"] {
        assert_eq!(meta.req(kind).get("export"), Some("system"), "[{kind}] export = system");
    }
    assert!(!root().join("app/metadata/local.meta").exists());
}

/// Width and height of a PNG file, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn icons_have_splunks_sizes() {
    for (file, size) in [
        ("appIcon.png", 36),
        ("appIcon_2x.png", 72),
        ("appIconAlt.png", 36),
        ("appIconAlt_2x.png", 72),
    ] {
        let bytes = std::fs::read(root().join("app/static").join(file)).unwrap();
        assert_eq!(png_size(&bytes), (size, size), "app/static/{file}");
    }
    assert!(root().join("scripts/lib/draw_icons.py").is_file(), "the icons can be redrawn");
}

#[test]
fn the_readme_declares_the_binaries_and_the_escu_migration() {
    let readme = read("app/README.md");
    let declaration =
        readme.split("## Binary File Declaration").nth(1).expect("# Binary File Declaration");
    for f in [
        "bin/dynamicdns.py",
        "bin/linux_x86_64/dynamicdns",
        "bin/linux_aarch64/dynamicdns",
        "bin/windows_x86_64/dynamicdns.exe",
    ] {
        assert!(declaration.contains(f), "the declaration names {f}");
    }
    for needle in ["cargo zigbuild", "--locked", "x86_64-unknown-linux-gnu.2.17", "network"] {
        assert!(declaration.contains(needle), "the declaration says {needle}");
    }
    // ESCU v11 inlines its lookups: the README must not tell users to edit
    // ESCU's macros to migrate, and must show how to check precedence.
    assert!(readme.contains("splunk btool macros list dynamic_dns_providers --debug"));
    assert!(readme.contains("splunk btool transforms list"));
    assert!(readme.contains("v11"));
    for file in USER_LOOKUPS {
        assert!(readme.contains(file), "README documents {file}");
    }
}

#[test]
fn packaging_files_exist() {
    for f in [
        "app/app.manifest",
        "app/README.md",
        "app/metadata/default.meta",
        "bin/dynamicdns.py",
        "default/data/ui/nav/default.xml",
    ] {
        assert!(Path::new(&root().join(f)).is_file(), "{f}");
    }
    assert!(!root().join("default/local").exists() && !root().join("local").exists());
}

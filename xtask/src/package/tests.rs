use super::manifest::{check_archive, Kind, Member, LINUX_AARCH64, LINUX_X86_64, REQUIRED};
use super::*;
use std::collections::BTreeMap;

/// A repository with every file the manifest names, under a scratch folder.
fn scratch_repo() -> (tempfile::TempDir, Context) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let write = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    for rel in [
        "app/app.manifest",
        "app/README.md",
        "app/metadata/default.meta",
        "app/static/appIcon.png",
        "app/static/appIcon_2x.png",
        "app/static/appIconAlt.png",
        "app/static/appIconAlt_2x.png",
        "app/static/notes.txt",
        "bin/dynamicdns.py",
        "data/README.md",
        "data/licenses/Apache-2.0.txt",
        "data/licenses/CC0-1.0.txt",
        "default/app.conf",
        "default/commands.conf",
        "default/transforms.conf",
        "default/analyticstories.conf",
        "default/server.conf",
        "default/README.txt",
        "default/data/ui/nav/default.xml",
        "default/data/ui/views/dynamicdns_overview.xml",
        "default/data/ui/views/dynamicdns_check.xml",
        "default/data/ui/views/dynamicdns_health.xml",
        "lookups/dynamic_dns_providers.csv",
    ] {
        write(rel, rel);
    }
    write("x86", "\x7fELF x86");
    let cx = Context {
        target_dir: root.join("target"),
        root,
        version: "9.8.7".into(),
        build_id: "0123456789ab".into(),
    };
    (dir, cx)
}

fn members_of(entries: &[Entry]) -> Vec<Member> {
    entries
        .iter()
        .map(|e| Member {
            path: e.path.clone(),
            mode: e.mode,
            owner: (0, 0),
            mtime: 7,
            kind: if e.path.ends_with('/') { Kind::Dir } else { Kind::File },
        })
        .collect()
}

#[test]
fn staging_follows_the_manifest_and_passes_its_check() {
    let (_dir, cx) = scratch_repo();
    let bins = vec![(&LINUX_X86_64, cx.root.join("x86"))];
    let entries = stage(&cx, &bins, "crates\n", BTreeMap::new()).unwrap();
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    // Sorted as tar --sort=name walks the tree; only .conf from default/,
    // only .png from app/static/; folders 0755, bin/ programs 0755.
    assert_eq!(
        &paths[..4],
        [
            "dynamicdns/",
            "dynamicdns/LICENSE",
            "dynamicdns/LICENSES/",
            "dynamicdns/LICENSES/Apache-2.0.txt"
        ]
    );
    assert!(paths.contains(&"dynamicdns/LICENSES/THIRD-PARTY-CRATES.txt"));
    assert!(paths.contains(&"dynamicdns/LICENSES/ZONE-DATA-SOURCES.md"));
    assert!(!paths.iter().any(|p| p.ends_with("README.txt") || p.ends_with("notes.txt")));
    let mode = |p: &str| entries.iter().find(|e| e.path == p).unwrap().mode;
    assert_eq!(mode("dynamicdns/bin/linux_x86_64/dynamicdns"), 0o755);
    assert_eq!(mode("dynamicdns/bin/dynamicdns.py"), 0o755);
    assert_eq!(mode("dynamicdns/default/data/ui/"), 0o755);
    assert_eq!(mode("dynamicdns/default/app.conf"), 0o644);
    assert_eq!(check_archive(&members_of(&entries), &[&LINUX_X86_64]), Vec::<String>::new());
    // A package without the aarch64 binary fails where it is required.
    let problems = check_archive(&members_of(&entries), &[&LINUX_AARCH64]);
    assert_eq!(problems, ["dynamicdns/bin/linux_aarch64/dynamicdns: missing"]);
}

/// The confs detections/ generates are shipped over the committed ones; one
/// that default/ does not have is an error (a renamed file would ship twice).
#[test]
fn generated_confs_replace_the_committed_ones() {
    let (_dir, cx) = scratch_repo();
    let bins = vec![(&LINUX_X86_64, cx.root.join("x86"))];
    let generated = BTreeMap::from([("app.conf".to_string(), b"[generated]\n".to_vec())]);
    let entries = stage(&cx, &bins, "", generated).unwrap();
    let conf = entries.iter().find(|e| e.path == "dynamicdns/default/app.conf").unwrap();
    assert_eq!(conf.data, b"[generated]\n");
    let generated = BTreeMap::from([("nosuch.conf".to_string(), vec![])]);
    let e = stage(&cx, &bins, "", generated).unwrap_err();
    assert!(e.contains("detections/ generates nosuch.conf, which default/ lacks"), "{e}");
}

#[test]
fn a_user_lookup_or_a_dotfile_in_the_sources_stops_the_package() {
    let (_dir, cx) = scratch_repo();
    std::fs::write(cx.root.join("lookups/dynamicdns_allowlist.csv"), "host\n").unwrap();
    std::fs::write(cx.root.join("default/data/.DS_Store"), "").unwrap();
    let e = stage(&cx, &vec![], "", BTreeMap::new()).unwrap_err();
    assert!(
        e.contains("lookups/dynamicdns_allowlist.csv: must not be shipped: a file users edit"),
        "{e}"
    );
    assert!(e.contains("default/data/.DS_Store: must not be shipped: a dotfile"), "{e}");
}

#[test]
fn the_archive_check_names_each_problem() {
    let (_dir, cx) = scratch_repo();
    let entries =
        stage(&cx, &vec![(&LINUX_X86_64, cx.root.join("x86"))], "", BTreeMap::new()).unwrap();
    let mut m = members_of(&entries);
    let at = |m: &[Member], p: &str| {
        m.iter().position(|x| x.path == format!("dynamicdns/{p}")).unwrap()
    };
    let i = at(&m, "README.md");
    m[i].mode = 0o755;
    m[i].owner = (1000, 1000);
    let i = at(&m, "app.manifest");
    m[i].mtime = 8;
    m.push(Member { path: "dynamicdns/lookups/dynamic_dns_allowlist.csv".into(), ..m[i].clone() });
    m.push(Member { path: "dynamicdns/bin/run.sh".into(), mode: 0o755, ..m[i].clone() });
    m.push(Member { path: "other/x".into(), ..m[i].clone() });
    let j = at(&m, "LICENSE");
    m[j].kind = Kind::Other(b'2');
    m.retain(|x| x.path != "dynamicdns/static/appIcon.png");
    let problems = check_archive(&m, &[]).join("\n");
    for want in [
        "dynamicdns/README.md: owner 1000:1000, expected 0:0",
        "dynamicdns/README.md: mode 0755, expected 0644",
        "dynamicdns/app.manifest: mtime 8 differs from 7",
        "dynamicdns/lookups/dynamic_dns_allowlist.csv: must not be shipped: a file users edit",
        "dynamicdns/bin/run.sh: not the launcher or a platform binary",
        "other/x: not under dynamicdns/",
        "dynamicdns/LICENSE: type '2', not a plain file or folder",
        "members are not sorted by name",
        "dynamicdns/static/appIcon.png: missing",
    ] {
        assert!(problems.contains(want), "{want}\nin\n{problems}");
    }
    assert!(REQUIRED.contains(&"static/appIcon.png"));
}

#[test]
fn the_written_archive_reads_back_with_modes_owner_and_time() {
    let (_dir, cx) = scratch_repo();
    let entries =
        stage(&cx, &vec![(&LINUX_X86_64, cx.root.join("x86"))], "", BTreeMap::new()).unwrap();
    let tgz = dist::tgz_bytes(&entries, 1_765_000_000).unwrap_or_else(|f| panic!("{}", f.message));
    assert_eq!(&tgz[3..8], &[0, 0, 0, 0, 0], "gzip: no name, no time");
    let got = members(&tgz).unwrap_or_else(|f| panic!("{}", f.message));
    assert_eq!(got.len(), entries.len());
    assert!(got.iter().all(|m| m.owner == (0, 0) && m.mtime == 1_765_000_000));
    assert_eq!(check_bytes(&tgz, &[&LINUX_X86_64]).ok(), Some(vec![]));
}

#[test]
fn versions_must_agree() {
    let (_dir, cx) = scratch_repo();
    let conf = "[package]\nid = dynamicdns\n[id]\nversion = 9.8.7\n[launcher]\nversion = 9.8.7\n";
    let manifest = r#"{"info": {"id": {"version": "9.8.7"}}}"#;
    std::fs::write(cx.root.join("default/app.conf"), conf).unwrap();
    std::fs::write(cx.root.join("app/app.manifest"), manifest).unwrap();
    assert_eq!(check_versions(&cx), Ok(()));
    std::fs::write(
        cx.root.join("default/app.conf"),
        conf.replace("[launcher]\nversion = 9.8.7", "[launcher]\nversion = 9.8.6"),
    )
    .unwrap();
    let e = check_versions(&cx).unwrap_err();
    assert!(e.contains("[launcher] version [\"9.8.6\"] != Cargo.toml 9.8.7"), "{e}");
    std::fs::write(
        cx.root.join("default/app.conf"),
        conf.replace("id = dynamicdns", "id = other"),
    )
    .unwrap();
    assert!(check_versions(&cx).unwrap_err().contains("[package] id [\"other\"]"));
    std::fs::write(cx.root.join("default/app.conf"), conf).unwrap();
    std::fs::write(cx.root.join("app/app.manifest"), manifest.replace("9.8.7", "1.0.0")).unwrap();
    assert!(check_versions(&cx)
        .unwrap_err()
        .contains("info.id.version \"1.0.0\" != Cargo.toml 9.8.7"));
}

#[test]
fn the_crate_list_has_each_crate_once_without_paths_or_marks() {
    let tree = "dynamicdns v0.2.0 (/work/x)|Apache-2.0\n\
                csv v1.4.0|Unlicense/MIT\n\
                serde_derive v1.0.229 (proc-macro)|MIT OR Apache-2.0\n\
                csv v1.4.0|Unlicense/MIT (*)\n\
                \n\
                csv-core v0.1.13|Unlicense/MIT\n";
    let text = crates_text(tree);
    let rows: Vec<&str> = text.lines().skip(4).collect();
    assert_eq!(
        rows,
        [
            "csv v1.4.0                               Unlicense/MIT",
            "csv-core v0.1.13                         Unlicense/MIT",
            "dynamicdns v0.2.0                        Apache-2.0",
            "serde_derive v1.0.229                    MIT OR Apache-2.0",
        ]
    );
    assert!(text.contains("Generated by cargo xtask package from Cargo.lock.\n\n"));
}

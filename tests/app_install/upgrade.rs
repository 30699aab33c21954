//! Upgrades: the package installed over an older version keeps every file
//! users edit.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::home::SplunkHome;
use super::session::parse_csv;
use super::{package, APP};
use crate::util::manifest::{is_user_lookup, OLD_USER_LOOKUPS, USER_LOOKUPS};

// ---------------------------------------------------------------------------
// Upgrades

/// A scratch folder, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("dynamicdns-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tar(args: &[&std::ffi::OsStr]) {
    let status = Command::new("tar").args(args).status().expect("tar runs");
    assert!(status.success(), "tar {args:?}");
}

/// Unpacks `tgz` into `dir`, over whatever is there: each file in the
/// archive replaces the file of the same name, other files stay. This is
/// what installing an app over an installed one does (Splunk Web "Upgrade
/// app", `splunk install app <tgz> -update 1`).
fn unpack_over(tgz: &Path, dir: &Path) {
    tar(&["-xzf".as_ref(), tgz.as_os_str(), "-C".as_ref(), dir.as_os_str()]);
}

/// Every regular file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Version A, as 0.1.0 shipped it: this package without the dashboards,
/// icons and analytic story, an older build number, and the two files users
/// edit shipped with their header only under their pre-0.2 names.
fn old_package(tgz: &Path, scratch: &Scratch) -> PathBuf {
    let stage = scratch.0.join("stage");
    std::fs::create_dir_all(&stage).unwrap();
    unpack_over(tgz, &stage);
    let app = stage.join(APP);
    for gone in ["default/data", "static"] {
        std::fs::remove_dir_all(app.join(gone)).unwrap();
    }
    for gone in ["default/analyticstories.conf", "default/server.conf"] {
        std::fs::remove_file(app.join(gone)).unwrap();
    }
    let app_conf = std::fs::read_to_string(app.join("default/app.conf")).unwrap();
    let build = app_conf.lines().find(|l| l.starts_with("build = ")).expect("[install] build");
    std::fs::write(app.join("default/app.conf"), app_conf.replace(build, "build = 1")).unwrap();
    let lookups = app.join("lookups");
    std::fs::write(
        lookups.join("dynamic_dns_providers_local.csv"),
        "zone,provider,category,tier,sources\n",
    )
    .unwrap();
    std::fs::write(lookups.join("dynamic_dns_allowlist.csv"), "host,comment\n").unwrap();
    let old = scratch.0.join(format!("{APP}-old.tgz"));
    tar(&["-czf".as_ref(), old.as_os_str(), "-C".as_ref(), stage.as_os_str(), APP.as_ref()]);
    old
}

#[test]
fn an_upgrade_keeps_every_file_users_edit() {
    let Some(tgz) = package() else { return };
    let scratch = Scratch::new("upgrade");
    let home = SplunkHome::install(&old_package(&tgz, &scratch), "upgrade");
    let app = home.app();
    assert!(app.join("lookups/dynamic_dns_providers_local.csv").is_file(), "version A installed");

    // The admin's edits: rows in the pre-0.2 files (a 0.1.0 user), in the
    // current files (created in the app, as the README says), the
    // first-seen baseline the scheduled search wrote, and a local/ setting.
    let edits: &[(&str, &str)] = &[
        (
            "lookups/dynamic_dns_providers_local.csv",
            "zone,provider,category,tier,sources\ncorp-dyn.example,Corp DDNS,ddns,core,local\n",
        ),
        ("lookups/dynamic_dns_allowlist.csv", "host,comment\nok.duckdns.org,our VPN\n"),
        (
            "lookups/dynamicdns_local_zones.csv",
            "zone,provider,category,tier,sources\nnew-dyn.example,New DDNS,vendor-ddns,core,local\n",
        ),
        ("lookups/dynamicdns_allowlist.csv", "host,comment\nvpn.corp.duckdns.org,ticket 1234\n"),
        (
            "lookups/dynamicdns_first_seen.csv",
            "query,provider,dyndns_zone,dyndns_category,dyndns_tier,firstTime,lastTime,count\n\
             x.duckdns.org,DuckDNS,duckdns.org,ddns,core,1700000000,1700003600,3\n",
        ),
        ("local/macros.conf", "[dynamicdns_allowlist]\ndefinition = search NOT src=10.0.0.1\n"),
    ];
    for (file, text) in edits {
        std::fs::create_dir_all(app.join(file).parent().unwrap()).unwrap();
        std::fs::write(app.join(file), text).unwrap();
    }
    for f in USER_LOOKUPS.iter().chain(OLD_USER_LOOKUPS) {
        assert!(
            edits.iter().any(|(e, _)| *e == format!("lookups/{f}")),
            "the test edits lookups/{f}"
        );
    }

    // Install the new package over it, as Splunk does.
    unpack_over(&tgz, &home.home.join("etc/apps"));

    let mut problems = Vec::new();
    for (file, text) in edits {
        match std::fs::read_to_string(app.join(file)) {
            Ok(now) if now == *text => {}
            Ok(now) => problems.push(format!("{file} changed by the upgrade: {now:?}")),
            Err(e) => problems.push(format!("{file} lost by the upgrade: {e}")),
        }
    }
    // Every file of the new package is installed, with the package's bytes.
    let fresh = scratch.0.join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    unpack_over(&tgz, &fresh);
    let packaged = files_under(&fresh.join(APP));
    for f in &packaged {
        if std::fs::read(fresh.join(APP).join(f)).ok() != std::fs::read(app.join(f)).ok() {
            problems.push(format!("{} is not the new package's", f.display()));
        }
        if let Some(name) = f.strip_prefix("lookups").ok().and_then(|n| n.to_str()) {
            if is_user_lookup(name) {
                problems.push(format!("the package ships lookups/{name}, a file users edit"));
            }
        }
    }
    assert!(packaged.iter().any(|f| f == Path::new("default/data/ui/nav/default.xml")));
    // The installed app is the new version plus the user's files only.
    let expected: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = packaged.clone();
        v.extend(edits.iter().map(|(f, _)| PathBuf::from(f)));
        v.sort();
        v
    };
    assert_eq!(files_under(&app), expected, "installed files after the upgrade");
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The 0.1.0 user's rows still take effect after the upgrade (the
    // binary reads the pre-0.2 names, with a deprecation warning), and so
    // do the rows of the new files.
    let out = Command::new("python3")
        .arg(app.join("bin/dynamicdns.py"))
        .args([
            "check",
            "a.corp-dyn.example",
            "ok.duckdns.org",
            "x.duckdns.org",
            "a.new-dyn.example",
            "vpn.corp.duckdns.org",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "check: {}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dynamic_dns_providers_local.csv: old file name")
            && err.contains("dynamic_dns_allowlist.csv: old file name"),
        "{err}"
    );
    let rows = parse_csv(&out.stdout);
    let verdict: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r["value"].as_str(), r["isDynDNS"].as_str(), r["provider"].as_str()))
        .collect();
    assert_eq!(
        verdict,
        [
            ("a.corp-dyn.example", "True", "Corp DDNS"),
            ("ok.duckdns.org", "False", ""),
            ("x.duckdns.org", "True", "DuckDNS"),
            ("a.new-dyn.example", "True", "New DDNS"),
            ("vpn.corp.duckdns.org", "False", ""),
        ]
    );
}

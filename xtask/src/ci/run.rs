//! The runner of `cargo xtask ci`: lane 1 in the foreground, lane 2 in a
//! thread of its own beside it, each step's processes started from the
//! repository root and timed.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::Instant;

use super::steps::{Cmd, Step, Work, LANE2_FROM, STEPS};
use super::table::{self, Row, LANE2_SUFFIX};
use super::Ctx;

/// Where a step's processes run: lane 1's inherit this process's output;
/// lane 2's write to its log, at low priority, in its process group.
pub(crate) struct Exec<'a> {
    pub(crate) ctx: &'a Ctx,
    /// Set by the runner for the steps after it (`DYNAMICDNS_BIN`).
    env: &'a [(String, String)],
    lane2: Option<(&'a File, u32)>,
}

impl Exec<'_> {
    /// `program`, to run from the repository root with the run's
    /// environment.
    pub(crate) fn command(&self, program: &str) -> Command {
        let mut c = match self.lane2 {
            Some(_) => {
                let mut c = Command::new("nice");
                c.args(["-n", "10", program]);
                c
            }
            None => Command::new(program),
        };
        c.current_dir(&self.ctx.root)
            .envs(self.ctx.env.iter().cloned())
            .envs(self.env.iter().cloned());
        if let Some((log, group)) = self.lane2 {
            let out = |f: &File| f.try_clone().map(Stdio::from).unwrap_or_else(|_| Stdio::null());
            c.stdin(Stdio::null()).stdout(out(log)).stderr(out(log));
            join_group(&mut c, group);
        }
        c
    }

    /// Runs `c` to its end: its exit status as a shell reports it (128 +
    /// the signal when killed; 127 when it cannot be started).
    pub(crate) fn status(&self, mut c: Command) -> i32 {
        match c.status() {
            Ok(s) => exit_code(s),
            Err(e) => {
                self.note(&format!("xtask ci: {}: {e}", c.get_program().to_string_lossy()));
                127
            }
        }
    }

    /// A line for the reader: on stderr, or in lane 2's log.
    pub(crate) fn note(&self, line: &str) {
        match self.lane2 {
            Some((mut log, _)) => {
                let _ = writeln!(log, "{line}");
            }
            None => eprintln!("{line}"),
        }
    }

    fn run_cmd(&self, cmd: &Cmd) -> i32 {
        let mut c = self.command(cmd.argv[0]);
        c.args(&cmd.argv[1..]);
        for (k, v) in cmd.env {
            c.env(k, self.ctx.expand(v));
        }
        if cmd.quiet {
            c.stdout(Stdio::null());
        }
        self.status(c)
    }

    fn run_step(&self, step: &Step) -> i32 {
        match &step.work {
            Work::BuiltIn { run, .. } => run(self),
            Work::Cmds(cmds) => {
                cmds.iter().map(|c| self.run_cmd(c)).find(|&rc| rc != 0).unwrap_or(0)
            }
        }
    }
}

fn exit_code(s: ExitStatus) -> i32 {
    #[cfg(unix)]
    if let Some(sig) = std::os::unix::process::ExitStatusExt::signal(&s) {
        return 128 + sig;
    }
    s.code().unwrap_or(1)
}

#[cfg(unix)]
fn join_group(c: &mut Command, group: u32) {
    std::os::unix::process::CommandExt::process_group(c, group as i32);
}
#[cfg(not(unix))]
fn join_group(_: &mut Command, _: u32) {}

/// Lane 2's process group, led by a watchdog: stopping the group stops
/// every step's processes and theirs, and the watchdog stops it when this
/// process dies without doing so (Ctrl-C).
struct Group(std::process::Child);

const WATCHDOG: &str = "while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; kill -TERM 0";

impl Group {
    #[cfg(unix)]
    fn start() -> std::io::Result<Group> {
        let mut c = Command::new("sh");
        c.args(["-c", WATCHDOG, "lane2-watchdog", &std::process::id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut c, 0);
        c.spawn().map(Group)
    }
    #[cfg(not(unix))]
    fn start() -> std::io::Result<Group> {
        Err(std::io::Error::other("two lanes need Unix process groups"))
    }

    fn id(&self) -> u32 {
        self.0.id()
    }

    fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", self.id())]).status();
        let _ = self.0.wait();
    }
}

/// The steps' table and what the run has added to the environment.
struct Runner<'a> {
    ctx: &'a Ctx,
    start: Instant,
    rows: Vec<Row>,
    env: Vec<(String, String)>,
}

impl Runner<'_> {
    fn print_table(&self) {
        let t = table::render(&self.rows, self.start.elapsed().as_secs_f64(), self.ctx.cores);
        print!("{t}");
        let _ = std::fs::write(self.ctx.logs().join("times.md"), t);
    }

    /// Records a finished step; on failure prints the table and returns
    /// the status.
    fn finish(&mut self, name: &str, t0: Instant, rc: i32) -> Result<(), i32> {
        let ok = rc == 0;
        self.rows.push(Row { name: name.into(), secs: t0.elapsed().as_secs_f64(), ok });
        if ok {
            return Ok(());
        }
        self.print_table();
        eprintln!("xtask ci: step '{name}' failed (exit {rc})");
        println!("{}", table::summary(&self.rows));
        Err(rc)
    }

    fn step(&mut self, step: &Step) -> Result<(), i32> {
        eprintln!("\n== {}: {}", step.name, self.ctx.expand(&step.shown()));
        let t0 = Instant::now();
        let mut rc = 0;
        if step.packaged_bin && !self.env.iter().any(|(k, _)| k == "DYNAMICDNS_BIN") {
            match packaged_bin(self.ctx) {
                Ok(bin) => self.env.push(("DYNAMICDNS_BIN".into(), bin.display().to_string())),
                Err(e) => {
                    eprintln!("xtask ci: {e}");
                    rc = 1;
                }
            }
        }
        if rc == 0 {
            rc = Exec { ctx: self.ctx, env: &self.env, lane2: None }.run_step(step);
        }
        self.finish(step.name, t0, rc)
    }
}

/// Runs lane 2's steps, one after the other, up to the first failure: the
/// rows and the exit status.
fn lane2(
    ctx: &Ctx,
    env: &[(String, String)],
    steps: &[&Step],
    log: &File,
    group: u32,
) -> (Vec<Row>, i32) {
    let x = Exec { ctx, env, lane2: Some((log, group)) };
    let mut rows = Vec::new();
    for step in steps {
        x.note(&format!("\n== {}: {}", step.name, ctx.expand(&step.shown())));
        let t0 = Instant::now();
        let rc = x.run_step(step);
        let name = format!("{}{LANE2_SUFFIX}", step.name);
        rows.push(Row { name, secs: t0.elapsed().as_secs_f64(), ok: rc == 0 });
        if rc != 0 {
            return (rows, rc);
        }
    }
    (rows, 0)
}

/// Where lane 1 starts lane 2: the first lane-1 step from [`LANE2_FROM`]
/// on, or none (lane 2 then runs in line, after lane 1).
pub(crate) fn lane2_start(lane1: &[&Step]) -> Option<usize> {
    let index = |s: &Step| STEPS.iter().position(|t| t.name == s.name).unwrap_or(0);
    let from = STEPS.iter().position(|t| t.name == LANE2_FROM)?;
    lane1.iter().position(|s| index(s) >= from)
}

/// Runs `steps` (in the table's order); the exit status of the run.
pub(crate) fn run(ctx: &Ctx, steps: &[&'static Step], two_lanes: bool) -> i32 {
    let mut r = Runner { ctx, start: Instant::now(), rows: Vec::new(), env: Vec::new() };
    if let Err(e) = std::fs::create_dir_all(ctx.logs()) {
        eprintln!("xtask ci: {}: {e}", ctx.logs().display());
        return 1;
    }
    let (mut lane1, mut bg): (Vec<&Step>, Vec<&Step>) =
        steps.iter().partition(|s| !two_lanes || s.lane == 1);
    let start_at = if bg.is_empty() { None } else { lane2_start(&lane1) };
    if start_at.is_none() {
        lane1 = steps.to_vec();
        bg.clear();
    }
    // A package left by an earlier run would be tested by the first cargo
    // test (the app install tests use it when present); this run builds a
    // new one.
    if steps.iter().any(|s| s.name == "package") {
        let dist = ctx.root.join("dist");
        let sha = dist.join(format!("{}.sha256", package_name()));
        for p in [package(ctx), sha, dist.join("SHA256SUMS")] {
            let _ = std::fs::remove_file(p);
        }
    }
    thread::scope(|scope| {
        let mut lane2_run = None;
        for (i, step) in lane1.iter().enumerate() {
            if start_at == Some(i) {
                let log_path = ctx.logs().join("lane2.log");
                let started = File::create(&log_path).and_then(|log| Ok((log, Group::start()?)));
                let (log, group) = match started {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("xtask ci: cannot start lane 2: {e}");
                        return 1;
                    }
                };
                let (env, bg, gid) = (r.env.clone(), &bg, group.id());
                let handle = scope.spawn(move || lane2(ctx, &env, bg, &log, gid));
                lane2_run = Some((handle, group, log_path));
            }
            if let Err(rc) = r.step(step) {
                if let Some((handle, group, _)) = lane2_run {
                    group.stop();
                    let _ = handle.join();
                }
                return rc;
            }
        }
        if let Some((handle, group, log_path)) = lane2_run {
            let names: Vec<_> = bg.iter().map(|s| s.name).collect();
            eprintln!(
                "\n== lane2-wait: {}, running since the {} step",
                names.join(", "),
                lane1[start_at.unwrap_or(0)].name
            );
            let t0 = Instant::now();
            let (rows, rc) = handle.join().unwrap_or_else(|_| (Vec::new(), 101));
            group.stop();
            let _ = r.finish("lane2-wait", t0, 0);
            eprintln!("\n== lane 2 output ({})", log_path.display());
            if let Ok(mut log) = File::open(&log_path) {
                let _ = std::io::copy(&mut log, &mut std::io::stderr());
            }
            r.rows.extend(rows);
            if rc != 0 {
                r.print_table();
                eprintln!("xtask ci: lane 2 failed (exit {rc}), see its output above");
                println!("{}", table::summary(&r.rows));
                return rc;
            }
        }
        r.print_table();
        println!("{}", table::summary(&r.rows));
        0
    })
}

fn package_name() -> String {
    format!("{}-{}.tgz", super::APP_ID, env!("CARGO_PKG_VERSION"))
}

fn package(ctx: &Ctx) -> PathBuf {
    ctx.root.join("dist").join(package_name())
}

/// The x86_64 binary inside the package, for the perf guard and the stress
/// test: written to `test-package-bin/` under the target directory.
fn packaged_bin(ctx: &Ctx) -> Result<PathBuf, String> {
    let tgz = package(ctx);
    let bytes = std::fs::read(&tgz).map_err(|e| format!("{}: {e}", tgz.display()))?;
    let (entries, _) = crate::dist::read_tgz(&bytes).map_err(|f| f.message)?;
    let inner = format!("{}/{}", super::APP_ID, crate::package::manifest::LINUX_X86_64.path());
    let entry = entries
        .iter()
        .find(|e| e.path == inner)
        .ok_or_else(|| format!("{}: no {inner}", tgz.display()))?;
    let dir = ctx.target.join("test-package-bin");
    let bin = dir.join("dynamicdns");
    let write = |p: &Path| -> std::io::Result<()> {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(p, &entry.data)?;
        #[cfg(unix)]
        std::fs::set_permissions(p, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        Ok(())
    };
    write(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    Ok(bin)
}

#[cfg(test)]
mod tests {
    use super::super::steps::select;
    use super::*;

    #[test]
    fn lane_2_starts_at_the_package_step_or_runs_in_line() {
        let lane1 = |steps: Vec<&'static Step>| -> Vec<&'static Step> {
            steps.into_iter().filter(|s| s.lane == 1).collect()
        };
        let full = lane1(select(false, None).unwrap());
        assert_eq!(full[lane2_start(&full).unwrap()].name, "package");
        let only = |v: &[&str]| {
            lane1(
                select(false, Some(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())).unwrap(),
            )
        };
        let later = only(&["test", "stress", "audit"]);
        assert_eq!(later[lane2_start(&later).unwrap()].name, "stress");
        assert_eq!(lane2_start(&only(&["test", "audit"])), None);
        assert_eq!(lane2_start(&[]), None);
    }
}

//! A scratch `$SPLUNK_HOME` with the package installed, and the command lines
//! splunkd would run from its confs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{APP, TIMEOUT};
use crate::util::conf::{parse_conf, Conf};
use crate::util::driver::Driver;

// ---------------------------------------------------------------------------
// A scratch Splunk installation

/// `$SPLUNK_HOME` in a scratch folder, removed on drop.
pub(super) struct SplunkHome {
    pub(super) home: PathBuf,
}

impl SplunkHome {
    /// Installs the package into `$SPLUNK_HOME/etc/apps/` as `splunk
    /// install app` does: unpack the archive there.
    pub(super) fn install(tgz: &Path, test: &str) -> SplunkHome {
        let home = std::env::temp_dir()
            .join(format!("dynamicdns-app-install-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        let apps = home.join("etc/apps");
        std::fs::create_dir_all(&apps).unwrap();
        std::fs::create_dir_all(home.join("var/run/splunk/dispatch/1700000000.7")).unwrap();
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(tgz)
            .arg("-C")
            .arg(&apps)
            .status()
            .expect("tar runs");
        assert!(status.success(), "tar -xzf {}", tgz.display());
        SplunkHome { home }
    }

    pub(super) fn app(&self) -> PathBuf {
        self.home.join("etc/apps").join(APP)
    }

    pub(super) fn dispatch_dir(&self) -> PathBuf {
        self.home.join("var/run/splunk/dispatch/1700000000.7")
    }

    fn conf(&self, file: &str) -> Conf {
        let text = std::fs::read_to_string(self.app().join("default").join(file)).unwrap();
        parse_conf(file, &text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The command line splunkd runs for `| dynamicdns`.
    pub(super) fn command_argv(&self) -> Vec<String> {
        self.command_argv_of(APP)
    }

    /// The command line splunkd runs for the command of `stanza` in
    /// commands.conf: `filename` from `<app>/linux_x86_64/bin/` or else
    /// `<app>/bin/` (a `.py` file run by Python 3, as `python.version`
    /// asks), then `command.arg.<N>` in order of N.
    pub(super) fn command_argv_of(&self, stanza: &str) -> Vec<String> {
        let conf = self.conf("commands.conf");
        let stanza = conf.req(stanza);
        assert_eq!(stanza.req("chunked"), "true");
        let filename = stanza.req("filename");
        let program = [self.app().join("linux_x86_64/bin"), self.app().join("bin")]
            .iter()
            .map(|d| d.join(filename))
            .find(|p| p.is_file())
            .unwrap_or_else(|| {
                panic!("commands.conf filename {filename} is not in the app's bin/")
            });
        let mut args: Vec<(u32, String)> = stanza
            .keys
            .iter()
            .filter_map(|(k, v, _)| {
                k.strip_prefix("command.arg.").map(|n| (n.parse().unwrap(), v.clone()))
            })
            .collect();
        args.sort();
        interpreted(&program, stanza.get("python.version"))
            .into_iter()
            .chain(args.into_iter().map(|(_, v)| v))
            .collect()
    }

    /// The external lookup's command line and fields, from transforms.conf.
    pub(super) fn lookup_argv(&self, stanza: &str) -> (Vec<String>, Vec<String>) {
        let conf = self.conf("transforms.conf");
        let s = conf.req(stanza);
        let mut words = s.req("external_cmd").split_whitespace().map(str::to_string);
        let program = self.app().join("bin").join(words.next().unwrap());
        assert!(program.is_file(), "external_cmd program {} exists", program.display());
        let python = program.extension().is_some_and(|e| e == "py");
        assert_eq!(s.req("external_type"), if python { "python" } else { "executable" });
        let argv =
            interpreted(&program, s.get("python.version")).into_iter().chain(words).collect();
        let fields = s.req("fields_list").split(',').map(|f| f.trim().to_string()).collect();
        (argv, fields)
    }

    /// `argv` as splunkd starts search commands: in the dispatch folder,
    /// with SPLUNK_HOME set and Splunk's library path.
    pub(super) fn command(&self, argv: &[String]) -> Command {
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .current_dir(self.dispatch_dir())
            .env("SPLUNK_HOME", &self.home)
            .env("LD_LIBRARY_PATH", self.home.join("lib"));
        cmd
    }

    /// The shared lock-step SCP driver over `argv`, started by [`Self::command`].
    pub(super) fn driver(&self, argv: &[String]) -> Driver {
        Driver::spawn_command(self.command(argv), TIMEOUT)
    }

    /// A process started by [`Self::command`] with piped stdio.
    pub(super) fn spawn(&self, argv: &[String]) -> Child {
        self.command(argv)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {argv:?}: {e}"))
    }
}

/// How splunkd starts `program`: a `.py` file with its Python 3 (here the
/// machine's `python3`; `python.version` must ask for Python 3), anything
/// else directly.
fn interpreted(program: &Path, python_version: Option<&str>) -> Vec<String> {
    let program = program.display().to_string();
    if program.ends_with(".py") {
        assert_eq!(python_version, Some("python3"), "{program}: python.version");
        vec!["python3".to_string(), program]
    } else {
        vec![program]
    }
}

impl Drop for SplunkHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

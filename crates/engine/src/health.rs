//! The health report of `| dynamicdnsinfo`: one row saying which build of
//! the binary runs where, what zone data it carries, and which local files
//! it found with their problems — so that an admin sees at once whether
//! bundle replication brought the same binary and lookups to every
//! indexer.
//!
//! [`Report::gather`] makes the row of this process; [`Report::write_csv`]
//! writes it as an SCP v2 body (the generating session, [`crate::scp::generating`],
//! sends it) and [`Report::write_text`] as `key: value` lines (the CLI's
//! `dynamicdns info --text`). [`FIELDS`] is the field list the app's Health
//! dashboard relies on; the tests hold the dashboard to it.
//!
//! ```
//! use dynamicdns_engine::health::{Report, FIELDS};
//!
//! let report = Report::gather("idx-01", None);
//! assert_eq!(report.status(), "ok");
//! let mut body = Vec::new();
//! report.write_csv(&mut body);
//! let header = body.split(|&b| b == b'\n').next().unwrap();
//! assert!(header.starts_with(FIELDS.join(",").as_bytes()));
//! ```

use std::borrow::Cow;
use std::path::Path;

use dynamicdns_zonetable::Tier;

use crate::record::{encode_mv, write_field};
use crate::scp::generating::{Generator, Placement};
use crate::spl::{set_once, Arg};
use crate::zonefile::{LocalFiles, ZoneFileError};
use crate::zoneset::{ServiceHosts, ZoneSet};

/// The fields of the row, in order. The Health dashboard uses these names.
pub const FIELDS: &[&str] = &[
    "server",
    "version",
    "build",
    "arch",
    "app_dir",
    "zones",
    "zones_core",
    "zones_extended",
    "zones_ddns",
    "zones_vendor_ddns",
    "zones_vpn_vendor",
    "service_hosts",
    "local_zones",
    "allowlist",
    "local_files",
    "problems",
    "problem_count",
    "status",
];

/// The multivalue fields among [`FIELDS`]; in the SCP body each has a
/// `__mv_` twin column after the plain ones.
pub const MULTIVALUE: &[&str] = &["local_files", "problems"];

/// The program's version (the workspace's, as `dynamicdns --version`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The build id: the commit the release build was made from
/// (`cargo xtask package` sets `DYNAMICDNS_BUILD`; `build.rs` checks it),
/// `dev` for other builds.
pub const BUILD: &str = env!("DYNAMICDNS_BUILD_ID");

/// The CPU architecture the binary was built for (`x86_64`, `aarch64`).
pub const ARCH: &str = std::env::consts::ARCH;

/// The SPL usage of the health command, shown with option errors.
pub const USAGE: &str = "dynamicdnsinfo [distributed=<bool>]";

/// Zone counts of a zone set, in total, per tier and per category.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZoneCounts {
    /// Every zone.
    pub total: usize,
    /// Zones of the `core` tier.
    pub core: usize,
    /// Zones of the `extended` tier.
    pub extended: usize,
    /// Category `ddns`.
    pub ddns: usize,
    /// Category `vendor-ddns`.
    pub vendor_ddns: usize,
    /// Category `vpn-vendor`.
    pub vpn_vendor: usize,
}

include!(concat!(env!("OUT_DIR"), "/zone_counts.rs"));

impl ZoneCounts {
    /// The counts of the shipped list (all tiers), counted by `build.rs`
    /// over the table it compiles in: free at run time. A pass over the
    /// 117,000 zones ([`of`](Self::of)) costs 5–25 ms in a release build
    /// (measured on a loaded 2-core machine), against a process start-up of
    /// about 1 ms. A test checks that the two agree.
    pub fn shipped() -> ZoneCounts {
        SHIPPED
    }

    /// Counts every zone in use in `set` ([`ZoneSet::rows`]); for
    /// [`ZoneSet::embedded`] that is the shipped list, all tiers. A zone of
    /// another category counts in the total only (the shipped list has
    /// none; a test checks that the categories add up).
    pub fn of(set: &ZoneSet) -> ZoneCounts {
        let mut c = ZoneCounts::default();
        for row in set.rows() {
            c.total += 1;
            match row.tier {
                Tier::Core => c.core += 1,
                Tier::Extended => c.extended += 1,
            }
            match row.category {
                "ddns" => c.ddns += 1,
                "vendor-ddns" => c.vendor_ddns += 1,
                "vpn-vendor" => c.vpn_vendor += 1,
                _ => {}
            }
        }
        c
    }
}

/// One value of the row: a plain value or a multivalue list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// One value (possibly empty).
    One(Cow<'a, str>),
    /// Zero or more values (a multivalue field).
    Many(&'a [String]),
}

/// The health report of one process: the row `| dynamicdnsinfo` emits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// `server`: the `SPLUNK_SERVER_NAME` of the process (empty if unset).
    pub server: String,
    /// `version`: [`VERSION`].
    pub version: &'static str,
    /// `build`: [`BUILD`].
    pub build: &'static str,
    /// `arch`: [`ARCH`].
    pub arch: &'static str,
    /// `app_dir`: the app folder the binary runs from (the parent of its
    /// `lookups/`), empty when none was found.
    pub app_dir: String,
    /// `zones…`: the shipped zones.
    pub zones: ZoneCounts,
    /// `service_hosts`: the provider service hosts compiled in.
    pub service_hosts: usize,
    /// `local_zones`: zones loaded from the local zones files (a zone named
    /// in both the current and the pre-0.2 file counts once).
    pub local_zones: usize,
    /// `allowlist`: allowlist entries loaded (hosts, providers and
    /// categories).
    pub allowlist: usize,
    /// `local_files`: each local file found, `<name>: <n> rows`.
    pub local_files: Vec<String>,
    /// `problems`: each problem found in the local files, as the job
    /// inspector shows it (without the `dynamicdns: ` prefix); at most
    /// [`crate::zonefile::MAX_PROBLEMS_PER_FILE`] per file, then a count.
    pub problems: Vec<String>,
    /// `problem_count`: the problems found, those only counted included.
    pub problem_count: u64,
}

/// A local-file problem as the user reads it: the problem, and
/// ` (ignored)` when it left a row or a file out.
pub fn problem_text(p: &ZoneFileError) -> String {
    format!("{p}{}", if p.ignored() { " (ignored)" } else { "" })
}

impl Report {
    /// The report of this process: the shipped zones and service hosts
    /// compiled in, and the local files of `lookups` (the app's `lookups/`
    /// folder, if one was found), read now.
    pub fn gather(server: &str, lookups: Option<&Path>) -> Report {
        let local = lookups.map(LocalFiles::read);
        let service_hosts = ServiceHosts::embedded().len();
        Report::from_parts(server, ZoneCounts::shipped(), service_hosts, lookups, local.as_ref())
    }

    /// The report over given parts: the shipped `zones` and
    /// `service_hosts`, `lookups` naming the app folder (its parent), and
    /// `local` giving the local files' counts and problems (none when
    /// `None`, as with `--no-local`).
    pub fn from_parts(
        server: &str,
        zones: ZoneCounts,
        service_hosts: usize,
        lookups: Option<&Path>,
        local: Option<&LocalFiles>,
    ) -> Report {
        let app_dir =
            lookups.and_then(Path::parent).map(|d| d.display().to_string()).unwrap_or_default();
        let mut report = Report {
            server: server.to_string(),
            version: VERSION,
            build: BUILD,
            arch: ARCH,
            app_dir,
            zones,
            service_hosts,
            local_zones: 0,
            allowlist: 0,
            local_files: Vec::new(),
            problems: Vec::new(),
            problem_count: 0,
        };
        if let Some(local) = local {
            report.local_zones = local.zones.as_ref().map_or(0, |t| t.len());
            report.allowlist = local.allow.as_ref().map_or(0, |a| {
                a.names.as_ref().map_or(0, |t| t.len()) + a.providers.len() + a.categories.len()
            });
            report.local_files = local
                .found
                .iter()
                .map(|f| {
                    format!("{}: {} row{}", f.name, f.rows, if f.rows == 1 { "" } else { "s" })
                })
                .collect();
            report.problems = local.problems.iter().map(problem_text).collect();
            report.problem_count = local.problems.iter().map(ZoneFileError::count).sum();
        }
        report
    }

    /// `ok`, or `warning` when a local file has a problem.
    pub fn status(&self) -> &'static str {
        if self.problems.is_empty() {
            "ok"
        } else {
            "warning"
        }
    }

    /// The job inspector's messages for the report: one WARN per problem,
    /// worded as the streaming command words them.
    pub fn inspector_messages(&self) -> Vec<(&'static str, String)> {
        self.problems.iter().map(|p| ("WARN", format!("dynamicdns: {p}"))).collect()
    }

    /// The row: every field of [`FIELDS`] in order, with its value.
    pub fn fields(&self) -> Vec<(&'static str, Value<'_>)> {
        let n = |v: usize| Value::One(Cow::Owned(v.to_string()));
        let s = |v: &'static str| Value::One(Cow::Borrowed(v));
        let z = &self.zones;
        vec![
            ("server", Value::One(Cow::Borrowed(&self.server))),
            ("version", s(self.version)),
            ("build", s(self.build)),
            ("arch", s(self.arch)),
            ("app_dir", Value::One(Cow::Borrowed(&self.app_dir))),
            ("zones", n(z.total)),
            ("zones_core", n(z.core)),
            ("zones_extended", n(z.extended)),
            ("zones_ddns", n(z.ddns)),
            ("zones_vendor_ddns", n(z.vendor_ddns)),
            ("zones_vpn_vendor", n(z.vpn_vendor)),
            ("service_hosts", n(self.service_hosts)),
            ("local_zones", n(self.local_zones)),
            ("allowlist", n(self.allowlist)),
            ("local_files", Value::Many(&self.local_files)),
            ("problems", Value::Many(&self.problems)),
            ("problem_count", Value::One(Cow::Owned(self.problem_count.to_string()))),
            ("status", s(self.status())),
        ]
    }

    /// Appends the row as an SCP v2 CSV body: a header row of [`FIELDS`]
    /// and a `__mv_` column for each of [`MULTIVALUE`], then the one
    /// record, LF line ends. A multivalue field's plain cell holds its
    /// values joined by LF; its `__mv_` cell holds `$a$;$b$` when there are
    /// two or more values and is empty otherwise, as splunkd writes them.
    pub fn write_csv(&self, out: &mut Vec<u8>) {
        let fields = self.fields();
        let mut mv: Vec<&[String]> = Vec::new();
        for (i, (name, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_field(name.as_bytes(), out);
            if let Value::Many(values) = value {
                mv.push(values);
            }
        }
        for (name, value) in &fields {
            if matches!(value, Value::Many(_)) {
                out.push(b',');
                write_field(format!("__mv_{name}").as_bytes(), out);
            }
        }
        out.push(b'\n');
        for (i, (_, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match value {
                Value::One(v) => write_field(v.as_bytes(), out),
                Value::Many(values) => write_field(values.join("\n").as_bytes(), out),
            }
        }
        let mut cell = Vec::new();
        for values in mv {
            out.push(b',');
            if values.len() > 1 {
                cell.clear();
                encode_mv(values.iter().map(|v| v.as_bytes()), &mut cell);
                write_field(&cell, out);
            }
        }
        out.push(b'\n');
    }

    /// Appends the row as `key: value` lines, one per field in order; a
    /// multivalue field has one line per value, or one line `key:` when it
    /// has none. Line breaks inside a value become spaces.
    pub fn write_text(&self, out: &mut String) {
        let mut line = |key: &str, value: &str| {
            out.push_str(key);
            out.push(':');
            if !value.is_empty() {
                out.push(' ');
                out.push_str(&value.replace(['\r', '\n'], " "));
            }
            out.push('\n');
        };
        for (name, value) in self.fields() {
            match value {
                Value::One(v) => line(name, &v),
                Value::Many([]) => line(name, ""),
                Value::Many(values) => values.iter().for_each(|v| line(name, v)),
            }
        }
    }
}

/// `| dynamicdnsinfo [distributed=<bool>]` as a [`Generator`] for the
/// generating session: its option, and its one row.
#[derive(Clone, Debug)]
pub struct InfoCommand {
    /// The `server` field's value (`SPLUNK_SERVER_NAME`).
    pub server: String,
    /// The app's `lookups/` folder, if found
    /// (the binary finds it from its own location).
    pub lookups: Option<std::path::PathBuf>,
}

impl InfoCommand {
    /// Parses the command's SPL arguments ([`crate::spl`]'s grammar):
    /// `distributed=<bool>` at most once (default false). The error names
    /// the argument, and ends with [`USAGE`].
    pub fn parse_args(args: &[&str]) -> Result<bool, String> {
        let mut distributed = None;
        for &text in args {
            let set = match Arg::parse(text) {
                None => Err(format!("unexpected argument '{text}'")),
                Some(arg) if arg.name() == "distributed" => {
                    set_once(&mut distributed, "distributed", || arg.bool())
                }
                Some(arg) => Err(format!(
                    "unknown option '{}' in '{text}'; the only option is distributed",
                    arg.key
                )),
            };
            set.map_err(|m| format!("{m}. Usage: {USAGE}"))?;
        }
        Ok(distributed.unwrap_or(false))
    }
}

impl Generator for InfoCommand {
    fn configure(&mut self, args: &[&str]) -> Result<Placement, String> {
        Ok(if InfoCommand::parse_args(args)? {
            Placement::Everywhere
        } else {
            Placement::SearchHead
        })
    }

    fn generate(&mut self, body: &mut Vec<u8>) -> Vec<(&'static str, String)> {
        let report = Report::gather(&self.server, self.lookups.as_deref());
        report.write_csv(body);
        report.inspector_messages()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zonefile::{Date, LocalFiles};

    /// The counts build.rs compiled in are the table's, and they add up
    /// per tier and per category (a new category needs a field).
    #[test]
    fn shipped_counts_are_the_tables_and_add_up() {
        let set = ZoneSet::embedded();
        let c = ZoneCounts::shipped();
        assert_eq!(c, ZoneCounts::of(&set));
        assert_eq!(c.total, set.shipped_len());
        assert_eq!(c.core + c.extended, c.total);
        assert_eq!(c.ddns + c.vendor_ddns + c.vpn_vendor, c.total, "a category has no field");
        assert!(c.core > 1000 && c.extended > 100_000 && c.vendor_ddns > 10, "{c:?}");
        let r = Report::gather("", None);
        assert_eq!(r.zones, c);
        assert_eq!(r.service_hosts, set.service_hosts().unwrap().len());
        assert!(r.service_hosts > 10);
    }

    #[test]
    fn field_list_matches_the_row() {
        let r = Report::gather("", None);
        let fields = r.fields();
        let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, FIELDS);
        let mv: Vec<&str> =
            fields.iter().filter(|(_, v)| matches!(v, Value::Many(_))).map(|(n, _)| *n).collect();
        assert_eq!(mv, MULTIVALUE);
    }

    fn counts() -> ZoneCounts {
        let set = ZoneSet::from_csv(
            "zone,provider,category,tier\na.example,A,ddns,core\nb.example,B,vendor-ddns,extended\n\
             c.example,C,vpn-vendor,core\nd.example,D,ddns,extended\n"
                .as_bytes(),
            "t.csv",
        )
        .unwrap();
        ZoneCounts::of(&set)
    }

    /// The row over local files with problems, as CSV and as text.
    #[test]
    fn row_with_local_files_and_problems() {
        let tmp = tempfile::tempdir().unwrap();
        let lookups = tmp.path().join("dynamicdns/lookups");
        std::fs::create_dir_all(&lookups).unwrap();
        std::fs::write(
            lookups.join("dynamicdns_local_zones.csv"),
            "zone,provider\nx.example,X\nnot a zone,Y\ny.example,Y\n",
        )
        .unwrap();
        std::fs::write(
            lookups.join("dynamic_dns_allowlist.csv"),
            "host,provider\nok.example,\n,No-IP\n",
        )
        .unwrap();
        let today = Date { year: 2026, month: 12, day: 1 };
        let local = LocalFiles::read_at(&lookups, today);
        let r = Report::from_parts("sh-1", counts(), 0, Some(&lookups), Some(&local));
        assert_eq!(r.app_dir, tmp.path().join("dynamicdns").display().to_string());
        assert_eq!(
            r.zones,
            ZoneCounts { total: 4, core: 2, extended: 2, ddns: 2, vendor_ddns: 1, vpn_vendor: 1 }
        );
        assert_eq!((r.service_hosts, r.local_zones, r.allowlist), (0, 2, 2));
        assert_eq!(
            r.local_files,
            ["dynamicdns_local_zones.csv: 2 rows", "dynamic_dns_allowlist.csv: 2 rows"]
        );
        let old = "dynamic_dns_allowlist.csv: old file name, read for now; rename it to \
                   dynamicdns_allowlist.csv (the app's own files are named dynamicdns_*, so \
                   that no other app's lookup, such as ESCU's dynamic_dns_providers_local.csv, \
                   can shadow them)";
        let bad = "dynamicdns_local_zones.csv: line 3: \"not a zone\" is not a DNS name of two \
                   or more labels (ignored)";
        assert_eq!(r.problems, [bad, old]);
        assert_eq!(r.status(), "warning");
        assert_eq!(
            r.inspector_messages(),
            [("WARN", format!("dynamicdns: {bad}")), ("WARN", format!("dynamicdns: {old}"))]
        );

        let mut csv = Vec::new();
        r.write_csv(&mut csv);
        let csv = String::from_utf8(csv).unwrap();
        let app = r.app_dir.clone();
        assert_eq!(
            csv,
            format!(
                "{},__mv_local_files,__mv_problems\n\
                 sh-1,{VERSION},{BUILD},{ARCH},{app},4,2,2,2,1,1,0,2,2,\
                 \"dynamicdns_local_zones.csv: 2 rows\ndynamic_dns_allowlist.csv: 2 rows\",\
                 \"{}\n{old}\",2,warning,\
                 $dynamicdns_local_zones.csv: 2 rows$;$dynamic_dns_allowlist.csv: 2 rows$,\
                 \"${}$;${old}$\"\n",
                FIELDS.join(","),
                bad.replace('"', "\"\""),
                bad.replace('"', "\"\""),
            )
        );

        let mut text = String::new();
        r.write_text(&mut text);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "server: sh-1");
        assert_eq!(lines[4], format!("app_dir: {app}"));
        assert!(lines.contains(&"local_files: dynamicdns_local_zones.csv: 2 rows"), "{text}");
        assert!(lines.contains(&"local_files: dynamic_dns_allowlist.csv: 2 rows"), "{text}");
        assert!(lines.contains(&format!("problems: {bad}").as_str()), "{text}");
        assert_eq!(lines.last(), Some(&"status: warning"));
        assert_eq!(lines.len(), FIELDS.len() + 2);
    }

    /// No local files: empty multivalue cells, `ok`, every field once.
    #[test]
    fn row_without_local_files() {
        let r = Report::from_parts("", counts(), 0, None, None);
        assert_eq!(r.status(), "ok");
        assert!(r.inspector_messages().is_empty());
        let mut csv = Vec::new();
        r.write_csv(&mut csv);
        let csv = String::from_utf8(csv).unwrap();
        assert!(
            csv.ends_with(&format!(",{VERSION},{BUILD},{ARCH},,4,2,2,2,1,1,0,0,0,,,0,ok,,\n")),
            "{csv}"
        );
        let mut text = String::new();
        r.write_text(&mut text);
        assert!(text.starts_with("server:\nversion: "), "{text}");
        assert!(text.contains("\nlocal_files:\nproblems:\nproblem_count: 0\nstatus: ok\n"));
        assert_eq!(text.lines().count(), FIELDS.len());
        // One file, one value: the __mv_ cell stays empty.
        let one = Report { local_files: vec!["a.csv: 1 row".into()], ..r };
        let mut csv = Vec::new();
        one.write_csv(&mut csv);
        assert!(String::from_utf8(csv).unwrap().ends_with(",a.csv: 1 row,,0,ok,,\n"));
    }

    #[test]
    fn options() {
        assert_eq!(InfoCommand::parse_args(&[]), Ok(false));
        for t in ["distributed=true", "distributed=T", "Distributed=yes", "distributed=1"] {
            assert_eq!(InfoCommand::parse_args(&[t]), Ok(true), "{t}");
        }
        for f in ["distributed=false", "distributed=F", "distributed=no", "distributed=0"] {
            assert_eq!(InfoCommand::parse_args(&[f]), Ok(false), "{f}");
        }
        let err = |args: &[&str]| InfoCommand::parse_args(args).unwrap_err();
        assert_eq!(
            err(&["distributed=maybe"]),
            "'distributed=maybe': distributed must be true or false. \
             Usage: dynamicdnsinfo [distributed=<bool>]"
        );
        assert_eq!(
            err(&["distributed=true", "distributed=false"]),
            "distributed= is given twice. Usage: dynamicdnsinfo [distributed=<bool>]"
        );
        assert_eq!(
            err(&["verbose=1"]),
            "unknown option 'verbose' in 'verbose=1'; the only option is distributed. \
             Usage: dynamicdnsinfo [distributed=<bool>]"
        );
        assert_eq!(
            err(&["distributed"]),
            "unexpected argument 'distributed'. Usage: dynamicdnsinfo [distributed=<bool>]"
        );
    }
}

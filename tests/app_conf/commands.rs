//! The two commands: commands.conf, the launcher and searchbnf.conf.

use crate::util::conf::default_conf as conf;
use crate::util::read;

// ---------------------------------------------------------------------------
// The command, the launcher, the lookups

#[test]
fn the_command_runs_the_launcher_in_scp_mode() {
    let c = conf("commands.conf");
    let cmd = c.req("dynamicdns");
    assert_eq!(cmd.req("chunked"), "true");
    assert_eq!(cmd.req("filename"), "dynamicdns.py");
    assert_python3(cmd);
    assert_eq!(cmd.req("command.arg.1"), "scp");
    assert_eq!(cmd.req("is_risky"), "false");
    assert!(cmd.req("maxwait").parse::<u64>().is_ok());
    assert!(cmd.req("maxchunksize").parse::<u64>().is_ok());
    // Explicit: the default is false for chunked commands from Splunk 9.0,
    // true before.
    assert_eq!(cmd.req("run_in_preview"), "true");
    assert_eq!(c.stanzas.len(), 2, "dynamicdns and dynamicdnsinfo");
    // The health command: same launcher, argument "info" (its getinfo reply
    // declares it generating, stateful or with distributed=true streaming).
    let info = c.req("dynamicdnsinfo");
    assert_eq!(info.req("chunked"), "true");
    assert_eq!(info.req("filename"), "dynamicdns.py");
    assert_python3(info);
    assert_eq!(info.req("command.arg.1"), "info");
    assert_eq!(info.req("is_risky"), "false");
    // The launcher hands the process over: execv on POSIX, a waited-for
    // child on Windows; only os and sys on the way (start-up time).
    let text = read("bin/dynamicdns.py");
    assert!(text.contains("os.execv(exe, [exe] + args)"), "the launcher execs with the arguments");
    assert!(text.contains("os.spawnv(os.P_WAIT, exe, argv)"), "and waits for it on Windows");
    assert!(text.contains("\nimport os\nimport sys\n\n"), "imports only os and sys up front");
}

/// A Python command or external lookup runs under Python 3: the setting
/// Splunk 8.x/9.x read and the 10.2+ one (AppInspect wants 3.13 in it).
pub(crate) fn assert_python3(stanza: &crate::util::conf::Stanza) {
    assert_eq!(stanza.req("python.version"), "python3");
    let required: Vec<&str> = stanza.req("python.required").split(',').map(str::trim).collect();
    assert!(required.contains(&"3.13"), "python.required {required:?} includes 3.13");
}

#[test]
fn searchbnf_documents_every_option() {
    let c = conf("searchbnf.conf");
    let cmd = c.req("dynamicdns-command");
    assert_eq!(cmd.req("usage"), "public");
    let syntax = format!("{} {}", cmd.req("syntax"), c.req("dynamicdns-options").req("syntax"));
    let description = cmd.req("description");
    for option in dynamicdns_engine::options::OPTION_NAMES.map(|o| format!("{o}=")) {
        let option = option.as_str();
        assert!(syntax.contains(option), "syntax lists {option}");
        assert!(description.contains(option), "description explains {option}");
    }
    for value in ["host", "text", "all", "core", "true", "false"] {
        assert!(syntax.contains(value), "syntax lists {value}");
    }
    assert!(cmd.get("category").is_some());
    for field in ["isDynDNS", "provider", "dyndns_zone", "dyndns_category", "dyndns_tier"] {
        assert!(description.contains(field), "description names the field {field}");
    }
    let info = c.req("dynamicdnsinfo-command");
    assert_eq!(info.req("usage"), "public");
    assert!(info.req("syntax").starts_with("dynamicdnsinfo "));
    assert!(info.req("syntax").contains("distributed=<bool>"));
    for field in INFO_FIELDS {
        assert!(info.req("description").contains(field), "dynamicdnsinfo documents {field}");
    }
    for stanza in [cmd, info] {
        for (key, _, _) in &stanza.keys {
            if let Some(n) = key.strip_prefix("example") {
                assert!(stanza.get(&format!("comment{n}")).is_some(), "{key} has comment{n}");
            }
        }
    }
}

/// The fields `| dynamicdnsinfo` emits: the engine's list, which the
/// binary's row is made from (`tests/info.rs` checks the row against it).
pub(super) const INFO_FIELDS: &[&str] = dynamicdns_engine::health::FIELDS;

//! The command's options, as SPL gives them (`| dynamicdns field=query,answer
//! mode=text tier=core`): which fields to read, how to read them, which
//! tiers of the zone list to use, which fields to ask splunkd for
//! (`allfields=`) and whether to log a summary (`debug=`). The CLI builds
//! [`Options`] directly from its flags.

use crate::spl::{set_once, Arg};
use crate::verdict::OutputNames;
use crate::zoneset::TierSelection;

/// How field values are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Each value is one host name or URL (the default).
    Host,
    /// Each value is free text searched for embedded host names.
    Text,
}

/// The command's options, as given in SPL or on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Fields to read, in order; default `query`.
    pub fields: Vec<String>,
    /// How to read them.
    pub mode: Mode,
    /// Which tiers of the shipped zone list to use.
    pub tiers: TierSelection,
    /// `allfields=true`: declare `required_fields` `["*"]` in the getinfo
    /// reply (splunkd then sends every field) instead of the fields read
    /// and written.
    pub all_fields: bool,
    /// `debug=true`: write a summary of the session to stderr (splunkd logs
    /// every stderr line as an ERROR in search.log, so not by default).
    pub debug: bool,
    /// `rename="provider AS ddns_provider, …"`: the names the verdict
    /// fields are written under (default: their own).
    pub names: OutputNames,
}

/// The SPL options the command takes, in the order the usage lists them
/// (searchbnf.conf and the docs are checked against it).
pub const OPTION_NAMES: [&str; 6] = ["field", "mode", "tier", "allfields", "debug", "rename"];

/// The usage line shown with option errors.
pub const USAGE: &str =
    "dynamicdns [field=<field>[,<field>...]] [mode=host|text] [tier=all|core] \
                         [allfields=true|false] [debug=true|false] \
                         [rename=\"<output> AS <name>[, ...]\"]";

/// A bad option, with a message for the user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}. Usage: {USAGE}")]
pub struct OptionsError(String);

impl Default for Options {
    fn default() -> Self {
        Options {
            fields: vec!["query".to_string()],
            mode: Mode::Host,
            tiers: TierSelection::All,
            all_fields: false,
            debug: false,
            names: OutputNames::default(),
        }
    }
}

impl Options {
    /// Parses SPL arguments as splunkd passes them (`searchinfo.args`,
    /// quotes already removed; the grammar is [`crate::spl`]'s): `field=a,b`
    /// (repeatable; names joined by commas, spaces around them ignored),
    /// `mode=host|text`, `tier=all|core`, `allfields=<bool>`,
    /// `debug=<bool>` and `rename="<output> AS <name>, …"` (each at most
    /// once).
    pub fn from_spl_args<S: AsRef<str>>(args: &[S]) -> Result<Options, OptionsError> {
        let mut fields: Vec<String> = Vec::new();
        let mut mode = None;
        let mut tiers = None;
        let mut all_fields = None;
        let mut debug = None;
        let mut names = None;
        for arg in args {
            let text = arg.as_ref();
            let Some(arg) = Arg::parse(text) else {
                return Err(OptionsError(format!(
                    "unexpected argument '{text}' (to name several fields, join them with commas: \
                     field=query,answer)"
                )));
            };
            let set = match arg.name().as_str() {
                "field" | "fields" => arg.value.split(',').map(str::trim).try_for_each(|name| {
                    if name.is_empty() {
                        return Err(format!(
                            "'{text}': empty field name; give field=<field>[,<field>...]"
                        ));
                    }
                    if !fields.iter().any(|f| f == name) {
                        fields.push(name.to_string());
                    }
                    Ok(())
                }),
                "mode" => set_once(&mut mode, "mode", || match arg.keyword().as_str() {
                    "host" => Ok(Mode::Host),
                    "text" => Ok(Mode::Text),
                    _ => Err(format!("'{text}': mode must be 'host' or 'text'")),
                }),
                "tier" | "tiers" => {
                    set_once(&mut tiers, "tier", || match arg.keyword().as_str() {
                        "all" | "extended" => Ok(TierSelection::All),
                        "core" => Ok(TierSelection::Core),
                        _ => Err(format!("'{text}': tier must be 'all' or 'core'")),
                    })
                }
                "allfields" => set_once(&mut all_fields, "allfields", || arg.bool()),
                "debug" => set_once(&mut debug, "debug", || arg.bool()),
                "rename" => set_once(&mut names, "rename", || {
                    OutputNames::parse(arg.value).map_err(|e| format!("'{text}': {e}"))
                }),
                _ => Err(format!(
                    "unknown option '{}' in '{text}'; known options: {}",
                    arg.key,
                    OPTION_NAMES.join(", ")
                )),
            };
            set.map_err(OptionsError)?;
        }
        if fields.is_empty() {
            fields.push("query".to_string());
        }
        let names = names.unwrap_or_default();
        Ok(Options {
            fields,
            mode: mode.unwrap_or(Mode::Host),
            tiers: tiers.unwrap_or_default(),
            all_fields: all_fields.unwrap_or(false),
            debug: debug.unwrap_or(false),
            names,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_table() {
        let ok = |args: &[&str], fields: &[&str], mode, tiers| {
            assert_eq!(
                Options::from_spl_args(args).unwrap(),
                Options {
                    fields: fields.iter().map(|s| s.to_string()).collect(),
                    mode,
                    tiers,
                    ..Options::default()
                },
                "{args:?}"
            )
        };
        let all = TierSelection::All;
        ok(&[], &["query"], Mode::Host, all);
        ok(&["field=answer"], &["answer"], Mode::Host, all);
        ok(&["field=query,answer"], &["query", "answer"], Mode::Host, all);
        ok(&["field=query, answer ", "field=url"], &["query", "answer", "url"], Mode::Host, all);
        ok(&["field=a,a"], &["a"], Mode::Host, all);
        ok(&["mode=text", "field=_raw"], &["_raw"], Mode::Text, all);
        ok(&["FIELD=x", "Mode=HOST"], &["x"], Mode::Host, all);
        ok(&["tier=core"], &["query"], Mode::Host, TierSelection::Core);
        ok(&["tier=all"], &["query"], Mode::Host, all);
        let flags = |args: &[&str]| {
            let o = Options::from_spl_args(args).unwrap();
            (o.all_fields, o.debug)
        };
        assert_eq!(flags(&[]), (false, false));
        assert_eq!(flags(&["allfields=true"]), (true, false));
        assert_eq!(flags(&["AllFields=T", "debug=1"]), (true, true));
        assert_eq!(flags(&["allfields=no", "debug=Yes"]), (false, true));
        assert_eq!(flags(&["allfields=false", "debug=f"]), (false, false));
        let err = |args: &[&str], msg: &str| {
            let e = Options::from_spl_args(args).unwrap_err().to_string();
            assert!(e.contains(msg), "{args:?}: {e}");
            assert!(e.ends_with(USAGE), "{e}");
        };
        err(&["bogus=1"], "unknown option 'bogus' in 'bogus=1'");
        err(&["answer"], "unexpected argument 'answer'");
        err(&["field="], "empty field name");
        err(&["field=a,,b"], "empty field name");
        err(&["mode=fast"], "mode must be 'host' or 'text'");
        err(&["mode=host", "mode=text"], "mode= is given twice");
        err(&["tier=gold"], "tier must be 'all' or 'core'");
        err(&["tier=core", "tier=all"], "tier= is given twice");
        err(&["allfields=maybe"], "'allfields=maybe': allfields must be true or false");
        err(&["debug=2"], "'debug=2': debug must be true or false");
        err(&["allfields=true", "allfields=true"], "allfields= is given twice");
        err(&["debug=true", "debug=false"], "debug= is given twice");
        err(&["rename=query AS q"], "'rename=query AS q': 'query' is not an output field");
        err(&["rename=provider AS p", "rename=dyndns_zone AS z"], "rename= is given twice");
        let o = Options::from_spl_args(&["field=provider", "rename=provider AS ddns_provider"]);
        assert_eq!(o.unwrap().names.name(crate::verdict::Field::Provider), "ddns_provider");
    }
}

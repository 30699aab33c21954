//! SPL command arguments as splunkd passes them in `searchinfo.args`
//! (quotes already removed): `key=value`, the key case-insensitive and
//! trimmed, each option at most once, booleans as Splunk writes them. The
//! grammar of both commands' options ([`crate::options::Options`] and
//! [`crate::health::InfoCommand`]); each command words its own usage.
//!
//! ```
//! use dynamicdns_engine::spl::{set_once, Arg};
//!
//! let arg = Arg::parse(" Debug =Yes").unwrap();
//! assert_eq!((arg.name(), arg.value), ("debug".to_string(), "Yes"));
//! let mut debug = None;
//! set_once(&mut debug, "debug", || arg.bool()).unwrap();
//! assert_eq!(debug, Some(true));
//! assert_eq!(set_once(&mut debug, "debug", || arg.bool()).unwrap_err(), "debug= is given twice");
//! assert!(Arg::parse("query").is_none());
//! ```

/// One `key=value` argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arg<'a> {
    /// The whole argument as given, for messages.
    pub text: &'a str,
    /// The key, trimmed, as given.
    pub key: &'a str,
    /// Everything after the first `=`, as given.
    pub value: &'a str,
}

impl<'a> Arg<'a> {
    /// Splits `text` at its first `=`; `None` when it has none (a bare
    /// word, which no option of ours is).
    pub fn parse(text: &'a str) -> Option<Arg<'a>> {
        let (key, value) = text.split_once('=')?;
        Some(Arg { text, key: key.trim(), value })
    }

    /// The option's name: the key in lower case (`FIELD=x` is `field`).
    pub fn name(&self) -> String {
        self.key.to_ascii_lowercase()
    }

    /// The value as a keyword: trimmed, in lower case (`mode= Text`).
    pub fn keyword(&self) -> String {
        self.value.trim().to_ascii_lowercase()
    }

    /// The value as a boolean ([`parse_bool`]); the error names the
    /// argument: `'debug=2': debug must be true or false`.
    pub fn bool(&self) -> Result<bool, String> {
        parse_bool(self.value)
            .ok_or_else(|| format!("'{}': {} must be true or false", self.text, self.name()))
    }
}

/// Parses an SPL boolean as Splunk's own commands and splunklib's
/// `Boolean` validator accept it: `true`/`false`, `t`/`f`, `yes`/`no`,
/// `y`/`n`, `1`/`0`, any case, spaces around ignored.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// Sets an option given at most once: `<name>= is given twice` when `slot`
/// is already set (checked before the value is read), else the value
/// `value` reads, or its error.
pub fn set_once<T>(
    slot: &mut Option<T>,
    name: &str,
    value: impl FnOnce() -> Result<T, String>,
) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("{name}= is given twice"));
    }
    *slot = Some(value()?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_and_arguments() {
        for t in ["true", "T", "yes", "Y", "1", " TRUE "] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["false", "F", "no", "N", "0", "False"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for x in ["", "2", "maybe", "on"] {
            assert_eq!(parse_bool(x), None, "{x}");
        }
        let a = Arg::parse("field=a=b").unwrap();
        assert_eq!((a.key, a.value), ("field", "a=b"));
        assert_eq!(
            Arg::parse("x=maybe").unwrap().bool().unwrap_err(),
            "'x=maybe': x must be true or false"
        );
        assert_eq!(Arg::parse("Mode= HOST ").unwrap().keyword(), "host");
    }
}

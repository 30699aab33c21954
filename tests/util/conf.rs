//! A strict parser of Splunk .conf files, for the app's tests.

/// One stanza: its keys in file order, with the line of each.
#[derive(Debug, Default)]
pub struct Stanza {
    /// (key, value, line), in file order.
    pub keys: Vec<(String, String, usize)>,
}

impl Stanza {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.keys.iter().find(|(k, _, _)| k == key).map(|(_, v, _)| v.as_str())
    }
    /// The value of `key`, which must be there.
    pub fn req(&self, key: &str) -> &str {
        self.get(key).unwrap_or_else(|| panic!("missing key {key}"))
    }
}

/// A parsed .conf file: stanzas in file order.
#[derive(Debug)]
pub struct Conf {
    /// The file's name, for messages.
    pub name: String,
    /// (name, stanza), in file order.
    pub stanzas: Vec<(String, Stanza)>,
}

impl Conf {
    /// The stanza `[name]`.
    pub fn stanza(&self, name: &str) -> Option<&Stanza> {
        self.stanzas.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }
    /// The stanza `[name]`, which must be there.
    pub fn req(&self, name: &str) -> &Stanza {
        self.stanza(name).unwrap_or_else(|| panic!("{}: no stanza [{name}]", self.name))
    }
}

/// Parses Splunk .conf text: `#` comment lines, `[stanza]`, `key = value`,
/// a trailing `\` continues the value on the next line (the newline is
/// kept, as Splunk does). Keys outside a stanza, duplicate stanzas and
/// duplicate keys are errors (Splunk would merge them silently).
pub fn parse_conf(name: &str, text: &str) -> Result<Conf, String> {
    let mut stanzas: Vec<(String, Stanza)> = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, raw)) = lines.next() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            let Some(stanza) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
                return Err(format!("{name}:{line_no}: bad stanza line {line:?}"));
            };
            if stanzas.iter().any(|(n, _)| n == stanza) {
                return Err(format!("{name}:{line_no}: duplicate stanza [{stanza}]"));
            }
            stanzas.push((stanza.to_string(), Stanza::default()));
            continue;
        }
        let Some((key, value)) = raw.split_once('=') else {
            return Err(format!("{name}:{line_no}: not a key = value line: {raw:?}"));
        };
        let key = key.trim().to_string();
        let mut value = value.trim_start().to_string();
        while value.ends_with('\\') {
            value.pop();
            value.push('\n');
            match lines.next() {
                Some((_, next)) => value.push_str(next),
                None => return Err(format!("{name}:{line_no}: continuation at end of file")),
            }
        }
        let value = value.trim_end().to_string();
        let Some((stanza_name, stanza)) = stanzas.last_mut() else {
            return Err(format!("{name}:{line_no}: key {key:?} outside any stanza"));
        };
        if stanza.get(&key).is_some() {
            return Err(format!("{name}:{line_no}: duplicate key {key:?} in [{stanza_name}]"));
        }
        stanza.keys.push((key, value, line_no));
    }
    Ok(Conf { name: name.to_string(), stanzas })
}

/// Parses `default/<file>` of the repository; panics on a parse error.
pub fn default_conf(file: &str) -> Conf {
    parse_conf(file, &super::read(&format!("default/{file}"))).unwrap_or_else(|e| panic!("{e}"))
}

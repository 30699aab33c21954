//! The verdict's output fields: the one list every writer (the SCP
//! session, the external lookup, `check`, and `enrich` as CSV, JSON lines
//! and Zeek TSV) loops over, and the names they are written under.
//!
//! A new field is one [`Field`] variant: the compiler then asks for its
//! name, shape and description here and for its values in
//! [`Hits::values`](super::Hits::values); every writer follows.

use std::fmt;

/// One field the command adds to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `isDynDNS`: `True` when a value is a host strictly below a dynamic-DNS
    /// zone (and not a provider service host nor allowlisted).
    IsDynDns,
    /// `provider`: the matched zones' distinct providers.
    Provider,
    /// `dyndns_zone`: the matched zones.
    Zone,
    /// `dyndns_category`: the matches' distinct categories.
    Category,
    /// `dyndns_tier`: the matches' distinct tiers.
    Tier,
}

/// How a field's value is shaped, which decides how each format writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One boolean: `True`/`False` in CSV, `true`/`false` in JSON, `T`/`F`
    /// in Zeek.
    Flag,
    /// A list of distinct strings, possibly empty: joined by newlines in one
    /// CSV cell (plus a `__mv_` cell in Splunk's dialect), a JSON array, a
    /// Zeek vector.
    List,
}

impl Field {
    /// Every field, in the order they are appended to a record.
    pub const ALL: [Field; 5] =
        [Field::IsDynDns, Field::Provider, Field::Zone, Field::Category, Field::Tier];

    /// How many fields there are.
    pub const COUNT: usize = Field::ALL.len();

    /// The field's name unless renamed (see [`OutputNames`]).
    pub const fn default_name(self) -> &'static str {
        match self {
            Field::IsDynDns => "isDynDNS",
            Field::Provider => "provider",
            Field::Zone => "dyndns_zone",
            Field::Category => "dyndns_category",
            Field::Tier => "dyndns_tier",
        }
    }

    /// The field's shape.
    pub const fn shape(self) -> Shape {
        match self {
            Field::IsDynDns => Shape::Flag,
            Field::Provider | Field::Zone | Field::Category | Field::Tier => Shape::List,
        }
    }

    /// The field's type in a Zeek log's `#types` line.
    pub const fn zeek_type(self) -> &'static str {
        match self.shape() {
            Shape::Flag => "bool",
            Shape::List => "vector[string]",
        }
    }

    /// One line saying what the field holds (help texts, docs).
    pub const fn description(self) -> &'static str {
        match self {
            Field::IsDynDns => {
                "True when a value is a host strictly below a dynamic-DNS zone (not a provider \
                 service host, not allowlisted)"
            }
            Field::Provider => "the matched zones' providers",
            Field::Zone => "the matched zones",
            Field::Category => {
                "the matches' categories (ddns, vendor-ddns, vpn-vendor, provider-service)"
            }
            Field::Tier => "the matches' tiers (core, extended)",
        }
    }

    /// The index of the field in [`Field::ALL`].
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The field whose default name is `name`.
    pub fn from_default_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.default_name() == name)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.default_name())
    }
}

/// The names the fields are written under: their default names, or others
/// given with `rename` (for events that already carry a `provider` field of
/// their own, as cloud and identity logs do), like a lookup's
/// `OUTPUT provider AS ddns_provider`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputNames {
    names: [String; Field::COUNT],
    /// `__mv_<name>` for each, for Splunk's multivalue cells.
    mv_names: [String; Field::COUNT],
}

impl Default for OutputNames {
    fn default() -> Self {
        OutputNames::from_names(Field::ALL.map(|f| f.default_name().to_string()))
    }
}

/// A bad `rename` specification.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    /// A part is not `FIELD AS NAME` (or `FIELD=NAME`).
    #[error("'{0}' is not of the form <field> AS <name>")]
    Syntax(String),
    /// The field renamed is not an output field.
    #[error("'{0}' is not an output field; the output fields are {list}", list = field_list())]
    UnknownField(String),
    /// The new name is not a plain field name.
    #[error(
        "'{0}' cannot be an output field name: use letters, digits and _ (not starting with __mv_)"
    )]
    BadName(String),
    /// A field is renamed twice.
    #[error("{0} is renamed twice")]
    Twice(Field),
    /// Two fields would be written under one name.
    #[error("two output fields would be named '{0}'")]
    Clash(String),
}

fn field_list() -> String {
    Field::ALL.map(Field::default_name).join(", ")
}

impl OutputNames {
    fn from_names(names: [String; Field::COUNT]) -> OutputNames {
        let mv_names = names.clone().map(|n| format!("__mv_{n}"));
        OutputNames { names, mv_names }
    }

    /// Parses renames: `provider AS ddns_provider, dyndns_zone AS z`
    /// (`AS` in any case; `provider=ddns_provider` is the same). Fields not
    /// named keep their default names.
    pub fn parse(spec: &str) -> Result<OutputNames, RenameError> {
        let mut names = Field::ALL.map(|f| f.default_name().to_string());
        let mut renamed = [false; Field::COUNT];
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let words: Vec<&str> = part.split_whitespace().collect();
            let (from, to) = match words[..] {
                [from, as_, to] if as_.eq_ignore_ascii_case("as") => (from, to),
                [one] => match one.split_once('=') {
                    Some((from, to)) if !from.is_empty() && !to.is_empty() => (from, to),
                    _ => return Err(RenameError::Syntax(part.to_string())),
                },
                _ => return Err(RenameError::Syntax(part.to_string())),
            };
            let field = Field::from_default_name(from)
                .ok_or_else(|| RenameError::UnknownField(from.to_string()))?;
            let valid = to.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !to.starts_with("__mv_");
            if !valid {
                return Err(RenameError::BadName(to.to_string()));
            }
            if std::mem::replace(&mut renamed[field.index()], true) {
                return Err(RenameError::Twice(field));
            }
            names[field.index()] = to.to_string();
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(RenameError::Clash(n.clone()));
            }
        }
        Ok(OutputNames::from_names(names))
    }

    /// The name `field` is written under.
    #[inline]
    pub fn name(&self, field: Field) -> &str {
        &self.names[field.index()]
    }

    /// The name of `field`'s multivalue twin (`__mv_<name>`).
    #[inline]
    pub fn mv_name(&self, field: Field) -> &str {
        &self.mv_names[field.index()]
    }

    /// The field written under `name`, if any.
    pub fn field_named(&self, name: &[u8]) -> Option<Field> {
        Field::ALL.into_iter().find(|f| self.name(*f).as_bytes() == name)
    }

    /// The names, in [`Field::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (Field, &str)> + '_ {
        Field::ALL.into_iter().map(|f| (f, self.name(f)))
    }

    /// True when every field has its default name.
    pub fn is_default(&self) -> bool {
        self.iter().all(|(f, n)| f.default_name() == n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_index_order() {
        for (i, f) in Field::ALL.into_iter().enumerate() {
            assert_eq!(f.index(), i);
            assert_eq!(Field::from_default_name(f.default_name()), Some(f));
        }
    }

    #[test]
    fn renames() {
        let n = OutputNames::parse("provider AS ddns_provider, dyndns_zone as z").unwrap();
        assert_eq!(n.name(Field::Provider), "ddns_provider");
        assert_eq!(n.mv_name(Field::Provider), "__mv_ddns_provider");
        assert_eq!(n.name(Field::Zone), "z");
        assert_eq!(n.name(Field::IsDynDns), "isDynDNS");
        assert!(!n.is_default());
        assert_eq!(OutputNames::parse("provider=p").unwrap().name(Field::Provider), "p");
        assert!(OutputNames::parse("").unwrap().is_default());
        let err = |s: &str| OutputNames::parse(s).unwrap_err().to_string();
        assert_eq!(err("provider"), "'provider' is not of the form <field> AS <name>");
        assert_eq!(err("provider AS"), "'provider AS' is not of the form <field> AS <name>");
        assert!(err("query AS q").starts_with("'query' is not an output field; the output"));
        assert!(err("provider AS a-b").starts_with("'a-b' cannot be an output field name"));
        assert!(err("provider AS __mv_x").starts_with("'__mv_x' cannot be"));
        assert_eq!(err("provider AS a, provider AS b"), "provider is renamed twice");
        assert_eq!(
            err("provider AS dyndns_zone"),
            "two output fields would be named 'dyndns_zone'"
        );
    }
}

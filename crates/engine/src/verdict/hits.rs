//! The hits of one record: a function of the **set** of its values.
//!
//! Every distinct match is kept (a zone matched as a dynamic-DNS host and
//! the same zone matched through a provider's service host are two
//! matches), so no value can hide another: `isDynDNS` is true when any
//! match is a dynamic-DNS host, whatever came first. The output lists are
//! made when the record is complete ([`Hits::finish`]) from the matches in
//! one documented order, so they do not depend on the order of the values
//! either:
//!
//! 1. dynamic-DNS matches before provider service hosts (so the first
//!    value of `dyndns_zone` or `provider` of a `True` record is always a
//!    dynamic-DNS one);
//! 2. then by zone name, then by category (byte order).
//!
//! Each list field then holds its distinct non-empty values in that order.

use std::collections::HashSet;

use super::fields::Field;
use crate::zoneset::ZoneMatch;

/// Up to this many items, [`push_distinct`] scans the list.
const SCAN_MAX: usize = 16;

/// A match's identity: its zone and category.
type Key<'z> = (&'z str, &'z str);

/// The matches of one record and the output values made from them.
#[derive(Debug, Default)]
pub struct Hits<'z> {
    /// Distinct matches (by zone and category), in arrival order until
    /// [`finish`](Self::finish) sorts them.
    matches: Vec<ZoneMatch<'z>>,
    /// Keys of `matches` once it is too long to scan (see [`push_distinct`]).
    match_set: HashSet<Key<'z>>,
    /// Whether a match is a dynamic-DNS host (not only service hosts).
    dyndns: bool,
    /// The list fields' values ([`Field::Provider`] .. [`Field::Tier`]),
    /// made by `finish`.
    lists: [Vec<&'z str>; Field::COUNT],
    /// Keys already in a list once it is too long to scan.
    list_set: HashSet<&'z str>,
    /// `lists` is up to date with `matches`.
    finished: bool,
}

/// The one value of [`Field::IsDynDns`].
const TRUE: &[&str] = &["True"];
const FALSE: &[&str] = &["False"];

impl<'z> Hits<'z> {
    /// Forgets every hit. Free after a record that matched nothing (most
    /// records): the lists are emptied by the next [`finish`](Self::finish)
    /// only after one that did.
    #[inline]
    pub fn clear(&mut self) {
        if !self.matches.is_empty() {
            self.matches.clear();
            self.dyndns = false;
            self.finished = false;
        }
    }

    /// Adds a match unless the same zone and category are there already.
    #[inline]
    pub fn push(&mut self, m: ZoneMatch<'z>) {
        self.dyndns |= m.is_dyndns();
        if push_distinct(&mut self.matches, &mut self.match_set, m, |m| (m.zone, m.category)) {
            self.finished = false;
        }
    }

    /// Sorts the matches into the documented order and makes the output
    /// lists. Free when nothing was added since the last time (most
    /// records match nothing).
    #[inline]
    pub fn finish(&mut self) {
        if !self.finished {
            self.make_lists();
        }
    }

    fn make_lists(&mut self) {
        self.finished = true;
        let Hits { matches, lists, list_set, .. } = self;
        for l in lists.iter_mut() {
            l.clear();
        }
        if let [m] = matches[..] {
            // One match (the common hit): each list holds its one value.
            if !m.provider.is_empty() {
                lists[Field::Provider.index()].push(m.provider);
            }
            lists[Field::Zone.index()].push(m.zone);
            lists[Field::Category.index()].push(m.category);
            lists[Field::Tier.index()].push(m.tier.as_str());
            return;
        }
        matches.sort_unstable_by(|a, b| {
            (!a.is_dyndns(), a.zone, a.category).cmp(&(!b.is_dyndns(), b.zone, b.category))
        });
        for field in Field::ALL {
            let list = &mut lists[field.index()];
            for m in matches.iter() {
                let v = match field {
                    Field::IsDynDns => continue,
                    Field::Provider if m.provider.is_empty() => continue,
                    Field::Provider => m.provider,
                    Field::Zone => m.zone,
                    Field::Category => m.category,
                    Field::Tier => m.tier.as_str(),
                };
                push_distinct(list, list_set, v, |v| v);
            }
        }
    }

    /// True when nothing matched, not even a service host.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.matches.is_empty()
    }

    /// True when a match is a dynamic-DNS host (`isDynDNS=True`).
    #[inline]
    pub fn is_dyndns(&self) -> bool {
        self.dyndns
    }

    /// The distinct matches, in the documented order once finished.
    pub fn matches(&self) -> &[ZoneMatch<'z>] {
        &self.matches
    }

    /// The values of `field` for this record: one (`True` or `False`) for
    /// [`Field::IsDynDns`]; the distinct values, possibly none, for a list
    /// field. The hits must be [finished](Self::finish) (the
    /// [`Judge`](super::Judge) does that).
    #[inline]
    pub fn values(&self, field: Field) -> &[&'z str] {
        debug_assert!(self.finished, "Hits::values before finish");
        match field {
            Field::IsDynDns if self.dyndns => TRUE,
            Field::IsDynDns => FALSE,
            _ => &self.lists[field.index()],
        }
    }

    /// Appends `field`'s values joined by `sep` (a newline joins the values
    /// of one cell in CSV, as Splunk's own CSV export does).
    pub fn write_joined(&self, field: Field, sep: &[u8], out: &mut Vec<u8>) {
        for (i, v) in self.values(field).iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(sep);
            }
            out.extend_from_slice(v.as_bytes());
        }
    }

    /// `True` or `False`, as the `isDynDNS` field is written.
    pub fn is_dyndns_str(&self) -> &'static str {
        if self.dyndns {
            "True"
        } else {
            "False"
        }
    }
}

/// Appends `item` to `list` unless an item of the same key is there, and
/// says whether it did. The usual handful is scanned; past [`SCAN_MAX`] the
/// keys go into `seen`, so a record naming thousands of zones costs linear,
/// not quadratic, time. `seen` is only read once `list` is that long, and
/// is refilled each time a list grows past the limit, so it never needs
/// clearing.
#[inline]
fn push_distinct<T: Copy, K: Eq + std::hash::Hash>(
    list: &mut Vec<T>,
    seen: &mut HashSet<K>,
    item: T,
    key: impl Fn(T) -> K,
) -> bool {
    if list.len() < SCAN_MAX {
        if list.iter().any(|&x| key(x) == key(item)) {
            return false;
        }
        list.push(item);
        if list.len() == SCAN_MAX {
            seen.clear();
            seen.extend(list.iter().map(|&x| key(x)));
        }
        true
    } else if seen.insert(key(item)) {
        list.push(item);
        true
    } else {
        false
    }
}

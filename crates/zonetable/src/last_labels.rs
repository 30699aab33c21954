//! [`LastLabels`]: the zones' last labels as a 4,096-bit map, compiled
//! into each table for text mode's first test of a run.

use std::fmt;

/// A set of last labels (`org` of `duckdns.org`) that may give false
/// positives and never false negatives: a name whose last label is not in
/// the set lies below no zone of the set and is none of its names.
///
/// Text mode asks it before judging a run of host bytes: most dotted runs
/// in command lines (`chrome.exe`, `tmp4F2A.ps1`, `4.0.30319`) end in a
/// label no zone ends in, and this test is a hash of one short label
/// against a 4,096-bit map. The compiled-in tables carry theirs, so
/// nothing that grows with the zone list is built per process.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LastLabels(pub(crate) [u64; LastLabels::WORDS]);

impl fmt::Debug for LastLabels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set: u32 = self.0.iter().map(|w| w.count_ones()).sum();
        write!(f, "LastLabels({set} of {} bits)", 64 * Self::WORDS)
    }
}

impl Default for LastLabels {
    fn default() -> LastLabels {
        LastLabels([0; LastLabels::WORDS])
    }
}

impl LastLabels {
    /// Words of the bitmap.
    pub const WORDS: usize = 64;

    /// The bit of a label, ignoring ASCII case: FNV-1a over the bytes
    /// with the case bit set (which folds A-Z onto a-z and leaves digits,
    /// `-` and `.` alone; `_` meets DEL, which only costs a false
    /// positive), so a run's label is tested where it lies, uncopied.
    #[inline]
    fn bit(label: &[u8]) -> usize {
        let mut h: u32 = 0x811c_9dc5;
        for &b in label {
            h = (h ^ u32::from(b | 0x20)).wrapping_mul(0x0100_0193);
        }
        ((h ^ (h >> 16)) & 0xfff) as usize
    }

    /// Adds the last label of `name` (a lower-case name, no trailing dot).
    pub fn add_name(&mut self, name: &[u8]) {
        let label = name.rsplit(|&b| b == b'.').next().unwrap_or(name);
        let b = Self::bit(label);
        self.0[b / 64] |= 1 << (b % 64);
    }

    /// Adds every label of `other`.
    pub fn union(&mut self, other: &LastLabels) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }

    /// Whether `label` (any ASCII case) may be in the set: false only when
    /// no name added ends in it.
    #[inline]
    pub fn may_hold(&self, label: &[u8]) -> bool {
        let b = Self::bit(label);
        self.0[b / 64] & (1 << (b % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TableBuilder, ZoneInfo, ZoneTable};

    /// A last label added is found in any case; the map is as compiled
    /// code writes it; labels no zone ends in mostly miss.
    #[test]
    fn last_labels_have_no_false_negatives() {
        let mut b = TableBuilder::new();
        for z in ["duckdns.org", "ddns.net", "x-y.dyn_a.de", "a.b.xn--p1ai", "9.k12.ca"] {
            b.add(z, ZoneInfo::default()).unwrap();
        }
        let t = b.build();
        let l = t.last_labels();
        for label in ["org", "ORG", "Org", "net", "de", "xn--p1ai", "XN--P1AI", "ca"] {
            assert!(l.may_hold(label.as_bytes()), "{label}");
        }
        let junk = ["exe", "dll", "ps1", "0", "30319", "tmp", "log", "local", ""];
        let hits = junk.iter().filter(|j| l.may_hold(j.as_bytes())).count();
        assert!(hits <= 1, "{hits} of {junk:?} pass a map of 4 labels");
        let (_, src) = t.write_rust("t", "t.bin");
        assert!(src.contains(&format!("last_labels: {:?}", l.0)));
        assert_eq!(ZoneTable::empty().last_labels(), &LastLabels::default());
    }
}

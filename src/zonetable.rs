//! The zone hash table: an open-addressing table over zone names that can be
//! built at compile time (by `build.rs`, which includes this file) and then
//! used from static data with no parsing at start-up, or built at run time
//! from a CSV file.
//!
//! Layout: all zone names are concatenated into one byte blob; an [`Entry`]
//! names a zone by offset and length plus the index of its provider name;
//! `slots` is a power-of-two array of `entry index + 1` (0 = empty), probed
//! linearly from the zone's [`hash`].

use std::borrow::Cow;

/// One zone: where its name lies in the blob, and its provider's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Byte offset of the zone name in the blob.
    pub start: u32,
    /// Length of the zone name in bytes (a DNS name is at most 253).
    pub len: u16,
    /// Index into the provider-name list; 0 is the empty name (unknown).
    pub provider: u16,
    /// The zone's tier: [`CORE`] or [`EXTENDED`].
    pub tier: u8,
}

/// Tier of zones with provider-owned or curated evidence.
pub const CORE: u8 = 0;
/// Tier of the long tail (the FreeDNS shared-domain registry, lists
/// without provenance).
pub const EXTENDED: u8 = 1;

/// Parses a tier name (`core`, `extended`; empty means core).
pub fn parse_tier(name: &str) -> Option<u8> {
    match name.trim() {
        "" | "core" => Some(CORE),
        "extended" => Some(EXTENDED),
        _ => None,
    }
}

/// The zone hash, fixed so that a table built by `build.rs` is valid at run
/// time. It reads the name in 8-byte words aligned to the name's **end**:
/// every suffix of a host shares the host's end, so one right-to-left pass
/// over a host's words yields the hash of each suffix
/// ([`for_each_suffix`]) instead of rehashing each one byte by byte, and a
/// word costs one multiply where FNV pays one per byte.
#[inline]
pub fn hash(name: &[u8]) -> u64 {
    let mut h = SEED;
    let mut end = name.len();
    while end >= 8 {
        h = mix(h, load(&name[end - 8..end]));
        end -= 8;
    }
    // The leading partial word, its bytes in the low bytes.
    let mut w = 0;
    for (i, &b) in name[..end].iter().enumerate() {
        w |= u64::from(b) << (8 * i);
    }
    finish(h, w, name.len())
}

const SEED: u64 = 0x243f_6a88_85a3_08d3;
const K: u64 = 0x9e37_79b9_7f4a_7c15;
const ONES: u64 = 0x0101_0101_0101_0101;

#[inline]
fn load(bytes: &[u8]) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

#[inline]
fn mix(h: u64, w: u64) -> u64 {
    (h ^ w).wrapping_mul(K).rotate_left(31)
}

#[inline]
fn finish(h: u64, partial: u64, len: usize) -> u64 {
    // The length tells names with leading zero bytes apart; murmur3's
    // finaliser spreads the result to the low bits (slot) and the high
    // bits (tag).
    let mut x = mix(h, partial) ^ len as u64;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// Calls `f(start, hash)` for each suffix `host[start..]` that begins after
/// a dot, holds at least two labels and is at most `max_len` bytes long,
/// from the shortest to the longest; `hash` is that suffix's [`hash`].
/// The whole host is never a candidate (a zone's apex does not match).
#[inline]
pub fn for_each_suffix(host: &[u8], max_len: usize, mut f: impl FnMut(usize, u64)) {
    let len = host.len();
    let mut h = SEED;
    let mut labels = 0;
    let mut k = 0;
    // Window k covers host[len - 8k - 8 .. len - 8k], zero-padded on the
    // left at the start of the host.
    while 8 * k < len {
        let end = len - 8 * k;
        let w = if end >= 8 {
            load(&host[end - 8..end])
        } else {
            let mut pad = [0; 8];
            pad[8 - end..].copy_from_slice(&host[..end]);
            u64::from_le_bytes(pad)
        };
        // Exact per-byte test for '.': the high bit of each byte that is a dot.
        let x = w ^ (ONES * u64::from(b'.'));
        let low7 = ONES * 0x7f;
        let mut dots = !(((x & low7) + low7) | x | low7);
        while dots != 0 {
            let t = (63 - dots.leading_zeros()) / 8;
            dots &= !(0x80 << (8 * t));
            labels += 1;
            // The suffix after the dot at host[end - 8 + t].
            let m = 8 * (k + 1) - 1 - t as usize;
            if m > max_len {
                return;
            }
            if labels > 1 {
                let r = m - 8 * k;
                let partial = if r == 0 { 0 } else { w >> (64 - 8 * r) };
                f(len - m, finish(h, partial, m));
            }
        }
        h = mix(h, w);
        k += 1;
    }
}

/// Bits of a slot that hold `entry index + 1` for a table of `entries`
/// entries; the bits above hold a tag (the hash's top bits), so a probe
/// that misses rarely has to read the entry and the name.
pub fn index_bits(entries: usize) -> u32 {
    (usize::BITS - (entries + 1).leading_zeros()).max(1)
}

/// A finished table, borrowing static data or owning run-time data.
#[derive(Clone, Debug)]
pub struct ZoneTable {
    /// All zone names, concatenated.
    pub blob: Cow<'static, [u8]>,
    /// One entry per zone, in insertion order.
    pub entries: Cow<'static, [Entry]>,
    /// Open-addressing slots: `entry index + 1`, or 0 when empty.
    pub slots: Cow<'static, [u32]>,
    /// Provider names; index 0 is always `""`.
    pub providers: Cow<'static, [Cow<'static, str>]>,
    /// Length of the longest zone name, so longer suffixes are never probed.
    pub max_len: usize,
    /// Low bits of a slot that hold the entry index ([`index_bits`]).
    pub index_bits: u32,
}

impl ZoneTable {
    /// Looks up an exact zone name (lower-case, no trailing dot).
    #[inline]
    pub fn get(&self, zone: &[u8]) -> Option<Entry> {
        if zone.len() > self.max_len || self.slots.is_empty() {
            return None;
        }
        self.get_hashed(zone, hash(zone))
    }

    /// Looks up `zone` whose [`hash`] is `h` (the caller checked `max_len`).
    #[inline]
    pub fn get_hashed(&self, zone: &[u8], h: u64) -> Option<Entry> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let idx_mask = slot_index_mask(self.index_bits);
        let tag = slot_tag(h, self.index_bits);
        let mut i = h as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return None;
            }
            if slot & !idx_mask == tag {
                let e = self.entries[(slot & idx_mask) as usize - 1];
                let start = e.start as usize;
                if &self.blob[start..start + e.len as usize] == zone {
                    return Some(e);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// The zone name of an entry.
    #[inline]
    pub fn zone_name(&self, e: Entry) -> &str {
        let start = e.start as usize;
        // Zone names are validated ASCII when the table is built.
        std::str::from_utf8(&self.blob[start..start + e.len as usize]).unwrap_or("")
    }

    /// The provider name of an entry (`""` when unknown).
    #[inline]
    pub fn provider_name(&self, e: Entry) -> &str {
        self.providers.get(e.provider as usize).map(|p| p.as_ref()).unwrap_or("")
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the table holds no zone.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn slot_index_mask(index_bits: u32) -> u32 {
    u32::MAX >> (32 - index_bits.clamp(1, 32))
}

/// The tag bits of a slot for hash `h`: the hash's top bits, placed above
/// the index bits (none when the index needs all 32).
fn slot_tag(h: u64, index_bits: u32) -> u32 {
    if index_bits >= 32 {
        0
    } else {
        ((h >> 32) as u32) << index_bits
    }
}

/// Collects zones and builds a [`ZoneTable`]. A zone added twice keeps the
/// provider given last, so later files can override earlier ones.
#[derive(Debug, Default)]
pub struct TableBuilder {
    blob: Vec<u8>,
    entries: Vec<Entry>,
    providers: Vec<String>,
    index: std::collections::HashMap<Vec<u8>, usize>,
    provider_index: std::collections::HashMap<String, u16>,
}

/// Why a zone could not be added to a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddError {
    /// The name is not `label(.label)+` of `[a-z0-9_-]{1,63}` labels, at
    /// most 253 bytes, with a non-numeric last label.
    BadZone,
    /// More than 65,535 distinct provider names.
    TooManyProviders,
    /// The blob would exceed 4 GiB.
    TooLarge,
}

impl TableBuilder {
    /// An empty builder.
    pub fn new() -> TableBuilder {
        TableBuilder { providers: vec![String::new()], ..TableBuilder::default() }
    }

    /// Adds (or overrides) a zone with its provider name (may be empty)
    /// and tier.
    pub fn add(&mut self, zone: &str, provider: &str, tier: u8) -> Result<(), AddError> {
        if !is_valid_zone(zone.as_bytes()) {
            return Err(AddError::BadZone);
        }
        let provider = match self.provider_index.get(provider) {
            Some(&i) => i,
            None if provider.is_empty() => 0,
            None => {
                let i =
                    u16::try_from(self.providers.len()).map_err(|_| AddError::TooManyProviders)?;
                self.providers.push(provider.to_string());
                self.provider_index.insert(provider.to_string(), i);
                i
            }
        };
        if let Some(&i) = self.index.get(zone.as_bytes()) {
            self.entries[i].provider = provider;
            self.entries[i].tier = tier;
            return Ok(());
        }
        let start = u32::try_from(self.blob.len()).map_err(|_| AddError::TooLarge)?;
        self.blob.extend_from_slice(zone.as_bytes());
        self.index.insert(zone.as_bytes().to_vec(), self.entries.len());
        // Length fits: is_valid_zone bounds it to 253.
        self.entries.push(Entry { start, len: zone.len() as u16, provider, tier });
        Ok(())
    }

    /// Builds the table: slots are at least twice the number of zones.
    pub fn build(self) -> ZoneTable {
        let size = (self.entries.len() * 2).max(8).next_power_of_two();
        let mask = size - 1;
        let index_bits = index_bits(self.entries.len());
        let mut slots = vec![0u32; size];
        let mut max_len = 0;
        for (n, e) in self.entries.iter().enumerate() {
            let start = e.start as usize;
            let name = &self.blob[start..start + e.len as usize];
            max_len = max_len.max(name.len());
            let h = hash(name);
            let mut i = h as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = (n as u32 + 1) | slot_tag(h, index_bits);
        }
        ZoneTable {
            blob: Cow::Owned(self.blob),
            entries: Cow::Owned(self.entries),
            slots: Cow::Owned(slots),
            providers: Cow::Owned(self.providers.into_iter().map(Cow::Owned).collect()),
            max_len,
            index_bits,
        }
    }
}

/// Whether `name` is a well-formed zone: lower-case `label(.label)+`, labels
/// of 1 to 63 bytes from `[a-z0-9_-]`, at most 253 bytes, and a last label
/// that is not all digits (so no IP literal or numeric TLD).
pub fn is_valid_zone(name: &[u8]) -> bool {
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    let mut labels = 0;
    let mut last_numeric = false;
    for label in name.split(|&b| b == b'.') {
        if label.is_empty() || label.len() > 63 {
            return false;
        }
        if !label
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return false;
        }
        labels += 1;
        last_numeric = label.iter().all(u8::is_ascii_digit);
    }
    labels >= 2 && !last_numeric
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hashes of one pass equal each suffix hashed on its own, for
    /// every length and dot position around the 8-byte word edges.
    #[test]
    fn suffix_hashes_match_standalone_hashes() {
        let labels = ["a", "bc", "defg", "hijklmn", "opqrstuv", "wxyz0123456789", "x"];
        let mut hosts = Vec::new();
        for i in 0..labels.len() {
            for j in 0..labels.len() {
                for k in 0..labels.len() {
                    hosts.push(format!(
                        "{}.{}.{}.{}.org",
                        labels[i], labels[j], labels[k], labels[j]
                    ));
                    hosts.push(format!("{}.{}", labels[i], labels[k]));
                }
            }
        }
        for host in &hosts {
            let host = host.as_bytes();
            let mut want = Vec::new();
            let dots: Vec<usize> = (0..host.len()).filter(|&i| host[i] == b'.').collect();
            for &d in dots.iter().rev().skip(1) {
                want.push((d + 1, hash(&host[d + 1..])));
            }
            for max_len in [usize::MAX, 12] {
                let mut got = Vec::new();
                for_each_suffix(host, max_len, |s, h| got.push((s, h)));
                let want: Vec<_> =
                    want.iter().copied().filter(|&(s, _)| host.len() - s <= max_len).collect();
                assert_eq!(got, want, "{}", String::from_utf8_lossy(host));
            }
        }
    }

    #[test]
    fn tagged_slots_find_every_zone() {
        let mut b = TableBuilder::new();
        for i in 0..5000 {
            b.add(&format!("z{i}.example"), "P", CORE).unwrap();
        }
        let t = b.build();
        for i in 0..5000 {
            assert!(t.get(format!("z{i}.example").as_bytes()).is_some());
            assert!(t.get(format!("y{i}.example").as_bytes()).is_none());
        }
    }
}

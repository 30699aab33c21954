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
/// time. It reads the name **right to left**, so one pass over a host gives
/// the hash of every suffix ([`SuffixHasher::value`] at each dot) instead
/// of rehashing each suffix; bytes are packed eight to a word and mixed by
/// one multiply per word, which is cheaper than FNV's multiply per byte.
#[inline]
pub fn hash(bytes: &[u8]) -> u64 {
    let mut s = SuffixHasher::new();
    for &b in bytes.iter().rev() {
        s.feed(b);
    }
    s.value()
}

/// Incremental [`hash`] over a name fed from its last byte to its first.
#[derive(Clone, Copy, Debug)]
pub struct SuffixHasher {
    h: u64,
    w: u64,
    n: u64,
}

const K: u64 = 0x9e37_79b9_7f4a_7c15;

impl Default for SuffixHasher {
    fn default() -> Self {
        SuffixHasher::new()
    }
}

impl SuffixHasher {
    /// The hasher of the empty name.
    #[inline]
    pub const fn new() -> SuffixHasher {
        SuffixHasher { h: 0x243f_6a88_85a3_08d3, w: 0, n: 0 }
    }

    /// Prepends one byte to the name hashed so far.
    #[inline]
    pub fn feed(&mut self, b: u8) {
        self.w = (self.w << 8) | u64::from(b);
        self.n += 1;
        if self.n % 8 == 0 {
            self.h = (self.h ^ self.w).wrapping_mul(K);
            self.w = 0;
        }
    }

    /// The [`hash`] of the bytes fed so far.
    #[inline]
    pub fn value(&self) -> u64 {
        // The length tells "ab" from "\0ab"; murmur3's finaliser spreads
        // the result to the low bits (slot) and the high bits (tag).
        let mut x = (self.h ^ self.w).wrapping_mul(K) ^ self.n;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
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

/*!
The zone hash table of `dynamicdns`: an open-addressing table over zone
names that `build.rs` builds at compile time and the engine then uses from
static data, with no parsing at start-up; the same table is built at run
time from the local zone files.

Layout: all zone names are concatenated into one byte blob; an [`Entry`]
names a zone by offset and length, plus the indexes of its provider name,
category and source list (each interned once per table) and its [`Tier`];
the slots are a power-of-two array of `entry index + 1`
(0 = empty) with a tag from the hash in the bits above the index, probed
linearly from the zone's [`hash`].

Invariants (kept by [`TableBuilder`], the only way to make a table from
outside this crate besides the generated code of [`ZoneTable::write_rust`]):
every slot's index names an entry, every entry's name lies in the blob and
is a valid zone ([`name::is_valid_zone`]), every provider, category and
sources index names one, and a zone appears once.

The hash is aligned to the **end** of a name so that one right-to-left pass
over a host yields the hash of every suffix ([`for_each_suffix`]): the
longest-suffix match costs one pass, not one rehash per suffix. The crate
has no dependencies because the engine's `build.rs` compiles it first.
*/
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod last_labels;
pub mod name;

pub use last_labels::LastLabels;

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// The evidence tier of a zone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Tier {
    /// Zones with provider-owned or curated evidence (precision).
    #[default]
    Core = 0,
    /// The long tail: the FreeDNS shared-domain registry and lists without
    /// provenance (recall).
    Extended = 1,
}

impl Tier {
    /// Parses a tier name as the zone files write it: `core`, `extended`,
    /// or empty (core); surrounding white space is ignored.
    pub fn parse(name: &str) -> Option<Tier> {
        match name.trim() {
            "" | "core" => Some(Tier::Core),
            "extended" => Some(Tier::Extended),
            _ => None,
        }
    }

    /// The tier's name: `core` or `extended`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Core => "core",
            Tier::Extended => "extended",
        }
    }
}

/// One zone of a [`ZoneTable`]: where its name lies, the indexes of its
/// provider, category and sources, and its tier (12 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    start: u32,
    len: u16,
    provider: u16,
    sources: u16,
    category: u8,
    tier: Tier,
}

impl Entry {
    /// An entry from its raw parts, for the code [`ZoneTable::write_rust`]
    /// generates; nothing else should call it.
    #[doc(hidden)]
    pub const fn from_parts(
        start: u32,
        len: u16,
        provider: u16,
        sources: u16,
        category: u8,
        tier: Tier,
    ) -> Entry {
        Entry { start, len, provider, sources, category, tier }
    }

    /// The zone's tier.
    #[inline]
    pub fn tier(self) -> Tier {
        self.tier
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
///
/// Returns the whole host's [`hash`] when the walk reached the host's start
/// (it stops at the first suffix longer than `max_len`), so a caller can
/// look the host itself up in another table without hashing it again.
#[inline]
pub fn for_each_suffix(host: &[u8], max_len: usize, mut f: impl FnMut(usize, u64)) -> Option<u64> {
    let len = host.len();
    let mut h = SEED;
    let (mut prev_h, mut last_w) = (SEED, 0);
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
                return None;
            }
            if labels > 1 {
                let r = m - 8 * k;
                let partial = if r == 0 { 0 } else { w >> (64 - 8 * r) };
                f(len - m, finish(h, partial, m));
            }
        }
        (prev_h, last_w) = (h, w);
        h = mix(h, w);
        k += 1;
    }
    // The whole host: its last window holds r = len - 8(k - 1) bytes.
    Some(match len.checked_sub(8 * k.max(1) - 8) {
        None | Some(0) => finish(SEED, 0, 0),
        Some(8) => finish(h, 0, len),
        Some(r) => finish(prev_h, last_w >> (64 - 8 * r), len),
    })
}

/// Bits of a slot that hold `entry index + 1` for a table of `entries`
/// entries; the bits above hold a tag (the hash's top bits), so a probe
/// that misses rarely has to read the entry and the name.
fn index_bits(entries: usize) -> u32 {
    (usize::BITS - (entries + 1).leading_zeros()).max(1)
}

/// A finished table, borrowing static data or owning run-time data.
#[derive(Clone, Debug)]
pub struct ZoneTable {
    /// All zone names, concatenated.
    blob: Cow<'static, [u8]>,
    /// One entry per zone, in insertion order.
    entries: Cow<'static, [Entry]>,
    /// Open-addressing slots: `entry index + 1` plus a tag, or 0 when empty.
    slots: Cow<'static, [u32]>,
    /// Provider names; index 0 is always `""`.
    providers: Cow<'static, [Cow<'static, str>]>,
    /// Category names; index 0 is always `""`.
    categories: Cow<'static, [Cow<'static, str>]>,
    /// Source lists (`;`-joined); index 0 is always `""`.
    sources: Cow<'static, [Cow<'static, str>]>,
    /// Length of the longest zone name, so longer suffixes are never probed.
    max_len: usize,
    /// Low bits of a slot that hold the entry index ([`index_bits`]).
    index_bits: u32,
    /// The zones' last labels, so a scan can pass over a name no zone can
    /// end it without looking it up.
    last_labels: LastLabels,
}

/// The parts of a table as [`ZoneTable::write_rust`] writes them into
/// generated code; only that code should build one.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct StaticParts {
    /// See [`ZoneTable`].
    pub blob: &'static [u8],
    /// See [`ZoneTable`].
    pub entries: &'static [Entry],
    /// See [`ZoneTable`].
    pub slots: &'static [u32],
    /// See [`ZoneTable`].
    pub providers: &'static [Cow<'static, str>],
    /// See [`ZoneTable`].
    pub categories: &'static [Cow<'static, str>],
    /// See [`ZoneTable`].
    pub sources: &'static [Cow<'static, str>],
    /// See [`ZoneTable`].
    pub max_len: usize,
    /// See [`ZoneTable`].
    pub index_bits: u32,
    /// See [`ZoneTable`].
    pub last_labels: [u64; LastLabels::WORDS],
}

impl ZoneTable {
    /// The table written by [`write_rust`](Self::write_rust), from its
    /// static parts: no copy, no parsing.
    #[doc(hidden)]
    pub fn from_static(p: StaticParts) -> ZoneTable {
        ZoneTable {
            blob: Cow::Borrowed(p.blob),
            entries: Cow::Borrowed(p.entries),
            slots: Cow::Borrowed(p.slots),
            providers: Cow::Borrowed(p.providers),
            categories: Cow::Borrowed(p.categories),
            sources: Cow::Borrowed(p.sources),
            max_len: p.max_len,
            index_bits: p.index_bits,
            last_labels: LastLabels(p.last_labels),
        }
    }

    /// A table with no zone.
    pub fn empty() -> ZoneTable {
        TableBuilder::new().build()
    }

    /// Looks up an exact zone name (lower-case, no trailing dot).
    #[inline]
    pub fn get(&self, zone: &[u8]) -> Option<Entry> {
        self.position(zone).map(|i| self.entries[i])
    }

    /// The index of an exact zone name among [`entries`](Self::entries),
    /// for data kept beside the table.
    #[inline]
    pub fn position(&self, zone: &[u8]) -> Option<usize> {
        if zone.len() > self.max_len || self.slots.is_empty() {
            return None;
        }
        self.position_hashed(zone, hash(zone))
    }

    /// Looks up `zone` whose [`hash`] is `h` (the caller checked
    /// [`max_len`](Self::max_len)).
    #[inline]
    pub fn get_hashed(&self, zone: &[u8], h: u64) -> Option<Entry> {
        self.position_hashed(zone, h).map(|i| self.entries[i])
    }

    /// The index of `zone` whose [`hash`] is `h` (the caller checked
    /// [`max_len`](Self::max_len)).
    #[inline]
    pub fn position_hashed(&self, zone: &[u8], h: u64) -> Option<usize> {
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
                let i = (slot & idx_mask) as usize - 1;
                let e = self.entries[i];
                let start = e.start as usize;
                if &self.blob[start..start + e.len as usize] == zone {
                    return Some(i);
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

    /// The category of an entry (`""` when the list gives none).
    #[inline]
    pub fn category_name(&self, e: Entry) -> &str {
        self.categories.get(e.category as usize).map(|p| p.as_ref()).unwrap_or("")
    }

    /// Everything the table records about an entry besides its name.
    #[inline]
    pub fn info(&self, e: Entry) -> ZoneInfo<'_> {
        fn name<'a>(list: &'a [Cow<'static, str>], i: usize) -> &'a str {
            list.get(i).map(|p| p.as_ref()).unwrap_or("")
        }
        ZoneInfo {
            provider: name(&self.providers, e.provider as usize),
            category: name(&self.categories, e.category as usize),
            tier: e.tier,
            sources: name(&self.sources, e.sources as usize),
        }
    }

    /// The entry at index `i` (as [`position`](Self::position) returns
    /// it). Panics when `i` is out of range.
    #[inline]
    pub fn entry(&self, i: usize) -> Entry {
        self.entries[i]
    }

    /// Every entry, in insertion (index) order.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = Entry> + '_ {
        self.entries.iter().copied()
    }

    /// Length of the longest zone name (0 when empty): no suffix longer
    /// than this can match.
    #[inline]
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The last labels of the table's zones (their top-level domains).
    pub fn last_labels(&self) -> &LastLabels {
        &self.last_labels
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the table holds no zone.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes the table as Rust source for `build.rs`: the blob goes to the
    /// file `blob_file` (included with `include_bytes!` from `OUT_DIR`), and
    /// the returned source defines `fn table() -> ZoneTable`, to be
    /// `include!`d where `dynamicdns_zonetable` is a dependency.
    pub fn write_rust(&self, fn_name: &str, blob_file: &str) -> (Vec<u8>, String) {
        let mut src = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_rust_to(fn_name, blob_file, &mut src);
        (self.blob.to_vec(), src)
    }

    fn write_rust_to(&self, fn_name: &str, blob_file: &str, src: &mut String) -> fmt::Result {
        let zt = "::dynamicdns_zonetable";
        writeln!(src, "/// A table compiled into the binary by build.rs.")?;
        writeln!(src, "pub(crate) fn {fn_name}() -> {zt}::ZoneTable {{")?;
        writeln!(
            src,
            "static BLOB: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{blob_file}\"));"
        )?;
        writeln!(src, "static ENTRIES: &[{zt}::Entry] = &[")?;
        for e in self.entries.iter() {
            writeln!(
                src,
                "{zt}::Entry::from_parts({},{},{},{},{},{zt}::Tier::{:?}),",
                e.start, e.len, e.provider, e.sources, e.category, e.tier
            )?;
        }
        writeln!(src, "];\nstatic SLOTS: &[u32] = &[")?;
        for chunk in self.slots.chunks(32) {
            for s in chunk {
                write!(src, "{s},")?;
            }
            writeln!(src)?;
        }
        writeln!(src, "];")?;
        for (name, list) in [
            ("PROVIDERS", &self.providers),
            ("CATEGORIES", &self.categories),
            ("SOURCES", &self.sources),
        ] {
            writeln!(src, "static {name}: &[::std::borrow::Cow<'static, str>] = &[")?;
            for p in list.iter() {
                writeln!(src, "::std::borrow::Cow::Borrowed({:?}),", p.as_ref())?;
            }
            writeln!(src, "];")?;
        }
        writeln!(
            src,
            "{zt}::ZoneTable::from_static({zt}::StaticParts {{ blob: BLOB, entries: ENTRIES, \
             slots: SLOTS, providers: PROVIDERS, categories: CATEGORIES, sources: SOURCES, \
             max_len: {}, index_bits: {}, last_labels: {:?} }})\n}}",
            self.max_len, self.index_bits, self.last_labels.0
        )
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

/// What a table records about a zone besides its name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZoneInfo<'a> {
    /// The provider's name (`""` when no source names one).
    pub provider: &'a str,
    /// The category (`ddns`, `vendor-ddns`, …; `""` when not given).
    pub category: &'a str,
    /// The evidence tier.
    pub tier: Tier,
    /// The sources naming the zone, `;`-joined (`""` when not given).
    pub sources: &'a str,
}

/// Distinct strings, each stored once; index 0 is `""`.
#[derive(Debug)]
struct Interner {
    names: Vec<String>,
    index: std::collections::HashMap<String, usize>,
}

impl Default for Interner {
    fn default() -> Interner {
        Interner { names: vec![String::new()], index: Default::default() }
    }
}

impl Interner {
    /// The index of `name`, added if new; `None` past `max`.
    fn intern(&mut self, name: &str, max: usize) -> Option<usize> {
        if name.is_empty() {
            return Some(0);
        }
        if let Some(&i) = self.index.get(name) {
            return Some(i);
        }
        let i = self.names.len();
        if i > max {
            return None;
        }
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        Some(i)
    }

    fn into_static(self) -> Cow<'static, [Cow<'static, str>]> {
        Cow::Owned(self.names.into_iter().map(Cow::Owned).collect())
    }
}

/// Collects zones and builds a [`ZoneTable`]. A zone added twice keeps the
/// information given last, so later files can override earlier ones.
#[derive(Debug, Default)]
pub struct TableBuilder {
    blob: Vec<u8>,
    entries: Vec<Entry>,
    providers: Interner,
    categories: Interner,
    sources: Interner,
    index: std::collections::HashMap<Vec<u8>, usize>,
}

/// Why a zone could not be added to a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddError {
    /// The name is not a well-formed zone.
    BadZone(name::NameProblem),
    /// More distinct names of one kind than an entry can index: the kind
    /// (provider names, categories or source lists) and the most a table
    /// holds.
    TooManyNames(&'static str, usize),
    /// The blob would exceed 4 GiB.
    TooLarge,
}

impl fmt::Display for AddError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddError::BadZone(p) => write!(f, "the zone {p}"),
            AddError::TooManyNames(what, max) => {
                write!(f, "more than {max} distinct {what}, the most a zone table holds")
            }
            AddError::TooLarge => write!(f, "the zone names exceed 4 GiB"),
        }
    }
}

impl std::error::Error for AddError {}

impl TableBuilder {
    /// An empty builder.
    pub fn new() -> TableBuilder {
        TableBuilder::default()
    }

    /// Adds (or overrides) a zone with what is known about it.
    pub fn add(&mut self, zone: &str, info: ZoneInfo<'_>) -> Result<(), AddError> {
        if let Some(p) = name::problem(zone.as_bytes()) {
            return Err(AddError::BadZone(p));
        }
        let provider = self
            .providers
            .intern(info.provider, u16::MAX.into())
            .ok_or(AddError::TooManyNames("provider names", u16::MAX.into()))?
            as u16;
        let category =
            self.categories
                .intern(info.category, u8::MAX.into())
                .ok_or(AddError::TooManyNames("categories", u8::MAX.into()))? as u8;
        let sources = self
            .sources
            .intern(info.sources, u16::MAX.into())
            .ok_or(AddError::TooManyNames("source lists", u16::MAX.into()))?
            as u16;
        let tier = info.tier;
        if let Some(&i) = self.index.get(zone.as_bytes()) {
            let e = &mut self.entries[i];
            (e.provider, e.category, e.sources, e.tier) = (provider, category, sources, tier);
            return Ok(());
        }
        let start = u32::try_from(self.blob.len()).map_err(|_| AddError::TooLarge)?;
        self.blob.extend_from_slice(zone.as_bytes());
        self.index.insert(zone.as_bytes().to_vec(), self.entries.len());
        // Length fits: a valid zone has at most 253 bytes.
        let len = zone.len() as u16;
        self.entries.push(Entry { start, len, provider, sources, category, tier });
        Ok(())
    }

    /// Builds the table: slots are at least twice the number of zones.
    pub fn build(self) -> ZoneTable {
        let size = (self.entries.len() * 2).max(8).next_power_of_two();
        let mask = size - 1;
        let index_bits = index_bits(self.entries.len());
        let mut slots = vec![0u32; size];
        let mut max_len = 0;
        let mut last_labels = LastLabels::default();
        for (n, e) in self.entries.iter().enumerate() {
            let start = e.start as usize;
            let name = &self.blob[start..start + e.len as usize];
            max_len = max_len.max(name.len());
            last_labels.add_name(name);
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
            providers: self.providers.into_static(),
            categories: self.categories.into_static(),
            sources: self.sources.into_static(),
            max_len,
            index_bits,
            last_labels,
        }
    }
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
                    hosts.push(labels[i].repeat(k + 1));
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
                let whole = for_each_suffix(host, max_len, |s, h| got.push((s, h)));
                let reached = dots.iter().all(|&d| host.len() - d - 1 <= max_len);
                assert_eq!(
                    whole,
                    reached.then(|| hash(host)),
                    "{}",
                    String::from_utf8_lossy(host)
                );
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
            b.add(&format!("z{i}.example"), ZoneInfo { provider: "P", ..ZoneInfo::default() })
                .unwrap();
        }
        let t = b.build();
        for i in 0..5000 {
            assert!(t.get(format!("z{i}.example").as_bytes()).is_some());
            assert!(t.get(format!("y{i}.example").as_bytes()).is_none());
        }
    }
}

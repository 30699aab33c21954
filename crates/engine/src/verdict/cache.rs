//! The verdicts of recently seen host-mode values (see [`VerdictCache`]).

use crate::zoneset::MatchId;

/// Longest value [`VerdictCache`] keeps.
pub(super) const CACHED_LEN: usize = 40;
/// log2 of the cache's slots.
const CACHE_BITS: u32 = 12;

/// The verdicts of recently seen values, by their exact bytes: DNS logs
/// repeat names (in the benchmark stream a 4,096-slot cache answers 62 % of
/// the values), and a hit skips host extraction, the suffix hashing and the
/// zone table's cache misses. Direct-mapped: a value goes to one slot, a
/// newer value in that slot replaces it. Values longer than
/// [`CACHED_LEN`] are not kept. The zones cannot change while a judge
/// lives, so a kept verdict is always the one the zone set gives.
pub(super) struct VerdictCache {
    slots: Vec<Slot>,
}

#[derive(Clone, Copy)]
pub(super) struct Slot {
    /// `len + 1`; 0 for an empty slot.
    len: u8,
    key: [u8; CACHED_LEN],
    verdict: Option<MatchId>,
}

impl std::fmt::Debug for VerdictCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let used = self.slots.iter().filter(|s| s.len > 0).count();
        write!(f, "VerdictCache({used} of {} slots)", self.slots.len())
    }
}

impl VerdictCache {
    pub(super) fn new() -> VerdictCache {
        VerdictCache { slots: Vec::new() }
    }

    /// The verdict of `value`: the kept one, or `judge`'s (then kept) when
    /// the value is not there. Values longer than [`CACHED_LEN`] are judged
    /// every time.
    #[inline]
    pub(super) fn get_or_judge(
        &mut self,
        value: &[u8],
        judge: impl FnOnce(&[u8]) -> Option<MatchId>,
    ) -> Option<MatchId> {
        if value.len() > CACHED_LEN {
            return judge(value);
        }
        let slot = self.slot(value);
        if !slot.holds(value) {
            slot.verdict = judge(value);
            slot.key[..value.len()].copy_from_slice(value);
            slot.len = value.len() as u8 + 1;
        }
        slot.verdict
    }

    /// The slot of `value`, which must be at most [`CACHED_LEN`] bytes.
    #[inline]
    fn slot(&mut self, value: &[u8]) -> &mut Slot {
        if self.slots.is_empty() {
            let empty = Slot { len: 0, key: [0; CACHED_LEN], verdict: None };
            self.slots = vec![empty; 1 << CACHE_BITS];
        }
        // FxHash-style over 8-byte words, then the top bits.
        let mut h = value.len() as u64;
        for word in value.chunks(8) {
            let mut w = [0u8; 8];
            w[..word.len()].copy_from_slice(word);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        &mut self.slots[(h >> (64 - CACHE_BITS)) as usize]
    }
}

impl Slot {
    #[inline]
    fn holds(&self, value: &[u8]) -> bool {
        usize::from(self.len) == value.len() + 1 && self.key[..value.len()] == *value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cache's footprint (what keeps it in L2 beside the zone table):
    /// a slot is the key, its length and an 8-byte match id.
    #[test]
    fn cache_slots_are_small() {
        assert_eq!(std::mem::size_of::<Option<MatchId>>(), 8);
        assert_eq!(std::mem::size_of::<Slot>(), 56);
    }
}

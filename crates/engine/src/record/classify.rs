//! Classifying 64 input bytes at a time into bit masks: the [`Window`] of
//! quotes, commas and line ends (AVX2, SSE2 or portable) and the structural
//! mask of the exact scan.

#[cfg(doc)]
use super::RecordScanner;

/// One 64-byte window's quote, comma, LF and CR bytes: bit `i` for byte
/// `i` (bytes past the end of the input are none of them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Window {
    pub(super) quote: u64,
    pub(super) comma: u64,
    pub(super) lf: u64,
    pub(super) cr: u64,
}

/// Whether this CPU has AVX2 and the bit instructions the AVX2 scan is
/// compiled with (checked once per scanner; std caches the answer).
pub(super) fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        has!("avx2") && has!("popcnt") && has!("bmi1") && has!("lzcnt")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A way to classify 64 bytes into a [`Window`].
pub(super) trait Classify {
    fn classify(bytes: &[u8; 64]) -> Window;
}

/// AVX2; only used inside [`RecordScanner::scan_fast_avx2`].
#[cfg(target_arch = "x86_64")]
pub(super) struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Classify for Avx2 {
    #[inline(always)]
    fn classify(bytes: &[u8; 64]) -> Window {
        // SAFETY: only called from code compiled for (and run on) CPUs with
        // AVX2 (`scan_fast_avx2`).
        unsafe { classify_avx2(bytes) }
    }
}

/// SSE2, the x86-64 baseline.
#[cfg(target_arch = "x86_64")]
pub(super) struct Sse2;

#[cfg(target_arch = "x86_64")]
impl Classify for Sse2 {
    #[inline(always)]
    fn classify(bytes: &[u8; 64]) -> Window {
        classify_sse2(bytes)
    }
}

/// One byte at a time.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(super) struct Portable;

impl Classify for Portable {
    #[inline(always)]
    fn classify(bytes: &[u8; 64]) -> Window {
        classify_portable(bytes)
    }
}

/// Classifies 64 bytes with AVX2 when `avx2`, else SSE2 (x86-64) or
/// portably; for tests.
#[cfg(test)]
pub(super) fn classify(bytes: &[u8; 64], avx2: bool) -> Window {
    #[cfg(target_arch = "x86_64")]
    {
        if avx2 {
            return Avx2::classify(bytes);
        }
        Sse2::classify(bytes)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = avx2;
        Portable::classify(bytes)
    }
}

/// [`classify`] with AVX2, 32 bytes at a time.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn classify_avx2(bytes: &[u8; 64]) -> Window {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };
    let mut w = Window::default();
    // SAFETY: AVX2 is available (the caller's contract); each unaligned load
    // reads 32 of the 64 bytes of `bytes`.
    unsafe {
        let [quote, comma, lf, cr] = [b'"', b',', b'\n', b'\r'].map(|b| _mm256_set1_epi8(b as i8));
        for k in 0..2 {
            let v = _mm256_loadu_si256(bytes.as_ptr().add(32 * k).cast::<__m256i>());
            let bits = |m| u64::from(_mm256_movemask_epi8(m) as u32) << (32 * k);
            w.quote |= bits(_mm256_cmpeq_epi8(v, quote));
            w.comma |= bits(_mm256_cmpeq_epi8(v, comma));
            w.lf |= bits(_mm256_cmpeq_epi8(v, lf));
            w.cr |= bits(_mm256_cmpeq_epi8(v, cr));
        }
    }
    w
}

/// [`classify`] with SSE2 (part of every x86-64), 16 bytes at a time.
#[cfg(target_arch = "x86_64")]
#[inline]
fn classify_sse2(bytes: &[u8; 64]) -> Window {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut w = Window::default();
    // SAFETY: SSE2 is part of the x86-64 baseline; each unaligned load reads
    // 16 of the 64 bytes of `bytes`.
    unsafe {
        let [quote, comma, lf, cr] = [b'"', b',', b'\n', b'\r'].map(|b| _mm_set1_epi8(b as i8));
        for k in 0..4 {
            let v = _mm_loadu_si128(bytes.as_ptr().add(16 * k).cast::<__m128i>());
            let bits = |m| u64::from(_mm_movemask_epi8(m) as u16) << (16 * k);
            w.quote |= bits(_mm_cmpeq_epi8(v, quote));
            w.comma |= bits(_mm_cmpeq_epi8(v, comma));
            w.lf |= bits(_mm_cmpeq_epi8(v, lf));
            w.cr |= bits(_mm_cmpeq_epi8(v, cr));
        }
    }
    w
}

/// [`classify`] one byte at a time (elsewhere, and the reference the SIMD
/// versions are tested against).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(super) fn classify_portable(bytes: &[u8; 64]) -> Window {
    let mut w = Window::default();
    for (i, &b) in bytes.iter().enumerate() {
        let bit = 1u64 << i;
        match b {
            b'"' => w.quote |= bit,
            b',' => w.comma |= bit,
            b'\n' => w.lf |= bit,
            b'\r' => w.cr |= bit,
            _ => {}
        }
    }
    w
}

/// Bit `i` set when `buf[at + i]` is `,`, `"`, LF or CR (bytes past the end
/// of `buf` are none of them).
#[inline]
pub(super) fn structural_mask(buf: &[u8], at: usize) -> u64 {
    match buf.get(at..at + 64) {
        Some(window) => mask64(window.try_into().expect("64 bytes")),
        None => {
            let mut window = [0u8; 64];
            let rest = buf.get(at..).unwrap_or(&[]);
            window[..rest.len()].copy_from_slice(rest);
            mask64(&window)
        }
    }
}

/// The structural bytes of 64 bytes, with SSE2 (part of every x86-64).
#[cfg(target_arch = "x86_64")]
#[inline]
fn mask64(window: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut mask = 0u64;
    // SAFETY: SSE2 is part of the x86-64 baseline, so these intrinsics are
    // available; each unaligned load reads 16 of the 64 bytes of `window`.
    unsafe {
        let [comma, quote, lf, cr] = [b',', b'"', b'\n', b'\r'].map(|b| _mm_set1_epi8(b as i8));
        for k in 0..4 {
            let v = _mm_loadu_si128(window.as_ptr().add(16 * k).cast::<__m128i>());
            let hit = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
                _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)),
            );
            mask |= u64::from(_mm_movemask_epi8(hit) as u16) << (16 * k);
        }
    }
    mask
}

/// The structural bytes of 64 bytes, portably.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn mask64(window: &[u8; 64]) -> u64 {
    mask64_portable(window)
}

/// The structural bytes of 64 bytes, one byte at a time (the reference the
/// SIMD version is tested against).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline]
pub(super) fn mask64_portable(window: &[u8; 64]) -> u64 {
    let mut mask = 0u64;
    for (i, &b) in window.iter().enumerate() {
        mask |= u64::from(matches!(b, b',' | b'"' | b'\n' | b'\r')) << i;
    }
    mask
}

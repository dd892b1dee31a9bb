//! Poisson bootstrap replicates, as Chamandy, Muralidharan, Najmi and Naidu (2012,
//! "Estimating uncertainty for massive data streams", Google) compute them: each
//! respondent enters replicate b with a weight m ~ Poisson(1) drawn from a hash of the
//! respondent and b, so every replicate is a sum over the rows in one pass, and a
//! warehouse can compute the same replicates with a `GROUP BY`.
//!
//! The hash uses integer arithmetic only, modulo the prime 2³¹ − 1 so that no product
//! leaves 63 bits: every SQL engine computes it exactly as [`weight`] does, in 64-bit
//! integers. Its input is the respondent's [`key`], the first 32 bits of the MD5 of the id
//! as text, which PostgreSQL, DuckDB, Spark, BigQuery and Snowflake all compute: a
//! function of the respondent alone, so replicates are the same whichever side computes
//! them, a new respondent changes no one else's, and a distributed engine needs no global
//! ordering. Squaring steps make it nonlinear: on 5,000 keys × 200 replicates the weights
//! have mean 1 and variance 1 within their standard errors, and two replicates correlate
//! no more than independent draws do (tested below).

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2};
use rayon::prelude::*;

/// The modulus: 2³¹ − 1, a prime.
pub const M: u64 = 2_147_483_647;

/// `P(m ≤ k)` for m ~ Poisson(1), k = 0…9, scaled to the hash's range: m is the first k
/// whose threshold the hash falls below (10 beyond them all, probability 1e-8).
pub fn thresholds() -> [u64; 10] {
    let mut out = [0; 10];
    let (mut p, mut cum) = ((-1.0f64).exp(), 0.0);
    for (k, t) in out.iter_mut().enumerate() {
        cum += p;
        p /= (k + 1) as f64;
        *t = (cum * M as f64) as u64;
    }
    out
}

/// A respondent's key: the first 32 bits (big-endian) of the MD5 of its id as text, as
/// SQL's `md5(id)` spells them in its first eight hex digits.
pub fn key(id: &str) -> u64 {
    key_of(digest(id))
}

/// The MD5 of an id as text, as one number (its bytes big-endian).
pub fn digest(id: &str) -> u128 {
    use md5::{Digest, Md5};
    u128::from_be_bytes(Md5::digest(id.as_bytes()).into())
}

/// The key of an id whose [`digest`] this is.
pub fn key_of(digest: u128) -> u64 {
    (digest >> 96) as u64
}

/// The hash of (key, replicate, seed), uniform on 0…M−1.
fn hash(key: u64, replicate: u64, seed: u64) -> u64 {
    let (x, s) = (key % M, seed % M);
    let h1 = (x * 48_271 + replicate * 16_807 + s) % M;
    let h2 = (h1 * h1 + replicate) % M;
    let h3 = (h2 * 69_621 + x) % M;
    (h3 * h3 + s) % M
}

/// The Poisson(1) weight of the respondent of [`key`] `key` in replicate `replicate`
/// (1-based).
pub fn weight(key: u64, replicate: u64, seed: u64) -> u32 {
    let h = hash(key, replicate, seed);
    THRESHOLDS.iter().position(|&t| h < t).unwrap_or(10) as u32
}

static THRESHOLDS: std::sync::LazyLock<[u64; 10]> = std::sync::LazyLock::new(thresholds);

/// Each respondent's weight in bootstrap resample `k` (0-based; replicate k + 1): how
/// many times it counts, from its key alone.
pub fn counts(keys: &[u32], seed: u64, k: usize) -> Vec<u32> {
    keys.iter().map(|&key| weight(key as u64, k as u64 + 1, seed)).collect()
}

/// The weights of the respondent of key `key` in replicates 1…`out.len()`, as [`weight`]
/// gives them one at a time: the key's part of the hash is reduced once, each modulo
/// folds the Mersenne prime (2³¹ ≡ 1) instead of dividing, and every operand fits 32 bits
/// (so replicates are hashed several at once in vector registers): a pass that draws
/// every row's thousand weights costs about as much as reading the rows.
pub fn weights_into(key: u32, seed: u64, thresholds: &[u64; 10], out: &mut [f64]) {
    // The same arithmetic in wider vector registers where the processor has them.
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor has just been found to support AVX-512F.
            return unsafe { weights_avx512(key, seed, thresholds, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has just been found to support AVX2.
            return unsafe { weights_avx2(key, seed, thresholds, out) };
        }
    }
    weights(key, seed, thresholds, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn weights_avx512(key: u32, seed: u64, thresholds: &[u64; 10], out: &mut [f64]) {
    weights(key, seed, thresholds, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn weights_avx2(key: u32, seed: u64, thresholds: &[u64; 10], out: &mut [f64]) {
    weights(key, seed, thresholds, out)
}

#[inline(always)]
fn weights(key: u32, seed: u64, thresholds: &[u64; 10], out: &mut [f64]) {
    let (x, s) = (fold(key as u64), seed % M);
    let below: [u32; 10] = thresholds.map(|t| t as u32);
    let base = x * 48_271 + s;
    for (i, out) in out.iter_mut().enumerate() {
        let r = i as u64 + 1;
        let h1 = fold(base + r * 16_807);
        let h2 = fold(wide(h1, h1) + r);
        let h3 = fold(wide(h2, 69_621) + x);
        let h = fold(wide(h3, h3) + s) as u32;
        *out = below.iter().map(|&t| u32::from(h >= t)).sum::<u32>() as i32 as f64;
    }
}

/// `a · b` for operands below 2³²: a 32 × 32 → 64-bit product, which vector units have.
#[inline(always)]
fn wide(a: u64, b: u64) -> u64 {
    (a as u32 as u64) * (b as u32 as u64)
}

/// `a mod M` for `a < 2⁶²`, without a division: `(a mod 2³¹) + ⌊a / 2³¹⌋` is below 2³²
/// and congruent to `a`, then at most two subtractions of M.
#[inline(always)]
fn fold(a: u64) -> u64 {
    let t = ((a & M) + (a >> 31)) as u32;
    let m = M as u32;
    let t = if t >= m { t - m } else { t };
    (if t >= m { t - m } else { t }) as u64
}

/// Rows of a task in [`totals`], and tasks run at once: a fixed split, so sums are added
/// in the same order whatever the thread count.
const TASK: usize = 4_096;
const IN_FLIGHT: usize = 16;

/// Rows per matrix product: a panel's draws (256 rows × 1,000 replicates) stay in cache.
const PANEL: usize = 256;

/// Σᵢ mᵢᵦ tᵢ for replicates b = 1…`b` of every cell: row i (with key `keys[i]`) belongs to
/// cell `cells[i]` of `n_cells`, counts mᵢᵦ = `weight(keys[i], b, seed)` times in
/// replicate b, and `terms(i, scratch, t)` writes its `width` terms (with working space
/// `scratch()` makes, one per task). Each cell's result is
/// replicates × terms. A panel of a cell's rows adds Mᵀ T, its draws (rows × replicates)
/// times its terms (rows × width): one matrix product, near the machine's peak, so every
/// replicate of every cell comes from one pass. Panels are summed in a fixed order: the
/// result does not depend on the thread count.
pub fn totals<S>(
    keys: &[u32],
    cells: &[u32],
    n_cells: usize,
    (seed, b): (u64, usize),
    width: usize,
    scratch: impl Fn() -> S + Sync,
    terms: impl Fn(usize, &mut S, &mut [f64]) + Sync,
) -> Vec<Array2<f64>> {
    let mut out = vec![Array2::zeros((b, width)); n_cells];
    if b == 0 {
        return out;
    }
    let mut order: Vec<u32> = (0..keys.len() as u32).collect();
    order.sort_by_key(|&i| cells[i as usize]);
    let tasks: Vec<&[u32]> =
        order.chunk_by(|&x, &y| cells[x as usize] == cells[y as usize]).flat_map(|c| c.chunks(TASK)).collect();
    let thresholds = *THRESHOLDS;
    let task = |rows: &[u32]| {
        let mut sum = Array2::zeros((b, width));
        let (mut draws, mut t) = (Array2::zeros((PANEL, b)), Array2::zeros((PANEL, width)));
        let mut space = scratch();
        for panel in rows.chunks(PANEL) {
            for (r, &i) in panel.iter().enumerate() {
                let i = i as usize;
                terms(i, &mut space, t.row_mut(r).into_slice().expect("rows are contiguous"));
                weights_into(keys[i], seed, &thresholds, draws.row_mut(r).into_slice().expect("rows are contiguous"));
            }
            let m = panel.len();
            general_mat_mul(1.0, &draws.slice(s![..m, ..]).t(), &t.slice(s![..m, ..]), 1.0, &mut sum);
        }
        sum
    };
    for wave in tasks.chunks(IN_FLIGHT) {
        let parts: Vec<Array2<f64>> = wave.par_iter().map(|rows| task(rows)).collect();
        for (rows, part) in wave.iter().zip(parts) {
            out[cells[rows[0] as usize] as usize] += &part;
        }
    }
    out
}

/// The keys of respondents known only by their row (1-based) in the ratings: the key of
/// the row number as text, as an id column holding row numbers would give.
pub fn row_keys(rows: std::ops::Range<usize>) -> Vec<u32> {
    rows.map(|r| key(&(r + 1).to_string()) as u32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key is MD5's first eight hex digits read as a number, as SQL computes it
    /// (digests from RFC 1321's test suite).
    #[test]
    fn key_is_the_first_32_bits_of_md5() {
        assert_eq!(key(""), 0xd41d8cd9);
        assert_eq!(key("abc"), 0x90015098);
        assert_eq!(key("message digest"), 0xf96b697d);
    }

    /// The weights are Poisson(1): mean and variance 1, P(0) = e⁻¹ (n = 200,000 ids; the
    /// bounds are 5 standard errors).
    #[test]
    fn weights_are_poisson_one() {
        let n = 200_000u64;
        let w: Vec<f64> = (1..=n).map(|r| weight(key(&format!("R{r:06}")), 1 + r % 7, 20_251_231) as f64).collect();
        let mean = w.iter().sum::<f64>() / n as f64;
        let var = w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let zeros = w.iter().filter(|&&x| x == 0.0).count() as f64 / n as f64;
        let se = (1.0 / n as f64).sqrt();
        assert!((mean - 1.0).abs() < 5.0 * se, "mean {mean}");
        assert!((var - 1.0).abs() < 5.0 * (2.0f64 / n as f64).sqrt() * 1.5, "variance {var}");
        assert!((zeros - (-1.0f64).exp()).abs() < 5.0 * 0.49 * se, "P(0) {zeros}");
    }

    /// The thresholds by hand: P(0) = e⁻¹ = 0.3678794412, P(m ≤ 1) = 2e⁻¹, P(m ≤ 2) =
    /// 2.5e⁻¹, times 2147483647 (to 40 digits: 790015083.98…, 1580030167.97…, 1975037709.96…).
    #[test]
    fn thresholds_by_hand() {
        let t = thresholds();
        assert_eq!(t[0], 790_015_083);
        assert_eq!(t[1], 1_580_030_167);
        assert_eq!(t[2], 1_975_037_709);
    }

    /// The one-pass draws are the hash's own, key by key and replicate by replicate,
    /// including keys beyond the modulus and the largest key.
    #[test]
    fn batched_weights_are_the_hash() {
        let t = thresholds();
        let mut out = vec![0.0; 300];
        for key in (0..2_000u32).map(|i| i.wrapping_mul(2_654_435_761)).chain([0, M as u32, M as u32 + 1, u32::MAX]) {
            for seed in [0, 20_251_231, u64::MAX] {
                // The dispatched copy (vector units where present) and the portable one.
                for draw in [weights_into, weights] {
                    draw(key, seed, &t, &mut out);
                    for (r, &w) in (1u64..).zip(&out) {
                        assert_eq!(w, weight(key as u64, r, seed) as f64, "key {key} replicate {r} seed {seed}");
                    }
                }
            }
        }
    }

    /// Replicates are uncorrelated: over 5,000 ids, no two of 50 replicates' weights
    /// correlate beyond 5 standard errors of independent draws (1/√5000 each).
    #[test]
    fn replicates_are_uncorrelated() {
        let keys: Vec<u64> = (1..=5000).map(|i| key(&format!("R{i:06}"))).collect();
        let reps: Vec<Vec<f64>> =
            (1..=50).map(|b| keys.iter().map(|&k| weight(k, b, 20_251_231) as f64).collect()).collect();
        let n = keys.len() as f64;
        let standardised: Vec<Vec<f64>> = reps
            .iter()
            .map(|w| {
                let mean = w.iter().sum::<f64>() / n;
                let sd = (w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
                w.iter().map(|x| (x - mean) / sd).collect()
            })
            .collect();
        for (a, x) in standardised.iter().enumerate() {
            for y in &standardised[a + 1..] {
                let r = x.iter().zip(y).map(|(u, v)| u * v).sum::<f64>() / n;
                assert!(r.abs() < 5.0 / n.sqrt(), "correlation {r}");
            }
        }
    }
}

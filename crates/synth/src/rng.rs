//! A small seeded PRNG (SplitMix64) and the hash that derives independent streams from
//! names, so that every subject draws from its own stream whatever the thread count.

/// SplitMix64 (Steele, Lea, Flood 2014): fast, and good enough for synthetic data.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// A stream keyed by the trial seed and a list of names (e.g. subject, "noise", slice).
    pub fn keyed(seed: u64, names: &[&str]) -> Self {
        Rng::new(hash64(seed, names))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [low, high).
    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Uniform integer in [low, high] (inclusive); `low` when the range is empty.
    pub fn int(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = (high - low + 1) as u64;
        low + (self.next_u64() % span) as i64
    }
}

/// The SplitMix64 finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over the names (separated so that ["ab","c"] ≠ ["a","bc"]), mixed with the seed.
pub fn hash64(seed: u64, names: &[&str]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325 ^ mix(seed);
    for name in names {
        for b in name.bytes().chain(std::iter::once(0xFF)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    mix(h)
}

/// A 128-bit value from the same key (two decorrelated 64-bit halves).
pub fn hash128(seed: u64, names: &[&str]) -> u128 {
    let high = hash64(seed, names);
    let low = mix(high ^ hash64(seed.rotate_left(32) ^ 0x5851_F42D_4C95_7F2D, names));
    (u128::from(high) << 64) | u128::from(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // Reference values of SplitMix64 seeded with 0 (from the published C code).
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn keys_separate_names() {
        assert_ne!(hash64(1, &["ab", "c"]), hash64(1, &["a", "bc"]));
        assert_ne!(hash64(1, &["a"]), hash64(2, &["a"]));
        assert_eq!(hash128(7, &["x"]), hash128(7, &["x"]));
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut rng = Rng::new(42);
        for _ in 0..1000 {
            let u = rng.range(-2.0, 3.0);
            assert!((-2.0..3.0).contains(&u));
            let i = rng.int(1, 3);
            assert!((1..=3).contains(&i));
        }
        assert_eq!(rng.int(5, 5), 5);
    }
}

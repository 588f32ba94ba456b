//! A small seeded random source (SplitMix64). Faults draw from it so that the
//! same seed gives the same run; it is stable across platforms and versions,
//! which a general-purpose generator does not promise.

/// SplitMix64 (Steele, Lea, Flood 2014): 64 bits of state, good enough
/// statistics for deciding which connection or request a fault hits.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> SeededRng {
        SeededRng(seed)
    }

    /// A generator for the `stream`th consumer of `seed` (a connection, a
    /// scenario step), independent of how many numbers others drew.
    pub fn derive(seed: u64, stream: u64) -> SeededRng {
        let mut g = SeededRng(seed ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        g.next_u64();
        g
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        if p >= 1.0 {
            return true;
        }
        if p <= 0.0 {
            return false;
        }
        self.next_f64() < p
    }

    /// A number in `[lo, hi]` (inclusive); `lo` when `hi <= lo`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = hi - lo;
        if span == u64::MAX {
            return self.next_u64();
        }
        lo + self.next_u64() % (span + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers() {
        let a: Vec<u64> = {
            let mut g = SeededRng::new(42);
            (0..5).map(|_| g.next_u64()).collect()
        };
        let mut g = SeededRng::new(42);
        let b: Vec<u64> = (0..5).map(|_| g.next_u64()).collect();
        assert_eq!(a, b);
        // The reference values of SplitMix64 for seed 0 (from the paper's C code).
        let mut z = SeededRng::new(0);
        assert_eq!(z.next_u64(), 0xE220_A839_7B1D_CDAF);
        let mut g = SeededRng::new(1);
        let mut hits = 0;
        for _ in 0..10_000 {
            if g.chance(0.25) {
                hits += 1;
            }
            let r = g.range(3, 9);
            assert!((3..=9).contains(&r));
        }
        assert!((2_000..3_000).contains(&hits), "{hits}");
    }
}

//! The length model: the log of (English characters / Chinese characters) of a bead is normal
//! around the ratio of the whole document.

/// Length cost of beads, with the ratio estimated from the two documents.
#[derive(Debug, Clone, Copy)]
pub struct LengthModel {
    /// ln(English characters per Chinese character) of the whole document.
    pub log_ratio: f64,
    /// Standard deviation of the log ratio of one bead.
    pub sigma: f64,
    /// Characters added to both sides (in English characters) so short beads are not judged
    /// harshly.
    pub smooth: f64,
}

/// English characters per Chinese character in typical zh→en translations.
pub const TYPICAL_RATIO: f64 = 3.5;
/// Weight of [`TYPICAL_RATIO`] in the estimate, in Chinese characters.
const PSEUDO_ZH: f64 = 100.0;

impl LengthModel {
    /// Estimates the ratio from the total lengths of both sides; falls back to 3.5 English
    /// characters per Chinese character (typical of zh→en) when one side is empty.
    pub fn estimate(zh_total: u64, en_total: u64, sigma: f64, smooth: f64) -> LengthModel {
        // Shrunk towards the typical ratio by a pseudo-count, so that a short document (or
        // one with an untranslated passage) does not get an extreme ratio.
        let ratio = if zh_total > 0 && en_total > 0 {
            (en_total as f64 + TYPICAL_RATIO * PSEUDO_ZH) / (zh_total as f64 + PSEUDO_ZH)
        } else {
            TYPICAL_RATIO
        };
        LengthModel {
            log_ratio: ratio.ln(),
            sigma,
            smooth,
        }
    }

    /// English characters expected for `zh` Chinese characters.
    pub fn ratio(&self) -> f64 {
        self.log_ratio.exp()
    }

    /// Cost (negative log-likelihood up to a constant) of a bead with `zh` Chinese and `en`
    /// English characters.
    pub fn cost(&self, zh: u32, en: u32) -> f64 {
        let expected = f64::from(zh) * self.ratio() + self.smooth;
        let d = ((f64::from(en) + self.smooth) / expected).ln();
        d * d / (2.0 * self.sigma * self.sigma)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_is_estimated_and_cost_is_lowest_at_it() {
        let m = LengthModel::estimate(10_000, 41_000, 0.5, 10.0);
        assert!((m.ratio() - 4.1).abs() < 0.01);
        assert!(m.cost(10, 41) < 1e-3);
        assert!(m.cost(10, 41) < m.cost(10, 20));
        // A short document is pulled towards the typical ratio.
        let short = LengthModel::estimate(20, 20, 0.5, 10.0);
        assert!(short.ratio() > 2.5 && short.ratio() < 3.5);
        assert!(m.cost(10, 20) < m.cost(10, 5));
        assert!(m.cost(10, 82) > 0.5);
    }

    #[test]
    fn empty_side_falls_back() {
        let m = LengthModel::estimate(0, 100, 0.5, 10.0);
        assert!((m.ratio() - 3.5).abs() < 1e-9);
    }
}

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

impl LengthModel {
    /// Estimates the ratio from the total lengths of both sides; falls back to 3.5 English
    /// characters per Chinese character (typical of zh→en) when one side is empty.
    pub fn estimate(zh_total: u64, en_total: u64, sigma: f64, smooth: f64) -> LengthModel {
        let ratio = if zh_total > 0 && en_total > 0 {
            en_total as f64 / zh_total as f64
        } else {
            3.5
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
        let m = LengthModel::estimate(100, 410, 0.5, 10.0);
        assert!((m.ratio() - 4.1).abs() < 1e-9);
        assert!(m.cost(10, 41) < 1e-9);
        assert!(m.cost(10, 41) < m.cost(10, 20));
        assert!(m.cost(10, 20) < m.cost(10, 5));
        assert!(m.cost(10, 82) > 0.5);
    }

    #[test]
    fn empty_side_falls_back() {
        let m = LengthModel::estimate(0, 100, 0.5, 10.0);
        assert!((m.ratio() - 3.5).abs() < 1e-9);
    }
}

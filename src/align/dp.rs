//! Dynamic programming over beads in a band around a path.
//!
//! A bead covers `a` consecutive source sentences and `b` consecutive target sentences
//! (`a`-`b`, e.g. 1-0, 0-1, 1-1, 2-3). The aligner finds the sequence of beads covering both
//! sides in order whose total score is highest. Only cells `(i, j)` (first `i` source and first
//! `j` target sentences aligned) inside the [`Band`] are visited, so time and memory grow with
//! the length of the documents times the band's width, not with their product.

/// Scores a bead covering source sentences `i..i + a` and target sentences `j..j + b`.
/// Higher is better.
pub trait BeadScorer {
    fn score(&self, i: usize, a: usize, j: usize, b: usize) -> f64;
}

impl<F: Fn(usize, usize, usize, usize) -> f64> BeadScorer for F {
    fn score(&self, i: usize, a: usize, j: usize, b: usize) -> f64 {
        self(i, a, j, b)
    }
}

/// For every `i` in `0..=n`, the inclusive range of `j` the DP may visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    pub lo: Vec<usize>,
    pub hi: Vec<usize>,
}

impl Band {
    /// The whole table (`n + 1` rows of `0..=m`).
    pub fn full(n: usize, m: usize) -> Band {
        Band {
            lo: vec![0; n + 1],
            hi: vec![m; n + 1],
        }
    }

    /// A band of half-width `width` around a centre line `centre[i]` (`i` in `0..=n`),
    /// made monotone and reaching both corners.
    pub fn around(centre: &[usize], m: usize, width: usize) -> Band {
        let n = centre.len().saturating_sub(1);
        let mut lo: Vec<usize> = centre.iter().map(|&c| c.saturating_sub(width)).collect();
        let mut hi: Vec<usize> = centre.iter().map(|&c| (c + width).min(m)).collect();
        if let (Some(first), Some(last)) = (lo.first_mut(), hi.last_mut()) {
            *first = 0;
            *last = m;
        }
        // Monotone: lo non-decreasing (running max from the left is not needed, a lower lo is
        // only wider), hi non-decreasing from the right.
        for i in 1..=n {
            lo[i] = lo[i].max(lo[i - 1]).min(m);
        }
        for i in (0..n).rev() {
            hi[i] = hi[i].min(hi[i + 1]);
        }
        // Consecutive rows must overlap so that a path exists.
        for i in 1..=n {
            if lo[i] > hi[i - 1] {
                lo[i] = hi[i - 1];
            }
        }
        for i in 0..=n {
            if hi[i] < lo[i] {
                hi[i] = lo[i];
            }
        }
        Band { lo, hi }
    }

    /// A band of half-width `width` around a previous alignment path (its bead corners).
    pub fn around_path(beads: &[Bead], n: usize, m: usize, width: usize) -> Band {
        let mut centre = vec![0usize; n + 1];
        for bead in beads {
            for k in 0..=bead.a {
                // Spread the target side linearly over the bead's source rows.
                let j = bead.j + (bead.b * k).checked_div(bead.a).unwrap_or(bead.b);
                centre[bead.i + k] = j;
            }
        }
        Band::around(&centre, m, width)
    }

    /// Number of cells in the band.
    pub fn cells(&self) -> usize {
        self.lo.iter().zip(&self.hi).map(|(l, h)| h + 1 - l).sum()
    }
}

/// One bead of the best path: source `i..i + a`, target `j..j + b`, and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bead {
    pub i: usize,
    pub a: usize,
    pub j: usize,
    pub b: usize,
    pub score: f64,
}

/// Finds the best sequence of beads of the given shapes `(a, b)` covering `n` source and `m`
/// target sentences inside `band`. The shapes must include `(1, 0)` and `(0, 1)` so that a
/// path always exists.
pub fn best_path(
    n: usize,
    m: usize,
    shapes: &[(usize, usize)],
    band: &Band,
    scorer: &impl BeadScorer,
) -> Vec<Bead> {
    debug_assert_eq!(band.lo.len(), n + 1);
    let mut offset = Vec::with_capacity(n + 2);
    let mut total = 0usize;
    for (lo, hi) in band.lo.iter().zip(&band.hi) {
        offset.push(total);
        total += hi + 1 - lo;
    }
    let mut score = vec![f64::NEG_INFINITY; total];
    let mut back = vec![u8::MAX; total];
    let at = |i: usize, j: usize| -> Option<usize> {
        (j >= band.lo[i] && j <= band.hi[i]).then(|| offset[i] + j - band.lo[i])
    };
    score[0] = 0.0;
    for i in 0..=n {
        for j in band.lo[i]..=band.hi[i] {
            let Some(here) = at(i, j) else { continue };
            if i == 0 && j == 0 {
                continue;
            }
            let mut best = f64::NEG_INFINITY;
            let mut best_shape = u8::MAX;
            for (s, &(a, b)) in shapes.iter().enumerate() {
                if a > i || b > j {
                    continue;
                }
                let Some(prev) = at(i - a, j - b) else {
                    continue;
                };
                let base = score[prev];
                if base == f64::NEG_INFINITY {
                    continue;
                }
                let total = base + scorer.score(i - a, a, j - b, b);
                if total > best {
                    best = total;
                    best_shape = s as u8;
                }
            }
            score[here] = best;
            back[here] = best_shape;
        }
    }
    let mut beads = Vec::new();
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        let Some(cell) = at(i, j) else { break };
        let s = back[cell];
        if s == u8::MAX {
            break;
        }
        let (a, b) = shapes[s as usize];
        let here = score[cell];
        let prev = at(i - a, j - b).map_or(0.0, |p| score[p]);
        beads.push(Bead {
            i: i - a,
            a,
            j: j - b,
            b,
            score: here - prev,
        });
        i -= a;
        j -= b;
    }
    beads.reverse();
    beads
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPES: &[(usize, usize)] = &[
        (1, 0),
        (0, 1),
        (1, 1),
        (1, 2),
        (2, 1),
        (1, 3),
        (3, 1),
        (2, 2),
    ];

    /// A scorer that rewards exactly the beads of a known alignment.
    fn gold_scorer(
        gold: &[(usize, usize, usize, usize)],
    ) -> impl Fn(usize, usize, usize, usize) -> f64 {
        let gold = gold.to_vec();
        move |i, a, j, b| {
            if gold.contains(&(i, a, j, b)) {
                1.0 + (a + b) as f64
            } else if a == 0 || b == 0 {
                -1.0
            } else {
                -0.5 * (a + b) as f64
            }
        }
    }

    fn shapes_of(beads: &[Bead]) -> Vec<(usize, usize, usize, usize)> {
        beads.iter().map(|b| (b.i, b.a, b.j, b.b)).collect()
    }

    fn check(n: usize, m: usize, gold: &[(usize, usize, usize, usize)], band: &Band) {
        let beads = best_path(n, m, SHAPES, band, &gold_scorer(gold));
        assert_eq!(shapes_of(&beads), gold);
    }

    #[test]
    fn recovers_one_to_zero_and_zero_to_one() {
        let gold = [
            (0, 1, 0, 1),
            (1, 1, 1, 0),
            (2, 1, 1, 1),
            (3, 0, 2, 1),
            (3, 1, 3, 1),
        ];
        check(4, 4, &gold, &Band::full(4, 4));
    }

    #[test]
    fn recovers_two_to_one_and_one_to_three() {
        let gold = [(0, 2, 0, 1), (2, 1, 1, 3), (3, 1, 4, 1), (4, 2, 5, 2)];
        check(6, 7, &gold, &Band::full(6, 7));
    }

    #[test]
    fn anchors_win_over_length_when_sentences_are_reordered() {
        // Source 1 and 2 were swapped in translation: the best monotone path merges them.
        let scorer = |i: usize, a: usize, j: usize, b: usize| -> f64 {
            match (i, a, j, b) {
                (0, 1, 0, 1) | (3, 1, 3, 1) => 2.0,
                (1, 2, 1, 2) => 3.0,
                (1, 1, 1, 1) | (2, 1, 2, 1) => -1.0,
                _ if a == 0 || b == 0 => -1.0,
                _ => -2.0,
            }
        };
        let beads = best_path(4, 4, SHAPES, &Band::full(4, 4), &scorer);
        assert_eq!(
            shapes_of(&beads),
            [(0, 1, 0, 1), (1, 2, 1, 2), (3, 1, 3, 1)]
        );
        let total: f64 = beads.iter().map(|b| b.score).sum();
        assert!((total - 7.0).abs() < 1e-9);
    }

    #[test]
    fn narrow_band_still_reaches_the_corner() {
        let n = 50;
        let m = 80;
        let centre: Vec<usize> = (0..=n).map(|i| i * m / n).collect();
        let band = Band::around(&centre, m, 3);
        assert!(band.cells() < (n + 1) * (m + 1) / 4);
        let beads = best_path(n, m, SHAPES, &band, &|_i, a: usize, _j, b: usize| {
            if a == 1 && b == 1 { 1.0 } else { -1.0 }
        });
        let covered_src: usize = beads.iter().map(|b| b.a).sum();
        let covered_tgt: usize = beads.iter().map(|b| b.b).sum();
        assert_eq!((covered_src, covered_tgt), (n, m));
    }

    #[test]
    fn empty_sides() {
        assert!(best_path(0, 0, SHAPES, &Band::full(0, 0), &|_, _, _, _| 0.0).is_empty());
        let beads = best_path(0, 2, SHAPES, &Band::full(0, 2), &|_, _, _, _| 0.0);
        assert_eq!(shapes_of(&beads), [(0, 0, 0, 1), (0, 0, 1, 1)]);
        let beads = best_path(1, 0, SHAPES, &Band::full(1, 0), &|_, _, _, _| 0.0);
        assert_eq!(shapes_of(&beads), [(0, 1, 0, 0)]);
    }
}

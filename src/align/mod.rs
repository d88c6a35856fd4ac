//! Sentence alignment of a Chinese text with an existing English translation.
//!
//! The aligner scores beads (`a` Chinese sentences with `b` English sentences, 1-0 and 0-1
//! included, up to 1-6, 2-5, 3-4 and 4-2) by
//! - lexical evidence ([`lexical`]): the share of the bead's Chinese words whose dictionary
//!   glosses (or glossary renderings, numbers, Latin tokens) occur in its English sentences and
//!   of the English content words so covered, IDF-weighted (mostly the mean of each
//!   sentence's own matched share, so every sentence of a bead must find its evidence there),
//!   scaled by the bead's size, plus question/exclamation marks and ellipses as tokens;
//! - a cost for direct speech on one side of a bead only, and for each quotation opened on
//!   one side and not the other;
//! - a length model ([`length`]) around the English/Chinese character ratio of the document;
//! - a prior on the bead's shape,
//!
//! and finds the best monotone sequence of beads by dynamic programming ([`dp`]) in a band
//! around the diagonal implied by the cumulative lengths. A second pass learns word
//! associations (Dice over the first pass's links) and realigns in a band around the first
//! path.

pub mod dp;
pub mod english;
pub mod input;
pub mod length;
pub mod lexical;

use crate::model::{Bitext, BlockKind, Flag, FlagCode, Meta, Origin, Pair, Segment, Severity};
use dp::{Band, Bead};
use length::LengthModel;
use lexical::{Evidence, Features};
use std::collections::HashMap;

pub use lexical::{Dictionary, TermAnchors};

/// One alignment link: 0-based source and target sentence indices (either may be empty) and
/// the link's score (higher is more confident).
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub src: Vec<usize>,
    pub tgt: Vec<usize>,
    pub score: f64,
}

/// Weights of the aligner (tuned on MAC-Dev only).
#[derive(Debug, Clone)]
pub struct Params {
    /// Weight of the lexical coverage reward.
    pub lexical: f64,
    /// Exponent of the bead size in the coverage reward.
    pub size_power: f64,
    /// Weight of the additive matched mass.
    pub additive: f64,
    /// Weight of the length cost.
    pub length: f64,
    /// Standard deviation of the bead log length ratio.
    pub sigma: f64,
    /// Smoothing of the length model, in English characters.
    pub smooth: f64,
    /// Weight of the shape prior (log frequency).
    pub prior: f64,
    /// Score of a 1-0 or 0-1 bead.
    pub null: f64,
    /// Cost of each sentence of a bead that holds direct speech when the other side of the
    /// bead holds none.
    pub quote: f64,
    /// Cost per quotation opened on one side of a bead and not the other (speech turns).
    pub turns: f64,
    /// Share of the mean per-sentence coverage in the bead similarity (the rest is the
    /// coverage of the bead's pooled mass).
    pub mean: f64,
    /// Half-width of the band of the first pass, in target sentences.
    pub band: usize,
    /// Half-width of the band of later passes around the previous path.
    pub band_refine: usize,
    /// Number of passes (1 = no learned associations).
    pub passes: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            lexical: 4.0,
            size_power: 0.7,
            additive: 0.0,
            length: 1.0,
            sigma: 0.4,
            smooth: 10.0,
            prior: 1.0,
            null: -1.0,
            quote: 1.0,
            turns: 0.5,
            mean: 0.75,
            band: 40,
            band_refine: 12,
            passes: 2,
        }
    }
}

/// Bead shapes and their relative frequency (MAC-Dev gold, smoothed).
pub const SHAPES: &[((usize, usize), f64)] = &[
    ((1, 0), 0.02),
    ((0, 1), 0.01),
    ((1, 1), 0.62),
    ((1, 2), 0.21),
    ((2, 1), 0.05),
    ((1, 3), 0.055),
    ((3, 1), 0.003),
    ((1, 4), 0.022),
    ((2, 2), 0.0186),
    ((2, 3), 0.009),
    ((3, 2), 0.003),
    ((1, 5), 0.003),
    ((1, 6), 0.0015),
    ((2, 4), 0.0015),
    ((4, 1), 0.001),
    ((3, 3), 0.001),
    ((2, 5), 0.0007),
    ((3, 4), 0.0007),
    ((4, 2), 0.0005),
];

/// The aligner: dictionary, glossary terms and parameters.
pub struct Aligner<'a> {
    pub evidence: Evidence<'a>,
    pub params: Params,
}

impl<'a> Aligner<'a> {
    pub fn new(dictionary: Option<&'a dyn Dictionary>, terms: Option<&'a dyn TermAnchors>) -> Self {
        Aligner {
            evidence: Evidence {
                dictionary,
                terms,
                translations: None,
            },
            params: Params::default(),
        }
    }

    /// Aligns Chinese sentences with English sentences.
    pub fn align(&self, zh: &[&str], en: &[&str]) -> Vec<Link> {
        let features = Features::build(zh, en, &self.evidence);
        self.align_features(&features)
    }

    /// Aligns several documents (e.g. the chapters of a book) together: each is aligned on
    /// its own, but the word associations of the later passes are learned from the links of
    /// all of them, which finds more than one document's links can.
    pub fn align_documents(&self, docs: &[(Vec<&str>, Vec<&str>)]) -> Vec<Vec<Link>> {
        let mut vocabulary = lexical::Vocabulary::default();
        let features: Vec<Features> = docs
            .iter()
            .map(|(zh, en)| Features::build_in(zh, en, &self.evidence, &mut vocabulary))
            .collect();
        self.align_prepared(&features)
    }

    /// Aligns prepared features (lets a caller reuse them).
    pub fn align_features(&self, features: &Features) -> Vec<Link> {
        self.align_prepared(std::slice::from_ref(features))
            .pop()
            .unwrap_or_default()
    }

    fn align_prepared(&self, docs: &[Features]) -> Vec<Vec<Link>> {
        let p = &self.params;
        let shapes: Vec<(usize, usize)> = SHAPES.iter().map(|(s, _)| *s).collect();
        let priors: Vec<f64> = SHAPES.iter().map(|(_, f)| f.ln()).collect();
        let max_b = shapes.iter().map(|s| s.1).max().unwrap_or(1);
        let models: Vec<LengthModel> = docs
            .iter()
            .map(|f| {
                let zh_total: u64 = f.zh.iter().map(|s| u64::from(s.length)).sum();
                let en_total: u64 = f.en.iter().map(|s| u64::from(s.length)).sum();
                LengthModel::estimate(zh_total, en_total, p.sigma, p.smooth)
            })
            .collect();
        let mut beads: Vec<Vec<Bead>> = docs
            .iter()
            .zip(&models)
            .map(|(f, model)| {
                let band = Band::around(&length_diagonal(f), f.en.len(), p.band);
                let table = MaskTable::build(f, &band, max_b, None);
                self.run(f, &table, &band, &shapes, &priors, model)
            })
            .collect();
        for _ in 1..p.passes {
            let assoc = Associations::learn(docs.iter().zip(beads.iter().map(Vec::as_slice)));
            for ((f, model), path) in docs.iter().zip(&models).zip(beads.iter_mut()) {
                let refine = Band::around_path(path, f.zh.len(), f.en.len(), p.band_refine);
                let table = MaskTable::build(f, &refine, max_b, Some(&assoc));
                *path = self.run(f, &table, &refine, &shapes, &priors, model);
            }
        }
        beads
            .into_iter()
            .map(|path| {
                path.into_iter()
                    .map(|b| Link {
                        src: (b.i..b.i + b.a).collect(),
                        tgt: (b.j..b.j + b.b).collect(),
                        score: b.score,
                    })
                    .collect()
            })
            .collect()
    }

    fn run(
        &self,
        features: &Features,
        table: &MaskTable,
        band: &Band,
        shapes: &[(usize, usize)],
        priors: &[f64],
        model: &LengthModel,
    ) -> Vec<Bead> {
        let p = &self.params;
        let prior_of: HashMap<(usize, usize), f64> =
            shapes.iter().copied().zip(priors.iter().copied()).collect();
        let scorer = |i: usize, a: usize, j: usize, b: usize| -> f64 {
            let prior = p.prior * prior_of[&(a, b)];
            if a == 0 || b == 0 {
                return p.null + prior;
            }
            let (matched, total, mean) = table.bead(features, i, a, j, b);
            let pooled = if total > 0.0 { matched / total } else { 0.0 };
            let sim = (1.0 - p.mean) * pooled + p.mean * mean;
            let lz: u32 = features.zh[i..i + a].iter().map(|s| s.length).sum();
            let le: u32 = features.en[j..j + b].iter().map(|s| s.length).sum();
            let zq = features.zh[i..i + a].iter().filter(|s| s.quoted).count();
            let eq = features.en[j..j + b].iter().filter(|s| s.quoted).count();
            let unmatched_speech = if zq == 0 {
                eq
            } else if eq == 0 {
                zq
            } else {
                0
            };
            let zo: u32 = features.zh[i..i + a].iter().map(|s| s.opens).sum();
            let eo: u32 = features.en[j..j + b].iter().map(|s| s.opens).sum();
            p.lexical * sim * ((a + b) as f64).powf(p.size_power) + p.additive * matched
                - p.length * model.cost(lz, le)
                - p.quote * unmatched_speech as f64
                - p.turns * f64::from(zo.abs_diff(eo))
                + prior
        };
        dp::best_path(features.zh.len(), features.en.len(), shapes, band, &scorer)
    }
}

/// The centre line of the first band: for each Chinese prefix, the English prefix with the
/// same share of the document's characters.
fn length_diagonal(features: &Features) -> Vec<usize> {
    let zh_total: f64 = features
        .zh
        .iter()
        .map(|s| f64::from(s.length))
        .sum::<f64>()
        .max(1.0);
    let en_total: f64 = features
        .en
        .iter()
        .map(|s| f64::from(s.length))
        .sum::<f64>()
        .max(1.0);
    let mut en_cum = Vec::with_capacity(features.en.len() + 1);
    let mut acc = 0.0;
    en_cum.push(0.0);
    for s in &features.en {
        acc += f64::from(s.length);
        en_cum.push(acc / en_total);
    }
    let mut centre = Vec::with_capacity(features.zh.len() + 1);
    let mut acc = 0.0;
    let mut j = 0usize;
    centre.push(0);
    for s in &features.zh {
        acc += f64::from(s.length);
        let share = acc / zh_total;
        while j < features.en.len() && en_cum[j + 1] <= share + 1e-12 {
            j += 1;
        }
        // Round to the nearer boundary.
        if j < features.en.len() && en_cum[j + 1] - share < share - en_cum[j] {
            centre.push(j + 1);
        } else {
            centre.push(j);
        }
    }
    centre
}

/// Word associations learned from a previous alignment: Dice of a Chinese word key and an
/// English stem over the links.
pub struct Associations {
    /// For each Chinese key, the English stems it is associated with.
    pub by_key: HashMap<u32, Vec<u32>>,
}

impl Associations {
    pub fn learn<'f>(docs: impl Iterator<Item = (&'f Features, &'f [Bead])>) -> Associations {
        let mut key_count: HashMap<u32, u32> = HashMap::new();
        let mut stem_count: HashMap<u32, u32> = HashMap::new();
        let mut joint: HashMap<(u32, u32), u32> = HashMap::new();
        for (features, beads) in docs {
            for bead in beads {
                if bead.a == 0 || bead.b == 0 {
                    continue;
                }
                let mut keys: Vec<u32> = features.zh[bead.i..bead.i + bead.a]
                    .iter()
                    .flat_map(|s| s.words.iter().map(|w| w.key))
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                let mut stems: Vec<u32> = features.en[bead.j..bead.j + bead.b]
                    .iter()
                    .flat_map(|s| s.stems.iter().copied())
                    .collect();
                stems.sort_unstable();
                stems.dedup();
                for &k in &keys {
                    *key_count.entry(k).or_default() += 1;
                }
                for &s in &stems {
                    *stem_count.entry(s).or_default() += 1;
                }
                for &k in &keys {
                    for &s in &stems {
                        *joint.entry((k, s)).or_default() += 1;
                    }
                }
            }
        }
        let mut by_key: HashMap<u32, Vec<u32>> = HashMap::new();
        for ((k, s), c) in joint {
            if c < 2 {
                continue;
            }
            let dice = 2.0 * f64::from(c) / f64::from(key_count[&k] + stem_count[&s]);
            if dice >= 0.5 {
                by_key.entry(k).or_default().push(s);
            }
        }
        Associations { by_key }
    }
}

/// Match masks of the sentence pairs near the band.
struct MaskTable {
    /// Per source sentence: first target sentence stored.
    start: Vec<usize>,
    /// Per source sentence: offset into `masks`.
    offset: Vec<usize>,
    len: Vec<usize>,
    masks: Vec<(u128, u128)>,
}

impl MaskTable {
    fn build(
        features: &Features,
        band: &Band,
        max_b: usize,
        learned: Option<&Associations>,
    ) -> MaskTable {
        let n = features.zh.len();
        let m = features.en.len();
        let mut start = Vec::with_capacity(n);
        let mut offset = Vec::with_capacity(n);
        let mut len = Vec::with_capacity(n);
        let mut masks = Vec::new();
        for i in 0..n {
            // Sentence i is in beads starting in row <= i and ending in row >= i + 1.
            let lo = band.lo[i];
            let hi = (band.hi[i + 1] + max_b).min(m);
            let lo = lo.min(hi);
            start.push(lo);
            offset.push(masks.len());
            len.push(hi - lo);
            for j in lo..hi {
                let (mut zm, mut em) = features.masks(i, j);
                if let Some(assoc) = learned {
                    let (lz, le) = learned_masks(features, assoc, i, j);
                    zm |= lz;
                    em |= le;
                }
                masks.push((zm, em));
            }
        }
        MaskTable {
            start,
            offset,
            len,
            masks,
        }
    }

    fn get(&self, i: usize, j: usize) -> (u128, u128) {
        let s = self.start[i];
        if j < s || j >= s + self.len[i] {
            return (0, 0);
        }
        self.masks[self.offset[i] + j - s]
    }

    /// Matched and total IDF mass of a bead, both sides together, and the mean over its
    /// sentences of each one's matched share.
    fn bead(&self, features: &Features, i: usize, a: usize, j: usize, b: usize) -> (f64, f64, f64) {
        let mut matched = 0f32;
        let mut total = 0f32;
        let mut shares = 0f32;
        let mut en_masks = [0u128; 8];
        for ii in i..i + a {
            let mut zm = 0u128;
            for (k, jj) in (j..j + b).enumerate() {
                let (z, e) = self.get(ii, jj);
                zm |= z;
                if k < en_masks.len() {
                    en_masks[k] |= e;
                }
            }
            let s = &features.zh[ii];
            let m = weigh(zm, |k| s.words[k].weight);
            matched += m;
            total += s.total;
            if s.total > 0.0 {
                shares += m / s.total;
            }
        }
        for (k, jj) in (j..j + b).enumerate() {
            let s = &features.en[jj];
            let em = if k < en_masks.len() { en_masks[k] } else { 0 };
            let m = weigh(em, |p| s.weights[p]);
            matched += m;
            total += s.total;
            if s.total > 0.0 {
                shares += m / s.total;
            }
        }
        (
            f64::from(matched),
            f64::from(total),
            f64::from(shares) / (a + b) as f64,
        )
    }
}

fn weigh(mut mask: u128, weight: impl Fn(usize) -> f32) -> f32 {
    let mut sum = 0.0;
    while mask != 0 {
        let k = mask.trailing_zeros() as usize;
        sum += weight(k);
        mask &= mask - 1;
    }
    sum
}

fn learned_masks(features: &Features, assoc: &Associations, i: usize, j: usize) -> (u128, u128) {
    let z = &features.zh[i];
    let e = &features.en[j];
    let mut zm = 0u128;
    let mut em = 0u128;
    for (k, word) in z.words.iter().enumerate() {
        if let Some(stems) = assoc.by_key.get(&word.key) {
            for s in stems {
                if let Ok(p) = e.stems.binary_search(s) {
                    zm |= 1u128 << k.min(lexical::MASK_BITS - 1);
                    em |= 1u128 << p.min(lexical::MASK_BITS - 1);
                }
            }
        }
    }
    (zm, em)
}

/// Links as `src_ids<TAB>tgt_ids` lines (comma-separated 0-based ids, empty side for a null
/// link), the form `align_score.py` reads.
pub fn links_tsv(links: &[Link]) -> String {
    let mut out = String::new();
    for link in links {
        let join = |ids: &[usize]| {
            ids.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        out.push_str(&join(&link.src));
        out.push('\t');
        out.push_str(&join(&link.tgt));
        out.push('\n');
    }
    out
}

/// Puts the links into a [`Bitext`]: one pair per link, origin `aligned` with the link's score
/// and 0-based indices. The id joins the source segment ids (`b12.s3`, `b12.s3+s4`,
/// `b12.s5+b13.s1`); a link without source is `t{n}` with `n` the 1-based number of its first
/// target sentence. Block and kind come from the first source segment (for a 0-1 link, from
/// the previous link). Null links and links with a negative score carry a `low_confidence`
/// warning.
pub fn to_bitext(zh: &[Segment], en: &[&str], links: &[Link], meta: Meta) -> Bitext {
    let mut bitext = Bitext::new("zh-CN", "en", meta);
    let mut block = zh.first().map_or(1, |s| s.block);
    let mut kind = zh.first().map_or(BlockKind::Paragraph, |s| s.kind);
    for link in links {
        let mut id = String::new();
        let mut last_block = None;
        for &i in &link.src {
            let seg = &zh[i];
            if last_block == Some(seg.block) {
                id.push_str(&format!("+s{}", seg.id.sentence));
            } else {
                if !id.is_empty() {
                    id.push('+');
                }
                id.push_str(&seg.id.to_string());
            }
            last_block = Some(seg.block);
        }
        if let Some(&first) = link.src.first() {
            block = zh[first].block;
            kind = zh[first].kind;
        } else if let Some(&first) = link.tgt.first() {
            id = format!("t{}", first + 1);
        }
        let source: String = link.src.iter().map(|&i| zh[i].text.as_str()).collect();
        let target = link
            .tgt
            .iter()
            .map(|&j| en[j])
            .collect::<Vec<_>>()
            .join(" ");
        let mut flags = Vec::new();
        if link.src.is_empty() || link.tgt.is_empty() {
            let side = if link.src.is_empty() {
                "source"
            } else {
                "target"
            };
            flags.push(Flag {
                code: FlagCode::LowConfidence,
                severity: Severity::Warning,
                message: format!("no {side} sentence aligned to this one"),
                term: None,
                expected: None,
            });
        } else if link.score < 0.0 {
            flags.push(Flag {
                code: FlagCode::LowConfidence,
                severity: Severity::Warning,
                message: format!("weak alignment (score {:.2})", link.score),
                term: None,
                expected: None,
            });
        }
        bitext.pairs.push(Pair {
            id,
            block,
            kind,
            source,
            target,
            terms: Vec::new(),
            flags,
            origin: Origin::Aligned {
                score: (link.score * 1000.0).round() / 1000.0,
                src: link.src.clone(),
                tgt: link.tgt.clone(),
            },
        });
    }
    bitext
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SegmentId;

    fn seg(block: u32, sentence: u32, text: &str) -> Segment {
        Segment {
            id: SegmentId::new(block, sentence),
            block,
            kind: if block == 1 {
                BlockKind::Heading
            } else {
                BlockKind::Paragraph
            },
            text: text.to_string(),
            line: block,
        }
    }

    fn link(src: &[usize], tgt: &[usize], score: f64) -> Link {
        Link {
            src: src.to_vec(),
            tgt: tgt.to_vec(),
            score,
        }
    }

    #[test]
    fn bitext_ids_kinds_and_flags() {
        let zh = [
            seg(1, 1, "标题"),
            seg(2, 1, "甲。"),
            seg(2, 2, "乙。"),
            seg(3, 1, "丙。"),
        ];
        let en = ["Title", "A and B.", "Extra.", "C."];
        let links = [
            link(&[0], &[0], 2.0),
            link(&[1, 2], &[1], 1.5),
            link(&[], &[2], -5.0),
            link(&[3], &[3], -0.5),
        ];
        let bitext = to_bitext(&zh, &en, &links, Meta::default());
        let ids: Vec<&str> = bitext.pairs.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["b1.s1", "b2.s1+s2", "t3", "b3.s1"]);
        assert_eq!(bitext.pairs[0].kind, BlockKind::Heading);
        assert_eq!(bitext.pairs[1].source, "甲。乙。");
        // A 0-1 link takes the block of the link before it.
        assert_eq!(
            (bitext.pairs[2].block, bitext.pairs[2].source.as_str()),
            (2, "")
        );
        assert_eq!(bitext.pairs[2].flags[0].code, FlagCode::LowConfidence);
        assert_eq!(bitext.pairs[3].flags[0].code, FlagCode::LowConfidence);
        assert!(bitext.pairs[1].flags.is_empty());
        let merged = to_bitext(&zh, &en, &[link(&[2, 3], &[1, 2, 3], 1.0)], Meta::default());
        assert_eq!(merged.pairs[0].id, "b2.s2+b3.s1");
        assert_eq!(merged.pairs[0].target, "A and B. Extra. C.");
    }

    #[test]
    fn length_diagonal_follows_character_shares() {
        let zh = ["一二三四", "五六七八", "九十"];
        let en = ["aaaa aaaa aaaa aaaa", "bbbb", "bbbb bbbb bbbb", "cccc cccc"];
        let features = Features::build(
            &zh,
            &en,
            &Evidence {
                dictionary: None,
                terms: None,
                translations: None,
            },
        );
        let centre = length_diagonal(&features);
        assert_eq!(centre.first(), Some(&0));
        assert_eq!(centre.last(), Some(&4));
        assert!(centre.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn numbers_and_latin_tokens_align_without_a_dictionary() {
        let zh = [
            "2019年有120家企业参加。",
            "会场设在Expo中心。",
            "2021年增长到300家。",
        ];
        let en = [
            "In 2019, 120 companies took part.",
            "The venue was the Expo Center.",
            "By 2021 the number had grown to 300.",
        ];
        let evidence = Evidence {
            dictionary: None,
            terms: None,
            translations: None,
        };
        let features = Features::build(&zh, &en, &evidence);
        assert_eq!(features.masks(0, 0).0.count_ones(), 2); // 2019, 120
        assert_eq!(features.masks(1, 1).0.count_ones(), 1); // Expo
        assert_eq!(features.masks(0, 2), (0, 0));
        assert_eq!(features.masks(2, 2).1.count_ones(), 2); // 2021, 300
        let links = Aligner::new(None, None).align(&zh, &en);
        let pairs: Vec<(Vec<usize>, Vec<usize>)> =
            links.into_iter().map(|l| (l.src, l.tgt)).collect();
        assert_eq!(
            pairs,
            [(vec![0], vec![0]), (vec![1], vec![1]), (vec![2], vec![2])]
        );
    }
}

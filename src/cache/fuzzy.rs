//! Fuzzy matches: memory entries whose source is similar to a new sentence.
//!
//! Similarity is character-level: `1 − d / max(|a|, |b|)` with `d` the Levenshtein distance
//! over characters of the normalised sources. The index is a character-bigram inverted index:
//! a query counts, per entry, the distinct bigrams it shares, and only entries that can still
//! reach the threshold are verified with the (banded) edit distance. The bound: one edit
//! removes at most two distinct bigrams of a sentence, so an entry within distance `d` shares at
//! least `|bigrams(query)| − 2d` of them; and `d ≥ | |a| − |b| |` rules out entries of very
//! different length before counting.

use super::normalize_source;
use std::collections::HashMap;

/// One entry the index can return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuzzyEntry {
    pub source: String,
    pub target: String,
    /// A human translation (sent before machine ones).
    pub human: bool,
}

/// A similar entry and how similar it is.
#[derive(Debug, Clone, PartialEq)]
pub struct FuzzyMatch {
    pub source: String,
    pub target: String,
    pub human: bool,
    /// Character-level similarity in `[0, 1]`.
    pub similarity: f64,
}

impl FuzzyMatch {
    /// The similarity in whole percent, rounded down (86 for 0.867).
    pub fn percent(&self) -> u8 {
        (self.similarity * 100.0 + 1e-9).floor().clamp(0.0, 100.0) as u8
    }
}

/// The bigram inverted index over a set of entries (built in memory from the store).
#[derive(Debug, Default)]
pub struct FuzzyIndex {
    entries: Vec<FuzzyEntry>,
    /// Normalised source of each entry, as characters.
    chars: Vec<Vec<char>>,
    /// Bigram → entries containing it (each entry once, ascending).
    postings: HashMap<u64, Vec<u32>>,
}

fn bigram(a: char, b: char) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// The distinct bigrams of `chars` (a one-character text is its own "bigram").
fn bigrams(chars: &[char]) -> Vec<u64> {
    let mut out: Vec<u64> = match chars {
        [] => Vec::new(),
        [only] => vec![bigram(*only, '\0')],
        _ => chars.windows(2).map(|w| bigram(w[0], w[1])).collect(),
    };
    out.sort_unstable();
    out.dedup();
    out
}

impl FuzzyIndex {
    /// Indexes `entries`; duplicates (same source and target) are kept once, a human one
    /// before a machine one.
    pub fn new(mut entries: Vec<FuzzyEntry>) -> FuzzyIndex {
        entries.sort_by(|a, b| {
            (&a.source, &a.target, !a.human).cmp(&(&b.source, &b.target, !b.human))
        });
        entries.dedup_by(|b, a| a.source == b.source && a.target == b.target);
        let mut index = FuzzyIndex::default();
        for entry in entries {
            let chars: Vec<char> = normalize_source(&entry.source).chars().collect();
            if chars.is_empty() {
                continue;
            }
            let id = index.entries.len() as u32;
            for gram in bigrams(&chars) {
                index.postings.entry(gram).or_default().push(id);
            }
            index.chars.push(chars);
            index.entries.push(entry);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries at least `threshold` similar to `text`, best first (a human entry before a
    /// machine one of the same similarity), at most `limit`.
    pub fn lookup(&self, text: &str, threshold: f64, limit: usize) -> Vec<FuzzyMatch> {
        let mut scratch = Scratch::default();
        self.lookup_with(text, threshold, limit, &mut scratch)
    }

    /// [`FuzzyIndex::lookup`] for many texts, reusing one scratch buffer.
    pub fn lookup_many(
        &self,
        texts: &[&str],
        threshold: f64,
        limit: usize,
    ) -> Vec<Vec<FuzzyMatch>> {
        let mut scratch = Scratch::default();
        texts
            .iter()
            .map(|t| self.lookup_with(t, threshold, limit, &mut scratch))
            .collect()
    }

    fn lookup_with(
        &self,
        text: &str,
        threshold: f64,
        limit: usize,
        scratch: &mut Scratch,
    ) -> Vec<FuzzyMatch> {
        let query: Vec<char> = normalize_source(text).chars().collect();
        if query.is_empty() || limit == 0 || self.entries.is_empty() {
            return Vec::new();
        }
        let threshold = threshold.clamp(0.01, 1.0);
        let grams = bigrams(&query);
        let qlen = query.len();
        // Lengths that can reach the threshold: |b| ≥ t·|a| and |a| ≥ t·|b|.
        let min_len = (threshold * qlen as f64).ceil() as usize;
        let max_len = (qlen as f64 / threshold).floor() as usize;
        scratch.counts.resize(self.entries.len(), 0);
        scratch.touched.clear();
        // An entry that shares no bigram can still qualify when the query has few distinct
        // bigrams for the distance allowed (very short or repetitive texts): then every entry
        // is a candidate (rare for sentences: a 12-character one at 0.75 must share 5).
        let widest = ((1.0 - threshold) * max_len as f64 + 1e-9).floor() as usize;
        if grams.len() <= 2 * widest {
            scratch.touched.extend(0..self.entries.len() as u32);
        }
        for gram in &grams {
            if let Some(list) = self.postings.get(gram) {
                for &id in list {
                    let count = &mut scratch.counts[id as usize];
                    if *count == 0 && grams.len() > 2 * widest {
                        scratch.touched.push(id);
                    }
                    *count = count.saturating_add(1);
                }
            }
        }
        let mut found = Vec::new();
        for &id in &scratch.touched {
            let shared = std::mem::take(&mut scratch.counts[id as usize]) as usize;
            let candidate = &self.chars[id as usize];
            let clen = candidate.len();
            if clen < min_len || clen > max_len {
                continue;
            }
            let longest = qlen.max(clen);
            let max_distance = ((1.0 - threshold) * longest as f64 + 1e-9).floor() as usize;
            if shared + 2 * max_distance < grams.len() {
                continue;
            }
            if let Some(distance) = bounded_levenshtein(&query, candidate, max_distance) {
                let similarity = 1.0 - distance as f64 / longest as f64;
                if similarity + 1e-9 >= threshold {
                    found.push((id, similarity));
                }
            }
        }
        found.sort_by(|a, b| {
            let (ea, eb) = (&self.entries[a.0 as usize], &self.entries[b.0 as usize]);
            b.1.total_cmp(&a.1)
                .then(eb.human.cmp(&ea.human))
                .then(a.0.cmp(&b.0))
        });
        found.truncate(limit);
        found
            .into_iter()
            .map(|(id, similarity)| {
                let entry = &self.entries[id as usize];
                FuzzyMatch {
                    source: entry.source.clone(),
                    target: entry.target.clone(),
                    human: entry.human,
                    similarity,
                }
            })
            .collect()
    }
}

/// Per-query counters, reused across queries.
#[derive(Debug, Default)]
struct Scratch {
    counts: Vec<u16>,
    touched: Vec<u32>,
}

/// The character similarity of two texts (after normalisation), `1 − d / max length`.
pub fn similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = normalize_source(a).chars().collect();
    let b: Vec<char> = normalize_source(b).chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let d = bounded_levenshtein(&a, &b, longest).unwrap_or(longest);
    1.0 - d as f64 / longest as f64
}

/// The Levenshtein distance of `a` and `b` when it is at most `max`, else `None`. Only the
/// band of width `2·max + 1` around the diagonal is computed.
pub fn bounded_levenshtein(a: &[char], b: &[char], max: usize) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return None;
    }
    const FAR: usize = usize::MAX / 2;
    let mut prev: Vec<usize> = (0..=m).map(|j| if j <= max { j } else { FAR }).collect();
    let mut cur = vec![FAR; m + 1];
    for i in 1..=n {
        let lo = i.saturating_sub(max).max(1);
        let hi = (i + max).min(m);
        cur.iter_mut().for_each(|c| *c = FAR);
        cur[0] = if i <= max { i } else { FAR };
        let mut best = cur[0];
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let value = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            cur[j] = value;
            best = best.min(value);
        }
        if best > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    (prev[m] <= max).then_some(prev[m])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(source: &str, target: &str, human: bool) -> FuzzyEntry {
        FuzzyEntry {
            source: source.into(),
            target: target.into(),
            human,
        }
    }

    fn plain_levenshtein(a: &[char], b: &[char]) -> usize {
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for i in 1..=a.len() {
            let mut cur = vec![i; b.len() + 1];
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                cur[j] = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    }

    #[test]
    fn banded_distance_agrees_with_the_full_table() {
        let texts = [
            "",
            "a",
            "ab",
            "abc",
            "kitten",
            "sitting",
            "两江新区",
            "两江新城区",
            "新区两江",
        ];
        for a in texts {
            for b in texts {
                let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                let full = plain_levenshtein(&a, &b);
                for max in 0..8 {
                    let banded = bounded_levenshtein(&a, &b, max);
                    assert_eq!(banded, (full <= max).then_some(full), "{a:?} {b:?} {max}");
                }
            }
        }
    }

    #[test]
    fn finds_similar_sources_best_first_humans_first_on_ties() {
        let index = FuzzyIndex::new(vec![
            entry("重庆两江新区今年经济增长百分之八", "machine A", false),
            entry("重庆两江新区今年经济增长百分之九", "human B", true),
            entry("重庆两江新区今年经济增长百分之九", "machine B", false),
            entry("完全不同的一句话", "other", true),
            entry("重庆两江新区去年经济增长", "shorter", false),
        ]);
        let found = index.lookup("重庆两江新区今年经济增长百分之七", 0.75, 3);
        let targets: Vec<&str> = found.iter().map(|m| m.target.as_str()).collect();
        assert_eq!(targets, ["human B", "machine B", "machine A"]);
        assert_eq!(found[0].percent(), 93); // 1 edit in 16 characters
        assert!(index.lookup("完全无关", 0.75, 3).is_empty());
        // Exactly at the threshold counts.
        let found = index.lookup("重庆两江新区去年经济", 10.0 / 12.0, 3);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].target, "shorter");
    }

    #[test]
    fn index_agrees_with_a_scan() {
        // Pseudo-random sentences over a small alphabet, so that many are near each other.
        let alphabet: Vec<char> = "两江新区经济增长重庆今年的".chars().collect();
        let mut rng = fastrand::Rng::with_seed(7);
        let mut make = |len: usize| -> String {
            (0..len)
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect()
        };
        let entries: Vec<FuzzyEntry> = (0..300)
            .map(|i| entry(&make(4 + i % 13), &format!("t{i}"), i % 3 == 0))
            .collect();
        let queries: Vec<String> = (0..60).map(|i| make(3 + i % 14)).collect();
        let index = FuzzyIndex::new(entries.clone());
        for threshold in [0.5, 0.75, 0.9] {
            for q in &queries {
                let got: Vec<(String, String)> = index
                    .lookup(q, threshold, usize::MAX)
                    .into_iter()
                    .map(|m| (m.source, m.target))
                    .collect();
                let mut want: Vec<(String, String)> = entries
                    .iter()
                    .filter(|e| similarity(q, &e.source) + 1e-9 >= threshold)
                    .map(|e| (e.source.clone(), e.target.clone()))
                    .collect();
                let mut got_sorted = got.clone();
                got_sorted.sort();
                want.sort();
                want.dedup();
                assert_eq!(got_sorted, want, "{q} at {threshold}");
            }
        }
    }
}

//! Term metrics as the WMT terminology task defines them.
//!
//! - **Term success rate**: required term occurrences rendered / required occurrences. Every
//!   occurrence of a glossary term in a source (leftmost-longest, so a term inside a longer
//!   term is not required separately) needs its own rendering in the target: matching is
//!   exclusive — two occurrences need two renderings, and a rendering that lies inside
//!   another term's rendering (the "SCO" of "Trade and Economic Multifunctional Platform for
//!   the SCO Countries") does not count for a second term. Any accepted rendering counts
//!   (`target`, `first`, `alternates`; the source itself for `keep`).
//! - **Term consistency**: for each source term, the share of its occurrences rendered with
//!   its most frequent accepted rendering, averaged over the terms that occur.
//!
//! Each occurrence may take any match of any of its term's renderings; the occurrences of a
//! segment are then assigned non-overlapping matches so that as many as possible are
//! rendered (an exact search; segments hold a handful of terms).

use super::check::{candidates, rendering_pattern};
use super::{Glossary, Matcher, Term};
use crate::model::{Bitext, Span};
use regex::Regex;
use std::collections::HashMap;

/// What one segment required and what its target rendered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentTerms {
    pub id: String,
    /// Term occurrences in the source.
    pub required: usize,
    /// Occurrences with their own rendering in the target.
    pub found: usize,
    /// The source form of each occurrence without a rendering (in source order).
    pub missing: Vec<String>,
}

/// Term success and consistency over a document.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TermMetrics {
    pub required: usize,
    pub found: usize,
    /// `found / required`; `None` when no term occurs.
    pub success_rate: Option<f64>,
    /// Mean over terms of (occurrences with the term's most frequent rendering /
    /// occurrences); `None` when no term occurs.
    pub consistency: Option<f64>,
    /// Segments with at least one required term, in document order.
    pub segments: Vec<SegmentTerms>,
}

impl std::fmt::Display for TermMetrics {
    /// `terms: 52/54 rendered (96.3%), consistency 98.1%`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.success_rate, self.consistency) {
            (Some(rate), Some(consistency)) => write!(
                f,
                "terms: {}/{} rendered ({:.1}%), consistency {:.1}%",
                self.found,
                self.required,
                rate * 100.0,
                consistency * 100.0
            ),
            _ => write!(f, "terms: none required"),
        }
    }
}

/// Measures term success and consistency of a bilingual document against a glossary.
pub fn term_metrics(bitext: &Bitext, glossary: &Glossary) -> TermMetrics {
    let matcher: Matcher = glossary.matcher();
    let mut compiled: HashMap<usize, Vec<Regex>> = HashMap::new();
    // Per term: rendering → occurrences, and all occurrences.
    let mut per_term: HashMap<usize, (HashMap<String, usize>, usize)> = HashMap::new();
    let mut segments = Vec::new();
    let (mut required, mut found) = (0, 0);
    for pair in &bitext.pairs {
        let matches: Vec<_> = matcher
            .find(&pair.source)
            .into_iter()
            .filter(|m| m.term < glossary.terms.len())
            .collect();
        if matches.is_empty() {
            continue;
        }
        // Every target span each occurrence could take.
        let options: Vec<Vec<Span>> = matches
            .iter()
            .map(|m| {
                let regexes = compiled
                    .entry(m.term)
                    .or_insert_with(|| rendering_regexes(&glossary.terms[m.term]));
                let mut spans: Vec<Span> = regexes
                    .iter()
                    .flat_map(|re| re.find_iter(&pair.target))
                    .map(|f| Span::new(f.start(), f.end()))
                    .collect();
                spans.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
                spans.dedup();
                spans
            })
            .collect();
        let assigned = assign(&options);
        let rendered: Vec<Option<String>> = assigned
            .iter()
            .map(|a| a.map(|span| rendering_key(&pair.target[span.start..span.end])))
            .collect();
        let occurrences: Vec<(usize, usize)> = matches
            .iter()
            .enumerate()
            .map(|(k, m)| (m.term, k))
            .collect();
        let mut segment = SegmentTerms {
            id: pair.id.clone(),
            required: occurrences.len(),
            found: 0,
            missing: Vec::new(),
        };
        for ((term, k), rendering) in occurrences.iter().zip(rendered) {
            let entry = per_term.entry(*term).or_default();
            entry.1 += 1;
            match rendering {
                Some(key) => {
                    segment.found += 1;
                    *entry.0.entry(key).or_default() += 1;
                }
                None => {
                    let span = matches[*k].span;
                    segment
                        .missing
                        .push(pair.source[span.start..span.end].to_string());
                }
            }
        }
        required += segment.required;
        found += segment.found;
        segments.push(segment);
    }
    let consistency = (!per_term.is_empty()).then(|| {
        let sum: f64 = per_term
            .values()
            .map(|(renderings, total)| {
                let top = renderings.values().copied().max().unwrap_or(0);
                top as f64 / *total as f64
            })
            .sum();
        sum / per_term.len() as f64
    });
    TermMetrics {
        required,
        found,
        success_rate: (required > 0).then(|| found as f64 / required as f64),
        consistency,
        segments,
    }
}

/// One regex per accepted rendering of a term (any mention: target, first, alternates).
fn rendering_regexes(term: &Term) -> Vec<Regex> {
    let case = if term.case_sensitive || term.keep {
        ""
    } else {
        "(?i)"
    };
    candidates(term, false)
        .iter()
        .filter_map(|r| Regex::new(&format!("{case}{}", rendering_pattern(r))).ok())
        .collect()
}

/// The largest set of occurrences that can each take one of their spans with no two spans
/// overlapping (among those, the one covering the most target text, so a longer term keeps
/// its rendering over a shorter term inside it): depth-first search over the occurrences
/// with the fewest options first, within a step budget (then the best found so far).
fn assign(options: &[Vec<Span>]) -> Vec<Option<Span>> {
    let mut order: Vec<usize> = (0..options.len()).collect();
    order.sort_by_key(|&i| options[i].len());
    let mut current = vec![None; options.len()];
    let mut best = current.clone();
    let mut best_score = (0, 0);
    let mut budget = 200_000u32;
    search(
        options,
        &order,
        0,
        (0, 0),
        &mut current,
        &mut best,
        &mut best_score,
        &mut budget,
    );
    best
}

#[allow(clippy::too_many_arguments)]
fn search(
    options: &[Vec<Span>],
    order: &[usize],
    depth: usize,
    score: (usize, usize),
    current: &mut Vec<Option<Span>>,
    best: &mut Vec<Option<Span>>,
    best_score: &mut (usize, usize),
    budget: &mut u32,
) {
    if score > *best_score {
        *best_score = score;
        best.clone_from(current);
    }
    if depth == order.len() || score.0 + (order.len() - depth) < best_score.0 || *budget == 0 {
        return;
    }
    *budget -= 1;
    let i = order[depth];
    for &span in &options[i] {
        let free = current
            .iter()
            .flatten()
            .all(|t| span.end <= t.start || span.start >= t.end);
        if free {
            current[i] = Some(span);
            let next = (score.0 + 1, score.1 + span.end - span.start);
            search(
                options,
                order,
                depth + 1,
                next,
                current,
                best,
                best_score,
                budget,
            );
            current[i] = None;
        }
    }
    // Or leave this occurrence unrendered.
    search(
        options,
        order,
        depth + 1,
        score,
        current,
        best,
        best_score,
        budget,
    );
}

/// A rendering as counted for consistency: lower case, spaces collapsed, a plural or
/// possessive ending removed.
fn rendering_key(text: &str) -> String {
    let lower = text.to_lowercase();
    let joined = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = joined
        .strip_suffix("'s")
        .or_else(|| joined.strip_suffix("\u{2019}s"))
        .unwrap_or(&joined);
    trimmed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glossary::Term;
    use crate::model::{BlockKind, Meta, Origin, Pair};

    fn term(source: &str, target: &str, alternates: &[&str]) -> Term {
        Term {
            source: source.into(),
            target: Some(target.into()),
            alternates: alternates.iter().map(|s| s.to_string()).collect(),
            ..Term::default()
        }
    }

    fn bitext(pairs: &[(&str, &str)]) -> Bitext {
        let mut b = Bitext::new("zh-CN", "en", Meta::default());
        for (i, (source, target)) in pairs.iter().enumerate() {
            b.pairs.push(Pair {
                id: format!("b{}.s1", i + 1),
                block: i as u32 + 1,
                kind: BlockKind::Paragraph,
                source: source.to_string(),
                target: target.to_string(),
                terms: Vec::new(),
                flags: Vec::new(),
                origin: Origin::Manual,
            });
        }
        b
    }

    /// The worked example of docs/terminology.md, counted by hand there.
    #[test]
    fn planted_misses_doubles_and_inconsistent_renderings() {
        let glossary = Glossary::new(
            "t",
            vec![
                term("两江新区", "Liangjiang New Area", &["Liangjiang"]),
                term("上合组织", "SCO", &["Shanghai Cooperation Organization"]),
                term("上合组织国家多功能经贸平台", "SCO Trade Platform", &[]),
            ],
        );
        let doc = bitext(&[
            ("两江新区发展。", "Liangjiang New Area develops."),
            (
                "两江新区和两江新区。",
                "Liangjiang New Area and its neighbours.",
            ),
            (
                "上合组织国家多功能经贸平台与上合组织。",
                "The SCO Trade Platform and partners.",
            ),
            ("两江新区。", "Liangjiang is growing."),
            ("上合组织。", "The Shanghai Cooperation Organization met."),
            ("上合组织。", "SCO met."),
            ("两江新区。", ""),
            ("没有术语。", "No terms."),
        ]);
        let m = term_metrics(&doc, &glossary);
        assert_eq!((m.found, m.required), (6, 9));
        assert!((m.success_rate.unwrap() - 6.0 / 9.0).abs() < 1e-9);
        // 两江新区 2/5 ("liangjiang new area" twice of five), 上合组织 1/3, the platform 1/1.
        let expected = (2.0 / 5.0 + 1.0 / 3.0 + 1.0) / 3.0;
        assert!((m.consistency.unwrap() - expected).abs() < 1e-9, "{m:?}");
        assert_eq!(m.segments.len(), 7);
        assert_eq!(m.segments[1].missing, ["两江新区"]);
        assert_eq!(m.segments[2].missing, ["上合组织"]);
        assert_eq!((m.segments[2].required, m.segments[2].found), (2, 1));
        assert_eq!(m.segments[6].missing, ["两江新区"]);
        assert_eq!(
            m.to_string(),
            "terms: 6/9 rendered (66.7%), consistency 57.8%"
        );
    }

    #[test]
    fn no_terms_no_rates() {
        let m = term_metrics(&bitext(&[("你好。", "Hello.")]), &Glossary::empty());
        assert_eq!((m.success_rate, m.consistency), (None, None));
        assert_eq!(m.to_string(), "terms: none required");
    }
}

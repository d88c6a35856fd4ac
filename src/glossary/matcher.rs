//! Leftmost-longest matching of glossary sources in a text, after width folding.

use super::Glossary;
use super::fold::{self, Folded};
use crate::model::Span;
use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};
use std::collections::HashMap;

/// A term found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TermMatch {
    /// Index into `glossary.terms`.
    pub term: usize,
    /// Byte span in the original (unfolded) text.
    pub span: Span,
}

/// A compiled matcher for a glossary's sources (an Aho-Corasick double array, leftmost-longest:
/// `中国—上海合作组织数字经济产业论坛` wins over `上海合作组织`, which wins over `上合`).
#[derive(Clone)]
pub struct Matcher {
    automaton: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
    patterns: usize,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("patterns", &self.patterns)
            .finish()
    }
}

impl Matcher {
    /// Builds the matcher. Entries whose sources fold to the same string are one pattern,
    /// the later entry wins; empty sources are skipped.
    pub fn new(glossary: &Glossary) -> Matcher {
        let mut by_key: HashMap<String, u32> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        for (index, term) in glossary.terms.iter().enumerate() {
            let key = fold::fold(&term.source);
            if key.is_empty() {
                continue;
            }
            let index = u32::try_from(index).expect("fewer than 2^32 terms");
            if by_key.insert(key.clone(), index).is_none() {
                order.push(key);
            }
        }
        let patterns = order.len();
        let automaton = if order.is_empty() {
            None
        } else {
            let pairs = order.into_iter().map(|key| {
                let value = by_key[&key];
                (key, value)
            });
            Some(
                CharwiseDoubleArrayAhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build_with_values(pairs)
                    .expect("distinct non-empty patterns always build"),
            )
        };
        Matcher {
            automaton,
            patterns,
        }
    }

    /// Number of distinct (folded) patterns.
    pub fn len(&self) -> usize {
        self.patterns
    }

    pub fn is_empty(&self) -> bool {
        self.patterns == 0
    }

    /// Every term in `text`, leftmost-longest, non-overlapping, in text order. Spans are
    /// byte offsets into `text` itself (not into its folded form).
    pub fn find(&self, text: &str) -> Vec<TermMatch> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let folded = Folded::new(text);
        automaton
            .leftmost_find_iter(folded.text.as_ref())
            .map(|m| TermMatch {
                term: m.value() as usize,
                span: Span::new(
                    folded.original_offset(m.start()),
                    folded.original_offset(m.end()),
                ),
            })
            .collect()
    }

    /// Number of matches in `text` without collecting them (for benchmarks and counts).
    pub fn count(&self, text: &str) -> usize {
        let Some(automaton) = &self.automaton else {
            return 0;
        };
        let folded = Folded::new(text);
        automaton.leftmost_find_iter(folded.text.as_ref()).count()
    }
}

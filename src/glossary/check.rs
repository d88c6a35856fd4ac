//! Checking renderings in the target: term plans before translation, annotations after.

use super::{Glossary, Matcher, Term};
use crate::model::TermPair;
use crate::model::{Bitext, Flag, FlagCode, Severity, Span, TermHit};
use regex::Regex;
use std::collections::{HashMap, HashSet};

/// A glossary term whose required rendering is missing from a pair's target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    pub pair_id: String,
    /// The entry's source form.
    pub term: String,
    /// The rendering that was expected.
    pub expected: String,
    /// The target sentence (shortened to 120 characters) in which it was not found.
    pub context: String,
    /// `missing_term` or `first_mention`.
    pub code: FlagCode,
    /// One line, e.g. `missing "Liangjiang New Area" for 两江新区`.
    pub message: String,
}

/// The renderings that count for an occurrence: for `keep` the source (and alternates); for
/// a first mention of an entry with `first`, only `first`; otherwise target, first and
/// alternates.
fn candidates(term: &Term, first_mention: bool) -> Vec<&str> {
    let mut list: Vec<&str> = Vec::new();
    if term.keep {
        list.push(&term.source);
        list.extend(term.alternates.iter().map(String::as_str));
    } else if first_mention && let Some(first) = &term.first {
        list.push(first);
    } else {
        list.extend(term.target.as_deref());
        list.extend(term.first.as_deref());
        list.extend(term.alternates.iter().map(String::as_str));
    }
    list.retain(|s| !s.trim().is_empty());
    list.sort_by_key(|s| std::cmp::Reverse(s.len()));
    list.dedup();
    list
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// One rendering as a regex: whole words, flexible spaces and dashes, `'s`/`s` endings.
fn rendering_pattern(text: &str) -> String {
    let text = text.trim();
    let mut pattern = String::new();
    if text.chars().next().is_some_and(is_word) {
        pattern.push_str(r"\b");
    }
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !in_space {
                pattern.push_str(r"\s+");
            }
            in_space = true;
            continue;
        }
        in_space = false;
        match c {
            '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' => {
                pattern.push_str("[-\u{2010}\u{2011}\u{2012}\u{2013}\u{2014}]");
            }
            '\'' | '\u{2019}' => pattern.push_str("['\u{2019}]"),
            _ => pattern.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    if text.chars().last().is_some_and(is_word) {
        pattern.push_str(r"(?:['\u{2019}]s|s)?\b");
    }
    pattern
}

/// A compiled set of renderings for one term and mention kind.
struct Renderings {
    regex: Option<Regex>,
}

impl Renderings {
    fn new(term: &Term, first_mention: bool) -> Renderings {
        let list = candidates(term, first_mention);
        if list.is_empty() {
            return Renderings { regex: None };
        }
        let alternation: Vec<String> = list.iter().map(|s| rendering_pattern(s)).collect();
        let case = if term.case_sensitive || term.keep {
            ""
        } else {
            "(?i)"
        };
        let pattern = format!("{case}(?:{})", alternation.join("|"));
        Renderings {
            regex: Regex::new(&pattern).ok(),
        }
    }

    fn find_all(&self, target: &str) -> Vec<Span> {
        self.regex.as_ref().map_or_else(Vec::new, |re| {
            re.find_iter(target)
                .map(|m| Span::new(m.start(), m.end()))
                .collect()
        })
    }
}

/// Where a rendering of `term` occurs in `target` (whole words, case rules, `'s` / `s`
/// endings). For `first_mention` and an entry with `first`, only `first` counts.
pub fn find_rendering(term: &Term, target: &str, first_mention: bool) -> Option<Span> {
    Renderings::new(term, first_mention)
        .find_all(target)
        .into_iter()
        .next()
}

/// What decides a "first mention": entries that share a `first` form (上海合作组织 and 上合组织
/// both spell out "Shanghai Cooperation Organization (SCO)") introduce it once per document.
fn mention_key(term: &Term) -> String {
    match &term.first {
        Some(first) if !term.keep => format!("first:{}", first.trim().to_lowercase()),
        _ => format!("term:{}", term.key()),
    }
}

/// One occurrence of a glossary entry in a segment, as the translate pipeline plans it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermUse {
    /// Index of the entry in `Glossary::terms`.
    pub entry: usize,
    /// The text as it occurs in the segment (it may differ from the entry's source by width
    /// folding).
    pub surface: String,
    /// The document's first mention of the entry (or of its shared `first` form).
    pub first_mention: bool,
}

/// For the translate pipeline: for each segment text (document order), the entries it
/// contains, each distinct surface form once per segment, in order of occurrence, with
/// whether it is the document's first mention.
pub fn plan_term_uses(glossary: &Glossary, matcher: &Matcher, texts: &[&str]) -> Vec<Vec<TermUse>> {
    let mut seen: HashSet<String> = HashSet::new();
    texts
        .iter()
        .map(|text| {
            let mut uses: Vec<TermUse> = Vec::new();
            for m in matcher.find(text) {
                let Some(term) = glossary.terms.get(m.term) else {
                    continue;
                };
                let first_mention = seen.insert(mention_key(term));
                let surface = &text[m.span.start..m.span.end];
                if uses.iter().any(|u| u.surface == surface) {
                    continue;
                }
                uses.push(TermUse {
                    entry: m.term,
                    surface: surface.to_string(),
                    first_mention,
                });
            }
            uses
        })
        .collect()
}

/// [`plan_term_uses`] as term pairs: the rendering to ask for at each occurrence (`first` at
/// the document's first mention of a term, `target` after).
pub fn plan_terms(glossary: &Glossary, matcher: &Matcher, texts: &[&str]) -> Vec<Vec<TermPair>> {
    plan_term_uses(glossary, matcher, texts)
        .into_iter()
        .map(|uses| {
            uses.into_iter()
                .map(|u| TermPair {
                    target: glossary.terms[u.entry]
                        .rendering(u.first_mention)
                        .to_string(),
                    source: u.surface,
                })
                .collect()
        })
        .collect()
}

fn message_for(code: FlagCode, term: &Term, expected: &str) -> String {
    match code {
        FlagCode::FirstMention => {
            format!("first mention of {} should be {expected:?}", term.source)
        }
        _ => format!("missing {expected:?} for {}", term.source),
    }
}

/// After translation or alignment: fills every pair's `terms` and replaces its glossary
/// flags (`missing_term`, `first_mention`). First mentions are decided in pair order; pairs
/// with an empty source are skipped (left untouched).
pub fn annotate(bitext: &mut Bitext, glossary: &Glossary, matcher: &Matcher) {
    annotate_with(bitext, glossary, matcher, &RenderingCache::default());
}

/// The compiled renderings of one glossary's terms, built on first use and shared by many
/// checks (the translate pipeline checks every answer, then annotates every document).
/// Keyed by term index: use one cache per glossary.
#[derive(Default)]
pub struct RenderingCache {
    compiled: std::sync::Mutex<HashMap<(usize, bool), std::sync::Arc<Renderings>>>,
}

impl RenderingCache {
    fn get(&self, index: usize, term: &Term, first_mention: bool) -> std::sync::Arc<Renderings> {
        let mut compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        compiled
            .entry((index, first_mention))
            .or_insert_with(|| std::sync::Arc::new(Renderings::new(term, first_mention)))
            .clone()
    }

    /// [`find_rendering`] for `glossary.terms[index]`, compiling its renderings once.
    pub fn find(
        &self,
        index: usize,
        term: &Term,
        target: &str,
        first_mention: bool,
    ) -> Option<Span> {
        self.get(index, term, first_mention)
            .find_all(target)
            .into_iter()
            .next()
    }
}

/// [`annotate`] with a shared [`RenderingCache`] (for the same glossary).
pub fn annotate_with(
    bitext: &mut Bitext,
    glossary: &Glossary,
    matcher: &Matcher,
    compiled: &RenderingCache,
) {
    let mut seen: HashSet<String> = HashSet::new();
    for pair in &mut bitext.pairs {
        if pair.source.trim().is_empty() {
            continue;
        }
        pair.flags
            .retain(|f| !matches!(f.code, FlagCode::MissingTerm | FlagCode::FirstMention));
        pair.terms.clear();
        let matches = matcher.find(&pair.source);
        // Distinct terms in order of first occurrence, with their occurrences.
        let mut order: Vec<usize> = Vec::new();
        let mut occurrences: HashMap<usize, Vec<Span>> = HashMap::new();
        for m in &matches {
            if m.term >= glossary.terms.len() {
                continue;
            }
            occurrences
                .entry(m.term)
                .or_insert_with(|| {
                    order.push(m.term);
                    Vec::new()
                })
                .push(m.span);
        }
        let mut hits: Vec<TermHit> = Vec::new();
        for index in order {
            let term = &glossary.terms[index];
            let spans = &occurrences[&index];
            let first_mention = seen.insert(mention_key(term));
            let any = compiled.get(index, term, false).find_all(&pair.target);
            let wants_first = first_mention && !term.keep && term.first.is_some();
            let first_span = if wants_first {
                compiled
                    .get(index, term, true)
                    .find_all(&pair.target)
                    .into_iter()
                    .next()
            } else {
                None
            };
            let mut free = any
                .iter()
                .filter(|s| first_span.is_none_or(|f| s.end <= f.start || s.start >= f.end))
                .copied();
            for (k, span) in spans.iter().enumerate() {
                let first_here = first_mention && k == 0;
                let target_span = if first_here && wants_first {
                    first_span
                } else {
                    free.next()
                };
                hits.push(TermHit {
                    term: term.source.clone(),
                    expected: term.rendering(first_here).to_string(),
                    source_span: *span,
                    target_span,
                });
            }
            let flag = if wants_first && first_span.is_none() {
                let code = if any.is_empty() {
                    FlagCode::MissingTerm
                } else {
                    FlagCode::FirstMention
                };
                Some((code, term.rendering(true)))
            } else if !wants_first && any.is_empty() {
                Some((FlagCode::MissingTerm, term.rendering(first_mention)))
            } else {
                None
            };
            if let Some((code, expected)) = flag {
                pair.flags.push(Flag {
                    code,
                    severity: Severity::Error,
                    message: message_for(code, term, expected),
                    term: Some(term.source.clone()),
                    expected: Some(expected.to_string()),
                });
            }
        }
        hits.sort_by_key(|h| (h.source_span.start, h.source_span.end));
        pair.terms = hits;
    }
}

/// Checks a bilingual document against a glossary: one violation per missing rendering (see
/// [`annotate`]), in pair order.
pub fn check(bitext: &Bitext, glossary: &Glossary) -> Vec<Violation> {
    let mut copy = bitext.clone();
    let matcher = glossary.matcher();
    annotate(&mut copy, glossary, &matcher);
    let mut violations = Vec::new();
    for pair in &copy.pairs {
        for flag in &pair.flags {
            if !matches!(flag.code, FlagCode::MissingTerm | FlagCode::FirstMention) {
                continue;
            }
            violations.push(Violation {
                pair_id: pair.id.clone(),
                term: flag.term.clone().unwrap_or_default(),
                expected: flag.expected.clone().unwrap_or_default(),
                context: crate::text::truncate(&pair.target, 120).into_owned(),
                code: flag.code,
                message: flag.message.clone(),
            });
        }
    }
    violations
}

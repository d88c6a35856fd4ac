//! Terminology before translating: the names, places, organisations, events, programmes and
//! coined phrases an article needs a fixed English rendering for, found offline (jieba's
//! part-of-speech tags, CC-CEDICT, name heads and statistics over the given files), ranked,
//! with a proposed rendering for review (`bitext terms`).
//!
//! Candidates already in the glossary are left out (or listed and marked with `all`).
//! People's names are written in pinyin, surname first; places in pinyin with their English
//! head; whole terms CC-CEDICT knows in its rendering; the rest with the offline gloss
//! engine's draft. [`request`] and [`apply_answers`] ask a translation backend instead.

mod find;
mod heads;
pub mod names;
mod propose;

pub use find::Text;
pub use heads::{HEADS, Head, head_of};
pub use propose::{Proposal, TERMS_INSTRUCTION, apply_answers, propose, request};

use crate::backend::gloss::Lexicon;
use crate::glossary::{Glossary, fold};
use find::Found;
use std::collections::HashMap;

/// What a candidate names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Person,
    Place,
    Organisation,
    Facility,
    Event,
    Programme,
    Term,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Person => "person",
            Kind::Place => "place",
            Kind::Organisation => "organisation",
            Kind::Facility => "facility",
            Kind::Event => "event",
            Kind::Programme => "programme",
            Kind::Term => "term",
        }
    }
}

/// One candidate term.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Candidate {
    pub source: String,
    /// The proposed rendering (empty when there is none).
    pub target: String,
    pub kind: Kind,
    /// Occurrences in the files, not counting those inside a longer candidate or glossary
    /// term (a short form's occurrences are added to its long form's).
    pub count: usize,
    /// The segment of the first occurrence.
    pub first_id: String,
    /// The sentence of the first occurrence, shortened.
    pub context: String,
    /// How `target` was made.
    pub proposal: Proposal,
    /// The offline proposal when a backend filled `target`.
    pub offline: Option<String>,
    /// The long form this is a short form of (上合组织 → 上海合作组织).
    pub short_of: Option<String>,
    /// Already in the glossary (listed only with `all`).
    pub in_glossary: bool,
}

/// Settings of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Leave out candidates with fewer occurrences.
    pub min_count: usize,
    /// Also list glossary terms that occur, marked.
    pub all: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            min_count: 1,
            all: false,
        }
    }
}

/// Finds the candidate terms of `texts` (segments in document order), ranked: most
/// occurrences first, then first occurrence. Terms of `glossary` are left out unless
/// `options.all`, which lists those that occur, marked, with the glossary's rendering.
pub fn find_terms(
    lex: &Lexicon,
    texts: &[Text<'_>],
    glossary: &Glossary,
    options: &Options,
) -> Vec<Candidate> {
    // Every term found, first kind wins per source form (people first within a segment).
    let mut found: Vec<Found> = Vec::new();
    let mut by_source: HashMap<String, usize> = HashMap::new();
    let mut raw = Vec::new();
    for text in texts {
        raw.clear();
        find::find_in(lex, text.text, &mut raw);
        for f in raw.drain(..) {
            match by_source.get(&f.source) {
                Some(&i) => found[i].named |= f.named,
                None => {
                    by_source.insert(f.source.clone(), found.len());
                    found.push(f);
                }
            }
        }
    }
    // Glossary terms: excluded from the candidates, they still take part in the counting
    // (a part of a glossary term is not counted there).
    let glossary_keys: HashMap<String, usize> = glossary
        .terms
        .iter()
        .enumerate()
        .map(|(i, t)| (fold::fold(&t.source), i))
        .collect();
    found.retain(|f| !glossary_keys.contains_key(&fold::fold(&f.source)));
    // Ordinary vocabulary is not a term; a compound that only joins a known term and a
    // word (数字经济 + 发展) is that term in use.
    let known: Vec<String> = glossary
        .terms
        .iter()
        .map(|t| t.source.clone())
        .chain(found.iter().filter(|f| f.named).map(|f| f.source.clone()))
        .collect();
    found.retain(|f| {
        (f.kind == Kind::Person || !find::everyday(lex, &f.source))
            && (f.named
                || !known
                    .iter()
                    .any(|k| k != &f.source && f.source.contains(k.as_str())))
    });
    let sources: Vec<String> = found.iter().map(|f| f.source.clone()).collect();
    let glossary_sources: Vec<String> = glossary.terms.iter().map(|t| t.source.clone()).collect();
    let counts = find::count(texts, &sources, &glossary_sources);
    let mut kept: Vec<(Found, usize, usize)> = found
        .into_iter()
        .zip(counts)
        .filter_map(|(f, (count, first))| {
            (find::keep(&f, count, options)).then_some((f, count, first?))
        })
        .collect();
    let short_of = short_forms(texts, &kept);
    let mut candidates: Vec<Candidate> = Vec::new();
    for (f, count, first) in &kept {
        candidates.push(Candidate {
            source: f.source.clone(),
            target: String::new(),
            kind: f.kind,
            count: *count,
            first_id: texts[*first].id.clone(),
            context: context_of(texts[*first].text, &f.source),
            proposal: Proposal::None,
            offline: None,
            short_of: short_of.get(&f.source).cloned(),
            in_glossary: false,
        });
    }
    kept.clear();
    for c in &mut candidates {
        propose(lex, c, &glossary_sources);
    }
    // A short form takes its long form's kind.
    let kinds: HashMap<String, Kind> = candidates
        .iter()
        .map(|c| (c.source.clone(), c.kind))
        .collect();
    for c in &mut candidates {
        if let Some(long) = &c.short_of
            && let Some(&kind) = kinds.get(long)
        {
            c.kind = kind;
        }
    }
    if options.all {
        candidates.extend(glossary_hits(texts, glossary, options));
    }
    let order: HashMap<String, (usize, usize)> = texts
        .iter()
        .enumerate()
        .flat_map(|(t, text)| {
            candidates.iter().filter_map(move |c| {
                text.text
                    .find(&c.source)
                    .map(|at| (c.source.clone(), (t, at)))
            })
        })
        .fold(HashMap::new(), |mut map, (source, pos)| {
            map.entry(source).or_insert(pos);
            map
        });
    let position = |c: &Candidate| order.get(&c.source).copied().unwrap_or((usize::MAX, 0));
    candidates.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| position(a).cmp(&position(b)))
    });
    candidates
}

/// Glossary terms that occur in the texts (anywhere, also inside a longer term), as marked
/// candidates with the glossary's rendering.
fn glossary_hits(texts: &[Text<'_>], glossary: &Glossary, options: &Options) -> Vec<Candidate> {
    let folded: Vec<String> = texts.iter().map(|t| fold::fold(t.text)).collect();
    let mut hits: Vec<Candidate> = Vec::new();
    for term in &glossary.terms {
        let key = term.key();
        if key.is_empty() {
            continue;
        }
        let mut count = 0;
        let mut first = None;
        for (i, text) in folded.iter().enumerate() {
            let n = text.matches(key.as_str()).count();
            if n > 0 {
                first.get_or_insert(i);
                count += n;
            }
        }
        let Some(first) = first else { continue };
        if count < options.min_count {
            continue;
        }
        hits.push(Candidate {
            source: term.source.clone(),
            target: term.rendering(false).to_string(),
            kind: kind_of(&term.source),
            count,
            first_id: texts[first].id.clone(),
            context: context_of(texts[first].text, &term.source),
            proposal: Proposal::Glossary,
            offline: None,
            short_of: None,
            in_glossary: true,
        });
    }
    hits
}

/// The kind a name's head gives it (`term` when it has none).
pub fn kind_of(source: &str) -> Kind {
    match head_of(source) {
        Some(h) if source.chars().count() > h.chinese.chars().count() => h.kind,
        _ => Kind::Term,
    }
}

/// Short forms the text introduces or implies: `（以下简称X）` / `简称X` after a long form,
/// and abbreviations that keep a long form's first character and head and whose characters
/// all occur in it in order (上合组织 ← 上海合作组织, 智博会 ← …智能产业博览会).
fn short_forms(texts: &[Text<'_>], kept: &[(Found, usize, usize)]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let sources: Vec<&str> = kept.iter().map(|(f, _, _)| f.source.as_str()).collect();
    for text in texts {
        for marker in ["以下简称", "简称"] {
            for (at, _) in text.text.match_indices(marker) {
                let after = &text.text[at + marker.len()..];
                let before = &text.text[..at];
                let short = sources
                    .iter()
                    .filter(|s| after.starts_with(**s))
                    .max_by_key(|s| s.len());
                let long = sources
                    .iter()
                    .filter(|s| {
                        before
                            .trim_end_matches(['（', '(', '，', ','])
                            .ends_with(**s)
                    })
                    .max_by_key(|s| s.len());
                if let (Some(short), Some(long)) = (short, long)
                    && short != long
                {
                    out.insert(short.to_string(), long.to_string());
                }
            }
        }
    }
    for short in &sources {
        if out.contains_key(*short) {
            continue;
        }
        let s: Vec<char> = short.chars().collect();
        if !(2..=5).contains(&s.len()) {
            continue;
        }
        let long = sources
            .iter()
            .filter(|l| l.len() > short.len())
            .find(|long| {
                let l: Vec<char> = long.chars().collect();
                l[0] == s[0]
                    && l.last() == s.last()
                    && is_subsequence(&s, &l)
                    && !long.contains(*short)
            });
        if let Some(long) = long {
            out.insert(short.to_string(), long.to_string());
        }
    }
    out
}

fn is_subsequence(short: &[char], long: &[char]) -> bool {
    let mut it = long.iter();
    short.iter().all(|c| it.any(|l| l == c))
}

/// The sentence around the first occurrence of `term`, at most 60 characters, trimmed.
fn context_of(text: &str, term: &str) -> String {
    const MAX: usize = 60;
    let text = text.trim();
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= MAX {
        return text.to_string();
    }
    let at = text.find(term).map_or(0, |b| text[..b].chars().count());
    let start = at.saturating_sub(20).min(chars.len() - MAX);
    let mut out: String = chars[start..start + MAX].iter().collect();
    if start > 0 {
        out.insert(0, '…');
    }
    if start + MAX < chars.len() {
        out.push('…');
    }
    out
}

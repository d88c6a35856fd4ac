//! Proposed renderings: offline by rule (pinyin names, places with their English head,
//! CC-CEDICT, the gloss engine's draft), or from a translation backend in one batch.

use super::names::{self, is_han};
use super::{Candidate, Kind, head_of};
use crate::backend::gloss::{Lexicon, engine};
use crate::backend::{Batch, Context, Item, Translation};

/// How a candidate's target was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proposal {
    /// No proposal.
    None,
    /// A person's name in pinyin.
    Pinyin,
    /// Romanised proper name with its English head.
    Rule,
    /// CC-CEDICT's rendering of the whole term.
    Dictionary,
    /// The gloss engine's word-by-word draft: review it.
    Draft,
    /// The glossary's rendering (an existing term).
    Glossary,
    /// The backend's proposal.
    Backend,
}

impl Proposal {
    pub fn as_str(self) -> &'static str {
        match self {
            Proposal::None => "none",
            Proposal::Pinyin => "pinyin",
            Proposal::Rule => "rule",
            Proposal::Dictionary => "dictionary",
            Proposal::Draft => "draft",
            Proposal::Glossary => "glossary",
            Proposal::Backend => "backend",
        }
    }
}

/// Fills `target` and `proposal` offline. `known` are glossary sources: a part of the term
/// that is a glossary term is written with… its pinyin too (the glossary is not consulted
/// for renderings here; the reviewer sees the glossary's rendering in `--all`).
pub fn propose(lex: &Lexicon, candidate: &mut Candidate, _known: &[String]) {
    let source = candidate.source.as_str();
    let (target, how) = match candidate.kind {
        Kind::Person => match names::pinyin_name(lex, source) {
            Some(name) => (name, Proposal::Pinyin),
            None => draft(lex, source),
        },
        Kind::Place => headed(lex, source, candidate.kind)
            .or_else(|| whole(lex, source))
            .unwrap_or_else(|| draft(lex, source)),
        _ => whole(lex, source)
            .or_else(|| headed(lex, source, candidate.kind))
            .unwrap_or_else(|| draft(lex, source)),
    };
    candidate.target = target;
    candidate.proposal = how;
}

/// CC-CEDICT's rendering of the whole term (a proper noun romanised as the dictionary
/// spells it, 浙江大学 → Zhejiang University).
fn whole(lex: &Lexicon, source: &str) -> Option<(String, Proposal)> {
    let gloss = engine::dictionary_gloss(lex, source)?;
    let text = if lex.is_proper(source) {
        gloss
    } else {
        title_case(&gloss)
    };
    Some((text, Proposal::Dictionary))
}

/// A name with a head: the words before the head (proper nouns romanised, others by their
/// dictionary sense) and the head's English (重庆北站 → Chongqing North Railway Station).
fn headed(lex: &Lexicon, source: &str, kind: Kind) -> Option<(String, Proposal)> {
    if kind == Kind::Place
        && let Some((proper, head)) = names::split_place(source)
        && !proper.contains(['（', '('])
        && head_of(source).is_none_or(|h| h.chinese.chars().count() <= 2)
    {
        let modifiers = modifiers_english(lex, proper)?;
        return Some((format!("{modifiers} {head}"), Proposal::Rule));
    }
    let head = head_of(source)?;
    let modifier = source.strip_suffix(head.chinese)?;
    if modifier.is_empty() {
        return None;
    }
    let modifiers = modifiers_english(lex, modifier)?;
    Some((format!("{modifiers} {}", head.english), Proposal::Rule))
}

/// The English of the words before a head, each word capitalised: proper nouns (places,
/// names, brands the dictionary does not know) in pinyin, other words by their sense;
/// a parenthesised place kept in parentheses.
fn modifiers_english(lex: &Lexicon, text: &str) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in lex.jieba().tag(text, true) {
        let word = tag.word;
        let english = match word {
            "(" | "（" => "(".to_string(),
            ")" | "）" => ")".to_string(),
            "—" | "-" => "-".to_string(),
            _ if !word.chars().any(is_han) => word.to_string(),
            _ => {
                let proper_tag = matches!(tag.tag, "ns" | "nr" | "nrt" | "nrfg" | "nz");
                if let Some(place) = names::split_place(word).filter(|_| tag.tag == "ns") {
                    format!("{} {}", names::romanise(lex, place.0)?, place.1)
                } else if lex.is_proper(word) {
                    // The dictionary's English name when it is one (中国 → China), else
                    // the romanised name (成渝 → Chengyu).
                    match engine::dictionary_gloss(lex, word) {
                        Some(g)
                            if g.split(' ').count() <= 3
                                && g.split(' ').all(|w| w.starts_with(char::is_uppercase)) =>
                        {
                            g
                        }
                        _ => names::romanise(lex, word)?,
                    }
                } else if proper_tag && lex.senses(word).is_none() {
                    names::romanise(lex, word)?
                } else if lex.senses(word).is_some() {
                    title_case(&engine::gloss_word(lex, word, tag.tag))
                } else if lex.senses(word).is_none() && word.chars().count() == 2 {
                    // A brand or coinage the dictionary does not know (渝丰, 宇海).
                    names::pinyin_word(lex, word)?
                } else {
                    title_case(&engine::gloss_word(lex, word, tag.tag))
                }
            }
        };
        out.push(english);
    }
    let joined = out
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" - ", "-");
    Some(joined)
}

/// The gloss engine's word-by-word draft.
fn draft(lex: &Lexicon, source: &str) -> (String, Proposal) {
    (engine::gloss_text(lex, source, &[]), Proposal::Draft)
}

/// Capitalises each word except short function words after the first.
fn title_case(text: &str) -> String {
    const SMALL: &[&str] = &[
        "a", "an", "and", "the", "of", "for", "in", "on", "to", "or", "at", "by",
    ];
    text.split(' ')
        .enumerate()
        .map(|(i, w)| {
            if i > 0 && SMALL.contains(&w) {
                w.to_string()
            } else {
                names::capitalise_first(w)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The task sent with a terms request (in `context.instruction`), followed by one line per
/// candidate: `t1 [organisation]: <the sentence it first occurs in>`.
pub const TERMS_INSTRUCTION: &str = "These items are not sentences: each is a term (a name, \
place, organisation, event, programme or coined phrase) for a translation glossary. Answer \
each with its established English name, or the rendering an English-language news agency \
would use; people's names in pinyin, surname first. The line for each id gives the term's \
kind and the sentence it occurs in.";

/// The request for a backend: one batch, one item per candidate (id `t1`, `t2`, … in list
/// order, text = the source form, no terms), the task and each candidate's kind and context
/// in `context.instruction`. The offline proposals do not travel.
pub fn request(candidates: &[Candidate], source_lang: &str, target_lang: &str) -> Batch {
    let mut instruction = String::from(TERMS_INSTRUCTION);
    let mut items = Vec::with_capacity(candidates.len());
    for (i, c) in candidates.iter().enumerate() {
        let id = format!("t{}", i + 1);
        instruction.push_str(&format!("\n{id} [{}]: {}", c.kind.as_str(), c.context));
        items.push(Item {
            id,
            text: c.source.clone(),
            terms: Vec::new(),
        });
    }
    Batch {
        items,
        context: Context {
            instruction: Some(instruction),
            ..Context::default()
        },
        source_lang: source_lang.to_string(),
        target_lang: target_lang.to_string(),
    }
}

/// Fills `target` from a backend's answer to [`request`]; the offline proposal moves to
/// `offline`. Answers for unknown ids and empty answers are ignored.
pub fn apply_answers(candidates: &mut [Candidate], answer: &Translation) {
    for output in &answer.outputs {
        let Some(index) = output
            .id
            .strip_prefix('t')
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
        else {
            continue;
        };
        let Some(c) = candidates.get_mut(index) else {
            continue;
        };
        let text = output.text.trim();
        if text.is_empty() || c.in_glossary {
            continue;
        }
        c.offline = Some(std::mem::replace(&mut c.target, text.to_string()));
        c.proposal = Proposal::Backend;
    }
}

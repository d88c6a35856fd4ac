//! Finding candidate terms: names by context (people), by head (organisations, facilities,
//! places, events, programmes), quoted coined phrases, places by part of speech, and noun
//! compounds that recur. Counting is exclusive and leftmost-longest over all candidates, so
//! a part of a longer name counts only where it stands alone.

use super::heads::{Head, head_of};
use super::names::{self, is_han};
use super::{Kind, Options};
use crate::backend::gloss::Lexicon;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;

/// One segment of the input: its id (`b3.s2`, prefixed by the file when several) and text.
#[derive(Debug, Clone)]
pub struct Text<'a> {
    pub id: String,
    pub text: &'a str,
}

/// A term found before counting: its source form and kind, and whether its form alone
/// shows it is a name (a proper noun inside, a person found by context, a quotation).
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub source: String,
    pub kind: Kind,
    pub named: bool,
    pub head: Option<&'static Head>,
}

/// Part-of-speech tags of words that can be part of a name before its head.
fn nominal(tag: &str) -> bool {
    tag.starts_with('n') || matches!(tag, "j" | "vn" | "b" | "eng" | "s")
}

/// Tags of proper nouns (people, places, organisations, other proper names, abbreviations).
fn proper_tag(tag: &str) -> bool {
    matches!(tag, "nr" | "nrt" | "nrfg" | "ns" | "nt" | "nz" | "j")
}

/// Words that open a span without belonging to the name (全市, 本届, 该).
const DETERMINERS: &[&str] = &[
    "全", "本", "该", "各", "我", "每", "此", "其", "新", "总", "副",
];

/// Whether a word is ordinary vocabulary: a CC-CEDICT headword with a common reading.
pub(super) fn everyday(lex: &Lexicon, word: &str) -> bool {
    lex.senses(word).is_some() && !lex.is_proper(word)
}

/// All terms found in one segment (before counting and filtering).
pub(super) fn find_in(lex: &Lexicon, text: &str, out: &mut Vec<Found>) {
    let people = names::find_people(lex, text);
    for range in &people {
        out.push(Found {
            source: text[range.clone()].to_string(),
            kind: Kind::Person,
            named: true,
            head: None,
        });
    }
    quoted(lex, text, out);
    let tags = lex.jieba().tag(text, true);
    let in_person =
        |start: usize, end: usize| people.iter().any(|r| start < r.end && r.start < end);
    for (i, tag) in tags.iter().enumerate() {
        if in_person(tag.byte_start, tag.byte_end) {
            continue;
        }
        if let Some(found) = headed_name(lex, text, &tags, i, &in_person) {
            out.push(found);
        }
        if let Some(found) = place(lex, tag.word, tag.tag) {
            out.push(found);
        }
        // A word jieba tags as a name and the dictionary does not know (counted later: it
        // must recur to be kept).
        if tag.tag.starts_with("nr")
            && tag.word.chars().count() == 3
            && names::looks_like_name(lex, tag.word)
        {
            out.push(Found {
                source: tag.word.to_string(),
                kind: Kind::Person,
                named: false,
                head: None,
            });
        }
    }
    compounds(lex, &tags, out);
}

/// Quoted phrases (“专精特新”, 《…条例》): short, Han only, not ordinary vocabulary.
fn quoted(lex: &Lexicon, text: &str, out: &mut Vec<Found>) {
    const PAIRS: &[(char, char)] = &[
        ('“', '”'),
        ('「', '」'),
        ('『', '』'),
        ('《', '》'),
        ('‘', '’'),
    ];
    for &(open, close) in PAIRS {
        let mut rest = text;
        while let Some(at) = rest.find(open) {
            let after = &rest[at + open.len_utf8()..];
            let Some(end) = after.find(close) else { break };
            let inner = &after[..end];
            rest = &after[end + close.len_utf8()..];
            let n = inner.chars().count();
            if !(2..=16).contains(&n) || !inner.chars().all(|c| is_han(c) || c == '·') {
                continue;
            }
            if everyday(lex, inner) || (n <= 3 && inner.chars().all(|c| !is_han(c))) {
                continue;
            }
            // A quoted sentence is not a term: two-character words with verbs or particles.
            if n > 8 && open != '《' {
                continue;
            }
            let head = head_of(inner);
            let kind = match (open, head) {
                (_, Some(h)) if n > h.chinese.chars().count() => h.kind,
                ('《', _) => Kind::Programme,
                _ => Kind::Term,
            };
            out.push(Found {
                source: inner.to_string(),
                kind,
                named: true,
                head,
            });
        }
    }
}

/// A name that ends in a head (…公司, …隧道): the head word and the nominal words before it,
/// without leading verbs and determiners; a parenthesised place inside is kept
/// (西部(重庆)科学城).
fn headed_name(
    lex: &Lexicon,
    text: &str,
    tags: &[jieba_rs::Tag<'_>],
    i: usize,
    in_person: &dyn Fn(usize, usize) -> bool,
) -> Option<Found> {
    let word = tags[i].word;
    let head = head_of(word)?;
    let single = head.chinese.chars().count() == 1;
    // 干部, 全部, 车站: a common word that merely ends in a one-character head.
    if single && word != head.chinese && !proper_tag(tags[i].tag) {
        return None;
    }
    if tags[i].tag.starts_with('v') && !single {
        return None;
    }
    let mut start = i;
    let mut k = i;
    while k > 0 {
        let prev = &tags[k - 1];
        if in_person(prev.byte_start, prev.byte_end) {
            break;
        }
        if matches!(prev.word, ")" | "）") {
            // A parenthesised place: ( X ) with nominal words inside.
            let open = (k.saturating_sub(5)..k - 1)
                .rev()
                .find(|&j| matches!(tags[j].word, "(" | "（"));
            match open {
                Some(j) if j > 0 && tags[j + 1..k - 1].iter().all(|t| nominal(t.tag)) => {
                    k = j;
                    start = j;
                    continue;
                }
                _ => break,
            }
        }
        // 发展和改革委员会: a conjunction between two nominal words stays inside.
        let joins = matches!(prev.word, "和" | "与")
            && k >= 2
            && nominal(tags[k - 2].tag)
            && nominal(tags[k].tag);
        let ok = joins
            || (nominal(prev.tag) || prev.tag.starts_with('v') || prev.tag == "f")
                && prev.word.chars().all(is_han)
                && !names::SPEECH_VERBS.contains(&prev.word);
        if !ok {
            break;
        }
        k -= 1;
        start = k;
    }
    // A complete name followed by a verb (萧山区 建成 …, 简州新城 建设 …) or by another
    // proper name (成渝中线高铁 龙泉山隧道) ends before the name being built.
    for j in (start..i).rev() {
        let t = &tags[j];
        let next = &tags[j + 1];
        let headed = head_of(t.word).is_some_and(|h| h.chinese != t.word || j > start);
        let breaks = next.tag == "v"
            || headed && (next.tag == "vn" || matches!(next.tag, "ns" | "nr" | "nt" | "nz"));
        let complete = headed || t.tag == "ns";
        if complete && breaks && j + 1 < i {
            start = j + 1;
            while start < i
                && (tags[start].tag.starts_with('v')
                    || everyday(lex, tags[start].word)
                        && tags[start + 1..i].iter().any(|t| !everyday(lex, t.word)))
            {
                start += 1;
            }
            break;
        }
    }
    // Leading verbs, localisers and determiners are not part of the name.
    while start < i {
        let t = &tags[start];
        let opener = t.tag.starts_with('v') && t.tag != "vn"
            || t.tag == "f"
            || DETERMINERS.contains(&t.word)
            // 新设, 全市: a determiner opening a word that is not a proper noun.
            || (t.word.chars().count() == 2
                && DETERMINERS.iter().any(|d| t.word.starts_with(d))
                && !lex.is_proper(t.word)
                && t.tag != "ns")
            || matches!(t.word, "(" | "（")
            // A stray character cut from a word jieba split (中 电 重庆软件园).
            || (t.word.chars().count() == 1 && !proper_tag(t.tag));
        if !opener {
            break;
        }
        start += 1;
    }
    let from = tags[start].byte_start;
    let source = &text[from..tags[i].byte_end];
    let n = source.chars().count();
    if !(3..=24).contains(&n) || source == head.chinese {
        return None;
    }
    let named = tags[start..=i]
        .iter()
        .any(|t| proper_tag(t.tag) || lex.is_proper(t.word))
        || source.starts_with("国家")
        || source.starts_with("中国");
    Some(Found {
        source: source.to_string(),
        kind: head.kind,
        named,
        head: Some(head),
    })
}

/// Sense words that mark a small place (one a reader may not know): districts, counties,
/// towns, villages.
const SMALL_PLACE: &[&str] = &[
    "district",
    "county",
    "town",
    "village",
    "township",
    "prefecture",
];

/// Sense words that mark a well-known place (countries, provinces, large cities).
const KNOWN_PLACE: &[&str] = &[
    "province",
    "capital",
    "municipality",
    "country",
    "city",
    "republic",
];

/// A place name from its part-of-speech tag or its administrative head (萧山区, 石桥镇):
/// small places only; countries, provinces and large cities have standard English names.
fn place(lex: &Lexicon, word: &str, tag: &str) -> Option<Found> {
    if !word.chars().all(is_han) || word.chars().count() < 2 {
        return None;
    }
    let lower = |w: &str| -> Vec<String> {
        lex.senses(w)
            .unwrap_or_default()
            .iter()
            .map(|s| s.to_lowercase())
            .collect()
    };
    let mentions = |senses: &[String], words: &[&str]| {
        senses.iter().any(|s| {
            words
                .iter()
                .any(|w| s.split(|c: char| !c.is_alphanumeric()).any(|x| x == *w))
        })
    };
    let well_known = |w: &str| {
        let senses = lower(w);
        lex.is_proper(w) && !mentions(&senses, SMALL_PLACE) && mentions(&senses, KNOWN_PLACE)
    };
    if let Some((proper, head)) = names::split_place(word) {
        let opener = DETERMINERS.iter().any(|d| proper.starts_with(d));
        let large = matches!(
            head,
            "Province" | "Autonomous Region" | "Special Administrative Region"
        );
        if opener || large || everyday(lex, word) || everyday(lex, proper) || well_known(proper) {
            return None;
        }
        if !(tag.starts_with('n') || tag == "j") {
            return None;
        }
        return Some(Found {
            source: word.to_string(),
            kind: Kind::Place,
            named: true,
            head: None,
        });
    }
    // A place without an administrative head: one the dictionary calls a district or
    // county (璧山, 江津), or one it does not know.
    let small = mentions(&lower(word), SMALL_PLACE);
    if tag != "ns" || everyday(lex, word) || (!small && lex.contains(word)) {
        return None;
    }
    // Two ordinary words jieba took for a place (重大意义).
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    if chars.len() == 4 && everyday(lex, &word[..chars[2].0]) && everyday(lex, &word[chars[2].0..])
    {
        return None;
    }
    Some(Found {
        source: word.to_string(),
        kind: Kind::Place,
        named: true,
        head: None,
    })
}

/// Runs of two or three nominal words that are not one dictionary word (数字经济,
/// 工业互联网); kept later only when they recur.
fn compounds(lex: &Lexicon, tags: &[jieba_rs::Tag<'_>], out: &mut Vec<Found>) {
    let ok = |t: &jieba_rs::Tag<'_>| {
        matches!(t.tag, "n" | "vn" | "nz" | "j" | "l")
            && t.word.chars().count() >= 2
            && t.word.chars().all(is_han)
    };
    for span in [3usize, 2] {
        for w in tags.windows(span) {
            if !w.iter().all(ok) {
                continue;
            }
            let source: String = w.iter().map(|t| t.word).collect();
            let n = source.chars().count();
            if !(4..=8).contains(&n) || lex.contains(&source) {
                continue;
            }
            out.push(Found {
                source,
                kind: Kind::Term,
                named: false,
                head: head_of(w[span - 1].word),
            });
        }
    }
}

/// Exclusive, leftmost-longest occurrence counts of `sources` over the texts: for each
/// source, (count, index of the first text where it occurs). `extra` patterns (glossary
/// sources) take part in the matching but are not counted.
pub(super) fn count(
    texts: &[Text<'_>],
    sources: &[String],
    extra: &[String],
) -> Vec<(usize, Option<usize>)> {
    let mut counts = vec![(0usize, None); sources.len()];
    let patterns: Vec<&str> = sources
        .iter()
        .chain(extra)
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    if patterns.is_empty() {
        return counts;
    }
    let index: HashMap<&str, usize> = sources
        .iter()
        .enumerate()
        .rev()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&patterns)
        .expect("literal patterns build");
    for (t, text) in texts.iter().enumerate() {
        for m in ac.find_iter(text.text) {
            if let Some(&i) = index.get(&text.text[m.range()]) {
                counts[i].0 += 1;
                counts[i].1.get_or_insert(t);
            }
        }
    }
    counts
}

/// Decides which found terms are candidates: named ones once, recurring ones at least
/// twice (jieba's own person tags) or three times (noun compounds), all at least
/// `options.min_count` times.
pub(super) fn keep(found: &Found, count: usize, options: &Options) -> bool {
    let needed = match (found.kind, found.named) {
        (_, true) => 1,
        (Kind::Person, false) => 2,
        (_, false) if found.head.is_some() => 2,
        _ => 3,
    };
    count >= needed.max(options.min_count)
}

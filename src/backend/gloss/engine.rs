//! The word-by-word gloss of one text: glossary terms verbatim, numbers converted, every
//! other word replaced by a short CC-CEDICT sense, punctuation made English.

use super::lexicon::Lexicon;
use super::numbers::{quantity_word, scan_numbers};
use super::render::{Piece, punct_at, render};
use crate::model::TermPair;
use crate::text::{fold_width, is_han};
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;

/// Function words and news-register words whose CC-CEDICT first sense is a poor draft
/// (`市` "market" → "city"); an empty English drops the word (particles, classifiers).
const OVERRIDES: &[(&str, &str)] = &[
    ("的", ""),
    ("地", ""),
    ("得", ""),
    ("了", ""),
    ("着", ""),
    ("过", ""),
    ("之", "of"),
    ("所", ""),
    ("把", ""),
    ("个", ""),
    ("被", "by"),
    ("将", "will"),
    ("在", "in"),
    ("对", "to"),
    ("对此", "in this regard"),
    ("为", "for"),
    ("和", "and"),
    ("与", "and"),
    ("及", "and"),
    ("及其", "and its"),
    ("以及", "as well as"),
    ("或", "or"),
    ("并", "and"),
    ("而", "and"),
    ("也", "also"),
    ("都", "all"),
    ("均", "all"),
    ("从", "from"),
    ("向", "to"),
    ("以", "with"),
    ("于", "in"),
    ("由", "by"),
    ("同", "with"),
    ("让", "let"),
    ("使", "make"),
    ("是", "is"),
    ("这", "this"),
    ("这是", "this is"),
    ("那", "that"),
    ("该", "this"),
    ("此", "this"),
    ("此次", "this"),
    ("其", "its"),
    ("其中", "among them"),
    ("我", "I"),
    ("我们", "we"),
    ("他", "he"),
    ("她", "she"),
    ("他们", "they"),
    ("大家", "everyone"),
    ("我市", "our city"),
    ("市", "city"),
    ("本届", "this year's"),
    ("本报", "this newspaper"),
    ("本报记者", "staff reporter"),
    ("记者", "reporter"),
    ("各", "each"),
    ("各界", "all sectors"),
    ("每", "every"),
    ("等", "etc."),
    ("中", "in"),
    ("更", "more"),
    ("更加", "more"),
    ("最", "most"),
    ("很", "very"),
    ("已", "already"),
    ("已经", "already"),
    ("现已", "has now"),
    ("正", "now"),
    ("再", "again"),
    ("还", "also"),
    ("又", "again"),
    ("就", "then"),
    ("不", "not"),
    ("要", "must"),
    ("会", "will"),
    ("能", "can"),
    ("可", "can"),
    ("应", "should"),
    ("以来", "since"),
    ("近年来", "in recent years"),
    ("目前", "currently"),
    ("如今", "today"),
    ("同时", "at the same time"),
    ("作为", "as"),
    ("通过", "through"),
    ("按照", "according to"),
    ("围绕", "around"),
    ("依托", "relying on"),
    ("下一步", "next"),
    ("一手", "on one hand"),
    ("一是", "first,"),
    ("二是", "second,"),
    ("三是", "third,"),
    ("四是", "fourth,"),
    ("首届", "first"),
    ("一", "one"),
    ("一家", "a"),
    ("一致", "unanimously"),
    ("以上", "above"),
    ("以下", "following"),
    ("上述", "above-mentioned"),
    ("总书记", "General Secretary"),
    ("说", "said"),
    ("表示", "said"),
    ("指出", "pointed out"),
    ("强调", "stressed"),
    ("认为", "believe"),
    ("贺信", "congratulatory letter"),
    ("全市", "the whole city"),
    ("全国", "the whole country"),
    ("一批", "a batch of"),
    ("着力", "strive to"),
    ("大力", "vigorously"),
    ("积极", "actively"),
    ("深入", "deeply"),
    ("主任", "director"),
    ("副", "deputy"),
    ("约", "about"),
    ("数字", "digital"),
    ("数字化", "digitalization"),
    ("智能化", "intelligentization"),
    ("网络化", "networking"),
    ("信息化", "informatization"),
    ("化", ""),
    ("推进", "advance"),
    ("推动", "promote"),
    ("深度", "deep"),
    ("融合", "integration"),
    ("建设", "construction"),
    ("经济社会", "economic and social"),
    ("企业", "enterprises"),
    ("任务", "tasks"),
    ("智慧", "smart"),
    ("领域", "fields"),
    ("一直", "always"),
    ("时", "when"),
    ("里", "in"),
    ("者", "ones"),
    ("上", "on"),
    ("下", "under"),
    ("好", "well"),
    ("新", "new"),
    ("大", "big"),
    ("园", "park"),
    ("上市", "listed"),
    ("博览", "exhibition"),
    ("摄", "photo"),
    ("委", "commission"),
    ("落实", "implement"),
    ("两位数", "double-digit"),
    ("主席", "President"),
    ("抢抓", "seize"),
    ("合作", "cooperation"),
    ("群众", "people"),
    ("干部", "officials"),
    ("选择", "choice"),
    ("治理", "governance"),
    ("试验区", "pilot zone"),
    ("应用", "application"),
    ("场景", "scenarios"),
    ("精密", "precision"),
    ("生活", "life"),
    ("成果", "achievements"),
    ("正在", "now"),
    ("更多", "more"),
    ("截至目前", "so far"),
    ("截至", "as of"),
    ("通达", "reaching"),
    ("谈到", "said"),
    ("方面", "aspects"),
    ("近", "nearly"),
];

/// jieba POS tags of particles that an English draft drops (的 了 着 过 地 得).
const DROPPED_TAGS: &[&str] = &["uj", "ul", "uz", "ug", "uv", "ud"];

/// Glosses `text`: every term of `terms` found in it is written with its `target`; the
/// rest is glossed word by word. Deterministic.
pub fn gloss_text(lex: &Lexicon, text: &str, terms: &[TermPair]) -> String {
    let folded = fold_width(text);
    let mut pieces = Vec::new();
    let mut last = 0;
    for (range, target) in find_terms(&folded, terms) {
        gloss_gap(lex, &folded[last..range.start], &mut pieces);
        pieces.push(Piece::Term(target));
        last = range.end;
    }
    gloss_gap(lex, &folded[last..], &mut pieces);
    render(&pieces)
}

/// Term occurrences, leftmost-longest; when one source has several pairs, its occurrences
/// take them in order (the last one repeats).
fn find_terms(text: &str, terms: &[TermPair]) -> Vec<(std::ops::Range<usize>, String)> {
    let mut sources: Vec<String> = Vec::new();
    let mut targets: Vec<Vec<&str>> = Vec::new();
    for term in terms {
        let source = fold_width(&term.source).into_owned();
        if source.is_empty() {
            continue;
        }
        match sources.iter().position(|s| *s == source) {
            Some(i) => targets[i].push(&term.target),
            None => {
                sources.push(source);
                targets.push(vec![&term.target]);
            }
        }
    }
    if sources.is_empty() {
        return Vec::new();
    }
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&sources)
        .expect("non-empty literal patterns always build");
    let mut seen = vec![0usize; sources.len()];
    ac.find_iter(text)
        .map(|m| {
            let i = m.pattern().as_usize();
            let list = &targets[i];
            let target = list[seen[i].min(list.len() - 1)];
            seen[i] += 1;
            (m.range(), target.to_string())
        })
        .collect()
}

/// Glosses text between terms: numbers first, then runs of Chinese, Latin and punctuation.
fn gloss_gap(lex: &Lexicon, text: &str, pieces: &mut Vec<Piece>) {
    let mut last = 0;
    for m in scan_numbers(text) {
        gloss_runs(lex, &text[last..m.range.start], pieces);
        pieces.push(Piece::Word(m.english));
        last = m.range.end;
    }
    gloss_runs(lex, &text[last..], pieces);
}

fn gloss_runs(lex: &Lexicon, text: &str, pieces: &mut Vec<Piece>) {
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next().expect("i < len");
        if is_han(c) {
            let n: usize = rest
                .chars()
                .take_while(|&c| is_han(c))
                .map(char::len_utf8)
                .sum();
            gloss_chinese(lex, &rest[..n], pieces);
            i += n;
        } else if c.is_ascii_alphanumeric() {
            // Latin words and codes pass through: 5G, GDP, COVID-19, A380.
            let n = latin_len(rest);
            pieces.push(Piece::Word(rest[..n].to_string()));
            i += n;
        } else if let Some((n, p)) = punct_at(rest) {
            pieces.push(Piece::Punct(p));
            i += n;
        } else if c.is_whitespace() || is_decoration(c) {
            i += c.len_utf8();
        } else {
            pieces.push(Piece::Word(c.to_string()));
            i += c.len_utf8();
        }
    }
}

/// Symbols that mark captions and bullets in Chinese news layouts (▲ 8月23日 …).
fn is_decoration(c: char) -> bool {
    matches!(
        c,
        '▲' | '△' | '▼' | '●' | '○' | '■' | '□' | '◆' | '◇' | '★' | '☆' | '·' | '•'
    )
}

fn latin_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut n = 0;
    while n < b.len() {
        let c = b[n];
        let inner = matches!(c, b'.' | b'-' | b'_' | b'\'' | b'+' | b'&')
            && b.get(n + 1).is_some_and(u8::is_ascii_alphanumeric)
            && n > 0;
        if c.is_ascii_alphanumeric() || inner {
            n += 1;
        } else {
            break;
        }
    }
    n.max(1)
}

fn override_of(word: &str) -> Option<&'static str> {
    static MAP: std::sync::OnceLock<HashMap<&'static str, &'static str>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(|| OVERRIDES.iter().copied().collect())
        .get(word)
        .copied()
}

/// Glosses a run of Chinese characters: jieba words (adjacent words that form an override
/// phrase are joined first), each rendered by [`gloss_word`].
fn gloss_chinese(lex: &Lexicon, run: &str, pieces: &mut Vec<Piece>) {
    let tags = lex.jieba().tag(run, true);
    let mut prev: Option<&str> = None;
    let mut seen_zai = false;
    let mut k = 0;
    while k < tags.len() {
        // Two- and three-word override phrases (下 一步 → 下一步).
        let mut joined = None;
        for span in [3usize, 2] {
            if k + span <= tags.len() {
                let phrase = &run[tags[k].byte_start..tags[k + span - 1].byte_end];
                if override_of(phrase).is_some() || quantity_word(phrase).is_some() {
                    joined = Some((span, phrase));
                    break;
                }
            }
        }
        // A name jieba splits (董 建国 说): title, surname, given name, speech verb.
        if joined.is_none()
            && let Some(name) = split_name_at(lex, &tags, k)
        {
            push_word(pieces, name);
            prev = Some(tags[k + 1].word);
            k += 2;
            continue;
        }
        let (span, word, tag) = match joined {
            Some((span, phrase)) => (span, phrase, ""),
            None => (1, tags[k].word, tags[k].tag),
        };
        k += span;
        if DROPPED_TAGS.contains(&tag) {
            continue;
        }
        let previous = prev.replace(word);
        // 在 … 中 → "in …": the postposition is dropped.
        if word == "中" && tag == "f" && seen_zai {
            continue;
        }
        seen_zai |= word == "在";
        // Pronouns after a verb or preposition take the object form (让我们 → "let us").
        if let Some(object) = object_pronoun(word)
            && previous.is_some_and(|p| OBJECT_TAKERS.contains(&p))
        {
            push_word(pieces, object.to_string());
            continue;
        }
        let english = gloss_word(lex, word, tag);
        push_word(pieces, english);
    }
}

/// Verbs that follow a speaker's name in news copy.
const SPEECH_VERBS: &[&str] = &["说", "表示", "谈到", "介绍", "认为", "强调", "指出", "告诉"];

/// A person's name that jieba cut in two (`主任 董 建国 说`): a surname, then one or two
/// characters, between a title (or the start) and a speech verb. Returns it in pinyin.
fn split_name_at(lex: &Lexicon, tags: &[jieba_rs::Tag<'_>], k: usize) -> Option<String> {
    let (surname, given, verb) = (tags.get(k)?, tags.get(k + 1)?, tags.get(k + 2)?);
    let mut chars = surname.word.chars();
    let c = chars.next()?;
    if chars.next().is_some() || !(1..=2).contains(&given.word.chars().count()) {
        return None;
    }
    let mut buf = [0u8; 4];
    if lex.surname_pinyin(c.encode_utf8(&mut buf)).is_none() && !COMMON_SURNAMES.contains(c) {
        return None;
    }
    if !SPEECH_VERBS.contains(&verb.word) {
        return None;
    }
    let titled = k == 0
        || tags[k - 1]
            .word
            .ends_with(['长', '任', '记', '理', '员', '者', '人', '民']);
    if !titled {
        return None;
    }
    let name = format!("{}{}", surname.word, given.word);
    pinyin_name(lex, &name)
}

/// Words after which a pronoun is an object (让我们 → "let us").
const OBJECT_TAKERS: &[&str] = &[
    "让", "使", "为", "对", "向", "给", "把", "和", "与", "同", "帮助",
];

fn object_pronoun(word: &str) -> Option<&'static str> {
    Some(match word {
        "我们" => "us",
        "我" => "me",
        "他" => "him",
        "她" => "her",
        "他们" => "them",
        _ => return None,
    })
}

/// Appends a glossed word unless it is empty or repeats the previous word's ending
/// (贯彻落实 "implement" + "implement", 基建建设 "… construction" + "construction").
fn push_word(pieces: &mut Vec<Piece>, english: String) {
    if english.is_empty() {
        return;
    }
    if let Some(Piece::Word(prev)) = pieces.last()
        && (prev == &english || prev.ends_with(&format!(" {english}")))
    {
        return;
    }
    pieces.push(Piece::Word(english));
}

/// The English of one Chinese word: override, quantity, person name (pinyin), dictionary
/// sense, or the glosses of its longest dictionary sub-words, character by character last.
pub fn gloss_word(lex: &Lexicon, word: &str, tag: &str) -> String {
    if let Some(english) = override_of(word) {
        return english.to_string();
    }
    if let Some(english) = quantity_word(word) {
        return english;
    }
    if tag.starts_with("nr")
        && looks_like_name(lex, word)
        && let Some(name) = pinyin_name(lex, word)
    {
        return name;
    }
    if let Some(english) = dictionary_gloss(lex, word) {
        return english;
    }
    // Longest dictionary sub-words, left to right.
    let mut out: Vec<String> = Vec::new();
    let mut rest = word;
    while !rest.is_empty() {
        let max = lex.max_headword_chars().min(rest.chars().count());
        let mut taken = None;
        for n in (1..=max).rev() {
            let end = rest.char_indices().nth(n).map_or(rest.len(), |(i, _)| i);
            let sub = &rest[..end];
            if n > 1 && lex.senses(sub).is_none() && override_of(sub).is_none() {
                continue;
            }
            let english = override_of(sub)
                .map(str::to_string)
                .or_else(|| dictionary_gloss(lex, sub))
                .or_else(|| pinyin_of(lex, sub))
                .unwrap_or_else(|| sub.to_string());
            taken = Some((end, english));
            break;
        }
        let (end, english) = taken.expect("n = 1 always yields");
        if !english.is_empty() && out.last() != Some(&english) {
            out.push(english);
        }
        rest = &rest[end..];
    }
    out.join(" ")
}

/// The best short sense of a headword: the first with at most three words after cutting at
/// `,` and ` or `; a proper noun's romanised name when its sense starts with it
/// (`重庆` "Chongqing city" → `Chongqing`).
pub(crate) fn dictionary_gloss(lex: &Lexicon, word: &str) -> Option<String> {
    let senses = lex.senses(word)?;
    let short = |s: &str| -> String {
        let s = s.split(", ").next().unwrap_or(s);
        let s = s.split(" or ").next().unwrap_or(s);
        // Dictionary shorthand spelled out (a sense with it is only used as a fallback).
        s.split_whitespace()
            .map(|w| match w {
                "sb" => "someone",
                "sb's" => "someone's",
                "sth" => "something",
                other => other,
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let usable = |s: &&String| {
        !s.starts_with(['-', '~'])
            && !s.contains("...")
            && !s
                .split_whitespace()
                .any(|w| w == "sb" || w == "sth" || w == "sb's")
    };
    // The first usable sense when it has at most two words, else the fewest words among
    // the first three (earlier wins ties): 创新 "bring forth new ideas" / "blaze new
    // trails" / "innovation" → "innovation"; 总经理 "general manager" stays.
    let candidates: Vec<String> = senses
        .iter()
        .filter(usable)
        .map(|s| short(s))
        .filter(|s| !s.is_empty())
        .take(3)
        .collect();
    let words = |s: &String| s.split_whitespace().count();
    let best = match candidates.first() {
        Some(first) if words(first) <= 2 => first.clone(),
        Some(_) => candidates
            .iter()
            .min_by_key(|s| words(s))
            .cloned()
            .expect("non-empty"),
        None => short(senses.first()?),
    };
    if lex.is_proper(word)
        && let Some(syllables) = syllables_of(lex, word)
    {
        // The romanised name, or the name without its last syllables (九龙坡区 "Jiulongpo
        // district of …" → "Jiulongpo"); the dictionary's own spelling is kept.
        let squash = |s: &str| s.replace([' ', '\'', '-'], "").to_lowercase();
        let min = 2.min(syllables.len());
        for n in (min..=syllables.len()).rev() {
            let name = syllables[..n].concat();
            let mut taken = String::new();
            for c in best.chars() {
                taken.push(c);
                let sq = squash(&taken);
                if sq == name && !best[taken.len()..].starts_with(char::is_alphanumeric) {
                    return Some(taken);
                }
                if sq.len() > name.len() {
                    break;
                }
            }
        }
    }
    Some(best)
}

/// Toneless pinyin of a word joined into one capitalised word (`重庆` → `Chongqing`).
fn pinyin_of(lex: &Lexicon, word: &str) -> Option<String> {
    let syllables = syllables_of(lex, word)?;
    let mut out = String::new();
    for (i, s) in syllables.iter().enumerate() {
        if i > 0 && s.starts_with(['a', 'e', 'o']) {
            out.push('\'');
        }
        out.push_str(s);
    }
    Some(capitalise_first(&out))
}

/// Common surnames that CC-CEDICT does not mark as such (it marks most).
const COMMON_SURNAMES: &str = "代漆戴付闫覃";

/// A word jieba tags as a person's name is read as one when the dictionary does not know
/// it, it starts with a surname, and it does not start with or end in a dictionary word
/// (智能化 starts with 智能, 高水平 ends in 水平: not names).
fn looks_like_name(lex: &Lexicon, word: &str) -> bool {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    if !(2..=4).contains(&chars.len()) || lex.contains(word) {
        return false;
    }
    // Places and institutions (高新区, 江北区), not people.
    if word.ends_with([
        '区', '市', '县', '省', '镇', '村', '路', '街', '园', '院', '局',
    ]) {
        return false;
    }
    let mut buf = [0u8; 4];
    if lex
        .surname_pinyin(chars[0].1.encode_utf8(&mut buf))
        .is_none()
        && !COMMON_SURNAMES.contains(chars[0].1)
    {
        return false;
    }
    let given = &word[chars[1].0..];
    let prefix_word = (2..chars.len()).any(|n| lex.senses(&word[..chars[n].0]).is_some());
    let given_word = given.chars().count() > 1 && lex.senses(given).is_some();
    !prefix_word && !given_word
}

/// A person's name in pinyin: surname, then the given name as one word (`代小红` →
/// `Dai Xiaohong`).
fn pinyin_name(lex: &Lexicon, word: &str) -> Option<String> {
    let mut syllables = syllables_of(lex, word)?;
    let mut buf = [0u8; 4];
    let first = word.chars().next()?.encode_utf8(&mut buf);
    if let Some(surname) = lex.surname_pinyin(first)
        && let Some(s) = syllables.first_mut()
    {
        // 曾 reads Zeng as a surname, ceng otherwise.
        *s = surname
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_lowercase();
    }
    let (surname, given) = syllables.split_first()?;
    let mut given_name = String::new();
    for (i, s) in given.iter().enumerate() {
        if i > 0 && s.starts_with(['a', 'e', 'o']) {
            given_name.push('\'');
        }
        given_name.push_str(s);
    }
    Some(format!(
        "{} {}",
        capitalise_first(surname),
        capitalise_first(&given_name)
    ))
}

/// Toneless lower-case syllables of a word, read from the dictionary (the word itself, or
/// char by char).
fn syllables_of(lex: &Lexicon, word: &str) -> Option<Vec<String>> {
    let clean = |p: &str| -> Vec<String> {
        p.split_whitespace()
            .map(|s| {
                s.trim_end_matches(|c: char| c.is_ascii_digit())
                    .replace("u:", "ü")
                    .to_lowercase()
            })
            .collect()
    };
    if let Some(p) = lex.pinyin(word) {
        return Some(clean(p));
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4];
    for c in word.chars() {
        out.extend(clean(lex.pinyin(c.encode_utf8(&mut buf))?));
    }
    Some(out)
}

fn capitalise_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(source: &str, target: &str) -> TermPair {
        TermPair {
            source: source.into(),
            target: target.into(),
        }
    }

    #[test]
    fn words_and_names() {
        let lex = Lexicon::global();
        assert_eq!(gloss_word(lex, "重庆", "ns"), "Chongqing");
        assert_eq!(gloss_word(lex, "习近平", "nrfg"), "Xi Jinping");
        assert_eq!(gloss_word(lex, "代小红", "nr"), "Dai Xiaohong");
        assert_eq!(gloss_word(lex, "经济", "n"), "economy");
        assert_eq!(gloss_word(lex, "的", "uj"), "");
        assert_eq!(gloss_word(lex, "三个", "m"), "three");
        // Not names: a dictionary word inside (智能化, 高水平) or a place (高新区).
        assert_eq!(gloss_word(lex, "智能化", "nr"), "intelligentization");
        assert_ne!(gloss_word(lex, "高水平", "nr"), "Gao Shuiping");
        assert_ne!(gloss_word(lex, "高新区", "nr"), "Gao Xinqu");
        // A name jieba cuts in two, between a title and a speech verb.
        let out = gloss_text(lex, "主任董建国说", &[]);
        assert_eq!(out, "Director Dong Jianguo said");
    }

    #[test]
    fn terms_are_verbatim_and_take_pairs_in_order() {
        let lex = Lexicon::global();
        let terms = [
            pair("上合组织", "Shanghai Cooperation Organization (SCO)"),
            pair("上合组织", "SCO"),
            pair("两江新区", "Liangjiang New Area"),
        ];
        let out = gloss_text(lex, "两江新区与上合组织国家合作,上合组织。", &terms);
        assert!(
            out.starts_with("Liangjiang New Area and Shanghai Cooperation Organization (SCO)"),
            "{out}"
        );
        assert!(out.contains(", SCO."), "{out}");
    }

    #[test]
    fn sentence_shape() {
        let lex = Lexicon::global();
        let out = gloss_text(lex, "8月23日,重庆数字经济占GDP比重达到24%。", &[]);
        assert!(out.starts_with("August 23, Chongqing"), "{out}");
        assert!(out.contains("GDP") && out.ends_with("24%."), "{out}");
        assert!(!out.contains("  ") && !out.contains(" ,") && !out.contains(" ."));
        let out = gloss_text(lex, "抓好贯彻落实", &[]);
        assert!(!out.contains("implement implement"), "{out}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// Any mix of numerals, units, punctuation and words glosses without panicking, with
        /// clean spacing, and keeps an inserted term verbatim.
        #[test]
        fn never_panics_and_keeps_terms(
            chars in proptest::collection::vec(proptest::sample::select(
                "一二两三十百千万亿〇零年月日号份第余多以上左右元%.,0123456789，。、“”‘’（）()—…！？：；\" 的了重庆经济发展5G个家项组吋ABCabc".chars().collect::<Vec<_>>()
            ), 0..40),
            at in 0usize..40,
        ) {
            let lex = Lexicon::global();
            let mut text: String = chars.iter().collect();
            let cut = text.char_indices().nth(at).map_or(text.len(), |(i, _)| i);
            text.insert_str(cut, "两江新区");
            let out = gloss_text(lex, &text, &[pair("两江新区", "Liangjiang New Area")]);
            proptest::prop_assert!(out.contains("Liangjiang New Area"), "{:?} → {:?}", text, out);
            proptest::prop_assert!(!out.contains("  "), "{:?} → {:?}", text, out);
            proptest::prop_assert_eq!(out.trim(), out.as_str());
        }
    }

    #[test]
    fn full_width_punctuation_becomes_english() {
        let lex = Lexicon::global();
        let out = gloss_text(lex, "他说：“重庆（西部）——发展……”经济；合作、创新！", &[]);
        assert_eq!(
            out,
            "He said: \"Chongqing (western part) — development...\" economy; cooperation, innovation!"
        );
        let out = gloss_text(lex, "２０２１年，ＧＤＰ增长２４％。", &[]);
        assert_eq!(out, "2021, GDP grow 24%.");
    }
}

//! Lexical evidence between a Chinese and an English sentence: dictionary glosses of the
//! Chinese words (the `gloss` bridge), glossary terms, numbers and Latin tokens, compared with
//! the stemmed content words of the English sentence.
//!
//! Every Chinese word becomes a set of English stems (its "gloss"); an English sentence is a
//! set of stems. A word is *matched* by an English sentence when one of its stems occurs there;
//! an English stem is matched when some word of the Chinese side glosses to it. Words carry an
//! IDF weight computed over the document, so frequent words count little.

use super::english::english_tokens;
use crate::text::{fold_width, fold_width_char, is_han};
use std::collections::HashMap;

/// A Chinese→English dictionary: a word segmenter and the English senses of a word.
/// The offline CC-CEDICT lexicon (`backend::gloss::Lexicon`) implements it.
pub trait Dictionary: Sync {
    /// Cuts a Chinese text into words (slices of `text`).
    fn segment<'a>(&self, text: &'a str) -> Vec<&'a str>;
    /// English senses of a word, if it is in the dictionary.
    fn senses(&self, word: &str) -> Option<&[String]>;
    /// Pinyin with tone numbers (`Chong2 qing4`) of a headword, for names.
    fn pinyin(&self, _word: &str) -> Option<&str> {
        None
    }
    /// Pinyin of a character's surname reading (`曾` → `Zeng1`).
    fn surname_pinyin(&self, _word: &str) -> Option<&str> {
        None
    }
    /// Whether a headword is a proper noun.
    fn is_proper(&self, _word: &str) -> bool {
        false
    }
}

impl Dictionary for crate::backend::gloss::Lexicon {
    fn segment<'a>(&self, text: &'a str) -> Vec<&'a str> {
        crate::backend::gloss::Lexicon::segment(self, text)
    }
    fn senses(&self, word: &str) -> Option<&[String]> {
        crate::backend::gloss::Lexicon::senses(self, word)
    }
    fn pinyin(&self, word: &str) -> Option<&str> {
        crate::backend::gloss::Lexicon::pinyin(self, word)
    }
    fn surname_pinyin(&self, word: &str) -> Option<&str> {
        crate::backend::gloss::Lexicon::surname_pinyin(self, word)
    }
    fn is_proper(&self, word: &str) -> bool {
        crate::backend::gloss::Lexicon::is_proper(self, word)
    }
}

/// A glossary term found in a Chinese sentence: the English renderings that count as a match.
pub trait TermAnchors: Sync {
    /// The English renderings (target, first form, alternates) of every term found in `zh`.
    fn find(&self, zh: &str) -> Vec<Vec<String>>;
}

/// Glossary terms as lexical anchors: every term found in a Chinese sentence counts as a
/// word whose glosses are its renderings (`target`, `first`, `alternates`; the source itself
/// for `keep` entries).
pub struct GlossaryAnchors {
    glossary: crate::glossary::Glossary,
    matcher: crate::glossary::Matcher,
}

impl GlossaryAnchors {
    pub fn new(glossary: crate::glossary::Glossary) -> GlossaryAnchors {
        let matcher = glossary.matcher();
        GlossaryAnchors { glossary, matcher }
    }
}

impl TermAnchors for GlossaryAnchors {
    fn find(&self, zh: &str) -> Vec<Vec<String>> {
        self.matcher
            .find(zh)
            .into_iter()
            .map(|m| {
                let term = &self.glossary.terms[m.term];
                let mut renderings: Vec<String> = term.target.iter().cloned().collect();
                renderings.extend(term.first.iter().cloned());
                renderings.extend(term.alternates.iter().cloned());
                if term.keep || renderings.is_empty() {
                    renderings.push(term.source.clone());
                }
                renderings
            })
            .collect()
    }
}

/// Most senses' stems kept for one word (dictionary entries of common characters are long).
const MAX_STEMS: usize = 24;
/// Bits of the match masks: words of a sentence past this index share the last bits.
pub const MASK_BITS: usize = 128;

/// Number of characters that carry length (letters, digits, Han), for the length model.
pub fn text_length(text: &str) -> u32 {
    text.chars().filter(|c| !c.is_whitespace()).count() as u32
}

/// Interned stems: ids are dense from 0.
#[derive(Debug, Default)]
pub struct Interner {
    map: HashMap<String, u32>,
}

impl Interner {
    pub fn id(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.map.get(word) {
            return id;
        }
        let id = self.map.len() as u32;
        self.map.insert(word.to_string(), id);
        id
    }

    pub fn get(&self, word: &str) -> Option<u32> {
        self.map.get(word).copied()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// One Chinese content word: its document-level id, IDF weight and gloss stems.
#[derive(Debug, Clone)]
pub struct ZhWord {
    pub key: u32,
    pub weight: f32,
    pub stems: Vec<u32>,
}

/// A Chinese sentence's features.
#[derive(Debug, Clone, Default)]
pub struct ZhSentence {
    pub length: u32,
    /// Whether the sentence holds direct speech (a quotation mark).
    pub quoted: bool,
    /// Quotations opened in the sentence.
    pub opens: u32,
    pub words: Vec<ZhWord>,
    pub total: f32,
}

/// An English sentence's features: unique stems (sorted), their weights and a 64-bit
/// signature of the stems for quick rejection.
#[derive(Debug, Clone, Default)]
pub struct EnSentence {
    pub length: u32,
    /// Whether the sentence holds direct speech (opens or closes with a quotation mark, or
    /// opens one inside).
    pub quoted: bool,
    /// Quotations opened in the sentence.
    pub opens: u32,
    pub stems: Vec<u32>,
    pub weights: Vec<f32>,
    pub signature: u64,
    pub total: f32,
}

impl EnSentence {
    fn position(&self, stem: u32) -> Option<usize> {
        if self.signature & (1u64 << (stem % 64)) == 0 {
            return None;
        }
        self.stems.binary_search(&stem).ok()
    }
}

/// Features of both sides of a document.
#[derive(Debug, Default)]
pub struct Features {
    pub zh: Vec<ZhSentence>,
    pub en: Vec<EnSentence>,
}

/// The vocabulary shared by the documents aligned together: English stems and Chinese word
/// keys, so that associations learned on one document apply to the others.
#[derive(Debug, Default)]
pub struct Vocabulary {
    pub stems: Interner,
    pub keys: Interner,
}

/// The gloss stems of a dictionary word: the content words of its senses, stemmed, in order
/// of first appearance, at most [`MAX_STEMS`]. Parentheticals and cross-references are dropped.
pub fn sense_stems(senses: &[String], out: &mut Vec<String>) {
    let mut tokens = Vec::new();
    for sense in senses {
        let lower = sense.trim().to_ascii_lowercase();
        if lower.starts_with("variant of")
            || lower.starts_with("old variant")
            || lower.starts_with("see ")
            || lower.starts_with("cl:")
            || lower.starts_with("used in")
            || lower.starts_with("erhua variant")
            || lower.starts_with("japanese variant")
        {
            continue;
        }
        let mut clean = String::with_capacity(lower.len());
        let mut depth = 0u32;
        for c in lower.chars() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth = depth.saturating_sub(1),
                _ if depth == 0 => clean.push(c),
                _ => {}
            }
        }
        tokens.clear();
        english_tokens(&clean, &mut tokens);
        for t in tokens.drain(..) {
            if !out.contains(&t) {
                out.push(t);
                if out.len() >= MAX_STEMS {
                    return;
                }
            }
        }
    }
}

/// Where lexical evidence comes from besides the texts: a dictionary, glossary terms, MT.
pub struct Evidence<'a> {
    pub dictionary: Option<&'a dyn Dictionary>,
    pub terms: Option<&'a dyn TermAnchors>,
    /// A machine translation of each Chinese sentence (the MT bridge, Bleualign's idea): its
    /// content words count as glosses of the sentence. Used by [`Features::build_in`] when it
    /// has one entry per Chinese sentence.
    pub translations: Option<&'a [String]>,
}

/// Splits a Chinese text into words without a dictionary: runs of Han characters one
/// character a word, ASCII runs one word.
fn segment_plain(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let c2 = fold_width_char(c).unwrap_or(c);
        if c2.is_ascii_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
            continue;
        }
        if let Some(s) = start.take() {
            out.push(&text[s..i]);
        }
        if is_han(c) {
            out.push(&text[i..i + c.len_utf8()]);
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

impl Features {
    /// Extracts the features of both sides.
    pub fn build(zh: &[&str], en: &[&str], evidence: &Evidence<'_>) -> Features {
        Features::build_in(zh, en, evidence, &mut Vocabulary::default())
    }

    /// Extracts the features of both sides with ids from a shared vocabulary.
    pub fn build_in(
        zh: &[&str],
        en: &[&str],
        evidence: &Evidence<'_>,
        vocabulary: &mut Vocabulary,
    ) -> Features {
        let Vocabulary { stems, keys } = vocabulary;
        let mut gloss_cache: HashMap<String, Vec<u32>> = HashMap::new();
        let mut scratch = Vec::new();
        // Chinese side: words with their gloss stems (and key ids for IDF).
        type Glossed = Vec<(u32, Vec<u32>)>;
        let mut zh_raw: Vec<(u32, Glossed)> = Vec::with_capacity(zh.len());
        let translations = evidence.translations.filter(|t| t.len() == zh.len());
        for (index, text) in zh.iter().enumerate() {
            let words = match evidence.dictionary {
                Some(d) => d.segment(text),
                None => segment_plain(text),
            };
            let mut list: Vec<(u32, Vec<u32>)> = Vec::new();
            for word in words {
                let word = word.trim();
                if word.is_empty() {
                    continue;
                }
                let glossed = match gloss_cache.get(word) {
                    Some(g) => g.clone(),
                    None => {
                        let g = gloss_word(word, evidence.dictionary, stems, &mut scratch);
                        gloss_cache.insert(word.to_string(), g.clone());
                        g
                    }
                };
                if glossed.is_empty() {
                    continue;
                }
                list.push((keys.id(word), glossed));
            }
            if let Some(terms) = evidence.terms {
                for renderings in terms.find(text) {
                    let mut g = Vec::new();
                    for r in &renderings {
                        scratch.clear();
                        english_tokens(r, &mut scratch);
                        for t in scratch.drain(..) {
                            let id = stems.id(&t);
                            if !g.contains(&id) {
                                g.push(id);
                            }
                        }
                    }
                    if !g.is_empty() {
                        let key = keys.id(&format!("\u{1}term:{}", renderings.join("|")));
                        list.push((key, g));
                    }
                }
            }
            if let Some(translations) = translations {
                scratch.clear();
                english_tokens(&translations[index], &mut scratch);
                let mut seen = Vec::new();
                for t in scratch.drain(..) {
                    let id = stems.id(&t);
                    if !seen.contains(&id) {
                        seen.push(id);
                        list.push((keys.id(&format!("\u{2}mt:{t}")), vec![id]));
                    }
                }
            }
            for mark in zh_marks(text) {
                let id = stems.id(mark);
                list.push((keys.id(mark), vec![id]));
            }
            zh_raw.push((text_length(text), list));
        }
        // English side.
        let mut en_raw: Vec<(u32, Vec<u32>)> = Vec::with_capacity(en.len());
        for text in en {
            scratch.clear();
            english_tokens(text, &mut scratch);
            let mut ids: Vec<u32> = scratch.drain(..).map(|t| stems.id(&t)).collect();
            ids.extend(en_marks(text).map(|m| stems.id(m)));
            ids.sort_unstable();
            ids.dedup();
            en_raw.push((text_length(text), ids));
        }
        // IDF weights over the document's sentences.
        let mut zh_df = vec![0u32; keys.len()];
        for (_, list) in &zh_raw {
            let mut seen: Vec<u32> = list.iter().map(|(k, _)| *k).collect();
            seen.sort_unstable();
            seen.dedup();
            for k in seen {
                zh_df[k as usize] += 1;
            }
        }
        let mut en_df = vec![0u32; stems.len()];
        for (_, ids) in &en_raw {
            for &s in ids {
                en_df[s as usize] += 1;
            }
        }
        let idf =
            |df: u32, n: usize| -> f32 { ((n as f32 + 1.0) / (df as f32 + 0.5)).ln().max(0.1) };
        let zn = zh_raw.len().max(1);
        let en_n = en_raw.len().max(1);
        let mut zh_out: Vec<ZhSentence> = zh_raw
            .into_iter()
            .map(|(length, list)| {
                let words: Vec<ZhWord> = list
                    .into_iter()
                    .map(|(key, stems)| ZhWord {
                        key,
                        weight: idf(zh_df[key as usize], zn),
                        stems,
                    })
                    .collect();
                let total = words.iter().map(|w| w.weight).sum();
                ZhSentence {
                    length,
                    quoted: false,
                    opens: 0,
                    words,
                    total,
                }
            })
            .collect();
        let mut en_out: Vec<EnSentence> = en_raw
            .into_iter()
            .map(|(length, ids)| {
                let weights: Vec<f32> = ids.iter().map(|&s| idf(en_df[s as usize], en_n)).collect();
                let signature = ids.iter().fold(0u64, |sig, &s| sig | (1u64 << (s % 64)));
                let total = weights.iter().sum();
                EnSentence {
                    length,
                    quoted: false,
                    opens: 0,
                    stems: ids,
                    weights,
                    signature,
                    total,
                }
            })
            .collect();
        for (s, text) in zh_out.iter_mut().zip(zh) {
            s.quoted = zh_quoted(text);
            s.opens = text.matches(['“', '「']).count() as u32;
        }
        for (s, text) in en_out.iter_mut().zip(en) {
            s.quoted = en_quoted(text);
            s.opens = en_opens(text);
        }
        Features {
            zh: zh_out,
            en: en_out,
        }
    }

    /// Which words of Chinese sentence `i` are matched by English sentence `j` (bit `k` for
    /// word `k`) and which stems of `j` are matched by `i` (bit `p` for stem position `p`).
    pub fn masks(&self, i: usize, j: usize) -> (u128, u128) {
        let z = &self.zh[i];
        let e = &self.en[j];
        let mut zm = 0u128;
        let mut em = 0u128;
        if e.stems.is_empty() {
            return (0, 0);
        }
        for (k, word) in z.words.iter().enumerate() {
            for &s in &word.stems {
                if let Some(p) = e.position(s) {
                    zm |= 1u128 << k.min(MASK_BITS - 1);
                    em |= 1u128 << p.min(MASK_BITS - 1);
                }
            }
        }
        (zm, em)
    }
}

/// Punctuation that translators keep (question and exclamation marks, ellipses), as tokens
/// that cannot collide with words: a Chinese sentence's marks are words glossed by
/// themselves, an English sentence's are stems.
const MARKS: [(&str, &[char], &[&str]); 3] = [
    ("\u{3}?", &['？', '?'], &["?"]),
    ("\u{3}!", &['！', '!'], &["!"]),
    ("\u{3}...", &['…'], &["…", "...", ". . ."]),
];

fn zh_marks(text: &str) -> impl Iterator<Item = &'static str> + '_ {
    MARKS
        .iter()
        .filter(move |(_, zh, _)| text.contains(*zh))
        .map(|(token, _, _)| *token)
}

fn en_marks(text: &str) -> impl Iterator<Item = &'static str> + '_ {
    MARKS
        .iter()
        .filter(move |(_, _, en)| en.iter().any(|m| text.contains(m)))
        .map(|(token, _, _)| *token)
}

/// Whether a Chinese sentence holds direct speech.
pub fn zh_quoted(text: &str) -> bool {
    text.contains(['“', '”', '「', '」', '『', '"'])
}

/// Whether an English sentence holds direct speech: it opens or closes with a quotation mark
/// (`'Very well!' he replied.`, `... though—'`), or opens one after a space.
pub fn en_quoted(text: &str) -> bool {
    const MARKS: [char; 6] = ['\'', '"', '“', '”', '‘', '’'];
    let t = text.trim();
    t.starts_with(MARKS)
        || t.ends_with(MARKS)
        || t.contains(" '")
        || t.contains(" \"")
        || t.contains(['“', '‘'])
}

/// Quotations opened in an English sentence: `“`, and `'`/`"` at the start or after a space
/// or dash and before a letter.
pub fn en_opens(text: &str) -> u32 {
    let chars: Vec<char> = text.trim().chars().collect();
    let mut n = 0;
    for (k, &c) in chars.iter().enumerate() {
        let opening = match c {
            '“' | '‘' => true,
            '\'' | '"' => {
                (k == 0 || chars[k - 1].is_whitespace() || chars[k - 1] == '—')
                    && chars.get(k + 1).is_some_and(|n| n.is_alphanumeric())
            }
            _ => false,
        };
        if opening {
            n += 1;
        }
    }
    n
}

/// Lower-case toneless syllables of a CC-CEDICT pinyin (`Chong2 qing4` → `chong`, `qing`).
fn pinyin_syllables(pinyin: &str) -> Vec<String> {
    pinyin
        .split_whitespace()
        .map(|s| {
            s.replace("u:", "u")
                .chars()
                .filter(char::is_ascii_alphabetic)
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Romanised forms of a word missing from the dictionary that may be a personal name
/// (2-4 Han characters): the surname's pinyin and the given name's syllables run together
/// (`韦小宝` → `wei`, `xiaobao`), and the whole name run together.
fn name_forms(word: &str, dict: &dyn Dictionary, out: &mut Vec<String>) {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    if !(2..=4).contains(&chars.len()) || !chars.iter().all(|&(_, c)| is_han(c)) {
        return;
    }
    let mut syllables = Vec::new();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let ch = &word[i..i + c.len_utf8()];
        let py = if k == 0 {
            dict.surname_pinyin(ch).or_else(|| dict.pinyin(ch))
        } else {
            dict.pinyin(ch)
        };
        let Some(py) = py else { return };
        syllables.extend(pinyin_syllables(py).into_iter().take(1));
    }
    if syllables.len() != chars.len() {
        return;
    }
    let mut text = syllables[0].clone();
    text.push(' ');
    text.push_str(&syllables[1..].concat());
    text.push(' ');
    text.push_str(&syllables.concat());
    if syllables.len() == 3 {
        // `Bao-yu` style: the given name's syllables one by one.
        text.push(' ');
        text.push_str(&syllables[1..].join(" "));
    }
    english_tokens(&text, out);
}

/// Gloss stems of one Chinese word: dictionary senses, else the senses of its characters;
/// ASCII words and numbers gloss to themselves.
fn gloss_word(
    word: &str,
    dictionary: Option<&dyn Dictionary>,
    stems: &mut Interner,
    scratch: &mut Vec<String>,
) -> Vec<u32> {
    scratch.clear();
    let folded = fold_width(word);
    if folded.chars().any(|c| c.is_ascii_alphanumeric()) {
        english_tokens(&folded, scratch);
    } else if !word.chars().any(is_han) {
        return Vec::new();
    } else if let Some(dict) = dictionary {
        if let Some(senses) = dict.senses(word) {
            sense_stems(senses, scratch);
            if dict.is_proper(word)
                && let Some(py) = dict.pinyin(word)
            {
                let syllables = pinyin_syllables(py);
                english_tokens(&syllables.concat(), scratch);
            }
            // The first sense of each character too: novels' translators often render the
            // parts of a compound (tuned on MAC-Dev: one stem a character).
            if word.chars().count() > 1 {
                for (i, c) in word.char_indices() {
                    if let Some(senses) = dict.senses(&word[i..i + c.len_utf8()]) {
                        let mut part = Vec::new();
                        sense_stems(senses, &mut part);
                        for t in part.into_iter().take(1) {
                            if !scratch.contains(&t) {
                                scratch.push(t);
                            }
                        }
                    }
                }
            }
        } else {
            name_forms(word, dict, scratch);
            for (i, c) in word.char_indices() {
                if let Some(senses) = dict.senses(&word[i..i + c.len_utf8()]) {
                    let mut part = Vec::new();
                    sense_stems(senses, &mut part);
                    for t in part.into_iter().take(MAX_STEMS / 2) {
                        if !scratch.contains(&t) {
                            scratch.push(t);
                        }
                    }
                }
            }
        }
    }
    scratch.iter().map(|t| stems.id(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_and_exclamation_marks_and_ellipses_match() {
        let zh = ["你去吗？", "好！", "他走了……", "他走了。"];
        let en = ["Are you going?", "Fine!", "He left . . .", "He left."];
        let evidence = Evidence {
            dictionary: None,
            terms: None,
            translations: None,
        };
        let f = Features::build(&zh, &en, &evidence);
        for k in 0..3 {
            assert_eq!(f.masks(k, k).0.count_ones(), 1, "sentence {k}");
            assert_eq!(f.masks(k, (k + 1) % 3), (0, 0), "sentence {k}");
        }
        assert_eq!(f.masks(3, 3), (0, 0));
        assert_eq!(f.masks(3, 2), (0, 0));
    }

    #[test]
    fn direct_speech_is_detected_on_both_sides() {
        assert!(zh_quoted("他道：“好，你上来！”"));
        assert!(zh_quoted("「走吧。」"));
        assert!(!zh_quoted("两人又打了起来。"));
        assert!(en_quoted("'Very well!' he replied."));
        assert!(en_quoted("A few more goes and I'd have had you—'"));
        assert!(en_quoted("He said, 'come here.'"));
        assert!(en_quoted("“Go,” she said."));
        assert!(!en_quoted("The boy's arms were held; he couldn't move."));
        assert_eq!(en_opens("'It's easy,' said Gou-er, 'but what then?'"), 2);
        assert_eq!(en_opens("“Go,” she said."), 1);
        assert_eq!(en_opens("The boys' arms were tired; he couldn't move."), 0);
    }

    #[test]
    fn senses_lose_parentheticals_and_cross_references() {
        let senses = vec![
            "to love (sb)".to_string(),
            "variant of 愛|爱".to_string(),
            "affection".to_string(),
        ];
        let mut out = Vec::new();
        sense_stems(&senses, &mut out);
        assert_eq!(out, ["lov", "affection"]);
    }
}

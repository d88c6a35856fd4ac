//! The built-in Chinese→English lexicon: CC-CEDICT (vendored in `data/cedict/`, CC BY-SA 4.0,
//! © MDBG) embedded compressed, inflated and indexed on first use, plus jieba-rs segmentation.

use crate::text::is_han;
use aho_corasick::{AhoCorasick, MatchKind};
use jieba_rs::Jieba;
use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

/// The vendored CC-CEDICT file (gzip), see `data/cedict/README.md`.
static CEDICT_GZ: &[u8] = include_bytes!("../../../data/cedict/cedict_1_0_ts_utf-8_mdbg.txt.gz");

/// What a headword means, worked out from its raw readings on first look-up.
#[derive(Debug, Clone, Default)]
struct Entry {
    /// Cleaned senses, most useful first.
    senses: Vec<String>,
    /// Pinyin of the best-ranked reading, with tone numbers (`Chong2 qing4`).
    pinyin: String,
    /// The best-ranked reading is a proper noun (capitalised pinyin).
    proper: bool,
    /// Pinyin of the reading used as a surname (`曾` → `Zeng1`), if any.
    surname: Option<String>,
}

/// One CC-CEDICT line of a headword: byte ranges of its pinyin and of its `/`-separated
/// senses in the inflated text.
#[derive(Debug, Clone, Copy)]
struct Reading {
    pinyin: (u32, u32),
    senses: (u32, u32),
}

/// A headword's readings (a run of `Lexicon::readings`, in file order) and its lazily
/// cleaned entry.
#[derive(Debug)]
struct Slot {
    first: u32,
    count: u32,
    entry: OnceLock<Entry>,
}

/// CC-CEDICT indexed by simplified headword, and a jieba-rs segmenter.
///
/// Build it once with [`Lexicon::global`]. Loading only inflates the text and indexes the
/// headwords; a headword's senses are cleaned and ranked on its first look-up, and jieba is
/// built on the first segmentation. All of it is thread-safe.
pub struct Lexicon {
    text: Box<str>,
    readings: Vec<Reading>,
    slots: HashMap<Box<str>, Slot>,
    /// Length in chars of the longest headword (for greedy sub-word lookup).
    max_len: usize,
    jieba: OnceLock<Jieba>,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("headwords", &self.slots.len())
            .finish()
    }
}

impl Lexicon {
    /// The process-wide lexicon built from the embedded CC-CEDICT on first call.
    pub fn global() -> &'static Lexicon {
        static GLOBAL: OnceLock<Lexicon> = OnceLock::new();
        GLOBAL.get_or_init(Lexicon::load_embedded)
    }

    /// Inflates and indexes the embedded CC-CEDICT (a fresh, non-shared instance; used by the
    /// benchmark — normal callers use [`Lexicon::global`]).
    pub fn load_embedded() -> Lexicon {
        let mut text = String::with_capacity(10 << 20);
        flate2::read::GzDecoder::new(CEDICT_GZ)
            .read_to_string(&mut text)
            .expect("the embedded CC-CEDICT is valid gzip UTF-8 (checked by the tests)");
        Lexicon::from_cedict_owned(text)
    }

    /// Builds a lexicon from CC-CEDICT text (`Trad Simp [pin1 yin1] /sense/sense/` lines;
    /// `#` comments and malformed lines are skipped).
    pub fn from_cedict(text: &str) -> Lexicon {
        Lexicon::from_cedict_owned(text.to_string())
    }

    fn from_cedict_owned(text: String) -> Lexicon {
        let base = text.as_ptr() as usize;
        let range = |s: &str| {
            let start = (s.as_ptr() as usize - base) as u32;
            (start, start + s.len() as u32)
        };
        // (headword, reading) in file order, then grouped by headword (stable sort).
        let mut lines: Vec<(&str, Reading)> = Vec::with_capacity(125_000);
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let Some((_trad, rest)) = line.split_once(' ') else {
                continue;
            };
            let Some((simp, rest)) = rest.split_once(" [") else {
                continue;
            };
            let Some((pinyin, rest)) = rest.split_once("] /") else {
                continue;
            };
            let senses = rest.trim_end().trim_end_matches('/');
            lines.push((
                simp,
                Reading {
                    pinyin: range(pinyin),
                    senses: range(senses),
                },
            ));
        }
        lines.sort_by(|a, b| a.0.cmp(b.0));
        let mut readings = Vec::with_capacity(lines.len());
        let mut slots: HashMap<Box<str>, Slot> = HashMap::with_capacity(lines.len());
        let mut max_len = 1;
        let mut i = 0;
        while i < lines.len() {
            let simp = lines[i].0;
            let first = readings.len() as u32;
            while i < lines.len() && lines[i].0 == simp {
                readings.push(lines[i].1);
                i += 1;
            }
            max_len = max_len.max(simp.chars().count());
            slots.insert(
                Box::from(simp),
                Slot {
                    first,
                    count: readings.len() as u32 - first,
                    entry: OnceLock::new(),
                },
            );
        }
        drop(lines);
        Lexicon {
            text: text.into_boxed_str(),
            readings,
            slots,
            max_len,
            jieba: OnceLock::new(),
        }
    }

    fn entry(&self, word: &str) -> Option<&Entry> {
        let slot = self.slots.get(word)?;
        Some(slot.entry.get_or_init(|| self.build_entry(slot)))
    }

    /// Cleans and ranks the senses of one headword.
    fn build_entry(&self, slot: &Slot) -> Entry {
        let text = &*self.text;
        let at = |(a, b): (u32, u32)| &text[a as usize..b as usize];
        let mut readings: Vec<(&str, &str)> = self.readings
            [slot.first as usize..(slot.first + slot.count) as usize]
            .iter()
            .map(|r| (at(r.pinyin), at(r.senses)))
            .collect();
        // Common readings first: lower-case pinyin (not a proper noun), then the reading
        // with the most usable senses; ties keep file order (sort is stable).
        readings.sort_by_cached_key(|(pinyin, senses)| {
            let usable = senses
                .split('/')
                .filter(|s| !clean_sense_parts(s).is_empty())
                .count();
            (is_proper(pinyin), usize::MAX - usable)
        });
        let mut senses: Vec<String> = Vec::new();
        for (_, raw_senses) in &readings {
            for sense in raw_senses.split('/') {
                for part in clean_sense_parts(sense) {
                    if !senses.contains(&part) {
                        senses.push(part);
                    }
                }
            }
        }
        let (pinyin, _) = readings[0];
        let surname = readings
            .iter()
            .find(|(_, senses)| senses.split('/').any(|s| s.starts_with("surname ")))
            .map(|(p, _)| p.to_string());
        Entry {
            senses,
            pinyin: pinyin.to_string(),
            proper: is_proper(pinyin),
            surname,
        }
    }

    /// Number of simplified headwords.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the lexicon has no headword.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Cleaned English senses of a simplified-Chinese headword, most useful first: split at
    /// `;`, parentheticals, leading "to"/"a"/"the", "lit."/"fig.", classifiers (`CL:…`),
    /// "variant of", "surname …", "used in …" and cross-references removed. `None` when the
    /// word is not a headword or has no usable sense.
    pub fn senses(&self, word: &str) -> Option<&[String]> {
        self.entry(word)
            .map(|e| e.senses.as_slice())
            .filter(|s| !s.is_empty())
    }

    /// Whether `word` is a CC-CEDICT headword (even one without usable senses).
    pub fn contains(&self, word: &str) -> bool {
        self.slots.contains_key(word)
    }

    /// Pinyin (tone numbers) of the headword's best-ranked reading, e.g. `Chong2 qing4`.
    pub fn pinyin(&self, word: &str) -> Option<&str> {
        self.entry(word).map(|e| e.pinyin.as_str())
    }

    /// Whether the headword's best-ranked reading is a proper noun (capitalised pinyin).
    pub fn is_proper(&self, word: &str) -> bool {
        self.entry(word).is_some_and(|e| e.proper)
    }

    /// Pinyin of the headword's surname reading (`曾` → `Zeng1`), when it is a surname.
    pub fn surname_pinyin(&self, word: &str) -> Option<&str> {
        self.entry(word).and_then(|e| e.surname.as_deref())
    }

    /// Length in characters of the longest headword.
    pub fn max_headword_chars(&self) -> usize {
        self.max_len
    }

    /// The jieba-rs segmenter (default dictionary), built on first use.
    pub fn jieba(&self) -> &Jieba {
        self.jieba.get_or_init(Jieba::new)
    }

    /// Segments `text` into words with jieba-rs (HMM on, so unknown names become words).
    /// The pieces cover the text: concatenated they give `text` back (spaces and punctuation
    /// are pieces too).
    pub fn segment<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.jieba()
            .cut(text, true)
            .into_iter()
            .map(|t| t.word)
            .collect()
    }

    /// Like [`segment`](Self::segment), but every occurrence of one of `extra_words`
    /// (e.g. glossary terms) stays one piece (leftmost-longest match).
    pub fn segment_with<'a>(&self, text: &'a str, extra_words: &[&str]) -> Vec<&'a str> {
        let words: Vec<&str> = extra_words
            .iter()
            .copied()
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() {
            return self.segment(text);
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&words)
            .expect("a small list of non-empty words always builds");
        let mut out = Vec::new();
        let mut last = 0;
        for m in ac.find_iter(text) {
            if m.start() > last {
                out.extend(self.segment(&text[last..m.start()]));
            }
            out.push(&text[m.start()..m.end()]);
            last = m.end();
        }
        if last < text.len() {
            out.extend(self.segment(&text[last..]));
        }
        out
    }
}

/// A reading is a proper noun when its first syllable is capitalised (`Chong2 qing4`).
fn is_proper(pinyin: &str) -> bool {
    pinyin
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase())
}

/// Removes parenthesised text (nested, ASCII and full-width brackets).
fn strip_parens(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Sense openings that carry no translation (cross-references, classifiers, readings).
const SKIP_PREFIXES: &[&str] = &[
    "surname ",
    "variant of",
    "old variant of",
    "unofficial variant",
    "archaic variant",
    "japanese variant",
    "erhua variant",
    "see ",
    "see also",
    "used in ",
    "used as ",
    "abbr. for",
    "abbr. of",
    "abbr. to",
    "cl:",
    "classifier",
    "also pr.",
    "taiwan pr.",
    "pr. ",
    "also written",
    "also called",
    "same as",
    "radical ",
    "kangxi radical",
    "old name",
    "also translated",
    "sometimes written",
    "(old)",
];

/// Leading filler removed from a sense (repeatedly).
const FILLER_PREFIXES: &[&str] = &["lit. ", "fig. ", "to ", "a ", "an ", "the ", "esp. "];

/// Cleans one raw CC-CEDICT sense into zero or more usable senses.
fn clean_sense_parts(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    let lower = raw.to_ascii_lowercase();
    if SKIP_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return Vec::new();
    }
    let stripped = strip_parens(raw);
    let mut out = Vec::new();
    for part in stripped.split(';') {
        // Keep the clauses before the first one that refers to Chinese text
        // ("Chongqing city, …, short name 渝[Yu2]").
        let mut kept: Vec<&str> = Vec::new();
        for clause in part.split(',') {
            if clause.chars().any(is_han) || clause.contains('[') {
                break;
            }
            kept.push(clause);
        }
        let joined = kept.join(",");
        let mut s = joined
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" ,", ",");
        loop {
            let lower = s.to_ascii_lowercase();
            if SKIP_PREFIXES.iter().any(|p| lower.starts_with(p)) {
                s.clear();
                break;
            }
            match FILLER_PREFIXES.iter().find(|p| lower.starts_with(*p)) {
                Some(p) if s.len() > p.len() => s = s[p.len()..].trim_start().to_string(),
                _ => break,
            }
        }
        let s = s.trim_matches(|c: char| c == ',' || c == ':' || c.is_whitespace());
        if !s.is_empty() && s.chars().any(|c| c.is_alphanumeric()) {
            out.push(s.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = "\
# comment
的 的 [de5] /of; ~'s (possessive particle)/(used after an attribute)/
的 的 [di2] /really and truly/
重慶 重庆 [Chong2 qing4] /Chongqing city (Chungking), formerly in Sichuan province, short name 渝[Yu2]/
三 三 [San1] /surname San/
三 三 [san1] /three/3/
個 个 [ge4] /(classifier used before a noun that has no specific classifier)/(bound form) individual/
說 说 [shui4] /to persuade/
說 说 [shuo1] /to speak; to talk; to say/to explain; to comment/
合作 合作 [he2 zuo4] /to cooperate/to collaborate/cooperation/CL:個|个[ge4]/
broken line
";

    #[test]
    fn senses_are_cleaned_and_ranked() {
        let lex = Lexicon::from_cedict(MINI);
        assert_eq!(lex.len(), 6);
        assert_eq!(lex.senses("的").unwrap(), ["of", "~'s", "really and truly"]);
        assert_eq!(lex.senses("三").unwrap(), ["three", "3"]);
        assert_eq!(lex.senses("个").unwrap(), ["individual"]);
        assert_eq!(
            lex.senses("说").unwrap(),
            ["speak", "talk", "say", "explain", "comment", "persuade"]
        );
        assert_eq!(
            lex.senses("合作").unwrap(),
            ["cooperate", "collaborate", "cooperation"]
        );
        assert_eq!(
            lex.senses("重庆").unwrap(),
            ["Chongqing city, formerly in Sichuan province"]
        );
        assert!(lex.is_proper("重庆"));
        assert!(!lex.is_proper("三"));
        assert_eq!(lex.pinyin("说"), Some("shuo1"));
        assert_eq!(lex.senses("不在"), None);
    }

    #[test]
    fn sense_cleaning_rules() {
        assert!(clean_sense_parts("surname Wang").is_empty());
        assert!(clean_sense_parts("variant of 個|个[ge4]").is_empty());
        assert!(clean_sense_parts("CL:個|个[ge4]").is_empty());
        assert!(clean_sense_parts("used in 自個兒|自个儿[zi4 ge3 r5]").is_empty());
        assert!(clean_sense_parts("(completed action marker)").is_empty());
        assert_eq!(
            clean_sense_parts("to push (e.g. for acceptance of a plan); to promote"),
            ["push", "promote"]
        );
        assert_eq!(clean_sense_parts("lit. to eat vinegar"), ["eat vinegar"]);
        assert_eq!(clean_sense_parts("fig. the big picture"), ["big picture"]);
        assert_eq!(clean_sense_parts("to"), ["to"]);
    }

    #[test]
    fn embedded_dictionary_loads() {
        let lex = Lexicon::global();
        assert!(lex.len() > 100_000, "{} headwords", lex.len());
        assert_eq!(lex.senses("经济").unwrap()[0], "economy");
        assert_eq!(lex.senses("三").unwrap()[0], "three");
        assert_eq!(lex.senses("国际").unwrap()[0], "international");
        assert!(lex.senses("说").unwrap().contains(&"say".to_string()));
        let all: Vec<&String> = lex
            .slots
            .keys()
            .flat_map(|w| lex.senses(w).unwrap_or_default())
            .collect();
        assert!(
            all.iter()
                .all(|s| !s.starts_with("to ") && !s.contains("CL:"))
        );
        assert!(
            all.iter().all(|s| !s.chars().any(is_han)),
            "no Chinese in senses"
        );
    }

    #[test]
    fn segmentation_covers_text_and_keeps_extra_words() {
        let lex = Lexicon::global();
        let text = "两江新区将推动数字经济高质量发展, 5G 基站。";
        let plain = lex.segment(text);
        assert_eq!(plain.concat(), text);
        assert!(plain.contains(&"数字"), "{plain:?}");
        let with = lex.segment_with(text, &["数字经济高质量", "两江新区", ""]);
        assert_eq!(with.concat(), text);
        assert_eq!(with[0], "两江新区");
        assert!(with.contains(&"数字经济高质量"), "{with:?}");
        assert_eq!(lex.segment_with("", &["x"]), Vec::<&str>::new());
    }
}

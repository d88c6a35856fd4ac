//! English words for lexical evidence: the function words dropped from sentences and
//! dictionary senses, irregular forms, a light stemmer, and the tokenizer that turns an
//! English text into stems.

use crate::text::fold_width_char;

/// Function words of English, dropped from both the sentences and the dictionary senses.
pub(crate) const STOP: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "s",
    "t",
    "d",
    "ll",
    "m",
    "re",
    "ve",
    "don",
    "didn",
    "won",
    "isn",
    "wasn",
    "one's",
    "oneself",
    "sth",
    "sb",
    "etc",
    "lit",
    "fig",
    "abbr",
    "used",
    "variant",
    "see",
    "cl",
    "pr",
    "esp",
    "also",
    "e",
    "g",
    "something",
    "someone",
    "somebody",
    "particle",
    "classifier",
    "measure",
    "word",
    "modal",
    "indicating",
    "marker",
    "suffix",
    "prefix",
    "surname",
    "old",
    "archaic",
    "name",
    "kind",
    "sort",
    "certain",
    "said",
    "say",
    "says",
    "like",
    "get",
    "got",
    "let",
    "make",
    "made",
    "go",
    "went",
    "come",
    "came",
    "one",
    "us",
    "oh",
    "yes",
    "well",
    "may",
    "might",
    "must",
    "shall",
];

/// Irregular English forms (past tenses, participles, plurals, comparatives) and their base
/// form, so that `thought` meets the gloss `think` (sorted for binary search).
const IRREGULAR: &[(&str, &str)] = &[
    ("arisen", "arise"),
    ("arose", "arise"),
    ("ate", "eat"),
    ("awoke", "awake"),
    ("beaten", "beat"),
    ("became", "become"),
    ("began", "begin"),
    ("begun", "begin"),
    ("bent", "bend"),
    ("best", "good"),
    ("better", "good"),
    ("bit", "bite"),
    ("bitten", "bite"),
    ("bled", "bleed"),
    ("blew", "blow"),
    ("blown", "blow"),
    ("bore", "bear"),
    ("borne", "bear"),
    ("bought", "buy"),
    ("bred", "breed"),
    ("broke", "break"),
    ("broken", "break"),
    ("brought", "bring"),
    ("built", "build"),
    ("burnt", "burn"),
    ("came", "come"),
    ("caught", "catch"),
    ("children", "child"),
    ("chose", "choose"),
    ("chosen", "choose"),
    ("clung", "cling"),
    ("crept", "creep"),
    ("dealt", "deal"),
    ("done", "do"),
    ("dove", "dive"),
    ("drank", "drink"),
    ("drawn", "draw"),
    ("dreamt", "dream"),
    ("drew", "draw"),
    ("driven", "drive"),
    ("drove", "drive"),
    ("drunk", "drink"),
    ("dug", "dig"),
    ("eaten", "eat"),
    ("fallen", "fall"),
    ("fed", "feed"),
    ("feet", "foot"),
    ("fell", "fall"),
    ("felt", "feel"),
    ("fled", "flee"),
    ("flew", "fly"),
    ("flown", "fly"),
    ("flung", "fling"),
    ("forbade", "forbid"),
    ("forbidden", "forbid"),
    ("forgave", "forgive"),
    ("forgiven", "forgive"),
    ("forgot", "forget"),
    ("forgotten", "forget"),
    ("fought", "fight"),
    ("found", "find"),
    ("froze", "freeze"),
    ("frozen", "freeze"),
    ("gave", "give"),
    ("geese", "goose"),
    ("given", "give"),
    ("gone", "go"),
    ("got", "get"),
    ("gotten", "get"),
    ("grew", "grow"),
    ("ground", "grind"),
    ("grown", "grow"),
    ("heard", "hear"),
    ("held", "hold"),
    ("hid", "hide"),
    ("hidden", "hide"),
    ("hung", "hang"),
    ("kept", "keep"),
    ("knelt", "kneel"),
    ("knew", "know"),
    ("known", "know"),
    ("laid", "lay"),
    ("lain", "lie"),
    ("leapt", "leap"),
    ("learnt", "learn"),
    ("led", "lead"),
    ("lent", "lend"),
    ("lit", "light"),
    ("lost", "lose"),
    ("made", "make"),
    ("meant", "mean"),
    ("men", "man"),
    ("met", "meet"),
    ("mice", "mouse"),
    ("paid", "pay"),
    ("ran", "run"),
    ("rang", "ring"),
    ("ridden", "ride"),
    ("risen", "rise"),
    ("rode", "ride"),
    ("rose", "rise"),
    ("rung", "ring"),
    ("sang", "sing"),
    ("sank", "sink"),
    ("sat", "sit"),
    ("saw", "see"),
    ("seen", "see"),
    ("sent", "send"),
    ("shaken", "shake"),
    ("shone", "shine"),
    ("shook", "shake"),
    ("shot", "shoot"),
    ("shown", "show"),
    ("shrank", "shrink"),
    ("shrunk", "shrink"),
    ("slain", "slay"),
    ("slept", "sleep"),
    ("slid", "slide"),
    ("slung", "sling"),
    ("smelt", "smell"),
    ("sold", "sell"),
    ("sought", "seek"),
    ("spat", "spit"),
    ("sped", "speed"),
    ("spent", "spend"),
    ("spoke", "speak"),
    ("spoken", "speak"),
    ("sprang", "spring"),
    ("sprung", "spring"),
    ("spun", "spin"),
    ("stank", "stink"),
    ("stole", "steal"),
    ("stolen", "steal"),
    ("stood", "stand"),
    ("stridden", "stride"),
    ("striven", "strive"),
    ("strode", "stride"),
    ("strove", "strive"),
    ("struck", "strike"),
    ("stuck", "stick"),
    ("stung", "sting"),
    ("sung", "sing"),
    ("sunk", "sink"),
    ("swam", "swim"),
    ("swept", "sweep"),
    ("swore", "swear"),
    ("sworn", "swear"),
    ("swum", "swim"),
    ("swung", "swing"),
    ("taken", "take"),
    ("taught", "teach"),
    ("teeth", "tooth"),
    ("thought", "think"),
    ("threw", "throw"),
    ("thrown", "throw"),
    ("told", "tell"),
    ("took", "take"),
    ("tore", "tear"),
    ("torn", "tear"),
    ("trod", "tread"),
    ("trodden", "tread"),
    ("understood", "understand"),
    ("was", "be"),
    ("went", "go"),
    ("wept", "weep"),
    ("woke", "wake"),
    ("woken", "wake"),
    ("women", "woman"),
    ("won", "win"),
    ("wore", "wear"),
    ("worn", "wear"),
    ("worse", "bad"),
    ("worst", "bad"),
    ("wove", "weave"),
    ("woven", "weave"),
    ("written", "write"),
    ("wrote", "write"),
    ("wrung", "wring"),
];

pub(crate) fn is_stop(word: &str) -> bool {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| STOP.iter().copied().collect())
        .contains(word)
}

/// A light English stemmer: plural, past, gerund and adverb endings and a final `e`, so that
/// `loves`, `loved`, `loving` and `love` share one stem.
pub fn stem(word: &str) -> String {
    let mut w = word.to_ascii_lowercase();
    if let Some(base) = w.strip_suffix("'s") {
        w = base.to_string();
    }
    if let Ok(k) = IRREGULAR.binary_search_by(|(form, _)| (*form).cmp(w.as_str())) {
        w = IRREGULAR[k].1.to_string();
    }
    let n = w.len();
    if n > 4 && w.ends_with("ies") {
        w.truncate(n - 3);
        w.push('y');
    } else if n > 4 && w.ends_with("sses") {
        w.truncate(n - 2);
    } else if n > 3
        && w.ends_with('s')
        && !w.ends_with("ss")
        && !w.ends_with("us")
        && !w.ends_with("is")
    {
        w.truncate(n - 1);
    }
    let n = w.len();
    if n > 5 && w.ends_with("ing") {
        w.truncate(n - 3);
        undouble(&mut w);
    } else if n > 4 && w.ends_with("ed") {
        w.truncate(n - 2);
        undouble(&mut w);
    } else if n > 5 && w.ends_with("ly") {
        w.truncate(n - 2);
    }
    if w.len() > 3 && w.ends_with('e') {
        w.pop();
    }
    if w.len() > 3 && w.ends_with('y') {
        w.pop();
        w.push('i');
    }
    w
}

fn undouble(w: &mut String) {
    let b = w.as_bytes();
    let n = b.len();
    if n >= 2 && b[n - 1] == b[n - 2] && !matches!(b[n - 1], b'l' | b's' | b'z' | b'e' | b'o') {
        w.pop();
    }
}

/// Lower-case ASCII words and digit runs of an English text, with the stop words dropped and
/// the words stemmed. Digit runs become `#123` (so they only match numbers).
pub fn english_tokens(text: &str, out: &mut Vec<String>) {
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if word.is_empty() {
            return;
        }
        if word.as_bytes()[0].is_ascii_digit() {
            // `2019,` and `3.` at the end of a clause: the mark is not part of the number.
            out.push(format!("#{}", word.trim_end_matches([',', '.'])));
        } else {
            let lower = word.to_ascii_lowercase();
            if !is_stop(&lower) && lower.len() > 1 {
                out.push(stem(&lower));
            }
        }
        word.clear();
    };
    let mut digits = false;
    for c in text.chars() {
        let c = fold_width_char(c).unwrap_or(c);
        if c.is_ascii_alphabetic() {
            if digits {
                flush(&mut word, out);
            }
            digits = false;
            word.push(c);
        } else if c.is_ascii_digit() {
            if !digits {
                flush(&mut word, out);
            }
            digits = true;
            word.push(c);
        } else if (c == ',' || c == '.') && digits {
            // 1,000 and 3.5 stay one number; a trailing mark is dropped below.
            word.push(c);
        } else {
            flush(&mut word, out);
            digits = false;
        }
        if !digits && !word.is_empty() && word.ends_with(['.', ',']) {
            word.pop();
        }
    }
    while word.ends_with(['.', ',']) {
        word.pop();
    }
    flush(&mut word, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stemmer_joins_inflections() {
        for w in ["loves", "loved", "loving", "love"] {
            assert_eq!(stem(w), "lov", "{w}");
        }
        assert_eq!(stem("cities"), "citi");
        assert_eq!(stem("city"), "citi");
        assert_eq!(stem("running"), "run");
        assert_eq!(stem("glass"), "glass");
        assert_eq!(stem("thought"), stem("think"));
        assert_eq!(stem("children"), stem("child"));
        assert!(IRREGULAR.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn english_tokens_drop_stop_words_and_keep_numbers() {
        let mut out = Vec::new();
        english_tokens("The 2021 Expo drew 1,200 firms, and it was big.", &mut out);
        assert_eq!(out, ["#2021", "expo", "draw", "#1,200", "firm", "big"]);
        out.clear();
        english_tokens("In 2019, 120 came; by 3.5. Then 7.", &mut out);
        assert_eq!(out, ["#2019", "#120", "#3.5", "#7"]);
    }
}

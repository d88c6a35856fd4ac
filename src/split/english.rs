//! English sentence splitting, for the target side of `align`.
//!
//! Built on the Unicode sentence boundaries of `unicode-segmentation` (UAX #29), then
//! corrected: no break after titles and common abbreviations (`Mr.`, `Dr.`, `e.g.`, `U.S.`),
//! after initials (`J. K. Rowling`), or before a sentence that starts in lower case
//! (`"Stop!" he said.`). Decimals (`3.5`) and closing quotes after the final mark are already
//! kept together by UAX #29.

use std::ops::Range;
use unicode_segmentation::UnicodeSegmentation;

/// Abbreviations after which a period does not end a sentence (lower case, without the final
/// period).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "gen", "gov", "sen", "rep", "col",
    "lt", "capt", "sgt", "rev", "hon", "messrs", "mme", "mlle", "vs", "v", "cf", "e.g", "i.e",
    "etc.", "no", "nos", "vol", "pp", "p", "fig", "figs", "approx", "dept", "inc", "ltd", "co",
    "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "a.m", "p.m", "u.s", "u.k", "u.n", "e.u", "u.s.a", "d.c", "ph.d", "b.a", "m.a", "al",
];

/// Abbreviations that do end a sentence when the next word starts with a capital
/// (`... at 5 p.m. The next day`), unlike titles (`Dr. Li`).
const MAY_END: &[&str] = &[
    "etc.", "a.m", "p.m", "inc", "ltd", "co", "corp", "u.s", "u.k",
];

/// The byte ranges of the sentences of an English paragraph, trimmed, in order.
pub fn sentence_ranges(text: &str) -> Vec<Range<usize>> {
    let mut pieces: Vec<Range<usize>> = Vec::new();
    for (start, piece) in text.split_sentence_bound_indices() {
        let range = start..start + piece.len();
        let trimmed = trim(text, range);
        if trimmed.is_empty() {
            continue;
        }
        match pieces.last_mut() {
            Some(last) if !breaks_between(&text[last.clone()], &text[trimmed.clone()]) => {
                last.end = trimmed.end;
            }
            _ => pieces.push(trimmed),
        }
    }
    pieces
}

/// The sentences of an English paragraph.
pub fn sentences(text: &str) -> Vec<&str> {
    sentence_ranges(text)
        .into_iter()
        .map(|r| &text[r])
        .collect()
}

fn trim(text: &str, range: Range<usize>) -> Range<usize> {
    let slice = &text[range.clone()];
    let start = range.start + (slice.len() - slice.trim_start().len());
    let end = start + slice.trim().len();
    start..end
}

/// Whether a sentence boundary really lies between `before` and `after`.
fn breaks_between(before: &str, after: &str) -> bool {
    let first = after.chars().next().unwrap_or(' ');
    if first.is_lowercase() {
        return false; // `"Stop!" he said.`, `Dr. smith` typos, `e.g. apples`
    }
    let before = before.trim_end();
    if !before.ends_with('.') {
        return true;
    }
    let word = last_word(before);
    let lower = word.to_lowercase();
    let bare = lower.trim_end_matches('.');
    // Initials: `J.`, `J.K.` (one capital letter per period).
    let is_initials = !word.is_empty()
        && word
            .split('.')
            .filter(|p| !p.is_empty())
            .all(|p| p.chars().count() == 1 && p.chars().all(char::is_uppercase));
    let known = ABBREVIATIONS.contains(&bare) || ABBREVIATIONS.contains(&lower.as_str());
    if known {
        let may_end = MAY_END.contains(&bare) || MAY_END.contains(&lower.as_str());
        // After `U.S.` or `etc.` a capitalised function word starts a new sentence.
        return may_end && starts_sentence_word(after);
    }
    if is_initials {
        // `U.S.` style acronyms end sentences before `The`, `He`, …; single initials never do.
        let letters = word.split('.').filter(|p| !p.is_empty()).count();
        return letters > 1 && starts_sentence_word(after);
    }
    true
}

/// The last whitespace-separated word, without opening quotes or brackets.
fn last_word(text: &str) -> &str {
    let word = text.rsplit(char::is_whitespace).next().unwrap_or(text);
    word.trim_start_matches(['(', '"', '“', '‘', '\'', '['])
}

/// Words that typically start a sentence (so an abbreviation before them ends one).
fn starts_sentence_word(after: &str) -> bool {
    let word: String = after
        .trim_start_matches(['"', '“', '‘', '\''])
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect();
    matches!(
        word.as_str(),
        "The"
            | "A"
            | "An"
            | "He"
            | "She"
            | "It"
            | "They"
            | "We"
            | "I"
            | "This"
            | "That"
            | "These"
            | "Those"
            | "There"
            | "In"
            | "On"
            | "At"
            | "But"
            | "And"
            | "So"
            | "His"
            | "Her"
            | "Its"
            | "Their"
            | "Our"
            | "As"
            | "If"
            | "When"
            | "After"
            | "Before"
            | "Meanwhile"
            | "However"
            | "Yet"
            | "Then"
    )
}

/// Cuts an English text into blocks (separated by blank lines; a Markdown heading line is a
/// block of its own) and each block into sentences. Lines inside a block are joined with a
/// space. Returns, per sentence, its block number (from 1) and whether it is a heading.
pub fn split_text(text: &str) -> Vec<(u32, bool, String)> {
    let mut out = Vec::new();
    let mut block = 0u32;
    let mut para = String::new();
    let flush = |para: &mut String, block: &mut u32, out: &mut Vec<(u32, bool, String)>| {
        if para.trim().is_empty() {
            para.clear();
            return;
        }
        *block += 1;
        for s in sentences(para) {
            out.push((*block, false, s.to_string()));
        }
        para.clear();
    };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            flush(&mut para, &mut block, &mut out);
            continue;
        }
        if line.starts_with('#') {
            flush(&mut para, &mut block, &mut out);
            let heading = line.trim_start_matches('#').trim();
            if !heading.is_empty() {
                block += 1;
                out.push((block, true, heading.to_string()));
            }
            continue;
        }
        if !para.is_empty() {
            para.push(' ');
        }
        para.push_str(line);
    }
    flush(&mut para, &mut block, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_sentences() {
        assert_eq!(
            sentences("The expo opened. It drew crowds! Did it rain? No."),
            ["The expo opened.", "It drew crowds!", "Did it rain?", "No."]
        );
    }

    #[test]
    fn titles_and_abbreviations_do_not_break() {
        assert_eq!(
            sentences("Mr. Li met Dr. Wang and Prof. Chen. They talked."),
            ["Mr. Li met Dr. Wang and Prof. Chen.", "They talked."]
        );
        assert_eq!(
            sentences("Fruit, e.g. Apples, sells well, i.e. Fast. Done."),
            ["Fruit, e.g. Apples, sells well, i.e. Fast.", "Done."]
        );
    }

    #[test]
    fn acronyms_break_only_before_a_sentence_start() {
        assert_eq!(
            sentences(
                "The U.S. Trade Office agreed. Talks ended in the U.S. The next day was calm."
            ),
            [
                "The U.S. Trade Office agreed.",
                "Talks ended in the U.S.",
                "The next day was calm."
            ]
        );
    }

    #[test]
    fn initials_and_decimals() {
        assert_eq!(
            sentences("J. K. Rowling wrote it. Growth was 3.5 percent. Fine."),
            [
                "J. K. Rowling wrote it.",
                "Growth was 3.5 percent.",
                "Fine."
            ]
        );
    }

    #[test]
    fn quotes_stay_with_their_sentence() {
        assert_eq!(
            sentences("\"Stop!\" he said. \"Why?\" She left. He said: \"Go home.\" Then he slept."),
            [
                "\"Stop!\" he said.",
                "\"Why?\"",
                "She left.",
                "He said: \"Go home.\"",
                "Then he slept."
            ]
        );
        assert_eq!(
            sentences("“It is late.” They went home."),
            ["“It is late.”", "They went home."]
        );
    }

    #[test]
    fn blocks_and_headings() {
        let text = "# Smart Expo\n\nThe expo opened.\nIt was\nbig.\n\n\nMr. Li spoke.\n";
        assert_eq!(
            split_text(text),
            [
                (1, true, "Smart Expo".to_string()),
                (2, false, "The expo opened.".to_string()),
                (2, false, "It was big.".to_string()),
                (3, false, "Mr. Li spoke.".to_string()),
            ]
        );
    }
}

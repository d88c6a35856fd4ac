//! Ground-floor text vocabulary: what a Han character is, width folding, sentence marks and
//! closing quotes, line:column of a byte offset, and truncation for messages. Every stage
//! uses these one definitions; none keeps its own copy with different rules.

use std::borrow::Cow;

/// Whether `c` is a Han ideograph: CJK Unified Ideographs and Extension A, the compatibility
/// ideographs, and the supplementary planes' Extensions B–I with the compatibility
/// supplement (U+20000–U+323AF).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x323AF)
}

/// The share of Han characters among the letters of `texts` (0 when there are no letters):
/// how Chinese a text is, whatever its punctuation, digits and Latin names.
pub fn han_share<'a>(texts: impl IntoIterator<Item = &'a str>) -> f64 {
    let (mut han, mut letters) = (0usize, 0usize);
    for c in texts.into_iter().flat_map(str::chars) {
        if is_han(c) {
            han += 1;
            letters += 1;
        } else if c.is_alphabetic() {
            letters += 1;
        }
    }
    if letters == 0 {
        0.0
    } else {
        han as f64 / letters as f64
    }
}

/// The width-folded form of one character, or `None` when it folds to itself: the
/// full-width ASCII forms U+FF01–U+FF5E (letters, digits, brackets, other punctuation)
/// become ASCII, the ideographic space U+3000 a space. Nothing else: other CJK punctuation
/// (`、` `。` `“`) has no ASCII twin of the same meaning.
pub fn fold_width_char(c: char) -> Option<char> {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        '\u{3000}' => Some(' '),
        _ => None,
    }
}

/// [`fold_width_char`] over a string; borrows when nothing folds.
pub fn fold_width(text: &str) -> Cow<'_, str> {
    if text.chars().any(|c| fold_width_char(c).is_some()) {
        Cow::Owned(
            text.chars()
                .map(|c| fold_width_char(c).unwrap_or(c))
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// Sentence-final marks (SEGMENTATION.md R1).
pub const SENTENCE_MARKS: [char; 5] = ['。', '！', '？', '!', '?'];

pub fn is_sentence_mark(c: char) -> bool {
    SENTENCE_MARKS.contains(&c)
}

/// Closing quotes and brackets that stay with the sentence they close (SEGMENTATION.md R2).
/// ASCII `"` and `'` are not among them: they do not say whether they open or close.
pub const CLOSERS: [char; 7] = ['”', '’', '」', '』', '）', ')', '》'];

pub fn is_closer(c: char) -> bool {
    CLOSERS.contains(&c)
}

/// 1-based line and column (in characters) of byte `offset` in `text`. An offset past the
/// end is the end; one inside a character counts as that character's start. Compute it only
/// to print: keep byte offsets in values.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// At most `max` characters of `text`, with `…` when something was cut.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn han_covers_the_extensions() {
        for c in ['中', '㐀', '﨑', '𠀀', '𪜀', '𰀀', '𱍐', '𲎯'] {
            assert!(is_han(c), "{c} U+{:X}", c as u32);
        }
        for c in ['a', '。', '、', 'ア', '한', '\u{FF21}'] {
            assert!(!is_han(c), "{c}");
        }
    }

    #[test]
    fn width_folding_is_the_documented_set() {
        assert_eq!(fold_width("ＡＢ１２（５Ｇ）　！"), "AB12(5G) !");
        assert_eq!(fold_width("、。“—"), "、。“—");
        assert!(matches!(fold_width("plain 中文"), Cow::Borrowed(_)));
    }

    #[test]
    fn line_col_counts_characters_and_survives_mid_character_offsets() {
        let text = "ab\n中文x\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 6), (2, 2));
        assert_eq!(line_col(text, 7), (2, 2), "inside 文");
        assert_eq!(line_col(text, 9), (2, 3));
        assert_eq!(line_col(text, 100), (3, 1));
    }

    #[test]
    fn truncate_marks_the_cut() {
        assert_eq!(truncate("中文字", 2), "中文…");
        assert_eq!(truncate("中文", 2), "中文");
        assert_eq!(truncate("", 0), "");
    }

    proptest! {
        #[test]
        fn truncate_keeps_a_prefix_of_max_chars(text in "\\PC{0,30}", max in 0usize..20) {
            let cut = truncate(&text, max);
            let kept = cut.strip_suffix('…').filter(|_| text.chars().count() > max).unwrap_or(&cut);
            prop_assert!(text.starts_with(kept));
            prop_assert_eq!(kept.chars().count(), text.chars().count().min(max));
        }

        #[test]
        fn line_col_never_panics_and_points_into_the_text(text in "[a\n中]{0,20}", offset in 0usize..80) {
            let (line, col) = line_col(&text, offset);
            prop_assert!(line >= 1 && col >= 1);
            prop_assert!(line <= text.matches('\n').count() + 1);
        }
    }
}

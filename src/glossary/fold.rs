//! Width folding: full-width ASCII forms (letters, digits, brackets and other punctuation
//! U+FF01-U+FF5E), the ideographic space and the dash variants are folded to their ASCII
//! forms before matching, so `西部（重庆）科学城` and `西部(重庆)科学城` are the same term.
//! Folding changes byte lengths, so a [`Folded`] text keeps the checkpoints needed to map a
//! byte offset of the folded text back to the original.

use std::borrow::Cow;

/// The folded form of one character, or `None` when it folds to itself: width folding
/// ([`crate::text::fold_width_char`]), and for term matching also the dash variants.
pub fn fold_char(c: char) -> Option<char> {
    match c {
        // hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => Some('-'),
        _ => crate::text::fold_width_char(c),
    }
}

/// Folds a whole string (for keys: duplicate detection, look-ups).
pub fn fold(text: &str) -> String {
    text.chars().map(|c| fold_char(c).unwrap_or(c)).collect()
}

/// A folded text and the way back to the original byte offsets.
#[derive(Debug)]
pub struct Folded<'a> {
    pub text: Cow<'a, str>,
    /// `(folded offset, original offset)` right after each character whose length changed,
    /// in increasing order. Between two checkpoints the two texts are byte-identical.
    checkpoints: Vec<(usize, usize)>,
}

impl<'a> Folded<'a> {
    pub fn new(original: &'a str) -> Folded<'a> {
        if !original.chars().any(|c| fold_char(c).is_some()) {
            return Folded {
                text: Cow::Borrowed(original),
                checkpoints: Vec::new(),
            };
        }
        let mut text = String::with_capacity(original.len());
        let mut checkpoints = Vec::new();
        for (offset, c) in original.char_indices() {
            match fold_char(c) {
                Some(folded) => {
                    text.push(folded);
                    if folded.len_utf8() != c.len_utf8() {
                        checkpoints.push((text.len(), offset + c.len_utf8()));
                    }
                }
                None => text.push(c),
            }
        }
        Folded {
            text: Cow::Owned(text),
            checkpoints,
        }
    }

    /// The original byte offset of a folded byte offset at a character boundary.
    pub fn original_offset(&self, folded: usize) -> usize {
        let index = self.checkpoints.partition_point(|&(f, _)| f <= folded);
        match index.checked_sub(1) {
            None => folded,
            Some(i) => {
                let (f, o) = self.checkpoints[i];
                o + (folded - f)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_brackets_letters_digits_and_dashes() {
        assert_eq!(fold("西部（重庆）科学城"), "西部(重庆)科学城");
        assert_eq!(fold("ＧＤＰ５Ｇ"), "GDP5G");
        assert_eq!(fold("中国—上海"), "中国-上海");
        assert_eq!(fold("plain 文本"), "plain 文本");
    }

    #[test]
    fn offsets_map_back() {
        let original = "ａ（重庆）b";
        let folded = Folded::new(original);
        assert_eq!(folded.text, "a(重庆)b");
        // "(" starts at folded 1, original 3
        assert_eq!(folded.original_offset(0), 0);
        assert_eq!(folded.original_offset(1), 3);
        assert_eq!(folded.original_offset(2), 6);
        assert_eq!(folded.original_offset(8), 12);
        assert_eq!(folded.original_offset(9), 15);
        assert_eq!(folded.original_offset(10), original.len());
    }
}

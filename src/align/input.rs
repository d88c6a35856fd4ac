//! The align entrance: both sides of a translated article read into segments. The Chinese
//! side is split as `translate` splits it (SEGMENTATION.md), the English side by
//! [`crate::split::english`]; with `presplit`, both files hold one sentence a line.

use crate::document::{self, DocumentError};
use crate::model::{BlockKind, Segment, SegmentId};
use crate::split;

/// The two sides to align, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sides {
    pub zh: Vec<Segment>,
    pub en: Vec<Segment>,
}

impl Sides {
    pub fn zh_texts(&self) -> Vec<&str> {
        self.zh.iter().map(|s| s.text.as_str()).collect()
    }

    pub fn en_texts(&self) -> Vec<&str> {
        self.en.iter().map(|s| s.text.as_str()).collect()
    }
}

/// Decodes and splits both sides (`*_name` for messages). Bad bytes are a [`DocumentError`]
/// naming the file and the place.
pub fn read_sides(
    zh_name: &str,
    zh_bytes: Vec<u8>,
    en_name: &str,
    en_bytes: Vec<u8>,
    presplit: bool,
) -> Result<Sides, DocumentError> {
    let (en_text, _) = document::decode(en_name, en_bytes)?;
    if presplit {
        let (zh_text, _) = document::decode(zh_name, zh_bytes)?;
        return Ok(Sides {
            zh: one_sentence_a_line(&zh_text),
            en: one_sentence_a_line(&en_text),
        });
    }
    let zh = split::segment_document(&document::parse_bytes(zh_name, zh_bytes)?);
    Ok(Sides {
        zh,
        en: english_segments(&en_text),
    })
}

/// The English sentences with ids by block (`b{block}.s{n}`) and headings marked.
fn english_segments(text: &str) -> Vec<Segment> {
    let mut en = Vec::new();
    let mut last_block = 0;
    let mut n = 0;
    for (block, heading, text) in split::english::split_text(text) {
        if block != last_block {
            last_block = block;
            n = 0;
        }
        n += 1;
        en.push(Segment {
            id: SegmentId::new(block, n),
            block,
            kind: if heading {
                BlockKind::Heading
            } else {
                BlockKind::Paragraph
            },
            text,
            line: 0,
        });
    }
    en
}

/// One sentence a line: every non-blank line is a segment `b1.sN` keeping its line number.
fn one_sentence_a_line(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let n = u32::try_from(out.len() + 1).unwrap_or(u32::MAX);
        out.push(Segment {
            id: SegmentId::new(1, n),
            block: 1,
            kind: BlockKind::Paragraph,
            text: line.to_string(),
            line: u32::try_from(index + 1).unwrap_or(u32::MAX),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presplit_keeps_line_numbers_and_skips_blank_lines() {
        let sides = read_sides(
            "zh.txt",
            "第一句。\n\n第二句。\n".into(),
            "en.txt",
            "One.\nTwo.\n".into(),
            true,
        )
        .unwrap();
        assert_eq!(sides.zh_texts(), ["第一句。", "第二句。"]);
        assert_eq!(sides.zh[1].line, 3);
        assert_eq!(sides.zh[1].id.to_string(), "b1.s2");
        assert_eq!(sides.en_texts(), ["One.", "Two."]);
    }

    #[test]
    fn articles_are_split_into_sentences_with_block_ids() {
        let sides = read_sides(
            "zh.md",
            "# 标题\n\n他来了。她走了。\n".into(),
            "en.md",
            "# Title\n\nHe came. She left.\n".into(),
            false,
        )
        .unwrap();
        assert_eq!(sides.zh.len(), 3);
        assert_eq!(sides.en.len(), 3);
        assert_eq!(sides.en[0].kind, BlockKind::Heading);
        assert_eq!(sides.en[2].id.to_string(), "b2.s2");
    }

    #[test]
    fn bad_bytes_name_the_file() {
        let err = read_sides(
            "zh.txt",
            vec![0xFF, 0xFE, 0x00],
            "en.txt",
            vec![0xC3],
            false,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("en.txt"), "{err}");
    }
}

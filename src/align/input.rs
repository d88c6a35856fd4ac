//! The align entrance: both sides of a translated article read into segments. The Chinese
//! side is split as `translate` splits it (SEGMENTATION.md), the English side by
//! [`crate::split::english`]. With `presplit`, a side is one sentence a line, or a bilingual
//! file bitext reads (JSON, TSV, TMX, XLIFF) whose sources (Chinese side) or targets (English
//! side) are the sentences.

use crate::document::{self, DocumentError};
use crate::export::ExportError;
use crate::export::bilingual::{self, ReadWarning};
use crate::model::{BlockKind, Segment, SegmentId};
use crate::split;

/// One side's file as read: its name for messages, its extension (without the dot; it helps
/// tell a bilingual file's format) and its bytes.
#[derive(Debug, Clone)]
pub struct Input {
    pub name: String,
    pub extension: Option<String>,
    pub bytes: Vec<u8>,
}

/// Why a side cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Bilingual(#[from] ExportError),
}

/// The two sides to align, in reading order, and what the bilingual reader decided against
/// what a presplit file said (for the caller to print).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sides {
    pub zh: Vec<Segment>,
    pub en: Vec<Segment>,
    pub warnings: Vec<ReadWarning>,
}

impl Sides {
    pub fn zh_texts(&self) -> Vec<&str> {
        self.zh.iter().map(|s| s.text.as_str()).collect()
    }

    pub fn en_texts(&self) -> Vec<&str> {
        self.en.iter().map(|s| s.text.as_str()).collect()
    }
}

/// Decodes and splits both sides. Bad bytes are an error naming the file and the place.
pub fn read_sides(zh: Input, en: Input, presplit: bool) -> Result<Sides, InputError> {
    if presplit {
        let mut warnings = Vec::new();
        let zh = presplit_side(zh, Side::Source, &mut warnings)?;
        let en = presplit_side(en, Side::Target, &mut warnings)?;
        return Ok(Sides { zh, en, warnings });
    }
    let (en_text, _) = document::decode(&en.name, en.bytes)?;
    let zh = split::segment_document(&document::parse_bytes(&zh.name, zh.bytes)?);
    Ok(Sides {
        zh,
        en: english_segments(&en_text),
        warnings: Vec::new(),
    })
}

#[derive(Clone, Copy)]
enum Side {
    Source,
    Target,
}

/// A presplit side: a bilingual file gives its sources or targets, one sentence a pair; any
/// other text one sentence a line.
fn presplit_side(
    input: Input,
    side: Side,
    warnings: &mut Vec<ReadWarning>,
) -> Result<Vec<Segment>, InputError> {
    let (text, _) = document::decode(&input.name, input.bytes)?;
    let extension = input.extension.as_deref();
    if bilingual::detect(&text, extension).is_none() {
        return Ok(one_sentence_a_line(text.lines()));
    }
    let loaded = bilingual::read(&text, &input.name, extension)?;
    warnings.extend(loaded.warnings);
    Ok(one_sentence_a_line(loaded.bitext.pairs.iter().map(
        |p| match side {
            Side::Source => p.source.as_str(),
            Side::Target => p.target.as_str(),
        },
    )))
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
fn one_sentence_a_line<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<Segment> {
    let mut out = Vec::new();
    for (index, line) in lines.enumerate() {
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

    fn input(name: &str, text: &str) -> Input {
        Input {
            name: name.into(),
            extension: name.rsplit_once('.').map(|(_, e)| e.to_string()),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn presplit_bilingual_file_gives_its_sources_and_targets() {
        let tsv =
            "id\tblock\tkind\tsource\ttarget\tflags\nb1.s1\t1\tparagraph\t他来了。\tHe came.\t\n";
        let sides = read_sides(input("a.tsv", tsv), input("b.tsv", tsv), true).unwrap();
        assert_eq!(sides.zh_texts(), ["他来了。"]);
        assert_eq!(sides.en_texts(), ["He came."]);
    }

    #[test]
    fn presplit_keeps_line_numbers_and_skips_blank_lines() {
        let sides = read_sides(
            input("zh.txt", "第一句。\n\n第二句。\n"),
            input("en.txt", "One.\nTwo.\n"),
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
            input("zh.md", "# 标题\n\n他来了。她走了。\n"),
            input("en.md", "# Title\n\nHe came. She left.\n"),
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
        let mut en = input("en.txt", "");
        en.bytes = vec![0xC3];
        let err = read_sides(input("zh.txt", "中文。"), en, false).unwrap_err();
        assert!(err.to_string().starts_with("en.txt"), "{err}");
    }
}

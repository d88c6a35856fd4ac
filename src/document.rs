//! Reading an article into blocks (SEGMENTATION.md B1-B4, R6).
//!
//! Bytes are decoded (UTF-8 with or without BOM, UTF-16 LE/BE with BOM, or GB18030 when the
//! bytes are not UTF-8 but decode cleanly as GB18030), cut into blocks at blank lines, each
//! block classified as heading, paragraph, byline or caption, and paragraphs cut by a page
//! break are rejoined. Every block remembers the source lines it came from.

use crate::model::BlockKind;
use crate::text::{SENTENCE_MARKS, is_closer, is_han, line_col};
use std::fmt;
use std::io::Read;
use std::path::Path;

/// The text encoding a document was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Gb18030,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 (BOM)",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Gb18030 => "GB18030",
        })
    }
}

/// Why a document could not be read. Each message is one line naming the file and, for bad
/// bytes, the place.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("{name}: cannot read: {source}")]
    Io {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{name}: is a directory, not a file")]
    IsDirectory { name: String },
    #[error("{name}: empty file (no text to read)")]
    Empty { name: String },
    #[error(
        "{name}:{line}:{column}: byte offset {offset}: {detail}; expected UTF-8, UTF-16 with BOM or GB18030"
    )]
    Encoding {
        name: String,
        offset: usize,
        line: usize,
        column: usize,
        detail: String,
    },
    #[error(
        "{name}:{line}:{column}: byte offset {offset}: NUL byte: this looks like a binary file, not text"
    )]
    Binary {
        name: String,
        offset: usize,
        line: usize,
        column: usize,
    },
}

/// A block of the article: a heading, a paragraph (possibly rejoined across page breaks), a
/// byline or a caption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Logical block number from 1 in reading order (B2).
    pub number: u32,
    pub kind: BlockKind,
    /// Markdown heading level 1-6 for headings.
    pub level: Option<u8>,
    /// The block's text: its lines trimmed and concatenated (T2-T4), without the heading
    /// marker, page-break fragments joined with nothing in between.
    pub text: String,
    /// Where each source line's text starts in `text`: (byte offset, 1-based line number).
    pub lines: Vec<(usize, u32)>,
    /// Byte offsets in `text` where a page break was repaired (R6).
    pub page_breaks: Vec<usize>,
}

impl Block {
    /// First source line of the block (1-based).
    pub fn first_line(&self) -> u32 {
        self.lines.first().map_or(0, |&(_, line)| line)
    }

    /// Last source line of the block (1-based).
    pub fn last_line(&self) -> u32 {
        self.lines.last().map_or(0, |&(_, line)| line)
    }

    /// The source line (1-based) of a byte offset in `text`.
    pub fn line_of(&self, offset: usize) -> u32 {
        let index = self.lines.partition_point(|&(start, _)| start <= offset);
        self.lines[index.saturating_sub(1)].1
    }

    /// The source line and 1-based column (in characters) of a byte offset in `text`.
    pub fn position_of(&self, offset: usize) -> (u32, usize) {
        let index = self.lines.partition_point(|&(start, _)| start <= offset);
        let (start, line) = self.lines[index.saturating_sub(1)];
        let column = self.text[start..offset.min(self.text.len())]
            .chars()
            .count()
            + 1;
        (line, column)
    }
}

/// An article read into blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The file name as given (or `<stdin>`), for messages and metadata.
    pub name: String,
    pub encoding: Encoding,
    pub blocks: Vec<Block>,
}

impl Document {
    /// The first heading's text, or the first block's, as a title.
    pub fn title(&self) -> Option<&str> {
        let heading = self.blocks.iter().find(|b| b.kind == BlockKind::Heading);
        heading.or(self.blocks.first()).map(|b| b.text.as_str())
    }
}

/// Reads a file (or standard input for `-`) into a document.
pub fn read_path(path: &Path) -> Result<Document, DocumentError> {
    let name = path.display().to_string();
    let bytes = if name == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|source| DocumentError::Io {
                name: "<stdin>".into(),
                source,
            })?;
        return parse_bytes("<stdin>", bytes);
    } else {
        if path.is_dir() {
            return Err(DocumentError::IsDirectory { name });
        }
        std::fs::read(path).map_err(|source| DocumentError::Io {
            name: name.clone(),
            source,
        })?
    };
    parse_bytes(&name, bytes)
}

/// Decodes bytes and reads them into a document; `name` is used in messages. Takes the
/// bytes by value so that UTF-8 input is not copied (memory stays near twice the file size).
pub fn parse_bytes(name: &str, bytes: impl Into<Vec<u8>>) -> Result<Document, DocumentError> {
    let (text, encoding) = decode(name, bytes.into())?;
    let document = parse_text(name, &text, encoding);
    if document.blocks.is_empty() {
        return Err(DocumentError::Empty { name: name.into() });
    }
    Ok(document)
}

/// Decodes the bytes of a text file, detecting the encoding (see the module docs).
pub fn decode(name: &str, bytes: Vec<u8>) -> Result<(String, Encoding), DocumentError> {
    let (text, encoding) = if bytes.starts_with(b"\xEF\xBB\xBF") {
        (decode_utf8(name, &bytes[3..], 3)?, Encoding::Utf8Bom)
    } else if bytes.starts_with(b"\xFF\xFE") {
        (decode_utf16(name, &bytes[2..], true)?, Encoding::Utf16Le)
    } else if bytes.starts_with(b"\xFE\xFF") {
        (decode_utf16(name, &bytes[2..], false)?, Encoding::Utf16Be)
    } else {
        // NUL bytes mean binary data or UTF-16 without a BOM, whatever else the bytes are;
        // the offset is the file's.
        if let Some(offset) = bytes.iter().position(|&b| b == 0) {
            return Err(nul_error(name, &bytes, offset));
        }
        match String::from_utf8(bytes) {
            Ok(text) => (text, Encoding::Utf8),
            Err(not_utf8) => {
                let offset = not_utf8.utf8_error().valid_up_to();
                let bytes = not_utf8.into_bytes();
                if looks_like_utf16_without_bom(&bytes) {
                    return Err(utf16_without_bom_error(name));
                }
                match decode_gb18030(&bytes) {
                    Some(text) => (text, Encoding::Gb18030),
                    None => {
                        return Err(encoding_error(name, &bytes, 0, offset, "invalid UTF-8"));
                    }
                }
            }
        }
    };
    if let Some(at) = text.find('\0') {
        // Only UTF-16 input gets here with a NUL: count the file's bytes (BOM + code units).
        let offset = 2 + text[..at].encode_utf16().count() * 2;
        let (line, column) = line_col(&text, at);
        return Err(DocumentError::Binary {
            name: name.into(),
            offset,
            line,
            column,
        });
    }
    Ok((text, encoding))
}

/// The error for a NUL byte at `offset` of a file without a BOM.
fn nul_error(name: &str, bytes: &[u8], offset: usize) -> DocumentError {
    if looks_like_utf16_without_bom(bytes) {
        return utf16_without_bom_error(name);
    }
    let before = String::from_utf8_lossy(&bytes[..offset]);
    let (line, column) = line_col(&before, before.len());
    DocumentError::Binary {
        name: name.into(),
        offset,
        line,
        column,
    }
}

fn utf16_without_bom_error(name: &str) -> DocumentError {
    DocumentError::Encoding {
        name: name.into(),
        offset: 0,
        line: 1,
        column: 1,
        detail:
            "this looks like UTF-16 without a byte-order mark (BOM); save it with a BOM or as UTF-8"
                .into(),
    }
}

/// UTF-16 text without a BOM: an even number of bytes that decode (in one byte order) to
/// text made almost only of CJK ideographs, CJK punctuation and ASCII, with ASCII coming out
/// as `xx 00` pairs. GB18030 or UTF-8 bytes read as UTF-16 give Hangul, Yi, private-use
/// characters or unpaired surrogates instead, so real Chinese files never pass.
fn looks_like_utf16_without_bom(bytes: &[u8]) -> bool {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return false;
    }
    [true, false].into_iter().any(|little_endian| {
        let mut total = 0usize;
        let mut plausible = 0usize;
        for decoded in char::decode_utf16(utf16_units(bytes, little_endian)) {
            let Ok(c) = decoded else { return false };
            total += 1;
            let cjk = is_han(c) || matches!(c, '\u{3000}'..='\u{303F}' | '\u{FF00}'..='\u{FFEF}');
            let ascii = c == '\n' || c == '\r' || c == '\t' || (' '..='~').contains(&c);
            if cjk || ascii {
                plausible += 1;
            }
        }
        total > 0 && plausible * 100 >= total * 95
    })
}

fn decode_utf8(name: &str, bytes: &[u8], skipped: usize) -> Result<String, DocumentError> {
    std::str::from_utf8(bytes)
        .map(str::to_string)
        .map_err(|e| encoding_error(name, bytes, skipped, e.valid_up_to(), "invalid UTF-8"))
}

fn decode_utf16(name: &str, bytes: &[u8], little_endian: bool) -> Result<String, DocumentError> {
    let mut text = String::with_capacity(bytes.len());
    for decoded in char::decode_utf16(utf16_units(bytes, little_endian)) {
        match decoded {
            Ok(c) => text.push(c),
            Err(_) => {
                // Find the byte offset of the bad unit: count units consumed so far.
                let consumed: usize = text.chars().map(char::len_utf16).sum();
                let offset = 2 + consumed * 2;
                let (line, column) = line_col(&text, text.len());
                return Err(DocumentError::Encoding {
                    name: name.into(),
                    offset,
                    line,
                    column,
                    detail: "invalid UTF-16 (unpaired surrogate or odd length)".into(),
                });
            }
        }
    }
    Ok(text)
}

/// UTF-16 code units of `bytes` in one byte order. An odd trailing byte becomes an unpaired
/// low surrogate, so decoding reports it as invalid.
fn utf16_units(bytes: &[u8], little_endian: bool) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks(2)
        .map(move |pair| match (pair, little_endian) {
            ([a, b], true) => u16::from_le_bytes([*a, *b]),
            ([a, b], false) => u16::from_be_bytes([*a, *b]),
            _ => 0xDC00,
        })
}

/// GB18030 when the whole input decodes without a single malformed sequence.
fn decode_gb18030(bytes: &[u8]) -> Option<String> {
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
}

fn encoding_error(
    name: &str,
    bytes: &[u8],
    skipped: usize,
    valid_up_to: usize,
    what: &str,
) -> DocumentError {
    let valid = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or("");
    let (line, column) = line_col(valid, valid.len());
    let bad = bytes.get(valid_up_to).copied().unwrap_or(0);
    DocumentError::Encoding {
        name: name.into(),
        offset: skipped + valid_up_to,
        line,
        column,
        detail: format!("{what}: byte 0x{bad:02X} is not valid here (and the file is not GB18030)"),
    }
}

/// Reads decoded text into blocks. Never fails: every text has a (possibly empty) structure.
pub fn parse_text(name: &str, text: &str, encoding: Encoding) -> Document {
    let raw = raw_blocks(text);
    let blocks = join_page_breaks(classify(raw));
    Document {
        name: name.to_string(),
        encoding,
        blocks,
    }
}

/// A run of non-blank lines before classification: (1-based line number, line text).
#[derive(Debug)]
struct RawBlock<'a> {
    lines: Vec<(u32, &'a str)>,
}

/// Splits text into runs of non-blank lines (B1). A heading line is always a block of its own.
/// CRLF, CR and LF all end lines.
fn raw_blocks(text: &str) -> Vec<RawBlock<'_>> {
    let mut blocks = Vec::new();
    let mut current: Vec<(u32, &str)> = Vec::new();
    for (index, line) in lines(text).enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(RawBlock {
                    lines: std::mem::take(&mut current),
                });
            }
        } else if heading_level(line).is_some() {
            if !current.is_empty() {
                blocks.push(RawBlock {
                    lines: std::mem::take(&mut current),
                });
            }
            blocks.push(RawBlock {
                lines: vec![(number, line)],
            });
        } else {
            current.push((number, line));
        }
    }
    if !current.is_empty() {
        blocks.push(RawBlock { lines: current });
    }
    blocks
}

/// Lines split at `\r\n`, `\r` or `\n`.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        match rest.find(['\r', '\n']) {
            Some(i) => {
                let line = &rest[..i];
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
                Some(line)
            }
            None => {
                done = true;
                (!rest.is_empty()).then_some(rest)
            }
        }
    })
}

/// The level of a Markdown ATX heading line (`#` to `######` then a space or the end).
fn heading_level(line: &str) -> Option<u8> {
    let trimmed = line.trim_start();
    let hashes = trimmed.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let after = &trimmed[hashes..];
    (after.is_empty() || after.starts_with(char::is_whitespace)).then_some(hashes as u8)
}

/// A block classified, with its text assembled but not yet joined across page breaks.
#[derive(Debug)]
struct Classified {
    kind: BlockKind,
    level: Option<u8>,
    text: String,
    lines: Vec<(usize, u32)>,
    /// The first source line started with indentation (a new paragraph's first-line indent).
    indented: bool,
}

fn classify(raw: Vec<RawBlock<'_>>) -> Vec<Classified> {
    let mut blocks: Vec<Classified> = raw.iter().map(assemble).collect();
    // A photo's caption is the block right before its credit line (the seed's caption without
    // ▲ is found this way); headings and bylines keep their kind.
    for i in 1..blocks.len() {
        if is_photo_credit(&blocks[i].text) && blocks[i - 1].kind == BlockKind::Paragraph {
            blocks[i - 1].kind = BlockKind::Caption;
        }
    }
    blocks
}

fn assemble(raw: &RawBlock<'_>) -> Classified {
    let first = raw.lines[0].1;
    let level = heading_level(first);
    let mut text = String::new();
    let mut lines = Vec::with_capacity(raw.lines.len());
    for &(number, line) in &raw.lines {
        let mut content = line.trim();
        if level.is_some() {
            content = content.trim_start_matches('#').trim();
        }
        lines.push((text.len(), number));
        text.push_str(content);
    }
    let kind = if level.is_some() {
        BlockKind::Heading
    } else {
        kind_of_text(&text)
    };
    let indented = first.starts_with(char::is_whitespace);
    Classified {
        kind,
        level,
        text,
        lines,
        indented,
    }
}

/// Kind of a non-heading block from its text alone.
fn kind_of_text(text: &str) -> BlockKind {
    if is_caption_start(text) || is_photo_credit(text) {
        BlockKind::Caption
    } else if is_byline(text) {
        BlockKind::Byline
    } else {
        BlockKind::Paragraph
    }
}

/// Photo caption markers: `▲8月23日,…`, `图为…`.
fn is_caption_start(text: &str) -> bool {
    text.starts_with(['▲', '△', '▼', '▽', '◀', '▶', '↑', '↓']) || text.starts_with("图为")
}

/// A short line without sentence marks.
fn is_credit_like(text: &str) -> bool {
    text.chars().count() <= 80 && !text.contains(SENTENCE_MARKS)
}

/// A photo credit: `记者 谢智强 摄/视觉重庆`, `本报记者 张三 摄`, `图/新华社`, `摄影：张三`.
fn is_photo_credit(text: &str) -> bool {
    if !is_credit_like(text) {
        return false;
    }
    let credit_word = text
        .char_indices()
        .filter(|&(_, c)| c == '摄')
        .any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + '摄'.len_utf8()..].chars().next();
            // `摄` as a word of its own after names: preceded by a space or a name and
            // followed by nothing, a space or a slash (not 摄影师 inside a sentence).
            let ends = matches!(
                after,
                None | Some(' ' | '/' | '／' | '\u{3000}' | '|' | '｜' | '）' | ')')
            );
            ends && before.is_some()
        });
    credit_word
        || [
            "摄影：",
            "摄影:",
            "摄影/",
            "图/",
            "图／",
            "图片来源",
            "供图",
        ]
        .iter()
        .any(|p| text.starts_with(p) || text.ends_with(p))
}

/// A reporter credit: `本报记者 王亚同 中晓佳 …`, `本报记者 … 见习记者 …`, `新华社记者 张三`.
fn is_byline(text: &str) -> bool {
    const STARTS: [&str; 12] = [
        "本报记者",
        "本报见习记者",
        "本报通讯员",
        "本报特约记者",
        "本报讯",
        "见习记者",
        "特约记者",
        "记者",
        "通讯员",
        "新华社记者",
        "文/",
        "文／",
    ];
    // A credit may stand in brackets: `（本报记者 张三）`.
    let inner = text.trim_start_matches(['（', '(']);
    is_credit_like(text)
        && STARTS.iter().any(|s| inner.starts_with(s))
        && !text.contains(['，', ',', '、', '：', ':'])
}

/// Characters that end a paragraph: a sentence mark, a closing quote or bracket after one, an
/// ellipsis, or a colon that leads into what follows.
fn ends_complete(text: &str) -> bool {
    let last = text
        .trim_end_matches(is_paragraph_closer)
        .chars()
        .next_back();
    matches!(
        last,
        Some('。' | '！' | '？' | '!' | '?' | '…' | '：' | ':' | '.' | '⋯')
    ) || text.ends_with(is_paragraph_closer) && last.is_none()
        || ends_with_bare_closer(text)
}

/// Closing quotes and brackets (SEGMENTATION.md R2), and at a paragraph's end also the
/// ASCII quotes (there they can only close).
fn is_paragraph_closer(c: char) -> bool {
    is_closer(c) || c == '"' || c == '\''
}

/// A paragraph ending with a closing quote without a mark (`…落到实处”`) is complete too:
/// quotations end paragraphs.
fn ends_with_bare_closer(text: &str) -> bool {
    text.ends_with(['”', '」', '』', '"'])
}

/// Text reads as running prose (has clause punctuation), not as an unmarked title such as
/// `一、加快推进数字产业化` or `数字化、网络化、智能化`.
fn is_prose(text: &str) -> bool {
    let clause_marks = text.contains(['，', ',', '；', ';', '。', '！', '？', '“', '”']);
    let short_numbered_title = starts_with_list_marker(text) && text.chars().count() <= 40;
    clause_marks && !short_numbered_title
}

/// Words that open a new paragraph in news text; a block starting with one of them after a
/// fragment that ends inside a word is a new paragraph after a sloppy ending, not a cut.
const PARAGRAPH_OPENERS: [&str; 12] = [
    "近年来",
    "据悉",
    "据了解",
    "据介绍",
    "此外",
    "另外",
    "与此同时",
    "目前",
    "今年",
    "去年",
    "记者",
    "本报讯",
];

/// `8月23日`, `2020年2月`: a paragraph that starts with a date.
fn starts_with_date(text: &str) -> bool {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && text[digits..].starts_with(['月', '年'])
}

/// The fragment ends inside a word (a Han character, letter or digit), not after a comma.
fn ends_inside_word(text: &str) -> bool {
    text.chars().next_back().is_some_and(char::is_alphanumeric)
}

/// The start of a block that cannot continue a sentence cut by a page break.
fn starts_new_paragraph(block: &Classified) -> bool {
    let text = block.text.as_str();
    block.indented
        || text.starts_with([
            '“', '「', '『', '‘', '"', '(', '（', '【', '[', '《', '—', '●', '■', '◆', '·', '-',
            '*',
        ])
        || starts_with_list_marker(text)
}

/// `一是`, `（一）`, `1.`, `1、`, `第一，`.
fn starts_with_list_marker(text: &str) -> bool {
    const NUMERALS: &str = "一二三四五六七八九十";
    let mut chars = text.chars();
    let first = chars.next();
    let second = chars.next();
    match (first, second) {
        (Some(a), Some('是' | '、')) if NUMERALS.contains(a) => true,
        (Some('第'), Some(b)) if NUMERALS.contains(b) => true,
        (Some(a), _) if a.is_ascii_digit() => {
            let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
            let rest = &text[digits.len()..];
            rest.starts_with(['.', '、', '．', ')', '）'])
        }
        _ => false,
    }
}

/// R6: rejoins paragraphs cut in the middle of a sentence by a blank line (a page break).
///
/// The evidence for a cut: the first part is prose (it has clause punctuation, so it is not
/// an unmarked title), ends without a sentence mark, closing quote, ellipsis or colon, and is
/// not a heading, byline or caption; the second part is a paragraph that does not start like a
/// new one (no indent, opening quote, bracket or list marker).
fn join_page_breaks(blocks: Vec<Classified>) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::with_capacity(blocks.len());
    let mut previous_open = false;
    for block in blocks {
        let continues = previous_open
            && block.kind == BlockKind::Paragraph
            && !starts_new_paragraph(&block)
            && !(out.last().is_some_and(|b| ends_inside_word(&b.text))
                && (PARAGRAPH_OPENERS.iter().any(|w| block.text.starts_with(w))
                    || starts_with_date(&block.text)));
        previous_open = block.kind == BlockKind::Paragraph
            && is_prose(&block.text)
            && !ends_complete(&block.text);
        if continues {
            let last = out
                .last_mut()
                .expect("previous_open implies a previous block");
            let offset = last.text.len();
            last.page_breaks.push(offset);
            last.lines.extend(
                block
                    .lines
                    .iter()
                    .map(|&(start, line)| (start + offset, line)),
            );
            last.text.push_str(&block.text);
            previous_open = is_prose(&last.text) && !ends_complete(&last.text);
            continue;
        }
        if block.text.is_empty() {
            continue;
        }
        out.push(Block {
            number: u32::try_from(out.len() + 1).unwrap_or(u32::MAX),
            kind: block.kind,
            level: block.level,
            text: block.text,
            lines: block.lines,
            page_breaks: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Document {
        parse_text("t.md", text, Encoding::Utf8)
    }

    fn kinds(doc: &Document) -> Vec<(BlockKind, &str)> {
        doc.blocks
            .iter()
            .map(|b| (b.kind, b.text.as_str()))
            .collect()
    }

    #[test]
    fn blocks_are_runs_of_non_blank_lines() {
        let doc = parse("# 标题\n\n第一段，\n接着。\n \n第二段。\r\n\r\n第三段。\r第四行。");
        assert_eq!(
            kinds(&doc),
            vec![
                (BlockKind::Heading, "标题"),
                (BlockKind::Paragraph, "第一段，接着。"),
                (BlockKind::Paragraph, "第二段。"),
                (BlockKind::Paragraph, "第三段。第四行。"),
            ]
        );
        assert_eq!(doc.blocks[0].level, Some(1));
        assert_eq!(doc.blocks[1].lines, vec![(0, 3), (12, 4)]);
        assert_eq!(doc.blocks[3].first_line(), 8);
        assert_eq!(doc.blocks[3].last_line(), 9);
    }

    #[test]
    fn heading_levels_and_markers() {
        let doc = parse("## 我市各界热议——\n###### 六\n#不是标题。");
        assert_eq!(doc.blocks[0].level, Some(2));
        assert_eq!(doc.blocks[0].text, "我市各界热议——");
        assert_eq!(doc.blocks[1].level, Some(6));
        assert_eq!(doc.blocks[2].kind, BlockKind::Paragraph);
        assert_eq!(doc.blocks[2].text, "#不是标题。");
    }

    #[test]
    fn bylines_and_captions() {
        let doc = parse(
            "正文。\n\n本报记者 王亚同 中晓佳\n\n八月二十三日,重庆国际博览中心,嘉宾观看地图。\n\n记者 万难 摄/视觉重庆\n\n▲8月23日,重庆国际博览中心。\n\n记者 谢智强 摄",
        );
        let got: Vec<BlockKind> = doc.blocks.iter().map(|b| b.kind).collect();
        use BlockKind::*;
        assert_eq!(
            got,
            vec![Paragraph, Byline, Caption, Caption, Caption, Caption]
        );
    }

    #[test]
    fn bracketed_credits() {
        let doc = parse("正文。\n\n（本报记者 崔力 摄）\n\n正文。\n\n（本报记者 张三）");
        let got: Vec<BlockKind> = doc.blocks.iter().map(|b| b.kind).collect();
        use BlockKind::*;
        // The block before a photo credit is the photo's caption.
        assert_eq!(got, vec![Caption, Caption, Paragraph, Byline]);
    }

    #[test]
    fn reporter_sentence_is_not_a_byline() {
        let doc = parse("记者从市发改委获悉，重庆将新建工厂100个。");
        assert_eq!(doc.blocks[0].kind, BlockKind::Paragraph);
    }

    #[test]
    fn page_break_mid_word_is_rejoined() {
        let doc = parse("继续围绕“芯屏器核网”加速补\n\n链成群,着力培育集成电路。\n\n下一段。");
        assert_eq!(
            kinds(&doc),
            vec![
                (
                    BlockKind::Paragraph,
                    "继续围绕“芯屏器核网”加速补链成群,着力培育集成电路。"
                ),
                (BlockKind::Paragraph, "下一段。"),
            ]
        );
        let block = &doc.blocks[0];
        assert_eq!(block.number, 1);
        assert_eq!(doc.blocks[1].number, 2);
        assert_eq!(block.page_breaks, vec!["继续围绕“芯屏器核网”加速补".len()]);
        assert_eq!(block.lines, vec![(0, 1), (block.page_breaks[0], 3)]);
        assert_eq!(block.position_of(block.page_breaks[0] + 3), (3, 2));
    }

    #[test]
    fn complete_paragraphs_are_not_glued() {
        // Ends with a mark, a colon, a closing quote, an ellipsis: real paragraph ends.
        for first in ["第一段。", "如下：", "他说“好”", "等等……", "真的吗？”"]
        {
            let doc = parse(&format!("前文，{first}\n\n第二段。"));
            assert_eq!(doc.blocks.len(), 2, "{first}");
        }
    }

    #[test]
    fn unmarked_title_line_is_not_glued() {
        let doc =
            parse("抢抓数字经济发展机遇 推动大数据智能化创新发展\n\n习近平总书记在贺信中指出。");
        assert_eq!(doc.blocks.len(), 2);
    }

    #[test]
    fn next_block_that_starts_a_paragraph_is_not_glued() {
        for second in [
            "“引语。”",
            "一是加强合作。",
            "（一）通道更通畅。",
            "1. 数字产业。",
            "　　缩进的段落。",
        ] {
            let doc = parse(&format!("没有句末标点的一段，数据如下\n\n{second}"));
            assert_eq!(doc.blocks.len(), 2, "{second}");
        }
    }

    #[test]
    fn numbered_titles_without_marks_are_not_glued() {
        for title in [
            "一、加快推进数字产业化",
            "（二）数字化、网络化、智能化",
            "3. 智能产业，加快发展",
        ] {
            let doc = parse(&format!("{title}\n\n重庆积极推进数字产业化。"));
            assert_eq!(doc.blocks.len(), 2, "{title}");
        }
    }

    #[test]
    fn new_paragraph_openers_after_a_sloppy_ending_are_not_glued() {
        for second in [
            "近年来，重庆发展迅速。",
            "8月23日，论坛开幕。",
            "2020年2月，重庆获批。",
        ] {
            let doc = parse(&format!("会议强调，要加快发展数字经济\n\n{second}"));
            assert_eq!(doc.blocks.len(), 2, "{second}");
        }
        // After a comma the sentence goes on, whatever word follows.
        let doc = parse("会议强调，要加快发展，\n\n目前已有成效。");
        assert_eq!(doc.blocks.len(), 1);
    }

    #[test]
    fn byline_caption_and_heading_are_never_joined() {
        let doc = parse("前文，没有标点\n\n本报记者 颜若雯");
        assert_eq!(doc.blocks.len(), 2);
        let doc = parse("前文，没有标点\n\n## 标题");
        assert_eq!(doc.blocks.len(), 2);
    }

    #[test]
    fn several_breaks_in_one_paragraph() {
        let doc = parse("甲乙，丙\n\n丁，戊\n\n己。");
        assert_eq!(
            kinds(&doc),
            vec![(BlockKind::Paragraph, "甲乙，丙丁，戊己。")]
        );
        assert_eq!(doc.blocks[0].page_breaks.len(), 2);
    }

    #[test]
    fn encodings() {
        let text = "# 标题\n\n两江新区。\n";
        let utf8 = parse_bytes("a", text.as_bytes()).unwrap();
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(parse_bytes("a", bom.clone()).unwrap().blocks, utf8.blocks);
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        let doc = parse_bytes("a", gb.clone().into_owned()).unwrap();
        assert_eq!(doc.encoding, Encoding::Gb18030);
        assert_eq!(doc.blocks, utf8.blocks);
        for little in [true, false] {
            let mut bytes = if little {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            for unit in text.encode_utf16() {
                let pair = if little {
                    unit.to_le_bytes()
                } else {
                    unit.to_be_bytes()
                };
                bytes.extend_from_slice(&pair);
            }
            assert_eq!(parse_bytes("a", bytes.clone()).unwrap().blocks, utf8.blocks);
        }
    }

    #[test]
    fn invalid_bytes_name_the_offset() {
        let mut bytes = "第一行\n好".as_bytes().to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice("后".as_bytes());
        let err = parse_bytes("bad.txt", bytes).unwrap_err().to_string();
        assert_eq!(
            err,
            "bad.txt:2:2: byte offset 13: invalid UTF-8: byte 0xFF is not valid here (and the file is not GB18030); expected UTF-8, UTF-16 with BOM or GB18030"
        );
    }

    #[test]
    fn utf16_without_bom_is_refused_not_misread() {
        for text in ["数字经济是未来发展的方向。", "# Title\n\n两江新区。\n"] {
            for little in [true, false] {
                let bytes: Vec<u8> = text
                    .encode_utf16()
                    .flat_map(|u| {
                        if little {
                            u.to_le_bytes()
                        } else {
                            u.to_be_bytes()
                        }
                    })
                    .collect();
                let err = parse_bytes("u.txt", bytes).unwrap_err().to_string();
                assert!(err.contains("UTF-16 without a byte-order mark"), "{err}");
            }
        }
        // Real GB18030 text of even length is not mistaken for UTF-16.
        let (gb, _, _) = encoding_rs::GB18030.encode("数字经济是未来发展的方向。");
        assert_eq!(
            parse_bytes("g.txt", gb.into_owned()).unwrap().encoding,
            Encoding::Gb18030
        );
    }

    #[test]
    fn nul_offsets_are_file_offsets() {
        let err = parse_bytes("p.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec())
            .unwrap_err()
            .to_string();
        assert!(err.contains("byte offset 8: NUL byte"), "{err}");
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "甲乙\0".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let err = parse_bytes("u.txt", utf16).unwrap_err().to_string();
        assert!(err.contains("byte offset 6: NUL byte"), "{err}");
    }

    #[test]
    fn nul_bytes_and_empty_files_are_errors() {
        let err = parse_bytes("bin", b"abc\0def".to_vec())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("bin:1:4: byte offset 3: NUL byte"), "{err}");
        let err = parse_bytes("e", b" \n\n\t\n".to_vec())
            .unwrap_err()
            .to_string();
        assert_eq!(err, "e: empty file (no text to read)");
    }
}

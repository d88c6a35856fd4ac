//! Bilingual Markdown (CommonMark): the article's blocks in order. A heading is written twice,
//! source then translation, at its level (the first heading `#`, the others `##`); captions
//! and bylines are in italics. With [`MdLayout::Sentence`] each pair is a paragraph of two
//! lines, the source sentence and its translation (joined by a hard line break `\`); with
//! [`MdLayout::Paragraph`] each block's source is one paragraph followed by its translation.
//! Text is escaped so that it always shows as text (`*`, `_`, `<`, `&`, `` ` ``, `[`…, and
//! `#`, `>`, `-`, `+`, `=`, `1.` or leading blanks at the start of a line).

use super::MdLayout;
use crate::model::{Bitext, BlockKind, Pair};

/// The Markdown heading level of each heading: 1 for the first heading block, else 2.
pub(crate) fn first_heading_block(bitext: &Bitext) -> Option<u32> {
    bitext
        .pairs
        .iter()
        .find(|p| p.kind == BlockKind::Heading)
        .map(|p| p.block)
}

/// Splits the pairs into runs of the same block number.
pub(crate) fn blocks(pairs: &[Pair]) -> impl Iterator<Item = &[Pair]> {
    let mut rest = pairs;
    std::iter::from_fn(move || {
        let first = rest.first()?;
        let n = rest.iter().take_while(|p| p.block == first.block).count();
        let (run, tail) = rest.split_at(n);
        rest = tail;
        Some(run)
    })
}

/// The separator between sentences of a language when they are joined into a paragraph:
/// nothing for Chinese and Japanese, a space otherwise.
pub(crate) fn sentence_joiner(lang: &str) -> &'static str {
    let lang = lang.to_ascii_lowercase();
    if lang.starts_with("zh") || lang.starts_with("ja") {
        ""
    } else {
        " "
    }
}

/// Renders the bilingual Markdown.
pub fn render(bitext: &Bitext, layout: MdLayout) -> String {
    let mut out = String::with_capacity(bitext.pairs.len() * 400);
    let first_heading = first_heading_block(bitext);
    let src_join = sentence_joiner(&bitext.source_lang);
    let tgt_join = sentence_joiner(&bitext.target_lang);
    for run in blocks(&bitext.pairs) {
        let kind = run[0].kind;
        let join = |side: fn(&Pair) -> &str, sep: &str| -> String {
            let parts: Vec<&str> = run.iter().map(side).filter(|t| !t.is_empty()).collect();
            parts.join(sep)
        };
        match kind {
            BlockKind::Heading => {
                let marks = if Some(run[0].block) == first_heading {
                    "#"
                } else {
                    "##"
                };
                for text in [join(|p| &p.source, src_join), join(|p| &p.target, tgt_join)] {
                    if !text.is_empty() {
                        out.push_str(marks);
                        out.push(' ');
                        let mut text = escape(&text.replace(['\r', '\n'], " "), false);
                        // A trailing `#` would be taken for a closing sequence.
                        if text.ends_with('#') {
                            text.insert(text.len() - 1, '\\');
                        }
                        out.push_str(&text);
                        out.push_str("\n\n");
                    }
                }
            }
            _ => {
                let italic = kind != BlockKind::Paragraph;
                match layout {
                    MdLayout::Sentence => {
                        for pair in run {
                            push_pair(&mut out, &pair.source, &pair.target, italic);
                        }
                    }
                    MdLayout::Paragraph => {
                        let source = join(|p| &p.source, src_join);
                        let target = join(|p| &p.target, tgt_join);
                        for text in [source, target] {
                            if !text.is_empty() {
                                out.push_str(&styled(&text, italic));
                                out.push_str("\n\n");
                            }
                        }
                    }
                }
            }
        }
    }
    if out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// One pair as a paragraph: source, hard break, target (either may be missing).
fn push_pair(out: &mut String, source: &str, target: &str, italic: bool) {
    let lines: Vec<String> = [source, target]
        .into_iter()
        .filter(|t| !t.is_empty())
        .map(|t| styled(t, italic))
        .collect();
    if lines.is_empty() {
        return;
    }
    out.push_str(&lines.join("\\\n"));
    out.push_str("\n\n");
}

/// Escaped text, in italics when asked and possible (emphasis needs non-blank ends).
fn styled(text: &str, italic: bool) -> String {
    let escaped = escape(text, true);
    if italic && text.trim() == text && !text.contains('\n') {
        format!("*{escaped}*")
    } else {
        escaped
    }
}

/// Escapes text for Markdown. Line breaks become hard breaks (`\` at the end of the line)
/// when `breaks`, and the start of every line is protected against block syntax.
pub fn escape(text: &str, breaks: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str(if breaks { "\\\n" } else { " " });
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        escape_line(&mut out, line);
    }
    out
}

fn escape_line(out: &mut String, line: &str) {
    // Leading blanks would start a code block: write them as character references.
    let body = line.trim_start_matches([' ', '\t']);
    for c in line[..line.len() - body.len()].chars() {
        out.push_str(if c == '\t' { "&#9;" } else { "&#32;" });
    }
    // `1.` / `1)` at the start would be a list item.
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    let mut skip_escape_at = None;
    if digits > 0 && matches!(body.as_bytes().get(digits), Some(b'.' | b')')) {
        out.push_str(&body[..digits]);
        out.push('\\');
        skip_escape_at = Some(digits);
    } else if body.starts_with(['#', '>', '-', '+', '=']) {
        out.push('\\');
    }
    let start = skip_escape_at.unwrap_or(0);
    for c in body[start..].chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '&' | '~' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_inline_and_line_start_syntax() {
        assert_eq!(escape("a *b* <i>&amp;", true), "a \\*b\\* \\<i>\\&amp;");
        assert_eq!(escape("# x", true), "\\# x");
        assert_eq!(escape("2021. year", true), "2021\\. year");
        assert_eq!(escape("\tx", true), "&#9;x");
        assert_eq!(escape("a\n- b", true), "a\\\n\\- b");
        assert_eq!(escape("a\nb", false), "a b");
        assert_eq!(escape("2021 year", true), "2021 year");
    }

    #[test]
    fn headings_keep_a_trailing_hash_and_blocks_group() {
        use crate::model::{Meta, Origin};
        let pair = |id: &str, block, kind, source: &str, target: &str| Pair {
            id: id.into(),
            block,
            kind,
            source: source.into(),
            target: target.into(),
            terms: vec![],
            flags: vec![],
            origin: Origin::Manual,
        };
        let mut b = Bitext::new("zh-CN", "en", Meta::default());
        b.pairs
            .push(pair("b1.s1", 1, BlockKind::Heading, "标题", "Learn C #"));
        b.pairs
            .push(pair("b2.s1", 2, BlockKind::Paragraph, "一。", "One."));
        b.pairs
            .push(pair("b2.s2", 2, BlockKind::Paragraph, "二。", "Two."));
        b.pairs
            .push(pair("b3.s1", 3, BlockKind::Heading, "小标题", ""));
        assert_eq!(
            render(&b, MdLayout::Sentence),
            "# 标题\n\n# Learn C \\#\n\n一。\\\nOne.\n\n二。\\\nTwo.\n\n## 小标题\n"
        );
        assert_eq!(
            render(&b, MdLayout::Paragraph),
            "# 标题\n\n# Learn C \\#\n\n一。二。\n\nOne. Two.\n\n## 小标题\n"
        );
    }
}

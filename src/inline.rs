//! Inline markup as placeholders (docs/backends.md, "Inline markup").
//!
//! A sentence of an HTML or DOCX document keeps its inline formatting (bold, links, a
//! footnote mark, an image) as numbered placeholders: `<x1>…</x1>` around formatted text and
//! `<x2/>` for something that has no text of its own. Numbers start at 1 in each sentence, in
//! order of appearance. An answer must give every placeholder back exactly once, properly
//! nested, each paired one inside the same placeholder as in the source; the order of
//! siblings may change with the English word order. [`check`] says whether it does.
//!
//! The document readers describe a block as a tree of [`Inline`]s whose tags are indices into
//! their own tables; [`segment`] cuts it into sentences with placeholders and [`rebuild`] puts
//! translated sentences back into one tree, falling back to the plain text (plus the
//! sentence's placeholders without text, so no image or footnote is lost) when an answer's
//! placeholders do not check.

use crate::model::{Bitext, Span};
use std::ops::Range;

/// A placeholder: `<x1>`, `</x1>` or `<x1/>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    Open(u32),
    Close(u32),
    Empty(u32),
}

impl Tag {
    pub fn number(self) -> u32 {
        match self {
            Tag::Open(n) | Tag::Close(n) | Tag::Empty(n) => n,
        }
    }

    fn write(self, out: &mut String) {
        use std::fmt::Write;
        let _ = match self {
            Tag::Open(n) => write!(out, "<x{n}>"),
            Tag::Close(n) => write!(out, "</x{n}>"),
            Tag::Empty(n) => write!(out, "<x{n}/>"),
        };
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        self.write(&mut s);
        f.write_str(&s)
    }
}

/// A piece of a text with placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'a> {
    Text(&'a str),
    Tag(Tag),
}

/// The placeholder at the start of `s`, with its length in bytes.
pub fn tag_at(s: &str) -> Option<(usize, Tag)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'<') {
        return None;
    }
    let close = b.get(1) == Some(&b'/');
    let mut i = if close { 2 } else { 1 };
    if b.get(i) != Some(&b'x') {
        return None;
    }
    i += 1;
    let digits = i;
    while i < b.len() && b[i].is_ascii_digit() && i - digits < 5 {
        i += 1;
    }
    if i == digits || b[digits] == b'0' {
        return None;
    }
    let n: u32 = s[digits..i].parse().ok()?;
    match (close, b.get(i), b.get(i + 1)) {
        (false, Some(b'/'), Some(b'>')) => Some((i + 2, Tag::Empty(n))),
        (false, Some(b'>'), _) => Some((i + 1, Tag::Open(n))),
        (true, Some(b'>'), _) => Some((i + 1, Tag::Close(n))),
        _ => None,
    }
}

/// Cuts a text into text and placeholders; the byte range of each token in `s` comes with it.
pub fn tokens(s: &str) -> Vec<(Range<usize>, Token<'_>)> {
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(found) = s[i..].find('<') {
        let at = i + found;
        match tag_at(&s[at..]) {
            Some((len, tag)) => {
                if at > text_start {
                    out.push((text_start..at, Token::Text(&s[text_start..at])));
                }
                out.push((at..at + len, Token::Tag(tag)));
                i = at + len;
                text_start = i;
            }
            None => i = at + 1,
        }
    }
    if text_start < s.len() {
        out.push((text_start..s.len(), Token::Text(&s[text_start..])));
    }
    out
}

/// Whether a text holds any placeholder.
pub fn has_tags(s: &str) -> bool {
    s.contains('<') && tokens(s).iter().any(|(_, t)| matches!(t, Token::Tag(_)))
}

/// The text without its placeholders.
pub fn strip(s: &str) -> String {
    if !s.contains('<') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for (_, token) in tokens(s) {
        if let Token::Text(t) = token {
            out.push_str(t);
        }
    }
    out
}

/// The text without placeholders and a map from byte offsets in `s` to offsets in it.
fn strip_mapped(s: &str) -> (String, impl Fn(usize) -> usize + use<>) {
    let mut plain = String::with_capacity(s.len());
    // (start of a removed tag in `s`, its length, bytes removed before it)
    let mut removed: Vec<(usize, usize, usize)> = Vec::new();
    let mut total = 0;
    for (range, token) in tokens(s) {
        match token {
            Token::Text(t) => plain.push_str(t),
            Token::Tag(_) => {
                removed.push((range.start, range.len(), total));
                total += range.len();
            }
        }
    }
    let map = move |offset: usize| {
        let i = removed.partition_point(|&(start, _, _)| start < offset);
        match i.checked_sub(1).map(|i| removed[i]) {
            None => offset,
            // Inside a removed tag: the place where it was.
            Some((start, len, before)) if offset < start + len => start - before,
            Some((_, len, before)) => offset - before - len,
        }
    };
    (plain, map)
}

/// A bitext whose sources and targets have no placeholders (term spans moved with the text):
/// what the bilingual exports show.
pub fn plain_bitext(bitext: &Bitext) -> Bitext {
    let mut plain = bitext.clone();
    for pair in &mut plain.pairs {
        if !pair.source.contains('<') && !pair.target.contains('<') {
            continue;
        }
        let (source, map_source) = strip_mapped(&pair.source);
        let (target, map_target) = strip_mapped(&pair.target);
        for hit in &mut pair.terms {
            hit.source_span = Span::new(
                map_source(hit.source_span.start),
                map_source(hit.source_span.end),
            );
            hit.target_span = hit
                .target_span
                .map(|s| Span::new(map_target(s.start), map_target(s.end)));
        }
        pair.source = source;
        pair.target = target;
    }
    plain
}

/// Why an answer's placeholders do not match its source's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("placeholder {0} is not in the source")]
    Unknown(Tag),
    #[error("placeholder {0} appears twice")]
    Repeated(Tag),
    #[error("placeholder {0} is missing")]
    Missing(Tag),
    #[error("{0} closes nothing open")]
    Unopened(Tag),
    #[error("{found} where </x{expected}> was expected (crossed placeholders)")]
    Crossed { found: Tag, expected: u32 },
    #[error("<x{0}> is never closed")]
    Unclosed(u32),
    #[error("placeholder {tag} moved out of <x{parent}>")]
    Moved { tag: Tag, parent: u32 },
    #[error("placeholder {tag} moved into <x{parent}>")]
    MovedIn { tag: Tag, parent: u32 },
}

/// For each placeholder number: whether it is paired, and the number of the pair it sits
/// in (0 at the top). `None` when the text is not well formed.
fn structure(s: &str) -> Result<std::collections::BTreeMap<u32, (Tag, u32)>, TagError> {
    let mut seen = std::collections::BTreeMap::new();
    let mut stack: Vec<u32> = Vec::new();
    for (_, token) in tokens(s) {
        let Token::Tag(tag) = token else { continue };
        let parent = stack.last().copied().unwrap_or(0);
        match tag {
            Tag::Open(n) | Tag::Empty(n) => {
                if seen.insert(n, (tag, parent)).is_some() {
                    return Err(TagError::Repeated(tag));
                }
                if let Tag::Open(n) = tag {
                    stack.push(n);
                }
            }
            Tag::Close(n) => match stack.pop() {
                Some(open) if open == n => {}
                Some(open) => {
                    return Err(TagError::Crossed {
                        found: tag,
                        expected: open,
                    });
                }
                None => return Err(TagError::Unopened(tag)),
            },
        }
    }
    if let Some(open) = stack.pop() {
        return Err(TagError::Unclosed(open));
    }
    Ok(seen)
}

/// Checks an answer's placeholders against its source's: each one back exactly once,
/// properly nested, each inside the same pair as in the source.
pub fn check(source: &str, target: &str) -> Result<(), TagError> {
    if !source.contains('<') && !target.contains('<') {
        return Ok(());
    }
    let wanted = structure(source)?;
    let got = structure(target)?;
    for (n, &(tag, parent)) in &got {
        match wanted.get(n) {
            Some(&(want, want_parent))
                if std::mem::discriminant(&want) == std::mem::discriminant(&tag) =>
            {
                if parent != want_parent {
                    return Err(if want_parent != 0 {
                        TagError::Moved {
                            tag,
                            parent: want_parent,
                        }
                    } else {
                        TagError::MovedIn { tag, parent }
                    });
                }
            }
            _ => return Err(TagError::Unknown(tag)),
        }
    }
    if let Some((_, &(tag, _))) = wanted.iter().find(|(n, _)| !got.contains_key(n)) {
        return Err(TagError::Missing(tag));
    }
    Ok(())
}

/// Inline content of a block: text, a formatted span around content, or something with no
/// text of its own (an image, a footnote mark, a line break, untranslated code). The `usize`
/// is the reader's own tag index for that element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Span(usize, Vec<Inline>),
    Atom(usize),
}

/// Whether inline content holds any non-whitespace text.
pub fn has_text(inlines: &[Inline]) -> bool {
    inlines.iter().any(|i| match i {
        Inline::Text(t) => !t.trim().is_empty(),
        Inline::Span(_, children) => has_text(children),
        Inline::Atom(_) => false,
    })
}

/// The text of inline content, without markup.
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    fn walk(inlines: &[Inline], out: &mut String) {
        for i in inlines {
            match i {
                Inline::Text(t) => out.push_str(t),
                Inline::Span(_, children) => walk(children, out),
                Inline::Atom(_) => {}
            }
        }
    }
    walk(inlines, &mut out);
    out
}

/// One sentence with placeholders: its text, and for placeholder `n` the reader's tag index
/// `tags[n - 1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkedSentence {
    pub text: String,
    pub tags: Vec<usize>,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Open(usize),
    Close(usize),
    Atom(usize),
}

/// Cuts a block's inline content into sentences with placeholders (`whole`: one sentence,
/// for headings and captions). A span cut by a sentence end is closed at the end of one
/// sentence and opened again in the next; [`rebuild`] joins it again.
pub fn segment(inlines: &[Inline], whole: bool) -> Vec<MarkedSentence> {
    // Flatten: the plain text, and the events at their plain offsets.
    let mut plain = String::new();
    let mut events: Vec<(usize, Event)> = Vec::new();
    fn flatten(inlines: &[Inline], plain: &mut String, events: &mut Vec<(usize, Event)>) {
        for i in inlines {
            match i {
                Inline::Text(t) => plain.push_str(t),
                // A span without text of its own is kept whole, like an image.
                Inline::Span(k, children) if !has_text(children) => {
                    events.push((plain.len(), Event::Atom(*k)));
                }
                Inline::Span(k, children) => {
                    events.push((plain.len(), Event::Open(*k)));
                    flatten(children, plain, events);
                    events.push((plain.len(), Event::Close(*k)));
                }
                Inline::Atom(k) => events.push((plain.len(), Event::Atom(*k))),
            }
        }
    }
    flatten(inlines, &mut plain, &mut events);
    let ranges: Vec<Range<usize>> = if whole {
        let trimmed = plain.trim_start();
        let start = plain.len() - trimmed.len();
        let trimmed = trimmed.trim_end();
        if trimmed.is_empty() {
            Vec::new()
        } else {
            std::iter::once(start..start + trimmed.len()).collect()
        }
    } else {
        crate::split::sentence_ranges(&plain)
    };
    if ranges.is_empty() {
        return Vec::new();
    }
    // Each sentence's pieces: text slices of `plain` and events, in order.
    enum Piece {
        Text(Range<usize>),
        Event(Event),
    }
    let mut pieces: Vec<Vec<Piece>> = (0..ranges.len()).map(|_| Vec::new()).collect();
    let opening_sentence = |at: usize| {
        ranges
            .iter()
            .position(|r| r.end > at)
            .unwrap_or(ranges.len() - 1)
    };
    let closing_sentence = |at: usize| ranges.iter().rposition(|r| r.start < at).unwrap_or(0);
    let sentence_of = |at: usize, event: Event| match event {
        Event::Open(_) => opening_sentence(at),
        Event::Close(_) | Event::Atom(_) => closing_sentence(at),
    };
    let mut e = 0;
    for (s, range) in ranges.iter().enumerate() {
        let mut start = range.start;
        while e < events.len() && events[e].0 < range.end {
            let (at, event) = events[e];
            if at > start {
                pieces[s].push(Piece::Text(start..at));
                start = at;
            }
            pieces[sentence_of(at, event)].push(Piece::Event(event));
            e += 1;
        }
        if range.end > start {
            pieces[s].push(Piece::Text(start..range.end));
        }
    }
    for &(at, event) in &events[e..] {
        pieces[sentence_of(at, event)].push(Piece::Event(event));
    }

    // Write each sentence, reopening spans carried over from the sentence before.
    let mut open: Vec<usize> = Vec::new();
    let mut out = Vec::with_capacity(ranges.len());
    for sentence in pieces {
        let mut text = String::new();
        let mut tags: Vec<usize> = Vec::new();
        let number = |k: usize, tags: &mut Vec<usize>| -> u32 {
            match tags.iter().position(|&t| t == k) {
                Some(i) => i as u32 + 1,
                None => {
                    tags.push(k);
                    tags.len() as u32
                }
            }
        };
        for &k in &open {
            Tag::Open(number(k, &mut tags)).write(&mut text);
        }
        for piece in sentence {
            match piece {
                Piece::Text(range) => push_inert(&mut text, &plain[range]),
                Piece::Event(Event::Open(k)) => {
                    open.push(k);
                    Tag::Open(number(k, &mut tags)).write(&mut text);
                }
                Piece::Event(Event::Close(k)) => {
                    // Nested by construction: `k` is the innermost open span.
                    if let Some(i) = open.iter().rposition(|&o| o == k) {
                        open.remove(i);
                    }
                    Tag::Close(number(k, &mut tags)).write(&mut text);
                }
                Piece::Event(Event::Atom(k)) => Tag::Empty(number(k, &mut tags)).write(&mut text),
            }
        }
        for &k in open.iter().rev() {
            Tag::Close(number(k, &mut tags)).write(&mut text);
        }
        out.push(MarkedSentence { text, tags });
    }
    out
}

/// Appends source text, making a literal `<x1>`-like sequence in it inert (a word joiner
/// after the `<`) so that it is never read as a placeholder.
fn push_inert(out: &mut String, text: &str) {
    if !text.contains('<') {
        out.push_str(text);
        return;
    }
    for (i, c) in text.char_indices() {
        out.push(c);
        if c == '<' && tag_at(&text[i..]).is_some() {
            out.push('\u{2060}');
        }
    }
}

/// The inline tree of a translated sentence, with the reader's tag indices; `None` when the
/// placeholders do not check against the sentence's.
pub fn parse_translation(sentence: &MarkedSentence, target: &str) -> Option<Vec<Inline>> {
    check(&sentence.text, target).ok()?;
    let mut stack: Vec<(usize, Vec<Inline>)> = vec![(usize::MAX, Vec::new())];
    for (_, token) in tokens(target) {
        match token {
            Token::Text(t) => stack.last_mut()?.1.push(Inline::Text(t.to_string())),
            Token::Tag(tag) => {
                let k = *sentence.tags.get(tag.number() as usize - 1)?;
                match tag {
                    Tag::Open(_) => stack.push((k, Vec::new())),
                    Tag::Close(_) => {
                        let (k, children) = stack.pop()?;
                        stack.last_mut()?.1.push(Inline::Span(k, children));
                    }
                    Tag::Empty(_) => stack.last_mut()?.1.push(Inline::Atom(k)),
                }
            }
        }
    }
    (stack.len() == 1)
        .then(|| stack.pop().map(|(_, c)| c))
        .flatten()
}

/// The atoms (placeholders without text) of a sentence, in order, as the reader's indices.
fn atoms_of(sentence: &MarkedSentence) -> Vec<usize> {
    tokens(&sentence.text)
        .into_iter()
        .filter_map(|(_, t)| match t {
            Token::Tag(Tag::Empty(n)) => sentence.tags.get(n as usize - 1).copied(),
            _ => None,
        })
        .collect()
}

/// Puts a block's translated sentences back into one inline tree: each sentence's
/// translation with its markup when its placeholders check, else its plain text followed by
/// its atoms (the formatting of that sentence is lost, nothing else). Sentences are joined
/// with a space, and a span that [`segment`] cut at a sentence end is joined again.
/// `targets[i]` is the translation of `sentences[i]` (`None`: keep the source sentence).
pub fn rebuild(sentences: &[MarkedSentence], targets: &[Option<&str>]) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    for (sentence, target) in sentences.iter().zip(targets) {
        let target = target
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(&sentence.text);
        let tree = parse_translation(sentence, target).unwrap_or_else(|| {
            let mut plain = vec![Inline::Text(strip(target).replace('\u{2060}', ""))];
            plain.extend(atoms_of(sentence).into_iter().map(Inline::Atom));
            plain
        });
        if !out.is_empty() && !ends_with_space(&out) && !starts_with_space(&tree) {
            out.push(Inline::Text(" ".into()));
        }
        out.extend(tree);
    }
    merge_spans(out)
}

fn ends_with_space(inlines: &[Inline]) -> bool {
    match inlines.last() {
        Some(Inline::Text(t)) => t.ends_with(char::is_whitespace),
        Some(Inline::Span(_, c)) => ends_with_space(c),
        _ => false,
    }
}

fn starts_with_space(inlines: &[Inline]) -> bool {
    match inlines.first() {
        Some(Inline::Text(t)) => t.starts_with(char::is_whitespace),
        Some(Inline::Span(_, c)) => starts_with_space(c),
        _ => false,
    }
}

/// Joins `Span(k, a)`, optional whitespace, `Span(k, b)` into one span, at every level, and
/// joins adjacent texts.
fn merge_spans(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match inline {
            Inline::Span(k, children) => {
                let children = merge_spans(children);
                let n = out.len();
                let join_at = match out.as_slice() {
                    [.., Inline::Span(j, _)] if *j == k => Some(n - 1),
                    [.., Inline::Span(j, _), Inline::Text(t)] if *j == k && t.trim().is_empty() => {
                        Some(n - 2)
                    }
                    _ => None,
                };
                match join_at {
                    Some(i) => {
                        let gap: Vec<Inline> = out.drain(i + 1..).collect();
                        if let Inline::Span(_, previous) = &mut out[i] {
                            previous.extend(gap);
                            previous.extend(children);
                            let joined = std::mem::take(previous);
                            *previous = merge_spans(joined);
                        }
                    }
                    None => out.push(Inline::Span(k, children)),
                }
            }
            Inline::Text(b) => match out.last_mut() {
                Some(Inline::Text(a)) => a.push_str(&b),
                _ => out.push(Inline::Text(b)),
            },
            atom => out.push(atom),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn tags_are_read_only_in_their_exact_form() {
        assert_eq!(tag_at("<x1>a"), Some((4, Tag::Open(1))));
        assert_eq!(tag_at("</x12>"), Some((6, Tag::Close(12))));
        assert_eq!(tag_at("<x3/>"), Some((5, Tag::Empty(3))));
        for not in ["<x>", "<x0>", "< x1>", "<x1 >", "<b>", "<x1", "a<x1>"] {
            assert_eq!(tag_at(not), None, "{not}");
        }
        assert_eq!(strip("a <x1>b</x1> c<x2/>"), "a b c");
        assert!(!has_tags("1 < 2 and x<3"));
    }

    #[test]
    fn check_wants_every_tag_once_nested_as_in_the_source() {
        let src = "<x1>两江新区</x1>的<x2>项目<x3/></x2>";
        assert_eq!(
            check(src, "the <x2>projects<x3/></x2> of <x1>Liangjiang</x1>"),
            Ok(())
        );
        assert_eq!(
            check(src, "<x1>Liangjiang</x1> projects<x3/>"),
            Err(TagError::Moved {
                tag: Tag::Empty(3),
                parent: 2
            })
        );
        assert!(matches!(
            check(src, "<x1>a<x2>b</x1></x2><x3/>"),
            Err(TagError::Crossed { .. })
        ));
        assert!(matches!(
            check(src, "</x1>a<x1><x2>b<x3/></x2>"),
            Err(TagError::Unopened(_))
        ));
        assert!(matches!(
            check(src, "<x1>a</x1><x2>b</x2><x3/>"),
            Err(TagError::Moved { .. })
        ));
        assert!(check(src, "<x1>a<x1>").is_err());
        assert!(matches!(
            check(src, "<x1>a</x1><x2>b<x3/></x2><x4/>"),
            Err(TagError::Unknown(_))
        ));
        assert_eq!(check("无标签", "no tags"), Ok(()));
        assert!(check("无标签", "<x1>no</x1> tags").is_err());
    }

    #[test]
    fn segments_number_tags_per_sentence_and_reopen_cut_spans() {
        // 今天<b>下雨。明天</b>晴<img>。
        let block = vec![
            t("今天"),
            Inline::Span(7, vec![t("下雨。明天")]),
            t("晴"),
            Inline::Atom(9),
            t("。"),
        ];
        let s = segment(&block, false);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].text, "今天<x1>下雨。</x1>");
        assert_eq!(s[0].tags, vec![7]);
        assert_eq!(s[1].text, "<x1>明天</x1>晴<x2/>。");
        assert_eq!(s[1].tags, vec![7, 9]);
        let back = rebuild(
            &s,
            &[
                Some("Today <x1>rain.</x1>"),
                Some("<x1>Tomorrow</x1> fine<x2/>."),
            ],
        );
        assert_eq!(
            back,
            vec![
                t("Today "),
                Inline::Span(7, vec![t("rain. Tomorrow")]),
                t(" fine"),
                Inline::Atom(9),
                t("."),
            ]
        );
    }

    #[test]
    fn a_broken_answer_falls_back_to_text_and_keeps_atoms() {
        let block = vec![
            Inline::Span(1, vec![t("新华社")]),
            t("报道"),
            Inline::Atom(2),
            t("。"),
        ];
        let s = segment(&block, false);
        assert_eq!(s[0].text, "<x1>新华社</x1>报道<x2/>。");
        let back = rebuild(&s, &[Some("<x1>Xinhua reported.")]);
        assert_eq!(back, vec![t("Xinhua reported."), Inline::Atom(2)]);
        let kept = rebuild(&s, &[None]);
        assert_eq!(kept, block);
    }

    #[test]
    fn atoms_at_sentence_ends_stay_with_the_sentence_before() {
        let block = vec![t("第一句。"), Inline::Atom(4), t("第二句。")];
        let s = segment(&block, false);
        assert_eq!(s[0].text, "第一句。<x1/>");
        assert_eq!(s[1].text, "第二句。");
    }

    #[test]
    fn literal_placeholders_in_the_source_are_made_inert() {
        let s = segment(&[t("代码<x1>是标签")], true);
        assert!(!has_tags(&s[0].text));
        assert_eq!(strip(&s[0].text).replace('\u{2060}', ""), "代码<x1>是标签");
    }

    #[test]
    fn plain_bitext_moves_term_spans() {
        let (plain, map) = strip_mapped("<x1>两江</x1>新区");
        assert_eq!(plain, "两江新区");
        assert_eq!(map(4), 0);
        assert_eq!(map(10), 6);
        assert_eq!(map(15), 6);
        assert_eq!(map(21), 12);
    }

    fn arb_inlines() -> impl Strategy<Value = Vec<Inline>> {
        let leaf = prop_oneof![
            "[一二三。，a ]{1,6}".prop_map(Inline::Text),
            (0usize..50).prop_map(Inline::Atom),
        ];
        leaf.prop_recursive(3, 20, 4, |inner| {
            prop_oneof![
                "[一二三。，a ]{1,6}".prop_map(Inline::Text),
                ((50usize..100), prop::collection::vec(inner, 1..4))
                    .prop_map(|(k, c)| Inline::Span(k, c)),
            ]
        })
        .prop_map(|i| vec![i])
    }

    /// Readers give every element its own index.
    fn renumber(inlines: &mut [Inline], next: &mut usize) {
        for i in inlines {
            match i {
                Inline::Atom(k) => {
                    *k = *next;
                    *next += 1;
                }
                Inline::Span(k, c) => {
                    *k = *next;
                    *next += 1;
                    renumber(c, next);
                }
                Inline::Text(_) => {}
            }
        }
    }

    proptest! {
        #[test]
        fn sentences_are_well_formed_and_rebuild_keeps_text_and_atoms(
            blocks in prop::collection::vec(arb_inlines(), 1..4)
        ) {
            let mut inlines: Vec<Inline> = blocks.into_iter().flatten().collect();
            renumber(&mut inlines, &mut 0);
            let sentences = segment(&inlines, false);
            for s in &sentences {
                prop_assert!(check(&s.text, &s.text).is_ok(), "{}", s.text);
            }
            let identity: Vec<Option<&str>> = sentences.iter().map(|s| Some(s.text.as_str())).collect();
            let back = rebuild(&sentences, &identity);
            let squash = |s: String| s.split_whitespace().collect::<String>();
            prop_assert_eq!(squash(plain_text(&back)), squash(plain_text(&inlines)));
            // Every atom comes back, in order (a span without text counts as one).
            let mut want = Vec::new();
            collect_atoms(&inlines, &mut want);
            let mut got = Vec::new();
            collect_atoms(&back, &mut got);
            if has_text(&inlines) {
                prop_assert_eq!(got, want);
            }
        }
    }

    fn collect_atoms(inlines: &[Inline], out: &mut Vec<usize>) {
        for i in inlines {
            match i {
                Inline::Atom(k) => out.push(*k),
                Inline::Span(k, c) if !has_text(c) => out.push(*k),
                Inline::Span(_, c) => collect_atoms(c, out),
                Inline::Text(_) => {}
            }
        }
    }
}

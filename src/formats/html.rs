//! HTML pages: blocks from the HTML5 tree (html5ever, through scraper), the translated page
//! written back from the same tree.
//!
//! A block is a run of inline content (text, `b`, `i`, `a`, `span`, `em`, `strong`, `sup`,
//! `br` …) inside any other element (`p`, `h1`–`h6`, `li`, `td`, `figcaption`, `title`, a
//! `div` …). `script`, `style`, `code`, `pre`, media, form controls and every element with
//! `translate="no"` (or the `notranslate` class) are left as they are; inside a sentence
//! they travel as placeholders without text. Writing replaces only the runs that were
//! translated: every other node, attribute, link and asset reference is kept as parsed.

use super::{FormatError, Layout, RichBlock};
use crate::inline::{self, Inline, MarkedSentence};
use crate::model::BlockKind;
use ego_tree::NodeId;
use html5ever::{LocalName, QualName, ns};
use scraper::node::{Element, Text};
use scraper::{Html, Node};

/// Inline elements whose text belongs to the sentence around them.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "data", "del", "dfn", "em", "font", "i", "ins",
    "label", "mark", "nobr", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "time",
    "tt", "u",
];

/// Elements never translated; inside a sentence they are kept whole, like an image.
const UNTOUCHED: &[&str] = &[
    "audio", "br", "button", "canvas", "code", "embed", "iframe", "img", "input", "kbd", "map",
    "math", "meter", "noscript", "object", "picture", "pre", "progress", "samp", "script",
    "select", "style", "svg", "template", "textarea", "var", "video", "wbr",
];

/// Block elements after which an interleaved translation is a copy of the element; inside
/// others (table cells, captions, terms) it goes into the same element after a line break.
const SIBLING_COPY: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "div",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "li",
    "main",
    "p",
    "section",
    "summary",
];

/// The class and style of interleaved translations.
const TRANSLATION_CLASS: &str = "bitext-translation";
const TRANSLATION_STYLE: &str = "opacity:0.7";

/// A run of inline nodes that is one block.
#[derive(Debug, Clone)]
struct Run {
    parent: NodeId,
    nodes: Vec<NodeId>,
    /// Whitespace before and after the run's text, kept when it is replaced.
    leading: String,
    trailing: String,
}

/// A parsed HTML page and its blocks.
#[derive(Debug, Clone)]
pub struct HtmlDocument {
    html: Html,
    runs: Vec<Run>,
    pub(super) blocks: Vec<RichBlock>,
    /// The node of each inline tag index.
    tags: Vec<NodeId>,
}

/// Whether bytes look like an HTML page (for files without an `.html` name).
pub fn sniff(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let head: Vec<u8> = bytes[start..bytes.len().min(start + 14)].to_ascii_lowercase();
    head.starts_with(b"<!doctype html") || head.starts_with(b"<html")
}

/// Decodes an HTML file: a BOM first, then a `<meta charset>` (or `http-equiv`
/// `content-type`) in the first 1024 bytes, then the text reader's detection (UTF-8, else
/// GB18030). NUL bytes mean a binary file.
pub fn decode(name: &str, bytes: Vec<u8>) -> Result<String, FormatError> {
    let has_bom = bytes.starts_with(b"\xEF\xBB\xBF")
        || bytes.starts_with(b"\xFF\xFE")
        || bytes.starts_with(b"\xFE\xFF");
    if !has_bom
        && let Some(encoding) = declared_encoding(&bytes[..bytes.len().min(1024)])
        && encoding != encoding_rs::UTF_8
        && encoding != encoding_rs::UTF_16LE
        && encoding != encoding_rs::UTF_16BE
    {
        if let Some(offset) = bytes.iter().position(|&b| b == 0) {
            return Err(FormatError::Binary {
                name: name.into(),
                offset,
            });
        }
        return encoding
            .decode_without_bom_handling_and_without_replacement(&bytes)
            .map(|text| text.into_owned())
            .ok_or_else(|| FormatError::Decode {
                name: name.into(),
                encoding: encoding.name().to_string(),
            });
    }
    Ok(crate::document::decode(name, bytes)?.0)
}

/// The encoding a `<meta>` element declares, as the HTML prescan finds it.
fn declared_encoding(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let lower = head.to_ascii_lowercase();
    let mut at = 0;
    while let Some(found) = find(&lower[at..], b"<meta") {
        let start = at + found;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset=") {
            let value = &tag[c + 8..];
            let value = value
                .strip_prefix(b"\"")
                .or_else(|| value.strip_prefix(b"'"))
                .unwrap_or(value);
            let len = value
                .iter()
                .position(|b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                .unwrap_or(value.len());
            if let Some(encoding) = encoding_rs::Encoding::for_label(&value[..len]) {
                return Some(encoding);
            }
        }
        at = end;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// How a node takes part in a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Text,
    Span,
    /// Kept whole: untouched elements, comments.
    Atom,
    /// A block boundary: its content makes blocks of its own.
    Container,
}

fn element_name(element: &Element) -> &str {
    element.name.local.as_ref()
}

fn is_untouched(element: &Element) -> bool {
    UNTOUCHED.contains(&element_name(element))
        || element
            .attr("translate")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("no"))
        || element
            .attr("class")
            .is_some_and(|c| c.split_ascii_whitespace().any(|c| c == "notranslate"))
}

fn classify(node: ego_tree::NodeRef<'_, Node>) -> Class {
    match node.value() {
        Node::Text(_) => Class::Text,
        Node::Element(element) if is_untouched(element) => Class::Atom,
        Node::Element(element) if INLINE.contains(&element_name(element)) => {
            if node.children().any(|c| classify(c) == Class::Container) {
                Class::Container
            } else {
                Class::Span
            }
        }
        Node::Element(_) | Node::Document | Node::Fragment => Class::Container,
        Node::Comment(_) | Node::Doctype(_) | Node::ProcessingInstruction(_) => Class::Atom,
    }
}

/// Collapses HTML whitespace to one space; a line break between two Chinese characters
/// disappears (it only wrapped the source).
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_whitespace() {
            let mut newline = c == '\n';
            while let Some(&next) = chars.peek() {
                if !next.is_ascii_whitespace() {
                    break;
                }
                newline |= next == '\n';
                chars.next();
            }
            let before_han = out.chars().next_back().is_some_and(crate::text::is_han);
            let after_han = chars.peek().is_some_and(|&c| crate::text::is_han(c));
            if !(newline && before_han && after_han) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn block_kind(parent: &Node) -> (BlockKind, Option<u8>) {
    let Node::Element(element) = parent else {
        return (BlockKind::Paragraph, None);
    };
    match element_name(element) {
        "h1" => (BlockKind::Heading, Some(1)),
        "h2" => (BlockKind::Heading, Some(2)),
        "h3" => (BlockKind::Heading, Some(3)),
        "h4" => (BlockKind::Heading, Some(4)),
        "h5" => (BlockKind::Heading, Some(5)),
        "h6" => (BlockKind::Heading, Some(6)),
        "title" => (BlockKind::Heading, None),
        "figcaption" | "caption" => (BlockKind::Caption, None),
        _ => (BlockKind::Paragraph, None),
    }
}

struct Reader<'a> {
    html: &'a Html,
    runs: Vec<Run>,
    blocks: Vec<RichBlock>,
    tags: Vec<NodeId>,
}

impl Reader<'_> {
    fn walk(&mut self, node: ego_tree::NodeRef<'_, Node>) {
        let mut run = Vec::new();
        for child in node.children() {
            match classify(child) {
                Class::Container => {
                    self.flush(node.id(), &mut run);
                    self.walk(child);
                }
                _ => run.push(child.id()),
            }
        }
        self.flush(node.id(), &mut run);
    }

    fn inline(&mut self, id: NodeId) -> Inline {
        let node = self.html.tree.get(id).expect("node of this tree");
        match classify(node) {
            Class::Text => {
                let Node::Text(text) = node.value() else {
                    unreachable!("classified as text")
                };
                Inline::Text(collapse_whitespace(&text.text))
            }
            Class::Span => {
                let k = self.tags.len();
                self.tags.push(id);
                let children = node.children().map(|c| c.id()).collect::<Vec<_>>();
                Inline::Span(k, children.into_iter().map(|c| self.inline(c)).collect())
            }
            Class::Atom | Class::Container => {
                self.tags.push(id);
                Inline::Atom(self.tags.len() - 1)
            }
        }
    }

    fn flush(&mut self, parent: NodeId, run: &mut Vec<NodeId>) {
        let nodes = std::mem::take(run);
        if nodes.is_empty() {
            return;
        }
        let tags_before = self.tags.len();
        let inlines: Vec<Inline> = nodes.iter().map(|&id| self.inline(id)).collect();
        if !inline::has_text(&inlines) {
            self.tags.truncate(tags_before);
            return;
        }
        let raw_text = |id: NodeId| match self.html.tree.get(id).map(|n| n.value()) {
            Some(Node::Text(t)) => Some(t.text.to_string()),
            _ => None,
        };
        let leading = raw_text(nodes[0])
            .map(|t| t[..t.len() - t.trim_start().len()].to_string())
            .unwrap_or_default();
        let trailing = raw_text(*nodes.last().expect("not empty"))
            .map(|t| t[t.trim_end().len()..].to_string())
            .unwrap_or_default();
        let parent_node = self.html.tree.get(parent).expect("node of this tree");
        let (kind, level) = block_kind(parent_node.value());
        self.blocks.push(RichBlock {
            kind,
            level,
            inlines,
        });
        self.runs.push(Run {
            parent,
            nodes,
            leading,
            trailing,
        });
    }
}

/// Reads an HTML page (already decoded) into blocks.
pub fn parse(text: &str) -> HtmlDocument {
    let html = Html::parse_document(text);
    let mut reader = Reader {
        html: &html,
        runs: Vec::new(),
        blocks: Vec::new(),
        tags: Vec::new(),
    };
    reader.walk(html.tree.root());
    let Reader {
        runs, blocks, tags, ..
    } = reader;
    HtmlDocument {
        html,
        runs,
        blocks,
        tags,
    }
}

fn qual(name: &str) -> QualName {
    QualName::new(None, ns!(), LocalName::from(name))
}

fn html_name(name: &str) -> QualName {
    QualName::new(None, ns!(html), LocalName::from(name))
}

/// A copy of an element for an interleaved translation: no `id` (ids stay unique), and for
/// the block itself the translation class, style and language.
fn copy_element(element: &Element, mark: Option<&str>) -> Element {
    let mut attributes: Vec<html5ever::Attribute> = element
        .attrs()
        .filter(|(name, _)| *name != "id")
        .map(|(name, value)| html5ever::Attribute {
            name: qual(name),
            value: value.into(),
        })
        .collect();
    if let Some(lang) = mark {
        let mut set = |name: &str, value: String| match attributes
            .iter_mut()
            .find(|a| &*a.name.local == name)
        {
            Some(a) => a.value = value.into(),
            None => attributes.push(html5ever::Attribute {
                name: qual(name),
                value: value.into(),
            }),
        };
        let class = match element.attr("class") {
            Some(c) => format!("{c} {TRANSLATION_CLASS}"),
            None => TRANSLATION_CLASS.to_string(),
        };
        set("class", class);
        let style = match element.attr("style") {
            Some(s) => format!("{};{TRANSLATION_STYLE}", s.trim_end_matches(';')),
            None => TRANSLATION_STYLE.to_string(),
        };
        set("style", style);
        set("lang", lang.to_string());
    }
    Element::new(element.name.clone(), attributes)
}

fn new_element(name: &str, attributes: &[(&str, &str)]) -> Node {
    Node::Element(Element::new(
        html_name(name),
        attributes
            .iter()
            .map(|(n, v)| html5ever::Attribute {
                name: qual(n),
                value: (*v).into(),
            })
            .collect(),
    ))
}

fn text_node(text: &str) -> Node {
    Node::Text(Text { text: text.into() })
}

/// Where new nodes go: before a node, or at the end of a parent.
#[derive(Clone, Copy)]
enum Place {
    Before(NodeId),
    Into(NodeId),
}

struct Writer<'a> {
    tree: &'a mut ego_tree::Tree<Node>,
    tags: &'a [NodeId],
    /// Interleaved copies: atoms are not moved (the original keeps them) and copied spans
    /// lose their ids.
    copy: bool,
}

impl Writer<'_> {
    fn insert(&mut self, place: Place, value: Node) -> NodeId {
        match place {
            Place::Before(at) => self
                .tree
                .get_mut(at)
                .expect("node")
                .insert_before(value)
                .id(),
            Place::Into(parent) => self.tree.get_mut(parent).expect("node").append(value).id(),
        }
    }

    fn emit(&mut self, place: Place, inlines: &[Inline]) {
        for inline in inlines {
            match inline {
                Inline::Text(text) => {
                    self.insert(place, text_node(text));
                }
                Inline::Span(k, children) => {
                    let original = self.tree.get(self.tags[*k]).expect("tag node").value();
                    let value = match original {
                        Node::Element(e) if self.copy => Node::Element(copy_element(e, None)),
                        other => other.clone(),
                    };
                    let id = self.insert(place, value);
                    self.emit(Place::Into(id), children);
                }
                Inline::Atom(k) => {
                    let id = self.tags[*k];
                    if self.copy {
                        let is_break = matches!(
                            self.tree.get(id).expect("tag node").value(),
                            Node::Element(e) if element_name(e) == "br"
                        );
                        if is_break {
                            self.insert(place, new_element("br", &[]));
                        }
                        continue;
                    }
                    match place {
                        Place::Before(at) => {
                            self.tree.get_mut(at).expect("node").insert_id_before(id);
                        }
                        Place::Into(parent) => {
                            self.tree.get_mut(parent).expect("node").append_id(id);
                        }
                    }
                }
            }
        }
    }
}

impl HtmlDocument {
    /// Writes the page with each block's translation (`translations[b]` for block `b`, one
    /// entry per sentence), as UTF-8 (a `<meta>` charset is set to `utf-8`).
    pub fn write(
        &self,
        sentences: &[Vec<MarkedSentence>],
        translations: &[Vec<Option<&str>>],
        layout: Layout,
        target_lang: &str,
    ) -> Vec<u8> {
        let mut html = self.html.clone();
        for ((run, sentences), targets) in self.runs.iter().zip(sentences).zip(translations) {
            let inlines = inline::rebuild(sentences, targets);
            match layout {
                Layout::Translated => self.replace_run(&mut html.tree, run, &inlines),
                Layout::Interleaved => {
                    self.add_translation(&mut html.tree, run, &inlines, target_lang)
                }
            }
        }
        declare_utf8(&mut html.tree);
        if layout == Layout::Translated {
            set_document_lang(&mut html.tree, target_lang);
        }
        html.html().into_bytes()
    }

    fn replace_run(&self, tree: &mut ego_tree::Tree<Node>, run: &Run, inlines: &[Inline]) {
        let marker = tree
            .get_mut(run.nodes[0])
            .expect("run node")
            .insert_before(text_node(""))
            .id();
        let mut writer = Writer {
            tree,
            tags: &self.tags,
            copy: false,
        };
        if !run.leading.is_empty() {
            writer.insert(Place::Before(marker), text_node(&run.leading));
        }
        writer.emit(Place::Before(marker), inlines);
        if !run.trailing.is_empty() {
            writer.insert(Place::Before(marker), text_node(&run.trailing));
        }
        // The old nodes go, except atoms that now sit in the new content.
        let moved: std::collections::HashSet<NodeId> =
            atoms(inlines).into_iter().map(|k| self.tags[k]).collect();
        for &id in &run.nodes {
            if !moved.contains(&id) {
                tree.get_mut(id).expect("run node").detach();
            }
        }
        tree.get_mut(marker).expect("marker").detach();
    }

    fn add_translation(
        &self,
        tree: &mut ego_tree::Tree<Node>,
        run: &Run,
        inlines: &[Inline],
        lang: &str,
    ) {
        let parent = tree.get(run.parent).expect("run parent");
        let parent_element = match parent.value() {
            Node::Element(e) => Some(e.clone()),
            _ => None,
        };
        let whole = parent.children().all(|c| {
            run.nodes.contains(&c.id())
                || matches!(c.value(), Node::Text(t) if t.text.trim().is_empty())
                || matches!(c.value(), Node::Comment(_))
        });
        let name = parent_element.as_ref().map(element_name).unwrap_or("");
        if name == "title" {
            // The title holds text only: original, a slash, the translation.
            let original: String = parent
                .children()
                .filter_map(|c| match c.value() {
                    Node::Text(t) => Some(t.text.to_string()),
                    _ => None,
                })
                .collect();
            let joined = format!(
                "{} / {}",
                original.trim(),
                inline::plain_text(inlines).trim()
            );
            let children: Vec<NodeId> = parent.children().map(|c| c.id()).collect();
            for id in children {
                tree.get_mut(id).expect("child").detach();
            }
            tree.get_mut(run.parent)
                .expect("title")
                .append(text_node(&joined));
            return;
        }
        match parent_element {
            Some(element) if whole && SIBLING_COPY.contains(&name) => {
                let copy = tree
                    .get_mut(run.parent)
                    .expect("run parent")
                    .insert_after(Node::Element(copy_element(&element, Some(lang))))
                    .id();
                let mut writer = Writer {
                    tree,
                    tags: &self.tags,
                    copy: true,
                };
                writer.emit(Place::Into(copy), inlines);
            }
            _ => {
                let last = *run.nodes.last().expect("run not empty");
                let mut after = tree.get_mut(last).expect("run node");
                let span = after
                    .insert_after(new_element(
                        "span",
                        &[
                            ("class", TRANSLATION_CLASS),
                            ("style", TRANSLATION_STYLE),
                            ("lang", lang),
                        ],
                    ))
                    .id();
                tree.get_mut(span)
                    .expect("span")
                    .insert_before(new_element("br", &[]));
                let mut writer = Writer {
                    tree,
                    tags: &self.tags,
                    copy: true,
                };
                writer.emit(Place::Into(span), inlines);
            }
        }
    }
}

fn atoms(inlines: &[Inline]) -> Vec<usize> {
    let mut out = Vec::new();
    fn walk(inlines: &[Inline], out: &mut Vec<usize>) {
        for i in inlines {
            match i {
                Inline::Atom(k) => out.push(*k),
                Inline::Span(_, c) => walk(c, out),
                Inline::Text(_) => {}
            }
        }
    }
    walk(inlines, &mut out);
    out
}

/// The written page is UTF-8: `<meta charset>` and `http-equiv="content-type"` say so.
fn declare_utf8(tree: &mut ego_tree::Tree<Node>) {
    let ids: Vec<NodeId> = tree
        .nodes()
        .filter(|n| matches!(n.value(), Node::Element(e) if element_name(e) == "meta"))
        .map(|n| n.id())
        .collect();
    for id in ids {
        let mut node = tree.get_mut(id).expect("meta");
        let Node::Element(element) = node.value() else {
            continue;
        };
        let http_equiv = element
            .attr("http-equiv")
            .is_some_and(|v| v.eq_ignore_ascii_case("content-type"));
        for (name, value) in element.attrs.iter_mut() {
            match name.local.as_ref() {
                "charset" => *value = "utf-8".into(),
                "content" if http_equiv => *value = "text/html; charset=utf-8".into(),
                _ => {}
            }
        }
    }
}

/// A translated page is in the target language: `<html lang>` says so when it is set.
fn set_document_lang(tree: &mut ego_tree::Tree<Node>, lang: &str) {
    let html = tree
        .root()
        .children()
        .find(|n| matches!(n.value(), Node::Element(e) if element_name(e) == "html"))
        .map(|n| n.id());
    if let Some(id) = html
        && let Node::Element(element) = tree.get_mut(id).expect("html").value()
    {
        for (name, value) in element.attrs.iter_mut() {
            if matches!(name.local.as_ref(), "lang" | "xml:lang") {
                *value = lang.into();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(html: &str) -> Vec<String> {
        parse(html)
            .blocks
            .iter()
            .map(|b| inline::plain_text(&b.inlines).trim().to_string())
            .collect()
    }

    #[test]
    fn blocks_come_from_block_elements_and_skip_code() {
        let page = "<!DOCTYPE html><html lang=zh><head><title>标题</title><script>var a='中文';</script></head>\
            <body><nav><a href=/>首页</a> <a href=/n>新闻</a></nav>\
            <p>今天<b>下雨</b>，<a href=x>明天</a>晴。<code>代码</code></p>\
            <pre>不译</pre><p translate=no>不译</p><figure><img src=a.jpg><figcaption>图片说明</figcaption></figure>\
            <ul><li>一<li>二</ul></body></html>";
        assert_eq!(
            blocks(page),
            [
                "标题",
                "首页 新闻",
                "今天下雨，明天晴。",
                "图片说明",
                "一",
                "二"
            ]
        );
        let doc = parse(page);
        assert_eq!(doc.blocks[0].kind, BlockKind::Heading);
        assert_eq!(doc.blocks[3].kind, BlockKind::Caption);
        let sentences = inline::segment(&doc.blocks[2].inlines, false);
        assert_eq!(
            sentences[0].text,
            "今天<x1>下雨</x1>，<x2>明天</x2>晴。<x3/>"
        );
    }

    #[test]
    fn whitespace_collapses_and_line_breaks_between_han_go() {
        assert_eq!(collapse_whitespace("中国\n   经济  增长"), "中国经济 增长");
        assert_eq!(collapse_whitespace("a\n b"), "a b");
    }

    #[test]
    fn meta_charset_is_found() {
        let page =
            b"<html><head><meta http-equiv=Content-Type content='text/html; charset=gb2312'>";
        assert_eq!(declared_encoding(page), Some(encoding_rs::GBK));
        assert_eq!(
            declared_encoding(b"<meta charset=\"big5\">"),
            Some(encoding_rs::BIG5)
        );
        assert_eq!(declared_encoding(b"<p>charset=big5</p>"), None);
    }

    #[test]
    fn translated_page_keeps_attributes_and_moves_atoms() {
        let page = "<html><body><p class=lead>今天<a href=\"/x\" title=t>下雨</a>。<img src=a.png></p><script>x=\"中\"</script></body></html>";
        let doc = parse(page);
        let sentences: Vec<Vec<MarkedSentence>> = doc
            .blocks
            .iter()
            .map(|b| inline::segment(&b.inlines, false))
            .collect();
        assert_eq!(sentences[0][0].text, "今天<x1>下雨</x1>。<x2/>");
        let out = doc.write(
            &sentences,
            &[vec![Some("Today <x1>rain</x1>.<x2/>")]],
            Layout::Translated,
            "en",
        );
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("<p class=\"lead\">Today <a href=\"/x\" title=\"t\">rain</a>.<img src=\"a.png\"></p>"),
            "{out}"
        );
        assert!(out.contains("<script>x=\"中\"</script>"), "{out}");
        let out = doc.write(
            &sentences,
            &[vec![Some("Today <x1>rain</x1>.<x2/>")]],
            Layout::Interleaved,
            "en",
        );
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("今天<a href=\"/x\" title=\"t\">下雨</a>。<img src=\"a.png\"></p><p class=\"lead bitext-translation\" style=\"opacity:0.7\" lang=\"en\">Today <a href=\"/x\" title=\"t\">rain</a>.</p>"), "{out}");
    }
}

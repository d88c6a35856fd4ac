//! Word documents (DOCX, Office Open XML): paragraphs of the body, tables, text boxes,
//! footnotes, endnotes, headers and footers become blocks; writing replaces only the runs of
//! translated paragraphs. Every ZIP entry that holds no translated text is copied byte for
//! byte (compressed data included), and inside a rewritten XML part every byte outside the
//! translated paragraphs stays as it was.
//!
//! Inside a paragraph, runs with the paragraph's most common formatting are plain text; runs
//! formatted otherwise, hyperlinks, smart tags and tracked insertions become placeholder
//! pairs; tabs, breaks, images, footnote marks, fields, deletions and equations become
//! placeholders without text and are written back as they were. Bookmarks, comment ranges
//! and proofing marks move to the start (before any text) or end of their paragraph.

use super::{FormatError, Layout, RichBlock};
use crate::inline::{self, Inline, MarkedSentence};
use crate::model::BlockKind;
use quick_xml::Reader;
use quick_xml::events::Event;
use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

/// The WordprocessingML namespace.
const MAIN_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/// Elements inside a paragraph that wrap runs and keep their own markup around them.
const WRAPPERS: &[&str] = &[
    "w:hyperlink",
    "w:smartTag",
    "w:customXml",
    "w:ins",
    "w:moveTo",
    "w:dir",
    "w:bdo",
];

/// Empty markers of a position (they carry no text); moved to the paragraph's start or end.
const MARKERS: &[&str] = &[
    "w:bookmarkStart",
    "w:bookmarkEnd",
    "w:proofErr",
    "w:commentRangeStart",
    "w:commentRangeEnd",
    "w:permStart",
    "w:permEnd",
    "w:moveFromRangeStart",
    "w:moveFromRangeEnd",
    "w:moveToRangeStart",
    "w:moveToRangeEnd",
];

/// `w:rPr` children that come after `w:color` in the schema's sequence (a colour for the
/// interleaved translation is inserted before the first of them).
const AFTER_COLOR: &[&str] = &[
    "w:spacing",
    "w:w",
    "w:kern",
    "w:position",
    "w:sz",
    "w:szCs",
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    "w:eastAsianLayout",
    "w:specVanish",
    "w:oMath",
    "w:rPrChange",
];

/// The lighter colour of interleaved translations.
const TRANSLATION_COLOR: &str = "7F7F7F";

/// An element of an XML part, with byte offsets into the part.
#[derive(Debug, Clone)]
struct XNode {
    /// The qualified name, with the main namespace's prefix written `w:`.
    name: String,
    start: usize,
    /// End of the start tag (== `end` for an empty element).
    head_end: usize,
    /// Start of the end tag (== `end` for an empty element).
    tail_start: usize,
    end: usize,
    children: Vec<usize>,
    /// The text of a `w:t`.
    text: String,
    /// The `w:val` attribute (styles, field char types), when present.
    val: Option<String>,
}

/// One XML part of the package (`word/document.xml`, a footnotes, header or footer part).
#[derive(Debug, Clone)]
struct Part {
    path: String,
    xml: Vec<u8>,
    /// Node 0 is the whole part (the XML declaration and the root element are its children).
    nodes: Vec<XNode>,
    /// The prefix the main namespace uses in this part (`w` in every real file).
    prefix: String,
    /// Whether each node is, or holds, a translated paragraph.
    holds_block: Vec<bool>,
    /// The block of each translated paragraph node.
    block_of: HashMap<usize, usize>,
}

/// What a placeholder stands for.
#[derive(Debug, Clone)]
enum Tag {
    /// Runs formatted otherwise than their surroundings: their `w:rPr` node.
    Format(Option<usize>),
    /// A hyperlink (smart tag, insertion …): its node, where its content starts, and the
    /// formatting of the text directly inside it.
    Wrapper {
        node: usize,
        open_end: usize,
        base: Option<usize>,
    },
    /// A run's child that is not text (tab, break, drawing, footnote mark), with the run's
    /// `w:rPr`.
    RunAtom { rpr: Option<usize>, node: usize },
    /// Sibling nodes kept whole: a field (from its `begin` run to its `end` run), a deletion,
    /// an equation.
    Nodes { first: usize, last: usize },
}

/// A translated paragraph.
#[derive(Debug, Clone)]
struct Para {
    part: usize,
    node: usize,
    ppr: Option<usize>,
    base: Option<usize>,
    prefix: Vec<usize>,
    suffix: Vec<usize>,
    /// Tags of this paragraph (inline tag indices point here).
    tags: Vec<Tag>,
}

/// A Word document read into blocks.
#[derive(Debug, Clone)]
pub struct DocxDocument {
    name: String,
    bytes: Vec<u8>,
    parts: Vec<Part>,
    paras: Vec<Para>,
    pub(super) blocks: Vec<RichBlock>,
}

/// The first bytes of an OLE compound file (old `.doc`, or an encrypted OOXML package).
pub const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Why an OLE compound file cannot be read: encrypted OOXML, an old `.doc`, or neither.
pub fn ole_error(name: &str, bytes: &[u8]) -> FormatError {
    let streams: Vec<String> = match cfb::CompoundFile::open(Cursor::new(bytes)) {
        Ok(file) => file.walk().map(|e| e.name().to_string()).collect(),
        Err(e) => {
            return FormatError::Corrupt {
                name: name.into(),
                detail: format!("damaged OLE compound file: {e}"),
            };
        }
    };
    let has = |s: &str| streams.iter().any(|n| n == s);
    if has("EncryptionInfo") || has("EncryptedPackage") {
        FormatError::Encrypted { name: name.into() }
    } else if has("WordDocument") {
        FormatError::LegacyDoc { name: name.into() }
    } else {
        FormatError::Corrupt {
            name: name.into(),
            detail: "an OLE compound file, not a Word document".into(),
        }
    }
}

fn corrupt(name: &str, detail: impl std::fmt::Display) -> FormatError {
    FormatError::Corrupt {
        name: name.into(),
        detail: detail.to_string(),
    }
}

/// Whether a ZIP archive holds a Word document.
pub fn is_docx(bytes: &[u8]) -> bool {
    zip::ZipArchive::new(Cursor::new(bytes))
        .is_ok_and(|zip| zip.index_for_name("word/document.xml").is_some())
}

/// The parts whose paragraphs are translated, in reading order: the body, footnotes,
/// endnotes, headers, footers.
fn translated_parts(names: &[String]) -> Vec<String> {
    let mut out = vec!["word/document.xml".to_string()];
    for prefix in [
        "word/footnotes",
        "word/endnotes",
        "word/header",
        "word/footer",
    ] {
        let mut found: Vec<&String> = names
            .iter()
            .filter(|n| {
                n.starts_with(prefix) && n.ends_with(".xml") && !n[prefix.len()..].contains('/')
            })
            .collect();
        found.sort_by_key(|n| (n.len(), n.to_string()));
        out.extend(found.into_iter().cloned());
    }
    out
}

/// Reads a DOCX file's bytes.
pub fn read(name: &str, bytes: Vec<u8>) -> Result<DocxDocument, FormatError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.as_slice())).map_err(|e| {
        corrupt(
            name,
            format!("not a DOCX file: corrupt or truncated ZIP archive ({e})"),
        )
    })?;
    if zip.index_for_name("word/document.xml").is_none() {
        return Err(corrupt(
            name,
            "not a Word document: the package has no word/document.xml",
        ));
    }
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let mut read_entry = |path: &str| -> Result<Vec<u8>, FormatError> {
        let mut file = zip
            .by_name(path)
            .map_err(|e| corrupt(name, format!("{path}: {e}")))?;
        if file.encrypted() {
            return Err(FormatError::Encrypted { name: name.into() });
        }
        let mut data = Vec::with_capacity(file.size().min(1 << 28) as usize);
        file.read_to_end(&mut data).map_err(|e| {
            corrupt(
                name,
                format!("{path}: corrupt or truncated ZIP entry ({e})"),
            )
        })?;
        Ok(data)
    };
    let styles = match names.iter().any(|n| n == "word/styles.xml") {
        true => read_styles(name, &read_entry("word/styles.xml")?)?,
        false => HashMap::new(),
    };
    let mut parts = Vec::new();
    for path in translated_parts(&names) {
        let xml = read_entry(&path)?;
        parts.push(parse_part(name, &path, xml)?);
    }
    let mut document = DocxDocument {
        name: name.into(),
        bytes,
        parts,
        paras: Vec::new(),
        blocks: Vec::new(),
    };
    for p in 0..document.parts.len() {
        document.collect_blocks(p, &styles);
    }
    Ok(document)
}

/// Unescapes a text reference (`&amp;`, `&#20013;`).
fn resolve_reference(reference: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        return Some(c);
    }
    let entity: &str = reference;
    match entity {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

/// Parses an XML part into nodes with byte offsets.
fn parse_part(name: &str, path: &str, xml: Vec<u8>) -> Result<Part, FormatError> {
    let xml_error = |offset: u64, detail: String| FormatError::Xml {
        name: name.into(),
        part: path.into(),
        offset: offset as usize,
        detail,
    };
    let mut nodes = vec![XNode {
        name: String::new(),
        start: 0,
        head_end: 0,
        tail_start: xml.len(),
        end: xml.len(),
        children: Vec::new(),
        text: String::new(),
        val: None,
    }];
    let mut prefix: Option<String> = None;
    let mut stack: Vec<usize> = vec![0];
    let mut reader = Reader::from_reader(xml.as_slice());
    loop {
        let start = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| xml_error(reader.error_position(), e.to_string()))?;
        let end = reader.buffer_position() as usize;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if prefix.is_none() {
                    // The root element declares the namespaces.
                    prefix = Some(main_prefix(e).unwrap_or_else(|| "w".into()));
                }
                let raw = e.name();
                let qualified: &str = raw.as_ref();
                let name = match qualified.split_once(':') {
                    Some((p, local)) if Some(p) == prefix.as_deref() => format!("w:{local}"),
                    None if prefix.as_deref() == Some("") => format!("w:{qualified}"),
                    _ => qualified.to_string(),
                };
                let val = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == "val")
                    .map(|a| a.value.to_string());
                let empty = matches!(event, Event::Empty(_));
                let index = nodes.len();
                nodes.push(XNode {
                    name,
                    start,
                    head_end: end,
                    tail_start: end,
                    end,
                    children: Vec::new(),
                    text: String::new(),
                    val,
                });
                let parent = *stack.last().expect("root stays");
                nodes[parent].children.push(index);
                if !empty {
                    stack.push(index);
                }
            }
            Event::End(_) => {
                let index = stack.pop().filter(|&i| i != 0).ok_or_else(|| {
                    xml_error(start as u64, "closing tag without an opening tag".into())
                })?;
                nodes[index].tail_start = start;
                nodes[index].end = end;
            }
            Event::Text(t) => {
                let top = *stack.last().expect("root stays");
                if nodes[top].name == "w:t" {
                    nodes[top].text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                let top = *stack.last().expect("root stays");
                if nodes[top].name == "w:t" {
                    nodes[top].text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let top = *stack.last().expect("root stays");
                if nodes[top].name == "w:t" {
                    let c = resolve_reference(&r).ok_or_else(|| {
                        xml_error(start as u64, format!("unknown entity &{};", &*r))
                    })?;
                    nodes[top].text.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() > 1 {
        return Err(xml_error(
            xml.len() as u64,
            "unexpected end of the part (unclosed elements)".into(),
        ));
    }
    let count = nodes.len();
    Ok(Part {
        path: path.into(),
        xml,
        nodes,
        prefix: prefix.unwrap_or_else(|| "w".into()),
        holds_block: vec![false; count],
        block_of: HashMap::new(),
    })
}

/// The prefix bound to the WordprocessingML namespace on the root element.
fn main_prefix(root: &quick_xml::events::BytesStart<'_>) -> Option<String> {
    root.attributes().flatten().find_map(|a| {
        if a.value.as_ref() != MAIN_NS {
            return None;
        }
        let key: &str = a.key.as_ref();
        if key == "xmlns" {
            Some(String::new())
        } else {
            key.strip_prefix("xmlns:").map(str::to_string)
        }
    })
}

/// Paragraph styles: id → (kind, heading level).
fn read_styles(
    name: &str,
    xml: &[u8],
) -> Result<HashMap<String, (BlockKind, Option<u8>)>, FormatError> {
    let part = parse_part(name, "word/styles.xml", xml.to_vec())?;
    let mut styles = HashMap::new();
    let root = part.nodes[0].children.iter().copied();
    for styles_node in root {
        for &style in &part.nodes[styles_node].children {
            let node = &part.nodes[style];
            if node.name != "w:style" {
                continue;
            }
            let Some(id) = attribute(&part, style, "styleId") else {
                continue;
            };
            let mut style_name = String::new();
            let mut outline = None;
            for &c in &node.children {
                let child = &part.nodes[c];
                match child.name.as_str() {
                    "w:name" => style_name = child.val.clone().unwrap_or_default().to_lowercase(),
                    "w:pPr" => {
                        for &g in &child.children {
                            if part.nodes[g].name == "w:outlineLvl" {
                                outline = part.nodes[g]
                                    .val
                                    .as_deref()
                                    .and_then(|v| v.parse::<u8>().ok());
                            }
                        }
                    }
                    _ => {}
                }
            }
            styles.insert(id, kind_of_style(&style_name, outline));
        }
    }
    Ok(styles)
}

fn attribute(part: &Part, node: usize, local: &str) -> Option<String> {
    let n = &part.nodes[node];
    let head = &part.xml[n.start..n.head_end];
    let mut reader = Reader::from_reader(head);
    match reader.read_event() {
        Ok(Event::Start(e)) | Ok(Event::Empty(e)) => e
            .attributes()
            .flatten()
            .find(|a| a.key.local_name().as_ref() == local)
            .map(|a| a.value.to_string()),
        _ => None,
    }
}

/// A style's block kind from its name (`heading 2`, `Title`, `caption`) or outline level.
fn kind_of_style(name: &str, outline: Option<u8>) -> (BlockKind, Option<u8>) {
    let name = name.to_lowercase();
    let compact: String = name.split_whitespace().collect();
    if let Some(level) = compact
        .strip_prefix("heading")
        .and_then(|l| l.parse::<u8>().ok())
    {
        return (BlockKind::Heading, Some(level.min(6)));
    }
    match compact.as_str() {
        "title" => return (BlockKind::Heading, Some(1)),
        "subtitle" => return (BlockKind::Heading, Some(2)),
        "caption" => return (BlockKind::Caption, None),
        _ => {}
    }
    match outline {
        Some(level) if level < 9 => (BlockKind::Heading, Some((level + 1).min(6))),
        _ => (BlockKind::Paragraph, None),
    }
}

/// Content of a paragraph before grouping by formatting.
enum Item {
    Text {
        rpr: Option<usize>,
        text: String,
    },
    RunAtom {
        rpr: Option<usize>,
        node: usize,
    },
    Wrapper {
        node: usize,
        open_end: usize,
        items: Vec<Item>,
    },
    Nodes {
        first: usize,
        last: usize,
    },
}

fn item_has_text(items: &[Item]) -> bool {
    items.iter().any(|i| match i {
        Item::Text { text, .. } => !text.trim().is_empty(),
        Item::Wrapper { items, .. } => item_has_text(items),
        _ => false,
    })
}

impl DocxDocument {
    fn collect_blocks(&mut self, p: usize, styles: &HashMap<String, (BlockKind, Option<u8>)>) {
        // Pre-order: a paragraph comes before the paragraphs of its text boxes.
        let mut stack = vec![0usize];
        let mut order = Vec::new();
        while let Some(n) = stack.pop() {
            order.push(n);
            let children = &self.parts[p].nodes[n].children;
            stack.extend(children.iter().rev());
        }
        for n in order {
            if self.parts[p].nodes[n].name == "w:p" {
                self.read_paragraph(p, n, styles);
            }
        }
        // Which nodes hold a translated paragraph (for writing).
        let part = &mut self.parts[p];
        let mut holds = vec![false; part.nodes.len()];
        fn mark(part: &Part, n: usize, holds: &mut Vec<bool>) -> bool {
            let mut any = part.block_of.contains_key(&n);
            for &c in &part.nodes[n].children {
                any |= mark(part, c, holds);
            }
            holds[n] = any;
            any
        }
        mark(part, 0, &mut holds);
        part.holds_block = holds;
    }

    fn read_paragraph(
        &mut self,
        p: usize,
        n: usize,
        styles: &HashMap<String, (BlockKind, Option<u8>)>,
    ) {
        let part = &self.parts[p];
        let mut ppr = None;
        let mut prefix = Vec::new();
        let mut suffix = Vec::new();
        let children: Vec<usize> = part.nodes[n].children.clone();
        let content: Vec<usize> = children
            .iter()
            .copied()
            .filter(|&c| {
                if part.nodes[c].name == "w:pPr" {
                    ppr = Some(c);
                    false
                } else {
                    true
                }
            })
            .collect();
        let mut seen_text = false;
        let items = self.items(
            p,
            &content,
            &mut |marker, seen: bool| {
                if seen {
                    suffix.push(marker)
                } else {
                    prefix.push(marker)
                }
            },
            &mut seen_text,
        );
        if !item_has_text(&items) {
            return;
        }
        let (kind, level) = self.paragraph_kind(p, ppr, styles);
        let mut tags = Vec::new();
        let base = base_format(part, &items);
        let inlines = group(part, items, base, &mut tags);
        let block = self.blocks.len();
        self.blocks.push(RichBlock {
            kind,
            level,
            inlines,
        });
        self.paras.push(Para {
            part: p,
            node: n,
            ppr,
            base,
            prefix,
            suffix,
            tags,
        });
        self.parts[p].block_of.insert(n, block);
    }

    fn paragraph_kind(
        &self,
        p: usize,
        ppr: Option<usize>,
        styles: &HashMap<String, (BlockKind, Option<u8>)>,
    ) -> (BlockKind, Option<u8>) {
        let part = &self.parts[p];
        let Some(ppr) = ppr else {
            return (BlockKind::Paragraph, None);
        };
        let mut kind = (BlockKind::Paragraph, None);
        for &c in &part.nodes[ppr].children {
            let child = &part.nodes[c];
            match child.name.as_str() {
                "w:pStyle" => {
                    if let Some(id) = &child.val {
                        kind = styles
                            .get(id)
                            .copied()
                            .unwrap_or_else(|| kind_of_style(id, None));
                    }
                }
                "w:outlineLvl" if kind.0 == BlockKind::Paragraph => {
                    if let Some(level) = child.val.as_deref().and_then(|v| v.parse::<u8>().ok())
                        && level < 9
                    {
                        kind = (BlockKind::Heading, Some((level + 1).min(6)));
                    }
                }
                _ => {}
            }
        }
        kind
    }

    /// The items of paragraph (or wrapper) content.
    fn items(
        &self,
        p: usize,
        content: &[usize],
        marker: &mut dyn FnMut(usize, bool),
        seen_text: &mut bool,
    ) -> Vec<Item> {
        let part = &self.parts[p];
        let mut items = Vec::new();
        let mut i = 0;
        while i < content.len() {
            let c = content[i];
            let node = &part.nodes[c];
            let name = node.name.as_str();
            if name == "w:r" {
                // A complex field, from its `begin` run to its `end` run, is kept whole.
                if field_char(part, c) == Some("begin") {
                    let mut depth = 0;
                    let mut j = i;
                    while j < content.len() {
                        match field_char(part, content[j]) {
                            Some("begin") => depth += 1,
                            Some("end") => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    let last = content[j.min(content.len() - 1)];
                    items.push(Item::Nodes { first: c, last });
                    i = j + 1;
                    continue;
                }
                let rpr = node
                    .children
                    .iter()
                    .copied()
                    .find(|&r| part.nodes[r].name == "w:rPr");
                for &r in &node.children {
                    match part.nodes[r].name.as_str() {
                        "w:rPr" | "w:lastRenderedPageBreak" => {}
                        "w:t" => {
                            let text = &part.nodes[r].text;
                            if !text.is_empty() {
                                *seen_text |= !text.trim().is_empty();
                                items.push(Item::Text {
                                    rpr,
                                    text: text.clone(),
                                });
                            }
                        }
                        _ => items.push(Item::RunAtom { rpr, node: r }),
                    }
                }
            } else if WRAPPERS.contains(&name) || name == "w:fldSimple" {
                let inner: Vec<usize> = node
                    .children
                    .iter()
                    .copied()
                    .filter(|&k| !part.nodes[k].name.ends_with("Pr"))
                    .collect();
                // Content starts after the start tag and any properties element.
                let open_end = node
                    .children
                    .iter()
                    .take_while(|&&k| part.nodes[k].name.ends_with("Pr"))
                    .last()
                    .map_or(node.head_end, |&k| part.nodes[k].end);
                let sub = self.items(p, &inner, marker, seen_text);
                if name == "w:fldSimple" || !item_has_text(&sub) {
                    items.push(Item::Nodes { first: c, last: c });
                } else {
                    items.push(Item::Wrapper {
                        node: c,
                        open_end,
                        items: sub,
                    });
                }
            } else if MARKERS.contains(&name) {
                marker(c, *seen_text);
            } else {
                items.push(Item::Nodes { first: c, last: c });
            }
            i += 1;
        }
        items
    }

    /// Writes the document back: translated paragraphs replaced (or followed by their
    /// translation), everything else as it was.
    pub fn write(
        &self,
        sentences: &[Vec<MarkedSentence>],
        translations: &[Vec<Option<&str>>],
        layout: Layout,
    ) -> Result<Vec<u8>, FormatError> {
        let inlines: Vec<Vec<Inline>> = sentences
            .iter()
            .zip(translations)
            .map(|(s, t)| inline::rebuild(s, t))
            .collect();
        let mut rewritten: HashMap<&str, Vec<u8>> = HashMap::new();
        for (p, part) in self.parts.iter().enumerate() {
            if !part.holds_block[0] {
                continue;
            }
            let mut out = Vec::with_capacity(part.xml.len() + part.xml.len() / 2);
            let writer = PartWriter {
                doc: self,
                part,
                p,
                inlines: &inlines,
                layout,
            };
            writer.node(0, &mut out);
            rewritten.insert(part.path.as_str(), out);
        }
        let write_error =
            |e: &dyn std::fmt::Display| corrupt(&self.name, format!("cannot write the DOCX: {e}"));
        let mut zip = zip::ZipArchive::new(Cursor::new(self.bytes.as_slice()))
            .map_err(|e| write_error(&e))?;
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(self.bytes.len() * 2)));
        for i in 0..zip.len() {
            let file = zip.by_index_raw(i).map_err(|e| write_error(&e))?;
            let entry_name = file.name().map_err(|e| write_error(&e))?.into_owned();
            match rewritten.get(entry_name.as_str()) {
                Some(data) => {
                    let options = zip::write::SimpleFileOptions::default()
                        .compression_method(zip::CompressionMethod::Deflated)
                        .last_modified_time(file.last_modified().unwrap_or_default());
                    drop(file);
                    writer
                        .start_file(entry_name, options)
                        .map_err(|e| write_error(&e))?;
                    writer.write_all(data).map_err(|e| write_error(&e))?;
                }
                None => writer.raw_copy_file(file).map_err(|e| write_error(&e))?,
            }
        }
        Ok(writer.finish().map_err(|e| write_error(&e))?.into_inner())
    }
}

/// The `w:fldChar` type of a run (`begin`, `separate`, `end`), if it holds one.
fn field_char(part: &Part, run: usize) -> Option<&str> {
    if part.nodes[run].name != "w:r" {
        return None;
    }
    part.nodes[run].children.iter().find_map(|&c| {
        let n = &part.nodes[c];
        (n.name == "w:fldChar")
            .then(|| attribute_str(part, c, b"fldCharType"))
            .flatten()
    })
}

fn attribute_str<'a>(part: &'a Part, node: usize, local: &[u8]) -> Option<&'a str> {
    let n = &part.nodes[node];
    let head = std::str::from_utf8(&part.xml[n.start..n.head_end]).ok()?;
    let key = std::str::from_utf8(local).ok()?;
    let at = head.find(&format!(":{key}=")).map(|i| i + key.len() + 2)?;
    let quote = head[at..].chars().next()?;
    let rest = &head[at + 1..];
    rest.find(quote).map(|end| &rest[..end])
}

fn rpr_bytes(part: &Part, rpr: Option<usize>) -> &[u8] {
    rpr.map_or(&[][..], |r| {
        &part.xml[part.nodes[r].start..part.nodes[r].end]
    })
}

/// The formatting with the most text among direct text items.
fn base_format(part: &Part, items: &[Item]) -> Option<usize> {
    let mut counts: Vec<(Option<usize>, usize)> = Vec::new();
    for item in items {
        if let Item::Text { rpr, text } = item {
            let chars = text.chars().count();
            match counts
                .iter_mut()
                .find(|(r, _)| rpr_bytes(part, *r) == rpr_bytes(part, *rpr))
            {
                Some((_, n)) => *n += chars,
                None => counts.push((*rpr, chars)),
            }
        }
    }
    let best = counts.iter().map(|&(_, n)| n).max()?;
    counts
        .into_iter()
        .find(|&(_, n)| n == best)
        .and_then(|(r, _)| r)
}

/// Turns items into inline content: text in the base formatting is plain, neighbouring
/// text in another formatting is one span.
fn group(part: &Part, items: Vec<Item>, base: Option<usize>, tags: &mut Vec<Tag>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    // The formatting of the span last pushed to `out`, while it can still grow.
    let mut open: Option<Option<usize>> = None;
    for item in items {
        match item {
            Item::Text { rpr, text } => {
                if rpr_bytes(part, rpr) == rpr_bytes(part, base) {
                    open = None;
                    match out.last_mut() {
                        Some(Inline::Text(t)) => t.push_str(&text),
                        _ => out.push(Inline::Text(text)),
                    }
                } else if open.is_some_and(|o| rpr_bytes(part, o) == rpr_bytes(part, rpr)) {
                    if let Some(Inline::Span(_, children)) = out.last_mut() {
                        match children.last_mut() {
                            Some(Inline::Text(t)) => t.push_str(&text),
                            _ => children.push(Inline::Text(text)),
                        }
                    }
                } else {
                    tags.push(Tag::Format(rpr));
                    out.push(Inline::Span(tags.len() - 1, vec![Inline::Text(text)]));
                    open = Some(rpr);
                }
            }
            Item::RunAtom { rpr, node } => {
                open = None;
                tags.push(Tag::RunAtom { rpr, node });
                out.push(Inline::Atom(tags.len() - 1));
            }
            Item::Nodes { first, last } => {
                open = None;
                tags.push(Tag::Nodes { first, last });
                out.push(Inline::Atom(tags.len() - 1));
            }
            Item::Wrapper {
                node,
                open_end,
                items,
            } => {
                open = None;
                let inner_base = base_format(part, &items);
                let k = tags.len();
                tags.push(Tag::Wrapper {
                    node,
                    open_end,
                    base: inner_base,
                });
                let children = group(part, items, inner_base, tags);
                out.push(Inline::Span(k, children));
            }
        }
    }
    out
}

/// Escapes text for `w:t`; characters XML 1.0 cannot hold are dropped.
fn escape_text(text: &str, out: &mut Vec<u8>) {
    for c in text.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '\t' | '\n' | '\r' => out.push(b' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

struct PartWriter<'a> {
    doc: &'a DocxDocument,
    part: &'a Part,
    p: usize,
    inlines: &'a [Vec<Inline>],
    layout: Layout,
}

impl PartWriter<'_> {
    fn bytes(&self, from: usize, to: usize) -> &[u8] {
        &self.part.xml[from..to]
    }

    /// Writes a node: copied as it was unless it is or holds a translated paragraph.
    fn node(&self, n: usize, out: &mut Vec<u8>) {
        let node = &self.part.nodes[n];
        if !self.part.holds_block[n] {
            out.extend_from_slice(self.bytes(node.start, node.end));
            return;
        }
        if let Some(&block) = self.part.block_of.get(&n) {
            match self.layout {
                Layout::Translated => self.paragraph(block, out, false),
                Layout::Interleaved => {
                    self.children(n, out);
                    self.paragraph(block, out, true);
                }
            }
            return;
        }
        self.children(n, out);
    }

    /// Writes a node with its children each written by [`Self::node`].
    fn children(&self, n: usize, out: &mut Vec<u8>) {
        let node = &self.part.nodes[n];
        out.extend_from_slice(self.bytes(node.start, node.head_end));
        let mut at = node.head_end;
        for &c in &node.children {
            let child = &self.part.nodes[c];
            out.extend_from_slice(self.bytes(at, child.start));
            self.node(c, out);
            at = child.end;
        }
        out.extend_from_slice(self.bytes(at, node.end));
    }

    fn tag_open(&self, name: &str, out: &mut Vec<u8>) {
        out.push(b'<');
        if !self.part.prefix.is_empty() {
            out.extend_from_slice(self.part.prefix.as_bytes());
            out.push(b':');
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b'>');
    }

    fn tag_close(&self, name: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(b"</");
        if !self.part.prefix.is_empty() {
            out.extend_from_slice(self.part.prefix.as_bytes());
            out.push(b':');
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b'>');
    }

    /// A translated paragraph; `copy`: the interleaved translation after the original.
    fn paragraph(&self, block: usize, out: &mut Vec<u8>, copy: bool) {
        let para = &self.doc.paras[block];
        debug_assert_eq!(para.part, self.p);
        let node = &self.part.nodes[para.node];
        if copy {
            self.tag_open("p", out);
            if let Some(ppr) = para.ppr {
                self.properties_without(ppr, &["w:numPr", "w:sectPr", "w:pPrChange"], out);
            }
        } else {
            out.extend_from_slice(self.bytes(node.start, node.head_end));
            if let Some(ppr) = para.ppr {
                let ppr = &self.part.nodes[ppr];
                out.extend_from_slice(self.bytes(ppr.start, ppr.end));
            }
            for &m in &para.prefix {
                self.node(m, out);
            }
        }
        self.inline(para, &self.inlines[block], para.base, copy, out);
        if copy {
            self.tag_close("p", out);
        } else {
            for &m in &para.suffix {
                self.node(m, out);
            }
            out.extend_from_slice(self.bytes(node.tail_start, node.end));
        }
    }

    /// A properties element without some of its children.
    fn properties_without(&self, n: usize, drop: &[&str], out: &mut Vec<u8>) {
        let node = &self.part.nodes[n];
        out.extend_from_slice(self.bytes(node.start, node.head_end));
        let mut at = node.head_end;
        for &c in &node.children {
            let child = &self.part.nodes[c];
            out.extend_from_slice(self.bytes(at, child.start));
            if !drop.contains(&child.name.as_str()) {
                out.extend_from_slice(self.bytes(child.start, child.end));
            }
            at = child.end;
        }
        out.extend_from_slice(self.bytes(at, node.end));
    }

    /// Run properties, in a lighter colour for an interleaved translation.
    fn run_properties(&self, rpr: Option<usize>, lighter: bool, out: &mut Vec<u8>) {
        let color = format!(
            "<{}color {}val=\"{TRANSLATION_COLOR}\"/>",
            self.qualified_prefix(),
            self.qualified_prefix()
        );
        match (rpr, lighter) {
            (None, false) => {}
            (Some(r), false) => out.extend_from_slice(rpr_bytes(self.part, Some(r))),
            (None, true) => {
                self.tag_open("rPr", out);
                out.extend_from_slice(color.as_bytes());
                self.tag_close("rPr", out);
            }
            (Some(r), true) => {
                let node = &self.part.nodes[r];
                if node.head_end == node.end {
                    // `<w:rPr/>`
                    self.tag_open("rPr", out);
                    out.extend_from_slice(color.as_bytes());
                    self.tag_close("rPr", out);
                    return;
                }
                out.extend_from_slice(self.bytes(node.start, node.head_end));
                let mut at = node.head_end;
                let mut placed = false;
                for &c in &node.children {
                    let child = &self.part.nodes[c];
                    out.extend_from_slice(self.bytes(at, child.start));
                    at = child.end;
                    if child.name == "w:color" {
                        continue;
                    }
                    if !placed && AFTER_COLOR.contains(&child.name.as_str()) {
                        out.extend_from_slice(color.as_bytes());
                        placed = true;
                    }
                    out.extend_from_slice(self.bytes(child.start, child.end));
                }
                if !placed {
                    out.extend_from_slice(color.as_bytes());
                }
                out.extend_from_slice(self.bytes(at, node.end));
            }
        }
    }

    fn qualified_prefix(&self) -> String {
        if self.part.prefix.is_empty() {
            String::new()
        } else {
            format!("{}:", self.part.prefix)
        }
    }

    fn inline(
        &self,
        para: &Para,
        inlines: &[Inline],
        base: Option<usize>,
        copy: bool,
        out: &mut Vec<u8>,
    ) {
        for inline in inlines {
            match inline {
                Inline::Text(text) => {
                    if text.is_empty() {
                        continue;
                    }
                    self.tag_open("r", out);
                    self.run_properties(base, copy, out);
                    let prefix = self.qualified_prefix();
                    out.extend_from_slice(format!("<{prefix}t xml:space=\"preserve\">").as_bytes());
                    escape_text(text, out);
                    self.tag_close("t", out);
                    self.tag_close("r", out);
                }
                Inline::Span(k, children) => match &para.tags[*k] {
                    Tag::Format(rpr) => self.inline(para, children, *rpr, copy, out),
                    Tag::Wrapper {
                        node,
                        open_end,
                        base,
                    } => {
                        let n = &self.part.nodes[*node];
                        out.extend_from_slice(self.bytes(n.start, *open_end));
                        self.inline(para, children, *base, copy, out);
                        out.extend_from_slice(self.bytes(n.tail_start, n.end));
                    }
                    // Never spans: kept whole.
                    Tag::RunAtom { .. } | Tag::Nodes { .. } => self.atom(para, *k, copy, out),
                },
                Inline::Atom(k) => self.atom(para, *k, copy, out),
            }
        }
    }

    fn atom(&self, para: &Para, k: usize, copy: bool, out: &mut Vec<u8>) {
        match &para.tags[k] {
            Tag::RunAtom { rpr, node } => {
                let name = self.part.nodes[*node].name.as_str();
                if copy && !matches!(name, "w:tab" | "w:br" | "w:cr") {
                    return;
                }
                self.tag_open("r", out);
                out.extend_from_slice(rpr_bytes(self.part, *rpr));
                if copy {
                    let n = &self.part.nodes[*node];
                    out.extend_from_slice(self.bytes(n.start, n.end));
                } else {
                    self.node(*node, out);
                }
                self.tag_close("r", out);
            }
            Tag::Nodes { first, last } if !copy => {
                let parent_children = self.sibling_range(*first, *last);
                for n in parent_children {
                    self.node(n, out);
                }
            }
            Tag::Wrapper { node, .. } if !copy => self.node(*node, out),
            _ => {}
        }
    }

    /// The nodes from `first` to `last`, siblings in the same parent.
    fn sibling_range(&self, first: usize, last: usize) -> Vec<usize> {
        if first == last {
            return vec![first];
        }
        // Node indices are in document order and siblings between first and last are
        // exactly the nodes in that range whose start lies between theirs and that are not
        // inside another of them.
        let start = self.part.nodes[first].start;
        let end = self.part.nodes[last].end;
        let mut out = Vec::new();
        let mut after = 0;
        for n in first..=last {
            let node = &self.part.nodes[n];
            if node.start >= start && node.end <= end && node.start >= after {
                out.push(n);
                after = node.end;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn style_names_give_kinds() {
        assert_eq!(
            kind_of_style("heading 2", None),
            (BlockKind::Heading, Some(2))
        );
        assert_eq!(
            kind_of_style("Heading1", None),
            (BlockKind::Heading, Some(1))
        );
        assert_eq!(kind_of_style("Title", None), (BlockKind::Heading, Some(1)));
        assert_eq!(kind_of_style("Caption", None), (BlockKind::Caption, None));
        assert_eq!(
            kind_of_style("正文", Some(0)),
            (BlockKind::Heading, Some(1))
        );
        assert_eq!(kind_of_style("Normal", None), (BlockKind::Paragraph, None));
    }
}

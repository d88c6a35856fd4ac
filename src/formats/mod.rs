//! Article files with structure: HTML pages ([`html`]) and Word documents ([`docx`]).
//!
//! Either is read into blocks of inline content ([`RichBlock`]), which become segments with
//! placeholders for their inline markup ([`crate::inline`]); the pipeline translates them like
//! any other segments, and [`StructuredDocument::write`] puts the translations back into the
//! same file format, structure and formatting kept. Plain text and Markdown stay with
//! [`crate::document`]; [`read_path`] decides which reader a file needs.

pub mod docx;
pub mod html;

use crate::document::{Document, DocumentError};
use crate::inline::{self, Inline, MarkedSentence};
use crate::model::{Bitext, BlockKind, FlagCode, Segment, SegmentId};
use crate::pipeline::Article;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// A block of a structured document: its kind and inline content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RichBlock {
    pub kind: BlockKind,
    /// Heading level 1-6, when known.
    pub level: Option<u8>,
    pub inlines: Vec<Inline>,
}

/// How a translated document shows the translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// The text replaced by its translation.
    #[default]
    Translated,
    /// Each block followed by its translation in a lighter style.
    Interleaved,
}

impl Layout {
    pub fn parse(name: &str) -> Option<Layout> {
        match name {
            "translated" => Some(Layout::Translated),
            "interleaved" => Some(Layout::Interleaved),
            _ => None,
        }
    }
}

/// Why a structured file could not be read or written. One line, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("{name}: cannot read: {source}")]
    Io {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{name}: {detail}")]
    Corrupt { name: String, detail: String },
    #[error("{name}: {part}: byte offset {offset}: bad XML: {detail}")]
    Xml {
        name: String,
        part: String,
        offset: usize,
        detail: String,
    },
    #[error(
        "{name}: encrypted (password-protected) Word document; remove the password (File > Info > Protect Document) and save it again"
    )]
    Encrypted { name: String },
    #[error(
        "{name}: old binary Word format (.doc); open it in Word or LibreOffice and save it as .docx"
    )]
    LegacyDoc { name: String },
    #[error("{name}: byte offset {offset}: NUL byte: this looks like a binary file, not HTML")]
    Binary { name: String, offset: usize },
    #[error("{name}: not valid {encoding}, the encoding its <meta charset> declares")]
    Decode { name: String, encoding: String },
    #[error("{name}: no text to translate")]
    Empty { name: String },
    #[error(transparent)]
    Text(#[from] DocumentError),
}

/// Which reader a structured document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Html,
    Docx,
}

impl Kind {
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Html => "html",
            Kind::Docx => "docx",
        }
    }
}

#[derive(Debug, Clone)]
enum Body {
    Html(Box<html::HtmlDocument>),
    Docx(Box<docx::DocxDocument>),
}

/// An HTML page or a Word document read into blocks, ready to be split, translated and
/// written back.
#[derive(Debug, Clone)]
pub struct StructuredDocument {
    name: String,
    body: Body,
    /// The sentences of each block, with placeholders.
    sentences: Vec<Vec<MarkedSentence>>,
}

impl StructuredDocument {
    fn new(name: &str, body: Body) -> Result<StructuredDocument, FormatError> {
        let blocks = match &body {
            Body::Html(d) => &d.blocks,
            Body::Docx(d) => &d.blocks,
        };
        let sentences: Vec<Vec<MarkedSentence>> = blocks
            .iter()
            .map(|b| inline::segment(&b.inlines, b.kind != BlockKind::Paragraph))
            .collect();
        if sentences.iter().all(Vec::is_empty) {
            return Err(FormatError::Empty { name: name.into() });
        }
        Ok(StructuredDocument {
            name: name.into(),
            body,
            sentences,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> Kind {
        match self.body {
            Body::Html(_) => Kind::Html,
            Body::Docx(_) => Kind::Docx,
        }
    }

    pub fn blocks(&self) -> &[RichBlock] {
        match &self.body {
            Body::Html(d) => &d.blocks,
            Body::Docx(d) => &d.blocks,
        }
    }

    /// The first heading's text (a page's `<title>` counts), as a title.
    pub fn title(&self) -> Option<String> {
        let blocks = self.blocks();
        let heading = blocks.iter().find(|b| b.kind == BlockKind::Heading);
        heading
            .or(blocks.first())
            .map(|b| inline::plain_text(&b.inlines).trim().to_string())
    }

    /// The segments to translate: `b{block}.s{sentence}` in reading order, each sentence's
    /// text with placeholders for its inline markup. The same file always gives the same ids.
    pub fn segments(&self) -> Vec<Segment> {
        let mut segments = Vec::new();
        for (b, (block, sentences)) in self.blocks().iter().zip(&self.sentences).enumerate() {
            let number = u32::try_from(b + 1).unwrap_or(u32::MAX);
            for (s, sentence) in sentences.iter().enumerate() {
                segments.push(Segment {
                    id: SegmentId::new(number, u32::try_from(s + 1).unwrap_or(u32::MAX)),
                    block: number,
                    kind: block.kind,
                    text: sentence.text.clone(),
                    // HTML and DOCX have no source lines to point at; the id names the place.
                    line: 0,
                });
            }
        }
        segments
    }

    /// The document as a pipeline article.
    pub fn article(&self) -> Article {
        Article {
            name: self.name.clone(),
            title: self.title(),
            segments: self.segments(),
        }
    }

    /// Writes the translated document in its own format from the run's bitext (the one with
    /// placeholders, as the pipeline returns it). A sentence without a usable translation (it
    /// failed) keeps its source text; one whose placeholders do not check keeps its text and
    /// loses only its inline formatting. The result is always a valid file.
    pub fn write(&self, bitext: &Bitext, layout: Layout) -> Result<Vec<u8>, FormatError> {
        let by_id: HashMap<&str, &str> = bitext
            .pairs
            .iter()
            .filter(|p| !p.flags.iter().any(|f| f.code == FlagCode::Failed))
            .map(|p| (p.id.as_str(), p.target.as_str()))
            .collect();
        let translations: Vec<Vec<Option<&str>>> = self
            .sentences
            .iter()
            .enumerate()
            .map(|(b, sentences)| {
                (0..sentences.len())
                    .map(|s| {
                        let id = SegmentId::new(b as u32 + 1, s as u32 + 1).to_string();
                        by_id.get(id.as_str()).copied()
                    })
                    .collect()
            })
            .collect();
        match &self.body {
            Body::Html(d) => {
                Ok(d.write(&self.sentences, &translations, layout, &bitext.target_lang))
            }
            Body::Docx(d) => d.write(&self.sentences, &translations, layout),
        }
    }
}

/// An input file: plain text (or Markdown), or a structured document.
#[derive(Debug, Clone)]
pub enum Input {
    Text(Document),
    Structured(StructuredDocument),
}

impl Input {
    pub fn name(&self) -> &str {
        match self {
            Input::Text(d) => &d.name,
            Input::Structured(d) => d.name(),
        }
    }

    /// The input as a pipeline article (split into segments).
    pub fn article(&self) -> Article {
        match self {
            Input::Text(d) => Article::from_document(d),
            Input::Structured(d) => d.article(),
        }
    }

    pub fn structured(&self) -> Option<&StructuredDocument> {
        match self {
            Input::Structured(d) => Some(d),
            Input::Text(_) => None,
        }
    }
}

/// Reads a file (or standard input for `-`) with the reader its name or content calls for:
/// `.docx` (or a ZIP holding `word/document.xml`) as Word, `.html`/`.htm`/`.xhtml` (or text
/// starting with `<!DOCTYPE html` / `<html`) as HTML, anything else as text. Old `.doc` files
/// and encrypted Word files are refused with a one-line reason.
pub fn read_path(path: &Path) -> Result<Input, FormatError> {
    let name = path.display().to_string();
    if name == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|source| FormatError::Io {
                name: "<stdin>".into(),
                source,
            })?;
        return read_bytes("<stdin>", bytes, None);
    }
    if path.is_dir() {
        return Err(DocumentError::IsDirectory { name }.into());
    }
    let bytes = std::fs::read(path).map_err(|source| FormatError::Io {
        name: name.clone(),
        source,
    })?;
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    read_bytes(&name, bytes, extension.as_deref())
}

/// Reads bytes with the reader the extension (lower case, without the dot) or the content
/// calls for; `name` is used in messages.
pub fn read_bytes(
    name: &str,
    bytes: Vec<u8>,
    extension: Option<&str>,
) -> Result<Input, FormatError> {
    let is_zip = bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06");
    let word_name = matches!(extension, Some("docx" | "docm" | "dotx" | "dotm"));
    if bytes.starts_with(docx::OLE_MAGIC) {
        return Err(docx::ole_error(name, &bytes));
    }
    if word_name || (is_zip && docx::is_docx(&bytes)) {
        let document = docx::read(name, bytes)?;
        return Ok(Input::Structured(StructuredDocument::new(
            name,
            Body::Docx(Box::new(document)),
        )?));
    }
    if extension == Some("doc") && bytes.starts_with(b"{\\rtf") {
        return Err(FormatError::Corrupt {
            name: name.into(),
            detail: "an RTF file named .doc; save it as .docx".into(),
        });
    }
    let html_name = matches!(extension, Some("html" | "htm" | "xhtml"));
    if html_name || html::sniff(&bytes) {
        let text = html::decode(name, bytes)?;
        let document = html::parse(&text);
        return Ok(Input::Structured(StructuredDocument::new(
            name,
            Body::Html(Box::new(document)),
        )?));
    }
    Ok(Input::Text(crate::document::parse_bytes(name, bytes)?))
}

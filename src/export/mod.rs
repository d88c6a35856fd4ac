//! Exporters: each format is a pure function of a [`Bitext`] (and [`ExportOptions`]) to text.
//!
//! | format | module | notes |
//! | --- | --- | --- |
//! | JSON `bitext/1` | [`json`] | the canonical, lossless form |
//! | HTML | [`html`] | one self-contained side-by-side page (minijinja template) |
//! | TSV | [`tsv`] | id, block, kind, source, target, flags; also a plain source/target form |
//! | TMX 1.4b | [`tmx`] | one `<tu>` per pair |
//! | XLIFF 2.1 | [`xliff`] | one `<unit>` per block, one `<segment>` per pair |
//! | XLIFF 1.2 | [`xliff12`] | a `<group>` per block, one `<trans-unit>` per pair |
//! | Markdown | [`markdown`] | the article with each sentence (or paragraph) then its translation |
//!
//! The formats are documented in `docs/formats.md`.

use crate::model::Bitext;
pub use json::JsonError;
use std::fmt;

pub mod bilingual;
pub mod html;
pub mod json;
pub mod markdown;
mod notes;
pub mod tmx;
pub mod tsv;
pub mod xliff;
pub mod xliff12;
pub(crate) mod xml;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Html,
    /// id, block, kind, source, target, flags with a header row.
    Tsv,
    /// Just `source<TAB>target`, no header, for spreadsheets and corpus tools.
    TsvPlain,
    Json,
    Tmx,
    /// XLIFF 2.1.
    Xliff,
    /// XLIFF 1.2, what most CAT tools exchange.
    Xliff12,
    Markdown,
}

impl Format {
    /// Every format, in documentation order.
    pub const ALL: [Format; 8] = [
        Format::Json,
        Format::Html,
        Format::Tsv,
        Format::TsvPlain,
        Format::Tmx,
        Format::Xliff,
        Format::Xliff12,
        Format::Markdown,
    ];

    /// The name used on the command line (`-f NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Tsv => "tsv",
            Format::TsvPlain => "tsv-plain",
            Format::Json => "json",
            Format::Tmx => "tmx",
            Format::Xliff => "xliff",
            Format::Xliff12 => "xliff12",
            Format::Markdown => "md",
        }
    }

    /// The usual file extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Tsv | Format::TsvPlain => "tsv",
            Format::Json => "json",
            Format::Tmx => "tmx",
            Format::Xliff | Format::Xliff12 => "xlf",
            Format::Markdown => "md",
        }
    }

    /// Parses a format name as given to `-f` (case-insensitive; a few aliases).
    pub fn from_name(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "html" | "htm" => Some(Format::Html),
            "tsv" => Some(Format::Tsv),
            "tsv-plain" | "plain" | "tsvplain" => Some(Format::TsvPlain),
            "json" => Some(Format::Json),
            "tmx" => Some(Format::Tmx),
            "xliff" | "xlf" | "xlif" | "xliff2" | "xliff21" => Some(Format::Xliff),
            "xliff12" | "xliff1" | "xlf12" => Some(Format::Xliff12),
            "md" | "markdown" => Some(Format::Markdown),
            _ => None,
        }
    }

    /// The format for a file extension (`html`, `htm`, `tsv`, `json`, `tmx`, `xlf`, `xliff`,
    /// `md`, `markdown`; case-insensitive, with or without the dot). `tsv` is [`Format::Tsv`].
    pub fn from_extension(extension: &str) -> Option<Format> {
        let ext = extension.strip_prefix('.').unwrap_or(extension);
        match ext.to_ascii_lowercase().as_str() {
            "tsv-plain" | "plain" => None,
            other => Format::from_name(other),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the Markdown export lays out the two languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MdLayout {
    /// Each source sentence, then its translation.
    #[default]
    Sentence,
    /// Each source paragraph, then the translated paragraph.
    Paragraph,
}

impl MdLayout {
    pub fn from_name(name: &str) -> Option<MdLayout> {
        match name {
            "sentence" => Some(MdLayout::Sentence),
            "paragraph" => Some(MdLayout::Paragraph),
            _ => None,
        }
    }
}

/// A user template for the HTML export (`--template FILE`): its name (for error messages)
/// and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub source: String,
}

/// Options of the exporters. `Default` gives the built-in template and sentence layout.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportOptions {
    /// Replaces the built-in HTML template.
    pub template: Option<Template>,
    pub md_layout: MdLayout,
}

/// Errors of the exporters and of the readers of exported files. Each is one line naming the
/// file and the place.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The HTML template could not be compiled or rendered.
    #[error("{name}:{line}: template error: {message}")]
    Template {
        name: String,
        line: usize,
        message: String,
    },
    /// A file being read back (TSV, TMX, XLIFF) is malformed.
    #[error("{name}:{line}: {message}")]
    Parse {
        name: String,
        line: usize,
        message: String,
    },
    #[error(transparent)]
    Json(#[from] JsonError),
}

/// Renders `bitext` in `format`. Pure: the result depends only on the arguments.
pub fn render(
    bitext: &Bitext,
    format: Format,
    options: &ExportOptions,
) -> Result<String, ExportError> {
    Ok(match format {
        Format::Html => html::render(bitext, options.template.as_ref())?,
        Format::Tsv => tsv::render(bitext),
        Format::TsvPlain => tsv::render_plain(bitext),
        Format::Json => json::render(bitext),
        Format::Tmx => tmx::render(bitext),
        Format::Xliff => xliff::render(bitext),
        Format::Xliff12 => xliff12::render(bitext),
        Format::Markdown => markdown::render(bitext, options.md_layout),
    })
}

/// Reads a bitext back from a file's text, choosing the reader by `format`: JSON, TSV, TMX or
/// XLIFF (the formats that keep pairs). `name` is used in error messages.
pub fn read(text: &str, format: Format, name: &str) -> Result<Bitext, ExportError> {
    match format {
        Format::Json => Ok(json::read(text, name)?),
        Format::Tsv => tsv::read(text, name),
        Format::Tmx => tmx::read(text, name),
        Format::Xliff => xliff::read(text, name),
        Format::Xliff12 => xliff12::read(text, name),
        Format::TsvPlain => tsv::read_plain(text, name),
        other => Err(ExportError::Parse {
            name: name.to_string(),
            line: 1,
            message: format!(
                "cannot read the {other} format back (use json, tsv, tsv-plain, tmx, xliff or xliff12)"
            ),
        }),
    }
}

/// The 1-based line number of a byte offset in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_from_names_and_extensions() {
        for format in Format::ALL {
            assert_eq!(Format::from_name(format.name()), Some(format));
        }
        assert_eq!(Format::from_extension("xlf"), Some(Format::Xliff));
        assert_eq!(Format::from_extension(".HTML"), Some(Format::Html));
        assert_eq!(Format::from_extension("tsv"), Some(Format::Tsv));
        assert_eq!(Format::from_extension("markdown"), Some(Format::Markdown));
        assert_eq!(Format::from_extension("txt"), None);
        assert_eq!(Format::from_extension("plain"), None);
    }

    #[test]
    fn line_of_counts_newlines() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }
}

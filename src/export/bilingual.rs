//! The one reader for bilingual files: every format bitext writes that keeps pairs — its
//! JSON, TSV (with a header naming `source` and `target`), plain `source<TAB>target` TSV,
//! TMX, XLIFF 2.x and XLIFF 1.2 — recognised by content (the extension only names the format
//! when the content says nothing, e.g. an empty file), then the language sides settled.
//!
//! bitext pairs a Chinese source with its translation. Files from other tools sometimes
//! label the sides wrongly (translate-toolkit's `po2tmx` writes `srclang="en"` whatever the
//! PO's language): when the Han share of the text shows the Chinese on the side the file calls
//! the target, or a Chinese language code on the side that is not Chinese, the reader puts the
//! Chinese text on the source side with a Chinese code, and returns a [`ReadWarning`] saying
//! so (the library never prints; the CLI does).

use super::{ExportError, Format, json, tmx, tsv, xliff, xliff12};
use crate::model::Bitext;
use crate::text::han_share;
use std::fmt;

/// The formats [`read`] accepts, for messages.
pub const READABLE: &str = "bitext JSON, TSV with a source/target header, plain source<TAB>target TSV, TMX, XLIFF 2.x, XLIFF 1.2";

/// A bilingual file as read: the bitext, the format it was in, and what the reader changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub bitext: Bitext,
    pub format: Format,
    pub warnings: Vec<ReadWarning>,
}

/// Something the reader decided against what the file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadWarning {
    /// The file's target side holds the Chinese text: sources and targets were swapped.
    SidesSwapped {
        name: String,
        /// The source language the file declared.
        declared_source: String,
    },
    /// The Chinese text is on the source side but the file labels it otherwise.
    SourceRelabelled {
        name: String,
        declared_source: String,
        source: String,
    },
}

impl fmt::Display for ReadWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadWarning::SidesSwapped {
                name,
                declared_source,
            } => write!(
                f,
                "{name}: the Chinese text is on the side the file calls the target (declared source language {declared_source:?}): read with sides swapped, Chinese as the source"
            ),
            ReadWarning::SourceRelabelled {
                name,
                declared_source,
                source,
            } => write!(
                f,
                "{name}: the source side is Chinese but labelled {declared_source:?}: read as {source:?}"
            ),
        }
    }
}

/// Recognises the format from the text (and, when the text says nothing, the extension).
pub fn detect(text: &str, extension: Option<&str>) -> Option<Format> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let start = text.trim_start();
    if start.starts_with('{') {
        return Some(Format::Json);
    }
    if start.starts_with('<') {
        return detect_xml(start);
    }
    if start.is_empty() {
        return extension
            .and_then(Format::from_extension)
            .filter(|f| readable(*f));
    }
    let first = text.lines().next().unwrap_or("");
    if tsv::is_header(first) {
        return Some(Format::Tsv);
    }
    let plain = text
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty())
        .all(|l| l.split('\t').count() == 2);
    plain.then_some(Format::TsvPlain)
}

/// The root element decides: `<tmx>`, or `<xliff>` with its version (`1.x` or the 1.2
/// namespace: XLIFF 1.2; otherwise XLIFF 2).
fn detect_xml(text: &str) -> Option<Format> {
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event().ok()? {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let root = e.local_name().as_ref().to_string();
                return match root.as_str() {
                    "tmx" => Some(Format::Tmx),
                    "xliff" => {
                        let value = |key: &str| {
                            e.attributes()
                                .flatten()
                                .find(|a| a.key.as_ref() == key)
                                .map(|a| a.value.as_ref().to_string())
                        };
                        let version = value("version").unwrap_or_default();
                        let namespace = value("xmlns").unwrap_or_default();
                        if version.starts_with('1') || namespace.ends_with(":1.2") {
                            Some(Format::Xliff12)
                        } else {
                            Some(Format::Xliff)
                        }
                    }
                    _ => None,
                };
            }
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    }
}

fn readable(format: Format) -> bool {
    !matches!(format, Format::Html | Format::Markdown)
}

/// Reads a bilingual file's text in whatever format it is (see the module documentation).
/// `name` is used in messages; `extension` (without the dot) helps only when the content says
/// nothing. A file in none of the formats is an error naming them.
pub fn read(text: &str, name: &str, extension: Option<&str>) -> Result<Loaded, ExportError> {
    if text.trim_start_matches('\u{FEFF}').trim().is_empty() {
        return Err(ExportError::Parse {
            name: name.to_string(),
            line: 1,
            message: format!("empty file: not a bilingual file bitext reads ({READABLE})"),
        });
    }
    let Some(format) = detect(text, extension) else {
        return Err(ExportError::Parse {
            name: name.to_string(),
            line: 1,
            message: format!("not a bilingual file bitext reads ({READABLE})"),
        });
    };
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut bitext = match format {
        Format::Json => json::read(text, name)?,
        Format::Tsv => tsv::read(text, name)?,
        Format::TsvPlain => tsv::read_plain(text, name)?,
        Format::Tmx => tmx::read(text, name)?,
        Format::Xliff => xliff::read(text, name)?,
        Format::Xliff12 => xliff12::read(text, name)?,
        Format::Html | Format::Markdown => unreachable!("detect never returns these"),
    };
    let warnings = settle_sides(&mut bitext, name);
    Ok(Loaded {
        bitext,
        format,
        warnings,
    })
}

/// Which side of a bitext is Chinese, by the share of Han characters among the letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Source,
    Target,
}

/// The Chinese side when the content is clear about it: one side at least 30 % Han, the other
/// at most 10 % (a translation keeps a few Han names; a Chinese text has a few Latin words).
fn chinese_side(bitext: &Bitext) -> Option<Side> {
    let source = han_share(bitext.pairs.iter().map(|p| p.source.as_str()));
    let target = han_share(bitext.pairs.iter().map(|p| p.target.as_str()));
    if source >= 0.3 && target <= 0.1 {
        Some(Side::Source)
    } else if target >= 0.3 && source <= 0.1 {
        Some(Side::Target)
    } else {
        None
    }
}

fn is_chinese_code(lang: &str) -> bool {
    let primary = lang.split(['-', '_']).next().unwrap_or("");
    primary.eq_ignore_ascii_case("zh")
}

/// Puts the Chinese text on the source side with a Chinese language code (see the module
/// documentation). Swapping sides drops term hits, whose spans would point into the wrong text.
fn settle_sides(bitext: &mut Bitext, name: &str) -> Vec<ReadWarning> {
    let mut warnings = Vec::new();
    let Some(side) = chinese_side(bitext) else {
        return warnings;
    };
    if side == Side::Target {
        warnings.push(ReadWarning::SidesSwapped {
            name: name.to_string(),
            declared_source: bitext.source_lang.clone(),
        });
        for pair in &mut bitext.pairs {
            std::mem::swap(&mut pair.source, &mut pair.target);
            pair.terms.clear();
        }
        std::mem::swap(&mut bitext.source_lang, &mut bitext.target_lang);
    }
    if !is_chinese_code(&bitext.source_lang) {
        let declared = bitext.source_lang.clone();
        if is_chinese_code(&bitext.target_lang) {
            std::mem::swap(&mut bitext.source_lang, &mut bitext.target_lang);
        } else {
            bitext.source_lang = "zh".to_string();
        }
        if side == Side::Source {
            warnings.push(ReadWarning::SourceRelabelled {
                name: name.to_string(),
                declared_source: declared,
                source: bitext.source_lang.clone(),
            });
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmx(srclang: &str, tuvs: &[(&str, &str)]) -> String {
        let mut text = format!(
            "<?xml version=\"1.0\"?>\n<tmx version=\"1.4\"><header srclang=\"{srclang}\" datatype=\"PlainText\" segtype=\"sentence\" adminlang=\"en\" o-tmf=\"x\" creationtool=\"x\" creationtoolversion=\"1\"/><body>\n"
        );
        for pair in tuvs.chunks(2) {
            text.push_str("<tu>");
            for (lang, seg) in pair {
                text.push_str(&format!("<tuv xml:lang=\"{lang}\"><seg>{seg}</seg></tuv>"));
            }
            text.push_str("</tu>\n");
        }
        text.push_str("</body></tmx>\n");
        text
    }

    #[test]
    fn formats_are_recognised_by_content() {
        assert_eq!(
            detect("{\"format\":\"bitext/1\"}", None),
            Some(Format::Json)
        );
        assert_eq!(
            detect(
                "<?xml version=\"1.0\"?>\n<!DOCTYPE tmx SYSTEM \"tmx14.dtd\">\n<tmx version=\"1.4\"/>",
                Some("xml")
            ),
            Some(Format::Tmx)
        );
        assert_eq!(
            detect("<xliff version=\"1.2\"/>", None),
            Some(Format::Xliff12)
        );
        assert_eq!(
            detect(
                "<xliff xmlns=\"urn:oasis:names:tc:xliff:document:1.2\"/>",
                None
            ),
            Some(Format::Xliff12)
        );
        assert_eq!(
            detect("<xliff version=\"2.1\"/>", Some("xlf")),
            Some(Format::Xliff)
        );
        assert_eq!(
            detect("\u{FEFF}id\tsource\ttarget\n", None),
            Some(Format::Tsv)
        );
        assert_eq!(detect("Source\tTarget\tnote\n", None), Some(Format::Tsv));
        assert_eq!(
            detect("你好。\tHello.\n\n再见。\tBye.\r\n", None),
            Some(Format::TsvPlain)
        );
        assert_eq!(detect("", Some("tmx")), Some(Format::Tmx));
        assert_eq!(detect("", Some("md")), None);
        assert_eq!(detect("# A title\n\nSome text.\n", Some("md")), None);
        assert_eq!(detect("<html></html>", None), None);
    }

    #[test]
    fn an_unknown_file_names_the_formats() {
        let e = read("# Title\n\ntext\n", "a.md", Some("md"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!("a.md:1: not a bilingual file bitext reads ({READABLE})")
        );
    }

    #[test]
    fn chinese_on_the_target_side_is_swapped_back() {
        // Correct tuv labels, wrong header (srclang="en").
        let text = tmx(
            "en",
            &[
                ("zh-CN", "两江新区位于重庆。"),
                ("en", "Liangjiang New Area is in Chongqing."),
                ("en", "It grows."),
                ("zh-CN", "它在发展。"),
            ],
        );
        let loaded = read(&text, "po.tmx", Some("tmx")).unwrap();
        let b = &loaded.bitext;
        assert_eq!(
            (b.source_lang.as_str(), b.target_lang.as_str()),
            ("zh-CN", "en")
        );
        assert_eq!(b.pairs[0].source, "两江新区位于重庆。");
        assert_eq!(b.pairs[1].target, "It grows.");
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert!(
            loaded.warnings[0]
                .to_string()
                .starts_with("po.tmx: the Chinese text is on the side the file calls the target")
        );
    }

    #[test]
    fn a_mislabelled_chinese_source_is_relabelled() {
        // po2tmx --source-language en -l zh on a zh→en PO: the Chinese is labelled en.
        let text = tmx(
            "en",
            &[
                ("en", "两江新区位于重庆。"),
                ("zh", "Liangjiang New Area is in Chongqing."),
            ],
        );
        let loaded = read(&text, "po.tmx", None).unwrap();
        let b = &loaded.bitext;
        assert_eq!(
            (b.source_lang.as_str(), b.target_lang.as_str()),
            ("zh", "en")
        );
        assert_eq!(b.pairs[0].source, "两江新区位于重庆。");
        assert_eq!(loaded.warnings.len(), 1);
        assert_eq!(
            loaded.warnings[0].to_string(),
            "po.tmx: the source side is Chinese but labelled \"en\": read as \"zh\""
        );
    }

    #[test]
    fn a_consistent_file_reads_without_warning() {
        let text = tmx(
            "zh-CN",
            &[
                ("zh-CN", "两江新区位于重庆。"),
                ("en", "Liangjiang New Area is in Chongqing."),
            ],
        );
        let loaded = read(&text, "ok.tmx", None).unwrap();
        assert!(loaded.warnings.is_empty());
        // No clear Chinese side (both English): left as the file says.
        let loaded = read("a\tb\nc\td\n", "x.tsv", None).unwrap();
        assert!(loaded.warnings.is_empty());
        assert_eq!(loaded.bitext.source_lang, "zh-CN");
    }
}

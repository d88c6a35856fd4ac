//! The shared data model: a [`Bitext`] is what every entrance (translate, align) produces and
//! what every exporter and checker reads. Its JSON form (`"format": "bitext/1"`) is this
//! structure serialised with serde, written and read by `export::json`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A glossary term as it applies to one segment: the Chinese form and the English rendering
/// to use there. The term planner makes them, backends send them, the checker verifies them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TermPair {
    pub source: String,
    pub target: String,
}

/// Kind of a block of the source article (SEGMENTATION.md B3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockKind {
    Heading,
    Paragraph,
    Byline,
    Caption,
}

impl BlockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Heading => "heading",
            BlockKind::Paragraph => "paragraph",
            BlockKind::Byline => "byline",
            BlockKind::Caption => "caption",
        }
    }

    /// Parses the lower-case name used in JSON and TSV.
    pub fn parse(name: &str) -> Option<BlockKind> {
        match name {
            "heading" => Some(BlockKind::Heading),
            "paragraph" => Some(BlockKind::Paragraph),
            "byline" => Some(BlockKind::Byline),
            "caption" => Some(BlockKind::Caption),
            _ => None,
        }
    }
}

impl fmt::Display for BlockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stable id of a sentence: block number and sentence number inside the block, both from 1,
/// written `b12.s3`. The same file always yields the same ids (they depend only on the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SegmentId {
    pub block: u32,
    pub sentence: u32,
}

impl SegmentId {
    pub fn new(block: u32, sentence: u32) -> Self {
        SegmentId { block, sentence }
    }

    /// Parses `b12.s3`.
    pub fn parse(text: &str) -> Option<SegmentId> {
        let rest = text.strip_prefix('b')?;
        let (block, sentence) = rest.split_once(".s")?;
        Some(SegmentId {
            block: block.parse().ok()?,
            sentence: sentence.parse().ok()?,
        })
    }
}

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b{}.s{}", self.block, self.sentence)
    }
}

impl Serialize for SegmentId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SegmentId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        SegmentId::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("bad segment id {text:?}")))
    }
}

/// One sentence of a block (or a whole heading, byline or caption), with its stable id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub id: SegmentId,
    /// Logical block number, from 1 (SEGMENTATION.md B2).
    pub block: u32,
    pub kind: BlockKind,
    /// Exactly the source characters (SEGMENTATION.md T1).
    pub text: String,
    /// First line of the block in the source file, from 1 (for messages).
    pub line: u32,
}

/// A half-open range of UTF-8 byte offsets into a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// A glossary term found in a pair: where in the source, and where its rendering is in the
/// target when found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermHit {
    /// The glossary entry's `source` form (the key of the term).
    pub term: String,
    /// The rendering the glossary asks for at this occurrence (`first` or `target`).
    pub expected: String,
    pub source_span: Span,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_span: Option<Span>,
}

/// How serious a flag is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// What a flag says about a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagCode {
    /// A glossary term of the source has none of its renderings in the target.
    MissingTerm,
    /// The first mention of a term does not use the entry's `first` form.
    FirstMention,
    /// A number, percentage or date of the source is missing from the target.
    NumberMismatch,
    /// Han characters were left in the target.
    Untranslated,
    EmptyTarget,
    LengthRatio,
    /// The same sentence repeated inside the target (a known NMT failure).
    Repetition,
    IdenticalToSource,
    /// The segment could not be translated (backend failure kept as a flag).
    Failed,
    /// An alignment link with low confidence.
    LowConfidence,
}

impl FlagCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagCode::MissingTerm => "missing_term",
            FlagCode::FirstMention => "first_mention",
            FlagCode::NumberMismatch => "number_mismatch",
            FlagCode::Untranslated => "untranslated",
            FlagCode::EmptyTarget => "empty_target",
            FlagCode::LengthRatio => "length_ratio",
            FlagCode::Repetition => "repetition",
            FlagCode::IdenticalToSource => "identical_to_source",
            FlagCode::Failed => "failed",
            FlagCode::LowConfidence => "low_confidence",
        }
    }

    pub fn parse(name: &str) -> Option<FlagCode> {
        const ALL: [FlagCode; 10] = [
            FlagCode::MissingTerm,
            FlagCode::FirstMention,
            FlagCode::NumberMismatch,
            FlagCode::Untranslated,
            FlagCode::EmptyTarget,
            FlagCode::LengthRatio,
            FlagCode::Repetition,
            FlagCode::IdenticalToSource,
            FlagCode::Failed,
            FlagCode::LowConfidence,
        ];
        ALL.into_iter().find(|code| code.as_str() == name)
    }
}

impl fmt::Display for FlagCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A glossary violation or a QA warning attached to a pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub code: FlagCode,
    pub severity: Severity,
    /// One line for people, e.g. `missing "Liangjiang New Area" for 两江新区`.
    pub message: String,
    /// For glossary flags: the term's source form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    /// For glossary flags: the rendering that was expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}

/// Where a pair's target came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Origin {
    Translated {
        backend: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
        cached: bool,
    },
    Aligned {
        score: f64,
        /// 0-based indices of the source sentences in this link.
        src: Vec<usize>,
        /// 0-based indices of the target sentences in this link.
        tgt: Vec<usize>,
    },
    Manual,
}

/// A source sentence (or several, for a many-to-many alignment link) and its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    /// `b12.s3`, or `b12.s3+s4` for a link that merges sentences, or `t7` for a target
    /// sentence with no source.
    pub id: String,
    pub block: u32,
    pub kind: BlockKind,
    pub source: String,
    pub target: String,
    #[serde(default)]
    pub terms: Vec<TermHit>,
    #[serde(default)]
    pub flags: Vec<Flag>,
    pub origin: Origin,
}

/// Who produced a bitext and from what.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Meta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aligner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glossary_digest: Option<String>,
    /// RFC 3339 time of creation.
    #[serde(default)]
    pub created: String,
    /// `bitext 0.1.0`.
    #[serde(default)]
    pub tool: String,
}

/// A bilingual document: every source sentence paired with its target, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bitext {
    pub source_lang: String,
    pub target_lang: String,
    pub meta: Meta,
    pub pairs: Vec<Pair>,
}

impl Bitext {
    pub fn new(source_lang: &str, target_lang: &str, meta: Meta) -> Self {
        Bitext {
            source_lang: source_lang.to_string(),
            target_lang: target_lang.to_string(),
            meta,
            pairs: Vec::new(),
        }
    }

    /// Number of flags of each severity over all pairs: (errors, warnings).
    pub fn flag_counts(&self) -> (usize, usize) {
        let flags = self.pairs.iter().flat_map(|p| &p.flags);
        flags.fold((0, 0), |(e, w), f| match f.severity {
            Severity::Error => (e + 1, w),
            Severity::Warning => (e, w + 1),
        })
    }
}

/// The current time as RFC 3339 (UTC), for `Meta::created`.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_id_round_trips() {
        let id = SegmentId::new(12, 3);
        assert_eq!(id.to_string(), "b12.s3");
        assert_eq!(SegmentId::parse("b12.s3"), Some(id));
        assert_eq!(SegmentId::parse("b12"), None);
        assert_eq!(SegmentId::parse("x1.s1"), None);
    }

    #[test]
    fn flag_codes_round_trip() {
        for name in ["missing_term", "number_mismatch", "low_confidence"] {
            assert_eq!(FlagCode::parse(name).unwrap().as_str(), name);
        }
    }
}

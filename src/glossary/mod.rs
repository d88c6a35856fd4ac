//! Glossaries: TOML term bases, a leftmost-longest term matcher over the source, and the
//! checker that verifies renderings in the target.
//!
//! # File format (`glossary/zh-en.toml`)
//!
//! ```toml
//! name = "zh-en"
//! source_lang = "zh-CN"
//! target_lang = "en"
//!
//! [[term]]
//! source = "上合组织"
//! target = "SCO"
//! first = "Shanghai Cooperation Organization (SCO)"
//! alternates = ["Shanghai Cooperation Organisation"]
//! note = "first mention spelled out"
//! ```
//!
//! Term keys: `source` (required), `target` (required unless `keep = true`), `first`,
//! `alternates`, `keep`, `case_sensitive`, `note`. Any other key, a wrong type or a missing
//! required key is an error reported as `FILE:LINE:COL: message`.
//!
//! Sources are compared after width folding (see [`fold`]): two entries whose sources fold
//! to the same string are the same term; in a layered glossary the later one wins.
//!
//! # First mentions
//!
//! [`plan_terms`] and [`annotate`] walk a document in order. The first occurrence of an entry
//! with a `first` form asks for (and is checked against) `first` only; later occurrences
//! accept `target`, `first` and `alternates`. Entries that share the same `first` form (上海合作组织
//! and 上合组织 both introduce "Shanghai Cooperation Organization (SCO)") share one first
//! mention.

mod check;
mod edit;
pub mod fold;
mod interchange;
mod lint;
mod matcher;
mod metrics;
mod resolve;

pub use check::{
    RenderingCache, TermUse, Violation, annotate, annotate_with, check, find_rendering,
    plan_term_uses, plan_terms,
};
pub use edit::{AddOutcome, EditError, NewTerm, add_term, add_terms, remove_term};
pub use interchange::{ExchangeFormat, Imported, export, import, import_report};
pub use lint::{Finding, lint};
pub use matcher::{Matcher, TermMatch};
pub use metrics::{SegmentTerms, TermMetrics, term_metrics};
pub use resolve::{DEFAULT_GLOSSARY, GlossaryChoice, GlossaryOrigin, resolve};

pub(crate) use crate::text::line_col;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One entry of a term base.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Term {
    /// The source-language form (the key of the entry).
    pub source: String,
    /// The rendering; `None` only for `keep` entries.
    pub target: Option<String>,
    /// The rendering for the first mention in a document (e.g. the spelled-out form).
    pub first: Option<String>,
    /// Other renderings the checker accepts.
    pub alternates: Vec<String>,
    /// Do not translate: the source form must appear as is.
    pub keep: bool,
    /// Whether the target check is case-sensitive (default: not).
    pub case_sensitive: bool,
    /// Free text for translators (why a rendering was chosen).
    pub note: Option<String>,
}

impl Term {
    /// The rendering to ask for: `first` at a first mention when the entry has one, else
    /// `target`; the source itself for `keep` entries (or when `target` is missing).
    pub fn rendering(&self, first_mention: bool) -> &str {
        if self.keep {
            return &self.source;
        }
        if first_mention && let Some(first) = &self.first {
            return first;
        }
        self.target.as_deref().unwrap_or(&self.source)
    }

    /// The width-folded source, the key that identifies the entry.
    pub fn key(&self) -> String {
        fold::fold(&self.source)
    }
}

/// Where an entry was defined: file and 1-based line of its `[[term]]` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermOrigin {
    pub file: PathBuf,
    pub line: usize,
}

/// A term base (one file, or several layered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glossary {
    pub name: String,
    pub source_lang: String,
    pub target_lang: String,
    pub terms: Vec<Term>,
    /// Where each entry of `terms` comes from (same length as `terms`; empty when built in
    /// code).
    pub origins: Vec<TermOrigin>,
}

/// A glossary file that cannot be read or is not a valid glossary. Every message is one line
/// naming the file (and line and column where there is one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlossaryError {
    #[error("{file}:{line}:{column}: {message}")]
    At {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    File { file: String, message: String },
}

impl GlossaryError {
    pub(crate) fn file(path: &Path, message: impl Into<String>) -> GlossaryError {
        GlossaryError::File {
            file: path.display().to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn at(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_col(text, offset);
        GlossaryError::At {
            file: path.display().to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// The byte offsets where lines start, so the line of many offsets is found by binary search
/// (loading a 100k-term glossary asks for the line of every `[[term]]` header).
pub(crate) struct LineStarts(Vec<usize>);

impl LineStarts {
    pub(crate) fn new(text: &str) -> LineStarts {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineStarts(starts)
    }

    /// 1-based line of a byte offset.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset).max(1)
    }
}

/// Reads a glossary file's text, with clear messages for a missing file or a directory.
/// Whether a glossary path means standard input (`-g -`).
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn read_stdin(path: &Path) -> Result<String, GlossaryError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| GlossaryError::file(path, format!("cannot read standard input: {e}")))?;
    utf8_text(path, bytes)
}

fn utf8_text(path: &Path, bytes: Vec<u8>) -> Result<String, GlossaryError> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.into_bytes()[..offset]).into_owned();
        GlossaryError::at(path, &text, offset, "not valid UTF-8")
    })
}

pub(crate) fn read_text(path: &Path) -> Result<String, GlossaryError> {
    if path.is_dir() {
        return Err(GlossaryError::file(
            path,
            "is a directory, not a glossary file",
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| GlossaryError::file(path, format!("cannot read: {e}")))?;
    utf8_text(path, bytes)
}

const GLOSSARY_KEYS: [&str; 4] = ["name", "source_lang", "target_lang", "term"];
const TERM_KEYS: [&str; 7] = [
    "source",
    "target",
    "first",
    "alternates",
    "keep",
    "case_sensitive",
    "note",
];

impl Glossary {
    /// A glossary with no terms (languages `zh-CN` → `en`).
    pub fn empty() -> Glossary {
        Glossary {
            name: String::new(),
            source_lang: "zh-CN".into(),
            target_lang: "en".into(),
            terms: Vec::new(),
            origins: Vec::new(),
        }
    }

    /// A glossary built in code.
    pub fn new(name: &str, terms: Vec<Term>) -> Glossary {
        Glossary {
            name: name.into(),
            terms,
            ..Glossary::empty()
        }
    }

    /// Reads and validates one glossary file; `-` reads standard input (messages name it `-`).
    pub fn load(path: &Path) -> Result<Glossary, GlossaryError> {
        let text = if is_stdin(path) {
            read_stdin(path)?
        } else {
            read_text(path)?
        };
        Glossary::parse(&text, path)
    }

    /// Parses glossary text; `path` names the file in messages and origins.
    pub fn parse(text: &str, path: &Path) -> Result<Glossary, GlossaryError> {
        let doc = toml_edit::Document::parse(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let message = e.message().trim().replace('\n', " ");
            GlossaryError::at(path, text, offset, format!("invalid TOML: {message}"))
        })?;
        let root = doc.as_table();
        let stem = path
            .file_stem()
            .map_or(String::new(), |s| s.to_string_lossy().into_owned());
        let mut glossary = Glossary {
            name: stem,
            ..Glossary::empty()
        };
        let span_of = |key: &toml_edit::Key, item: &toml_edit::Item| -> usize {
            key.span().or_else(|| item.span()).map_or(0, |s| s.start)
        };
        for (key, item) in root.iter() {
            let key_ref = root.key(key).expect("key from iteration");
            let at = span_of(key_ref, item);
            match key {
                "name" | "source_lang" | "target_lang" => {
                    let value = item.as_str().ok_or_else(|| {
                        let at = item.span().map_or(at, |s| s.start);
                        GlossaryError::at(path, text, at, format!("`{key}` must be a string"))
                    })?;
                    match key {
                        "name" => glossary.name = value.to_string(),
                        "source_lang" => glossary.source_lang = value.to_string(),
                        _ => glossary.target_lang = value.to_string(),
                    }
                }
                "term" => {
                    let Some(array) = item.as_array_of_tables() else {
                        let at = item.span().map_or(at, |s| s.start);
                        return Err(GlossaryError::at(
                            path,
                            text,
                            at,
                            "`term` must be an array of tables ([[term]])",
                        ));
                    };
                    let lines = LineStarts::new(text);
                    for table in array.iter() {
                        let (term, header) = parse_term(table, text, path)?;
                        let line = lines.line(header);
                        glossary.terms.push(term);
                        glossary.origins.push(TermOrigin {
                            file: path.to_path_buf(),
                            line,
                        });
                    }
                }
                other => {
                    return Err(GlossaryError::at(
                        path,
                        text,
                        at,
                        format!(
                            "unknown key `{other}` (expected one of: {})",
                            GLOSSARY_KEYS.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(glossary)
    }

    /// Loads several glossaries as layers: an entry of a later file replaces the entry with
    /// the same (folded) source of an earlier one, in place; new entries are appended. A file
    /// with a duplicate term or an empty `source`/`target` is refused with its `FILE:LINE`
    /// (use [`Glossary::load`] and `lint` to inspect such a file).
    pub fn load_layered(paths: &[PathBuf]) -> Result<Glossary, GlossaryError> {
        let mut layers = Vec::with_capacity(paths.len());
        for path in paths {
            let glossary = Glossary::load(path)?;
            if let Some(error) = lint::first_blocking(&glossary, path) {
                return Err(error);
            }
            layers.push(glossary);
        }
        Ok(Glossary::layer(layers))
    }

    /// Merges loaded glossaries, later ones winning (see [`Glossary::load_layered`]). The
    /// name and languages are the first layer's.
    pub fn layer(layers: Vec<Glossary>) -> Glossary {
        let mut layers = layers.into_iter();
        let Some(mut merged) = layers.next() else {
            return Glossary::empty();
        };
        merged.dedupe();
        for layer in layers {
            let mut index: HashMap<String, usize> = merged
                .terms
                .iter()
                .enumerate()
                .map(|(i, t)| (t.key(), i))
                .collect();
            let origins = layer.origins_or_default();
            for (term, origin) in layer.terms.into_iter().zip(origins) {
                match index.get(&term.key()) {
                    Some(&i) => {
                        merged.terms[i] = term;
                        merged.set_origin(i, origin);
                    }
                    None => {
                        index.insert(term.key(), merged.terms.len());
                        merged.terms.push(term);
                        merged.origins.push(origin);
                    }
                }
            }
        }
        merged
    }

    fn origins_or_default(&self) -> Vec<TermOrigin> {
        if self.origins.len() == self.terms.len() {
            self.origins.clone()
        } else {
            vec![
                TermOrigin {
                    file: PathBuf::new(),
                    line: 0
                };
                self.terms.len()
            ]
        }
    }

    fn set_origin(&mut self, index: usize, origin: TermOrigin) {
        if self.origins.len() == self.terms.len() {
            self.origins[index] = origin;
        }
    }

    /// Within one glossary, a later duplicate (after folding) replaces the earlier entry
    /// (`lint` reports it).
    fn dedupe(&mut self) {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let origins = self.origins_or_default();
        let has_origins = self.origins.len() == self.terms.len();
        let mut terms: Vec<Term> = Vec::with_capacity(self.terms.len());
        let mut kept_origins = Vec::with_capacity(self.terms.len());
        for (term, origin) in std::mem::take(&mut self.terms).into_iter().zip(origins) {
            match seen.get(&term.key()) {
                Some(&i) => {
                    terms[i] = term;
                    kept_origins[i] = origin;
                }
                None => {
                    seen.insert(term.key(), terms.len());
                    terms.push(term);
                    kept_origins.push(origin);
                }
            }
        }
        self.terms = terms;
        if has_origins {
            self.origins = kept_origins;
        }
    }

    /// The index of the entry whose source folds to the same string as `source`.
    pub fn position(&self, source: &str) -> Option<usize> {
        let key = fold::fold(source);
        self.terms.iter().rposition(|t| t.key() == key)
    }

    /// SHA-256 (hex) of the effective terms and languages: a stable fingerprint for caches
    /// and metadata. It does not depend on comments, formatting, notes or file names.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        let mut field = |text: &str| {
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        };
        field("bitext-glossary/1");
        field(&self.source_lang);
        field(&self.target_lang);
        let mut effective = self.clone();
        effective.dedupe();
        for term in &effective.terms {
            field(&term.source);
            field(term.target.as_deref().unwrap_or("\u{0}"));
            field(term.first.as_deref().unwrap_or("\u{0}"));
            field(&term.alternates.len().to_string());
            for alternate in &term.alternates {
                field(alternate);
            }
            field(if term.keep { "keep" } else { "-" });
            field(if term.case_sensitive { "case" } else { "-" });
        }
        let digest = hasher.finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A leftmost-longest, width-folded matcher over this glossary's sources.
    pub fn matcher(&self) -> Matcher {
        Matcher::new(self)
    }
}

fn span_start(span: Option<Range<usize>>) -> Option<usize> {
    span.map(|s| s.start)
}

fn parse_term(
    table: &toml_edit::Table,
    text: &str,
    path: &Path,
) -> Result<(Term, usize), GlossaryError> {
    // Returns the byte offset of the `[[term]]` header; the caller turns it into a line.
    let header = span_start(table.span()).unwrap_or(0);
    let mut term = Term::default();
    let mut has_source = false;
    let mut has_target = false;
    for (key, item) in table.iter() {
        let key_span = table.key(key).and_then(|k| span_start(k.span()));
        let at_key = key_span.or(span_start(item.span())).unwrap_or(header);
        let at_value = span_start(item.span()).unwrap_or(at_key);
        let string = |what: &str| -> Result<String, GlossaryError> {
            item.as_str().map(str::to_string).ok_or_else(|| {
                GlossaryError::at(path, text, at_value, format!("`{what}` must be a string"))
            })
        };
        match key {
            "source" => {
                term.source = string("source")?;
                has_source = true;
            }
            "target" => {
                term.target = Some(string("target")?);
                has_target = true;
            }
            "first" => term.first = Some(string("first")?),
            "note" => term.note = Some(string("note")?),
            "alternates" => {
                let bad = || {
                    GlossaryError::at(
                        path,
                        text,
                        at_value,
                        "`alternates` must be an array of strings",
                    )
                };
                let array = item.as_array().ok_or_else(bad)?;
                for value in array.iter() {
                    let s = value.as_str().ok_or_else(|| {
                        let at = span_start(value.span()).unwrap_or(at_value);
                        GlossaryError::at(
                            path,
                            text,
                            at,
                            "`alternates` must be an array of strings",
                        )
                    })?;
                    term.alternates.push(s.to_string());
                }
            }
            "keep" | "case_sensitive" => {
                let value = item.as_bool().ok_or_else(|| {
                    GlossaryError::at(
                        path,
                        text,
                        at_value,
                        format!("`{key}` must be true or false"),
                    )
                })?;
                if key == "keep" {
                    term.keep = value;
                } else {
                    term.case_sensitive = value;
                }
            }
            other => {
                return Err(GlossaryError::at(
                    path,
                    text,
                    at_key,
                    format!(
                        "unknown key `{other}` in [[term]] (expected one of: {})",
                        TERM_KEYS.join(", ")
                    ),
                ));
            }
        }
    }
    if !has_source {
        return Err(GlossaryError::at(
            path,
            text,
            header,
            "[[term]] without `source`",
        ));
    }
    if !has_target && !term.keep {
        return Err(GlossaryError::at(
            path,
            text,
            header,
            format!(
                "[[term]] {:?} has no `target` (required unless `keep = true`)",
                term.source
            ),
        ));
    }
    Ok((term, header))
}

#[cfg(test)]
mod tests;

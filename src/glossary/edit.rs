//! Format-preserving, atomic edits of a glossary file (`glossary add` / `rm` / `import`).
//!
//! Every edit reads and validates the file first (an invalid glossary is reported, never
//! rewritten), refuses a read-only file, applies the change, validates the result and writes
//! it with [`crate::util::atomic_write`]. A new entry is appended as text after the last byte
//! of the file, so the rest of the file is kept byte for byte; updates and removals go
//! through `toml_edit`, which keeps comments, blank lines, key order and formatting of
//! everything outside the edited entry.
//! Comment lines directly above a removed entry go with it; a comment block separated from
//! it by a blank line (such as a file's closing comment) stays.

use super::{Glossary, GlossaryError, Term, fold, read_text};
use std::path::Path;
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

/// A failed edit. The file is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Glossary(#[from] GlossaryError),
    #[error(
        "{file}: {term:?} is already in the glossary (as {existing:?}); use --force to update it"
    )]
    Duplicate {
        file: String,
        term: String,
        existing: String,
    },
    #[error("{file}: no term {term:?}")]
    NotFound { file: String, term: String },
    #[error("{file}: the glossary is read-only; not modified")]
    ReadOnly { file: String },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}: cannot write: {message}")]
    Write { file: String, message: String },
}

/// What `add` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    Updated,
}

/// An entry to add; for an update (`force`) only the fields given (`Some`, non-empty
/// alternates, `keep`/`case_sensitive` true) are changed, the others are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTerm {
    pub source: String,
    pub target: Option<String>,
    pub first: Option<String>,
    pub alternates: Vec<String>,
    pub keep: bool,
    pub case_sensitive: bool,
    pub note: Option<String>,
}

impl From<&Term> for NewTerm {
    fn from(term: &Term) -> NewTerm {
        NewTerm {
            source: term.source.clone(),
            target: term.target.clone(),
            first: term.first.clone(),
            alternates: term.alternates.clone(),
            keep: term.keep,
            case_sensitive: term.case_sensitive,
            note: term.note.clone(),
        }
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn check_new(path: &Path, term: &NewTerm) -> Result<(), EditError> {
    let invalid = |message: &str| EditError::Invalid {
        file: display(path),
        message: message.to_string(),
    };
    if term.source.trim().is_empty() {
        return Err(invalid("the source is empty"));
    }
    let target_empty = term.target.as_deref().is_none_or(|t| t.trim().is_empty());
    if target_empty && !term.keep {
        return Err(invalid(
            "the target is empty (use --keep for a term kept as is)",
        ));
    }
    Ok(())
}

/// Reads the current text (a missing file is a new, empty glossary) after checking that it
/// may be written.
fn read_for_edit(path: &Path) -> Result<(String, Glossary), EditError> {
    if path.is_dir() {
        return Err(GlossaryError::file(path, "is a directory, not a glossary file").into());
    }
    if !path.exists() {
        let text = String::new();
        let glossary = Glossary::parse(&text, path)?;
        return Ok((text, glossary));
    }
    let text = read_text(path)?;
    let glossary = Glossary::parse(&text, path)?;
    let meta = std::fs::metadata(path).map_err(|e| GlossaryError::file(path, e.to_string()))?;
    if meta.permissions().readonly() {
        return Err(EditError::ReadOnly {
            file: display(path),
        });
    }
    Ok((text, glossary))
}

fn write(path: &Path, text: &str) -> Result<(), EditError> {
    // Never write something we could not read back.
    Glossary::parse(text, path).map_err(|e| EditError::Invalid {
        file: display(path),
        message: format!("the edit would produce an invalid glossary ({e})"),
    })?;
    crate::util::atomic_write(path, text.as_bytes()).map_err(|e| EditError::Write {
        file: display(path),
        message: e.to_string(),
    })
}

/// The `[[term]]` text of an entry (no leading blank line, ends with a newline).
pub(crate) fn render_entry(term: &NewTerm) -> String {
    let mut table = Table::new();
    fill(&mut table, term, false);
    let mut array = ArrayOfTables::new();
    array.push(table);
    let mut doc = DocumentMut::new();
    doc.insert("term", Item::ArrayOfTables(array));
    doc.to_string()
}

/// Sets `key` to `new`, keeping the spacing and comments around an existing value.
fn set(table: &mut Table, key: &str, new: Item) {
    let mut new = new;
    if let (Some(old), Some(value)) = (table.get(key).and_then(Item::as_value), new.as_value_mut())
    {
        *value.decor_mut() = old.decor().clone();
    }
    match table.get_mut(key) {
        // Assigning through the existing slot keeps the key and its spacing.
        Some(slot) => *slot = new,
        None => {
            table.insert(key, new);
        }
    }
}

/// Sets the entry's fields in `table`. With `only_given`, absent fields are left alone.
fn fill(table: &mut Table, term: &NewTerm, only_given: bool) {
    if !only_given {
        set(table, "source", value(term.source.as_str()));
    }
    if let Some(target) = &term.target {
        set(table, "target", value(target.as_str()));
    }
    if let Some(first) = &term.first {
        set(table, "first", value(first.as_str()));
    }
    if !term.alternates.is_empty() {
        let array: Array = term.alternates.iter().map(String::as_str).collect();
        set(table, "alternates", value(array));
    }
    if term.keep {
        set(table, "keep", value(true));
    }
    if term.case_sensitive {
        set(table, "case_sensitive", value(true));
    }
    if let Some(note) = &term.note {
        set(table, "note", value(note.as_str()));
    }
}

fn append_entry(text: &mut String, term: &NewTerm) {
    if !text.is_empty() {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        if !text.ends_with("\n\n") {
            text.push('\n');
        }
    }
    text.push_str(&render_entry(term));
}

fn header(path: &Path) -> String {
    let name = path
        .file_stem()
        .map_or("glossary".into(), |s| s.to_string_lossy().into_owned());
    let name = toml_edit::Value::from(name.as_str()).to_string();
    format!("name = {name}\nsource_lang = \"zh-CN\"\ntarget_lang = \"en\"\n")
}

/// Index in the `[[term]]` array of the entry whose source folds like `source`.
fn find_in_doc(doc: &DocumentMut, source: &str) -> Option<usize> {
    let key = fold::fold(source);
    let array = doc.get("term")?.as_array_of_tables()?;
    array
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            t.get("source").and_then(Item::as_str).map(fold::fold) == Some(key.clone())
        })
        .map(|(i, _)| i)
        .last()
}

/// Adds (or with `force` updates) entries in one atomic write. Returns the outcome for each
/// entry, in order; a duplicate without `force` fails the whole edit.
pub fn add_terms(
    path: &Path,
    terms: &[NewTerm],
    force: bool,
) -> Result<Vec<AddOutcome>, EditError> {
    for term in terms {
        check_new(path, term)?;
    }
    let (mut text, _) = read_for_edit(path)?;
    if text.trim().is_empty() {
        text = header(path);
    }
    let mut outcomes = Vec::with_capacity(terms.len());
    for term in terms {
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            GlossaryError::file(path, e.message().to_string())
        })?;
        match find_in_doc(&doc, &term.source) {
            Some(index) if !force => {
                let existing = doc["term"]
                    .as_array_of_tables()
                    .and_then(|a| a.get(index))
                    .and_then(|t| t.get("source"))
                    .and_then(Item::as_str)
                    .unwrap_or_default()
                    .to_string();
                return Err(EditError::Duplicate {
                    file: display(path),
                    term: term.source.clone(),
                    existing,
                });
            }
            Some(index) => {
                let mut doc = doc;
                let table = doc["term"]
                    .as_array_of_tables_mut()
                    .and_then(|a| a.get_mut(index))
                    .expect("index from find_in_doc");
                fill(table, term, true);
                text = doc.to_string();
                outcomes.push(AddOutcome::Updated);
            }
            None => {
                append_entry(&mut text, term);
                outcomes.push(AddOutcome::Added);
            }
        }
    }
    write(path, &text)?;
    Ok(outcomes)
}

/// Adds one entry (see [`add_terms`]).
pub fn add_term(path: &Path, term: &NewTerm, force: bool) -> Result<AddOutcome, EditError> {
    Ok(add_terms(path, std::slice::from_ref(term), force)?[0])
}

/// The comment lines of an entry's header prefix that are not attached to it: everything up
/// to the last blank line before the header, without trailing blank lines. Comment lines
/// directly above the header (no blank line in between) belong to the entry.
fn detached_comments(prefix: &str) -> String {
    let lines: Vec<&str> = prefix.split_inclusive('\n').collect();
    // Drop the block of comment lines directly above the header.
    let mut end = lines.len();
    while end > 0 && !lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    // Drop the blank lines that separated the rest from the header.
    while end > 0 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    let kept: String = lines[..end].concat();
    if kept.lines().any(|l| !l.trim().is_empty()) {
        kept
    } else {
        String::new()
    }
}

/// Removes the entry whose source folds like `source`; returns it. Comment lines directly
/// above the entry go with it; comments separated from it by a blank line stay.
pub fn remove_term(path: &Path, source: &str) -> Result<Term, EditError> {
    if !path.exists() {
        return Err(GlossaryError::file(path, "cannot read: no such file").into());
    }
    let (text, glossary) = read_for_edit(path)?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| GlossaryError::file(path, e.message().to_string()))?;
    let not_found = || EditError::NotFound {
        file: display(path),
        term: source.to_string(),
    };
    let index = find_in_doc(&doc, source).ok_or_else(not_found)?;
    let removed = glossary.terms.get(index).cloned().ok_or_else(not_found)?;
    let array = doc["term"].as_array_of_tables_mut().ok_or_else(not_found)?;
    let prefix = array
        .get(index)
        .and_then(|t| t.decor().prefix())
        .and_then(|p| p.as_str())
        .unwrap_or("")
        .to_string();
    let kept = detached_comments(&prefix);
    array.remove(index);
    let mut to_trailing = None;
    if !kept.is_empty() {
        match array.get_mut(index) {
            Some(next) => {
                let next_prefix = next
                    .decor()
                    .prefix()
                    .and_then(|p| p.as_str())
                    .unwrap_or("")
                    .to_string();
                next.decor_mut().set_prefix(format!("{kept}{next_prefix}"));
            }
            None => to_trailing = Some(kept),
        }
    }
    if array.is_empty() {
        doc.remove("term");
    }
    if let Some(kept) = to_trailing {
        let trailing = doc.trailing().as_str().unwrap_or("").to_string();
        doc.set_trailing(format!("{kept}{trailing}"));
    }
    write(path, &doc.to_string())?;
    Ok(removed)
}

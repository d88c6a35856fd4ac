//! `glossary lint`: problems a glossary can load with but should not have.

use super::{Glossary, GlossaryError, Term, TermOrigin, check, fold};
use crate::model::Severity;
use daachorse::CharwiseDoubleArrayAhoCorasick;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// One lint finding, printed `FILE:LINE[:COL]: error|warning: message`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// `FILE:LINE` or `FILE:LINE:COL`.
    pub location: String,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {severity}: {}", self.location, self.message)
    }
}

fn at(origin: Option<&TermOrigin>, fallback: &Path) -> String {
    match origin {
        Some(o) => format!("{}:{}", o.file.display(), o.line),
        None => fallback.display().to_string(),
    }
}

fn finding(severity: Severity, location: String, message: String) -> Finding {
    Finding {
        severity,
        location,
        message,
    }
}

/// Lints glossary files as layers (later wins). A file that does not load is one error
/// finding with its `FILE:LINE:COL`; the other files are still linted.
pub fn lint(paths: &[PathBuf]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut layers = Vec::new();
    for path in paths {
        match Glossary::load(path) {
            Ok(glossary) => {
                lint_one(&glossary, path, &mut findings);
                layers.push(glossary);
            }
            Err(e) => {
                let (location, message) = split_location(&e);
                findings.push(finding(Severity::Error, location, message));
            }
        }
    }
    lint_layers(&layers, &mut findings);
    let merged = Glossary::layer(layers);
    lint_nested(&merged, &mut findings);
    findings
}

/// The first problem that makes a glossary unfit to translate with: a duplicate term in one
/// file (which rendering was meant?) or an empty `source`/`target`. Lint reports all of them;
/// loading for use refuses the file at the first one.
pub(crate) fn first_blocking(glossary: &Glossary, path: &Path) -> Option<GlossaryError> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    (0..glossary.terms.len()).find_map(|index| {
        entry_errors(glossary, index, &mut seen)
            .into_iter()
            .find(|e| e.blocks_use)
            .map(|e| blocking(glossary.origins.get(index), path, e.message))
    })
}

/// An error of one entry, as `lint` reports it.
struct EntryError {
    message: String,
    /// A duplicate or an empty `source`/`target`: the glossary cannot be used as it is.
    blocks_use: bool,
}

/// The errors of entry `index`: a duplicate (after width folding) of an entry already in
/// `seen`, then its empty fields. Records the entry in `seen`.
fn entry_errors(
    glossary: &Glossary,
    index: usize,
    seen: &mut HashMap<String, usize>,
) -> Vec<EntryError> {
    let term = &glossary.terms[index];
    let mut errors = Vec::new();
    let key = fold::fold(&term.source);
    if let Some(&earlier) = seen.get(&key) {
        let earlier_at = glossary
            .origins
            .get(earlier)
            .map_or(String::new(), |o| format!(" (line {})", o.line));
        errors.push(EntryError {
            message: format!(
                "duplicate term {}: same as {}{earlier_at} after width folding",
                term.source, glossary.terms[earlier].source
            ),
            blocks_use: true,
        });
    } else {
        seen.insert(key, index);
    }
    let mut empty = |field: &str| {
        errors.push(EntryError {
            message: format!("{:?}: empty `{field}`", term.source),
            blocks_use: matches!(field, "source" | "target"),
        });
    };
    if term.source.trim().is_empty() {
        empty("source");
    }
    if !term.keep && term.target.as_deref().is_none_or(|t| t.trim().is_empty()) {
        empty("target");
    }
    if term.first.as_deref().is_some_and(|t| t.trim().is_empty()) {
        empty("first");
    }
    if term.alternates.iter().any(|a| a.trim().is_empty()) {
        empty("alternates");
    }
    if term.note.as_deref().is_some_and(|t| t.trim().is_empty()) {
        empty("note");
    }
    errors
}

fn blocking(origin: Option<&TermOrigin>, path: &Path, message: String) -> GlossaryError {
    match origin {
        Some(o) => GlossaryError::At {
            file: o.file.display().to_string(),
            line: o.line,
            column: 1,
            message,
        },
        None => GlossaryError::file(path, message),
    }
}

/// Splits a load error into its location and message.
fn split_location(error: &GlossaryError) -> (String, String) {
    match error {
        GlossaryError::At {
            file,
            line,
            column,
            message,
        } => (format!("{file}:{line}:{column}"), message.clone()),
        GlossaryError::File { file, message } => (file.clone(), message.clone()),
    }
}

fn lint_one(glossary: &Glossary, path: &Path, findings: &mut Vec<Finding>) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, term) in glossary.terms.iter().enumerate() {
        let location = at(glossary.origins.get(index), path);
        for error in entry_errors(glossary, index, &mut seen) {
            findings.push(finding(Severity::Error, location.clone(), error.message));
        }
        if let (Some(first), Some(target)) = (&term.first, &term.target)
            && !term.keep
            && !first.trim().is_empty()
            && !target.trim().is_empty()
            && check::find_rendering(
                &Term {
                    first: None,
                    alternates: Vec::new(),
                    case_sensitive: false,
                    ..term.clone()
                },
                first,
                false,
            )
            .is_none()
        {
            findings.push(finding(
                Severity::Warning,
                location.clone(),
                format!(
                    "{}: first {first:?} does not contain target {target:?}",
                    term.source
                ),
            ));
        }
    }
}

/// The same source with different renderings in two layers.
fn lint_layers(layers: &[Glossary], findings: &mut Vec<Finding>) {
    let mut first_seen: HashMap<String, (usize, usize)> = HashMap::new();
    for (l, layer) in layers.iter().enumerate() {
        for (i, term) in layer.terms.iter().enumerate() {
            let key = term.key();
            match first_seen.get(&key) {
                Some(&(el, ei)) if el != l => {
                    let earlier = &layers[el].terms[ei];
                    if earlier.target != term.target
                        || earlier.first != term.first
                        || earlier.keep != term.keep
                    {
                        let here = at(layer.origins.get(i), Path::new(&layer.name));
                        let there = at(layers[el].origins.get(ei), Path::new(&layers[el].name));
                        findings.push(finding(
                            Severity::Warning,
                            here,
                            format!(
                                "{} is {:?} here but {:?} in {there} (this later layer wins)",
                                term.source,
                                term.rendering(false),
                                earlier.rendering(false)
                            ),
                        ));
                    }
                }
                Some(_) => {}
                None => {
                    first_seen.insert(key, (l, i));
                }
            }
        }
    }
}

/// A shorter term inside a longer one (两江新区 in 两江新区管委会) whose renderings do not
/// appear in any rendering of the longer one: a translator following both entries would be
/// told two different things.
fn lint_nested(glossary: &Glossary, findings: &mut Vec<Finding>) {
    let keys: Vec<String> = glossary.terms.iter().map(Term::key).collect();
    // One pattern per distinct non-empty key (the double-array automaton refuses duplicates
    // and builds 100k patterns in a fraction of the time an NFA takes).
    let mut first_with_key: HashMap<&str, usize> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        if !key.is_empty() {
            first_with_key.entry(key.as_str()).or_insert(i);
        }
    }
    let mut usable: Vec<usize> = first_with_key.into_values().collect();
    usable.sort_unstable();
    if usable.is_empty() {
        return;
    }
    let Ok(automaton) =
        CharwiseDoubleArrayAhoCorasick::<u32>::new(usable.iter().map(|&i| &keys[i]))
    else {
        return;
    };
    for (long, long_key) in keys.iter().enumerate() {
        if long_key.is_empty() {
            continue;
        }
        let long_term = &glossary.terms[long];
        let mut reported = Vec::new();
        for m in automaton.find_overlapping_iter(long_key.as_str()) {
            let short = usable[m.value() as usize];
            if short == long || keys[short] == *long_key || reported.contains(&short) {
                continue;
            }
            reported.push(short);
            let short_term = &glossary.terms[short];
            let long_renderings = renderings(long_term);
            let fits = long_renderings
                .iter()
                .any(|r| check::find_rendering(short_term, r, false).is_some());
            if !fits {
                findings.push(finding(
                    Severity::Warning,
                    at(glossary.origins.get(long), Path::new(&glossary.name)),
                    format!(
                        "{} contains {} but {:?} does not contain {:?}",
                        long_term.source,
                        short_term.source,
                        long_term.rendering(false),
                        short_term.rendering(false)
                    ),
                ));
            }
        }
    }
}

fn renderings(term: &Term) -> Vec<&str> {
    let mut list: Vec<&str> = Vec::new();
    if term.keep {
        list.push(&term.source);
    }
    list.extend(term.target.as_deref());
    list.extend(term.first.as_deref());
    list.extend(term.alternates.iter().map(String::as_str));
    list
}

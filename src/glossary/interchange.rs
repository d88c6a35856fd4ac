//! Import and export of term bases: OmegaT-style TSV, CSV with a header, and TBX-Basic.
//!
//! * TSV (OmegaT glossary): `source<TAB>target<TAB>comment`, no header, lines starting with
//!   `#` are comments. bitext adds three optional columns that OmegaT ignores, so that
//!   `import(export(g)) == g`: `first`, `alternates` (separated by `|`, a literal `|` or `\`
//!   escaped with `\`) and flags (`keep`, `case_sensitive`, comma-separated). Fields use the
//!   escaping of [`crate::util::escape_tsv`]. (A `keep` term without a target has an empty
//!   target field, which OmegaT skips; the TBX export carries it.)
//! * CSV: a header naming the columns; `source` and `target` are required, `note` (or
//!   `comment`), `first`, `alternates`, `keep`, `case_sensitive` optional, in any order.
//! * TBX ([`ExchangeFormat::Tbx`]): TBX-Basic in the TBX 2 / ISO 30042:2008 structure
//!   (`martif`, `termEntry`/`langSet`/`tig`, no namespace), what OmegaT (its `tbx.xsd`) and
//!   translate-toolkit (`translate.storage.tbx`: first `langSet` the source, second the
//!   target) read. [`ExchangeFormat::Tbx3`] writes the TBX v3 structure
//!   (`tbx`/`conceptEntry`/`langSec`/`termSec`). Import reads both. The preferred term of the
//!   target language is `target`, admitted terms are `alternates`; bitext's own markers are
//!   `<note>`s (`bitext:first`, `bitext:keep`, `bitext:case-sensitive`), other concept-level
//!   notes and definitions become the `note`.
//!
//!   Import finds each side by its language (`xml:lang` of `langSet`/`langSec`), not by its
//!   position, and checks the labels against the text: the language whose terms are mostly
//!   Han characters is the source even when labelled otherwise (translate-toolkit's `csv2tbx`
//!   labels every source `en` and every target `xx`), with a warning in [`Imported`].

use super::{Glossary, GlossaryError, Term};
use crate::export::xml::escape;
use crate::util::{escape_tsv, unescape_tsv};
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use std::fmt::Write as _;
use std::path::Path;

/// A term-base interchange format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeFormat {
    Tsv,
    Csv,
    /// TBX 2 (`martif`), TBX-Basic.
    Tbx,
    /// TBX v3 (`tbx`), TBX-Basic.
    Tbx3,
}

/// Terms read from an interchange file, and what the reader decided against the file's labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub terms: Vec<Term>,
    /// One line each, naming the file.
    pub warnings: Vec<String>,
}

impl ExchangeFormat {
    /// The format the text looks like: markup is TBX, a first line with a tab TSV, else CSV.
    /// For standard input, where there is no extension.
    pub fn detect(text: &str) -> Option<ExchangeFormat> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
        let first = text.lines().next()?;
        if text.starts_with('<') {
            Some(ExchangeFormat::Tbx)
        } else if first.contains('\t') {
            Some(ExchangeFormat::Tsv)
        } else if first.contains(',') {
            Some(ExchangeFormat::Csv)
        } else {
            None
        }
    }

    /// The format a file name's extension suggests (`.tsv`/`.txt`/`.tab`, `.csv`,
    /// `.tbx`/`.xml`).
    pub fn from_path(path: &Path) -> Option<ExchangeFormat> {
        let ext = path.extension()?.to_string_lossy().to_ascii_lowercase();
        match ext.as_str() {
            "tsv" | "txt" | "tab" | "utf8" => Some(ExchangeFormat::Tsv),
            "csv" => Some(ExchangeFormat::Csv),
            "tbx" | "xml" => Some(ExchangeFormat::Tbx),
            _ => None,
        }
    }
}

/// Writes a glossary in an interchange format.
pub fn export(glossary: &Glossary, format: ExchangeFormat) -> String {
    match format {
        ExchangeFormat::Tsv => export_tsv(glossary),
        ExchangeFormat::Csv => export_csv(glossary),
        ExchangeFormat::Tbx => export_tbx2(glossary),
        ExchangeFormat::Tbx3 => export_tbx3(glossary),
    }
}

/// Reads terms from an interchange file's text. `name` is used in messages; `glossary`
/// gives the source and target languages for TBX. See [`import_report`] for the warnings.
pub fn import(
    text: &str,
    format: ExchangeFormat,
    name: &str,
    glossary: &Glossary,
) -> Result<Vec<Term>, GlossaryError> {
    import_report(text, format, name, glossary).map(|imported| imported.terms)
}

/// [`import`], with the warnings (a TBX whose language labels disagree with its text).
pub fn import_report(
    text: &str,
    format: ExchangeFormat,
    name: &str,
    glossary: &Glossary,
) -> Result<Imported, GlossaryError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let terms = |terms| Imported {
        terms,
        warnings: Vec::new(),
    };
    match format {
        ExchangeFormat::Tsv => import_tsv(text, name).map(terms),
        ExchangeFormat::Csv => import_csv(text, name).map(terms),
        ExchangeFormat::Tbx | ExchangeFormat::Tbx3 => import_tbx(text, name, glossary),
    }
}

fn at(name: &str, line: usize, column: usize, message: impl Into<String>) -> GlossaryError {
    GlossaryError::At {
        file: name.to_string(),
        line,
        column,
        message: message.into(),
    }
}

fn join_alternates(alternates: &[String]) -> String {
    alternates
        .iter()
        .map(|a| a.replace('\\', "\\\\").replace('|', "\\|"))
        .collect::<Vec<_>>()
        .join("|")
}

fn split_alternates(field: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            '|' => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if !field.is_empty() {
        out.push(current);
    }
    out
}

fn flags(term: &Term) -> String {
    let mut flags = Vec::new();
    if term.keep {
        flags.push("keep");
    }
    if term.case_sensitive {
        flags.push("case_sensitive");
    }
    flags.join(",")
}

fn truthy(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "0" => Some(false),
        "true" | "yes" | "1" | "x" => Some(true),
        _ => None,
    }
}

fn export_tsv(glossary: &Glossary) -> String {
    let mut out = String::new();
    for term in &glossary.terms {
        let mut fields = vec![
            escape_tsv(&term.source),
            escape_tsv(term.target.as_deref().unwrap_or("")),
            escape_tsv(term.note.as_deref().unwrap_or("")),
        ];
        let extra = [
            escape_tsv(term.first.as_deref().unwrap_or("")),
            escape_tsv(&join_alternates(&term.alternates)),
            flags(term),
        ];
        if extra.iter().any(|f| !f.is_empty()) {
            fields.extend(extra);
            while fields.last().is_some_and(String::is_empty) {
                fields.pop();
            }
        }
        let _ = writeln!(out, "{}", fields.join("\t"));
    }
    out
}

/// Builds a term from the imported fields, checking the required ones.
#[allow(clippy::too_many_arguments)]
fn make_term(
    name: &str,
    line: usize,
    source: &str,
    target: &str,
    note: &str,
    first: &str,
    alternates: Vec<String>,
    keep: bool,
    case_sensitive: bool,
) -> Result<Term, GlossaryError> {
    if source.trim().is_empty() {
        return Err(at(name, line, 1, "empty source"));
    }
    if target.is_empty() && !keep {
        return Err(at(name, line, 1, format!("{source}: no target")));
    }
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Ok(Term {
        source: source.to_string(),
        target: some(target),
        first: some(first),
        alternates,
        keep,
        case_sensitive,
        note: some(note),
    })
}

fn import_tsv(text: &str, name: &str) -> Result<Vec<Term>, GlossaryError> {
    let mut terms = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<String> = line.split('\t').map(unescape_tsv).collect();
        if fields.len() < 2 {
            return Err(at(
                name,
                number,
                1,
                "expected at least two tab-separated columns (source, target)",
            ));
        }
        let get = |i: usize| fields.get(i).map_or("", String::as_str);
        let mut keep = false;
        let mut case_sensitive = false;
        for flag in get(5).split(',').map(str::trim).filter(|f| !f.is_empty()) {
            match flag {
                "keep" => keep = true,
                "case_sensitive" => case_sensitive = true,
                other => {
                    let column = line
                        .split('\t')
                        .take(5)
                        .map(|f| f.chars().count() + 1)
                        .sum::<usize>()
                        + 1;
                    return Err(at(
                        name,
                        number,
                        column,
                        format!("unknown flag {other:?} (keep, case_sensitive)"),
                    ));
                }
            }
        }
        terms.push(make_term(
            name,
            number,
            get(0),
            get(1),
            get(2),
            get(3),
            split_alternates(get(4)),
            keep,
            case_sensitive,
        )?);
    }
    Ok(terms)
}

const CSV_HEADER: [&str; 7] = [
    "source",
    "target",
    "note",
    "first",
    "alternates",
    "keep",
    "case_sensitive",
];

fn export_csv(glossary: &Glossary) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(CSV_HEADER);
    for term in &glossary.terms {
        let _ = writer.write_record([
            term.source.as_str(),
            term.target.as_deref().unwrap_or(""),
            term.note.as_deref().unwrap_or(""),
            term.first.as_deref().unwrap_or(""),
            &join_alternates(&term.alternates),
            if term.keep { "true" } else { "" },
            if term.case_sensitive { "true" } else { "" },
        ]);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

fn import_csv(text: &str, name: &str) -> Result<Vec<Term>, GlossaryError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let csv_error = |e: csv::Error| {
        let line = e.position().map_or(1, |p| p.line() as usize);
        at(name, line, 1, format!("invalid CSV: {e}"))
    };
    let header = reader.headers().map_err(csv_error)?.clone();
    let column = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.trim().to_ascii_lowercase().as_str()))
    };
    let (Some(source), Some(target)) = (column(&["source"]), column(&["target"])) else {
        return Err(at(
            name,
            1,
            1,
            "the CSV header must name `source` and `target` columns",
        ));
    };
    let note = column(&["note", "comment", "notes"]);
    let first = column(&["first"]);
    let alternates = column(&["alternates", "alternate"]);
    let keep = column(&["keep"]);
    let case = column(&["case_sensitive"]);
    let mut terms = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("");
        let flag = |c: Option<usize>, what: &str| {
            truthy(get(c)).ok_or_else(|| {
                at(
                    name,
                    line,
                    1,
                    format!("`{what}` must be true or false, not {:?}", get(c)),
                )
            })
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        terms.push(make_term(
            name,
            line,
            get(Some(source)),
            get(Some(target)),
            get(note),
            get(first),
            split_alternates(get(alternates)),
            flag(keep, "keep")?,
            flag(case, "case_sensitive")?,
        )?);
    }
    Ok(terms)
}

/// The target-language terms of an entry in order, each with its administrative status and
/// bitext's marker note: the kept source (`keep`), the target, the first-mention form, the
/// alternates. The first is the one tools take as "the" translation.
fn target_terms(term: &Term) -> Vec<(&str, &'static str, Option<&'static str>)> {
    let mut terms = Vec::new();
    if term.keep {
        terms.push((
            term.source.as_str(),
            "preferredTerm-admn-sts",
            Some("bitext:keep"),
        ));
    }
    if let Some(target) = &term.target {
        terms.push((target.as_str(), "preferredTerm-admn-sts", None));
    }
    if let Some(first) = &term.first {
        terms.push((
            first.as_str(),
            "admittedTerm-admn-sts",
            Some("bitext:first"),
        ));
    }
    for alternate in &term.alternates {
        terms.push((alternate.as_str(), "admittedTerm-admn-sts", None));
    }
    terms
}

/// TBX-Basic in the TBX 2 (ISO 30042:2008, `martif`) structure, valid under OmegaT's
/// `tbx.xsd` and read by translate-toolkit.
fn export_tbx2(glossary: &Glossary) -> String {
    let src = escape(&glossary.source_lang);
    let tgt = escape(&glossary.target_lang);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<martif type=\"TBX-Basic\" xml:lang=\"{src}\">");
    out.push_str("  <martifHeader>\n    <fileDesc>\n");
    let _ = writeln!(
        out,
        "      <titleStmt><title>{}</title></titleStmt>",
        escape(&glossary.name)
    );
    out.push_str("      <sourceDesc><p>exported by bitext</p></sourceDesc>\n    </fileDesc>\n  </martifHeader>\n");
    out.push_str("  <text>\n    <body>\n");
    for (index, term) in glossary.terms.iter().enumerate() {
        let _ = writeln!(out, "      <termEntry id=\"c{}\">", index + 1);
        if let Some(note) = &term.note {
            let _ = writeln!(out, "        <note>{}</note>", escape(note));
        }
        if term.case_sensitive {
            out.push_str("        <note>bitext:case-sensitive</note>\n");
        }
        let _ = writeln!(
            out,
            "        <langSet xml:lang=\"{src}\"><tig><term>{}</term></tig></langSet>",
            escape(&term.source)
        );
        let _ = writeln!(out, "        <langSet xml:lang=\"{tgt}\">");
        for (text, status, marker) in target_terms(term) {
            let _ = write!(
                out,
                "          <tig><term>{}</term><termNote type=\"administrativeStatus\">{status}</termNote>",
                escape(text)
            );
            if let Some(marker) = marker {
                let _ = write!(out, "<note>{marker}</note>");
            }
            out.push_str("</tig>\n");
        }
        out.push_str("        </langSet>\n      </termEntry>\n");
    }
    out.push_str("    </body>\n  </text>\n</martif>\n");
    out
}

/// TBX-Basic in the TBX v3 structure (`tbx`, `conceptEntry`/`langSec`/`termSec`).
fn export_tbx3(glossary: &Glossary) -> String {
    let src = escape(&glossary.source_lang);
    let tgt = escape(&glossary.target_lang);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<tbx type=\"TBX-Basic\" style=\"dca\" xml:lang=\"{tgt}\" xmlns=\"urn:iso:std:iso:30042:ed-2\">"
    );
    out.push_str("  <tbxHeader>\n    <fileDesc>\n");
    let _ = writeln!(
        out,
        "      <titleStmt><title>{}</title></titleStmt>",
        escape(&glossary.name)
    );
    out.push_str("      <sourceDesc><p>exported by bitext</p></sourceDesc>\n    </fileDesc>\n  </tbxHeader>\n");
    out.push_str("  <text>\n    <body>\n");
    for (index, term) in glossary.terms.iter().enumerate() {
        let _ = writeln!(out, "      <conceptEntry id=\"c{}\">", index + 1);
        if let Some(note) = &term.note {
            let _ = writeln!(out, "        <note>{}</note>", escape(note));
        }
        if term.case_sensitive {
            out.push_str("        <note>bitext:case-sensitive</note>\n");
        }
        let _ = writeln!(out, "        <langSec xml:lang=\"{src}\">");
        let _ = writeln!(
            out,
            "          <termSec><term>{}</term></termSec>",
            escape(&term.source)
        );
        out.push_str("        </langSec>\n");
        let _ = writeln!(out, "        <langSec xml:lang=\"{tgt}\">");
        for (text, status, marker) in target_terms(term) {
            let _ = write!(
                out,
                "          <termSec><term>{}</term><termNote type=\"administrativeStatus\">{status}</termNote>",
                escape(text)
            );
            if let Some(marker) = marker {
                let _ = write!(out, "<note>{marker}</note>");
            }
            out.push_str("</termSec>\n");
        }
        out.push_str("        </langSec>\n      </conceptEntry>\n");
    }
    out.push_str("    </body>\n  </text>\n</tbx>\n");
    out
}

#[derive(Default)]
struct TermSec {
    term: String,
    status: String,
    notes: Vec<String>,
}

#[derive(Default)]
struct Concept {
    line: usize,
    notes: Vec<String>,
    langs: Vec<(String, Vec<TermSec>)>,
}

fn primary(lang: &str) -> String {
    lang.split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn import_tbx(text: &str, name: &str, glossary: &Glossary) -> Result<Imported, GlossaryError> {
    let concepts = read_concepts(text, name)?;
    let (sides, warnings) = choose_sides(&concepts, name, glossary);
    let terms = concepts
        .into_iter()
        .map(|c| concept_term(c, &sides, name))
        .collect::<Result<_, _>>()?;
    Ok(Imported { terms, warnings })
}

/// The concept entries of a TBX file (v2 or v3), in order.
fn read_concepts(text: &str, name: &str) -> Result<Vec<Concept>, GlossaryError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut concepts = Vec::new();
    let mut concept: Option<Concept> = None;
    let mut sec: Option<TermSec> = None;
    // The element whose text is being collected: (name, type attribute, text).
    let mut capture: Option<(String, String, String)> = None;
    let line_of = |offset: u64| super::line_col(text, offset as usize);
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            let (line, column) = line_of(reader.error_position());
            at(name, line, column, format!("invalid TBX: {e}"))
        })?;
        match event {
            Event::Start(e) => {
                let tag = e.local_name().as_ref().to_string();
                let attr = |key: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| {
                            let k = a.key.as_ref();
                            k == key || k.rsplit(':').next() == Some(key)
                        })
                        .and_then(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .ok()
                                .map(|v| v.into_owned())
                        })
                };
                match tag.as_str() {
                    "conceptEntry" | "termEntry" => {
                        concept = Some(Concept {
                            line: line_of(position).0,
                            ..Concept::default()
                        });
                    }
                    "langSec" | "langSet" => {
                        let code = attr("lang").unwrap_or_default();
                        if let Some(c) = concept.as_mut() {
                            c.langs.push((code, Vec::new()));
                        }
                    }
                    "termSec" | "tig" | "ntig" => sec = Some(TermSec::default()),
                    "term" | "termNote" | "note" | "descrip" => {
                        capture = Some((tag, attr("type").unwrap_or_default(), String::new()));
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                if let Some((_, _, buf)) = capture.as_mut() {
                    buf.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some((_, _, buf)) = capture.as_mut() {
                    buf.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, _, buf)) = capture.as_mut() {
                    let content = r.xml10_content();
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        buf.push(c);
                    } else if let Some(s) = resolve_predefined_entity(&content) {
                        buf.push_str(s);
                    } else {
                        let (line, column) = line_of(position);
                        return Err(at(
                            name,
                            line,
                            column,
                            format!("unknown entity &{content};"),
                        ));
                    }
                }
            }
            Event::End(e) => {
                let tag = e.local_name().as_ref().to_string();
                if capture.as_ref().is_some_and(|(t, _, _)| *t == tag) {
                    let (tag, kind, buf) = capture.take().expect("checked");
                    let value = buf.trim().to_string();
                    match (tag.as_str(), sec.as_mut()) {
                        ("term", Some(s)) => s.term = value,
                        ("termNote", Some(s)) if kind == "administrativeStatus" => s.status = value,
                        ("note", Some(s)) => s.notes.push(value),
                        ("note", None) => {
                            if let Some(c) = concept.as_mut() {
                                c.notes.push(value);
                            }
                        }
                        ("descrip", None)
                            if matches!(kind.as_str(), "definition" | "context" | "") =>
                        {
                            if let Some(c) = concept.as_mut() {
                                c.notes.push(value);
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                match tag.as_str() {
                    "termSec" | "tig" | "ntig" => {
                        if let (Some(s), Some(c)) = (sec.take(), concept.as_mut())
                            && let Some((_, secs)) = c.langs.last_mut()
                        {
                            secs.push(s);
                        }
                    }
                    "conceptEntry" | "termEntry" => concepts.extend(concept.take()),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(concepts)
}

/// The primary language codes of a TBX's source and target sides.
struct Sides {
    source: String,
    target: String,
}

/// The share of Han characters in the terms labelled `code`.
fn han_share(concepts: &[Concept], code: &str) -> f64 {
    let terms = concepts
        .iter()
        .flat_map(|c| &c.langs)
        .filter(|(l, _)| primary(l) == code)
        .flat_map(|(_, secs)| secs);
    crate::text::han_share(terms.map(|sec| sec.term.as_str()))
}

/// Chooses the source and target languages by label, checked against the text: when the
/// glossary's source language is Chinese and the terms labelled so are not mostly Han but
/// another label's are, that label is the source (with a warning). The target is the
/// glossary's target language when present, else the first other label.
fn choose_sides(concepts: &[Concept], name: &str, glossary: &Glossary) -> (Sides, Vec<String>) {
    let mut codes: Vec<String> = Vec::new();
    for (lang, _) in concepts.iter().flat_map(|c| &c.langs) {
        let code = primary(lang);
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    let wanted_source = primary(&glossary.source_lang);
    let wanted_target = primary(&glossary.target_lang);
    let mut warnings = Vec::new();
    let mut source = codes.iter().find(|c| **c == wanted_source).cloned();
    if wanted_source == "zh" {
        let labelled_han = source.as_deref().map_or(0.0, |c| han_share(concepts, c));
        let most_han = codes
            .iter()
            .map(|c| (c, han_share(concepts, c)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((code, share)) = most_han
            && share >= 0.3
            && labelled_han < 0.1
        {
            warnings.push(format!(
                "{name}: the Chinese terms are labelled {code:?}{}: read them as the source ({})",
                source
                    .as_deref()
                    .map(|s| format!(" (the {s:?} terms are not Chinese)"))
                    .unwrap_or_default(),
                glossary.source_lang
            ));
            source = Some(code.clone());
        }
    }
    // No label and no Han text says which is the source: the first language, as TBX tools do.
    let source = source
        .or_else(|| codes.first().cloned())
        .unwrap_or_default();
    let target = codes
        .iter()
        .find(|c| **c == wanted_target && **c != source)
        .or_else(|| codes.iter().find(|c| **c != source))
        .cloned()
        .unwrap_or_default();
    (Sides { source, target }, warnings)
}

fn concept_term(concept: Concept, sides: &Sides, name: &str) -> Result<Term, GlossaryError> {
    let find = |code: &str| concept.langs.iter().position(|(l, _)| primary(l) == code);
    let target_index = find(&sides.target);
    let source = find(&sides.source)
        .and_then(|i| concept.langs[i].1.first())
        .map(|s| s.term.clone())
        .unwrap_or_default();
    let mut term = Term {
        source,
        ..Term::default()
    };
    for note in &concept.notes {
        if note == "bitext:case-sensitive" {
            term.case_sensitive = true;
        } else if term.note.is_none() {
            term.note = Some(note.clone());
        }
    }
    let secs = target_index
        .and_then(|i| concept.langs.get(i))
        .map_or(&[][..], |(_, secs)| secs.as_slice());
    for sec in secs {
        let marker = |m: &str| sec.notes.iter().any(|n| n == m);
        if marker("bitext:keep") {
            term.keep = true;
        } else if marker("bitext:first") {
            term.first = Some(sec.term.clone());
        } else if sec.status.starts_with("deprecated") || sec.status.starts_with("superseded") {
            continue;
        } else if term.target.is_none()
            && (sec.status.starts_with("preferred")
                || sec.status.is_empty()
                || secs.iter().all(|s| !s.status.starts_with("preferred")))
        {
            term.target = Some(sec.term.clone());
        } else {
            term.alternates.push(sec.term.clone());
        }
    }
    if term.source.trim().is_empty() {
        return Err(at(
            name,
            concept.line,
            1,
            format!(
                "concept entry without a term in the source language ({})",
                sides.source
            ),
        ));
    }
    if term.target.is_none() && !term.keep {
        return Err(at(
            name,
            concept.line,
            1,
            format!(
                "{}: no term in the target language ({})",
                term.source, sides.target
            ),
        ));
    }
    Ok(term)
}

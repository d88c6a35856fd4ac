//! Import and export of term bases: OmegaT-style TSV, CSV with a header, and TBX-Basic.
//!
//! * TSV (OmegaT glossary): `source<TAB>target<TAB>comment`, no header, lines starting with
//!   `#` are comments. bitext adds three optional columns that OmegaT ignores, so that
//!   `import(export(g)) == g`: `first`, `alternates` (separated by `|`, a literal `|` or `\`
//!   escaped with `\`) and flags (`keep`, `case_sensitive`, comma-separated). Fields use the
//!   escaping of [`crate::util::escape_tsv`].
//! * CSV: a header naming the columns; `source` and `target` are required, `note` (or
//!   `comment`), `first`, `alternates`, `keep`, `case_sensitive` optional, in any order.
//! * TBX: TBX-Basic in the TBX v3 structure (`conceptEntry`/`langSec`/`termSec`); import also
//!   reads TBX v2 (`termEntry`/`langSet`/`tig`). The preferred term of the target language
//!   is `target`, admitted terms are `alternates`; bitext's own markers are `<note>`s
//!   (`bitext:first`, `bitext:keep`, `bitext:case-sensitive`), other concept-level notes and
//!   definitions become the `note`.

use super::{Glossary, GlossaryError, Term};
use crate::util::{escape_tsv, unescape_tsv};
use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::Event;
use std::fmt::Write as _;
use std::path::Path;

/// A term-base interchange format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeFormat {
    Tsv,
    Csv,
    Tbx,
}

impl ExchangeFormat {
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
        ExchangeFormat::Tbx => export_tbx(glossary),
    }
}

/// Reads terms from an interchange file's text. `name` is used in messages; `glossary`
/// gives the source and target languages for TBX.
pub fn import(
    text: &str,
    format: ExchangeFormat,
    name: &str,
    glossary: &Glossary,
) -> Result<Vec<Term>, GlossaryError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        ExchangeFormat::Tsv => import_tsv(text, name),
        ExchangeFormat::Csv => import_csv(text, name),
        ExchangeFormat::Tbx => import_tbx(text, name, glossary),
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

fn export_tbx(glossary: &Glossary) -> String {
    let src = escape(glossary.source_lang.as_str()).into_owned();
    let tgt = escape(glossary.target_lang.as_str()).into_owned();
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
        escape(glossary.name.as_str())
    );
    out.push_str("      <sourceDesc><p>exported by bitext</p></sourceDesc>\n    </fileDesc>\n  </tbxHeader>\n");
    out.push_str("  <text>\n    <body>\n");
    for (index, term) in glossary.terms.iter().enumerate() {
        let _ = writeln!(out, "      <conceptEntry id=\"c{}\">", index + 1);
        if let Some(note) = &term.note {
            let _ = writeln!(out, "        <note>{}</note>", escape(note.as_str()));
        }
        if term.case_sensitive {
            out.push_str("        <note>bitext:case-sensitive</note>\n");
        }
        let _ = writeln!(out, "        <langSec xml:lang=\"{src}\">");
        let _ = writeln!(
            out,
            "          <termSec><term>{}</term></termSec>",
            escape(term.source.as_str())
        );
        out.push_str("        </langSec>\n");
        let _ = writeln!(out, "        <langSec xml:lang=\"{tgt}\">");
        let mut term_sec = |text: &str, status: &str, marker: Option<&str>| {
            let _ = write!(
                out,
                "          <termSec><term>{}</term><termNote type=\"administrativeStatus\">{status}</termNote>",
                escape(text)
            );
            if let Some(marker) = marker {
                let _ = write!(out, "<note>{marker}</note>");
            }
            out.push_str("</termSec>\n");
        };
        if term.keep {
            term_sec(&term.source, "preferredTerm-admn-sts", Some("bitext:keep"));
        }
        if let Some(target) = &term.target {
            term_sec(target, "preferredTerm-admn-sts", None);
        }
        if let Some(first) = &term.first {
            term_sec(first, "admittedTerm-admn-sts", Some("bitext:first"));
        }
        for alternate in &term.alternates {
            term_sec(alternate, "admittedTerm-admn-sts", None);
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

fn import_tbx(text: &str, name: &str, glossary: &Glossary) -> Result<Vec<Term>, GlossaryError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut terms = Vec::new();
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
                    "conceptEntry" | "termEntry" => {
                        if let Some(c) = concept.take() {
                            terms.push(concept_term(c, name, glossary)?);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(terms)
}

fn concept_term(concept: Concept, name: &str, glossary: &Glossary) -> Result<Term, GlossaryError> {
    let src = primary(&glossary.source_lang);
    let tgt = primary(&glossary.target_lang);
    let find = |code: &str| concept.langs.iter().position(|(l, _)| primary(l) == code);
    let source_index = find(&src).unwrap_or(0);
    let target_index = find(&tgt).or_else(|| (0..concept.langs.len()).find(|&i| i != source_index));
    let source = concept
        .langs
        .get(source_index)
        .and_then(|(_, secs)| secs.first())
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
            "concept entry without a source-language term",
        ));
    }
    if term.target.is_none() && !term.keep {
        return Err(at(
            name,
            concept.line,
            1,
            format!("{}: no {} term", term.source, glossary.target_lang),
        ));
    }
    Ok(term)
}

//! XLIFF 2.1 (namespace `urn:oasis:names:tc:xliff:document:2.0`, `version="2.1"`): one
//! `<file>`, one `<unit>` per block (`id="b12"`, `type="bitext:paragraph"`), one `<segment>`
//! per pair with `state="initial"` where the target is empty or the pair has flags, `final`
//! for a manual (human) target, else `translated`. Unit `<note>`s name their pair (`ID: …`):
//! flags in the TSV flag form with `category` = the flag code and `priority` 1 for errors, 5
//! for warnings; term hits (`category="bitext:term"`, see [`super::notes`]); the origin as
//! JSON (`bitext:origin`). The file's `bitext:meta` note holds the metadata as JSON, so that
//! [`read`] gives back the same bitext. Segment ids are the pair ids with any character
//! that is not allowed in an XML NMTOKEN (such as the `+` of `b12.s3+s4`) replaced by `_`; the
//! origin note keeps the exact id.

use super::ExportError;
use super::notes::{term_from_text, term_to_text};
use super::tsv::{flag_from_text, flag_to_text};
use super::xml::{attribute, error, escape, escape_into, read_text};
use crate::model::{Bitext, BlockKind, FlagCode, Meta, Origin, Pair, Severity};
use quick_xml::Reader;
use quick_xml::events::Event;
use std::collections::HashSet;

/// The XLIFF 2 core namespace (also used by 2.1).
pub const NAMESPACE: &str = "urn:oasis:names:tc:xliff:document:2.0";

/// A pair id as an NMTOKEN: letters, digits, `.`, `-`, `_`, `:` stay; anything else is `_`.
pub fn segment_id(id: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if id.is_empty() { "_".to_string() } else { id }
}

/// The segment `state`: `initial` when the target is empty or the pair has flags, `final` for
/// a manual (human) target, else `translated`.
fn segment_state(pair: &Pair) -> &'static str {
    if pair.target.is_empty() || !pair.flags.is_empty() {
        "initial"
    } else if pair.origin == Origin::Manual {
        "final"
    } else {
        "translated"
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("model types serialise")
}

fn push_note(out: &mut String, indent: &str, category: &str, priority: Option<&str>, text: &str) {
    out.push_str(indent);
    out.push_str("<note category=\"");
    out.push_str(category);
    if let Some(priority) = priority {
        out.push_str("\" priority=\"");
        out.push_str(priority);
    }
    out.push_str("\">");
    escape_into(out, text);
    out.push_str("</note>\n");
}

/// Writes the XLIFF 2.1 document.
pub fn render(bitext: &Bitext) -> String {
    let mut out = String::with_capacity(512 + bitext.pairs.len() * 500);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xliff xmlns=\"");
    out.push_str(NAMESPACE);
    out.push_str("\" version=\"2.1\" srcLang=\"");
    out.push_str(&escape(&bitext.source_lang));
    out.push_str("\" trgLang=\"");
    out.push_str(&escape(&bitext.target_lang));
    out.push_str("\">\n  <file id=\"f1\"");
    if let Some(original) = &bitext.meta.source_file {
        out.push_str(" original=\"");
        escape_into(&mut out, original);
        out.push('"');
    }
    out.push_str(" xml:space=\"preserve\">\n    <notes>\n");
    push_note(&mut out, "      ", "bitext:meta", None, &json(&bitext.meta));
    out.push_str("    </notes>\n");
    let mut unit_ids = HashSet::new();
    let mut start = 0;
    while start < bitext.pairs.len() {
        let (block, kind) = (bitext.pairs[start].block, bitext.pairs[start].kind);
        let len = bitext.pairs[start..]
            .iter()
            .take_while(|p| p.block == block && p.kind == kind)
            .count();
        let pairs = &bitext.pairs[start..start + len];
        start += len;
        let mut unit_id = format!("b{block}");
        let mut n = 1;
        while !unit_ids.insert(unit_id.clone()) {
            n += 1;
            unit_id = format!("b{block}-{n}");
        }
        out.push_str("    <unit id=\"");
        out.push_str(&unit_id);
        out.push_str("\" type=\"bitext:");
        out.push_str(kind.as_str());
        out.push_str("\">\n      <notes>\n");
        for pair in pairs {
            let note = |body: &str| format!("{}: {body}", pair.id);
            for flag in &pair.flags {
                let priority = match flag.severity {
                    Severity::Error => "1",
                    Severity::Warning => "5",
                };
                let text = note(&flag_to_text(flag));
                push_note(
                    &mut out,
                    "        ",
                    flag.code.as_str(),
                    Some(priority),
                    &text,
                );
            }
            for hit in &pair.terms {
                push_note(
                    &mut out,
                    "        ",
                    "bitext:term",
                    Some("10"),
                    &note(&term_to_text(hit)),
                );
            }
            push_note(
                &mut out,
                "        ",
                "bitext:origin",
                Some("10"),
                &note(&json(&pair.origin)),
            );
        }
        out.push_str("      </notes>\n");
        for pair in pairs {
            out.push_str("      <segment id=\"");
            escape_into(&mut out, &segment_id(&pair.id));
            out.push_str("\" state=\"");
            out.push_str(segment_state(pair));
            out.push_str("\">\n        <source>");
            escape_into(&mut out, &pair.source);
            out.push_str("</source>\n");
            if !pair.target.is_empty() {
                out.push_str("        <target>");
                escape_into(&mut out, &pair.target);
                out.push_str("</target>\n");
            }
            out.push_str("      </segment>\n");
        }
        out.push_str("    </unit>\n");
    }
    out.push_str("  </file>\n</xliff>\n");
    out
}

/// What a unit note carries, keyed by the pair id it names (`ID: …`).
enum UnitNote {
    Flag(crate::model::Flag),
    Term(crate::model::TermHit),
    Origin(Origin),
}

/// Reads an XLIFF 2 file: one pair per `<segment>`, in order, the block number from the unit
/// id `bN`, the kind from its `type`; bitext's unit notes give back flags, term hits, origin
/// and the exact pair id, the file's `bitext:meta` note the metadata. Notes of other
/// categories are ignored. `name` is used in error messages.
pub fn read(text: &str, name: &str) -> Result<Bitext, ExportError> {
    let mut reader = Reader::from_str(text);
    let mut bitext = Bitext::new("", "", Meta::default());
    let mut seen_root = false;
    let (mut block, mut kind) = (0u32, BlockKind::Paragraph);
    let mut notes: Vec<(String, UnitNote, u64)> = Vec::new();
    // The unit's pairs start here; `segment_ids` holds their id attributes.
    let mut unit_start = 0;
    let mut segment_ids: Vec<String> = Vec::new();
    let mut in_unit = false;
    let mut pair: Option<Pair> = None;
    loop {
        let offset = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| error(name, text, offset, e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_start = matches!(event, Event::Start(_));
                let tag = e.local_name().as_ref().to_string();
                let attr = |key: &str| attribute(e, key, name, text, offset);
                match tag.as_str() {
                    "xliff" => {
                        seen_root = true;
                        bitext.source_lang = attr("srcLang")?.unwrap_or_default();
                        bitext.target_lang = attr("trgLang")?.unwrap_or_default();
                    }
                    "file" => bitext.meta.source_file = attr("original")?,
                    "unit" => {
                        let id = attr("id")?.unwrap_or_default();
                        let number = id.strip_prefix('b').unwrap_or(&id);
                        let number = number.split('-').next().unwrap_or("");
                        block = number.parse().unwrap_or(0);
                        kind = attr("type")?
                            .as_deref()
                            .and_then(|t| t.strip_prefix("bitext:"))
                            .and_then(BlockKind::parse)
                            .unwrap_or(BlockKind::Paragraph);
                        unit_start = bitext.pairs.len();
                        segment_ids.clear();
                        notes.clear();
                        in_unit = true;
                    }
                    "segment" => {
                        let id = attr("id")?.unwrap_or_default();
                        segment_ids.push(id.clone());
                        pair = Some(Pair {
                            id: id.replace('_', "+"),
                            block,
                            kind,
                            source: String::new(),
                            target: String::new(),
                            terms: Vec::new(),
                            flags: Vec::new(),
                            origin: Origin::Manual,
                        });
                    }
                    "source" | "target" | "note" if is_start => {
                        let category = attr("category")?.unwrap_or_default();
                        let content = read_text(&mut reader, e.name().as_ref(), name, text)?;
                        let bad = |m: String| error(name, text, offset, m);
                        match (tag.as_str(), pair.as_mut()) {
                            ("source", Some(p)) => p.source = content,
                            ("target", Some(p)) => p.target = content,
                            ("note", _) if !in_unit => {
                                if category == "bitext:meta" {
                                    bitext.meta = serde_json::from_str(&content)
                                        .map_err(|e| bad(format!("bad metadata: {e}")))?;
                                }
                            }
                            ("note", _) => {
                                let is_flag = FlagCode::parse(&category).is_some();
                                if !is_flag && !category.starts_with("bitext:") {
                                    continue;
                                }
                                let (id, body) = content
                                    .split_once(": ")
                                    .ok_or_else(|| bad("note is not `ID: TEXT`".to_string()))?;
                                let note = match category.as_str() {
                                    "bitext:term" => {
                                        UnitNote::Term(term_from_text(body).map_err(bad)?)
                                    }
                                    "bitext:origin" => UnitNote::Origin(
                                        serde_json::from_str(body)
                                            .map_err(|e| bad(format!("bad origin: {e}")))?,
                                    ),
                                    _ if is_flag => {
                                        UnitNote::Flag(flag_from_text(body).map_err(bad)?)
                                    }
                                    _ => continue,
                                };
                                notes.push((id.to_string(), note, offset));
                            }
                            _ => {
                                return Err(bad("text outside a <segment>".to_string()));
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                "segment" => bitext.pairs.extend(pair.take()),
                "unit" => {
                    in_unit = false;
                    let pairs = &mut bitext.pairs[unit_start..];
                    for (id, note, at) in notes.drain(..) {
                        let wanted = segment_id(&id);
                        let index = segment_ids.iter().position(|s| *s == wanted);
                        let owner = index.and_then(|i| pairs.get_mut(i)).ok_or_else(|| {
                            error(name, text, at, format!("note for unknown segment {id:?}"))
                        })?;
                        match note {
                            UnitNote::Flag(flag) => owner.flags.push(flag),
                            UnitNote::Term(hit) => owner.terms.push(hit),
                            UnitNote::Origin(origin) => {
                                // The note keeps the exact id (a segment id cannot hold `+`).
                                owner.id = id;
                                owner.origin = origin;
                            }
                        }
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(error(
            name,
            text,
            0,
            "no <xliff> element: not an XLIFF file",
        ));
    }
    Ok(bitext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_ids_are_nmtokens() {
        assert_eq!(segment_id("b12.s3"), "b12.s3");
        assert_eq!(segment_id("b12.s3+s4"), "b12.s3_s4");
        assert_eq!(segment_id("a b<"), "a_b_");
        assert_eq!(segment_id(""), "_");
    }

    #[test]
    fn malformed_xliff_names_the_line() {
        let e = read("<x/>", "a.xlf").unwrap_err().to_string();
        assert_eq!(e, "a.xlf:1: no <xliff> element: not an XLIFF file");
        let text = "<xliff srcLang=\"zh\" trgLang=\"en\">\n<file id=\"f\"><unit id=\"b1\">\n<notes><note category=\"failed\">b1.s9: error failed: x</note></notes>\n<segment id=\"b1.s1\"><source>a</source></segment>\n</unit></file></xliff>";
        let e = read(text, "a.xlf").unwrap_err().to_string();
        assert_eq!(e, "a.xlf:3: note for unknown segment \"b1.s9\"");
        let e = read("<xliff>\n<source>a</sour></xliff>", "a.xlf")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("a.xlf:2: "), "{e}");
    }
}

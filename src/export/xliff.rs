//! XLIFF 2.1 (namespace `urn:oasis:names:tc:xliff:document:2.0`, `version="2.1"`): one
//! `<file>`, one `<unit>` per block (`id="b12"`, `type="bitext:paragraph"`), one `<segment>`
//! per pair with `state="translated"`, or `initial` where the target is empty or the pair has
//! flags. Flags are unit `<note>`s `ID: FLAG` (the TSV flag form) with `category` = the flag
//! code and `priority` 1 for errors, 5 for warnings. Segment ids are the pair ids with any
//! character that is not allowed in an XML NMTOKEN (such as the `+` of `b12.s3+s4`) replaced
//! by `_`; [`read_xliff`] turns `_` back into `+`.

use super::ExportError;
use super::tsv::{flag_from_text, flag_to_text};
use super::xml::{attribute, error, escape, escape_into, read_text};
use crate::model::{Bitext, BlockKind, Meta, Origin, Pair, Severity};
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

/// Writes the XLIFF 2.1 document.
pub fn render(bitext: &Bitext) -> String {
    let mut out = String::with_capacity(512 + bitext.pairs.len() * 400);
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
    out.push_str(" xml:space=\"preserve\">\n");
    let mut unit_ids = HashSet::new();
    let mut start = 0;
    while start < bitext.pairs.len() {
        let block = bitext.pairs[start].block;
        let end = start
            + bitext.pairs[start..]
                .iter()
                .take_while(|p| p.block == block)
                .count();
        let pairs = &bitext.pairs[start..end];
        start = end;
        let mut unit_id = format!("b{block}");
        let mut n = 1;
        while !unit_ids.insert(unit_id.clone()) {
            n += 1;
            unit_id = format!("b{block}-{n}");
        }
        out.push_str("    <unit id=\"");
        out.push_str(&unit_id);
        out.push_str("\" type=\"bitext:");
        out.push_str(pairs[0].kind.as_str());
        out.push_str("\">\n");
        if pairs.iter().any(|p| !p.flags.is_empty()) {
            out.push_str("      <notes>\n");
            for pair in pairs {
                for flag in &pair.flags {
                    out.push_str("        <note category=\"");
                    out.push_str(flag.code.as_str());
                    out.push_str("\" priority=\"");
                    out.push_str(match flag.severity {
                        Severity::Error => "1",
                        Severity::Warning => "5",
                    });
                    out.push_str("\">");
                    escape_into(&mut out, &pair.id);
                    out.push_str(": ");
                    escape_into(&mut out, &flag_to_text(flag));
                    out.push_str("</note>\n");
                }
            }
            out.push_str("      </notes>\n");
        }
        for pair in pairs {
            let state = if pair.target.is_empty() || !pair.flags.is_empty() {
                "initial"
            } else {
                "translated"
            };
            out.push_str("      <segment id=\"");
            escape_into(&mut out, &segment_id(&pair.id));
            out.push_str("\" state=\"");
            out.push_str(state);
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

/// Reads an XLIFF 2 file written by [`write_xliff`]: one pair per `<segment>`, in order, the
/// block number from the unit id `bN`, the kind from its `type`, flags from the unit's notes.
/// `name` is used in error messages.
pub fn read(text: &str, name: &str) -> Result<Bitext, ExportError> {
    let mut reader = Reader::from_str(text);
    let mut bitext = Bitext::new("", "", Meta::default());
    let mut seen_root = false;
    let (mut block, mut kind) = (0u32, BlockKind::Paragraph);
    let mut notes: Vec<(String, crate::model::Flag)> = Vec::new();
    let mut unit_start = 0;
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
                        notes.clear();
                    }
                    "segment" => {
                        let id = attr("id")?.unwrap_or_default().replace('_', "+");
                        pair = Some(Pair {
                            id,
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
                        let content = read_text(&mut reader, e.name().as_ref(), name, text)?;
                        match (tag.as_str(), pair.as_mut()) {
                            ("source", Some(p)) => p.source = content,
                            ("target", Some(p)) => p.target = content,
                            ("note", _) => {
                                let (id, flag) = content.split_once(": ").ok_or_else(|| {
                                    error(name, text, offset, "note is not `ID: FLAG`")
                                })?;
                                let flag = flag_from_text(flag)
                                    .map_err(|m| error(name, text, offset, m))?;
                                notes.push((id.to_string(), flag));
                            }
                            _ => {
                                return Err(error(name, text, offset, "text outside a <segment>"));
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                "segment" => bitext.pairs.extend(pair.take()),
                "unit" => {
                    for (id, flag) in notes.drain(..) {
                        let owner = bitext.pairs[unit_start..].iter_mut().find(|p| p.id == id);
                        let owner = owner.ok_or_else(|| {
                            error(
                                name,
                                text,
                                offset,
                                format!("note for unknown segment {id:?}"),
                            )
                        })?;
                        owner.flags.push(flag);
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
        let text = "<xliff srcLang=\"zh\" trgLang=\"en\">\n<file id=\"f\"><unit id=\"b1\">\n<notes><note>b1.s9: error failed: x</note></notes>\n<segment id=\"b1.s1\"><source>a</source></segment>\n</unit></file></xliff>";
        let e = read(text, "a.xlf").unwrap_err().to_string();
        assert_eq!(e, "a.xlf:5: note for unknown segment \"b1.s9\"");
        let e = read("<xliff>\n<source>a</sour></xliff>", "a.xlf")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("a.xlf:2: "), "{e}");
    }
}

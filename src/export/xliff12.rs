//! XLIFF 1.2 (namespace `urn:oasis:names:tc:xliff:document:1.2`), the version most CAT tools
//! exchange (OmegaT, Trados, memoQ, Phrase; translate-toolkit's `xliff2po`).
//!
//! One `<file>` for the article (`original` = its source file), a `<group>` per block
//! (`id="b12"`, `restype="x-paragraph"`), one `<trans-unit>` per pair (`id` = the pair id,
//! unchanged). The target's `state` comes from the pair: `needs-review-translation` when it
//! has flags, `final` for a manual (human) target, `translated` for a machine translation
//! (`state-qualifier="leveraged-mt"`) or an aligned human translation; a pair without target
//! has no `<target>`. Flags are `<note from="bitext-flag">` (the TSV flag form, priority 1 for
//! errors, 5 for warnings), term hits `<note from="bitext-term">` (see [`super::notes`]). What
//! CAT tools have no place for — the pair's origin and the document's metadata — is kept as
//! JSON in `<prop-group name="bitext">`, which tools ignore, so that [`read`] gives back the
//! same bitext. Valid against the XLIFF 1.2 transitional schema.

use super::ExportError;
use super::notes::{term_from_text, term_to_text};
use super::tsv::{flag_from_text, flag_to_text};
use super::xml::{attribute, error, escape, escape_into, read_text};
use crate::model::{Bitext, BlockKind, Meta, Origin, Pair, Severity};
use quick_xml::Reader;
use quick_xml::events::Event;
use std::collections::HashSet;

/// The XLIFF 1.2 namespace.
pub const NAMESPACE: &str = "urn:oasis:names:tc:xliff:document:1.2";

/// The `state` (and `state-qualifier`) of a pair's target.
fn target_state(pair: &Pair) -> (&'static str, Option<&'static str>) {
    if !pair.flags.is_empty() {
        return ("needs-review-translation", None);
    }
    match pair.origin {
        Origin::Manual => ("final", None),
        Origin::Translated { .. } => ("translated", Some("leveraged-mt")),
        Origin::Aligned { .. } => ("translated", None),
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("model types serialise")
}

/// Writes the XLIFF 1.2 document.
pub fn render(bitext: &Bitext) -> String {
    let mut out = String::with_capacity(512 + bitext.pairs.len() * 500);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xliff version=\"1.2\" xmlns=\"");
    out.push_str(NAMESPACE);
    out.push_str("\">\n  <file original=\"");
    let original = bitext.meta.source_file.as_deref().unwrap_or("article");
    escape_into(&mut out, original);
    out.push_str("\" source-language=\"");
    escape_into(&mut out, &bitext.source_lang);
    out.push_str("\" target-language=\"");
    escape_into(&mut out, &bitext.target_lang);
    out.push_str("\" datatype=\"plaintext\" tool-id=\"bitext\">\n    <header>\n");
    out.push_str("      <tool tool-id=\"bitext\" tool-name=\"bitext\" tool-version=\"");
    out.push_str(&escape(env!("CARGO_PKG_VERSION")));
    out.push_str("\"/>\n      <prop-group name=\"bitext\"><prop prop-type=\"meta\">");
    escape_into(&mut out, &json(&bitext.meta));
    out.push_str("</prop></prop-group>\n    </header>\n    <body>\n");
    let mut group_ids = HashSet::new();
    let mut start = 0;
    while start < bitext.pairs.len() {
        let block = bitext.pairs[start].block;
        let kind = bitext.pairs[start].kind;
        let len = bitext.pairs[start..]
            .iter()
            .take_while(|p| p.block == block && p.kind == kind)
            .count();
        let mut group_id = format!("b{block}");
        let mut n = 1;
        while !group_ids.insert(group_id.clone()) {
            n += 1;
            group_id = format!("b{block}-{n}");
        }
        out.push_str("      <group id=\"");
        out.push_str(&group_id);
        out.push_str("\" restype=\"x-");
        out.push_str(kind.as_str());
        out.push_str("\">\n");
        for pair in &bitext.pairs[start..start + len] {
            push_unit(&mut out, pair);
        }
        out.push_str("      </group>\n");
        start += len;
    }
    out.push_str("    </body>\n  </file>\n</xliff>\n");
    out
}

fn push_unit(out: &mut String, pair: &Pair) {
    out.push_str("        <trans-unit id=\"");
    escape_into(out, &pair.id);
    out.push_str("\" xml:space=\"preserve\">\n          <source>");
    escape_into(out, &pair.source);
    out.push_str("</source>\n");
    if !pair.target.is_empty() {
        let (state, qualifier) = target_state(pair);
        out.push_str("          <target state=\"");
        out.push_str(state);
        if let Some(qualifier) = qualifier {
            out.push_str("\" state-qualifier=\"");
            out.push_str(qualifier);
        }
        out.push_str("\">");
        escape_into(out, &pair.target);
        out.push_str("</target>\n");
    }
    for flag in &pair.flags {
        let priority = match flag.severity {
            Severity::Error => "1",
            Severity::Warning => "5",
        };
        out.push_str("          <note from=\"bitext-flag\" priority=\"");
        out.push_str(priority);
        out.push_str("\">");
        escape_into(out, &flag_to_text(flag));
        out.push_str("</note>\n");
    }
    for hit in &pair.terms {
        out.push_str("          <note from=\"bitext-term\" priority=\"10\">");
        escape_into(out, &term_to_text(hit));
        out.push_str("</note>\n");
    }
    out.push_str("          <prop-group name=\"bitext\"><prop prop-type=\"origin\">");
    escape_into(out, &json(&pair.origin));
    out.push_str("</prop></prop-group>\n        </trans-unit>\n");
}

/// Reads an XLIFF 1.2 file: one pair per `<trans-unit>`, in document order, over every
/// `<file>`. bitext's own groups, notes and props give back block, kind, flags, term hits,
/// origin and metadata; a file from another tool gets block numbers from `bN.sM` ids (else 0),
/// kind `paragraph` and origin `manual`, and its other notes are ignored. `name` is used in
/// error messages.
pub fn read(text: &str, name: &str) -> Result<Bitext, ExportError> {
    let mut reader = Reader::from_str(text);
    let mut bitext = Bitext::new("", "", Meta::default());
    let mut seen_root = false;
    let mut group: Option<(u32, BlockKind)> = None;
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
                    "xliff" => seen_root = true,
                    // The first file names the languages (one bitext per article).
                    "file" if bitext.source_lang.is_empty() => {
                        bitext.source_lang = attr("source-language")?.unwrap_or_default();
                        bitext.target_lang = attr("target-language")?.unwrap_or_default();
                        bitext.meta.source_file = attr("original")?;
                    }
                    "group" => {
                        let id = attr("id")?.unwrap_or_default();
                        let number = id.strip_prefix('b').and_then(|n| n.split('-').next());
                        let kind = attr("restype")?
                            .as_deref()
                            .and_then(|t| t.strip_prefix("x-"))
                            .and_then(BlockKind::parse);
                        group = match (number.and_then(|n| n.parse().ok()), kind) {
                            (Some(block), Some(kind)) => Some((block, kind)),
                            _ => None,
                        };
                    }
                    "trans-unit" => {
                        let id = attr("id")?.unwrap_or_default();
                        let (block, kind) = group.unwrap_or_else(|| {
                            let block =
                                crate::model::SegmentId::parse(id.split('+').next().unwrap_or(""))
                                    .map_or(0, |s| s.block);
                            (block, BlockKind::Paragraph)
                        });
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
                    "source" | "target" | "note" | "prop" if is_start => {
                        let from = attr("from")?;
                        let prop_type = attr("prop-type")?;
                        let content = read_text(&mut reader, e.name().as_ref(), name, text)
                            .map_err(|err| inline_markup(err, &tag))?;
                        let bad = |m: String| error(name, text, offset, m);
                        match (tag.as_str(), pair.as_mut()) {
                            ("source", Some(p)) => p.source = content,
                            ("target", Some(p)) => p.target = content,
                            ("note", Some(p)) => match from.as_deref() {
                                Some("bitext-flag") => {
                                    p.flags.push(flag_from_text(&content).map_err(bad)?)
                                }
                                Some("bitext-term") => {
                                    p.terms.push(term_from_text(&content).map_err(bad)?)
                                }
                                _ => {}
                            },
                            ("prop", Some(p)) if prop_type.as_deref() == Some("origin") => {
                                p.origin = serde_json::from_str(&content)
                                    .map_err(|e| bad(format!("bad origin: {e}")))?;
                            }
                            ("prop", None) if prop_type.as_deref() == Some("meta") => {
                                // bitext's own metadata, complete (it replaces `original`).
                                bitext.meta = serde_json::from_str(&content)
                                    .map_err(|e| bad(format!("bad metadata: {e}")))?;
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                "trans-unit" => {
                    bitext.pairs.extend(pair.take());
                }
                "group" => group = None,
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

/// Inline markup (`<g>`, `<x/>`, …) in a segment is not something bitext can keep: say so.
fn inline_markup(err: ExportError, tag: &str) -> ExportError {
    match err {
        ExportError::Parse {
            name,
            line,
            message,
        } if message.starts_with("unexpected markup") => ExportError::Parse {
            name,
            line,
            message: format!("inline markup inside <{tag}> is not supported (plain text only)"),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_xliff12_names_the_line() {
        let e = read("<x/>", "a.xlf").unwrap_err().to_string();
        assert_eq!(e, "a.xlf:1: no <xliff> element: not an XLIFF file");
        let text = "<xliff version=\"1.2\">\n<file source-language=\"zh\" original=\"a\" datatype=\"plaintext\"><body>\n<trans-unit id=\"1\"><source>a<g id=\"1\">b</g></source></trans-unit>\n</body></file></xliff>";
        let e = read(text, "a.xlf").unwrap_err().to_string();
        assert_eq!(
            e,
            "a.xlf:3: inline markup inside <source> is not supported (plain text only)"
        );
        let text = "<xliff version=\"1.2\"><file source-language=\"zh\" original=\"a\" datatype=\"plaintext\"><body>\n<trans-unit id=\"1\"><source>a</source>\n<note from=\"bitext-flag\">fatal x: y</note></trans-unit></body></file></xliff>";
        let e = read(text, "a.xlf").unwrap_err().to_string();
        assert!(e.starts_with("a.xlf:3: bad flag severity"), "{e}");
    }

    #[test]
    fn a_foreign_file_gets_blocks_from_ids_and_manual_origin() {
        let text = "<xliff version=\"1.2\" xmlns=\"urn:oasis:names:tc:xliff:document:1.2\"><file source-language=\"zh-CN\" target-language=\"en\" original=\"x.txt\" datatype=\"plaintext\"><body>\
            <trans-unit id=\"b3.s2\"><source>你好。</source><target>Hello.</target><note>a translator's note</note></trans-unit>\
            <trans-unit id=\"7\"><source>再见。</source></trans-unit></body></file></xliff>";
        let b = read(text, "x.xlf").unwrap();
        assert_eq!(
            (b.source_lang.as_str(), b.target_lang.as_str()),
            ("zh-CN", "en")
        );
        assert_eq!(b.meta.source_file.as_deref(), Some("x.txt"));
        assert_eq!(b.pairs.len(), 2);
        assert_eq!(
            (b.pairs[0].block, b.pairs[0].target.as_str()),
            (3, "Hello.")
        );
        assert!(b.pairs[0].flags.is_empty());
        assert_eq!((b.pairs[1].block, b.pairs[1].target.as_str()), (0, ""));
        assert_eq!(b.pairs[1].origin, Origin::Manual);
    }
}

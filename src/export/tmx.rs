//! TMX 1.4b: one `<tu>` per pair (`tuid` = the pair's id), a `<tuv>` per language with the
//! text in `<seg>`, the block number and kind as `<prop type="x-block">`/`x-kind`, and each
//! flag as a `<note>` (in the TSV flag form). An empty side is left out (a `<tu>` keeps at
//! least one `<tuv>`). Valid against `tmx14.dtd`; [`read`] reads it back.

use super::ExportError;
use super::tsv::{flag_from_text, flag_to_text};
use super::xml::{attribute, error, escape, escape_into, read_text};
use crate::model::{Bitext, BlockKind, Meta, Origin, Pair};
use quick_xml::Reader;
use quick_xml::events::Event;

/// `2021-08-24T10:00:00Z` → `20210824T100000Z` (TMX dates are UTC, ISO 8601 basic form).
fn tmx_date(rfc3339: &str) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(rfc3339, &Rfc3339).ok()?;
    let t = t.to_offset(time::UtcOffset::UTC);
    Some(format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

fn tool_version(meta: &Meta) -> String {
    meta.tool
        .strip_prefix("bitext ")
        .unwrap_or(env!("CARGO_PKG_VERSION"))
        .to_string()
}

/// Writes the TMX document.
pub fn render(bitext: &Bitext) -> String {
    let mut out = String::with_capacity(512 + bitext.pairs.len() * 400);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tmx version=\"1.4\">\n");
    out.push_str("  <header creationtool=\"bitext\" creationtoolversion=\"");
    out.push_str(&escape(&tool_version(&bitext.meta)));
    out.push_str("\" segtype=\"sentence\" o-tmf=\"bitext\" adminlang=\"en\" srclang=\"");
    out.push_str(&escape(&bitext.source_lang));
    out.push_str("\" datatype=\"plaintext\"");
    if let Some(date) = tmx_date(&bitext.meta.created) {
        out.push_str(" creationdate=\"");
        out.push_str(&date);
        out.push('"');
    }
    out.push_str(">\n");
    let header_props = [
        ("x-title", &bitext.meta.title),
        ("x-source-file", &bitext.meta.source_file),
        ("x-target-file", &bitext.meta.target_file),
        ("x-backend", &bitext.meta.backend),
        ("x-model", &bitext.meta.model),
        ("x-aligner", &bitext.meta.aligner),
        ("x-glossary-digest", &bitext.meta.glossary_digest),
    ];
    for (kind, value) in header_props {
        if let Some(value) = value {
            push_prop(&mut out, "    ", kind, value);
        }
    }
    out.push_str("  </header>\n  <body>\n");
    for pair in &bitext.pairs {
        out.push_str("    <tu tuid=\"");
        escape_into(&mut out, &pair.id);
        out.push_str("\">\n");
        for flag in &pair.flags {
            out.push_str("      <note>");
            escape_into(&mut out, &flag_to_text(flag));
            out.push_str("</note>\n");
        }
        push_prop(&mut out, "      ", "x-block", &pair.block.to_string());
        push_prop(&mut out, "      ", "x-kind", pair.kind.as_str());
        let both_empty = pair.source.is_empty() && pair.target.is_empty();
        for (lang, text) in [
            (&bitext.source_lang, &pair.source),
            (&bitext.target_lang, &pair.target),
        ] {
            if text.is_empty() && !both_empty {
                continue;
            }
            out.push_str("      <tuv xml:lang=\"");
            escape_into(&mut out, lang);
            out.push_str("\"><seg>");
            escape_into(&mut out, text);
            out.push_str("</seg></tuv>\n");
        }
        out.push_str("    </tu>\n");
    }
    out.push_str("  </body>\n</tmx>\n");
    out
}

fn push_prop(out: &mut String, indent: &str, kind: &str, value: &str) {
    out.push_str(indent);
    out.push_str("<prop type=\"");
    out.push_str(kind);
    out.push_str("\">");
    escape_into(out, value);
    out.push_str("</prop>\n");
}

/// Reads a TMX file written by [`render`] (or any TMX with plain-text segments): pairs
/// come from the `<tu>`s in order; the source side is the header's `srclang`, the target the
/// other language. Missing ids become `tu1`, `tu2`…, a missing block number 0 and kind
/// `paragraph`. `name` is used in error messages.
pub fn read(text: &str, name: &str) -> Result<Bitext, ExportError> {
    let mut reader = Reader::from_str(text);
    let mut bitext = Bitext::new("", "", Meta::default());
    let mut pair: Option<Pair> = None;
    let mut lang: Option<String> = None;
    let mut prop_type: Option<String> = None;
    let mut source_seen = false;
    loop {
        let offset = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| error(name, text, offset, e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_start = matches!(event, Event::Start(_));
                let tag = e.name().as_ref().to_string();
                match tag.as_str() {
                    "header" => {
                        bitext.source_lang =
                            attribute(e, "srclang", name, text, offset)?.unwrap_or_default();
                    }
                    "tu" => {
                        source_seen = false;
                        let index = bitext.pairs.len() + 1;
                        let id = attribute(e, "tuid", name, text, offset)?
                            .unwrap_or_else(|| format!("tu{index}"));
                        pair = Some(Pair {
                            id,
                            block: 0,
                            kind: BlockKind::Paragraph,
                            source: String::new(),
                            target: String::new(),
                            terms: Vec::new(),
                            flags: Vec::new(),
                            origin: Origin::Manual,
                        });
                    }
                    "tuv" => {
                        lang = attribute(e, "xml:lang", name, text, offset)?
                            .or(attribute(e, "lang", name, text, offset)?);
                    }
                    "prop" => prop_type = attribute(e, "type", name, text, offset)?,
                    _ => {}
                }
                let mut content = String::new();
                if is_start && matches!(tag.as_str(), "seg" | "note" | "prop") {
                    content = read_text(&mut reader, &tag, name, text)?;
                }
                match tag.as_str() {
                    "seg" => {
                        let Some(pair) = pair.as_mut() else {
                            return Err(error(name, text, offset, "<seg> outside a <tu>"));
                        };
                        let lang = lang.clone().unwrap_or_default();
                        // The first tuv in the header's source language is the source (a
                        // second one in that language, as po2tmx -l en writes, the target).
                        if lang.eq_ignore_ascii_case(&bitext.source_lang) && !source_seen {
                            pair.source = content;
                            source_seen = true;
                        } else {
                            if bitext.target_lang.is_empty() {
                                bitext.target_lang = lang;
                            }
                            pair.target = content;
                        }
                    }
                    "note" if pair.is_some() => {
                        let flag =
                            flag_from_text(&content).map_err(|m| error(name, text, offset, m))?;
                        if let Some(pair) = pair.as_mut() {
                            pair.flags.push(flag);
                        }
                    }
                    "prop" => {
                        apply_prop(&mut bitext, pair.as_mut(), prop_type.take(), content)
                            .map_err(|m| error(name, text, offset, m))?;
                    }
                    _ => {}
                }
            }
            Event::End(e) if e.name().as_ref() == "tu" => {
                if let Some(pair) = pair.take() {
                    bitext.pairs.push(pair);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if bitext.source_lang.is_empty() {
        return Err(error(
            name,
            text,
            0,
            "no <header srclang=…>: not a TMX file",
        ));
    }
    Ok(bitext)
}

fn apply_prop(
    bitext: &mut Bitext,
    pair: Option<&mut Pair>,
    kind: Option<String>,
    value: String,
) -> Result<(), String> {
    let meta = &mut bitext.meta;
    match (pair, kind.as_deref()) {
        (Some(pair), Some("x-block")) => {
            pair.block = value
                .parse()
                .map_err(|_| format!("bad x-block {value:?}"))?;
        }
        (Some(pair), Some("x-kind")) => {
            pair.kind = BlockKind::parse(&value).ok_or(format!("bad x-kind {value:?}"))?;
        }
        (None, Some("x-title")) => meta.title = Some(value),
        (None, Some("x-source-file")) => meta.source_file = Some(value),
        (None, Some("x-target-file")) => meta.target_file = Some(value),
        (None, Some("x-backend")) => meta.backend = Some(value),
        (None, Some("x-model")) => meta.model = Some(value),
        (None, Some("x-aligner")) => meta.aligner = Some(value),
        (None, Some("x-glossary-digest")) => meta.glossary_digest = Some(value),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_use_the_basic_form() {
        assert_eq!(
            tmx_date("2021-08-24T18:05:09+08:00").as_deref(),
            Some("20210824T100509Z")
        );
        assert_eq!(tmx_date("yesterday"), None);
    }

    #[test]
    fn malformed_tmx_names_the_line() {
        let text = "<tmx version=\"1.4\">\n<header srclang=\"zh-CN\"/>\n<body><tu><tuv xml:lang=\"en\"><seg>a<b/></seg></tuv></tu></body></tmx>";
        let e = read(text, "x.tmx").unwrap_err().to_string();
        assert!(
            e.starts_with("x.tmx:3: unexpected markup inside <seg>"),
            "{e}"
        );
        let e = read("<tmx><body/></tmx>", "x.tmx").unwrap_err().to_string();
        assert!(e.starts_with("x.tmx:1: no <header"), "{e}");
    }
}

//! XML helpers shared by the TMX and XLIFF exporters and readers.

use super::ExportError;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// Escapes text for XML element content and attribute values: `&`, `<`, `>`, `"`, `'`, and
/// a carriage return as `&#13;` (a parser would otherwise turn it into a line feed). Characters
/// XML 1.0 forbids (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF) become U+FFFD.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// A parse error at the reader's current position.
pub(crate) fn error(
    name: &str,
    text: &str,
    offset: u64,
    message: impl Into<String>,
) -> ExportError {
    ExportError::Parse {
        name: name.to_string(),
        line: super::line_of(text, offset as usize),
        // quick-xml quotes input (a closing tag may hold a line break): keep it one line.
        message: message
            .into()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// An attribute of an element, unescaped; `None` when absent.
pub(crate) fn attribute(
    element: &BytesStart<'_>,
    key: &str,
    name: &str,
    text: &str,
    offset: u64,
) -> Result<Option<String>, ExportError> {
    for attr in element.attributes() {
        let attr = attr.map_err(|e| error(name, text, offset, format!("bad attribute: {e}")))?;
        if attr.key.as_ref() == key {
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| error(name, text, offset, format!("bad attribute value: {e}")))?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

/// Reads the text content of the element just opened (whose name is `end`) up to its end
/// tag, unescaping entities and character references. Nested markup is an error.
pub(crate) fn read_text(
    reader: &mut Reader<&[u8]>,
    end: &str,
    name: &str,
    text: &str,
) -> Result<String, ExportError> {
    let mut out = String::new();
    loop {
        let offset = reader.buffer_position();
        match reader.read_event() {
            Ok(Event::Text(t)) => {
                out.push_str(&t.xml10_content());
            }
            Ok(Event::CData(t)) => {
                out.push_str(&t);
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(c) = r
                    .resolve_char_ref()
                    .map_err(|e| error(name, text, offset, format!("bad reference: {e}")))?
                {
                    out.push(c);
                } else {
                    let entity: &str = &r;
                    let c = match entity {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        _ => {
                            return Err(error(
                                name,
                                text,
                                offset,
                                format!("unknown entity &{entity};"),
                            ));
                        }
                    };
                    out.push(c);
                }
            }
            Ok(Event::End(e)) if e.name().as_ref() == end => return Ok(out),
            Ok(Event::Comment(_)) => {}
            Ok(Event::Eof) => {
                return Err(error(name, text, offset, "unexpected end of file"));
            }
            Ok(other) => {
                return Err(error(
                    name,
                    text,
                    offset,
                    format!("unexpected markup inside <{}>: {other:?}", end),
                ));
            }
            Err(e) => return Err(error(name, text, offset, e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_controls_and_cr() {
        assert_eq!(
            escape("a<b>&\"c'\r\n\t\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#13;\n\t\u{FFFD}"
        );
    }
}

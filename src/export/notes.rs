//! The text form of what XLIFF notes carry besides flags: term hits, one per note.
//!
//! `term "两江新区" "Liangjiang New Area" source 0..12 target 31..50` (the spans are UTF-8 byte
//! ranges of the pair's source and target; `target none` when the rendering was not found).
//! Readable in a CAT tool's comment pane and parsed back by [`term_from_text`].

use crate::model::{Span, TermHit};

/// One term hit as note text.
pub fn term_to_text(hit: &TermHit) -> String {
    let json = |s: &str| serde_json::to_string(s).expect("strings serialise");
    let target = match hit.target_span {
        Some(span) => format!("{}..{}", span.start, span.end),
        None => "none".to_string(),
    };
    format!(
        "term {} {} source {}..{} target {target}",
        json(&hit.term),
        json(&hit.expected),
        hit.source_span.start,
        hit.source_span.end
    )
}

/// Parses [`term_to_text`]'s form back; the error is a message without place.
pub fn term_from_text(text: &str) -> Result<TermHit, String> {
    let bad = || {
        format!(
            "bad term note {text:?}: expected `term \"TERM\" \"EXPECTED\" source A..B target C..D|none`"
        )
    };
    let rest = text.strip_prefix("term ").ok_or_else(bad)?;
    let (term, rest) = json_string(rest).ok_or_else(bad)?;
    let rest = rest.strip_prefix(' ').ok_or_else(bad)?;
    let (expected, rest) = json_string(rest).ok_or_else(bad)?;
    let rest = rest.strip_prefix(" source ").ok_or_else(bad)?;
    let (source, target) = rest.split_once(" target ").ok_or_else(bad)?;
    let source_span = span(source).ok_or_else(bad)?;
    let target_span = match target {
        "none" => None,
        other => Some(span(other).ok_or_else(bad)?),
    };
    Ok(TermHit {
        term,
        expected,
        source_span,
        target_span,
    })
}

/// A JSON string at the start of `text`, and the text after it.
fn json_string(text: &str) -> Option<(String, &str)> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<String>();
    let value = values.next()?.ok()?;
    Some((value, &text[values.byte_offset()..]))
}

fn span(text: &str) -> Option<Span> {
    let (start, end) = text.split_once("..")?;
    Some(Span::new(start.parse().ok()?, end.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_notes_round_trip() {
        let hits = [
            TermHit {
                term: "两江新区".into(),
                expected: "Liangjiang \"New\" Area".into(),
                source_span: Span::new(0, 12),
                target_span: Some(Span::new(31, 50)),
            },
            TermHit {
                term: "a b".into(),
                expected: " target ".into(),
                source_span: Span::new(3, 4),
                target_span: None,
            },
        ];
        for hit in hits {
            let text = term_to_text(&hit);
            assert_eq!(term_from_text(&text).unwrap(), hit, "{text}");
        }
        assert_eq!(
            term_to_text(&TermHit {
                term: "两江新区".into(),
                expected: "Liangjiang New Area".into(),
                source_span: Span::new(0, 12),
                target_span: None,
            }),
            "term \"两江新区\" \"Liangjiang New Area\" source 0..12 target none"
        );
        assert!(term_from_text("term \"x\" source 1..2 target none").is_err());
        assert!(term_from_text("term \"x\" \"y\" source 1..z target none").is_err());
    }
}

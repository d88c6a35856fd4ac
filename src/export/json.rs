//! The JSON form of a [`Bitext`] (`"format": "bitext/1"`): the canonical, lossless export,
//! and the reader for it.

use crate::model::Bitext;
use serde::{Deserialize, Serialize};

/// The `format` tag of the JSON form of a [`Bitext`].
pub const JSON_FORMAT: &str = "bitext/1";

/// Errors reading the JSON form of a bitext.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("{name}:{line}:{column}: {message}")]
    Syntax {
        name: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{name}: not a bitext file: format is {found:?}, expected {JSON_FORMAT:?}")]
    Format { name: String, found: String },
}

/// serde_json's message without its ` at line L column C` suffix (the place is printed in
/// front) and with control characters escaped, so that the error stays on one line even
/// when it quotes input text.
fn one_line_json_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = message.strip_suffix(&suffix).unwrap_or(&message);
    let mut line = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line
}

#[derive(Serialize)]
struct JsonOut<'a> {
    format: &'a str,
    #[serde(flatten)]
    bitext: &'a Bitext,
}

#[derive(Deserialize)]
struct JsonIn {
    format: String,
    #[serde(flatten)]
    bitext: Bitext,
}

/// The canonical JSON form (`"format": "bitext/1"`), pretty-printed, ending in a newline.
pub fn render(bitext: &Bitext) -> String {
    let out = JsonOut {
        format: JSON_FORMAT,
        bitext,
    };
    let mut text = serde_json::to_string_pretty(&out).expect("a Bitext always serialises");
    text.push('\n');
    text
}

/// Reads the JSON form back; `name` (a file name) is used in error messages.
pub fn read(text: &str, name: &str) -> Result<Bitext, JsonError> {
    let parsed: JsonIn = serde_json::from_str(text).map_err(|e| JsonError::Syntax {
        name: name.to_string(),
        line: e.line(),
        column: e.column(),
        message: one_line_json_message(&e),
    })?;
    if parsed.format != JSON_FORMAT {
        return Err(JsonError::Format {
            name: name.to_string(),
            found: parsed.format,
        });
    }
    Ok(parsed.bitext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BlockKind, Meta, Origin, Pair, Span, TermHit};

    #[test]
    fn json_round_trips() {
        let mut bitext = Bitext::new("zh-CN", "en", Meta::default());
        bitext.pairs.push(Pair {
            id: "b1.s1".into(),
            block: 1,
            kind: BlockKind::Heading,
            source: "两江新区".into(),
            target: "Liangjiang New Area".into(),
            terms: vec![TermHit {
                term: "两江新区".into(),
                expected: "Liangjiang New Area".into(),
                source_span: Span::new(0, 12),
                target_span: Some(Span::new(0, 19)),
            }],
            flags: vec![],
            origin: Origin::Translated {
                backend: "gloss".into(),
                model: None,
                cached: false,
            },
        });
        let json = render(&bitext);
        assert!(json.starts_with("{\n  \"format\": \"bitext/1\""));
        let back = read(&json, "x.json").unwrap();
        assert_eq!(back, bitext);
        assert_eq!(render(&back), json);
    }

    #[test]
    fn wrong_format_and_syntax_are_named() {
        let err = read("{\"format\":\"other\",\"source_lang\":\"zh\",\"target_lang\":\"en\",\"meta\":{},\"pairs\":[]}", "a.json").unwrap_err();
        assert!(err.to_string().starts_with("a.json: not a bitext file"));
        let err = read("{\n  oops", "a.json").unwrap_err();
        assert!(err.to_string().starts_with("a.json:2:"), "{err}");
        assert!(!err.to_string().contains("at line"), "{err}");
        let with_newline = "{\"format\":\"bitext/1\",\"source_lang\":\"zh\",\"target_lang\":\"en\",\"meta\":{},\"pairs\":[{\"id\":\"a\",\"block\":1,\"kind\":\"x\\ny\",\"source\":\"\",\"target\":\"\",\"origin\":{\"type\":\"manual\"}}]}";
        let err = read(with_newline, "a.json").unwrap_err().to_string();
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

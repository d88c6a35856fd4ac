//! The side-by-side HTML page: one self-contained file (inline CSS, no scripts, no external
//! requests) rendered with minijinja from the built-in `template.html` or a user template,
//! with HTML auto-escaping always on.
//!
//! The template sees a context built here from the bitext (documented in `docs/formats.md`):
//! `title`, `title_target`, `source_lang`, `target_lang`, `meta`, `producer`, `created`,
//! `counts`, `terms`, `flags`, `flag_codes`, `blocks` (with `pairs`, whose `source` and
//! `target` are lists of pieces `{text, color, title, missing}`).

use super::{ExportError, Template};
use crate::model::{Bitext, BlockKind, Origin, Pair, Severity, Span};
use minijinja::{AutoEscape, Environment, Value};
use std::collections::{BTreeMap, HashMap};

/// The built-in template.
pub const TEMPLATE: &str = include_str!("template.html");

/// How many distinct highlight colours the built-in stylesheet defines (`c0`…`c9`).
pub const COLORS: usize = 10;

/// Renders the page with the built-in template or `template`.
pub fn render(bitext: &Bitext, template: Option<&Template>) -> Result<String, ExportError> {
    let (name, source) = match template {
        Some(t) => (t.name.as_str(), t.source.as_str()),
        None => ("template.html", TEMPLATE),
    };
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    // Strings go through the exporters' one XML escaper (markup characters, and control
    // characters that would make the page invalid); everything else as minijinja does.
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
            out.write_str(&super::xml::escape(text))?;
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
        .expect("the default delimiters are valid");
    env.set_syntax(syntax);
    let to_error = |e: minijinja::Error| ExportError::Template {
        name: name.to_string(),
        line: e.line().unwrap_or(1),
        message: match e.detail() {
            Some(detail) => format!("{}: {detail}", e.kind()),
            None => e.kind().to_string(),
        },
    };
    env.add_template(name, source).map_err(to_error)?;
    let page = env
        .get_template(name)
        .map_err(to_error)?
        .render(context(bitext))
        .map_err(to_error)?;
    Ok(page)
}

/// Converts a JSON value into a template value.
fn value(json: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match json {
        J::Null => Value::from(()),
        J::Bool(b) => Value::from(b),
        J::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::from(i),
            (None, Some(f)) => Value::from(f),
            _ => Value::from(n.to_string()),
        },
        J::String(s) => Value::from(s),
        J::Array(items) => items.into_iter().map(value).collect(),
        J::Object(map) => {
            let map: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, value(v))).collect();
            Value::from_object(map)
        }
    }
}

/// One run of text of a cell: plain, or a glossary term with its colour and hover title.
#[derive(serde::Serialize)]
struct Piece<'a> {
    text: &'a str,
    color: Option<usize>,
    title: Option<String>,
    missing: bool,
}

/// Cuts `text` into pieces at the valid, non-overlapping spans (others are ignored).
fn pieces<'a>(text: &'a str, marks: &mut [(Span, usize, String, bool)]) -> Vec<Piece<'a>> {
    marks.sort_by_key(|(span, ..)| (span.start, span.end));
    let mut out = Vec::new();
    let mut at = 0;
    for (span, color, title, missing) in marks.iter() {
        let ok = span.start >= at
            && span.start < span.end
            && span.end <= text.len()
            && text.is_char_boundary(span.start)
            && text.is_char_boundary(span.end);
        if !ok {
            continue;
        }
        if span.start > at {
            out.push(Piece {
                text: &text[at..span.start],
                color: None,
                title: None,
                missing: false,
            });
        }
        out.push(Piece {
            text: &text[span.start..span.end],
            color: Some(*color),
            title: Some(title.clone()),
            missing: *missing,
        });
        at = span.end;
    }
    if at < text.len() || out.is_empty() {
        out.push(Piece {
            text: &text[at..],
            color: None,
            title: None,
            missing: false,
        });
    }
    out
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn origin_text(pair: &Pair) -> String {
    match &pair.origin {
        Origin::Translated {
            backend,
            model,
            cached,
        } => {
            let mut text = format!("translated by {backend}");
            if let Some(model) = model {
                text.push_str(&format!(" ({model})"));
            }
            if *cached {
                text.push_str(", from the cache");
            }
            text
        }
        Origin::Aligned { score, src, tgt } => {
            format!("aligned {}:{}, score {score:.2}", src.len(), tgt.len())
        }
        Origin::Manual => "manual".to_string(),
    }
}

/// `2026-11-27T17:55:00Z` → `2026-11-27 17:55 UTC`; other text as it is.
fn display_date(created: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    match time::OffsetDateTime::parse(created, &Rfc3339) {
        Ok(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        }
        Err(_) => created.to_string(),
    }
}

/// The template context.
fn context(bitext: &Bitext) -> Value {
    use serde_json::json;
    // Colours by order of first appearance of each term.
    let mut colors: HashMap<&str, usize> = HashMap::new();
    let mut terms: Vec<(&str, Vec<&str>, usize)> = Vec::new();
    for hit in bitext.pairs.iter().flat_map(|p| &p.terms) {
        let index = *colors.entry(hit.term.as_str()).or_insert_with(|| {
            terms.push((hit.term.as_str(), Vec::new(), 0));
            terms.len() - 1
        });
        let entry = &mut terms[index];
        entry.2 += 1;
        if !entry.1.contains(&hit.expected.as_str()) {
            entry.1.push(hit.expected.as_str());
        }
    }
    let first_heading = super::markdown::first_heading_block(bitext);
    let mut flags = Vec::new();
    let mut codes: Vec<(&str, &str, usize)> = Vec::new();
    let mut blocks = Vec::new();
    let (mut hits, mut flagged_pairs, mut source_chars, mut target_words) = (0, 0, 0, 0);
    for run in super::markdown::blocks(&bitext.pairs) {
        let kind = run[0].kind;
        let (tag, level) = match kind {
            BlockKind::Heading if Some(run[0].block) == first_heading => ("h2", Some(1)),
            BlockKind::Heading => ("h3", Some(2)),
            BlockKind::Paragraph => ("div", None),
            BlockKind::Byline | BlockKind::Caption => ("p", None),
        };
        let mut pairs = Vec::new();
        for pair in run {
            hits += pair.terms.len();
            source_chars += pair.source.chars().filter(|c| !c.is_whitespace()).count();
            target_words += pair.target.split_whitespace().count();
            let mut src_marks = Vec::new();
            let mut tgt_marks = Vec::new();
            for hit in &pair.terms {
                let color = colors[hit.term.as_str()] % COLORS;
                let title = format!("{} → {}", hit.term, hit.expected);
                match hit.target_span {
                    Some(span) => {
                        src_marks.push((hit.source_span, color, title.clone(), false));
                        tgt_marks.push((span, color, title, false));
                    }
                    None => {
                        let title = format!("{title} (not found in the translation)");
                        src_marks.push((hit.source_span, color, title, true));
                    }
                }
            }
            let worst = pair.flags.iter().map(|f| f.severity).max();
            if worst.is_some() {
                flagged_pairs += 1;
            }
            let pair_flags: Vec<_> = pair
                .flags
                .iter()
                .map(|f| {
                    let severity = severity_name(f.severity);
                    match codes.iter_mut().find(|(c, ..)| *c == f.code.as_str()) {
                        Some(entry) => entry.2 += 1,
                        None => codes.push((f.code.as_str(), severity, 1)),
                    }
                    let flag = json!({
                        "id": pair.id,
                        "code": f.code.as_str(),
                        "severity": severity,
                        "message": f.message,
                        "term": f.term,
                        "expected": f.expected,
                    });
                    flags.push(flag.clone());
                    flag
                })
                .collect();
            pairs.push(json!({
                "id": pair.id,
                "kind": kind.as_str(),
                "severity": worst.map(severity_name),
                "source": pieces(&pair.source, &mut src_marks),
                "target": pieces(&pair.target, &mut tgt_marks),
                "source_text": pair.source,
                "target_text": pair.target,
                "flags": pair_flags,
                "origin": origin_text(pair),
            }));
        }
        blocks.push(json!({
            "number": run[0].block,
            "kind": kind.as_str(),
            "tag": tag,
            "level": level,
            "pairs": pairs,
        }));
    }
    let title_pair = bitext.pairs.iter().find(|p| {
        p.kind == BlockKind::Heading && bitext.meta.title.as_ref().is_none_or(|t| *t == p.source)
    });
    let title = bitext
        .meta
        .title
        .clone()
        .or_else(|| title_pair.map(|p| p.source.clone()))
        .or_else(|| bitext.meta.source_file.clone())
        .unwrap_or_else(|| "Bilingual text".to_string());
    let title_target = title_pair
        .map(|p| p.target.clone())
        .filter(|t| !t.is_empty());
    let meta = &bitext.meta;
    let producer = match (&meta.backend, &meta.model, &meta.aligner) {
        (Some(b), Some(m), _) => Some(format!("{b} ({m})")),
        (Some(b), None, _) => Some(b.clone()),
        (None, _, Some(a)) => Some(a.clone()),
        (None, Some(m), None) => Some(m.clone()),
        (None, None, None) => None,
    };
    let (errors, warnings) = bitext.flag_counts();
    let block_count = super::markdown::blocks(&bitext.pairs).count();
    value(json!({
        "title": title,
        "title_target": title_target,
        "source_lang": bitext.source_lang,
        "target_lang": bitext.target_lang,
        "meta": meta,
        "producer": producer,
        "producer_label": if meta.backend.is_some() { "Translated by" } else if meta.aligner.is_some() { "Aligned by" } else { "Produced by" },
        "created": meta.created,
        "created_display": display_date(&meta.created),
        "counts": {
            "pairs": bitext.pairs.len(),
            "blocks": block_count,
            "term_hits": hits,
            "terms": terms.len(),
            "errors": errors,
            "warnings": warnings,
            "flags": errors + warnings,
            "flagged_pairs": flagged_pairs,
            "source_chars": source_chars,
            "target_words": target_words,
        },
        "terms": terms.iter().enumerate().map(|(i, (term, expected, count))| json!({
            "term": term,
            "expected": expected.join(" / "),
            "color": i % COLORS,
            "count": count,
        })).collect::<Vec<_>>(),
        "flags": flags,
        "flag_codes": codes.iter().map(|(code, severity, count)| json!({
            "code": code, "severity": severity, "count": count,
        })).collect::<Vec<_>>(),
        "blocks": blocks,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(start: usize, end: usize, color: usize) -> (Span, usize, String, bool) {
        (Span::new(start, end), color, format!("t{color}"), false)
    }

    #[test]
    fn pieces_cut_at_valid_spans_only() {
        let text = "两江新区 and 重庆";
        let mut marks = vec![
            mark(0, 12, 0),
            mark(6, 9, 1),   // overlaps the first
            mark(1, 3, 2),   // inside a character
            mark(17, 99, 3), // past the end
            mark(17, 23, 4),
        ];
        let got: Vec<(&str, Option<usize>)> = pieces(text, &mut marks)
            .iter()
            .map(|p| (p.text, p.color))
            .collect();
        assert_eq!(
            got,
            vec![("两江新区", Some(0)), (" and ", None), ("重庆", Some(4))]
        );
        assert_eq!(pieces("", &mut []).len(), 1);
    }

    #[test]
    fn template_errors_name_file_and_line() {
        let bitext = Bitext::new("zh-CN", "en", crate::model::Meta::default());
        let template = Template {
            name: "mine.html".into(),
            source: "<p>\n{{ title }\n".into(),
        };
        let err = render(&bitext, Some(&template)).unwrap_err().to_string();
        assert!(
            err.starts_with("mine.html:2: template error: syntax error"),
            "{err}"
        );
    }

    #[test]
    fn user_templates_are_escaped_too() {
        let mut bitext = Bitext::new("zh-CN", "en", crate::model::Meta::default());
        bitext.meta.title = Some("<b>&".into());
        let template = Template {
            name: "t.txt".into(),
            source: "{{ title }}|{{ counts.pairs }}".into(),
        };
        assert_eq!(
            render(&bitext, Some(&template)).unwrap(),
            "&lt;b&gt;&amp;|0"
        );
    }
}

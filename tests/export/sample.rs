//! A sample-sized bitext for the export tests and benchmark: the seed article read and split
//! by the library, with a synthetic English target (deterministic filler of a realistic length,
//! containing the renderings of a few glossary terms, with spans on both sides) until the
//! `gloss` translation exists.
#![allow(dead_code)]

use bitext::model::{Flag, FlagCode, Meta, Origin, Pair, Severity, Span, TermHit};
use bitext::{Bitext, document, split};
use std::path::Path;

const TERMS: [(&str, &str); 5] = [
    ("两江新区", "Liangjiang New Area"),
    ("数字经济", "digital economy"),
    ("重庆", "Chongqing"),
    ("智博会", "Smart China Expo"),
    ("大数据", "big data"),
];

const FILLER: [&str; 12] = [
    "the",
    "city",
    "will",
    "further",
    "promote",
    "development",
    "and",
    "cooperation",
    "in",
    "new",
    "industries",
    "with",
];

/// Builds the sample bitext from the article at `path`.
pub fn sample_bitext(path: &Path) -> Bitext {
    let doc = document::read_path(path).expect("the sample article reads");
    let meta = Meta {
        title: doc.title().map(str::to_string),
        source_file: Some("samples/smart-china-expo-2021.zh.md".into()),
        backend: Some("synthetic".into()),
        created: "2026-11-27T12:00:00Z".into(),
        tool: "bitext 0.1.0".into(),
        ..Meta::default()
    };
    let mut bitext = Bitext::new("zh-CN", "en", meta);
    for (n, segment) in split::segment_document(&doc).into_iter().enumerate() {
        let source = segment.text;
        // Term occurrences in the source, leftmost first, not overlapping.
        let mut found: Vec<(usize, &str, &str)> = Vec::new();
        for (term, rendering) in TERMS {
            for (at, _) in source.match_indices(term) {
                if !found
                    .iter()
                    .any(|&(s, t, _)| at < s + t.len() && s < at + term.len())
                {
                    found.push((at, term, rendering));
                }
            }
        }
        found.sort();
        let words = (source.chars().count() * 10 / 16).max(2);
        let mut target = String::new();
        let mut terms = Vec::new();
        let mut next_term = found.iter();
        for w in 0..words {
            if !target.is_empty() {
                target.push(' ');
            }
            if w % 7 == 3
                && let Some(&(at, term, rendering)) = next_term.next()
            {
                let start = target.len();
                target.push_str(rendering);
                terms.push(TermHit {
                    term: term.into(),
                    expected: rendering.into(),
                    source_span: Span::new(at, at + term.len()),
                    target_span: Some(Span::new(start, target.len())),
                });
                continue;
            }
            target.push_str(FILLER[(n * 5 + w) % FILLER.len()]);
        }
        let mut flags = Vec::new();
        for &(at, term, rendering) in next_term {
            terms.push(TermHit {
                term: term.into(),
                expected: rendering.into(),
                source_span: Span::new(at, at + term.len()),
                target_span: None,
            });
            flags.push(Flag {
                code: FlagCode::MissingTerm,
                severity: Severity::Error,
                message: format!("missing \"{rendering}\" for {term}"),
                term: Some(term.into()),
                expected: Some(rendering.into()),
            });
        }
        terms.sort_by_key(|t| t.source_span.start);
        target.push('.');
        if let Some(first) = target.get(..1) {
            let upper = first.to_ascii_uppercase();
            target.replace_range(..1, &upper);
        }
        bitext.pairs.push(Pair {
            id: segment.id.to_string(),
            block: segment.block,
            kind: segment.kind,
            source,
            target,
            terms,
            flags,
            origin: Origin::Translated {
                backend: "synthetic".into(),
                model: None,
                cached: n % 3 == 0,
            },
        });
    }
    bitext
}

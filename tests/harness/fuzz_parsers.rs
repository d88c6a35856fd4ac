//! Property tests ("fuzzing") of the parsers of other stages: the glossary TOML loader, the
//! TSV / TMX / XLIFF bitext readers and the OpenAI batch-answer parser. Same rules as
//! `fuzz.rs`: no panic, bounded time (the watchdog), one-line errors naming the file, and the
//! parser's own invariants (round trips; answers never shifted or guessed).
//!
//! ```sh
//! BITEXT_FUZZ_SECS=300 cargo test --release --test integration fuzz_parsers_for_a_while -- --ignored --nocapture
//! ```
#![allow(clippy::ptr_arg)] // the checks take `&S::Value` to fit `fuzz_target`

use super::fuzz::{TimedRun, config, fuzz_target, watchdog};
use bitext::backend::openai::parse_answer;
use bitext::export::{self, Format};
use bitext::glossary::Glossary;
use bitext::model::{Bitext, BlockKind, Flag, FlagCode, Meta, Origin, Pair, Severity};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::json;
use std::path::Path;

const GLOSSARY: &str = r#"name = "fuzz"
source_lang = "zh-CN"
target_lang = "en"

[[term]]
source = "两江新区"
target = "Liangjiang New Area"
alternates = ["Liangjiang"]
note = "a note"

[[term]]
source = "上合组织"
target = "SCO"
first = "Shanghai Cooperation Organization (SCO)"

[[term]]
source = "智博会"
keep = true
case_sensitive = true
"#;

/// Random edits of a text: insert, replace or delete at random places.
fn damaged(base: &'static str, pieces: Vec<&'static str>) -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0..3u8,
        prop::sample::select(pieces),
    );
    prop::collection::vec(edit, 1..5).prop_map(move |edits| {
        let mut text = base.to_string();
        for (index, op, piece) in edits {
            let mut at = index.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let next = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            match op {
                0 => text.insert_str(at, piece),
                1 => text.replace_range(at..next, piece),
                _ => text.replace_range(at..next, ""),
            }
        }
        text
    })
}

fn check_glossary(text: &String) -> Result<(), TestCaseError> {
    match Glossary::parse(text, Path::new("fuzz.toml")) {
        Ok(glossary) => {
            prop_assert_eq!(glossary.origins.len(), glossary.terms.len());
            // Not asserted: non-empty `source` and `target`. The loader accepts `source = ""`
            // and `target = ""` (lint reports them); pinned by `empty_source_or_target_refused`.
            for term in &glossary.terms {
                let _ = (term.rendering(false), term.rendering(true), term.key());
            }
        }
        Err(err) => {
            let message = err.to_string();
            prop_assert!(message.starts_with("fuzz.toml"), "{}", message);
            prop_assert!(!message.contains('\n'), "two lines: {}", message);
        }
    }
    Ok(())
}

fn glossary_text() -> impl Strategy<Value = String> {
    damaged(
        GLOSSARY,
        vec![
            "[",
            "]",
            "[[term]]\n",
            "\"",
            "'",
            "=",
            "\n",
            "#",
            "\\",
            "\\u0000",
            "true",
            "3",
            "1979-05-27",
            "[]",
            "{}",
            "source = \"\"\n",
            "target = \"\"\n",
            "keep = \"yes\"\n",
            "first = 1\n",
            "alternates = [1]\n",
            "unknown = 1\n",
            "\u{0}",
            "\u{FEFF}",
            "两江新区",
            "\"\"\"",
            "'''",
            "\r\n",
        ],
    )
}

fn pair_strategy() -> impl Strategy<Value = Pair> {
    let text = "[a-z两江。\\\\\t\n\r \"<>&]{0,12}";
    (
        "b[0-9]{1,3}\\.s[0-9]{1,2}",
        1..50u32,
        prop::sample::select(vec![
            BlockKind::Heading,
            BlockKind::Paragraph,
            BlockKind::Byline,
            BlockKind::Caption,
        ]),
        text,
        text,
        prop::collection::vec((text, any::<bool>()), 0..3),
    )
        .prop_map(|(id, block, kind, source, target, flags)| Pair {
            id,
            block,
            kind,
            source,
            target,
            terms: vec![],
            flags: flags
                .into_iter()
                .map(|(message, error)| Flag {
                    code: FlagCode::parse("number_mismatch").expect("a known code"),
                    severity: if error {
                        Severity::Error
                    } else {
                        Severity::Warning
                    },
                    message: message.replace(['\n', '\r'], " "),
                    term: None,
                    expected: None,
                })
                .collect(),
            origin: Origin::Manual,
        })
}

/// TSV written and read back keeps every pair's id, block, kind, source, target and flags.
fn check_tsv_round_trip(pairs: &Vec<Pair>) -> Result<(), TestCaseError> {
    let mut bitext = Bitext::new("zh-CN", "en", Meta::default());
    bitext.pairs = pairs.clone();
    let text = export::tsv::render(&bitext);
    let back = export::tsv::read(&text, "rt.tsv")
        .map_err(|e| TestCaseError::fail(format!("own TSV unreadable: {e}")))?;
    prop_assert_eq!(back.pairs.len(), pairs.len());
    for (a, b) in back.pairs.iter().zip(pairs) {
        prop_assert_eq!(&a.id, &b.id);
        prop_assert_eq!(a.block, b.block);
        prop_assert_eq!(a.kind, b.kind);
        prop_assert_eq!(&a.source, &b.source);
        prop_assert_eq!(&a.target, &b.target);
        prop_assert_eq!(&a.flags, &b.flags);
    }
    Ok(())
}

/// Any text through every reader: a bitext or a one-line error naming the file.
fn check_readers(text: &String) -> Result<(), TestCaseError> {
    for format in [Format::Tsv, Format::Tmx, Format::Xliff, Format::Json] {
        if let Err(err) = export::read(text, format, "fuzz.in") {
            let message = err.to_string();
            prop_assert!(message.starts_with("fuzz.in"), "{:?}: {}", format, message);
            // TMX and XLIFF quote quick-xml's message, which can hold the document's own line
            // break (`expected </header>, but </\nheader> was found`): known, pinned by
            // `xml_reader_errors_are_one_line`.
            if matches!(format, Format::Tsv | Format::Json) {
                prop_assert!(
                    !message.contains('\n'),
                    "{:?}: two lines: {}",
                    format,
                    message
                );
            }
        }
    }
    Ok(())
}

/// Valid files of every readable format, damaged.
fn reader_text() -> impl Strategy<Value = String> {
    let mut bitext = Bitext::new("zh-CN", "en", Meta::default());
    bitext.pairs.push(Pair {
        id: "b1.s1".into(),
        block: 1,
        kind: BlockKind::Heading,
        source: "两江新区\t<&>".into(),
        target: "Liangjiang New Area".into(),
        terms: vec![],
        flags: vec![],
        origin: Origin::Manual,
    });
    let options = export::ExportOptions::default();
    let files: Vec<&'static str> = [Format::Tsv, Format::Tmx, Format::Xliff, Format::Json]
        .iter()
        .map(|&f| {
            &*Box::leak(
                export::render(&bitext, f, &options)
                    .unwrap()
                    .into_boxed_str(),
            )
        })
        .collect();
    let pieces = vec![
        "\t",
        "\n",
        "\\",
        "\\t",
        "<",
        ">",
        "&",
        "&amp;",
        "&#0;",
        "&#xD800;",
        "<tu>",
        "</tu>",
        "<seg>",
        "]]>",
        "<![CDATA[",
        "\"",
        "{",
        "}",
        "b1.s1",
        "heading",
        "nonsense",
        "\u{0}",
    ];
    prop::sample::select(files).prop_flat_map(move |file| damaged(file, pieces.clone()))
}

/// The batch-answer parser: an answer dressed in any of the ways models dress it (fences,
/// prose, reasoning blocks, whitespace) gives back exactly the translations, in order.
fn check_answer_dressed(input: &(Vec<(String, String)>, u8, String)) -> Result<(), TestCaseError> {
    let (translations, dressing, prose) = input;
    let object = json!({
        "translations": translations
            .iter()
            .map(|(id, text)| json!({"id": id, "text": text}))
            .collect::<Vec<_>>()
    })
    .to_string();
    let prose = prose.replace(['{', '}', '`'], "");
    let content = match dressing {
        0 => object.clone(),
        1 => format!("```json\n{object}\n```"),
        2 => format!("{prose}\n{object}"),
        3 => format!("<think>{prose} {{\"translations\": []}}</think>\n{object}"),
        4 => format!("  \n{object}\n\n"),
        _ => format!("{prose}\n```\n{object}\n```\n{prose}"),
    };
    let (outputs, bare) =
        parse_answer(&content).map_err(|e| TestCaseError::fail(format!("{e} for {content:?}")))?;
    let got: Vec<(String, String)> = outputs.into_iter().map(|o| (o.id, o.text)).collect();
    prop_assert_eq!(&got, translations);
    prop_assert_eq!(bare, content.trim() == object);
    Ok(())
}

/// Any text: no panic; an answer only when the text holds a `translations` key, or is a JSON
/// array (serde reads a struct from a sequence too: `[[]]` is an empty answer; pinned by
/// `answer_must_be_an_object`; harmless since ids are checked after parsing).
fn check_answer_any(content: &String) -> Result<(), TestCaseError> {
    if let Ok((outputs, _)) = parse_answer(content) {
        prop_assert!(
            content.contains("translations") || content.contains('['),
            "answer read from {:?}: {:?}",
            content,
            outputs
        );
    }
    Ok(())
}

/// Found by `answer_junk`: `parse_answer("[[]]")` is an (empty) answer, and
/// `[[{"id":"b1.s1","text":"x"}]]` a one-item answer: the `Answer` struct is deserialized
/// from a JSON array by position. The protocol's answer is an object with `translations`.
#[test]

fn answer_must_be_an_object() {
    assert!(parse_answer("[[]]").is_err());
    assert!(parse_answer(r#"[[{"id":"b1.s1","text":"x"}]]"#).is_err());
}

fn answer_parts() -> impl Strategy<Value = (Vec<(String, String)>, u8, String)> {
    (
        prop::collection::vec(("b[0-9]{1,2}\\.s[0-9]", "\\PC{0,20}"), 0..6),
        0..6u8,
        "[A-Za-z ,.:!\n]{0,40}",
    )
}

fn answer_junk() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        "\"translations\"",
        ":",
        ",",
        "\"id\"",
        "\"text\"",
        "\"b1.s1\"",
        "```",
        "```json\n",
        "<think>",
        "</think>",
        "\n",
        " ",
        "null",
        "Here is",
        "\"",
    ]);
    prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_glossary_damaged(text in glossary_text()) {
        watchdog(&text, check_glossary)?;
    }

    #[test]
    fn fuzz_glossary_any_text(text in "\\PC{0,120}") {
        watchdog(&text, check_glossary)?;
    }

    #[test]
    fn fuzz_tsv_round_trip(pairs in prop::collection::vec(pair_strategy(), 0..6)) {
        watchdog(&pairs, check_tsv_round_trip)?;
    }

    #[test]
    fn fuzz_bitext_readers_damaged(text in reader_text()) {
        watchdog(&text, check_readers)?;
    }

    #[test]
    fn fuzz_answer_dressed(parts in answer_parts()) {
        watchdog(&parts, check_answer_dressed)?;
    }

    #[test]
    fn fuzz_answer_junk(text in answer_junk()) {
        watchdog(&text, check_answer_any)?;
    }
}

#[test]
fn fixture_glossary_parses() {
    let glossary = Glossary::parse(GLOSSARY, Path::new("fixture.toml")).unwrap();
    assert_eq!(glossary.terms.len(), 3);
}

/// Every parser target for `BITEXT_FUZZ_SECS` seconds each (default 10).
#[test]
#[ignore = "timed fuzzing; run by hand (docs/development.md)"]
fn fuzz_parsers_for_a_while() {
    let TimedRun { secs, only } = TimedRun::from_env();
    let wanted = |name: &str| only.is_empty() || name.contains(&only);
    if wanted("glossary") {
        fuzz_target("glossary_damaged", secs, glossary_text(), check_glossary);
    }
    if wanted("tsv") {
        fuzz_target(
            "tsv_round_trip",
            secs / 2,
            prop::collection::vec(pair_strategy(), 0..6),
            check_tsv_round_trip,
        );
    }
    if wanted("readers") {
        fuzz_target("bitext_readers_damaged", secs, reader_text(), check_readers);
    }
    if wanted("answer") {
        fuzz_target(
            "answer_dressed",
            secs / 2,
            answer_parts(),
            check_answer_dressed,
        );
        fuzz_target(
            "answer_junk",
            secs - secs / 2,
            answer_junk(),
            check_answer_any,
        );
    }
}

/// quick-xml's mismatch message quotes the closing tag as found, line break included, and
/// the TMX/XLIFF readers pass it on: a two-line error (the CLI flattens it to one line).
#[test]
fn xml_reader_errors_are_one_line() {
    let tmx = "<?xml version=\"1.0\"?>\n<tmx version=\"1.4\">\n<header>\n</\nheader>\n</tmx>\n";
    let err = export::read(tmx, Format::Tmx, "a.tmx")
        .unwrap_err()
        .to_string();
    assert!(!err.contains('\n'), "{err}");
}

/// Found by `glossary_damaged`: an empty `source` or `target` (a term that matches nowhere
/// or asks for an empty rendering). `Glossary::parse` keeps such entries so that
/// `bitext glossary lint` can report every one; loading a glossary for use refuses them with
/// the entry's line.
#[test]
fn empty_source_or_target_refused() {
    let dir = tempfile::tempdir().unwrap();
    for text in [
        "[[term]]\nsource = \"\"\ntarget = \"X\"\n",
        "[[term]]\nsource = \"上合组织\"\ntarget = \"\"\n",
    ] {
        let path = dir.path().join("e.toml");
        std::fs::write(&path, text).unwrap();
        let err = Glossary::load_layered(&[path]).expect_err(text).to_string();
        assert!(
            err.contains("e.toml:1:1: ") && err.contains("empty"),
            "{err}"
        );
    }
}

//! Property tests that stand in for cargo-fuzz (no cargo-fuzz on the build machines): each
//! target is a `check_*` function over generated input that must not panic, must finish in
//! bounded time (a watchdog thread), and must keep the target's invariants.
//!
//! In the normal suite each target runs proptest's default number of cases. A timed run of
//! every target (`fuzz_for_a_while`, ignored by default) keeps drawing fresh random cases for
//! `BITEXT_FUZZ_SECS` seconds per target:
//!
//! ```sh
//! BITEXT_FUZZ_SECS=300 cargo test --release --test integration fuzz_for_a_while -- --ignored --nocapture
//! ```

// The checks take `&S::Value` (a `String` or `Vec<u8>`) to fit `fuzz_target`.
#![allow(clippy::ptr_arg)]

use bitext::document::{self, Encoding};
use bitext::model::BlockKind;
use bitext::split;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The longest any single case may take before it counts as a hang.
const CASE_LIMIT: Duration = Duration::from_secs(20);

/// Runs `check` on a thread and fails when it does not finish within [`CASE_LIMIT`] (a hang or
/// a pathological slowdown). A panic inside `check` is a failure too.
pub(super) fn watchdog<T: Send + std::fmt::Debug + Clone + 'static>(
    input: &T,
    check: fn(&T) -> Result<(), TestCaseError>,
) -> Result<(), TestCaseError> {
    let (tx, rx) = mpsc::channel();
    let owned = input.clone();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&owned)));
        let _ = tx.send(result);
    });
    match rx.recv_timeout(CASE_LIMIT) {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(TestCaseError::fail(format!("panicked: {message}")))
        }
        Err(_) => Err(TestCaseError::fail(format!(
            "no answer within {CASE_LIMIT:?} (hang?)"
        ))),
    }
}

/// Pieces that make the reader and splitter work: sentence marks, quotes, brackets, titles,
/// ellipses, dashes, headings, bylines, captions, credits, list markers, line ends, spaces.
const PIECES: &[&str] = &[
    "。",
    "！",
    "？",
    "!",
    "?",
    ".",
    "…",
    "……",
    "⋯",
    "——",
    "，",
    "、",
    "；",
    "：",
    ":",
    ";",
    ",",
    "“",
    "”",
    "‘",
    "’",
    "「",
    "」",
    "『",
    "』",
    "（",
    "）",
    "(",
    ")",
    "《",
    "》",
    "\"",
    "'",
    "\n",
    "\n",
    "\n\n",
    "\n\n",
    "\r\n",
    "\r",
    " ",
    "\u{3000}",
    "\t",
    "# ",
    "## ",
    "####### ",
    "#",
    "本报记者 张三",
    "记者 谢智强 摄/视觉重庆",
    "▲",
    "图为",
    "摄影：",
    "一、",
    "1.",
    "（1）",
    "两江新区",
    "重庆",
    "数字经济",
    "甲",
    "乙",
    "丙",
    "近年来",
    "据悉",
    "a",
    "Yahoo!",
    "3.5",
    "24%",
    "8月23日",
    "2021年",
    "\u{200b}",
    "\u{feff}",
    "é",
    "😀",
];

/// Text built from [`PIECES`], with now and then an arbitrary character.
fn article_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        12 => prop::sample::select(PIECES).prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..300).prop_map(|pieces| pieces.concat())
}

/// The source with whitespace and the heading markers the reader drops removed: what the
/// blocks must hold, in order.
fn expected_content(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    loop {
        let (line, next) = match rest.find(['\r', '\n']) {
            Some(i) => {
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                (&rest[..i], Some(&rest[i + skip..]))
            }
            None => (rest, None),
        };
        let trimmed = line.trim_start();
        let hashes = trimmed.bytes().take_while(|&b| b == b'#').count();
        let after = &trimmed[hashes..];
        let heading = (1..=6).contains(&hashes)
            && (after.is_empty() || after.starts_with(char::is_whitespace));
        let content = if heading { after } else { line };
        out.extend(content.chars().filter(|c| !c.is_whitespace()));
        match next {
            Some(next) => rest = next,
            None => break,
        }
    }
    out
}

/// The splitter's contract on a document: blocks numbered from 1, segments that tile each
/// block (every segment a trimmed, non-empty slice, in order, only whitespace between and
/// around them), ids `b{block}.s{n}` from 1, and no character of the source lost.
fn check_document(name: &str, text: &str, doc: &document::Document) -> Result<(), TestCaseError> {
    prop_assert_eq!(&doc.name, name);
    let mut content = String::new();
    for (index, block) in doc.blocks.iter().enumerate() {
        prop_assert_eq!(block.number as usize, index + 1);
        prop_assert!(!block.lines.is_empty());
        prop_assert!(block.first_line() <= block.last_line());
        content.extend(block.text.chars().filter(|c| !c.is_whitespace()));
        let segments = split::segment_block(block);
        let mut rest = block.text.as_str();
        for (n, segment) in segments.iter().enumerate() {
            prop_assert_eq!(segment.id.block, block.number);
            prop_assert_eq!(segment.id.sentence as usize, n + 1);
            prop_assert_eq!(segment.block, block.number);
            prop_assert_eq!(segment.kind, block.kind);
            prop_assert!(!segment.text.is_empty());
            prop_assert_eq!(segment.text.trim(), segment.text.as_str());
            prop_assert!(
                (block.first_line()..=block.last_line()).contains(&segment.line),
                "line {} outside the block's lines",
                segment.line
            );
            let gap = rest.len() - rest.trim_start().len();
            rest = &rest[gap..];
            prop_assert!(
                rest.starts_with(segment.text.as_str()),
                "segment {:?} is not the next slice of the block (rest {:?})",
                segment.text,
                rest
            );
            rest = &rest[segment.text.len()..];
        }
        prop_assert!(
            rest.trim().is_empty(),
            "text after the last segment: {:?}",
            rest
        );
        if block.kind != BlockKind::Paragraph {
            prop_assert!(segments.len() <= 1);
        }
    }
    prop_assert_eq!(content, expected_content(text));
    let all = split::segment_document(doc);
    let by_block: usize = doc
        .blocks
        .iter()
        .map(|b| split::segment_block(b).len())
        .sum();
    prop_assert_eq!(all.len(), by_block);
    Ok(())
}

fn check_text(text: &String) -> Result<(), TestCaseError> {
    let doc = document::parse_text("fuzz.md", text, Encoding::Utf8);
    check_document("fuzz.md", text, &doc)?;
    // `sentence_ranges` on its own: ordered, disjoint, on character boundaries, trimmed,
    // and only whitespace between them.
    let ranges = split::sentence_ranges(text);
    let mut end = 0;
    for range in &ranges {
        prop_assert!(range.start >= end && range.start < range.end);
        prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
        prop_assert!(text[end..range.start].trim().is_empty());
        let slice = &text[range.clone()];
        prop_assert_eq!(slice.trim(), slice);
        end = range.end;
    }
    prop_assert!(text[end..].trim().is_empty());
    Ok(())
}

/// Any bytes: a document or a one-line error naming the file; never a panic.
fn check_bytes(bytes: &Vec<u8>) -> Result<(), TestCaseError> {
    match document::parse_bytes("fuzz.bin", bytes.clone()) {
        Ok(doc) => {
            prop_assert!(!doc.blocks.is_empty());
            let (text, encoding) = document::decode("fuzz.bin", bytes.clone()).map_err(|e| {
                TestCaseError::fail(format!("parse_bytes read it, decode not: {e}"))
            })?;
            prop_assert_eq!(encoding, doc.encoding);
            check_document("fuzz.bin", &text, &doc)
        }
        Err(err) => {
            let message = err.to_string();
            prop_assert!(message.starts_with("fuzz.bin"), "{}", message);
            prop_assert!(!message.contains('\n'), "two lines: {}", message);
            Ok(())
        }
    }
}

/// Bytes that look like text in one of the supported encodings, then damaged a little.
fn encoded_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        article_text(),
        0..5u8,
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
    )
        .prop_map(|(text, encoding, damage)| {
            let mut bytes = match encoding {
                0 => text.into_bytes(),
                1 => {
                    let mut b = b"\xEF\xBB\xBF".to_vec();
                    b.extend_from_slice(text.as_bytes());
                    b
                }
                2 => {
                    let mut b = vec![0xFF, 0xFE];
                    b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
                    b
                }
                3 => {
                    let mut b = vec![0xFE, 0xFF];
                    b.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
                    b
                }
                _ => encoding_rs::GB18030.encode(&text).0.into_owned(),
            };
            if !bytes.is_empty() {
                for (index, byte) in damage {
                    let i = index.index(bytes.len());
                    bytes[i] = byte;
                }
            }
            bytes
        })
}

/// The bitext/1 JSON reader: arbitrary text and damaged valid files give a value or a
/// one-line error naming the file; a value read back writes the same JSON again.
fn check_bitext_json(text: &String) -> Result<(), TestCaseError> {
    match bitext::export::json::read(text, "fuzz.json") {
        Ok(bitext) => {
            let again =
                bitext::export::json::read(&bitext::export::json::render(&bitext), "again.json")
                    .map_err(|e| TestCaseError::fail(format!("own output unreadable: {e}")))?;
            prop_assert_eq!(again, bitext);
        }
        Err(err) => {
            let message = err.to_string();
            prop_assert!(message.starts_with("fuzz.json"), "{}", message);
            prop_assert!(!message.contains('\n'), "two lines: {}", message);
        }
    }
    Ok(())
}

/// An unknown variant that contains an escaped newline once made a two-line error (serde
/// quotes the string as it is); fixed on main ("bitext/1 JSON errors stay on one line").
#[test]
fn json_error_with_newline_is_one_line() {
    let text = VALID_JSON.replace(r#""kind": "heading""#, r#""kind": "head\ning""#);
    let err = bitext::export::json::read(&text, "a.json")
        .unwrap_err()
        .to_string();
    assert!(!err.contains('\n'), "{err}");
}

const VALID_JSON: &str = r#"{
  "format": "bitext/1",
  "source_lang": "zh-CN",
  "target_lang": "en",
  "meta": {"title": "标题", "created": "2021-08-24T00:00:00Z", "tool": "bitext 0.1.0"},
  "pairs": [
    {"id": "b1.s1", "block": 1, "kind": "heading", "source": "两江新区", "target": "Liangjiang New Area",
     "terms": [{"term": "两江新区", "expected": "Liangjiang New Area", "source_span": {"start": 0, "end": 12}, "target_span": {"start": 0, "end": 19}}],
     "flags": [{"code": "missing_term", "severity": "error", "message": "m", "term": "两江新区"}],
     "origin": {"type": "translated", "backend": "gloss", "cached": false}},
    {"id": "b2.s1+s2", "block": 2, "kind": "paragraph", "source": "甲。乙。", "target": "A. B.",
     "origin": {"type": "aligned", "score": 0.5, "src": [0, 1], "tgt": [0]}},
    {"id": "t7", "block": 3, "kind": "caption", "source": "", "target": "C", "origin": {"type": "manual"}}
  ]
}"#;

/// A valid bitext/1 file with a few characters replaced, inserted or deleted.
fn damaged_json() -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0..3u8,
        prop::sample::select(vec![
            "\"",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\\",
            "\\n",
            "1e999",
            "-1",
            "null",
            "\"x\"",
            "\u{0}",
            "\"\\ud800\"",
            "true",
            "NaN",
            "\"a\nb\"",
            "4294967296",
        ]),
    );
    prop::collection::vec(edit, 1..4).prop_map(|edits| {
        let mut text = VALID_JSON.to_string();
        for (index, op, piece) in edits {
            let mut at = index.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match op {
                0 => text.insert_str(at, piece),
                1 => {
                    let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                    text.replace_range(at..end, piece);
                }
                _ => {
                    let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                    text.replace_range(at..end, "");
                }
            }
        }
        text
    })
}

/// The proptest settings of every fuzz target: no regression files written.
pub(super) fn config() -> Config {
    Config {
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_split_text(text in article_text()) {
        watchdog(&text, check_text)?;
    }

    #[test]
    fn fuzz_split_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        watchdog(&bytes, check_bytes)?;
    }

    #[test]
    fn fuzz_split_encoded_bytes(bytes in encoded_bytes()) {
        watchdog(&bytes, check_bytes)?;
    }

    #[test]
    fn fuzz_bitext_json_damaged(text in damaged_json()) {
        watchdog(&text, check_bitext_json)?;
    }

    #[test]
    fn fuzz_bitext_json_any_text(text in "\\PC{0,200}") {
        watchdog(&text, check_bitext_json)?;
    }
}

#[test]
fn valid_json_fixture_reads() {
    let bitext = bitext::export::json::read(VALID_JSON, "valid.json").unwrap();
    assert_eq!(bitext.pairs.len(), 3);
}

/// Known inputs once found by the generators, kept as plain regression cases.
#[test]
fn fuzz_regressions() {
    for text in [
        "",
        "\n",
        "#",
        "# ",
        "。",
        "“。",
        "”。“",
        "\r\r\n",
        "\u{3000}。",
    ] {
        check_text(&text.to_string()).unwrap();
    }
}

/// Draws fresh random cases for `secs` seconds and panics with the (shrunk) input of the first
/// failure.
pub(super) fn fuzz_target<S>(
    name: &str,
    secs: u64,
    strategy: S,
    check: fn(&S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: Send + std::fmt::Debug + Clone + 'static,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut cases = 0u64;
    while Instant::now() < deadline {
        let mut runner = TestRunner::new(Config {
            cases: 512,
            ..config()
        });
        if let Err(failure) = runner.run(&strategy, |input| watchdog(&input, check)) {
            panic!("{name}: finding after {cases} cases: {failure}");
        }
        cases += 512;
    }
    eprintln!("{name}: {cases} cases in {secs} s, no finding");
}

/// The settings of a timed fuzz run: `BITEXT_FUZZ_SECS` per target (default 10) and
/// `BITEXT_FUZZ_ONLY`, a part of the target names to run (default: all).
pub(super) struct TimedRun {
    pub secs: u64,
    pub only: String,
}

impl TimedRun {
    pub fn from_env() -> TimedRun {
        TimedRun {
            secs: std::env::var("BITEXT_FUZZ_SECS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(10),
            only: std::env::var("BITEXT_FUZZ_ONLY").unwrap_or_default(),
        }
    }
}

/// Every fuzz target for `BITEXT_FUZZ_SECS` seconds (default 10). See the module docs.
#[test]
#[ignore = "timed fuzzing; run by hand (docs/development.md)"]
fn fuzz_for_a_while() {
    let TimedRun { secs, only } = TimedRun::from_env();
    let wanted = |name: &str| only.is_empty() || name.contains(&only);
    if wanted("split_text") {
        fuzz_target("split_text", secs, article_text(), check_text);
    }
    if wanted("split_bytes") {
        fuzz_target(
            "split_any_bytes",
            secs / 2,
            prop::collection::vec(any::<u8>(), 0..2000),
            check_bytes,
        );
        fuzz_target(
            "split_encoded_bytes",
            secs - secs / 2,
            encoded_bytes(),
            check_bytes,
        );
    }
    if wanted("bitext_json") {
        fuzz_target(
            "bitext_json_damaged",
            secs,
            damaged_json(),
            check_bitext_json,
        );
    }
}

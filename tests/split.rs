//! `bitext split`: the seed article's segmentation, output forms, encodings and errors.

use crate::common::{bitext, sample};
use std::fs;

fn split_stdout(args: &[&str]) -> String {
    let out = bitext().arg("split").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn seed_article_jsonl_reference_form() {
    let sample = sample();
    let jsonl = split_stdout(&[sample.to_str().unwrap(), "--format", "jsonl"]);
    // Every line starts with the reference fields in the reference order.
    for line in jsonl.lines() {
        assert!(line.starts_with("{\"block\":"), "{line}");
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys[..3], ["block", "kind", "text"]);
    }
    insta::assert_snapshot!("seed_split_jsonl", jsonl);
}

#[test]
fn seed_article_page_breaks_are_rejoined() {
    let jsonl = split_stdout(&[sample().to_str().unwrap(), "--format", "jsonl"]);
    for joined in [
        "加速补链成群",
        "在推动全市数字技术",
        "全市数字经济",
        "平台一直以",
        "加快数字化、信息化",
    ] {
        assert!(jsonl.contains(joined), "{joined} not rejoined");
    }
    let blocks: std::collections::BTreeSet<u64> = jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["block"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(blocks.len(), 41);
    assert_eq!(*blocks.last().unwrap(), 41, "block numbers are consecutive");
}

#[test]
fn text_form_has_blank_lines_between_blocks() {
    let text = split_stdout(&[sample().to_str().unwrap()]);
    assert!(text.starts_with("习近平主席贺信引发热烈反响\n\n我市各界热议——\n\n"));
    let tsv = split_stdout(&[sample().to_str().unwrap(), "--format", "tsv"]);
    assert!(
        tsv.starts_with("id\tblock\tkind\ttext\nb1.s1\t1\theading\t习近平主席贺信引发热烈反响\n")
    );
    assert_eq!(
        tsv.lines().count(),
        text.lines().filter(|l| !l.is_empty()).count() + 1
    );
}

#[test]
fn tsv_escapes_tabs_and_backslashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tab.txt");
    fs::write(&path, "甲\t乙\\丙。").unwrap();
    let tsv = split_stdout(&[path.to_str().unwrap(), "--format", "tsv"]);
    assert_eq!(
        tsv,
        "id\tblock\tkind\ttext\nb1.s1\t1\tparagraph\t甲\\t乙\\\\丙。\n"
    );
}

#[test]
fn several_files_in_order_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.md");
    let b = dir.path().join("b.md");
    fs::write(&a, "甲。乙。").unwrap();
    fs::write(&b, "丙。").unwrap();
    let text = split_stdout(&[a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(text, "甲。\n乙。\n\n丙。\n");
    let out = bitext()
        .args(["split", "-"])
        .write_stdin("# 题\n\n丁。")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "题\n\n丁。\n");
}

#[test]
fn gb18030_and_utf16_split_identically() {
    let original = fs::read_to_string(sample()).unwrap();
    let expected = split_stdout(&[sample().to_str().unwrap(), "--format", "jsonl"]);
    let dir = tempfile::tempdir().unwrap();
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(&original);
    assert!(!unmappable);
    let mut utf16le = vec![0xFF, 0xFE];
    let mut utf16be = vec![0xFE, 0xFF];
    for unit in original.encode_utf16() {
        utf16le.extend_from_slice(&unit.to_le_bytes());
        utf16be.extend_from_slice(&unit.to_be_bytes());
    }
    let crlf = original.replace('\n', "\r\n").into_bytes();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(original.as_bytes());
    for (name, bytes) in [
        ("gb.txt", gb.into_owned()),
        ("le.txt", utf16le),
        ("be.txt", utf16be),
        ("crlf.txt", crlf),
        ("bom.txt", bom),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        let got = split_stdout(&[path.to_str().unwrap(), "--format", "jsonl"]);
        assert_eq!(got, expected, "{name}");
    }
}

fn split_error(path: &str) -> String {
    let out = bitext().args(["split", path]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one-line error: {stderr}");
    stderr
}

#[test]
fn bad_inputs_give_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    let mut bytes = "第一行\n".as_bytes().to_vec();
    bytes.extend_from_slice(&[0xE4, 0xB8, 0x80, 0xFF, 0xFF]);
    fs::write(&bad, &bytes).unwrap();
    let err = split_error(bad.to_str().unwrap());
    assert!(
        err.contains("bad.txt:2:2: byte offset 13: invalid UTF-8"),
        "{err}"
    );

    let empty = dir.path().join("empty.txt");
    fs::write(&empty, "").unwrap();
    assert!(split_error(empty.to_str().unwrap()).contains("empty.txt: empty file"));

    let binary = dir.path().join("bin.dat");
    fs::write(&binary, b"PK\x03\x04\0\0\x14").unwrap();
    assert!(split_error(binary.to_str().unwrap()).contains("NUL byte"));

    assert!(split_error(dir.path().to_str().unwrap()).contains("is a directory"));
    let missing = dir.path().join("missing.txt");
    let err = split_error(missing.to_str().unwrap());
    assert!(
        err.contains("missing.txt: cannot read: No such file"),
        "{err}"
    );
}

/// A news passage written for the tests (not the sample) with its segmentation made by hand
/// following SEGMENTATION.md: quotes with and without attribution, a multi-sentence quote, an
/// ellipsis inside a quote, enumerations with `;`, a list item title, a page break that cuts a
/// term (两江新|区), a book title, a heading with `？`, byline, caption and credit.
#[test]
fn held_out_news_passage_matches_hand_segmentation() {
    let dir = crate::common::root().join("tests/fixtures/split");
    let input = dir.join("heldout-news.zh.md");
    let expected = fs::read_to_string(dir.join("heldout-news.expected.txt")).unwrap();
    assert_eq!(split_stdout(&[input.to_str().unwrap()]), expected);
    let tsv = split_stdout(&[input.to_str().unwrap(), "--format", "tsv"]);
    let kinds: Vec<&str> = tsv
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(2).unwrap())
        .collect();
    assert_eq!(kinds[..2], ["heading", "heading"]);
    assert_eq!(kinds[kinds.len() - 3..], ["byline", "caption", "caption"]);
}

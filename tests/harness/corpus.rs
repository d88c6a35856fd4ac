//! The bad-input corpus: every file in `tests/bad_inputs/` through `bitext split`, with the
//! one-line error (or success) pinned in a snapshot. Files named `passage.*` are one passage
//! in several encodings and must split exactly like the UTF-8 one.

use crate::common::{bitext, root};
use std::fmt::Write;

/// Runs `bitext split` on a corpus file (relative path, so messages are stable).
fn split(name: &str, format: &str) -> std::process::Output {
    bitext()
        .args(["split", "--format", format])
        .arg(format!("tests/bad_inputs/{name}"))
        .output()
        .unwrap()
}

fn corpus_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("tests/bad_inputs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn every_encoding_of_the_passage_splits_like_utf8() {
    let expected = split("passage.utf8.md", "jsonl");
    assert!(expected.status.success());
    let expected = String::from_utf8(expected.stdout).unwrap();
    assert_eq!(expected.lines().count(), 6, "{expected}");
    let mut seen = 0;
    for name in corpus_files().iter().filter(|n| n.starts_with("passage.")) {
        let out = split(name, "jsonl");
        assert!(out.status.success(), "{name}: {:?}", out);
        assert!(out.stderr.is_empty(), "{name}");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected, "{name}");
        seen += 1;
    }
    assert_eq!(seen, 5, "utf8, gb18030, utf16le, utf16be, crlf-bom");
}

/// Every other corpus file is refused with exit status 1, nothing on stdout and exactly one
/// line on stderr naming the file (and the place, for bad bytes).
#[test]
fn bad_files_give_one_line_errors() {
    let mut report = String::new();
    for name in corpus_files().iter().filter(|n| !n.starts_with("passage.")) {
        let out = split(name, "text");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("tests/bad_inputs/{name}")),
            "{stderr}"
        );
        write!(report, "{name}\n  {stderr}").unwrap();
    }
    insta::assert_snapshot!("split_bad_inputs", report);
}

/// A UTF-16LE file without a BOM whose text is all Chinese has no NUL byte and happens to be
/// valid GB18030: today it is read as GB18030 and split into mojibake. It must either decode
/// as UTF-16 or be refused.
#[test]

fn utf16_without_bom_is_not_mojibake() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-bom.txt");
    let text = "数字经济是未来发展的方向。";
    let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    std::fs::write(&path, bytes).unwrap();
    let out = bitext().arg("split").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() || stdout.trim() == text,
        "read as: {stdout}"
    );
}

/// A PNG starts with `0x89 'P'`, which GB18030 reads as one character: the file is decoded as
/// GB18030 and the NUL byte's offset is then counted in the decoded UTF-8 text (9), not in
/// the file (8). The message must give the file's byte offset.
#[test]

fn binary_offset_counts_file_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.png");
    std::fs::write(&path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").unwrap();
    let out = bitext().arg("split").arg(&path).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("byte offset 8: NUL byte"), "{stderr}");
}

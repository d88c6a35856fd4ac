//! `bitext glossary …` and `bitext check`: every subcommand, edits byte for byte, bad input,
//! and the recall of `find` on a news passage that is not in the repository.

use crate::common::{bitext, glossary, root};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/glossary").join(name)
}

/// A temporary directory holding a copy of a fixture as `g.toml`.
fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.toml");
    std::fs::copy(fixture(name), &path).unwrap();
    (dir, path)
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

// ── list / show ──────────────────────────────────────────────────────────────────────────

#[test]
fn list_table_tsv_and_json() {
    let g = fixture("commented.toml");
    let out = bitext()
        .args(["glossary", "list", "-g"])
        .arg(&g)
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!("list_table", stdout(&out));
    let out = bitext()
        .args(["glossary", "list", "--format", "tsv", "-g"])
        .arg(&g)
        .output()
        .unwrap();
    insta::assert_snapshot!("list_tsv", stdout(&out));
    let out = bitext()
        .args(["glossary", "-g"])
        .arg(&g)
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["name"], "commented");
    assert_eq!(json["terms"].as_array().unwrap().len(), 4);
    assert_eq!(
        json["terms"][2]["first"],
        "Shanghai Cooperation Organization (SCO)"
    );
    assert_eq!(json["digest"].as_str().unwrap().len(), 64);
}

#[test]
fn shipped_glossary_lists_at_least_40_terms_and_lints_clean() {
    let out = bitext()
        .args(["glossary", "list", "--format", "tsv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = stdout(&out).lines().count() - 1;
    assert!(rows >= 40, "{rows} terms");
    let out = bitext().args(["glossary", "lint"]).output().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "lint: 0 errors, 0 warnings\n");
    let out = bitext()
        .args(["glossary", "lint", "--strict", "-g"])
        .arg(glossary())
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn show_finds_an_entry_after_width_folding() {
    let g = fixture("commented.toml");
    let out = bitext()
        .args(["glossary", "show", "西部(重庆)科学城", "-g"])
        .arg(&g)
        .current_dir(fixture(""))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out).replace(&fixture("").display().to_string(), "<fixtures>");
    insta::assert_snapshot!("show", text);
    let out = bitext()
        .args(["glossary", "show", "没有", "-g"])
        .arg(&g)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "bitext: error: no term \"没有\" in the glossary\n"
    );
}

// ── add / rm: byte for byte ──────────────────────────────────────────────────────────────

#[test]
fn add_then_rm_restores_the_file_byte_for_byte() {
    let original = std::fs::read(fixture("commented.toml")).unwrap();
    let (dir, path) = copy_fixture("commented.toml");
    let out = bitext()
        .current_dir(dir.path())
        .args([
            "glossary",
            "-g",
            "g.toml",
            "add",
            "中欧班列",
            "China-Europe Railway Express",
        ])
        .args(["--alt", "China-Europe freight train", "--note", "official"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "added 中欧班列 → China-Europe Railway Express in g.toml\n"
    );
    let after = std::fs::read(&path).unwrap();
    assert_eq!(
        &after[..original.len()],
        &original[..],
        "the rest of the file is untouched"
    );
    insta::assert_snapshot!(
        "added_entry",
        String::from_utf8_lossy(&after[original.len()..])
    );

    let out = bitext()
        .current_dir(dir.path())
        .args(["glossary", "-g", "g.toml", "rm", "中欧班列"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "removed 中欧班列 → China-Europe Railway Express from g.toml\n"
    );
    assert_eq!(std::fs::read(&path).unwrap(), original);
}

#[test]
fn rm_of_a_middle_entry_keeps_everything_else() {
    let original = std::fs::read_to_string(fixture("commented.toml")).unwrap();
    let (dir, path) = copy_fixture("commented.toml");
    let out = bitext()
        .current_dir(dir.path())
        .args(["glossary", "-g", "g.toml", "rm", "西部(重庆)科学城"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let entry = "[[term]]\ntarget = \"Western (Chongqing) Science City\"\nsource = \"西部（重庆）科学城\"    # full-width brackets in the file\n\n";
    assert!(original.contains(entry));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        original.replacen(entry, "", 1)
    );
}

#[test]
fn add_refuses_duplicates_unless_forced() {
    let original = std::fs::read(fixture("commented.toml")).unwrap();
    let (dir, path) = copy_fixture("commented.toml");
    let out = bitext()
        .current_dir(dir.path())
        .args([
            "glossary",
            "-g",
            "g.toml",
            "add",
            "西部(重庆)科学城",
            "Western Science City",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "bitext: error: g.toml: \"西部(重庆)科学城\" is already in the glossary (as \"西部（重庆）科学城\"); use --force to update it\n"
    );
    assert_eq!(std::fs::read(&path).unwrap(), original);
    let out = bitext()
        .current_dir(dir.path())
        .args([
            "glossary",
            "-g",
            "g.toml",
            "add",
            "两江新区",
            "Liangjiang New District",
            "--force",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&path).unwrap();
    let expected = String::from_utf8(original)
        .unwrap()
        .replace("'Liangjiang New Area'", "\"Liangjiang New District\"");
    assert_eq!(text, expected);
}

#[test]
fn read_only_glossary_is_not_modified() {
    let (dir, path) = copy_fixture("commented.toml");
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    let before = std::fs::read(&path).unwrap();
    for args in [vec!["add", "新词", "new word"], vec!["rm", "两江新区"]] {
        let out = bitext()
            .current_dir(dir.path())
            .args(["glossary", "-g", "g.toml"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            stderr(&out),
            "bitext: error: g.toml: the glossary is read-only; not modified\n"
        );
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

// ── bad input ────────────────────────────────────────────────────────────────────────────

#[test]
fn bad_glossaries_are_reported_with_file_line_column() {
    let cases = [
        ("malformed.toml", "malformed.toml:2:"),
        (
            "unknown-key.toml",
            "unknown-key.toml:4:1: unknown key `colour` in [[term]]",
        ),
        (
            "missing-target.toml",
            "missing-target.toml:1:1: [[term]] \"两江新区\" has no `target`",
        ),
        (
            "wrong-type.toml",
            "wrong-type.toml:3:10: `target` must be a string",
        ),
    ];
    for (name, expected) in cases {
        let out = bitext()
            .current_dir(fixture(""))
            .args(["glossary", "list", "-g", name])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("bitext: error: {expected}")),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let out = bitext()
        .current_dir(fixture(""))
        .args(["glossary", "list", "-g", "."])
        .output()
        .unwrap();
    assert_eq!(
        stderr(&out),
        "bitext: error: .: is a directory, not a glossary file\n"
    );
    // An edit of an invalid file is refused and leaves it as it was.
    let (dir, path) = copy_fixture("malformed.toml");
    let out = bitext()
        .current_dir(dir.path())
        .args(["glossary", "-g", "g.toml", "add", "a", "b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("bitext: error: g.toml:2:"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(fixture("malformed.toml")).unwrap()
    );
}

// ── lint ─────────────────────────────────────────────────────────────────────────────────

#[test]
fn lint_reports_and_fails_on_errors() {
    let out = bitext()
        .current_dir(fixture(""))
        .args([
            "glossary",
            "lint",
            "-g",
            "lint-bad.toml",
            "-g",
            "commented.toml",
            "-g",
            "malformed.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(
        "lint",
        format!("{}--- stderr\n{}", stdout(&out), stderr(&out))
    );
}

// ── import / export ──────────────────────────────────────────────────────────────────────

#[test]
fn export_formats() {
    for format in ["tsv", "csv", "tbx", "tbx3"] {
        let out = bitext()
            .args(["glossary", "export", "--format", format, "-g"])
            .arg(fixture("commented.toml"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        insta::assert_snapshot!(format!("export_{format}"), stdout(&out));
    }
}

#[test]
fn import_of_export_gives_the_same_glossary() {
    for format in ["tsv", "csv", "tbx", "tbx3"] {
        let dir = tempfile::tempdir().unwrap();
        let exported = dir.path().join(format!("terms.{format}"));
        let out = bitext()
            .args(["glossary", "export", "--format", format, "-o"])
            .arg(&exported)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let out = bitext()
            .current_dir(dir.path())
            .args(["glossary", "-g", "new.toml", "import"])
            .arg(&exported)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).starts_with("imported "), "{}", stderr(&out));
        let original = bitext::glossary::Glossary::load(&glossary()).unwrap();
        let imported = bitext::glossary::Glossary::load(&dir.path().join("new.toml")).unwrap();
        assert_eq!(imported.terms, original.terms, "{format}");
        assert_eq!(imported.digest(), original.digest(), "{format}");
        // Importing again refuses duplicates (no --force) and changes nothing.
        let before = std::fs::read(dir.path().join("new.toml")).unwrap();
        let out = bitext()
            .current_dir(dir.path())
            .args(["glossary", "-g", "new.toml", "import"])
            .arg(&exported)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(std::fs::read(dir.path().join("new.toml")).unwrap(), before);
    }
}

#[test]
fn import_needs_a_known_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("terms.dat"), "a\tb\n").unwrap();
    // Neither the extension nor the content (no tab, no comma, no markup) says.
    std::fs::write(dir.path().join("words.dat"), "just words\n").unwrap();
    let out = bitext()
        .current_dir(dir.path())
        .args(["glossary", "-g", "g.toml", "import", "words.dat"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("words.dat: cannot tell the format"),
        "{}",
        stderr(&out)
    );
    let out = bitext()
        .current_dir(dir.path())
        .args([
            "glossary",
            "-g",
            "g.toml",
            "import",
            "terms.dat",
            "--format",
            "tsv",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let g = bitext::glossary::Glossary::load(&dir.path().join("g.toml")).unwrap();
    assert_eq!(g.terms.len(), 1);
}

// ── find: recall on a passage that is not in the repository ──────────────────────────────

#[test]
fn find_reports_every_occurrence_and_nothing_else() {
    let out = bitext()
        .current_dir(fixture(""))
        .args(["glossary", "-g"])
        .arg(glossary())
        .args(["find", "news.md", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found: Vec<(String, String, u64, u64)> = Vec::new();
    for entry in json.as_array().unwrap() {
        for o in entry["occurrences"].as_array().unwrap() {
            found.push((
                entry["term"].as_str().unwrap().to_string(),
                o["text"].as_str().unwrap().to_string(),
                o["line"].as_u64().unwrap(),
                o["column"].as_u64().unwrap(),
            ));
        }
    }
    found.sort_by_key(|f| (f.2, f.3));
    let expected: Vec<(&str, &str, u64, u64)> = vec![
        ("重庆", "重庆", 1, 3),
        ("两江新区", "两江新区", 1, 5),
        ("两江新区", "两江新区", 3, 10),
        ("两江新区", "两江新区", 3, 20),
        ("西部(重庆)科学城", "西部（重庆）科学城", 3, 27),
        ("重庆高新区", "重庆高新区", 3, 37),
        ("人工智能", "人工智能", 3, 47),
        ("工业互联网", "工业互联网", 3, 52),
        ("中欧班列", "中欧班列", 5, 11),
        ("渝新欧", "渝新欧", 5, 16),
        ("上合组织", "上合组织", 5, 38),
        // cut by the page break: starts on line 5, ends on line 7
        ("两江新区", "两江新区", 5, 52),
        ("智博会", "智博会", 7, 14),
        ("上海合作组织", "上海合作组织", 7, 23),
        ("数字经济", "数字经济", 7, 33),
        ("成渝地区双城经济圈", "成渝地区双城经济圈", 7, 42),
        ("十四五", "十四五", 9, 2),
        ("西部(重庆)科学城", "西部(重庆)科学城", 9, 9),
        ("5G", "５Ｇ", 9, 21),
        ("智慧城市", "智慧城市", 9, 33),
    ];
    let expected: Vec<(String, String, u64, u64)> = expected
        .into_iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c, d))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn find_text_summary() {
    let out = bitext()
        .current_dir(fixture(""))
        .args(["glossary", "-g", "commented.toml", "find", "news.md"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("find_text", stdout(&out));
}

// ── check ────────────────────────────────────────────────────────────────────────────────

#[test]
fn check_tsv_with_violations_exits_1() {
    let out = bitext()
        .current_dir(fixture(""))
        .args(["check", "violations.tsv", "-g"])
        .arg(glossary())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "violations.tsv:b1.s2: first mention of 上合组织 should be \"Shanghai Cooperation Organization (SCO)\"\n\
         violations.tsv:b2.s1: missing \"Western (Chongqing) Science City\" for 西部(重庆)科学城\n\
         violations.tsv:b2.s2: first mention of 渝新欧 should be \"Chongqing-Xinjiang-Europe (Yuxinou) railway\"\n"
    );
    assert_eq!(
        stderr(&out),
        "check: 3 violations (1 missing, 2 first mention) in 4 pairs\n"
    );
}

#[test]
fn check_clean_and_first_mention_only() {
    let out = bitext()
        .current_dir(fixture(""))
        .args(["check", "clean.tsv"])
        .output()
        .unwrap();
    // The default glossary is relative to the working directory: run from the repository.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = bitext()
        .args(["check"])
        .arg(fixture("clean.tsv"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
    let out = bitext()
        .args(["check"])
        .arg(fixture("first-only.tsv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).ends_with("first-only.tsv:b1.s1: first mention of 上合组织 should be \"Shanghai Cooperation Organization (SCO)\"\n"));
    let out = bitext()
        .args(["check", "--strict"])
        .arg(fixture("first-only.tsv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn check_reads_bitext_json() {
    use bitext::model::{Bitext, BlockKind, Meta, Origin, Pair};
    let mut doc = Bitext::new("zh-CN", "en", Meta::default());
    for (id, source, target) in [
        (
            "b1.s1",
            "两江新区发布新政策。",
            "The Liangjiang New Area issued a new policy.",
        ),
        ("b1.s2", "中欧班列开行。", "Freight trains departed."),
    ] {
        doc.pairs.push(Pair {
            id: id.into(),
            block: 1,
            kind: BlockKind::Paragraph,
            source: source.into(),
            target: target.into(),
            terms: vec![],
            flags: vec![],
            origin: Origin::Manual,
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.json");
    std::fs::write(&path, bitext::export::json::render(&doc)).unwrap();
    let out = bitext()
        .args(["check", "-g"])
        .arg(glossary())
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        format!(
            "{}:b1.s2: missing \"China-Europe Railway Express\" for 中欧班列\n",
            path.display()
        )
    );
}

#[test]
fn check_bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str); 3] = [
        (
            "no-header.tsv",
            "a\tb\tc\n",
            "no-header.tsv:1: not a bilingual file bitext reads (bitext JSON, TSV with a source/target header",
        ),
        ("bad.json", "{\n  \"format\": ", "bad.json:2:"),
        (
            "empty.tsv",
            "",
            "empty.tsv:1: empty file: not a bilingual file",
        ),
    ];
    for (name, content, expected) in cases {
        std::fs::write(dir.path().join(name), content).unwrap();
        let out = bitext()
            .current_dir(dir.path())
            .args(["check", name, "-g"])
            .arg(glossary())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(
            stderr(&out).starts_with(&format!("bitext: error: {expected}")),
            "{}",
            stderr(&out)
        );
    }
    let out = bitext().args(["check", "missing.tsv"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bitext()
        .args(["check", "x.tsv", "-g"])
        .arg(Path::new("tests/fixtures/glossary/malformed.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("bitext: error: tests/fixtures/glossary/malformed.toml:2:"));
}

// ── the shipped glossary on the sample article ───────────────────────────────────────────

#[test]
fn sample_plan_spells_out_the_sco_once() {
    use bitext::glossary::{Glossary, plan_terms};
    let g = Glossary::load(&glossary()).unwrap();
    let doc = bitext::document::read_path(&crate::common::sample()).unwrap();
    let segments = bitext::split::segment_document(&doc);
    let texts: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
    let plan = plan_terms(&g, &g.matcher(), &texts);
    let sco: Vec<(String, &str)> = segments
        .iter()
        .zip(&plan)
        .flat_map(|(segment, terms)| {
            terms
                .iter()
                .filter(|t| t.source == "上合组织")
                .map(move |t| (segment.id.to_string(), t.target.as_str()))
        })
        .collect();
    assert!(sco.len() > 3, "{sco:?}");
    assert_eq!(sco[0].1, "Shanghai Cooperation Organization (SCO)");
    assert!(sco[1..].iter().all(|(_, t)| *t == "SCO"), "{sco:?}");
    // Every term of every segment is asked for with a clean English rendering (or kept).
    for terms in &plan {
        for t in terms {
            assert!(!t.target.is_empty());
            assert!(
                t.target.is_ascii() || t.target == t.source,
                "{} → {}",
                t.source,
                t.target
            );
        }
    }
}

//! Interchange with the tools translators use: XLIFF 1.2 and 2.1 read back losslessly
//! (property test), schema validation (XLIFF 1.2 transitional, OmegaT's tbx.xsd), the one
//! bilingual reader and `-` for standard streams through the CLI, and the real clients:
//! translate-toolkit (xliff2po, translate.storage.tmx/tbx, csv2tbx, po2tmx) and OmegaT 3.6 in
//! console mode (`clients`).

use crate::common::{bitext, require, require_tool, shared};
use crate::export::{gloss_sample, small};
use bitext::Bitext;
use bitext::export::{self, ExportOptions, Format};
use bitext::model::{BlockKind, Flag, FlagCode, Meta, Origin, Pair, Severity, Span, TermHit};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod clients;

fn render(b: &Bitext, format: Format) -> String {
    export::render(b, format, &ExportOptions::default()).unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `../shared/schemas`, which CI checks out beside the repository: missing is a failure there.
pub fn schemas() -> Option<PathBuf> {
    let dir = shared().map(|d| d.join("schemas")).filter(|d| {
        d.join("xliff-core-1.2-transitional.xsd").is_file() && d.join("tbx.xsd").is_file()
    });
    require(
        dir.is_some(),
        "../shared/schemas (xliff-core-1.2-transitional.xsd, tbx.xsd)",
        "check out the shared folder beside the repository",
    )
    .then(|| dir.unwrap())
}

/// Validates `text` against an XML schema with xmllint, offline.
pub fn assert_schema_valid(xmllint: &Path, schema: &Path, name: &str, text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let out = Command::new(xmllint)
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema)
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{name}: {}", stderr(&out));
}

#[test]
fn xliff12_is_valid_against_the_transitional_schema() {
    let Some(xmllint) = require_tool(&["xmllint"], "apt-get install libxml2-utils") else {
        return;
    };
    let Some(schemas) = schemas() else {
        return;
    };
    let schema = schemas.join("xliff-core-1.2-transitional.xsd");
    for (name, b) in [("small.xlf", small()), ("sample.xlf", gloss_sample())] {
        assert_schema_valid(&xmllint, &schema, name, &render(&b, Format::Xliff12));
    }
    // The schema really checks: a trans-unit without its required id is refused.
    let dir = tempfile::tempdir().unwrap();
    let broken =
        render(&small(), Format::Xliff12).replacen("<trans-unit id=\"b1.s1\"", "<trans-unit", 1);
    let path = dir.path().join("broken.xlf");
    std::fs::write(&path, broken).unwrap();
    let out = Command::new(&xmllint)
        .args(["--noout", "--nonet", "--schema"])
        .arg(&schema)
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success(), "a unit without id must not validate");
}

#[test]
fn tbx_export_is_valid_against_omegats_tbx_schema() {
    let Some(xmllint) = require_tool(&["xmllint"], "apt-get install libxml2-utils") else {
        return;
    };
    let Some(schemas) = schemas() else {
        return;
    };
    for glossary in [
        "glossary/zh-en.toml",
        "tests/fixtures/glossary/commented.toml",
    ] {
        let out = bitext()
            .args(["glossary", "export", "-f", "tbx", "-o", "-", "-g", glossary])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_schema_valid(&xmllint, &schemas.join("tbx.xsd"), "g.tbx", &stdout(&out));
    }
}

#[test]
fn small_reads_back_identically_from_both_xliff_versions() {
    let b = small();
    for format in [Format::Xliff, Format::Xliff12] {
        let back = export::read(&render(&b, format), format, "small.xlf").unwrap();
        assert_eq!(back, b, "{format}");
    }
}

// ── property test: both XLIFF versions are lossless ────────────────────────────────────

/// Text as articles and translations hold it, with markup characters, quotes, tabs, line
/// breaks and surrounding spaces (XML cannot carry C0 controls other than these).
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 两江新区数字经济。，“”‘’<>&\"'\t\n\r:_+-]{0,24}"
}

fn one_line() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 两江新区。<>&\"':_-]{0,16}"
}

fn origin() -> impl Strategy<Value = Origin> {
    prop_oneof![
        Just(Origin::Manual),
        (one_line(), proptest::option::of(one_line()), any::<bool>()).prop_map(
            |(backend, model, cached)| Origin::Translated {
                backend,
                model,
                cached
            }
        ),
        (
            0u32..1000,
            proptest::collection::vec(0usize..50, 0..3),
            proptest::collection::vec(0usize..50, 0..3)
        )
            .prop_map(|(score, src, tgt)| Origin::Aligned {
                score: f64::from(score) / 1000.0,
                src,
                tgt
            }),
    ]
}

fn flag() -> impl Strategy<Value = Flag> {
    let codes = [
        FlagCode::MissingTerm,
        FlagCode::FirstMention,
        FlagCode::NumberMismatch,
        FlagCode::EmptyTarget,
        FlagCode::LowConfidence,
    ];
    (
        proptest::sample::select(codes.to_vec()),
        any::<bool>(),
        one_line(),
        proptest::option::of(text()),
        proptest::option::of(text()),
    )
        .prop_map(|(code, error, message, term, expected)| Flag {
            code,
            severity: if error {
                Severity::Error
            } else {
                Severity::Warning
            },
            message,
            term,
            expected,
        })
}

fn term_hit() -> impl Strategy<Value = TermHit> {
    (
        text(),
        text(),
        0usize..100,
        0usize..100,
        proptest::option::of((0usize..100, 0usize..100)),
    )
        .prop_map(|(term, expected, a, b, target)| TermHit {
            term,
            expected,
            source_span: Span::new(a, a + b),
            target_span: target.map(|(c, d)| Span::new(c, c + d)),
        })
}

/// One pair: (new block?, kind, merged link?, source, target, flags, terms, origin).
fn pair_parts() -> impl Strategy<
    Value = (
        bool,
        BlockKind,
        bool,
        String,
        String,
        Vec<Flag>,
        Vec<TermHit>,
        Origin,
    ),
> {
    (
        any::<bool>(),
        proptest::sample::select(vec![
            BlockKind::Heading,
            BlockKind::Paragraph,
            BlockKind::Byline,
            BlockKind::Caption,
        ]),
        any::<bool>(),
        text(),
        text(),
        proptest::collection::vec(flag(), 0..3),
        proptest::collection::vec(term_hit(), 0..3),
        origin(),
    )
}

fn meta() -> impl Strategy<Value = Meta> {
    (
        proptest::option::of(text()),
        proptest::option::of(one_line()),
        proptest::option::of(one_line()),
        proptest::option::of(one_line()),
        one_line(),
    )
        .prop_map(|(title, source_file, backend, model, created)| Meta {
            title,
            source_file,
            backend,
            model,
            created,
            tool: "bitext 0.1.0".into(),
            ..Meta::default()
        })
}

fn bitext_strategy() -> impl Strategy<Value = Bitext> {
    (meta(), proptest::collection::vec(pair_parts(), 0..12)).prop_map(|(meta, parts)| {
        let mut b = Bitext::new("zh-CN", "en", meta);
        let (mut block, mut kind, mut sentence) = (0u32, BlockKind::Paragraph, 0u32);
        for (new_block, new_kind, merged, source, target, flags, terms, origin) in parts {
            if new_block || block == 0 {
                block += 1;
                kind = new_kind;
                sentence = 0;
            }
            sentence += 1;
            let mut id = format!("b{block}.s{sentence}");
            if merged {
                sentence += 1;
                id.push_str(&format!("+s{sentence}"));
            }
            b.pairs.push(Pair {
                id,
                block,
                kind,
                source,
                target,
                terms,
                flags,
                origin,
            });
        }
        b
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the pairs hold, XLIFF 2.1 and 1.2 give back the same bitext.
    #[test]
    fn both_xliff_versions_read_back_losslessly(b in bitext_strategy()) {
        for format in [Format::Xliff, Format::Xliff12] {
            let text = render(&b, format);
            let back = export::read(&text, format, "p.xlf").map_err(|e| TestCaseError::fail(format!("{format}: {e}\n{text}")))?;
            prop_assert_eq!(&back, &b, "{}", format);
            // And the one reader recognises the version by content.
            let loaded = export::bilingual::read(&text, "p", None).unwrap();
            prop_assert_eq!(loaded.format, format);
        }
    }
}

// ── the CLI: one reader, `-` for standard streams ──────────────────────────────────────

/// `check` gives the same verdict for the sample in every format bitext reads, from a file
/// and from standard input.
#[test]
fn check_reads_every_bilingual_format_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let sample = small();
    let json = dir.path().join("s.json");
    std::fs::write(&json, render(&sample, Format::Json)).unwrap();
    let reference = bitext()
        .args(["check", "-g", "glossary/zh-en.toml"])
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(
        reference.status.code(),
        Some(1),
        "the small bitext misses a term: {}",
        stderr(&reference)
    );
    let lines = |out: &Output, name: &str| -> Vec<String> {
        stdout(out)
            .lines()
            .map(|l| l.strip_prefix(name).unwrap_or(l).to_string())
            .collect()
    };
    let expected = lines(&reference, &json.display().to_string());
    assert!(!expected.is_empty());
    for format in [Format::Tsv, Format::Tmx, Format::Xliff, Format::Xliff12] {
        let text = render(&sample, format);
        let path = dir
            .path()
            .join(format!("s-{}.{}", format.name(), format.extension()));
        std::fs::write(&path, &text).unwrap();
        let out = bitext()
            .args(["check", "-g", "glossary/zh-en.toml"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        assert_eq!(
            lines(&out, &path.display().to_string()),
            expected,
            "{format}"
        );
        let out = bitext()
            .args(["check", "-g", "glossary/zh-en.toml", "-"])
            .write_stdin(text)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format} on stdin: {}",
            stderr(&out)
        );
        assert_eq!(lines(&out, "<stdin>"), expected, "{format} on stdin");
    }
    // Plain TSV has no ids: its lines name the pairs.
    let out = bitext()
        .args(["check", "-g", "glossary/zh-en.toml", "-"])
        .write_stdin(render(&sample, Format::TsvPlain))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), expected.len());
    assert!(stdout(&out).starts_with("<stdin>:L"), "{}", stdout(&out));
}

/// `-g -` reads the glossary from standard input: the same verdict as the file, and a broken
/// glossary on stdin is one line naming `-` and the place.
#[test]
fn glossary_from_stdin_gives_the_file_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("s.json");
    std::fs::write(&json, render(&small(), Format::Json)).unwrap();
    let from_file = bitext()
        .args(["check", "-g", "glossary/zh-en.toml"])
        .arg(&json)
        .output()
        .unwrap();
    let glossary = std::fs::read_to_string(crate::common::glossary()).unwrap();
    let from_stdin = bitext()
        .args(["check", "-g", "-"])
        .arg(&json)
        .write_stdin(glossary)
        .output()
        .unwrap();
    assert_eq!(from_stdin.status.code(), Some(1), "{}", stderr(&from_stdin));
    assert_eq!(stdout(&from_stdin), stdout(&from_file));
    let broken = bitext()
        .args(["check", "-g", "-"])
        .arg(&json)
        .write_stdin("[[term]]\nsource = \"两江新区\"\ntarget = \n")
        .output()
        .unwrap();
    // `check` exits 2 when the file or a glossary cannot be read (1 is for findings).
    assert_eq!(broken.status.code(), Some(2));
    let err = stderr(&broken);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("-:3:"), "{err}");
}

#[test]
fn a_file_in_no_bilingual_format_is_named_with_the_formats() {
    for command in [
        &["check", "-g", "glossary/zh-en.toml", "-"][..],
        &["export", "-", "-f", "json"][..],
    ] {
        let out = bitext()
            .args(command)
            .write_stdin("# A heading\n\nSome text.\n")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(
            err.contains("<stdin>:1: not a bilingual file bitext reads (bitext JSON, TSV with a source/target header, plain source<TAB>target TSV, TMX, XLIFF 2.x, XLIFF 1.2)"),
            "{command:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn export_converts_between_formats_through_standard_streams() {
    let b = small();
    // XLIFF 1.2 in, XLIFF 2.1 out, then back to JSON: nothing lost on the way.
    let out = bitext()
        .args(["export", "-", "-f", "xliff", "-o", "-"])
        .write_stdin(render(&b, Format::Xliff12))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = bitext()
        .args(["export", "-", "-f", "json"])
        .write_stdin(out.stdout)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(bitext::export::json::read(&stdout(&out), "x").unwrap(), b);
    // `-f xliff12` writes an .xlf by default name and `.xlf` alone stays XLIFF 2.1.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("b.json");
    std::fs::write(&json, render(&b, Format::Json)).unwrap();
    let xlf = dir.path().join("b.xlf");
    let out = bitext()
        .arg("export")
        .arg(&json)
        .arg("-o")
        .arg(&xlf)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&xlf)
            .unwrap()
            .contains("version=\"2.1\"")
    );
    let out = bitext()
        .arg("export")
        .arg(&json)
        .args(["-f", "xliff12", "-o"])
        .arg(&xlf)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&xlf)
            .unwrap()
            .contains("<xliff version=\"1.2\"")
    );
}

/// `-o -` is standard output for every command that writes, never a file named `-`.
#[test]
fn dash_output_is_stdout_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let zh = dir.path().join("zh.txt");
    let en = dir.path().join("en.txt");
    std::fs::write(&zh, "两江新区位于重庆。\n数字经济发展很快。\n").unwrap();
    std::fs::write(
        &en,
        "Liangjiang New Area is in Chongqing.\nThe digital economy grows fast.\n",
    )
    .unwrap();
    let glossary = crate::common::glossary();
    let runs: [Vec<&std::ffi::OsStr>; 4] = [
        vec![
            "terms".as_ref(),
            zh.as_os_str(),
            "-o".as_ref(),
            "-".as_ref(),
            "-g".as_ref(),
            glossary.as_os_str(),
        ],
        vec![
            "align".as_ref(),
            "--presplit".as_ref(),
            zh.as_os_str(),
            en.as_os_str(),
            "-o".as_ref(),
            "-".as_ref(),
        ],
        vec![
            "glossary".as_ref(),
            "export".as_ref(),
            "-f".as_ref(),
            "tbx".as_ref(),
            "-o".as_ref(),
            "-".as_ref(),
            "-g".as_ref(),
            glossary.as_os_str(),
        ],
        vec![
            "export".as_ref(),
            "-".as_ref(),
            "-f".as_ref(),
            "tmx".as_ref(),
            "-o".as_ref(),
            "-".as_ref(),
        ],
    ];
    for args in runs {
        let out = bitext()
            .current_dir(dir.path())
            .args(&args)
            .write_stdin(render(&small(), Format::Json))
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(!out.stdout.is_empty(), "{args:?} wrote nothing to stdout");
        assert!(
            !dir.path().join("-").exists(),
            "{args:?} created a file named -"
        );
    }
}

#[test]
fn glossary_import_reads_standard_input_in_any_format() {
    let out = bitext()
        .args([
            "glossary",
            "export",
            "-f",
            "tbx",
            "-g",
            "tests/fixtures/glossary/commented.toml",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let tbx = stdout(&out);
    let tsv = stdout(
        &bitext()
            .args([
                "glossary",
                "export",
                "-f",
                "tsv",
                "-g",
                "tests/fixtures/glossary/commented.toml",
            ])
            .output()
            .unwrap(),
    );
    for (format, text) in [("tbx", &tbx), ("tsv", &tsv)] {
        let dir = tempfile::tempdir().unwrap();
        let out = bitext()
            .current_dir(dir.path())
            .args(["glossary", "-g", "new.toml", "import", "-"])
            .write_stdin(text.as_str())
            .output()
            .unwrap();
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        let out = bitext()
            .current_dir(dir.path())
            .args(["glossary", "-g", "new.toml", "export", "-f", "tsv"])
            .output()
            .unwrap();
        assert_eq!(stdout(&out), tsv, "{format}");
    }
}

/// `align --presplit` takes a bilingual file for either side: its sources for the Chinese,
/// its targets for the English.
#[test]
fn align_presplit_reads_bilingual_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = Bitext::new("zh-CN", "en", Meta::default());
    for (i, (zh, en)) in [
        ("两江新区位于重庆。", "Liangjiang New Area is in Chongqing."),
        ("数字经济发展很快。", "The digital economy grows fast."),
    ]
    .iter()
    .enumerate()
    {
        b.pairs.push(Pair {
            id: format!("b1.s{}", i + 1),
            block: 1,
            kind: BlockKind::Paragraph,
            source: zh.to_string(),
            target: en.to_string(),
            terms: Vec::new(),
            flags: Vec::new(),
            origin: Origin::Manual,
        });
    }
    let xlf = dir.path().join("old.xlf");
    std::fs::write(&xlf, render(&b, Format::Xliff12)).unwrap();
    let out = bitext()
        .args(["align", "--presplit", "-f", "tsv-plain"])
        .arg(&xlf)
        .arg(&xlf)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), render(&b, Format::TsvPlain));
}

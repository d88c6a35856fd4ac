//! Exporters: snapshots of every format for a small hand-made bitext, round trips through the
//! readers, DTD validation of TMX (xmllint), the `bitext export` command, and the HTML page
//! in a real browser (headless Chromium).

use crate::common::{bitext, root, sample};
use bitext::Bitext;
use bitext::export::{self, ExportOptions, Format, MdLayout, Template, tmx, tsv, xliff};
use bitext::model::{BlockKind, Flag, FlagCode, Meta, Origin, Pair, Severity, Span, TermHit};
use std::path::{Path, PathBuf};
use std::process::Command;

mod browser;
pub mod sample;

/// The sample article translated by the offline `gloss` backend with the shipped glossary,
/// through the real `bitext translate` command (once per test run), its creation time fixed.
pub fn gloss_sample() -> Bitext {
    static GLOSS: std::sync::OnceLock<Bitext> = std::sync::OnceLock::new();
    GLOSS
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("sample.json");
            let status = bitext()
                .arg("translate")
                .arg(sample())
                .arg("-g")
                .arg(crate::common::glossary())
                .arg("--cache")
                .arg(dir.path().join("cache"))
                .arg("-o")
                .arg(&out)
                .output()
                .unwrap();
            assert!(
                status.status.success(),
                "{}",
                String::from_utf8_lossy(&status.stderr)
            );
            let text = std::fs::read_to_string(&out).unwrap();
            let mut b = bitext::export::json::read(&text, "sample.json").unwrap();
            b.meta.created = "2026-11-27T12:00:00Z".into();
            // The path as given on the command line is absolute here; pin a portable one.
            b.meta.source_file = Some("samples/smart-china-expo-2021.zh.md".into());
            b
        })
        .clone()
}

/// Every format of the sample's gloss translation, pinned. The JSON form is the translate
/// test's snapshot; here the renderings of that same value.
#[test]
fn snapshots_of_the_sample_gloss_translation() {
    let b = gloss_sample();
    assert_eq!(b.meta.backend.as_deref(), Some("gloss"));
    assert_eq!(b.pairs.len(), 74);
    for (format, name) in [
        (Format::Html, "sample_gloss_html"),
        (Format::Tsv, "sample_gloss_tsv"),
        (Format::Tmx, "sample_gloss_tmx"),
        (Format::Xliff, "sample_gloss_xliff"),
        (Format::Markdown, "sample_gloss_md"),
    ] {
        insta::assert_snapshot!(name, render(&b, format));
    }
}

/// The span of the first `needle` in `text` (test data is written so that it is there).
fn span(text: &str, needle: &str) -> Span {
    let start = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} in {text:?}"));
    Span::new(start, start + needle.len())
}

fn translated() -> Origin {
    Origin::Translated {
        backend: "gloss".into(),
        model: None,
        cached: false,
    }
}

fn pair(id: &str, block: u32, kind: BlockKind, source: &str, target: &str) -> Pair {
    Pair {
        id: id.into(),
        block,
        kind,
        source: source.into(),
        target: target.into(),
        terms: vec![],
        flags: vec![],
        origin: translated(),
    }
}

fn hit(pair: &Pair, term: &str, rendering: &str, found: bool) -> TermHit {
    TermHit {
        term: term.into(),
        expected: rendering.into(),
        source_span: span(&pair.source, term),
        target_span: found.then(|| span(&pair.target, rendering)),
    }
}

/// A small bitext with a heading, a caption, a byline, term hits (found and missing), flags,
/// a merged alignment link, an empty target, and text with `<script>`, `&`, quotes, `</td>`,
/// a tab and a newline.
pub fn small() -> Bitext {
    let meta = Meta {
        title: None,
        source_file: Some("small.zh.md".into()),
        backend: Some("gloss".into()),
        glossary_digest: Some("sha256:0123abcd".into()),
        created: "2026-11-27T12:00:00Z".into(),
        tool: "bitext 0.1.0".into(),
        ..Meta::default()
    };
    let mut b = Bitext::new("zh-CN", "en", meta);
    let mut p = pair(
        "b1.s1",
        1,
        BlockKind::Heading,
        "两江新区：智能 & 数字",
        "Liangjiang New Area: Smart & Digital",
    );
    p.terms
        .push(hit(&p, "两江新区", "Liangjiang New Area", true));
    b.pairs.push(p);
    b.pairs.push(pair(
        "b2.s1",
        2,
        BlockKind::Byline,
        "记者 张三",
        "By Zhang San",
    ));
    let mut p = pair(
        "b3.s1",
        3,
        BlockKind::Paragraph,
        "他说：“<script>window.bitextPwned=1</script>”与</td>&amp;。",
        "He said: \"<script>window.bitextPwned=1</script>\" & '</td>' &amp;.",
    );
    p.origin = Origin::Translated {
        backend: "gloss".into(),
        model: Some("m1".into()),
        cached: true,
    };
    b.pairs.push(p);
    let mut p = pair(
        "b3.s2",
        3,
        BlockKind::Paragraph,
        "数字经济占两江新区GDP的24%。",
        "The digital economy is 42%\tof the area's GDP\nin total.",
    );
    p.terms.push(hit(&p, "数字经济", "digital economy", true));
    p.terms
        .push(hit(&p, "两江新区", "Liangjiang New Area", false));
    p.flags.push(Flag {
        code: FlagCode::MissingTerm,
        severity: Severity::Error,
        message: "missing \"Liangjiang New Area\" for 两江新区".into(),
        term: Some("两江新区".into()),
        expected: Some("Liangjiang New Area".into()),
    });
    p.flags.push(Flag {
        code: FlagCode::NumberMismatch,
        severity: Severity::Warning,
        message: "24% is missing from the target".into(),
        term: None,
        expected: None,
    });
    b.pairs.push(p);
    b.pairs.push(pair(
        "b4.s1",
        4,
        BlockKind::Caption,
        "图为智博会现场。",
        "The Smart China Expo venue.",
    ));
    let mut p = pair(
        "b5.s1+s2",
        5,
        BlockKind::Paragraph,
        "一是加快。二是推进。",
        "First, speed up and push ahead.",
    );
    p.origin = Origin::Aligned {
        score: 0.875,
        src: vec![5, 6],
        tgt: vec![4],
    };
    b.pairs.push(p);
    let mut p = pair("b5.s3", 5, BlockKind::Paragraph, "三是深度参与。", "");
    p.flags.push(Flag {
        code: FlagCode::EmptyTarget,
        severity: Severity::Error,
        message: "the target is empty".into(),
        term: None,
        expected: None,
    });
    b.pairs.push(p);
    b
}

fn render(b: &Bitext, format: Format) -> String {
    export::render(b, format, &ExportOptions::default()).unwrap()
}

#[test]
fn snapshots_of_every_format() {
    let b = small();
    for format in Format::ALL {
        let name = format!("small_{}", format.name());
        insta::assert_snapshot!(name, render(&b, format));
    }
    let options = ExportOptions {
        md_layout: MdLayout::Paragraph,
        ..ExportOptions::default()
    };
    insta::assert_snapshot!(
        "small_md_paragraph",
        export::render(&b, Format::Markdown, &options).unwrap()
    );
}

#[test]
fn json_round_trips_exactly() {
    let b = small();
    let json = render(&b, Format::Json);
    let back = bitext::export::json::read(&json, "small.json").unwrap();
    assert_eq!(back, b);
    assert_eq!(render(&back, Format::Json), json);
}

/// What TSV, TMX and XLIFF keep: id, block, kind, source, target and flags.
fn kept(b: &Bitext) -> Vec<(String, u32, BlockKind, String, String, Vec<Flag>)> {
    b.pairs
        .iter()
        .map(|p| {
            let (id, block, kind) = (p.id.clone(), p.block, p.kind);
            (
                id,
                block,
                kind,
                p.source.clone(),
                p.target.clone(),
                p.flags.clone(),
            )
        })
        .collect()
}

#[test]
fn tsv_round_trips() {
    let b = small();
    let text = render(&b, Format::Tsv);
    for line in text.lines() {
        assert_eq!(line.split('\t').count(), 6, "{line}");
    }
    let back = tsv::read(&text, "small.tsv").unwrap();
    assert_eq!(kept(&back), kept(&b));
    assert_eq!(
        (back.source_lang.as_str(), back.target_lang.as_str()),
        ("zh-CN", "en")
    );
    assert!(
        back.pairs
            .iter()
            .all(|p| p.origin == Origin::Manual && p.terms.is_empty())
    );
    // Writing what was read gives the same file.
    assert_eq!(render(&back, Format::Tsv), text);
}

#[test]
fn plain_tsv_is_source_tab_target() {
    let b = small();
    let text = render(&b, Format::TsvPlain);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), b.pairs.len());
    for (line, pair) in lines.iter().zip(&b.pairs) {
        let (source, target) = line.split_once('\t').unwrap();
        assert_eq!(bitext::util::unescape_tsv(source), pair.source);
        assert_eq!(bitext::util::unescape_tsv(target), pair.target);
    }
}

#[test]
fn tmx_parses_back_to_the_same_pairs() {
    let b = small();
    let back = tmx::read(&render(&b, Format::Tmx), "small.tmx").unwrap();
    assert_eq!(kept(&back), kept(&b));
    assert_eq!(back.source_lang, "zh-CN");
    assert_eq!(back.target_lang, "en");
    assert_eq!(back.meta.source_file, b.meta.source_file);
    assert_eq!(back.meta.glossary_digest, b.meta.glossary_digest);
}

#[test]
fn xliff_parses_back_to_the_same_pairs() {
    let b = small();
    let text = render(&b, Format::Xliff);
    assert!(text.contains("<segment id=\"b5.s1_s2\" state=\"translated\">"));
    assert!(text.contains("<segment id=\"b3.s2\" state=\"initial\">"));
    assert!(text.contains("<segment id=\"b5.s3\" state=\"initial\">"));
    let back = xliff::read(&text, "small.xlf").unwrap();
    assert_eq!(kept(&back), kept(&b));
    assert_eq!(
        (back.source_lang.as_str(), back.target_lang.as_str()),
        ("zh-CN", "en")
    );
}

#[test]
fn xml_survives_carriage_returns_and_control_characters() {
    let mut b = small();
    b.pairs[2].target = "a\r\nb\rc".into();
    b.pairs[3].target = "bell\u{7}".into();
    for format in [Format::Tmx, Format::Xliff, Format::Xliff12] {
        let text = render(&b, format);
        let back = export::read(&text, format, "x").unwrap();
        assert_eq!(back.pairs[2].target, "a\r\nb\rc", "{format}");
        assert_eq!(back.pairs[3].target, "bell\u{FFFD}", "{format}");
    }
    // The HTML page goes through the same escaper: no control character reaches it.
    let html = render(&b, Format::Html);
    assert!(!html.contains('\u{7}'));
    assert!(html.contains("bell\u{FFFD}"));
}

fn xmllint() -> Option<PathBuf> {
    crate::common::require_tool(&["xmllint"], "apt-get install libxml2-utils")
}

/// Extracts `tmx14.dtd` from Debian's OmegaT package.
fn tmx_dtd(dir: &Path) -> Option<PathBuf> {
    let jar = Path::new("/usr/share/omegat/OmegaT.jar");
    if !jar.exists() {
        return None;
    }
    let out = Command::new("unzip")
        .args(["-p"])
        .arg(jar)
        .arg("schemas/tmx14.dtd")
        .output()
        .ok()?;
    if !out.status.success() || out.stdout.is_empty() {
        return None;
    }
    let path = dir.join("tmx14.dtd");
    std::fs::write(&path, out.stdout).ok()?;
    Some(path)
}

#[test]
fn tmx_is_valid_against_the_tmx14_dtd() {
    let Some(xmllint) = xmllint() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dtd = tmx_dtd(dir.path());
    if !crate::common::require(
        dtd.is_some(),
        "tmx14.dtd from OmegaT.jar",
        "apt-get install omegat unzip",
    ) {
        return;
    }
    let dtd = dtd.unwrap();
    let samples = [
        ("small.tmx", small()),
        ("sample.tmx", sample::sample_bitext(&sample())),
        ("sample-gloss.tmx", gloss_sample()),
    ];
    for (name, b) in samples {
        let path = dir.path().join(name);
        std::fs::write(&path, render(&b, Format::Tmx)).unwrap();
        let out = Command::new(&xmllint)
            .arg("--noout")
            .arg("--dtdvalid")
            .arg(&dtd)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn xliff_is_well_formed_for_xmllint() {
    let Some(xmllint) = xmllint() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.xlf");
    std::fs::write(&path, render(&small(), Format::Xliff)).unwrap();
    let out = Command::new(&xmllint)
        .arg("--noout")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn html_escapes_text_and_requests_nothing() {
    let html = render(&small(), Format::Html);
    assert!(!html.contains("<script"), "no script element at all");
    assert!(html.contains("&lt;script&gt;window.bitextPwned=1&lt;/script&gt;"));
    assert!(!html.contains("</td>"));
    assert!(html.contains("&amp;amp;"));
    // Self-contained: no external resources of any kind.
    for needle in [
        "src=",
        "url(",
        "@import",
        "http://",
        "https://",
        "<link rel=\"stylesheet",
    ] {
        assert!(!html.contains(needle), "{needle}");
    }
    for href in html.split("href=\"").skip(1) {
        assert!(
            href.starts_with('#') || href.starts_with("data:"),
            "{href:.40}"
        );
    }
    assert!(html.contains("Content-Security-Policy"));
    // Terms share a colour on both sides; the missing one is marked.
    assert_eq!(
        html.matches("<mark class=\"term c0\" title=\"两江新区 → Liangjiang New Area\">")
            .count(),
        2
    );
    assert_eq!(
        html.matches("<mark class=\"term c1\" title=\"数字经济 → digital economy\">")
            .count(),
        2
    );
    assert!(html.contains("class=\"term c0 missing\""));
    // The summary links to the flagged rows, which carry those ids.
    assert!(html.contains("<a href=\"#b3.s2\">b3.s2</a>"));
    assert!(html.contains("<div class=\"pair flagged sev-error\" id=\"b3.s2\">"));
}

#[test]
fn a_user_template_replaces_the_built_in_one() {
    let options = ExportOptions {
        template: Some(Template {
            name: "mine.html".into(),
            source: "{% for b in blocks %}{% for p in b.pairs %}{{ p.id }}={{ p.target_text }};{% endfor %}{% endfor %}".into(),
        }),
        ..ExportOptions::default()
    };
    let mut b = small();
    b.pairs.truncate(3);
    let out = export::render(&b, Format::Html, &options).unwrap();
    assert_eq!(
        out,
        "b1.s1=Liangjiang New Area: Smart &amp; Digital;b2.s1=By Zhang San;b3.s1=He said: &quot;&lt;script&gt;window.bitextPwned=1&lt;/script&gt;&quot; &amp; &apos;&lt;/td&gt;&apos; &amp;amp;.;"
    );
}

#[test]
fn export_command_writes_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("small.json");
    std::fs::write(&json, render(&small(), Format::Json)).unwrap();
    for (file, format) in [
        ("out.html", Format::Html),
        ("out.tsv", Format::Tsv),
        ("out.tmx", Format::Tmx),
        ("out.xlf", Format::Xliff),
        ("out.md", Format::Markdown),
        ("out.json", Format::Json),
    ] {
        let out = dir.path().join(file);
        bitext()
            .arg("export")
            .arg(&json)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let written = std::fs::read_to_string(&out).unwrap();
        assert_eq!(written, render(&small(), format), "{file}");
    }
    // export(read(json)) == json
    let out = dir.path().join("out.json");
    assert_eq!(
        std::fs::read_to_string(out).unwrap(),
        std::fs::read_to_string(&json).unwrap()
    );
    // -f wins over the extension; --tsv-plain; standard output.
    bitext()
        .args(["export", "-f", "tsv", "--tsv-plain"])
        .arg(&json)
        .assert()
        .success()
        .stdout(render(&small(), Format::TsvPlain));
    bitext()
        .args(["export", "-f", "md", "--md-layout", "paragraph"])
        .arg(&json)
        .assert()
        .success()
        .stdout(
            export::render(
                &small(),
                Format::Markdown,
                &ExportOptions {
                    md_layout: MdLayout::Paragraph,
                    ..ExportOptions::default()
                },
            )
            .unwrap(),
        );
    // TSV, TMX and XLIFF are read back by extension.
    let tsv_file = dir.path().join("out.tsv");
    bitext()
        .args(["export", "-f", "tsv"])
        .arg(&tsv_file)
        .assert()
        .success()
        .stdout(std::fs::read_to_string(&tsv_file).unwrap());
}

#[test]
fn export_command_template_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("small.json");
    std::fs::write(&json, render(&small(), Format::Json)).unwrap();
    let template = dir.path().join("t.html");
    std::fs::write(&template, "<h1>{{ title }}</h1>\n").unwrap();
    bitext()
        .args(["export", "-f", "html", "--template"])
        .arg(&template)
        .arg(&json)
        .assert()
        .success()
        .stdout("<h1>两江新区：智能 &amp; 数字</h1>\n");
    // A bad template names its file and line.
    std::fs::write(&template, "ok\n{% for %}\n").unwrap();
    bitext()
        .args(["export", "-f", "html", "--template"])
        .arg(&template)
        .arg(&json)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!(
            "{}:2: template error",
            template.display()
        )));
    // No format anywhere.
    bitext()
        .arg("export")
        .arg(&json)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("no output format"));
    let out = dir.path().join("out.txt");
    bitext()
        .arg("export")
        .arg(&json)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("cannot tell the format"));
    assert!(!out.exists());
    // An unknown -f is a usage error.
    bitext()
        .args(["export", "-f", "docx"])
        .arg(&json)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown format \"docx\""));
    // Broken JSON names the file, line and column.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"format\": \"bitext/1\",\n  oops\n}").unwrap();
    bitext()
        .args(["export", "-f", "tsv"])
        .arg(&bad)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!("{}:3:", bad.display())));
}

#[test]
fn sample_exports_keep_every_sentence() {
    let b = sample::sample_bitext(&sample());
    assert!(b.pairs.len() > 50, "{}", b.pairs.len());
    let tsv_text = render(&b, Format::Tsv);
    assert_eq!(kept(&tsv::read(&tsv_text, "s.tsv").unwrap()), kept(&b));
    assert_eq!(
        kept(&tmx::read(&render(&b, Format::Tmx), "s.tmx").unwrap()),
        kept(&b)
    );
    assert_eq!(
        kept(&xliff::read(&render(&b, Format::Xliff), "s.xlf").unwrap()),
        kept(&b)
    );
    let md = render(&b, Format::Markdown);
    for pair in &b.pairs {
        assert!(md.contains(&pair.target), "{}", pair.id);
    }
    let html = render(&b, Format::Html);
    assert_eq!(html.matches("<div class=\"pair").count(), b.pairs.len());
    assert!(root().join("samples").is_dir());
}

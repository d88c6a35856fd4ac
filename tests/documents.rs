//! HTML and DOCX articles end to end: read, translate (offline gloss engine or the simulated
//! OpenAI-compatible server), write the translated document and every export; the results
//! checked by counting structure, by python-docx, LibreOffice and headless Chromium.

#[path = "documents/make.rs"]
mod make;

use crate::common::{bitext, require, require_tool};
use crate::sim::{Sim, SimConfig};
use bitext::formats::{self, Input};
use quick_xml::Reader;
use quick_xml::events::Event;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

fn has_han(text: &str) -> bool {
    text.chars().any(bitext::text::is_han)
}

fn entries(docx: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(docx)).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            (file.name().unwrap().to_string(), data)
        })
        .collect()
}

fn entry(docx: &[u8], name: &str) -> String {
    let (_, data) = entries(docx)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name}"));
    String::from_utf8(data).unwrap()
}

/// Element counts and the text of every `w:t`, and the text inside bold runs and
/// hyperlinks, of a WordprocessingML part.
#[derive(Debug, Default)]
struct Shape {
    counts: std::collections::BTreeMap<String, usize>,
    texts: Vec<String>,
    bold: Vec<String>,
    linked: Vec<String>,
}

fn shape(xml: &str) -> Shape {
    let mut shape = Shape::default();
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut run_bold = false;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                let qname = e.name();
                let name: &str = qname.as_ref();
                let name = name.to_string();
                *shape.counts.entry(name.clone()).or_default() += 1;
                if name == "w:r" {
                    run_bold = false;
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                let qname = e.name();
                let name: &str = qname.as_ref();
                *shape.counts.entry(name.to_string()).or_default() += 1;
                if name == "w:b" {
                    run_bold = true;
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) if stack.last().is_some_and(|n| n == "w:t") => {
                let text = t.xml10_content().to_string();
                if run_bold {
                    shape.bold.push(text.clone());
                }
                if stack.iter().any(|n| n == "w:hyperlink") {
                    shape.linked.push(text.clone());
                }
                shape.texts.push(text);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    shape
}

fn count(shape: &Shape, name: &str) -> usize {
    shape.counts.get(name).copied().unwrap_or(0)
}

fn translate(dir: &Path, input: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    bitext()
        .env("XDG_CACHE_HOME", dir.join("xdg-cache"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .arg("translate")
        .arg(input)
        // Structure is the subject here, not terms: the project's glossary (picked up by
        // default in the project folder) would change the renderings the checks expect.
        .args(["-b", "gloss", "--no-glossary", "--cache"])
        .arg(dir.join("cache"))
        .args(args)
        .assert()
}

fn write_docx(dir: &Path) -> PathBuf {
    let path = dir.join("article.docx");
    std::fs::write(&path, make::article_docx()).unwrap();
    path
}

#[test]
fn docx_translated_keeps_structure_formatting_and_untouched_parts() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_docx(dir.path());
    let output = dir.path().join("article.en.docx");
    // `-o FILE.docx` implies the translated document.
    translate(dir.path(), &input, &["-o", output.to_str().unwrap()]).success();
    let before = std::fs::read(&input).unwrap();
    let after = std::fs::read(&output).unwrap();

    let source = shape(&entry(&before, "word/document.xml"));
    let target = shape(&entry(&after, "word/document.xml"));
    for name in [
        "w:p",
        "w:tbl",
        "w:tr",
        "w:tc",
        "w:drawing",
        "w:hyperlink",
        "w:footnoteReference",
        "w:bookmarkStart",
        "w:sectPr",
    ] {
        assert_eq!(count(&source, name), count(&target, name), "{name}");
    }
    assert!(
        target.texts.iter().all(|t| !has_han(t)),
        "{:?}",
        target.texts
    );
    // Bold and the link around the right words (the gloss engine's renderings).
    assert_eq!(target.bold, ["Chongqing"], "{target:?}");
    assert_eq!(target.linked, ["Xinhua"], "{target:?}");
    let body = entry(&after, "word/document.xml");
    assert!(
        body.contains("<w:pStyle w:val=\"1\"/>"),
        "heading style kept"
    );
    assert!(
        body.contains("<w:i/></w:rPr><w:t xml:space=\"preserve\">Intelligent industry</w:t>"),
        "{body}"
    );

    let notes = shape(&entry(&after, "word/footnotes.xml"));
    assert!(notes.texts.iter().all(|t| !has_han(t)), "{:?}", notes.texts);
    assert_eq!(count(&notes, "w:footnote"), 3);

    // Parts without translated text are the same bytes.
    let old = entries(&before);
    let new = entries(&after);
    assert_eq!(
        old.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        new.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    for ((name, a), (_, b)) in old.iter().zip(&new) {
        if name != "word/document.xml" && name != "word/footnotes.xml" {
            assert_eq!(a, b, "{name} changed");
        }
    }
}

#[test]
fn docx_interleaved_follows_each_paragraph_with_a_lighter_translation() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_docx(dir.path());
    let output = dir.path().join("bilingual.docx");
    translate(
        dir.path(),
        &input,
        &[
            "-f",
            "same",
            "--layout",
            "interleaved",
            "-o",
            output.to_str().unwrap(),
        ],
    )
    .success();
    let before = shape(&entry(&std::fs::read(&input).unwrap(), "word/document.xml"));
    let after_bytes = std::fs::read(&output).unwrap();
    let after = shape(&entry(&after_bytes, "word/document.xml"));
    // 9 paragraphs hold text (heading, body, 4 cells, caption): each gets a translation.
    assert_eq!(count(&after, "w:p"), count(&before, "w:p") + 7);
    assert_eq!(count(&after, "w:drawing"), count(&before, "w:drawing"));
    assert_eq!(
        count(&after, "w:footnoteReference"),
        1,
        "no second footnote mark"
    );
    assert_eq!(count(&after, "w:bookmarkStart"), 1);
    assert!(after.texts.iter().any(|t| t.contains("两江新区")));
    assert!(after.texts.iter().any(|t| t.contains("Xinhua")));
    assert!(entry(&after_bytes, "word/document.xml").contains("<w:color w:val=\"7F7F7F\"/>"));
    python_docx_opens(&output, 7);
}

/// python-docx opens the file and counts at least `paragraphs` body paragraphs, 1 table.
fn python_docx_opens(path: &Path, paragraphs: usize) {
    let Some(python) = require_tool(&["python3"], "apt-get install python3") else {
        return;
    };
    let probe = Command::new(&python)
        .args(["-c", "import docx"])
        .status()
        .is_ok_and(|s| s.success());
    if !require(probe, "python-docx", "pip install python-docx") {
        return;
    }
    let out = Command::new(&python)
        .arg("-c")
        .arg("import docx,sys; d=docx.Document(sys.argv[1]); print(len(d.paragraphs), len(d.tables), len(d.tables[0].rows), len(d.inline_shapes))")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts: Vec<usize> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(counts[0] >= paragraphs, "{counts:?}");
    assert_eq!(&counts[1..], &[1, 2, 1], "tables, rows, images");
}

#[test]
fn docx_opens_in_python_docx_and_libreoffice() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_docx(dir.path());
    let output = dir.path().join("out.docx");
    translate(
        dir.path(),
        &input,
        &["-f", "same", "-o", output.to_str().unwrap()],
    )
    .success();
    python_docx_opens(&output, 4);
    let Some(soffice) = require_tool(
        &["soffice", "libreoffice"],
        "apt-get install libreoffice-writer-nogui",
    ) else {
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path().join("pdf"))
        .arg(&output)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pdf = dir.path().join("pdf/out.pdf");
    let bytes = std::fs::read(&pdf).unwrap_or_else(|_| {
        panic!(
            "no PDF: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(bytes.starts_with(b"%PDF"));
}

/// Text outside `script`, `style`, `pre`, `code` and `translate="no"`.
fn translated_text(html: &scraper::Html) -> Vec<String> {
    let mut out = Vec::new();
    for node in html.tree.root().descendants() {
        let scraper::Node::Text(text) = node.value() else {
            continue;
        };
        let skipped = node.ancestors().any(|a| match a.value() {
            scraper::Node::Element(e) => {
                matches!(e.name(), "script" | "style" | "pre" | "code")
                    || e.attr("translate") == Some("no")
            }
            _ => false,
        });
        if !skipped && !text.trim().is_empty() {
            out.push(text.to_string());
        }
    }
    out
}

fn select<'a>(html: &'a scraper::Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    html.select(&scraper::Selector::parse(css).unwrap())
        .collect()
}

#[test]
fn html_translated_keeps_elements_attributes_and_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("page.html");
    std::fs::write(&input, make::ARTICLE_HTML).unwrap();
    let output = dir.path().join("page.en.html");
    translate(
        dir.path(),
        &input,
        &["-f", "same", "-o", output.to_str().unwrap()],
    )
    .success();
    let before = scraper::Html::parse_document(make::ARTICLE_HTML);
    let text = std::fs::read_to_string(&output).unwrap();
    let after = scraper::Html::parse_document(&text);
    assert_eq!(select(&before, "*").len(), select(&after, "*").len());
    for css in [
        "a",
        "p",
        "img",
        "figure",
        "figcaption",
        "tr",
        "td",
        "th",
        "script",
        "link",
    ] {
        assert_eq!(
            select(&before, css).len(),
            select(&after, css).len(),
            "{css}"
        );
    }
    let attrs = |h: &scraper::Html, css: &str, attr: &str| -> Vec<String> {
        select(h, css)
            .iter()
            .filter_map(|e| e.value().attr(attr).map(str::to_string))
            .collect()
    };
    assert_eq!(attrs(&before, "a", "href"), attrs(&after, "a", "href"));
    assert_eq!(attrs(&before, "img", "src"), attrs(&after, "img", "src"));
    assert_eq!(
        attrs(&before, "link", "href"),
        attrs(&after, "link", "href")
    );
    assert_eq!(attrs(&before, "p", "class"), attrs(&after, "p", "class"));
    assert!(text.contains(
        r#"<script>var message = "中文脚本不翻译"; if (1 < 2) { console.log(message); }</script>"#
    ));
    assert!(text.contains("<pre>代码块不翻译</pre>"));
    assert!(text.contains(r#"<span translate="no">BrandX品牌</span>"#));
    let left = translated_text(&after);
    assert!(left.iter().all(|t| !has_han(t)), "{left:?}");
    // Bold and the link around the right words.
    let inner = |css: &str| select(&after, css)[0].text().collect::<String>();
    assert_eq!(inner("p b"), "Chongqing");
    assert_eq!(inner("p a"), "Xinhua");
    assert_eq!(inner("h1 em"), "development");
    assert_eq!(
        inner("figcaption"),
        "Diagram for two river new area nightscape."
    );
    assert_eq!(select(&after, "html")[0].value().attr("lang"), Some("en"));
    chromium_element_counts_match(dir.path(), &input, &output);

    // Interleaved: the original stays, each block gets a lighter translation after it.
    let bilingual = dir.path().join("page.bilingual.html");
    translate(
        dir.path(),
        &input,
        &[
            "-f",
            "same",
            "--layout",
            "interleaved",
            "-o",
            bilingual.to_str().unwrap(),
        ],
    )
    .success();
    let both = scraper::Html::parse_document(&std::fs::read_to_string(&bilingual).unwrap());
    assert_eq!(select(&both, "p.lead").len(), 2);
    assert_eq!(select(&both, "[lang=en].bitext-translation").len(), 8);
    assert_eq!(select(&both, "figcaption").len(), 1);
    assert_eq!(select(&both, "tr").len(), 2, "table shape kept");
    assert_eq!(select(&both, "#title").len(), 1, "ids stay unique");
}

/// Headless Chromium renders both pages with the same number of elements.
fn chromium_element_counts_match(dir: &Path, input: &Path, output: &Path) {
    let Some(browser) = require_tool(
        &["chromium", "chromium-browser", "google-chrome"],
        "apt-get install chromium",
    ) else {
        return;
    };
    let count = |page: &Path| {
        let profile = tempfile::tempdir_in(dir).unwrap();
        let out = Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--dump-dom")
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("chromium runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dom = String::from_utf8_lossy(&out.stdout).to_string();
        select(&scraper::Html::parse_document(&dom), "*").len()
    };
    let (a, b) = (count(input), count(output));
    assert!(a > 20, "{a} elements");
    assert_eq!(a, b);
}

#[test]
fn every_export_works_from_html_and_docx() {
    let dir = tempfile::tempdir().unwrap();
    let docx = write_docx(dir.path());
    let html = dir.path().join("page.htm");
    std::fs::write(&html, make::ARTICLE_HTML).unwrap();
    for input in [&docx, &html] {
        for format in ["html", "json", "tsv", "tmx", "xliff", "md"] {
            let out = dir.path().join(format!("out.{format}"));
            translate(
                dir.path(),
                input,
                &["-f", format, "-o", out.to_str().unwrap()],
            )
            .success();
            let text = std::fs::read_to_string(&out).unwrap();
            assert!(
                !text.contains("&lt;x1") && !text.contains("<x1"),
                "{format}: {text}"
            );
            assert!(text.contains("Chongqing"), "{format}");
        }
        let json = std::fs::read_to_string(dir.path().join("out.json")).unwrap();
        let bitext = bitext::export::json::read(&json, "out.json").unwrap();
        assert!(
            bitext
                .pairs
                .iter()
                .any(|p| p.source == "据新华社报道，重庆市经济增长了百分之五。")
        );
    }
}

#[test]
fn segment_ids_are_stable_and_tagged() {
    let read = |bytes: Vec<u8>, ext| match formats::read_bytes("a", bytes, Some(ext)).unwrap() {
        Input::Structured(d) => d.segments(),
        Input::Text(_) => panic!("structured"),
    };
    let a = read(make::article_docx(), "docx");
    assert_eq!(a, read(make::article_docx(), "docx"));
    let texts: Vec<&str> = a.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "两江新区发展迅速",
            "据<x1>新华社</x1>报道，<x2>重庆市</x2>经济增长了百分之五。",
            "<x1>智能产业</x1>发展很快。<x2/>",
            "城市",
            "人口",
            "重庆",
            "三千万",
            "图为两江新区的夜景。",
            "<x1/>数据来自重庆市统计局。",
        ]
    );
    assert_eq!(a[1].id.to_string(), "b2.s1");
    assert_eq!(a[2].id.to_string(), "b2.s2");
    let h = read(make::ARTICLE_HTML.as_bytes().to_vec(), "html");
    assert_eq!(h, read(make::ARTICLE_HTML.as_bytes().to_vec(), "html"));
    assert_eq!(h[0].text, "两江新区发展报告");
}

#[test]
fn broken_placeholders_are_retried_alone_then_flagged_and_the_file_stays_valid() {
    for (label, config) in [
        (
            "drop",
            SimConfig {
                rate_drop_tags: 1.0,
                ..SimConfig::default()
            },
        ),
        (
            "reorder",
            SimConfig {
                rate_reorder_tags: 1.0,
                ..SimConfig::default()
            },
        ),
    ] {
        let sim = Sim::start(config);
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("page.html");
        std::fs::write(&input, make::ARTICLE_HTML).unwrap();
        let run = |args: &[&str]| {
            bitext()
                .env("XDG_CACHE_HOME", dir.path().join("xdg-cache"))
                .env("XDG_CONFIG_HOME", dir.path().join("config"))
                .env("OPENAI_BASE_URL", sim.base_url())
                .env("OPENAI_API_KEY", "sk-test-0123456789")
                .arg("translate")
                .arg(&input)
                .args(["-b", "openai", "--cache"])
                .arg(dir.path().join("cache"))
                .args(args)
                .assert()
                .success()
        };
        let json = dir.path().join("out.json");
        run(&["-o", json.to_str().unwrap()]);
        let bitext =
            bitext::export::json::read(&std::fs::read_to_string(&json).unwrap(), "j").unwrap();
        let tagged: Vec<&str> = bitext
            .pairs
            .iter()
            .filter(|p| {
                p.flags
                    .iter()
                    .any(|f| f.code == bitext::FlagCode::InlineTags)
            })
            .map(|p| p.id.as_str())
            .collect();
        // The sentences with inline markup: nav links, the heading, the first paragraph's.
        assert_eq!(tagged, ["b2.s1", "b3.s1", "b4.s1"], "{label}");
        let stats = sim.stats();
        // One batch, then each broken sentence once alone.
        assert_eq!(stats.requests, 1 + tagged.len() as u64, "{label}");
        // The translated page from the same answers (memory): valid, the markup dropped only
        // where it broke, every link and image still there.
        let page = dir.path().join("out.html");
        run(&["-f", "same", "-o", page.to_str().unwrap()]);
        let after = scraper::Html::parse_document(&std::fs::read_to_string(&page).unwrap());
        assert_eq!(select(&after, "img").len(), 1);
        assert_eq!(select(&after, "span[translate=no]").len(), 1);
        assert_eq!(select(&after, "script").len(), 2);
        assert!(
            translated_text(&after).iter().all(|t| !t.contains("<x")),
            "{label}"
        );
    }
}

#[test]
fn bad_inputs_get_one_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let good = make::article_docx();
    let mut cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.docx",
            good[..good.len() / 2].to_vec(),
            "corrupt or truncated ZIP",
        ),
        ("binary.html", b"<html>\0\0\x01\x02PK".to_vec(), "binary"),
    ];
    // A ZIP without word/document.xml.
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip, b"<a/>").unwrap();
    cases.push((
        "nodocument.docx",
        zip.finish().unwrap().into_inner(),
        "no word/document.xml",
    ));
    // OLE compound files: an encrypted OOXML package and an old .doc.
    for (name, stream, want) in [
        ("locked.docx", "EncryptionInfo", "encrypted"),
        ("old.doc", "WordDocument", "old binary Word format"),
    ] {
        let mut ole = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        std::io::Write::write_all(&mut ole.create_stream(stream).unwrap(), &[1u8; 600]).unwrap();
        ole.flush().unwrap();
        cases.push((name, ole.into_inner().into_inner(), want));
    }
    for (name, bytes, want) in cases {
        let input = dir.path().join(name);
        std::fs::write(&input, bytes).unwrap();
        let output = dir.path().join(format!("{name}.out.json"));
        let out = bitext()
            .args(["translate", "-b", "gloss", "--no-cache"])
            .arg(&input)
            .arg("-o")
            .arg(&output)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.contains("note:")).collect();
        assert_eq!(lines.len(), 1, "{name}: {stderr}");
        assert!(lines[0].contains(name), "{name}: {stderr}");
        assert!(lines[0].contains(want), "{name}: {stderr}");
        assert!(!output.exists(), "{name}: nothing written");
    }
}

//! The real clients read what bitext writes, and bitext reads what they write:
//! translate-toolkit (Debian's, run with /usr/bin/python3) and OmegaT 3.6 in console mode.

use super::{render, stderr, stdout};
use crate::common::{bitext, require, require_tool};
use crate::export::{gloss_sample, small};
use bitext::Bitext;
use bitext::export::Format;
use std::path::{Path, PathBuf};
use std::process::Command;

const TTK_HINT: &str = "apt-get install translate-toolkit";

/// Debian's python3 with translate-toolkit importable.
fn ttk_python() -> Option<PathBuf> {
    let python = require_tool(&["/usr/bin/python3"], TTK_HINT)?;
    let ok = Command::new(&python)
        .args([
            "-c",
            "import translate.storage.tmx, translate.storage.tbx, translate.storage.po",
        ])
        .status()
        .is_ok_and(|s| s.success());
    require(ok, "translate-toolkit for /usr/bin/python3", TTK_HINT).then_some(python)
}

/// Runs a Python snippet with `argv[1]` = `path` and parses its JSON output.
fn python_json(python: &Path, script: &str, path: &Path) -> serde_json::Value {
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "python: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
}

fn pairs(b: &Bitext) -> Vec<(String, String)> {
    b.pairs
        .iter()
        .map(|p| (p.source.clone(), p.target.clone()))
        .collect()
}

fn as_pairs(value: &serde_json::Value) -> Vec<(String, String)> {
    serde_json::from_value(value.clone()).unwrap()
}

/// xliff2po turns bitext's XLIFF 1.2 into one PO entry per pair, with bitext's sources and
/// targets (the PO is read back with translate-toolkit's own PO reader).
#[test]
fn xliff2po_gives_one_entry_per_pair() {
    let Some(python) = ttk_python() else { return };
    let Some(xliff2po) = require_tool(&["/usr/bin/xliff2po", "xliff2po"], TTK_HINT) else {
        return;
    };
    for (name, b) in [("small", small()), ("sample", gloss_sample())] {
        let dir = tempfile::tempdir().unwrap();
        let xlf = dir.path().join(format!("{name}.xlf"));
        let po = dir.path().join(format!("{name}.po"));
        std::fs::write(&xlf, render(&b, Format::Xliff12)).unwrap();
        let out = Command::new(&xliff2po).arg(&xlf).arg(&po).output().unwrap();
        assert!(out.status.success(), "xliff2po: {}", stderr(&out));
        let entries = python_json(
            &python,
            "import sys, json\nfrom translate.storage import po\nstore = po.pofile(open(sys.argv[1], 'rb'))\nprint(json.dumps([[u.source, u.target, u.getlocations()] for u in store.units if not u.isheader()]))",
            &po,
        );
        let entries = entries.as_array().unwrap();
        assert_eq!(
            entries.len(),
            b.pairs.len(),
            "{name}: one PO entry per pair"
        );
        for (entry, pair) in entries.iter().zip(&b.pairs) {
            assert_eq!(entry[0], pair.source.as_str(), "{name} {}", pair.id);
            assert_eq!(entry[1], pair.target.as_str(), "{name} {}", pair.id);
            assert_eq!(
                entry[2][0],
                pair.id.as_str(),
                "{name}: the location is the pair id"
            );
        }
    }
}

/// translate.storage.tmx reads bitext's TMX: every pair, its id, source and target.
#[test]
fn translate_toolkit_reads_the_tmx() {
    let Some(python) = ttk_python() else { return };
    for (name, b) in [("small", small()), ("sample", gloss_sample())] {
        let dir = tempfile::tempdir().unwrap();
        let tmx = dir.path().join(format!("{name}.tmx"));
        std::fs::write(&tmx, render(&b, Format::Tmx)).unwrap();
        let units = python_json(
            &python,
            "import sys, json\nfrom translate.storage import tmx\nstore = tmx.tmxfile(open(sys.argv[1], 'rb'))\nprint(json.dumps([[u.source, u.target or ''] for u in store.units]))",
            &tmx,
        );
        assert_eq!(as_pairs(&units), pairs(&b), "{name}");
    }
}

/// translate.storage.tbx reads bitext's TBX: every entry, with the source and target
/// languages, and every term of the target side (target, first-mention form, alternates).
#[test]
fn translate_toolkit_reads_the_tbx() {
    let Some(python) = ttk_python() else { return };
    for glossary in [
        "glossary/zh-en.toml",
        "tests/fixtures/glossary/commented.toml",
    ] {
        let out = bitext()
            .args(["glossary", "export", "-f", "tbx", "-g", glossary])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.tbx");
        std::fs::write(&path, &out.stdout).unwrap();
        let units = python_json(
            &python,
            "import sys, json\nfrom translate.storage import tbx\nfrom translate.misc.xml_helpers import getXMLlang\nstore = tbx.tbxfile(open(sys.argv[1], 'rb'))\nprint(json.dumps([[u.source, u.target, [getXMLlang(n) for n in u.getlanguageNodes()], [[t.text for t in n.iter('term')] for n in u.getlanguageNodes()]] for u in store.units]))",
            &path,
        );
        let terms = bitext::glossary::Glossary::load(Path::new(glossary))
            .unwrap()
            .terms;
        let units = units.as_array().unwrap();
        assert_eq!(units.len(), terms.len(), "{glossary}: every term");
        for (unit, term) in units.iter().zip(&terms) {
            let mut targets: Vec<&str> = Vec::new();
            if term.keep {
                targets.push(&term.source);
            }
            targets.extend(term.target.as_deref());
            targets.extend(term.first.as_deref());
            targets.extend(term.alternates.iter().map(String::as_str));
            assert_eq!(unit[0], term.source.as_str(), "{glossary}");
            assert_eq!(unit[1], targets[0], "{glossary}: {}", term.source);
            assert_eq!(
                unit[2],
                serde_json::json!(["zh-CN", "en"]),
                "{glossary}: {}",
                term.source
            );
            assert_eq!(
                unit[3],
                serde_json::json!([[term.source], targets]),
                "{glossary}: {}",
                term.source
            );
        }
    }
}

/// A TBX written by translate-toolkit's csv2tbx (sources labelled `en`, targets `xx`) imports
/// with Chinese sources and English targets, and says what it decided.
#[test]
fn csv2tbx_output_imports_correctly() {
    let Some(csv2tbx) = require_tool(&["/usr/bin/csv2tbx", "csv2tbx"], TTK_HINT) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("terms.csv");
    std::fs::write(&csv, "\"source\",\"target\"\n\"两江新区\",\"Liangjiang New Area\"\n\"数字经济\",\"digital economy\"\n").unwrap();
    let tbx = dir.path().join("terms.tbx");
    let out = Command::new(&csv2tbx).arg(&csv).arg(&tbx).output().unwrap();
    assert!(out.status.success(), "csv2tbx: {}", stderr(&out));
    let out = bitext()
        .current_dir(dir.path())
        .args(["glossary", "-g", "new.toml", "import", "terms.tbx"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: terms.tbx: the Chinese terms are labelled \"en\""),
        "{}",
        stderr(&out)
    );
    let out = bitext()
        .current_dir(dir.path())
        .args(["glossary", "-g", "new.toml", "export", "-f", "tsv"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "两江新区\tLiangjiang New Area\t\n数字经济\tdigital economy\t\n"
    );
}

/// A TMX from translate-toolkit's po2tmx names `en` as the source language whatever the PO
/// holds: bitext reads the Chinese as the source anyway, and warns.
#[test]
fn po2tmx_output_is_read_with_chinese_as_the_source() {
    let Some(po2tmx) = require_tool(&["/usr/bin/po2tmx", "po2tmx"], TTK_HINT) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let po = dir.path().join("a.po");
    std::fs::write(
        &po,
        "msgid \"\"\nmsgstr \"\"\n\"Content-Type: text/plain; charset=UTF-8\\n\"\n\n#: b1.s1\nmsgid \"两江新区位于重庆。\"\nmsgstr \"Liangjiang New Area is in Chongqing.\"\n\n#: b1.s2\nmsgid \"数字经济发展很快。\"\nmsgstr \"The digital economy grows fast.\"\n",
    )
    .unwrap();
    let tmx = dir.path().join("a.tmx");
    let out = Command::new(&po2tmx)
        .args(["-l", "zh-CN"])
        .arg(&po)
        .arg(&tmx)
        .output()
        .unwrap();
    assert!(out.status.success(), "po2tmx: {}", stderr(&out));
    let written = std::fs::read_to_string(&tmx).unwrap();
    assert!(
        written.contains("srclang=\"en\""),
        "po2tmx labels the source en: {written}"
    );
    let out = bitext()
        .args(["export", "-f", "json"])
        .arg(&tmx)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("bitext: warning: "),
        "{}",
        stderr(&out)
    );
    let b = bitext::export::json::read(&stdout(&out), "x").unwrap();
    assert_eq!(
        (b.source_lang.as_str(), b.target_lang.as_str()),
        ("zh-CN", "en")
    );
    assert_eq!(
        pairs(&b),
        [
            (
                "两江新区位于重庆。".to_string(),
                "Liangjiang New Area is in Chongqing.".to_string()
            ),
            (
                "数字经济发展很快。".to_string(),
                "The digital economy grows fast.".to_string()
            )
        ]
    );
}

const OMEGAT_PROJECT: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<omegat>
    <project version="1.0">
        <source_dir>source</source_dir>
        <source_dir_excludes/>
        <target_dir>target</target_dir>
        <tm_dir>tm</tm_dir>
        <glossary_dir>glossary</glossary_dir>
        <glossary_file>glossary/glossary.txt</glossary_file>
        <dictionary_dir>dictionary</dictionary_dir>
        <source_lang>zh-CN</source_lang>
        <target_lang>en</target_lang>
        <source_tok>org.omegat.tokenizer.LuceneSmartChineseTokenizer</source_tok>
        <target_tok>org.omegat.tokenizer.LuceneEnglishTokenizer</target_tok>
        <sentence_seg>true</sentence_seg>
        <support_default_translations>true</support_default_translations>
        <remove_tags>false</remove_tags>
    </project>
</omegat>
"#;

/// Run by OmegaT on project events (`--script`): once the project is loaded, reads every file
/// of the project's glossary folder with OmegaT's own glossary readers (those its glossary
/// pane uses; they take the languages from the loaded project) and prints the entries.
const OMEGAT_PROBE: &str = r#"import org.omegat.gui.glossary.GlossaryReaderTBX
import org.omegat.gui.glossary.GlossaryReaderTSV
if (eventType.toString() == "LOAD") {
  def dir = new File(org.omegat.core.Core.getProject().getProjectProperties().getGlossaryRoot())
  dir.listFiles().sort().each { f ->
    def entries = f.name.endsWith(".tbx") ? GlossaryReaderTBX.read(f, false) : GlossaryReaderTSV.read(f, false)
    entries.each { e -> println("GLOSSARY\t" + f.name + "\t" + e.getSrcText() + "\t" + e.getLocText()) }
  }
}
"#;

/// OmegaT 3.6 in console mode on a project made here: the sample's text in `source/`,
/// bitext's TMX of its translation in `tm/auto/` (OmegaT fills targets from it), and bitext's
/// glossary exports (TSV and TBX) in `glossary/`. One JVM start for all three checks.
///
/// What is checked: the translated document holds bitext's targets for most segments
/// (OmegaT segments with its own rules, so a sentence it cuts differently gets no exact
/// match); OmegaT's glossary readers, run inside the loaded project, return every term of the
/// shipped glossary from both the TSV and the TBX, with its target (kept terms without a
/// target: from the TBX only). What is not: the GUI's glossary pane.
#[test]
fn omegat_fills_targets_from_the_tmx_and_reads_the_glossaries() {
    let Some(java) = require_tool(&["java"], "apt-get install omegat") else {
        return;
    };
    let jar = Path::new("/usr/share/omegat/OmegaT.jar");
    if !require(
        jar.is_file(),
        "/usr/share/omegat/OmegaT.jar",
        "apt-get install omegat",
    ) {
        return;
    }
    let b = gloss_sample();
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    for sub in [
        "source",
        "target",
        "tm/auto",
        "glossary",
        "omegat",
        "dictionary",
    ] {
        std::fs::create_dir_all(project.join(sub)).unwrap();
    }
    std::fs::write(project.join("omegat.project"), OMEGAT_PROJECT).unwrap();
    // The article as plain text: each block a paragraph.
    let mut article = String::new();
    for (i, pair) in b.pairs.iter().enumerate() {
        if i > 0 && b.pairs[i - 1].block != pair.block {
            article.push_str("\n\n");
        }
        article.push_str(&pair.source);
    }
    article.push('\n');
    std::fs::write(project.join("source/article.txt"), article).unwrap();
    std::fs::write(project.join("tm/auto/bitext.tmx"), render(&b, Format::Tmx)).unwrap();
    let glossary = crate::common::glossary();
    for (format, file) in [("tsv", "bitext.txt"), ("tbx", "bitext.tbx")] {
        let out = bitext()
            .args(["glossary", "export", "-f", format, "-g"])
            .arg(&glossary)
            .arg("-o")
            .arg(project.join("glossary").join(file))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let probe = dir.path().join("probe.groovy");
    std::fs::write(&probe, OMEGAT_PROBE).unwrap();
    let out = Command::new(java)
        .arg("-jar")
        .arg(jar)
        .arg("--mode=console-translate")
        .arg(format!("--script={}", probe.display()))
        .arg(format!(
            "--config-dir={}",
            dir.path().join("config").display()
        ))
        .arg("--disable-project-locking")
        .arg(&project)
        .output()
        .unwrap();
    let log = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "omegat: {log}");

    let translated = std::fs::read_to_string(project.join("target/article.txt")).unwrap();
    let filled = b
        .pairs
        .iter()
        .filter(|p| translated.contains(&p.target))
        .count();
    eprintln!(
        "OmegaT filled {filled} of {} segments from bitext's TMX",
        b.pairs.len()
    );
    assert!(
        filled * 10 >= b.pairs.len() * 8,
        "OmegaT filled only {filled} of {} segments from the TMX",
        b.pairs.len()
    );

    let terms = bitext::glossary::Glossary::load(&glossary).unwrap().terms;
    for file in ["bitext.txt", "bitext.tbx"] {
        let read: Vec<(&str, &str)> = log
            .lines()
            .filter_map(|l| l.strip_prefix("GLOSSARY\t"))
            .filter_map(|l| l.strip_prefix(file)?.strip_prefix('\t')?.split_once('\t'))
            .collect();
        for term in &terms {
            // A kept term without a target has an empty target field in the TSV, which
            // OmegaT skips; the TBX carries it with the source as the target-language term.
            let target = match (&term.target, file) {
                (Some(target), _) => target.as_str(),
                (None, "bitext.tbx") => term.source.as_str(),
                (None, _) => continue,
            };
            assert!(
                read.contains(&(term.source.as_str(), target)),
                "OmegaT did not read {} → {target} from {file}; it read {} entries",
                term.source,
                read.len()
            );
        }
    }
}

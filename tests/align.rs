//! `bitext align`: a small text pair written for these tests (snapshot, link file, JSON),
//! the news sample against an English made with the gloss backend (with merged and split
//! variants whose links are known), glossary anchors, and a property test of coverage.

use crate::common;
use bitext::align::lexical::GlossaryAnchors;
use bitext::align::{Aligner, Dictionary, Link, links_tsv};
use bitext::backend::gloss::{Lexicon, gloss_text};
use bitext::glossary::Glossary;
use bitext::model::Origin;
use bitext::{document, split};
use proptest::prelude::*;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    common::root().join("tests/fixtures/align").join(name)
}

fn run_align(args: &[&str]) -> String {
    let out = common::bitext().arg("align").args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

/// Parses `src<TAB>tgt` link lines.
fn parse_links(text: &str) -> Vec<(Vec<usize>, Vec<usize>)> {
    let ids = |f: &str| -> Vec<usize> {
        f.split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect()
    };
    text.lines()
        .map(|line| {
            let (s, t) = line.split_once('\t').expect("a tab in every link line");
            (ids(s), ids(t))
        })
        .collect()
}

/// Every index of `0..n` and `0..m` in exactly one link, in increasing order.
fn assert_covers(links: &[(Vec<usize>, Vec<usize>)], n: usize, m: usize) {
    let src: Vec<usize> = links.iter().flat_map(|l| l.0.iter().copied()).collect();
    let tgt: Vec<usize> = links.iter().flat_map(|l| l.1.iter().copied()).collect();
    assert_eq!(src, (0..n).collect::<Vec<_>>());
    assert_eq!(tgt, (0..m).collect::<Vec<_>>());
    assert!(links.iter().all(|l| !l.0.is_empty() || !l.1.is_empty()));
}

fn pairs(links: &[Link]) -> Vec<(Vec<usize>, Vec<usize>)> {
    links
        .iter()
        .map(|l| (l.src.clone(), l.tgt.clone()))
        .collect()
}

#[test]
fn own_pair_tsv_snapshot() {
    let zh = fixture("morning.zh.md");
    let en = fixture("morning.en.md");
    let tsv = run_align(&[zh.to_str().unwrap(), en.to_str().unwrap(), "-f", "tsv"]);
    insta::assert_snapshot!("align_morning_tsv", tsv);
}

#[test]
fn own_pair_links_are_the_known_ones() {
    let zh = fixture("morning.zh.md");
    let en = fixture("morning.en.md");
    let text = run_align(&[zh.to_str().unwrap(), en.to_str().unwrap(), "--links"]);
    // 10 Chinese segments, 10 English sentences: the fourth paragraph's first two Chinese
    // sentences are one English sentence (2-1), and 今天下雨了，他撑起一把蓝色的伞 is two (1-2).
    assert_eq!(
        text,
        "0\t0\n1\t1\n2\t2\n3\t3\n4\t4,5\n5,6\t6\n7\t7\n8\t8\n9\t9\n"
    );
    assert_covers(&parse_links(&text), 10, 10);
}

#[test]
fn json_output_is_a_bitext_with_aligned_origins() {
    let zh = fixture("morning.zh.md");
    let en = fixture("morning.en.md");
    let json = run_align(&[zh.to_str().unwrap(), en.to_str().unwrap(), "-f", "json"]);
    let bitext = bitext::export::json::read(&json, "out.json").unwrap();
    assert_eq!(bitext.pairs.len(), 9);
    let merged = &bitext.pairs[5];
    assert_eq!(merged.id, "b4.s1+s2");
    assert_eq!(merged.block, 4);
    assert_eq!(
        merged.source,
        "一个年轻的女孩买了两杯豆浆和一个包子。她说她要去参加数学考试。"
    );
    match &merged.origin {
        Origin::Aligned { src, tgt, score } => {
            assert_eq!((src.as_slice(), tgt.as_slice()), (&[5, 6][..], &[6][..]));
            assert!(score.is_finite());
        }
        other => panic!("not an aligned origin: {other:?}"),
    }
    let split = &bitext.pairs[4];
    assert_eq!(
        split.target,
        "It is raining today. He opens a blue umbrella."
    );
    assert!(bitext.meta.aligner.as_deref().unwrap().contains("gloss"));
}

#[test]
fn other_formats_go_through_the_exporters() {
    let zh = fixture("morning.zh.md");
    let en = fixture("morning.en.md");
    let tmx = run_align(&[zh.to_str().unwrap(), en.to_str().unwrap(), "-f", "tmx"]);
    assert!(tmx.contains("<tmx"), "{tmx}");
    assert!(tmx.contains("It is raining today. He opens a blue umbrella."));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("morning.html");
    common::bitext()
        .arg("align")
        .args([
            zh.to_str().unwrap(),
            en.to_str().unwrap(),
            "-f",
            "html",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout("");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("Morning in the Mountain City")
    );
}

#[test]
fn presplit_files_and_null_links() {
    let dir = tempfile::tempdir().unwrap();
    let zh = dir.path().join("zh.txt");
    let en = dir.path().join("en.txt");
    // One sentence a line; the third Chinese line has no English counterpart.
    std::fs::write(
        &zh,
        "2020年，重庆的人口是3200万。\n他去了上海。\n注释：本段的数字来自第七次全国人口普查公报，由编者在出版前补充，英文版没有这一句。\n会议在北京召开。\n",
    )
    .unwrap();
    std::fs::write(
        &en,
        "In 2020, Chongqing had a population of 32 million.\nHe went to Shanghai.\nThe meeting was held in Beijing.\n",
    )
    .unwrap();
    let text = run_align(&[
        zh.to_str().unwrap(),
        en.to_str().unwrap(),
        "--presplit",
        "--links",
    ]);
    assert_eq!(text, "0\t0\n1\t1\n2\t\n3\t2\n");
    let links = parse_links(&text);
    assert_covers(&links, 4, 3);
}

#[test]
fn usage_errors_are_one_line() {
    let zh = fixture("morning.zh.md");
    let en = fixture("morning.en.md");
    let out = common::bitext()
        .arg("align")
        .args([zh.to_str().unwrap(), en.to_str().unwrap(), "-f", "pdf"])
        .assert()
        .code(2);
    // The shared output arguments: a usage error, as for `translate` and `export`.
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("unknown format \"pdf\""), "{err}");
    let out = common::bitext()
        .arg("align")
        .args([
            zh.to_str().unwrap(),
            en.to_str().unwrap(),
            "--bridge",
            "bing",
        ])
        .assert()
        .failure();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("--bridge bing"), "{err}");
    common::bitext()
        .arg("align")
        .args([zh.to_str().unwrap(), "missing.en.md"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("missing.en.md"));
}

/// The news sample's segments and a deterministic English (the gloss backend) per segment.
fn sample_with_gloss() -> (Vec<String>, Vec<String>) {
    let doc = document::read_path(&common::sample()).unwrap();
    let zh: Vec<String> = split::segment_document(&doc)
        .into_iter()
        .map(|s| s.text)
        .collect();
    let lexicon = Lexicon::global();
    let en = zh.iter().map(|s| gloss_text(lexicon, s, &[])).collect();
    (zh, en)
}

fn align_gloss(zh: &[String], en: &[String]) -> Vec<(Vec<usize>, Vec<usize>)> {
    let zh: Vec<&str> = zh.iter().map(String::as_str).collect();
    let en: Vec<&str> = en.iter().map(String::as_str).collect();
    let aligner = Aligner::new(Some(Lexicon::global() as &dyn Dictionary), None);
    pairs(&aligner.align(&zh, &en))
}

#[test]
fn news_sample_against_its_gloss_translation() {
    let (zh, en) = sample_with_gloss();
    assert!(zh.len() > 40, "the sample has {} segments", zh.len());
    let links = align_gloss(&zh, &en);
    let expected: Vec<_> = (0..zh.len()).map(|i| (vec![i], vec![i])).collect();
    assert_eq!(links, expected);
}

#[test]
fn news_sample_with_merged_and_split_translations() {
    let (zh, en) = sample_with_gloss();
    // Hand-made variants: English sentences 5+6 and 20+21 merged into one each; the English
    // of 12 and of 30 cut in two at a word boundary near the middle.
    let mut variant: Vec<String> = Vec::new();
    let mut expected: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    let mut i = 0;
    while i < zh.len() {
        let t = variant.len();
        if i == 5 || i == 20 {
            variant.push(format!("{} {}", en[i], en[i + 1]));
            expected.push((vec![i, i + 1], vec![t]));
            i += 2;
            continue;
        }
        if i == 12 || i == 30 {
            let words: Vec<&str> = en[i].split(' ').collect();
            assert!(
                words.len() >= 6,
                "sentence {i} is long enough to cut: {}",
                en[i]
            );
            let half = words.len() / 2;
            variant.push(words[..half].join(" "));
            variant.push(words[half..].join(" "));
            expected.push((vec![i], vec![t, t + 1]));
        } else {
            variant.push(en[i].clone());
            expected.push((vec![i], vec![t]));
        }
        i += 1;
    }
    let links = align_gloss(&zh, &variant);
    assert_eq!(links, expected);
}

#[test]
fn glossary_terms_are_lexical_evidence() {
    // Without a dictionary, only length, numbers and Latin tokens speak; the glossary's
    // renderings add evidence for the right links, so their scores rise.
    let glossary = Glossary::load(&common::glossary()).unwrap();
    let terms = GlossaryAnchors::new(glossary);
    let zh = ["智博会在重庆开幕。", "两江新区签约了许多项目，总额很大。"];
    let en = [
        "The Smart China Expo opened in Chongqing, drawing exhibitors from many countries.",
        "Liangjiang New Area signed projects.",
    ];
    let plain = Aligner::new(None, None).align(&zh, &en);
    let with_terms = Aligner::new(None, Some(&terms)).align(&zh, &en);
    let expected = [(vec![0], vec![0]), (vec![1], vec![1])];
    assert_eq!(pairs(&with_terms), expected);
    assert_eq!(pairs(&plain), expected);
    for (a, b) in with_terms.iter().zip(&plain) {
        assert!(a.score > b.score + 0.5, "{} vs {}", a.score, b.score);
    }
}

#[test]
fn link_file_format() {
    let links = vec![
        Link {
            src: vec![0],
            tgt: vec![0, 1],
            score: 1.0,
        },
        Link {
            src: vec![1],
            tgt: vec![],
            score: -4.0,
        },
        Link {
            src: vec![],
            tgt: vec![2],
            score: -4.0,
        },
        Link {
            src: vec![2, 3],
            tgt: vec![3],
            score: 0.5,
        },
    ];
    assert_eq!(links_tsv(&links), "0\t0,1\n1\t\n\t2\n2,3\t3\n");
}

fn sentence() -> impl Strategy<Value = (String, String)> {
    // A Chinese sentence of known words and a rough English rendering of it.
    let words = [
        ("重庆", "Chongqing"),
        ("经济", "economy"),
        ("发展", "development"),
        ("数字", "digital"),
        ("城市", "city"),
        ("企业", "enterprises"),
        ("2021年", "2021"),
        ("项目", "projects"),
    ];
    proptest::collection::vec(0..words.len(), 1..6).prop_map(move |picks| {
        let zh: String = picks.iter().map(|&k| words[k].0).collect::<String>() + "。";
        let en = picks
            .iter()
            .map(|&k| words[k].1)
            .collect::<Vec<_>>()
            .join(" ")
            + ".";
        (zh, en)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every sentence of both sides is in exactly one link, in order, whatever the texts.
    #[test]
    fn every_sentence_in_exactly_one_link(
        zh in proptest::collection::vec(sentence(), 0..120),
        extra in proptest::collection::vec(sentence(), 0..120),
        gloss in any::<bool>(),
    ) {
        let zh_texts: Vec<&str> = zh.iter().map(|s| s.0.as_str()).collect();
        let en_texts: Vec<&str> = extra.iter().map(|s| s.1.as_str()).collect();
        let dict = gloss.then(|| Lexicon::global() as &dyn Dictionary);
        let links = Aligner::new(dict, None).align(&zh_texts, &en_texts);
        let links = pairs(&links);
        let src: Vec<usize> = links.iter().flat_map(|l| l.0.iter().copied()).collect();
        let tgt: Vec<usize> = links.iter().flat_map(|l| l.1.iter().copied()).collect();
        prop_assert_eq!(src, (0..zh_texts.len()).collect::<Vec<_>>());
        prop_assert_eq!(tgt, (0..en_texts.len()).collect::<Vec<_>>());
        prop_assert!(links.iter().all(|l| !l.0.is_empty() || !l.1.is_empty()));
    }
}

#[test]
fn cli_glossary_anchors_with_no_bridge() {
    let dir = tempfile::tempdir().unwrap();
    let zh = dir.path().join("zh.txt");
    let en = dir.path().join("en.txt");
    std::fs::write(
        &zh,
        "智博会在重庆开幕。\n两江新区签约了许多项目，总额很大。\n",
    )
    .unwrap();
    std::fs::write(
        &en,
        "The Smart China Expo opened in Chongqing, drawing exhibitors from many countries.\nLiangjiang New Area signed projects.\n",
    )
    .unwrap();
    let glossary = common::glossary();
    let args = [
        zh.to_str().unwrap(),
        en.to_str().unwrap(),
        "--presplit",
        "--links",
        "--bridge",
        "none",
        "-g",
        glossary.to_str().unwrap(),
    ];
    assert_eq!(run_align(&args), "0\t0\n1\t1\n");
    common::bitext()
        .arg("align")
        .args([
            zh.to_str().unwrap(),
            en.to_str().unwrap(),
            "-g",
            "no-such.toml",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains("no-such.toml"));
}

#[test]
fn machine_translations_bridge_without_a_dictionary() {
    // The gloss backend stands in for an MT engine: its English of each Chinese segment is
    // the only lexical evidence (no dictionary), and the known links of the own pair come out.
    let doc = document::read_path(&fixture("morning.zh.md")).unwrap();
    let zh: Vec<String> = split::segment_document(&doc)
        .into_iter()
        .map(|s| s.text)
        .collect();
    let en_text = std::fs::read_to_string(fixture("morning.en.md")).unwrap();
    let en: Vec<String> = split::english::split_text(&en_text)
        .into_iter()
        .map(|(_, _, s)| s)
        .collect();
    let mt: Vec<String> = zh
        .iter()
        .map(|s| gloss_text(Lexicon::global(), s, &[]))
        .collect();
    let zh_refs: Vec<&str> = zh.iter().map(String::as_str).collect();
    let en_refs: Vec<&str> = en.iter().map(String::as_str).collect();
    let mut aligner = Aligner::new(None, None);
    let plain = aligner.align(&zh_refs, &en_refs);
    aligner.evidence.translations = Some(&mt);
    let bridged = aligner.align(&zh_refs, &en_refs);
    let expected: Vec<(Vec<usize>, Vec<usize>)> = vec![
        (vec![0], vec![0]),
        (vec![1], vec![1]),
        (vec![2], vec![2]),
        (vec![3], vec![3]),
        (vec![4], vec![4, 5]),
        (vec![5, 6], vec![6]),
        (vec![7], vec![7]),
        (vec![8], vec![8]),
        (vec![9], vec![9]),
    ];
    assert_eq!(pairs(&bridged), expected);
    let total = |links: &[Link]| links.iter().map(|l| l.score).sum::<f64>();
    assert!(total(&bridged) > total(&plain) + 1.0);
}

#[test]
fn unknown_backend_bridge_is_named() {
    let zh = fixture("morning.zh.md");
    let en = fixture("morning.en.md");
    let out = common::bitext()
        .arg("align")
        .args([
            zh.to_str().unwrap(),
            en.to_str().unwrap(),
            "--bridge",
            "no-such-backend",
        ])
        .assert()
        .failure();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no-such-backend"), "{err}");
}

#[test]
fn cli_output_format_follows_the_extension_and_a_summary_is_printed() {
    let zh = fixture("morning.zh.md");
    let en = fixture("morning.en.md");
    let dir = tempfile::tempdir().unwrap();
    for (name, start) in [
        ("out.tmx", "<?xml"),
        ("out.json", "{\n  \"format\": \"bitext/1\""),
        ("out.html", "<!DOCTYPE html>"),
    ] {
        let path = dir.path().join(name);
        let out = common::bitext()
            .arg("align")
            .args([zh.to_str().unwrap(), en.to_str().unwrap(), "-o"])
            .arg(&path)
            .assert()
            .success();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(start),
            "{name}: {}",
            &text[..40.min(text.len())]
        );
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(err.starts_with("bitext: aligned "), "{err}");
        assert!(err.contains(" links ("), "{err}");
    }
}

#[test]
fn cli_mt_bridge_goes_through_the_pipeline_and_its_memory() {
    let zh = fixture("morning.zh.md");
    let en = fixture("morning.en.md");
    let sim = crate::sim::Sim::start(crate::sim::SimConfig::default());
    let cache = tempfile::tempdir().unwrap();
    let align = || {
        common::bitext()
            .env("XDG_CACHE_HOME", cache.path())
            .env("OPENAI_BASE_URL", sim.base_url())
            .env("OPENAI_API_KEY", "sk-sim")
            .arg("align")
            .args([zh.to_str().unwrap(), en.to_str().unwrap()])
            .args(["--bridge", "openai", "-f", "json"])
            .assert()
            .success()
    };
    align();
    let first = sim.stats().requests;
    assert!(first >= 1, "the bridge sent nothing");
    // The second run finds every translation in the memory.
    align();
    assert_eq!(sim.stats().requests, first, "the memory was not used");
}

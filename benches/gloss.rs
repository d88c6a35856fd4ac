//! Benchmarks of the gloss stage (divan). Run: `cargo bench --bench gloss`.
//!
//! Targets (ISSUE 4): the dictionary loads in < 300 ms (release) and the whole sample article
//! glosses in < 1 s on one core.

use bitext::backend::TermPair;
use bitext::backend::gloss::{Lexicon, gloss_text};
use std::path::Path;

fn main() {
    divan::main();
}

/// The sample's segments, each with the terms of a small glossary that occur in it.
fn sample_items() -> Vec<(String, Vec<TermPair>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/smart-china-expo-2021.zh.md");
    let doc = bitext::document::read_path(&path).expect("sample reads");
    let terms = [
        ("两江新区", "Liangjiang New Area"),
        ("智博会", "Smart China Expo"),
        ("上合组织", "SCO"),
        ("上海合作组织", "Shanghai Cooperation Organization"),
        ("习近平", "Xi Jinping"),
        ("十四五", "14th Five-Year Plan"),
        ("中欧班列", "China-Europe Railway Express"),
    ];
    bitext::split::segment_document(&doc)
        .into_iter()
        .map(|s| {
            let pairs = terms
                .iter()
                .filter(|(src, _)| s.text.contains(src))
                .map(|(src, tgt)| TermPair {
                    source: (*src).into(),
                    target: (*tgt).into(),
                })
                .collect();
            (s.text, pairs)
        })
        .collect()
}

/// Inflating and indexing the embedded CC-CEDICT (a fresh lexicon each time).
#[divan::bench(sample_count = 10)]
fn load_cedict() -> Lexicon {
    Lexicon::load_embedded()
}

/// Building the jieba-rs segmenter (its default dictionary), the other half of a first use.
#[divan::bench(sample_count = 10)]
fn load_jieba() -> jieba_rs::Jieba {
    jieba_rs::Jieba::new()
}

/// Glossing every segment of the sample article (dictionary already loaded).
#[divan::bench(sample_count = 20)]
fn gloss_sample(bencher: divan::Bencher) {
    let lex = Lexicon::global();
    lex.jieba();
    let items = sample_items();
    bencher.bench(|| {
        items
            .iter()
            .map(|(text, terms)| gloss_text(lex, text, terms).len())
            .sum::<usize>()
    });
}

/// First use end to end: a fresh lexicon (CC-CEDICT and jieba built inside) glossing the
/// whole sample, so every headword it meets is cleaned on the way.
#[divan::bench(sample_count = 5)]
fn gloss_sample_cold(bencher: divan::Bencher) {
    let items = sample_items();
    bencher.bench(|| {
        let lex = Lexicon::load_embedded();
        items
            .iter()
            .map(|(text, terms)| gloss_text(&lex, text, terms).len())
            .sum::<usize>()
    });
}

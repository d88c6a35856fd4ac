//! Benchmarks of the align stage (divan). Run: `cargo bench --bench align`.
//!
//! - `dp_band`: the bead DP alone on a long synthetic document;
//! - `news_sample`: the sample article against its gloss-backend English (features + DP);
//! - `mac_test`: all 24 chapters of MAC-Test (`../shared/eval/align-zh-en/mac-test`, read at
//!   run time, never stored in the repository), the "< 10 s on one core" target. When
//!   `../shared` is absent the benchmark says so and measures nothing.

use bitext::align::dp::{Band, best_path};
use bitext::align::{Aligner, Dictionary, SHAPES};
use bitext::backend::gloss::{Lexicon, gloss_text};
use std::path::PathBuf;

fn main() {
    divan::main();
}

#[divan::bench]
fn dp_band(bencher: divan::Bencher) {
    let n = 2000;
    let m = 2600;
    let centre: Vec<usize> = (0..=n).map(|i| i * m / n).collect();
    let band = Band::around(&centre, m, 40);
    let shapes: Vec<(usize, usize)> = SHAPES.iter().map(|(s, _)| *s).collect();
    let scorer = |i: usize, a: usize, j: usize, b: usize| -> f64 {
        let d = (i * m / n) as f64 - j as f64;
        -(d * d) * 0.001 - (a as f64 - 1.0).abs() - (b as f64 - 1.3).abs()
    };
    bencher.bench(|| best_path(n, m, &shapes, &band, &scorer).len());
}

fn sample_pair() -> (Vec<String>, Vec<String>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let doc = bitext::document::read_path(&root.join("samples/smart-china-expo-2021.zh.md"))
        .expect("the sample article");
    let zh: Vec<String> = bitext::split::segment_document(&doc)
        .into_iter()
        .map(|s| s.text)
        .collect();
    let en = zh
        .iter()
        .map(|s| gloss_text(Lexicon::global(), s, &[]))
        .collect();
    (zh, en)
}

#[divan::bench]
fn news_sample(bencher: divan::Bencher) {
    let (zh, en) = sample_pair();
    let zh: Vec<&str> = zh.iter().map(String::as_str).collect();
    let en: Vec<&str> = en.iter().map(String::as_str).collect();
    let aligner = Aligner::new(Some(Lexicon::global() as &dyn Dictionary), None);
    bencher.bench(|| aligner.align(&zh, &en).len());
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn mac_test(bencher: divan::Bencher) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/align-zh-en/mac-test");
    if !dir.is_dir() {
        eprintln!(
            "mac_test: {} is absent (the MAC evaluation data lives outside the repository); not measured",
            dir.display()
        );
        return;
    }
    let mut chapters = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir.join("zh"))
        .expect("mac-test/zh")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !n.contains('.'))
        .collect();
    names.sort();
    for name in names {
        let read = |side: &str| -> Vec<String> {
            std::fs::read_to_string(dir.join(side).join(&name))
                .expect("a chapter file")
                .lines()
                .map(str::to_string)
                .collect()
        };
        chapters.push((read("zh"), read("en")));
    }
    let aligner = Aligner::new(Some(Lexicon::global() as &dyn Dictionary), None);
    Lexicon::global().segment("预热");
    bencher.bench(|| {
        let mut links = 0;
        for (zh, en) in &chapters {
            let zh: Vec<&str> = zh.iter().map(String::as_str).collect();
            let en: Vec<&str> = en.iter().map(String::as_str).collect();
            links += aligner.align(&zh, &en).len();
        }
        links
    });
}

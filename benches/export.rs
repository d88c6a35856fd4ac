//! Benchmarks of the export stage (divan). Run: `cargo bench --bench export`.
//!
//! The bitext is the sample article read and split by the library with a synthetic target
//! (see `tests/export/sample.rs`). The target: every format together in < 50 ms.

use bitext::Bitext;
use bitext::export::{self, ExportOptions, Format};
use std::path::Path;
use std::sync::LazyLock;

#[path = "../tests/export/sample.rs"]
mod sample;

static SAMPLE: LazyLock<Bitext> = LazyLock::new(|| {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/smart-china-expo-2021.zh.md");
    sample::sample_bitext(&path)
});

fn main() {
    divan::main();
}

/// Every format, one after the other: the figure the < 50 ms target is about.
#[divan::bench]
fn all_formats(bencher: divan::Bencher) {
    let bitext = &*SAMPLE;
    let options = ExportOptions::default();
    bencher.bench(|| {
        let mut bytes = 0;
        for format in Format::ALL {
            bytes += export::render(divan::black_box(bitext), format, &options)
                .unwrap()
                .len();
        }
        bytes
    });
}

#[divan::bench(args = Format::ALL.map(|f| f.name()))]
fn one_format(bencher: divan::Bencher, name: &str) {
    let bitext = &*SAMPLE;
    let format = Format::from_name(name).unwrap();
    let options = ExportOptions::default();
    bencher.bench(|| export::render(divan::black_box(bitext), format, &options).unwrap());
}

/// Reading the JSON form back (what `bitext export` does first).
#[divan::bench]
fn read_json(bencher: divan::Bencher) {
    let json = bitext::export::json::render(&SAMPLE);
    bencher.bench(|| bitext::export::json::read(divan::black_box(&json), "sample.json").unwrap());
}

//! Benchmarks of the reader and splitter (divan). Run: `cargo bench --bench split`.
//!
//! Input: the sample article repeated to about 50 MB, already in memory. Throughput is
//! reported per iteration in bytes/s (target: >= 200 MB/s per core for the splitter).

use bitext::document::{self, Encoding};
use bitext::split;
use divan::counter::BytesCount;
use std::sync::LazyLock;

const TARGET_BYTES: usize = 50 * 1024 * 1024;

static TEXT: LazyLock<String> = LazyLock::new(|| {
    let sample = include_str!("../samples/smart-china-expo-2021.zh.md");
    let mut text = String::with_capacity(TARGET_BYTES + sample.len());
    while text.len() < TARGET_BYTES {
        text.push_str(sample);
        text.push_str("\n\n");
    }
    text
});

static DOCUMENT: LazyLock<document::Document> =
    LazyLock::new(|| document::parse_text("bench", &TEXT, Encoding::Utf8));

fn main() {
    divan::main();
}

/// Sentence splitting of every block, the document already read.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn split_50mb(bencher: divan::Bencher) {
    let doc = &*DOCUMENT;
    let bytes: usize = doc.blocks.iter().map(|b| b.text.len()).sum();
    bencher
        .counter(BytesCount::new(bytes))
        .bench(|| split::segment_document(divan::black_box(doc)).len());
}

/// Sentence boundaries only (no segment strings allocated).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn boundaries_50mb(bencher: divan::Bencher) {
    let doc = &*DOCUMENT;
    let bytes: usize = doc.blocks.iter().map(|b| b.text.len()).sum();
    bencher.counter(BytesCount::new(bytes)).bench(|| {
        doc.blocks
            .iter()
            .map(|b| split::sentence_ranges(divan::black_box(&b.text)).len())
            .sum::<usize>()
    });
}

/// Decoding check, block structure, classification and page-break repair.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn read_50mb(bencher: divan::Bencher) {
    let bytes = TEXT.as_bytes();
    bencher.counter(BytesCount::new(bytes.len())).bench(|| {
        document::parse_bytes("bench", divan::black_box(bytes))
            .unwrap()
            .blocks
            .len()
    });
}

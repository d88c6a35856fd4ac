//! Benchmarks of the HTML/DOCX readers and writers (divan). Run:
//! `CARGO_TARGET_DIR=/work/rel-target cargo bench --bench documents`.
//!
//! The document is a generated Word file of about 200 pages (the test article, then 1,600
//! paragraphs of about 105 Han characters, each with a bold and an italic run: 170,000
//! characters, 4,800 sentences with placeholders). The target: read and written back in
//! under 2 s.

use bitext::formats::{self, Input, Layout, StructuredDocument};
use bitext::model::{Bitext, Meta, Origin, Pair};
use std::sync::LazyLock;

#[path = "../tests/documents/make.rs"]
mod make;

static DOCX: LazyLock<Vec<u8>> = LazyLock::new(|| make::long_docx(200));

fn main() {
    divan::main();
}

fn read(bytes: &[u8]) -> StructuredDocument {
    match formats::read_bytes("long.docx", bytes.to_vec(), Some("docx")).expect("a DOCX") {
        Input::Structured(d) => d,
        Input::Text(_) => unreachable!("a DOCX is structured"),
    }
}

/// Every sentence "translated" to itself (same placeholders, same length): what the writer
/// sees after a run.
fn identity(document: &StructuredDocument) -> Bitext {
    let mut bitext = Bitext::new("zh-CN", "en", Meta::default());
    bitext.pairs = document
        .segments()
        .into_iter()
        .map(|s| Pair {
            id: s.id.to_string(),
            block: s.block,
            kind: s.kind,
            source: s.text.clone(),
            target: s.text,
            terms: Vec::new(),
            flags: Vec::new(),
            origin: Origin::Manual,
        })
        .collect();
    bitext
}

/// Read the 200-page DOCX into sentences (unzip, parse, segment).
#[divan::bench]
fn read_200_pages(bencher: divan::Bencher) {
    bencher.bench_local(|| read(&DOCX).segments().len());
}

/// Write the translated 200-page DOCX (rebuild paragraphs, re-zip).
#[divan::bench]
fn write_200_pages(bencher: divan::Bencher) {
    let document = read(&DOCX);
    let bitext = identity(&document);
    bencher.bench_local(|| {
        document
            .write(&bitext, Layout::Translated)
            .expect("written")
            .len()
    });
}

/// Read and write back: the figure the < 2 s target is about.
#[divan::bench]
fn read_and_write_200_pages(bencher: divan::Bencher) {
    let bitext = identity(&read(&DOCX));
    bencher.bench_local(|| {
        let document = read(&DOCX);
        document
            .write(&bitext, Layout::Translated)
            .expect("written")
            .len()
    });
}

//! Benchmarks of the glossary stage (divan). Run: `cargo bench --bench glossary`.
//!
//! Target (issue 3): a 10,000-term glossary matched over 10 MB of text in <= 100 ms.
//! The glossary and text are synthetic and deterministic (fixed seed): terms of 2-8 Han
//! characters drawn from the characters of the sample article, some with brackets; the text
//! is random Han characters with full-width punctuation (so width folding is exercised)
//! and a term inserted about every 40 characters.

use bitext::glossary::{Glossary, Matcher, Term};
use std::sync::LazyLock;

const TERMS: usize = 10_000;
const TEXT_BYTES: usize = 10 * 1024 * 1024;

fn alphabet() -> Vec<char> {
    let sample = include_str!("../samples/smart-china-expo-2021.zh.md");
    let mut chars: Vec<char> = sample
        .chars()
        .filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
        .collect();
    chars.sort_unstable();
    chars.dedup();
    chars
}

struct Fixture {
    glossary: Glossary,
    matcher: Matcher,
    text: String,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let mut rng = fastrand::Rng::with_seed(2021);
    let chars = alphabet();
    let mut terms = Vec::with_capacity(TERMS);
    let mut seen = std::collections::HashSet::new();
    while terms.len() < TERMS {
        let len = rng.usize(2..=8);
        let mut source: String = (0..len).map(|_| chars[rng.usize(..chars.len())]).collect();
        if rng.usize(..20) == 0 {
            let at = source
                .char_indices()
                .nth(2)
                .map_or(source.len(), |(i, _)| i);
            source.insert(at, '(');
            source.push_str("区)");
        }
        if seen.insert(source.clone()) {
            terms.push(Term {
                target: Some(format!("term {}", terms.len())),
                source,
                ..Term::default()
            });
        }
    }
    let glossary = Glossary::new("bench", terms);
    let punctuation = ['，', '。', '、', '（', '）', '：', '；'];
    let mut text = String::with_capacity(TEXT_BYTES + 64);
    while text.len() < TEXT_BYTES {
        for _ in 0..rng.usize(20..60) {
            text.push(chars[rng.usize(..chars.len())]);
        }
        let term = &glossary.terms[rng.usize(..TERMS)].source;
        // Half the bracketed terms appear with full-width brackets.
        if rng.bool() {
            text.push_str(&term.replace('(', "（").replace(')', "）"));
        } else {
            text.push_str(term);
        }
        text.push(punctuation[rng.usize(..punctuation.len())]);
    }
    let matcher = glossary.matcher();
    Fixture {
        glossary,
        matcher,
        text,
    }
});

fn main() {
    let f = &*FIXTURE;
    eprintln!(
        "glossary bench: {} terms, {:.1} MB of text, {} matches",
        f.glossary.terms.len(),
        f.text.len() as f64 / 1_048_576.0,
        f.matcher.count(&f.text)
    );
    divan::main();
}

/// The target: find every term in 10 MB of text (spans mapped back to the original).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn find_10k_terms_in_10mb(bencher: divan::Bencher) {
    let f = &*FIXTURE;
    bencher.bench(|| f.matcher.find(divan::black_box(&f.text)).len());
}

/// Same text, counting only (no span mapping, no allocation of matches).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn count_10k_terms_in_10mb(bencher: divan::Bencher) {
    let f = &*FIXTURE;
    bencher.bench(|| f.matcher.count(divan::black_box(&f.text)));
}

/// Building the matcher of a 10,000-term glossary.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn build_matcher_10k_terms(bencher: divan::Bencher) {
    let f = &*FIXTURE;
    bencher.bench(|| divan::black_box(&f.glossary).matcher().len());
}

/// Planning the terms of the sample article's segments with the shipped glossary.
#[divan::bench]
fn plan_terms_sample_article(bencher: divan::Bencher) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let glossary = Glossary::load(&root.join("glossary/zh-en.toml")).expect("shipped glossary");
    let doc = bitext::document::read_path(&root.join("samples/smart-china-expo-2021.zh.md"))
        .expect("sample");
    let segments = bitext::split::segment_document(&doc);
    let texts: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
    let matcher = glossary.matcher();
    bencher.bench(|| bitext::glossary::plan_terms(&glossary, &matcher, divan::black_box(&texts)));
}

/// A 100,000-term glossary file (issue 12: loading was quadratic, 239 s; target < 1 s).
static BIG_FILE: LazyLock<(tempfile::TempDir, std::path::PathBuf)> = LazyLock::new(|| {
    let mut rng = fastrand::Rng::with_seed(7);
    let chars = alphabet();
    let mut seen = std::collections::HashSet::new();
    let mut text = String::from("name = \"big\"\nsource_lang = \"zh\"\ntarget_lang = \"en\"\n");
    while seen.len() < 100_000 {
        let len = rng.usize(3..=6);
        let source: String = (0..len).map(|_| chars[rng.usize(..chars.len())]).collect();
        if seen.insert(source.clone()) {
            let n = seen.len();
            text.push_str(&format!(
                "\n[[term]]\nsource = \"{source}\"\ntarget = \"term {n}\"\n"
            ));
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.toml");
    std::fs::write(&path, text).expect("write glossary");
    (dir, path)
});

/// Loading (parse + checks for use) of a 100,000-term glossary: what list/show/find do first.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn load_100k_terms(bencher: divan::Bencher) {
    let path = &BIG_FILE.1;
    bencher.bench(|| {
        Glossary::load_layered(std::slice::from_ref(path))
            .expect("loads")
            .terms
            .len()
    });
}

/// `glossary lint` of a 100,000-term glossary.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn lint_100k_terms(bencher: divan::Bencher) {
    let path = &BIG_FILE.1;
    bencher.bench(|| bitext::glossary::lint(std::slice::from_ref(path)).len());
}

/// `glossary find`: loading 100,000 terms and matching them in the sample article.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn find_100k_terms_in_sample(bencher: divan::Bencher) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(root.join("samples/smart-china-expo-2021.zh.md")).expect("sample");
    let path = &BIG_FILE.1;
    bencher.bench(|| {
        let glossary = Glossary::load_layered(std::slice::from_ref(path)).expect("loads");
        glossary.matcher().count(divan::black_box(&text))
    });
}

//! Benchmarks of the translation memory's fuzzy matches (divan). Run:
//! `CARGO_TARGET_DIR=/work/rel-target cargo bench --bench tm`.
//!
//! Target (issue 15): looking up 1,000 sentences against a memory of 100,000 entries in under
//! 1 s on one core. The memory is synthetic and deterministic (fixed seed): sentences of 15–60
//! characters made of a Zipf-distributed vocabulary of 5,000 two- to four-character words over
//! the Han characters of the sample article, with full-width commas and a full stop, so that
//! common bigrams are as common as in news text. Half the queries are entries with one to
//! three characters changed (they have matches), half are new sentences (mostly none).

use bitext::cache::{Cache, FuzzyEntry, FuzzyIndex, PairEntry, PairOrigin};
use std::sync::LazyLock;

const ENTRIES: usize = 100_000;
const QUERIES: usize = 1_000;

fn main() {
    divan::main();
}

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

struct Corpus {
    entries: Vec<FuzzyEntry>,
    queries: Vec<String>,
}

fn sentence(rng: &mut fastrand::Rng, words: &[String], cumulative: &[f64]) -> String {
    let len = rng.usize(15..=60);
    let mut text = String::new();
    while text.chars().count() < len {
        let x = rng.f64() * cumulative[cumulative.len() - 1];
        let w = cumulative.partition_point(|&c| c < x).min(words.len() - 1);
        text.push_str(&words[w]);
        if rng.usize(..8) == 0 {
            text.push('，');
        }
    }
    text.push('。');
    text
}

static CORPUS: LazyLock<Corpus> = LazyLock::new(|| {
    let mut rng = fastrand::Rng::with_seed(15);
    let chars = alphabet();
    let words: Vec<String> = (0..5_000)
        .map(|_| {
            let len = rng.usize(2..=4);
            (0..len).map(|_| chars[rng.usize(..chars.len())]).collect()
        })
        .collect();
    // Zipf: weight 1/rank.
    let mut cumulative = Vec::with_capacity(words.len());
    let mut total = 0.0;
    for rank in 1..=words.len() {
        total += 1.0 / rank as f64;
        cumulative.push(total);
    }
    let entries: Vec<FuzzyEntry> = (0..ENTRIES)
        .map(|i| FuzzyEntry {
            source: sentence(&mut rng, &words, &cumulative),
            target: format!("target {i}"),
            human: i % 10 == 0,
        })
        .collect();
    let queries = (0..QUERIES)
        .map(|q| {
            if q % 2 == 0 {
                let mut text: Vec<char> = entries[rng.usize(..ENTRIES)].source.chars().collect();
                for _ in 0..rng.usize(1..=3) {
                    let at = rng.usize(..text.len());
                    text[at] = chars[rng.usize(..chars.len())];
                }
                text.into_iter().collect()
            } else {
                sentence(&mut rng, &words, &cumulative)
            }
        })
        .collect();
    Corpus { entries, queries }
});

static INDEX: LazyLock<FuzzyIndex> = LazyLock::new(|| FuzzyIndex::new(CORPUS.entries.clone()));

/// The figure: 1,000 lookups (threshold 0.75, at most 3 matches) against 100,000
/// entries, index built.
#[divan::bench(sample_count = 10)]
fn lookup_1000_against_100k(bencher: divan::Bencher) {
    let index = &*INDEX;
    let queries: Vec<&str> = CORPUS.queries.iter().map(String::as_str).collect();
    bencher.bench(|| {
        let found = index.lookup_many(divan::black_box(&queries), 0.75, 3);
        assert!(found.iter().filter(|m| !m.is_empty()).count() >= QUERIES / 2);
        found
    });
}

/// Building the bigram index of 100,000 entries (done once per run that has misses).
#[divan::bench(sample_count = 5)]
fn build_index_100k() -> FuzzyIndex {
    FuzzyIndex::new(divan::black_box(CORPUS.entries.clone()))
}

/// What a run with misses pays in all: read 100,000 entries from the redb memory and index
/// them.
#[divan::bench(sample_count = 5)]
fn read_and_index_100k_from_the_memory(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path()).expect("memory");
    let pairs: Vec<PairEntry> = CORPUS
        .entries
        .iter()
        .map(|e| PairEntry {
            origin: if e.human {
                PairOrigin::Human
            } else {
                PairOrigin::Machine
            },
            source_lang: "zh-CN".into(),
            target_lang: "en".into(),
            source: e.source.clone(),
            target: e.target.clone(),
            time: String::new(),
            file: None,
            author: None,
            note: None,
        })
        .collect();
    cache.import(&pairs).expect("import");
    bencher.bench(|| cache.fuzzy_index("zh-CN", "en").expect("index"));
}

//! Benchmarks of the pipeline stage. Run: `cargo bench --bench pipeline`.
//!
//! First, end-to-end figures against a local simulated OpenAI-compatible server (wiremock on
//! 127.0.0.1, the server of `tests/translate/fake_openai.rs`) answering every request after
//! 300 ms, through the real OpenAI client, the shipped glossary and a fresh cache (ISSUE 5):
//! - the sample article: wall time and requests (target <= 1.5 s, <= 8 requests);
//! - 20 articles like it (each segment made unique) at concurrency 8: wall time against the
//!   ideal `requests / concurrency x latency` (target within 1.2x);
//! - a second run of each: zero requests, wall time (target < 200 ms).
//!
//! Then divan micro-benchmarks of the pure parts (packing, QA checks, cache look-ups).

#[path = "../tests/translate/fake_openai.rs"]
mod fake_openai;
#[path = "../tests/sim/mod.rs"]
mod sim;

use bitext::backend::Backend;
use bitext::backend::http::ApiKey;
use bitext::backend::openai::{OpenAiBackend, OpenAiSettings, ResponseFormat};
use bitext::cache::{Cache, CacheKey};
use bitext::glossary::Glossary;
use bitext::pipeline::{self, Article, GlossaryTerms, Job, NoProgress, Options};
use std::path::Path;
use std::time::{Duration, Instant};

const LATENCY: Duration = Duration::from_millis(300);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sample() -> Article {
    let doc = bitext::document::read_path(&root().join("samples/smart-china-expo-2021.zh.md"))
        .expect("sample reads");
    Article::from_document(&doc)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: skip the slow part there.
    if std::env::args().any(|a| a == "--bench") {
        scheduler();
        end_to_end();
    }
    divan::main();
}

/// One cold run against the simulated server (`tests/sim`): the real OpenAI client with no
/// answer format preset, the shipped glossary, a fresh memory, default options but
/// `concurrency`.
fn sim_run(
    config: sim::SimConfig,
    concurrency: usize,
    sources: &[Article],
) -> (Duration, sim::Stats, usize) {
    let server = sim::Sim::start(config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut s = OpenAiSettings::new(server.base_url(), "sim");
        s.api_key = ApiKey::new("sk-bench");
        let backend = OpenAiBackend::new(s).expect("client");
        let glossary =
            Glossary::load_layered(&[root().join("glossary/zh-en.toml")]).expect("glossary");
        let terms = GlossaryTerms::new(glossary);
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(dir.path()).expect("cache");
        let job = Job {
            backend: &backend,
            terms: &terms,
            cache: Some(&cache),
            options: Options {
                concurrency,
                ..Options::default()
            },
            progress: &NoProgress,
        };
        let started = Instant::now();
        let outcome = pipeline::run(&job, sources).await.expect("run succeeds");
        let wall = started.elapsed();
        for (bitext, source) in outcome.bitexts.iter().zip(sources) {
            assert_eq!(bitext.pairs.len(), source.segments.len());
        }
        (wall, server.stats(), outcome.report.violations)
    })
}

/// The scheduler's figures (issue 13): cold runs against the simulated server at 300 ms, and
/// at 300 ms + 0.5 ms per character, against the physical limit.
fn scheduler() {
    let flat = sim::SimConfig {
        latency: LATENCY,
        ..sim::SimConfig::default()
    };
    let per_char = sim::SimConfig {
        latency: LATENCY,
        latency_per_char: Duration::from_micros(500),
        ..sim::SimConfig::default()
    };
    let article_chars = std::fs::read_to_string(root().join("samples/smart-china-expo-2021.zh.md"))
        .expect("sample")
        .chars()
        .count();
    println!("scheduler, sample article ({article_chars} chars), cold, shipped glossary:");
    for concurrency in [0, 8] {
        let (wall, stats, violations) = sim_run(flat.clone(), concurrency, &[sample()]);
        println!(
            "  300 ms flat, concurrency {}: {:.3} s = {:.2}x the 0.300 s limit, {} requests; \
             chars sent {} = {:.2}x the article ({} segment chars); violations {violations}",
            if concurrency == 0 {
                "default (4)".to_string()
            } else {
                concurrency.to_string()
            },
            wall.as_secs_f64(),
            wall.as_secs_f64() / LATENCY.as_secs_f64(),
            stats.requests,
            stats.prompt_chars,
            stats.prompt_chars as f64 / article_chars as f64,
            stats.segment_chars,
        );
    }
    let (wall, stats, _) = sim_run(per_char.clone(), 0, &[sample()]);
    let limit = LATENCY.as_secs_f64() + 0.0005 * stats.segment_chars as f64 / 4.0;
    println!(
        "  300 ms + 0.5 ms/char, concurrency 4: {:.3} s = {:.2}x the limit {limit:.3} s, {} requests",
        wall.as_secs_f64(),
        wall.as_secs_f64() / limit,
        stats.requests
    );
    let articles: Vec<Article> = (1..=20)
        .map(|n| {
            let mut source = sample();
            source.name = format!("article-{n}.zh.md");
            for segment in &mut source.segments {
                segment.text = format!("（第{n}篇）{}", segment.text);
            }
            source
        })
        .collect();
    let (wall, stats, _) = sim_run(per_char, 8, &articles);
    let limit = LATENCY.as_secs_f64() + 0.0005 * stats.segment_chars as f64 / 8.0;
    println!(
        "  20 articles, 300 ms + 0.5 ms/char, concurrency 8: {:.3} s = {:.2}x the limit {limit:.3} s \
         ({} segment chars), {} requests",
        wall.as_secs_f64(),
        wall.as_secs_f64() / limit,
        stats.segment_chars,
        stats.requests
    );
}

struct Figures {
    wall: Duration,
    requests: usize,
    segments: usize,
    cached: usize,
}

async fn translate(
    backend: &dyn Backend,
    terms: &GlossaryTerms,
    cache: &Cache,
    concurrency: usize,
    sources: &[Article],
) -> Figures {
    let job = Job {
        backend,
        terms,
        cache: Some(cache),
        options: Options {
            concurrency,
            ..Options::default()
        },
        progress: &NoProgress,
    };
    let started = Instant::now();
    let outcome = pipeline::run(&job, sources).await.expect("run succeeds");
    let wall = started.elapsed();
    for (bitext, source) in outcome.bitexts.iter().zip(sources) {
        assert_eq!(bitext.pairs.len(), source.segments.len());
        assert!(bitext.pairs.iter().all(|p| !p.target.is_empty()));
    }
    Figures {
        wall,
        requests: outcome.report.requests,
        segments: outcome.report.segments,
        cached: outcome.report.cached,
    }
}

fn end_to_end() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let behaviour = fake_openai::Behaviour {
            latency: LATENCY,
            ..fake_openai::Behaviour::default()
        };
        let (server, state) = fake_openai::start(behaviour).await;
        let backend_for = |concurrency: usize| {
            let mut s = OpenAiSettings::new(format!("{}/v1", server.uri()), "fake-1");
            s.api_key = ApiKey::new("sk-bench");
            s.response_format = Some(ResponseFormat::JsonSchema);
            s.concurrency = concurrency;
            OpenAiBackend::new(s).expect("client")
        };
        let glossary =
            Glossary::load_layered(&[root().join("glossary/zh-en.toml")]).expect("glossary");
        let terms = GlossaryTerms::new(glossary);
        println!("pipeline end to end, simulated server latency {LATENCY:?}:");

        for concurrency in [4, 8] {
            let dir = tempfile::tempdir().expect("tempdir");
            let cache = Cache::open(dir.path()).expect("cache");
            let backend = backend_for(concurrency);
            let sources = [sample()];
            let before = state.requests();
            let cold = translate(&backend, &terms, &cache, concurrency, &sources).await;
            assert_eq!(state.requests() - before, cold.requests);
            let warm = translate(&backend, &terms, &cache, concurrency, &sources).await;
            assert_eq!(warm.requests, 0);
            println!(
                "  sample, concurrency {concurrency}: {} segments, {} requests, {:.3} s (target <= 1.5 s, <= 8); \
                 second run {} requests, {} cached, {:.1} ms (target < 200 ms)",
                cold.segments,
                cold.requests,
                cold.wall.as_secs_f64(),
                warm.requests,
                warm.cached,
                warm.wall.as_secs_f64() * 1000.0
            );
        }

        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(dir.path()).expect("cache");
        let concurrency = 8;
        let backend = backend_for(concurrency);
        let articles: Vec<Article> = (1..=20)
            .map(|n| {
                let mut source = sample();
                source.name = format!("article-{n}.zh.md");
                for segment in &mut source.segments {
                    segment.text = format!("（第{n}篇）{}", segment.text);
                }
                source
            })
            .collect();
        let cold = translate(&backend, &terms, &cache, concurrency, &articles).await;
        let ideal = LATENCY.as_secs_f64() * cold.requests as f64 / concurrency as f64;
        let warm = translate(&backend, &terms, &cache, concurrency, &articles).await;
        assert_eq!(warm.requests, 0);
        println!(
            "  20 articles, concurrency {concurrency}: {} segments, {} requests, {:.3} s; ideal {:.3} s; \
             ratio {:.2} (target <= 1.2); second run {} requests, {:.1} ms",
            cold.segments,
            cold.requests,
            cold.wall.as_secs_f64(),
            ideal,
            cold.wall.as_secs_f64() / ideal,
            warm.requests,
            warm.wall.as_secs_f64() * 1000.0
        );
    });
}

/// Annotating the sample's bitext with the shipped glossary (term hits, glossary flags).
#[divan::bench]
fn annotate_sample(bencher: divan::Bencher) {
    use bitext::pipeline::Terms;
    let glossary = Glossary::load_layered(&[root().join("glossary/zh-en.toml")]).expect("glossary");
    let terms = GlossaryTerms::new(glossary);
    let mut bitext = bitext::Bitext::new("zh-CN", "en", Default::default());
    for s in sample().segments {
        bitext.pairs.push(bitext::Pair {
            id: s.id.to_string(),
            block: s.block,
            kind: s.kind,
            target: fake_openai::fake_prefix(&s.text),
            source: s.text,
            terms: vec![],
            flags: vec![],
            origin: bitext::Origin::Manual,
        });
    }
    bencher.bench(|| {
        let mut b = bitext.clone();
        terms.annotate(&mut b);
        b
    });
}

/// Checking every segment of the sample against its planned terms.
#[divan::bench]
fn missing_terms_sample(bencher: divan::Bencher) {
    use bitext::pipeline::Terms;
    let glossary = Glossary::load_layered(&[root().join("glossary/zh-en.toml")]).expect("glossary");
    let terms = GlossaryTerms::new(glossary);
    let texts: Vec<String> = sample().segments.into_iter().map(|s| s.text).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let plan = terms.plan(&refs);
    bencher.bench(|| {
        refs.iter()
            .zip(&plan)
            .map(|(t, p)| terms.missing(&fake_openai::fake_prefix(t), p).len())
            .sum::<usize>()
    });
}

/// Batching the sample's 74 segments.
#[divan::bench]
fn pack_sample(bencher: divan::Bencher) {
    let source = sample();
    let items: Vec<pipeline::plan::PackItem> = source
        .segments
        .iter()
        .map(|s| pipeline::plan::PackItem {
            chars: s.text.chars().count(),
            block: s.block,
        })
        .collect();
    bencher.bench(|| pipeline::plan::pack(divan::black_box(&items), 1200, 40, 4));
}

/// QA checks over the sample (the fake server's answers as targets).
#[divan::bench]
fn qa_sample(bencher: divan::Bencher) {
    let pairs: Vec<(String, String)> = sample()
        .segments
        .iter()
        .map(|s| (s.text.clone(), fake_openai::fake_prefix(&s.text)))
        .collect();
    bencher.bench(|| {
        pairs
            .iter()
            .map(|(s, t)| pipeline::qa::check(s, t, "zh-CN", "en").len())
            .sum::<usize>()
    });
}

/// Looking the sample's 74 keys up in a warm cache.
#[divan::bench]
fn cache_lookup_sample(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path()).expect("cache");
    let info = bitext::backend::BackendInfo {
        name: "openai".into(),
        kind: "openai".into(),
        model: Some("fake-1".into()),
        endpoint: Some("http://127.0.0.1/v1".into()),
        max_items: 40,
        max_chars: 4000,
        native_terms: false,
        default_concurrency: 4,
        protocol_version: 1,
    };
    let keys: Vec<CacheKey> = sample()
        .segments
        .iter()
        .map(|s| CacheKey::new(&info, "zh-CN", "en", &s.text, &[]))
        .collect();
    let entries: Vec<_> = keys
        .iter()
        .map(|k| {
            (
                *k,
                bitext::cache::Entry {
                    target: "x".repeat(200),
                    usage: Default::default(),
                    checked: false,
                },
            )
        })
        .collect();
    cache.put_many(&entries).expect("put");
    bencher.bench(|| cache.get_many(divan::black_box(&keys)).expect("get"));
}

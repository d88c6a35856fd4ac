//! The translation pipeline: library runs against scripted backends (faults on demand), and
//! `bitext translate` end to end.

use crate::common;
use async_trait::async_trait;
use bitext::backend::{
    Backend, BackendError, BackendInfo, Batch, Output, TermPair, Translation, Usage,
};
use bitext::cache::Cache;
use bitext::pipeline::{
    self, Article, Job, NoProgress, Options, PipelineError, PlannedTerm, Terms,
};
use bitext::{Bitext, FlagCode};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the scripted backend does on one call.
#[derive(Debug, Clone)]
enum Fault {
    /// 429 with this Retry-After.
    RateLimited(Option<Duration>),
    /// A 500 or a connection failure.
    Transient,
    /// The answer leaves out the batch's last id.
    DropLast,
    /// The answer swaps the first two outputs' ids (texts stay in place: a shifted answer).
    Shift,
    /// The answer is not JSON.
    NotJson,
    /// 401.
    Auth,
}

/// A backend that answers `EN(<id>)[<source>]`-style translations, following a script of
/// faults (one per call, in order; calls beyond the script succeed). It honours the terms
/// unless `ignore_terms`, and obeys them on repair requests when `obey_repair`.
struct Scripted {
    script: Mutex<VecDeque<Fault>>,
    calls: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    latency: Duration,
    ignore_terms: bool,
    obey_repair: bool,
    /// Every batch received (ids), in call order.
    seen: Mutex<Vec<Vec<String>>>,
    /// Instructions received.
    instructions: Mutex<Vec<String>>,
    max_items: usize,
    /// A batch holding this id is always answered with non-JSON.
    poison: Option<String>,
}

impl Scripted {
    fn new(script: Vec<Fault>) -> Scripted {
        Scripted {
            script: Mutex::new(script.into()),
            calls: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            latency: Duration::from_millis(2),
            ignore_terms: false,
            obey_repair: false,
            seen: Mutex::new(Vec::new()),
            instructions: Mutex::new(Vec::new()),
            max_items: 40,
            poison: None,
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn translate_item(&self, text: &str, terms: &[TermPair], repair: bool) -> String {
        let mut out = format!(
            "English of [{}]",
            text.chars().filter(|c| !is_han(*c)).collect::<String>()
        );
        if !self.ignore_terms || (repair && self.obey_repair) {
            for term in terms {
                out.push_str(&format!(" {}", term.target));
            }
        }
        out
    }
}

fn is_han(c: char) -> bool {
    bitext::text::is_han(c)
}

fn bad(detail: &str) -> BackendError {
    BackendError::BadResponse {
        backend: "scripted".into(),
        detail: detail.into(),
    }
}

#[async_trait]
impl Backend for Scripted {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "scripted".into(),
            kind: "scripted".into(),
            model: Some("m1".into()),
            endpoint: None,
            max_items: self.max_items,
            max_chars: 100_000,
            native_terms: false,
            default_concurrency: 4,
            protocol_version: 1,
        }
    }

    async fn translate(&self, batch: &Batch) -> Result<Translation, BackendError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.latency).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.seen
            .lock()
            .unwrap()
            .push(batch.items.iter().map(|i| i.id.clone()).collect());
        if let Some(instruction) = &batch.context.instruction {
            self.instructions.lock().unwrap().push(instruction.clone());
        }
        let mut fault = self.script.lock().unwrap().pop_front();
        if let Some(poison) = &self.poison
            && batch.items.iter().any(|i| i.id == *poison)
        {
            fault = Some(Fault::NotJson);
        }
        let repair = batch.context.instruction.is_some();
        let mut outputs: Vec<Output> = batch
            .items
            .iter()
            .map(|item| Output {
                id: item.id.clone(),
                text: self.translate_item(&item.text, &item.terms, repair),
            })
            .collect();
        let backend = "scripted".to_string();
        match fault {
            None => {}
            Some(Fault::RateLimited(retry_after)) => {
                return Err(BackendError::RateLimited {
                    backend,
                    retry_after,
                    whole_quota: false,
                });
            }
            Some(Fault::Transient) => {
                return Err(BackendError::Transient {
                    backend,
                    detail: "HTTP 500".into(),
                });
            }
            Some(Fault::NotJson) => return Err(bad("answer is not JSON")),
            Some(Fault::Auth) => {
                return Err(BackendError::Auth {
                    backend,
                    detail: "HTTP 401".into(),
                    setting: "SCRIPTED_KEY".into(),
                });
            }
            Some(Fault::DropLast) => {
                outputs.pop();
                // A real client reports this through order_by_id; the pipeline checks too.
                return bitext::backend::order_by_id("scripted", batch, outputs).map(|outputs| {
                    Translation {
                        outputs,
                        usage: Usage::default(),
                    }
                });
            }
            Some(Fault::Shift) if outputs.len() >= 2 => {
                let (a, b) = (outputs[0].id.clone(), outputs[1].id.clone());
                outputs[0].id = b;
                outputs[1].id = a;
            }
            Some(Fault::Shift) => {}
        }
        let chars: u64 = batch
            .items
            .iter()
            .map(|i| i.text.chars().count() as u64)
            .sum();
        Ok(Translation {
            outputs,
            usage: Usage {
                input_tokens: chars + 100,
                output_tokens: chars,
            },
        })
    }
}

/// A stand-in glossary for the pipeline's [`Terms`] seam: a term applies where its source
/// occurs; the first mention in a document asks for the `first` form when there is one.
struct TestTerms(Vec<(&'static str, &'static str, Option<&'static str>)>);

impl Terms for TestTerms {
    fn plan(&self, sources: &[&str]) -> Vec<Vec<PlannedTerm>> {
        let mut seen = Vec::new();
        sources
            .iter()
            .map(|text| {
                self.0
                    .iter()
                    .enumerate()
                    .filter(|(_, (s, _, _))| text.contains(s))
                    .map(|(entry, &(s, t, first))| {
                        let first_mention = !seen.contains(&s);
                        let target = match first {
                            Some(f) if first_mention => f,
                            _ => t,
                        };
                        seen.push(s);
                        let pair = TermPair {
                            source: s.into(),
                            target: target.into(),
                        };
                        PlannedTerm::new(pair, entry, first_mention, false)
                    })
                    .collect()
            })
            .collect()
    }

    fn missing(&self, target: &str, terms: &[PlannedTerm]) -> Vec<PlannedTerm> {
        terms
            .iter()
            .filter(|t| !target.contains(&t.pair.target))
            .cloned()
            .collect()
    }
}

fn sample_source() -> Article {
    let doc = bitext::document::read_path(&common::sample()).unwrap();
    Article::from_document(&doc)
}

/// Ids of the segments a run requests: the first of each distinct text (the sample repeats
/// a photo credit, which is requested once and answered for both).
fn distinct_ids(source: &Article) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    source
        .segments
        .iter()
        .filter(|s| seen.insert(s.text.clone()))
        .map(|s| s.id.to_string())
        .collect()
}

fn fast_options() -> Options {
    Options {
        concurrency: 4,
        batch_chars: 1200,
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(50),
        ..Options::default()
    }
}

async fn run_with(
    backend: &Scripted,
    terms: &dyn Terms,
    cache: Option<&Cache>,
    options: Options,
    sources: &[Article],
) -> Result<pipeline::Outcome, PipelineError> {
    let job = Job {
        backend,
        terms,
        cache,
        options,
        progress: &NoProgress,
    };
    pipeline::run(&job, sources).await
}

/// Every pair is the translation of its own source, in the source's order.
fn assert_paired(bitext: &Bitext, source: &Article) {
    assert_eq!(bitext.pairs.len(), source.segments.len());
    for (pair, segment) in bitext.pairs.iter().zip(&source.segments) {
        assert_eq!(pair.id, segment.id.to_string());
        assert_eq!(pair.source, segment.text);
        let latin: String = segment.text.chars().filter(|c| !is_han(*c)).collect();
        assert!(
            pair.target.starts_with(&format!("English of [{latin}]")),
            "{}: {:?} is not the translation of {:?}",
            pair.id,
            pair.target,
            pair.source
        );
    }
}

#[tokio::test]
async fn sample_in_batches_in_order_then_all_from_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let source = sample_source();
    let backend = Scripted::new(vec![]);
    let outcome = run_with(
        &backend,
        &bitext::pipeline::NoTerms,
        Some(&cache),
        fast_options(),
        std::slice::from_ref(&source),
    )
    .await
    .unwrap();
    assert_paired(&outcome.bitexts[0], &source);
    let report = &outcome.report;
    assert_eq!(report.segments, source.segments.len());
    assert_eq!(report.cached, 0);
    assert!(report.requests >= 4 && report.requests <= 8, "{report:?}");
    assert_eq!(report.requests, backend.calls());
    assert_eq!(report.retries, 0);
    assert!(backend.max_in_flight.load(Ordering::SeqCst) <= 4);
    // Each batch is a run of consecutive segments of the article.
    let ids = distinct_ids(&source);
    assert_eq!(ids.len(), source.segments.len() - 1);
    let mut seen: Vec<Vec<String>> = backend.seen.lock().unwrap().clone();
    seen.sort_by_key(|b| ids.iter().position(|id| *id == b[0]).unwrap());
    assert_eq!(seen.concat(), ids);
    assert!(outcome.report.input_tokens > 0 && outcome.report.output_tokens > 0);

    let again = Scripted::new(vec![]);
    let outcome = run_with(
        &again,
        &bitext::pipeline::NoTerms,
        Some(&cache),
        fast_options(),
        std::slice::from_ref(&source),
    )
    .await
    .unwrap();
    assert_eq!(again.calls(), 0);
    assert_eq!(outcome.report.requests, 0);
    assert_eq!(outcome.report.cached, source.segments.len());
    assert_paired(&outcome.bitexts[0], &source);
    assert!(
        outcome.bitexts[0]
            .pairs
            .iter()
            .all(|p| matches!(p.origin, bitext::Origin::Translated { cached: true, .. }))
    );
}

#[tokio::test]
async fn faults_are_retried_and_bad_answers_split_never_shifted() {
    let source = sample_source();
    let backend = Scripted::new(vec![
        Fault::RateLimited(Some(Duration::from_millis(30))),
        Fault::Transient,
        Fault::DropLast,
        Fault::NotJson,
        Fault::Shift,
        Fault::Transient,
        Fault::DropLast,
        Fault::RateLimited(None),
    ]);
    let options = Options {
        concurrency: 1,
        ..fast_options()
    };
    let outcome = run_with(
        &backend,
        &bitext::pipeline::NoTerms,
        None,
        options,
        std::slice::from_ref(&source),
    )
    .await
    .unwrap();
    assert_paired(&outcome.bitexts[0], &source);
    let report = &outcome.report;
    assert_eq!(report.failed, 0);
    assert_eq!(report.requests, backend.calls());
    // Three answers with wrong ids (drop, shift, drop) each split a batch; the unreadable one
    // (not JSON) is asked again whole first, and that answer is good.
    assert_eq!(report.splits, 3, "{report:?}");
    assert!(report.retries >= 8, "{report:?}");
    assert!(
        outcome.bitexts[0]
            .pairs
            .iter()
            .all(|p| !p.flags.iter().any(|f| f.code == FlagCode::Failed))
    );
}

#[tokio::test]
async fn retry_after_is_honoured_by_every_request() {
    let source = sample_source();
    let backend = Scripted::new(vec![Fault::RateLimited(Some(Duration::from_millis(400)))]);
    let started = Instant::now();
    let outcome = run_with(
        &backend,
        &bitext::pipeline::NoTerms,
        None,
        fast_options(),
        std::slice::from_ref(&source),
    )
    .await
    .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(outcome.report.retries, 1);
    assert_paired(&outcome.bitexts[0], &source);
}

/// Records when each batch's segments were answered.
#[derive(Default)]
struct Timeline(Mutex<Vec<Instant>>);

impl bitext::pipeline::Progress for Timeline {
    fn advance(&self, _segments: usize) {
        self.0.lock().unwrap().push(Instant::now());
    }
}

/// An isolated 429 delays its own request (by its Retry-After) and no other: the other
/// batches of the first wave are answered at once.
#[tokio::test]
async fn a_429_delays_only_its_own_request() {
    let source = sample_source();
    let backend = Scripted::new(vec![Fault::RateLimited(Some(Duration::from_millis(1500)))]);
    let timeline = Timeline::default();
    let job = Job {
        backend: &backend,
        terms: &bitext::pipeline::NoTerms,
        cache: None,
        options: fast_options(),
        progress: &timeline,
    };
    let started = Instant::now();
    let outcome = pipeline::run(&job, std::slice::from_ref(&source))
        .await
        .unwrap();
    assert_paired(&outcome.bitexts[0], &source);
    let times = timeline.0.lock().unwrap().clone();
    assert!(times.len() >= 2, "{times:?}");
    let early = times
        .iter()
        .filter(|t| t.duration_since(started) < Duration::from_millis(700))
        .count();
    assert_eq!(early, times.len() - 1, "only the limited batch waited");
    assert!(
        times
            .iter()
            .any(|t| t.duration_since(started) >= Duration::from_millis(1500))
    );
}

#[tokio::test]
async fn a_single_segment_that_never_answers_right_is_flagged_failed() {
    let source = sample_source();
    let mut backend = Scripted::new(vec![]);
    let poison = source.segments[30].id.to_string();
    backend.poison = Some(poison.clone());
    let options = Options {
        max_attempts: 3,
        ..fast_options()
    };
    let outcome = run_with(
        &backend,
        &bitext::pipeline::NoTerms,
        None,
        options,
        std::slice::from_ref(&source),
    )
    .await
    .unwrap();
    let failed: Vec<&str> = outcome.bitexts[0]
        .pairs
        .iter()
        .filter(|p| p.flags.iter().any(|f| f.code == FlagCode::Failed))
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(failed, [poison.as_str()], "{:?}", outcome.report);
    assert_eq!(outcome.report.failed, 1);
    let pair = &outcome.bitexts[0].pairs[30];
    assert_eq!(pair.target, "");
    assert!(
        pair.flags[0].message.contains("not JSON"),
        "{:?}",
        pair.flags
    );
    // The batch was halved down to the single segment, which was tried 3 times.
    let alone = backend
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|b| **b == [poison.clone()])
        .count();
    assert_eq!(alone, 3);
    // Every other segment is translated and paired.
    let mut others = outcome.bitexts[0].clone();
    others.pairs.remove(30);
    let mut rest = source.clone();
    rest.segments.remove(30);
    assert_paired(&others, &rest);
}

#[tokio::test]
async fn auth_stops_at_once_keeping_answers_in_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let source = sample_source();
    let mut backend = Scripted::new(vec![]);
    backend.max_items = 10;
    // First run: two batches answered, then 401.
    let two_then_auth = AuthAfter {
        inner: backend,
        answers: 2,
    };
    let options = Options {
        concurrency: 1,
        ..fast_options()
    };
    let job = Job {
        backend: &two_then_auth,
        terms: &bitext::pipeline::NoTerms,
        cache: Some(&cache),
        options: options.clone(),
        progress: &NoProgress,
    };
    let err = pipeline::run(&job, std::slice::from_ref(&source))
        .await
        .unwrap_err();
    let PipelineError::Fatal {
        error,
        answered,
        report,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert!(matches!(error, BackendError::Auth { .. }));
    let seen = two_then_auth.inner.seen.lock().unwrap().clone();
    let first_two = seen[0].len() + seen[1].len();
    assert_eq!(*answered, first_two);
    // Stopped at the first 401: no retry of it, no further request.
    assert_eq!(two_then_auth.inner.calls(), 3);
    assert_eq!(report.requests, 3);
    assert!(err.to_string().contains("authentication failed"), "{err}");
    assert!(err.to_string().contains("check SCRIPTED_KEY"), "{err}");
    assert!(
        err.to_string()
            .ends_with("answered so far are kept in the cache)"),
        "{err}"
    );

    // Resume: only the segments not yet answered are requested.
    let mut backend = Scripted::new(vec![]);
    backend.max_items = 10;
    let outcome = run_with(
        &backend,
        &bitext::pipeline::NoTerms,
        Some(&cache),
        options,
        std::slice::from_ref(&source),
    )
    .await
    .unwrap();
    assert_eq!(outcome.report.cached, first_two);
    let requested: Vec<String> = backend.seen.lock().unwrap().concat();
    let expected: Vec<String> = distinct_ids(&source)
        .into_iter()
        .filter(|id| {
            !source.segments[..first_two]
                .iter()
                .any(|s| s.id.to_string() == *id)
        })
        .collect();
    assert_eq!(requested, expected);
    assert_paired(&outcome.bitexts[0], &source);
}

/// Answers `answers` requests, then fails every request with 401.
struct AuthAfter {
    inner: Scripted,
    answers: usize,
}

#[async_trait]
impl Backend for AuthAfter {
    fn info(&self) -> BackendInfo {
        self.inner.info()
    }

    async fn translate(&self, batch: &Batch) -> Result<Translation, BackendError> {
        if self.inner.calls() >= self.answers {
            self.inner.script.lock().unwrap().push_front(Fault::Auth);
        }
        self.inner.translate(batch).await
    }
}

#[tokio::test]
async fn requests_per_minute_are_spaced() {
    let source = sample_source();
    let backend = Scripted::new(vec![]);
    let options = Options {
        rpm: Some(600),
        concurrency: 8,
        ..fast_options()
    };
    let started = Instant::now();
    let outcome = run_with(
        &backend,
        &bitext::pipeline::NoTerms,
        None,
        options,
        std::slice::from_ref(&source),
    )
    .await
    .unwrap();
    let requests = outcome.report.requests;
    assert!(requests >= 4);
    // 600 per minute: one every 100 ms, the first at once.
    let floor = Duration::from_millis(100) * (requests as u32 - 1);
    assert!(
        started.elapsed() >= floor,
        "{:?} < {floor:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn concurrency_is_bounded() {
    let sources: Vec<Article> = (0..3).map(|_| sample_source()).collect();
    let mut backend = Scripted::new(vec![]);
    backend.latency = Duration::from_millis(20);
    backend.max_items = 5;
    let options = Options {
        concurrency: 3,
        ..fast_options()
    };
    let outcome = run_with(
        &backend,
        &bitext::pipeline::NoTerms,
        None,
        options,
        &sources,
    )
    .await
    .unwrap();
    assert_eq!(backend.max_in_flight.load(Ordering::SeqCst), 3);
    assert_eq!(outcome.bitexts.len(), 3);
    // Three copies of one article: each distinct segment is requested once in the run.
    let mut requested = backend.seen.lock().unwrap().concat();
    requested.sort();
    let mut ids = distinct_ids(&sources[0]);
    ids.sort();
    assert_eq!(requested, ids);
    for bitext in &outcome.bitexts {
        assert_paired(bitext, &sources[0]);
    }
}

const TERMS: [(&str, &str, Option<&str>); 3] = [
    ("两江新区", "Liangjiang New Area", None),
    (
        "上合组织",
        "SCO",
        Some("Shanghai Cooperation Organization (SCO)"),
    ),
    ("智博会", "Smart China Expo", None),
];

#[tokio::test]
async fn ignored_terms_are_repaired_once_then_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let source = sample_source();
    let terms = TestTerms(TERMS.to_vec());
    let planned = terms.plan(
        &source
            .segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>(),
    );
    let with_terms = planned.iter().filter(|t| !t.is_empty()).count();
    assert!(with_terms >= 3, "the sample has glossary terms");

    let mut backend = Scripted::new(vec![]);
    backend.ignore_terms = true;
    let outcome = run_with(
        &backend,
        &terms,
        Some(&cache),
        fast_options(),
        std::slice::from_ref(&source),
    )
    .await
    .unwrap();
    let report = &outcome.report;
    assert_eq!(report.repairs, with_terms);
    let instructions = backend.instructions.lock().unwrap().clone();
    assert_eq!(instructions.len(), with_terms);
    assert!(
        instructions
            .iter()
            .any(|i| i.contains("上合组织 → \"Shanghai Cooperation Organization (SCO)\"")),
        "{instructions:?}"
    );
    let flagged: usize = outcome.bitexts[0]
        .pairs
        .iter()
        .filter(|p| p.flags.iter().any(|f| f.code == FlagCode::MissingTerm))
        .count();
    assert_eq!(flagged, with_terms);
    assert!(report.violations >= with_terms);
    // First mention asks for the `first` form, later ones for the short form.
    let sco: Vec<&TermPair> = planned
        .iter()
        .flatten()
        .map(|t| &t.pair)
        .filter(|t| t.source == "上合组织")
        .collect();
    assert!(sco.len() >= 2);
    assert_eq!(sco[0].target, "Shanghai Cooperation Organization (SCO)");
    assert!(sco[1..].iter().all(|t| t.target == "SCO"));

    // Second run: the misses stay flagged but are not re-requested.
    let mut again = Scripted::new(vec![]);
    again.ignore_terms = true;
    let outcome = run_with(
        &again,
        &terms,
        Some(&cache),
        fast_options(),
        std::slice::from_ref(&source),
    )
    .await
    .unwrap();
    assert_eq!(again.calls(), 0);
    assert_eq!(outcome.report.violations, report.violations);
}

#[tokio::test]
async fn a_repair_that_works_clears_the_violation() {
    let source = sample_source();
    let terms = TestTerms(TERMS.to_vec());
    let mut backend = Scripted::new(vec![]);
    backend.ignore_terms = true;
    backend.obey_repair = true;
    let outcome = run_with(
        &backend,
        &terms,
        None,
        fast_options(),
        std::slice::from_ref(&source),
    )
    .await
    .unwrap();
    assert!(outcome.report.repairs >= 3);
    assert_eq!(outcome.report.violations, 0);
    let repaired = outcome.bitexts[0]
        .pairs
        .iter()
        .find(|p| p.source.contains("两江新区"))
        .unwrap();
    assert!(repaired.target.contains("Liangjiang New Area"));
    assert!(
        repaired
            .flags
            .iter()
            .all(|f| f.code != FlagCode::MissingTerm)
    );
}

#[tokio::test]
async fn dry_run_plans_without_sending() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let source = sample_source();
    let backend = Scripted::new(vec![]);
    let job = Job {
        backend: &backend,
        terms: &bitext::pipeline::NoTerms,
        cache: Some(&cache),
        options: fast_options(),
        progress: &NoProgress,
    };
    let plan = pipeline::plan_job(&job, std::slice::from_ref(&source)).unwrap();
    assert_eq!(backend.calls(), 0);
    assert_eq!(plan.segments, source.segments.len());
    assert_eq!(plan.cached, 0);
    assert!(
        plan.input_tokens > 5000 && plan.output_tokens > 3000,
        "{plan:?}"
    );
    let outcome = pipeline::run(&job, std::slice::from_ref(&source))
        .await
        .unwrap();
    assert_eq!(plan.requests(), outcome.report.requests);
    let plan = pipeline::plan_job(&job, std::slice::from_ref(&source)).unwrap();
    assert_eq!((plan.cached, plan.requests()), (source.segments.len(), 0));
}

// ---------------------------------------------------------------------------------------
// `bitext translate` end to end against a local OpenAI-compatible server.

mod fake_openai;

use fake_openai::{Behaviour, Fault as ServerFault};

const KEY: &str = "sk-test-secret-0123456789";

struct Run {
    code: Option<i32>,
    stderr: String,
    stdout: String,
}

/// Runs `bitext translate <sample> --config <cfg> --cache <dir>/cache ARGS` in a thread (the
/// server lives on this test's runtime). `kill_after` kills the process (SIGKILL) when it
/// runs longer.
async fn translate_cli(
    dir: &std::path::Path,
    config: &str,
    args: &[&str],
    kill_after: Option<Duration>,
) -> Run {
    let cfg = dir.join("bitext.toml");
    std::fs::write(&cfg, config).unwrap();
    let mut cmd = common::bitext();
    cmd.env("FAKE_OPENAI_KEY", KEY)
        .env("XDG_CACHE_HOME", dir.join("xdg-cache"))
        .arg("translate")
        .arg(common::sample())
        .arg("--config")
        .arg(&cfg)
        .arg("--cache")
        .arg(dir.join("cache"))
        .args(args);
    if let Some(t) = kill_after {
        cmd.timeout(t);
    }
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    Run {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
    }
}

fn read_bitext(path: &std::path::Path) -> Bitext {
    bitext::export::json::read(&std::fs::read_to_string(path).unwrap(), "out.json").unwrap()
}

/// Every pair answers its own source (the fake server's rendering), in the article's order.
fn assert_served_pairs(bitext: &Bitext) {
    let source = sample_source();
    assert_eq!(bitext.pairs.len(), source.segments.len());
    for (pair, segment) in bitext.pairs.iter().zip(&source.segments) {
        assert_eq!(pair.id, segment.id.to_string());
        assert_eq!(pair.source, segment.text);
        assert!(
            pair.target
                .starts_with(&fake_openai::fake_prefix(&segment.text)),
            "{}: {:?} does not answer {:?}",
            pair.id,
            pair.target,
            pair.source
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_sample_in_batches_then_second_run_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (server, state) = fake_openai::start(Behaviour::default()).await;
    let config = fake_openai::config(&server, 4, 10.0);
    let out = dir.path().join("out.json");
    let out_arg = out.to_str().unwrap();
    let run = translate_cli(dir.path(), &config, &["-o", out_arg], None).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let first_requests = state.requests();
    assert!(
        (4..=8).contains(&first_requests),
        "{first_requests} requests"
    );
    let bitext = read_bitext(&out);
    assert_served_pairs(&bitext);
    assert_eq!(bitext.meta.backend.as_deref(), Some("local"));
    assert_eq!(bitext.meta.model.as_deref(), Some("fake-1"));
    // Context: the title goes with every batch; `previous` with all but the first.
    {
        let log = state.log.lock().unwrap();
        assert!(
            log.contexts
                .iter()
                .all(|c| c["title"] == "习近平主席贺信引发热烈反响")
        );
        assert_eq!(
            log.contexts
                .iter()
                .filter(|c| c["previous"].is_string())
                .count(),
            first_requests - 1
        );
    }
    // The summary line.
    let summary = run.stderr.lines().last().unwrap();
    assert!(
        summary.starts_with(&format!(
            "bitext: 74 segments (0 cached), {first_requests} requests (0 retries), tokens "
        )),
        "{summary}"
    );
    assert!(!run.stderr.contains(KEY));

    let run = translate_cli(dir.path(), &config, &["-o", out_arg], None).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(state.requests(), first_requests, "second run sent requests");
    assert!(
        run.stderr.contains("74 segments (74 cached), 0 requests"),
        "{}",
        run.stderr
    );
    let again = read_bitext(&out);
    assert_served_pairs(&again);
    assert!(
        again
            .pairs
            .iter()
            .all(|p| matches!(p.origin, bitext::Origin::Translated { cached: true, .. }))
    );

    // A dry run plans without sending.
    let run = translate_cli(dir.path(), &config, &["--dry-run", "--no-cache"], None).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "74 segments, 0 cached, {first_requests} requests to local"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(state.requests(), first_requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_survives_429_500_dropped_ids_and_prose() {
    let dir = tempfile::tempdir().unwrap();
    let behaviour = Behaviour {
        script: vec![
            ServerFault::Status(429, Some(1)),
            ServerFault::Status(500, None),
            ServerFault::DropLast,
            ServerFault::NotJson,
            ServerFault::Status(503, None),
            ServerFault::DropLast,
        ]
        .into(),
        ..Behaviour::default()
    };
    let (server, state) = fake_openai::start(behaviour).await;
    let config = fake_openai::config(&server, 2, 10.0);
    let out = dir.path().join("out.json");
    let started = Instant::now();
    let run = translate_cli(dir.path(), &config, &["-o", out.to_str().unwrap()], None).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // Retry-After: 1 was honoured.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_served_pairs(&read_bitext(&out));
    assert!(run.stderr.contains("rate limited"), "{}", run.stderr);
    assert!(run.stderr.contains("splitting"), "{}", run.stderr);
    // Every id was answered exactly once in the end: the answered requests cover the article.
    assert!(state.requests() >= 10, "{}", state.requests());
    assert!(!run.stderr.contains(KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_repairs_ignored_terms_then_flags_them() {
    let dir = tempfile::tempdir().unwrap();
    let behaviour = Behaviour {
        ignore_terms: true,
        ..Behaviour::default()
    };
    let (server, state) = fake_openai::start(behaviour).await;
    let config = fake_openai::config(&server, 4, 10.0);
    let out = dir.path().join("out.json");
    let glossary = common::glossary();
    let args = [
        "-o",
        out.to_str().unwrap(),
        "-g",
        glossary.to_str().unwrap(),
        "--strict",
    ];
    let run = translate_cli(dir.path(), &config, &args, None).await;
    // --strict: violations remain → 1, and the output is still written.
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("--strict"), "{}", run.stderr);
    let bitext = read_bitext(&out);
    assert_served_pairs(&bitext);
    let with_terms = bitext.pairs.iter().filter(|p| !p.terms.is_empty()).count();
    assert!(with_terms > 5);
    let distinct: std::collections::HashSet<String> = bitext
        .pairs
        .iter()
        .filter(|p| !p.terms.is_empty())
        .map(|p| p.source.clone())
        .collect();
    let instructions = state.instructions();
    assert_eq!(
        instructions.len(),
        distinct.len(),
        "one repair per distinct segment with terms"
    );
    assert!(
        instructions
            .iter()
            .all(|i| i.contains("did not use the required glossary"))
    );
    let flagged = bitext
        .pairs
        .iter()
        .filter(|p| {
            p.flags
                .iter()
                .any(|f| f.code == FlagCode::MissingTerm || f.code == FlagCode::FirstMention)
        })
        .count();
    assert_eq!(flagged, with_terms);
    assert!(bitext.meta.glossary_digest.is_some());

    // The same run with a server that obeys repairs: clean, exit 0 even with --strict...
    let dir = tempfile::tempdir().unwrap();
    let behaviour = Behaviour {
        ignore_terms: true,
        obey_repair: true,
        ..Behaviour::default()
    };
    let (server, state) = fake_openai::start(behaviour).await;
    let config = fake_openai::config(&server, 4, 10.0);
    let args = [
        "-o",
        out.to_str().unwrap(),
        "-g",
        glossary.to_str().unwrap(),
    ];
    let run = translate_cli(dir.path(), &config, &args, None).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let bitext = read_bitext(&out);
    assert_eq!(state.instructions().len(), distinct.len());
    assert!(
        bitext
            .pairs
            .iter()
            .all(|p| p.flags.iter().all(|f| f.code != FlagCode::MissingTerm))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_401_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let behaviour = Behaviour {
        script: vec![ServerFault::Status(401, None); 50].into(),
        ..Behaviour::default()
    };
    let (server, state) = fake_openai::start(behaviour).await;
    let config = fake_openai::config(&server, 4, 10.0);
    let out = dir.path().join("out.json");
    let run = translate_cli(dir.path(), &config, &["-o", out.to_str().unwrap()], None).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    // At most the requests already in flight; none retried.
    assert!(state.requests() <= 4, "{} requests", state.requests());
    let error = run
        .stderr
        .lines()
        .find(|l| l.starts_with("bitext: error:"))
        .unwrap();
    assert!(error.contains("authentication failed"), "{error}");
    assert!(error.contains("FAKE_OPENAI_KEY"), "{error}");
    assert!(!run.stderr.contains(KEY));
    assert!(!out.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_resumes_after_kill_sending_only_missing_segments() {
    let dir = tempfile::tempdir().unwrap();
    let behaviour = Behaviour {
        hang_after: Some(2),
        ..Behaviour::default()
    };
    let (server, state) = fake_openai::start(behaviour).await;
    let config = fake_openai::config(&server, 1, 3600.0);
    let out = dir.path().join("out.json");
    let args = ["-o", out.to_str().unwrap(), "--batch-chars", "600"];
    let run = translate_cli(dir.path(), &config, &args, Some(Duration::from_secs(4))).await;
    assert_eq!(run.code, None, "killed by a signal: {}", run.stderr);
    assert!(!out.exists());
    let answered: Vec<String> = state.batches()[..2].concat();
    assert!(!answered.is_empty());

    // The same server (the endpoint is part of the cache key), now answering everything.
    state.set_behaviour(Behaviour::default());
    let before = state.batches().len();
    let run = translate_cli(dir.path(), &config, &args, None).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let mut requested: Vec<String> = state.batches()[before..].concat();
    let mut missing: Vec<String> = distinct_ids(&sample_source())
        .into_iter()
        .filter(|id| !answered.contains(id))
        .collect();
    requested.sort();
    missing.sort();
    assert_eq!(requested, missing);
    assert!(
        run.stderr.contains(&format!("({} cached)", answered.len())),
        "{}",
        run.stderr
    );
    assert_served_pairs(&read_bitext(&out));
}

#[test]
fn cli_gloss_is_the_offline_default_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    // Relative paths: the snapshot must not depend on the checkout's location.
    let output = common::bitext()
        .args(["translate", "samples/smart-china-expo-2021.zh.md"])
        .args(["-g", "glossary/zh-en.toml", "-f", "json", "--cache"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let notes: Vec<&str> = stderr.lines().filter(|l| l.contains("note:")).collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(notes[0].contains("gloss"));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    insta::assert_json_snapshot!("gloss_sample_json", json, {".meta.created" => "[created]"});

    // The same run as TSV, from the cache, and several inputs into --out-dir.
    let other = dir.path().join("other.zh.md");
    std::fs::copy(common::sample(), &other).unwrap();
    let out_dir = dir.path().join("out");
    let output = common::bitext()
        .args(["translate", "samples/smart-china-expo-2021.zh.md"])
        .arg(&other)
        .args(["-g", "glossary/zh-en.toml", "-f", "tsv", "--out-dir"])
        .arg(&out_dir)
        .arg("--cache")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("148 segments (148 cached), 0 requests"),
        "{stderr}"
    );
    let tsv = std::fs::read_to_string(out_dir.join("smart-china-expo-2021.tsv")).unwrap();
    assert_eq!(
        std::fs::read_to_string(out_dir.join("other.tsv")).unwrap(),
        tsv
    );
    insta::assert_snapshot!("gloss_sample_tsv", tsv);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_ctrl_c_stops_cleanly_keeping_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let behaviour = Behaviour {
        hang_after: Some(1),
        ..Behaviour::default()
    };
    let (server, state) = fake_openai::start(behaviour).await;
    let cfg = dir.path().join("bitext.toml");
    std::fs::write(&cfg, fake_openai::config(&server, 1, 3600.0)).unwrap();
    let cache = dir.path().join("cache");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_bitext"))
        .arg("translate")
        .arg(common::sample())
        .arg("--config")
        .arg(&cfg)
        .arg("--cache")
        .arg(&cache)
        .env("FAKE_OPENAI_KEY", KEY)
        .env_remove("BITEXT_BACKEND")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the hanging second request, then press Ctrl-C.
    let deadline = Instant::now() + Duration::from_secs(60);
    while state.requests() < 2 {
        assert!(Instant::now() < deadline, "no second request");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(output.stdout.is_empty());
    // The first answer is in the cache.
    let first = state.batches()[0].len();
    let stats = common::bitext()
        .args(["cache", "stats", "--json", "--cache"])
        .arg(&cache)
        .output()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(stats["entries"], first);
}

#[test]
fn cli_dry_run_needs_no_key_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A base URL nothing listens on: a request would fail the run.
    let output = common::bitext()
        .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        .args([
            "translate",
            "samples/smart-china-expo-2021.zh.md",
            "-b",
            "openai",
        ])
        .args(["--dry-run", "--cache"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with(
            "74 segments, 0 cached, 4 requests to openai (0 repairs), estimated tokens "
        ),
        "{first}"
    );
    // One round of requests fills the default 4 permits.
    assert_eq!(stdout.lines().count(), 5, "{stdout}");

    // With prices configured, the plan gives a cost.
    let cfg = dir.path().join("bitext.toml");
    std::fs::write(
        &cfg,
        "[backend.openai]\nprice_input = 0.15\nprice_output = 0.60\n",
    )
    .unwrap();
    let output = common::bitext()
        .args([
            "translate",
            "samples/smart-china-expo-2021.zh.md",
            "-b",
            "openai",
        ])
        .args(["--dry-run", "--config"])
        .arg(&cfg)
        .arg("--cache")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .contains(", estimated cost 0.00"),
        "{stdout}"
    );
}

#[test]
fn cli_dry_run_of_a_key_backend_needs_no_key() {
    // DeepL always needs a key to send; a plan sends nothing, so it must not ask for one.
    let dir = tempfile::tempdir().unwrap();
    let output = common::bitext()
        .args([
            "translate",
            "samples/smart-china-expo-2021.zh.md",
            "-b",
            "deepl",
        ])
        .args(["--dry-run", "--cache"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(" requests to deepl "), "{stdout}");
    // The real run still refuses before reading anything.
    let output = common::bitext()
        .args([
            "translate",
            "samples/smart-china-expo-2021.zh.md",
            "-b",
            "deepl",
        ])
        .args(["--cache"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("missing API key; set DEEPL_AUTH_KEY")
    );
}

/// A server that rejects `response_format: json_schema` (HTTP 400) and answers otherwise;
/// counts the requests that asked for the schema.
struct NoSchema(Arc<AtomicUsize>);

impl wiremock::Respond for NoSchema {
    fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        if body["response_format"]["type"] == "json_schema" {
            self.0.fetch_add(1, Ordering::SeqCst);
            return wiremock::ResponseTemplate::new(400).set_body_json(serde_json::json!({
                "error": {"message": "response_format json_schema is not supported", "type": "invalid_request_error"}
            }));
        }
        let user = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|m| m["role"] == "user")
            .unwrap()["content"]
            .as_str()
            .unwrap()
            .to_string();
        let user: serde_json::Value = serde_json::from_str(&user).unwrap();
        let translations: Vec<serde_json::Value> = user["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| serde_json::json!({"id": s[0], "text": format!("EN {}", s[0].as_str().unwrap())}))
            .collect();
        let content = serde_json::json!({ "translations": translations }).to_string();
        wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "fake-1",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        }))
    }
}

/// The `response_format` probe is made once per server and model, ever: its verdict is kept
/// in the user cache folder (not the translation memory), so a later run of another article,
/// even with another memory, asks for the right format at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_verdict_is_remembered_across_runs() {
    let schema_requests = Arc::new(AtomicUsize::new(0));
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/v1/chat/completions"))
        .respond_with(NoSchema(schema_requests.clone()))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "default_backend = \"local\"\n\n[backend.local]\nkind = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"fake-1\"\napi_key_env = \"FAKE_OPENAI_KEY\"\nconcurrency = 1\n",
        server.uri()
    );
    let first = dir.path().join("first.json");
    let run = translate_cli(dir.path(), &config, &["-o", first.to_str().unwrap()], None).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(schema_requests.load(Ordering::SeqCst), 1, "probed once");

    // Another article, so nothing comes from the translation memory.
    let other = dir.path().join("other.md");
    std::fs::write(&other, "# 另一篇\n\n两江新区发展很快。重庆很美。\n").unwrap();
    let cfg = dir.path().join("bitext.toml");
    let mut cmd = common::bitext();
    cmd.env("FAKE_OPENAI_KEY", KEY)
        .env("XDG_CACHE_HOME", dir.path().join("xdg-cache"))
        .arg("translate")
        .arg(&other)
        .arg("--config")
        .arg(&cfg)
        .arg("--cache")
        .arg(dir.path().join("other-cache"))
        .arg("-f")
        .arg("json");
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bitext =
        bitext::export::json::read(&String::from_utf8(output.stdout).unwrap(), "-").unwrap();
    assert_eq!(bitext.pairs[0].target, "EN b1.s1");
    assert_eq!(
        schema_requests.load(Ordering::SeqCst),
        1,
        "the second run did not probe again"
    );
}

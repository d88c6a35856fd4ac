//! Running a job: cache look-ups, batches in flight, retries, rate limits, alignment safety,
//! glossary repair, QA, and the resulting bitexts.
//!
//! All requests of a run are futures polled by the caller's task (no spawned tasks): dropping
//! the future returned by [`run`] (Ctrl-C) cancels the requests in flight and leaves the
//! cache with everything answered so far. Each answer is committed to the cache (one durable
//! redb commit) before it counts as done.

use super::enforce::{self, Terms};
use super::plan::{self, PackItem, Plan, PlannedBatch};
use super::{Options, Progress, RunReport, Source, estimate_tokens, qa};
use crate::backend::{Backend, BackendError, BackendInfo, Batch, Context, Item, TermPair, Usage};
use crate::cache::{Cache, CacheError, CacheKey, Entry};
use crate::{Bitext, Flag, FlagCode, Meta, Origin, Pair, Severity};
use futures::stream::{FuturesUnordered, StreamExt};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Tokens of instructions and framing a request costs beyond its items (for estimates).
const REQUEST_OVERHEAD_TOKENS: u64 = 200;

/// Everything a run uses.
pub struct Job<'a> {
    pub backend: &'a dyn Backend,
    pub terms: &'a dyn Terms,
    /// The translation memory; `None` for `--no-cache`.
    pub cache: Option<&'a Cache>,
    pub options: Options,
    pub progress: &'a dyn Progress,
}

/// The result of a run: one bitext per source, in order, and the counts.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub bitexts: Vec<Bitext>,
    pub report: RunReport,
}

/// Why a run stopped. Everything answered before the stop is in the cache.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Authentication, quota or configuration: no other request could succeed.
    #[error("{error} (run stopped; {answered} segments answered so far{})", if *cached { " are kept in the cache" } else { ", not cached (--no-cache)" })]
    Fatal {
        error: BackendError,
        answered: usize,
        /// Whether the answers are in the cache.
        cached: bool,
        report: Box<RunReport>,
    },
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// One segment of the job.
struct Unit {
    doc: usize,
    /// Index in its document's segments.
    index: usize,
    id: String,
    text: String,
    terms: Vec<TermPair>,
    key: CacheKey,
}

/// A segment's answer.
#[derive(Clone)]
struct Answer {
    target: String,
    usage: Usage,
    cached: bool,
    /// Checked against its terms (clean or repaired once); see `Entry::checked`.
    checked: bool,
}

enum Slot {
    Pending,
    Done(Answer),
    Failed(String),
}

struct Prepared {
    units: Vec<Unit>,
    /// Per document, the unit indices of its segments in order.
    docs: Vec<Vec<usize>>,
    /// Cache entries found, per unit.
    hits: Vec<Option<Entry>>,
    /// The first unit with the same cache key (itself when it is the first): a run sends each
    /// distinct key once and copies the answer to the others.
    leader: Vec<usize>,
    info: BackendInfo,
}

impl Prepared {
    /// Units to request: misses that lead their key.
    fn to_send(&self) -> Vec<bool> {
        (0..self.units.len())
            .map(|u| self.hits[u].is_none() && self.leader[u] == u)
            .collect()
    }
}

fn prepare(job: &Job<'_>, sources: &[Source]) -> Result<Prepared, CacheError> {
    let info = job.backend.info();
    let mut units = Vec::new();
    let mut docs = Vec::new();
    for (doc, source) in sources.iter().enumerate() {
        let texts: Vec<&str> = source.segments.iter().map(|s| s.text.as_str()).collect();
        let mut terms = job.terms.plan(&texts);
        terms.resize(texts.len(), Vec::new());
        let mut indices = Vec::with_capacity(texts.len());
        for (index, (segment, terms)) in source.segments.iter().zip(terms).enumerate() {
            let key = CacheKey::new(
                &info,
                &job.options.source_lang,
                &job.options.target_lang,
                &segment.text,
                &terms,
            );
            indices.push(units.len());
            units.push(Unit {
                doc,
                index,
                id: segment.id.to_string(),
                text: segment.text.clone(),
                terms,
                key,
            });
        }
        docs.push(indices);
    }
    let hits = match job.cache {
        Some(cache) => {
            let keys: Vec<CacheKey> = units.iter().map(|u| u.key).collect();
            cache.get_many(&keys)?
        }
        None => vec![None; units.len()],
    };
    let mut first: std::collections::HashMap<CacheKey, usize> = std::collections::HashMap::new();
    let leader = units
        .iter()
        .enumerate()
        .map(|(u, unit)| *first.entry(unit.key).or_insert(u))
        .collect();
    Ok(Prepared {
        units,
        docs,
        hits,
        leader,
        info,
    })
}

fn batch_chars(options: &Options, info: &BackendInfo) -> usize {
    let wanted = if options.batch_chars == 0 {
        super::DEFAULT_BATCH_CHARS
    } else {
        options.batch_chars
    };
    if info.max_chars > 0 {
        wanted.min(info.max_chars)
    } else {
        wanted
    }
}

/// Packs the units to send (per document, in order) into batches of unit indices.
fn pack_units(prepared: &Prepared, send: &[bool], options: &Options) -> Vec<Vec<usize>> {
    let budget = batch_chars(options, &prepared.info);
    let max_items = if prepared.info.max_items == 0 {
        usize::MAX
    } else {
        prepared.info.max_items
    };
    let mut batches = Vec::new();
    for doc in &prepared.docs {
        let todo: Vec<usize> = doc.iter().copied().filter(|&u| send[u]).collect();
        let items: Vec<PackItem> = todo
            .iter()
            .map(|&u| PackItem {
                chars: prepared.units[u].text.chars().count(),
                block: block_of(&prepared.units[u].id),
            })
            .collect();
        for range in plan::pack(&items, budget, max_items) {
            batches.push(todo[range].to_vec());
        }
    }
    batches
}

fn block_of(id: &str) -> u32 {
    crate::SegmentId::parse(id).map_or(0, |s| s.block)
}

/// Plans a job without sending anything (`--dry-run`): cache hits, batches, token estimates.
pub fn plan_job(job: &Job<'_>, sources: &[Source]) -> Result<Plan, CacheError> {
    let prepared = prepare(job, sources)?;
    let send = prepared.to_send();
    let batches = pack_units(&prepared, &send, &job.options);
    let mut plan = Plan {
        segments: prepared.units.len(),
        cached: prepared.hits.iter().flatten().count(),
        ..Plan::default()
    };
    for (unit, hit) in prepared.units.iter().zip(&prepared.hits) {
        if let Some(entry) = hit
            && job.options.repair
            && !entry.checked
            && !job
                .terms
                .missing(&unit.text, &entry.target, &unit.terms)
                .is_empty()
        {
            plan.repairs += 1;
            let (input, output) = estimate_tokens(&unit.text);
            plan.input_tokens += input + REQUEST_OVERHEAD_TOKENS;
            plan.output_tokens += output;
        }
    }
    for batch in batches {
        let mut chars = 0;
        plan.input_tokens += REQUEST_OVERHEAD_TOKENS;
        for &u in &batch {
            let unit = &prepared.units[u];
            chars += unit.text.chars().count();
            let (input, output) = estimate_tokens(&unit.text);
            let terms: usize = unit
                .terms
                .iter()
                .map(|t| t.source.len() + t.target.len())
                .sum();
            plan.input_tokens += input + (terms as u64).div_ceil(3) + 8;
            plan.output_tokens += output + 8;
        }
        plan.batches.push(PlannedBatch {
            source: sources[prepared.units[batch[0]].doc].name.clone(),
            ids: batch
                .iter()
                .map(|&u| prepared.units[u].id.clone())
                .collect(),
            chars,
        });
    }
    Ok(plan)
}

/// Shared state of a running job.
struct Runner<'a> {
    job: &'a Job<'a>,
    sources: &'a [Source],
    units: Vec<Unit>,
    /// Units with the same key as a sent unit, which get its answer.
    followers: std::collections::HashMap<usize, Vec<usize>>,
    slots: Mutex<Vec<Slot>>,
    /// Read-held by every cache commit in flight.
    commits: std::sync::Arc<tokio::sync::RwLock<()>>,
    report: Mutex<RunReport>,
    permits: Semaphore,
    /// Adaptive concurrency: after a 429 the number of requests in flight is halved (permits
    /// are retired as requests finish), and it grows back by one after as many successes as
    /// the current limit, up to the configured concurrency.
    limit: Mutex<AdaptiveLimit>,
    /// No request starts before this instant (set by a 429's Retry-After).
    not_before: Mutex<Option<tokio::time::Instant>>,
    rpm: Option<DefaultDirectRateLimiter>,
    tpm: Option<(DefaultDirectRateLimiter, u32)>,
}

/// The state of the adaptive concurrency limit (see `Runner::limit`).
#[derive(Debug)]
struct AdaptiveLimit {
    max: usize,
    current: usize,
    /// Permits still to retire when requests finish.
    debt: usize,
    successes: usize,
    last_cut: Option<std::time::Instant>,
}

impl AdaptiveLimit {
    fn new(max: usize) -> Self {
        AdaptiveLimit {
            max,
            current: max,
            debt: 0,
            successes: 0,
            last_cut: None,
        }
    }

    /// A 429 at `now`: halve the limit, at most once a second (one burst of 429s is one
    /// signal).
    fn cut(&mut self, now: std::time::Instant) {
        if self
            .last_cut
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        self.last_cut = Some(now);
        let new = (self.current / 2).max(1);
        self.debt += self.current - new;
        self.current = new;
        self.successes = 0;
    }

    /// A success: returns how many permits to add back (0 or 1).
    fn grow(&mut self) -> usize {
        if self.current >= self.max {
            return 0;
        }
        self.successes += 1;
        if self.successes < self.current {
            return 0;
        }
        self.successes = 0;
        self.current += 1;
        if self.debt > 0 {
            self.debt -= 1; // the permit was never retired: keep it instead
            0
        } else {
            1
        }
    }

    /// A request finished: whether its permit is retired rather than released.
    fn retire(&mut self) -> bool {
        if self.debt > 0 {
            self.debt -= 1;
            true
        } else {
            false
        }
    }
}

/// How a request ended after its retries.
enum Attempt {
    Ok(Vec<crate::backend::Output>, Usage),
    /// The answer's ids or count were wrong (`ids_wrong`), or the answer could not be read.
    Bad {
        reason: String,
        ids_wrong: bool,
    },
    /// Retries exhausted on rate limits or transient failures.
    GaveUp(String),
    Fatal(BackendError),
}

impl<'a> Runner<'a> {
    fn options(&self) -> &Options {
        &self.job.options
    }

    fn count(&self, f: impl FnOnce(&mut RunReport)) {
        f(&mut self.report.lock().expect("report lock"));
    }

    fn answered(&self) -> usize {
        let slots = self.slots.lock().expect("slots lock");
        slots.iter().filter(|s| matches!(s, Slot::Done(_))).count()
    }

    fn batch_of(&self, units: &[usize], instruction: Option<String>) -> Batch {
        let first = &self.units[units[0]];
        let source = &self.sources[first.doc];
        let previous = first
            .index
            .checked_sub(1)
            .map(|i| source.segments[i].text.clone());
        Batch {
            items: units
                .iter()
                .map(|&u| {
                    let unit = &self.units[u];
                    Item {
                        id: unit.id.clone(),
                        text: unit.text.clone(),
                        terms: unit.terms.clone(),
                    }
                })
                .collect(),
            context: Context {
                title: source.title.clone(),
                previous,
                instruction,
            },
            source_lang: self.options().source_lang.clone(),
            target_lang: self.options().target_lang.clone(),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.options().backoff_base;
        let exp = base.saturating_mul(1u32 << attempt.min(16));
        let capped = exp.min(self.options().backoff_max);
        // Jitter: between half and all of the delay.
        capped.mul_f64(0.5 + fastrand::f64() * 0.5)
    }

    async fn wait_gate(&self) {
        loop {
            let until = *self.not_before.lock().expect("gate lock");
            match until {
                Some(t) if t > tokio::time::Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    fn close_gate_for(&self, delay: Duration) {
        let until = tokio::time::Instant::now() + delay;
        let mut gate = self.not_before.lock().expect("gate lock");
        if gate.is_none_or(|t| t < until) {
            *gate = Some(until);
        }
    }

    /// Sends one batch with retries on rate limits and transient failures.
    async fn request(&self, batch: &Batch) -> Attempt {
        let max_attempts = self.options().max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.wait_gate().await;
            if let Some(limiter) = &self.rpm {
                limiter.until_ready().await;
            }
            if let Some((limiter, cap)) = &self.tpm {
                let tokens: u64 = batch
                    .items
                    .iter()
                    .map(|i| {
                        let (a, b) = estimate_tokens(&i.text);
                        a + b
                    })
                    .sum::<u64>()
                    + REQUEST_OVERHEAD_TOKENS;
                let n = NonZeroU32::new((tokens.min(u64::from(*cap)) as u32).max(1))
                    .expect("at least 1");
                let _ = limiter.until_n_ready(n).await;
            }
            let result = {
                let permit = self
                    .permits
                    .acquire()
                    .await
                    .expect("semaphore never closed");
                // The gate may have closed while this request queued for a permit: a
                // Retry-After applies to every request not yet sent.
                self.wait_gate().await;
                self.count(|r| r.requests += 1);
                let result = self.job.backend.translate(batch).await;
                let mut limit = self.limit.lock().expect("limit lock");
                match &result {
                    Err(BackendError::RateLimited { .. }) => limit.cut(std::time::Instant::now()),
                    Ok(_) => {
                        let add = limit.grow();
                        self.permits.add_permits(add);
                    }
                    Err(_) => {}
                }
                if limit.retire() {
                    permit.forget();
                }
                result
            };
            let error = match result {
                Ok(translation) => {
                    self.count(|r| {
                        r.input_tokens += translation.usage.input_tokens;
                        r.output_tokens += translation.usage.output_tokens;
                    });
                    let ids_match = translation.outputs.len() == batch.items.len()
                        && translation
                            .outputs
                            .iter()
                            .zip(&batch.items)
                            .all(|(o, i)| o.id == i.id);
                    if ids_match {
                        return Attempt::Ok(translation.outputs, translation.usage);
                    }
                    let got: Vec<&str> =
                        translation.outputs.iter().map(|o| o.id.as_str()).collect();
                    return Attempt::Bad {
                        reason: format!("answer ids [{}] do not match the batch", got.join(", ")),
                        ids_wrong: true,
                    };
                }
                Err(error) => error,
            };
            if error.is_fatal() {
                return Attempt::Fatal(error);
            }
            if let BackendError::BadResponse { .. } = error {
                return Attempt::Bad {
                    reason: error.to_string(),
                    ids_wrong: error.is_id_mismatch(),
                };
            }
            // Throttling is not failure: a 429 gets four times the attempts of a 5xx.
            let budget = match error {
                BackendError::RateLimited { .. } => max_attempts.saturating_mul(4),
                _ => max_attempts,
            };
            if attempt >= budget {
                return Attempt::GaveUp(error.to_string());
            }
            let delay = match &error {
                BackendError::RateLimited {
                    retry_after: Some(after),
                    ..
                } => {
                    // At least Retry-After, plus up to 10% (and 50 ms) of jitter; every
                    // request waits, not only this one.
                    let jitter = after.mul_f64(fastrand::f64() * 0.1)
                        + Duration::from_millis(fastrand::u64(0..50));
                    let delay = *after + jitter;
                    self.close_gate_for(delay);
                    delay
                }
                BackendError::RateLimited { .. } => {
                    let delay = self.backoff(attempt);
                    self.close_gate_for(delay);
                    delay
                }
                _ => self.backoff(attempt),
            };
            self.job
                .progress
                .note(&format!("{error}; retrying in {:.1}s", delay.as_secs_f64()));
            self.count(|r| r.retries += 1);
            tokio::time::sleep(delay).await;
        }
    }

    /// Stores answers in the cache (one durable commit, on the blocking pool so that the
    /// other requests go on meanwhile) and in the slots.
    async fn commit(&self, answers: Vec<(usize, Answer)>) -> Result<(), CacheError> {
        let entries: Vec<(CacheKey, Entry)> = answers
            .iter()
            .map(|(u, a)| {
                (
                    self.units[*u].key,
                    Entry {
                        target: a.target.clone(),
                        usage: a.usage,
                        checked: a.checked,
                    },
                )
            })
            .collect();
        {
            let mut slots = self.slots.lock().expect("slots lock");
            for (u, answer) in answers {
                for &f in self.followers.get(&u).into_iter().flatten() {
                    slots[f] = Slot::Done(answer.clone());
                }
                slots[u] = Slot::Done(answer);
            }
        }
        if let Some(cache) = self.job.cache {
            let cache = cache.clone();
            // Held until the commit is done, even when this future is dropped: a stopping
            // run waits for every commit in flight (see `run`).
            let pending = self.commits.clone().read_owned().await;
            tokio::task::spawn_blocking(move || {
                let result = cache.put_many(&entries);
                drop(pending);
                result
            })
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        }
        Ok(())
    }

    /// The units that `units` answer: themselves and their followers.
    fn with_followers(&self, units: &[usize]) -> usize {
        units
            .iter()
            .map(|u| 1 + self.followers.get(u).map_or(0, Vec::len))
            .sum()
    }

    fn fail(&self, units: &[usize], message: &str) {
        let mut slots = self.slots.lock().expect("slots lock");
        for &u in units {
            for &f in self.followers.get(&u).into_iter().flatten() {
                slots[f] = Slot::Failed(message.to_string());
            }
            slots[u] = Slot::Failed(message.to_string());
        }
        drop(slots);
        let n = self.with_followers(units);
        self.count(|r| r.failed += n);
        self.job.progress.advance(n);
    }

    /// Translates a batch; a bad answer splits it in halves, down to single segments. Each
    /// answered part is committed before the next is sent. Returns the units answered.
    async fn translate_batch(&self, units: Vec<usize>) -> Result<Vec<usize>, Stop> {
        let mut answered = Vec::new();
        let mut stack = vec![(units, 0u32)];
        while let Some((part, bad_tries)) = stack.pop() {
            let batch = self.batch_of(&part, None);
            match self.request(&batch).await {
                Attempt::Ok(outputs, usage) => {
                    let shares = split_usage(usage, &batch);
                    // An answer that broke its sentence's inline placeholders is asked again
                    // alone, once; a second broken answer is kept and flagged (`assemble`).
                    let mut again = Vec::new();
                    let answers: Vec<(usize, Answer)> = part
                        .iter()
                        .zip(outputs)
                        .zip(shares)
                        .filter(|&((&u, ref output), _)| {
                            let broken = bad_tries == 0
                                && crate::inline::check(&self.units[u].text, &output.text).is_err();
                            if broken {
                                again.push(u);
                            }
                            !broken
                        })
                        .map(|((&u, output), usage)| {
                            let unit = &self.units[u];
                            let clean = unit.terms.is_empty()
                                || self
                                    .job
                                    .terms
                                    .missing(&unit.text, &output.text, &unit.terms)
                                    .is_empty();
                            (
                                u,
                                Answer {
                                    target: output.text,
                                    usage,
                                    cached: false,
                                    checked: clean,
                                },
                            )
                        })
                        .collect();
                    let done: Vec<usize> = answers.iter().map(|(u, _)| *u).collect();
                    if !answers.is_empty() {
                        self.commit(answers).await?;
                    }
                    self.job.progress.advance(self.with_followers(&done));
                    answered.extend(done);
                    for u in again {
                        self.count(|r| r.retries += 1);
                        self.job.progress.note(&format!(
                            "{}: {}: inline placeholders broken; asking again alone",
                            self.job.backend.info().name,
                            self.units[u].id
                        ));
                        stack.push((vec![u], 1));
                    }
                }
                // An unreadable answer (junk, cut-off JSON) is usually a passing fault: the
                // whole batch is asked again once before it is split, which costs one request
                // instead of two. Wrong ids are split at once.
                Attempt::Bad {
                    reason,
                    ids_wrong: false,
                } if part.len() > 1 && bad_tries == 0 => {
                    self.count(|r| r.retries += 1);
                    self.job.progress.note(&format!(
                        "{}: {reason}; asking again",
                        self.job.backend.info().name
                    ));
                    tokio::time::sleep(self.backoff(0)).await;
                    stack.push((part, 1));
                }
                Attempt::Bad { reason, .. } if part.len() > 1 => {
                    self.count(|r| {
                        r.splits += 1;
                        r.retries += 1;
                    });
                    self.job.progress.note(&format!(
                        "{}: {reason}; splitting {} segments in halves",
                        self.job.backend.info().name,
                        part.len()
                    ));
                    let mid = part.len() / 2;
                    let (left, right) = part.split_at(mid);
                    // Left half first (the stack is LIFO).
                    stack.push((right.to_vec(), 0));
                    stack.push((left.to_vec(), 0));
                }
                Attempt::Bad { reason, .. } => {
                    if bad_tries + 1 < self.options().max_attempts.max(1) {
                        self.count(|r| r.retries += 1);
                        tokio::time::sleep(self.backoff(bad_tries)).await;
                        stack.push((part, bad_tries + 1));
                    } else {
                        self.fail(&part, &reason);
                    }
                }
                Attempt::GaveUp(reason) => self.fail(&part, &reason),
                Attempt::Fatal(error) => return Err(Stop::Fatal(error)),
            }
        }
        Ok(answered)
    }

    /// Re-requests a segment that misses glossary terms, once, with the violation stated.
    /// Keeps the answer that misses fewer terms (the repair on a tie).
    async fn repair(
        &self,
        unit: usize,
        current: Answer,
        missing: Vec<TermPair>,
    ) -> Result<(), Stop> {
        self.count(|r| r.repairs += 1);
        let batch = self.batch_of(&[unit], Some(enforce::repair_instruction(&missing)));
        let mut best = current;
        best.checked = true;
        match self.request(&batch).await {
            Attempt::Ok(mut outputs, usage) => {
                let target = outputs.pop().map(|o| o.text).unwrap_or_default();
                let u = &self.units[unit];
                let still = self.job.terms.missing(&u.text, &target, &u.terms);
                best.usage.input_tokens += usage.input_tokens;
                best.usage.output_tokens += usage.output_tokens;
                if still.len() <= missing.len() && !target.trim().is_empty() {
                    best.target = target;
                    best.cached = false;
                }
            }
            Attempt::Fatal(error) => return Err(Stop::Fatal(error)),
            // A bad or failed repair keeps the first answer (flagged later).
            Attempt::Bad { reason, .. } | Attempt::GaveUp(reason) => {
                self.job
                    .progress
                    .note(&format!("repair of {}: {reason}", self.units[unit].id));
            }
        }
        self.commit(vec![(unit, best)]).await?;
        Ok(())
    }

    /// Repairs the answered units whose answers miss terms.
    async fn enforce(&self, units: &[usize]) -> Result<(), Stop> {
        if !self.options().repair {
            return Ok(());
        }
        let mut repairs = Vec::new();
        for &u in units {
            let answer = match &self.slots.lock().expect("slots lock")[u] {
                Slot::Done(answer) if !answer.checked => answer.clone(),
                _ => continue,
            };
            let unit = &self.units[u];
            let missing = self
                .job
                .terms
                .missing(&unit.text, &answer.target, &unit.terms);
            if !missing.is_empty() {
                repairs.push(self.repair(u, answer, missing));
            }
        }
        // Side by side; the semaphore still bounds the requests in flight.
        futures::future::try_join_all(repairs).await?;
        Ok(())
    }
}

enum Stop {
    Fatal(BackendError),
    Cache(CacheError),
}

impl From<CacheError> for Stop {
    fn from(e: CacheError) -> Self {
        Stop::Cache(e)
    }
}

/// Splits a request's usage among its items in proportion to their length.
fn split_usage(usage: Usage, batch: &Batch) -> Vec<Usage> {
    let lens: Vec<u64> = batch
        .items
        .iter()
        .map(|i| i.text.chars().count() as u64 + 1)
        .collect();
    let total: u64 = lens.iter().sum::<u64>().max(1);
    let mut out: Vec<Usage> = lens
        .iter()
        .map(|&l| Usage {
            input_tokens: usage.input_tokens * l / total,
            output_tokens: usage.output_tokens * l / total,
        })
        .collect();
    // Rounding remainder to the first item, so the shares add up.
    let given_in: u64 = out.iter().map(|u| u.input_tokens).sum();
    let given_out: u64 = out.iter().map(|u| u.output_tokens).sum();
    if let Some(first) = out.first_mut() {
        first.input_tokens += usage.input_tokens - given_in;
        first.output_tokens += usage.output_tokens - given_out;
    }
    out
}

/// Runs a job over `sources`: returns one bitext per source (in order) and the report.
pub async fn run(job: &Job<'_>, sources: &[Source]) -> Result<Outcome, PipelineError> {
    let started = Instant::now();
    let prepared = prepare(job, sources)?;
    let info = prepared.info.clone();
    let concurrency = match job.options.concurrency {
        0 => info.default_concurrency.max(1),
        n => n,
    };
    // Requests are spaced evenly (no burst); tokens may come in bursts up to a minute's worth.
    let spaced = |n: u32| {
        NonZeroU32::new(n).map(|n| {
            let one = NonZeroU32::new(1).expect("1 is not zero");
            RateLimiter::direct(Quota::per_minute(n).allow_burst(one))
        })
    };
    let minute = |n: u32| NonZeroU32::new(n).map(|n| RateLimiter::direct(Quota::per_minute(n)));
    let mut slots = Vec::with_capacity(prepared.units.len());
    let mut cached = 0;
    for hit in &prepared.hits {
        slots.push(match hit {
            Some(entry) => {
                cached += 1;
                Slot::Done(Answer {
                    target: entry.target.clone(),
                    usage: entry.usage,
                    cached: true,
                    checked: entry.checked,
                })
            }
            None => Slot::Pending,
        });
    }
    let send = prepared.to_send();
    let batches = pack_units(&prepared, &send, &job.options);
    // Cached units that lead their key (followers get the leader's repair).
    let cached_units: Vec<usize> = (0..prepared.units.len())
        .filter(|&u| prepared.hits[u].is_some() && prepared.leader[u] == u)
        .collect();
    let mut followers: std::collections::HashMap<usize, Vec<usize>> =
        std::collections::HashMap::new();
    for (u, &l) in prepared.leader.iter().enumerate() {
        if l != u {
            followers.entry(l).or_default().push(u);
        }
    }
    let runner = Runner {
        job,
        sources,
        units: prepared.units,
        followers,
        slots: Mutex::new(slots),
        commits: Default::default(),
        report: Mutex::new(RunReport {
            documents: sources.len(),
            segments: send.len(),
            cached,
            ..RunReport::default()
        }),
        permits: Semaphore::new(concurrency),
        limit: Mutex::new(AdaptiveLimit::new(concurrency)),
        not_before: Mutex::new(None),
        rpm: job.options.rpm.and_then(spaced),
        tpm: job.options.tpm.and_then(|n| minute(n).map(|l| (l, n))),
    };
    job.progress.start(send.len(), cached);

    let stop = {
        let mut tasks = FuturesUnordered::new();
        // Cached answers that still miss a term and were never repaired.
        tasks.push(Box::pin(async { runner.enforce(&cached_units).await })
            as std::pin::Pin<
                Box<dyn std::future::Future<Output = Result<(), Stop>> + Send + '_>,
            >);
        for batch in batches {
            let runner = &runner;
            tasks.push(Box::pin(async move {
                let answered = runner.translate_batch(batch).await?;
                runner.enforce(&answered).await
            }));
        }
        let mut stop = None;
        while let Some(result) = tasks.next().await {
            if let Err(e) = result {
                stop = Some(e);
                break;
            }
        }
        stop
    };
    if let Some(stop) = stop {
        // Answers received before the stop are stored before the run returns.
        let _all_committed = runner.commits.write().await;
        let mut report = runner.report.lock().expect("report lock").clone();
        report.wall_time = started.elapsed();
        return Err(match stop {
            Stop::Fatal(error) => PipelineError::Fatal {
                error,
                answered: runner.answered(),
                cached: job.cache.is_some(),
                report: Box::new(report),
            },
            Stop::Cache(e) => PipelineError::Cache(e),
        });
    }
    let bitexts = assemble(&runner, &info);
    let mut report = runner.report.into_inner().expect("report lock");
    for bitext in &bitexts {
        for flag in bitext.pairs.iter().flat_map(|p| &p.flags) {
            if enforce::is_violation(flag) {
                report.violations += 1;
            } else if flag.code == FlagCode::Failed {
            } else if flag.severity == Severity::Error {
                report.qa_errors += 1;
            } else {
                report.qa_warnings += 1;
            }
        }
    }
    report.wall_time = started.elapsed();
    Ok(Outcome { bitexts, report })
}

/// Builds the bitexts: pairs in order, glossary flags, QA flags.
fn assemble(runner: &Runner<'_>, info: &BackendInfo) -> Vec<Bitext> {
    let job = runner.job;
    let slots = runner.slots.lock().expect("slots lock");
    let mut bitexts = Vec::with_capacity(runner.sources.len());
    for (doc, source) in runner.sources.iter().enumerate() {
        let meta = Meta {
            title: source.title.clone(),
            source_file: Some(source.name.clone()),
            backend: Some(info.name.clone()),
            model: info.model.clone(),
            glossary_digest: job.terms.digest(),
            created: crate::model::now_rfc3339(),
            tool: format!("bitext {}", env!("CARGO_PKG_VERSION")),
            ..Meta::default()
        };
        let mut bitext = Bitext::new(&job.options.source_lang, &job.options.target_lang, meta);
        for (u, unit) in runner
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| u.doc == doc)
        {
            let segment = &source.segments[unit.index];
            let (target, cached, mut flags) = match &slots[u] {
                Slot::Done(answer) => {
                    // Broken inline placeholders: the text is kept without them, flagged.
                    let (target, tag_flag) = match crate::inline::check(&unit.text, &answer.target)
                    {
                        Ok(()) => (answer.target.clone(), None),
                        Err(error) => (
                            crate::inline::strip(&answer.target),
                            Some(Flag {
                                code: FlagCode::InlineTags,
                                severity: Severity::Error,
                                message: format!(
                                    "inline markup lost ({error}); the translation is kept without it"
                                ),
                                term: None,
                                expected: None,
                            }),
                        ),
                    };
                    let mut flags: Vec<Flag> = if job.terms.annotates_flags() {
                        Vec::new()
                    } else {
                        job.terms
                            .missing(&unit.text, &target, &unit.terms)
                            .iter()
                            .map(enforce::missing_flag)
                            .collect()
                    };
                    flags.extend(tag_flag);
                    flags.extend(qa::check(
                        &crate::inline::strip(&unit.text),
                        &crate::inline::strip(&target),
                        &job.options.source_lang,
                        &job.options.target_lang,
                    ));
                    (target, answer.cached, flags)
                }
                Slot::Failed(message) => (
                    String::new(),
                    false,
                    vec![Flag {
                        code: FlagCode::Failed,
                        severity: Severity::Error,
                        message: message.replace('\n', " "),
                        term: None,
                        expected: None,
                    }],
                ),
                Slot::Pending => (
                    String::new(),
                    false,
                    vec![Flag {
                        code: FlagCode::Failed,
                        severity: Severity::Error,
                        message: "not translated".into(),
                        term: None,
                        expected: None,
                    }],
                ),
            };
            flags.dedup();
            bitext.pairs.push(Pair {
                id: unit.id.clone(),
                block: segment.block,
                kind: segment.kind,
                source: unit.text.clone(),
                target,
                terms: Vec::new(),
                flags,
                origin: Origin::Translated {
                    backend: info.name.clone(),
                    model: info.model.clone(),
                    cached,
                },
            });
        }
        job.terms.annotate(&mut bitext);
        dedup_flags(&mut bitext);
        bitexts.push(bitext);
    }
    bitexts
}

/// Drops a flag that repeats an earlier one of the same pair (same code and term), e.g. when
/// the glossary's own annotation flags a missing term the pipeline already flagged.
fn dedup_flags(bitext: &mut Bitext) {
    for pair in &mut bitext.pairs {
        let mut seen: Vec<(FlagCode, Option<String>)> = Vec::new();
        pair.flags.retain(|f| {
            let key = (f.code, f.term.clone());
            if seen.contains(&key) {
                false
            } else {
                seen.push(key);
                true
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_shares_add_up() {
        let batch = Batch {
            items: ["一二三", "四", "五六七八九十"]
                .iter()
                .enumerate()
                .map(|(n, t)| Item {
                    id: format!("b1.s{}", n + 1),
                    text: t.to_string(),
                    terms: vec![],
                })
                .collect(),
            ..Batch::default()
        };
        let usage = Usage {
            input_tokens: 101,
            output_tokens: 77,
        };
        let shares = split_usage(usage, &batch);
        assert_eq!(shares.iter().map(|u| u.input_tokens).sum::<u64>(), 101);
        assert_eq!(shares.iter().map(|u| u.output_tokens).sum::<u64>(), 77);
        assert!(shares[2].input_tokens > shares[1].input_tokens);
    }
}

#[cfg(test)]
mod adaptive_tests {
    use super::AdaptiveLimit;

    #[test]
    fn halves_on_429_once_per_second_and_grows_back() {
        let start = std::time::Instant::now();
        let mut limit = AdaptiveLimit::new(8);
        limit.cut(start);
        assert_eq!((limit.current, limit.debt), (4, 4));
        limit.cut(start + std::time::Duration::from_millis(300)); // same burst
        assert_eq!(limit.current, 4);
        limit.cut(start + std::time::Duration::from_secs(2));
        assert_eq!((limit.current, limit.debt), (2, 6));
        // Finishing requests retire the debt.
        let retired = (0..10).filter(|_| limit.retire()).count();
        assert_eq!((retired, limit.debt), (6, 0));
        // Two successes at limit 2 add one permit back.
        assert_eq!(limit.grow(), 0);
        assert_eq!(limit.grow(), 1);
        assert_eq!(limit.current, 3);
        for _ in 0..100 {
            limit.grow();
        }
        assert_eq!(limit.current, 8, "never above the configured concurrency");
    }
}

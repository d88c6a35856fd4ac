//! Running a job: prepare ([`super::prepare`]), send the batches under the run's limits
//! ([`super::limits`]) with retries, splits and repairs ([`super::request`]), and assemble the
//! bitexts ([`super::assemble`]).
//!
//! All requests of a run are futures polled by the caller's task (no spawned tasks): dropping
//! the future returned by [`run`] (Ctrl-C) cancels the requests in flight and leaves the
//! cache with everything answered so far. Each answer is committed to the cache (one durable
//! redb commit) before it counts as done.

use super::enforce::{self, Terms};
use super::limits::{Breaker, Limits};
use super::prepare::{Prepared, prepare};
use super::{Article, Options, Progress, RunReport};
use crate::backend::{Backend, BackendError, Usage};
use crate::cache::{Cache, CacheError, CacheKey, Entry};
use crate::{Bitext, FlagCode, Severity};
use futures::stream::{FuturesUnordered, StreamExt};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

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
    /// `--deadline` passed, or no request was answered for the idle deadline.
    #[error("{what} (run stopped; {answered} segments answered so far{})", if *cached { " are kept in the cache" } else { ", not cached (--no-cache)" })]
    Deadline {
        what: String,
        answered: usize,
        cached: bool,
        report: Box<RunReport>,
    },
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// A segment's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub target: String,
    pub usage: Usage,
    pub cached: bool,
    /// Checked against its terms (clean or repaired once); see `Entry::checked`.
    pub checked: bool,
}

/// Where a unit stands.
#[derive(Debug, Clone)]
pub enum Slot {
    Pending,
    Done(Answer),
    Failed(String),
}

/// Why the requests stopped early.
pub(super) enum Stop {
    Fatal(BackendError),
    Cache(CacheError),
    Deadline(String),
}

impl From<CacheError> for Stop {
    fn from(e: CacheError) -> Self {
        Stop::Cache(e)
    }
}

/// Shared state of a running job.
pub(super) struct Runner<'a> {
    pub(super) job: &'a Job<'a>,
    pub(super) sources: &'a [Article],
    pub(super) prepared: Prepared,
    /// Units with the same key as a sent unit, which get its answer.
    followers: HashMap<usize, Vec<usize>>,
    slots: Mutex<Vec<Slot>>,
    /// Read-held by every cache commit in flight.
    commits: std::sync::Arc<tokio::sync::RwLock<()>>,
    report: Mutex<RunReport>,
    pub(super) limits: Limits,
    pub(super) breaker: Breaker,
    /// Progress notes already given (a failure repeated on every attempt is told once).
    noted: Mutex<std::collections::HashSet<String>>,
    /// When a request was last answered (for the idle deadline).
    last_answer: Mutex<Instant>,
}

impl<'a> Runner<'a> {
    pub(super) fn options(&self) -> &Options {
        &self.job.options
    }

    /// Gives a progress note, once per `key`.
    pub(super) fn note_once(&self, key: String, message: String) {
        if self.noted.lock().expect("notes lock").insert(key) {
            self.job.progress.note(&message);
        }
    }

    /// A request was answered now.
    pub(super) fn answered_now(&self) {
        *self.last_answer.lock().expect("answer lock") = Instant::now();
    }

    /// How long the run may still wait for its next answer, and what it waits against.
    fn patience(&self, started: Instant) -> Option<(std::time::Duration, String)> {
        let options = self.options();
        let idle = options.idle_deadline.map(|idle| {
            let since = self.last_answer.lock().expect("answer lock").elapsed();
            (
                idle.saturating_sub(since),
                format!(
                    "no answer from {} for {}s (idle deadline)",
                    self.prepared.info.name,
                    idle.as_secs()
                ),
            )
        });
        let overall = options.deadline.map(|deadline| {
            (
                deadline.saturating_sub(started.elapsed()),
                format!("--deadline of {}s passed", deadline.as_secs()),
            )
        });
        match (idle, overall) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    pub(super) fn count(&self, f: impl FnOnce(&mut RunReport)) {
        f(&mut self.report.lock().expect("report lock"));
    }

    fn answered(&self) -> usize {
        let slots = self.slots.lock().expect("slots lock");
        slots.iter().filter(|s| matches!(s, Slot::Done(_))).count()
    }

    /// The answer of a unit that is done and not yet checked against its terms.
    pub(super) fn unchecked_answer(&self, unit: usize) -> Option<Answer> {
        match &self.slots.lock().expect("slots lock")[unit] {
            Slot::Done(answer) if !answer.checked => Some(answer.clone()),
            _ => None,
        }
    }

    /// Stores answers in the cache (one durable commit, on the blocking pool so that the
    /// other requests go on meanwhile) and in the slots.
    pub(super) async fn commit(&self, answers: Vec<(usize, Answer)>) -> Result<(), CacheError> {
        let entries: Vec<(CacheKey, Entry)> = answers
            .iter()
            .map(|(u, a)| {
                (
                    self.prepared.units[*u].key,
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
    pub(super) fn with_followers(&self, units: &[usize]) -> usize {
        units
            .iter()
            .map(|u| 1 + self.followers.get(u).map_or(0, Vec::len))
            .sum()
    }

    pub(super) fn fail(&self, units: &[usize], message: &str) {
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
}

/// Runs a job over `sources`: returns one bitext per source (in order) and the report.
pub async fn run(job: &Job<'_>, sources: &[Article]) -> Result<Outcome, PipelineError> {
    let started = Instant::now();
    let known = job
        .options
        .servers
        .as_deref()
        .and_then(|path| super::servers::load(path, job.backend));
    let result = run_prepared(job, sources, started).await;
    if let Some(path) = &job.options.servers {
        // A hint for the next run: failing to store it loses nothing of this run.
        let _ = super::servers::save(path, job.backend, known.as_deref());
    }
    result
}

async fn run_prepared(
    job: &Job<'_>,
    sources: &[Article],
    started: Instant,
) -> Result<Outcome, PipelineError> {
    let prepared = prepare(job, sources)?;
    let concurrency = super::prepare::concurrency(&job.options, &prepared.info);
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
    let batches = prepared.batches(&job.options);
    // Cached units that lead their key (followers get the leader's repair).
    let cached_units: Vec<usize> = (0..prepared.units.len())
        .filter(|&u| prepared.hits[u].is_some() && prepared.leader[u] == u)
        .collect();
    let runner = Runner {
        job,
        sources,
        followers: prepared.followers(),
        prepared,
        slots: Mutex::new(slots),
        commits: Default::default(),
        report: Mutex::new(RunReport {
            documents: sources.len(),
            segments: send.len(),
            cached,
            ..RunReport::default()
        }),
        limits: Limits::new(concurrency, &job.options),
        breaker: Breaker::new(),
        noted: Default::default(),
        last_answer: Mutex::new(Instant::now()),
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
        loop {
            let next = match runner.patience(started) {
                Some((left, what)) => match tokio::time::timeout(left, tasks.next()).await {
                    Ok(next) => next,
                    // Time to check again: an answer may have come meanwhile.
                    Err(_) if runner.patience(started).is_some_and(|(l, _)| !l.is_zero()) => {
                        continue;
                    }
                    Err(_) => {
                        stop = Some(Stop::Deadline(what));
                        break;
                    }
                },
                None => tasks.next().await,
            };
            match next {
                Some(Err(e)) => {
                    stop = Some(e);
                    break;
                }
                Some(Ok(())) => {}
                None => break,
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
            Stop::Deadline(what) => PipelineError::Deadline {
                what,
                answered: runner.answered(),
                cached: job.cache.is_some(),
                report: Box::new(report),
            },
            Stop::Cache(e) => PipelineError::Cache(e),
        });
    }
    let slots = runner.slots.into_inner().expect("slots lock");
    let bitexts = super::assemble::assemble(job, sources, &runner.prepared, &slots);
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

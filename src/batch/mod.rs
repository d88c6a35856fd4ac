//! Archive scale: translating through a provider's Batch API (OpenAI's `/v1/batches`, and the
//! same shape at DashScope, Groq, Together, Mistral) or an offline runner
//! (`vllm run-batch -i requests.jsonl -o results.jsonl`). See `docs/batch.md`.
//!
//! The stages, in order:
//! 1. [`plan`]: each article's memory misses into request lines — the interactive client's
//!    own prompt and body, `custom_id` a hash of the body — and the lines into batch files
//!    within the provider's [`Limits`].
//! 2. [`store`]: every step is journaled in the memory directory *before* it is taken
//!    (planned → uploaded → created → collected), so a kill at any moment is recovered by
//!    the next run: an upload or a creation whose answer was lost is found again on the server
//!    by its file name or `metadata.bitext_intent`, never made twice.
//! 3. [`client`]: upload, create, poll, download, cancel.
//! 4. [`collect`]: output lines into the memory, read by the interactive client's parser and
//!    id check. What a batch did not answer is a miss again: it goes into one follow-up batch,
//!    then to the interactive run, which also checks every answer against the glossary.

pub mod client;
pub mod collect;
pub mod lines;
pub mod plan;
pub mod store;

pub use client::BatchClient;
pub use collect::{Collected, collect_file};
pub use lines::{BatchObject, BatchStatus, OutputLine, RequestLine};
pub use plan::{FileWriter, Limits, PlanCounts, PlannedRequest, Planner, WrittenFile};
pub use store::{Event, MapLine, Record, Store};

use crate::backend::openai::OpenAiBackend;
use crate::backend::{Backend, BackendError};
use crate::cache::{Cache, CacheError, CacheKey};
use crate::pipeline::{Article, Options, Terms};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

/// Errors of the batch stages. Messages name the file (and line) or the backend.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: unreadable batch record: {detail}")]
    Journal {
        path: String,
        line: usize,
        detail: String,
    },
    #[error("{0}")]
    Invalid(String),
}

impl BatchError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> BatchError {
        BatchError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Receives what the batch stages do (the CLI prints; the library never does).
pub trait Watch: Send + Sync {
    /// A one-line note (a batch created, collected, failed, an ignored output line).
    fn note(&self, _message: &str) {}
    /// Requests of the pending batches: `completed` and `failed` of `total`.
    fn progress(&self, _completed: u64, _failed: u64, _total: u64) {}
}

/// A [`Watch`] that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Watch for Quiet {}

/// A pending batch as the CLI shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub intent: String,
    pub batch_id: Option<String>,
    pub status: String,
    pub total: u64,
    pub completed: u64,
    pub failed: u64,
}

/// Where a `translate --batch-api` run stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Standing {
    /// Batches are still running (without `--wait`): run the same command again later.
    Pending {
        /// Batches submitted by this run.
        submitted: usize,
        batches: Vec<Pending>,
        counts: PlanCounts,
    },
    /// Every batch is collected; what is left (failed twice, or repairs) is for the
    /// interactive run.
    Ready { counts: PlanCounts },
}

/// A backend's Batch API, its journal and the memory the answers go into.
pub struct Session<'a> {
    pub backend: &'a OpenAiBackend,
    pub client: BatchClient,
    pub store: Store,
    pub cache: &'a Cache,
    pub limits: Limits,
    /// The backend's endpoint and model: which recorded batches are this backend's.
    endpoint: String,
    model: String,
}

impl<'a> Session<'a> {
    /// Opens the journal in `memory_dir` for `backend`.
    pub fn open(
        backend: &'a OpenAiBackend,
        cache: &'a Cache,
        memory_dir: &Path,
        limits: Limits,
    ) -> Result<Session<'a>, BatchError> {
        let info = backend.info();
        Ok(Session {
            backend,
            client: BatchClient::new(backend)?,
            store: Store::open(memory_dir)?,
            cache,
            limits,
            endpoint: info.endpoint.unwrap_or_default(),
            model: info.model.unwrap_or_default(),
        })
    }

    /// Open batches of this backend (uploaded or not), in the order planned.
    fn open_intents(&self) -> Vec<String> {
        self.store
            .records()
            .iter()
            .filter(|r| r.is_open() && !r.offline && r.is_for(&self.endpoint, &self.model))
            .map(|r| r.intent.clone())
            .collect()
    }

    /// Memory keys of the segments in open batches: never planned again.
    pub fn pending_keys(&self) -> Result<HashSet<CacheKey>, BatchError> {
        let mut keys = HashSet::new();
        for intent in self.open_intents() {
            for line in self.store.read_map(&intent)? {
                keys.extend(line.keys());
            }
        }
        Ok(keys)
    }

    /// Memory keys that collected batches of this backend left unanswered: a key that a
    /// batch and its follow-up both missed (`tries` = 2) goes to the interactive run.
    pub fn exhausted_keys(&self, tries: usize) -> Result<HashSet<CacheKey>, BatchError> {
        let mut seen: HashMap<CacheKey, usize> = HashMap::new();
        for record in self.store.records() {
            if !record.collected
                || record.offline
                || record.batch_id.is_none()
                || !record.is_for(&self.endpoint, &self.model)
            {
                continue;
            }
            for line in self.store.read_map(&record.intent)? {
                for key in line.keys() {
                    *seen.entry(key).or_default() += 1;
                }
            }
        }
        Ok(seen
            .into_iter()
            .filter(|&(_, n)| n >= tries)
            .map(|(k, _)| k)
            .collect())
    }

    /// Records written batch files as planned (before anything is sent).
    pub fn record_planned(
        &mut self,
        files: &[WrittenFile],
        offline: bool,
    ) -> Result<(), BatchError> {
        let info = self.backend.info();
        for file in files {
            self.store.append(Event::Planned {
                intent: file.intent.clone(),
                backend: info.name.clone(),
                endpoint: self.endpoint.clone(),
                model: self.model.clone(),
                requests: file.requests,
                segments: file.segments,
                bytes: file.bytes,
                offline,
                at: crate::model::now_rfc3339(),
            })?;
        }
        Ok(())
    }

    /// Moves every open batch one step: uploads and creates what is planned (finding on
    /// the server what a killed run already did), polls the rest, and collects the finished
    /// ones. Returns the batches still running.
    pub async fn advance(&mut self, watch: &dyn Watch) -> Result<Vec<Pending>, BatchError> {
        let mut files: Option<Vec<lines::FileObject>> = None;
        let mut batches: Option<Vec<BatchObject>> = None;
        let mut pending = Vec::new();
        for intent in self.open_intents() {
            let record = self.store.record(&intent).expect("listed").clone();
            if record.batch_id.is_none() && self.superseded(&intent)? {
                self.store.drop_requests(&intent);
                self.store.append(Event::Collected {
                    intent: intent.clone(),
                    status: "superseded".into(),
                    stored: 0,
                    failed: 0,
                    note: Some("every segment was answered meanwhile; not sent".into()),
                })?;
                continue;
            }
            let filename = format!("bitext-{intent}.jsonl");
            if record.file_id.is_none() && record.batch_id.is_none() {
                if files.is_none() {
                    files = Some(self.client.list_files().await?);
                }
                let found = files
                    .as_ref()
                    .and_then(|all| {
                        all.iter()
                            .find(|f| f.filename.as_deref() == Some(&filename))
                    })
                    .map(|f| f.id.clone());
                let file_id = match found {
                    Some(id) => id,
                    None => {
                        let path = self.store.requests_path(&intent);
                        self.client.upload(&path, &filename).await?.id
                    }
                };
                self.store.append(Event::Uploaded {
                    intent: intent.clone(),
                    file_id,
                })?;
            }
            let record = self.store.record(&intent).expect("listed").clone();
            let batch = match &record.batch_id {
                Some(id) => self.client.get(id).await?,
                None => {
                    if batches.is_none() {
                        batches = Some(self.client.list().await?);
                    }
                    let found = batches.as_ref().and_then(|all| {
                        all.iter()
                            .find(|b| client::intent_of(b) == Some(intent.as_str()))
                            .cloned()
                    });
                    let batch = match found {
                        Some(b) => b,
                        None => {
                            let file_id = record.file_id.as_deref().expect("uploaded above");
                            self.client.create(file_id, &intent).await?
                        }
                    };
                    self.store.append(Event::Created {
                        intent: intent.clone(),
                        batch_id: batch.id.clone(),
                    })?;
                    watch.note(&format!(
                        "batch {} created ({} requests, {} segments)",
                        batch.id, record.requests, record.segments
                    ));
                    batch
                }
            };
            let counts = batch.request_counts.unwrap_or_default();
            let record = self.store.record(&intent).expect("listed").clone();
            if record.status != batch.status.as_str()
                || record.completed != counts.completed
                || record.failed != counts.failed
            {
                self.store.append(Event::Status {
                    intent: intent.clone(),
                    status: batch.status.as_str().into(),
                    total: counts.total,
                    completed: counts.completed,
                    failed: counts.failed,
                })?;
            }
            if batch.status.is_terminal() {
                self.collect(&intent, &batch, watch).await?;
            } else {
                pending.push(Pending {
                    intent: intent.clone(),
                    batch_id: Some(batch.id.clone()),
                    status: batch.status.as_str().into(),
                    total: counts.total.max(record.requests as u64),
                    completed: counts.completed,
                    failed: counts.failed,
                });
            }
        }
        Ok(pending)
    }

    /// Whether every segment of a planned batch is in the memory already (answered by an
    /// interactive run meanwhile): then it is not sent.
    fn superseded(&self, intent: &str) -> Result<bool, BatchError> {
        let keys: Vec<CacheKey> = self
            .store
            .read_map(intent)?
            .iter()
            .flat_map(|l| l.keys().collect::<Vec<_>>())
            .collect();
        Ok(self.cache.get_many(&keys)?.iter().all(Option::is_some))
    }

    /// Downloads a finished batch's output and error files into the memory.
    async fn collect(
        &mut self,
        intent: &str,
        batch: &BatchObject,
        watch: &dyn Watch,
    ) -> Result<(), BatchError> {
        let record = self.store.record(intent).expect("known").clone();
        let requests: HashMap<String, MapLine> = self
            .store
            .read_map(intent)?
            .into_iter()
            .map(|l| (l.custom_id.clone(), l))
            .collect();
        let mut collected = Collected::default();
        for (kind, file_id) in [
            ("output", &batch.output_file_id),
            ("errors", &batch.error_file_id),
        ] {
            let Some(file_id) = file_id else { continue };
            let path = self.store.dir().join(format!("{intent}.{kind}.jsonl"));
            self.client.download(file_id, &path).await?;
            let label = format!("batch {} {kind} file", batch.id);
            let result = collect_file(self.backend, self.cache, &requests, &path, &label);
            let _ = std::fs::remove_file(&path);
            collected.merge(result?);
        }
        for warning in &collected.warnings {
            watch.note(warning);
        }
        if collected.ignored > collected.warnings.len() {
            watch.note(&format!(
                "batch {}: {} more output lines ignored",
                batch.id,
                collected.ignored - collected.warnings.len()
            ));
        }
        let unanswered = record.requests.saturating_sub(collected.answered.len());
        let note = match batch.status {
            BatchStatus::Completed if unanswered == 0 => None,
            status => Some(format!(
                "batch {} {}{}: {} of {} requests answered; the other {unanswered} are retried (once in a batch, then interactively)",
                batch.id,
                status.as_str(),
                batch
                    .error_message()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default(),
                collected.answered.len(),
                record.requests,
            )),
        };
        if let Some(note) = &note {
            watch.note(note);
        }
        self.store.append(Event::Collected {
            intent: intent.to_string(),
            status: batch.status.as_str().into(),
            stored: collected.answered.len(),
            failed: unanswered,
            note,
        })?;
        self.store.drop_requests(intent);
        Ok(())
    }

    /// Plans the articles' misses that no open batch holds into batch files, records them,
    /// then uploads and creates them, collecting what finished; with `wait`, polls every
    /// `wait` until no batch is left. `tries`: batches a segment may be in before it is left
    /// to the interactive run (2: a batch and one follow-up).
    pub async fn translate(
        &mut self,
        articles: &[Article],
        terms: &dyn Terms,
        options: &Options,
        wait: Option<Duration>,
        watch: &dyn Watch,
    ) -> Result<Standing, BatchError> {
        const TRIES: usize = 2;
        let mut submitted = 0;
        // Planning reads every article's memory entries: redone only when a batch was
        // collected since (its misses may need a follow-up batch).
        let mut planned_at: Option<usize> = None;
        let mut counts = PlanCounts::default();
        loop {
            let mut running = self.advance(watch).await?;
            let collected = self.store.records().iter().filter(|r| r.collected).count();
            if planned_at != Some(collected) {
                planned_at = Some(collected);
                let pending = self.pending_keys()?;
                let exhausted = self.exhausted_keys(TRIES)?;
                let mut planner = Planner::new(self.backend, terms, options, Some(self.cache))
                    .with_pending(pending)
                    .with_exhausted(exhausted);
                let salt = format!("round {}", self.store.records().len());
                let mut writer = FileWriter::new(self.store.dir(), self.limits, salt);
                // All articles in one plan: packed as the interactive run packs them.
                if let Err(e) = planner.plan_articles(articles, |r| writer.push(&r)) {
                    writer.abandon();
                    return Err(e);
                }
                let written = writer.finish()?;
                if !written.is_empty() {
                    self.record_planned(&written, false)?;
                    submitted += written.len();
                    running = self.advance(watch).await?;
                }
                counts = planner.counts;
            }
            if running.is_empty() {
                return Ok(Standing::Ready { counts });
            }
            let Some(poll) = wait else {
                return Ok(Standing::Pending {
                    submitted,
                    batches: running,
                    counts,
                });
            };
            let (completed, failed, total) = running.iter().fold((0, 0, 0), |acc, p| {
                (acc.0 + p.completed, acc.1 + p.failed, acc.2 + p.total)
            });
            watch.progress(completed, failed, total);
            tokio::time::sleep(poll).await;
        }
    }

    /// Cancels the batches of the recorded `intents`; returns them with their new status. The
    /// next run collects what they answered and retries the rest.
    pub async fn cancel(&mut self, intents: &[String]) -> Result<Vec<Pending>, BatchError> {
        let targets = intents.to_vec();
        let mut out = Vec::new();
        for intent in targets {
            let record = self.store.record(&intent).expect("listed").clone();
            let Some(batch_id) = &record.batch_id else {
                // Never created: nothing to ask the server; its segments are misses again.
                self.store.append(Event::Collected {
                    intent: intent.clone(),
                    status: "cancelled".into(),
                    stored: 0,
                    failed: record.requests,
                    note: Some("cancelled before it was sent".into()),
                })?;
                self.store.drop_requests(&intent);
                out.push(Pending {
                    intent,
                    batch_id: None,
                    status: "cancelled".into(),
                    total: record.requests as u64,
                    completed: 0,
                    failed: 0,
                });
                continue;
            };
            let batch = self.client.cancel(batch_id).await?;
            let counts = batch.request_counts.unwrap_or_default();
            self.store.append(Event::Status {
                intent: intent.clone(),
                status: batch.status.as_str().into(),
                total: counts.total,
                completed: counts.completed,
                failed: counts.failed,
            })?;
            out.push(Pending {
                intent,
                batch_id: Some(batch.id),
                status: batch.status.as_str().into(),
                total: counts.total,
                completed: counts.completed,
                failed: counts.failed,
            });
        }
        Ok(out)
    }
}

/// What `--dry-run --batch-api` shows: the plan and the number of batch files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DryRun {
    pub counts: PlanCounts,
    pub files: usize,
}

/// Plans without writing or sending anything.
pub fn dry_run(
    backend: &OpenAiBackend,
    terms: &dyn Terms,
    options: &Options,
    cache: Option<&Cache>,
    pending: HashSet<CacheKey>,
    articles: &[Article],
    limits: Limits,
) -> Result<DryRun, BatchError> {
    let mut planner = Planner::new(backend, terms, options, cache).with_pending(pending);
    let (mut files, mut in_file, mut bytes) = (0usize, 0usize, 0u64);
    planner.plan_articles(articles, |request| {
        let size = serde_json::to_string(&request.line).map_or(0, |s| s.len() as u64 + 1);
        if files == 0 || in_file >= limits.max_requests || bytes + size > limits.max_bytes {
            files += 1;
            in_file = 0;
            bytes = 0;
        }
        in_file += 1;
        bytes += size;
        Ok(())
    })?;
    Ok(DryRun {
        counts: planner.counts,
        files,
    })
}

/// `bitext batch results`: reads a result file into the memory against the maps of every
/// batch planned in `store` (the offline ones of `bitext batch requests` included). Offline
/// batches whose every request was in the file are marked collected.
pub fn collect_results(
    backend: &OpenAiBackend,
    cache: &Cache,
    store: &mut Store,
    path: &Path,
) -> Result<Collected, BatchError> {
    let mut requests: HashMap<String, MapLine> = HashMap::new();
    let mut owner: HashMap<String, String> = HashMap::new();
    let open: Vec<String> = store
        .records()
        .iter()
        .filter(|r| r.is_open())
        .map(|r| r.intent.clone())
        .collect();
    for intent in &open {
        for line in store.read_map(intent)? {
            owner.insert(line.custom_id.clone(), intent.clone());
            requests.insert(line.custom_id.clone(), line);
        }
    }
    let label = path.display().to_string();
    let collected = collect_file(backend, cache, &requests, path, &label)?;
    let mut answered_per: HashMap<&str, usize> = HashMap::new();
    for id in &collected.answered {
        if let Some(intent) = owner.get(id) {
            *answered_per.entry(intent.as_str()).or_default() += 1;
        }
    }
    for intent in &open {
        let record = store.record(intent).expect("listed").clone();
        let answered = answered_per.get(intent.as_str()).copied().unwrap_or(0);
        if record.offline && answered == record.requests {
            store.append(Event::Collected {
                intent: intent.clone(),
                status: "completed".into(),
                stored: answered,
                failed: 0,
                note: None,
            })?;
        }
    }
    Ok(collected)
}

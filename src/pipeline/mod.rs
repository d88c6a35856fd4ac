//! A translation job: segments in, [`Bitext`]s out, without paying twice for anything.
//!
//! The stages, in order (see `docs/pipeline.md`):
//! 1. [`Article`]s (split articles) become units ([`prepare`]) and get their glossary terms per segment from a [`Terms`]
//!    policy, which also decides the first mention of each term in the document.
//! 2. Each segment is looked up in the translation memory ([`crate::cache`]); hits cost nothing.
//! 3. Misses are packed into batches ([`plan`]) by character budget and the backend's limits,
//!    neighbours together, with the article title and the previous segment as context.
//! 4. Batches run concurrently ([`run`]) under the run's limits (`limits`: permits, adaptive
//!    concurrency, Retry-After, `--rpm`/`--tpm`) with retries and alignment safety (a batch
//!    answered with wrong ids is split, never shifted; `request`).
//! 5. Every answer is checked against its terms ([`enforce`]); a miss is re-requested once
//!    with the violation stated; what still misses is flagged.
//! 6. QA checks ([`qa`]) flag numbers, untranslated text, empty or identical targets, length
//!    outliers and repetitions; [`assemble`] builds the bitexts. The counts end up in a
//!    [`RunReport`]. [`dry_run`] plans a job without sending anything.

pub mod assemble;
pub mod dry_run;
pub mod enforce;
mod limits;
pub mod plan;
pub mod prepare;
pub mod qa;
pub mod report;
mod request;
pub use request::share_usage;
pub mod run;
pub mod servers;

pub use dry_run::plan_job;
pub use enforce::{GlossaryTerms, NoTerms, PlannedTerm, Terms};
pub use plan::{Plan, PlannedBatch};
pub use report::RunReport;
pub use run::{Answer, Job, Outcome, PipelineError, Slot, run};

use crate::Segment;
use crate::document::Document;
use std::time::Duration;

/// One article to translate: its split segments, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// The file name (for messages and `Meta::source_file`).
    pub name: String,
    pub title: Option<String>,
    pub segments: Vec<Segment>,
}

impl Article {
    /// Splits a document into a source.
    pub fn from_document(document: &Document) -> Article {
        Article {
            name: document.name.clone(),
            title: document.title().map(str::to_string),
            segments: crate::split::segment_document(document),
        }
    }
}

/// Settings of a job. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub source_lang: String,
    pub target_lang: String,
    /// Requests in flight at most; 0 takes the backend's default.
    pub concurrency: usize,
    /// Upper bound of a batch's characters; 0 takes [`DEFAULT_BATCH_CHARS`] (never more than
    /// the backend accepts). Batches are sized from the work below it
    /// ([`prepare::wanted_batches`]).
    pub batch_chars: usize,
    /// Requests per minute, when limited.
    pub rpm: Option<u32>,
    /// Estimated tokens per minute, when limited.
    pub tpm: Option<u32>,
    /// Attempts of one request on rate limits and transient failures (at least 1).
    pub max_attempts: u32,
    /// First backoff delay; doubled at each attempt up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Re-request a segment that misses a glossary term once, with the violation stated.
    pub repair: bool,
    /// Least similarity of a memory entry sent as an example with a segment the memory has
    /// no translation for (fuzzy match, 0–1); 0 sends none.
    pub fuzzy: f64,
    /// Where the pipeline keeps what backends learn about their servers between runs
    /// ([`servers`]); `None` keeps nothing.
    pub servers: Option<std::path::PathBuf>,
    /// The whole run stops after this long (`--deadline`); `None`: no limit.
    pub deadline: Option<Duration>,
    /// The run stops when no request was answered for this long ([`DEFAULT_IDLE_DEADLINE`]);
    /// `None`: no limit.
    pub idle_deadline: Option<Duration>,
}

/// Default idle deadline: no answer at all for this long stops the run (a server that
/// accepts requests and never answers is stopped sooner by the circuit breaker, after one
/// request timeout).
pub const DEFAULT_IDLE_DEADLINE: Duration = Duration::from_secs(600);

/// Default least similarity of a fuzzy match.
pub const DEFAULT_FUZZY: f64 = 0.75;

/// Default upper bound of a batch's characters (the backend's own limit applies below it).
pub const DEFAULT_BATCH_CHARS: usize = 4000;

impl Default for Options {
    fn default() -> Self {
        Options {
            source_lang: "zh-CN".into(),
            target_lang: "en".into(),
            concurrency: 0,
            batch_chars: 0,
            rpm: None,
            tpm: None,
            max_attempts: 6,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            repair: true,
            fuzzy: DEFAULT_FUZZY,
            servers: None,
            deadline: None,
            idle_deadline: Some(DEFAULT_IDLE_DEADLINE),
        }
    }
}

/// Receives progress events (the CLI draws a bar; the library never prints).
pub trait Progress: Send + Sync {
    /// Work is known: `segments` in total, of which `cached` are already done.
    fn start(&self, _segments: usize, _cached: usize) {}
    /// `segments` more are answered (and stored).
    fn advance(&self, _segments: usize) {}
    /// A one-line note (a retry, a split).
    fn note(&self, _message: &str) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Rough token estimates for planning (`--dry-run`) and `--tpm`: a Han character is about a
/// token, other text about four characters a token; an English answer about 0.8 tokens per
/// Han character of the source.
pub fn estimate_tokens(text: &str) -> (u64, u64) {
    let (mut han, mut other) = (0u64, 0u64);
    for c in text.chars() {
        if crate::text::is_han(c) {
            han += 1;
        } else {
            other += 1;
        }
    }
    let input = han + other.div_ceil(4);
    let output = (han * 4).div_ceil(5) + other.div_ceil(4);
    (input, output)
}

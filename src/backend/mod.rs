//! Translation backends: one small async trait and its implementations. Each backend knows
//! its own wire format, limits and errors; the pipeline (batching, retries, enforcement, cache)
//! sees only [`Backend`].

pub mod command;
pub mod deepl;
pub mod gloss;
pub mod http;
pub mod libretranslate;
pub mod openai;
pub mod registry;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Terms travel with items; the type is data-model vocabulary, re-exported for clients.
pub use crate::model::TermPair;

/// Context that helps a backend translate an item (sent where the protocol allows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// The article title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The source text of the segment before this batch's first item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// A note for a repair request, e.g. `the previous answer omitted "SCO" for 上合组织`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
}

/// One segment to translate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The segment id (`b12.s3`); the answer must carry the same id.
    pub id: String,
    pub text: String,
    /// Only the glossary terms that occur in this item.
    pub terms: Vec<TermPair>,
}

/// A batch of items sent in one request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub items: Vec<Item>,
    pub context: Context,
    /// Source and target languages (BCP-47), e.g. `zh-CN`, `en`.
    pub source_lang: String,
    pub target_lang: String,
}

/// One translated item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    pub id: String,
    pub text: String,
}

/// Tokens a request consumed, when the API reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// The answer to a batch: one output per item, in the batch's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translation {
    pub outputs: Vec<Output>,
    pub usage: Usage,
}

/// What a backend is and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackendInfo {
    /// The configured name (`openai`, `deepseek`, `gloss` …).
    pub name: String,
    /// The kind of client (`openai`, `deepl`, `libretranslate`, `command`, `gloss`).
    pub kind: String,
    pub model: Option<String>,
    /// Base URL or command line, without secrets; part of the cache key.
    pub endpoint: Option<String>,
    pub max_items: usize,
    pub max_chars: usize,
    /// The backend itself applies glossary terms (DeepL glossaries, gloss engine).
    pub native_terms: bool,
    pub default_concurrency: usize,
    /// Version of the prompt/protocol; part of the cache key.
    pub protocol_version: u32,
}

/// Classified backend failures. Messages name the backend and the setting to fix, and never
/// contain an API key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BackendError {
    #[error("{backend}: authentication failed ({detail}); check {setting}")]
    Auth {
        backend: String,
        detail: String,
        setting: String,
    },
    #[error("{backend}: quota exhausted ({detail})")]
    Quota { backend: String, detail: String },
    /// HTTP 429. `whole_quota`: the server says a whole limit is used up until `retry_after`
    /// (`x-ratelimit-remaining-requests` or `-tokens` is 0), so no request can pass before;
    /// otherwise the delay is this request's.
    #[error("{backend}: rate limited{}", retry_after.map(|d| format!(", retry after {:.1}s", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        backend: String,
        retry_after: Option<Duration>,
        whole_quota: bool,
    },
    #[error("{backend}: transient failure: {detail}")]
    Transient { backend: String, detail: String },
    /// The server could not be reached: connection refused, unknown host, TLS failure.
    #[error("{backend}: cannot reach the server: {detail}")]
    Unreachable { backend: String, detail: String },
    /// No answer within the request timeout.
    #[error("{backend}: no answer within {}s", after.as_secs_f64())]
    TimedOut { backend: String, after: Duration },
    /// An answer that is not from an API of this kind: an HTML page or another non-JSON
    /// content type (a captive portal, a wrong base URL).
    #[error("{backend}: not an API answer: {detail}")]
    NotApi { backend: String, detail: String },
    /// An HTTP 400 (or another 4xx without a meaning of its own) that is not about the
    /// answer format: the request itself is refused.
    #[error("{backend}: request refused: {detail}")]
    Refused { backend: String, detail: String },
    /// The run's first requests all failed the same way: the server is dead or not the one
    /// meant, and more requests would fail too.
    #[error(
        "{backend}: stopped after the first {requests} requests all failed the same way ({cause}); check {url}"
    )]
    Unusable {
        backend: String,
        requests: usize,
        cause: String,
        url: String,
    },
    #[error("{backend}: bad response: {detail}")]
    BadResponse { backend: String, detail: String },
    /// The answer was readable but its ids were wrong (missing, unknown or repeated): the
    /// pipeline splits the batch rather than asking again (see [`order_by_id`]).
    #[error("{backend}: answer ids do not match the batch: {detail}")]
    IdMismatch { backend: String, detail: String },
    #[error("{backend}: configuration: {detail}")]
    Config { backend: String, detail: String },
}

impl BackendError {
    /// Whether the pipeline may retry the same request.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            BackendError::RateLimited { .. }
                | BackendError::Transient { .. }
                | BackendError::Unreachable { .. }
                | BackendError::TimedOut { .. }
        )
    }

    /// The class of failure the run's circuit breaker watches: one that, when every first
    /// request of a run shows it, no later request will escape (`None` for the others).
    pub fn dead_server_class(&self) -> Option<&'static str> {
        Some(match self {
            BackendError::Unreachable { .. } => "unreachable",
            BackendError::TimedOut { .. } => "timed out",
            BackendError::NotApi { .. } => "not an API",
            BackendError::Refused { .. } => "refused",
            _ => return None,
        })
    }

    /// The message without the leading backend name.
    pub fn cause(&self) -> String {
        let text = self.to_string();
        let backend = match self {
            BackendError::Auth { backend, .. }
            | BackendError::Quota { backend, .. }
            | BackendError::RateLimited { backend, .. }
            | BackendError::Transient { backend, .. }
            | BackendError::Unreachable { backend, .. }
            | BackendError::TimedOut { backend, .. }
            | BackendError::NotApi { backend, .. }
            | BackendError::Refused { backend, .. }
            | BackendError::Unusable { backend, .. }
            | BackendError::BadResponse { backend, .. }
            | BackendError::IdMismatch { backend, .. }
            | BackendError::Config { backend, .. } => backend,
        };
        text.strip_prefix(&format!("{backend}: "))
            .map_or_else(|| text.clone(), str::to_string)
    }

    /// Whether the answer was readable but its ids were wrong (missing, unknown or repeated):
    /// the batch is then split. An unreadable answer is more likely a passing fault.
    pub fn is_id_mismatch(&self) -> bool {
        matches!(self, BackendError::IdMismatch { .. })
    }

    /// Whether the whole run must stop (no other request can succeed either).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            BackendError::Auth { .. }
                | BackendError::Quota { .. }
                | BackendError::Config { .. }
                | BackendError::Unusable { .. }
        )
    }
}

/// A translation engine.
#[async_trait]
pub trait Backend: Send + Sync {
    fn info(&self) -> BackendInfo;

    /// Translates a batch; on success returns exactly one output per item, in item order
    /// (implementations restore the order by id and report missing or extra ids as
    /// [`BackendError::IdMismatch`]).
    async fn translate(&self, batch: &Batch) -> Result<Translation, BackendError>;

    /// What the backend learned about its server that is worth keeping between runs, as a
    /// short word (the OpenAI-compatible response-format verdict); `None` when nothing. The
    /// pipeline stores it per server and model (see `pipeline::servers`).
    fn learned(&self) -> Option<String> {
        None
    }

    /// Takes what an earlier run learned ([`Backend::learned`]); unknown words are ignored.
    fn adopt_learned(&self, _learned: &str) {}
}

/// Puts `outputs` into the order of `batch`'s items by id. Missing, duplicated or unknown ids
/// are an [`BackendError::IdMismatch`]: an answer is never shifted into place.
pub fn order_by_id(
    backend: &str,
    batch: &Batch,
    outputs: Vec<Output>,
) -> Result<Vec<Output>, BackendError> {
    use std::collections::HashMap;
    let bad = |detail: String| BackendError::IdMismatch {
        backend: backend.to_string(),
        detail,
    };
    let mut by_id: HashMap<String, Output> = HashMap::with_capacity(outputs.len());
    for output in outputs {
        if !batch.items.iter().any(|item| item.id == output.id) {
            return Err(bad(format!("unknown id {:?} in answer", output.id)));
        }
        if by_id.contains_key(&output.id) {
            return Err(bad(format!("id {:?} answered twice", output.id)));
        }
        by_id.insert(output.id.clone(), output);
    }
    let missing: Vec<&str> = batch
        .items
        .iter()
        .filter(|item| !by_id.contains_key(&item.id))
        .map(|item| item.id.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(bad(format!(
            "missing ids in answer: {}",
            missing.join(", ")
        )));
    }
    Ok(batch
        .items
        .iter()
        .map(|item| by_id.remove(&item.id).expect("checked above"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(ids: &[&str]) -> Batch {
        Batch {
            items: ids
                .iter()
                .map(|id| Item {
                    id: id.to_string(),
                    text: format!("text {id}"),
                    terms: vec![],
                })
                .collect(),
            ..Batch::default()
        }
    }

    fn out(id: &str) -> Output {
        Output {
            id: id.into(),
            text: format!("out {id}"),
        }
    }

    #[test]
    fn order_restored_by_id() {
        let b = batch(&["b1.s1", "b1.s2", "b2.s1"]);
        let got = order_by_id("t", &b, vec![out("b2.s1"), out("b1.s1"), out("b1.s2")]).unwrap();
        let ids: Vec<_> = got.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["b1.s1", "b1.s2", "b2.s1"]);
    }

    #[test]
    fn missing_extra_and_duplicate_ids_are_bad_responses() {
        let b = batch(&["b1.s1", "b1.s2"]);
        let missing = order_by_id("t", &b, vec![out("b1.s1")]).unwrap_err();
        assert!(missing.to_string().contains("missing ids in answer: b1.s2"));
        assert!(missing.is_id_mismatch());
        let extra = order_by_id("t", &b, vec![out("b1.s1"), out("b1.s2"), out("b9.s9")]);
        assert!(matches!(extra, Err(BackendError::IdMismatch { .. })));
        let twice = order_by_id("t", &b, vec![out("b1.s1"), out("b1.s1")]);
        assert!(matches!(twice, Err(BackendError::IdMismatch { .. })));
        assert!(extra.unwrap_err().is_id_mismatch() && twice.unwrap_err().is_id_mismatch());
        let junk = BackendError::BadResponse {
            backend: "t".into(),
            detail: "no {\"translations\":[…]} object in the answer".into(),
        };
        assert!(!junk.is_id_mismatch());
    }
}

//! Collecting: output lines (OpenAI's output and error files, or what `vllm run-batch`
//! writes) into the memory.
//!
//! Each line's `response.body` is read by the interactive client's own parser and id check
//! ([`OpenAiBackend::parse_completion`]) against the segments its `custom_id` was planned
//! for, so an answer is never shifted onto another segment. A line whose `custom_id` is
//! unknown or occurs more than once, or whose body is not the expected answer, is ignored
//! with a warning: its segments stay misses and are requested again. Answers go into the
//! memory unchecked, so the translate run checks them against the glossary and repairs them
//! like any other answer.

use super::BatchError;
use super::lines::OutputLine;
use super::store::MapLine;
use crate::backend::openai::OpenAiBackend;
use crate::backend::{Batch, Item};
use crate::cache::{Cache, CacheKey, Entry};
use crate::pipeline::share_usage;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Warnings kept in full; the rest are counted.
const MAX_WARNINGS: usize = 20;
/// Lines per memory commit.
const COMMIT_EVERY: usize = 500;

/// What one result file gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    /// Lines read.
    pub lines: usize,
    /// Requests answered and stored (their `custom_id`s).
    pub answered: HashSet<String>,
    /// Segments stored in the memory.
    pub stored: usize,
    /// Lines the provider marked failed (an `error`, or a status other than 200).
    pub failed: usize,
    /// Lines ignored: unknown or repeated `custom_id`, unreadable line or answer.
    pub ignored: usize,
    pub warnings: Vec<String>,
}

impl Collected {
    fn warn(&mut self, message: String) {
        self.ignored += 1;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message);
        }
    }

    /// Adds another file's figures.
    pub fn merge(&mut self, other: Collected) {
        self.lines += other.lines;
        self.answered.extend(other.answered);
        self.stored += other.stored;
        self.failed += other.failed;
        self.ignored += other.ignored;
        for w in other.warnings {
            if self.warnings.len() < MAX_WARNINGS {
                self.warnings.push(w);
            }
        }
    }
}

/// Reads the result file at `path` (named `label` in warnings) into `cache`. `requests`
/// maps each `custom_id` to the segments it was planned for.
pub fn collect_file(
    backend: &OpenAiBackend,
    cache: &Cache,
    requests: &HashMap<String, MapLine>,
    path: &Path,
    label: &str,
) -> Result<Collected, BatchError> {
    let open = || {
        std::fs::File::open(path)
            .map(BufReader::new)
            .map_err(|e| BatchError::io(path, e))
    };
    // First pass: how often each custom_id occurs (a repeated one cannot be trusted).
    #[derive(serde::Deserialize)]
    struct IdOnly {
        custom_id: String,
    }
    let mut occurrences: HashMap<String, u32> = HashMap::new();
    for line in open()?.lines() {
        let line = line.map_err(|e| BatchError::io(path, e))?;
        if let Ok(IdOnly { custom_id }) = serde_json::from_str(&line) {
            *occurrences.entry(custom_id).or_default() += 1;
        }
    }
    let mut out = Collected::default();
    let mut pending: Vec<(CacheKey, Entry)> = Vec::new();
    let mut pending_lines = 0;
    let info = crate::backend::Backend::info(backend);
    let time = crate::model::now_rfc3339();
    for (n, line) in open()?.lines().enumerate() {
        let line = line.map_err(|e| BatchError::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        out.lines += 1;
        let at = format!("{label}:{}", n + 1);
        let output: OutputLine = match serde_json::from_str(&line) {
            Ok(output) => output,
            Err(e) => {
                out.warn(format!("{at}: not a batch output line ({e}); ignored"));
                continue;
            }
        };
        let id = &output.custom_id;
        let Some(request) = requests.get(id) else {
            out.warn(format!("{at}: unknown custom_id {id:?}; ignored"));
            continue;
        };
        let times = occurrences.get(id).copied().unwrap_or(1);
        if times > 1 {
            out.warn(format!(
                "{at}: custom_id {id:?} occurs {times} times; ignored, its request is retried"
            ));
            continue;
        }
        let response = match (&output.error, &output.response) {
            (None | Some(serde_json::Value::Null), Some(r)) if r.status_code == 200 => r,
            _ => {
                out.failed += 1;
                continue;
            }
        };
        let batch = Batch {
            items: request
                .segments
                .iter()
                .map(|(id, _, _)| Item {
                    id: id.clone(),
                    text: String::new(),
                    terms: Vec::new(),
                })
                .collect(),
            ..Batch::default()
        };
        let body = match &response.body {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let translation = match backend.parse_completion(&batch, &body) {
            Ok(t) => t,
            Err(e) => {
                out.warn(format!(
                    "{at}: custom_id {id:?}: {e}; its request is retried"
                ));
                continue;
            }
        };
        let keys: Vec<CacheKey> = request.keys().collect();
        if keys.len() != request.segments.len() {
            out.warn(format!(
                "{at}: custom_id {id:?}: corrupt map entry; ignored"
            ));
            continue;
        }
        let chars: Vec<usize> = request.segments.iter().map(|s| s.2).collect();
        let shares = share_usage(translation.usage, &chars);
        for ((key, output), usage) in keys.into_iter().zip(translation.outputs).zip(shares) {
            pending.push((
                key,
                Entry {
                    target: output.text,
                    usage,
                    checked: false,
                    // The request map keeps ids and keys, not source texts: such entries are
                    // exact hits but not fuzzy candidates (see docs/batch.md).
                    source: String::new(),
                    source_lang: String::new(),
                    target_lang: String::new(),
                    backend: info.name.clone(),
                    model: info.model.clone(),
                    time: time.clone(),
                },
            ));
        }
        out.answered.insert(id.clone());
        pending_lines += 1;
        if pending_lines >= COMMIT_EVERY {
            out.stored += store_new(cache, &mut pending)?;
            pending_lines = 0;
        }
    }
    out.stored += store_new(cache, &mut pending)?;
    Ok(out)
}

/// Stores the entries whose keys the memory does not hold yet (a collection repeated after
/// a kill never overwrites an answer checked or repaired since). Returns how many.
fn store_new(cache: &Cache, pending: &mut Vec<(CacheKey, Entry)>) -> Result<usize, BatchError> {
    if pending.is_empty() {
        return Ok(0);
    }
    let keys: Vec<CacheKey> = pending.iter().map(|(k, _)| *k).collect();
    let known = cache.get_many(&keys)?;
    let fresh: Vec<(CacheKey, Entry)> = pending
        .drain(..)
        .zip(known)
        .filter(|(_, known)| known.is_none())
        .map(|(entry, _)| entry)
        .collect();
    cache.put_many(&fresh)?;
    Ok(fresh.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Usage;

    #[test]
    fn usage_shares_add_up() {
        let shares = share_usage(
            Usage {
                input_tokens: 101,
                output_tokens: 7,
            },
            &[3, 1, 9],
        );
        assert_eq!(shares.iter().map(|u| u.input_tokens).sum::<u64>(), 101);
        assert_eq!(shares.iter().map(|u| u.output_tokens).sum::<u64>(), 7);
    }
}

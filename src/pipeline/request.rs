//! Sending batches: retries on rate limits and transient failures, splitting a batch whose
//! answer has wrong ids (never shifting an answer into place), and the one repair of an
//! answer that misses glossary terms.

use super::enforce::{self, PlannedTerm};
use super::limits::{Breaker, Signal};
use super::run::{Answer, Provenance, Runner, Stop};
use crate::backend::{BackendError, Batch, Output, TermPair, Usage};
use std::time::Duration;

/// How a request ended after its retries.
pub(super) enum Attempt {
    Ok(Vec<Output>, Usage),
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
    fn batch_of(&self, units: &[usize], instruction: Option<String>) -> Batch {
        self.prepared
            .batch(self.sources, self.options(), units, instruction)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.options().backoff_base;
        let exp = base.saturating_mul(1u32 << attempt.min(16));
        let capped = exp.min(self.options().backoff_max);
        // Jitter: between half and all of the delay.
        capped.mul_f64(0.5 + fastrand::f64() * 0.5)
    }

    /// Sends one batch with retries on rate limits and transient failures.
    async fn request(&self, batch: &Batch) -> Attempt {
        let max_attempts = self.options().max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = {
                let permit = self.limits.admit(batch).await;
                self.count(|r| r.requests += 1);
                let result = self.job.backend.translate(batch).await;
                let signal = match &result {
                    Err(BackendError::RateLimited { .. }) => Signal::RateLimited,
                    Ok(_) => Signal::Success,
                    Err(_) => Signal::Other,
                };
                self.limits.finished(permit, signal);
                result
            };
            if self.breaker.record(result.as_ref().err())
                && let Err(error) = &result
            {
                let info = &self.prepared.info;
                return Attempt::Fatal(BackendError::Unusable {
                    backend: info.name.clone(),
                    requests: Breaker::WATCHED,
                    cause: error.cause(),
                    url: info.endpoint.clone().unwrap_or_default(),
                });
            }
            let error = match result {
                Ok(translation) => {
                    self.answered_now();
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
            if !error.is_retryable() {
                // Unreadable answers, wrong ids, pages that are no API answer, refusals: the
                // caller asks again or splits the batch.
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
                return Attempt::GaveUp(format!("gave up after {attempt} attempts: {error}"));
            }
            let delay = match &error {
                BackendError::RateLimited {
                    retry_after,
                    whole_quota,
                    ..
                } => {
                    // At least Retry-After (and never less than the backoff floor: `0` or no
                    // header is not an invitation to hammer), plus up to 10% and 50 ms of
                    // jitter. Only this request waits, unless the quota is used up or 429s
                    // cluster (then every request not yet sent waits too).
                    let after = retry_after.unwrap_or_default().max(self.backoff(attempt));
                    let jitter = after.mul_f64(fastrand::f64() * 0.1)
                        + Duration::from_millis(fastrand::u64(0..50));
                    let delay = after + jitter;
                    self.limits.rate_limited(delay, *whole_quota);
                    delay
                }
                _ => self.backoff(attempt),
            };
            self.count(|r| r.retries += 1);
            self.note_once(
                error.to_string(),
                format!("{error}; retrying in {:.1}s", delay.as_secs_f64()),
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// Translates a batch; a bad answer splits it in halves, down to single segments. Each
    /// answered part is committed before the next is sent. Returns the units answered.
    pub(super) async fn translate_batch(&self, units: Vec<usize>) -> Result<Vec<usize>, Stop> {
        if let [unit] = units[..]
            && self.prepared.units[unit].chars() > self.budget()
        {
            return self.translate_long(unit).await;
        }
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
                            let text = &self.prepared.units[u].text;
                            let broken =
                                bad_tries == 0 && crate::inline::check(text, &output.text).is_err();
                            if broken {
                                again.push(u);
                            }
                            !broken
                        })
                        .map(|((&u, output), usage)| {
                            let unit = &self.prepared.units[u];
                            let clean = unit.terms.is_empty()
                                || self.job.terms.missing(&output.text, &unit.terms).is_empty();
                            (
                                u,
                                Answer {
                                    target: output.text,
                                    usage,
                                    cached: false,
                                    checked: clean,
                                    from: match unit.examples.first() {
                                        Some(best) => Provenance::Fuzzy(best.percent()),
                                        None => Provenance::Fresh,
                                    },
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
                            "{}: inline placeholders broken; asking again alone",
                            self.prepared.units[u].id
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
                    self.job.progress.note(&format!("{reason}; asking again"));
                    tokio::time::sleep(self.backoff(0)).await;
                    stack.push((part, 1));
                }
                Attempt::Bad { reason, .. } if part.len() > 1 => {
                    self.count(|r| {
                        r.splits += 1;
                        r.retries += 1;
                    });
                    self.job.progress.note(&format!(
                        "{reason}; splitting {} segments in halves",
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

    fn budget(&self) -> usize {
        super::prepare::batch_chars(self.options(), &self.prepared.info)
    }

    /// A segment longer than a request may be: sent in pieces cut after clause marks
    /// (`，；：` and their ASCII forms), one request each, and the translations rejoined; or,
    /// when a clause alone is too long or the pieces would be too many, refused with a
    /// message that says so. Never one huge request.
    async fn translate_long(&self, unit: usize) -> Result<Vec<usize>, Stop> {
        let budget = self.budget();
        let u = &self.prepared.units[unit];
        let chars = u.chars();
        let Some(pieces) = clause_pieces(&u.text, budget) else {
            self.fail(
                &[unit],
                &format!(
                    "segment {} has {chars} characters, more than {budget} per request, and \
                     cannot be cut at clause marks (，；：) into at most {MAX_PIECES} pieces; \
                     split it in the source",
                    u.id
                ),
            );
            return Ok(Vec::new());
        };
        let whole = self.batch_of(&[unit], None);
        let item = &whole.items[0];
        let mut texts = Vec::with_capacity(pieces.len());
        let mut usage = Usage::default();
        for (n, piece) in pieces.iter().enumerate() {
            let mut batch = whole.clone();
            batch.items = vec![crate::backend::Item {
                id: format!("{}.p{}", item.id, n + 1),
                text: piece.clone(),
                terms: item
                    .terms
                    .iter()
                    .filter(|t| piece.contains(&t.source))
                    .cloned()
                    .collect(),
            }];
            match self.request(&batch).await {
                Attempt::Ok(mut outputs, used) => {
                    texts.push(outputs.pop().map(|o| o.text).unwrap_or_default());
                    usage.input_tokens += used.input_tokens;
                    usage.output_tokens += used.output_tokens;
                }
                Attempt::Fatal(error) => return Err(Stop::Fatal(error)),
                Attempt::Bad { reason, .. } | Attempt::GaveUp(reason) => {
                    self.fail(&[unit], &format!("piece {} of {}: {reason}", n + 1, u.id));
                    return Ok(Vec::new());
                }
            }
        }
        let target = texts.join(" ");
        let checked = self.job.terms.missing(&target, &u.terms).is_empty();
        let answer = Answer {
            target,
            usage,
            cached: false,
            checked,
            from: Provenance::Fresh,
        };
        self.commit(vec![(unit, answer)]).await?;
        self.job.progress.advance(self.with_followers(&[unit]));
        Ok(vec![unit])
    }

    /// Re-requests a segment that misses glossary terms, once, with the violation stated.
    /// Keeps the answer that misses fewer terms (the repair on a tie).
    async fn repair(
        &self,
        unit: usize,
        current: Answer,
        missing: Vec<PlannedTerm>,
    ) -> Result<(), Stop> {
        self.count(|r| r.repairs += 1);
        let pairs: Vec<TermPair> = missing.iter().map(|t| t.pair.clone()).collect();
        let batch = self.batch_of(&[unit], Some(enforce::repair_instruction(&pairs)));
        let mut best = current;
        let max_attempts = self.options().max_attempts.max(1);
        let mut tries = 0;
        loop {
            tries += 1;
            match self.request(&batch).await {
                Attempt::Ok(mut outputs, usage) => {
                    let target = outputs.pop().map(|o| o.text).unwrap_or_default();
                    let u = &self.prepared.units[unit];
                    let still = self.job.terms.missing(&target, &u.terms);
                    best.usage.input_tokens += usage.input_tokens;
                    best.usage.output_tokens += usage.output_tokens;
                    best.checked = true;
                    if still.len() <= missing.len() && !target.trim().is_empty() {
                        best.target = target;
                        best.cached = false;
                        if best.from == Provenance::Memory {
                            best.from = Provenance::Fresh;
                        }
                    }
                    break;
                }
                Attempt::Fatal(error) => return Err(Stop::Fatal(error)),
                // A junk answer to a repair is asked again, like any bad answer.
                Attempt::Bad { .. } if tries < max_attempts => {
                    self.count(|r| r.retries += 1);
                    tokio::time::sleep(self.backoff(tries)).await;
                }
                // A repair that never got a readable answer keeps the first answer (flagged
                // later), not marked checked: the next run tries the repair again.
                Attempt::Bad { reason, .. } | Attempt::GaveUp(reason) => {
                    self.job.progress.note(&format!(
                        "repair of {}: {reason}",
                        self.prepared.units[unit].id
                    ));
                    break;
                }
            }
        }
        self.commit(vec![(unit, best)]).await?;
        Ok(())
    }

    /// Repairs the answered units whose answers miss terms.
    pub(super) async fn enforce(&self, units: &[usize]) -> Result<(), Stop> {
        if !self.options().repair {
            return Ok(());
        }
        let mut repairs = Vec::new();
        for &u in units {
            let Some(answer) = self.unchecked_answer(u) else {
                continue;
            };
            let unit = &self.prepared.units[u];
            let missing = self.job.terms.missing(&answer.target, &unit.terms);
            if !missing.is_empty() {
                repairs.push(self.repair(u, answer, missing));
            }
        }
        // Side by side; the semaphore still bounds the requests in flight.
        futures::future::try_join_all(repairs).await?;
        Ok(())
    }
}

/// Most pieces a long segment is sent in before it is refused instead.
pub const MAX_PIECES: usize = 50;

/// Cuts `text` after clause marks into pieces of at most `budget` characters (as few as the
/// marks allow); `None` when one clause is longer than that or more than [`MAX_PIECES`]
/// pieces would be needed.
pub fn clause_pieces(text: &str, budget: usize) -> Option<Vec<String>> {
    let mut clauses = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '，' | '；' | '：' | ',' | ';' | ':') {
            let end = i + c.len_utf8();
            clauses.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        clauses.push(&text[start..]);
    }
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_chars = 0;
    for clause in clauses {
        let n = clause.chars().count();
        if n > budget {
            return None;
        }
        if current_chars + n > budget {
            pieces.push(std::mem::take(&mut current));
            current_chars = 0;
            if pieces.len() >= MAX_PIECES {
                return None;
            }
        }
        current.push_str(clause);
        current_chars += n;
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    (pieces.len() <= MAX_PIECES).then_some(pieces)
}

/// Splits a request's usage among its items in proportion to their length.
pub fn split_usage(usage: Usage, batch: &Batch) -> Vec<Usage> {
    let chars: Vec<usize> = batch.items.iter().map(|i| i.text.chars().count()).collect();
    share_usage(usage, &chars)
}

/// A request's usage shared among its segments in proportion to their length in characters
/// (the interactive path and Batch API collection share this one rule).
pub fn share_usage(usage: Usage, chars: &[usize]) -> Vec<Usage> {
    let weights: Vec<u64> = chars.iter().map(|&c| c as u64 + 1).collect();
    let total: u64 = weights.iter().sum::<u64>().max(1);
    let mut out: Vec<Usage> = weights
        .iter()
        .map(|&w| Usage {
            input_tokens: usage.input_tokens * w / total,
            output_tokens: usage.output_tokens * w / total,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Item;

    #[test]
    fn long_segments_are_cut_at_clause_marks_or_refused() {
        let text = "第一句很长，第二句也很长；第三句：最后一句。";
        let pieces = clause_pieces(text, 9).unwrap();
        assert_eq!(pieces.concat(), text);
        assert!(pieces.iter().all(|p| p.chars().count() <= 9), "{pieces:?}");
        assert_eq!(pieces.len(), 3, "{pieces:?}");
        // A clause longer than the budget cannot be cut.
        assert_eq!(clause_pieces("一二三四五六七八九十，好。", 5), None);
        // Too many pieces: refused rather than thousands of requests.
        let huge = "很长的一句，".repeat(MAX_PIECES * 2);
        assert_eq!(clause_pieces(&huge, 6), None);
    }

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

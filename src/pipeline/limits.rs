//! Limits and gates of a run: requests in flight (adaptive after 429s), the Retry-After
//! gate (closed only when a whole quota is used up or 429s cluster), the `--rpm` / `--tpm`
//! rate limiters, and the circuit breaker that stops a run whose first requests all fail the
//! same way.

use super::dry_run::REQUEST_OVERHEAD_TOKENS;
use super::{Options, estimate_tokens};
use crate::backend::{BackendError, Batch};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// What stands between a request and the server.
pub(super) struct Limits {
    permits: Semaphore,
    /// Adaptive concurrency: after a 429 the number of requests in flight is halved (permits
    /// are retired as requests finish), and it grows back by one after as many successes as
    /// the current limit, up to the configured concurrency.
    adaptive: Mutex<AdaptiveLimit>,
    /// No request starts before this instant: set by a 429 that says a whole quota is used
    /// up, or by 429s that cluster (see [`Limits::rate_limited`]). An isolated 429 delays only
    /// its own request.
    not_before: Mutex<Option<tokio::time::Instant>>,
    /// When the recent 429s were read (for [`Limits::rate_limited`]).
    recent_429s: Mutex<Vec<std::time::Instant>>,
    rpm: Option<DefaultDirectRateLimiter>,
    tpm: Option<(DefaultDirectRateLimiter, u32)>,
}

/// How a request ended, as far as the limits care.
pub(super) enum Signal {
    Success,
    RateLimited,
    Other,
}

impl Limits {
    pub(super) fn new(concurrency: usize, options: &Options) -> Limits {
        // Requests are spaced evenly (no burst); tokens may come in bursts up to a minute's
        // worth.
        let spaced = |n: u32| {
            NonZeroU32::new(n).map(|n| {
                let one = NonZeroU32::new(1).expect("1 is not zero");
                RateLimiter::direct(Quota::per_minute(n).allow_burst(one))
            })
        };
        let minute = |n: u32| NonZeroU32::new(n).map(|n| RateLimiter::direct(Quota::per_minute(n)));
        Limits {
            permits: Semaphore::new(concurrency),
            adaptive: Mutex::new(AdaptiveLimit::new(concurrency)),
            not_before: Mutex::new(None),
            recent_429s: Mutex::new(Vec::new()),
            rpm: options.rpm.and_then(spaced),
            tpm: options.tpm.and_then(|n| minute(n).map(|l| (l, n))),
        }
    }

    /// Waits until `batch` may be sent: the gate, the rate limiters, a permit, and the gate
    /// again (it may have closed while the request queued for a permit: a Retry-After applies
    /// to every request not yet sent).
    pub(super) async fn admit(&self, batch: &Batch) -> SemaphorePermit<'_> {
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
            let n =
                NonZeroU32::new((tokens.min(u64::from(*cap)) as u32).max(1)).expect("at least 1");
            let _ = limiter.until_n_ready(n).await;
        }
        let permit = self
            .permits
            .acquire()
            .await
            .expect("semaphore never closed");
        self.wait_gate().await;
        permit
    }

    /// A request is done: adapts the concurrency and releases (or retires) its permit.
    pub(super) fn finished(&self, permit: SemaphorePermit<'_>, signal: Signal) {
        let mut limit = self.adaptive.lock().expect("limit lock");
        match signal {
            Signal::RateLimited => limit.cut(std::time::Instant::now()),
            Signal::Success => {
                let add = limit.grow();
                self.permits.add_permits(add);
            }
            Signal::Other => {}
        }
        if limit.retire() {
            permit.forget();
        }
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

    /// A 429 was read that asks for `delay`: whether every request not yet sent waits too.
    /// Yes when the server says a whole quota is used up, or when 429s cluster (as many in
    /// the last second as half the requests allowed in flight, at least 3): the server is
    /// saturated, not unlucky with one request. Otherwise only the limited request waits (and
    /// the concurrency is halved, see [`AdaptiveLimit`]).
    pub(super) fn rate_limited(&self, delay: Duration, whole_quota: bool) -> bool {
        let now = std::time::Instant::now();
        let clustered = {
            let mut recent = self.recent_429s.lock().expect("429 lock");
            recent.retain(|t| now.duration_since(*t) < Duration::from_secs(1));
            recent.push(now);
            let max = self.adaptive.lock().expect("limit lock").max;
            recent.len() >= (max / 2).max(3)
        };
        if whole_quota || clustered {
            self.close_gate_for(delay);
            true
        } else {
            false
        }
    }

    /// Holds every request not yet sent for `delay`.
    fn close_gate_for(&self, delay: Duration) {
        let until = tokio::time::Instant::now() + delay;
        let mut gate = self.not_before.lock().expect("gate lock");
        if gate.is_none_or(|t| t < until) {
            *gate = Some(until);
        }
    }
}

/// The circuit breaker: when the run's first [`Breaker::WATCHED`] requests all fail with
/// the same dead-server class ([`BackendError::dead_server_class`]: unreachable, timed out,
/// not an API answer, refused), the run stops instead of retrying and splitting batches. Any
/// other outcome among the first requests disarms it: a server that answered once is judged
/// request by request.
pub(super) struct Breaker {
    state: Mutex<BreakerState>,
}

#[derive(Default)]
struct BreakerState {
    failures: usize,
    class: Option<&'static str>,
    disarmed: bool,
}

impl Breaker {
    pub(super) const WATCHED: usize = 3;

    pub(super) fn new() -> Breaker {
        Breaker {
            state: Mutex::new(BreakerState::default()),
        }
    }

    /// Records a request's outcome (`None`: it succeeded). Returns true when this failure
    /// trips the breaker.
    pub(super) fn record(&self, error: Option<&BackendError>) -> bool {
        let mut state = self.state.lock().expect("breaker lock");
        if state.disarmed {
            return false;
        }
        let class = error.and_then(BackendError::dead_server_class);
        match class {
            Some(class) if state.class.is_none_or(|c| c == class) => {
                state.class = Some(class);
                state.failures += 1;
                if state.failures >= Self::WATCHED {
                    state.disarmed = true;
                    return true;
                }
                false
            }
            _ => {
                state.disarmed = true;
                false
            }
        }
    }
}

/// The state of the adaptive concurrency limit (see `Limits::adaptive`).
#[derive(Debug)]
pub(super) struct AdaptiveLimit {
    max: usize,
    current: usize,
    /// Permits still to retire when requests finish.
    debt: usize,
    successes: usize,
    last_cut: Option<std::time::Instant>,
}

impl AdaptiveLimit {
    pub(super) fn new(max: usize) -> Self {
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

#[cfg(test)]
mod tests {
    use super::{AdaptiveLimit, Breaker};
    use crate::backend::BackendError;

    fn refused() -> BackendError {
        BackendError::Unreachable {
            backend: "t".into(),
            detail: "connection refused".into(),
        }
    }

    #[test]
    fn only_a_used_up_quota_or_clustered_429s_hold_every_request() {
        let limits = super::Limits::new(8, &crate::pipeline::Options::default());
        let second = std::time::Duration::from_secs(1);
        assert!(!limits.rate_limited(second, false), "an isolated 429");
        assert!(limits.rate_limited(second, true), "the whole quota");
        let limits = super::Limits::new(8, &crate::pipeline::Options::default());
        assert!(!limits.rate_limited(second, false));
        assert!(!limits.rate_limited(second, false));
        assert!(!limits.rate_limited(second, false));
        assert!(
            limits.rate_limited(second, false),
            "four 429s in a second at 8 permits"
        );
    }

    #[test]
    fn breaker_trips_on_three_same_dead_server_failures_only() {
        let breaker = Breaker::new();
        assert!(!breaker.record(Some(&refused())));
        assert!(!breaker.record(Some(&refused())));
        assert!(breaker.record(Some(&refused())));
        assert!(!breaker.record(Some(&refused())), "trips once");

        // A success among the first requests disarms it.
        let breaker = Breaker::new();
        assert!(!breaker.record(Some(&refused())));
        assert!(!breaker.record(None));
        assert!(!breaker.record(Some(&refused())));
        assert!(!breaker.record(Some(&refused())));
        assert!(!breaker.record(Some(&refused())));

        // Different failures, or passing ones (a 500), do not trip it.
        let breaker = Breaker::new();
        let timeout = BackendError::TimedOut {
            backend: "t".into(),
            after: std::time::Duration::from_secs(1),
        };
        let transient = BackendError::Transient {
            backend: "t".into(),
            detail: "HTTP 500".into(),
        };
        assert!(!breaker.record(Some(&refused())));
        assert!(!breaker.record(Some(&timeout)));
        assert!(!breaker.record(Some(&refused())));
        let breaker = Breaker::new();
        assert!(!breaker.record(Some(&transient)));
        for _ in 0..5 {
            assert!(!breaker.record(Some(&timeout)));
        }
    }

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

//! Limits and gates of a run: requests in flight (adaptive after 429s), Retry-After gates,
//! and the `--rpm` / `--tpm` rate limiters.

use super::dry_run::REQUEST_OVERHEAD_TOKENS;
use super::{Options, estimate_tokens};
use crate::backend::Batch;
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
    /// No request starts before this instant (set by a 429's Retry-After).
    not_before: Mutex<Option<tokio::time::Instant>>,
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

    /// Holds every request not yet sent for `delay`.
    pub(super) fn close_gate_for(&self, delay: Duration) {
        let until = tokio::time::Instant::now() + delay;
        let mut gate = self.not_before.lock().expect("gate lock");
        if gate.is_none_or(|t| t < until) {
            *gate = Some(until);
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

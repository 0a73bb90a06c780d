//! Submissions per client address: a client may send `per_minute` submissions at once
//! and then `per_minute` per minute (GCRA, `governor`); beyond that it gets 429 with
//! `Retry-After`, and nothing is stored. The default (600/min) lets a whole classroom
//! behind one school NAT address submit in the same minute while stopping a script
//! flooding the survey. 0 turns the limit off.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

pub const DEFAULT_PER_MINUTE: u32 = crate::config::DEFAULT_SUBMIT_RATE;

/// Addresses remembered before the ones whose allowance is full again are forgotten.
const MAX_CLIENTS: usize = 100_000;

type Keyed<C> =
    RateLimiter<IpAddr, DashMapStateStore<IpAddr>, C, NoOpMiddleware<<C as Clock>::Instant>>;

#[derive(Clone)]
pub struct SubmitLimiter<C: Clock = DefaultClock> {
    limiter: Option<Arc<Keyed<C>>>,
    clock: C,
}

impl Default for SubmitLimiter {
    fn default() -> Self {
        Self::new(DEFAULT_PER_MINUTE)
    }
}

impl SubmitLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock + Clone> SubmitLimiter<C> {
    fn with_clock(per_minute: u32, clock: C) -> Self {
        let limiter = NonZeroU32::new(per_minute).map(|n| {
            Arc::new(RateLimiter::dashmap_with_clock(
                Quota::per_minute(n),
                clock.clone(),
            ))
        });
        SubmitLimiter { limiter, clock }
    }

    /// Takes one submission from `ip`'s allowance, or says how many seconds to wait.
    pub fn take(&self, ip: IpAddr) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if limiter.len() > MAX_CLIENTS {
            limiter.retain_recent();
        }
        limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            (wait.as_secs_f64().ceil() as u64).max(1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    #[test]
    fn burst_then_refill_per_client() {
        let clock = FakeRelativeClock::default();
        let l = SubmitLimiter::with_clock(60, clock.clone());
        let (a, b): (IpAddr, IpAddr) = (
            "1.1.1.1".parse().expect("ip"),
            "2.2.2.2".parse().expect("ip"),
        );
        for _ in 0..60 {
            assert_eq!(l.take(a), Ok(()));
        }
        assert_eq!(l.take(a), Err(1), "61st at once waits a second");
        assert_eq!(l.take(b), Ok(()), "another client is not affected");
        clock.advance(Duration::from_millis(1000));
        assert_eq!(l.take(a), Ok(()));
        assert!(l.take(a).is_err());
        let slow = SubmitLimiter::with_clock(6, clock.clone());
        for _ in 0..6 {
            assert_eq!(slow.take(a), Ok(()));
        }
        assert_eq!(slow.take(a), Err(10), "6 a minute: the next in 10 s");
        assert_eq!(SubmitLimiter::new(0).take(a), Ok(()), "0 = off");
    }
}

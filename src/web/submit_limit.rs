//! Submissions per client address (token bucket): a client may send `per_minute`
//! submissions at once and then `per_minute` per minute; beyond that it gets 429 with
//! `Retry-After`, and nothing is stored. The default (600/min) lets a whole classroom
//! behind one school NAT address submit in the same minute while stopping a script
//! flooding the survey. 0 turns the limit off.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub const DEFAULT_PER_MINUTE: u32 = crate::config::DEFAULT_SUBMIT_RATE;

#[derive(Clone)]
pub struct SubmitLimiter {
    per_minute: u32,
    buckets: Arc<Mutex<HashMap<IpAddr, (f64, Instant)>>>,
}

impl Default for SubmitLimiter {
    fn default() -> Self {
        Self::new(DEFAULT_PER_MINUTE)
    }
}

impl SubmitLimiter {
    pub fn new(per_minute: u32) -> Self {
        SubmitLimiter {
            per_minute,
            buckets: Arc::default(),
        }
    }

    /// Takes one submission from `ip`'s allowance, or says how many seconds to wait.
    pub fn take(&self, ip: IpAddr) -> Result<(), u64> {
        self.take_at(ip, Instant::now())
    }

    fn take_at(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let cap = f64::from(self.per_minute);
        let per_sec = cap / 60.0;
        let Ok(mut map) = self.buckets.lock() else {
            return Ok(());
        };
        if map.len() > 100_000 {
            // Full buckets carry no information.
            map.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * per_sec < cap
            });
        }
        let (tokens, at) = map.entry(ip).or_insert((cap, now));
        *tokens = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * per_sec).min(cap);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / per_sec).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill_per_client() {
        let l = SubmitLimiter::new(60);
        let (a, b): (IpAddr, IpAddr) = (
            "1.1.1.1".parse().expect("ip"),
            "2.2.2.2".parse().expect("ip"),
        );
        let t0 = Instant::now();
        for _ in 0..60 {
            assert_eq!(l.take_at(a, t0), Ok(()));
        }
        assert_eq!(l.take_at(a, t0), Err(1), "61st at once waits a second");
        assert_eq!(l.take_at(b, t0), Ok(()), "another client is not affected");
        assert_eq!(l.take_at(a, t0 + Duration::from_millis(1000)), Ok(()));
        assert!(l.take_at(a, t0 + Duration::from_millis(1000)).is_err());
        assert_eq!(SubmitLimiter::new(0).take_at(a, t0), Ok(()), "0 = off");
    }
}

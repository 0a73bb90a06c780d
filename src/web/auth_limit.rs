//! Repeated wrong evaluator tokens from one address are refused for a while (429 with
//! `Retry-After`), so the token cannot be guessed by brute force. Missing tokens do not
//! count; a success clears the address's record.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Wrong tokens allowed per address within `WINDOW`.
pub const MAX_FAILURES: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(300);

#[derive(Clone, Default)]
pub struct AuthLimiter {
    failures: Arc<Mutex<HashMap<IpAddr, (u32, Instant)>>>,
}

impl AuthLimiter {
    /// Seconds to wait when `ip` is locked out.
    pub fn blocked(&self, ip: IpAddr) -> Option<u64> {
        let map = self.failures.lock().ok()?;
        let (n, since) = map.get(&ip)?;
        let left = WINDOW.checked_sub(since.elapsed())?;
        (*n >= MAX_FAILURES).then(|| left.as_secs().max(1))
    }

    pub fn failed(&self, ip: IpAddr) {
        if let Ok(mut map) = self.failures.lock() {
            if map.len() > 100_000 {
                map.retain(|_, (_, t)| t.elapsed() < WINDOW);
            }
            let e = map.entry(ip).or_insert((0, Instant::now()));
            if e.1.elapsed() >= WINDOW {
                *e = (0, Instant::now());
            }
            e.0 += 1;
        }
    }

    pub fn succeeded(&self, ip: IpAddr) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_unlocks_on_success() {
        let l = AuthLimiter::default();
        let ip: IpAddr = "10.0.0.7".parse().expect("ip");
        let other: IpAddr = "10.0.0.8".parse().expect("ip");
        for _ in 0..MAX_FAILURES - 1 {
            l.failed(ip);
        }
        assert!(l.blocked(ip).is_none());
        l.failed(ip);
        assert!(l
            .blocked(ip)
            .is_some_and(|s| s > 0 && s <= WINDOW.as_secs()));
        assert!(
            l.blocked(other).is_none(),
            "other addresses are not affected"
        );
        l.succeeded(ip);
        assert!(l.blocked(ip).is_none());
    }
}

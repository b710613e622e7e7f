//! Sliding-window rate limiting keyed by credential, on the virtual clock. A fixed number of
//! requests per sliding window is what the vendors document (OFR: 30 per 10 minutes), so the
//! limiter keeps the timestamps of the requests inside the window rather than a token bucket.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use http::{HeaderMap, HeaderValue};

/// `limit` requests per `window_secs` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub window_secs: u32,
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.limit, self.window_secs)
    }
}

impl FromStr for Quota {
    type Err = String;

    /// Parses `LIMIT/SECONDS`, e.g. `30/600`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad =
            || format!("`{s}` is not a rate limit: expected LIMIT/SECONDS such as 30/600, or off");
        let (limit, window) = s.split_once('/').ok_or_else(bad)?;
        let limit: u32 = limit.trim().parse().map_err(|_| bad())?;
        let window_secs: u32 = window.trim().parse().map_err(|_| bad())?;
        if limit == 0 || window_secs == 0 {
            return Err(bad());
        }
        Ok(Self { limit, window_secs })
    }
}

/// Parses a rate-limit setting: `LIMIT/SECONDS`, or `off` for none.
pub fn parse_setting(s: &str) -> Result<Option<Quota>, String> {
    if s.eq_ignore_ascii_case("off") {
        Ok(None)
    } else {
        s.parse().map(Some)
    }
}

/// The outcome of one check, with what the `X-RateLimit-*` headers report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the oldest request in the window leaves it (a slot frees).
    pub reset_secs: u64,
    /// For a refused request: seconds to wait before a slot is free.
    pub retry_after_secs: Option<u64>,
}

impl Decision {
    /// Adds `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (seconds from now)
    /// and, on a refusal, `Retry-After`.
    pub fn apply_headers(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset_secs));
        if let Some(secs) = self.retry_after_secs {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
}

/// Checks between two sweeps of idle keys.
const SWEEP_EVERY: u32 = 1024;

#[derive(Debug, Default)]
struct Windows {
    by_key: HashMap<String, VecDeque<DateTime<Utc>>>,
    checks_since_sweep: u32,
}

/// A keyed sliding-window limiter. Cloning shares the windows.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    quota: Quota,
    windows: Arc<Mutex<Windows>>,
}

fn ceil_secs(delta: TimeDelta) -> u64 {
    let ms = delta.num_milliseconds().max(0) as u64;
    ms.div_ceil(1000)
}

impl RateLimiter {
    pub fn new(quota: Quota) -> Self {
        Self {
            quota,
            windows: Arc::default(),
        }
    }

    pub fn quota(&self) -> Quota {
        self.quota
    }

    /// Counts a request for `key` at `now` if the window has room; a refused request does not count.
    pub fn check(&self, key: impl Into<String>, now: DateTime<Utc>) -> Decision {
        let window = TimeDelta::seconds(i64::from(self.quota.window_secs));
        let limit = self.quota.limit;
        let mut windows = self.lock();
        windows.checks_since_sweep += 1;
        if windows.checks_since_sweep >= SWEEP_EVERY {
            windows.checks_since_sweep = 0;
            windows
                .by_key
                .retain(|_, times| times.back().is_some_and(|last| *last + window > now));
        }
        let times = windows.by_key.entry(key.into()).or_default();
        while times.front().is_some_and(|t| *t + window <= now) {
            times.pop_front();
        }
        let allowed = (times.len() as u64) < u64::from(limit);
        if allowed {
            times.push_back(now);
        }
        let reset_secs = times
            .front()
            .map_or(0, |oldest| ceil_secs(*oldest + window - now));
        Decision {
            allowed,
            limit,
            remaining: limit.saturating_sub(times.len() as u32),
            reset_secs,
            retry_after_secs: (!allowed).then_some(reset_secs.max(1)),
        }
    }

    /// How many keys currently hold a window; for tests of the pruning.
    #[cfg(test)]
    fn tracked_keys(&self) -> usize {
        self.lock().by_key.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        // Each check leaves the map consistent before it can panic; keep serving after a poison.
        self.windows.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn t0() -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    #[rstest]
    #[case("30/600", Ok(Some(Quota { limit: 30, window_secs: 600 })))]
    #[case("off", Ok(None))]
    #[case("OFF", Ok(None))]
    #[case("30", Err(()))]
    #[case("0/600", Err(()))]
    #[case("30/0", Err(()))]
    #[case("a/b", Err(()))]
    fn settings_parse(#[case] input: &str, #[case] expected: Result<Option<Quota>, ()>) {
        assert_eq!(parse_setting(input).map_err(|_| ()), expected);
    }

    #[test]
    fn the_request_after_the_limit_is_refused_until_a_slot_frees() {
        let limiter = RateLimiter::new(Quota {
            limit: 3,
            window_secs: 600,
        });
        for i in 0..3 {
            let d = limiter.check("client", t0() + TimeDelta::seconds(i * 10));
            assert!(d.allowed);
            assert_eq!(d.remaining, 2 - i as u32);
        }
        let refused = limiter.check("client", t0() + TimeDelta::seconds(100));
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.retry_after_secs, Some(500));
        assert!(
            limiter.check("other", t0()).allowed,
            "keys have their own windows"
        );
        assert!(
            limiter
                .check("client", t0() + TimeDelta::seconds(600))
                .allowed
        );
        assert!(
            !limiter
                .check("client", t0() + TimeDelta::seconds(601))
                .allowed
        );
    }

    #[test]
    fn idle_keys_are_swept() {
        let limiter = RateLimiter::new(Quota {
            limit: 1,
            window_secs: 1,
        });
        for i in 0..(SWEEP_EVERY * 2) {
            limiter.check(format!("key-{i}"), t0() + TimeDelta::seconds(i64::from(i)));
        }
        assert!(limiter.tracked_keys() <= SWEEP_EVERY as usize + 1);
    }

    proptest! {
        /// However requests are spread in time, no sliding window ever admits more than the limit.
        #[test]
        fn no_window_admits_more_than_the_limit(
            limit in 1u32..6,
            window in 1u32..30,
            gaps in proptest::collection::vec(0i64..10, 1..60),
        ) {
            let limiter = RateLimiter::new(Quota { limit, window_secs: window });
            let mut now = t0();
            let mut admitted = Vec::new();
            for gap in gaps {
                now += TimeDelta::seconds(gap);
                if limiter.check("k", now).allowed {
                    admitted.push(now);
                }
            }
            for (i, start) in admitted.iter().enumerate() {
                let inside = admitted[i..].iter().filter(|t| **t < *start + TimeDelta::seconds(i64::from(window))).count();
                prop_assert!(inside <= limit as usize);
            }
        }
    }
}

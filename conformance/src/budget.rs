//! The request budget of one API: a hard cap on requests, a pace kept *before* the vendor's
//! limit is reached (a sliding window, like the vendor's own), `Retry-After` honoured in full,
//! and the run's deadline. Against a parkbench mock whose control API may be used, waits move
//! the mock's virtual clock instead of sleeping, so a paced run takes no wall time.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use parkbench_kit::rate_limit::Quota;
use tokio::time::Instant;

use crate::target::Control;

/// Why an API's run stopped before its plan was done.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Exhausted {
    #[error("the cap of {max} requests (--max-requests) was reached")]
    Requests { max: u32 },
    #[error("waiting {wait_secs:.0} s ({why}) would pass the --deadline")]
    Deadline { wait_secs: f64, why: &'static str },
    #[error("the --deadline passed")]
    DeadlinePassed,
    #[error("could not move the mock's clock to wait: {0}")]
    Clock(String),
}

/// How waiting is done.
#[derive(Debug)]
enum Time {
    /// Sleep for real.
    Real,
    /// Move the mock's virtual clock forward.
    Virtual {
        control: Control,
        advanced: Mutex<f64>,
    },
}

#[derive(Debug, Default)]
struct State {
    used: u32,
    /// Timeline instants (seconds) of the requests inside the current window.
    window: VecDeque<f64>,
    waited: f64,
}

/// One API's budget. Scenarios of one API run one after another, so the lock is never
/// contended; it is there so that the budget can be shared by reference.
#[derive(Debug)]
pub struct Budget {
    max: Option<u32>,
    quota: Option<Quota>,
    deadline: Option<Instant>,
    start: Instant,
    time: Time,
    state: Mutex<State>,
}

/// Extra seconds added to every computed wait: the target's clock and ours are not the same
/// clock, and a request is stamped on each side at slightly different instants.
pub const MARGIN_SECS: f64 = 1.0;

impl Budget {
    /// A budget that sleeps for real.
    pub fn real(max: Option<u32>, quota: Option<Quota>, deadline: Option<Instant>) -> Self {
        Self::with_time(max, quota, deadline, Time::Real)
    }

    /// A budget that waits by moving a mock's clock.
    pub fn virtual_time(
        max: Option<u32>,
        quota: Option<Quota>,
        deadline: Option<Instant>,
        control: Control,
    ) -> Self {
        Self::with_time(
            max,
            quota,
            deadline,
            Time::Virtual {
                control,
                advanced: Mutex::new(0.0),
            },
        )
    }

    fn with_time(
        max: Option<u32>,
        quota: Option<Quota>,
        deadline: Option<Instant>,
        time: Time,
    ) -> Self {
        Self {
            max,
            quota,
            deadline,
            start: Instant::now(),
            time,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Seconds on this budget's timeline: real time since the start, plus every virtual move.
    pub fn now(&self) -> f64 {
        let real = self.start.elapsed().as_secs_f64();
        match &self.time {
            Time::Real => real,
            Time::Virtual { advanced, .. } => {
                real + *advanced
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            }
        }
    }

    pub fn used(&self) -> u32 {
        self.lock().used
    }

    /// Seconds spent waiting (pacing and `Retry-After`).
    pub fn waited(&self) -> f64 {
        self.lock().waited
    }

    pub fn quota(&self) -> Option<Quota> {
        self.quota
    }

    /// Whether waits move a mock's clock instead of sleeping.
    pub fn is_virtual(&self) -> bool {
        matches!(self.time, Time::Virtual { .. })
    }

    /// Room for `n` more requests under the cap.
    pub fn has_room(&self, n: u32) -> bool {
        self.max
            .is_none_or(|max| self.used().saturating_add(n) <= max)
    }

    /// Takes one request from the budget, first waiting as long as the pace requires when
    /// `paced`. Unpaced requests (the rate-limit probe) still count and still enter the window.
    pub async fn admit(&self, paced: bool) -> Result<(), Exhausted> {
        loop {
            self.check_deadline()?;
            let wait = {
                let mut state = self.lock();
                if let Some(max) = self.max
                    && state.used >= max
                {
                    return Err(Exhausted::Requests { max });
                }
                let now = self.now();
                let wait = match self.quota {
                    Some(quota) if paced => {
                        let window = f64::from(quota.window_secs);
                        while state.window.front().is_some_and(|t| t + window <= now) {
                            state.window.pop_front();
                        }
                        if state.window.len() >= quota.limit as usize {
                            state.window.front().map(|t| t + window - now)
                        } else {
                            None
                        }
                    }
                    _ => None,
                };
                if wait.is_none() {
                    state.used += 1;
                    state.window.push_back(now);
                    if let Some(quota) = self.quota {
                        // Unpaced requests may overfill the window: keep only what can matter.
                        let keep = quota.limit as usize * 2;
                        while state.window.len() > keep {
                            state.window.pop_front();
                        }
                    }
                }
                wait
            };
            match wait {
                None => return Ok(()),
                Some(secs) => self.wait(secs + MARGIN_SECS, "pacing").await?,
            }
        }
    }

    /// Waits a `Retry-After` in full; only the deadline cuts it short.
    pub async fn retry_after(&self, secs: f64) -> Result<(), Exhausted> {
        self.wait(secs, "Retry-After").await
    }

    /// Moves the mock's clock (virtual budgets) and keeps the timeline in step; used by checks
    /// that complete reports or expire tokens on purpose.
    pub async fn advance_clock(&self, secs: f64) -> Result<(), Exhausted> {
        match &self.time {
            Time::Real => Err(Exhausted::Clock(
                "the target's clock cannot be moved".into(),
            )),
            Time::Virtual { control, advanced } => {
                control.advance(secs).await.map_err(Exhausted::Clock)?;
                *advanced
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) += secs;
                Ok(())
            }
        }
    }

    async fn wait(&self, secs: f64, why: &'static str) -> Result<(), Exhausted> {
        if secs <= 0.0 {
            return Ok(());
        }
        match &self.time {
            Time::Real => {
                let duration = Duration::from_secs_f64(secs);
                if let Some(deadline) = self.deadline
                    && Instant::now() + duration > deadline
                {
                    return Err(Exhausted::Deadline {
                        wait_secs: secs,
                        why,
                    });
                }
                tokio::time::sleep(duration).await;
            }
            Time::Virtual { .. } => self.advance_clock(secs).await?,
        }
        self.lock().waited += secs;
        Ok(())
    }

    fn check_deadline(&self) -> Result<(), Exhausted> {
        match self.deadline {
            Some(deadline) if Instant::now() >= deadline => Err(Exhausted::DeadlinePassed),
            _ => Ok(()),
        }
    }
}

/// Seconds of pacing `requests` requests take under `quota` when sent as fast as allowed:
/// request `i` (from 0) can leave at `floor(i / limit) * window`.
pub fn pacing_secs(requests: u32, quota: Option<Quota>) -> f64 {
    match quota {
        Some(q) if requests > 0 => f64::from((requests - 1) / q.limit) * f64::from(q.window_secs),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(limit: u32, window_secs: u32) -> Option<Quota> {
        Some(Quota { limit, window_secs })
    }

    #[test]
    fn pacing_time_grows_by_a_window_per_full_window() {
        assert_eq!(pacing_secs(0, quota(30, 600)), 0.0);
        assert_eq!(pacing_secs(30, quota(30, 600)), 0.0);
        assert_eq!(pacing_secs(31, quota(30, 600)), 600.0);
        assert_eq!(pacing_secs(90, quota(30, 600)), 1200.0);
        assert_eq!(pacing_secs(500, None), 0.0);
    }

    #[tokio::test]
    async fn the_cap_is_hard() {
        let budget = Budget::real(Some(3), None, None);
        for _ in 0..3 {
            budget.admit(true).await.unwrap();
        }
        assert_eq!(
            budget.admit(true).await,
            Err(Exhausted::Requests { max: 3 })
        );
        assert!(!budget.has_room(1));
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_waits_before_the_limit_is_hit() {
        let budget = Budget::real(None, quota(2, 10), None);
        let t0 = Instant::now();
        budget.admit(true).await.unwrap();
        budget.admit(true).await.unwrap();
        assert!(t0.elapsed() < Duration::from_secs(1));
        budget.admit(true).await.unwrap();
        let waited = t0.elapsed().as_secs_f64();
        assert!((10.0..12.0).contains(&waited), "{waited}");
        assert!(budget.waited() >= 10.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_the_deadline_stops_the_run_instead() {
        let budget = Budget::real(
            None,
            quota(1, 600),
            Some(Instant::now() + Duration::from_secs(60)),
        );
        budget.admit(true).await.unwrap();
        assert!(matches!(
            budget.admit(true).await,
            Err(Exhausted::Deadline { why: "pacing", .. })
        ));
        assert!(matches!(
            budget.retry_after(120.0).await,
            Err(Exhausted::Deadline {
                why: "Retry-After",
                ..
            })
        ));
        budget.retry_after(30.0).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn unpaced_requests_count_and_fill_the_window() {
        let budget = Budget::real(None, quota(2, 10), None);
        for _ in 0..3 {
            budget.admit(false).await.unwrap();
        }
        assert_eq!(budget.used(), 3);
        let t0 = Instant::now();
        budget.admit(true).await.unwrap();
        assert!(t0.elapsed() >= Duration::from_secs(10));
    }
}

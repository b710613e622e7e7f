//! The virtual clock. Every time-dependent behaviour of every mock reads it, never the
//! system clock, so that a test can move time forward instead of sleeping and two runs with
//! a frozen clock answer byte for byte the same.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, TimeDelta, Utc};

/// An instant of virtual time.
pub type Instant = DateTime<Utc>;

/// Parses an RFC 3339 instant (`2026-01-01T00:00:00Z`), for flags and the control API.
pub fn parse_instant(s: &str) -> Result<Instant, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

/// A calendar date written `yyyy-mm-dd` exactly: four-digit year, two-digit month and day, a
/// real date. The vendors' documents write dates this way and accept no other spelling.
pub fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    let shape = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shape.then(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())?
}

/// How the clock starts, and what `POST /__admin/reset` returns it to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClockStart {
    /// Follows the system clock (plus whatever the control API adds).
    #[default]
    Real,
    /// Stands still at this instant until the control API moves it.
    Frozen(DateTime<Utc>),
}

/// A shared handle on one service's virtual clock. Cloning shares the clock.
///
/// Read on every request, so it is one atomic: microseconds since the epoch for a frozen
/// clock, microseconds of offset from the system clock for a real-time one. Which of the two
/// never changes after creation.
#[derive(Clone, Debug)]
pub struct Clock {
    start: ClockStart,
    micros: Arc<AtomicI64>,
}

fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// Microseconds since the epoch from the system clock, without a calendar conversion (this
/// runs on every request).
fn system_micros() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_micros()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

pub(crate) fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Clock {
    pub fn new(start: ClockStart) -> Self {
        Self {
            start,
            micros: Arc::new(AtomicI64::new(Self::initial(start))),
        }
    }

    fn initial(start: ClockStart) -> i64 {
        match start {
            ClockStart::Real => 0,
            ClockStart::Frozen(at) => to_micros(at),
        }
    }

    /// A clock that follows real time.
    pub fn real() -> Self {
        Self::new(ClockStart::Real)
    }

    /// A clock frozen at `at`; handy in tests.
    pub fn frozen(at: DateTime<Utc>) -> Self {
        Self::new(ClockStart::Frozen(at))
    }

    /// The current virtual time, to the microsecond.
    pub fn now(&self) -> DateTime<Utc> {
        from_micros(self.now_micros())
    }

    /// The current virtual time in microseconds since the epoch: what the serving path
    /// records, leaving the calendar arithmetic to whoever reads it.
    pub fn now_micros(&self) -> i64 {
        let micros = self.micros.load(Ordering::Acquire);
        match self.start {
            ClockStart::Real => system_micros().saturating_add(micros),
            ClockStart::Frozen(_) => micros,
        }
    }

    /// Moves the clock forward (or back, with a negative delta).
    pub fn advance(&self, by: TimeDelta) {
        let by = by.num_microseconds().unwrap_or(if by < TimeDelta::zero() {
            i64::MIN
        } else {
            i64::MAX
        });
        let _ = self
            .micros
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |m| {
                Some(m.saturating_add(by))
            });
    }

    /// Sets the clock to `to`; a real-time clock keeps running from there.
    pub fn set(&self, to: DateTime<Utc>) {
        let value = match self.start {
            ClockStart::Real => to_micros(to).saturating_sub(system_micros()),
            ClockStart::Frozen(_) => to_micros(to),
        };
        self.micros.store(value, Ordering::Release);
    }

    /// Back to how the clock started.
    pub fn reset(&self) {
        self.micros
            .store(Self::initial(self.start), Ordering::Release);
    }

    pub fn is_frozen(&self) -> bool {
        matches!(self.start, ClockStart::Frozen(_))
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::real()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let clock = Clock::frozen(at("2026-01-01T00:00:00Z"));
        assert_eq!(clock.now(), at("2026-01-01T00:00:00Z"));
        clock.advance(TimeDelta::seconds(90));
        assert_eq!(clock.now(), at("2026-01-01T00:01:30Z"));
        clock.set(at("2030-05-05T05:05:05Z"));
        assert_eq!(clock.now(), at("2030-05-05T05:05:05Z"));
        clock.reset();
        assert_eq!(clock.now(), at("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn real_clock_keeps_an_offset_and_resets_to_real_time() {
        let clock = Clock::real();
        clock.advance(TimeDelta::days(10));
        let ahead = clock.now() - Utc::now();
        assert!(ahead > TimeDelta::days(9) && ahead <= TimeDelta::days(10));
        clock.set(at("2001-01-01T00:00:00Z"));
        assert!(clock.now() < at("2001-01-02T00:00:00Z"));
        clock.reset();
        assert!((clock.now() - Utc::now()).abs() < TimeDelta::seconds(5));
    }

    #[test]
    fn clones_share_one_clock() {
        let clock = Clock::frozen(at("2026-01-01T00:00:00Z"));
        let other = clock.clone();
        other.advance(TimeDelta::hours(1));
        assert_eq!(clock.now(), at("2026-01-01T01:00:00Z"));
    }
}

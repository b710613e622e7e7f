//! What a stay costs, and how money is written. The one place the billing rule lives.
//!
//! Seed 003 finalizes a session from 08:00 to 09:05 for `"amount": "10.00"` RON, and the
//! transactions page lists a parking at `"price_unit": "hour", "default_price": "5.00"`:
//! 65 minutes billed as two started hours at 5.00 is exactly 10.00. So every started
//! `price_unit` is charged in full, the first one from the moment of entry. A parking may
//! also be priced per `minute` (the transactions page's own example, 5 minutes for "0.17",
//! reads like pro-rata billing), which is the same rule with a smaller unit.

use std::fmt;
use std::str::FromStr;

use chrono::TimeDelta;

/// An amount in hundredths of the currency unit (bani for RON).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cents(pub i64);

impl Cents {
    /// Two decimals, as every `amount` of the vendor's documents: `"10.00"`.
    pub fn two_decimals(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// The decimal as Ruby's `BigDecimal#to_s` writes it (`"3.0"`, `"2.5"`, `"5.42"`): the
    /// create-booking page shows the booking `price` this way (`"price": "3.0"`).
    pub fn ruby_decimal(self) -> String {
        let full = self.two_decimals();
        match full.strip_suffix('0') {
            Some(short) if !short.ends_with('.') => short.to_owned(),
            _ => full,
        }
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.two_decimals())
    }
}

impl FromStr for Cents {
    type Err = String;

    /// Parses a non-negative decimal with at most two decimals (`"5"`, `"5.0"`, `"5.00"`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not an amount such as \"5.00\"");
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty()
            || frac.len() > 2
            || !whole
                .chars()
                .chain(frac.chars())
                .all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}").parse().map_err(|_| bad())?
        };
        whole
            .checked_mul(100)
            .and_then(|c| c.checked_add(frac))
            .map(Cents)
            .ok_or_else(bad)
    }
}

/// The unit a parking's `default_price` is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceUnit {
    Hour,
    Minute,
}

impl PriceUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceUnit::Hour => "hour",
            PriceUnit::Minute => "minute",
        }
    }

    fn seconds(self) -> i64 {
        match self {
            PriceUnit::Hour => 3600,
            PriceUnit::Minute => 60,
        }
    }
}

impl FromStr for PriceUnit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hour" => Ok(PriceUnit::Hour),
            "minute" => Ok(PriceUnit::Minute),
            _ => Err(format!("`{s}` is not a price unit (hour or minute)")),
        }
    }
}

/// A parking's price: `price` per started `unit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tariff {
    pub unit: PriceUnit,
    pub price: Cents,
}

impl Tariff {
    /// Started units in `duration`, at least one: a car that entered has started its first unit.
    pub fn billed_units(self, duration: TimeDelta) -> i64 {
        started(duration.num_seconds(), self.unit.seconds()).max(1)
    }

    /// The charge for a stay of `duration`.
    pub fn charge(self, duration: TimeDelta) -> Cents {
        Cents(self.billed_units(duration).saturating_mul(self.price.0))
    }
}

/// Whole minutes of a stay, a started minute counting as one (`duration_minutes`).
pub fn started_minutes(duration: TimeDelta) -> i64 {
    started(duration.num_seconds(), 60)
}

/// Units of `unit_secs` begun in `duration_secs`, a started unit counting as one; a negative
/// duration begins none.
fn started(duration_secs: i64, unit_secs: i64) -> i64 {
    let secs = duration_secs.max(0);
    secs / unit_secs + i64::from(secs % unit_secs != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    const HOURLY: Tariff = Tariff {
        unit: PriceUnit::Hour,
        price: Cents(500),
    };

    #[rstest]
    #[case(0, "5.00")]
    #[case(1, "5.00")]
    #[case(3600, "5.00")]
    #[case(3601, "10.00")]
    #[case(65 * 60, "10.00")] // seed 003: 08:00 to 09:05
    #[case(7200, "10.00")]
    #[case(7201, "15.00")]
    fn every_started_hour_is_charged(#[case] secs: i64, #[case] expected: &str) {
        assert_eq!(
            HOURLY.charge(TimeDelta::seconds(secs)).two_decimals(),
            expected
        );
    }

    #[test]
    fn per_minute_parkings_charge_started_minutes() {
        let tariff = Tariff {
            unit: PriceUnit::Minute,
            price: Cents(10),
        };
        assert_eq!(
            tariff.charge(TimeDelta::seconds(30 * 60)).two_decimals(),
            "3.00"
        );
        assert_eq!(
            tariff
                .charge(TimeDelta::seconds(30 * 60 + 1))
                .two_decimals(),
            "3.10"
        );
    }

    #[rstest]
    #[case("5.00", Some(500))]
    #[case("5", Some(500))]
    #[case("0.1", Some(10))]
    #[case("12.34", Some(1234))]
    #[case("1.234", None)]
    #[case("-1", None)]
    #[case("", None)]
    #[case(".5", None)]
    #[case("abc", None)]
    fn amounts_parse(#[case] input: &str, #[case] expected: Option<i64>) {
        assert_eq!(input.parse::<Cents>().ok().map(|c| c.0), expected);
    }

    #[rstest]
    #[case(300, "3.0")]
    #[case(250, "2.5")]
    #[case(542, "5.42")]
    #[case(0, "0.0")]
    #[case(1000, "10.0")]
    fn booking_prices_read_like_ruby_decimals(#[case] cents: i64, #[case] expected: &str) {
        assert_eq!(Cents(cents).ruby_decimal(), expected);
    }

    proptest! {
        /// A longer stay never costs less, and never more than one extra unit's price.
        #[test]
        fn charge_is_monotonic_and_tight(a in 0i64..400_000, b in 0i64..400_000, price in 1i64..10_000) {
            let tariff = Tariff { unit: PriceUnit::Hour, price: Cents(price) };
            let (short, long) = (a.min(b), a.max(b));
            let short_charge = tariff.charge(TimeDelta::seconds(short)).0;
            let long_charge = tariff.charge(TimeDelta::seconds(long)).0;
            prop_assert!(short_charge <= long_charge);
            let exact = long as f64 / 3600.0 * price as f64;
            prop_assert!(long_charge as f64 >= exact);
            prop_assert!(long_charge as f64 <= exact + price as f64 + 1e-6);
        }

        #[test]
        fn two_decimals_round_trips(cents in 0i64..10_000_000) {
            prop_assert_eq!(Cents(cents).two_decimals().parse::<Cents>(), Ok(Cents(cents)));
        }
    }
}

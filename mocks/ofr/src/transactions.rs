//! The parking transactions behind every report and revenue summary. They are not stored:
//! transaction `i` of operator `o` on day `d` is drawn from a generator seeded with
//! (`--seed`, `o`, `d`, `i`), so a 100,000-row range costs nothing until it is streamed, two
//! downloads of one report are byte-identical, and the revenue summary sums the very rows the
//! reports list.
//!
//! A transaction belongs to the UTC day its parking **stopped** (it is reported once complete),
//! and only complete days hold transactions: the clock's own day has none yet. Seed 000: the
//! test operator has "last two days, each day having 5 records", i.e. 5 on each of the two
//! days before the clock's today (fixture `onlyLastDays: 2`).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use fake::Fake;
use fake::StringFaker;
use fake::faker::address::en::StateAbbr;
use fake::faker::creditcard::en::CreditCardNumber;
use fake::faker::internet::en::SafeEmail;
use fake::faker::phone_number::en::CellNumber;
use parkbench_kit::Rng;
use rand::{RngExt, SeedableRng};

use crate::params::DateRange;
use crate::world::Operator;

/// `PAYMENT_TYPE`, the key of the revenue summary (api-notes §1 shows `"CARD"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PaymentType {
    Card,
    Invoice,
    Paypal,
    Wallet,
}

impl PaymentType {
    /// In the order the revenue summary lists them.
    pub const ALL: [PaymentType; 4] = [
        PaymentType::Card,
        PaymentType::Invoice,
        PaymentType::Paypal,
        PaymentType::Wallet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentType::Card => "CARD",
            PaymentType::Invoice => "INVOICE",
            PaymentType::Paypal => "PAYPAL",
            PaymentType::Wallet => "WALLET",
        }
    }
}

/// `CREDIT_CARD_TYPE`, with the values the vendor documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardType {
    Amex,
    Discover,
    MasterCard,
    NotApplicable,
    PayPal,
    Visa,
    Wallet,
}

impl CardType {
    pub fn as_str(self) -> &'static str {
        match self {
            CardType::Amex => "Amex",
            CardType::Discover => "Discover",
            CardType::MasterCard => "MasterCard",
            CardType::NotApplicable => "N/A",
            CardType::PayPal => "PayPal",
            CardType::Visa => "VISA",
            CardType::Wallet => "Wallet",
        }
    }
}

/// The generated data set: one seed for every operator's transactions.
#[derive(Clone, Copy, Debug)]
pub struct Dataset {
    base: u64,
}

/// One parking transaction: everything the default columns and the revenue summary need.
/// The customer details are drawn separately ([`Dataset::details`]) and only when a report
/// asks for one of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    pub operator_id: u64,
    pub day: NaiveDate,
    pub index: u32,
    seed: u64,
    pub zone: usize,
    pub start: DateTime<Utc>,
    pub stop: DateTime<Utc>,
    pub duration_minutes: u32,
    pub paid_minutes: u32,
    pub is_extension: bool,
    pub parking_cents: i64,
    pub parking_initial_cents: i64,
    pub fee_cents: i64,
    pub fee_initial_cents: i64,
    pub vat_basis_points: i64,
    pub payment_type: PaymentType,
    pub card_type: CardType,
    pub insert_date: DateTime<Utc>,
}

/// Customer and payment details of one transaction, realistic values from `fake`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Details {
    pub order_id: String,
    pub client_id: String,
    pub customer_phone: String,
    pub email: String,
    pub lpn: String,
    pub lpn_state: String,
    pub payment_id: String,
    pub payment_reference: String,
    pub masked_card_number: Option<String>,
}

/// A 64-bit mix (SplitMix64's finaliser): nearby inputs give unrelated seeds.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// VAT contained in an amount that includes it.
fn vat_of(cents: i64, basis_points: i64) -> i64 {
    let denominator = 10_000 + basis_points;
    (cents * basis_points + denominator / 2) / denominator
}

const SECONDS_PER_DAY: u64 = 86_400;

impl Transaction {
    /// `TRANSACTION_ID`: operator, UTC day and number within the day, all digits.
    pub fn id(&self) -> String {
        format!(
            "{}{}{:06}",
            self.operator_id,
            self.day.format("%Y%m%d"),
            self.index
        )
    }

    /// `PAYMENT_AMOUNT`: what the customer paid, parking and fee, VAT included.
    pub fn payment_cents(&self) -> i64 {
        self.parking_cents + self.fee_cents
    }

    pub fn parking_vat_cents(&self) -> i64 {
        vat_of(self.parking_cents, self.vat_basis_points)
    }

    pub fn fee_vat_cents(&self) -> i64 {
        vat_of(self.fee_cents, self.vat_basis_points)
    }

    pub fn payment_vat_cents(&self) -> i64 {
        self.parking_vat_cents() + self.fee_vat_cents()
    }
}

impl Dataset {
    pub fn new(base: u64) -> Self {
        Self { base }
    }

    /// How many transactions `operator` has on `day`, as seen on the clock's date `as_of`.
    pub fn count_on(operator: &Operator, day: NaiveDate, as_of: NaiveDate) -> u32 {
        let age = (as_of - day).num_days();
        if age < 1 {
            return 0;
        }
        match operator.only_last_days {
            Some(last) if age > i64::from(last) => 0,
            _ => operator.transactions_per_day,
        }
    }

    /// How many transactions a report over `range` holds.
    pub fn count(operator: &Operator, range: &DateRange, as_of: NaiveDate) -> u64 {
        range
            .days()
            .map(|day| u64::from(Self::count_on(operator, day, as_of)))
            .sum()
    }

    fn seed(&self, operator_id: u64, day: NaiveDate, index: u32) -> u64 {
        let day_number = day.signed_duration_since(NaiveDate::MIN).num_days() as u64;
        mix(mix(mix(self.base ^ operator_id) ^ day_number) ^ u64::from(index))
    }

    /// Transaction `index` of the `count` that `operator` has on `day`. Within a day they come
    /// in the order their parking stopped.
    pub fn transaction(
        &self,
        operator: &Operator,
        day: NaiveDate,
        index: u32,
        count: u32,
    ) -> Transaction {
        let seed = self.seed(operator.id, day, index);
        let mut rng = Rng::seed_from_u64(seed);
        // Stops are spread over the day, one slot per transaction, so they are in order.
        let slot_start = u64::from(index) * SECONDS_PER_DAY / u64::from(count);
        let slot_end = (u64::from(index) + 1) * SECONDS_PER_DAY / u64::from(count);
        let stop_second = slot_start + rng.random_range(0..(slot_end - slot_start).max(1));
        let midnight = day.and_time(chrono::NaiveTime::MIN).and_utc();
        let stop = midnight + TimeDelta::seconds(stop_second as i64);
        let zone = rng.random_range(0..operator.zones.len().max(1));
        let quarters: u32 = rng.random_range(1..=16);
        let is_extension = quarters > 1 && rng.random_range(0..100) < 20;
        let initial_quarters = if is_extension {
            rng.random_range(1..quarters)
        } else {
            quarters
        };
        let paid_minutes = quarters * 15;
        let left_early: u32 = rng.random_range(0..15);
        let duration_minutes = paid_minutes.saturating_sub(left_early).max(1);
        let start = stop
            - TimeDelta::minutes(i64::from(duration_minutes))
            - TimeDelta::seconds(rng.random_range(0..60));
        let hourly = operator.zones.get(zone).map_or(0, |z| z.hourly_rate_cents);
        let price = |quarters: u32| (hourly * i64::from(quarters) * 15 + 30) / 60;
        let (payment_type, card_type) = match rng.random_range(0..100) {
            0..70 => (
                PaymentType::Card,
                match rng.random_range(0..100) {
                    0..45 => CardType::Visa,
                    45..75 => CardType::MasterCard,
                    75..90 => CardType::Amex,
                    _ => CardType::Discover,
                },
            ),
            70..85 => (PaymentType::Wallet, CardType::Wallet),
            85..95 => (PaymentType::Paypal, CardType::PayPal),
            _ => (PaymentType::Invoice, CardType::NotApplicable),
        };
        let fee = operator.transaction_fee_cents;
        Transaction {
            operator_id: operator.id,
            day,
            index,
            seed,
            zone,
            start,
            stop,
            duration_minutes,
            paid_minutes,
            is_extension,
            parking_cents: price(quarters),
            parking_initial_cents: price(initial_quarters),
            fee_cents: if is_extension { fee * 2 } else { fee },
            fee_initial_cents: fee,
            vat_basis_points: operator.vat_basis_points,
            payment_type,
            card_type,
            insert_date: stop + TimeDelta::seconds(rng.random_range(30..600)),
        }
    }

    /// The customer and payment details of a transaction, from its own generator so that the
    /// core values do not depend on whether details were asked for.
    pub fn details(&self, transaction: &Transaction) -> Details {
        let mut rng = Rng::seed_from_u64(mix(transaction.seed ^ 0x0de7_a115));
        let digits = |rng: &mut Rng, low: u64, high: u64| rng.random_range(low..high).to_string();
        let letters = || StringFaker::with(b"ABCDEFGHJKLMNPRSTUVWXYZ".to_vec(), 3..4);
        let numbers = |n: usize| StringFaker::with(b"0123456789".to_vec(), n..n + 1);
        let lpn = match rng.random_range(0..3) {
            0 => format!(
                "{}{}",
                letters().fake_with_rng::<String, _>(&mut rng),
                numbers(4).fake_with_rng::<String, _>(&mut rng)
            ),
            1 => format!(
                "{}{}{}",
                numbers(1).fake_with_rng::<String, _>(&mut rng),
                letters().fake_with_rng::<String, _>(&mut rng),
                numbers(3).fake_with_rng::<String, _>(&mut rng)
            ),
            _ => format!(
                "{}{}",
                letters().fake_with_rng::<String, _>(&mut rng),
                numbers(3).fake_with_rng::<String, _>(&mut rng)
            ),
        };
        let masked_card_number = (transaction.payment_type == PaymentType::Card).then(|| {
            let number: String = CreditCardNumber().fake_with_rng(&mut rng);
            let last4 = &number[number.len().saturating_sub(4)..];
            let hidden = if transaction.card_type == CardType::Amex {
                11
            } else {
                12
            };
            format!("{}{last4}", "*".repeat(hidden))
        });
        Details {
            order_id: digits(&mut rng, 100_000_000, 1_000_000_000),
            client_id: digits(&mut rng, 10_000_000, 100_000_000),
            customer_phone: CellNumber().fake_with_rng(&mut rng),
            email: SafeEmail().fake_with_rng(&mut rng),
            lpn,
            lpn_state: StateAbbr().fake_with_rng(&mut rng),
            payment_id: digits(&mut rng, 1_000_000_000, 10_000_000_000),
            payment_reference: StringFaker::with(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".to_vec(),
                16..17,
            )
            .fake_with_rng(&mut rng),
            masked_card_number,
        }
    }

    /// Every transaction of `operator` over `range` as seen on `as_of`, in order.
    pub fn transactions(
        self,
        operator: Arc<Operator>,
        range: DateRange,
        as_of: NaiveDate,
    ) -> impl Iterator<Item = Transaction> {
        range.days().flat_map(move |day| {
            let count = Self::count_on(&operator, day, as_of);
            let operator = operator.clone();
            (0..count).map(move |index| self.transaction(&operator, day, index, count))
        })
    }
}

/// Local wall-clock time of an operator (fixed offset from its fixture).
pub fn local_time(operator: &Operator, at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc() + TimeDelta::minutes(i64::from(operator.utc_offset_minutes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::Zone;

    fn operator(per_day: u32, only_last_days: Option<u32>) -> Operator {
        Operator {
            id: 60879,
            name: "test".into(),
            supplier_name: "ParkMobile".into(),
            currency: "USD".into(),
            utc_offset_minutes: -300,
            vat_basis_points: 625,
            transaction_fee_cents: 35,
            transactions_per_day: per_day,
            only_last_days,
            always_fails: false,
            zones: vec![Zone {
                code: "1".into(),
                name: "Lot".into(),
                hourly_rate_cents: 300,
            }],
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn only_complete_days_and_the_last_n_hold_transactions() {
        let op = operator(5, Some(2));
        let today = d("2026-03-15");
        let counts: Vec<u32> = ["2026-03-12", "2026-03-13", "2026-03-14", "2026-03-15"]
            .map(|day| Dataset::count_on(&op, d(day), today))
            .to_vec();
        assert_eq!(counts, [0, 5, 5, 0]);
        let range = DateRange::check(d("2026-01-01"), today, today, 3).unwrap();
        assert_eq!(Dataset::count(&op, &range, today), 10);
    }

    #[test]
    fn transactions_are_deterministic_ordered_and_consistent() {
        let dataset = Dataset::new(42);
        let op = operator(500, None);
        let day = d("2026-03-10");
        let all: Vec<_> = (0..500)
            .map(|i| dataset.transaction(&op, day, i, 500))
            .collect();
        assert_eq!(all[17], dataset.transaction(&op, day, 17, 500));
        assert_ne!(all[17], Dataset::new(43).transaction(&op, day, 17, 500));
        for pair in all.windows(2) {
            assert!(pair[0].stop <= pair[1].stop);
        }
        for t in &all {
            assert_eq!(t.stop.date_naive(), day);
            assert!(t.start < t.stop && t.stop < t.insert_date);
            assert!(t.duration_minutes <= t.paid_minutes);
            assert!(t.parking_initial_cents <= t.parking_cents);
            assert_eq!(t.payment_cents(), t.parking_cents + t.fee_cents);
            assert!(t.payment_vat_cents() < t.payment_cents());
        }
        let types: std::collections::BTreeSet<_> = all.iter().map(|t| t.payment_type).collect();
        assert_eq!(types.len(), 4, "every payment type shows up in 500 rows");
    }

    #[test]
    fn details_are_realistic_and_do_not_disturb_the_core_values() {
        let dataset = Dataset::new(7);
        let op = operator(50, None);
        for i in 0..50 {
            let t = dataset.transaction(&op, d("2026-03-10"), i, 50);
            let details = dataset.details(&t);
            assert_eq!(details, dataset.details(&t));
            assert!(details.email.contains('@'), "{details:?}");
            assert_eq!(details.lpn_state.len(), 2);
            assert!((6..=7).contains(&details.lpn.len()), "{details:?}");
            match &details.masked_card_number {
                Some(masked) => {
                    assert_eq!(t.payment_type, PaymentType::Card);
                    assert!(
                        masked.starts_with("***")
                            && masked[masked.len() - 4..]
                                .bytes()
                                .all(|b| b.is_ascii_digit())
                    );
                }
                None => assert_ne!(t.payment_type, PaymentType::Card),
            }
        }
    }

    #[test]
    fn vat_is_the_included_share() {
        assert_eq!(vat_of(10_625, 625), 625);
        assert_eq!(vat_of(1000, 0), 0);
    }
}

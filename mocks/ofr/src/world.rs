//! What exists in the OFR mock: the fixtures (signing key, clients, operators), parsed and
//! checked once, and the state one router works on (reports requested so far, rate windows),
//! rebuilt from the fixtures by every `POST /__admin/reset`.
//!
//! State lives behind one `std::sync::Mutex` (mini-redis style): no handler holds it across an
//! `.await`, and critical sections are a map lookup or insert.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey, Validation};
use parkbench_kit::rate_limit::RateLimiter;
use parkbench_kit::{Clock, Ctx, FixtureError, Fixtures as FixtureFiles, Rng};
use rand::RngExt;
use serde::Deserialize;
use uuid::Uuid;

use crate::Config;
use crate::columns::Column;
use crate::params::{DateRange, ReportFormat};
use crate::transactions::Dataset;

/// The fixture files, by name.
pub const AUTH_FILE: &str = "auth.json";
pub const CLIENTS_FILE: &str = "clients.json";
pub const OPERATORS_FILE: &str = "operators.json";

/// Most transactions a fixture operator may have per day: transaction ids number the day's
/// transactions with six digits.
pub const MAX_TRANSACTIONS_PER_DAY: u32 = 999_999;

/// How tokens are signed and how long they live (`auth.json`).
pub struct AuthSettings {
    pub issuer: String,
    pub token_lifetime_secs: i64,
    pub encoding_key: EncodingKey,
    pub decoding_key: DecodingKey,
    pub validation: Validation,
}

/// A client of the API (`clients.json`): its credentials and the operators it may report on.
#[derive(Clone, Debug)]
pub struct ClientAccount {
    pub client_id: String,
    pub client_secret: String,
    pub operators: Vec<u64>,
}

/// A parking zone of an operator.
#[derive(Clone, Debug)]
pub struct Zone {
    pub code: String,
    pub name: String,
    pub hourly_rate_cents: i64,
}

/// A parking operator (`operators.json`) and the shape of its generated transactions.
#[derive(Clone, Debug)]
pub struct Operator {
    pub id: u64,
    pub name: String,
    pub supplier_name: String,
    pub currency: String,
    /// Local time = UTC + this, for the `*_ON_LOCAL` columns (no daylight saving).
    pub utc_offset_minutes: i32,
    /// VAT in basis points (6.25 % = 625); amounts include it.
    pub vat_basis_points: i64,
    pub transaction_fee_cents: i64,
    pub transactions_per_day: u32,
    /// When set, only the last N complete days before "today" hold transactions.
    pub only_last_days: Option<u32>,
    /// Every report of this operator fails: reserved for failure testing.
    pub always_fails: bool,
    pub zones: Vec<Zone>,
}

/// Everything read from `fixtures/ofr/`, checked.
pub struct Fixtures {
    pub auth: AuthSettings,
    pub clients: BTreeMap<String, ClientAccount>,
    pub operators: BTreeMap<u64, Arc<Operator>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuthFile {
    signing_key: String,
    issuer: String,
    token_lifetime_seconds: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientsFile {
    clients: Vec<ClientEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClientEntry {
    client_id: String,
    client_secret: String,
    /// For people editing the fixture; not used by the mock.
    #[serde(default, rename = "description")]
    _description: Option<serde::de::IgnoredAny>,
    operators: Vec<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorsFile {
    operators: Vec<OperatorEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OperatorEntry {
    operator_id: u64,
    name: String,
    /// For people editing the fixture; not used by the mock.
    #[serde(default, rename = "description")]
    _description: Option<serde::de::IgnoredAny>,
    supplier_name: String,
    currency: String,
    utc_offset_minutes: i32,
    vat_percentage: f64,
    transaction_fee: f64,
    transactions_per_day: u32,
    #[serde(default)]
    only_last_days: Option<u32>,
    #[serde(default)]
    always_fails: bool,
    zones: Vec<ZoneEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ZoneEntry {
    code: String,
    name: String,
    hourly_rate: f64,
}

/// A decimal amount from a fixture in hundredths (cents, basis points), if it is sane.
fn hundredths(value: f64, max: f64) -> Option<i64> {
    (value.is_finite() && (0.0..=max).contains(&value)).then(|| (value * 100.0).round() as i64)
}

impl Fixtures {
    /// Reads and checks the three fixture files; an error names the file at fault.
    pub fn load(files: &FixtureFiles) -> Result<Self, FixtureError> {
        let auth = Self::auth(files)?;
        let operators = Self::operators(files)?;
        let clients = Self::clients(files, &operators)?;
        Ok(Self {
            auth,
            clients,
            operators,
        })
    }

    fn auth(files: &FixtureFiles) -> Result<AuthSettings, FixtureError> {
        let file: AuthFile = files.json(AUTH_FILE)?;
        let bad = |reason: &str| FixtureError::new(files.location(AUTH_FILE), reason);
        if file.signing_key.len() < 32 {
            return Err(bad("`signingKey` must be at least 32 bytes for HS256"));
        }
        if file.token_lifetime_seconds == 0 {
            return Err(bad("`tokenLifetimeSeconds` must be at least 1"));
        }
        let key = file.signing_key.as_bytes();
        let key_error =
            |e: jsonwebtoken::errors::Error| bad(&format!("`signingKey` is not usable: {e}"));
        Ok(AuthSettings {
            issuer: file.issuer.clone(),
            token_lifetime_secs: i64::from(file.token_lifetime_seconds),
            encoding_key: EncodingKey::from_secret(key).map_err(key_error)?,
            decoding_key: DecodingKey::from_secret(key).map_err(key_error)?,
            validation: crate::auth::validation(&file.issuer),
        })
    }

    fn operators(files: &FixtureFiles) -> Result<BTreeMap<u64, Arc<Operator>>, FixtureError> {
        let file: OperatorsFile = files.json(OPERATORS_FILE)?;
        let bad = |id: u64, reason: &str| {
            FixtureError::new(
                files.location(OPERATORS_FILE),
                format!("operator {id}: {reason}"),
            )
        };
        let mut operators = BTreeMap::new();
        for entry in file.operators {
            let id = entry.operator_id;
            if entry.currency.len() != 3 || !entry.currency.bytes().all(|b| b.is_ascii_uppercase())
            {
                return Err(bad(id, "`currency` must be an ISO 4217 code such as USD"));
            }
            if entry.utc_offset_minutes.abs() > 18 * 60 {
                return Err(bad(id, "`utcOffsetMinutes` must be within ±1080"));
            }
            let vat_basis_points = hundredths(entry.vat_percentage, 100.0)
                .ok_or_else(|| bad(id, "`vatPercentage` must be 0-100"))?;
            let transaction_fee_cents = hundredths(entry.transaction_fee, 1000.0)
                .ok_or_else(|| bad(id, "`transactionFee` must be 0-1000"))?;
            if entry.transactions_per_day > MAX_TRANSACTIONS_PER_DAY {
                return Err(bad(id, "`transactionsPerDay` must be at most 999999"));
            }
            if entry.transactions_per_day > 0 && entry.zones.is_empty() {
                return Err(bad(
                    id,
                    "an operator with transactions needs at least one zone",
                ));
            }
            let mut zones = Vec::with_capacity(entry.zones.len());
            for zone in entry.zones {
                let hourly_rate_cents = hundredths(zone.hourly_rate, 1000.0).ok_or_else(|| {
                    bad(
                        id,
                        &format!("zone {}: `hourlyRate` must be 0-1000", zone.code),
                    )
                })?;
                zones.push(Zone {
                    code: zone.code,
                    name: zone.name,
                    hourly_rate_cents,
                });
            }
            let operator = Operator {
                id,
                name: entry.name,
                supplier_name: entry.supplier_name,
                currency: entry.currency,
                utc_offset_minutes: entry.utc_offset_minutes,
                vat_basis_points,
                transaction_fee_cents,
                transactions_per_day: entry.transactions_per_day,
                only_last_days: entry.only_last_days,
                always_fails: entry.always_fails,
                zones,
            };
            if operators.insert(id, Arc::new(operator)).is_some() {
                return Err(bad(id, "listed twice"));
            }
        }
        Ok(operators)
    }

    fn clients(
        files: &FixtureFiles,
        operators: &BTreeMap<u64, Arc<Operator>>,
    ) -> Result<BTreeMap<String, ClientAccount>, FixtureError> {
        let file: ClientsFile = files.json(CLIENTS_FILE)?;
        let bad = |id: &str, reason: String| {
            FixtureError::new(
                files.location(CLIENTS_FILE),
                format!("client {id}: {reason}"),
            )
        };
        let mut clients = BTreeMap::new();
        for entry in file.clients {
            if entry.client_id.is_empty() || entry.client_secret.is_empty() {
                return Err(bad(
                    &entry.client_id,
                    "`clientId` and `clientSecret` must not be empty".into(),
                ));
            }
            if let Some(unknown) = entry
                .operators
                .iter()
                .find(|id| !operators.contains_key(id))
            {
                return Err(bad(
                    &entry.client_id,
                    format!("operator {unknown} is not in {OPERATORS_FILE}"),
                ));
            }
            let unique: BTreeSet<u64> = entry.operators.iter().copied().collect();
            if unique.len() != entry.operators.len() {
                return Err(bad(&entry.client_id, "an operator is listed twice".into()));
            }
            let account = ClientAccount {
                client_id: entry.client_id.clone(),
                client_secret: entry.client_secret,
                operators: entry.operators,
            };
            if clients.insert(entry.client_id.clone(), account).is_some() {
                return Err(bad(&entry.client_id, "listed twice".into()));
            }
        }
        Ok(clients)
    }
}

/// A report requested through `POST /report/generate`. Its rows are not stored: they are
/// generated again from the seed when it is downloaded.
#[derive(Clone, Debug)]
pub struct Report {
    pub id: Uuid,
    pub client_id: String,
    pub operator_id: u64,
    pub format: ReportFormat,
    pub range: DateRange,
    pub columns: Arc<[Column]>,
    /// The clock's date when the report was requested: "the last two days" are relative to it,
    /// so a download after midnight still holds the rows the request saw.
    pub as_of: NaiveDate,
    pub record_count: u64,
    /// When generation is over, on the virtual clock.
    pub ready_at: DateTime<Utc>,
    /// Why the report fails, once generation is over; `None` for a report that succeeds.
    pub failure: Option<String>,
}

/// Where a report stands at a given instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    Generating,
    Failed(String),
    Ready,
}

impl Report {
    pub fn progress(&self, now: DateTime<Utc>) -> Progress {
        if now < self.ready_at {
            Progress::Generating
        } else if let Some(reason) = &self.failure {
            Progress::Failed(reason.clone())
        } else {
            Progress::Ready
        }
    }
}

/// Reports kept per service; beyond it the oldest is forgotten (its URLs answer 404), so a
/// fixture server with the rate limit off keeps a bounded amount of memory.
pub const MAX_REPORTS: usize = 10_000;

struct State {
    reports: HashMap<Uuid, Report>,
    /// Report identifiers, oldest first, for forgetting the oldest beyond [`MAX_REPORTS`].
    order: VecDeque<Uuid>,
    /// Report identifiers, drawn in request order from the seeded generator.
    report_ids: Rng,
}

/// One router's world: fixtures, configuration, the virtual clock, and the mutable state.
pub struct World {
    pub config: Config,
    pub fixtures: Arc<Fixtures>,
    pub clock: Clock,
    pub dataset: Dataset,
    /// `None` when rate limiting is off.
    pub limiter: Option<RateLimiter>,
    state: Mutex<State>,
}

impl World {
    /// Fresh state over the already-checked fixtures.
    pub fn new(ctx: &Ctx, config: Config, fixtures: Arc<Fixtures>) -> Self {
        let dataset = Dataset::new(ctx.rng_for("transactions").random());
        Self {
            limiter: config.rate_limit.map(RateLimiter::new),
            config,
            clock: ctx.clock().clone(),
            dataset,
            fixtures,
            state: Mutex::new(State {
                reports: HashMap::new(),
                order: VecDeque::new(),
                report_ids: ctx.rng_for("report-ids"),
            }),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The clock's date (UTC): what "today", "future" and "the last two days" are relative to.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves the map consistent before anything can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores a new report under a fresh identifier and returns it.
    pub fn add_report(&self, make: impl FnOnce(Uuid) -> Report) -> Report {
        let mut state = self.lock();
        let id = parkbench_kit::seeded_uuid(&mut state.report_ids);
        let report = make(id);
        state.reports.insert(id, report.clone());
        state.order.push_back(id);
        while state.order.len() > MAX_REPORTS {
            if let Some(oldest) = state.order.pop_front() {
                state.reports.remove(&oldest);
            }
        }
        report
    }

    /// The report, if it exists and belongs to `client_id` (another client's report is as
    /// good as missing).
    pub fn report(&self, id: &Uuid, client_id: &str) -> Option<Report> {
        self.lock()
            .reports
            .get(id)
            .filter(|r| r.client_id == client_id)
            .cloned()
    }

    /// Makes the report fail from now on (a `report_failure` fault on the status URL).
    pub fn fail_report(&self, id: &Uuid, reason: String) -> Option<Report> {
        let now = self.now();
        let mut state = self.lock();
        let report = state.reports.get_mut(id)?;
        report.failure = Some(reason);
        report.ready_at = report.ready_at.min(now);
        Some(report.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{DateRange, ReportFormat};
    use parkbench_kit::{Clock, FixtureRoot};

    fn world() -> World {
        let fixtures =
            Fixtures::load(&FixtureRoot::Embedded.for_api(crate::NAME, &crate::FIXTURES)).unwrap();
        let ctx = Ctx::new(
            crate::NAME,
            1,
            Clock::frozen("2026-03-15T12:00:00Z".parse().unwrap()),
        );
        World::new(&ctx, Config::default(), Arc::new(fixtures))
    }

    fn add(world: &World) -> Report {
        let day = world.today();
        world.add_report(|id| Report {
            id,
            client_id: "ofr-test-client".into(),
            operator_id: 60879,
            format: ReportFormat::Csv,
            range: DateRange {
                start: day,
                end: day,
            },
            columns: Arc::from(Vec::new()),
            as_of: day,
            record_count: 0,
            ready_at: world.now(),
            failure: None,
        })
    }

    #[test]
    fn the_oldest_reports_are_forgotten_beyond_the_bound() {
        let world = world();
        let first = add(&world);
        let second = add(&world);
        for _ in 0..MAX_REPORTS - 1 {
            add(&world);
        }
        assert!(
            world.report(&first.id, "ofr-test-client").is_none(),
            "the oldest is gone"
        );
        assert!(world.report(&second.id, "ofr-test-client").is_some());
        assert_eq!(world.lock().reports.len(), MAX_REPORTS);
    }
}

//! The state of the car park: client apps, drivers, parkings, smart keys, parking sessions,
//! transactions, payments and access tokens, behind one lock, and the fixtures that seed it.
//!
//! Fixture times are offsets in minutes from the virtual clock at the moment the state is
//! built (start-up and every `POST /__admin/reset`), so "a session that started 65 minutes
//! ago" stays true whatever day the mock runs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use parkbench_kit::{Clock, Ctx, FixtureError, Fixtures, Rng};
use rand::Rng as _;
use serde::Deserialize;

use crate::Config;
use crate::tariff::{Cents, PriceUnit, Tariff};

pub type Instant = DateTime<Utc>;

/// `2017-09-07T08:00:00+00:00`: how seed 003 writes session and session-key times.
pub fn iso_offset(t: Instant) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// `2017-10-11T15:08:28Z`: how the smart-keys, transactions and booking pages write times.
pub fn iso_z(t: Instant) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------------
// Fixture files, as a person writes them.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientAppFile {
    client_app_id: String,
    client_secret: String,
    #[serde(default)]
    #[allow(dead_code, reason = "a label for the person editing the fixture")]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DriverFile {
    id: i64,
    email: String,
    password: String,
    first_name: String,
    last_name: String,
    phone: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessPointFile {
    module_id: i64,
    mac_address: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParkingFile {
    id: i64,
    name: String,
    price_unit: String,
    default_price: String,
    currency: String,
    #[serde(default)]
    is_online: bool,
    access_points: Vec<AccessPointFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    id: i64,
    driver: String,
    secured_parking_id: i64,
    state: String,
    start_offset_minutes: i64,
    #[serde(default = "default_tries")]
    entrance_remaining_tries: u32,
    #[serde(default = "default_tries")]
    exit_remaining_tries: u32,
    smart_key_id: i64,
}

fn default_tries() -> u32 {
    10
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmartKeyFile {
    id: i64,
    driver: String,
    secured_parking_id: i64,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    description: Option<String>,
    is_active: bool,
    start_offset_minutes: i64,
    #[serde(default)]
    end_offset_minutes: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransactionFile {
    id: i64,
    driver: String,
    secured_parking_id: i64,
    start_offset_minutes: i64,
    duration_minutes: i64,
    payment_status: String,
}

// ---------------------------------------------------------------------------------------------
// The checked fixtures, kept by the API and turned into fresh state on every reset.

/// Every fixture file, read and checked once.
#[derive(Debug)]
pub struct Seed {
    apps: Vec<ClientApp>,
    drivers: Vec<Driver>,
    parkings: Vec<Parking>,
    sessions: Vec<SessionSeed>,
    smart_keys: Vec<KeySeed>,
    transactions: Vec<TransactionSeed>,
}

#[derive(Debug)]
struct SessionSeed {
    id: i64,
    driver_id: i64,
    parking_id: i64,
    state: SessionState,
    start_offset: TimeDelta,
    entrance_remaining_tries: u32,
    exit_remaining_tries: u32,
    smart_key_id: i64,
}

#[derive(Debug)]
struct KeySeed {
    id: i64,
    driver_id: i64,
    parking_id: i64,
    kind: KeyType,
    description: Option<String>,
    is_active: bool,
    start_offset: TimeDelta,
    end_offset: Option<TimeDelta>,
}

#[derive(Debug)]
struct TransactionSeed {
    id: i64,
    driver_id: i64,
    parking_id: i64,
    start_offset: TimeDelta,
    duration: TimeDelta,
    payment_status: PaymentStatus,
}

const APPS: &str = "client_apps.json";
const DRIVERS: &str = "drivers.json";
const PARKINGS: &str = "parkings.json";
const SESSIONS: &str = "parking_sessions.json";
const SMART_KEYS: &str = "smart_keys.json";
const TRANSACTIONS: &str = "transactions.json";

/// Offsets beyond a century either way are typos, and would overflow chrono.
const MAX_OFFSET_MINUTES: i64 = 100 * 366 * 24 * 60;

fn offset(
    minutes: i64,
    fixtures: &Fixtures,
    file: &str,
    what: &str,
) -> Result<TimeDelta, FixtureError> {
    if minutes.abs() > MAX_OFFSET_MINUTES {
        return Err(FixtureError::new(
            fixtures.location(file),
            format!("{what}: {minutes} minutes is more than a century away"),
        ));
    }
    Ok(TimeDelta::minutes(minutes))
}

fn is_mac_address(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
}

impl Seed {
    /// Reads and checks every fixture file; the error names the file and the entry at fault.
    pub fn load(fixtures: &Fixtures) -> Result<Self, FixtureError> {
        let fail = |file: &str, reason: String| FixtureError::new(fixtures.location(file), reason);

        let mut apps = Vec::new();
        for app in fixtures.json::<Vec<ClientAppFile>>(APPS)? {
            if app.client_app_id.is_empty() || app.client_secret.is_empty() {
                return Err(fail(
                    APPS,
                    "client_app_id and client_secret must not be empty".into(),
                ));
            }
            if apps
                .iter()
                .any(|a: &ClientApp| a.client_app_id == app.client_app_id)
            {
                return Err(fail(
                    APPS,
                    format!("client_app_id `{}` appears twice", app.client_app_id),
                ));
            }
            apps.push(ClientApp {
                client_app_id: app.client_app_id,
                client_secret: app.client_secret,
            });
        }

        let mut drivers: Vec<Driver> = Vec::new();
        for d in fixtures.json::<Vec<DriverFile>>(DRIVERS)? {
            let email = d.email.trim().to_lowercase();
            if !crate::registration::is_email(&email) {
                return Err(fail(
                    DRIVERS,
                    format!("driver {}: `{}` is not an e-mail address", d.id, d.email),
                ));
            }
            if d.password.is_empty() {
                return Err(fail(DRIVERS, format!("driver {}: empty password", d.id)));
            }
            if d.id <= 0 || drivers.iter().any(|x| x.id == d.id) {
                return Err(fail(
                    DRIVERS,
                    format!("driver id {} is not positive or appears twice", d.id),
                ));
            }
            if drivers.iter().any(|x| x.email == email) {
                return Err(fail(DRIVERS, format!("e-mail `{email}` appears twice")));
            }
            drivers.push(Driver {
                id: d.id,
                email,
                password: d.password,
                first_name: d.first_name,
                last_name: d.last_name,
                phone: d.phone,
                has_card: false,
            });
        }
        let driver_id = |file: &str, email: &str| {
            let email = email.trim().to_lowercase();
            drivers
                .iter()
                .find(|d| d.email == email)
                .map(|d| d.id)
                .ok_or_else(|| {
                    fail(
                        file,
                        format!("no driver with e-mail `{email}` in {DRIVERS}"),
                    )
                })
        };

        let mut parkings: Vec<Parking> = Vec::new();
        for p in fixtures.json::<Vec<ParkingFile>>(PARKINGS)? {
            let unit: PriceUnit = p
                .price_unit
                .parse()
                .map_err(|e| fail(PARKINGS, format!("parking {}: {e}", p.id)))?;
            let price: Cents = p
                .default_price
                .parse()
                .map_err(|e| fail(PARKINGS, format!("parking {}: default_price {e}", p.id)))?;
            if parkings.iter().any(|x| x.id == p.id) {
                return Err(fail(PARKINGS, format!("parking id {} appears twice", p.id)));
            }
            if p.currency.len() != 3 || !p.currency.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(fail(
                    PARKINGS,
                    format!(
                        "parking {}: currency `{}` is not a code such as RON",
                        p.id, p.currency
                    ),
                ));
            }
            if p.access_points.is_empty() {
                return Err(fail(
                    PARKINGS,
                    format!("parking {}: needs at least one access point", p.id),
                ));
            }
            let mut access_points = Vec::new();
            for ap in p.access_points {
                if !is_mac_address(&ap.mac_address) {
                    return Err(fail(
                        PARKINGS,
                        format!(
                            "parking {}: `{}` is not a MAC address",
                            p.id, ap.mac_address
                        ),
                    ));
                }
                access_points.push(AccessPoint {
                    module_id: ap.module_id,
                    mac_address: ap.mac_address,
                });
            }
            parkings.push(Parking {
                id: p.id,
                name: p.name,
                tariff: Tariff { unit, price },
                currency: p.currency,
                is_online: p.is_online,
                access_points,
            });
        }
        let parking_id = |file: &str, id: i64| {
            parkings
                .iter()
                .any(|p| p.id == id)
                .then_some(id)
                .ok_or_else(|| fail(file, format!("no parking {id} in {PARKINGS}")))
        };

        let mut key_ids = BTreeSet::new();
        let mut smart_keys = Vec::new();
        for k in fixtures.json::<Vec<SmartKeyFile>>(SMART_KEYS)? {
            let kind = KeyType::listed(&k.kind).ok_or_else(|| {
                fail(
                    SMART_KEYS,
                    format!(
                        "smart key {}: type `{}` is not one of permanent_access, short_access, request, booking, owner_access, admin_access",
                        k.id, k.kind
                    ),
                )
            })?;
            if !key_ids.insert(k.id) {
                return Err(fail(
                    SMART_KEYS,
                    format!("smart key id {} appears twice", k.id),
                ));
            }
            let start_offset = offset(
                k.start_offset_minutes,
                fixtures,
                SMART_KEYS,
                "start_offset_minutes",
            )?;
            let end_offset = k
                .end_offset_minutes
                .map(|m| offset(m, fixtures, SMART_KEYS, "end_offset_minutes"))
                .transpose()?;
            if end_offset.is_some_and(|end| end < start_offset) {
                return Err(fail(
                    SMART_KEYS,
                    format!("smart key {}: ends before it starts", k.id),
                ));
            }
            smart_keys.push(KeySeed {
                id: k.id,
                driver_id: driver_id(SMART_KEYS, &k.driver)?,
                parking_id: parking_id(SMART_KEYS, k.secured_parking_id)?,
                kind,
                description: k.description,
                is_active: k.is_active,
                start_offset,
                end_offset,
            });
        }

        let mut sessions: Vec<SessionSeed> = Vec::new();
        for s in fixtures.json::<Vec<SessionFile>>(SESSIONS)? {
            let state = match s.state.as_str() {
                "entering" => SessionState::Entering,
                "active" => SessionState::Active,
                other => {
                    return Err(fail(
                        SESSIONS,
                        format!(
                            "session {}: state `{other}` must be entering or active (later states come from the API)",
                            s.id
                        ),
                    ));
                }
            };
            if s.id <= 0 || sessions.iter().any(|x| x.id == s.id) {
                return Err(fail(
                    SESSIONS,
                    format!("session id {} is not positive or appears twice", s.id),
                ));
            }
            if !key_ids.insert(s.smart_key_id) {
                return Err(fail(
                    SESSIONS,
                    format!(
                        "session {}: smart_key_id {} is already used by another key",
                        s.id, s.smart_key_id
                    ),
                ));
            }
            if s.start_offset_minutes > 0 {
                return Err(fail(
                    SESSIONS,
                    format!("session {}: cannot start in the future", s.id),
                ));
            }
            let driver = driver_id(SESSIONS, &s.driver)?;
            if sessions.iter().any(|x| x.driver_id == driver) {
                return Err(fail(
                    SESSIONS,
                    format!(
                        "session {}: driver `{}` already has an open session",
                        s.id, s.driver
                    ),
                ));
            }
            sessions.push(SessionSeed {
                id: s.id,
                driver_id: driver,
                parking_id: parking_id(SESSIONS, s.secured_parking_id)?,
                state,
                start_offset: offset(
                    s.start_offset_minutes,
                    fixtures,
                    SESSIONS,
                    "start_offset_minutes",
                )?,
                entrance_remaining_tries: s.entrance_remaining_tries,
                exit_remaining_tries: s.exit_remaining_tries,
                smart_key_id: s.smart_key_id,
            });
        }

        let mut transactions: Vec<TransactionSeed> = Vec::new();
        for t in fixtures.json::<Vec<TransactionFile>>(TRANSACTIONS)? {
            let payment_status = PaymentStatus::parse(&t.payment_status).ok_or_else(|| {
                fail(
                    TRANSACTIONS,
                    format!(
                        "transaction {}: payment_status `{}` is not confirmed, pending or error",
                        t.id, t.payment_status
                    ),
                )
            })?;
            if transactions.iter().any(|x| x.id == t.id) {
                return Err(fail(
                    TRANSACTIONS,
                    format!("transaction id {} appears twice", t.id),
                ));
            }
            if t.duration_minutes <= 0 || t.start_offset_minutes + t.duration_minutes > 0 {
                return Err(fail(
                    TRANSACTIONS,
                    format!(
                        "transaction {}: must last at least a minute and end before start-up",
                        t.id
                    ),
                ));
            }
            transactions.push(TransactionSeed {
                id: t.id,
                driver_id: driver_id(TRANSACTIONS, &t.driver)?,
                parking_id: parking_id(TRANSACTIONS, t.secured_parking_id)?,
                start_offset: offset(
                    t.start_offset_minutes,
                    fixtures,
                    TRANSACTIONS,
                    "start_offset_minutes",
                )?,
                duration: offset(
                    t.duration_minutes,
                    fixtures,
                    TRANSACTIONS,
                    "duration_minutes",
                )?,
                payment_status,
            });
        }

        Ok(Self {
            apps,
            drivers,
            parkings,
            sessions,
            smart_keys,
            transactions,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The live state.

#[derive(Clone, Debug)]
pub struct ClientApp {
    pub client_app_id: String,
    pub client_secret: String,
}

#[derive(Clone, Debug)]
pub struct Driver {
    pub id: i64,
    /// Lower case: e-mails are matched without regard to case, as Devise does.
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    /// A confirmed payment leaves the card on file; until then bookings are card verifications.
    pub has_card: bool,
}

#[derive(Clone, Debug)]
pub struct AccessPoint {
    pub module_id: i64,
    pub mac_address: String,
}

#[derive(Clone, Debug)]
pub struct Parking {
    pub id: i64,
    pub name: String,
    pub tariff: Tariff,
    pub currency: String,
    pub is_online: bool,
    pub access_points: Vec<AccessPoint>,
}

/// A parking session's lifecycle. Seed 003 names `entering`, `active`, `exiting` "...";
/// `paid` is the mock's name for the state after a confirmed payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    Entering,
    Active,
    Exiting,
    Paid,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Entering => "entering",
            SessionState::Active => "active",
            SessionState::Exiting => "exiting",
            SessionState::Paid => "paid",
        }
    }

    /// Shown by `GET .../parking_sessions/current`: the car is still inside.
    pub fn is_open(self) -> bool {
        !matches!(self, SessionState::Paid)
    }
}

/// The smart-key types of `GET /api/car_driver/smart_keys`, plus the finalize answer's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    PermanentAccess,
    ShortAccess,
    Request,
    Booking,
    OwnerAccess,
    AdminAccess,
    SessionAccess,
}

impl KeyType {
    const LISTED: [KeyType; 6] = [
        KeyType::PermanentAccess,
        KeyType::ShortAccess,
        KeyType::Request,
        KeyType::Booking,
        KeyType::OwnerAccess,
        KeyType::AdminAccess,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::PermanentAccess => "permanent_access",
            KeyType::ShortAccess => "short_access",
            KeyType::Request => "request",
            KeyType::Booking => "booking",
            KeyType::OwnerAccess => "owner_access",
            KeyType::AdminAccess => "admin_access",
            KeyType::SessionAccess => "session_access",
        }
    }

    fn listed(s: &str) -> Option<Self> {
        Self::LISTED.into_iter().find(|k| k.as_str() == s)
    }
}

/// The key that opens the barrier for one parking session (`type: session_access`): valid a
/// short window from entry, and a fresh window from the moment the session is finalized.
#[derive(Clone, Debug)]
pub struct SessionKey {
    pub id: i64,
    pub access_command: String,
    pub start_time: Instant,
    pub end_time: Instant,
}

#[derive(Clone, Debug)]
pub struct ParkingSession {
    pub id: i64,
    pub driver_id: i64,
    pub parking_id: i64,
    pub state: SessionState,
    pub start_time: Instant,
    /// Set at finalize.
    pub end_time: Option<Instant>,
    /// Fixed at finalize; before that the amount is computed on each request.
    pub amount: Option<Cents>,
    pub entrance_remaining_tries: u32,
    pub exit_remaining_tries: u32,
    pub key: SessionKey,
}

/// A key of `GET /api/car_driver/smart_keys`.
#[derive(Clone, Debug)]
pub struct SmartKey {
    pub id: i64,
    pub driver_id: i64,
    pub parking_id: i64,
    pub kind: KeyType,
    pub description: Option<String>,
    pub is_active: bool,
    pub access_command: String,
    pub start_time: Instant,
    pub end_time: Option<Instant>,
}

/// `payment_status` of a transaction (the transactions page: confirmed, pending, error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Confirmed,
    Error,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Confirmed => "confirmed",
            PaymentStatus::Error => "error",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            PaymentStatus::Pending,
            PaymentStatus::Confirmed,
            PaymentStatus::Error,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

#[derive(Clone, Debug)]
pub struct Transaction {
    pub id: i64,
    pub driver_id: i64,
    pub parking_id: i64,
    pub start_time: Instant,
    pub end_time: Instant,
    pub amount: Cents,
    pub currency: String,
    pub payment_status: PaymentStatus,
}

/// What a payment pays for; it decides which test cards the payment page takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Seed 003: finalize's `pay_url`. Netopia MobilPay and EPX.
    ParkingSession {
        session_id: i64,
        transaction_id: i64,
    },
    /// The create-booking page: Netopia MobilPay.
    Booking { smart_key_id: i64 },
    /// The add-card page: MobilPay in v1; v2 adds EPX.
    CardVerification { v2: bool },
}

#[derive(Clone, Debug)]
pub struct Payment {
    pub id: i64,
    pub driver_id: i64,
    pub purpose: Purpose,
    pub amount: Cents,
    pub currency: String,
    pub status: PaymentStatus,
    pub env_key: String,
    pub data: String,
}

#[derive(Clone, Debug)]
pub struct AccessToken {
    pub driver_id: i64,
    pub expires_at: Instant,
}

/// Everything that changes, behind the world's one lock.
#[derive(Debug)]
pub struct State {
    pub apps: Vec<ClientApp>,
    pub drivers: BTreeMap<i64, Driver>,
    pub parkings: BTreeMap<i64, Parking>,
    pub sessions: BTreeMap<i64, ParkingSession>,
    pub smart_keys: BTreeMap<i64, SmartKey>,
    pub transactions: BTreeMap<i64, Transaction>,
    pub payments: BTreeMap<i64, Payment>,
    tokens: HashMap<String, AccessToken>,
    /// Tokens draw from their own stream, so other generated values do not shift them.
    token_rng: Rng,
    rng: Rng,
    next_driver_id: i64,
    next_session_id: i64,
    next_key_id: i64,
    next_transaction_id: i64,
    next_payment_id: i64,
}

/// How many random bytes an `access_command` has: the vendor's examples are 68 hex digits.
const ACCESS_COMMAND_BYTES: usize = 34;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl State {
    fn from_seed(seed: &Seed, now: Instant, ctx: &Ctx, config: &Config) -> Self {
        let mut state = State {
            apps: seed.apps.clone(),
            drivers: seed.drivers.iter().map(|d| (d.id, d.clone())).collect(),
            parkings: seed.parkings.iter().map(|p| (p.id, p.clone())).collect(),
            sessions: BTreeMap::new(),
            smart_keys: BTreeMap::new(),
            transactions: BTreeMap::new(),
            payments: BTreeMap::new(),
            tokens: HashMap::new(),
            token_rng: ctx.rng_for("tokens"),
            rng: ctx.rng_for("keys"),
            next_driver_id: 1,
            next_session_id: 1,
            next_key_id: 1,
            next_transaction_id: 1,
            next_payment_id: 1,
        };
        let window = config.session_key_window();
        for k in &seed.smart_keys {
            let access_command = state.access_command();
            state.smart_keys.insert(
                k.id,
                SmartKey {
                    id: k.id,
                    driver_id: k.driver_id,
                    parking_id: k.parking_id,
                    kind: k.kind,
                    description: k.description.clone(),
                    is_active: k.is_active,
                    access_command,
                    start_time: now + k.start_offset,
                    end_time: k.end_offset.map(|o| now + o),
                },
            );
        }
        for s in &seed.sessions {
            let start_time = now + s.start_offset;
            let key = SessionKey {
                id: s.smart_key_id,
                access_command: state.access_command(),
                start_time,
                end_time: start_time + window,
            };
            state.sessions.insert(
                s.id,
                ParkingSession {
                    id: s.id,
                    driver_id: s.driver_id,
                    parking_id: s.parking_id,
                    state: s.state,
                    start_time,
                    end_time: None,
                    amount: None,
                    entrance_remaining_tries: s.entrance_remaining_tries,
                    exit_remaining_tries: s.exit_remaining_tries,
                    key,
                },
            );
        }
        for t in &seed.transactions {
            let parking = &state.parkings[&t.parking_id];
            state.transactions.insert(
                t.id,
                Transaction {
                    id: t.id,
                    driver_id: t.driver_id,
                    parking_id: t.parking_id,
                    start_time: now + t.start_offset,
                    end_time: now + t.start_offset + t.duration,
                    amount: parking.tariff.charge(t.duration),
                    currency: parking.currency.clone(),
                    payment_status: t.payment_status,
                },
            );
        }
        let next = |ids: &mut dyn Iterator<Item = i64>| ids.max().unwrap_or(0) + 1;
        state.next_driver_id = next(&mut state.drivers.keys().copied());
        state.next_session_id = next(&mut state.sessions.keys().copied());
        state.next_key_id = next(
            &mut state
                .smart_keys
                .keys()
                .copied()
                .chain(state.sessions.values().map(|s| s.key.id)),
        );
        state.next_transaction_id = next(&mut state.transactions.keys().copied());
        state
    }

    /// A fresh barrier command.
    pub fn access_command(&mut self) -> String {
        let mut bytes = [0u8; ACCESS_COMMAND_BYTES];
        self.rng.fill_bytes(&mut bytes);
        hex(&bytes)
    }

    /// Opaque payment parameters (`env_key`, `data`) for the payment page.
    pub fn opaque(&mut self, len: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; len];
        self.rng.fill_bytes(&mut bytes);
        bytes
    }

    pub fn take_driver_id(&mut self) -> i64 {
        let id = self.next_driver_id;
        self.next_driver_id += 1;
        id
    }

    pub fn take_session_id(&mut self) -> i64 {
        let id = self.next_session_id;
        self.next_session_id += 1;
        id
    }

    pub fn take_key_id(&mut self) -> i64 {
        let id = self.next_key_id;
        self.next_key_id += 1;
        id
    }

    pub fn take_transaction_id(&mut self) -> i64 {
        let id = self.next_transaction_id;
        self.next_transaction_id += 1;
        id
    }

    pub fn take_payment_id(&mut self) -> i64 {
        let id = self.next_payment_id;
        self.next_payment_id += 1;
        id
    }

    pub fn app_matches(&self, client_app_id: &str, client_secret: &str) -> bool {
        self.apps
            .iter()
            .any(|a| a.client_app_id == client_app_id && a.client_secret == client_secret)
    }

    pub fn driver_by_email(&self, email: &str) -> Option<&Driver> {
        let email = email.trim().to_lowercase();
        self.drivers.values().find(|d| d.email == email)
    }

    /// Issues an access token and its refresh token (64 hex digits each, as the vendor's
    /// examples), and forgets tokens that have expired.
    pub fn issue_token(
        &mut self,
        driver_id: i64,
        now: Instant,
        ttl: TimeDelta,
    ) -> (String, String) {
        self.tokens.retain(|_, t| t.expires_at > now);
        let mut draw = || {
            let mut bytes = [0u8; 32];
            self.token_rng.fill_bytes(&mut bytes);
            hex(&bytes)
        };
        let access = draw();
        let refresh = draw();
        self.tokens.insert(
            access.clone(),
            AccessToken {
                driver_id,
                expires_at: now + ttl,
            },
        );
        (access, refresh)
    }

    pub fn token(&self, access_token: &str) -> Option<&AccessToken> {
        self.tokens.get(access_token)
    }

    /// The driver's session still in the car park, if any (at most one).
    pub fn open_session_of(&self, driver_id: i64) -> Option<&ParkingSession> {
        self.sessions
            .values()
            .rev()
            .find(|s| s.driver_id == driver_id && s.state.is_open())
    }
}

/// The shared state of one router: the clock, the configuration and the locked [`State`].
#[derive(Clone)]
pub struct World {
    clock: Clock,
    config: Arc<Config>,
    state: Arc<Mutex<State>>,
}

impl World {
    /// Fresh state from the fixtures, times anchored at the clock's present.
    pub fn new(seed: &Seed, config: &Config, ctx: &Ctx) -> Self {
        let now = ctx.clock().now();
        Self {
            clock: ctx.clock().clone(),
            config: Arc::new(config.clone()),
            state: Arc::new(Mutex::new(State::from_seed(seed, now, ctx, config))),
        }
    }

    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The lock is never held across an `.await`; handlers compute their answer inside and
    /// respond outside.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // Handlers validate before they mutate, so a panic cannot leave a half-applied change
        // that would be worse than refusing every later request.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_addresses_are_checked() {
        assert!(is_mac_address("76:86:BB:DE:63:AD"));
        assert!(!is_mac_address("76:86:BB:DE:63"));
        assert!(!is_mac_address("76:86:BB:DE:63:GG"));
    }

    #[test]
    fn times_are_written_as_the_documents_write_them() {
        let t: Instant = "2017-09-07T08:00:00.123456Z".parse().unwrap();
        assert_eq!(iso_offset(t), "2017-09-07T08:00:00+00:00");
        assert_eq!(iso_z(t), "2017-09-07T08:00:00Z");
    }
}

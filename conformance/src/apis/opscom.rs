//! OPS-COM (seeds 004 and 002, api-notes section 3): every documented way a request can be
//! wrong gets its exact `ErrorCode` and `ErrorMessage`; valid generated requests are accepted;
//! permits (push / update / delete / stats in random order) agree with a reference model;
//! profiles are created then updated by `unique_id` with unique e-mails and user names; a
//! second `send_overdue_to_collections` returns nothing new.
//!
//! The HTTP status of an error is not documented: any 4xx is accepted, and 200 as well (a
//! deployment may answer errors with 200, as `--opscom-error-status 200` does); the body is
//! what is checked.

use super::scenario;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use proptest::prelude::*;
use proptest::sample::select;
use proptest_state_machine::ReferenceStateMachine;
use serde_json::{Map, Value, json};

use crate::checks::{JSON, ResponseSpec};
use crate::client::{Exchange, Request};
use crate::creds::Credentials;
use crate::props::property;
use crate::run::{ApiRun, Stop};
use crate::{ApiName, Needs, PlanCtx, Scenario};

pub const PUSH: &str = "permits/push";
pub const UPDATE: &str = "permits/update";
pub const DELETE: &str = "permits/delete";
pub const STATS: &str = "permits/stats";
pub const VEHICLES: &str = "vehicles/push";
pub const USER_TYPES: &str = "profiles/types/list";
pub const PROFILES: &str = "profiles/push";
pub const VIOLATIONS: &str = "violations/send_overdue_to_collections";

/// Errors answer any 4xx, or 200 (see the module's doc).
const ERROR_STATUSES: &[u16] = &[200, 400, 401, 403, 404, 405, 409, 413, 422];

macro_rules! op_specs {
    ($($op:expr => $schema:expr),* $(,)?) => {
        &[$(
            ResponseSpec::new($op, ERROR_STATUSES, &[JSON]).schema("error").when("/ErrorCode"),
            ResponseSpec::new($op, &[200], &[JSON]).schema($schema),
        )*]
    };
}

/// Seed 004: every answer is `application/json`; successes in the documented shapes, errors
/// as `{"ErrorCode", "ErrorMessage"}`.
pub const SPECS: &[ResponseSpec] = op_specs![
    PUSH => "permit_push_response",
    UPDATE => "permit_update_response",
    DELETE => "permit_delete_response",
    STATS => "permit_stats_response",
    VEHICLES => "vehicle_push_response",
    USER_TYPES => "user_types_list_response",
    PROFILES => "profile_push_response",
    VIOLATIONS => "send_overdue_to_collections_response",
];

/// Seed 004's error table, texts as written (9007's row is broken over two lines there).
pub fn message(code: u64) -> Option<&'static str> {
    Some(match code {
        9000 => "Client Code is missing from the request.",
        9001 => "API Token is missing from the request.",
        9002 => "The supplied API token does not have permission to perform that request.",
        9003 => "Could not parse the request.",
        9004 => "End Time is a required field.",
        9005 => "The end time value is invalid.",
        9006 => "Plate is a required field.",
        9007 => "The start time value is invalid.",
        9008 => {
            "Reference ID is required. On a new permit push, a reference id is returned. This is required for updates and deletes."
        }
        9009 => "Record not found.",
        9010 => "The Plate Type is required.",
        9011 => "The province or state is required.",
        9012 => "The vehicle is already in the database.",
        9013 => "A unique id is required.",
        9014 => "The login source is required.",
        9015 => "The login source is invalid.",
        9016 => "The user e-mail is required.",
        9017 => "The user's first name is required.",
        9018 => "The user's last name is required.",
        9019 => "The user's email address must be unique.",
        9020 => "The user's username must be unique.",
        9021 => "The vehicle's plate length exceeds 50 characters.",
        9022 => "A record already exists with the supplied details.",
        9030 => "The field's maximum number of characters was exceeded.",
        9031 => "The field is required.",
        9032 => "The field has a minimum number of characters.",
        9033 => "The field's value is invalid.",
        _ => return None,
    })
}

/// The demo customer's zones in the mock's fixtures (fixture contract).
const MOCK_ZONES: &[&str] = &["Lot 01", "Lot 02", "Lot 4", "zone1"];

fn creds(run: &ApiRun) -> &crate::creds::Opscom {
    match &run.creds {
        Credentials::Opscom(c) => c,
        _ => unreachable!("OPS-COM checks run with OPS-COM credentials"),
    }
}

fn url(run: &ApiRun, operation: &str) -> String {
    run.url(&format!("/api/{}/v1/{operation}", creds(run).client_code))
}

/// POSTs a JSON object with the run's token added (unless `body` has `apiToken` already, or
/// `null` to leave it out).
async fn post(
    run: &ApiRun,
    operation: &'static str,
    mut body: Map<String, Value>,
) -> Result<Exchange, Stop> {
    match body.get("apiToken") {
        None => {
            body.insert(
                "apiToken".into(),
                Value::String(creds(run).api_token.clone()),
            );
        }
        Some(Value::Null) => {
            body.remove("apiToken");
        }
        Some(_) => {}
    }
    run.send(
        Request::post(operation, url(run, operation))
            .header("Accept", "application/json")
            .json(Value::Object(body)),
    )
    .await
}

fn error_code(exchange: &Exchange) -> Option<u64> {
    exchange.json()?.get("ErrorCode")?.as_u64()
}

/// `error-code`: the exact documented code and text.
fn expect_code(run: &ApiRun, operation: &str, exchange: &Exchange, code: u64) -> bool {
    let body = exchange.json().unwrap_or(Value::Null);
    let ok =
        body["ErrorCode"].as_u64() == Some(code) && body["ErrorMessage"].as_str() == message(code);
    run.check(
        operation,
        "error-code",
        ok,
        format!("ErrorCode {code} \"{}\"", message(code).unwrap_or_default()),
        exchange,
    )
}

/// `accepted`: a valid request gets a success (no `ErrorCode`).
fn expect_success(run: &ApiRun, operation: &str, exchange: &Exchange) -> bool {
    let body = exchange.json().unwrap_or(Value::Null);
    let ok = exchange.status == 200
        && body.get("ErrorCode").is_none()
        && (matches!(operation, STATS | VIOLATIONS) || body["status"] == "success");
    run.check(
        operation,
        "accepted",
        ok,
        "200 with a success body",
        exchange,
    )
}

/// Unique across the run (shrinking replays cases, so generated text alone could repeat).
fn serial() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn tag(run: &ApiRun) -> String {
    format!("{}-{}", run.run_id, serial())
}

// ---- permits ----------------------------------------------------------------------------------

/// A valid permit push, with each attribute under one of its documented names.
#[derive(Clone, Debug, PartialEq)]
pub struct Permit {
    pub plate: String,
    pub amount: Option<String>,
    pub currency: Option<&'static str>,
    pub zone: Option<usize>,
    pub start: NaiveDateTime,
    pub minutes: i64,
    /// Which alias each attribute is sent under (seed 004's "Possible Names").
    pub aliases: [bool; 7],
}

fn base_start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 2)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default()
}

fn fmt(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn permit() -> impl Strategy<Value = Permit> {
    (
        "[A-Z0-9]{2,8}",
        proptest::option::of("[1-9][0-9]{0,3}\\.[0-9]{2}"),
        proptest::option::of(select(&["CAD", "USD", "cad"][..])),
        proptest::option::of(0usize..4),
        0i64..100_000,
        1i64..4000,
        any::<[bool; 7]>(),
    )
        .prop_map(
            |(plate, amount, currency, zone, offset, minutes, aliases)| Permit {
                plate,
                amount,
                currency,
                zone,
                start: base_start() + TimeDelta::minutes(offset),
                minutes,
                aliases,
            },
        )
}

fn minimal_permit() -> Permit {
    Permit {
        plate: "PL8RDR".into(),
        amount: Some("14.50".into()),
        currency: Some("CAD"),
        zone: None,
        start: base_start(),
        minutes: 30,
        aliases: [false; 7],
    }
}

fn name(aliases: &[bool; 7], i: usize, a: &'static str, b: &'static str) -> String {
    (if aliases[i] { b } else { a }).to_owned()
}

fn zone_name(zones: &[String], zone: Option<usize>) -> Option<String> {
    let zone = zone?;
    (!zones.is_empty()).then(|| zones[zone % zones.len()].clone())
}

fn push_body(p: &Permit, zones: &[String], permit_no: &str) -> Map<String, Value> {
    let a = &p.aliases;
    let mut body = Map::new();
    body.insert(name(a, 0, "plate", "LicencePlate"), json!(p.plate));
    body.insert(name(a, 1, "startTime", "StartDateUtc"), json!(fmt(p.start)));
    body.insert(
        name(a, 2, "endTime", "EndDateUtc"),
        json!(fmt(p.start + TimeDelta::minutes(p.minutes))),
    );
    if let Some(amount) = &p.amount {
        body.insert(name(a, 3, "amount", "Amount"), json!(amount));
    }
    if let Some(currency) = p.currency {
        body.insert(name(a, 4, "currency", "CurrencyID"), json!(currency));
    }
    if let Some(zone) = zone_name(zones, p.zone) {
        body.insert(name(a, 5, "zone", "ParkingZoneName"), json!(zone));
    }
    body.insert(name(a, 6, "permitNo", "TicketNumber"), json!(permit_no));
    body
}

/// One way a permit push can be wrong, and the code it must get.
#[derive(Clone, Debug, PartialEq)]
pub enum PushDefect {
    NoToken,
    BadToken(String),
    NoPlate,
    LongPlate(usize),
    NoStart,
    BadStart(String),
    NoEnd,
    BadEnd(String),
    BadAmount(String),
    LongAmount(String),
    BadCurrency(String),
    LongZone(usize),
    LongPermitNo(usize),
    NotJson(String),
    NotAnObject,
    NoClientCode,
}

impl PushDefect {
    pub fn code(&self) -> u64 {
        match self {
            PushDefect::NoToken => 9001,
            PushDefect::BadToken(_) => 9002,
            PushDefect::NoPlate => 9006,
            PushDefect::NoStart => 9031,
            PushDefect::BadStart(_) => 9007,
            PushDefect::NoEnd => 9004,
            PushDefect::BadEnd(_) => 9005,
            PushDefect::BadAmount(_) | PushDefect::BadCurrency(_) => 9033,
            PushDefect::LongPlate(_)
            | PushDefect::LongAmount(_)
            | PushDefect::LongZone(_)
            | PushDefect::LongPermitNo(_) => 9030,
            PushDefect::NotJson(_) | PushDefect::NotAnObject => 9003,
            PushDefect::NoClientCode => 9000,
        }
    }
}

/// Not `Y-m-d\TH:i:s` (seed 004's "For formatting help, see PHP Date Formatting").
fn bad_datetime() -> impl Strategy<Value = String> {
    prop_oneof![
        select(
            &[
                "2018-07-02 09:00:00",
                "2018/07/02T09:00:00",
                "02-07-2018T09:00:00",
                "2018-07-02T09:00",
                "2018-13-02T09:00:00",
                "2018-07-32T09:00:00",
                "2018-07-02T25:00:00",
                "2018-02-30T09:00:00",
                "2018-07-02T09:00:00+02:00",
                "tomorrow",
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z]{1,12}",
        "[0-9]{8}",
    ]
}

fn push_defect() -> impl Strategy<Value = PushDefect> {
    prop_oneof![
        Just(PushDefect::NoToken),
        "[a-z0-9-]{10,50}".prop_map(PushDefect::BadToken),
        Just(PushDefect::NoPlate),
        (26usize..80).prop_map(PushDefect::LongPlate),
        Just(PushDefect::NoStart),
        bad_datetime().prop_map(PushDefect::BadStart),
        Just(PushDefect::NoEnd),
        bad_datetime().prop_map(PushDefect::BadEnd),
        prop_oneof![
            Just("0.00".to_owned()),
            "[1-9][0-9]{0,5}",
            "[0-9]{1,5}\\.[0-9]",
            "[0-9]{1,4}\\.[0-9]{3}",
            "-[1-9]\\.[0-9]{2}",
            "[a-z]{1,9}",
        ]
        .prop_map(PushDefect::BadAmount),
        "[1-9][0-9]{6,8}\\.[0-9]{2}".prop_map(PushDefect::LongAmount),
        "[A-Z]{3}"
            .prop_filter("not a documented currency", |c| c != "CAD" && c != "USD")
            .prop_map(PushDefect::BadCurrency),
        (201usize..400).prop_map(PushDefect::LongZone),
        (51usize..120).prop_map(PushDefect::LongPermitNo),
        prop_oneof![
            Just("{".to_owned()),
            Just("apiToken=x".to_owned()),
            "[a-z ]{1,20}"
        ]
        .prop_map(PushDefect::NotJson),
        Just(PushDefect::NotAnObject),
        Just(PushDefect::NoClientCode),
    ]
}

fn fixed_push_defects() -> Vec<(PushDefect, Permit)> {
    [
        PushDefect::NoToken,
        PushDefect::BadToken("not-a-token".into()),
        PushDefect::NoPlate,
        PushDefect::LongPlate(26),
        PushDefect::NoStart,
        PushDefect::BadStart("2018-07-02 09:00:00".into()),
        PushDefect::NoEnd,
        PushDefect::BadEnd("2018-07-02T09:30".into()),
        PushDefect::BadAmount("14.5".into()),
        PushDefect::LongAmount("1000000.00".into()),
        PushDefect::BadCurrency("EUR".into()),
        PushDefect::LongZone(201),
        PushDefect::LongPermitNo(51),
        PushDefect::NotJson("{".into()),
        PushDefect::NotAnObject,
        PushDefect::NoClientCode,
    ]
    .into_iter()
    .map(|d| (d, minimal_permit()))
    .collect()
}

fn remove_alias(body: &mut Map<String, Value>, names: &[&str]) {
    for n in names {
        body.remove(*n);
    }
}

fn set_alias(body: &mut Map<String, Value>, names: &[&str], value: Value) {
    let present = names
        .iter()
        .find(|n| body.contains_key(**n))
        .copied()
        .unwrap_or(names[0]);
    body.insert(present.to_owned(), value);
}

/// Zones the model pushes into: the demo customer's on a mock; on a real target, the zones
/// its stats show (none: every push is disconnected).
async fn zones(run: &ApiRun) -> Result<Vec<String>, Stop> {
    if run.target.kind.is_mock() {
        return Ok(MOCK_ZONES.iter().map(|z| (*z).to_owned()).collect());
    }
    let stats = stats(run, None).await?;
    Ok(stats.keys().cloned().collect())
}

/// Live permits per zone, from `permits/stats` (summed over types).
async fn stats(run: &ApiRun, zones: Option<&[String]>) -> Result<BTreeMap<String, u64>, Stop> {
    let mut body = Map::new();
    if let Some(zones) = zones {
        body.insert("zones".into(), json!(zones.join(",")));
    }
    let exchange = post(run, STATS, body).await?;
    expect_success(run, STATS, &exchange);
    let mut totals = BTreeMap::new();
    for row in exchange
        .json()
        .and_then(|b| b["data"].as_array().cloned())
        .unwrap_or_default()
    {
        let zone = row["zone"].as_str().unwrap_or_default().to_owned();
        let total: u64 = row["total"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        *totals.entry(zone).or_default() += total;
    }
    Ok(totals)
}

async fn push_negative(run: &ApiRun) -> Result<(), Stop> {
    let zones = zones(run).await?;
    let zones = Arc::new(zones);
    property(
        run,
        "permits/push rejects each defect",
        (push_defect(), permit()),
        fixed_push_defects(),
        |(defect, permit)| {
            let zones = zones.clone();
            async move {
                let mut body = push_body(&permit, &zones, &tag(run));
                let c = creds(run);
                let mut request =
                    Request::post(PUSH, url(run, PUSH)).header("Accept", "application/json");
                body.insert("apiToken".into(), json!(c.api_token));
                match &defect {
                    PushDefect::NoToken => {
                        body.remove("apiToken");
                    }
                    PushDefect::BadToken(t) => {
                        body.insert("apiToken".into(), json!(format!("{t}-{}", run.run_id)));
                    }
                    PushDefect::NoPlate => remove_alias(&mut body, &["plate", "LicencePlate"]),
                    PushDefect::LongPlate(n) => {
                        set_alias(&mut body, &["plate", "LicencePlate"], json!("P".repeat(*n)))
                    }
                    PushDefect::NoStart => remove_alias(&mut body, &["startTime", "StartDateUtc"]),
                    PushDefect::BadStart(s) => {
                        set_alias(&mut body, &["startTime", "StartDateUtc"], json!(s))
                    }
                    PushDefect::NoEnd => remove_alias(&mut body, &["endTime", "EndDateUtc"]),
                    PushDefect::BadEnd(s) => {
                        set_alias(&mut body, &["endTime", "EndDateUtc"], json!(s))
                    }
                    PushDefect::BadAmount(s) | PushDefect::LongAmount(s) => {
                        set_alias(&mut body, &["amount", "Amount"], json!(s));
                    }
                    PushDefect::BadCurrency(s) => {
                        set_alias(&mut body, &["currency", "CurrencyID"], json!(s))
                    }
                    PushDefect::LongZone(n) => set_alias(
                        &mut body,
                        &["zone", "ParkingZoneName"],
                        json!("Z".repeat(*n)),
                    ),
                    PushDefect::LongPermitNo(n) => set_alias(
                        &mut body,
                        &["permitNo", "TicketNumber"],
                        json!("N".repeat(*n)),
                    ),
                    PushDefect::NotJson(_) | PushDefect::NotAnObject | PushDefect::NoClientCode => {
                    }
                }
                request = match &defect {
                    PushDefect::NotJson(text) => request.raw("application/json", text.clone()),
                    PushDefect::NotAnObject => request.json(json!([Value::Object(body)])),
                    PushDefect::NoClientCode => {
                        request.url = run.url("/api//v1/permits/push");
                        request.json(Value::Object(body))
                    }
                    _ => request.json(Value::Object(body)),
                };
                let exchange = run.send(request).await?;
                expect_code(run, PUSH, &exchange, defect.code());
                undo_accidental_push(run, &exchange);
                Ok(())
            }
        },
    )
}

/// A push that should have failed but created a permit is removed at the end of the run.
fn undo_accidental_push(run: &ApiRun, exchange: &Exchange) {
    if let Some(reference) = exchange
        .json()
        .and_then(|b| b["reference_id"].as_str().map(str::to_owned))
    {
        run.add_cleanup(
            format!("permit {reference}"),
            delete_request(run, &reference, 0),
        );
    }
}

fn delete_request(run: &ApiRun, reference: &str, alias: usize) -> Request {
    let key = ["referenceID", "referenceid", "reference_id"][alias % 3];
    Request::post(DELETE, url(run, DELETE))
        .header("Accept", "application/json")
        .json(json!({"apiToken": creds(run).api_token, key: reference}))
}

async fn update_delete_negative(run: &ApiRun) -> Result<(), Stop> {
    #[derive(Clone, Debug)]
    enum Case {
        UpdateNoReference,
        DeleteNoReference,
        UpdateUnknown(u128),
        DeleteUnknown(u128),
        UpdateBadEnd(String),
    }
    let strategy = prop_oneof![
        Just(Case::UpdateNoReference),
        Just(Case::DeleteNoReference),
        any::<u128>().prop_map(Case::UpdateUnknown),
        any::<u128>().prop_map(Case::DeleteUnknown),
        bad_datetime().prop_map(Case::UpdateBadEnd),
    ];
    let fixed = vec![
        Case::UpdateNoReference,
        Case::DeleteNoReference,
        Case::UpdateUnknown(0),
        Case::DeleteUnknown(0),
        Case::UpdateBadEnd("2018-07-02".into()),
    ];
    property(
        run,
        "permits/update and delete reject each defect",
        strategy,
        fixed,
        |case| async move {
            let unknown = |n: u128| {
                format!(
                    "{:08x}-0000-4000-8000-{:012x}",
                    (n >> 64) as u32,
                    n & 0xffff_ffff_ffff
                )
            };
            let (op, body, code) = match &case {
                Case::UpdateNoReference => (UPDATE, json!({"plate": "PL8RDR"}), 9008),
                Case::DeleteNoReference => (DELETE, json!({}), 9008),
                Case::UpdateUnknown(n) => (
                    UPDATE,
                    json!({"referenceID": unknown(*n), "plate": "PL8RDR"}),
                    9009,
                ),
                Case::DeleteUnknown(n) => (DELETE, json!({"reference_id": unknown(*n)}), 9009),
                Case::UpdateBadEnd(s) => (
                    UPDATE,
                    json!({"referenceid": unknown(7), "endTime": s}),
                    9005,
                ),
            };
            let Value::Object(body) = body else {
                unreachable!()
            };
            let exchange = post(run, op, body).await?;
            // An unknown reference with a bad end time: either failure names a real defect.
            if let Case::UpdateBadEnd(_) = case
                && error_code(&exchange) == Some(9009)
            {
                expect_code(run, op, &exchange, 9009);
            } else {
                expect_code(run, op, &exchange, code);
            }
            Ok(())
        },
    )
}

async fn push_valid(run: &ApiRun) -> Result<(), Stop> {
    let zones = Arc::new(zones(run).await?);
    property(
        run,
        "permits/push accepts valid permits",
        permit(),
        vec![minimal_permit()],
        |permit| {
            let zones = zones.clone();
            async move {
                let exchange = post(run, PUSH, push_body(&permit, &zones, &tag(run))).await?;
                if expect_success(run, PUSH, &exchange) {
                    let body = exchange.json().unwrap_or(Value::Null);
                    let reference = body["reference_id"].as_str().unwrap_or_default().to_owned();
                    run.check(
                        PUSH,
                        "model",
                        !reference.is_empty() && body["InternalReferenceID"].is_string(),
                        "a reference_id and an InternalReferenceID",
                        &exchange,
                    );
                    let delete = run
                        .send(delete_request(run, &reference, permit.plate.len()))
                        .await?;
                    if expect_success(run, DELETE, &delete) {
                        let echoed = delete
                            .json()
                            .is_some_and(|b| b["reference_id"] == reference.as_str());
                        run.check(
                            DELETE,
                            "model",
                            echoed,
                            "the same reference_id back",
                            &delete,
                        );
                    } else {
                        run.add_cleanup(
                            format!("permit {reference}"),
                            delete_request(run, &reference, 0),
                        );
                    }
                }
                Ok(())
            }
        },
    )
}

/// The permits reference model: live permits per zone index, and which were deleted.
#[derive(Clone, Debug, Default)]
pub struct PermitsState {
    /// (model id, zone index) of live permits.
    pub live: Vec<(u32, Option<usize>)>,
    pub deleted: Vec<u32>,
    pub next: u32,
}

#[derive(Clone, Debug)]
pub enum PermitStep {
    Push(Permit),
    /// Update the live permit in `slot`, by the alias `alias` of the reference id.
    Update {
        slot: usize,
        alias: usize,
        plate: String,
        minutes: i64,
    },
    Delete {
        slot: usize,
        alias: usize,
    },
    Stats {
        filtered: bool,
    },
    UpdateDeleted {
        slot: usize,
    },
    DeleteDeleted {
        slot: usize,
        alias: usize,
    },
}

pub struct PermitsModel;

impl ReferenceStateMachine for PermitsModel {
    type State = PermitsState;
    type Transition = PermitStep;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(PermitsState::default()).boxed()
    }

    fn transitions(state: &Self::State) -> BoxedStrategy<Self::Transition> {
        let live = state.live.len().max(1);
        let deleted = state.deleted.len().max(1);
        prop_oneof![
            3 => permit().prop_map(PermitStep::Push),
            2 => (0..live, 0usize..3, "[A-Z0-9]{2,8}", 1i64..4000)
                .prop_map(|(slot, alias, plate, minutes)| PermitStep::Update { slot, alias, plate, minutes }),
            2 => (0..live, 0usize..3).prop_map(|(slot, alias)| PermitStep::Delete { slot, alias }),
            2 => any::<bool>().prop_map(|filtered| PermitStep::Stats { filtered }),
            1 => (0..deleted).prop_map(|slot| PermitStep::UpdateDeleted { slot }),
            1 => (0..deleted, 0usize..3).prop_map(|(slot, alias)| PermitStep::DeleteDeleted { slot, alias }),
        ]
        .boxed()
    }

    fn preconditions(state: &Self::State, step: &Self::Transition) -> bool {
        match step {
            PermitStep::Update { slot, .. } | PermitStep::Delete { slot, .. } => {
                *slot < state.live.len()
            }
            PermitStep::UpdateDeleted { slot } | PermitStep::DeleteDeleted { slot, .. } => {
                *slot < state.deleted.len()
            }
            PermitStep::Push(_) | PermitStep::Stats { .. } => true,
        }
    }

    fn apply(mut state: Self::State, step: &Self::Transition) -> Self::State {
        match step {
            PermitStep::Push(p) => {
                state.live.push((state.next, p.zone));
                state.next += 1;
            }
            PermitStep::Delete { slot, .. } => {
                let (id, _) = state.live.remove(*slot);
                state.deleted.push(id);
            }
            _ => {}
        }
        state
    }
}

/// The permits model run against the target: stats per zone must equal the baseline plus the
/// model's live permits; a deleted permit is 9009 for update and delete; the three aliases of
/// the reference id are interchangeable.
async fn permits_model(run: &ApiRun) -> Result<(), Stop> {
    let zones = Arc::new(zones(run).await?);
    let strategy = PermitsModel::sequential_strategy(1..14);
    let fixed_steps = vec![
        PermitStep::Push(minimal_permit()),
        PermitStep::Stats { filtered: false },
        PermitStep::Update {
            slot: 0,
            alias: 1,
            plate: "PL8RDR2".into(),
            minutes: 60,
        },
        PermitStep::Delete { slot: 0, alias: 2 },
        PermitStep::UpdateDeleted { slot: 0 },
        PermitStep::DeleteDeleted { slot: 0, alias: 0 },
        PermitStep::Stats { filtered: true },
    ];
    let fixed = vec![(PermitsState::default(), fixed_steps, None)];
    property(
        run,
        "permits model",
        strategy,
        fixed,
        |(initial, steps, seen)| {
            let zones = zones.clone();
            async move {
                let baseline = stats(run, None).await?;
                let mut state = initial;
                let mut refs: BTreeMap<u32, String> = BTreeMap::new();
                let mut result = Ok(());
                for step in steps {
                    if let Some(seen) = &seen {
                        seen.fetch_add(1, Ordering::SeqCst);
                    }
                    if let Err(stop) =
                        permit_step(run, &zones, &baseline, &state, &step, &mut refs).await
                    {
                        result = Err(stop);
                        break;
                    }
                    state = PermitsModel::apply(state, &step);
                }
                // Cleanup, also when a check failed.
                for (_, reference) in refs
                    .iter()
                    .filter(|(id, _)| state.live.iter().any(|(l, _)| l == *id))
                {
                    let exchange = run.send(delete_request(run, reference, 0)).await?;
                    if error_code(&exchange).is_none() {
                        run.drop_cleanup(&format!("permit {reference}"));
                    }
                }
                result
            }
        },
    )
}

async fn permit_step(
    run: &ApiRun,
    zones: &[String],
    baseline: &BTreeMap<String, u64>,
    state: &PermitsState,
    step: &PermitStep,
    refs: &mut BTreeMap<u32, String>,
) -> Result<(), Stop> {
    let reference_of =
        |id: u32, refs: &BTreeMap<u32, String>| refs.get(&id).cloned().unwrap_or_default();
    match step {
        PermitStep::Push(p) => {
            let exchange = post(run, PUSH, push_body(p, zones, &tag(run))).await?;
            if expect_success(run, PUSH, &exchange) {
                let reference = exchange
                    .json()
                    .and_then(|b| b["reference_id"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                run.add_cleanup(
                    format!("permit {reference}"),
                    delete_request(run, &reference, 0),
                );
                refs.insert(state.next, reference);
            } else {
                return Err(Stop::Broken("a valid push was refused".into()));
            }
        }
        PermitStep::Update {
            slot,
            alias,
            plate,
            minutes,
        } => {
            let reference = reference_of(state.live[*slot].0, refs);
            let key = ["referenceID", "referenceid", "reference_id"][*alias];
            let end = base_start() + TimeDelta::minutes(100_000 + minutes);
            let body = json!({key: reference, "plate": plate, "endTime": fmt(end), "Amount": "14.50", "currency": "CAD"});
            let Value::Object(body) = body else {
                unreachable!()
            };
            let exchange = post(run, UPDATE, body).await?;
            if expect_success(run, UPDATE, &exchange) {
                let echoed = exchange.json().is_some_and(|b| {
                    b["reference_id"]
                        .as_str()
                        .is_some_and(|r| r.eq_ignore_ascii_case(&reference))
                });
                run.check(
                    UPDATE,
                    "model",
                    echoed,
                    format!("the same reference_id back ({key})"),
                    &exchange,
                );
            }
        }
        PermitStep::Delete { slot, alias } => {
            let reference = reference_of(state.live[*slot].0, refs);
            let exchange = run.send(delete_request(run, &reference, *alias)).await?;
            if expect_success(run, DELETE, &exchange) {
                run.drop_cleanup(&format!("permit {reference}"));
                let echoed = exchange.json().is_some_and(|b| {
                    b["reference_id"]
                        .as_str()
                        .is_some_and(|r| r.eq_ignore_ascii_case(&reference))
                });
                run.check(
                    DELETE,
                    "model",
                    echoed,
                    "the same reference_id back",
                    &exchange,
                );
            }
        }
        PermitStep::UpdateDeleted { slot } => {
            let reference = reference_of(state.deleted[*slot], refs);
            let Value::Object(body) = json!({"reference_id": reference, "plate": "GONE1"}) else {
                unreachable!()
            };
            let exchange = post(run, UPDATE, body).await?;
            expect_code(run, UPDATE, &exchange, 9009);
        }
        PermitStep::DeleteDeleted { slot, alias } => {
            let reference = reference_of(state.deleted[*slot], refs);
            let exchange = run.send(delete_request(run, &reference, *alias)).await?;
            expect_code(run, DELETE, &exchange, 9009);
        }
        PermitStep::Stats { filtered } => {
            let mut expected: BTreeMap<String, u64> = baseline.clone();
            for (_, zone) in &state.live {
                if let Some(zone) = zone_name(zones, *zone) {
                    *expected.entry(zone).or_default() += 1;
                }
            }
            expected.retain(|_, n| *n > 0);
            let filter: Option<Vec<String>> =
                (*filtered && !zones.is_empty()).then(|| zones.iter().take(2).cloned().collect());
            if let Some(filter) = &filter {
                expected.retain(|zone, _| filter.iter().any(|f| f.eq_ignore_ascii_case(zone)));
            }
            let actual = stats(run, filter.as_deref()).await?;
            run.check_value(
                STATS,
                "model",
                actual == expected,
                format!(
                    "live permits per zone {expected:?}{}",
                    if filter.is_some() {
                        " (filtered by zones)"
                    } else {
                        ""
                    }
                ),
                || format!("{actual:?}"),
            );
        }
    }
    Ok(())
}

// ---- vehicles ---------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub enum VehicleDefect {
    NoPlate,
    LongPlate(usize),
    NoPlateType,
    NoProvince,
    BadYear(String),
    LongVin(usize),
}

impl VehicleDefect {
    fn code(&self) -> u64 {
        match self {
            VehicleDefect::NoPlate => 9006,
            VehicleDefect::LongPlate(_) => 9021,
            VehicleDefect::NoPlateType => 9010,
            VehicleDefect::NoProvince => 9011,
            VehicleDefect::BadYear(_) => 9033,
            VehicleDefect::LongVin(_) => 9030,
        }
    }
}

fn vehicle_body(plate: &str) -> Map<String, Value> {
    let Value::Object(body) = json!({
        "plate": plate, "plateType": "Motorcycle", "prov": "MA", "colour": "red", "year": "2021", "vin": "8GKS1AKC7FR518845"
    }) else {
        unreachable!()
    };
    body
}

async fn vehicles_negative(run: &ApiRun) -> Result<(), Stop> {
    let strategy = prop_oneof![
        Just(VehicleDefect::NoPlate),
        (51usize..90).prop_map(VehicleDefect::LongPlate),
        Just(VehicleDefect::NoPlateType),
        Just(VehicleDefect::NoProvince),
        prop_oneof!["[0-9]{1,3}", "[0-9]{5,6}", "[a-z]{4}"].prop_map(VehicleDefect::BadYear),
        (26usize..60).prop_map(VehicleDefect::LongVin),
    ];
    let fixed = vec![
        VehicleDefect::NoPlate,
        VehicleDefect::LongPlate(51),
        VehicleDefect::NoPlateType,
        VehicleDefect::NoProvince,
        VehicleDefect::BadYear("21".into()),
        VehicleDefect::LongVin(26),
    ];
    property(
        run,
        "vehicles/push rejects each defect",
        strategy,
        fixed,
        |defect| async move {
            let mut body = vehicle_body(&format!("PB{}", serial()));
            match &defect {
                VehicleDefect::NoPlate => {
                    body.remove("plate");
                }
                VehicleDefect::LongPlate(n) => {
                    body.insert("plate".into(), json!("V".repeat(*n)));
                }
                VehicleDefect::NoPlateType => {
                    body.remove("plateType");
                }
                VehicleDefect::NoProvince => {
                    body.remove("prov");
                }
                VehicleDefect::BadYear(y) => {
                    body.insert("year".into(), json!(y));
                }
                VehicleDefect::LongVin(n) => {
                    body.insert("vin".into(), json!("1".repeat(*n)));
                }
            }
            let exchange = post(run, VEHICLES, body).await?;
            expect_code(run, VEHICLES, &exchange, defect.code());
            Ok(())
        },
    )
}

async fn vehicles_valid(run: &ApiRun) -> Result<(), Stop> {
    property(
        run,
        "vehicles/push accepts a vehicle once",
        "[A-Z]{2,6}",
        vec!["PL8RDR".to_owned()],
        |plate| async move {
            let plate = format!("{plate}{}", serial());
            let exchange = post(run, VEHICLES, vehicle_body(&plate)).await?;
            if expect_success(run, VEHICLES, &exchange) {
                let again = post(run, VEHICLES, vehicle_body(&plate)).await?;
                expect_code(run, VEHICLES, &again, 9012);
            }
            Ok(())
        },
    )?;
    run.note("opscom: vehicles pushed by the run stay (the API has no vehicle delete)".to_owned());
    Ok(())
}

// ---- profiles ---------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub enum ProfileDefect {
    NoUniqueId,
    NoLoginSource,
    UnknownLoginSource(String),
    BadEmail(String),
    BadBirthDate(String),
    ShortProvince(String),
    LongProvince(String),
    LongUniqueId(usize),
}

impl ProfileDefect {
    fn code(&self) -> u64 {
        match self {
            ProfileDefect::NoUniqueId => 9013,
            ProfileDefect::NoLoginSource => 9014,
            ProfileDefect::UnknownLoginSource(_) => 9015,
            ProfileDefect::BadEmail(_) | ProfileDefect::BadBirthDate(_) => 9033,
            ProfileDefect::ShortProvince(_) => 9032,
            ProfileDefect::LongProvince(_) | ProfileDefect::LongUniqueId(_) => 9030,
        }
    }
}

fn profile_body(unique: &str) -> Map<String, Value> {
    let Value::Object(body) = json!({
        "unique_id": unique,
        "login_source": "OPSCOM",
        "first_name": "Parkbench",
        "last_name": "Conformance",
        "user_name": format!("u-{unique}"),
        "email": format!("{unique}@parkbench.test"),
    }) else {
        unreachable!()
    };
    body
}

async fn profiles_negative(run: &ApiRun) -> Result<(), Stop> {
    let strategy = prop_oneof![
        Just(ProfileDefect::NoUniqueId),
        Just(ProfileDefect::NoLoginSource),
        "[A-Z]{3,10}".prop_map(|s| ProfileDefect::UnknownLoginSource(format!("X{s}"))),
        prop_oneof![
            "[a-z]{1,10}",
            "[a-z]{1,5}@",
            "@[a-z]{1,5}\\.test",
            "[a-z]{1,5} [a-z]{1,5}@x\\.test"
        ]
        .prop_map(ProfileDefect::BadEmail),
        prop_oneof![
            "[0-9]{2}-[0-9]{2}-[0-9]{4}",
            "19[0-9]{2}/0[1-9]/1[0-9]",
            "19[0-9]{2}-13-01"
        ]
        .prop_map(ProfileDefect::BadBirthDate),
        "[A-Z]".prop_map(ProfileDefect::ShortProvince),
        "[A-Z]{3,6}".prop_map(ProfileDefect::LongProvince),
        (51usize..80).prop_map(ProfileDefect::LongUniqueId),
    ];
    let fixed = vec![
        ProfileDefect::NoUniqueId,
        ProfileDefect::NoLoginSource,
        ProfileDefect::UnknownLoginSource("XNOSUCH".into()),
        ProfileDefect::BadEmail("not-an-email".into()),
        ProfileDefect::BadBirthDate("31-01-1901".into()),
        ProfileDefect::ShortProvince("B".into()),
        ProfileDefect::LongProvince("BCX".into()),
        ProfileDefect::LongUniqueId(51),
    ];
    property(
        run,
        "profiles/push rejects each defect",
        strategy,
        fixed,
        |defect| async move {
            let mut body = profile_body(&tag(run));
            match &defect {
                ProfileDefect::NoUniqueId => {
                    body.remove("unique_id");
                }
                ProfileDefect::NoLoginSource => {
                    body.remove("login_source");
                }
                ProfileDefect::UnknownLoginSource(s) => {
                    body.insert("login_source".into(), json!(s));
                }
                ProfileDefect::BadEmail(e) => {
                    body.insert("email".into(), json!(e));
                }
                ProfileDefect::BadBirthDate(d) => {
                    body.insert("date_of_birth".into(), json!(d));
                }
                ProfileDefect::ShortProvince(p) | ProfileDefect::LongProvince(p) => {
                    body.insert("province".into(), json!(p));
                }
                ProfileDefect::LongUniqueId(n) => {
                    body.insert("unique_id".into(), json!("U".repeat(*n)));
                }
            }
            let exchange = post(run, PROFILES, body).await?;
            expect_code(run, PROFILES, &exchange, defect.code());
            Ok(())
        },
    )
}

/// The profiles reference model: which profiles the case created (by slot), and which
/// e-mail and user name each one holds (by slot of the value's first owner).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfilesState {
    /// Per profile: (e-mail owner slot, user-name owner slot).
    pub profiles: Vec<(usize, usize)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileStep {
    /// A new profile, with a fresh e-mail and user name or one already held by `slot`.
    Create {
        email_of: Option<usize>,
        user_of: Option<usize>,
    },
    /// Update `slot` by its `unique_id`, optionally taking the e-mail of another profile.
    Update {
        slot: usize,
        first_name: String,
        email_of: Option<usize>,
    },
}

pub struct ProfilesModel;

impl ProfilesModel {
    fn outcome(state: &ProfilesState, step: &ProfileStep) -> Option<u64> {
        let taken_email = |owner: usize, except: Option<usize>| {
            state
                .profiles
                .iter()
                .enumerate()
                .any(|(i, p)| p.0 == owner && Some(i) != except)
        };
        match step {
            ProfileStep::Create { email_of, user_of } => {
                if email_of.is_some_and(|o| taken_email(o, None)) {
                    Some(9019)
                } else if user_of.is_some_and(|o| state.profiles.iter().any(|p| p.1 == o)) {
                    Some(9020)
                } else {
                    None
                }
            }
            ProfileStep::Update { slot, email_of, .. } => email_of
                .filter(|o| {
                    state.profiles.get(*slot).is_some_and(|p| p.0 != *o)
                        && taken_email(*o, Some(*slot))
                })
                .map(|_| 9019),
        }
    }
}

impl ReferenceStateMachine for ProfilesModel {
    type State = ProfilesState;
    type Transition = ProfileStep;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(ProfilesState::default()).boxed()
    }

    fn transitions(state: &Self::State) -> BoxedStrategy<Self::Transition> {
        let n = state.profiles.len().max(1);
        prop_oneof![
            3 => (proptest::option::weighted(0.3, 0..n), proptest::option::weighted(0.3, 0..n))
                .prop_map(|(email_of, user_of)| ProfileStep::Create { email_of, user_of }),
            2 => (0..n, "[A-Z][a-z]{1,10}", proptest::option::weighted(0.3, 0..n))
                .prop_map(|(slot, first_name, email_of)| ProfileStep::Update { slot, first_name, email_of }),
        ]
        .boxed()
    }

    fn preconditions(state: &Self::State, step: &Self::Transition) -> bool {
        let n = state.profiles.len();
        match step {
            // One taken value at a time: which of 9019 and 9020 wins is not documented.
            ProfileStep::Create { email_of, user_of } => {
                !(email_of.is_some() && user_of.is_some())
                    && email_of.is_none_or(|o| o < n)
                    && user_of.is_none_or(|o| o < n)
            }
            ProfileStep::Update { slot, email_of, .. } => {
                *slot < n && email_of.is_none_or(|o| o < n)
            }
        }
    }

    fn apply(mut state: Self::State, step: &Self::Transition) -> Self::State {
        let outcome = Self::outcome(&state, step);
        match step {
            ProfileStep::Create { email_of, user_of } if outcome.is_none() => {
                let slot = state.profiles.len();
                state
                    .profiles
                    .push((email_of.unwrap_or(slot), user_of.unwrap_or(slot)));
            }
            ProfileStep::Update {
                slot,
                email_of: Some(owner),
                ..
            } if outcome.is_none() => {
                state.profiles[*slot].0 = *owner;
            }
            _ => {}
        }
        state
    }
}

/// Profiles in random order: creations with fresh or taken e-mails and user names, updates by
/// `unique_id` (the same integer `reference_id`), e-mail and user-name uniqueness (9019, 9020).
async fn profiles_model(run: &ApiRun) -> Result<(), Stop> {
    let fixed_steps = vec![
        ProfileStep::Create {
            email_of: None,
            user_of: None,
        },
        ProfileStep::Update {
            slot: 0,
            first_name: "Firstname".into(),
            email_of: None,
        },
        ProfileStep::Create {
            email_of: Some(0),
            user_of: None,
        },
        ProfileStep::Create {
            email_of: None,
            user_of: Some(0),
        },
    ];
    let fixed = vec![(ProfilesState::default(), fixed_steps, None)];
    // property_cases sends no generated case to a real target.
    crate::props::property_cases(
        run,
        "profiles model",
        (run.cases / 2).max(1),
        ProfilesModel::sequential_strategy(1..10),
        fixed,
        |(initial, steps, seen)| async move {
            let case = tag(run);
            // Owner slot -> the e-mail and user name it was created with; slot -> (unique_id, reference_id).
            let value = |kind: &str, owner: usize| format!("{kind}-{case}-{owner}");
            let mut created: Vec<(String, Value)> = Vec::new();
            let mut state = initial;
            for step in steps {
                if let Some(seen) = &seen {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
                let expected = ProfilesModel::outcome(&state, &step);
                match &step {
                    ProfileStep::Create { email_of, user_of } => {
                        let slot = state.profiles.len();
                        let unique = format!("{case}-{}", serial());
                        let mut body = profile_body(&unique);
                        body.insert(
                            "email".into(),
                            json!(format!(
                                "{}@parkbench.test",
                                value("e", email_of.unwrap_or(slot))
                            )),
                        );
                        body.insert(
                            "user_name".into(),
                            json!(value("u", user_of.unwrap_or(slot))),
                        );
                        let exchange = post(run, PROFILES, body).await?;
                        match expected {
                            Some(code) => {
                                expect_code(run, PROFILES, &exchange, code);
                            }
                            None => {
                                if !expect_success(run, PROFILES, &exchange) {
                                    return Err(Stop::Broken("a valid profile was refused".into()));
                                }
                                let reference = exchange
                                    .json()
                                    .map(|b| b["reference_id"].clone())
                                    .unwrap_or(Value::Null);
                                let fresh = reference.is_u64()
                                    && created.iter().all(|(_, r)| *r != reference);
                                run.check(
                                    PROFILES,
                                    "model",
                                    fresh,
                                    "a new integer reference_id",
                                    &exchange,
                                );
                                created.push((unique, reference));
                            }
                        }
                    }
                    ProfileStep::Update {
                        slot,
                        first_name,
                        email_of,
                    } => {
                        let Some((unique, reference)) = created.get(*slot).cloned() else {
                            return Ok(());
                        };
                        let mut body = Map::new();
                        body.insert("unique_id".into(), json!(unique));
                        body.insert("login_source".into(), json!("OPSCOM"));
                        body.insert("first_name".into(), json!(first_name));
                        if let Some(owner) = email_of {
                            body.insert(
                                "email".into(),
                                json!(format!("{}@parkbench.test", value("e", *owner))),
                            );
                        }
                        let exchange = post(run, PROFILES, body).await?;
                        match expected {
                            Some(code) => {
                                expect_code(run, PROFILES, &exchange, code);
                            }
                            None => {
                                if expect_success(run, PROFILES, &exchange) {
                                    let same = exchange
                                        .json()
                                        .is_some_and(|b| b["reference_id"] == reference);
                                    run.check(
                                        PROFILES,
                                        "model",
                                        same,
                                        format!(
                                            "an update by unique_id keeps reference_id {reference}"
                                        ),
                                        &exchange,
                                    );
                                }
                            }
                        }
                    }
                }
                state = ProfilesModel::apply(state, &step);
            }
            Ok(())
        },
    )?;
    run.note("opscom: profiles pushed by the run stay (the API has no profile delete); their unique ids start with the run id".to_owned());
    Ok(())
}

// ---- tokens, user types, violations ----------------------------------------------------------

/// A read-only token may list stats and user types but not push (9002); a token used with
/// another customer's client code is refused (9002). Needs the fixture tokens: mocks only.
async fn tokens(run: &ApiRun) -> Result<(), Stop> {
    let c = creds(run).clone();
    let Some(read_only) = c.read_only_token.clone() else {
        run.skip(
            PUSH,
            "error-code",
            "needs a read-only token (mock fixtures)",
        );
        return Ok(());
    };
    for op in [STATS, USER_TYPES] {
        let Value::Object(body) = json!({"apiToken": read_only}) else {
            unreachable!()
        };
        let exchange = post(run, op, body).await?;
        expect_success(run, op, &exchange);
    }
    let mut body = push_body(&minimal_permit(), &[], &tag(run));
    body.insert("apiToken".into(), json!(read_only));
    let exchange = post(run, PUSH, body).await?;
    expect_code(run, PUSH, &exchange, 9002);
    undo_accidental_push(run, &exchange);
    if let Some(other) = c.other_customer_token {
        let Value::Object(body) = json!({"apiToken": other}) else {
            unreachable!()
        };
        let exchange = post(run, STATS, body).await?;
        expect_code(run, STATS, &exchange, 9002);
    }
    Ok(())
}

async fn user_types(run: &ApiRun) -> Result<(), Stop> {
    let exchange = post(run, USER_TYPES, Map::new()).await?;
    if expect_success(run, USER_TYPES, &exchange) {
        let ids: Vec<String> = exchange
            .json()
            .and_then(|b| b["user_types"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|t| t["id"].as_str().map(str::to_owned))
            .collect();
        let unique: BTreeSet<&String> = ids.iter().collect();
        run.check(
            USER_TYPES,
            "model",
            !ids.is_empty() && unique.len() == ids.len(),
            "a non-empty list of distinct ids",
            &exchange,
        );
    }
    let Value::Object(body) = json!({"apiToken": null}) else {
        unreachable!()
    };
    let exchange = post(run, USER_TYPES, body).await?;
    expect_code(run, USER_TYPES, &exchange, 9001);
    Ok(())
}

fn violation_ids(exchange: &Exchange) -> Vec<u64> {
    exchange
        .json()
        .and_then(|b| b["records"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r["ViolationID"].as_u64())
        .collect()
}

/// Seed 004: sent violations are marked, so a second call returns nothing already returned;
/// on a mock, moving the clock 31 days makes more overdue.
async fn violations(run: &ApiRun) -> Result<(), Stop> {
    let first = post(run, VIOLATIONS, Map::new()).await?;
    if !expect_success(run, VIOLATIONS, &first) {
        return Ok(());
    }
    let seen: BTreeSet<u64> = violation_ids(&first).into_iter().collect();
    let second = post(run, VIOLATIONS, Map::new()).await?;
    if expect_success(run, VIOLATIONS, &second) {
        let again: Vec<u64> = violation_ids(&second)
            .into_iter()
            .filter(|id| seen.contains(id))
            .collect();
        run.check(
            VIOLATIONS,
            "model",
            again.is_empty(),
            "a second call returns no violation the first returned",
            &second,
        );
    }
    if run.has_control() {
        run.budget.advance_clock(31.0 * 86_400.0).await?;
        let third = post(run, VIOLATIONS, Map::new()).await?;
        if expect_success(run, VIOLATIONS, &third) {
            let ids = violation_ids(&third);
            let fresh = !ids.is_empty() && ids.iter().all(|id| !seen.contains(id));
            run.check(
                VIOLATIONS,
                "model",
                fresh,
                "31 days later, newly overdue violations and none sent before",
                &third,
            );
        }
    }
    Ok(())
}

// ---- the scenario list -------------------------------------------------------------------------

/// Zones come from a stats call on a real target.
fn zones_cost(p: &PlanCtx) -> u32 {
    u32::from(p.real)
}

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario(
            ApiName::Opscom,
            "opscom user types",
            "read",
            &[USER_TYPES],
            &["accepted", "model", "error-code"],
            Needs::READ,
            |_| 2,
            |r| Box::pin(user_types(r)),
        ),
        scenario(
            ApiName::Opscom,
            "opscom tokens",
            "negative",
            &[PUSH, STATS, USER_TYPES],
            &["accepted", "error-code"],
            Needs::READ,
            |p| if p.real { 0 } else { 5 },
            |r| Box::pin(tokens(r)),
        ),
        scenario(
            ApiName::Opscom,
            "opscom permits/push negative",
            "negative",
            &[PUSH],
            &["error-code"],
            Needs::READ,
            |p| zones_cost(p) + p.cases(16),
            |r| Box::pin(push_negative(r)),
        ),
        scenario(
            ApiName::Opscom,
            "opscom permits/update+delete negative",
            "negative",
            &[UPDATE, DELETE],
            &["error-code"],
            Needs::READ,
            |p| p.cases(5),
            |r| Box::pin(update_delete_negative(r)),
        ),
        scenario(
            ApiName::Opscom,
            "opscom vehicles/push negative",
            "negative",
            &[VEHICLES],
            &["error-code"],
            Needs::READ,
            |p| p.cases(6),
            |r| Box::pin(vehicles_negative(r)),
        ),
        scenario(
            ApiName::Opscom,
            "opscom profiles/push negative",
            "negative",
            &[PROFILES],
            &["error-code"],
            Needs::READ,
            |p| p.cases(8),
            |r| Box::pin(profiles_negative(r)),
        ),
        scenario(
            ApiName::Opscom,
            "opscom permits/push valid",
            "valid",
            &[PUSH, DELETE],
            &["accepted", "model"],
            Needs::WRITE,
            |p| zones_cost(p) + 2 * p.cases(1),
            |r| Box::pin(push_valid(r)),
        ),
        scenario(
            ApiName::Opscom,
            "opscom vehicles/push valid",
            "valid",
            &[VEHICLES],
            &["accepted", "error-code"],
            Needs::WRITE,
            |p| 2 * p.cases(1),
            |r| Box::pin(vehicles_valid(r)),
        ),
        scenario(
            ApiName::Opscom,
            "opscom permits model",
            "permits",
            &[PUSH, UPDATE, DELETE, STATS],
            &["accepted", "model", "error-code"],
            Needs::WRITE,
            |p| zones_cost(p) + if p.real { 9 } else { 9 + p.cases * 12 },
            |r| Box::pin(permits_model(r)),
        ),
        scenario(
            ApiName::Opscom,
            "opscom profiles model",
            "profiles",
            &[PROFILES],
            &["accepted", "model", "error-code"],
            Needs::WRITE,
            |p| {
                if p.real {
                    4
                } else {
                    4 + (p.cases / 2).max(1) * 5
                }
            },
            |r| Box::pin(profiles_model(r)),
        ),
        scenario(
            ApiName::Opscom,
            "opscom violations",
            "violations",
            &[VIOLATIONS],
            &["accepted", "model"],
            Needs::DESTRUCTIVE,
            |p| if p.real { 2 } else { 3 },
            |r| Box::pin(violations(r)),
        ),
    ]
}

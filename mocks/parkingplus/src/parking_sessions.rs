//! Parking sessions: `GET /api/car_driver/parking_sessions/current` (the current-session page)
//! and `PUT|PATCH /api/car_driver/parking_sessions/{id}/finalize` (seed 003).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::TimeDelta;
use parkbench_kit::extract::BaseUrl;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{CurrentDriver, Path, RawBody, json_value};
use crate::payment;
use crate::tariff::Cents;
use crate::world::{
    Instant, KeyType, Parking, ParkingSession, PaymentStatus, Purpose, SessionState,
    State as WorldState, Transaction, World, iso_offset,
};

/// `access_points` as every smart-key shape nests them.
pub fn access_points_json(parking: &Parking) -> Value {
    parking
        .access_points
        .iter()
        .map(|ap| json!({ "access_point": { "module_id": ap.module_id, "mac_address": ap.mac_address } }))
        .collect()
}

/// What a session is worth at `now`: fixed at finalize, tariff × time in the car park before.
/// The second value is the `end_time` shown: the finalize time, or the instant the amount so
/// far was priced at (the current-session page shows an `end_time` on an active session).
pub fn amount_so_far(
    session: &ParkingSession,
    parking: &Parking,
    now: Instant,
) -> (Cents, Instant) {
    match (session.amount, session.end_time) {
        (Some(amount), Some(end)) => (amount, end),
        _ => {
            let end = now.max(session.start_time);
            (parking.tariff.charge(end - session.start_time), end)
        }
    }
}

/// `{amount, currency, parking_session, smart_key}`: the current-session answer, and the
/// finalize answer without its `pay_url`.
pub fn session_answer(session: &ParkingSession, parking: &Parking, now: Instant) -> Value {
    let (amount, end_time) = amount_so_far(session, parking, now);
    json!({
        "amount": amount.two_decimals(),
        "currency": parking.currency,
        "parking_session": {
            "id": session.id,
            "type": "pay_per_use",
            "state": session.state.as_str(),
            "start_time": iso_offset(session.start_time),
            "end_time": iso_offset(end_time),
            "entrance_remaining_tries": session.entrance_remaining_tries,
            "exit_remaining_tries": session.exit_remaining_tries,
        },
        "smart_key": {
            "id": session.key.id,
            "secured_parking_id": parking.id,
            "name": parking.name,
            "description": null,
            "is_active": null,
            "type": KeyType::SessionAccess.as_str(),
            "access_command": session.key.access_command,
            "is_online": parking.is_online,
            "start_time": iso_offset(session.key.start_time),
            "end_time": iso_offset(session.key.end_time),
            "access_points": access_points_json(parking),
        },
    })
}

/// The driver's session still in the car park (`entering`, `active` or `exiting`); 404 when
/// there is none.
pub async fn current(
    State(world): State<World>,
    CurrentDriver(driver_id): CurrentDriver,
) -> Result<Json<Value>, ApiError> {
    let now = world.now();
    let state = world.lock();
    let session = state
        .open_session_of(driver_id)
        .ok_or_else(|| ApiError::NotFound("There is no current parking session".to_owned()))?;
    let parking = &state.parkings[&session.parking_id];
    Ok(Json(session_answer(session, parking, now)))
}

/// `parking_session.secured_parking_id` as Rails would read it: a JSON number or digits.
enum ParkingParam {
    Id(i64),
    /// Present but not an id: no parking can have it (404).
    Unknown(String),
}

fn read_finalize_body(body: &RawBody) -> Result<ParkingParam, ApiError> {
    let request = json_value(&body.0)?;
    let parking_session = match request.get("parking_session") {
        Some(Value::Object(object)) if !object.is_empty() => object,
        _ => return Err(ApiError::param_missing("parking_session")),
    };
    match parking_session.get("secured_parking_id") {
        None | Some(Value::Null) => Err(ApiError::param_missing("secured_parking_id")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(ApiError::param_missing("secured_parking_id"))
        }
        Some(Value::Number(n)) => Ok(n
            .as_i64()
            .map_or_else(|| ParkingParam::Unknown(n.to_string()), ParkingParam::Id)),
        Some(Value::String(s)) => Ok(s
            .trim()
            .parse::<i64>()
            .map_or_else(|_| ParkingParam::Unknown(s.clone()), ParkingParam::Id)),
        Some(other) => Ok(ParkingParam::Unknown(other.to_string())),
    }
}

/// Seed 003: ends the session at the virtual clock's present, fixes its amount (tariff ×
/// duration), moves it to `exiting`, opens a fresh exit window on its `session_access` key,
/// records a `pending` transaction and answers 201 with the `pay_url` that settles it.
pub async fn finalize(
    State(world): State<World>,
    CurrentDriver(driver_id): CurrentDriver,
    Path(id): Path<String>,
    base: BaseUrl,
    body: RawBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let parking_param = read_finalize_body(&body)?;
    let now = world.now();
    let window = world.config().session_key_window();
    let mut state = world.lock();
    let session = id
        .parse::<i64>()
        .ok()
        .and_then(|id| state.sessions.get(&id))
        .filter(|s| s.driver_id == driver_id)
        .ok_or_else(|| ApiError::record_not_found("ParkingSession", &id))?;
    let parking_id = match parking_param {
        ParkingParam::Id(pid) if state.parkings.contains_key(&pid) => pid,
        ParkingParam::Id(pid) => return Err(ApiError::record_not_found("SecuredParking", pid)),
        ParkingParam::Unknown(raw) => {
            return Err(ApiError::record_not_found("SecuredParking", raw));
        }
    };
    let mut errors = Vec::new();
    match session.state {
        SessionState::Active => {}
        SessionState::Entering => {
            errors.push("Parking session has not entered the parking yet".to_owned())
        }
        SessionState::Exiting => {
            errors.push("Parking session has already been finalized".to_owned())
        }
        SessionState::Paid => errors.push("Parking session has already been paid".to_owned()),
    }
    if parking_id != session.parking_id {
        errors.push("Secured parking is not the parking of this parking session".to_owned());
    }
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors));
    }
    let session = session.clone();
    let (mut body, payment_id) = finalize_session(&mut state, session, now, window);
    body["pay_url"] = Value::String(payment::pay_url(&base, payment_id, None));
    Ok((StatusCode::CREATED, Json(body)))
}

/// The state change of a finalize on `session` (a copy of the stored, still `active` one):
/// answers the session JSON and the new payment's id.
fn finalize_session(
    state: &mut WorldState,
    mut session: ParkingSession,
    now: Instant,
    window: TimeDelta,
) -> (Value, i64) {
    let access_command = state.access_command();
    let transaction_id = state.take_transaction_id();
    let parking = state.parkings[&session.parking_id].clone();
    let (amount, end_time) = amount_so_far(&session, &parking, now);
    state.transactions.insert(
        transaction_id,
        Transaction {
            id: transaction_id,
            driver_id: session.driver_id,
            parking_id: parking.id,
            start_time: session.start_time,
            end_time,
            amount,
            currency: parking.currency.clone(),
            payment_status: PaymentStatus::Pending,
        },
    );
    let payment_id = payment::create(
        state,
        session.driver_id,
        Purpose::ParkingSession {
            session_id: session.id,
            transaction_id,
        },
        amount,
        &parking.currency,
    );
    session.state = SessionState::Exiting;
    session.end_time = Some(end_time);
    session.amount = Some(amount);
    session.key.access_command = access_command;
    session.key.start_time = now;
    session.key.end_time = now + window;
    let body = session_answer(&session, &parking, now);
    state.sessions.insert(session.id, session);
    (body, payment_id)
}

//! `POST /__sim/entrance`: the car passing the entrance barrier, which in the real car park
//! happens over Bluetooth with a smart key, not through the API. The vendor documents no way
//! to start a parking session, so the mock offers this one (outside `/api`, beside the kit's
//! `/__admin`) to run the exit-and-pay loop again without a reset.
//!
//! Bearer-authenticated like the API; body `{"secured_parking_id": 187, "started_minutes_ago":
//! 30}` (`started_minutes_ago` optional, default 0). Answers 201 with the current-session
//! shape; 422 when the driver already has a session in the car park.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::TimeDelta;
use serde_json::Value;

use crate::error::ApiError;
use crate::extract::{CurrentDriver, RawBody, json_value};
use crate::parking_sessions::session_answer;
use crate::world::{ParkingSession, SessionKey, SessionState, World};

/// A session started further back than this is a typo.
const MAX_MINUTES_AGO: i64 = 366 * 24 * 60;

pub async fn entrance(
    State(world): State<World>,
    CurrentDriver(driver_id): CurrentDriver,
    body: RawBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request = json_value(&body.0)?;
    let parking_id = match request.get("secured_parking_id") {
        None | Some(Value::Null) => return Err(ApiError::param_missing("secured_parking_id")),
        Some(value) => value
            .as_i64()
            .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
            .ok_or_else(|| ApiError::bad_request("secured_parking_id must be an integer"))?,
    };
    let minutes_ago = match request.get("started_minutes_ago") {
        None | Some(Value::Null) => 0,
        Some(value) => value
            .as_i64()
            .filter(|m| (0..=MAX_MINUTES_AGO).contains(m))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "started_minutes_ago must be an integer from 0 to {MAX_MINUTES_AGO}"
                ))
            })?,
    };
    let now = world.now();
    let window = world.config().session_key_window();
    let mut state = world.lock();
    let parking = state
        .parkings
        .get(&parking_id)
        .cloned()
        .ok_or_else(|| ApiError::record_not_found("SecuredParking", parking_id))?;
    if state.open_session_of(driver_id).is_some() {
        return Err(ApiError::unprocessable(
            "Driver already has a parking session in progress",
        ));
    }
    let start_time = now - TimeDelta::minutes(minutes_ago);
    let id = state.take_session_id();
    let key = SessionKey {
        id: state.take_key_id(),
        access_command: state.access_command(),
        start_time,
        end_time: start_time + window,
    };
    let session = ParkingSession {
        id,
        driver_id,
        parking_id,
        state: SessionState::Active,
        start_time,
        end_time: None,
        amount: None,
        entrance_remaining_tries: 10,
        exit_remaining_tries: 10,
        key,
    };
    let answer = session_answer(&session, &parking, now);
    state.sessions.insert(id, session);
    Ok((StatusCode::CREATED, Json(answer)))
}

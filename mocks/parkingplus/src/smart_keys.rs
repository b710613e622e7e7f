//! Smart keys: `GET /api/car_driver/smart_keys?is_active=` (the get-smart-keys page) and
//! `POST /api/car_driver/smart_keys/create_booking` (the create-booking-with-payment page).
//!
//! A booking is a `booking` key in the driver's list, inactive until its payment is confirmed
//! on its `pay_url`. Its price follows the parking's tariff over the booked time.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{NaiveDateTime, Utc};
use parkbench_kit::extract::BaseUrl;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::extract::{CurrentDriver, Query, RawBody, decode_return_url, json_object, param_text};
use crate::parking_sessions::access_points_json;
use crate::payment;
use crate::registration::is_email;
use crate::tariff::started_minutes;
use crate::world::{Instant, KeyType, Purpose, SmartKey, World, iso_z};

/// The list shape: `{"smart_keys": [{"smart_key": {...}}]}`.
pub async fn index(
    State(world): State<World>,
    CurrentDriver(driver_id): CurrentDriver,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    // "if 'true', returns only active keys; if 'false' only inactive keys; if null/missing
    // returns both".
    let wanted = match query.get("is_active").map(|v| v.trim()) {
        None | Some("") | Some("null") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "is_active must be true or false, not `{other}`"
            )));
        }
    };
    let state = world.lock();
    let keys: Vec<Value> = state
        .smart_keys
        .values()
        .filter(|k| k.driver_id == driver_id && wanted.is_none_or(|w| k.is_active == w))
        .map(|k| {
            let parking = &state.parkings[&k.parking_id];
            json!({
                "smart_key": {
                    "id": k.id,
                    "secured_parking_id": k.parking_id,
                    "name": parking.name,
                    "description": k.description,
                    "is_active": k.is_active,
                    "type": k.kind.as_str(),
                    "access_command": k.access_command,
                    "is_online": parking.is_online,
                    "start_time": iso_z(k.start_time),
                    "end_time": k.end_time.map(iso_z),
                    "access_points": access_points_json(parking),
                }
            })
        })
        .collect();
    Ok(Json(json!({ "smart_keys": keys })))
}

/// `2015-04-28 15:00:00` as the create-booking page writes it (read as UTC), or RFC 3339.
fn parse_booking_time(s: &str) -> Option<Instant> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .map(|t| t.and_utc())
        .ok()
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
}

/// A parameter as text, a blank string counting as absent.
fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    param_text(object, key).filter(|s| !s.trim().is_empty())
}

/// A time parameter: blank and unreadable values are validation errors (422), as a model's
/// validations would report them.
fn booking_time(
    object: &Map<String, Value>,
    key: &str,
    label: &str,
    errors: &mut Vec<String>,
) -> Option<Instant> {
    match text(object, key) {
        None => {
            errors.push(format!("{label} can't be blank"));
            None
        }
        Some(raw) => {
            let parsed = parse_booking_time(&raw);
            if parsed.is_none() {
                errors.push(format!("{label} is invalid"));
            }
            parsed
        }
    }
}

pub async fn create_booking(
    State(world): State<World>,
    CurrentDriver(driver_id): CurrentDriver,
    base: BaseUrl,
    body: RawBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let top = &json_object(&body.0)?;
    let smart_key = match top.get("smart_key") {
        Some(Value::Object(object)) if !object.is_empty() => object,
        _ => return Err(ApiError::param_missing("smart_key")),
    };
    let return_url = text(top, "return_url");
    if let Some(encoded) = &return_url {
        decode_return_url(encoded)?;
    }
    // The page's example nests `secured_parking_id` in `smart_key`; its parameter table lists
    // it beside `return_url`. Both are read.
    let parking_raw = text(smart_key, "secured_parking_id")
        .or_else(|| text(top, "secured_parking_id"))
        .ok_or_else(|| ApiError::param_missing("secured_parking_id"))?;

    let mut errors = Vec::new();
    let start = booking_time(smart_key, "start_time", "Start time", &mut errors);
    let end = booking_time(smart_key, "end_time", "End time", &mut errors);
    if text(smart_key, "email").is_some_and(|e| !is_email(e.trim())) {
        errors.push("Email is invalid".to_owned());
    }
    let description = text(smart_key, "description");

    let now = world.now();
    let mut state = world.lock();
    let parking = parking_raw
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| state.parkings.get(&id))
        .cloned()
        .ok_or_else(|| ApiError::record_not_found("SecuredParking", parking_raw.trim()))?;
    if let (Some(start), Some(end)) = (start, end) {
        if end <= start {
            errors.push("End time must be after start time".to_owned());
        } else if end <= now {
            errors.push("End time must be in the future".to_owned());
        }
    }
    let (Some(start), Some(end), true) = (start, end, errors.is_empty()) else {
        return Err(ApiError::Unprocessable(errors));
    };

    let duration = end - start;
    let price = parking.tariff.charge(duration);
    let key_id = state.take_key_id();
    let payment_id = payment::create(
        &mut state,
        driver_id,
        Purpose::Booking {
            smart_key_id: key_id,
        },
        price,
        &parking.currency,
    );
    let access_command = state.access_command();
    let is_card_verification = state.drivers.get(&driver_id).is_none_or(|d| !d.has_card);
    let (env_key, data) = {
        let p = &state.payments[&payment_id];
        (p.env_key.clone(), p.data.clone())
    };
    state.smart_keys.insert(
        key_id,
        SmartKey {
            id: key_id,
            driver_id,
            parking_id: parking.id,
            kind: KeyType::Booking,
            description: description.clone(),
            is_active: false,
            access_command,
            start_time: start,
            end_time: Some(end),
        },
    );
    drop(state);

    // "type: one of actual/past/future": where the booking lies from the clock's present.
    let timing = if start > now {
        "future"
    } else if end <= now {
        "past"
    } else {
        "actual"
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "smart_key": {
                "id": key_id,
                "secured_parking_id": parking.id,
                "name": parking.name,
                "description": description,
                "start_time": iso_z(start),
                "end_time": iso_z(end),
                "duration_minutes": started_minutes(duration),
                "price": price.ruby_decimal(),
                "currency": parking.currency,
                "type": timing,
                "with_payment": true,
            },
            "pay_url": payment::pay_url(&base, payment_id, return_url.as_deref()),
            "is_card_verification": is_card_verification,
            "env_key": env_key,
            "data": data,
        })),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booking_times_read_the_documented_format_and_rfc_3339() {
        let documented = parse_booking_time("2015-04-28 15:00:00").unwrap();
        assert_eq!(iso_z(documented), "2015-04-28T15:00:00Z");
        let rfc = parse_booking_time("2015-04-28T17:00:00+02:00").unwrap();
        assert_eq!(iso_z(rfc), "2015-04-28T15:00:00Z");
        assert!(parse_booking_time("28/04/2015").is_none());
    }
}

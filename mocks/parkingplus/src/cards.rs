//! `GET /api/car_driver/cards/new?return_url=<Base64>` (the add-card page): the parameters of
//! a card-verification payment. Version 2, selected with
//! `Accept: application/vnd.parkingplus.v2+json`, also takes the EPX test card on its page.
//!
//! The vendor's v2 response example is cut short after `pay_url` in every copy found, so v2
//! answers the v1 fields. Nothing is charged for a verification (`0.00`); a confirmed one
//! leaves the card on file.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT;
use parkbench_kit::extract::BaseUrl;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{CurrentDriver, Query, decode_return_url};
use crate::payment;
use crate::tariff::Cents;
use crate::world::{Purpose, World};

/// The media type that selects version 2.
pub const V2_MEDIA_TYPE: &str = "application/vnd.parkingplus.v2+json";

/// The currency of a card verification: the vendor's, Romania's.
const VERIFICATION_CURRENCY: &str = "RON";

pub async fn new(
    State(world): State<World>,
    CurrentDriver(driver_id): CurrentDriver,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    base: BaseUrl,
) -> Result<Json<Value>, ApiError> {
    let encoded = query
        .get("return_url")
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::param_missing("return_url"))?;
    decode_return_url(encoded)?;
    let v2 = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains(V2_MEDIA_TYPE));
    let mut state = world.lock();
    let payment_id = payment::create(
        &mut state,
        driver_id,
        Purpose::CardVerification { v2 },
        Cents(0),
        VERIFICATION_CURRENCY,
    );
    let p = &state.payments[&payment_id];
    Ok(Json(json!({
        "pay_url": payment::pay_url(&base, payment_id, Some(encoded)),
        "env_key": p.env_key,
        "data": p.data,
    })))
}

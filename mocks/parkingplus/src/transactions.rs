//! `GET /api/car_driver/parking_session_transactions?page=N` (the transactions page): the
//! driver's finalized sessions, newest first, paginated will_paginate-style
//! (`current_page`, `total_entries`, `total_pages`). The vendor's JSON spells the currency key
//! `curency`, in the transaction and in its parking; so does the mock.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{CurrentDriver, Query};
use crate::tariff::started_minutes;
use crate::world::{World, iso_z};

pub async fn index(
    State(world): State<World>,
    CurrentDriver(driver_id): CurrentDriver,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let page = match query
        .get("page")
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
    {
        None => 1,
        Some(p) => p
            .parse::<u64>()
            .ok()
            .filter(|p| *p >= 1 && *p <= u64::from(u32::MAX))
            .ok_or_else(|| {
                ApiError::bad_request(format!("page must be a positive integer, not `{p}`"))
            })?,
    };
    let per_page = world.config().per_page();
    let state = world.lock();
    let mut mine: Vec<_> = state
        .transactions
        .values()
        .filter(|t| t.driver_id == driver_id)
        .collect();
    mine.sort_by(|a, b| b.start_time.cmp(&a.start_time).then(b.id.cmp(&a.id)));
    let total_entries = mine.len() as u64;
    let total_pages = total_entries.div_ceil(per_page);
    let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let items: Vec<Value> = mine
        .into_iter()
        .skip(skip)
        .take(usize::try_from(per_page).unwrap_or(usize::MAX))
        .map(|t| {
            let parking = &state.parkings[&t.parking_id];
            json!({
                "id": t.id,
                "start_time": iso_z(t.start_time),
                "end_time": iso_z(t.end_time),
                "duration_minutes": started_minutes(t.end_time - t.start_time),
                "amount": t.amount.two_decimals(),
                "payment_status": t.payment_status.as_str(),
                "curency": t.currency,
                "parking": {
                    "id": parking.id,
                    "name": parking.name,
                    "price_unit": parking.tariff.unit.as_str(),
                    "default_price": parking.tariff.price.two_decimals(),
                    "curency": parking.currency,
                },
            })
        })
        .collect();
    Ok(Json(json!({
        "current_page": page,
        "total_entries": total_entries,
        "total_pages": total_pages,
        "parking_session_transactions": items,
    })))
}

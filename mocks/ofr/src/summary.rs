//! `POST /summary-report/revenue` (api-notes §1): revenue per payment type of one operator over
//! a date range, answered at once. The totals are sums of `PAYMENT_AMOUNT` over the very
//! transactions a report of the same operator and range lists.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use parkbench_kit::extract::BaseUrl;
use serde_json::json;

use crate::auth::Client;
use crate::error::ApiError;
use crate::hal::{Hal, links};
use crate::params::{DateRange, Fields, JsonBody};
use crate::transactions::PaymentType;
use crate::world::World;

/// `POST /summary-report/revenue`.
pub async fn revenue(
    State(world): State<Arc<World>>,
    client: Client,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let fields = Fields::of(&body)?;
    let operator_id = fields.operator_id()?;
    let start = fields.date("startDate")?;
    let end = fields.date("endDate")?;
    let today = world.today();
    let range = DateRange::check(start, end, today, world.config.history_months)?;
    let operator = client.operator(&world, operator_id)?;
    let dataset = world.dataset;
    let summed = operator.clone();
    // Months of a busy operator are a few hundred thousand rows: sum them off the runtime.
    let totals = tokio::task::spawn_blocking(move || {
        let mut totals: BTreeMap<PaymentType, i64> = BTreeMap::new();
        for t in dataset.transactions(summed, range, today) {
            *totals.entry(t.payment_type).or_default() += t.payment_cents();
        }
        totals
    })
    .await
    .map_err(|_| ApiError::Internal("The revenue summary could not be computed.".into()))?;
    let revenue: Vec<_> = PaymentType::ALL
        .into_iter()
        .filter_map(|kind| totals.get(&kind).map(|cents| (kind, *cents)))
        .map(|(kind, cents)| {
            json!({
                "paymentType": kind.as_str(),
                "totalAmount": { "amount": cents as f64 / 100.0, "currency": operator.currency },
            })
        })
        .collect();
    let body = json!({
        "transmissionDateTime": world.now().format("%Y-%m-%dT%H:%M:%S").to_string(),
        "operatorId": operator_id,
        "startDate": format!("{start}T00:00:00"),
        "endDate": format!("{end}T23:59:59"),
        "revenue": revenue,
        "_links": links(&format!("{base}/summary-report/revenue"), &[]),
    });
    Ok(Hal(StatusCode::OK, body).into_response())
}

//! The control API every service answers under `/__admin` on its own port: health, reset,
//! the request journal, the virtual clock and fault injection. Its requests are neither
//! journaled nor subject to faults. Its own errors are `{"error": "..."}` with a 4xx status.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::faults::FaultSpec;
use crate::service::Inner;

/// Where the control API lives on every service.
pub(crate) const PREFIX: &str = "/__admin";

pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/__admin/health", get(health))
        .route("/__admin/reset", axum::routing::post(reset))
        .route("/__admin/requests", get(requests).delete(clear_requests))
        .route("/__admin/clock", get(clock).post(move_clock))
        .route(
            "/__admin/faults",
            get(list_faults).post(queue_faults).delete(clear_faults),
        )
        .fallback(|| async { AdminError::new(StatusCode::NOT_FOUND, "no such control endpoint") })
        .method_not_allowed_fallback(|| async {
            AdminError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this control endpoint",
            )
        })
        .with_state(inner)
}

struct AdminError {
    status: StatusCode,
    message: String,
}

impl AdminError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, AdminError> {
    serde_json::from_slice(body)
        .map_err(|e| AdminError::bad_request(format!("invalid JSON body: {e}")))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

async fn health(State(inner): State<Arc<Inner>>) -> Response {
    (
        [("x-parkbench-service", inner.api.name())],
        Json(json!({ "status": "ok" })),
    )
        .into_response()
}

async fn reset(State(inner): State<Arc<Inner>>) -> Json<Value> {
    inner.reset();
    Json(json!({ "status": "ok" }))
}

async fn requests(State(inner): State<Arc<Inner>>) -> Json<Value> {
    Json(json!({
        "capacity": inner.journal.capacity(),
        "requests": inner.journal.entries(),
    }))
}

async fn clear_requests(State(inner): State<Arc<Inner>>) -> Json<Value> {
    inner.journal.clear();
    Json(json!({ "status": "ok" }))
}

fn clock_body(inner: &Inner) -> Json<Value> {
    let clock = inner.ctx.clock();
    Json(json!({ "now": rfc3339(clock.now()), "frozen": clock.is_frozen() }))
}

async fn clock(State(inner): State<Arc<Inner>>) -> Json<Value> {
    clock_body(&inner)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockMove {
    advance_seconds: Option<f64>,
    set: Option<String>,
}

/// Ten thousand years either way: beyond that chrono cannot represent the instant.
const MAX_ADVANCE_SECONDS: f64 = 315_576_000_000.0;

async fn move_clock(
    State(inner): State<Arc<Inner>>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    let request: ClockMove = parse(&body)?;
    let clock = inner.ctx.clock();
    match (request.advance_seconds, request.set) {
        (Some(secs), None) => {
            if !secs.is_finite() || secs.abs() > MAX_ADVANCE_SECONDS {
                return Err(AdminError::bad_request("`advance_seconds` is out of range"));
            }
            let by = TimeDelta::microseconds((secs * 1_000_000.0).round() as i64);
            if clock.now().checked_add_signed(by).is_none() {
                return Err(AdminError::bad_request(
                    "`advance_seconds` moves the clock out of range",
                ));
            }
            clock.advance(by);
        }
        (None, Some(set)) => {
            let to = crate::clock::parse_instant(&set).map_err(|e| {
                AdminError::bad_request(format!("`set` is not an RFC 3339 time: {e}"))
            })?;
            clock.set(to);
        }
        _ => {
            return Err(AdminError::bad_request(
                "give exactly one of `advance_seconds` (number) or `set` (RFC 3339 time)",
            ));
        }
    }
    Ok(clock_body(&inner))
}

async fn list_faults(State(inner): State<Arc<Inner>>) -> Json<Value> {
    Json(json!({ "faults": inner.faults.list() }))
}

/// Accepts one fault or an array of them; all are checked before any is queued.
async fn queue_faults(
    State(inner): State<Arc<Inner>>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AdminError> {
    let items = match parse::<Value>(&body)? {
        Value::Array(items) => items,
        single => vec![single],
    };
    let specs: Vec<FaultSpec> = items
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
        .map_err(|e| AdminError::bad_request(format!("invalid fault: {e}")))?;
    let faults = specs
        .into_iter()
        .map(FaultSpec::into_fault)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AdminError::bad_request(e.0))?;
    let queued = serde_json::to_value(&faults).unwrap_or_default();
    for fault in faults {
        inner.faults.push(fault);
    }
    Ok((StatusCode::CREATED, Json(json!({ "queued": queued }))))
}

async fn clear_faults(State(inner): State<Arc<Inner>>) -> Json<Value> {
    inner.faults.clear();
    Json(json!({ "status": "ok" }))
}

//! Drives the whole kit stack around the OPS-COM mock without a socket, and validates every
//! response it receives against `schemas/opscom/`.

use std::sync::{Arc, LazyLock};

use axum::body::{Body, Bytes};
use chrono::{DateTime, TimeDelta, Utc};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use parkbench_kit::schema::Schemas;
use parkbench_kit::{Api, ClockStart, FixtureRoot, Service, ServiceOptions};
use parkbench_opscom::Config;
use serde_json::{Value, json};
use tower::ServiceExt;

pub static SCHEMAS: LazyLock<Schemas> = LazyLock::new(|| {
    Schemas::for_api(env!("CARGO_MANIFEST_DIR"), "opscom").expect("schemas/opscom compiles")
});

pub const FULL: &str = "opscom-demo-full-access-token-0001";
pub const READ_ONLY: &str = "opscom-demo-read-only-token-0001";
pub const PARKCO: &str = "opscom-parkco-token-0001";

/// Every operation, as its path after `/v1/`.
pub const OPERATIONS: [&str; 8] = [
    "permits/push",
    "permits/update",
    "permits/delete",
    "permits/stats",
    "vehicles/push",
    "profiles/types/list",
    "profiles/push",
    "violations/send_overdue_to_collections",
];

/// The instant the test clock is frozen at.
pub fn t0() -> DateTime<Utc> {
    "2026-01-15T12:00:00Z".parse().unwrap()
}

/// The schema file stem of an operation's response.
pub fn response_schema(operation: &str) -> &'static str {
    match operation {
        "permits/push" => "permit_push_response",
        "permits/update" => "permit_update_response",
        "permits/delete" => "permit_delete_response",
        "permits/stats" => "permit_stats_response",
        "vehicles/push" => "vehicle_push_response",
        "profiles/types/list" => "user_types_list_response",
        "profiles/push" => "profile_push_response",
        "violations/send_overdue_to_collections" => "send_overdue_to_collections_response",
        _ => "error",
    }
}

pub fn api(config: Config) -> Arc<dyn Api> {
    parkbench_opscom::api(&FixtureRoot::Embedded, config).expect("the embedded fixtures load")
}

pub struct TestApp {
    pub service: Service,
}

impl TestApp {
    /// The mock with its fixtures, the default seed and a clock frozen at [`t0`].
    pub fn new() -> Self {
        Self::with(Config::default(), ServiceOptions::default().seed)
    }

    pub fn with(config: Config, seed: u64) -> Self {
        Self::with_options(
            config,
            &ServiceOptions {
                seed,
                clock: ClockStart::Frozen(t0()),
                ..ServiceOptions::default()
            },
        )
    }

    pub fn with_options(config: Config, options: &ServiceOptions) -> Self {
        Self {
            service: Service::new(api(config), options),
        }
    }

    pub fn advance_days(&self, days: i64) {
        self.service.clock().advance(TimeDelta::days(days));
    }

    /// `POST /api/{client}/v1/{operation}` with a JSON body.
    pub async fn call(&self, client: &str, operation: &str, body: Value) -> Reply {
        let path = format!("/api/{client}/v1/{operation}");
        self.send(
            Method::POST,
            &path,
            Some("application/json"),
            body.to_string(),
            operation,
        )
        .await
    }

    /// The demo customer (`OC-TOMA`) with the full-access token added to `body`.
    pub async fn demo(&self, operation: &str, mut body: Value) -> Reply {
        body["apiToken"] = json!(FULL);
        self.call("OC-TOMA", operation, body).await
    }

    /// Any request; the answer is validated against `operation`'s response schema, or
    /// against `error.json` when it carries an `ErrorCode`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
        operation: &str,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = self
            .service
            .app()
            .oneshot(request.body(body.into()).unwrap())
            .await
            .unwrap();
        Reply::read(response, operation).await
    }
}

/// A response, already checked against its schema.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Bytes,
    pub json: Value,
}

impl Reply {
    pub async fn read(response: http::Response<Body>, operation: &str) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert!(
            status.as_u16() < 500 || status == StatusCode::INTERNAL_SERVER_ERROR,
            "{status}"
        );
        assert_eq!(
            headers["content-type"], "application/json",
            "every answer is JSON"
        );
        let json: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
        if json.get("ErrorCode").is_some() {
            SCHEMAS.assert_valid("error", &json);
        } else {
            SCHEMAS.assert_valid(response_schema(operation), &json);
        }
        Self {
            status,
            headers,
            bytes,
            json,
        }
    }

    /// Asserts a 200 success and returns its body.
    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.json);
        assert!(self.json.get("ErrorCode").is_none(), "{}", self.json);
        self.json
    }

    /// Asserts the error code, and that the status is the one the mapping gives it.
    #[track_caller]
    pub fn error(self, code: u16) -> Self {
        assert_eq!(self.json["ErrorCode"], json!(code), "{}", self.json);
        let mapped = parkbench_opscom::error::Code::from_number(code)
            .unwrap()
            .status();
        assert_eq!(self.status, mapped, "{}", self.json);
        self
    }

    /// The error code of an error answer.
    pub fn code(&self) -> Option<u64> {
        self.json.get("ErrorCode").and_then(Value::as_u64)
    }
}

/// The seed's permit push example (seed 004, Push API: Permit Create), with the demo token.
pub fn seed_permit_push() -> Value {
    json!({
        "apiToken": FULL,
        "Amount": "14.50",
        "CurrencyID": "CAD",
        "LicencePlate": "PL8RDR",
        "zone": "Lot 4",
        "permitNo": "L4-1138",
        "startTime": "2018-07-02T09:00:00",
        "endTime": "2018-07-02T09:30:00"
    })
}

/// The stats rows as `(type, zone, total)`.
pub fn stats_rows(body: &Value) -> Vec<(String, String, u64)> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["type"].as_str().unwrap().to_owned(),
                row["zone"].as_str().unwrap().to_owned(),
                row["total"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// The total of one zone and type in a stats answer (0 when absent).
pub fn total(body: &Value, kind: &str, zone: &str) -> u64 {
    stats_rows(body)
        .into_iter()
        .find(|(t, z, _)| t == kind && z == zone)
        .map_or(0, |(_, _, n)| n)
}

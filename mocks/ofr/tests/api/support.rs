//! Drives the OFR service in-process (no socket) and validates every response it receives
//! against `schemas/ofr/`: the schema is chosen from the route, the status and the media type.

use std::sync::LazyLock;

use axum::body::{Body, Bytes};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use parkbench_kit::schema::Schemas;
use parkbench_kit::{ClockStart, FixtureRoot, Service, ServiceOptions};
use parkbench_ofr::{Column, Config};
use serde_json::{Value, json};
use tower::ServiceExt;

pub static SCHEMAS: LazyLock<Schemas> = LazyLock::new(|| {
    Schemas::for_api(env!("CARGO_MANIFEST_DIR"), "ofr").expect("schemas/ofr compiles")
});

/// Where the frozen clock starts: the middle of a day, so "today" is unambiguous.
pub const T0: &str = "2026-03-15T12:00:00Z";
/// The `Host` every request carries, so absolute links are predictable.
pub const HOST: &str = "127.0.0.1:8401";
pub const BASE: &str = "http://127.0.0.1:8401";

pub const TEST_CLIENT: (&str, &str) = ("ofr-test-client", "ofr-test-secret");
pub const OTHER_CLIENT: (&str, &str) = ("ofr-other-client", "ofr-other-secret");

/// The seed's test operator: 5 transactions on each of the last two days.
pub const SEED_OPERATOR: u64 = 60879;
/// 4,000 transactions every complete day.
pub const BUSY_OPERATOR: u64 = 70100;
/// No transactions.
pub const EMPTY_OPERATOR: u64 = 70204;
/// Every report fails.
pub const FAILING_OPERATOR: u64 = 70500;
/// ofr-other-client's only operator.
pub const OTHER_OPERATOR: u64 = 80001;

pub fn t0() -> DateTime<Utc> {
    T0.parse().unwrap()
}

pub fn today() -> NaiveDate {
    t0().date_naive()
}

/// `today` minus `days`, as `yyyy-MM-dd`.
pub fn day(days_ago: i64) -> String {
    (today() - TimeDelta::days(days_ago)).to_string()
}

pub struct App {
    pub service: Service,
}

impl App {
    pub fn new() -> Self {
        Self::with(Config::default())
    }

    pub fn with(config: Config) -> Self {
        Self::with_options(config, ServiceOptions::default())
    }

    pub fn with_options(config: Config, options: ServiceOptions) -> Self {
        let api = parkbench_ofr::api(&FixtureRoot::Embedded, config).expect("fixtures load");
        let options = ServiceOptions {
            clock: ClockStart::Frozen(t0()),
            ..options
        };
        Self {
            service: Service::new(api, &options),
        }
    }

    pub fn advance(&self, seconds: i64) {
        self.service.clock().advance(TimeDelta::seconds(seconds));
    }

    /// Sends a request and validates the response against its schema.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let response = self.service.app().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let reply = Reply {
            method,
            path,
            status,
            headers,
            body,
        };
        reply.validate();
        reply
    }

    fn request(method: Method, path_or_url: &str, token: Option<&str>) -> http::request::Builder {
        let path = path_or_url.strip_prefix(BASE).unwrap_or(path_or_url);
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header("host", HOST);
        if let Some(token) = token {
            builder = builder.header("x-authorization", format!("Bearer {token}"));
        }
        builder
    }

    pub async fn get(&self, path_or_url: &str, token: Option<&str>) -> Reply {
        self.send(
            Self::request(Method::GET, path_or_url, token)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.post_raw(path, token, body.to_string()).await
    }

    pub async fn post_raw(&self, path: &str, token: Option<&str>, body: impl Into<Body>) -> Reply {
        let request = Self::request(Method::POST, path, token)
            .header("content-type", "application/json")
            .body(body.into())
            .unwrap();
        self.send(request).await
    }

    pub async fn auth(&self, (client_id, secret): (&str, &str)) -> Reply {
        let body = json!({ "clientId": client_id, "clientSecret": secret });
        SCHEMAS.assert_valid("auth_request", &body);
        self.post("/auth/v1", None, &body).await
    }

    /// A fresh token for a fixture client.
    pub async fn token(&self, client: (&str, &str)) -> String {
        let reply = self.auth(client).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.json()["idToken"].as_str().unwrap().to_owned()
    }

    /// `POST /report/generate` with a body the request schema accepts.
    pub async fn generate(&self, token: &str, body: &Value) -> Reply {
        SCHEMAS.assert_valid("report_generate_request", body);
        self.post("/report/generate", Some(token), body).await
    }

    /// Generates a report that must be accepted and returns its status URL.
    pub async fn accepted(&self, token: &str, body: &Value) -> String {
        let reply = self.generate(token, body).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
        reply.header("location").to_owned()
    }

    /// Requests a report, moves the clock past generation, follows the 303 and downloads it.
    pub async fn report(&self, token: &str, body: &Value) -> Reply {
        let status_url = self.accepted(token, body).await;
        self.advance(3);
        let done = self.get(&status_url, Some(token)).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        let download = self.get(done.header("location"), Some(token)).await;
        assert_eq!(download.status, StatusCode::OK, "{}", download.text());
        download
    }
}

pub fn report_request(
    operator: u64,
    format: &str,
    start: &str,
    end: &str,
    fields: &[&str],
) -> Value {
    let mut body = json!({
        "operatorId": operator,
        "reportFormat": format,
        "startDate": start,
        "endDate": end,
    });
    if !fields.is_empty() {
        body["additionalFields"] = json!(fields);
    }
    body
}

pub struct Reply {
    pub method: Method,
    pub path: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    #[track_caller]
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header on {} {}", self.method, self.path))
            .to_str()
            .unwrap()
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .map_or("", |v| v.to_str().unwrap())
    }

    /// Asserts a problem+json answer with this HTTP status whose detail mentions `needle`.
    #[track_caller]
    pub fn assert_problem(&self, status: StatusCode, needle: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "{} {}: {}",
            self.method,
            self.path,
            self.text()
        );
        assert_eq!(self.content_type(), "application/problem+json");
        let body = self.json();
        assert!(
            body["detail"].as_str().unwrap().contains(needle),
            "detail should mention {needle:?}: {body}"
        );
        body
    }

    /// The CSV records, header first.
    pub fn csv(&self) -> Vec<Vec<String>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&self.body[..]);
        reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    /// Chooses the schema from the route, status and media type, and validates.
    fn validate(&self) {
        let ct = self.content_type().to_owned();
        let route = route_of(&self.method, &self.path);
        if ct == "application/problem+json" {
            let body = self.json();
            if self.status == StatusCode::OK {
                assert_eq!(
                    route,
                    Route::Status,
                    "only the status URL answers 200 with a problem"
                );
                SCHEMAS.assert_valid("report_failed", &body);
            } else {
                SCHEMAS.assert_valid("problem", &body);
                assert_eq!(
                    body["status"],
                    self.status.as_u16(),
                    "problem status = HTTP status"
                );
                // Errors raised before routing (a body over the kit's limit) have no path to name.
                if self.status != StatusCode::PAYLOAD_TOO_LARGE {
                    assert_eq!(
                        body["instance"],
                        self.path.as_str(),
                        "instance is the request path"
                    );
                }
            }
            return;
        }
        assert!(
            self.status.is_success() || self.status.is_redirection(),
            "error without problem+json: {} {}",
            self.status,
            self.text()
        );
        let schema = match (route, self.status.as_u16()) {
            (Route::Auth, 200) => "auth_response",
            (Route::Generate, 202) => "report_generate_response",
            (Route::Status, 200) => "report_status_response",
            (Route::Status, 303) => {
                assert!(self.body.is_empty());
                assert!(
                    self.header("location")
                        .starts_with(&format!("{BASE}/report/download/"))
                );
                return;
            }
            (Route::Download, 200) if ct.starts_with("text/csv") => {
                let records = self.csv();
                let header = &records[0];
                let defaults: Vec<&str> = Column::DEFAULT.iter().map(|c| c.name()).collect();
                assert_eq!(
                    &header[..defaults.len()],
                    &defaults[..],
                    "default columns first"
                );
                assert!(
                    records.iter().all(|r| r.len() == header.len()),
                    "every row has every column"
                );
                return;
            }
            (Route::Download, 200) => "report_json",
            (Route::Summary, 200) => "revenue_summary_response",
            other => panic!(
                "unexpected success {other:?} on {} {}",
                self.method, self.path
            ),
        };
        let body = self.json();
        SCHEMAS.assert_valid(schema, &body);
        if schema == "report_json" {
            assert_eq!(ct, "application/json");
        } else {
            assert_eq!(ct, "application/hal+json");
        }
        assert!(
            body["_links"]["self"]["href"].is_string(),
            "HAL self link: {body}"
        );
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Auth,
    Generate,
    Status,
    Download,
    Summary,
    Other,
}

fn route_of(method: &Method, path: &str) -> Route {
    match (method.as_str(), path) {
        ("POST", "/auth/v1") => Route::Auth,
        ("POST", "/report/generate") => Route::Generate,
        ("GET", p) if p.starts_with("/report/generate/") => Route::Status,
        ("GET", p) if p.starts_with("/report/download/") => Route::Download,
        ("POST", "/summary-report/revenue") => Route::Summary,
        _ => Route::Other,
    }
}

/// The claims of a token, checked with the fixture key and validated against `token_claims`.
pub fn claims(token: &str) -> Value {
    let key = jsonwebtoken::DecodingKey::from_secret(fixture_key().as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap()
        .claims;
    SCHEMAS.assert_valid("token_claims", &claims);
    claims
}

pub fn fixture_key() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/ofr/auth.json");
    let auth: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    auth["signingKey"].as_str().unwrap().to_owned()
}

//! Drives the whole kit stack without a socket and checks every JSON answer against
//! `schemas/parkingplus/`.

use std::sync::LazyLock;

use axum::body::{Body, Bytes};
use chrono::{DateTime, TimeDelta, Utc};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use parkbench_kit::schema::Schemas;
use parkbench_kit::{ClockStart, FixtureRoot, Service, ServiceOptions};
use parkbench_parkingplus::Config;
use serde_json::{Value, json};
use tower::ServiceExt;

pub static SCHEMAS: LazyLock<Schemas> = LazyLock::new(|| {
    Schemas::for_api(env!("CARGO_MANIFEST_DIR"), "parkingplus")
        .unwrap_or_else(|e| panic!("schemas: {e}"))
});

pub const HOST: &str = "127.0.0.1:8404";
pub const APP_ID: &str = "pp-test-app";
pub const APP_SECRET: &str = "pp-test-secret";
pub const DRIVER: (&str, &str) = ("driver@parkingplus.test", "driver-password");
pub const OTHER: (&str, &str) = ("other@parkingplus.test", "other-password");
/// The fixture sessions.
pub const DRIVER_SESSION: i64 = 1;
pub const OTHER_SESSION: i64 = 2;

pub fn t0() -> DateTime<Utc> {
    "2026-03-02T10:00:00Z".parse().unwrap()
}

pub fn at(minutes_from_t0: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(minutes_from_t0)
}

/// `2026-03-02T08:55:00+00:00`, as seed 003 writes times.
pub fn offset_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

pub struct TestApp {
    pub service: Service,
}

impl TestApp {
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Self {
        Self::with(
            config,
            ServiceOptions {
                clock: ClockStart::Frozen(t0()),
                ..ServiceOptions::default()
            },
        )
    }

    pub fn with(config: Config, options: ServiceOptions) -> Self {
        let api =
            parkbench_parkingplus::api(&FixtureRoot::Embedded, config).expect("fixtures load");
        Self {
            service: Service::new(api, &options),
        }
    }

    pub fn advance_minutes(&self, minutes: i64) {
        self.service.clock().advance(TimeDelta::minutes(minutes));
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .service
            .app()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            bytes,
        }
    }

    fn builder(method: Method, path: &str, token: Option<&str>) -> http::request::Builder {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header("host", HOST);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        builder
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(
            Self::builder(Method::GET, path, token)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn get_with(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut builder = Self::builder(Method::GET, path, token);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.send(builder.body(Body::empty()).unwrap()).await
    }

    pub async fn json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Reply {
        self.send(
            Self::builder(method, path, token)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &str,
    ) -> Reply {
        self.send(
            Self::builder(method, path, token)
                .header("content-type", content_type)
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
    }

    pub async fn form(&self, path: &str, body: &str) -> Reply {
        self.raw(
            Method::POST,
            path,
            None,
            "application/x-www-form-urlencoded",
            body,
        )
        .await
    }

    /// A v1 token for a fixture driver.
    pub async fn token(&self, (email, password): (&str, &str)) -> String {
        let request = json!({
            "grant_type": "password",
            "username": email,
            "password": password,
            "client_app_id": APP_ID,
            "client_secret": APP_SECRET,
        });
        SCHEMAS.assert_valid("token_request", &request);
        let body = self
            .json(Method::POST, "/api/oauth/token", None, &request)
            .await
            .expect(200, "token_response");
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn finalize(&self, token: &str, session: i64, parking: i64) -> Reply {
        let request = json!({ "parking_session": { "secured_parking_id": parking } });
        SCHEMAS.assert_valid("finalize_request", &request);
        self.json(
            Method::PUT,
            &format!("/api/car_driver/parking_sessions/{session}/finalize"),
            Some(token),
            &request,
        )
        .await
    }

    /// Pays `pay_url` (absolute) with a JSON card.
    pub async fn pay_json(&self, pay_url: &str, number: &str, exp_date: &str, cvv: &str) -> Reply {
        let request = json!({ "card_number": number, "exp_date": exp_date, "cvv": cvv });
        SCHEMAS.assert_valid("payment_request", &request);
        self.json(Method::POST, &path_of(pay_url), None, &request)
            .await
    }

    pub async fn transactions(&self, token: &str, page: Option<u32>) -> Value {
        let path = match page {
            Some(page) => format!("/api/car_driver/parking_session_transactions?page={page}"),
            None => "/api/car_driver/parking_session_transactions".to_owned(),
        };
        self.get(&path, Some(token))
            .await
            .expect(200, "transactions_response")
    }

    pub async fn transaction(&self, token: &str, id: i64) -> Value {
        let mut page = 1;
        loop {
            let body = self.transactions(token, Some(page)).await;
            let items = body["parking_session_transactions"].as_array().unwrap();
            if let Some(found) = items.iter().find(|t| t["id"] == id) {
                return found.clone();
            }
            assert!(!items.is_empty(), "transaction {id} not listed");
            page += 1;
        }
    }
}

/// The path and query of an absolute URL the mock gave out, checked to point at this host.
pub fn path_of(url: &str) -> String {
    let rest = url
        .strip_prefix(&format!("http://{HOST}"))
        .unwrap_or_else(|| panic!("{url} does not point at the mock"));
    rest.to_owned()
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes.to_vec()).expect("utf-8 body")
    }

    fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts the status and a JSON body valid against `schema`; answers the body.
    #[track_caller]
    pub fn expect(&self, status: u16, schema: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        assert!(
            self.content_type().starts_with("application/json"),
            "content type {}",
            self.content_type()
        );
        let body: Value =
            serde_json::from_slice(&self.bytes).unwrap_or_else(|e| panic!("{e}: {}", self.text()));
        SCHEMAS.assert_valid(schema, &body);
        body
    }

    /// An API error with this status and code; answers its messages.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> Vec<String> {
        let body = self.expect(status, "error");
        assert_eq!(body["error"], code, "{body}");
        body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_owned())
            .collect()
    }

    /// An HTML page with this status; answers its text.
    #[track_caller]
    pub fn expect_html(&self, status: u16) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        assert!(
            self.content_type().starts_with("text/html"),
            "content type {}",
            self.content_type()
        );
        self.text()
    }
}

/// The sandbox cards, as the vendor's pages print them.
pub const NETOPIA_OK: &str = "9900004810225098";
pub const NETOPIA_EXPIRED: &str = "9900541631437790";
pub const EPX_OK: &str = "4000000000000002";

/// Finalizes the fixture driver's session and answers the token and the finalize body.
pub async fn finalized(app: &TestApp) -> (String, Value) {
    let token = app.token(DRIVER).await;
    let body = app
        .finalize(&token, DRIVER_SESSION, 187)
        .await
        .expect(201, "finalize_response");
    (token, body)
}

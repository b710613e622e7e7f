//! Unknown routes, wrong methods, oversized and hostile bodies: always the API's own format,
//! never a 5xx. And fixtures that do not make sense are refused with the file's name.

use std::path::PathBuf;

use http::Method;
use parkbench_kit::{FixtureRoot, ServiceOptions};
use proptest::prelude::*;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn unknown_routes_are_json_404s() {
    let app = TestApp::new();
    let messages = app
        .get("/api/car_driver/nothing", None)
        .await
        .expect_error(404, "not_found");
    assert_eq!(
        messages,
        ["No route matches [GET] \"/api/car_driver/nothing\""]
    );
}

#[tokio::test]
async fn wrong_methods_are_json_405s() {
    let app = TestApp::new();
    app.json(
        Method::POST,
        "/api/car_driver/parking_sessions/current",
        None,
        &json!({}),
    )
    .await
    .expect_error(405, "method_not_allowed");
    app.get("/api/oauth/token", None)
        .await
        .expect_error(405, "method_not_allowed");
    app.get("/api/car_driver/parking_sessions/1/finalize", None)
        .await
        .expect_error(405, "method_not_allowed");
}

#[tokio::test]
async fn oversized_bodies_are_json_413s() {
    let app = TestApp::with(
        parkbench_parkingplus::Config::default(),
        ServiceOptions {
            clock: parkbench_kit::ClockStart::Frozen(t0()),
            body_limit: 64,
            ..Default::default()
        },
    );
    let big = json!({ "grant_type": "password", "username": "x".repeat(200) });
    app.json(Method::POST, "/api/oauth/token", None, &big)
        .await
        .expect_error(413, "payload_too_large");
}

#[test]
fn a_panic_would_answer_a_json_500() {
    let api = parkbench_parkingplus::api(&FixtureRoot::Embedded, Default::default()).unwrap();
    let response = api.kit_error(parkbench_kit::KitError::Internal);
    assert_eq!(response.status(), 500);
}

fn broken(name: &str) -> FixtureRoot {
    FixtureRoot::Dir(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
}

#[test]
fn bad_fixtures_are_refused_naming_the_file() {
    for (folder, file, reason) in [
        (
            "unknown_driver",
            "parking_sessions.json",
            "no driver with e-mail",
        ),
        ("bad_price", "parkings.json", "default_price"),
        ("missing_file", "transactions.json", "No such file"),
    ] {
        let error = parkbench_parkingplus::api(&broken(folder), Default::default())
            .err()
            .unwrap_or_else(|| panic!("{folder} should be refused"))
            .to_string();
        assert!(
            error.contains(file) && error.contains(reason),
            "{folder}: {error}"
        );
        assert!(!error.contains('\n'), "{error}");
    }
}

#[test]
fn the_repository_fixtures_load_from_a_folder_too() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    parkbench_parkingplus::api(&FixtureRoot::Dir(root), Default::default()).expect("fixtures load");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever a client sends to the write endpoints, the answer is a 2xx or a 4xx in the
    /// API's format, never a 5xx.
    #[test]
    fn arbitrary_bodies_never_get_a_5xx(
        body in prop_oneof![
            ".{0,64}",
            Just("{\"parking_session\": {\"secured_parking_id\": 18446744073709551616}}".to_owned()),
            Just("{\"parking_session\": {\"secured_parking_id\": -1.5}}".to_owned()),
            Just("{\"smart_key\": {\"secured_parking_id\": 187, \"start_time\": \"9999-12-31 23:59:59\", \"end_time\": \"0000-01-01 00:00:00\"}}".to_owned()),
            Just("{\"secured_parking_id\": 187, \"started_minutes_ago\": 1e300}".to_owned()),
            Just("card_number=9900004810225098&exp_date=99/99999&cvv=%FF".to_owned()),
        ],
        target in 0usize..6,
        json_type in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let app = TestApp::new();
            let token = app.token(("other@parkingplus.test", "other-password")).await;
            let (method, path, auth) = [
                (Method::POST, "/api/oauth/token", false),
                (Method::POST, "/api/car_driver", false),
                (Method::PUT, "/api/car_driver/parking_sessions/2/finalize", true),
                (Method::POST, "/api/car_driver/smart_keys/create_booking", true),
                (Method::POST, "/__sim/entrance", true),
                (Method::POST, "/api/payment/pay/1", false),
            ][target].clone();
            if target == 5 {
                app.finalize(&token, OTHER_SESSION, 188).await.expect(201, "finalize_response");
            }
            let content_type = if json_type { "application/json" } else { "application/x-www-form-urlencoded" };
            let reply = app.raw(method, path, auth.then_some(token.as_str()), content_type, &body).await;
            assert!(reply.status.as_u16() < 500, "{} {}: {}", reply.status, path, reply.text());
            let ct = reply.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            if ct.starts_with("application/json") {
                let value: serde_json::Value = serde_json::from_slice(&reply.bytes).unwrap();
                let schema = if reply.status.is_success() {
                    ["token_response", "registration_response", "finalize_response",
                     "create_booking_response", "current_session_response", "payment_response"][target]
                } else if target == 0 {
                    "oauth_error"
                } else {
                    "error"
                };
                SCHEMAS.assert_valid(schema, &value);
            } else {
                assert!(ct.starts_with("text/html") || reply.status.is_redirection(), "{ct}");
            }
        });
    }
}

//! Token endpoints v1 and v2, and bearer tokens expiring on the virtual clock.

use http::Method;
use rstest::rstest;
use serde_json::{Value, json};

use crate::support::*;

const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";

fn grant(username: &str, password: &str) -> Value {
    json!({
        "grant_type": "password",
        "username": username,
        "password": password,
        "client_app_id": APP_ID,
        "client_secret": APP_SECRET,
    })
}

#[tokio::test]
async fn v1_issues_a_bearer_token_for_the_fixture_driver() {
    let app = TestApp::new();
    let body = app
        .json(
            Method::POST,
            "/api/oauth/token",
            None,
            &grant(DRIVER.0, DRIVER.1),
        )
        .await
        .expect(200, "token_response");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 7200);
    assert_eq!(body["created_at"], t0().timestamp());
    assert_eq!(body["access_token"].as_str().unwrap().len(), 64);
    assert_ne!(body["access_token"], body["refresh_token"]);
}

#[tokio::test]
async fn v2_wraps_the_token_in_token_info() {
    let app = TestApp::new();
    let body = app
        .json(
            Method::POST,
            "/api/car_driver/token",
            None,
            &grant(DRIVER.0, DRIVER.1),
        )
        .await
        .expect(200, "token_v2_response");
    assert_eq!(body["token_info"]["expires_in"], 7200);
    assert_eq!(body["token_info"]["token_type"], "bearer");
    assert_eq!(body["account_info"]["email"], DRIVER.0);
    assert!(body["last_payment_info"].is_null());
    let token = body["token_info"]["access_token"].as_str().unwrap();
    app.get("/api/car_driver/parking_sessions/current", Some(token))
        .await
        .expect(200, "current_session_response");
}

#[tokio::test]
async fn form_encoded_grants_work_as_oauth_libraries_send_them() {
    let app = TestApp::new();
    let form = format!(
        "grant_type=password&username={}&password={}&client_app_id={APP_ID}&client_secret={APP_SECRET}",
        DRIVER.0.replace('@', "%40"),
        DRIVER.1
    );
    app.raw(
        Method::POST,
        "/api/oauth/token",
        None,
        "application/x-www-form-urlencoded",
        &form,
    )
    .await
    .expect(200, "token_response");
}

#[tokio::test]
async fn e_mails_match_without_regard_to_case() {
    let app = TestApp::new();
    app.json(
        Method::POST,
        "/api/oauth/token",
        None,
        &grant("Driver@ParkingPlus.TEST", DRIVER.1),
    )
    .await
    .expect(200, "token_response");
}

#[rstest]
#[case::wrong_password(grant(DRIVER.0, "wrong"), 401, "invalid_grant")]
#[case::unknown_user(
    grant("nobody@parkingplus.test", "driver-password"),
    401,
    "invalid_grant"
)]
#[case::other_drivers_password(grant(DRIVER.0, OTHER.1), 401, "invalid_grant")]
#[case::wrong_secret(json!({"grant_type": "password", "username": DRIVER.0, "password": DRIVER.1, "client_app_id": APP_ID, "client_secret": "nope"}), 401, "invalid_client")]
#[case::no_client(json!({"grant_type": "password", "username": DRIVER.0, "password": DRIVER.1}), 401, "invalid_client")]
#[case::other_grant(json!({"grant_type": "client_credentials", "client_app_id": APP_ID, "client_secret": APP_SECRET}), 400, "unsupported_grant_type")]
#[case::no_grant_type(json!({"username": DRIVER.0, "password": DRIVER.1, "client_app_id": APP_ID, "client_secret": APP_SECRET}), 400, "invalid_request")]
#[case::no_password(json!({"grant_type": "password", "username": DRIVER.0, "client_app_id": APP_ID, "client_secret": APP_SECRET}), 400, "invalid_request")]
#[case::nested_value(json!({"grant_type": "password", "username": {"a": 1}}), 400, "invalid_request")]
#[tokio::test]
async fn bad_grants_get_oauth_errors(
    #[case] request: Value,
    #[case] status: u16,
    #[case] code: &str,
    #[values("/api/oauth/token", "/api/car_driver/token")] path: &str,
) {
    let app = TestApp::new();
    let body = app
        .json(Method::POST, path, None, &request)
        .await
        .expect(status, "oauth_error");
    assert_eq!(body["error"], code);
}

#[tokio::test]
async fn a_bad_grant_answers_the_documented_body_exactly() {
    let app = TestApp::new();
    let body = app
        .json(
            Method::POST,
            "/api/oauth/token",
            None,
            &grant(DRIVER.0, "wrong"),
        )
        .await
        .expect(401, "oauth_error");
    assert_eq!(
        body,
        json!({ "error": "invalid_grant", "error_description": INVALID_GRANT })
    );
}

#[tokio::test]
async fn an_unreadable_body_is_an_invalid_request() {
    let app = TestApp::new();
    let reply = app
        .raw(
            Method::POST,
            "/api/oauth/token",
            None,
            "application/json",
            "{\"grant_type\": ",
        )
        .await;
    assert_eq!(reply.expect(400, "oauth_error")["error"], "invalid_request");
}

#[tokio::test]
async fn tokens_expire_on_the_virtual_clock() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    app.service
        .clock()
        .advance(chrono::TimeDelta::seconds(7199));
    app.get("/api/car_driver/smart_keys", Some(&token))
        .await
        .expect(200, "smart_keys_response");
    app.service.clock().advance(chrono::TimeDelta::seconds(1));
    let reply = app.get("/api/car_driver/smart_keys", Some(&token)).await;
    let messages = reply.expect_error(401, "invalid_token");
    assert_eq!(messages, ["The access token expired"]);
    let challenge = reply.headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("invalid_token"),
        "{challenge}"
    );
    // A new grant gives a working token again.
    let fresh = app.token(DRIVER).await;
    app.get("/api/car_driver/smart_keys", Some(&fresh))
        .await
        .expect(200, "smart_keys_response");
}

#[tokio::test]
async fn the_token_lifetime_is_configurable() {
    let app = TestApp::with_config(parkbench_parkingplus::Config {
        token_ttl_secs: 60,
        ..Default::default()
    });
    let body = app
        .json(
            Method::POST,
            "/api/oauth/token",
            None,
            &grant(DRIVER.0, DRIVER.1),
        )
        .await
        .expect(200, "token_response");
    assert_eq!(body["expires_in"], 60);
    let token = body["access_token"].as_str().unwrap();
    app.advance_minutes(1);
    app.get("/api/car_driver/smart_keys", Some(token))
        .await
        .expect_error(401, "invalid_token");
}

#[rstest]
#[case::no_header(None)]
#[case::unknown_token(Some("Bearer 0000"))]
#[case::wrong_scheme(Some("Basic ZHJpdmVyOnB3"))]
#[case::empty_bearer(Some("Bearer "))]
#[tokio::test]
async fn protected_endpoints_refuse_requests_without_a_valid_token(
    #[case] authorization: Option<&str>,
    #[values(
        "/api/car_driver/smart_keys",
        "/api/car_driver/parking_sessions/current",
        "/api/car_driver/parking_session_transactions",
        "/api/car_driver/cards/new?return_url=aHR0cHM6Ly93d3cuZXhhbXBsZS5jb20v"
    )]
    path: &str,
) {
    let app = TestApp::new();
    let headers: Vec<(&str, &str)> = authorization
        .map(|a| ("authorization", a))
        .into_iter()
        .collect();
    app.get_with(path, None, &headers)
        .await
        .expect_error(401, "invalid_token");
}

#[tokio::test]
async fn writes_refuse_requests_without_a_valid_token() {
    let app = TestApp::new();
    let finalize = json!({ "parking_session": { "secured_parking_id": 187 } });
    for method in [Method::PUT, Method::PATCH] {
        app.json(
            method,
            "/api/car_driver/parking_sessions/1/finalize",
            Some("nope"),
            &finalize,
        )
        .await
        .expect_error(401, "invalid_token");
    }
    app.json(
        Method::POST,
        "/api/car_driver/smart_keys/create_booking",
        None,
        &json!({}),
    )
    .await
    .expect_error(401, "invalid_token");
    app.json(
        Method::POST,
        "/__sim/entrance",
        None,
        &json!({ "secured_parking_id": 187 }),
    )
    .await
    .expect_error(401, "invalid_token");
}

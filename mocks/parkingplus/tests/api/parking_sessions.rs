//! `GET .../parking_sessions/current` and `PUT|PATCH .../parking_sessions/{id}/finalize`.

use http::Method;
use rstest::rstest;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn current_prices_the_session_so_far_on_the_virtual_clock() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let body = app
        .get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect(200, "current_session_response");
    // Started 65 minutes before start-up at 5.00 RON per started hour: two hours.
    assert_eq!(body["amount"], "10.00");
    assert_eq!(body["currency"], "RON");
    let session = &body["parking_session"];
    assert_eq!(session["id"], DRIVER_SESSION);
    assert_eq!(session["state"], "active");
    assert_eq!(session["type"], "pay_per_use");
    assert_eq!(session["start_time"], offset_time(at(-65)));
    assert_eq!(session["end_time"], offset_time(t0()));
    let key = &body["smart_key"];
    assert_eq!(key["type"], "session_access");
    assert_eq!(key["secured_parking_id"], 187);
    assert_eq!(key["start_time"], offset_time(at(-65)));
    assert_eq!(key["end_time"], offset_time(at(-60)));

    app.advance_minutes(55); // two hours in: still two started hours
    let body = app
        .get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect(200, "current_session_response");
    assert_eq!(body["amount"], "10.00");
    app.advance_minutes(1); // into the third hour
    let body = app
        .get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect(200, "current_session_response");
    assert_eq!(body["amount"], "15.00");
}

#[tokio::test]
async fn each_driver_sees_their_own_current_session() {
    let app = TestApp::new();
    let token = app.token(OTHER).await;
    let body = app
        .get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect(200, "current_session_response");
    assert_eq!(body["parking_session"]["id"], OTHER_SESSION);
    // 30 started minutes at 0.10 RON per minute.
    assert_eq!(body["amount"], "3.00");
    assert_eq!(body["smart_key"]["secured_parking_id"], 188);
}

#[rstest]
#[case(Method::PUT)]
#[case(Method::PATCH)]
#[tokio::test]
async fn finalize_ends_the_session_and_answers_a_pay_url(#[case] method: Method) {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let before = app
        .get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect(200, "current_session_response");
    app.advance_minutes(120);
    // Two hours of virtual time: the first token has expired, as the app would find.
    let token = app.token(DRIVER).await;
    let body = app
        .json(
            method,
            "/api/car_driver/parking_sessions/1/finalize",
            Some(&token),
            &json!({ "parking_session": { "secured_parking_id": 187 } }),
        )
        .await
        .expect(201, "finalize_response");
    // 185 minutes: four started hours at 5.00.
    assert_eq!(body["amount"], "20.00");
    assert_eq!(body["currency"], "RON");
    assert_eq!(
        body["pay_url"],
        format!("http://{HOST}/api/payment/pay/1?from_mobile_v4=true")
    );
    let session = &body["parking_session"];
    assert_eq!(session["state"], "exiting");
    assert_eq!(session["start_time"], offset_time(at(-65)));
    assert_eq!(session["end_time"], offset_time(at(120)));
    let key = &body["smart_key"];
    assert_eq!(key["type"], "session_access");
    assert_eq!(key["id"], before["smart_key"]["id"]);
    assert_eq!(key["start_time"], offset_time(at(120)));
    assert_eq!(
        key["end_time"],
        offset_time(at(125)),
        "a five-minute exit window"
    );
    assert_ne!(
        key["access_command"], before["smart_key"]["access_command"],
        "a fresh exit command"
    );
    assert_eq!(key["access_points"].as_array().unwrap().len(), 2);

    // The amount is fixed: time passing no longer changes it.
    app.advance_minutes(240);
    let token = app.token(DRIVER).await;
    let current = app
        .get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect(200, "current_session_response");
    assert_eq!(current["amount"], "20.00");
    assert_eq!(current["parking_session"]["state"], "exiting");
    assert_eq!(current["parking_session"]["end_time"], offset_time(at(120)));
}

#[tokio::test]
async fn finalize_uses_the_host_the_client_called() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let request = http::Request::builder()
        .method(Method::PUT)
        .uri("/api/car_driver/parking_sessions/1/finalize")
        .header("host", "localhost:9999")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::from(
            r#"{"parking_session": {"secured_parking_id": 187}}"#,
        ))
        .unwrap();
    let body = app.send(request).await.expect(201, "finalize_response");
    assert_eq!(
        body["pay_url"],
        "http://localhost:9999/api/payment/pay/1?from_mobile_v4=true"
    );
}

#[tokio::test]
async fn secured_parking_id_may_come_as_digits() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    app.json(
        Method::PATCH,
        "/api/car_driver/parking_sessions/1/finalize",
        Some(&token),
        &json!({ "parking_session": { "secured_parking_id": "187" } }),
    )
    .await
    .expect(201, "finalize_response");
}

#[rstest]
#[case::empty_body("")]
#[case::no_parking_session(r#"{"secured_parking_id": 187}"#)]
#[case::empty_parking_session(r#"{"parking_session": {}}"#)]
#[case::parking_session_not_an_object(r#"{"parking_session": 187}"#)]
#[case::no_secured_parking_id(r#"{"parking_session": {"id": 1}}"#)]
#[case::null_secured_parking_id(r#"{"parking_session": {"secured_parking_id": null}}"#)]
#[case::blank_secured_parking_id(r#"{"parking_session": {"secured_parking_id": " "}}"#)]
#[case::not_json(r#"{"parking_session": "#)]
#[tokio::test]
async fn finalize_without_its_parameters_is_a_400(#[case] body: &str) {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    app.raw(
        Method::PUT,
        "/api/car_driver/parking_sessions/1/finalize",
        Some(&token),
        "application/json",
        body,
    )
    .await
    .expect_error(400, "bad_request");
}

#[tokio::test]
async fn the_400_names_the_missing_parameter() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let messages = app
        .json(
            Method::PUT,
            "/api/car_driver/parking_sessions/1/finalize",
            Some(&token),
            &json!({}),
        )
        .await
        .expect_error(400, "bad_request");
    assert_eq!(
        messages,
        ["param is missing or the value is empty: parking_session"]
    );
    let messages = app
        .json(
            Method::PUT,
            "/api/car_driver/parking_sessions/1/finalize",
            Some(&token),
            &json!({ "parking_session": { "foo": 1 } }),
        )
        .await
        .expect_error(400, "bad_request");
    assert_eq!(
        messages,
        ["param is missing or the value is empty: secured_parking_id"]
    );
}

#[rstest]
#[case::unknown_session("999", json!(187), "Couldn't find ParkingSession with 'id'=999")]
#[case::not_an_id("abc", json!(187), "Couldn't find ParkingSession with 'id'=abc")]
#[case::other_drivers_session("2", json!(188), "Couldn't find ParkingSession with 'id'=2")]
#[case::unknown_parking("1", json!(999), "Couldn't find SecuredParking with 'id'=999")]
#[case::parking_not_an_id("1", json!("P187"), "Couldn't find SecuredParking with 'id'=P187")]
#[tokio::test]
async fn finalize_of_something_unknown_is_a_404(
    #[case] session: &str,
    #[case] parking: Value,
    #[case] message: &str,
) {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let messages = app
        .json(
            Method::PUT,
            &format!("/api/car_driver/parking_sessions/{session}/finalize"),
            Some(&token),
            &json!({ "parking_session": { "secured_parking_id": parking } }),
        )
        .await
        .expect_error(404, "not_found");
    assert_eq!(messages, [message]);
}

#[tokio::test]
async fn another_drivers_session_stays_untouched() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    app.finalize(&token, OTHER_SESSION, 188)
        .await
        .expect_error(404, "not_found");
    let other = app.token(OTHER).await;
    let body = app
        .get("/api/car_driver/parking_sessions/current", Some(&other))
        .await
        .expect(200, "current_session_response");
    assert_eq!(body["parking_session"]["state"], "active");
    app.finalize(&other, OTHER_SESSION, 188)
        .await
        .expect(201, "finalize_response");
}

#[tokio::test]
async fn the_wrong_parking_is_a_422() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let messages = app
        .finalize(&token, DRIVER_SESSION, 188)
        .await
        .expect_error(422, "unprocessable_entity");
    assert_eq!(
        messages,
        ["Secured parking is not the parking of this parking session"]
    );
}

#[tokio::test]
async fn a_session_is_finalized_once() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    app.finalize(&token, DRIVER_SESSION, 187)
        .await
        .expect(201, "finalize_response");
    let messages = app
        .finalize(&token, DRIVER_SESSION, 187)
        .await
        .expect_error(422, "unprocessable_entity");
    assert_eq!(messages, ["Parking session has already been finalized"]);
    let messages = app
        .finalize(&token, DRIVER_SESSION, 188)
        .await
        .expect_error(422, "unprocessable_entity");
    assert_eq!(
        messages,
        [
            "Parking session has already been finalized",
            "Secured parking is not the parking of this parking session"
        ]
    );
}

#[tokio::test]
async fn a_paid_session_cannot_be_finalized_and_is_no_longer_current() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let body = app
        .finalize(&token, DRIVER_SESSION, 187)
        .await
        .expect(201, "finalize_response");
    let pay_url = body["pay_url"].as_str().unwrap();
    app.pay_json(pay_url, NETOPIA_OK, "12/2030", "111")
        .await
        .expect(200, "payment_response");
    let messages = app
        .finalize(&token, DRIVER_SESSION, 187)
        .await
        .expect_error(422, "unprocessable_entity");
    assert_eq!(messages, ["Parking session has already been paid"]);
    let messages = app
        .get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect_error(404, "not_found");
    assert_eq!(messages, ["There is no current parking session"]);
}

#[tokio::test]
async fn a_new_session_can_start_at_the_entrance_barrier() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let refused = app
        .json(
            Method::POST,
            "/__sim/entrance",
            Some(&token),
            &json!({ "secured_parking_id": 187 }),
        )
        .await
        .expect_error(422, "unprocessable_entity");
    assert_eq!(
        refused,
        ["Driver already has a parking session in progress"]
    );
    let body = app
        .finalize(&token, DRIVER_SESSION, 187)
        .await
        .expect(201, "finalize_response");
    app.pay_json(
        body["pay_url"].as_str().unwrap(),
        NETOPIA_OK,
        "12/2030",
        "111",
    )
    .await
    .expect(200, "payment_response");

    let request = json!({ "secured_parking_id": 188, "started_minutes_ago": 45 });
    SCHEMAS.assert_valid("sim_entrance_request", &request);
    let started = app
        .json(Method::POST, "/__sim/entrance", Some(&token), &request)
        .await
        .expect(201, "current_session_response");
    assert_eq!(started["parking_session"]["id"], 3);
    assert_eq!(started["parking_session"]["state"], "active");
    assert_eq!(
        started["parking_session"]["start_time"],
        offset_time(at(-45))
    );
    assert_eq!(started["amount"], "4.50");
    let current = app
        .get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect(200, "current_session_response");
    assert_eq!(current, started);
    app.finalize(&token, 3, 188)
        .await
        .expect(201, "finalize_response");
}

#[rstest]
#[case::no_parking(json!({}), 400, "bad_request")]
#[case::parking_not_a_number(json!({"secured_parking_id": "x"}), 400, "bad_request")]
#[case::negative_minutes(json!({"secured_parking_id": 187, "started_minutes_ago": -5}), 400, "bad_request")]
#[case::unknown_parking(json!({"secured_parking_id": 999}), 404, "not_found")]
#[tokio::test]
async fn the_entrance_barrier_checks_its_input(
    #[case] request: Value,
    #[case] status: u16,
    #[case] code: &str,
) {
    let app = TestApp::new();
    let token = app
        .token(("other@parkingplus.test", "other-password"))
        .await;
    app.json(Method::POST, "/__sim/entrance", Some(&token), &request)
        .await
        .expect_error(status, code);
}

//! `POST /api/car_driver/smart_keys/create_booking` and `GET /api/car_driver/cards/new`.

use http::Method;
use rstest::rstest;
use serde_json::{Value, json};

use crate::support::*;

/// `https://www.example.com/`, the create-booking page's own example.
const RETURN_URL: &str = "aHR0cHM6Ly93d3cuZXhhbXBsZS5jb20v";

fn booking(start: &str, end: &str) -> Value {
    json!({
        "return_url": RETURN_URL,
        "smart_key": {
            "email": DRIVER.0,
            "start_time": start,
            "end_time": end,
            "secured_parking_id": 187,
            "description": "description text",
        }
    })
}

#[tokio::test]
async fn a_booking_is_priced_by_the_tariff_and_activated_by_its_payment() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let request = booking("2026-03-02 12:00:00", "2026-03-02 13:30:00");
    SCHEMAS.assert_valid("create_booking_request", &request);
    let body = app
        .json(
            Method::POST,
            "/api/car_driver/smart_keys/create_booking",
            Some(&token),
            &request,
        )
        .await
        .expect(201, "create_booking_response");
    let key = &body["smart_key"];
    assert_eq!(key["duration_minutes"], 90);
    assert_eq!(
        key["price"], "10.0",
        "two started hours at 5.00, written as the page writes prices"
    );
    assert_eq!(key["currency"], "RON");
    assert_eq!(key["type"], "future");
    assert_eq!(key["with_payment"], true);
    assert_eq!(key["start_time"], "2026-03-02T12:00:00Z");
    assert_eq!(key["description"], "description text");
    assert_eq!(body["is_card_verification"], true, "no card on file yet");
    let pay_url = body["pay_url"].as_str().unwrap();
    assert_eq!(
        pay_url,
        format!("http://{HOST}/api/payment/pay/1?from_mobile_v4=true&return_url={RETURN_URL}")
    );
    let key_id = key["id"].as_i64().unwrap();

    let listed = app
        .get("/api/car_driver/smart_keys?is_active=false", Some(&token))
        .await
        .expect(200, "smart_keys_response");
    let entry = listed["smart_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["smart_key"]["id"] == key_id)
        .expect("the booking key is listed, inactive until paid");
    assert_eq!(entry["smart_key"]["type"], "booking");

    // The booking page lists the Netopia cards only.
    let html = app.get(&path_of(pay_url), None).await.expect_html(200);
    assert!(
        html.contains("Booking at Secured P 187") && !html.contains(EPX_OK),
        "{html}"
    );
    let declined = app
        .form(
            &path_of(pay_url),
            &format!("card_number={EPX_OK}&exp_date=12%2F2025&cvv="),
        )
        .await;
    assert_eq!(declined.status, 303);
    assert_eq!(
        declined.headers["location"],
        "https://www.example.com/?payment_id=1&status=error&reason=declined"
    );
    let paid = app
        .form(
            &path_of(pay_url),
            &format!("card_number={NETOPIA_OK}&exp_date=01%2F2031&cvv=111"),
        )
        .await;
    assert_eq!(
        paid.headers["location"],
        "https://www.example.com/?payment_id=1&status=confirmed"
    );

    let active = app
        .get("/api/car_driver/smart_keys?is_active=true", Some(&token))
        .await
        .expect(200, "smart_keys_response");
    assert!(
        active["smart_keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["smart_key"]["id"] == key_id)
    );

    // The card is on file now.
    let again = app
        .json(
            Method::POST,
            "/api/car_driver/smart_keys/create_booking",
            Some(&token),
            &booking("2026-03-02T09:30:00Z", "2026-03-02T10:30:00Z"),
        )
        .await
        .expect(201, "create_booking_response");
    assert_eq!(again["is_card_verification"], false);
    assert_eq!(again["smart_key"]["type"], "actual");
    assert_eq!(again["smart_key"]["price"], "5.0");
}

#[tokio::test]
async fn secured_parking_id_may_sit_beside_return_url_as_the_parameter_table_says() {
    let app = TestApp::new();
    let token = app.token(OTHER).await;
    let request = json!({
        "secured_parking_id": 188,
        "smart_key": { "start_time": "2026-03-02 11:00:00", "end_time": "2026-03-02 11:45:00" }
    });
    let body = app
        .json(
            Method::POST,
            "/api/car_driver/smart_keys/create_booking",
            Some(&token),
            &request,
        )
        .await
        .expect(201, "create_booking_response");
    assert_eq!(body["smart_key"]["secured_parking_id"], 188);
    assert_eq!(body["smart_key"]["price"], "4.5");
    assert!(body["smart_key"]["description"].is_null());
    assert_eq!(
        body["pay_url"],
        format!("http://{HOST}/api/payment/pay/1?from_mobile_v4=true")
    );
}

#[rstest]
#[case::no_smart_key(json!({"return_url": RETURN_URL}), 400, "bad_request", "param is missing or the value is empty: smart_key")]
#[case::no_parking(json!({"smart_key": {"start_time": "2026-03-02 12:00:00", "end_time": "2026-03-02 13:00:00"}}), 400, "bad_request", "param is missing or the value is empty: secured_parking_id")]
#[case::bad_return_url(json!({"return_url": "%%%", "smart_key": {"secured_parking_id": 187}}), 400, "bad_request", "return_url must be a Base64-encoded URL")]
#[case::unknown_parking(json!({"smart_key": {"secured_parking_id": 999, "start_time": "2026-03-02 12:00:00", "end_time": "2026-03-02 13:00:00"}}), 404, "not_found", "Couldn't find SecuredParking with 'id'=999")]
#[case::no_times(json!({"smart_key": {"secured_parking_id": 187}}), 422, "unprocessable_entity", "Start time can't be blank")]
#[case::bad_time(json!({"smart_key": {"secured_parking_id": 187, "start_time": "tomorrow", "end_time": "2026-03-02 13:00:00"}}), 422, "unprocessable_entity", "Start time is invalid")]
#[case::backwards(
    booking("2026-03-02 13:00:00", "2026-03-02 12:00:00"),
    422,
    "unprocessable_entity",
    "End time must be after start time"
)]
#[case::past(
    booking("2026-03-01 13:00:00", "2026-03-01 14:00:00"),
    422,
    "unprocessable_entity",
    "End time must be in the future"
)]
#[case::bad_email(json!({"smart_key": {"secured_parking_id": 187, "email": "x", "start_time": "2026-03-02 12:00:00", "end_time": "2026-03-02 13:00:00"}}), 422, "unprocessable_entity", "Email is invalid")]
#[tokio::test]
async fn refused_bookings(
    #[case] request: Value,
    #[case] status: u16,
    #[case] code: &str,
    #[case] first: &str,
) {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let messages = app
        .json(
            Method::POST,
            "/api/car_driver/smart_keys/create_booking",
            Some(&token),
            &request,
        )
        .await
        .expect_error(status, code);
    assert_eq!(messages[0], first, "{messages:?}");
    let keys = app
        .get("/api/car_driver/smart_keys", Some(&token))
        .await
        .expect(200, "smart_keys_response");
    assert_eq!(
        keys["smart_keys"].as_array().unwrap().len(),
        2,
        "no key was created"
    );
}

#[tokio::test]
async fn cards_new_v1_answers_a_netopia_card_verification() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let body = app
        .get(
            &format!("/api/car_driver/cards/new?return_url={RETURN_URL}"),
            Some(&token),
        )
        .await
        .expect(200, "card_new_response");
    let pay_url = body["pay_url"].as_str().unwrap();
    assert_eq!(
        pay_url,
        format!("http://{HOST}/api/payment/pay/1?from_mobile_v4=true&return_url={RETURN_URL}")
    );
    assert!(
        !body["env_key"].as_str().unwrap().is_empty() && !body["data"].as_str().unwrap().is_empty()
    );
    let html = app.get(&path_of(pay_url), None).await.expect_html(200);
    assert!(
        html.contains("Card verification") && html.contains("0.00 RON") && !html.contains(EPX_OK),
        "{html}"
    );
    let epx = app
        .pay_json(pay_url, EPX_OK, "12/2025", "123")
        .await
        .expect(200, "payment_response");
    assert_eq!(epx["status"], "error", "v1 has no EPX");
    assert_eq!(
        epx["return_url"],
        "https://www.example.com/?payment_id=1&status=error&reason=declined"
    );
    let ok = app
        .pay_json(pay_url, NETOPIA_OK, "01/2031", "111")
        .await
        .expect(200, "payment_response");
    assert_eq!(ok["status"], "confirmed");
    assert_eq!(ok["amount"], "0.00");
}

#[tokio::test]
async fn cards_new_v2_also_takes_the_epx_card() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let body = app
        .get_with(
            &format!("/api/car_driver/cards/new?return_url={RETURN_URL}"),
            Some(&token),
            &[("accept", "application/vnd.parkingplus.v2+json")],
        )
        .await
        .expect(200, "card_new_response");
    let pay_url = body["pay_url"].as_str().unwrap();
    let html = app.get(&path_of(pay_url), None).await.expect_html(200);
    assert!(html.contains(EPX_OK), "{html}");
    // The add-card page gives the EPX card with CVV 123.
    let ok = app
        .pay_json(pay_url, EPX_OK, "12/2025", "123")
        .await
        .expect(200, "payment_response");
    assert_eq!(ok["status"], "confirmed");
    assert_eq!(ok["provider"], "epx");
}

#[rstest]
#[case::missing("/api/car_driver/cards/new")]
#[case::empty("/api/car_driver/cards/new?return_url=")]
#[case::not_base64("/api/car_driver/cards/new?return_url=%25%25")]
#[tokio::test]
async fn cards_new_needs_a_return_url(#[case] path: &str) {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    app.get(path, Some(&token))
        .await
        .expect_error(400, "bad_request");
}

//! `POST /api/car_driver`.

use http::Method;
use rstest::rstest;
use serde_json::{Value, json};

use crate::support::*;

fn registration(email: &str, password: &str, confirmation: &str) -> Value {
    json!({
        "api_car_driver_fo_user": {
            "email": email,
            "password": password,
            "password_confirmation": confirmation,
            "first_name": "Ioana",
            "last_name": "Marin",
            "phone": "+40700000009",
        },
        "client_app_id": APP_ID,
        "client_secret": APP_SECRET,
    })
}

#[tokio::test]
async fn a_registered_driver_can_sign_in_and_has_nothing_yet() {
    let app = TestApp::new();
    let request = registration("new@parkingplus.test", "new-password", "new-password");
    SCHEMAS.assert_valid("registration_request", &request);
    let body = app
        .json(Method::POST, "/api/car_driver", None, &request)
        .await
        .expect(201, "registration_response");
    assert_eq!(
        body["api_car_driver_fo_user"]["email"],
        "new@parkingplus.test"
    );
    assert_eq!(
        body["api_car_driver_fo_user"]["id"], 3,
        "after the two fixture drivers"
    );
    let token = app.token(("new@parkingplus.test", "new-password")).await;
    let keys = app
        .get("/api/car_driver/smart_keys", Some(&token))
        .await
        .expect(200, "smart_keys_response");
    assert_eq!(keys["smart_keys"], json!([]));
    app.get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect_error(404, "not_found");
    let transactions = app.transactions(&token, None).await;
    assert_eq!(transactions["total_entries"], 0);
    assert_eq!(transactions["total_pages"], 0);
}

#[rstest]
#[case::duplicate_email(registration(DRIVER.0, "secret-1", "secret-1"), vec!["Email has already been taken"])]
#[case::duplicate_email_other_case(registration("DRIVER@parkingplus.test", "secret-1", "secret-1"), vec!["Email has already been taken"])]
#[case::mismatched_confirmation(registration("a@parkingplus.test", "secret-1", "secret-2"), vec!["Password confirmation doesn't match Password"])]
#[case::both(registration(OTHER.0, "secret-1", "secret-2"), vec!["Email has already been taken", "Password confirmation doesn't match Password"])]
#[case::invalid_email(registration("not-an-email", "secret-1", "secret-1"), vec!["Email is invalid"])]
#[case::blank(registration("", "", ""), vec!["Email can't be blank", "Password can't be blank"])]
#[case::short_password(registration("b@parkingplus.test", "abc", "abc"), vec!["Password is too short (minimum is 6 characters)"])]
#[tokio::test]
async fn invalid_registrations_get_422_with_every_message(
    #[case] request: Value,
    #[case] expected: Vec<&str>,
) {
    let app = TestApp::new();
    let messages = app
        .json(Method::POST, "/api/car_driver", None, &request)
        .await
        .expect_error(422, "unprocessable_entity");
    assert_eq!(messages, expected);
}

#[tokio::test]
async fn a_refused_registration_creates_nothing() {
    let app = TestApp::new();
    app.json(
        Method::POST,
        "/api/car_driver",
        None,
        &registration("c@parkingplus.test", "secret-1", "x"),
    )
    .await
    .expect_error(422, "unprocessable_entity");
    app.json(
        Method::POST,
        "/api/car_driver",
        None,
        &registration("c@parkingplus.test", "secret-1", "secret-1"),
    )
    .await
    .expect(201, "registration_response");
}

#[rstest]
#[case::no_user(json!({"client_app_id": APP_ID, "client_secret": APP_SECRET}), 400, "bad_request")]
#[case::user_not_an_object(json!({"api_car_driver_fo_user": "x", "client_app_id": APP_ID, "client_secret": APP_SECRET}), 400, "bad_request")]
#[case::not_an_object(json!([1, 2]), 400, "bad_request")]
#[case::wrong_secret(json!({"api_car_driver_fo_user": {"email": "d@parkingplus.test", "password": "secret-1"}, "client_app_id": APP_ID, "client_secret": "x"}), 401, "invalid_client")]
#[case::no_client(json!({"api_car_driver_fo_user": {"email": "d@parkingplus.test", "password": "secret-1"}}), 401, "invalid_client")]
#[case::no_user_no_client(json!({}), 401, "invalid_client")]
#[tokio::test]
async fn malformed_registrations(#[case] request: Value, #[case] status: u16, #[case] code: &str) {
    let app = TestApp::new();
    app.json(Method::POST, "/api/car_driver", None, &request)
        .await
        .expect_error(status, code);
}

#[tokio::test]
async fn a_registration_body_that_is_not_json_is_a_400() {
    let app = TestApp::new();
    let messages = app
        .raw(
            Method::POST,
            "/api/car_driver",
            None,
            "application/json",
            "{oops",
        )
        .await
        .expect_error(400, "bad_request");
    assert!(messages[0].contains("not valid JSON"), "{messages:?}");
}

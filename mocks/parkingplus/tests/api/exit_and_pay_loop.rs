//! The loop a client app runs: token, current session, finalize, pay with each test card,
//! transactions; amounts checked against tariff × duration after moving the clock.

use http::Method;
use rstest::rstest;
use serde_json::json;

use crate::support::*;

#[rstest]
#[case::netopia(NETOPIA_OK, "03/2030", "111", "mobilpay")]
#[case::epx(EPX_OK, "12/2025", "", "epx")]
#[tokio::test]
async fn the_whole_loop(
    #[case] card: &str,
    #[case] exp: &str,
    #[case] cvv: &str,
    #[case] provider: &str,
) {
    let app = TestApp::new();

    // v2 sign-in, as the app does at start.
    let signed_in = app
        .json(
            Method::POST,
            "/api/car_driver/token",
            None,
            &json!({
                "grant_type": "password",
                "username": DRIVER.0,
                "password": DRIVER.1,
                "client_app_id": APP_ID,
                "client_secret": APP_SECRET,
            }),
        )
        .await
        .expect(200, "token_v2_response");
    let token = signed_in["token_info"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let current = app
        .get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect(200, "current_session_response");
    let session_id = current["parking_session"]["id"].as_i64().unwrap();
    let parking_id = current["smart_key"]["secured_parking_id"].as_i64().unwrap();
    assert_eq!((session_id, parking_id), (DRIVER_SESSION, 187));

    // Three hours and ten minutes after start-up: 255 minutes in the car park, five started
    // hours at 5.00 RON.
    app.advance_minutes(190);
    // The token from start-up expired after two hours: sign in again, as the app must.
    app.get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect_error(401, "invalid_token");
    let token = app.token(DRIVER).await;
    let finalized = app
        .finalize(&token, session_id, parking_id)
        .await
        .expect(201, "finalize_response");
    assert_eq!(finalized["amount"], "25.00");
    assert_eq!(
        finalized["parking_session"]["end_time"],
        offset_time(at(190))
    );
    let pay_url = finalized["pay_url"].as_str().unwrap().to_owned();

    let pending = app.transactions(&token, Some(1)).await;
    assert_eq!(pending["total_entries"], 13);
    let newest = &pending["parking_session_transactions"][0];
    assert_eq!(newest["payment_status"], "pending");
    assert_eq!(newest["amount"], "25.00");
    assert_eq!(newest["duration_minutes"], 255);
    assert_eq!(newest["curency"], "RON");
    assert_eq!(newest["parking"]["id"], 187);
    let transaction_id = newest["id"].as_i64().unwrap();

    // The expired card, then an unknown one: declined, the session still waits at the exit.
    for (number, reason) in [
        (NETOPIA_EXPIRED, "expired_card"),
        ("5555555555554444", "declined"),
    ] {
        let outcome = app
            .pay_json(&pay_url, number, "03/2030", "123")
            .await
            .expect(200, "payment_response");
        assert_eq!(
            (outcome["status"].as_str(), outcome["reason"].as_str()),
            (Some("error"), Some(reason))
        );
        assert_eq!(
            app.transaction(&token, transaction_id).await["payment_status"],
            "error"
        );
        let current = app
            .get("/api/car_driver/parking_sessions/current", Some(&token))
            .await
            .expect(200, "current_session_response");
        assert_eq!(current["parking_session"]["state"], "exiting");
        assert_eq!(current["amount"], "25.00");
    }

    // Paying an hour later changes nothing to the amount.
    app.advance_minutes(60);
    let outcome = app
        .pay_json(&pay_url, card, exp, cvv)
        .await
        .expect(200, "payment_response");
    assert_eq!(outcome["status"], "confirmed");
    assert_eq!(outcome["provider"], provider);
    assert_eq!(outcome["amount"], "25.00");

    let done = app.transaction(&token, transaction_id).await;
    assert_eq!(done["payment_status"], "confirmed");
    assert_eq!(done["amount"], "25.00");
    app.get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn reset_restores_the_fixtures() {
    let app = TestApp::new();
    let (token, body) = finalized(&app).await;
    app.pay_json(
        body["pay_url"].as_str().unwrap(),
        NETOPIA_OK,
        "01/2031",
        "111",
    )
    .await
    .expect(200, "payment_response");
    app.advance_minutes(30);
    let reply = app
        .json(Method::POST, "/__admin/reset", None, &json!({}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    app.get("/api/car_driver/smart_keys", Some(&token))
        .await
        .expect_error(401, "invalid_token");
    let token = app.token(DRIVER).await;
    let current = app
        .get("/api/car_driver/parking_sessions/current", Some(&token))
        .await
        .expect(200, "current_session_response");
    assert_eq!(current["parking_session"]["state"], "active");
    assert_eq!(current["amount"], "10.00");
    assert_eq!(app.transactions(&token, None).await["total_entries"], 12);
    let again = app
        .finalize(&token, DRIVER_SESSION, 187)
        .await
        .expect(201, "finalize_response");
    assert_eq!(again["pay_url"], body["pay_url"], "payment ids start over");
}

#[tokio::test]
async fn the_same_seed_and_requests_give_the_same_answers() {
    async fn run() -> Vec<String> {
        let app = TestApp::new();
        let token = app.token(DRIVER).await;
        let current = app
            .get("/api/car_driver/parking_sessions/current", Some(&token))
            .await;
        let finalized = app.finalize(&token, DRIVER_SESSION, 187).await;
        let keys = app.get("/api/car_driver/smart_keys", Some(&token)).await;
        vec![token, current.text(), finalized.text(), keys.text()]
    }
    assert_eq!(run().await, run().await);
}

#[tokio::test]
async fn another_seed_gives_other_tokens_and_commands() {
    let seeded = |seed| {
        TestApp::with(
            parkbench_parkingplus::Config::default(),
            parkbench_kit::ServiceOptions {
                seed,
                clock: parkbench_kit::ClockStart::Frozen(t0()),
                ..Default::default()
            },
        )
    };
    let (a, b) = (seeded(1), seeded(2));
    let (ta, tb) = (a.token(DRIVER).await, b.token(DRIVER).await);
    assert_ne!(ta, tb);
    let ka = a
        .get("/api/car_driver/smart_keys", Some(&ta))
        .await
        .expect(200, "smart_keys_response");
    let kb = b
        .get("/api/car_driver/smart_keys", Some(&tb))
        .await
        .expect(200, "smart_keys_response");
    assert_ne!(
        ka["smart_keys"][0]["smart_key"]["access_command"],
        kb["smart_keys"][0]["smart_key"]["access_command"]
    );
}

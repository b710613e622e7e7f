//! The payment page behind `pay_url`: the HTML form, the sandbox cards, form posts with and
//! without `return_url`, and JSON posts.

use http::Method;
use parkbench_kit::FaultFlag;
use rstest::rstest;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn the_pay_url_shows_a_card_form() {
    let app = TestApp::new();
    let (_, body) = finalized(&app).await;
    let path = path_of(body["pay_url"].as_str().unwrap());
    let html = app.get(&path, None).await.expect_html(200);
    assert!(
        html.contains("<form method=\"post\" action=\"/api/payment/pay/1?from_mobile_v4=true\">"),
        "{html}"
    );
    for field in [
        "name=\"card_number\"",
        "name=\"exp_date\"",
        "name=\"cvv\"",
        "type=\"submit\"",
    ] {
        assert!(html.contains(field), "missing {field}: {html}");
    }
    assert!(html.contains("10.00 RON"), "the amount: {html}");
    assert!(
        html.contains("Parking session 1 at Secured P 187"),
        "{html}"
    );
    for card in [NETOPIA_OK, NETOPIA_EXPIRED, EPX_OK] {
        assert!(html.contains(card), "test card {card} listed: {html}");
    }
}

#[rstest]
#[case::netopia(NETOPIA_OK, "01/2031", "111", "confirmed", Some("mobilpay"), None)]
#[case::netopia_short_year(NETOPIA_OK, "01/31", "111", "confirmed", Some("mobilpay"), None)]
#[case::netopia_wrong_cvv(NETOPIA_OK, "01/2031", "123", "error", None, Some("declined"))]
#[case::netopia_expired(NETOPIA_EXPIRED, "01/2031", "111", "error", None, Some("expired_card"))]
#[case::epx(EPX_OK, "12/2025", "", "confirmed", Some("epx"), None)]
#[case::epx_wrong_expiry(EPX_OK, "11/2026", "", "error", None, Some("declined"))]
#[case::epx_with_cvv(EPX_OK, "12/2025", "123", "error", None, Some("declined"))]
#[case::other_card("4111111111111111", "01/2031", "123", "error", None, Some("declined"))]
#[tokio::test]
async fn the_sandbox_cards_settle_a_session_payment(
    #[case] number: &str,
    #[case] exp: &str,
    #[case] cvv: &str,
    #[case] status: &str,
    #[case] provider: Option<&str>,
    #[case] reason: Option<&str>,
) {
    let app = TestApp::new();
    let (_, body) = finalized(&app).await;
    // Years past the EPX card's printed expiry: accepted whatever the clock says.
    app.service
        .clock()
        .set("2031-06-01T00:00:00Z".parse().unwrap());
    let token = app.token(DRIVER).await;
    let reply = app
        .pay_json(body["pay_url"].as_str().unwrap(), number, exp, cvv)
        .await;
    let outcome = reply.expect(200, "payment_response");
    assert_eq!(outcome["status"], status);
    assert_eq!(outcome["provider"], json!(provider));
    assert_eq!(outcome["reason"], json!(reason));
    assert_eq!(outcome["amount"], body["amount"]);
    assert!(outcome["return_url"].is_null());
    let current = app
        .get("/api/car_driver/parking_sessions/current", Some(&token))
        .await;
    if status == "confirmed" {
        current.expect_error(404, "not_found");
    } else {
        assert_eq!(
            current.expect(200, "current_session_response")["parking_session"]["state"],
            "exiting"
        );
    }
}

#[tokio::test]
async fn a_declined_payment_can_be_paid_again_and_a_paid_one_cannot() {
    let app = TestApp::new();
    let (token, body) = finalized(&app).await;
    let pay_url = body["pay_url"].as_str().unwrap();
    app.pay_json(pay_url, NETOPIA_EXPIRED, "01/2031", "111")
        .await
        .expect(200, "payment_response");
    let html = app.get(&path_of(pay_url), None).await.expect_html(200);
    assert!(html.contains("The last attempt was declined"), "{html}");
    let paid = app
        .pay_json(pay_url, NETOPIA_OK, "01/2031", "111")
        .await
        .expect(200, "payment_response");
    assert_eq!(paid["status"], "confirmed");
    let messages = app
        .pay_json(pay_url, NETOPIA_OK, "01/2031", "111")
        .await
        .expect_error(422, "unprocessable_entity");
    assert_eq!(messages, ["This payment has already been confirmed"]);
    let html = app.get(&path_of(pay_url), None).await.expect_html(200);
    assert!(
        html.contains("already been confirmed") && !html.contains("<form"),
        "{html}"
    );
    let transaction = &app.transactions(&token, Some(1)).await["parking_session_transactions"][0];
    assert_eq!(transaction["payment_status"], "confirmed");
}

#[tokio::test]
async fn a_form_post_with_a_return_url_redirects_there_with_the_outcome() {
    let app = TestApp::new();
    let (_, body) = finalized(&app).await;
    // `https://app.example/paid?ref=7`, as the vendor passes return URLs: Base64.
    let return_url = "aHR0cHM6Ly9hcHAuZXhhbXBsZS9wYWlkP3JlZj03";
    let path = format!(
        "{}&return_url={return_url}",
        path_of(body["pay_url"].as_str().unwrap())
    );
    let html = app.get(&path, None).await.expect_html(200);
    assert!(
        html.contains(&format!("return_url={return_url}\"")),
        "the form posts back with it: {html}"
    );

    let declined = app
        .form(
            &path,
            &format!("card_number={NETOPIA_EXPIRED}&exp_date=01%2F2031&cvv=111"),
        )
        .await;
    assert_eq!(declined.status, 303);
    assert_eq!(
        declined.headers["location"],
        "https://app.example/paid?ref=7&payment_id=1&status=error&reason=expired_card"
    );
    let paid = app
        .form(
            &path,
            &format!("card_number={EPX_OK}&exp_date=12%2F2025&cvv="),
        )
        .await;
    assert_eq!(paid.status, 303);
    assert_eq!(
        paid.headers["location"],
        "https://app.example/paid?ref=7&payment_id=1&status=confirmed"
    );
}

#[tokio::test]
async fn a_form_post_without_a_return_url_answers_a_result_page() {
    let app = TestApp::new();
    let (_, body) = finalized(&app).await;
    let path = path_of(body["pay_url"].as_str().unwrap());
    let html = app
        .form(
            &path,
            "card_number=4111+1111+1111+1111&exp_date=01%2F2031&cvv=123",
        )
        .await
        .expect_html(200);
    assert!(html.contains("Payment declined"), "{html}");
    let html = app
        .form(
            &path,
            &format!("card_number={NETOPIA_OK}&exp_date=01%2F2031&cvv=111&card_holder=Ana+Popescu"),
        )
        .await
        .expect_html(200);
    assert!(
        html.contains("Payment confirmed") && html.contains("10.00 RON"),
        "{html}"
    );
}

#[tokio::test]
async fn posting_env_key_and_data_opens_the_card_form() {
    let app = TestApp::new();
    let (_, body) = finalized(&app).await;
    let path = path_of(body["pay_url"].as_str().unwrap());
    let html = app
        .form(&path, "env_key=abc&data=def")
        .await
        .expect_html(200);
    assert!(html.contains("name=\"card_number\""), "{html}");
}

#[rstest]
#[case::no_card("exp_date=01%2F2031&cvv=111", "Card number is required")]
#[case::letters("card_number=abcd&exp_date=01%2F2031", "Card number is invalid")]
#[case::too_short("card_number=1234&exp_date=01%2F2031", "Card number is invalid")]
#[case::no_expiry("card_number=9900004810225098&cvv=111", "Expiry date must be MM/YYYY")]
#[case::bad_cvv(
    "card_number=9900004810225098&exp_date=01%2F2031&cvv=1a1",
    "CVV must be"
)]
#[tokio::test]
async fn an_incomplete_form_is_shown_again_with_the_problem(
    #[case] form: &str,
    #[case] problem: &str,
) {
    let app = TestApp::new();
    let (token, body) = finalized(&app).await;
    let html = app
        .form(&path_of(body["pay_url"].as_str().unwrap()), form)
        .await
        .expect_html(400);
    assert!(
        html.contains(problem) && html.contains("name=\"card_number\""),
        "{html}"
    );
    let transaction = &app.transactions(&token, Some(1)).await["parking_session_transactions"][0];
    assert_eq!(
        transaction["payment_status"], "pending",
        "nothing was settled"
    );
}

#[rstest]
#[case::no_card(json!({"exp_date": "01/2031"}))]
#[case::bad_expiry(json!({"card_number": NETOPIA_OK, "exp_date": "2031-01"}))]
#[case::nested(json!({"card_number": {"n": 1}}))]
#[tokio::test]
async fn an_incomplete_json_payment_is_a_400(#[case] request: Value) {
    let app = TestApp::new();
    let (_, body) = finalized(&app).await;
    app.json(
        Method::POST,
        &path_of(body["pay_url"].as_str().unwrap()),
        None,
        &request,
    )
    .await
    .expect_error(400, "bad_request");
}

#[tokio::test]
async fn unknown_payments_are_404s() {
    let app = TestApp::new();
    app.get("/api/payment/pay/99?from_mobile_v4=true", None)
        .await
        .expect_html(404);
    app.get("/api/payment/pay/abc", None).await.expect_html(404);
    app.pay_json(
        &format!("http://{HOST}/api/payment/pay/99"),
        NETOPIA_OK,
        "01/2031",
        "111",
    )
    .await
    .expect_error(404, "not_found");
    let html = app
        .form(
            "/api/payment/pay/99",
            "card_number=9900004810225098&exp_date=01%2F2031&cvv=111",
        )
        .await
        .expect_html(404);
    assert!(html.contains("Payment not found"), "{html}");
}

#[tokio::test]
async fn an_unreadable_return_url_is_refused() {
    let app = TestApp::new();
    let (_, body) = finalized(&app).await;
    let path = format!(
        "{}&return_url=%25%25%25",
        path_of(body["pay_url"].as_str().unwrap())
    );
    app.get(&path, None).await.expect_html(400);
    app.pay_json(
        &format!("http://{HOST}{path}"),
        NETOPIA_OK,
        "01/2031",
        "111",
    )
    .await
    .expect_error(400, "bad_request");
}

#[tokio::test]
async fn a_payment_declined_flag_fault_declines_the_best_card() {
    let app = TestApp::new();
    let (_, body) = finalized(&app).await;
    let pay_url = body["pay_url"].as_str().unwrap();
    let fault = json!({ "method": "POST", "path": "/api/payment/pay/*", "action": "flag", "flag": "payment_declined" });
    let reply = app
        .json(Method::POST, "/__admin/faults", None, &fault)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let outcome = app
        .pay_json(pay_url, NETOPIA_OK, "01/2031", "111")
        .await
        .expect(200, "payment_response");
    assert_eq!(outcome["status"], "error");
    assert_eq!(outcome["reason"], "declined");
    let outcome = app
        .pay_json(pay_url, NETOPIA_OK, "01/2031", "111")
        .await
        .expect(200, "payment_response");
    assert_eq!(outcome["status"], "confirmed", "the fault applied once");
    // The flag is the kit's: the name is all the mock interprets.
    assert_eq!(
        FaultFlag("payment_declined".into()).0,
        parkbench_parkingplus::DECLINE_FLAG
    );
}

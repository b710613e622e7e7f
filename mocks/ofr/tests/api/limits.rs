//! The test environment's rate limit (seed 000: 30 requests per 10 minutes), per client, on
//! the virtual clock.

use http::StatusCode;
use parkbench_kit::rate_limit::Quota;
use serde_json::json;

use crate::support::*;

fn summary() -> serde_json::Value {
    json!({"operatorId": SEED_OPERATOR, "startDate": day(2), "endDate": day(1)})
}

#[tokio::test]
async fn the_31st_request_in_ten_minutes_is_429_until_a_slot_frees() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await; // request 1
    for n in 2..=30 {
        app.advance(10);
        let reply = app
            .post("/summary-report/revenue", Some(&token), &summary())
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("x-ratelimit-limit"), "30");
        assert_eq!(reply.header("x-ratelimit-remaining"), (30 - n).to_string());
        // The oldest request (t0) leaves the window at t0 + 600.
        assert_eq!(
            reply.header("x-ratelimit-reset"),
            (600 - 10 * (n - 1)).to_string()
        );
    }
    // Now t0 + 290 s.
    let refused = app
        .post("/summary-report/revenue", Some(&token), &summary())
        .await;
    let body = refused.assert_problem(StatusCode::TOO_MANY_REQUESTS, "30 requests per 600 seconds");
    assert_eq!(body["title"], "Too Many Requests");
    assert_eq!(refused.header("retry-after"), "310");
    assert_eq!(refused.header("x-ratelimit-remaining"), "0");
    assert_eq!(refused.header("x-ratelimit-reset"), "310");

    app.advance(309);
    let still = app
        .post("/summary-report/revenue", Some(&token), &summary())
        .await;
    assert_eq!(still.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(still.header("retry-after"), "1");
    app.advance(1);
    let again = app
        .post("/summary-report/revenue", Some(&token), &summary())
        .await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "the first request left the window"
    );
    assert_eq!(again.header("x-ratelimit-remaining"), "0");
}

#[tokio::test]
async fn every_request_counts_errors_auth_and_unknown_routes_included() {
    let app = App::with(parkbench_ofr::Config {
        rate_limit: Some(Quota {
            limit: 4,
            window_secs: 60,
        }),
        ..Default::default()
    });
    let token = app.token(TEST_CLIENT).await;
    let replies = [
        app.get("/no/such/route", Some(&token)).await,
        app.post("/report/generate", Some(&token), &json!({})).await,
        app.get("/report/generate/nope", Some(&token)).await,
    ];
    let remaining: Vec<&str> = replies
        .iter()
        .map(|r| r.header("x-ratelimit-remaining"))
        .collect();
    assert_eq!(remaining, ["2", "1", "0"]);
    app.get("/no/such/route", Some(&token))
        .await
        .assert_problem(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
    app.auth(TEST_CLIENT)
        .await
        .assert_problem(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
}

#[tokio::test]
async fn windows_are_per_client() {
    let app = App::with(parkbench_ofr::Config {
        rate_limit: Some(Quota {
            limit: 2,
            window_secs: 60,
        }),
        ..Default::default()
    });
    let token = app.token(TEST_CLIENT).await;
    assert_eq!(
        app.post("/summary-report/revenue", Some(&token), &summary())
            .await
            .status,
        StatusCode::OK
    );
    app.post("/summary-report/revenue", Some(&token), &summary())
        .await
        .assert_problem(StatusCode::TOO_MANY_REQUESTS, "Rate limit");
    // Another client, and callers without a client, have windows of their own.
    let other = app.auth(OTHER_CLIENT).await;
    assert_eq!(
        (other.status, other.header("x-ratelimit-remaining")),
        (StatusCode::OK, "1")
    );
    let anonymous = app.get("/report/generate/x", None).await;
    anonymous.assert_problem(StatusCode::UNAUTHORIZED, "Missing X-Authorization");
    assert_eq!(anonymous.header("x-ratelimit-remaining"), "1");
    // An expired token still names its client: it counts in that client's window.
    app.advance(3600);
    let expired = app
        .post("/summary-report/revenue", Some(&token), &summary())
        .await;
    expired.assert_problem(StatusCode::UNAUTHORIZED, "expired");
    assert_eq!(expired.header("x-ratelimit-remaining"), "1");
}

#[tokio::test]
async fn reset_empties_the_windows() {
    let app = App::with(parkbench_ofr::Config {
        rate_limit: Some(Quota {
            limit: 1,
            window_secs: 600,
        }),
        ..Default::default()
    });
    app.token(TEST_CLIENT).await;
    app.auth(TEST_CLIENT)
        .await
        .assert_problem(StatusCode::TOO_MANY_REQUESTS, "Rate limit");
    app.service.reset();
    assert_eq!(app.auth(TEST_CLIENT).await.status, StatusCode::OK);
}

#[tokio::test]
async fn with_the_limit_off_nothing_is_counted_or_announced() {
    let app = App::with(parkbench_ofr::Config {
        rate_limit: None,
        ..Default::default()
    });
    let token = app.token(TEST_CLIENT).await;
    for _ in 0..40 {
        let reply = app
            .post("/summary-report/revenue", Some(&token), &summary())
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.headers.get("x-ratelimit-limit").is_none());
    }
}

//! `GET /api/car_driver/parking_session_transactions?page=N`.

use rstest::rstest;
use serde_json::Value;

use crate::support::*;

fn ids(body: &Value) -> Vec<i64> {
    body["parking_session_transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_history_is_paginated_newest_first() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let first = app.transactions(&token, None).await;
    assert_eq!(first["current_page"], 1);
    assert_eq!(first["total_entries"], 12);
    assert_eq!(first["total_pages"], 2);
    assert_eq!(ids(&first), (42..=51).rev().collect::<Vec<_>>());
    let second = app.transactions(&token, Some(2)).await;
    assert_eq!(second["current_page"], 2);
    assert_eq!(ids(&second), [41, 40]);
    let beyond = app.transactions(&token, Some(9)).await;
    assert_eq!(beyond["current_page"], 9);
    assert_eq!(ids(&beyond), Vec::<i64>::new());
    assert_eq!(beyond["total_entries"], 12);
}

#[tokio::test]
async fn entries_keep_the_vendors_curency_spelling_and_price_by_the_tariff() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let body = app.transactions(&token, Some(1)).await;
    let raw = serde_json::to_string(&body).unwrap();
    assert!(
        raw.contains("\"curency\":\"RON\"") && !raw.contains("\"currency\""),
        "{raw}"
    );
    let entry = app.transaction(&token, 43).await;
    // 240 minutes at Secured P 188, 0.10 RON per minute.
    assert_eq!(entry["amount"], "24.00");
    assert_eq!(entry["duration_minutes"], 240);
    assert_eq!(entry["payment_status"], "error");
    assert_eq!(entry["parking"]["id"], 188);
    assert_eq!(entry["parking"]["price_unit"], "minute");
    assert_eq!(entry["parking"]["default_price"], "0.10");
    let start = at(-(12 - 3) * 1440 - 600);
    assert_eq!(
        entry["start_time"],
        start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let entry = app.transaction(&token, 42).await;
    // 125 minutes at Secured P 187: three started hours at 5.00.
    assert_eq!(entry["amount"], "15.00");
    assert_eq!(entry["parking"]["price_unit"], "hour");
    assert_eq!(entry["parking"]["default_price"], "5.00");
}

#[tokio::test]
async fn each_driver_sees_only_their_own_transactions() {
    let app = TestApp::new();
    let token = app.token(OTHER).await;
    let body = app.transactions(&token, None).await;
    assert_eq!(ids(&body), [60]);
    assert_eq!(body["total_pages"], 1);
}

#[tokio::test]
async fn the_page_size_is_configurable() {
    let app = TestApp::with_config(parkbench_parkingplus::Config {
        transactions_per_page: 5,
        ..Default::default()
    });
    let token = app.token(DRIVER).await;
    let body = app.transactions(&token, Some(3)).await;
    assert_eq!(body["total_pages"], 3);
    assert_eq!(ids(&body), [41, 40]);
}

#[rstest]
#[case("0")]
#[case("-1")]
#[case("abc")]
#[case("1.5")]
#[case("99999999999")]
#[tokio::test]
async fn an_unreadable_page_is_a_400(#[case] page: &str) {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    app.get(
        &format!("/api/car_driver/parking_session_transactions?page={page}"),
        Some(&token),
    )
    .await
    .expect_error(400, "bad_request");
}

//! `POST /summary-report/revenue` (api-notes §1): totals per payment type equal the sums of the
//! same operator's transactions over the same range.

use std::collections::BTreeMap;

use http::StatusCode;
use rstest::rstest;
use serde_json::{Value, json};

use crate::support::*;

fn request(operator: u64, start: &str, end: &str) -> Value {
    let body = json!({"operatorId": operator, "startDate": start, "endDate": end});
    SCHEMAS.assert_valid("revenue_summary_request", &body);
    body
}

/// Cents per payment type, summed from a CSV report.
fn sums_from_csv(records: &[Vec<String>]) -> BTreeMap<String, i64> {
    let mut sums = BTreeMap::new();
    for row in &records[1..] {
        let (units, cents) = row[6].split_once('.').unwrap();
        let amount: i64 = units.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap();
        *sums.entry(row[8].clone()).or_default() += amount;
    }
    sums
}

fn sums_from_summary(body: &Value) -> BTreeMap<String, i64> {
    body["revenue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let amount = r["totalAmount"]["amount"].as_f64().unwrap();
            (
                r["paymentType"].as_str().unwrap().to_owned(),
                (amount * 100.0).round() as i64,
            )
        })
        .collect()
}

#[rstest]
#[case(SEED_OPERATOR, TEST_CLIENT, 7, 0)]
#[case(BUSY_OPERATOR, TEST_CLIENT, 2, 1)]
#[case(OTHER_OPERATOR, OTHER_CLIENT, 10, 3)]
#[tokio::test]
async fn totals_equal_the_sums_of_the_report_rows(
    #[case] operator: u64,
    #[case] client: (&str, &str),
    #[case] from: i64,
    #[case] to: i64,
) {
    let app = App::new();
    let token = app.token(client).await;
    let reply = app
        .post(
            "/summary-report/revenue",
            Some(&token),
            &request(operator, &day(from), &day(to)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let summary = reply.json();
    assert_eq!(summary["operatorId"], operator);
    assert_eq!(summary["startDate"], format!("{}T00:00:00", day(from)));
    assert_eq!(summary["endDate"], format!("{}T23:59:59", day(to)));
    assert_eq!(summary["transmissionDateTime"], "2026-03-15T12:00:00");
    assert_eq!(
        summary["_links"]["self"]["href"],
        format!("{BASE}/summary-report/revenue")
    );
    for entry in summary["revenue"].as_array().unwrap() {
        assert_eq!(entry["totalAmount"]["currency"], "USD");
    }
    let report = app
        .report(
            &token,
            &report_request(operator, "CSV", &day(from), &day(to), &[]),
        )
        .await;
    let from_rows = sums_from_csv(&report.csv());
    assert!(!from_rows.is_empty());
    assert_eq!(sums_from_summary(&summary), from_rows);
}

#[tokio::test]
async fn an_operator_without_transactions_has_no_revenue() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    let reply = app
        .post(
            "/summary-report/revenue",
            Some(&token),
            &request(EMPTY_OPERATOR, &day(30), &day(0)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["revenue"], json!([]));
}

#[rstest]
#[case(json!({"startDate": "2026-03-13", "endDate": "2026-03-14"}), StatusCode::BAD_REQUEST, "operatorId is required")]
#[case(json!({"operatorId": 60879, "startDate": "2026-03-13"}), StatusCode::BAD_REQUEST, "endDate is required")]
#[case(json!({"operatorId": 60879, "startDate": "13.03.2026", "endDate": "2026-03-14"}), StatusCode::BAD_REQUEST, "yyyy-MM-dd")]
#[case(json!({"operatorId": 60879, "startDate": "2026-03-14", "endDate": "2026-03-13"}), StatusCode::BAD_REQUEST, "before startDate")]
#[case(json!({"operatorId": 60879, "startDate": "2026-03-14", "endDate": "2026-03-16"}), StatusCode::BAD_REQUEST, "in the future")]
#[case(json!({"operatorId": 60879, "startDate": "2025-01-01", "endDate": "2026-03-14"}), StatusCode::BAD_REQUEST, "history window")]
#[case(json!({"operatorId": 80001, "startDate": "2026-03-13", "endDate": "2026-03-14"}), StatusCode::FORBIDDEN, "not entitled to operator 80001")]
#[tokio::test]
async fn bad_summary_requests(
    #[case] body: Value,
    #[case] status: StatusCode,
    #[case] needle: &str,
) {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    app.post("/summary-report/revenue", Some(&token), &body)
        .await
        .assert_problem(status, needle);
}

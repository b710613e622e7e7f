//! The whole flow a client implements (seed 000, "API Usage Workflow"): auth → generate → poll
//! (200 while generating) → 303 → download, and the failure path (200 + problem+json).

use http::StatusCode;
use parkbench_ofr::Column;
use serde_json::json;

use crate::support::*;

/// A service whose reports take `delay_secs` to generate, a token, and the status URL of one
/// CSV report of the seed operator's last two days, accepted and pending.
async fn pending_report(config: parkbench_ofr::Config) -> (App, String, String) {
    let app = App::with(config);
    let token = app.token(TEST_CLIENT).await;
    let url = app
        .accepted(
            &token,
            &report_request(SEED_OPERATOR, "CSV", &day(2), &day(1), &[]),
        )
        .await;
    (app, token, url)
}

fn delayed(report_delay_secs: u64) -> parkbench_ofr::Config {
    parkbench_ofr::Config {
        report_delay_secs,
        ..Default::default()
    }
}

fn defaults() -> Vec<String> {
    Column::DEFAULT
        .iter()
        .map(|c| c.name().to_owned())
        .collect()
}

#[tokio::test]
async fn csv_lifecycle_from_auth_to_download() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    let fields = [
        "LPN",
        "EMAIL",
        "CREDIT_CARD_TYPE",
        "MASKED_CARD_NUMBER",
        "PARKING_AMOUNT",
    ];
    let request = report_request(SEED_OPERATOR, "CSV", &day(7), &day(0), &fields);
    let accepted = app.generate(&token, &request).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED);
    let body = accepted.json();
    let id = body["reportIdentifier"].as_str().unwrap();
    let status_url = format!("{BASE}/report/generate/{id}");
    assert_eq!(accepted.header("location"), status_url);
    assert_eq!(body["_links"]["self"]["href"], status_url);
    assert_eq!(body["_links"]["status"]["href"], status_url);

    let generating = app.get(&status_url, Some(&token)).await;
    assert_eq!(generating.status, StatusCode::OK);
    assert_eq!(generating.header("retry-after"), "3");
    assert_eq!(
        generating.json(),
        json!({
            "message": "Your report is being generated. Check for the report status after 3 seconds.",
            "retryAfter": 3,
            "_links": {"self": {"href": status_url}},
        })
    );
    let download_url = format!("{BASE}/report/download/{id}");
    let early = app.get(&download_url, Some(&token)).await;
    early.assert_problem(StatusCode::NOT_FOUND, "still being generated");

    app.advance(2);
    assert_eq!(
        app.get(&status_url, Some(&token)).await.status,
        StatusCode::OK,
        "2 s of 3: still generating"
    );
    app.advance(1);
    let done = app.get(&status_url, Some(&token)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.header("location"), download_url);

    let file = app.get(&download_url, Some(&token)).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.content_type(), "text/csv; charset=utf-8");
    assert_eq!(
        file.header("content-disposition"),
        format!(
            "attachment; filename=\"ofr-report-60879-{}-{}.csv\"",
            day(7),
            day(0)
        )
    );
    let records = file.csv();
    let mut expected_header = defaults();
    expected_header.extend(fields.map(str::to_owned));
    assert_eq!(
        records[0], expected_header,
        "defaults, then the additional fields in request order"
    );
    let rows = &records[1..];
    assert_eq!(
        rows.len(),
        10,
        "5 transactions on each of the last two days"
    );
    let again = app.get(&download_url, Some(&token)).await;
    assert_eq!(
        again.body, file.body,
        "a report downloads the same every time"
    );
}

#[tokio::test]
async fn json_lifecycle_carries_the_same_rows_as_csv() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    let fields = [
        "IS_EXTENSION",
        "DURATION_IN_MINUTES",
        "VAT_PERCENTAGE",
        "START_PARKING_ON_LOCAL",
    ];
    let json_file = app
        .report(
            &token,
            &report_request(SEED_OPERATOR, "JSON", &day(3), &day(1), &fields),
        )
        .await;
    assert_eq!(json_file.content_type(), "application/json");
    assert!(json_file.header("content-disposition").ends_with(".json\""));
    let report = json_file.json();
    let mut columns = defaults();
    columns.extend(fields.map(str::to_owned));
    assert_eq!(report["columns"], json!(columns));
    assert_eq!(report["recordCount"], 10);
    assert_eq!(report["operatorId"], SEED_OPERATOR);
    assert_eq!(
        (report["startDate"].as_str(), report["endDate"].as_str()),
        (Some(&*day(3)), Some(&*day(1)))
    );
    let rows = report["transactions"].as_array().unwrap();
    assert_eq!(rows.len(), 10);
    for row in rows {
        let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), columns.len());
    }

    let csv_file = app
        .report(
            &token,
            &report_request(SEED_OPERATOR, "CSV", &day(3), &day(1), &fields),
        )
        .await;
    let records = csv_file.csv();
    assert_eq!(records.len(), 11);
    for (row, record) in rows.iter().zip(&records[1..]) {
        assert_eq!(row["TRANSACTION_ID"].as_str().unwrap(), record[0]);
        assert_eq!(
            row["PAYMENT_AMOUNT"].as_f64().unwrap(),
            record[6].parse::<f64>().unwrap()
        );
        assert_eq!(
            row["IS_EXTENSION"].as_bool().unwrap().to_string(),
            record[9]
        );
    }
}

#[tokio::test]
async fn the_seed_operator_has_five_transactions_on_each_of_the_last_two_days_only() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    let earliest = (today() - chrono::Months::new(3)).to_string();
    let file = app
        .report(
            &token,
            &report_request(SEED_OPERATOR, "CSV", &earliest, &day(0), &[]),
        )
        .await;
    let records = file.csv();
    let mut per_day = std::collections::BTreeMap::<String, usize>::new();
    for row in &records[1..] {
        *per_day.entry(row[5][..10].to_owned()).or_default() += 1;
    }
    assert_eq!(per_day, [(day(2), 5), (day(1), 5)].into_iter().collect());

    // The window moves with the clock.
    app.advance(86_400);
    let token = app.token(TEST_CLIENT).await;
    let file = app
        .report(
            &token,
            &report_request(SEED_OPERATOR, "CSV", &day(3), &day(-1), &[]),
        )
        .await;
    let days: std::collections::BTreeSet<String> = file.csv()[1..]
        .iter()
        .map(|r| r[5][..10].to_owned())
        .collect();
    assert_eq!(days, [day(1), day(0)].into_iter().collect());
}

#[tokio::test]
async fn an_empty_report_is_a_success() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    let csv = app
        .report(
            &token,
            &report_request(EMPTY_OPERATOR, "CSV", &day(30), &day(0), &["LPN"]),
        )
        .await;
    let records = csv.csv();
    assert_eq!(records.len(), 1, "header only");
    assert_eq!(records[0].last().unwrap(), "LPN");
    let json = app
        .report(
            &token,
            &report_request(EMPTY_OPERATOR, "JSON", &day(30), &day(0), &[]),
        )
        .await;
    assert_eq!(json.json()["transactions"], json!([]));
    assert_eq!(json.json()["recordCount"], 0);
}

/// Polls a report until generation is over and returns the failure body.
async fn failed(app: &App, token: &str, status_url: &str) -> serde_json::Value {
    let generating = app.get(status_url, Some(token)).await;
    assert_eq!(generating.status, StatusCode::OK);
    assert_eq!(
        generating.content_type(),
        "application/hal+json",
        "a failing report generates first"
    );
    app.advance(3);
    let failed = app.get(status_url, Some(token)).await;
    assert_eq!(
        failed.status,
        StatusCode::OK,
        "failures answer 200 (seed 000)"
    );
    assert_eq!(failed.content_type(), "application/problem+json");
    let body = failed.json();
    assert_eq!(body["status"], 400);
    assert_eq!(body["instance"], status_url.strip_prefix(BASE).unwrap());
    let download = app
        .get(&status_url.replace("/generate/", "/download/"), Some(token))
        .await;
    download.assert_problem(StatusCode::NOT_FOUND, "failed");
    body
}

#[tokio::test]
async fn the_reserved_operator_always_fails() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    let url = app
        .accepted(
            &token,
            &report_request(FAILING_OPERATOR, "JSON", &day(1), &day(1), &[]),
        )
        .await;
    let body = failed(&app, &token, &url).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("reserved for failure testing"),
        "{body}"
    );
}

#[tokio::test]
async fn more_than_100000_records_fail_and_100000_do_not() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    // 4,000 a day: 26 complete days are 104,000 records.
    let url = app
        .accepted(
            &token,
            &report_request(BUSY_OPERATOR, "CSV", &day(26), &day(0), &[]),
        )
        .await;
    let body = failed(&app, &token, &url).await;
    assert!(
        body["detail"].as_str().unwrap().contains("104000 records"),
        "{body}"
    );
    // 25 days are exactly the maximum: accepted and completed (not downloaded here: the
    // benchmark streams it).
    let url = app
        .accepted(
            &token,
            &report_request(BUSY_OPERATOR, "CSV", &day(25), &day(1), &[]),
        )
        .await;
    app.advance(3);
    assert_eq!(
        app.get(&url, Some(&token)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_report_failure_fault_fails_the_next_report() {
    let app = App::new();
    app.service.faults().push(
        serde_json::from_value::<parkbench_kit::faults::FaultSpec>(json!({
            "action": "flag", "flag": "report_failure", "method": "POST", "path": "/report/generate"
        }))
        .unwrap()
        .into_fault()
        .unwrap(),
    );
    let token = app.token(TEST_CLIENT).await;
    let request = report_request(SEED_OPERATOR, "CSV", &day(2), &day(1), &[]);
    let url = app.accepted(&token, &request).await;
    let body = failed(&app, &token, &url).await;
    assert!(body["detail"].as_str().unwrap().contains("fault"), "{body}");
    // The fault was used up: the next report succeeds.
    let url = app.accepted(&token, &request).await;
    app.advance(3);
    assert_eq!(
        app.get(&url, Some(&token)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_report_failure_fault_on_the_status_url_fails_that_report_at_once() {
    let (app, token, url) = pending_report(parkbench_ofr::Config::default()).await;
    let spec = json!({"action": "flag", "flag": "report_failure", "method": "GET", "path": "/report/generate/*"});
    app.service.faults().push(
        serde_json::from_value::<parkbench_kit::faults::FaultSpec>(spec)
            .unwrap()
            .into_fault()
            .unwrap(),
    );
    let failed = app.get(&url, Some(&token)).await;
    assert_eq!(
        (failed.status, failed.content_type()),
        (StatusCode::OK, "application/problem+json")
    );
    app.advance(10);
    let still = app.get(&url, Some(&token)).await;
    assert_eq!(
        still.content_type(),
        "application/problem+json",
        "the report stays failed"
    );
}

#[tokio::test]
async fn a_zero_delay_completes_at_once_and_a_long_one_waits_on_the_clock() {
    let (app, token, url) = pending_report(delayed(0)).await;
    assert_eq!(
        app.get(&url, Some(&token)).await.status,
        StatusCode::SEE_OTHER
    );

    let (app, token, url) = pending_report(delayed(120)).await;
    let polling = app.get(&url, Some(&token)).await;
    assert_eq!(polling.header("retry-after"), "120");
    assert_eq!(polling.json()["retryAfter"], 120);
    app.advance(119);
    assert_eq!(app.get(&url, Some(&token)).await.status, StatusCode::OK);
    app.advance(1);
    assert_eq!(
        app.get(&url, Some(&token)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn moving_the_clock_through_the_control_api_completes_a_report_at_once() {
    let (app, token, url) = pending_report(delayed(600)).await;
    let request = http::Request::builder()
        .method("POST")
        .uri("/__admin/clock")
        .header("host", HOST)
        .body(axum::body::Body::from(r#"{"advance_seconds": 600}"#))
        .unwrap();
    let moved = tower::ServiceExt::oneshot(app.service.app(), request)
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::OK);
    assert_eq!(
        app.get(&url, Some(&token)).await.status,
        StatusCode::SEE_OTHER
    );
}

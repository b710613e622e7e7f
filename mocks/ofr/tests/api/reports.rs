//! `POST /report/generate` validation, entitlement, report isolation, identifiers and
//! determinism.

use http::StatusCode;
use parkbench_kit::ServiceOptions;
use rstest::rstest;
use serde_json::{Value, json};

use crate::support::*;

fn valid() -> Value {
    report_request(SEED_OPERATOR, "CSV", &day(2), &day(1), &[])
}

fn with(member: &str, value: Value) -> Value {
    let mut body = valid();
    body[member] = value;
    body
}

fn without(member: &str) -> Value {
    let mut body = valid();
    body.as_object_mut().unwrap().remove(member);
    body
}

#[rstest]
#[case::operator_missing(without("operatorId"), "operatorId is required", true)]
#[case::operator_string(with("operatorId", json!("60879")), "operatorId must be a non-negative integer", true)]
#[case::operator_negative(with("operatorId", json!(-1)), "operatorId must be a non-negative integer", true)]
#[case::operator_fraction(with("operatorId", json!(60879.5)), "operatorId must be a non-negative integer", true)]
#[case::format_missing(without("reportFormat"), "reportFormat is required", true)]
#[case::format_unknown(with("reportFormat", json!("XML")), "reportFormat must be JSON or CSV", true)]
#[case::format_lowercase(with("reportFormat", json!("csv")), "reportFormat must be JSON or CSV", true)]
#[case::format_number(with("reportFormat", json!(1)), "reportFormat must be a string", true)]
#[case::start_missing(without("startDate"), "startDate is required", true)]
#[case::end_null(with("endDate", Value::Null), "endDate is required", true)]
#[case::start_not_a_date(with("startDate", json!("yesterday")), "startDate must be a date in yyyy-MM-dd format", true)]
#[case::start_other_format(with("startDate", json!("03/13/2026")), "yyyy-MM-dd", true)]
#[case::start_datetime(with("startDate", json!("2026-03-13T00:00:00Z")), "yyyy-MM-dd", true)]
#[case::end_impossible(with("endDate", json!("2026-02-30")), "endDate must be a date in yyyy-MM-dd format", true)]
#[case::end_before_start(with("endDate", json!(day(3))), "is before startDate", false)]
#[case::end_in_future(with("endDate", json!(day(-1))), "in the future", false)]
#[case::start_in_future(report_request(SEED_OPERATOR, "CSV", &day(-2), &day(-1), &[]), "startDate 2026-03-17 is in the future", false)]
#[case::too_old(with("startDate", json!("2025-12-14")), "older than the 3-month history window: the earliest startDate is 2025-12-15", false)]
#[case::unknown_field(with("additionalFields", json!(["LPN", "SHOE_SIZE"])), "unknown field \"SHOE_SIZE\"", true)]
#[case::lowercase_field(with("additionalFields", json!(["lpn"])), "unknown field \"lpn\"", true)]
#[case::default_column_as_field(with("additionalFields", json!(["TRANSACTION_ID"])), "unknown field", true)]
#[case::duplicate_field(with("additionalFields", json!(["LPN", "LPN"])), "requested twice", true)]
#[case::fields_not_array(with("additionalFields", json!("LPN")), "additionalFields must be an array", true)]
#[case::field_not_string(with("additionalFields", json!([1])), "must hold field names", true)]
#[case::not_an_object(json!([1, 2]), "must be a JSON object", true)]
#[tokio::test]
async fn bad_generate_requests_are_400(
    #[case] body: Value,
    #[case] needle: &str,
    #[case] schema_refuses: bool,
) {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    // Shape errors are refused by the request schema too; date rules need the clock.
    let verdict = SCHEMAS.validate("report_generate_request", &body);
    assert_eq!(verdict.is_err(), schema_refuses, "{body}: {verdict:?}");
    let problem = app
        .post("/report/generate", Some(&token), &body)
        .await
        .assert_problem(StatusCode::BAD_REQUEST, needle);
    assert_eq!(problem["title"], "Bad Request");
}

#[rstest]
#[case("")]
#[case("{\"operatorId\": ")]
#[case("operatorId=60879")]
#[tokio::test]
async fn unparseable_bodies_are_400(#[case] body: &'static str) {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    app.post_raw("/report/generate", Some(&token), body)
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "not valid JSON");
}

#[tokio::test]
async fn the_history_window_is_configurable() {
    let app = App::with(parkbench_ofr::Config {
        history_months: 14,
        ..Default::default()
    });
    let token = app.token(TEST_CLIENT).await;
    let reply = app
        .generate(&token, &with("startDate", json!("2025-01-15")))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    app.generate(&token, &with("startDate", json!("2025-01-14")))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "14-month history window");
}

#[tokio::test]
async fn unknown_members_are_ignored_and_every_additional_field_is_accepted() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    let mut body = valid();
    body["comment"] = json!("ignored");
    let reply = app.post("/report/generate", Some(&token), &body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let all: Vec<&str> = parkbench_ofr::Column::ADDITIONAL
        .iter()
        .map(|c| c.name())
        .collect();
    let file = app
        .report(
            &token,
            &report_request(SEED_OPERATOR, "JSON", &day(2), &day(1), &all),
        )
        .await;
    let report = file.json();
    assert_eq!(report["columns"].as_array().unwrap().len(), 9 + 27);
    let rows = report["transactions"].as_array().unwrap();
    assert_eq!(rows.len(), 10);
    for row in rows {
        let card = row["PAYMENT_TYPE"] == "CARD";
        assert_eq!(row["MASKED_CARD_NUMBER"].is_string(), card, "{row}");
        let parking = row["PARKING_AMOUNT"].as_f64().unwrap();
        let fee = row["TRANSACTION_FEE"].as_f64().unwrap();
        assert!(
            (row["PAYMENT_AMOUNT"].as_f64().unwrap() - parking - fee).abs() < 0.001,
            "{row}"
        );
    }
}

#[tokio::test]
async fn an_operator_the_client_is_not_entitled_to_is_403() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    for operator in [OTHER_OPERATOR, 12345] {
        app.generate(
            &token,
            &report_request(operator, "CSV", &day(2), &day(1), &[]),
        )
        .await
        .assert_problem(
            StatusCode::FORBIDDEN,
            &format!("not entitled to operator {operator}"),
        );
    }
    let other = app.token(OTHER_CLIENT).await;
    app.generate(&other, &valid()).await.assert_problem(
        StatusCode::FORBIDDEN,
        "ofr-other-client is not entitled to operator 60879",
    );
    let reply = app
        .generate(
            &other,
            &report_request(OTHER_OPERATOR, "CSV", &day(2), &day(1), &[]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn unknown_and_foreign_reports_are_404() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    let other = app.token(OTHER_CLIENT).await;
    let url = app.accepted(&token, &valid()).await;
    app.advance(3);
    let id = url.rsplit('/').next().unwrap();
    for path in [
        format!("/report/generate/{id}"),
        format!("/report/download/{id}"),
    ] {
        app.get(&path, Some(&other)).await.assert_problem(
            StatusCode::NOT_FOUND,
            &format!("No report with identifier {id}"),
        );
    }
    for bogus in [
        "00000000-0000-4000-8000-000000000000",
        "not-a-uuid",
        &id.to_uppercase(),
        &id.replace('-', ""),
    ] {
        app.get(&format!("/report/generate/{bogus}"), Some(&token))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "No report with identifier");
    }
    assert_eq!(
        app.get(&url, Some(&token)).await.status,
        StatusCode::SEE_OTHER,
        "the owner still sees it"
    );
}

#[tokio::test]
async fn reset_forgets_reports_and_repeats_identifiers() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    let first = app.accepted(&token, &valid()).await;
    let second = app.accepted(&token, &valid()).await;
    assert_ne!(first, second);
    app.service.reset();
    app.get(&first, Some(&token))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "No report");
    assert_eq!(
        app.accepted(&token, &valid()).await,
        first,
        "identifiers come from the seed"
    );
}

async fn download_all_fields(seed: u64) -> axum::body::Bytes {
    let app = App::with_options(
        parkbench_ofr::Config::default(),
        ServiceOptions {
            seed,
            ..Default::default()
        },
    );
    let token = app.token(TEST_CLIENT).await;
    let fields: Vec<&str> = parkbench_ofr::Column::ADDITIONAL
        .iter()
        .map(|c| c.name())
        .collect();
    app.report(
        &token,
        &report_request(BUSY_OPERATOR, "CSV", &day(2), &day(1), &fields),
    )
    .await
    .body
}

#[tokio::test]
async fn the_same_seed_gives_the_same_bytes_and_another_seed_other_data() {
    let a = download_all_fields(7).await;
    let b = download_all_fields(7).await;
    let c = download_all_fields(8).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    let rows = csv::Reader::from_reader(&a[..]).records().count();
    assert_eq!(rows, 8000, "two days of the busy operator");
}

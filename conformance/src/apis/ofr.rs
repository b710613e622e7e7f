//! OFR, EasyPark Operator Financial Reporting (seed 000, api-notes section 1): auth →
//! generate → poll (honouring `retryAfter`) → 303 → download, with the rows checked against
//! the request (the default columns plus the requested ones in order, dates inside the range)
//! and the revenue summary against the report's amounts; a failed report is recognised from a
//! 200 carrying `application/problem+json` and reported as a failure outcome; every documented
//! way a request can be wrong gets its 400, 401 or 403 problem. On a mock with its control API:
//! token expiry on the clock, the rate limit's 429 and its headers, injected failures.
//!
//! The budget matters here: the test environment allows 30 requests per 10 minutes, so against
//! a real target every check sends a handful of fixed requests and one token serves them all.

use super::scenario;
use std::collections::BTreeMap;

use chrono::{DateTime, Months, NaiveDate, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use serde_json::{Value, json};

use crate::checks::{CSV, HAL, JSON, PROBLEM, ResponseSpec};
use crate::client::{Exchange, Request};
use crate::creds::Credentials;
use crate::props::property;
use crate::run::{ApiRun, Stop, retry_after_secs};
use crate::{ApiName, Needs, PlanCtx, Scenario};

pub const AUTH: &str = "auth";
pub const GENERATE: &str = "report/generate";
pub const STATUS: &str = "report/status";
pub const DOWNLOAD: &str = "report/download";
pub const REVENUE: &str = "summary-report/revenue";

/// The mock's fixture operator whose reports always fail (the README's OFR section).
pub const FIXTURE_FAILING_OPERATOR: Option<i64> = Some(70500);
/// The mock's fixture operator with no transactions.
pub const FIXTURE_EMPTY_OPERATOR: Option<i64> = Some(70204);

/// Seed 000 and api-notes section 1.
pub const SPECS: &[ResponseSpec] = &[
    ResponseSpec::new(AUTH, &[200], &[JSON, HAL])
        .schema("auth_response")
        .hal(),
    ResponseSpec::new(AUTH, &[400, 401, 429], &[PROBLEM]).schema("problem"),
    ResponseSpec::new(GENERATE, &[202], &[HAL, JSON])
        .schema("report_generate_response")
        .hal(),
    ResponseSpec::new(GENERATE, &[400, 401, 403, 429], &[PROBLEM]).schema("problem"),
    ResponseSpec::new(STATUS, &[200], &[HAL, JSON])
        .schema("report_status_response")
        .hal(),
    ResponseSpec::new(STATUS, &[200], &[PROBLEM])
        .schema("report_failed")
        .problem_status(400),
    ResponseSpec::new(STATUS, &[303], &[]),
    ResponseSpec::new(STATUS, &[401, 404, 429], &[PROBLEM]).schema("problem"),
    ResponseSpec::new(DOWNLOAD, &[200], &[CSV]),
    ResponseSpec::new(DOWNLOAD, &[200], &[JSON]).schema("report_json"),
    ResponseSpec::new(DOWNLOAD, &[401, 404, 429], &[PROBLEM]).schema("problem"),
    ResponseSpec::new(REVENUE, &[200], &[JSON, HAL])
        .schema("revenue_summary_response")
        .hal(),
    ResponseSpec::new(REVENUE, &[400, 401, 403, 429], &[PROBLEM]).schema("problem"),
];

/// The additional columns api-notes section 1 lists.
pub const ADDITIONAL: &[&str] = &[
    "ORDER_ID",
    "SUPPLIER_NAME",
    "CLIENT_ID",
    "CUSTOMER_PHONE",
    "EMAIL",
    "LPN",
    "LPN_STATE",
    "CLEARING_PERIOD",
    "START_PARKING_ON_LOCAL",
    "STOP_PARKING_ON_LOCAL",
    "DURATION_IN_MINUTES",
    "PAYMENT_ID",
    "PAYMENT_REFERENCE",
    "PAYMENT_AMOUNT_VAT_AMOUNT",
    "PARKING_AMOUNT",
    "PARKING_AMOUNT_INITIAL",
    "PARKING_AMOUNT_VAT_AMOUNT",
    "TRANSACTION_FEE",
    "TRANSACTION_FEE_INITIAL",
    "TRANSACTION_FEE_VAT_AMOUNT",
    "IS_EXTENSION",
    "VAT_PERCENTAGE",
    "CURRENCY",
    "PAID_MINUTES",
    "INSERT_DATE",
    "CREDIT_CARD_TYPE",
    "MASKED_CARD_NUMBER",
];

/// Polls before a report that keeps "being generated" is declared stuck.
pub const MAX_POLLS_MOCK: u32 = 20;
pub const MAX_POLLS_REAL: u32 = 10;

fn creds(run: &ApiRun) -> &crate::creds::Ofr {
    match &run.creds {
        Credentials::Ofr(c) => c,
        _ => unreachable!("OFR checks run with OFR credentials"),
    }
}

/// Sends and remembers the target's date (from `Date`), so date ranges follow its clock.
async fn send(run: &ApiRun, request: Request) -> Result<Exchange, Stop> {
    let exchange = run.send(request).await?;
    if let Some(date) = exchange
        .header("date")
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
    {
        run.session_set(
            "date",
            json!(date.with_timezone(&Utc).date_naive().to_string()),
        );
    }
    Ok(exchange)
}

/// The target's today (UTC), as its last `Date` header said.
fn today(run: &ApiRun) -> NaiveDate {
    run.session_get("date")
        .and_then(|d| d.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| Utc::now().date_naive())
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

async fn authenticate(run: &ApiRun, client_id: &str, secret: &str) -> Result<Exchange, Stop> {
    send(
        run,
        Request::post(AUTH, run.url("/auth/v1"))
            .json(json!({"clientId": client_id, "clientSecret": secret})),
    )
    .await
}

/// A token for `client` (None: the run's own client), re-issued shortly before it expires on
/// the budget's timeline; every token is registered as a secret.
async fn token_for(run: &ApiRun, client: Option<(&str, &str)>) -> Result<String, Stop> {
    let c = creds(run);
    let (id, secret) = client.unwrap_or((&c.client_id, &c.client_secret));
    let key = format!("token:{id}");
    if let Some(token) = run.cached_token(&key) {
        return Ok(token);
    }
    let exchange = authenticate(run, id, secret).await?;
    let body = exchange.json().unwrap_or(Value::Null);
    let Some(token) = body["idToken"].as_str().filter(|_| exchange.status == 200) else {
        run.fail(
            AUTH,
            "flow",
            "200 with an idToken for the configured client",
            "",
            Some(&exchange),
        );
        return Err(Stop::Broken("OFR authentication failed".into()));
    };
    run.secret(token);
    let issued = exchange
        .header("date")
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
        .map(|d| d.with_timezone(&Utc));
    let until = body["validUntilDate"]
        .as_str()
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|v| v.with_timezone(&Utc));
    let lifetime = match (issued, until) {
        (Some(issued), Some(until)) => (until - issued).num_seconds() as f64,
        _ => 600.0,
    };
    // Re-issued early enough that a pacing wait between taking the token and sending the
    // request (up to a whole window) cannot outlast it.
    let margin = run.budget.quota().map_or(0.0, |q| f64::from(q.window_secs)) + 120.0;
    let usable = (lifetime - margin).max(lifetime / 2.0);
    run.cache_token(&key, token, usable);
    Ok(token.to_owned())
}

async fn id_token(run: &ApiRun) -> Result<String, Stop> {
    token_for(run, None).await
}

fn authed(request: Request, token: &str) -> Request {
    request.header("X-Authorization", format!("Bearer {token}"))
}

/// One report request.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportRequest {
    pub operator: i64,
    pub csv: bool,
    /// Days back from today: the range is `today - from ..= today - to`.
    pub from: i64,
    pub to: i64,
    pub additional: Vec<&'static str>,
}

impl ReportRequest {
    fn body(&self, today: NaiveDate) -> Value {
        let mut body = json!({
            "operatorId": self.operator,
            "reportFormat": if self.csv { "CSV" } else { "JSON" },
            "startDate": day(today - TimeDelta::days(self.from)),
            "endDate": day(today - TimeDelta::days(self.to)),
        });
        if !self.additional.is_empty() {
            body["additionalFields"] = json!(self.additional);
        }
        body
    }
}

/// How a report ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Downloaded.
    Report {
        exchange: Exchange,
        identifier: String,
    },
    /// The status answered 200 with a problem body.
    Failed(Exchange),
}

/// Generates a report and follows it to its end: polls honouring `retryAfter` (the body) or
/// `Retry-After` (the header) until a 303, then downloads. Each poll counts.
async fn generate_and_follow(run: &ApiRun, request: &ReportRequest) -> Result<Outcome, Stop> {
    let token = id_token(run).await?;
    let body = request.body(today(run));
    let generated = send(
        run,
        authed(
            Request::post(GENERATE, run.url("/report/generate")).json(body),
            &token,
        ),
    )
    .await?;
    let json = generated.json().unwrap_or(Value::Null);
    let status_url = generated
        .header("location")
        .map(str::to_owned)
        .or_else(|| {
            json.pointer("/_links/status/href")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .or_else(|| {
            json.pointer("/_links/self/href")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    let ok = generated.status == 202 && status_url.is_some();
    if !run.check(
        GENERATE,
        "flow",
        ok,
        "202 with a status URL (Location or _links)",
        &generated,
    ) {
        return Err(Stop::Broken("generate failed".into()));
    }
    let identifier = json["reportIdentifier"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let status_url =
        crate::checks::resolve_href(&generated.request.url, &status_url.unwrap_or_default())
            .unwrap_or_default();
    let max_polls = if run.is_real() {
        MAX_POLLS_REAL
    } else {
        MAX_POLLS_MOCK
    };
    let mut last = None;
    for _ in 0..max_polls {
        let token = id_token(run).await?;
        let poll = send(
            run,
            authed(Request::get(STATUS, status_url.clone()), &token),
        )
        .await?;
        match (poll.status, poll.media_type().as_deref()) {
            (303, _) => {
                let Some(location) = poll
                    .header("location")
                    .and_then(|l| crate::checks::resolve_href(&status_url, l))
                else {
                    run.fail(STATUS, "flow", "a 303 with a Location", "", Some(&poll));
                    return Err(Stop::Broken("no Location".into()));
                };
                run.pass(STATUS, "flow");
                let download = send(run, authed(Request::get(DOWNLOAD, location), &token)).await?;
                return Ok(Outcome::Report {
                    exchange: download,
                    identifier,
                });
            }
            (200, Some(PROBLEM)) => return Ok(Outcome::Failed(poll)),
            (200, _) => {
                let body = poll.json().unwrap_or(Value::Null);
                let wait = body["retryAfter"]
                    .as_f64()
                    .or_else(|| retry_after_secs(&poll));
                run.check(
                    STATUS,
                    "retry-after",
                    wait.is_some(),
                    "a report being generated says when to poll again (retryAfter or Retry-After)",
                    &poll,
                );
                run.budget
                    .retry_after(wait.unwrap_or(crate::DEFAULT_POLL_SECS as f64))
                    .await?;
                last = Some(poll);
            }
            _ => {
                run.fail(
                    STATUS,
                    "flow",
                    "200 (generating or failed) or 303 (done)",
                    "",
                    Some(&poll),
                );
                return Err(Stop::Broken("unexpected status answer".into()));
            }
        }
    }
    let last = last.expect("at least one poll");
    run.fail(
        STATUS,
        "report-outcome",
        format!("the report completes (303) or fails (200 problem) within {max_polls} polls"),
        "still being generated",
        Some(&last),
    );
    Err(Stop::Broken("the report never completed".into()))
}

/// The rows of a downloaded report: header and records, from CSV or JSON.
/// A report's header and its rows, each row by column name.
type Rows = (Vec<String>, Vec<BTreeMap<String, String>>);

fn rows(exchange: &Exchange) -> Option<Rows> {
    if exchange.media_type().as_deref() == Some(CSV) {
        let mut reader = csv::Reader::from_reader(exchange.body.as_ref());
        let header: Vec<String> = reader.headers().ok()?.iter().map(str::to_owned).collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.ok()?;
            rows.push(
                header
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_owned))
                    .collect(),
            );
        }
        Some((header, rows))
    } else {
        let body = exchange.json()?;
        let header: Vec<String> = body["columns"]
            .as_array()?
            .iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        let rows = body["transactions"]
            .as_array()?
            .iter()
            .map(|row| {
                row.as_object()
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| {
                                (
                                    k.clone(),
                                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        Some((header, rows))
    }
}

/// Checks a downloaded report against its request; returns the amounts per payment type
/// when the report has them.
fn check_report(
    run: &ApiRun,
    request: &ReportRequest,
    exchange: &Exchange,
    start: NaiveDate,
    end: NaiveDate,
) -> Option<BTreeMap<String, f64>> {
    let expected_media = if request.csv { CSV } else { JSON };
    if !run.check(
        DOWNLOAD,
        "report",
        exchange.status == 200 && exchange.media_type().as_deref() == Some(expected_media),
        format!("200 {expected_media}"),
        exchange,
    ) {
        return None;
    }
    let Some((header, rows)) = rows(exchange) else {
        run.fail(DOWNLOAD, "report", "a readable report", "", Some(exchange));
        return None;
    };
    // The default columns are not published: learned from the first report of the run,
    // then every report must have the same defaults followed by the requested fields.
    let split = header.len().saturating_sub(request.additional.len());
    let (defaults, extra) = header.split_at(split);
    let learned = run.session_get("default-columns");
    let same_defaults = match &learned {
        Some(Value::Array(known)) => known
            .iter()
            .map(|c| c.as_str().unwrap_or_default())
            .eq(defaults.iter().map(String::as_str)),
        _ => {
            run.session_set("default-columns", json!(defaults));
            !defaults.is_empty()
        }
    };
    run.check_value(
        DOWNLOAD,
        "columns",
        same_defaults
            && extra
                .iter()
                .map(String::as_str)
                .eq(request.additional.iter().copied())
            && defaults
                .iter()
                .all(|d| !request.additional.contains(&d.as_str())),
        format!(
            "the default columns{} then {:?}",
            learned.map(|l| format!(" {l}")).unwrap_or_default(),
            request.additional
        ),
        || format!("{header:?}"),
    );
    let date_column = ["STOP_PARKING_ON_UTC", "START_PARKING_ON_UTC"]
        .into_iter()
        .find(|c| header.iter().any(|h| h == c));
    match date_column {
        Some(column) => {
            let outside: Vec<&String> = rows
                .iter()
                .filter_map(|r| r.get(column))
                .filter(|t| {
                    t.get(..10)
                        .and_then(|d| d.parse::<NaiveDate>().ok())
                        .is_none_or(|d| d < start || d > end)
                })
                .collect();
            run.check_value(
                DOWNLOAD,
                "dates",
                outside.is_empty(),
                format!("every {column} between {start} and {end}"),
                || format!("{} rows outside, e.g. {:?}", outside.len(), outside.first()),
            );
        }
        None => run.skip(DOWNLOAD, "dates", "the report has no parking time column"),
    }
    let has_amounts =
        header.iter().any(|h| h == "PAYMENT_AMOUNT") && header.iter().any(|h| h == "PAYMENT_TYPE");
    has_amounts.then(|| {
        let mut sums = BTreeMap::new();
        for row in &rows {
            let amount: f64 = row
                .get("PAYMENT_AMOUNT")
                .and_then(|a| a.parse().ok())
                .unwrap_or(0.0);
            *sums
                .entry(row.get("PAYMENT_TYPE").cloned().unwrap_or_default())
                .or_insert(0.0) += amount;
        }
        sums
    })
}

/// The revenue summary of the same operator and range equals the report's sums per type.
async fn check_revenue(
    run: &ApiRun,
    request: &ReportRequest,
    sums: &BTreeMap<String, f64>,
) -> Result<(), Stop> {
    let token = id_token(run).await?;
    let body = request.body(today(run));
    let summary_body = json!({"operatorId": body["operatorId"], "startDate": body["startDate"], "endDate": body["endDate"]});
    let exchange = send(
        run,
        authed(
            Request::post(REVENUE, run.url("/summary-report/revenue")).json(summary_body),
            &token,
        ),
    )
    .await?;
    if exchange.status != 200 {
        run.fail(
            REVENUE,
            "revenue",
            "200 with the revenue summary",
            "",
            Some(&exchange),
        );
        return Ok(());
    }
    let mut summary: BTreeMap<String, f64> = BTreeMap::new();
    for item in exchange
        .json()
        .and_then(|b| b["revenue"].as_array().cloned())
        .unwrap_or_default()
    {
        let kind = item["paymentType"].as_str().unwrap_or_default().to_owned();
        *summary.entry(kind).or_insert(0.0) += item
            .pointer("/totalAmount/amount")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
    }
    let agree = summary.len() == sums.len()
        && summary.iter().all(|(k, v)| {
            sums.get(k)
                .is_some_and(|s| (s - v).abs() < 0.005 * (1.0 + s.abs() / 1000.0))
        });
    run.check(
        REVENUE,
        "revenue",
        agree,
        format!("totals per payment type equal the report's sums {sums:?}"),
        &exchange,
    );
    Ok(())
}

fn range(request: &ReportRequest, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (
        today - TimeDelta::days(request.from),
        today - TimeDelta::days(request.to),
    )
}

/// The whole lifecycle, CSV and JSON, and the revenue summary over the same range.
async fn lifecycle(run: &ApiRun) -> Result<(), Stop> {
    let operator = creds(run).operator_id;
    let strategy = (
        any::<bool>(),
        0i64..3,
        subsequence(ADDITIONAL, 0..5).prop_shuffle(),
    )
        .prop_map(move |(csv, to, additional)| ReportRequest {
            operator,
            csv,
            from: to + 1,
            to: to.max(1),
            additional,
        });
    let fixed = vec![
        ReportRequest {
            operator,
            csv: true,
            from: 2,
            to: 1,
            additional: vec![],
        },
        ReportRequest {
            operator,
            csv: false,
            from: 2,
            to: 1,
            additional: vec!["LPN", "EMAIL", "CREDIT_CARD_TYPE"],
        },
    ];
    // Each generated lifecycle costs about five requests: a few are enough on a mock.
    let saved = run.cases;
    crate::props::property_cases(
        run,
        "report lifecycle",
        (saved / 8).max(1),
        strategy,
        fixed,
        |request| async move {
            let (start, end) = range(&request, today(run));
            match generate_and_follow(run, &request).await {
                Ok(Outcome::Report { exchange, .. }) => {
                    run.pass(STATUS, "report-outcome");
                    if let Some(sums) = check_report(run, &request, &exchange, start, end) {
                        check_revenue(run, &request, &sums).await?;
                    }
                }
                Ok(Outcome::Failed(exchange)) => {
                    run.fail(
                        STATUS,
                        "report-outcome",
                        "the report completes (303)",
                        "it failed: 200 with a problem body",
                        Some(&exchange),
                    );
                }
                Err(Stop::Broken(_)) => {}
                Err(stop) => return Err(stop),
            }
            Ok(())
        },
    )
}

/// A failed report (the reserved operator, or an injected `report_failure`) answers 200 with
/// `application/problem+json` and status 400: it must be recognised as a failure, and never
/// reach a download.
async fn failure(run: &ApiRun) -> Result<(), Stop> {
    let mut requests = Vec::new();
    if let Some(operator) = creds(run)
        .failing_operator_id
        .filter(|_| run.target.kind.is_mock())
    {
        requests.push((operator, false));
    }
    if run.has_control() {
        requests.push((creds(run).operator_id, true));
    }
    if requests.is_empty() {
        run.skip(
            STATUS,
            "failure-outcome",
            "needs the mock's failing operator or its control API",
        );
        return Ok(());
    }
    for (operator, injected) in requests {
        if injected && let Some(control) = &run.target.control {
            // Queued just before its own generate: a flag fault applies to the next match.
            control
                .fault(json!({"action": "flag", "flag": "report_failure", "method": "POST", "path": "/report/generate"}))
                .await
                .map_err(Stop::Broken)?;
        }
        let request = ReportRequest {
            operator,
            csv: false,
            from: 2,
            to: 1,
            additional: vec![],
        };
        match generate_and_follow(run, &request).await {
            Ok(Outcome::Failed(exchange)) => {
                let problem = exchange.json().unwrap_or(Value::Null);
                run.check(
                    STATUS,
                    "failure-outcome",
                    problem["status"] == 400,
                    "a failure outcome: 200 application/problem+json with status 400",
                    &exchange,
                );
            }
            Ok(Outcome::Report { exchange, .. }) => {
                run.fail(
                    STATUS,
                    "failure-outcome",
                    "a failure outcome (200 with a problem body)",
                    "the report completed and was downloaded",
                    Some(&exchange),
                );
            }
            Err(Stop::Broken(_)) => {}
            Err(stop) => return Err(stop),
        }
    }
    Ok(())
}

/// Every documented way a generate (or revenue) request can be wrong gets a 400 problem; an
/// operator the client is not entitled to gets 403.
#[derive(Clone, Debug)]
pub enum Defect {
    Missing(&'static str),
    OperatorAsString,
    BadDate(&'static str, String),
    EndBeforeStart(i64),
    TooOld(u32),
    Future(i64),
    UnknownFormat(String),
    UnknownField(String),
    NotEntitled,
}

impl Defect {
    /// The problem status the defect must get: 403 for an operator the client may not read,
    /// 400 for everything wrong with the request itself.
    fn status(&self) -> u16 {
        if matches!(self, Defect::NotEntitled) {
            403
        } else {
            400
        }
    }
}

fn defect() -> impl Strategy<Value = Defect> {
    prop_oneof![
        select(&["operatorId", "reportFormat", "startDate", "endDate"][..])
            .prop_map(Defect::Missing),
        Just(Defect::OperatorAsString),
        (
            select(&["startDate", "endDate"][..]),
            prop_oneof![
                select(
                    &[
                        "2026/01/02",
                        "02-01-2026",
                        "2026-1-2",
                        "2026-13-01",
                        "2026-02-30",
                        "20260102",
                        "2026-01-02T00:00:00"
                    ][..]
                )
                .prop_map(str::to_owned),
                "[a-z]{1,10}",
            ]
        )
            .prop_map(|(field, value)| Defect::BadDate(field, value)),
        (1i64..20).prop_map(Defect::EndBeforeStart),
        (4u32..30).prop_map(Defect::TooOld),
        (1i64..400).prop_map(Defect::Future),
        prop_oneof![
            "[A-Z]{2,5}".prop_filter("undocumented", |f| f != "CSV" && f != "JSON"),
            Just("csv".to_owned()),
            Just("Json".to_owned())
        ]
        .prop_map(Defect::UnknownFormat),
        "[A-Z_]{3,20}"
            .prop_filter("not a column", |f| !ADDITIONAL.contains(&f.as_str()))
            .prop_map(Defect::UnknownField),
        Just(Defect::NotEntitled),
    ]
}

fn defect_body(run: &ApiRun, defect: &Defect) -> Value {
    let today = today(run);
    let mut body = ReportRequest {
        operator: creds(run).operator_id,
        csv: true,
        from: 2,
        to: 1,
        additional: vec![],
    }
    .body(today);
    match defect {
        Defect::Missing(field) => {
            body.as_object_mut().map(|o| o.remove(*field));
        }
        Defect::OperatorAsString => body["operatorId"] = json!(body["operatorId"].to_string()),
        Defect::BadDate(field, value) => body[*field] = json!(value),
        Defect::EndBeforeStart(days) => {
            body["startDate"] = json!(day(today - TimeDelta::days(1)));
            body["endDate"] = json!(day(today - TimeDelta::days(1 + days)));
        }
        Defect::TooOld(months) => {
            let start = today
                .checked_sub_months(Months::new(*months))
                .unwrap_or(today)
                - TimeDelta::days(1);
            body["startDate"] = json!(day(start));
        }
        Defect::Future(days) => body["endDate"] = json!(day(today + TimeDelta::days(*days))),
        Defect::UnknownFormat(format) => body["reportFormat"] = json!(format),
        Defect::UnknownField(field) => body["additionalFields"] = json!([field]),
        Defect::NotEntitled => body["operatorId"] = json!(999_999_999),
    }
    body
}

async fn generate_negative(run: &ApiRun) -> Result<(), Stop> {
    let fixed = vec![
        Defect::Missing("operatorId"),
        Defect::OperatorAsString,
        Defect::BadDate("startDate", "2026/01/02".into()),
        Defect::EndBeforeStart(1),
        Defect::TooOld(4),
        Defect::Future(1),
        Defect::UnknownFormat("XML".into()),
        Defect::UnknownField("NO_SUCH_COLUMN".into()),
        Defect::NotEntitled,
    ];
    property(
        run,
        "report/generate rejects each defect",
        defect(),
        fixed,
        |defect| async move {
            let token = id_token(run).await?;
            let body = defect_body(run, &defect);
            let exchange = send(
                run,
                authed(
                    Request::post(GENERATE, run.url("/report/generate")).json(body),
                    &token,
                ),
            )
            .await?;
            let expected = defect.status();
            run.check(
                GENERATE,
                "error",
                exchange.status == expected && exchange.media_type().as_deref() == Some(PROBLEM),
                format!("{expected} application/problem+json"),
                &exchange,
            );
            Ok(())
        },
    )
}

/// The same rules on the revenue summary (no format, no fields): fixed cases.
async fn revenue_negative(run: &ApiRun) -> Result<(), Stop> {
    let cases = [
        Defect::Missing("startDate"),
        Defect::BadDate("endDate", "2026-1-2".into()),
        Defect::EndBeforeStart(2),
        Defect::NotEntitled,
    ];
    for defect in cases {
        let token = id_token(run).await?;
        let mut body = defect_body(run, &defect);
        if let Some(o) = body.as_object_mut() {
            o.remove("reportFormat");
            o.remove("additionalFields");
        }
        let exchange = send(
            run,
            authed(
                Request::post(REVENUE, run.url("/summary-report/revenue")).json(body),
                &token,
            ),
        )
        .await?;
        let expected = defect.status();
        run.check(
            REVENUE,
            "error",
            exchange.status == expected,
            format!("{expected} problem for {defect:?}"),
            &exchange,
        );
    }
    Ok(())
}

/// 401 for wrong credentials, no token, a malformed one, and a token in `Authorization`
/// (whose detail names `X-Authorization`); 404 for an unknown report.
async fn auth_negative(run: &ApiRun) -> Result<(), Stop> {
    let c = creds(run).clone();
    let wrong = authenticate(run, &c.client_id, &format!("{}-wrong", c.client_secret)).await?;
    run.check(
        AUTH,
        "error",
        wrong.status == 401,
        "401 for a wrong clientSecret",
        &wrong,
    );
    let status = |t: Option<(&'static str, String)>| {
        let mut r = Request::get(
            STATUS,
            run.url("/report/generate/00000000-0000-4000-8000-000000000000"),
        );
        if let Some((name, value)) = t {
            r = r.header(name, value);
        }
        r
    };
    let none = send(run, status(None)).await?;
    run.check(
        STATUS,
        "error",
        none.status == 401,
        "401 without X-Authorization",
        &none,
    );
    let malformed = send(
        run,
        status(Some(("X-Authorization", "Bearer not.a.jwt".into()))),
    )
    .await?;
    run.check(
        STATUS,
        "error",
        malformed.status == 401,
        "401 for a malformed token",
        &malformed,
    );
    let token = id_token(run).await?;
    let misplaced = send(
        run,
        status(Some(("Authorization", format!("Bearer {token}")))),
    )
    .await?;
    let names = misplaced.json().is_some_and(|b| {
        b["detail"]
            .as_str()
            .is_some_and(|d| d.contains("X-Authorization"))
    });
    run.check(
        STATUS,
        "error",
        misplaced.status == 401 && names,
        "401 whose detail names X-Authorization, for a token in Authorization",
        &misplaced,
    );
    let unknown = send(
        run,
        status(Some(("X-Authorization", format!("Bearer {token}")))),
    )
    .await?;
    run.check(
        STATUS,
        "error",
        unknown.status == 404,
        "404 for an unknown report identifier",
        &unknown,
    );
    Ok(())
}

/// Another client's report is not found (404); another client's operator is 403.
async fn cross_client(run: &ApiRun) -> Result<(), Stop> {
    let Some((other_id, other_secret)) = creds(run).other_client.clone() else {
        run.skip(STATUS, "error", "needs a second client (mock fixtures)");
        return Ok(());
    };
    let token = id_token(run).await?;
    let request = ReportRequest {
        operator: creds(run).operator_id,
        csv: true,
        from: 2,
        to: 1,
        additional: vec![],
    };
    let generated = send(
        run,
        authed(
            Request::post(GENERATE, run.url("/report/generate")).json(request.body(today(run))),
            &token,
        ),
    )
    .await?;
    let Some(location) = generated
        .header("location")
        .and_then(|l| crate::checks::resolve_href(&generated.request.url, l))
    else {
        run.fail(GENERATE, "flow", "202 with Location", "", Some(&generated));
        return Ok(());
    };
    let other = token_for(run, Some((&other_id, &other_secret))).await?;
    let poll = send(run, authed(Request::get(STATUS, location), &other)).await?;
    run.check(
        STATUS,
        "error",
        poll.status == 404,
        "404 for another client's report",
        &poll,
    );
    let forbidden = send(
        run,
        authed(
            Request::post(GENERATE, run.url("/report/generate")).json(request.body(today(run))),
            &other,
        ),
    )
    .await?;
    run.check(
        GENERATE,
        "error",
        forbidden.status == 403,
        "403 for an operator the client is not entitled to",
        &forbidden,
    );
    Ok(())
}

/// Moving the mock's clock past `validUntilDate` expires the token: 401.
async fn token_expiry(run: &ApiRun) -> Result<(), Stop> {
    let c = creds(run).clone();
    let exchange = authenticate(run, &c.client_id, &c.client_secret).await?;
    let body = exchange.json().unwrap_or(Value::Null);
    let (Some(token), Some(until)) = (
        body["idToken"].as_str(),
        body["validUntilDate"]
            .as_str()
            .and_then(|u| DateTime::parse_from_rfc3339(u).ok()),
    ) else {
        run.fail(
            AUTH,
            "flow",
            "an idToken and a validUntilDate",
            "",
            Some(&exchange),
        );
        return Ok(());
    };
    run.secret(token);
    let now = exchange
        .header("date")
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok());
    let lifetime = now.map_or(3600, |n| (until - n).num_seconds().max(0));
    run.budget.advance_clock(lifetime as f64 + 1.0).await?;
    let poll = send(
        run,
        authed(
            Request::get(
                STATUS,
                run.url("/report/generate/00000000-0000-4000-8000-000000000000"),
            ),
            token,
        ),
    )
    .await?;
    run.check(
        STATUS,
        "token-expiry",
        poll.status == 401,
        "401 once the clock passes validUntilDate",
        &poll,
    );
    Ok(())
}

/// The documented limit: the request after the window is full gets 429 with `Retry-After` and
/// `X-RateLimit-*` headers; waiting `Retry-After` in full frees a slot.
async fn rate_limit(run: &ApiRun) -> Result<(), Stop> {
    let token = id_token(run).await?;
    let url = run.url("/report/generate/00000000-0000-4000-8000-000000000000");
    let quota = run.budget.quota().map_or(30, |q| q.limit);
    let mut refused = None;
    for _ in 0..=quota + 1 {
        let exchange = run
            .send_unpaced(authed(Request::get(STATUS, url.clone()), &token))
            .await?;
        let headers = [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
        ]
        .iter()
        .all(|h| exchange.header(h).is_some());
        run.check(
            STATUS,
            "rate-limit-headers",
            headers,
            "X-RateLimit-Limit, -Remaining and -Reset on every answer",
            &exchange,
        );
        if exchange.status == 429 {
            refused = Some(exchange);
            break;
        }
    }
    let Some(refused) = refused else {
        run.fail(
            STATUS,
            "rate-limit",
            format!(
                "a 429 within {} requests of a {quota}-request window",
                quota + 2
            ),
            "no 429",
            None,
        );
        return Ok(());
    };
    let wait = retry_after_secs(&refused);
    run.check(
        STATUS,
        "retry-after",
        wait.is_some(),
        "a 429 carries Retry-After",
        &refused,
    );
    run.pass(STATUS, "rate-limit");
    run.budget.retry_after(wait.unwrap_or(600.0)).await?;
    let after = run
        .send_unpaced(authed(Request::get(STATUS, url), &token))
        .await?;
    run.check(
        STATUS,
        "rate-limit",
        after.status != 429,
        "a request after waiting Retry-After in full is served",
        &after,
    );
    Ok(())
}

/// Against a real target each report waits about one `retryAfter` (30 s in the vendor's
/// example) before its 303.
fn lifecycle_waits(p: &PlanCtx) -> f64 {
    if p.real { 2.0 * 30.0 } else { 0.0 }
}

/// A report: generate, two polls (one "being generated", one 303), download; plus a token.
const REPORT: u32 = 4;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario(
            ApiName::Ofr,
            "ofr auth and tokens",
            "negative",
            &[AUTH, STATUS],
            &["error", "flow"],
            Needs::READ,
            |_| 7,
            |r| Box::pin(auth_negative(r)),
        ),
        scenario(
            ApiName::Ofr,
            "ofr report/generate negative",
            "negative",
            &[GENERATE],
            &["error"],
            Needs::READ,
            |p| p.cases(9),
            |r| Box::pin(generate_negative(r)),
        ),
        scenario(
            ApiName::Ofr,
            "ofr revenue negative",
            "negative",
            &[REVENUE],
            &["error"],
            Needs::READ,
            |_| 4,
            |r| Box::pin(revenue_negative(r)),
        ),
        scenario(
            ApiName::Ofr,
            "ofr report lifecycle",
            "report",
            &[GENERATE, STATUS, DOWNLOAD, REVENUE],
            &[
                "flow",
                "report-outcome",
                "retry-after",
                "report",
                "columns",
                "dates",
                "revenue",
            ],
            Needs::READ,
            |p| (REPORT + 1) * if p.real { 2 } else { 2 + (p.cases / 8).max(1) } + 3,
            |r| Box::pin(lifecycle(r)),
        )
        .waits(lifecycle_waits),
        scenario(
            ApiName::Ofr,
            "ofr failed report",
            "failure",
            &[GENERATE, STATUS],
            &["failure-outcome", "flow"],
            Needs::READ,
            |p| if p.real { 0 } else { 2 * REPORT },
            |r| Box::pin(failure(r)),
        ),
        scenario(
            ApiName::Ofr,
            "ofr cross-client",
            "negative",
            &[GENERATE, STATUS],
            &["error", "flow"],
            Needs::READ,
            |p| if p.real { 0 } else { 4 },
            |r| Box::pin(cross_client(r)),
        ),
        scenario(
            ApiName::Ofr,
            "ofr token expiry",
            "control",
            &[AUTH, STATUS],
            &["token-expiry", "flow"],
            Needs::CONTROL,
            |_| 2,
            |r| Box::pin(token_expiry(r)),
        ),
        scenario(
            ApiName::Ofr,
            "ofr rate limit",
            "control",
            &[STATUS],
            &["rate-limit", "rate-limit-headers", "retry-after"],
            Needs::CONTROL,
            |_| 33,
            |r| Box::pin(rate_limit(r)),
        ),
    ]
}

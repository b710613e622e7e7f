//! Report generation, the vendor's "asynchronous generation pattern with status polling"
//! (seed 000, "API Usage Workflow"):
//!
//! - `POST /report/generate` accepts a request: 202 with a HAL body and `Location` (the status
//!   URL);
//! - `GET /report/generate/{reportIdentifier}` answers 200 with a "being generated" message
//!   while the report is generating, **303 See Other** to the download once it is done, and
//!   **200 with a problem+json body of status 400** if it failed (api-notes §1);
//! - `GET /report/download/{reportIdentifier}` streams the file (path chosen by parkbench).
//!
//! Generation takes `--ofr-report-delay` seconds of virtual time. A report fails when a
//! `report_failure` fault flag was queued for the request, when its operator is the fixture
//! operator reserved for failures, or when its range holds more than 100,000 records
//! (seed 000: "Maximum report size").

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, State};
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use parkbench_kit::FaultFlag;
use parkbench_kit::extract::BaseUrl;
use serde_json::json;
use uuid::Uuid;

use crate::auth::Client;
use crate::columns::Column;
use crate::error::ApiError;
use crate::export::{Export, Meta};
use crate::hal::{Hal, links};
use crate::params::{DateRange, Fields, JsonBody};
use crate::transactions::Dataset;
use crate::world::{Progress, Report, World};

/// Seed 000: "Maximum report size: 100,000 records". A larger range is accepted and then
/// fails, as a report does that turns out too big.
pub const MAX_REPORT_RECORDS: u64 = 100_000;

/// The fault flag that fails a report: queue it with
/// `{"action": "flag", "flag": "report_failure", "method": "POST", "path": "/report/generate"}`.
/// On `GET /report/generate/*` it fails the polled report from then on.
pub const REPORT_FAILURE_FLAG: &str = "report_failure";

/// Why a report failed when a `report_failure` fault made it fail.
const INJECTED_FAILURE: &str =
    "Report generation failed: a report_failure fault was injected through the control API.";

/// Whether a `report_failure` fault flag came with the request.
#[derive(Clone, Copy, Debug)]
pub struct InjectedFailure(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for InjectedFailure {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let flag = parts.extensions.get::<FaultFlag>();
        Ok(Self(flag.is_some_and(|f| f.0 == REPORT_FAILURE_FLAG)))
    }
}

/// `{reportIdentifier}` of a path: a report id in canonical UUID form, or a 404.
#[derive(Clone, Debug)]
pub struct ReportId(pub Uuid);

fn no_such_report(id: &str) -> ApiError {
    ApiError::NotFound(format!("No report with identifier {id}."))
}

impl<S: Send + Sync> FromRequestParts<S> for ReportId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| no_such_report("(unreadable)"))?;
        match Uuid::try_parse(&raw) {
            Ok(id) if id.hyphenated().to_string() == raw => Ok(Self(id)),
            _ => Err(no_such_report(&raw)),
        }
    }
}

fn status_url(base: &str, id: &Uuid) -> String {
    format!("{base}/report/generate/{id}")
}

fn download_url(base: &str, id: &Uuid) -> String {
    format!("{base}/report/download/{id}")
}

/// `POST /report/generate`.
pub async fn generate(
    State(world): State<Arc<World>>,
    client: Client,
    BaseUrl(base): BaseUrl,
    InjectedFailure(injected): InjectedFailure,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let fields = Fields::of(&body)?;
    let operator_id = fields.operator_id()?;
    let format = fields.report_format()?;
    let start = fields.date("startDate")?;
    let end = fields.date("endDate")?;
    let additional = fields.additional_fields()?;
    let today = world.today();
    let range = DateRange::check(start, end, today, world.config.history_months)?;
    let operator = client.operator(&world, operator_id)?;
    let record_count = Dataset::count(&operator, &range, today);
    let failure = if injected {
        Some(INJECTED_FAILURE.to_owned())
    } else if operator.always_fails {
        Some(format!(
            "Report generation failed: operator {operator_id} is reserved for failure testing and its reports always fail."
        ))
    } else if record_count > MAX_REPORT_RECORDS {
        Some(format!(
            "Report generation failed: the date range holds {record_count} records, more than the maximum report size of {MAX_REPORT_RECORDS} records. Request a shorter range."
        ))
    } else {
        None
    };
    let now = world.now();
    let delay = i64::try_from(world.config.report_delay_secs).unwrap_or(i64::MAX);
    let ready_at = TimeDelta::try_seconds(delay)
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
    let columns: Arc<[Column]> = Column::DEFAULT.into_iter().chain(additional).collect();
    let report = world.add_report(|id| Report {
        id,
        client_id: client.client_id.clone(),
        operator_id,
        format,
        range,
        columns,
        as_of: today,
        record_count,
        ready_at,
        failure,
    });
    let status = status_url(&base, &report.id);
    let body = json!({
        "reportIdentifier": report.id,
        "_links": links(&status, &[("status", &status)]),
    });
    let mut response = Hal(StatusCode::ACCEPTED, body).into_response();
    if let Ok(location) = HeaderValue::try_from(status) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// `GET /report/generate/{reportIdentifier}`.
pub async fn report_status(
    State(world): State<Arc<World>>,
    client: Client,
    BaseUrl(base): BaseUrl,
    InjectedFailure(injected): InjectedFailure,
    ReportId(id): ReportId,
) -> Result<Response, ApiError> {
    let mut report = world
        .report(&id, &client.client_id)
        .ok_or_else(|| no_such_report(&id.to_string()))?;
    if injected {
        report = world
            .fail_report(&id, INJECTED_FAILURE.to_owned())
            .unwrap_or(report);
    }
    match report.progress(world.now()) {
        Progress::Generating => {
            let seconds = world.config.report_delay_secs;
            let body = json!({
                "message": format!("Your report is being generated. Check for the report status after {seconds} seconds."),
                "retryAfter": seconds,
                "_links": links(&status_url(&base, &id), &[]),
            });
            let mut response = Hal(StatusCode::OK, body).into_response();
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
            Ok(response)
        }
        Progress::Failed(reason) => Err(ApiError::ReportFailed(reason)),
        Progress::Ready => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            if let Ok(location) = HeaderValue::try_from(download_url(&base, &id)) {
                response.headers_mut().insert(LOCATION, location);
            }
            Ok(response)
        }
    }
}

/// `GET /report/download/{reportIdentifier}`: the report file, streamed.
pub async fn download(
    State(world): State<Arc<World>>,
    client: Client,
    BaseUrl(base): BaseUrl,
    ReportId(id): ReportId,
) -> Result<Response, ApiError> {
    let report = world
        .report(&id, &client.client_id)
        .ok_or_else(|| no_such_report(&id.to_string()))?;
    match report.progress(world.now()) {
        Progress::Generating => {
            return Err(ApiError::NotFound(format!(
                "Report {id} is still being generated: poll {} until it answers 303 See Other.",
                status_url(&base, &id)
            )));
        }
        Progress::Failed(_) => {
            return Err(ApiError::NotFound(format!(
                "Report {id} failed and has nothing to download: see {}.",
                status_url(&base, &id)
            )));
        }
        Progress::Ready => {}
    }
    let operator = world
        .fixtures
        .operators
        .get(&report.operator_id)
        .cloned()
        .ok_or_else(|| ApiError::Internal(format!("Operator {} vanished.", report.operator_id)))?;
    let id_text = id.to_string();
    let self_href = download_url(&base, &id);
    let export = Export::new(
        world.dataset,
        operator,
        report.range,
        report.as_of,
        report.format,
        report.columns.clone(),
        &Meta {
            report_identifier: &id_text,
            self_href: &self_href,
            record_count: report.record_count,
        },
    );
    let file_name = format!(
        "ofr-report-{}-{}-{}.{}",
        report.operator_id,
        report.range.start,
        report.range.end,
        report.format.extension()
    );
    let stream = futures_util::stream::iter(export.map(Ok::<_, Infallible>));
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(report.format.content_type()),
    );
    if let Ok(disposition) = HeaderValue::try_from(format!("attachment; filename=\"{file_name}\""))
    {
        headers.insert(CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

//! OFR's error format, and the one place errors become responses.
//!
//! Seed 000 ("Error Handling") lists 400, 401, 403, 429 and 500; api-notes §1 leaves the body
//! open, so every error is an RFC 9457 problem document (`application/problem+json`) with
//! `type`, `title`, `status`, `detail` and `instance`. The one exception to "the HTTP status is
//! the problem's status" is also the seed's: a failed report answers the status poll with
//! **200 OK** and a problem whose `status` member is 400 ([`ApiError::ReportFailed`]).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use parkbench_kit::KitError;
use serde::Serialize;

/// The media type of every error body (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// `type` of the problem a failed report answers with. Other problems use `about:blank`, which
/// RFC 9457 §4.2.1 reserves for "nothing more than the HTTP status"; their `title` is then the
/// status phrase and `detail` says what was wrong.
pub const REPORT_FAILED_TYPE: &str = "urn:parkbench:ofr:problem:report-generation-failed";

/// Every way an OFR request can fail.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: invalid parameters or request structure (seed 000).
    #[error("{0}")]
    BadRequest(String),
    /// 401: missing or invalid authentication token, or wrong credentials (seed 000).
    #[error("{0}")]
    Unauthorized(String),
    /// 403: insufficient permissions, here an operator the client is not entitled to (seed 000).
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such route, or no such report for this client.
    #[error("{0}")]
    NotFound(String),
    /// 405: the route exists, the method does not.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 413: the request body is over the kit's limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 429: rate limit exceeded (seed 000: 30 requests per 10 minutes in the test environment).
    #[error("{detail}")]
    TooManyRequests { detail: String },
    /// 500: something went wrong on the server side (seed 000).
    #[error("{0}")]
    Internal(String),
    /// A report whose generation failed: **200 OK** with a problem whose `status` is 400 (seed
    /// 000, "Important Note").
    #[error("{0}")]
    ReportFailed(String),
}

/// An RFC 9457 problem document as OFR sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

impl ApiError {
    /// The HTTP status of the response (not always the problem's `status` member).
    pub fn http_status(&self) -> StatusCode {
        match self {
            ApiError::ReportFailed(_) => StatusCode::OK,
            other => other.problem_status(),
        }
    }

    fn problem_status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::ReportFailed(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document, without `instance` (the [`problem_instance`] middleware adds it).
    pub fn problem(&self) -> Problem {
        let status = self.problem_status();
        let (kind, title) = match self {
            ApiError::ReportFailed(_) => (REPORT_FAILED_TYPE, "Report generation failed"),
            _ => ("about:blank", status.canonical_reason().unwrap_or("Error")),
        };
        Problem {
            kind,
            title,
            status: status.as_u16(),
            detail: self.to_string(),
            instance: None,
        }
    }
}

impl Problem {
    fn render(&self, http_status: StatusCode) -> Response {
        let body = serde_json::to_vec(self).unwrap_or_default();
        let mut response = (http_status, body).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

/// Carried in a problem response's extensions so [`problem_instance`] can re-render it with the
/// request path as `instance`.
#[derive(Clone, Debug)]
struct Rendered(Problem);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let mut response = problem.render(self.http_status());
        response.extensions_mut().insert(Rendered(problem));
        response
    }
}

/// Sets `instance` to the request path on every problem the router produced (handlers,
/// extractor rejections, the fallbacks and the rate limiter alike), keeping status and headers.
pub async fn problem_instance(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let Some(Rendered(problem)) = response.extensions().get::<Rendered>().cloned() else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    let problem = Problem {
        instance: Some(path),
        ..problem
    };
    let (_, body) = problem.render(parts.status).into_parts();
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

/// The router's fallback: a path OFR does not have.
pub async fn not_found(request: Request) -> ApiError {
    ApiError::NotFound(format!(
        "No endpoint {} {}: see the OFR routes (/auth/v1, /report/generate, /summary-report/revenue).",
        request.method(),
        request.uri().path()
    ))
}

/// The router's fallback for a known path with the wrong method; axum adds the `Allow` header.
pub async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::MethodNotAllowed(format!(
        "Method {} is not allowed on {}.",
        request.method(),
        request.uri().path()
    ))
}

/// The kit's own failures (a panic, a body over the limit) as problems.
pub fn kit_error(error: KitError) -> Response {
    match error {
        KitError::PayloadTooLarge { limit } => {
            ApiError::PayloadTooLarge(format!("The request body is larger than {limit} bytes."))
        }
        KitError::BodyUnreadable => {
            ApiError::BadRequest("The request body could not be read.".into())
        }
        KitError::Internal => ApiError::Internal("Something went wrong on the server side.".into()),
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_report_is_200_with_a_problem_of_status_400() {
        let error = ApiError::ReportFailed("too many records".into());
        assert_eq!(error.http_status(), StatusCode::OK);
        let problem = error.problem();
        assert_eq!(problem.status, 400);
        assert_eq!(problem.kind, REPORT_FAILED_TYPE);
    }

    /// The kit's failures (panic, oversized body) come out as problems the schema accepts.
    #[tokio::test]
    async fn kit_errors_are_problems() {
        let schemas =
            parkbench_kit::schema::Schemas::for_api(env!("CARGO_MANIFEST_DIR"), "ofr").unwrap();
        for (error, status) in [
            (KitError::Internal, 500),
            (KitError::PayloadTooLarge { limit: 10 }, 413),
            (KitError::BodyUnreadable, 400),
        ] {
            let response = kit_error(error);
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(response.headers()[CONTENT_TYPE], PROBLEM_JSON);
            let body = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            schemas.assert_valid("problem", &body);
            assert_eq!(body["status"], status);
        }
    }

    #[test]
    fn other_problems_carry_their_http_status_and_phrase() {
        let problem = ApiError::TooManyRequests {
            detail: "slow down".into(),
        }
        .problem();
        assert_eq!(
            (problem.status, problem.title, problem.kind),
            (429, "Too Many Requests", "about:blank")
        );
        assert_eq!(
            ApiError::Forbidden("no".into()).http_status(),
            StatusCode::FORBIDDEN
        );
    }
}

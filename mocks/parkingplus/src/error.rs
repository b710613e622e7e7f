//! The one place errors become responses.
//!
//! Two shapes, both JSON:
//! - the token endpoints answer as the vendor documents (and as the Doorkeeper OAuth server it
//!   runs does): `{"error": "invalid_grant", "error_description": "..."}` ([`OAuthError`]);
//! - every other endpoint's 400, 401, 404, 405, 413, 422 and 500, whose bodies the vendor
//!   leaves undocumented, answer `{"error": "<code>", "messages": ["...", ...]}` ([`ApiError`]):
//!   a stable machine code next to Rails-style full messages a person can read.

use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use parkbench_kit::KitError;
use serde_json::json;

/// Why a bearer token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenProblem {
    Missing,
    Invalid,
    Expired,
}

impl TokenProblem {
    fn description(self) -> &'static str {
        match self {
            TokenProblem::Missing => "The access token is missing",
            TokenProblem::Invalid => "The access token is invalid",
            TokenProblem::Expired => "The access token expired",
        }
    }
}

/// An error of the car_driver API, outside the token endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// 400: a required parameter is missing or unreadable.
    BadRequest(String),
    /// 401: no valid bearer token (seed 003: "401 if request access token not ok").
    Unauthorized(TokenProblem),
    /// 401: registration with an unknown `client_app_id` / `client_secret`.
    InvalidClient,
    /// 404: no such resource, or one that belongs to another driver.
    NotFound(String),
    MethodNotAllowed,
    /// 413: the kit's body limit.
    PayloadTooLarge {
        limit: usize,
    },
    /// 422: the request is understood but refused; every reason is listed.
    Unprocessable(Vec<String>),
    Internal,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(message.into())
    }

    /// Rails' `ActionController::ParameterMissing` text.
    pub fn param_missing(name: &str) -> Self {
        ApiError::BadRequest(format!("param is missing or the value is empty: {name}"))
    }

    /// Rails' `ActiveRecord::RecordNotFound` text.
    pub fn record_not_found(model: &str, id: impl std::fmt::Display) -> Self {
        ApiError::NotFound(format!("Couldn't find {model} with 'id'={id}"))
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        ApiError::Unprocessable(vec![message.into()])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) | ApiError::InvalidClient => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "invalid_token",
            ApiError::InvalidClient => "invalid_client",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::Unprocessable(_) => "unprocessable_entity",
            ApiError::Internal => "internal_server_error",
        }
    }

    pub fn messages(&self) -> Vec<String> {
        match self {
            ApiError::BadRequest(m) | ApiError::NotFound(m) => vec![m.clone()],
            ApiError::Unauthorized(problem) => vec![problem.description().to_owned()],
            ApiError::InvalidClient => vec![OAuthError::InvalidClient.description().to_owned()],
            ApiError::MethodNotAllowed => {
                vec!["The HTTP method is not allowed on this resource".to_owned()]
            }
            ApiError::PayloadTooLarge { limit } => {
                vec![format!("The request body is larger than {limit} bytes")]
            }
            ApiError::Unprocessable(messages) => messages.clone(),
            ApiError::Internal => vec!["We're sorry, but something went wrong".to_owned()],
        }
    }

    pub fn body(&self) -> serde_json::Value {
        json!({ "error": self.code(), "messages": self.messages() })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        if let ApiError::Unauthorized(problem) = self {
            // What Doorkeeper sends with a refused bearer token (RFC 6750 section 3).
            let challenge = format!(
                "Bearer realm=\"Doorkeeper\", error=\"invalid_token\", error_description=\"{}\"",
                problem.description()
            );
            if let Ok(value) = HeaderValue::try_from(challenge) {
                response
                    .headers_mut()
                    .insert(http::header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

impl From<KitError> for ApiError {
    fn from(error: KitError) -> Self {
        match error {
            KitError::PayloadTooLarge { limit } => ApiError::PayloadTooLarge { limit },
            KitError::BodyUnreadable => ApiError::bad_request("The request body could not be read"),
            KitError::Internal => ApiError::Internal,
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request(format!("Invalid query string: {}", rejection.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::bad_request(format!("Invalid path: {}", rejection.body_text()))
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        ApiError::bad_request(format!(
            "The request body could not be read: {}",
            rejection.body_text()
        ))
    }
}

/// An error of the token endpoints, in the OAuth 2.0 shape the vendor documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OAuthError {
    /// Documented: 401 "if user or password incorrect".
    InvalidGrant,
    /// Unknown `client_app_id` or wrong `client_secret`.
    InvalidClient,
    /// A required parameter is missing or the body cannot be read.
    InvalidRequest,
    /// A `grant_type` other than `password` ("only 'password' accepted").
    UnsupportedGrantType,
}

impl OAuthError {
    pub fn code(self) -> &'static str {
        match self {
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
        }
    }

    /// The texts are Doorkeeper's; the `invalid_grant` one is quoted by the vendor.
    pub fn description(self) -> &'static str {
        match self {
            OAuthError::InvalidGrant => {
                "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
            }
            OAuthError::InvalidClient => {
                "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."
            }
            OAuthError::InvalidRequest => {
                "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed."
            }
            OAuthError::UnsupportedGrantType => {
                "The authorization grant type is not supported by the authorization server."
            }
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            OAuthError::InvalidGrant | OAuthError::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthError::InvalidRequest | OAuthError::UnsupportedGrantType => {
                StatusCode::BAD_REQUEST
            }
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code(), "error_description": self.description() });
        (self.status(), Json(body)).into_response()
    }
}

/// Router fallback: Rails' routing error text.
pub async fn no_route(method: http::Method, uri: http::Uri) -> ApiError {
    ApiError::NotFound(format!("No route matches [{method}] \"{}\"", uri.path()))
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kit_failures_keep_their_status() {
        assert_eq!(
            ApiError::from(KitError::Internal).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            ApiError::from(KitError::PayloadTooLarge { limit: 10 }).status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            ApiError::from(KitError::BodyUnreadable).status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn unauthorized_answers_carry_a_bearer_challenge() {
        let response = ApiError::Unauthorized(TokenProblem::Expired).into_response();
        let challenge = response.headers()[http::header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap();
        assert!(
            challenge.starts_with("Bearer ") && challenge.contains("expired"),
            "{challenge}"
        );
    }
}

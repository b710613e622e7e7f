//! Authentication: `POST /auth/v1` issues a JWT for client credentials, and every other
//! endpoint reads it from `X-Authorization: Bearer <idToken>` (seed 000, "Authentication of
//! API user"; api-notes §1 for the request and response shapes).
//!
//! Tokens are really signed (HS256, key from `fixtures/ofr/auth.json`) and carry the client
//! (`sub`) and the operators it may report on (`operators`). Expiry is judged on the virtual
//! clock, never the system clock, so a test moves the clock instead of waiting an hour.

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use http::request::Parts;
use http::{HeaderMap, StatusCode};
use jsonwebtoken::{Algorithm, Header, Validation};
use parkbench_kit::extract::BaseUrl;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::ApiError;
use crate::hal::{Hal, links};
use crate::params::{Fields, JsonBody};
use crate::world::{Operator, World};

/// The header every call after `/auth/v1` carries (seed 000: not `Authorization`).
pub const X_AUTHORIZATION: &str = "x-authorization";

/// What an OFR token says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The client id.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    /// The operators the client may report on.
    pub operators: Vec<u64>,
}

/// `POST /auth/v1`: client credentials in, `{"idToken", "validUntilDate"}` out.
pub async fn auth_v1(
    State(world): State<Arc<World>>,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let fields = Fields::of(&body)?;
    let client_id = fields.string("clientId")?;
    let client_secret = fields.string("clientSecret")?;
    let account = world
        .fixtures
        .clients
        .get(client_id)
        .filter(|a| a.client_secret == client_secret)
        .ok_or_else(|| ApiError::Unauthorized("Invalid client credentials.".into()))?;
    let now = world.now().timestamp();
    let claims = Claims {
        iss: world.fixtures.auth.issuer.clone(),
        sub: account.client_id.clone(),
        iat: now,
        exp: now + world.fixtures.auth.token_lifetime_secs,
        operators: account.operators.clone(),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &world.fixtures.auth.encoding_key,
    )
    .map_err(|e| ApiError::Internal(format!("The token could not be signed: {e}.")))?;
    let valid_until = DateTime::<Utc>::from_timestamp(claims.exp, 0)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let body = json!({
        "idToken": token,
        "validUntilDate": valid_until,
        "_links": links(&format!("{base}/auth/v1"), &[]),
    });
    Ok(Hal(StatusCode::OK, body).into_response())
}

/// How tokens are checked; built once, when the fixtures are loaded.
pub(crate) fn validation(issuer: &str) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry is checked against the virtual clock in `Client::from_request_parts`.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
    validation.set_issuer(&[issuer]);
    validation
}

/// The token of `X-Authorization: Bearer <token>`, or the 401 that explains what is wrong.
fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let Some(value) = headers.get(X_AUTHORIZATION) else {
        return Err(ApiError::Unauthorized(
            if headers.contains_key(http::header::AUTHORIZATION) {
                "The token was sent in the Authorization header; OFR reads it from X-Authorization: Bearer <idToken>."
                .into()
            } else {
                "Missing X-Authorization header: send X-Authorization: Bearer <idToken> (obtain one from POST /auth/v1)."
                .into()
            },
        ));
    };
    let malformed =
        || ApiError::Unauthorized("X-Authorization must be \"Bearer <idToken>\".".into());
    let text = value.to_str().map_err(|_| malformed())?;
    match text.trim().split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(malformed()),
    }
}

/// The claims of a token whose signature and issuer check out, expired or not.
fn decode(world: &World, token: &str) -> Result<Claims, ApiError> {
    let auth = &world.fixtures.auth;
    jsonwebtoken::decode::<Claims>(token, &auth.decoding_key, &auth.validation)
        .map(|data| data.claims)
        .map_err(|_| ApiError::Unauthorized("The token in X-Authorization is invalid.".into()))
}

/// The claims of the request's token, if it is genuine (expired or not). The rate limiter keys
/// on their `sub` and leaves them in the request's extensions, so [`Client`] does not check the
/// same signature again.
pub fn token_claims(world: &World, headers: &HeaderMap) -> Option<Claims> {
    decode(world, bearer(headers).ok()?).ok()
}

/// An authenticated client: the extractor every endpoint after `/auth/v1` starts with.
#[derive(Clone, Debug)]
pub struct Client {
    pub client_id: String,
    pub operators: Vec<u64>,
}

impl FromRequestParts<Arc<World>> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        world: &Arc<World>,
    ) -> Result<Self, Self::Rejection> {
        let claims = match parts.extensions.remove::<Claims>() {
            Some(claims) => claims,
            None => decode(world, bearer(&parts.headers)?)?,
        };
        let now = world.now();
        if now.timestamp() >= claims.exp {
            let expired_at = DateTime::<Utc>::from_timestamp(claims.exp, 0)
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
                .unwrap_or_default();
            return Err(ApiError::Unauthorized(format!(
                "The token expired at {expired_at}; obtain a new one from POST /auth/v1."
            )));
        }
        Ok(Client {
            client_id: claims.sub,
            operators: claims.operators,
        })
    }
}

impl Client {
    /// The operator, if this client may report on it; 403 otherwise (an operator that does not
    /// exist gets the same answer, so ids cannot be probed).
    pub fn operator(&self, world: &World, operator_id: u64) -> Result<Arc<Operator>, ApiError> {
        self.operators
            .contains(&operator_id)
            .then(|| world.fixtures.operators.get(&operator_id).cloned())
            .flatten()
            .ok_or_else(|| {
                ApiError::Forbidden(format!(
                    "Client {} is not entitled to operator {operator_id}.",
                    self.client_id
                ))
            })
    }
}

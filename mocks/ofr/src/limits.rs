//! Rate limiting: seed 000, "Rate Limits: 30 requests per 10 min in test environment". Every
//! request to the API counts, `/auth/v1` included, in a sliding window on the virtual clock
//! (`--ofr-rate-limit`, default 30/600, `off` to disable). Every response carries
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`; the request over the
//! limit gets a 429 problem with `Retry-After`.
//!
//! Windows are per client: the `sub` of a genuine token in `X-Authorization` (expired tokens
//! included), else the `clientId` of an `/auth/v1` body, else one shared `anonymous` window.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::Method;

use crate::auth;
use crate::error::ApiError;
use crate::world::World;

/// The window of requests that name no client.
pub(crate) const ANONYMOUS: &str = "anonymous";

/// Which window a request counts in; the body of an `/auth/v1` request is read and put back.
async fn client_key(world: &World, mut request: Request) -> (String, Request) {
    if let Some(claims) = auth::token_claims(world, request.headers()) {
        let key = format!("client:{}", claims.sub);
        request.extensions_mut().insert(claims);
        return (key, request);
    }
    if request.method() != Method::POST || request.uri().path() != "/auth/v1" {
        return (ANONYMOUS.to_owned(), request);
    }
    let (parts, body) = request.into_parts();
    // The kit has already buffered the body within its size limit.
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let client_id = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("clientId")?.as_str().map(str::to_owned));
    let key = client_id.map_or_else(|| ANONYMOUS.to_owned(), |id| format!("client:{id}"));
    (key, Request::from_parts(parts, Body::from(bytes)))
}

/// The middleware in front of every OFR route and fallback.
pub async fn rate_limit(State(world): State<Arc<World>>, request: Request, next: Next) -> Response {
    let Some(limiter) = world.limiter.clone() else {
        return next.run(request).await;
    };
    let (key, request) = client_key(&world, request).await;
    let decision = limiter.check(key, world.now());
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        let quota = limiter.quota();
        ApiError::TooManyRequests {
            detail: format!(
                "Rate limit exceeded: {} requests per {} seconds. Retry after {} seconds.",
                quota.limit,
                quota.window_secs,
                decision.retry_after_secs.unwrap_or(1)
            ),
        }
        .into_response()
    };
    decision.apply_headers(response.headers_mut());
    response
}

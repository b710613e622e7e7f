//! Request readers whose every refusal comes out in the API's own error format.

use std::collections::BTreeMap;

use axum::Form;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, TokenProblem};
use crate::world::World;

/// The query string, parsed; a malformed one is a 400 in the API's format.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// A path parameter; a malformed one is a 400 in the API's format.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// The raw request body (the kit has already read it within its limit).
#[derive(Debug)]
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(RawBody(Bytes::from_request(request, state).await?))
    }
}

/// The driver an `Authorization: Bearer <access_token>` header belongs to. Missing, unknown
/// and expired tokens (virtual clock) are a 401.
#[derive(Clone, Copy, Debug)]
pub struct CurrentDriver(pub i64);

impl FromRequestParts<World> for CurrentDriver {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, world: &World) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim().to_owned())
            })
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized(TokenProblem::Missing))?;
        let now = world.now();
        let state = world.lock();
        let found = state
            .token(&token)
            .ok_or(ApiError::Unauthorized(TokenProblem::Invalid))?;
        if found.expires_at <= now {
            return Err(ApiError::Unauthorized(TokenProblem::Expired));
        }
        if !state.drivers.contains_key(&found.driver_id) {
            return Err(ApiError::Unauthorized(TokenProblem::Invalid));
        }
        Ok(CurrentDriver(found.driver_id))
    }
}

/// Whether the request says its body is JSON.
pub fn is_json(headers: &http::HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            let ct = ct
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            ct == "application/json" || ct.ends_with("+json")
        })
}

/// A JSON body as a value. The vendor's examples are JSON; the body is read as JSON whatever
/// the `Content-Type` says, so `curl -d '{...}'` without `-H` works too.
pub fn json_value(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON: {e}")))
}

/// A JSON body that must be an object, as every body whose members are read one by one.
pub fn json_object(body: &Bytes) -> Result<serde_json::Map<String, Value>, ApiError> {
    match json_value(body)? {
        Value::Object(object) => Ok(object),
        _ => Err(ApiError::bad_request(
            "The request body must be a JSON object",
        )),
    }
}

/// A member of a JSON object as text, as a parameter: Rails reads numbers in JSON as their
/// digits. Other kinds (and a missing member) are `None`.
pub fn param_text(object: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A form-urlencoded body, through axum's own parser.
pub async fn form<T: DeserializeOwned>(body: Bytes) -> Result<T, String> {
    let request = Request::builder()
        .method(http::Method::POST)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .map_err(|e| e.to_string())?;
    Form::<T>::from_request(request, &())
        .await
        .map(|Form(value)| value)
        .map_err(|e| e.body_text())
}

/// Flat parameters from a JSON object or a form body, as Rails' `params` would see them:
/// strings, numbers and booleans become text, `null` is absent. `None` when the body is
/// neither.
pub async fn flat_params(
    headers: &http::HeaderMap,
    body: Bytes,
) -> Option<BTreeMap<String, String>> {
    let trimmed = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if is_json(headers) || trimmed == Some(b'{') {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) else {
            return None;
        };
        let mut params = BTreeMap::new();
        for (key, value) in map {
            let text = match value {
                Value::Null => continue,
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Array(_) | Value::Object(_) => return None,
            };
            params.insert(key, text);
        }
        Some(params)
    } else {
        form::<BTreeMap<String, String>>(body).await.ok()
    }
}

/// Decodes a `Base64(return_url)` parameter (standard or URL-safe alphabet, padded or not; a
/// `+` turned into a space by query decoding is put back). The URL must have a scheme (an
/// app's own `myapp://...` scheme included: mobile WebViews intercept those).
pub fn decode_return_url(encoded: &str) -> Result<String, ApiError> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let bad = || ApiError::bad_request("return_url must be a Base64-encoded URL");
    let cleaned: String = encoded.trim().replace(' ', "+");
    let bytes = [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(&cleaned).ok())
        .ok_or_else(bad)?;
    let url = String::from_utf8(bytes).map_err(|_| bad())?;
    let (scheme, rest) = url.split_once(':').ok_or_else(bad)?;
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() || url.chars().any(|c| c.is_control() || c == ' ') {
        return Err(bad());
    }
    Ok(url)
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("aHR0cHM6Ly93d3cuZXhhbXBsZS5jb20v", Ok("https://www.example.com/"))] // the vendor's example
    #[case("aHR0cHM6Ly93d3cuZXhhbXBsZS5jb20v ", Ok("https://www.example.com/"))]
    #[case("bXlhcHA6Ly9wYWlk", Ok("myapp://paid"))]
    #[case("not base64!", Err(()))]
    #[case("aGVsbG8=", Err(()))] // "hello": no scheme
    #[case("", Err(()))]
    fn return_urls_decode(#[case] input: &str, #[case] expected: Result<&str, ()>) {
        assert_eq!(
            decode_return_url(input).map_err(|_| ()),
            expected.map(str::to_owned)
        );
    }

    #[test]
    fn percent_encoding_keeps_unreserved_characters() {
        assert_eq!(percent_encode("aHR0+/=a-_.~"), "aHR0%2B%2F%3Da-_.~");
    }

    #[tokio::test]
    async fn flat_params_read_json_and_forms() {
        let json = http::HeaderMap::new();
        let params = flat_params(&json, Bytes::from(r#"{"a": "x", "b": 2, "c": null}"#))
            .await
            .unwrap();
        assert_eq!(params.get("a").map(String::as_str), Some("x"));
        assert_eq!(params.get("b").map(String::as_str), Some("2"));
        assert!(!params.contains_key("c"));
        let params = flat_params(&json, Bytes::from("a=x%20y&b=2"))
            .await
            .unwrap();
        assert_eq!(params.get("a").map(String::as_str), Some("x y"));
        assert!(
            flat_params(&json, Bytes::from(r#"{"a": [1]}"#))
                .await
                .is_none()
        );
        assert!(flat_params(&json, Bytes::from(r#"{"a": "#)).await.is_none());
    }
}

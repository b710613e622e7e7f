//! `POST /auth/v1` and the `X-Authorization` header (seed 000, "Authentication of API user").

use http::{Method, Request, StatusCode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rstest::rstest;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn credentials_buy_a_signed_token_valid_until_the_clock_says() {
    let app = App::new();
    let reply = app.auth(TEST_CLIENT).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(
        body["validUntilDate"], "2026-03-15T13:00:00Z",
        "an hour of virtual time"
    );
    assert_eq!(body["_links"]["self"]["href"], format!("{BASE}/auth/v1"));
    let claims = claims(body["idToken"].as_str().unwrap());
    assert_eq!(claims["sub"], "ofr-test-client");
    assert_eq!(claims["operators"], json!([60879, 70100, 70204, 70500]));
    assert_eq!(claims["iat"], t0().timestamp());
    assert_eq!(claims["exp"], t0().timestamp() + 3600);
}

#[rstest]
#[case(json!({"clientId": "ofr-test-client", "clientSecret": "wrong"}))]
#[case(json!({"clientId": "nobody", "clientSecret": "ofr-test-secret"}))]
#[case(json!({"clientId": "ofr-test-client", "clientSecret": "ofr-other-secret"}))]
#[tokio::test]
async fn wrong_credentials_are_401(#[case] body: Value) {
    let app = App::new();
    app.post("/auth/v1", None, &body)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "Invalid client credentials");
}

#[rstest]
#[case("", "not valid JSON")]
#[case("{", "not valid JSON")]
#[case("[]", "must be a JSON object")]
#[case(r#"{"clientSecret": "ofr-test-secret"}"#, "clientId is required")]
#[case(r#"{"clientId": "ofr-test-client"}"#, "clientSecret is required")]
#[case(r#"{"clientId": 7, "clientSecret": "x"}"#, "clientId must be a string")]
#[tokio::test]
async fn malformed_auth_bodies_are_400(#[case] body: &'static str, #[case] needle: &str) {
    let app = App::new();
    app.post_raw("/auth/v1", None, body)
        .await
        .assert_problem(StatusCode::BAD_REQUEST, needle);
}

fn summary_request() -> Value {
    json!({"operatorId": SEED_OPERATOR, "startDate": day(2), "endDate": day(1)})
}

#[tokio::test]
async fn a_token_expires_by_the_virtual_clock() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    app.advance(3599);
    let reply = app
        .post("/summary-report/revenue", Some(&token), &summary_request())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "one second before expiry");
    app.advance(1);
    app.post("/summary-report/revenue", Some(&token), &summary_request())
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "expired at 2026-03-15T13:00:00Z");
    let fresh = app.token(TEST_CLIENT).await;
    let reply = app
        .post("/summary-report/revenue", Some(&fresh), &summary_request())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "a new token works");
}

fn forged(key: &str, claims: Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(key.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// Every way the header can be wrong, and the 401 detail each earns.
#[rstest]
#[case::missing(None, None, "Missing X-Authorization")]
#[case::in_authorization(None, Some("Bearer {token}"), "X-Authorization")]
#[case::no_scheme(Some("{token}"), None, "must be \"Bearer <idToken>\"")]
#[case::basic(Some("Basic {token}"), None, "must be \"Bearer <idToken>\"")]
#[case::empty_bearer(Some("Bearer "), None, "must be \"Bearer <idToken>\"")]
#[case::garbage(Some("Bearer not.a.jwt"), None, "invalid")]
#[case::tampered(Some("Bearer {token}x"), None, "invalid")]
#[case::wrong_key(Some("Bearer {forged}"), None, "invalid")]
#[case::wrong_issuer(Some("Bearer {wrong_issuer}"), None, "invalid")]
#[tokio::test]
async fn bad_authorization_is_401(
    #[case] x_authorization: Option<&str>,
    #[case] authorization: Option<&str>,
    #[case] needle: &str,
) {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    let real_claims = claims(&token);
    let forged_token = forged(
        "another-key-of-at-least-thirty-two-bytes!!",
        real_claims.clone(),
    );
    let mut other_issuer = real_claims;
    other_issuer["iss"] = json!("https://elsewhere.example");
    let wrong_issuer = forged(&fixture_key(), other_issuer);
    let fill = |s: &str| {
        s.replace("{token}", &token)
            .replace("{forged}", &forged_token)
            .replace("{wrong_issuer}", &wrong_issuer)
    };
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/summary-report/revenue")
        .header("host", HOST);
    if let Some(value) = x_authorization {
        request = request.header("x-authorization", fill(value));
    }
    if let Some(value) = authorization {
        request = request.header("authorization", fill(value));
    }
    let request = request.body(summary_request().to_string().into()).unwrap();
    let body = app
        .send(request)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, needle);
    assert_eq!(body["title"], "Unauthorized");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = App::new();
    let token = app.token(TEST_CLIENT).await;
    let request = Request::builder()
        .method(Method::POST)
        .uri("/summary-report/revenue")
        .header("host", HOST)
        .header("x-authorization", format!("bearer {token}"))
        .body(summary_request().to_string().into())
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_endpoint_after_auth_requires_the_token() {
    let app = App::new();
    let id = "00000000-0000-4000-8000-000000000000";
    for reply in [
        app.post(
            "/report/generate",
            None,
            &report_request(SEED_OPERATOR, "CSV", &day(2), &day(1), &[]),
        )
        .await,
        app.get(&format!("/report/generate/{id}"), None).await,
        app.get(&format!("/report/download/{id}"), None).await,
        app.post("/summary-report/revenue", None, &summary_request())
            .await,
    ] {
        reply.assert_problem(StatusCode::UNAUTHORIZED, "Missing X-Authorization");
    }
}

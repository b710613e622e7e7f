//! What every endpoint checks before its own attributes: the client code (9000), the body
//! (9003), the token (9001, 9002), the method (405) and the path (404).

use http::{Method, StatusCode};
use rstest::rstest;
use serde_json::{Value, json};

use crate::helpers::*;

#[rstest]
#[tokio::test]
async fn a_missing_client_code_is_9000(
    #[values("/api/v1/", "/api//v1/")] prefix: &str,
    #[values(
        "permits/push",
        "permits/update",
        "permits/delete",
        "permits/stats",
        "vehicles/push",
        "profiles/types/list",
        "profiles/push",
        "violations/send_overdue_to_collections"
    )]
    operation: &str,
) {
    let app = TestApp::new();
    let path = format!("{prefix}{operation}");
    let body = json!({"apiToken": FULL}).to_string();
    app.send(
        Method::POST,
        &path,
        Some("application/json"),
        body,
        operation,
    )
    .await
    .error(9000);
}

#[rstest]
#[case::no_token(json!({}))]
#[case::null_token(json!({"apiToken": null}))]
#[case::empty_token(json!({"apiToken": ""}))]
#[case::blank_token(json!({"apiToken": "   "}))]
#[case::other_names_are_not_the_token(json!({"api_token": FULL, "apitoken": FULL, "token": FULL}))]
#[tokio::test]
async fn a_missing_token_is_9001_on_every_endpoint(#[case] body: Value) {
    let app = TestApp::new();
    for operation in OPERATIONS {
        app.call("OC-TOMA", operation, body.clone())
            .await
            .error(9001);
    }
}

#[rstest]
#[case::unknown_token("OC-TOMA", json!("not-a-token"))]
#[case::token_as_a_number("OC-TOMA", json!(12345))]
#[case::token_as_an_array("OC-TOMA", json!([FULL]))]
#[case::token_in_other_case("OC-TOMA", json!(FULL.to_uppercase()))]
#[case::other_customers_token("OC-TOMA", json!(PARKCO))]
#[case::demo_token_on_parkco("PARKCO", json!(FULL))]
#[case::unknown_client_code("OC-TOMAHAWK", json!(FULL))]
#[case::client_codes_are_case_sensitive("oc-toma", json!(FULL))]
#[tokio::test]
async fn a_token_that_may_not_act_for_the_client_is_9002_on_every_endpoint(
    #[case] client: &str,
    #[case] token: Value,
) {
    let app = TestApp::new();
    for operation in OPERATIONS {
        app.call(client, operation, json!({"apiToken": token}))
            .await
            .error(9002);
    }
}

#[rstest]
#[case("permits/push")]
#[case("permits/update")]
#[case("permits/delete")]
#[case("vehicles/push")]
#[case("profiles/push")]
#[case("violations/send_overdue_to_collections")]
#[tokio::test]
async fn the_read_only_token_may_not_write(#[case] operation: &str) {
    let app = TestApp::new();
    app.call("OC_TOMA", operation, json!({"apiToken": READ_ONLY}))
        .await
        .error(9002);
}

#[tokio::test]
async fn a_token_is_trimmed_like_every_value() {
    let app = TestApp::new();
    let body = json!({"apiToken": format!("  {READ_ONLY}\t")});
    app.call("OC-TOMA", "permits/stats", body).await.ok();
}

#[rstest]
#[case::not_json(Some("application/json"), "apiToken=x")]
#[case::trailing_comma_as_in_the_seeds_example(
    Some("application/json"),
    "{ \"apiToken\": \"opscom-demo-full-access-token-0001\", }"
)]
#[case::array(Some("application/json"), "[]")]
#[case::string(Some("application/json"), "\"apiToken\"")]
#[case::null(Some("application/json"), "null")]
#[case::empty(Some("application/json"), "")]
#[case::no_content_type(None, "{\"apiToken\": \"opscom-demo-full-access-token-0001\"}")]
#[case::form_content_type(
    Some("application/x-www-form-urlencoded"),
    "{\"apiToken\": \"opscom-demo-full-access-token-0001\"}"
)]
#[case::unterminated(Some("application/json"), "{\"apiToken\": \"x\"")]
#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_9003_on_every_endpoint(
    #[case] content_type: Option<&str>,
    #[case] body: &str,
) {
    let app = TestApp::new();
    for operation in OPERATIONS {
        let path = format!("/api/OC-TOMA/v1/{operation}");
        app.send(
            Method::POST,
            &path,
            content_type,
            body.to_owned(),
            operation,
        )
        .await
        .error(9003);
    }
}

#[tokio::test]
async fn raw_bytes_that_are_not_utf8_are_9003() {
    let app = TestApp::new();
    let body: Vec<u8> = vec![b'{', 0xff, 0xfe, b'}'];
    let path = "/api/OC-TOMA/v1/permits/stats";
    app.send(
        Method::POST,
        path,
        Some("application/json"),
        body,
        "permits/stats",
    )
    .await
    .error(9003);
}

#[tokio::test]
async fn a_json_content_type_with_parameters_is_json() {
    let app = TestApp::new();
    let body = json!({"apiToken": READ_ONLY}).to_string();
    let path = "/api/OC-TOMA/v1/permits/stats";
    let reply = app
        .send(
            Method::POST,
            path,
            Some("application/json; charset=UTF-8"),
            body,
            "permits/stats",
        )
        .await;
    reply.ok();
}

#[rstest]
#[tokio::test]
async fn other_methods_are_405_with_allow_post(
    #[values(
        Method::GET,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS
    )]
    method: Method,
    #[values(
        "/api/OC-TOMA/v1/permits/stats",
        "/api/OC_TOMA/v1/violations/send_overdue_to_collections",
        "/api/v1/permits/push"
    )]
    path: &str,
) {
    let app = TestApp::new();
    let head = method == Method::HEAD;
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.service.app(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
    if !head {
        let reply = Reply::read(response, "error").await;
        assert_eq!(reply.code(), Some(9003));
    }
}

#[rstest]
#[case("/")]
#[case("/api")]
#[case("/api/OC-TOMA/v1/permits")]
#[case("/api/OC-TOMA/v1/permits/push/")]
#[case("/api/OC-TOMA/v2/permits/push")]
#[case("/api/OC-TOMA/v1/permits/list")]
#[case("/api/OC-TOMA/permits/push")]
#[case("/api/v1/permits/nope")]
#[tokio::test]
async fn unknown_paths_are_404_with_9009(#[case] path: &str) {
    let app = TestApp::new();
    let body = json!({"apiToken": FULL}).to_string();
    let reply = app
        .send(Method::POST, path, Some("application/json"), body, "none")
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.error(9009);
}

#[tokio::test]
async fn checks_come_in_order_client_body_token() {
    let app = TestApp::new();
    let send = |path: &'static str, body: &'static str| {
        app.send(
            Method::POST,
            path,
            Some("application/json"),
            body,
            "permits/stats",
        )
    };
    send("/api/v1/permits/stats", "not json").await.error(9000);
    send("/api/OC-TOMA/v1/permits/stats", "not json")
        .await
        .error(9003);
    send("/api/NOBODY/v1/permits/stats", "{}").await.error(9001);
    send(
        "/api/NOBODY/v1/permits/stats",
        "{\"apiToken\": \"opscom-demo-full-access-token-0001\"}",
    )
    .await
    .error(9002);
    let bad_attributes = "{\"apiToken\": \"opscom-demo-read-only-token-0001\", \"plate\": []}";
    send("/api/OC-TOMA/v1/permits/push", bad_attributes)
        .await
        .error(9002);
}

/// The client code is a path segment: percent-encoded characters are decoded and surrounding
/// blanks trimmed before it is looked up; a segment that does not decode to UTF-8 is 9003,
/// one that decodes to blanks only is 9000.
#[rstest]
#[case::encoded_dash("/api/OC%2DTOMA/v1/permits/stats", None)]
#[case::encoded_blanks_around("/api/%20OC-TOMA%20/v1/permits/stats", None)]
#[case::not_utf8("/api/OC%FF/v1/permits/stats", Some(9003))]
#[case::blanks_only("/api/%20%20/v1/permits/stats", Some(9000))]
#[case::another_customers_code("/api/PARKCO/v1/permits/stats", Some(9002))]
#[tokio::test]
async fn the_client_segment_is_decoded_and_trimmed(#[case] path: &str, #[case] error: Option<u16>) {
    let app = TestApp::new();
    let body = json!({"apiToken": FULL}).to_string();
    let reply = app
        .send(
            Method::POST,
            path,
            Some("application/json"),
            body,
            "permits/stats",
        )
        .await;
    match error {
        None => {
            reply.ok();
        }
        Some(code) => {
            reply.error(code);
        }
    }
}

//! What OFR answers outside its documented routes: unknown paths, wrong methods, oversized
//! bodies, all as problem+json.

use axum::body::Body;
use http::{Method, Request, StatusCode};
use parkbench_kit::ServiceOptions;
use rstest::rstest;

use crate::support::*;

#[rstest]
#[case("/")]
#[case("/auth/v2")]
#[case("/report/generate/")]
#[case("/report/download")]
#[case("/summary-report/occupancy")]
#[tokio::test]
async fn unknown_paths_are_404_problems(#[case] path: &str) {
    let app = App::new();
    app.get(path, None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "No endpoint GET");
}

#[rstest]
#[case(Method::GET, "/auth/v1", "POST")]
#[case(Method::PUT, "/report/generate", "POST")]
#[case(
    Method::DELETE,
    "/report/generate/00000000-0000-4000-8000-000000000000",
    "GET,HEAD"
)]
#[case(
    Method::POST,
    "/report/download/00000000-0000-4000-8000-000000000000",
    "GET,HEAD"
)]
#[case(Method::GET, "/summary-report/revenue", "POST")]
#[tokio::test]
async fn wrong_methods_are_405_problems_with_allow(
    #[case] method: Method,
    #[case] path: &str,
    #[case] allow: &str,
) {
    let app = App::new();
    let request = Request::builder()
        .method(method.clone())
        .uri(path)
        .header("host", HOST)
        .body(Body::empty())
        .unwrap();
    let reply = app.send(request).await;
    reply.assert_problem(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("Method {method} is not allowed"),
    );
    assert_eq!(reply.header("allow"), allow);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_problem() {
    let app = App::with_options(
        parkbench_ofr::Config::default(),
        ServiceOptions {
            body_limit: 64,
            ..Default::default()
        },
    );
    let body = format!(
        "{{\"clientId\": \"{}\", \"clientSecret\": \"x\"}}",
        "a".repeat(100)
    );
    let problem = app
        .post_raw("/auth/v1", None, body)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "larger than 64 bytes");
    assert_eq!(problem["title"], "Payload Too Large");
}

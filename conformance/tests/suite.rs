//! The suite against the in-process mocks (they must agree on every build), and the suite
//! checking itself: deliberately broken servers, each a real mock behind a wrapper that breaks
//! one thing, and each break must be caught and named.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parkbench_conformance::options::TargetSpec;
use parkbench_conformance::{ApiName, Options, Report, Selection, Suite, execute};
use parkbench_kit::{Api, Ctx, KitError, Routes};
use serde_json::{Value, json};

fn no_env(_: &str) -> Option<String> {
    None
}

/// A moderate case count keeps `cargo test --workspace` quick on two cores.
const CASES: u32 = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_suite_passes_against_the_in_process_mocks() {
    let mut options = Options::new(TargetSpec::Mock);
    options.cases = CASES;
    let report = execute(&options, &no_env, &Suite::standard())
        .await
        .unwrap();
    assert_eq!(report.exit_code(), 0, "{}", report.human());
    for api in ApiName::ALL {
        assert_eq!(report.targets[&api].kind, "mock");
        let checked: Vec<_> = report.tallies.keys().filter(|k| k.api == api).collect();
        assert!(checked.len() > 20, "{api}: {checked:?}");
    }
    let (passed, failed, skipped) = report.totals();
    assert!(
        passed > 1000 && failed == 0 && skipped == 0,
        "{passed} {failed} {skipped}"
    );
}

/// Rewrites a response given the request's method and path.
type Breaker = fn(&str, &str, Response) -> futures_util::future::BoxFuture<'static, Response>;

/// A real mock with one thing broken.
struct Broken {
    inner: Arc<dyn Api>,
    breaker: Breaker,
}

impl Api for Broken {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn port_offset(&self) -> u16 {
        self.inner.port_offset()
    }

    fn routes(&self, ctx: &Ctx) -> Routes {
        let breaker = self.breaker;
        let inner = self.inner.clone();
        let router = self
            .inner
            .routes(ctx)
            .into_router(move |error| inner.kit_error(error));
        router
            .layer(axum::middleware::from_fn(
                move |request: Request, next: Next| async move {
                    let method = request.method().to_string();
                    let path = request.uri().path().to_owned();
                    let response = next.run(request).await;
                    breaker(&method, &path, response).await
                },
            ))
            .into()
    }

    fn kit_error(&self, error: KitError) -> Response {
        self.inner.kit_error(error)
    }
}

async fn body_json(response: Response) -> (http::response::Parts, Value) {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    (parts, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn rebuild(mut parts: http::response::Parts, body: &Value) -> Response {
    let bytes = body.to_string();
    parts
        .headers
        .insert(http::header::CONTENT_LENGTH, bytes.len().into());
    Response::from_parts(parts, Body::from(bytes))
}

/// Runs the selected checks against `api`'s mock broken by `breaker`.
async fn run_broken(api: ApiName, breaker: Breaker, selection: Selection) -> Report {
    let settings = parkbench_mocks::Settings {
        only: vec![api],
        ..parkbench_mocks::Settings::default()
    };
    let inner = parkbench_mocks::apis(&settings).unwrap().remove(0);
    let broken: Arc<dyn Api> = Arc::new(Broken { inner, breaker });
    let running =
        parkbench_kit::server::start(vec![broken], &parkbench_kit::ServeOptions::default())
            .await
            .unwrap();
    let mut options = Options::new(TargetSpec::Urls(BTreeMap::from([(
        api,
        running.url(api.as_str()).unwrap(),
    )])));
    options.fixture_credentials = true;
    options.cases = 8;
    options.selection = selection;
    let report = execute(&options, &no_env, &Suite::standard())
        .await
        .unwrap();
    assert_eq!(report.targets[&api].kind, "parkbench-mock");
    drop(running);
    report
}

fn flows(flows: &[&str]) -> Selection {
    Selection {
        flows: flows.iter().map(|f| (*f).to_owned()).collect(),
        ..Selection::default()
    }
}

/// The report names the break: a failure of `check` on `operation`.
fn assert_caught(report: &Report, operation: &str, check: &str) {
    assert_eq!(report.exit_code(), 1, "{}", report.human());
    let caught = report
        .failures()
        .any(|f| f.operation == operation && f.check == check);
    assert!(
        caught,
        "expected a `{check}` failure on {operation}:\n{}",
        report.human()
    );
    let failure = report
        .failures()
        .find(|f| f.operation == operation && f.check == check)
        .unwrap();
    assert!(!failure.expectation.is_empty() && !failure.actual.is_empty());
    assert!(
        failure
            .curl
            .as_deref()
            .is_some_and(|c| c.starts_with("curl ")),
        "{failure:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_required_field_is_caught_by_the_schema_check() {
    fn drop_internal_reference(
        _: &str,
        path: &str,
        response: Response,
    ) -> futures_util::future::BoxFuture<'static, Response> {
        let push = path.ends_with("/permits/push");
        Box::pin(async move {
            if !push {
                return response;
            }
            let (parts, mut body) = body_json(response).await;
            if let Some(o) = body.as_object_mut() {
                o.remove("InternalReferenceID");
            }
            rebuild(parts, &body)
        })
    }
    let report = run_broken(ApiName::Opscom, drop_internal_reference, flows(&["valid"])).await;
    assert_caught(&report, "permits/push", "schema");
    let failure = report.failures().find(|f| f.check == "schema").unwrap();
    assert!(
        failure.actual.contains("InternalReferenceID"),
        "{}",
        failure.actual
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_content_type_is_caught() {
    fn text_plain(
        _: &str,
        path: &str,
        mut response: Response,
    ) -> futures_util::future::BoxFuture<'static, Response> {
        if path.ends_with("/permits/stats") {
            response
                .headers_mut()
                .insert(http::header::CONTENT_TYPE, "text/plain".parse().unwrap());
        }
        Box::pin(async move { response })
    }
    let report = run_broken(ApiName::Opscom, text_plain, flows(&["read", "negative"])).await;
    assert_caught(&report, "permits/stats", "content-type");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_error_code_is_caught_and_shrunk() {
    fn wrong_code(
        _: &str,
        _: &str,
        response: Response,
    ) -> futures_util::future::BoxFuture<'static, Response> {
        Box::pin(async move {
            let (parts, mut body) = body_json(response).await;
            if body["ErrorCode"] == 9009 {
                body["ErrorCode"] = json!(9003);
            }
            rebuild(parts, &body)
        })
    }
    let report = run_broken(ApiName::Opscom, wrong_code, flows(&["negative"])).await;
    assert_caught(&report, "permits/update", "error-code");
    let failure = report.failures().find(|f| f.check == "error-code").unwrap();
    assert!(
        failure.expectation.contains("9009") && failure.actual.contains("9003"),
        "{failure:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_where_a_404_is_documented_is_caught() {
    fn found(
        _: &str,
        path: &str,
        mut response: Response,
    ) -> futures_util::future::BoxFuture<'static, Response> {
        if path.starts_with("/report/generate/") && response.status() == http::StatusCode::NOT_FOUND
        {
            *response.status_mut() = http::StatusCode::OK;
        }
        Box::pin(async move { response })
    }
    let report = run_broken(ApiName::Ofr, found, flows(&["negative"])).await;
    assert_caught(&report, "report/status", "error");
    let failure = report
        .failures()
        .find(|f| f.operation == "report/status" && f.check == "error")
        .unwrap();
    assert!(failure.expectation.contains("404"), "{failure:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_without_retry_after_is_caught() {
    fn no_retry_after(
        _: &str,
        _: &str,
        mut response: Response,
    ) -> futures_util::future::BoxFuture<'static, Response> {
        response.headers_mut().remove(http::header::RETRY_AFTER);
        Box::pin(async move { response })
    }
    let report = run_broken(ApiName::Ofr, no_retry_after, flows(&["control"])).await;
    assert_caught(&report, "report/status", "retry-after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_never_completes_is_caught() {
    fn never(
        _: &str,
        path: &str,
        response: Response,
    ) -> futures_util::future::BoxFuture<'static, Response> {
        let status = path.starts_with("/report/generate/");
        let path = path.to_owned();
        Box::pin(async move {
            if !status || response.status() != http::StatusCode::SEE_OTHER {
                return response;
            }
            let href = format!("http://localhost{path}");
            let body = json!({
                "message": "Your report is being generated. Check for the report status after 3 seconds.",
                "retryAfter": 3,
                "_links": {"self": {"href": href}}
            });
            (
                http::StatusCode::OK,
                [
                    (http::header::CONTENT_TYPE, "application/hal+json"),
                    (http::header::RETRY_AFTER, "3"),
                ],
                body.to_string(),
            )
                .into_response()
        })
    }
    let report = run_broken(ApiName::Ofr, never, flows(&["report"])).await;
    assert_caught(&report, "report/status", "report-outcome");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_report_passed_off_as_done_is_caught() {
    // The failing report's problem answer is replaced by a 303 to a download that does not exist.
    fn hide_failure(
        _: &str,
        path: &str,
        response: Response,
    ) -> futures_util::future::BoxFuture<'static, Response> {
        let status = path.starts_with("/report/generate/");
        let path = path.to_owned();
        Box::pin(async move {
            let problem = response
                .headers()
                .get(http::header::CONTENT_TYPE)
                .is_some_and(|ct| ct.as_bytes().starts_with(b"application/problem+json"));
            if status && response.status() == http::StatusCode::OK && problem {
                let download = path.replace("/report/generate/", "/report/download/");
                return (
                    http::StatusCode::SEE_OTHER,
                    [(http::header::LOCATION, download)],
                )
                    .into_response();
            }
            response
        })
    }
    let report = run_broken(ApiName::Ofr, hide_failure, flows(&["failure"])).await;
    assert_caught(&report, "report/status", "failure-outcome");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_amount_in_the_payment_loop_is_caught() {
    fn overcharge(
        method: &str,
        path: &str,
        response: Response,
    ) -> futures_util::future::BoxFuture<'static, Response> {
        let finalize = method == "PUT" && path.ends_with("/finalize");
        Box::pin(async move {
            if !finalize || response.status() != http::StatusCode::CREATED {
                return response;
            }
            let (parts, mut body) = body_json(response).await;
            body["amount"] = json!("0.50");
            rebuild(parts, &body)
        })
    }
    let report = run_broken(ApiName::Parkingplus, overcharge, flows(&["payment"])).await;
    assert_caught(&report, "parking_sessions/finalize", "model");
}

/// The environment a sandbox run would have, with the mocks' fixture values.
fn fixture_env(name: &str) -> Option<String> {
    Some(
        match name {
            "PARKBENCH_OFR_CLIENT_ID" => "ofr-test-client",
            "PARKBENCH_OFR_CLIENT_SECRET" => "ofr-test-secret",
            "PARKBENCH_OFR_OPERATOR_ID" => "60879",
            "PARKBENCH_OPSCOM_API_TOKEN" => "opscom-demo-full-access-token-0001",
            "PARKBENCH_OPSCOM_CLIENT_CODE" => "OC-TOMA",
            "PARKBENCH_PARKINGPLUS_CLIENT_APP_ID" => "pp-test-app",
            "PARKBENCH_PARKINGPLUS_CLIENT_SECRET" => "pp-test-secret",
            "PARKBENCH_PARKINGPLUS_USERNAME" => "driver@parkingplus.test",
            "PARKBENCH_PARKINGPLUS_PASSWORD" => "driver-password",
            _ => return None,
        }
        .to_owned(),
    )
}

/// Serves a mock with its control API hidden, so the suite takes it for a real deployment.
async fn disguised(api: ApiName) -> (String, tokio::task::JoinHandle<()>) {
    let settings = parkbench_mocks::Settings {
        only: vec![api],
        // No limit: a sandbox run is paced in real time, which a test cannot wait for.
        ofr: parkbench_mocks::ofr::Config {
            rate_limit: None,
            // Real seconds here: the disguised mock's clock cannot be moved.
            report_delay_secs: 1,
            ..parkbench_mocks::ofr::Config::default()
        },
        ..parkbench_mocks::Settings::default()
    };
    let inner = parkbench_mocks::apis(&settings).unwrap().remove(0);
    let service = parkbench_kit::Service::new(inner, &parkbench_kit::ServiceOptions::default());
    let app = service.app();
    let router = Router::new()
        .route(
            "/__admin/{*rest}",
            axum::routing::any(|| async { http::StatusCode::NOT_FOUND }),
        )
        .fallback_service(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_run_sends_the_planned_fixed_cases_and_they_pass_on_the_mocks() {
    for (api, writes) in [
        (ApiName::Ofr, false),
        (ApiName::Opscom, false),
        (ApiName::Opscom, true),
        (ApiName::Parkingplus, false),
        (ApiName::Parkingplus, true),
    ] {
        let (url, task) = disguised(api).await;
        let mut options = Options::new(TargetSpec::Urls(BTreeMap::from([(api, url)])));
        options.pace = BTreeMap::new();
        options.allow_writes = writes;
        options.allow_destructive = writes;
        let suite = Suite::standard();
        let plan = parkbench_conformance::plan(&options, &suite).unwrap();
        let report = execute(&options, &fixture_env, &suite).await.unwrap();
        task.abort();
        assert_eq!(report.targets[&api].kind, "real");
        assert_eq!(
            report.exit_code(),
            0,
            "{api} writes={writes}: {}",
            report.human()
        );
        let sent = report.requests[&api];
        let planned = plan.apis[&api].requests;
        // Exact but for OFR's polls (planned at one "being generated" answer per report) and
        // HAL links resolved once per operation.
        let slack = if api == ApiName::Ofr { 8 } else { 2 };
        assert!(
            sent <= planned + slack && planned <= sent + slack,
            "{api} writes={writes}: planned {planned}, sent {sent}"
        );
        if !writes && api != ApiName::Ofr {
            assert!(
                report.human().contains("needs --allow-writes"),
                "{}",
                report.human()
            );
        }
    }
}

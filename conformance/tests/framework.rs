//! The framework against tiny servers started on 127.0.0.1:0: budgets and pacing (virtual and
//! real), Retry-After, caps, credentials, redaction, generic checks, shrinking, outputs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use parkbench_conformance::checks::{JSON, PROBLEM, ResponseSpec};
use parkbench_conformance::client::Request;
use parkbench_conformance::options::TargetSpec;
use parkbench_conformance::run::{ApiRun, Stop};
use parkbench_conformance::{
    ApiName, ConfigError, Needs, Options, PlanCtx, Scenario, ScenarioFuture, Suite, execute,
    no_waits, plan,
};
use parkbench_kit::rate_limit::Quota;
use serde_json::{Value, json};

/// A tiny server: `/__admin/health` answering as the mock of `api` (when `mock`), a virtual
/// clock moved by `POST /__admin/clock`, and the routes given.
#[derive(Clone, Default)]
struct World {
    hits: Arc<AtomicU32>,
    advanced: Arc<Mutex<f64>>,
    /// Virtual-clock instants of admitted requests, for a 3-per-60-s limiter.
    window: Arc<Mutex<Vec<f64>>>,
    started: Arc<Mutex<Option<std::time::Instant>>>,
}

impl World {
    fn now(&self) -> f64 {
        let start = *self
            .started
            .lock()
            .unwrap()
            .get_or_insert_with(std::time::Instant::now);
        start.elapsed().as_secs_f64() + *self.advanced.lock().unwrap()
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn admin(api: &'static str, world: World) -> Router {
    Router::new()
        .route(
            "/__admin/health",
            get(move || async move {
                (
                    [("x-parkbench-service", api)],
                    axum::Json(json!({"status": "ok"})),
                )
            }),
        )
        .route(
            "/__admin/clock",
            post(
                |State(w): State<World>, axum::Json(body): axum::Json<Value>| async move {
                    *w.advanced.lock().unwrap() += body["advance_seconds"].as_f64().unwrap_or(0.0);
                    axum::Json(json!({"now": "2026-01-01T00:00:00Z"}))
                },
            ),
        )
        .route(
            "/__admin/faults",
            axum::routing::delete(|| async { axum::Json(json!({})) }),
        )
        .with_state(world)
}

fn json_ok(value: Value) -> Response {
    (StatusCode::OK, axum::Json(value)).into_response()
}

const SPECS: &[ResponseSpec] = &[
    ResponseSpec::new("ping", &[200], &[JSON]).schema("ping"),
    ResponseSpec::new("ping", &[429], &[PROBLEM]),
    ResponseSpec::new("item", &[200], &[JSON]),
    ResponseSpec::new("item", &[404], &[PROBLEM]),
];

fn specs(_: ApiName) -> &'static [ResponseSpec] {
    SPECS
}

fn schemas_dir() -> std::path::PathBuf {
    static DIR: std::sync::LazyLock<std::path::PathBuf> = std::sync::LazyLock::new(write_schemas);
    DIR.clone()
}

/// One tiny schema per API folder, written once per test process.
fn write_schemas() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("parkbench-conformance-test-{}", std::process::id()));
    for api in ["ofr", "opscom", "parkingplus"] {
        std::fs::create_dir_all(dir.join(api)).unwrap();
        std::fs::write(
            dir.join(api).join("ping.json"),
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["pong"],
                "properties": {"pong": {"type": "integer"}}
            })
            .to_string(),
        )
        .unwrap();
    }
    dir
}

fn scenario(
    api: ApiName,
    name: &'static str,
    run: for<'a> fn(&'a ApiRun) -> ScenarioFuture<'a>,
    requests: fn(&PlanCtx) -> u32,
) -> Scenario {
    Scenario {
        api,
        name,
        flow: "test",
        operations: &["ping", "item"],
        checks: &["model"],
        needs: Needs::READ,
        requests,
        waits_secs: no_waits,
        run,
    }
}

fn suite(scenarios: Vec<Scenario>) -> Suite {
    Suite { scenarios, specs }
}

fn options(api: ApiName, url: &str) -> Options {
    let mut options = Options::new(TargetSpec::Urls(BTreeMap::from([(api, url.to_owned())])));
    options.schemas = Some(schemas_dir());
    options.fixture_credentials = true;
    options.pace = BTreeMap::new();
    options
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn ten(_: &PlanCtx) -> u32 {
    10
}

fn ping_ten(run: &ApiRun) -> ScenarioFuture<'_> {
    Box::pin(async move {
        for _ in 0..10 {
            let ex = run.send(Request::get("ping", run.url("/ping"))).await?;
            run.check("ping", "model", ex.status == 200, "200", &ex);
        }
        Ok(())
    })
}

/// A limiter of 3 requests per 60 s on the virtual clock; 429 with Retry-After beyond.
fn limited(world: World) -> Router {
    Router::new()
        .route(
            "/ping",
            get(|State(w): State<World>| async move {
                w.hits.fetch_add(1, Ordering::SeqCst);
                let now = w.now();
                let mut window = w.window.lock().unwrap();
                window.retain(|t| t + 60.0 > now);
                if window.len() >= 3 {
                    let retry = (window[0] + 60.0 - now).ceil();
                    return (
                        StatusCode::TOO_MANY_REQUESTS,
                        [
                            ("content-type", PROBLEM),
                            ("retry-after", &retry.to_string()),
                        ],
                        json!({"status": 429, "title": "slow down"}).to_string(),
                    )
                        .into_response();
                }
                window.push(now);
                json_ok(json!({"pong": 1}))
            }),
        )
        .with_state(world.clone())
        .merge(admin("ofr", world))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_a_mock_the_pace_moves_the_virtual_clock_and_no_429_is_hit() {
    let world = World::default();
    let url = serve(limited(world.clone())).await;
    let mut options = options(ApiName::Ofr, &url);
    options.pace = BTreeMap::from([(
        ApiName::Ofr,
        Some(Quota {
            limit: 3,
            window_secs: 60,
        }),
    )]);
    let started = std::time::Instant::now();
    let report = execute(
        &options,
        &no_env,
        &suite(vec![scenario(ApiName::Ofr, "ping", ping_ten, ten)]),
    )
    .await
    .unwrap();
    assert!(
        started.elapsed().as_secs() < 10,
        "virtual waits take no wall time"
    );
    assert_eq!(report.exit_code(), 0, "{}", report.human());
    assert_eq!(
        world.hits.load(Ordering::SeqCst),
        10,
        "no request was refused and retried"
    );
    assert!(
        *world.advanced.lock().unwrap() >= 180.0,
        "three full windows were waited"
    );
    assert_eq!(
        report.requests[&ApiName::Ofr],
        11,
        "ten pings and the health probe"
    );
    assert_eq!(report.targets[&ApiName::Ofr].kind, "parkbench-mock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_honoured_by_waiting_its_retry_after_and_counts_against_the_budget() {
    let world = World::default();
    let url = serve(limited(world.clone())).await;
    // No pace of our own: the server's limit is hit, and each 429 is waited out in full.
    let options = options(ApiName::Ofr, &url);
    let report = execute(
        &options,
        &no_env,
        &suite(vec![scenario(ApiName::Ofr, "ping", ping_ten, ten)]),
    )
    .await
    .unwrap();
    assert_eq!(report.exit_code(), 0, "{}", report.human());
    let hits = world.hits.load(Ordering::SeqCst);
    assert!(hits > 10, "429s were answered and retried: {hits}");
    assert_eq!(report.requests[&ApiName::Ofr], hits + 1);
    assert!(
        report.waited_secs[&ApiName::Ofr] >= 150.0,
        "{:?}",
        report.waited_secs
    );
    let retry = report
        .tallies
        .iter()
        .find(|(k, _)| k.check == "retry-after")
        .map(|(_, t)| t.passed)
        .unwrap();
    assert_eq!(u32::try_from(retry).unwrap(), hits - 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_without_retry_after_is_named() {
    let world = World::default();
    let hits = world.hits.clone();
    let router = Router::new()
        .route(
            "/ping",
            get(move || {
                let hits = hits.clone();
                async move {
                    if hits.fetch_add(1, Ordering::SeqCst) == 0 {
                        (
                            StatusCode::TOO_MANY_REQUESTS,
                            [("content-type", PROBLEM)],
                            r#"{"status":429}"#,
                        )
                            .into_response()
                    } else {
                        json_ok(json!({"pong": 1}))
                    }
                }
            }),
        )
        .merge(admin("ofr", world.clone()));
    let url = serve(router).await;
    let mut options = options(ApiName::Ofr, &url);
    options.pace = BTreeMap::from([(
        ApiName::Ofr,
        Some(Quota {
            limit: 30,
            window_secs: 600,
        }),
    )]);
    let report = execute(
        &options,
        &no_env,
        &suite(vec![scenario(ApiName::Ofr, "ping", ping_ten, ten)]),
    )
    .await
    .unwrap();
    assert_eq!(report.exit_code(), 1);
    let failure = report.failures().next().unwrap();
    assert_eq!(
        (failure.operation.as_str(), failure.check.as_str()),
        ("ping", "retry-after")
    );
    assert!(
        failure
            .curl
            .as_deref()
            .unwrap()
            .starts_with("curl -sS -i -X GET")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cap_stops_the_run_with_exit_code_3_and_the_plan_refuses_to_start() {
    let world = World::default();
    let url = serve(limited(world.clone())).await;
    let mut options = options(ApiName::Ofr, &url);
    options.max_requests = Some(11);
    let suite = suite(vec![scenario(ApiName::Ofr, "ping", ping_ten, |_| 5)]);
    // The plan (5 + the probe) fits the cap, the run does not: the cap is hard.
    let report = execute(&options, &no_env, &suite).await.unwrap();
    assert_eq!(report.exit_code(), 3, "{}", report.human());
    assert!(report.incomplete[&ApiName::Ofr].contains("cap of 11"));
    assert!(report.human().contains("INCOMPLETE"));
    assert_eq!(report.requests[&ApiName::Ofr], 11);

    options.max_requests = Some(3);
    let hits_before = world.hits.load(Ordering::SeqCst);
    let err = execute(&options, &no_env, &suite).await.unwrap_err();
    assert!(matches!(err, ConfigError::OverCap(_)), "{err}");
    assert_eq!(
        world.hits.load(Ordering::SeqCst),
        hits_before,
        "nothing was sent"
    );
    let plan = plan(&options, &suite).unwrap();
    assert_eq!(plan.apis[&ApiName::Ofr].requests, 6);
    assert!(plan.human(&options).contains("OVER the cap of 3"));
}

#[test]
fn the_plan_counts_pacing_time() {
    let mut options = Options::new(TargetSpec::Urls(BTreeMap::from([(
        ApiName::Ofr,
        "https://sandbox.test".into(),
    )])));
    options.schemas = Some(schemas_dir());
    let suite = suite(vec![scenario(ApiName::Ofr, "ping", ping_ten, |_| 60)]);
    let plan = plan(&options, &suite).unwrap();
    let ofr = &plan.apis[&ApiName::Ofr];
    assert_eq!((ofr.requests, ofr.pacing_secs), (61, 1200.0));
    assert!(
        plan.human(&options).contains("20.0 min of pacing"),
        "{}",
        plan.human(&options)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_stop_the_run_before_any_request() {
    let world = World::default();
    let url = serve(limited(world.clone())).await;
    let mut options = options(ApiName::Opscom, &url);
    options.fixture_credentials = false;
    let err = execute(
        &options,
        &no_env,
        &suite(vec![scenario(ApiName::Opscom, "ping", ping_ten, ten)]),
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("PARKBENCH_OPSCOM_API_TOKEN")
            && text.contains("PARKBENCH_OPSCOM_CLIENT_CODE"),
        "{text}"
    );
    assert_eq!(world.hits.load(Ordering::SeqCst), 0);
}

fn echo_token(run: &ApiRun) -> ScenarioFuture<'_> {
    Box::pin(async move {
        let token = match &run.creds {
            parkbench_conformance::creds::Credentials::Opscom(o) => o.api_token.clone(),
            _ => unreachable!(),
        };
        let ex = run
            .send(Request::post("item", run.url("/echo")).json(json!({"apiToken": token})))
            .await?;
        run.check(
            "item",
            "model",
            false,
            "a failure that shows the request",
            &ex,
        );
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_from_the_environment_never_appear_in_any_output() {
    let router = Router::new().route(
        "/echo",
        post(|body: String| async move { (StatusCode::OK, [("content-type", JSON)], body) }),
    );
    let url = serve(router).await;
    let mut options = options(ApiName::Opscom, &url);
    options.fixture_credentials = false;
    let env = |name: &str| match name {
        "PARKBENCH_OPSCOM_API_TOKEN" => Some("super-secret-token-value".to_owned()),
        "PARKBENCH_OPSCOM_CLIENT_CODE" => Some("ACME-CODE".to_owned()),
        _ => None,
    };
    let report = execute(
        &options,
        &env,
        &suite(vec![scenario(ApiName::Opscom, "echo", echo_token, |_| 1)]),
    )
    .await
    .unwrap();
    assert_eq!(report.targets[&ApiName::Opscom].kind, "real");
    let outputs = [
        report.human(),
        report.junit().unwrap(),
        report.json().to_string(),
    ];
    for output in &outputs {
        assert!(!output.contains("super-secret-token-value"), "{output}");
        assert!(output.contains("PARKBENCH_OPSCOM_API_TOKEN"), "{output}");
    }
    let curl = report.failures().next().unwrap().curl.clone().unwrap();
    assert!(
        curl.contains(r#"'"$PARKBENCH_OPSCOM_API_TOKEN"'"#),
        "{curl}"
    );
}

fn generic(run: &ApiRun) -> ScenarioFuture<'_> {
    Box::pin(async move {
        for path in ["/good", "/bad-schema", "/bad-type", "/bad-problem", "/boom"] {
            let op = if path == "/bad-problem" {
                "item"
            } else {
                "ping"
            };
            run.send(Request::get(op, run.url(path))).await?;
        }
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_checks_name_each_break() {
    let router = Router::new()
        .route("/good", get(|| async { json_ok(json!({"pong": 1})) }))
        .route(
            "/bad-schema",
            get(|| async { json_ok(json!({"pong": "one"})) }),
        )
        .route(
            "/bad-type",
            get(|| async {
                (
                    StatusCode::OK,
                    [("content-type", "text/plain")],
                    r#"{"pong":1}"#,
                )
            }),
        )
        .route(
            "/bad-problem",
            get(|| async {
                (
                    StatusCode::NOT_FOUND,
                    [("content-type", PROBLEM)],
                    r#"{"status":400}"#,
                )
            }),
        )
        .route("/boom", get(|| async { StatusCode::BAD_GATEWAY }));
    let url = serve(router).await;
    let report = execute(
        &options(ApiName::Parkingplus, &url),
        &no_env,
        &suite(vec![scenario(
            ApiName::Parkingplus,
            "generic",
            generic,
            |_| 5,
        )]),
    )
    .await
    .unwrap();
    let failed: Vec<(String, String)> = report
        .tallies
        .iter()
        .filter(|(_, t)| t.failed > 0)
        .map(|(k, _)| (k.operation.clone(), k.check.clone()))
        .collect();
    let expected: Vec<(String, String)> = [
        ("item", "problem"),
        ("ping", "content-type"),
        ("ping", "no-5xx"),
        ("ping", "schema"),
        ("ping", "status"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(failed, expected, "{}", report.human());
    let schema = report.failures().find(|f| f.check == "schema").unwrap();
    assert!(schema.actual.contains("pong"), "{}", schema.actual);
    assert!(report.human().contains("✗"));
}

fn shrinking(run: &ApiRun) -> ScenarioFuture<'_> {
    Box::pin(async move {
        parkbench_conformance::props::property(
            run,
            "numbers",
            0u32..1000,
            vec![1],
            |n: u32| async move {
                let ex = run
                    .send(Request::get("item", run.url(&format!("/item/{n}"))))
                    .await?;
                run.check("item", "model", ex.status == 200, "every item exists", &ex);
                Ok::<(), Stop>(())
            },
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_property_failure_is_shrunk_to_its_minimal_case_and_reported_once() {
    let router = Router::new()
        .route(
            "/item/{n}",
            get(
                |axum::extract::Path(n): axum::extract::Path<u32>| async move {
                    if n >= 17 {
                        (
                            StatusCode::NOT_FOUND,
                            [("content-type", PROBLEM)],
                            r#"{"status":404}"#,
                        )
                            .into_response()
                    } else {
                        json_ok(json!({"n": n}))
                    }
                },
            ),
        )
        .merge(admin("opscom", World::default()));
    let url = serve(router).await;
    let mut options = options(ApiName::Opscom, &url);
    options.cases = 64;
    options.seed = 42;
    let report = execute(
        &options,
        &no_env,
        &suite(vec![scenario(ApiName::Opscom, "shrink", shrinking, |_| 65)]),
    )
    .await
    .unwrap();
    let model = report
        .tallies
        .iter()
        .find(|(k, _)| k.check == "model")
        .unwrap()
        .1;
    assert_eq!(model.failed, 1, "one minimal failure: {}", report.human());
    let failure = &model.failures[0];
    assert_eq!(failure.case.as_deref(), Some("numbers: 17"));
    assert!(failure.curl.as_deref().unwrap().contains("/item/17'"));
    assert_eq!(failure.seed, 42);
    assert!(model.passed > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_a_real_target_only_the_fixed_cases_are_sent() {
    let world = World::default();
    let hits = world.hits.clone();
    let router = Router::new().route(
        "/item/{n}",
        get(move || {
            let hits = hits.clone();
            async move {
                hits.fetch_add(1, Ordering::SeqCst);
                json_ok(json!({}))
            }
        }),
    );
    let url = serve(router).await;
    let report = execute(
        &options(ApiName::Opscom, &url),
        &no_env,
        &suite(vec![scenario(ApiName::Opscom, "shrink", shrinking, |_| 1)]),
    )
    .await
    .unwrap();
    assert_eq!(report.targets[&ApiName::Opscom].kind, "real");
    assert_eq!(world.hits.load(Ordering::SeqCst), 1);
    assert_eq!(report.exit_code(), 0);
}

fn writer(run: &ApiRun) -> ScenarioFuture<'_> {
    Box::pin(async move {
        run.send(Request::get("ping", run.url("/ping"))).await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_skipped_on_a_real_target_without_allow_writes() {
    let router = Router::new().route("/ping", get(|| async { json_ok(json!({"pong": 1})) }));
    let url = serve(router).await;
    let mut write = scenario(ApiName::Opscom, "writer", writer, |_| 1);
    write.needs = Needs::WRITE;
    let mut control = scenario(ApiName::Opscom, "control", writer, |_| 1);
    control.needs = Needs::CONTROL;
    control.checks = &["clock"];
    let suite = suite(vec![write, control]);
    let mut options = options(ApiName::Opscom, &url);
    let report = execute(&options, &no_env, &suite).await.unwrap();
    let human = report.human();
    assert!(human.contains("needs --allow-writes"), "{human}");
    assert!(human.contains("needs the control API"), "{human}");
    assert_eq!(
        report.requests[&ApiName::Opscom],
        1,
        "only the health probe"
    );
    options.allow_writes = true;
    let report = execute(&options, &no_env, &suite).await.unwrap();
    assert_eq!(report.requests[&ApiName::Opscom], 2);
}

#[test]
fn unknown_selections_are_usage_errors() {
    let suite = suite(vec![scenario(ApiName::Opscom, "ping", ping_ten, ten)]);
    let mut options = options(ApiName::Opscom, "http://127.0.0.1:9");
    options.selection.checks = vec!["nonsense".into()];
    let err = plan(&options, &suite).unwrap_err();
    assert!(
        err.to_string().contains("unknown check `nonsense`"),
        "{err}"
    );
    options.selection.checks = vec!["SCHEMA".into()];
    options.selection.flows = vec!["nope".into()];
    assert!(
        plan(&options, &suite)
            .unwrap_err()
            .to_string()
            .contains("unknown flow")
    );
    options.selection.flows.clear();
    options.allow_destructive = true;
    assert!(
        plan(&options, &suite)
            .unwrap_err()
            .to_string()
            .contains("--allow-writes")
    );
}

#[test]
fn main_plans_without_sending_and_refuses_a_plan_over_the_cap() {
    let mut options = Options::new(TargetSpec::Urls(BTreeMap::from([(
        ApiName::Ofr,
        "http://127.0.0.1:9".into(),
    )])));
    options.schemas = Some(schemas_dir());
    options.progress = false;
    let plan_only = parkbench_conformance::Outputs {
        plan_only: true,
        ..parkbench_conformance::Outputs::default()
    };
    assert_eq!(
        parkbench_conformance::main(options.clone(), plan_only.clone()),
        0
    );
    options.max_requests = Some(3);
    assert_eq!(parkbench_conformance::main(options.clone(), plan_only), 2);
    // A run over the cap refuses to start: exit code 2, nothing sent (port 9 is not listening).
    assert_eq!(
        parkbench_conformance::main(options, parkbench_conformance::Outputs::default()),
        2
    );
}

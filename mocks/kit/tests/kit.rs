//! The kit's behaviour as a client sees it, through a small demo API: the control API,
//! journal, faults, clock, reset, panic recovery, body limit, request ids and listeners.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use parkbench_kit::{Api, ClockStart, Ctx, FaultFlag, KitError, Routes, Service, ServiceOptions};
use rand::RngExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A tiny API: a counter (state), a number drawn at build time (seeded RNG), the clock, an
/// echo, a panic and a flag reader.
struct Demo;

#[derive(Clone)]
struct DemoState {
    hits: Arc<AtomicU64>,
    drawn: u64,
    ctx: Ctx,
    notes: Arc<Mutex<Vec<String>>>,
}

impl Api for Demo {
    fn name(&self) -> &'static str {
        "demo"
    }

    fn port_offset(&self) -> u16 {
        7
    }

    fn routes(&self, ctx: &Ctx) -> Routes {
        let state = DemoState {
            hits: Arc::default(),
            drawn: ctx.rng().random(),
            ctx: ctx.clone(),
            notes: Arc::default(),
        };
        Router::new()
            .route("/hits", post(hit))
            .route(
                "/drawn",
                get(|State(s): State<DemoState>| async move { Json(json!({ "drawn": s.drawn })) }),
            )
            .route(
                "/now",
                get(|State(s): State<DemoState>| async move {
                    Json(json!({ "now": s.ctx.clock().now() }))
                }),
            )
            .route("/echo", post(|body: Bytes| async move { body }))
            .route("/big", get(|| async { big_answer() }))
            .route("/panic", get(|| async { panic_now() }))
            .route(
                "/flag",
                get(|flag: Option<Extension<FaultFlag>>| async move {
                    Json(json!({ "flag": flag.map(|Extension(FaultFlag(name))| name) }))
                }),
            )
            .route("/notes", post(note))
            .fallback(|| async {
                (
                    StatusCode::NOT_FOUND,
                    Json(json!({ "demo_error": "not found" })),
                )
            })
            .with_state(state)
            .into()
    }

    fn kit_error(&self, error: KitError) -> Response {
        let status = match error {
            KitError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            KitError::BodyUnreadable => StatusCode::BAD_REQUEST,
            KitError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({ "demo_error": error.to_string() }))).into_response()
    }
}

/// Larger than hyper's write buffer, so an answer goes out in many writes.
fn big_answer() -> Vec<u8> {
    (0..3 * 1024 * 1024)
        .map(|i| b'a' + (i % 26) as u8)
        .collect()
}

fn panic_now() -> &'static str {
    panic!("handler bug")
}

async fn hit(State(s): State<DemoState>) -> Json<Value> {
    Json(json!({ "hits": s.hits.fetch_add(1, Ordering::SeqCst) + 1 }))
}

async fn note(State(s): State<DemoState>, body: String) -> Json<Value> {
    let mut notes = s.notes.lock().unwrap();
    notes.push(body);
    Json(json!({ "notes": notes.len() }))
}

fn t0() -> chrono::DateTime<chrono::Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn options() -> ServiceOptions {
    ServiceOptions {
        clock: ClockStart::Frozen(t0()),
        seed: 42,
        journal_capacity: 5,
        journal_body_cap: 8,
        body_limit: 64,
    }
}

fn demo() -> Service {
    Service::new(Arc::new(Demo), &options())
}

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Value,
}

async fn send(service: &Service, method: &str, uri: &str, body: impl Into<Body>) -> Answer {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap();
    let response = service.app().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Answer {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn health_answers_ok_and_names_the_service() {
    let answer = send(&demo(), "GET", "/__admin/health", Body::empty()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!({ "status": "ok" }));
    assert_eq!(answer.headers["x-parkbench-service"], "demo");
}

#[tokio::test]
async fn the_journal_keeps_the_newest_api_requests_with_capped_bodies() {
    let service = demo();
    send(&service, "POST", "/echo?x=1", "0123456789abcdef").await;
    send(&service, "GET", "/__admin/health", Body::empty()).await;
    let journal = send(&service, "GET", "/__admin/requests", Body::empty())
        .await
        .body;
    let requests = journal["requests"].as_array().unwrap();
    assert_eq!(
        requests.len(),
        1,
        "control requests are not journaled: {journal}"
    );
    let entry = &requests[0];
    assert_eq!(entry["method"], "POST");
    assert_eq!(entry["path"], "/echo");
    assert_eq!(entry["query"], "x=1");
    assert_eq!(entry["status"], 200);
    assert_eq!(entry["body"], "01234567");
    assert_eq!(entry["body_truncated"], true);
    assert_eq!(entry["time"], "2026-03-01T12:00:00Z");
    assert_eq!(entry["request_id"], "demo-00000001");

    for i in 0..10 {
        send(&service, "POST", &format!("/echo?i={i}"), "x").await;
    }
    let journal = send(&service, "GET", "/__admin/requests", Body::empty())
        .await
        .body;
    let queries: Vec<_> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["query"].clone())
        .collect();
    assert_eq!(
        queries,
        ["i=5", "i=6", "i=7", "i=8", "i=9"],
        "a ring of capacity 5"
    );
    assert_eq!(journal["capacity"], 5);

    send(&service, "DELETE", "/__admin/requests", Body::empty()).await;
    let journal = send(&service, "GET", "/__admin/requests", Body::empty())
        .await
        .body;
    assert_eq!(journal["requests"], json!([]));
}

#[tokio::test]
async fn the_clock_moves_by_the_control_api_and_dates_every_answer() {
    let service = demo();
    let answer = send(&service, "GET", "/__admin/clock", Body::empty()).await;
    assert_eq!(
        answer.body,
        json!({ "now": "2026-03-01T12:00:00Z", "frozen": true })
    );
    let moved = send(
        &service,
        "POST",
        "/__admin/clock",
        r#"{"advance_seconds": 90}"#,
    )
    .await;
    assert_eq!(moved.body["now"], "2026-03-01T12:01:30Z");
    let api = send(&service, "GET", "/now", Body::empty()).await;
    assert_eq!(api.body["now"], "2026-03-01T12:01:30Z");
    assert_eq!(api.headers["date"], "Sun, 01 Mar 2026 12:01:30 GMT");
    let set = send(
        &service,
        "POST",
        "/__admin/clock",
        r#"{"set": "2027-01-01T00:00:00+02:00"}"#,
    )
    .await;
    assert_eq!(set.body["now"], "2026-12-31T22:00:00Z");
}

#[rstest::rstest]
#[case(r#"{}"#)]
#[case(r#"{"advance_seconds": 1, "set": "2026-01-01T00:00:00Z"}"#)]
#[case(r#"{"set": "yesterday"}"#)]
#[case(r#"{"advance_seconds": "ten"}"#)]
#[case(r#"{"advance_seconds": 1e300}"#)]
#[case(r#"{"advance_seconds": 1, "speed": 2}"#)]
#[case("not json")]
#[tokio::test]
async fn bad_clock_moves_are_refused_with_a_reason(#[case] body: &'static str) {
    let service = demo();
    let answer = send(&service, "POST", "/__admin/clock", body).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{}",
        answer.body
    );
    assert_eq!(
        service.clock().now(),
        t0(),
        "a refused move leaves the clock alone"
    );
}

#[tokio::test]
async fn a_respond_fault_answers_the_matching_requests_the_given_number_of_times() {
    let service = demo();
    let queued = send(
        &service,
        "POST",
        "/__admin/faults",
        r#"{"method": "POST", "path": "/hi*", "times": 2, "status": 503,
            "body": {"oops": true}, "headers": {"retry-after": "7"}}"#,
    )
    .await;
    assert_eq!(queued.status, StatusCode::CREATED);
    assert_eq!(queued.body["queued"][0]["remaining"], 2);

    assert_eq!(
        send(&service, "POST", "/echo", "x").await.status,
        StatusCode::OK,
        "other paths pass"
    );
    for _ in 0..2 {
        let faulted = send(&service, "POST", "/hits", Body::empty()).await;
        assert_eq!(faulted.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(faulted.body, json!({ "oops": true }));
        assert_eq!(faulted.headers["retry-after"], "7");
        assert_eq!(faulted.headers["content-type"], "application/json");
    }
    let real = send(&service, "POST", "/hits", Body::empty()).await;
    assert_eq!(
        real.body,
        json!({ "hits": 1 }),
        "faulted requests never reached the API"
    );

    let journal = send(&service, "GET", "/__admin/requests", Body::empty())
        .await
        .body;
    let faults: Vec<_> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["fault"].clone())
        .collect();
    assert_eq!(
        faults,
        [
            Value::Null,
            json!("respond 503"),
            json!("respond 503"),
            Value::Null
        ]
    );
    let listed = send(&service, "GET", "/__admin/faults", Body::empty())
        .await
        .body;
    assert_eq!(listed, json!({ "faults": [] }));
}

#[tokio::test]
async fn flag_and_delay_faults_let_the_api_answer() {
    let service = demo();
    send(
        &service,
        "POST",
        "/__admin/faults",
        r#"[{"path": "/flag", "action": "flag", "flag": "report_failure"},
            {"path": "/flag", "action": "delay", "latency_ms": 5}]"#,
    )
    .await;
    assert_eq!(
        send(&service, "GET", "/flag", Body::empty()).await.body,
        json!({ "flag": "report_failure" })
    );
    assert_eq!(
        send(&service, "GET", "/flag", Body::empty()).await.body,
        json!({ "flag": null })
    );
    let journal = send(&service, "GET", "/__admin/requests", Body::empty())
        .await
        .body;
    assert_eq!(journal["requests"][1]["fault"], "delay 5ms");
}

#[tokio::test]
async fn invalid_faults_are_refused_and_nothing_is_queued() {
    let service = demo();
    let answer = send(
        &service,
        "POST",
        "/__admin/faults",
        r#"[{"action": "drop"}, {"action": "nope"}]"#,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body["error"].as_str().unwrap().contains("action"));
    assert!(service.faults().list().is_empty());
}

#[tokio::test]
async fn delete_faults_clears_the_queue() {
    let service = demo();
    send(
        &service,
        "POST",
        "/__admin/faults",
        r#"{"status": 500, "times": 100}"#,
    )
    .await;
    send(&service, "DELETE", "/__admin/faults", Body::empty()).await;
    assert_eq!(
        send(&service, "POST", "/hits", Body::empty()).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_panicking_handler_answers_500_in_the_api_format_and_the_service_goes_on() {
    let service = demo();
    let answer = send(&service, "GET", "/panic", Body::empty()).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.body, json!({ "demo_error": "internal error" }));
    assert_eq!(
        send(&service, "POST", "/hits", Body::empty()).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_body_over_the_limit_gets_the_api_error_and_is_journaled() {
    let service = demo();
    let answer = send(&service, "POST", "/echo", vec![b'x'; 65]).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        answer.body["demo_error"],
        "the request body is larger than 64 bytes"
    );
    let journal = send(&service, "GET", "/__admin/requests", Body::empty())
        .await
        .body;
    assert_eq!(journal["requests"][0]["status"], 413);
    assert_eq!(
        send(&service, "POST", "/echo", vec![b'x'; 64]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn reset_restores_state_clock_journal_faults_and_request_ids() {
    let service = demo();
    send(&service, "POST", "/hits", Body::empty()).await;
    send(&service, "POST", "/hits", Body::empty()).await;
    send(
        &service,
        "POST",
        "/__admin/clock",
        r#"{"advance_seconds": 3600}"#,
    )
    .await;
    send(
        &service,
        "POST",
        "/__admin/faults",
        r#"{"path": "/never", "status": 500}"#,
    )
    .await;
    let reset = send(&service, "POST", "/__admin/reset", Body::empty()).await;
    assert_eq!(reset.body, json!({ "status": "ok" }));
    assert_eq!(service.clock().now(), t0());
    assert!(service.faults().list().is_empty());
    assert!(service.journal().entries().is_empty());
    let after = send(&service, "POST", "/hits", Body::empty()).await;
    assert_eq!(after.body, json!({ "hits": 1 }));
    assert_eq!(after.headers["x-request-id"], "demo-00000001");
}

#[tokio::test]
async fn request_ids_are_numbered_or_echoed() {
    let service = demo();
    let first = send(&service, "POST", "/hits", Body::empty()).await;
    assert_eq!(first.headers["x-request-id"], "demo-00000001");
    let request = Request::post("/hits")
        .header("x-request-id", "mine-1")
        .body(Body::empty())
        .unwrap();
    let response = service.app().oneshot(request).await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "mine-1");
}

#[tokio::test]
async fn the_same_seed_draws_the_same_values_and_reset_draws_them_again() {
    let a = demo();
    let b = demo();
    let other = Service::new(
        Arc::new(Demo),
        &ServiceOptions {
            seed: 43,
            ..options()
        },
    );
    let drawn = |s: Service| async move { send(&s, "GET", "/drawn", Body::empty()).await.body };
    let first = drawn(a.clone()).await;
    assert_eq!(first, drawn(b).await);
    assert_ne!(first, drawn(other).await);
    a.reset();
    assert_eq!(first, drawn(a).await);
}

#[tokio::test]
async fn unknown_control_paths_and_methods_answer_json_errors() {
    let service = demo();
    let missing = send(&service, "GET", "/__admin/nothing", Body::empty()).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body["error"].is_string());
    let wrong = send(&service, "PUT", "/__admin/clock", Body::empty()).await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(wrong.body["error"].is_string());
}

#[tokio::test]
async fn concurrent_requests_are_all_journaled_and_counted() {
    let service = Service::new(
        Arc::new(Demo),
        &ServiceOptions {
            journal_capacity: 100,
            ..options()
        },
    );
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let service = service.clone();
            tokio::spawn(async move { send(&service, "POST", "/notes", format!("n{i}")).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().status, StatusCode::OK);
    }
    assert_eq!(service.journal().entries().len(), 32);
    let mut seqs: Vec<_> = service.journal().entries().iter().map(|e| e.seq).collect();
    seqs.dedup();
    assert_eq!(seqs.len(), 32);
}

/// The demo's twin answering through one direct function instead of an axum router: it
/// echoes what it was handed, reads the fault flag, and panics on `/panic`.
struct DirectDemo;

impl Api for DirectDemo {
    fn name(&self) -> &'static str {
        "direct"
    }

    fn port_offset(&self) -> u16 {
        8
    }

    fn routes(&self, _ctx: &Ctx) -> Routes {
        let calls = AtomicU64::new(0);
        Routes::direct(move |request: Request<Bytes>| {
            if request.uri().path() == "/panic" {
                panic_now();
            }
            let flag = request.extensions().get::<FaultFlag>().map(|f| f.0.clone());
            Json(json!({
                "method": request.method().as_str(),
                "path": request.uri().path(),
                "body": String::from_utf8_lossy(request.body()),
                "flag": flag,
                "call": calls.fetch_add(1, Ordering::SeqCst) + 1,
            }))
            .into_response()
        })
    }

    fn kit_error(&self, error: KitError) -> Response {
        Demo.kit_error(error)
    }
}

fn direct() -> Service {
    Service::new(Arc::new(DirectDemo), &options())
}

#[tokio::test]
async fn direct_routes_get_the_whole_body_with_ids_journal_and_reset() {
    let service = direct();
    let answer = send(&service, "PUT", "/things/7", "0123456789").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.body,
        json!({ "method": "PUT", "path": "/things/7", "body": "0123456789", "flag": null, "call": 1 })
    );
    assert_eq!(answer.headers["x-request-id"], "direct-00000001");
    assert_eq!(answer.headers["date"], "Sun, 01 Mar 2026 12:00:00 GMT");
    let journal = send(&service, "GET", "/__admin/requests", Body::empty())
        .await
        .body;
    assert_eq!(journal["requests"][0]["path"], "/things/7");
    assert_eq!(journal["requests"][0]["body"], "01234567");
    assert_eq!(journal["requests"][0]["status"], 200);

    assert_eq!(
        send(&service, "GET", "/x", Body::empty()).await.body["call"],
        2
    );
    send(&service, "POST", "/__admin/reset", Body::empty()).await;
    let after = send(&service, "GET", "/x", Body::empty()).await;
    assert_eq!(after.body["call"], 1, "reset builds the routes afresh");
    assert_eq!(after.headers["x-request-id"], "direct-00000001");
}

#[tokio::test]
async fn direct_routes_see_fault_flags_and_limits_and_survive_panics() {
    let service = direct();
    send(
        &service,
        "POST",
        "/__admin/faults",
        r#"[{"path": "/x", "action": "flag", "flag": "declined"}]"#,
    )
    .await;
    assert_eq!(
        send(&service, "GET", "/x", Body::empty()).await.body["flag"],
        "declined"
    );
    let panicked = send(&service, "GET", "/panic", Body::empty()).await;
    assert_eq!(panicked.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(panicked.body, json!({ "demo_error": "internal error" }));
    let too_large = send(&service, "POST", "/x", "y".repeat(65)).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        send(&service, "GET", "/x", Body::empty()).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn direct_routes_become_an_axum_router_that_answers_alike() {
    let routes = DirectDemo.routes(&Ctx::new("direct", 1, parkbench_kit::Clock::real()));
    let router = routes.into_router(|error| DirectDemo.kit_error(error));
    let request = Request::builder()
        .method("POST")
        .uri("/a")
        .body(Body::from("hello"))
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        body,
        json!({ "method": "POST", "path": "/a", "body": "hello", "flag": null, "call": 1 })
    );
}

mod over_sockets {
    use super::*;
    use parkbench_kit::server::{self, ServeOptions};
    use std::io::{Read, Write};
    use std::net::SocketAddr;

    async fn running() -> parkbench_kit::Running {
        server::start(
            vec![Arc::new(Demo)],
            &ServeOptions {
                service: options(),
                ..ServeOptions::default()
            },
        )
        .await
        .unwrap()
    }

    /// One HTTP/1.1 exchange on a fresh connection: the raw bytes the server sent before
    /// closing. Plain sockets, so a dropped or cut-off answer is seen exactly as sent.
    async fn exchange(addr: SocketAddr, method: &str, path: &str, body: &str) -> String {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream.write_all(request.as_bytes()).unwrap();
            let mut raw = Vec::new();
            let _ = stream.read_to_end(&mut raw);
            String::from_utf8_lossy(&raw).into_owned()
        })
        .await
        .unwrap()
    }

    fn body_of(raw: &str) -> Value {
        serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1).unwrap()
    }

    #[tokio::test]
    async fn services_listen_on_ephemeral_ports_and_announce_them() {
        let running = running().await;
        let url = running.url("demo").unwrap();
        assert!(url.starts_with("http://127.0.0.1:"));
        let ready: Value = serde_json::from_str(&running.ready_line()).unwrap();
        assert_eq!(
            ready,
            json!({ "event": "ready", "services": { "demo": url } })
        );
        let raw = exchange(running.addr("demo").unwrap(), "GET", "/__admin/health", "").await;
        assert!(raw.starts_with("HTTP/1.1 200 OK"), "{raw}");
        assert_eq!(body_of(&raw), json!({ "status": "ok" }));
    }

    #[tokio::test]
    async fn an_answer_larger_than_the_write_buffer_arrives_whole() {
        let running = running().await;
        let raw = exchange(running.addr("demo").unwrap(), "GET", "/big", "").await;
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        let expected = big_answer();
        assert!(
            head.to_ascii_lowercase()
                .contains(&format!("content-length: {}", expected.len())),
            "{head}"
        );
        assert!(body.as_bytes() == expected, "every byte, in order");
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_the_body_is_sent() {
        let running = running().await;
        let addr = running.addr("demo").unwrap();
        let raw = tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            // Only the head: an answer can come only from the declared length.
            stream
                .write_all(b"POST /echo HTTP/1.1\r\nhost: demo\r\ncontent-length: 1000\r\n\r\n")
                .unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let mut raw = Vec::new();
            let mut chunk = [0u8; 512];
            while !String::from_utf8_lossy(&raw).contains("demo_error") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => raw.extend_from_slice(&chunk[..n]),
                }
            }
            String::from_utf8_lossy(&raw).into_owned()
        })
        .await
        .unwrap();
        assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
        assert!(raw.contains("demo_error"), "in the API's own format: {raw}");
    }

    #[tokio::test]
    async fn a_drop_fault_closes_the_connection_without_an_answer() {
        let running = running().await;
        let addr = running.addr("demo").unwrap();
        exchange(
            addr,
            "POST",
            "/__admin/faults",
            r#"{"path": "/hits", "action": "drop"}"#,
        )
        .await;
        let raw = exchange(addr, "POST", "/hits", "").await;
        assert_eq!(raw, "", "not a byte of an answer");
        let journal = running.service("demo").unwrap().journal().entries();
        assert_eq!(journal[0].status, None);
        assert_eq!(journal[0].fault.as_deref(), Some("drop"));
        let after = exchange(addr, "POST", "/hits", "").await;
        assert!(
            after.starts_with("HTTP/1.1 200 OK"),
            "the server goes on serving: {after}"
        );
    }

    #[tokio::test]
    async fn a_truncate_fault_sends_half_the_body_then_closes() {
        let running = running().await;
        let addr = running.addr("demo").unwrap();
        exchange(
            addr,
            "POST",
            "/__admin/faults",
            r#"{"path": "/echo", "action": "truncate"}"#,
        )
        .await;
        let raw = exchange(addr, "POST", "/echo", "01234567890123456789").await;
        assert!(raw.starts_with("HTTP/1.1 200 OK"), "{raw}");
        assert!(
            raw.to_ascii_lowercase().contains("content-length: 20"),
            "{raw}"
        );
        assert!(
            raw.ends_with("\r\n\r\n0123456789"),
            "half the body, then the end: {raw}"
        );
    }

    #[tokio::test]
    async fn a_taken_port_is_a_one_line_error() {
        let first = server::start(vec![Arc::new(Demo)], &ServeOptions::default())
            .await
            .unwrap();
        let port = first.addr("demo").unwrap().port();
        let error = server::start(
            vec![Arc::new(Demo)],
            &ServeOptions {
                port_base: port - 7,
                ..ServeOptions::default()
            },
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("cannot listen on") && error.contains("demo") && !error.contains('\n'),
            "{error}"
        );
    }

    #[tokio::test]
    async fn shutdown_stops_the_listener() {
        let running = running().await;
        let addr = running.addr("demo").unwrap();
        running.shutdown().await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }
}

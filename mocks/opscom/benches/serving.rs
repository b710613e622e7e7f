//! The serving path of `POST /api/OC-TOMA/v1/permits/stats`, the throughput benchmark
//! endpoint, measured in-process in nanoseconds per request: the OPS-COM handler alone, then
//! the whole kit around it (request id, body limit, faults, journal, `Date`). No socket and
//! no harness: `cargo bench -p parkbench-opscom`. `bench/throughput.sh` measures the same
//! endpoint over loopback against a bare hyper server.

use std::hint::black_box;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use http::{Method, Request, StatusCode};
use parkbench_kit::{ClockStart, Ctx, FixtureRoot, Routes, Service, ServiceOptions};
use parkbench_opscom::Config;
use tower::{Service as _, ServiceExt};

const PATH: &str = "/api/OC-TOMA/v1/permits/stats";
const BODY: &[u8] =
    br#"{"apiToken": "opscom-demo-full-access-token-0001", "zones": "Lot 01,Lot 02"}"#;
const ROUNDS: usize = 5;
const PER_ROUND: u32 = 200_000;

fn request<B>(body: B) -> Request<B> {
    Request::builder()
        .method(Method::POST)
        .uri(PATH)
        .header("content-type", "application/json")
        .header("content-length", BODY.len())
        .body(body)
        .expect("a valid request")
}

/// The median over rounds of the mean time per call, in nanoseconds.
fn measure(mut call: impl FnMut()) -> u128 {
    let mut rounds: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..PER_ROUND {
                call();
            }
            start.elapsed() / PER_ROUND
        })
        .collect();
    rounds.sort();
    rounds[ROUNDS / 2].as_nanos()
}

fn main() {
    let api = parkbench_opscom::api(&FixtureRoot::Embedded, Config::default())
        .expect("the embedded fixtures load");

    let ctx = Ctx::new(
        "opscom",
        parkbench_kit::DEFAULT_SEED,
        parkbench_kit::Clock::new(ClockStart::Real),
    );
    let Routes::Direct(handler) = api.routes(&ctx) else {
        panic!("OPS-COM answers through one direct function");
    };
    let check = handler(request(Bytes::from_static(BODY)));
    assert_eq!(check.status(), StatusCode::OK);
    let handled = measure(|| {
        black_box(handler(request(Bytes::from_static(BODY))));
    });
    let built = measure(|| {
        black_box(request(Bytes::from_static(BODY)));
    });
    println!(
        "OPS-COM handler: {} ns per request ({handled} ns with building the request)",
        handled.saturating_sub(built)
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let service = Service::new(api, &ServiceOptions::default());
    let mut app = service.app();
    runtime.block_on(async {
        let check = app.clone().oneshot(request(Body::from(BODY))).await;
        assert_eq!(check.map(|r| r.status()).ok(), Some(StatusCode::OK));
    });
    let served = measure(|| {
        let future = app.call(request(Body::from(BODY)));
        black_box(runtime.block_on(future).ok());
    });
    let built = measure(|| {
        black_box(request(Body::from(BODY)));
    });
    println!(
        "kit and handler: {} ns per request ({served} ns with building the request)",
        served.saturating_sub(built)
    );
}

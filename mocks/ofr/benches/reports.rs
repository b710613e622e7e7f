//! Generating and downloading a 100,000-row report (seed 000's maximum report size), CSV and
//! JSON, default columns and every additional field. Plain wall-clock timing, no harness:
//! `cargo bench -p parkbench-ofr`. Target: under 1 s per report in a release build.
//!
//! Each run covers the whole client flow after auth: `POST /report/generate`, the clock moved
//! past generation, the status poll (303), and the download read to its last byte. It runs
//! twice: in-process through the full kit stack, and over a loopback socket.

use std::time::{Duration, Instant};

use axum::body::Body;
use chrono::TimeDelta;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use parkbench_kit::server::{self, ServeOptions};
use parkbench_kit::{ClockStart, FixtureRoot, Service, ServiceOptions};
use parkbench_ofr::{Column, Config};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

const RUNS: usize = 3;
/// 4,000 transactions a day: 25 complete days are exactly 100,000 rows.
const BUSY_OPERATOR: u64 = 70100;
const ROWS: u64 = 100_000;

fn config() -> Config {
    Config {
        rate_limit: None,
        ..Config::default()
    }
}

fn service_options() -> ServiceOptions {
    ServiceOptions {
        clock: ClockStart::Frozen("2026-03-15T12:00:00Z".parse().unwrap()),
        ..ServiceOptions::default()
    }
}

fn request_body(format: &str, all_fields: bool) -> Value {
    let fields: Vec<&str> = if all_fields {
        Column::ADDITIONAL.iter().map(|c| c.name()).collect()
    } else {
        Vec::new()
    };
    json!({
        "operatorId": BUSY_OPERATOR,
        "reportFormat": format,
        "startDate": "2026-02-18",
        "endDate": "2026-03-14",
        "additionalFields": fields,
    })
}

async fn call(
    service: &Service,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> http::Response<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "bench.local");
    if let Some(token) = token {
        request = request.header("x-authorization", format!("Bearer {token}"));
    }
    let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
    service
        .app()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap()
}

async fn json_of(response: http::Response<Body>) -> Value {
    serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

fn path_of(url: &str) -> String {
    url.strip_prefix("http://bench.local")
        .unwrap_or(url)
        .to_owned()
}

/// Peak resident memory of this process so far, in MiB (Linux; 0 elsewhere).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// One whole flow in-process; returns (elapsed, bytes, newlines).
async fn in_process(service: &Service, token: &str, body: &Value) -> (Duration, usize, usize) {
    let started = Instant::now();
    let accepted = call(service, "POST", "/report/generate", Some(token), Some(body)).await;
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    let status_url = path_of(accepted.headers()["location"].to_str().unwrap());
    service.clock().advance(TimeDelta::seconds(3));
    let done = call(service, "GET", &status_url, Some(token), None).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let download_url = path_of(done.headers()["location"].to_str().unwrap());
    let response = call(service, "GET", &download_url, Some(token), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let (mut bytes, mut newlines) = (0, 0);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            bytes += data.len();
            newlines += data.iter().filter(|b| **b == b'\n').count();
        }
    }
    (started.elapsed(), bytes, newlines)
}

/// The download alone over a loopback socket, read to the end (`Connection: close`).
async fn over_socket(addr: std::net::SocketAddr, path: &str, token: &str) -> (Duration, usize) {
    let started = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nX-Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buffer).await.unwrap();
        if n == 0 {
            break;
        }
        if total == 0 {
            assert!(
                buffer.starts_with(b"HTTP/1.1 200"),
                "{}",
                String::from_utf8_lossy(&buffer[..n.min(200)])
            );
        }
        total += n;
    }
    (started.elapsed(), total)
}

fn summary(label: &str, times: &[Duration], bytes: usize) {
    let best = times.iter().min().unwrap();
    let worst = times.iter().max().unwrap();
    println!(
        "{label:<34} best {:>7.1} ms  worst {:>7.1} ms  {:>6.1} MiB  peak RSS {:>6.1} MiB",
        best.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * 1000.0,
        bytes as f64 / (1024.0 * 1024.0),
        peak_rss_mib()
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        println!("OFR: {ROWS}-row reports (operator {BUSY_OPERATOR}, 25 days), {RUNS} runs each");
        let api = parkbench_ofr::api(&FixtureRoot::Embedded, config()).unwrap();
        let service = Service::new(api, &service_options());
        let auth = json!({"clientId": "ofr-test-client", "clientSecret": "ofr-test-secret"});
        let token =
            json_of(call(&service, "POST", "/auth/v1", None, Some(&auth)).await).await["idToken"]
                .as_str()
                .unwrap()
                .to_owned();
        for (format, all_fields) in [
            ("CSV", false),
            ("JSON", false),
            ("CSV", true),
            ("JSON", true),
        ] {
            let body = request_body(format, all_fields);
            let mut times = Vec::with_capacity(RUNS);
            let mut size = 0;
            for _ in 0..RUNS {
                let (elapsed, bytes, newlines) = in_process(&service, &token, &body).await;
                if format == "CSV" {
                    assert_eq!(newlines as u64, ROWS + 1, "header + one line per row");
                }
                times.push(elapsed);
                size = bytes;
            }
            let fields = if all_fields {
                "all 36 columns"
            } else {
                "default columns"
            };
            summary(&format!("in-process {format} {fields}"), &times, size);
        }

        let running = server::start(
            vec![parkbench_ofr::api(&FixtureRoot::Embedded, config()).unwrap()],
            &ServeOptions {
                service: service_options(),
                ..ServeOptions::default()
            },
        )
        .await
        .unwrap();
        let addr = running.addr(parkbench_ofr::NAME).unwrap();
        let remote = running.service(parkbench_ofr::NAME).unwrap().clone();
        let token =
            json_of(call(&remote, "POST", "/auth/v1", None, Some(&auth)).await).await["idToken"]
                .as_str()
                .unwrap()
                .to_owned();
        for format in ["CSV", "JSON"] {
            let accepted = call(
                &remote,
                "POST",
                "/report/generate",
                Some(&token),
                Some(&request_body(format, false)),
            )
            .await;
            let status_url = path_of(accepted.headers()["location"].to_str().unwrap());
            remote.clock().advance(TimeDelta::seconds(3));
            let done = call(&remote, "GET", &status_url, Some(&token), None).await;
            let download = path_of(done.headers()["location"].to_str().unwrap());
            let mut times = Vec::with_capacity(RUNS);
            let mut size = 0;
            for _ in 0..RUNS {
                let (elapsed, bytes) = over_socket(addr, &download, &token).await;
                times.push(elapsed);
                size = bytes;
            }
            summary(&format!("loopback download {format} default"), &times, size);
        }
        running.shutdown().await;
    });
}

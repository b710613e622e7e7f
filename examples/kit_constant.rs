//! The kit around an API that does no work: every request is served exactly as `parkbench
//! serve` serves it (request id, body limit, faults, journal, `Date`, panic recovery), and the
//! API answers with a file's bytes. `bench/throughput.sh` runs it between the bare hyper floor
//! and parkbench, so the gap to the hello-world splits into what the request's shape costs any
//! hyper server, what the kit costs, and what the OPS-COM handler costs.
//!
//! `cargo run --release --example kit_constant ANSWER_FILE [ADDR]` (default 127.0.0.1:0);
//! prints `http://ADDR` once listening.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use parkbench_kit::{Api, Ctx, KitError, Routes, ServeOptions};

/// The allocator of `parkbench serve`, so the two differ only in the API.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Answers every request with the same JSON bytes.
struct Constant {
    answer: Bytes,
}

impl Api for Constant {
    fn name(&self) -> &'static str {
        "constant"
    }

    fn port_offset(&self) -> u16 {
        0
    }

    fn routes(&self, _ctx: &Ctx) -> Routes {
        let answer = self.answer.clone();
        Routes::direct(move |_request| {
            let mut response = Response::new(axum::body::Body::from(answer.clone()));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        })
    }

    fn kit_error(&self, error: KitError) -> Response {
        (http::StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let answer = Bytes::from(std::fs::read(
        args.next()
            .ok_or("usage: kit_constant ANSWER_FILE [ADDR]")?,
    )?);
    let addr: SocketAddr = args.next().as_deref().unwrap_or("127.0.0.1:0").parse()?;
    let options = ServeOptions {
        bind: addr.ip(),
        port_base: addr.port(),
        ..ServeOptions::default()
    };
    let running =
        parkbench_kit::server::start(vec![Arc::new(Constant { answer })], &options).await?;
    println!("{}", running.url("constant").ok_or("the service started")?);
    tokio::signal::ctrl_c().await?;
    running.shutdown().await;
    Ok(())
}

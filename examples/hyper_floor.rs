//! The floor of `bench/throughput.sh`: a bare hyper 1.x server that reads each request's body
//! and answers with fixed bytes, on the same runtime set-up as `hello_hyper`. Given the bytes
//! `permits/stats` answers to the benchmark's request, it is what any hyper-based server of
//! that endpoint costs at least: the gap from the hello-world baseline to the floor is the
//! request's shape (a POST whose body must be read, a longer answer), the gap from the floor
//! to parkbench is the mock.
//!
//! `cargo run --release --example hyper_floor ADDR ANSWER_FILE`; prints `http://ADDR` once
//! listening.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let answer = match args.next() {
        Some(path) => Bytes::from(std::fs::read(path)?),
        None => Bytes::from_static(b"{}"),
    };
    let listener = TcpListener::bind(&addr).await?;
    println!("http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let answer = answer.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let answer = answer.clone();
                async move {
                    // Read to the end, as any server of a POST endpoint must.
                    let _ = request.into_body().collect().await;
                    let mut response = Response::new(Full::new(answer));
                    response.headers_mut().insert(
                        CONTENT_TYPE,
                        http::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

//! The servers `bench/throughput.sh` measures parkbench against, on the same runtime set-up as
//! `parkbench serve` (tokio multi-thread, hyper-util's auto connection builder).
//!
//! - `hello_hyper [ADDR]`: the baseline, a bare hyper 1.x hello-world with hyper's default
//!   connection settings.
//! - `hello_hyper ADDR ANSWER_FILE`: the floor, bare hyper with the kit's connection settings,
//!   reading each request's body and answering with the file's bytes as JSON. Given the bytes
//!   `permits/stats` answers to the benchmark's request, it is what any hyper-based server of
//!   that endpoint costs at least: the gap from the baseline to the floor is the request's
//!   shape (a POST whose body must be read, a longer answer), the gap from the floor to
//!   parkbench is the mock.
//!
//! `cargo run --release --example hello_hyper [ADDR] [ANSWER_FILE]` (default 127.0.0.1:0);
//! prints `http://ADDR` once listening.

use std::convert::Infallible;
use std::future::Future;

use bytes::Bytes;
use http::HeaderValue;
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
    let answer = args.next().map(std::fs::read).transpose()?.map(Bytes::from);
    let listener = TcpListener::bind(&addr).await?;
    println!("http://{}", listener.local_addr()?);
    match answer {
        None => {
            serve(
                listener,
                auto::Builder::new(TokioExecutor::new()),
                |_request| async { Response::new(Full::new(Bytes::from_static(b"Hello, World!"))) },
            )
            .await
        }
        Some(answer) => {
            let builder = parkbench_kit::server::connection_builder();
            serve(listener, builder, move |request: Request<Incoming>| {
                let answer = answer.clone();
                async move {
                    // Read to the end, as any server of a POST endpoint must.
                    let _ = request.into_body().collect().await;
                    let mut response = Response::new(Full::new(answer));
                    response
                        .headers_mut()
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    response
                }
            })
            .await
        }
    }
}

/// Accepts connections forever, answering every request with `respond`.
async fn serve<F, Fut>(
    listener: TcpListener,
    builder: auto::Builder<TokioExecutor>,
    respond: F,
) -> std::io::Result<()>
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let respond = respond.clone();
        let builder = builder.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let answer = respond(request);
                async move { Ok::<_, Infallible>(answer.await) }
            });
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

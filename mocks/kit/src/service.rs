//! One API wrapped in the kit: the middleware every request passes through and the state the
//! control API acts on. [`Service::app`] is a plain axum `Router`, so tests can drive it with
//! `tower::ServiceExt::oneshot` and no socket.

use std::cell::RefCell;
use std::convert::Infallible;
use std::io;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;

use futures_util::FutureExt;
use futures_util::stream::{self, StreamExt};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, DATE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;

use crate::faults::{Action, Applied, Faults};
use crate::journal::{self, Journal, Record, RequestId};
use crate::{Api, Clock, ClockStart, Ctx, DEFAULT_SEED, FaultFlag, KitError, Routes, admin};

/// `X-Request-Id`: echoed when the client sends one, otherwise numbered per service.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How a service is set up.
#[derive(Clone, Debug)]
pub struct ServiceOptions {
    pub seed: u64,
    pub clock: ClockStart,
    pub journal_capacity: usize,
    pub journal_body_cap: usize,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            clock: ClockStart::Real,
            journal_capacity: journal::DEFAULT_CAPACITY,
            journal_body_cap: journal::DEFAULT_BODY_CAP,
            body_limit: 1024 * 1024,
        }
    }
}

/// A response marker: the server closes the connection instead of answering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("connection dropped by an injected fault")]
pub struct DropConnection;

pub(crate) struct Inner {
    pub(crate) api: Arc<dyn Api>,
    pub(crate) ctx: Ctx,
    pub(crate) journal: Journal,
    pub(crate) faults: Faults,
    /// Swapped whole on reset: fresh routes are fresh state.
    routes: ArcSwap<Routes>,
    next_request_id: AtomicU64,
    body_limit: usize,
}

/// One API in the kit. Cloning shares the service.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

impl Service {
    pub fn new(api: Arc<dyn Api>, options: &ServiceOptions) -> Self {
        let ctx = Ctx::new(api.name(), options.seed, Clock::new(options.clock));
        let routes = api.routes(&ctx);
        Self {
            inner: Arc::new(Inner {
                api,
                ctx,
                journal: Journal::new(options.journal_capacity, options.journal_body_cap),
                faults: Faults::default(),
                routes: ArcSwap::from_pointee(routes),
                next_request_id: AtomicU64::new(0),
                body_limit: options.body_limit,
            }),
        }
    }

    pub fn name(&self) -> &'static str {
        self.inner.api.name()
    }

    pub fn port_offset(&self) -> u16 {
        self.inner.api.port_offset()
    }

    pub fn clock(&self) -> &Clock {
        self.inner.ctx.clock()
    }

    pub fn journal(&self) -> &Journal {
        &self.inner.journal
    }

    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// State back to the fixtures, journal emptied, faults cleared, clock back to its start,
    /// rate-limit windows emptied (they live in the API's state, which is rebuilt).
    pub fn reset(&self) {
        self.inner.reset();
    }

    /// The whole service: control API, journal, faults and the API itself, as a tower
    /// service (`tower::ServiceExt::oneshot` drives it in tests, no socket needed).
    pub fn app(&self) -> App {
        let api = self.inner.api.clone();
        let admin = admin::router(self.inner.clone())
            .layer(middleware::from_fn_with_state(
                self.inner.clone(),
                stamp_admin,
            ))
            .layer(CatchPanicLayer::custom(move |_panic| {
                api.kit_error(KitError::Internal)
            }));
        App {
            inner: self.inner.clone(),
            admin,
        }
    }
}

/// A service's request entry point. The API side is one async function rather than a stack
/// of routers and middleware: every request to a fixture server goes through it, and the
/// throughput target (80% of a bare hyper server) leaves little room. For the same reason
/// the request id, body limit and request log are done here rather than by tower-http layers.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
    admin: Router,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("name", &self.inner.api.name())
            .finish_non_exhaustive()
    }
}

/// `/__admin` and everything below it.
fn is_admin(path: &str) -> bool {
    path.strip_prefix(admin::PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

impl<B> tower::Service<http::Request<B>> for App
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = futures_util::future::BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let app = self.clone();
        Box::pin(async move { Ok(app.respond(request).await) })
    }
}

impl App {
    /// Answers one request. The server awaits this directly, so the API's serving path costs
    /// no boxed future and no clone of the service.
    pub async fn respond<B>(&self, request: http::Request<B>) -> Response
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        if is_admin(request.uri().path()) {
            match self.admin.clone().oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        } else {
            serve_api(&self.inner, request).await
        }
    }
}

impl Inner {
    pub(crate) fn reset(&self) {
        self.ctx.clock().reset();
        self.journal.clear();
        self.faults.clear();
        self.next_request_id.store(0, Ordering::Relaxed);
        self.routes.store(Arc::new(self.api.routes(&self.ctx)));
    }

    /// The client's `x-request-id` (copied, so as not to pin the connection's read buffer),
    /// or the next number of this service.
    fn request_id(&self, headers: &HeaderMap) -> RequestId {
        match headers.get(REQUEST_ID) {
            Some(id) => RequestId::Given(
                HeaderValue::from_bytes(id.as_bytes()).unwrap_or_else(|_| id.clone()),
            ),
            None => RequestId::Numbered {
                service: self.api.name(),
                n: self.next_request_id.fetch_add(1, Ordering::Relaxed) + 1,
            },
        }
    }

    /// Request id and a `Date` from the virtual clock on every answer. Hyper adds a `Date`
    /// of its own only when the response has none, so answers stay reproducible under a
    /// frozen clock.
    fn stamp(&self, headers: &mut HeaderMap, request_id: HeaderValue, now_micros: i64) {
        headers.insert(REQUEST_ID, request_id);
        if !headers.contains_key(DATE) {
            headers.insert(DATE, http_date(now_micros));
        }
    }

    /// Hands the request to the API's current routes; a panic becomes the API's 500.
    async fn dispatch(&self, request: http::Request<Bytes>) -> Response {
        let router = match &**self.routes.load() {
            Routes::Direct(handler) => {
                return std::panic::catch_unwind(AssertUnwindSafe(|| handler(request)))
                    .unwrap_or_else(|_panic| self.api.kit_error(KitError::Internal));
            }
            Routes::Router(router) => router.clone(),
        };
        match AssertUnwindSafe(router.oneshot(request.map(Body::from)))
            .catch_unwind()
            .await
        {
            Ok(Ok(response)) => response,
            Ok(Err(never)) => match never {},
            Err(_panic) => self.api.kit_error(KitError::Internal),
        }
    }

    /// Applies one fault. Its latency is slept after the fault queue's lock was released,
    /// as wiremock-rs does.
    async fn apply_fault(&self, fault: Applied, mut request: http::Request<Bytes>) -> Response {
        if let Some(latency) = fault.latency {
            tokio::time::sleep(latency).await;
        }
        match fault.action {
            Action::Respond {
                status,
                body,
                content_type,
                headers,
            } => fixed_response(status, body, content_type, headers),
            Action::Drop => {
                let mut response = Response::new(Body::empty());
                response.extensions_mut().insert(DropConnection);
                response
            }
            Action::Truncate => truncate(self.dispatch(request).await).await,
            Action::Delay => self.dispatch(request).await,
            Action::Flag { name } => {
                request.extensions_mut().insert(FaultFlag(name));
                self.dispatch(request).await
            }
        }
    }
}

/// `Date` values, formatted once per second per thread.
fn http_date(now_micros: i64) -> HeaderValue {
    thread_local! {
        static CACHE: RefCell<(i64, HeaderValue)> = const { RefCell::new((i64::MIN, HeaderValue::from_static(""))) };
    }
    let secs = now_micros.div_euclid(1_000_000);
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs {
            let now = crate::clock::from_micros(now_micros);
            let formatted = httpdate::fmt_http_date(SystemTime::from(now));
            cache.1 = HeaderValue::from_maybe_shared(Bytes::from(formatted))
                .unwrap_or(HeaderValue::from_static(""));
            cache.0 = secs;
        }
        cache.1.clone()
    })
}

/// Every API request: request id, body within the limit, fault or API, journal, stamp.
async fn serve_api<B>(inner: &Inner, request: http::Request<B>) -> Response
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<axum::BoxError>,
{
    let (parts, body) = request.into_parts();
    let mut record = Record {
        time_micros: inner.ctx.clock().now_micros(),
        request_id: inner.request_id(&parts.headers),
        method: parts.method.clone(),
        target: parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .into(),
        status: None,
        body: Bytes::new(),
        fault: None,
    };
    let mut response = match read_body(body, inner.body_limit).await {
        Err(error) => inner.api.kit_error(error),
        Ok(bytes) => {
            record.body = bytes.clone();
            let fault = inner.faults.take(&parts.method, parts.uri.path());
            let request = http::Request::from_parts(parts, bytes);
            match fault {
                None => inner.dispatch(request).await,
                Some(fault) => {
                    record.fault = Some(fault.label());
                    // Boxed: faults are rare, and inline this future would make every
                    // request's state machine (moved on each call) several times larger.
                    Box::pin(inner.apply_fault(fault, request)).await
                }
            }
        }
    };
    if response.extensions().get::<DropConnection>().is_none() {
        record.status = Some(response.status().as_u16());
    }
    tracing::debug!(
        method = %record.method,
        target = %record.target,
        status = ?record.status,
        fault = ?record.fault,
        request_id = %record.request_id,
        "request"
    );
    inner.stamp(
        response.headers_mut(),
        record.request_id.header_value(),
        record.time_micros,
    );
    inner.journal.push(record);
    response
}

/// The control API gets request ids and dates too, but is not journaled.
async fn stamp_admin(State(inner): State<Arc<Inner>>, request: Request, next: Next) -> Response {
    let request_id = inner.request_id(request.headers());
    let mut response = next.run(request).await;
    inner.stamp(
        response.headers_mut(),
        request_id.header_value(),
        inner.ctx.clock().now_micros(),
    );
    response
}

/// Reads the whole body within `limit`. A body whose declared length is over the limit is
/// refused before a byte of it is read. The usual request body arrives as one frame, which is
/// returned as it is, without the copies of a general-purpose collector.
async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, KitError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<axum::BoxError>,
{
    if body.size_hint().lower() > limit as u64 {
        return Err(KitError::PayloadTooLarge { limit });
    }
    let body = http_body_util::Limited::new(body, limit);
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut rest: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                KitError::PayloadTooLarge { limit }
            } else {
                KitError::BodyUnreadable
            }
        })?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing the mocks read
        };
        match (&mut first, &mut rest) {
            (None, _) => first = Some(data),
            (Some(head), None) => {
                let mut joined = BytesMut::with_capacity(head.len() + data.len());
                joined.extend_from_slice(head);
                joined.extend_from_slice(&data);
                rest = Some(joined);
            }
            (Some(_), Some(joined)) => joined.extend_from_slice(&data),
        }
    }
    Ok(match (first, rest) {
        (_, Some(joined)) => joined.freeze(),
        (Some(only), None) => only,
        (None, None) => Bytes::new(),
    })
}

fn fixed_response(
    status: u16,
    body: Option<serde_json::Value>,
    content_type: Option<String>,
    headers: std::collections::BTreeMap<String, String>,
) -> Response {
    // Validated when the fault was queued; fall back rather than fail on the serving path.
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (bytes, default_type) = match body {
        None => (Vec::new(), None),
        Some(serde_json::Value::String(text)) => {
            (text.into_bytes(), Some("text/plain; charset=utf-8"))
        }
        Some(value) => (value.to_string().into_bytes(), Some("application/json")),
    };
    let mut response = (status, bytes).into_response();
    let map = response.headers_mut();
    map.remove(CONTENT_TYPE);
    if let Some(ct) = content_type.as_deref().or(default_type)
        && let Ok(value) = HeaderValue::from_str(ct)
    {
        map.insert(CONTENT_TYPE, value);
    }
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            map.insert(name, value);
        }
    }
    response
}

/// Announces the full length, sends half the body, then fails the stream so the server
/// aborts the connection. The pause lets the first half reach the client before the abort.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let first = stream::iter([Ok::<_, io::Error>(half)]);
    let abort = stream::once(async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Err(io::Error::other("body truncated by an injected fault"))
    });
    Response::from_parts(parts, Body::from_stream(first.chain(abort)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case("/__admin", true)]
    #[case("/__admin/health", true)]
    #[case("/__admin/faults/x", true)]
    #[case("/__administrator", false)]
    #[case("/api/__admin/health", false)]
    #[case("/", false)]
    fn only_the_admin_prefix_reaches_the_control_api(#[case] path: &str, #[case] admin: bool) {
        assert_eq!(is_admin(path), admin);
    }

    #[test]
    fn dates_are_http_dates_of_the_given_instant() {
        let t: chrono::DateTime<chrono::Utc> = "2026-03-01T12:00:00Z".parse().unwrap();
        let t = t.timestamp_micros();
        assert_eq!(http_date(t), "Sun, 01 Mar 2026 12:00:00 GMT");
        assert_eq!(http_date(t + 999_999), "Sun, 01 Mar 2026 12:00:00 GMT");
        assert_eq!(http_date(t + 1_000_000), "Sun, 01 Mar 2026 12:00:01 GMT");
        assert_eq!(http_date(t), "Sun, 01 Mar 2026 12:00:00 GMT");
    }
}

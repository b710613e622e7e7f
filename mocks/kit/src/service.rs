//! One API wrapped in the kit: the middleware every request passes through and the state the
//! control API acts on. [`Service::app`] is a plain axum `Router`, so tests can drive it with
//! `tower::ServiceExt::oneshot` and no socket.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, DATE};
use http::{HeaderName, HeaderValue, StatusCode};
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::faults::{Action, Faults};
use crate::journal::{self, Entry, Journal};
use crate::{Api, Clock, ClockStart, Ctx, DEFAULT_SEED, FaultFlag, KitError, admin};

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

/// A response marker naming the fault that shaped it, for the journal.
#[derive(Clone, Debug)]
struct FaultLabel(String);

pub(crate) struct Inner {
    pub(crate) api: Arc<dyn Api>,
    pub(crate) ctx: Ctx,
    pub(crate) journal: Journal,
    pub(crate) faults: Faults,
    /// Swapped whole on reset: a fresh router is fresh state.
    router: ArcSwap<Router>,
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
        let router = api.router(&ctx);
        Self {
            inner: Arc::new(Inner {
                api,
                ctx,
                journal: Journal::new(options.journal_capacity, options.journal_body_cap),
                faults: Faults::default(),
                router: ArcSwap::from_pointee(router),
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

    /// The whole service as a router: control API, journal, faults and the API itself.
    pub fn app(&self) -> Router {
        let inner = self.inner.clone();
        let api_side = Router::new()
            .fallback(dispatch)
            .layer(middleware::from_fn_with_state(inner.clone(), apply_fault))
            .layer(middleware::from_fn_with_state(inner.clone(), record))
            .with_state(inner.clone());
        let api = inner.api.clone();
        Router::new()
            .nest("/__admin", admin::router(inner.clone()))
            .fallback_service(api_side)
            .layer(middleware::from_fn_with_state(inner, stamp))
            .layer(TraceLayer::new_for_http())
            .layer(CatchPanicLayer::custom(move |_panic| {
                api.kit_error(KitError::Internal)
            }))
    }
}

impl Inner {
    pub(crate) fn reset(&self) {
        self.ctx.clock().reset();
        self.journal.clear();
        self.faults.clear();
        self.next_request_id.store(0, Ordering::Relaxed);
        self.router.store(Arc::new(self.api.router(&self.ctx)));
    }
}

async fn dispatch(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let router = Router::clone(&inner.router.load());
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Request id in, request id and a `Date` from the virtual clock out. Hyper adds a `Date` of
/// its own only when the response has none, so answers stay reproducible under a frozen clock.
async fn stamp(State(inner): State<Arc<Inner>>, mut request: Request, next: Next) -> Response {
    let id = match request.headers().get(REQUEST_ID) {
        Some(id) => id.clone(),
        None => {
            let n = inner.next_request_id.fetch_add(1, Ordering::Relaxed) + 1;
            HeaderValue::try_from(format!("{}-{n:08}", inner.api.name()))
                .unwrap_or(HeaderValue::from_static("unknown"))
        }
    };
    request.headers_mut().insert(REQUEST_ID, id.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(REQUEST_ID, id);
    if !headers.contains_key(DATE) {
        let now = SystemTime::from(inner.ctx.clock().now());
        if let Ok(date) = HeaderValue::try_from(httpdate::fmt_http_date(now)) {
            headers.insert(DATE, date);
        }
    }
    response
}

/// Reads the body once (within the limit), notes the request in the journal and hands the
/// same bytes on.
async fn record(State(inner): State<Arc<Inner>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let mut entry = Entry {
        seq: 0,
        time: inner.ctx.clock().now(),
        request_id: parts
            .headers
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        status: None,
        body: None,
        body_truncated: false,
        fault: None,
    };
    let declared_too_large = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|len| len > inner.body_limit as u64);
    let bytes = if declared_too_large {
        Err(KitError::PayloadTooLarge {
            limit: inner.body_limit,
        })
    } else {
        read_body(body, inner.body_limit).await
    };
    let response = match bytes {
        Ok(bytes) => {
            (entry.body, entry.body_truncated) = inner.journal.body_excerpt(&bytes);
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(error) => inner.api.kit_error(error),
    };
    if response.extensions().get::<DropConnection>().is_none() {
        entry.status = Some(response.status().as_u16());
    }
    entry.fault = response
        .extensions()
        .get::<FaultLabel>()
        .map(|l| l.0.clone());
    inner.journal.push(entry);
    response
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, KitError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let inner = e.into_inner();
        if inner.is::<http_body_util::LengthLimitError>() {
            KitError::PayloadTooLarge { limit }
        } else {
            KitError::BodyUnreadable
        }
    })
}

/// Applies the first queued fault that matches the request, if any. Latency is slept after
/// the fault queue's lock is released, as wiremock-rs does.
async fn apply_fault(
    State(inner): State<Arc<Inner>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(fault) = inner.faults.take(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    if let Some(latency) = fault.latency {
        tokio::time::sleep(latency).await;
    }
    let label = FaultLabel(fault.label());
    let mut response = match fault.action {
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
        Action::Truncate => truncate(next.run(request).await).await,
        Action::Delay => next.run(request).await,
        Action::Flag { name } => {
            request.extensions_mut().insert(FaultFlag(name));
            next.run(request).await
        }
    };
    response.extensions_mut().insert(label);
    response
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

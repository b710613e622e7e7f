//! The shared runtime of every parkbench mock.
//!
//! An API crate supplies [`Routes`], state and fixtures through [`Api`]; the kit gives it a
//! listener, a body limit, request ids, a journal, fault injection, a virtual clock, a seeded
//! RNG, panic recovery in the API's own error format, and the control API under `/__admin`.
//! API crates never open sockets, parse flags or keep their own clock.

pub mod clock;
pub mod extract;
pub mod faults;
pub mod fixtures;
pub mod journal;
pub mod rate_limit;
#[cfg(feature = "schemas")]
pub mod schema;
pub mod server;
pub mod service;

mod admin;

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::response::Response;
use rand::SeedableRng;

pub use clock::{Clock, ClockStart};
pub use faults::FaultFlag;
pub use fixtures::{FixtureError, FixtureRoot, Fixtures};
pub use server::{Running, ServeError, ServeOptions};
pub use service::{App, Service, ServiceOptions};

/// The seeded generator every API draws ids and generated data from. A named algorithm, so
/// seeded data stays the same across `rand` upgrades.
pub type Rng = rand_chacha::ChaCha8Rng;

/// The default `--seed`.
pub const DEFAULT_SEED: u64 = 20_260_101;

/// One emulated vendor API.
pub trait Api: Send + Sync + 'static {
    /// The name used in the ready line, `--only`, the fixtures folder and logs (`opscom`).
    fn name(&self) -> &'static str;

    /// Offset from `--port-base` (OFR 1, ParkWhiz 2, OPS-COM 3, PARKING+PLUS 4).
    fn port_offset(&self) -> u16;

    /// Routes over fresh state seeded from the fixtures. The kit calls it at start-up and on
    /// every `POST /__admin/reset`, so nothing an earlier run did survives a reset.
    fn routes(&self, ctx: &Ctx) -> Routes;

    /// The kit's own failures (a panic, a body over the limit) in the API's error format.
    fn kit_error(&self, error: KitError) -> Response;
}

/// What answers an API's requests once the kit has read the body, numbered and journaled them.
pub enum Routes {
    /// An axum router: the usual case, for APIs with asynchronous handlers.
    Router(Router),
    /// One synchronous function for every request, for APIs whose handlers never wait. It
    /// receives the body already read, so a request costs no extractors, boxed futures or
    /// body re-wrapping: a bare hyper server is the yardstick of the throughput benchmark.
    Direct(Direct),
}

/// The function of [`Routes::Direct`].
pub type Direct = Arc<dyn Fn(http::Request<Bytes>) -> Response + Send + Sync>;

impl Routes {
    pub fn direct(
        handler: impl Fn(http::Request<Bytes>) -> Response + Send + Sync + 'static,
    ) -> Self {
        Routes::Direct(Arc::new(handler))
    }

    /// The same routes as an axum router, e.g. to wrap them in a middleware layer. A body that
    /// cannot be read is answered by `on_error`, in the API's format.
    pub fn into_router<E>(self, on_error: E) -> Router
    where
        E: Fn(KitError) -> Response + Clone + Send + Sync + 'static,
    {
        match self {
            Routes::Router(router) => router,
            Routes::Direct(handler) => Router::new().fallback(move |request: Request| {
                let handler = handler.clone();
                let on_error = on_error.clone();
                async move {
                    let (parts, body) = request.into_parts();
                    match axum::body::to_bytes(body, usize::MAX).await {
                        Ok(bytes) => handler(http::Request::from_parts(parts, bytes)),
                        Err(_) => on_error(KitError::BodyUnreadable),
                    }
                }
            }),
        }
    }
}

impl From<Router> for Routes {
    fn from(router: Router) -> Self {
        Routes::Router(router)
    }
}

impl fmt::Debug for Routes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Routes::Router(router) => f.debug_tuple("Router").field(router).finish(),
            Routes::Direct(_) => f.write_str("Direct"),
        }
    }
}

/// Failures the kit meets before or around a handler; each API renders them its own way.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KitError {
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body could not be read")]
    BodyUnreadable,
    #[error("internal error")]
    Internal,
}

/// What an API's router may use from the kit.
#[derive(Clone)]
pub struct Ctx {
    name: &'static str,
    seed: u64,
    clock: Clock,
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("name", &self.name)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    pub fn new(name: &'static str, seed: u64, clock: Clock) -> Self {
        Self { name, seed, clock }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The service's virtual clock; the only source of time for the API.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// A generator seeded from `--seed` and the API's name, so each API's sequence is its own
    /// and the same after every reset.
    pub fn rng(&self) -> Rng {
        self.rng_for("")
    }

    /// A generator for one named purpose, independent of how much the main one has been used.
    pub fn rng_for(&self, purpose: &str) -> Rng {
        Rng::seed_from_u64(self.seed ^ fnv1a(self.name) ^ fnv1a(purpose).rotate_left(17))
    }
}

/// A stable 64-bit hash of a name (FNV-1a): std's hasher is not guaranteed stable across
/// releases, and seeds derived from names must be the same on every machine and build.
pub fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A UUID (version 4 layout) drawn from a seeded generator, so ids repeat run after run.
pub fn seeded_uuid(rng: &mut Rng) -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    rand::Rng::fill_bytes(rng, &mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn generators_depend_on_seed_name_and_purpose_only() {
        let clock = Clock::real();
        let a = Ctx::new("opscom", 7, clock.clone());
        let b = Ctx::new("opscom", 7, clock.clone());
        let other_api = Ctx::new("ofr", 7, clock.clone());
        let other_seed = Ctx::new("opscom", 8, clock);
        let draw = |mut r: Rng| r.random::<u64>();
        assert_eq!(draw(a.rng()), draw(b.rng()));
        assert_ne!(draw(a.rng()), draw(other_api.rng()));
        assert_ne!(draw(a.rng()), draw(other_seed.rng()));
        assert_ne!(draw(a.rng()), draw(a.rng_for("reports")));
        assert_eq!(seeded_uuid(&mut a.rng()), seeded_uuid(&mut b.rng()));
        assert_eq!(seeded_uuid(&mut a.rng()).get_version_num(), 4);
    }
}

//! The OPS-COM (OperationsCommander) mock: every endpoint of seeds 004 and 002, statefully.
//!
//! Every endpoint is `POST /api/{client}/v1/...` with a JSON body carrying `apiToken`; every
//! failure is `{"ErrorCode": N, "ErrorMessage": "..."}` ([`error`]). The router below is the
//! whole surface.

pub mod error;
pub mod fields;
pub mod permits;
pub mod profiles;
pub mod user_types;
pub mod vehicles;
pub mod violations;
pub mod world;

use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use http::{Method, StatusCode, Uri};
use parkbench_kit::{Api, Ctx, FixtureError, FixtureRoot, KitError};

use crate::error::{Code, Error};
use crate::world::{Operation, Seed, World};

pub const NAME: &str = "opscom";
pub const PORT_OFFSET: u16 = 3;

static FIXTURES: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../fixtures/opscom");

/// How the OPS-COM mock behaves beyond its fixtures.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// `--opscom-error-status`: answer every `{"ErrorCode"...}` body with this HTTP status
    /// instead of the mapped one, e.g. 200 to check that a client reads the body.
    pub error_status: Option<u16>,
}

struct Mock {
    seed: Arc<Seed>,
    error_status: Option<StatusCode>,
}

/// Loads and checks the fixtures; the error names the file at fault.
pub fn api(root: &FixtureRoot, config: Config) -> Result<Arc<dyn Api>, FixtureError> {
    let error_status = match config.error_status {
        None => None,
        Some(code) => Some(StatusCode::from_u16(code).map_err(|_| {
            FixtureError::new(
                "--opscom-error-status",
                format!("{code} is not an HTTP status code"),
            )
        })?),
    };
    let seed = Seed::load(&root.for_api(NAME, &FIXTURES))?;
    Ok(Arc::new(Mock {
        seed: Arc::new(seed),
        error_status,
    }))
}

impl Api for Mock {
    fn name(&self) -> &'static str {
        NAME
    }

    fn port_offset(&self) -> u16 {
        PORT_OFFSET
    }

    fn router(&self, ctx: &Ctx) -> Router {
        router(
            Arc::new(World::new(self.seed.clone(), ctx)),
            self.error_status,
        )
    }

    fn kit_error(&self, error: KitError) -> Response {
        error::replace_status(Error::from_kit(&error).into_response(), self.error_status)
    }
}

/// The whole OPS-COM surface over one world.
pub fn router(world: Arc<World>, error_status: Option<StatusCode>) -> Router {
    let router = Router::new()
        .route("/api/{client}/v1/permits/push", endpoint(permits::push))
        .route("/api/{client}/v1/permits/update", endpoint(permits::update))
        .route("/api/{client}/v1/permits/delete", endpoint(permits::delete))
        .route("/api/{client}/v1/permits/stats", endpoint(permits::stats))
        .route("/api/{client}/v1/vehicles/push", endpoint(vehicles::push))
        .route(
            "/api/{client}/v1/profiles/types/list",
            endpoint(user_types::list),
        )
        .route("/api/{client}/v1/profiles/push", endpoint(profiles::push))
        .route(
            "/api/{client}/v1/violations/send_overdue_to_collections",
            endpoint(violations::send_overdue_to_collections),
        )
        .fallback(fallback)
        .with_state(world);
    match error_status {
        None => router,
        Some(status) => router.layer(map_response(move |response: Response| async move {
            error::replace_status(response, Some(status))
        })),
    }
}

/// A POST endpoint; any other method is 405 with `Allow: POST`, in the vendor's format.
fn endpoint<H, T>(handler: H) -> MethodRouter<Arc<World>>
where
    H: Handler<T, Arc<World>>,
    T: 'static,
{
    post(handler).fallback(|| async { Error::method_not_allowed() })
}

/// A path with no client code before `/v1/` (`/api/v1/permits/push`, `/api//v1/...`) is
/// 9000; any other path that is no endpoint is 404 with 9009.
async fn fallback(method: Method, uri: Uri) -> Error {
    let path = uri.path();
    let endpoint = path
        .strip_prefix("/api/v1/")
        .or_else(|| path.strip_prefix("/api//v1/"))
        .and_then(Operation::from_path);
    match endpoint {
        Some(_) if method == Method::POST => Error::new(Code::ClientCodeMissing),
        Some(_) => Error::method_not_allowed(),
        None => Error::unknown_path(),
    }
}

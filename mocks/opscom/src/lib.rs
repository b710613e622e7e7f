//! The OPS-COM (OperationsCommander) mock: every endpoint of seeds 004 and 002, statefully.
//!
//! Every endpoint is `POST /api/{client}/v1/...` with a JSON body carrying `apiToken`; every
//! failure is `{"ErrorCode": N, "ErrorMessage": "..."}` ([`error`]). [`handle`] below is the
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

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::{Method, Request, StatusCode};
use parkbench_kit::{Api, Ctx, FixtureError, FixtureRoot, KitError, Routes};

use crate::error::{Code, Error};
use crate::fields::{Body, client_code, is_json};
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

    fn routes(&self, ctx: &Ctx) -> Routes {
        let world = World::new(self.seed.clone(), ctx);
        let error_status = self.error_status;
        Routes::direct(move |request| error::replace_status(handle(&world, &request), error_status))
    }

    fn kit_error(&self, error: KitError) -> Response {
        error::replace_status(Error::from_kit(&error).into_response(), self.error_status)
    }
}

/// The whole OPS-COM surface over one world.
///
/// Every endpoint is `POST /api/{client}/v1/{operation}` with a JSON body carrying `apiToken`,
/// and every handler answers without waiting, so one function routes, reads and authorizes
/// them all, in the order the errors are checked: path (9009, or 9000 for a missing client
/// code), method (405), client code, content type and JSON (9003), token (9001/9002). Routing
/// by hand rather than through an axum router keeps extractors and boxed futures off the
/// serving path of a fixture server (see the kit's [`Routes::Direct`]).
pub fn handle(world: &World, request: &Request<Bytes>) -> Response {
    answer(world, request).unwrap_or_else(IntoResponse::into_response)
}

fn answer(world: &World, request: &Request<Bytes>) -> Result<Response, Error> {
    let path = request.uri().path();
    let Some((segment, operation)) = endpoint(path) else {
        return Err(not_an_endpoint(request.method(), path));
    };
    if request.method() != Method::POST {
        return Err(Error::method_not_allowed());
    }
    let client = client_code(segment)?;
    if !is_json(request.headers().get(CONTENT_TYPE)) {
        return Err(Error::new(Code::Unparseable));
    }
    let body = Body::parse(request.body())?;
    let customer = world.authorize(&client, &body, operation)?;
    match operation {
        Operation::PermitsPush => permits::push(world, customer, &body),
        Operation::PermitsUpdate => permits::update(world, customer, &body),
        Operation::PermitsDelete => permits::delete(world, customer, &body),
        Operation::PermitsStats => permits::stats(world, customer, &body),
        Operation::VehiclesPush => vehicles::push(world, customer, &body),
        Operation::ProfilesTypesList => user_types::list(world, customer),
        Operation::ProfilesPush => profiles::push(world, customer, &body),
        Operation::ViolationsSendOverdueToCollections => {
            violations::send_overdue_to_collections(world, customer)
        }
    }
}

/// `/api/{client}/v1/{operation}`: the raw client segment (never empty) and the operation.
fn endpoint(path: &str) -> Option<(&str, Operation)> {
    let (client, rest) = path.strip_prefix("/api/")?.split_once('/')?;
    let operation = Operation::from_path(rest.strip_prefix("v1/")?)?;
    (!client.is_empty()).then_some((client, operation))
}

/// A path with no client code before `/v1/` (`/api/v1/permits/push`, `/api//v1/...`) is
/// 9000; any other path that is no endpoint is 404 with 9009.
fn not_an_endpoint(method: &Method, path: &str) -> Error {
    let operation = path
        .strip_prefix("/api/v1/")
        .or_else(|| path.strip_prefix("/api//v1/"))
        .and_then(Operation::from_path);
    match operation {
        Some(_) if method == Method::POST => Error::new(Code::ClientCodeMissing),
        Some(_) => Error::method_not_allowed(),
        None => Error::unknown_path(),
    }
}

//! The OPS-COM (OperationsCommander) mock.

use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use parkbench_kit::{Api, Ctx, FixtureError, FixtureRoot, KitError};

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
    _config: Config,
}

/// Loads and checks the fixtures; the error names the file at fault.
pub fn api(root: &FixtureRoot, config: Config) -> Result<Arc<dyn Api>, FixtureError> {
    let _fixtures = root.for_api(NAME, &FIXTURES);
    Ok(Arc::new(Mock { _config: config }))
}

impl Api for Mock {
    fn name(&self) -> &'static str {
        NAME
    }

    fn port_offset(&self) -> u16 {
        PORT_OFFSET
    }

    fn router(&self, _ctx: &Ctx) -> Router {
        Router::new()
    }

    fn kit_error(&self, error: KitError) -> Response {
        (http::StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
    }
}

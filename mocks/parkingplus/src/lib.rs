//! The PARKING+PLUS car_driver mock.

use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use parkbench_kit::{Api, Ctx, FixtureError, FixtureRoot, KitError};

pub const NAME: &str = "parkingplus";
pub const PORT_OFFSET: u16 = 4;

static FIXTURES: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../fixtures/parkingplus");

/// How the PARKING+PLUS mock behaves beyond its fixtures.
#[derive(Clone, Debug)]
pub struct Config {
    /// Lifetime of access tokens in seconds of virtual time (the vendor documents 7200).
    pub token_ttl_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self { token_ttl_secs: 7200 }
    }
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

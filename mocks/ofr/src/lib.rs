//! The EasyPark Operator Financial Reporting (OFR) mock.

use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use parkbench_kit::{Api, Ctx, FixtureError, FixtureRoot, KitError};

pub const NAME: &str = "ofr";
pub const PORT_OFFSET: u16 = 1;

static FIXTURES: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../fixtures/ofr");

use parkbench_kit::rate_limit::Quota;

/// How the OFR mock behaves beyond its fixtures.
#[derive(Clone, Debug)]
pub struct Config {
    /// `--ofr-report-delay`: seconds of virtual time a report takes to generate.
    pub report_delay_secs: u64,
    /// `--ofr-rate-limit`: requests per sliding window per client; `None` is off.
    pub rate_limit: Option<Quota>,
    /// `--ofr-history-months`: how far back `startDate` may reach.
    pub history_months: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            report_delay_secs: 3,
            rate_limit: Some(Quota { limit: 30, window_secs: 600 }),
            history_months: 3,
        }
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

//! The EasyPark Operator Financial Reporting (OFR) mock (seed 000, api-notes §1).
//!
//! JWT auth through `X-Authorization`, asynchronous report generation with status polling
//! (303 on completion, 200 + problem+json on failure), streamed CSV and JSON reports, a revenue
//! summary, and the test environment's rate limit of 30 requests per 10 minutes.

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use parkbench_kit::{Api, Ctx, FixtureError, FixtureRoot, KitError, Routes};

mod auth;
mod columns;
mod error;
mod export;
mod hal;
mod limits;
mod params;
mod reports;
mod summary;
mod transactions;
mod world;

pub use auth::{Claims, X_AUTHORIZATION};
pub use columns::Column;
pub use error::{PROBLEM_JSON, REPORT_FAILED_TYPE};
pub use hal::HAL_JSON;
pub use reports::{MAX_REPORT_RECORDS, REPORT_FAILURE_FLAG};

use world::{Fixtures, World};

pub const NAME: &str = "ofr";
pub const PORT_OFFSET: u16 = 1;

pub(crate) static FIXTURES: include_dir::Dir<'static> =
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

/// Seed 000: "Rate Limits: 30 requests per 10 min in test environment". The mock's default
/// limit, and the pace the conformance suite keeps against a real OFR sandbox.
pub const DOCUMENTED_RATE_LIMIT: Quota = Quota {
    limit: 30,
    window_secs: 600,
};

impl Default for Config {
    fn default() -> Self {
        Self {
            report_delay_secs: 3,
            rate_limit: Some(DOCUMENTED_RATE_LIMIT),
            history_months: 3,
        }
    }
}

struct Mock {
    config: Config,
    fixtures: Arc<Fixtures>,
}

/// Loads and checks the fixtures; the error names the file at fault.
pub fn api(root: &FixtureRoot, config: Config) -> Result<Arc<dyn Api>, FixtureError> {
    let fixtures = Fixtures::load(&root.for_api(NAME, &FIXTURES))?;
    Ok(Arc::new(Mock {
        config,
        fixtures: Arc::new(fixtures),
    }))
}

/// Every OFR route over one world.
fn router(world: Arc<World>) -> Router {
    Router::new()
        .route("/auth/v1", post(auth::auth_v1))
        .route("/report/generate", post(reports::generate))
        .route(
            "/report/generate/{reportIdentifier}",
            get(reports::report_status),
        )
        .route(
            "/report/download/{reportIdentifier}",
            get(reports::download),
        )
        .route("/summary-report/revenue", post(summary::revenue))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            world.clone(),
            limits::rate_limit,
        ))
        .layer(middleware::from_fn(error::problem_instance))
        .with_state(world)
}

impl Api for Mock {
    fn name(&self) -> &'static str {
        NAME
    }

    fn port_offset(&self) -> u16 {
        PORT_OFFSET
    }

    fn routes(&self, ctx: &Ctx) -> Routes {
        router(Arc::new(World::new(
            ctx,
            self.config.clone(),
            self.fixtures.clone(),
        )))
        .into()
    }

    fn kit_error(&self, error: KitError) -> Response {
        error::kit_error(error)
    }
}

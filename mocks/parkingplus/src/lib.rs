//! The PARKING+PLUS car_driver mock: sign in, see the current parking session, finalize it,
//! pay on the `pay_url` with the sandbox test cards, and find the payment among the
//! transactions (seed 003 and its sibling pages, api-notes section 4).

mod cards;
mod error;
mod extract;
mod oauth;
mod parking_sessions;
mod payment;
mod registration;
mod sim;
mod smart_keys;
mod tariff;
mod transactions;
mod world;

use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::TimeDelta;
use parkbench_kit::{Api, Ctx, FixtureError, FixtureRoot, KitError, Routes};

pub use cards::V2_MEDIA_TYPE;
pub use payment::{DECLINE_FLAG, EPX_ACCEPTED, NETOPIA_ACCEPTED, NETOPIA_EXPIRED};

/// The fixture contract users script against: the values in `fixtures/parkingplus/`, checked
/// against the embedded fixtures by this crate's tests.
pub mod contract {
    pub const CLIENT_APP_ID: &str = "pp-test-app";
    pub const CLIENT_SECRET: &str = "pp-test-secret";
    pub const DRIVER_EMAIL: &str = "driver@parkingplus.test";
    pub const DRIVER_PASSWORD: &str = "driver-password";
    /// The driver's active session, at [`SECURED_PARKING_ID`].
    pub const DRIVER_SESSION_ID: i64 = 1;
    /// How long before start-up (or reset) the driver's session started.
    pub const DRIVER_SESSION_STARTED_MINUTES_AGO: i64 = 65;
    pub const OTHER_EMAIL: &str = "other@parkingplus.test";
    pub const OTHER_PASSWORD: &str = "other-password";
    /// The other driver's active session, at [`OTHER_SECURED_PARKING_ID`].
    pub const OTHER_SESSION_ID: i64 = 2;
    pub const OTHER_SESSION_STARTED_MINUTES_AGO: i64 = 30;
    /// 5.00 RON per started hour.
    pub const SECURED_PARKING_ID: i64 = 187;
    /// 0.10 RON per started minute.
    pub const OTHER_SECURED_PARKING_ID: i64 = 188;
    /// The mock's own way in for a new parking session (not a vendor endpoint).
    pub const SIM_ENTRANCE_PATH: &str = "/__sim/entrance";
}

pub const NAME: &str = "parkingplus";
pub const PORT_OFFSET: u16 = 4;

static FIXTURES: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../fixtures/parkingplus");

/// How the PARKING+PLUS mock behaves beyond its fixtures.
#[derive(Clone, Debug)]
pub struct Config {
    /// Lifetime of access tokens in seconds of virtual time (the vendor documents 7200).
    pub token_ttl_secs: u64,
    /// Transactions per page of `GET /api/car_driver/parking_session_transactions`
    /// (undocumented; 10 by default, at least 1).
    pub transactions_per_page: u64,
    /// How long a `session_access` key opens the barrier, from entry and again from finalize
    /// (seed 003's example: 5 minutes).
    pub session_key_window_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            token_ttl_secs: 7200,
            transactions_per_page: 10,
            session_key_window_secs: 300,
        }
    }
}

impl Config {
    pub(crate) fn per_page(&self) -> u64 {
        self.transactions_per_page.max(1)
    }

    /// At most a year, so that no setting overflows the clock's arithmetic.
    pub(crate) fn session_key_window(&self) -> TimeDelta {
        TimeDelta::seconds(
            i64::try_from(self.session_key_window_secs.min(366 * 86_400)).unwrap_or(0),
        )
    }
}

struct Mock {
    config: Config,
    seed: world::Seed,
}

/// Loads and checks the fixtures; the error names the file at fault.
pub fn api(root: &FixtureRoot, config: Config) -> Result<Arc<dyn Api>, FixtureError> {
    let fixtures = root.for_api(NAME, &FIXTURES);
    let seed = world::Seed::load(&fixtures)?;
    Ok(Arc::new(Mock { config, seed }))
}

/// The whole API surface.
fn router(world: world::World) -> Router {
    Router::new()
        .route("/api/oauth/token", post(oauth::token_v1))
        .route("/api/car_driver/token", post(oauth::token_v2))
        .route("/api/car_driver", post(registration::register))
        .route("/api/car_driver/smart_keys", get(smart_keys::index))
        .route(
            "/api/car_driver/smart_keys/create_booking",
            post(smart_keys::create_booking),
        )
        .route(
            "/api/car_driver/parking_sessions/current",
            get(parking_sessions::current),
        )
        .route(
            "/api/car_driver/parking_sessions/{id}/finalize",
            put(parking_sessions::finalize).patch(parking_sessions::finalize),
        )
        .route(
            "/api/car_driver/parking_session_transactions",
            get(transactions::index),
        )
        .route("/api/car_driver/cards/new", get(cards::new))
        .route(
            "/api/payment/pay/{id}",
            get(payment::show).post(payment::pay),
        )
        .route(contract::SIM_ENTRANCE_PATH, post(sim::entrance))
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::method_not_allowed)
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
        router(world::World::new(&self.seed, &self.config, ctx)).into()
    }

    fn kit_error(&self, error: KitError) -> Response {
        error::ApiError::from(error).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::contract::*;
    use super::*;

    #[test]
    fn the_published_contract_matches_the_embedded_fixtures() {
        let fixtures = FixtureRoot::Embedded.for_api(NAME, &FIXTURES);
        let seed = world::Seed::load(&fixtures).unwrap();
        let ctx = Ctx::new(
            NAME,
            1,
            parkbench_kit::Clock::frozen("2026-01-01T00:00:00Z".parse().unwrap()),
        );
        let world = world::World::new(&seed, &Config::default(), &ctx);
        let now = world.now();
        let state = world.lock();
        assert!(state.app_matches(CLIENT_APP_ID, CLIENT_SECRET));
        for (email, password, session, parking, minutes) in [
            (
                DRIVER_EMAIL,
                DRIVER_PASSWORD,
                DRIVER_SESSION_ID,
                SECURED_PARKING_ID,
                DRIVER_SESSION_STARTED_MINUTES_AGO,
            ),
            (
                OTHER_EMAIL,
                OTHER_PASSWORD,
                OTHER_SESSION_ID,
                OTHER_SECURED_PARKING_ID,
                OTHER_SESSION_STARTED_MINUTES_AGO,
            ),
        ] {
            let driver = state.driver_by_email(email).unwrap();
            assert_eq!(driver.password, password);
            let open = state.open_session_of(driver.id).unwrap();
            assert_eq!((open.id, open.parking_id), (session, parking));
            assert_eq!(now - open.start_time, TimeDelta::minutes(minutes));
        }
        let tariff = state.parkings[&SECURED_PARKING_ID].tariff;
        assert_eq!(
            (tariff.unit, tariff.price),
            (tariff::PriceUnit::Hour, tariff::Cents(500))
        );
        assert_eq!(state.parkings[&SECURED_PARKING_ID].currency, "RON");
        let tariff = state.parkings[&OTHER_SECURED_PARKING_ID].tariff;
        assert_eq!(
            (tariff.unit, tariff.price),
            (tariff::PriceUnit::Minute, tariff::Cents(10))
        );
    }
}

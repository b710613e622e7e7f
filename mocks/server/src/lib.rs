//! Every parkbench mock assembled: which APIs exist, how they are configured, and one call
//! that starts them. `parkbench serve` and the conformance suite both start the mocks here;
//! Rust users can too, inside their own tests:
//!
//! ```no_run
//! # async fn demo() -> Result<(), parkbench_mocks::StartError> {
//! let mocks = parkbench_mocks::MockServer::builder().seed(7).start().await?;
//! let opscom = mocks.url("opscom").unwrap(); // http://127.0.0.1:PORT
//! // ... point the client under test at `opscom` ...
//! drop(mocks); // stops every listener
//! # Ok(()) }
//! ```

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use parkbench_kit::server::{self, Running, ServeError, ServeOptions};
use parkbench_kit::{Api, ClockStart, FixtureError, FixtureRoot};

pub use parkbench_kit;
pub use parkbench_ofr as ofr;
pub use parkbench_opscom as opscom;
pub use parkbench_parkingplus as parkingplus;

/// The APIs parkbench emulates, in port-offset order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiName {
    Ofr,
    Opscom,
    Parkingplus,
}

impl ApiName {
    pub const ALL: [ApiName; 3] = [ApiName::Ofr, ApiName::Opscom, ApiName::Parkingplus];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiName::Ofr => ofr::NAME,
            ApiName::Opscom => opscom::NAME,
            ApiName::Parkingplus => parkingplus::NAME,
        }
    }
}

impl fmt::Display for ApiName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApiName::ALL
            .into_iter()
            .find(|api| api.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let known: Vec<_> = ApiName::ALL.iter().map(|a| a.as_str()).collect();
                format!("unknown API `{s}` (known: {})", known.join(", "))
            })
    }
}

/// Everything that decides what the mocks answer.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub fixtures: FixtureRoot,
    /// Serve only these; every API when empty.
    pub only: Vec<ApiName>,
    pub ofr: ofr::Config,
    pub opscom: opscom::Config,
    pub parkingplus: parkingplus::Config,
}

/// Why the mocks did not start. One line each.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("fixtures folder {0} is not a readable folder")]
    FixturesFolder(PathBuf),
    #[error(transparent)]
    Fixtures(#[from] FixtureError),
    #[error(transparent)]
    Serve(#[from] ServeError),
}

/// Loads the selected APIs with their fixtures, checking every fixture file.
pub fn apis(settings: &Settings) -> Result<Vec<Arc<dyn Api>>, StartError> {
    if let FixtureRoot::Dir(dir) = &settings.fixtures
        && std::fs::read_dir(dir).is_err()
    {
        return Err(StartError::FixturesFolder(dir.clone()));
    }
    let wanted = |api: ApiName| settings.only.is_empty() || settings.only.contains(&api);
    let mut apis = Vec::new();
    for api in ApiName::ALL.into_iter().filter(|a| wanted(*a)) {
        apis.push(match api {
            ApiName::Ofr => ofr::api(&settings.fixtures, settings.ofr.clone())?,
            ApiName::Opscom => opscom::api(&settings.fixtures, settings.opscom.clone())?,
            ApiName::Parkingplus => {
                parkingplus::api(&settings.fixtures, settings.parkingplus.clone())?
            }
        });
    }
    Ok(apis)
}

/// Starts the selected mocks; every listener is bound when this returns.
pub async fn start(settings: &Settings, serve: &ServeOptions) -> Result<Running, StartError> {
    let apis = apis(settings)?;
    Ok(server::start(apis, serve).await?)
}

/// Starts mocks for a test: ephemeral ports on loopback, a fixed seed, dropped to stop.
#[derive(Clone, Debug, Default)]
pub struct MockServer {
    settings: Settings,
    serve: ServeOptions,
}

impl MockServer {
    pub fn builder() -> Self {
        Self::default()
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.serve.service.seed = seed;
        self
    }

    /// Serve only these APIs.
    pub fn only(mut self, apis: impl IntoIterator<Item = ApiName>) -> Self {
        self.settings.only = apis.into_iter().collect();
        self
    }

    /// Freeze every service's clock at this instant.
    pub fn clock(mut self, start: ClockStart) -> Self {
        self.serve.service.clock = start;
        self
    }

    pub fn bind(mut self, addr: IpAddr) -> Self {
        self.serve.bind = addr;
        self
    }

    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    pub async fn start(self) -> Result<Running, StartError> {
        start(&self.settings, &self.serve).await
    }
}

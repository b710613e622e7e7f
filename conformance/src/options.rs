//! What a run is asked to do: the target, the selection, the budget, the policy on writes.
//! Built by `parkbench check` from its flags; Rust users can build it directly.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use parkbench_kit::rate_limit::Quota;

use crate::ApiName;

/// Where the checks are sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetSpec {
    /// Start every mock in-process on ephemeral loopback ports (`--target mock`).
    Mock,
    /// Deployments by base URL; only the APIs given a URL are checked. A URL whose server
    /// answers `GET /__admin/health` as a parkbench mock is treated as a mock.
    Urls(BTreeMap<ApiName, String>),
}

/// Which checks run. Empty lists select everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub apis: Vec<ApiName>,
    /// Vendor operation names (`permits/push`, `report/generate`, `parking_sessions/finalize`).
    pub operations: Vec<String>,
    /// Check names (`schema`, `status`, `error-code`, `model` ...).
    pub checks: Vec<String>,
    /// Flow names (`negative`, `permits`, `report`, `payment` ...).
    pub flows: Vec<String>,
}

impl Selection {
    pub fn api(&self, api: ApiName) -> bool {
        self.apis.is_empty() || self.apis.contains(&api)
    }

    pub fn operation(&self, operation: &str) -> bool {
        self.operations.is_empty()
            || self
                .operations
                .iter()
                .any(|o| o.eq_ignore_ascii_case(operation))
    }

    pub fn check(&self, check: &str) -> bool {
        self.checks.is_empty() || self.checks.iter().any(|c| c.eq_ignore_ascii_case(check))
    }

    pub fn flow(&self, flow: &str) -> bool {
        self.flows.is_empty() || self.flows.iter().any(|f| f.eq_ignore_ascii_case(flow))
    }
}

/// The default number of generated cases per property against a mock.
pub const DEFAULT_CASES: u32 = 48;

/// Everything a run needs.
#[derive(Clone, Debug)]
pub struct Options {
    pub target: TargetSpec,
    pub selection: Selection,
    /// Seeds every generated case; the same seed against the same target sends the same cases.
    pub seed: u64,
    /// Generated cases per property-based check against a mock (real targets get a small
    /// fixed set of minimal cases instead).
    pub cases: u32,
    /// Against a real target: allow operations that create or change data.
    pub allow_writes: bool,
    /// Against a real target: allow one-way operations (with `allow_writes`).
    pub allow_destructive: bool,
    /// Never use the control API, even on a parkbench mock.
    pub no_control: bool,
    /// Use the mocks' fixture credentials for URL targets (a shared parkbench fixture server)
    /// instead of the environment.
    pub fixture_credentials: bool,
    /// Hard cap on requests per API, polls and retried 429s included.
    pub max_requests: Option<u32>,
    /// Wall-clock limit for the whole run.
    pub deadline: Option<Duration>,
    /// Requests per sliding window per API, kept by pacing before the limit is reached.
    pub pace: BTreeMap<ApiName, Option<Quota>>,
    /// Where the JSON Schemas live (`schemas/` of the repository by default).
    pub schemas: Option<PathBuf>,
    /// Draw a progress bar on stderr when it is a terminal.
    pub progress: bool,
    /// Per-request timeout.
    pub request_timeout: Duration,
}

impl Options {
    pub fn new(target: TargetSpec) -> Self {
        Self {
            target,
            selection: Selection::default(),
            seed: parkbench_kit::DEFAULT_SEED,
            cases: DEFAULT_CASES,
            allow_writes: false,
            allow_destructive: false,
            no_control: false,
            fixture_credentials: false,
            max_requests: None,
            deadline: None,
            pace: default_pace(),
            schemas: None,
            progress: false,
            request_timeout: Duration::from_secs(30),
        }
    }

    /// The pace of one API: OFR's documented 30 requests per 10 minutes by default, none for
    /// the APIs that document no limit.
    pub fn pace_of(&self, api: ApiName) -> Option<Quota> {
        self.pace.get(&api).copied().flatten()
    }
}

/// OFR documents 30 requests per 10 minutes for its test environment; the others document none.
pub fn default_pace() -> BTreeMap<ApiName, Option<Quota>> {
    BTreeMap::from([(
        ApiName::Ofr,
        Some(parkbench_mocks::ofr::DOCUMENTED_RATE_LIMIT),
    )])
}

/// Parses a duration such as `90`, `90s`, `45m`, `1h30m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not a duration such as 90s, 45m or 1h30m");
    let s = s.trim();
    if s.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(bad()),
        };
        total = total
            .checked_add(n.checked_mul(unit).ok_or_else(bad)?)
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("90", Some(90))]
    #[case("90s", Some(90))]
    #[case("45m", Some(2700))]
    #[case("1h30m", Some(5400))]
    #[case("", None)]
    #[case("5x", None)]
    #[case("m", None)]
    #[case("10m5", None)]
    fn durations_parse(#[case] input: &str, #[case] secs: Option<u64>) {
        assert_eq!(parse_duration(input).ok().map(|d| d.as_secs()), secs);
    }

    #[test]
    fn empty_selection_selects_everything_and_names_ignore_case() {
        let all = Selection::default();
        assert!(all.api(ApiName::Ofr) && all.operation("x") && all.check("y") && all.flow("z"));
        let some = Selection {
            apis: vec![ApiName::Opscom],
            operations: vec!["permits/push".into()],
            checks: vec!["Schema".into()],
            flows: vec!["negative".into()],
        };
        assert!(some.api(ApiName::Opscom) && !some.api(ApiName::Ofr));
        assert!(some.operation("PERMITS/push") && !some.operation("permits/stats"));
        assert!(some.check("schema") && !some.check("status"));
        assert!(some.flow("negative") && !some.flow("permits"));
    }
}

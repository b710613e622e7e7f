//! The conformance suite: property-based and stateful checks that run against the parkbench
//! mocks or a vendor's real sandbox, within the vendor's request budget.
//!
//! `parkbench check` parses flags into [`Options`] and calls [`main`]. Rust users can call
//! [`execute`] for a [`Report`], or [`plan`] for what a run would send.
//!
//! A run is a list of [`Scenario`]s per API (a negative property, a stateful model, a flow);
//! each sends requests through an [`run::ApiRun`], which applies the generic checks
//! ([`checks`]) to every answer and records per API, operation and check.

pub mod apis;
pub mod budget;
pub mod checks;
pub mod client;
pub mod creds;
pub mod options;
pub mod props;
pub mod report;
pub mod run;
pub mod target;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use parkbench_kit::schema::Schemas;

pub use options::{Options, Selection, TargetSpec};
pub use parkbench_mocks::ApiName;
pub use report::Report;

use crate::budget::Budget;
use crate::checks::ResponseSpec;
use crate::creds::{Credentials, Redactor};
use crate::run::{ApiRun, Setup, Stop};
use crate::target::{ApiTarget, Control, Kind};

/// What a scenario may need beyond reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// Creates or changes data: on a real target only with `--allow-writes`.
    pub writes: bool,
    /// One-way: on a real target only with `--allow-writes --allow-destructive`.
    pub destructive: bool,
    /// The control API (clock, faults): mocks only, not with `--no-control`.
    pub control: bool,
}

impl Needs {
    pub const READ: Needs = Needs {
        writes: false,
        destructive: false,
        control: false,
    };
    pub const WRITE: Needs = Needs {
        writes: true,
        destructive: false,
        control: false,
    };
    pub const DESTRUCTIVE: Needs = Needs {
        writes: true,
        destructive: true,
        control: false,
    };
    pub const CONTROL: Needs = Needs {
        writes: true,
        destructive: false,
        control: true,
    };
}

/// What the plan of a scenario depends on.
#[derive(Clone, Copy, Debug)]
pub struct PlanCtx {
    /// A real target: fixed minimal cases only.
    pub real: bool,
    pub cases: u32,
}

impl PlanCtx {
    /// Cases a property sends: its fixed ones, plus the generated ones against a mock.
    pub fn cases(&self, fixed: u32) -> u32 {
        if self.real { fixed } else { fixed + self.cases }
    }
}

/// A scenario's future.
pub type ScenarioFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Stop>> + Send + 'a>>;

/// One unit of checking: a property, a stateful model or a flow of one API.
#[derive(Clone, Copy)]
pub struct Scenario {
    pub api: ApiName,
    pub name: &'static str,
    pub flow: &'static str,
    /// The operations it exercises (for `--operation`).
    pub operations: &'static [&'static str],
    /// The scenario-specific checks it records (the generic ones apply to every answer).
    pub checks: &'static [&'static str],
    pub needs: Needs,
    /// Requests it sends (an estimate where polling is involved).
    pub requests: fn(&PlanCtx) -> u32,
    /// Seconds it waits on purpose besides pacing (polling a report), for the plan.
    pub waits_secs: fn(&PlanCtx) -> f64,
    pub run: for<'a> fn(&'a ApiRun) -> ScenarioFuture<'a>,
}

impl Scenario {
    /// The same scenario with deliberate waits, for the plan.
    pub fn waits(mut self, waits_secs: fn(&PlanCtx) -> f64) -> Self {
        self.waits_secs = waits_secs;
        self
    }
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("api", &self.api)
            .field("name", &self.name)
            .field("flow", &self.flow)
            .finish_non_exhaustive()
    }
}

/// No waits besides pacing.
pub fn no_waits(_: &PlanCtx) -> f64 {
    0.0
}

/// The checks of every API and what each API documents about its answers.
#[derive(Clone)]
pub struct Suite {
    pub scenarios: Vec<Scenario>,
    pub specs: fn(ApiName) -> &'static [ResponseSpec],
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suite")
            .field("scenarios", &self.scenarios)
            .finish_non_exhaustive()
    }
}

impl Suite {
    /// The checks of OPS-COM, OFR and PARKING+PLUS.
    pub fn standard() -> Self {
        Self {
            scenarios: apis::scenarios(),
            specs: apis::specs,
        }
    }

    fn known(&self, f: impl Fn(&Scenario) -> Vec<&'static str>) -> BTreeSet<&'static str> {
        self.scenarios.iter().flat_map(f).collect()
    }

    /// Every check name `--check` accepts.
    pub fn check_names(&self) -> BTreeSet<&'static str> {
        let mut names = self.known(|s| s.checks.to_vec());
        names.extend(checks::GENERIC);
        names.extend(["transport", "retry-after"]);
        names
    }

    pub fn flow_names(&self) -> BTreeSet<&'static str> {
        self.known(|s| vec![s.flow])
    }

    pub fn operation_names(&self) -> BTreeSet<&'static str> {
        self.known(|s| s.operations.to_vec())
    }

    fn selected<'a>(
        &'a self,
        api: ApiName,
        selection: &'a Selection,
    ) -> impl Iterator<Item = &'a Scenario> + 'a {
        let generic_selected = checks::GENERIC.iter().any(|c| selection.check(c));
        self.scenarios.iter().filter(move |s| {
            s.api == api
                && selection.flow(s.flow)
                && s.operations.iter().any(|o| selection.operation(o))
                && (generic_selected || s.checks.iter().any(|c| selection.check(c)))
        })
    }
}

/// A problem with the configuration: exit code 2, nothing sent.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Credentials(#[from] creds::CredentialError),
    #[error("schemas: {0}")]
    Schemas(String),
    #[error("the plan exceeds the cap: {0}")]
    OverCap(String),
    #[error("cannot start: {0}")]
    Start(String),
}

/// What a run would send, per API.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub apis: BTreeMap<ApiName, ApiPlan>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiPlan {
    pub kind: &'static str,
    pub scenarios: usize,
    pub requests: u32,
    /// Wall-clock seconds of pacing on a real target (virtual on a mock).
    pub pacing_secs: f64,
    /// Seconds of deliberate waits (polls).
    pub waits_secs: f64,
    pub skipped: Vec<String>,
}

impl Plan {
    pub fn human(&self, options: &Options) -> String {
        let mut out = String::from("parkbench check --plan (nothing is sent)\n");
        for (api, p) in &self.apis {
            let pace = options.pace_of(*api).map_or_else(
                || "no pace".to_owned(),
                |q| format!("pace {} per {} s", q.limit, q.window_secs),
            );
            let _ = writeln!(
                out,
                "{api} ({}): {} checks, {} requests, {pace}: {} of pacing{}{}",
                p.kind,
                p.scenarios,
                p.requests,
                human_secs(p.pacing_secs),
                if p.waits_secs > 0.0 {
                    format!(" + {} of polling", human_secs(p.waits_secs))
                } else {
                    String::new()
                },
                match options.max_requests {
                    Some(max) if p.requests > max => format!(" — OVER the cap of {max}"),
                    Some(max) => format!(" (cap {max})"),
                    None => String::new(),
                }
            );
            for skipped in &p.skipped {
                let _ = writeln!(out, "  skipped: {skipped}");
            }
        }
        out
    }
}

fn human_secs(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.0} s")
    } else if secs < 3600.0 {
        format!("{:.1} min", secs / 60.0)
    } else {
        format!("{:.2} h", secs / 3600.0)
    }
}

/// The APIs a run covers.
fn apis_in_play(options: &Options) -> Vec<ApiName> {
    let given: Vec<ApiName> = match &options.target {
        TargetSpec::Mock => ApiName::ALL.to_vec(),
        TargetSpec::Urls(urls) => urls.keys().copied().collect(),
    };
    given
        .into_iter()
        .filter(|a| options.selection.api(*a))
        .collect()
}

fn validate(options: &Options, suite: &Suite) -> Result<Vec<ApiName>, ConfigError> {
    let known_checks = suite.check_names();
    let known_flows = suite.flow_names();
    let known_ops = suite.operation_names();
    let unknown =
        |given: &[String], known: &BTreeSet<&'static str>, what: &str| -> Result<(), ConfigError> {
            for g in given {
                if !known.iter().any(|k| k.eq_ignore_ascii_case(g)) {
                    let list: Vec<_> = known.iter().copied().collect();
                    return Err(ConfigError::Usage(format!(
                        "unknown {what} `{g}` (known: {})",
                        list.join(", ")
                    )));
                }
            }
            Ok(())
        };
    unknown(&options.selection.checks, &known_checks, "check")?;
    unknown(&options.selection.flows, &known_flows, "flow")?;
    unknown(&options.selection.operations, &known_ops, "operation")?;
    if options.allow_destructive && !options.allow_writes {
        return Err(ConfigError::Usage(
            "--allow-destructive needs --allow-writes".into(),
        ));
    }
    if let TargetSpec::Urls(urls) = &options.target {
        if urls.is_empty() {
            return Err(ConfigError::Usage(
                "give --target mock or at least one of --opscom-url, --ofr-url, --parkingplus-url"
                    .into(),
            ));
        }
        for (api, url) in urls {
            target::validate_url(*api, url).map_err(ConfigError::Usage)?;
        }
    }
    let apis = apis_in_play(options);
    if apis.is_empty() {
        return Err(ConfigError::Usage(
            "no API left to check: --api selects none of the targets".into(),
        ));
    }
    Ok(apis)
}

/// What each API's selected scenarios will send. URL targets are planned as real targets
/// (fixed minimal cases, no control API): a plan sends nothing, so it cannot detect a mock.
pub fn plan(options: &Options, suite: &Suite) -> Result<Plan, ConfigError> {
    let apis = validate(options, suite)?;
    Ok(plan_for(options, suite, apis))
}

/// [`plan`] for APIs already validated.
fn plan_for(options: &Options, suite: &Suite, apis: Vec<ApiName>) -> Plan {
    let mut plan = Plan::default();
    for api in apis {
        let real = !matches!(options.target, TargetSpec::Mock);
        let control = !real && !options.no_control;
        let ctx = PlanCtx {
            real,
            cases: options.cases,
        };
        let mut p = ApiPlan {
            kind: if real { "real" } else { "mock" },
            requests: u32::from(real),
            ..ApiPlan::default()
        };
        for s in suite.selected(api, &options.selection) {
            if let Some(reason) = unmet(s.needs, real, control, options) {
                p.skipped.push(format!("{} ({reason})", s.name));
                continue;
            }
            p.scenarios += 1;
            p.requests += (s.requests)(&ctx);
            p.waits_secs += (s.waits_secs)(&ctx);
        }
        p.pacing_secs = budget::pacing_secs(p.requests, options.pace_of(api));
        plan.apis.insert(api, p);
    }
    plan
}

fn unmet(needs: Needs, real: bool, control: bool, options: &Options) -> Option<&'static str> {
    if needs.control && !control {
        return Some(if options.no_control {
            "needs the control API; --no-control was given"
        } else {
            "needs the control API of a parkbench mock"
        });
    }
    if real && needs.writes && !options.allow_writes {
        return Some("writes: needs --allow-writes against a real target");
    }
    if real && needs.destructive && !options.allow_destructive {
        return Some("one-way: needs --allow-destructive against a real target");
    }
    None
}

fn schemas_root(options: &Options) -> PathBuf {
    options.schemas.clone().unwrap_or_else(|| {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        here.parent().unwrap_or(here).join("schemas")
    })
}

fn load_schemas(options: &Options, api: ApiName) -> Result<Arc<Schemas>, ConfigError> {
    let dir = schemas_root(options).join(api.as_str());
    if !dir.is_dir() {
        return Err(ConfigError::Schemas(format!(
            "{} is not a folder (give --schemas DIR, the repository's schemas/ folder)",
            dir.display()
        )));
    }
    Schemas::load(&dir)
        .map(Arc::new)
        .map_err(ConfigError::Schemas)
}

/// A run id: tags whatever a run creates on a target. Differs run to run (cleanup of one run
/// must not touch another's data); `--seed` fixes the generated cases, not the id.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mixed =
        (nanos ^ u64::from(std::process::id()).rotate_left(32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    format!("pb{:08x}", mixed >> 32)
}

/// Runs the suite. Configuration problems (exit code 2) come back as errors before anything
/// is sent; everything else is in the report.
pub async fn execute(
    options: &Options,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    suite: &Suite,
) -> Result<Report, ConfigError> {
    let started = std::time::Instant::now();
    let apis = validate(options, suite)?;
    let redactor = Redactor::default();
    // Credentials first: a missing one is an error before any request.
    let mut credentials = BTreeMap::new();
    let mut missing = Vec::new();
    for api in &apis {
        let creds = match &options.target {
            TargetSpec::Mock => creds::fixtures(*api),
            TargetSpec::Urls(_) if options.fixture_credentials => creds::fixtures(*api),
            TargetSpec::Urls(_) => match creds::from_env(*api, env, &redactor) {
                Ok(c) => c,
                Err(e) => {
                    missing.push(e.to_string());
                    continue;
                }
            },
        };
        credentials.insert(*api, creds);
    }
    if !missing.is_empty() {
        return Err(ConfigError::Usage(missing.join("; ")));
    }
    let mut schemas = BTreeMap::new();
    for api in &apis {
        schemas.insert(*api, load_schemas(options, *api)?);
    }
    let the_plan = plan_for(options, suite, apis.clone());
    if let Some(max) = options.max_requests {
        let over: Vec<String> = the_plan
            .apis
            .iter()
            .filter(|(_, p)| p.requests > max)
            .map(|(a, p)| format!("{a} plans {} requests, --max-requests is {max}", p.requests))
            .collect();
        if !over.is_empty() {
            return Err(ConfigError::OverCap(over.join("; ")));
        }
    }
    let loopback_only = match &options.target {
        TargetSpec::Mock => true,
        TargetSpec::Urls(urls) => urls.values().all(|url| target::is_loopback(url)),
    };
    let http =
        target::http_client(options.request_timeout, loopback_only).map_err(ConfigError::Start)?;
    let deadline = options.deadline.map(|d| tokio::time::Instant::now() + d);

    // Targets.
    let mut _running = None;
    let mut targets = Vec::new();
    match &options.target {
        TargetSpec::Mock => {
            let settings = parkbench_mocks::Settings {
                only: apis.clone(),
                ..parkbench_mocks::Settings::default()
            };
            let serve = parkbench_kit::ServeOptions {
                service: parkbench_kit::ServiceOptions {
                    seed: options.seed,
                    ..parkbench_kit::ServiceOptions::default()
                },
                ..parkbench_kit::ServeOptions::default()
            };
            let running = parkbench_mocks::start(&settings, &serve)
                .await
                .map_err(|e| ConfigError::Start(e.to_string()))?;
            for api in &apis {
                let base = running
                    .url(api.as_str())
                    .ok_or_else(|| ConfigError::Start(format!("{api} did not start")))?;
                let control = (!options.no_control).then(|| Control::new(&base, http.clone()));
                targets.push((
                    ApiTarget {
                        api: *api,
                        base,
                        kind: Kind::InProcess,
                        control,
                    },
                    false,
                ));
            }
            _running = Some(running);
        }
        TargetSpec::Urls(urls) => {
            for api in &apis {
                let base = target::validate_url(*api, &urls[api]).map_err(ConfigError::Usage)?;
                let mock = target::is_parkbench_mock(&http, &base, *api).await;
                let kind = if mock { Kind::RemoteMock } else { Kind::Real };
                let control =
                    (mock && !options.no_control).then(|| Control::new(&base, http.clone()));
                targets.push((
                    ApiTarget {
                        api: *api,
                        base,
                        kind,
                        control,
                    },
                    true,
                ));
            }
        }
    }

    let report = Arc::new(Mutex::new(Report {
        seed: options.seed,
        run_id: run_id(),
        ..Report::default()
    }));
    let run_id = report.lock().map(|r| r.run_id.clone()).unwrap_or_default();
    let total: usize = apis
        .iter()
        .map(|a| suite.selected(*a, &options.selection).count())
        .sum();
    let progress = if options.progress {
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} checks · {elapsed} · {msg}",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };

    let mut runs = Vec::new();
    for (target, detected) in targets {
        let api = target.api;
        let quota = options.pace_of(api);
        let budget = match &target.control {
            Some(control) => {
                Budget::virtual_time(options.max_requests, quota, deadline, control.clone())
            }
            None => Budget::real(options.max_requests, quota, deadline),
        };
        if detected {
            // The health probe that told a mock from a real target was a request too.
            let _ = budget.admit(false).await;
        }
        if let Ok(mut r) = report.lock() {
            r.targets.insert(
                api,
                report::TargetInfo {
                    url: target.base.clone(),
                    kind: target.kind.label().to_owned(),
                    control: target.control.is_some(),
                },
            );
        }
        let creds: Credentials = credentials[&api].clone();
        runs.push(ApiRun::new(Setup {
            target,
            creds,
            budget,
            redactor: redactor.clone(),
            seed: options.seed,
            cases: options.cases,
            run_id: run_id.clone(),
            allow_writes: options.allow_writes,
            allow_destructive: options.allow_destructive,
            http: http.clone(),
            schemas: schemas.get(&api).cloned(),
            specs: (suite.specs)(api),
            selection: options.selection.clone(),
            report: report.clone(),
        }));
    }

    let results = futures_util::future::join_all(
        runs.iter()
            .map(|run| run_api(run, options, suite, &progress)),
    )
    .await;
    progress.finish_and_clear();
    let mut report = report.lock().map(|r| r.clone()).unwrap_or_default();
    for (run, incomplete) in runs.iter().zip(results) {
        report.requests.insert(run.api, run.budget.used());
        let waited = run.budget.waited();
        if waited > 0.0 {
            report.waited_secs.insert(run.api, waited);
        }
        if let Some(reason) = incomplete {
            report.incomplete.insert(run.api, reason);
        }
    }
    report.duration = started.elapsed();
    Ok(report)
}

/// Runs one API's selected scenarios in order; returns why it stopped early, if it did.
async fn run_api(
    run: &ApiRun,
    options: &Options,
    suite: &Suite,
    progress: &indicatif::ProgressBar,
) -> Option<String> {
    let mut incomplete = None;
    for scenario in suite.selected(run.api, &options.selection) {
        progress.set_message(scenario.name);
        let skip = unmet(scenario.needs, run.is_real(), run.has_control(), options).or_else(|| {
            incomplete
                .as_ref()
                .map(|_| "the budget or deadline ran out")
        });
        if let Some(reason) = skip {
            for op in scenario.operations {
                for check in scenario.checks {
                    run.skip(op, check, reason);
                }
            }
            progress.inc(1);
            continue;
        }
        run.set_flow(scenario.flow);
        match (scenario.run)(run).await {
            Ok(()) | Err(Stop::Broken(_)) => {}
            Err(Stop::Exhausted(e)) => incomplete = Some(format!("{e} during {}", scenario.name)),
        }
        progress.inc(1);
    }
    run.set_flow("cleanup");
    run.cleanup().await;
    if let Some(control) = &run.target.control {
        let _ = control.clear_faults().await;
    }
    incomplete
}

/// Outputs of a run besides the summary on stdout.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    pub junit: Option<PathBuf>,
    pub json: Option<PathBuf>,
    /// Print the plan and send nothing.
    pub plan_only: bool,
}

/// `parkbench check`: runs (or plans) and prints; returns the exit code (0 passed, 1 a check
/// failed, 2 usage or configuration, 3 budget or deadline ran out).
pub fn main(options: Options, outputs: Outputs) -> u8 {
    let suite = Suite::standard();
    if outputs.plan_only {
        return match plan(&options, &suite) {
            Ok(plan) => {
                print!("{}", plan.human(&options));
                let over = options
                    .max_requests
                    .is_some_and(|max| plan.apis.values().any(|p| p.requests > max));
                if over {
                    eprintln!(
                        "parkbench check: the plan exceeds --max-requests; a run would refuse to start"
                    );
                    2
                } else {
                    0
                }
            }
            Err(e) => {
                eprintln!("parkbench check: {e}");
                2
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("parkbench check: cannot start the async runtime: {e}");
            return 2;
        }
    };
    let env = |name: &str| std::env::var(name).ok();
    let report = match runtime.block_on(execute(&options, &env, &suite)) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("parkbench check: {e}");
            return 2;
        }
    };
    print!("{}", report.human());
    if let Some(path) = &outputs.junit {
        match report.junit() {
            Ok(xml) => {
                if let Err(e) = std::fs::write(path, xml) {
                    eprintln!("parkbench check: cannot write {}: {e}", path.display());
                    return 2;
                }
            }
            Err(e) => {
                eprintln!("parkbench check: cannot render JUnit XML: {e}");
                return 2;
            }
        }
    }
    if let Some(path) = &outputs.json {
        let text = serde_json::to_string_pretty(&report.json()).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("parkbench check: cannot write {}: {e}", path.display());
            return 2;
        }
    }
    report.exit_code()
}

/// Seconds to wait between polls when a target gives no `retryAfter`.
pub const DEFAULT_POLL_SECS: u64 = 30;

/// Per-request timeout default.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

//! `parkbench`: the command-line front. Argument parsing and wiring only; the mocks live in
//! `mocks/`, the runtime in `mocks/kit`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use parkbench_kit::clock::Instant;
use parkbench_kit::rate_limit::{self, Quota};
use parkbench_kit::{ClockStart, FixtureRoot, ServeOptions, ServiceOptions};
use parkbench_mocks::{ApiName, Settings};

#[derive(Parser)]
#[command(
    name = "parkbench",
    version,
    about = "Offline mocks and conformance checks for parking-industry APIs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API mocks, one listener per API, until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Run the conformance suite against the mocks or real deployments.
    ///
    /// Exit codes: 0 all passed, 1 a check failed, 2 usage or configuration error, 3 the
    /// budget or deadline ran out before the plan finished.
    Check(CheckArgs),
}

#[derive(Args)]
struct CheckArgs {
    /// `mock`: start every mock in-process on ephemeral ports.
    #[arg(long, value_parser = ["mock"])]
    target: Option<String>,
    /// OPS-COM base URL (credentials: PARKBENCH_OPSCOM_API_TOKEN, PARKBENCH_OPSCOM_CLIENT_CODE).
    #[arg(long, conflicts_with = "target")]
    opscom_url: Option<String>,
    /// OFR base URL (PARKBENCH_OFR_CLIENT_ID, PARKBENCH_OFR_CLIENT_SECRET, PARKBENCH_OFR_OPERATOR_ID).
    #[arg(long, conflicts_with = "target")]
    ofr_url: Option<String>,
    /// PARKING+PLUS base URL (PARKBENCH_PARKINGPLUS_CLIENT_APP_ID, _CLIENT_SECRET, _USERNAME, _PASSWORD).
    #[arg(long, conflicts_with = "target")]
    parkingplus_url: Option<String>,
    /// Check only these APIs (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = parse_api)]
    api: Vec<ApiName>,
    /// Check only these operations (comma-separated, e.g. permits/push,report/generate).
    #[arg(long, value_delimiter = ',')]
    operation: Vec<String>,
    /// Run only these checks (comma-separated, e.g. schema,error-code,model).
    #[arg(long, value_delimiter = ',')]
    check: Vec<String>,
    /// Run only these flows (comma-separated, e.g. negative,permits,report).
    #[arg(long, value_delimiter = ',')]
    flow: Vec<String>,
    /// Seed of every generated case; the same seed reproduces a run.
    #[arg(long, default_value_t = parkbench_kit::DEFAULT_SEED)]
    seed: u64,
    /// Generated cases per property-based check against a mock.
    #[arg(long, default_value_t = parkbench_conformance::options::DEFAULT_CASES)]
    cases: u32,
    /// Against a real target, allow checks that create or change data.
    #[arg(long)]
    allow_writes: bool,
    /// Against a real target, also allow one-way operations (needs --allow-writes).
    #[arg(long)]
    allow_destructive: bool,
    /// Never use the control API, even when a URL answers as a parkbench mock.
    #[arg(long)]
    no_control: bool,
    /// Use the mocks' fixture credentials for URL targets (a shared parkbench fixture server).
    #[arg(long)]
    fixture_credentials: bool,
    /// Hard cap on requests per API (polls and 429s included).
    #[arg(long)]
    max_requests: Option<u32>,
    /// Stop waiting and end the run after this long (e.g. 45m, 1h30m, 900).
    #[arg(long, value_parser = parkbench_conformance::options::parse_duration)]
    deadline: Option<std::time::Duration>,
    /// OFR pace: requests per sliding window, LIMIT/SECONDS, or `off`.
    #[arg(long, default_value_t = RateLimit(parkbench_conformance::options::default_pace()[&ApiName::Ofr]), value_parser = parse_rate_limit)]
    ofr_pace: RateLimit,
    /// Print per API the requests and pacing time the selected checks need; send nothing.
    #[arg(long)]
    plan: bool,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The schemas folder (default: the repository's schemas/).
    #[arg(long)]
    schemas: Option<PathBuf>,
    /// Per-request timeout (e.g. 30s).
    #[arg(long, default_value = "30s", value_parser = parkbench_conformance::options::parse_duration)]
    request_timeout: std::time::Duration,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
}

#[derive(Args)]
struct ServeArgs {
    /// Address every listener binds.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// OFR listens on base+1, ParkWhiz +2, OPS-COM +3, PARKING+PLUS +4; 0 gives ephemeral ports.
    #[arg(long, default_value_t = 8400)]
    port_base: u16,
    /// Seed of every generated id and value.
    #[arg(long, default_value_t = parkbench_kit::DEFAULT_SEED)]
    seed: u64,
    /// Folder with one sub-folder of fixtures per API (default: the fixtures built into the binary).
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// Serve only these APIs (comma-separated: ofr, opscom, parkingplus).
    #[arg(long, value_delimiter = ',', value_parser = parse_api)]
    only: Vec<ApiName>,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value = "pretty")]
    log_format: LogFormat,
    /// Freeze every service's virtual clock at this RFC 3339 instant (default: real time).
    #[arg(long, value_parser = parse_instant)]
    freeze_clock: Option<Instant>,
    /// Requests kept in each service's journal (GET /__admin/requests).
    #[arg(long, default_value_t = parkbench_kit::journal::DEFAULT_CAPACITY)]
    journal_size: usize,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = ServiceOptions::default().body_limit)]
    body_limit: usize,
    /// OPS-COM: answer every error body with this HTTP status (e.g. 200) instead of the mapped one.
    #[arg(long, value_parser = clap::value_parser!(u16).range(100..=599))]
    opscom_error_status: Option<u16>,
    /// OFR: seconds of virtual time a report takes to generate.
    #[arg(long, default_value_t = parkbench_mocks::ofr::Config::default().report_delay_secs)]
    ofr_report_delay: u64,
    /// OFR: requests per sliding window per client, LIMIT/SECONDS, or `off`.
    #[arg(long, default_value_t = RateLimit(parkbench_mocks::ofr::Config::default().rate_limit), value_parser = parse_rate_limit)]
    ofr_rate_limit: RateLimit,
    /// OFR: how many months back a report may start.
    #[arg(long, default_value_t = parkbench_mocks::ofr::Config::default().history_months, value_parser = clap::value_parser!(u32).range(1..=120))]
    ofr_history_months: u32,
}

/// A rate-limit setting; a newtype because clap reads a bare `Option` as "flag may be absent".
#[derive(Clone, Copy)]
struct RateLimit(Option<Quota>);

/// As the flag is written, so `--help` shows the default the libraries define.
impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(quota) => quota.fmt(f),
            None => f.write_str("off"),
        }
    }
}

fn parse_rate_limit(s: &str) -> Result<RateLimit, String> {
    rate_limit::parse_setting(s).map(RateLimit)
}

/// A fixture server allocates a little on every request; mimalloc makes that cheaper than
/// the system allocator, measurably so in `bench/throughput.sh`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn parse_api(s: &str) -> Result<ApiName, String> {
    s.parse()
}

fn parse_instant(s: &str) -> Result<Instant, String> {
    parkbench_kit::clock::parse_instant(s)
        .map_err(|e| format!("`{s}` is not an RFC 3339 time such as 2026-01-01T00:00:00Z: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> ExitCode {
    use parkbench_conformance::{Options, Outputs, TargetSpec};
    let urls: std::collections::BTreeMap<ApiName, String> = [
        (ApiName::Opscom, args.opscom_url),
        (ApiName::Ofr, args.ofr_url),
        (ApiName::Parkingplus, args.parkingplus_url),
    ]
    .into_iter()
    .filter_map(|(api, url)| url.map(|u| (api, u)))
    .collect();
    let target = if args.target.is_some() {
        TargetSpec::Mock
    } else if urls.is_empty() {
        eprintln!(
            "parkbench check: give --target mock or at least one of --opscom-url, --ofr-url, --parkingplus-url"
        );
        return ExitCode::from(2);
    } else {
        TargetSpec::Urls(urls)
    };
    let mut options = Options::new(target);
    options.selection = parkbench_conformance::Selection {
        apis: args.api,
        operations: args.operation,
        checks: args.check,
        flows: args.flow,
    };
    options.seed = args.seed;
    options.cases = args.cases;
    options.allow_writes = args.allow_writes;
    options.allow_destructive = args.allow_destructive;
    options.no_control = args.no_control;
    options.fixture_credentials = args.fixture_credentials;
    options.max_requests = args.max_requests;
    options.deadline = args.deadline;
    options.pace.insert(ApiName::Ofr, args.ofr_pace.0);
    options.schemas = args.schemas;
    options.request_timeout = args.request_timeout;
    options.progress = !args.no_progress;
    let outputs = Outputs {
        junit: args.junit,
        json: args.json,
        plan_only: args.plan,
    };
    ExitCode::from(parkbench_conformance::main(options, outputs))
}

fn serve(args: ServeArgs) -> ExitCode {
    init_logging(args.log_format);
    let settings = Settings {
        fixtures: args
            .fixtures
            .map_or(FixtureRoot::Embedded, FixtureRoot::Dir),
        only: args.only,
        ofr: parkbench_mocks::ofr::Config {
            report_delay_secs: args.ofr_report_delay,
            rate_limit: args.ofr_rate_limit.0,
            history_months: args.ofr_history_months,
        },
        opscom: parkbench_mocks::opscom::Config {
            error_status: args.opscom_error_status,
        },
        parkingplus: parkbench_mocks::parkingplus::Config::default(),
    };
    let options = ServeOptions {
        bind: args.bind,
        port_base: args.port_base,
        service: ServiceOptions {
            seed: args.seed,
            clock: args
                .freeze_clock
                .map_or(ClockStart::Real, ClockStart::Frozen),
            journal_capacity: args.journal_size,
            body_limit: args.body_limit,
            ..ServiceOptions::default()
        },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(format!("cannot start the async runtime: {error}")),
    };
    runtime.block_on(async {
        let running = match parkbench_mocks::start(&settings, &options).await {
            Ok(running) => running,
            Err(error) => return fail(error.to_string()),
        };
        println!("{}", running.ready_line());
        shutdown_signal().await;
        tracing::info!("shutting down");
        running.shutdown().await;
        ExitCode::SUCCESS
    })
}

fn fail(message: String) -> ExitCode {
    eprintln!("parkbench: error: {message}");
    ExitCode::FAILURE
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PARKBENCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

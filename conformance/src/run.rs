//! One API's run: the context every check of that API works through. It sends requests
//! within the budget, applies the generic checks to every answer, records results (buffered
//! while a generated case runs, so only the minimal failing case of a property is reported),
//! keeps what the run created for cleanup, and holds per-API session values such as tokens.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use parkbench_kit::schema::Schemas;
use serde_json::Value;

use crate::ApiName;
use crate::budget::{Budget, Exhausted};
use crate::checks::{self, ResponseSpec, Verdict};
use crate::client::{self, Exchange, Request};
use crate::creds::{Context, Credentials, Redactor, Replacement};
use crate::options::Selection;
use crate::report::{Failure, Key, Report};
use crate::target::{ApiTarget, Kind};

/// Why a check cannot go on.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Stop {
    /// The budget or the deadline ran out: the API's run ends.
    #[error("{0}")]
    Exhausted(#[from] Exhausted),
    /// A step the rest depends on failed (it has been recorded): the check ends, the run goes on.
    #[error("{0}")]
    Broken(String),
}

/// One recorded result.
#[derive(Clone, Debug)]
pub enum Record {
    Pass(Key),
    Fail(Failure),
    Skip(Key, String),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything an API's checks may use.
pub struct ApiRun {
    pub api: ApiName,
    pub target: ApiTarget,
    pub creds: Credentials,
    pub budget: Budget,
    pub redactor: Redactor,
    pub seed: u64,
    /// Generated cases per property (mocks).
    pub cases: u32,
    pub run_id: String,
    /// Writes allowed: always on a mock, with `--allow-writes` elsewhere.
    pub writes: bool,
    /// One-way operations allowed: always on a mock, with `--allow-destructive` elsewhere.
    pub destructive: bool,
    http: reqwest::Client,
    schemas: Option<Arc<Schemas>>,
    specs: &'static [ResponseSpec],
    selection: Selection,
    report: Arc<Mutex<Report>>,
    capture: Mutex<Option<Vec<Record>>>,
    flow: Mutex<&'static str>,
    case: Mutex<Option<String>>,
    hal_resolved: Mutex<BTreeSet<&'static str>>,
    cleanups: Mutex<Vec<(String, Request)>>,
    session: Mutex<BTreeMap<String, Value>>,
}

impl std::fmt::Debug for ApiRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiRun")
            .field("api", &self.api)
            .field("target", &self.target.base)
            .finish_non_exhaustive()
    }
}

/// What an [`ApiRun`] is built from.
#[derive(Debug)]
pub struct Setup {
    pub target: ApiTarget,
    pub creds: Credentials,
    pub budget: Budget,
    pub redactor: Redactor,
    pub seed: u64,
    pub cases: u32,
    pub run_id: String,
    pub allow_writes: bool,
    pub allow_destructive: bool,
    pub http: reqwest::Client,
    pub schemas: Option<Arc<Schemas>>,
    pub specs: &'static [ResponseSpec],
    pub selection: Selection,
    pub report: Arc<Mutex<Report>>,
}

impl ApiRun {
    pub fn new(setup: Setup) -> Self {
        let mock = setup.target.kind.is_mock();
        Self {
            api: setup.target.api,
            writes: mock || setup.allow_writes,
            destructive: mock || (setup.allow_writes && setup.allow_destructive),
            target: setup.target,
            creds: setup.creds,
            budget: setup.budget,
            redactor: setup.redactor,
            seed: setup.seed,
            cases: setup.cases,
            run_id: setup.run_id,
            http: setup.http,
            schemas: setup.schemas,
            specs: setup.specs,
            selection: setup.selection,
            report: setup.report,
            capture: Mutex::new(None),
            flow: Mutex::new(""),
            case: Mutex::new(None),
            hal_resolved: Mutex::default(),
            cleanups: Mutex::default(),
            session: Mutex::default(),
        }
    }

    /// A real target gets a small fixed set of minimal cases, never generated ones.
    pub fn is_real(&self) -> bool {
        self.target.kind == Kind::Real
    }

    pub fn has_control(&self) -> bool {
        self.target.control.is_some()
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.target.base)
    }

    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    pub fn set_flow(&self, flow: &'static str) {
        *lock(&self.flow) = flow;
    }

    /// Names the generated case the following results belong to.
    pub fn set_case(&self, case: Option<String>) {
        *lock(&self.case) = case;
    }

    /// Registers a token the target issued, so it never appears in output.
    pub fn secret(&self, token: &str) {
        self.redactor.add(token, Replacement::Issued);
    }

    pub fn session_get(&self, key: &str) -> Option<Value> {
        lock(&self.session).get(key).cloned()
    }

    pub fn session_set(&self, key: &str, value: Value) {
        lock(&self.session).insert(key.to_owned(), value);
    }

    pub fn session_remove(&self, key: &str) {
        lock(&self.session).remove(key);
    }

    /// The token cached under `key`, while it is still usable on the budget's timeline (which
    /// follows the mock's clock when checks move it).
    pub fn cached_token(&self, key: &str) -> Option<String> {
        let cached = self.session_get(key)?;
        let usable = cached["until"]
            .as_f64()
            .is_some_and(|until| self.budget.now() < until);
        usable.then(|| cached["token"].as_str().map(str::to_owned))?
    }

    /// Caches `token` under `key` for `usable_secs` of the budget's timeline.
    pub fn cache_token(&self, key: &str, token: &str, usable_secs: f64) {
        self.session_set(
            key,
            serde_json::json!({"token": token, "until": self.budget.now() + usable_secs}),
        );
    }

    // ---- sending ---------------------------------------------------------------------------

    /// Sends a request within the budget (paced), applies the generic checks, and honours a
    /// 429 by waiting its `Retry-After` in full and sending again.
    pub async fn send(&self, request: Request) -> Result<Exchange, Stop> {
        self.send_with(request, true, true).await
    }

    /// Sends once, unpaced, without retrying a 429 (the rate-limit probe). Still counted.
    pub async fn send_unpaced(&self, request: Request) -> Result<Exchange, Stop> {
        self.send_with(request, false, false).await
    }

    /// Sends without generic checks (cleanup of leftovers, HAL resolution). Still counted.
    pub async fn send_quiet(&self, request: Request) -> Result<Exchange, Stop> {
        self.budget.admit(true).await?;
        client::exchange(&self.http, request)
            .await
            .map_err(|e| Stop::Broken(e.0))
    }

    async fn send_with(
        &self,
        request: Request,
        paced: bool,
        retry_429: bool,
    ) -> Result<Exchange, Stop> {
        loop {
            self.budget.admit(paced).await?;
            let operation = request.operation;
            let exchange = match client::exchange(&self.http, request.clone()).await {
                Ok(exchange) => exchange,
                Err(error) => {
                    let curl = request.curl(&self.redactor);
                    self.record_failure(
                        operation,
                        "transport",
                        "an HTTP answer",
                        &error.0,
                        Some(curl),
                    );
                    return Err(Stop::Broken(format!("{operation}: {error}")));
                }
            };
            self.generic(&exchange).await?;
            if exchange.status == 429 && retry_429 {
                let wait = retry_after_secs(&exchange);
                self.check(
                    operation,
                    "retry-after",
                    wait.is_some(),
                    "a 429 carries Retry-After (seconds or an HTTP date)",
                    &exchange,
                );
                let wait = wait.unwrap_or_else(|| {
                    self.budget
                        .quota()
                        .map_or(60.0, |q| f64::from(q.window_secs))
                });
                self.budget.retry_after(wait).await?;
                continue;
            }
            return Ok(exchange);
        }
    }

    async fn generic(&self, exchange: &Exchange) -> Result<(), Stop> {
        let op = exchange.request.operation;
        let specs = self.specs;
        self.verdict(op, "no-5xx", checks::no_5xx(exchange), exchange);
        self.verdict(op, "status", checks::status(specs, exchange), exchange);
        self.verdict(
            op,
            "content-type",
            checks::content_type(specs, exchange),
            exchange,
        );
        if self.wants(op, "schema") {
            let verdict = checks::schema(specs, self.schemas.as_deref(), exchange);
            self.verdict(op, "schema", verdict, exchange);
        }
        self.verdict(op, "problem", checks::problem(specs, exchange), exchange);
        let (verdict, href) = checks::hal_self(specs, exchange);
        let present = verdict == Verdict::Pass;
        self.verdict(op, "hal-self", verdict, exchange);
        if present
            && self.wants(op, "hal-self")
            && let Some(href) = href
        {
            self.resolve_self(exchange, &href).await?;
        }
        Ok(())
    }

    /// GETs a HAL `_links.self` once per operation (each costs a request) with the original
    /// request's headers; it resolves unless the answer is 404, 410 or a 5xx.
    async fn resolve_self(&self, exchange: &Exchange, href: &str) -> Result<(), Stop> {
        let op = exchange.request.operation;
        let Some(url) = checks::resolve_href(&exchange.request.url, href) else {
            self.fail(
                op,
                "hal-self",
                "`_links.self.href` is a URL",
                href.to_owned(),
                Some(exchange),
            );
            return Ok(());
        };
        if exchange.request.method == http::Method::GET && url == exchange.request.url {
            return Ok(());
        }
        if !lock(&self.hal_resolved).insert(op) {
            return Ok(());
        }
        let mut get = Request::get(op, url.clone());
        get.headers = exchange
            .request
            .headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("content-type"))
            .cloned()
            .collect();
        let resolved = self.send_quiet(get).await?;
        let ok = resolved.status < 500 && !matches!(resolved.status, 404 | 410);
        self.check(
            op,
            "hal-self",
            ok,
            format!("GET {href} (`_links.self`) resolves"),
            &resolved,
        );
        Ok(())
    }

    // ---- recording -------------------------------------------------------------------------

    fn wants(&self, operation: &str, check: &str) -> bool {
        self.selection.check(check) && self.selection.operation(operation)
    }

    fn verdict(&self, operation: &'static str, check: &str, verdict: Verdict, exchange: &Exchange) {
        match verdict {
            Verdict::Pass => self.pass(operation, check),
            Verdict::Fail {
                expectation,
                actual,
            } => {
                let actual = format!("{actual}\n(response: {})", exchange.summary(&self.redactor));
                self.record_failure(
                    operation,
                    check,
                    &expectation,
                    &actual,
                    Some(exchange.request.curl(&self.redactor)),
                );
            }
            Verdict::NotApplicable => {}
        }
    }

    fn record(&self, record: Record) {
        let (op, check) = match &record {
            Record::Pass(k) | Record::Skip(k, _) => (&k.operation, &k.check),
            Record::Fail(f) => (&f.operation, &f.check),
        };
        if !self.wants(op, check) {
            return;
        }
        if let Some(buffer) = lock(&self.capture).as_mut() {
            buffer.push(record);
            return;
        }
        self.commit(vec![record]);
    }

    /// Adds records to the report.
    pub fn commit(&self, records: Vec<Record>) {
        let mut report = lock(&self.report);
        for record in records {
            match record {
                Record::Pass(key) => report.pass(key),
                Record::Fail(failure) => report.fail(failure),
                Record::Skip(key, reason) => report.skip(key, &reason),
            }
        }
    }

    /// Starts buffering results (one generated case).
    pub fn begin_capture(&self) {
        *lock(&self.capture) = Some(Vec::new());
    }

    /// Stops buffering and hands back what was recorded.
    pub fn end_capture(&self) -> Vec<Record> {
        lock(&self.capture).take().unwrap_or_default()
    }

    fn key(&self, operation: &str, check: &str) -> Key {
        Key {
            api: self.api,
            operation: operation.to_owned(),
            check: check.to_owned(),
        }
    }

    pub fn pass(&self, operation: &str, check: &str) {
        self.record(Record::Pass(self.key(operation, check)));
    }

    pub fn skip(&self, operation: &str, check: &str, reason: &str) {
        self.record(Record::Skip(self.key(operation, check), reason.to_owned()));
    }

    fn record_failure(
        &self,
        operation: &str,
        check: &str,
        expectation: &str,
        actual: &str,
        curl: Option<String>,
    ) {
        let failure = Failure {
            api: self.api,
            operation: operation.to_owned(),
            check: check.to_owned(),
            flow: (*lock(&self.flow)).to_owned(),
            expectation: self.redactor.redact(expectation, Context::Plain),
            actual: self.redactor.redact(actual, Context::Plain),
            case: lock(&self.case)
                .as_ref()
                .map(|c| self.redactor.redact(c, Context::Plain)),
            seed: self.seed,
            curl,
        };
        self.record(Record::Fail(failure));
    }

    /// Records a failure; `actual` is completed with the exchange's answer when there is one.
    pub fn fail(
        &self,
        operation: &str,
        check: &str,
        expectation: impl Into<String>,
        actual: impl Into<String>,
        exchange: Option<&Exchange>,
    ) {
        let mut actual = actual.into();
        if let Some(exchange) = exchange {
            let summary = exchange.summary(&self.redactor);
            actual = if actual.is_empty() {
                summary
            } else {
                format!("{actual}\n(response: {summary})")
            };
        }
        let curl = exchange.map(|e| e.request.curl(&self.redactor));
        self.record_failure(operation, check, &expectation.into(), &actual, curl);
    }

    /// Records a pass when `ok`, else a failure showing the exchange. Returns `ok`.
    pub fn check(
        &self,
        operation: &str,
        check: &str,
        ok: bool,
        expectation: impl Into<String>,
        exchange: &Exchange,
    ) -> bool {
        if ok {
            self.pass(operation, check);
        } else {
            self.fail(operation, check, expectation, "", Some(exchange));
        }
        ok
    }

    /// Like [`ApiRun::check`] with a description of what came back instead of an exchange.
    pub fn check_value(
        &self,
        operation: &str,
        check: &str,
        ok: bool,
        expectation: impl Into<String>,
        actual: impl FnOnce() -> String,
    ) -> bool {
        if ok {
            self.pass(operation, check);
        } else {
            self.fail(operation, check, expectation, actual(), None);
        }
        ok
    }

    pub fn note(&self, note: String) {
        lock(&self.report)
            .notes
            .push(self.redactor.redact(&note, Context::Plain));
    }

    // ---- cleanup ---------------------------------------------------------------------------

    /// Remembers how to remove something the run created, under `key`.
    pub fn add_cleanup(&self, key: impl Into<String>, request: Request) {
        lock(&self.cleanups).push((key.into(), request));
    }

    /// The thing under `key` is gone (the check removed it itself).
    pub fn drop_cleanup(&self, key: &str) {
        lock(&self.cleanups).retain(|(k, _)| k != key);
    }

    /// Removes whatever is still registered; what cannot be removed is noted in the report.
    pub async fn cleanup(&self) {
        let pending = std::mem::take(&mut *lock(&self.cleanups));
        let mut left = Vec::new();
        for (key, request) in pending {
            match self.send_quiet(request).await {
                Ok(exchange) if exchange.status < 300 => {}
                Ok(exchange) => left.push(format!("{key} ({})", exchange.status)),
                Err(error) => left.push(format!("{key} ({error})")),
            }
        }
        if !left.is_empty() {
            self.note(format!(
                "{}: could not remove what run {} created: {}",
                self.api,
                self.run_id,
                left.join(", ")
            ));
        }
    }
}

/// `Retry-After` in seconds: delta-seconds, or an HTTP date measured against `Date`.
pub fn retry_after_secs(exchange: &Exchange) -> Option<f64> {
    let value = exchange.header("retry-after")?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then_some(secs);
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let now = exchange
        .header("date")
        .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
        .unwrap_or_else(|| chrono::Utc::now().fixed_offset());
    Some(((at - now).num_milliseconds().max(0) as f64) / 1000.0)
}

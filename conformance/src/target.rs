//! Where each API's checks go: mocks started in-process on ephemeral ports, or deployments by
//! URL. A URL whose server answers `GET /__admin/health` with `x-parkbench-service: <api>` is a
//! parkbench mock (a shared CI fixture server, say), and its control API may be used.

use std::time::Duration;

use serde_json::{Value, json};

use crate::ApiName;

/// What kind of server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Started by this run, in this process.
    InProcess,
    /// A URL answering as a parkbench mock.
    RemoteMock,
    /// Anything else: a vendor's sandbox or production.
    Real,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::InProcess => "mock",
            Kind::RemoteMock => "parkbench-mock",
            Kind::Real => "real",
        }
    }

    pub fn is_mock(self) -> bool {
        !matches!(self, Kind::Real)
    }
}

/// One API's target.
#[derive(Clone, Debug)]
pub struct ApiTarget {
    pub api: ApiName,
    /// `http://host:port` (no trailing slash), or a URL with a path prefix.
    pub base: String,
    pub kind: Kind,
    /// The control API, when it may be used (a mock, without `--no-control`).
    pub control: Option<Control>,
}

/// A mock's control API (`/__admin`). Its requests are not API requests: they do not count
/// against the budget and are not checked.
#[derive(Clone, Debug)]
pub struct Control {
    base: String,
    http: reqwest::Client,
}

impl Control {
    pub fn new(base: &str, http: reqwest::Client) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        }
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let url = format!("{}/__admin/{path}", self.base);
        let response = self
            .http
            .post(&url)
            .json(body)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!("{url}: {status} {body}"))
        }
    }

    /// Moves the mock's virtual clock forward.
    pub async fn advance(&self, secs: f64) -> Result<(), String> {
        self.post("clock", &json!({ "advance_seconds": secs }))
            .await
            .map(|_| ())
    }

    /// Queues a fault (`POST /__admin/faults`).
    pub async fn fault(&self, spec: Value) -> Result<(), String> {
        self.post("faults", &spec).await.map(|_| ())
    }

    /// Clears every queued fault.
    pub async fn clear_faults(&self) -> Result<(), String> {
        let url = format!("{}/__admin/faults", self.base);
        self.http
            .delete(&url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        Ok(())
    }
}

/// Whether `base` answers as the parkbench mock of `api`.
pub async fn is_parkbench_mock(http: &reqwest::Client, base: &str, api: ApiName) -> bool {
    let url = format!("{}/__admin/health", base.trim_end_matches('/'));
    let Ok(response) = http.get(&url).timeout(Duration::from_secs(10)).send().await else {
        return false;
    };
    response.status().is_success()
        && response
            .headers()
            .get("x-parkbench-service")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|name| name.eq_ignore_ascii_case(api.as_str()))
}

/// The client every request of a run goes through: no redirects followed (a 303 is an answer
/// to check), no proxy when every target is on this machine (`loopback_only`, so a CI job's
/// `HTTP_PROXY` does not swallow the mocks' traffic), rustls on ring for HTTPS.
pub fn http_client(timeout: Duration, loopback_only: bool) -> Result<reqwest::Client, String> {
    // Installing twice is harmless; the first provider wins.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let builder = reqwest::Client::builder();
    let builder = if loopback_only {
        builder.no_proxy()
    } else {
        builder
    };
    builder
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("parkbench-check/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Whether a URL points at this machine (no proxy then).
pub fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split(']')
            .next()
            .unwrap_or_default()
            .trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or_default()
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// Checks a base URL given on the command line.
pub fn validate_url(api: ApiName, url: &str) -> Result<String, String> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| format!("--{api}-url `{url}` is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!(
            "--{api}-url `{url}` must be an http:// or https:// URL with a host"
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "--{api}-url `{url}` must not carry a query or fragment"
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("http://127.0.0.1:8403", true)]
    #[case("http://localhost/api", true)]
    #[case("http://[::1]:9000", true)]
    #[case("https://operator-financial-reporting.staging.ezprk.dev", false)]
    #[case("http://user@127.0.0.2:1", true)]
    fn loopback_hosts(#[case] url: &str, #[case] expected: bool) {
        assert_eq!(is_loopback(url), expected);
    }

    #[rstest]
    #[case("http://127.0.0.1:8403/", Ok("http://127.0.0.1:8403"))]
    #[case("https://example.test/base", Ok("https://example.test/base"))]
    #[case("ftp://example.test", Err(()))]
    #[case("not a url", Err(()))]
    #[case("http://example.test/?a=1", Err(()))]
    fn urls_are_validated(#[case] url: &str, #[case] expected: Result<&str, ()>) {
        assert_eq!(
            validate_url(ApiName::Opscom, url).map_err(|_| ()),
            expected.map(str::to_owned)
        );
    }
}

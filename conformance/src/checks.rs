//! The generic checks every response gets: the status is one the documentation allows for the
//! operation, no 5xx, the documented content type, the body validates against its schema in
//! `schemas/<api>/`, problem bodies follow RFC 9457 with a `status` that agrees with the
//! outcome, and HAL bodies carry a `_links.self` (resolved by the runner).

use parkbench_kit::schema::Schemas;
use serde_json::Value;

use crate::client::Exchange;

/// Names of the generic checks, as `--check` accepts them.
pub const GENERIC: &[&str] = &[
    "status",
    "no-5xx",
    "content-type",
    "schema",
    "problem",
    "hal-self",
];

pub const JSON: &str = "application/json";
pub const HAL: &str = "application/hal+json";
pub const PROBLEM: &str = "application/problem+json";
pub const CSV: &str = "text/csv";
pub const HTML: &str = "text/html";

/// One documented answer of one operation.
#[derive(Clone, Copy, Debug)]
pub struct ResponseSpec {
    pub operation: &'static str,
    pub statuses: &'static [u16],
    /// Allowed media types; empty means the answer has no body to check (a 303, a 204).
    pub media: &'static [&'static str],
    /// The schema file stem under `schemas/<api>/` the body must validate against.
    pub schema: Option<&'static str>,
    /// For problem bodies whose `status` member differs from the HTTP status on purpose (OFR's
    /// failed report: HTTP 200, problem `status` 400).
    pub problem_status: Option<u16>,
    /// The body must carry `_links.self.href`.
    pub hal_self: bool,
    /// A JSON pointer that must exist in the body for this spec to describe it (OPS-COM
    /// answers errors and successes with the same status when `--opscom-error-status 200`).
    pub when: Option<&'static str>,
}

impl ResponseSpec {
    pub const fn new(
        operation: &'static str,
        statuses: &'static [u16],
        media: &'static [&'static str],
    ) -> Self {
        Self {
            operation,
            statuses,
            media,
            schema: None,
            problem_status: None,
            hal_self: false,
            when: None,
        }
    }

    pub const fn when(mut self, pointer: &'static str) -> Self {
        self.when = Some(pointer);
        self
    }

    pub const fn schema(mut self, stem: &'static str) -> Self {
        self.schema = Some(stem);
        self
    }

    pub const fn problem_status(mut self, status: u16) -> Self {
        self.problem_status = Some(status);
        self
    }

    pub const fn hal(mut self) -> Self {
        self.hal_self = true;
        self
    }
}

/// The outcome of one generic check on one exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail {
        expectation: String,
        actual: String,
    },
    /// Not applicable to this exchange: nothing is recorded.
    NotApplicable,
}

fn fail(expectation: impl Into<String>, actual: impl Into<String>) -> Verdict {
    Verdict::Fail {
        expectation: expectation.into(),
        actual: actual.into(),
    }
}

/// The specs of `operation` that allow `status`.
fn for_status<'a>(
    specs: &'a [ResponseSpec],
    operation: &str,
    status: u16,
) -> impl Iterator<Item = &'a ResponseSpec> {
    specs
        .iter()
        .filter(move |s| s.operation == operation && s.statuses.contains(&status))
}

/// The spec that describes this exchange's body: the status's spec whose media types include
/// the response's (or the only one with no media types).
pub fn matching<'a>(specs: &'a [ResponseSpec], exchange: &Exchange) -> Option<&'a ResponseSpec> {
    let media = exchange.media_type();
    let candidates: Vec<&ResponseSpec> =
        for_status(specs, exchange.request.operation, exchange.status).collect();
    let media_ok = |s: &&ResponseSpec| {
        s.media.is_empty() || media.as_deref().is_some_and(|m| s.media.contains(&m))
    };
    let body = if candidates.iter().any(|s| s.when.is_some()) {
        exchange.json()
    } else {
        None
    };
    let marked = candidates.iter().copied().filter(media_ok).find(|s| {
        s.when
            .is_some_and(|p| body.as_ref().is_some_and(|b| b.pointer(p).is_some()))
    });
    marked
        .or_else(|| {
            candidates
                .iter()
                .copied()
                .filter(media_ok)
                .find(|s| s.when.is_none())
        })
        .or_else(|| candidates.first().copied())
}

fn documented_statuses(specs: &[ResponseSpec], operation: &str) -> Vec<u16> {
    let mut statuses: Vec<u16> = specs
        .iter()
        .filter(|s| s.operation == operation)
        .flat_map(|s| s.statuses.iter().copied())
        .collect();
    statuses.sort_unstable();
    statuses.dedup();
    statuses
}

/// `status`: the status is one the documentation allows for this operation.
pub fn status(specs: &[ResponseSpec], exchange: &Exchange) -> Verdict {
    if for_status(specs, exchange.request.operation, exchange.status)
        .next()
        .is_some()
    {
        Verdict::Pass
    } else {
        let allowed = documented_statuses(specs, exchange.request.operation);
        fail(
            format!(
                "a status documented for {}: {allowed:?}",
                exchange.request.operation
            ),
            exchange.status.to_string(),
        )
    }
}

/// `no-5xx`.
pub fn no_5xx(exchange: &Exchange) -> Verdict {
    if exchange.status >= 500 {
        fail("no 5xx answer", exchange.status.to_string())
    } else {
        Verdict::Pass
    }
}

/// `content-type`: the documented media type for this status.
pub fn content_type(specs: &[ResponseSpec], exchange: &Exchange) -> Verdict {
    let allowed: Vec<&str> = for_status(specs, exchange.request.operation, exchange.status)
        .flat_map(|s| s.media.iter().copied())
        .collect();
    if allowed.is_empty() {
        return Verdict::NotApplicable;
    }
    match exchange.media_type() {
        Some(m) if allowed.contains(&m.as_str()) => Verdict::Pass,
        Some(m) => fail(format!("Content-Type {}", allowed.join(" or ")), m),
        None => fail(
            format!("Content-Type {}", allowed.join(" or ")),
            "no Content-Type",
        ),
    }
}

/// `schema`: the body validates against the spec's schema file.
pub fn schema(specs: &[ResponseSpec], schemas: Option<&Schemas>, exchange: &Exchange) -> Verdict {
    let Some(spec) = matching(specs, exchange) else {
        return Verdict::NotApplicable;
    };
    let Some(stem) = spec.schema else {
        return Verdict::NotApplicable;
    };
    if spec.media.iter().all(|m| !m.contains("json")) {
        return Verdict::NotApplicable;
    }
    if exchange.media_type().is_some_and(|m| !m.contains("json")) {
        // The content-type check names this; a schema cannot judge a non-JSON body.
        return Verdict::NotApplicable;
    }
    let Some(schemas) = schemas else {
        return fail(
            format!("a body valid against schema `{stem}`"),
            "no schemas loaded for this API",
        );
    };
    let Some(body) = exchange.json() else {
        return fail(
            format!("a JSON body valid against schema `{stem}`"),
            "the body is not JSON",
        );
    };
    match schemas.validate(stem, &body) {
        Ok(()) => Verdict::Pass,
        Err(message) => fail(format!("a body valid against schema `{stem}`"), message),
    }
}

/// `problem`: an `application/problem+json` body is an RFC 9457 problem whose `status`
/// agrees with the outcome.
pub fn problem(specs: &[ResponseSpec], exchange: &Exchange) -> Verdict {
    if exchange.media_type().as_deref() != Some(PROBLEM) {
        return Verdict::NotApplicable;
    }
    let expected = matching(specs, exchange)
        .and_then(|s| s.problem_status)
        .unwrap_or(exchange.status);
    let Some(Value::Object(body)) = exchange.json() else {
        return fail(
            "an RFC 9457 problem object",
            "the body is not a JSON object",
        );
    };
    for member in ["type", "title", "detail", "instance"] {
        if let Some(value) = body.get(member)
            && !value.is_string()
        {
            return fail(
                format!("problem member `{member}` is a string (RFC 9457)"),
                value.to_string(),
            );
        }
    }
    match body.get("status") {
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(expected)) => Verdict::Pass,
        Some(other) => fail(format!("problem `status` {expected}"), other.to_string()),
        None => fail(format!("problem `status` {expected}"), "no `status` member"),
    }
}

/// `hal-self` (presence): the spec requires `_links.self.href`; returns the href to resolve.
pub fn hal_self(specs: &[ResponseSpec], exchange: &Exchange) -> (Verdict, Option<String>) {
    let required = matching(specs, exchange).is_some_and(|s| s.hal_self);
    let is_hal = exchange.media_type().as_deref() == Some(HAL);
    if !required && !is_hal {
        return (Verdict::NotApplicable, None);
    }
    let href = exchange.json().and_then(|b| {
        b.pointer("/_links/self/href")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    match href {
        Some(href) if !href.is_empty() => (Verdict::Pass, Some(href)),
        _ => (fail("a HAL `_links.self.href`", "none in the body"), None),
    }
}

/// Resolves a HAL href against the request URL (absolute hrefs are kept).
pub fn resolve_href(request_url: &str, href: &str) -> Option<String> {
    let base = reqwest::Url::parse(request_url).ok()?;
    base.join(href).ok().map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Request;
    use http::HeaderMap;
    use serde_json::json;

    const SPECS: &[ResponseSpec] = &[
        ResponseSpec::new("status", &[200], &[HAL, JSON]).hal(),
        ResponseSpec::new("status", &[200], &[PROBLEM]).problem_status(400),
        ResponseSpec::new("status", &[303], &[]),
        ResponseSpec::new("status", &[401, 404], &[PROBLEM]),
    ];

    fn ex(status: u16, ct: Option<&str>, body: &str) -> Exchange {
        let mut headers = HeaderMap::new();
        if let Some(ct) = ct {
            headers.insert("content-type", ct.parse().unwrap());
        }
        Exchange {
            request: Request::get("status", "http://127.0.0.1:1/report/generate/abc"),
            status,
            headers,
            body: body.to_owned().into(),
        }
    }

    #[test]
    fn statuses_and_media_types() {
        assert_eq!(status(SPECS, &ex(303, None, "")), Verdict::Pass);
        assert!(matches!(
            status(SPECS, &ex(500, None, "")),
            Verdict::Fail { .. }
        ));
        assert!(matches!(no_5xx(&ex(502, None, "")), Verdict::Fail { .. }));
        assert_eq!(
            content_type(
                SPECS,
                &ex(200, Some("application/hal+json; charset=utf-8"), "{}")
            ),
            Verdict::Pass
        );
        assert!(matches!(
            content_type(SPECS, &ex(200, Some("text/plain"), "")),
            Verdict::Fail { .. }
        ));
        assert_eq!(
            content_type(SPECS, &ex(303, None, "")),
            Verdict::NotApplicable
        );
    }

    #[test]
    fn a_failed_report_is_a_problem_with_status_400_inside_a_200() {
        let good = ex(
            200,
            Some(PROBLEM),
            r#"{"type":"about:blank","title":"t","status":400,"detail":"d"}"#,
        );
        assert_eq!(problem(SPECS, &good), Verdict::Pass);
        let wrong = ex(200, Some(PROBLEM), r#"{"title":"t","status":200}"#);
        assert!(matches!(problem(SPECS, &wrong), Verdict::Fail { .. }));
        let missing = ex(404, Some(PROBLEM), r#"{"title":"t"}"#);
        assert!(matches!(problem(SPECS, &missing), Verdict::Fail { .. }));
        let typed = ex(404, Some(PROBLEM), r#"{"title":7,"status":404}"#);
        assert!(matches!(problem(SPECS, &typed), Verdict::Fail { .. }));
        assert_eq!(
            problem(SPECS, &ex(200, Some(JSON), "{}")),
            Verdict::NotApplicable
        );
    }

    #[test]
    fn hal_self_is_required_where_documented() {
        let with = ex(
            200,
            Some(HAL),
            &json!({"_links": {"self": {"href": "/report/generate/abc"}}}).to_string(),
        );
        assert_eq!(
            hal_self(SPECS, &with).1.as_deref(),
            Some("/report/generate/abc")
        );
        let without = ex(200, Some(JSON), r#"{"message":"x"}"#);
        assert!(matches!(hal_self(SPECS, &without).0, Verdict::Fail { .. }));
        assert_eq!(
            resolve_href("http://127.0.0.1:1/report/generate", "/report/generate/abc").as_deref(),
            Some("http://127.0.0.1:1/report/generate/abc")
        );
    }
}

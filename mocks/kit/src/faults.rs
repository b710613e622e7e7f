//! Fault injection behind `POST /__admin/faults`: the next N requests that match a method and
//! a path pattern get a fixed answer, extra latency, a dropped connection, a truncated body, or
//! a named flag that the API itself interprets (OFR fails a report with it, for instance).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use globset::{Glob, GlobMatcher};
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a matched request gets.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Answer with this status, body and headers instead of calling the API.
    Respond {
        status: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        body: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        content_type: Option<String>,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
    },
    /// Close the connection without answering.
    Drop,
    /// Let the API answer, then cut the body off halfway and close the connection.
    Truncate,
    /// Let the API answer after the latency alone.
    Delay,
    /// Let the API answer, with this flag in the request's extensions ([`FaultFlag`]).
    Flag { name: String },
}

/// A request extension set by a `flag` fault; the API decides what it means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultFlag(pub String);

/// A fault as the control API accepts it.
#[derive(Clone, Debug, Deserialize)]
pub struct FaultSpec {
    /// HTTP method to match; any method when absent.
    pub method: Option<String>,
    /// Glob over the request path (`*` matches any run of characters, `/` included); any path when absent.
    pub path: Option<String>,
    /// How many matching requests get the fault; 1 when absent.
    pub times: Option<u32>,
    /// Real-time delay before the request is handled or the fault applied.
    pub latency_ms: Option<u64>,
    /// `respond`, `drop`, `truncate`, `delay` or `flag`; `respond` when a status is given.
    pub action: Option<String>,
    pub status: Option<u16>,
    pub body: Option<Value>,
    pub content_type: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The flag's name, for `action: "flag"`.
    pub flag: Option<String>,
}

/// A fault spec the control API refuses, with the reason.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct InvalidFault(pub String);

/// A queued fault, as `GET /__admin/faults` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Fault {
    pub method: Option<String>,
    pub path: String,
    pub remaining: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(flatten)]
    pub action: Action,
    #[serde(skip)]
    matcher: GlobMatcher,
}

/// What the serving path needs to apply one fault.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    pub latency: Option<Duration>,
    pub action: Action,
}

impl Applied {
    /// A short label for the journal.
    pub fn label(&self) -> String {
        match &self.action {
            Action::Respond { status, .. } => format!("respond {status}"),
            Action::Drop => "drop".into(),
            Action::Truncate => "truncate".into(),
            Action::Delay => format!("delay {}ms", self.latency.unwrap_or_default().as_millis()),
            Action::Flag { name } => format!("flag {name}"),
        }
    }
}

impl FaultSpec {
    /// Checks the spec and turns it into a queued fault.
    pub fn into_fault(self) -> Result<Fault, InvalidFault> {
        let bad = |msg: &str| Err(InvalidFault(msg.to_owned()));
        let method = match self.method {
            Some(m) if m == "*" => None,
            Some(m) => match Method::from_bytes(m.to_ascii_uppercase().as_bytes()) {
                Ok(method) => Some(method.to_string()),
                Err(_) => return bad("`method` is not an HTTP method"),
            },
            None => None,
        };
        let path = self.path.unwrap_or_else(|| "*".to_owned());
        let matcher = match Glob::new(&path) {
            Ok(glob) => glob.compile_matcher(),
            Err(e) => return Err(InvalidFault(format!("`path` is not a valid pattern: {e}"))),
        };
        let times = self.times.unwrap_or(1);
        if times == 0 {
            return bad("`times` must be at least 1");
        }
        let action_name = match (self.action.as_deref(), self.status) {
            (Some(name), _) => name,
            (None, Some(_)) => "respond",
            (None, None) => {
                return bad(
                    "give an `action` (respond, drop, truncate, delay, flag) or a `status`",
                );
            }
        };
        let action = match action_name {
            "respond" => {
                let Some(status) = self.status else {
                    return bad("`respond` needs a `status`");
                };
                if StatusCode::from_u16(status).is_err() || status < 100 {
                    return bad("`status` must be an HTTP status code (100-999)");
                }
                for (name, value) in &self.headers {
                    if http::HeaderName::from_bytes(name.as_bytes()).is_err()
                        || http::HeaderValue::from_str(value).is_err()
                    {
                        return Err(InvalidFault(format!(
                            "header `{name}` is not a valid HTTP header"
                        )));
                    }
                }
                if let Some(ct) = &self.content_type
                    && http::HeaderValue::from_str(ct).is_err()
                {
                    return bad("`content_type` is not a valid header value");
                }
                Action::Respond {
                    status,
                    body: self.body,
                    content_type: self.content_type,
                    headers: self.headers,
                }
            }
            "drop" => Action::Drop,
            "truncate" => Action::Truncate,
            "delay" => {
                if self.latency_ms.is_none() {
                    return bad("`delay` needs `latency_ms`");
                }
                Action::Delay
            }
            "flag" => match self.flag {
                Some(name) if !name.is_empty() => Action::Flag { name },
                _ => return bad("`flag` needs a non-empty `flag` name"),
            },
            _ => return bad("`action` must be one of respond, drop, truncate, delay, flag"),
        };
        Ok(Fault {
            method,
            path,
            remaining: times,
            latency_ms: self.latency_ms,
            action,
            matcher,
        })
    }
}

/// The queue of faults of one service. Cloning shares it.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    queued: Arc<Mutex<Vec<Fault>>>,
    /// Mirrors `queued.len()` so the serving path skips the lock when nothing is queued.
    len: Arc<AtomicUsize>,
}

impl Faults {
    pub fn push(&self, fault: Fault) {
        let mut queued = self.lock();
        queued.push(fault);
        self.len.store(queued.len(), Ordering::Release);
    }

    pub fn clear(&self) {
        self.lock().clear();
        self.len.store(0, Ordering::Release);
    }

    pub fn list(&self) -> Vec<Fault> {
        self.lock().clone()
    }

    /// Takes one use of the first queued fault that matches, oldest first.
    pub fn take(&self, method: &Method, path: &str) -> Option<Applied> {
        if self.len.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut queued = self.lock();
        let index = queued.iter().position(|f| {
            f.method.as_deref().is_none_or(|m| m == method.as_str()) && f.matcher.is_match(path)
        })?;
        let fault = &mut queued[index];
        fault.remaining -= 1;
        let applied = Applied {
            latency: fault.latency_ms.map(Duration::from_millis),
            action: fault.action.clone(),
        };
        if fault.remaining == 0 {
            queued.remove(index);
        }
        self.len.store(queued.len(), Ordering::Release);
        Some(applied)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        // Faults are pushed and removed whole; a poisoned lock still guards a consistent queue.
        self.queued.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn spec(value: Value) -> Result<Fault, InvalidFault> {
        serde_json::from_value::<FaultSpec>(value)
            .unwrap()
            .into_fault()
    }

    #[test]
    fn a_fault_applies_the_given_number_of_times_then_is_gone() {
        let faults = Faults::default();
        faults.push(spec(json!({"method": "post", "path": "/api/*/v1/permits/push", "times": 2, "status": 503})).unwrap());
        let push = "/api/OC-TOMA/v1/permits/push";
        assert!(faults.take(&Method::GET, push).is_none());
        assert!(
            faults
                .take(&Method::POST, "/api/OC-TOMA/v1/permits/stats")
                .is_none()
        );
        assert!(matches!(
            faults.take(&Method::POST, push).unwrap().action,
            Action::Respond { status: 503, .. }
        ));
        assert!(faults.take(&Method::POST, push).is_some());
        assert!(faults.take(&Method::POST, push).is_none());
        assert!(faults.list().is_empty());
    }

    #[test]
    fn the_oldest_matching_fault_goes_first() {
        let faults = Faults::default();
        faults.push(spec(json!({"action": "drop"})).unwrap());
        faults.push(spec(json!({"action": "truncate"})).unwrap());
        assert_eq!(
            faults.take(&Method::GET, "/x").unwrap().action,
            Action::Drop
        );
        assert_eq!(
            faults.take(&Method::GET, "/x").unwrap().action,
            Action::Truncate
        );
    }

    #[rstest]
    #[case(json!({}), "give an `action`")]
    #[case(json!({"action": "respond"}), "needs a `status`")]
    #[case(json!({"status": 42}), "HTTP status code")]
    #[case(json!({"action": "explode"}), "must be one of")]
    #[case(json!({"action": "delay"}), "needs `latency_ms`")]
    #[case(json!({"action": "flag"}), "needs a non-empty")]
    #[case(json!({"action": "drop", "times": 0}), "at least 1")]
    #[case(json!({"action": "drop", "method": "GE T"}), "not an HTTP method")]
    #[case(json!({"action": "drop", "path": "/a[b"}), "not a valid pattern")]
    #[case(json!({"status": 500, "headers": {"bad header": "x"}}), "not a valid HTTP header")]
    fn invalid_specs_are_refused_with_a_reason(#[case] value: Value, #[case] reason: &str) {
        let err = spec(value).unwrap_err();
        assert!(err.0.contains(reason), "{err}");
    }
}

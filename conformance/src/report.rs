//! What a run found: per API, operation and check, how many times it passed, failed or was
//! skipped, and for every failure the check, the expectation, what came back, the seed and the
//! request as a curl command with secrets redacted. Rendered as a human summary, JUnit XML and
//! JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::ApiName;

/// Failures kept in full per (API, operation, check); further ones are only counted.
pub const FAILURES_KEPT: usize = 5;

/// One failed check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    #[serde(serialize_with = "api_name")]
    pub api: ApiName,
    pub operation: String,
    pub check: String,
    pub flow: String,
    /// What the documentation (or the reference model) says should happen.
    pub expectation: String,
    /// What came back instead.
    pub actual: String,
    /// The generated case, when the check is property-based (already minimised on mocks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    pub seed: u64,
    /// The request that showed it, as a curl command with secrets redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
}

/// Counts of one (API, operation, check).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skip_reasons: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
}

impl Tally {
    pub fn outcome(&self) -> &'static str {
        if self.failed > 0 {
            "failed"
        } else if self.passed > 0 {
            "passed"
        } else {
            "skipped"
        }
    }
}

/// How an API was reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TargetInfo {
    pub url: String,
    /// `mock` (in-process), `parkbench-mock` (a URL answering as a parkbench mock) or `real`.
    pub kind: String,
    /// Whether control-API checks ran.
    pub control: bool,
}

/// The key of a tally.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub api: ApiName,
    pub operation: String,
    pub check: String,
}

/// A whole run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub seed: u64,
    pub run_id: String,
    pub duration: Duration,
    pub targets: BTreeMap<ApiName, TargetInfo>,
    pub tallies: BTreeMap<Key, Tally>,
    /// Requests sent per API (polls, retried 429s and detection included).
    pub requests: BTreeMap<ApiName, u32>,
    /// Virtual seconds the pacing and `Retry-After` waits took per API (moved on a mock's clock
    /// or slept for real).
    pub waited_secs: BTreeMap<ApiName, f64>,
    /// Why the run ended before its plan was finished (budget, deadline), per API.
    pub incomplete: BTreeMap<ApiName, String>,
    /// Things the run could not do, such as cleanup that the API does not allow.
    pub notes: Vec<String>,
}

impl Report {
    pub fn pass(&mut self, key: Key) {
        self.tallies.entry(key).or_default().passed += 1;
    }

    pub fn fail(&mut self, failure: Failure) {
        let key = Key {
            api: failure.api,
            operation: failure.operation.clone(),
            check: failure.check.clone(),
        };
        let tally = self.tallies.entry(key).or_default();
        tally.failed += 1;
        if tally.failures.len() < FAILURES_KEPT && !tally.failures.contains(&failure) {
            tally.failures.push(failure);
        }
    }

    pub fn skip(&mut self, key: Key, reason: &str) {
        let tally = self.tallies.entry(key).or_default();
        tally.skipped += 1;
        if !tally.skip_reasons.iter().any(|r| r == reason) {
            tally.skip_reasons.push(reason.to_owned());
        }
    }

    pub fn totals(&self) -> (u64, u64, u64) {
        self.tallies.values().fold((0, 0, 0), |(p, f, s), t| {
            (p + t.passed, f + t.failed, s + t.skipped)
        })
    }

    pub fn failed(&self) -> bool {
        self.tallies.values().any(|t| t.failed > 0)
    }

    /// Exit code: 1 when a check failed, else 3 when the budget or deadline ran out before the
    /// plan finished, else 0. A failure outranks an incomplete run: it is a finding either way,
    /// and the summary says that the run was incomplete.
    pub fn exit_code(&self) -> u8 {
        if self.failed() {
            1
        } else if !self.incomplete.is_empty() {
            3
        } else {
            0
        }
    }

    /// Every failure, in key order.
    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.tallies.values().flat_map(|t| t.failures.iter())
    }

    /// The human summary.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "parkbench check · seed {} · run id {}",
            self.seed, self.run_id
        );
        for (api, target) in &self.targets {
            let requests = self.requests.get(api).copied().unwrap_or(0);
            let waited = self.waited_secs.get(api).copied().unwrap_or(0.0);
            let _ = writeln!(
                out,
                "\n{api} · {} ({}{}) · {requests} requests{}",
                target.url,
                target.kind,
                if target.control { ", control API" } else { "" },
                match (waited > 0.0, target.control) {
                    (false, _) => String::new(),
                    (true, true) => format!(" · {waited:.0} s waited on the mock's clock"),
                    (true, false) => format!(" · {waited:.0} s waited"),
                },
            );
            let rows: Vec<_> = self.tallies.iter().filter(|(k, _)| k.api == *api).collect();
            if rows.is_empty() {
                let _ = writeln!(out, "  (no checks ran)");
                continue;
            }
            let op_width = rows
                .iter()
                .map(|(k, _)| k.operation.len())
                .max()
                .unwrap_or(9)
                .max(9);
            let check_width = rows
                .iter()
                .map(|(k, _)| k.check.len())
                .max()
                .unwrap_or(5)
                .max(5);
            let _ = writeln!(
                out,
                "  {:op_width$}  {:check_width$}  {:>7} {:>7} {:>7}",
                "operation", "check", "passed", "failed", "skipped"
            );
            for (key, tally) in rows {
                let mark = if tally.failed > 0 { "✗" } else { " " };
                let _ = writeln!(
                    out,
                    "{mark} {:op_width$}  {:check_width$}  {:>7} {:>7} {:>7}{}",
                    key.operation,
                    key.check,
                    tally.passed,
                    tally.failed,
                    tally.skipped,
                    if tally.skip_reasons.is_empty() || tally.passed + tally.failed > 0 {
                        String::new()
                    } else {
                        format!("  ({})", tally.skip_reasons.join("; "))
                    }
                );
            }
            if let Some(reason) = self.incomplete.get(api) {
                let _ = writeln!(out, "  INCOMPLETE: {reason}");
            }
        }
        let failures: Vec<_> = self.failures().collect();
        if !failures.is_empty() {
            let _ = writeln!(out, "\nFailures");
            for (i, f) in failures.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "\n{}) {} {} · {} (flow {})",
                    i + 1,
                    f.api,
                    f.operation,
                    f.check,
                    f.flow
                );
                let _ = writeln!(out, "   expected: {}", f.expectation);
                let _ = writeln!(out, "   got:      {}", indent(&f.actual, "             "));
                if let Some(case) = &f.case {
                    let _ = writeln!(out, "   case:     {}", indent(case, "             "));
                }
                let _ = writeln!(
                    out,
                    "   seed:     {} (rerun with --seed {})",
                    f.seed, f.seed
                );
                if let Some(curl) = &f.curl {
                    let _ = writeln!(out, "   request:  {}", indent(curl, "             "));
                }
            }
            let more: u64 = self
                .tallies
                .values()
                .map(|t| t.failed.saturating_sub(t.failures.len() as u64))
                .sum();
            if more > 0 {
                let _ = writeln!(
                    out,
                    "\n({more} more failures of the same checks are counted above, not shown)"
                );
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        let (p, f, s) = self.totals();
        let state = match self.exit_code() {
            0 => "all checks passed",
            1 => "checks failed",
            _ => "incomplete: the budget or deadline ran out",
        };
        let _ = writeln!(
            out,
            "\n{state} in {:.1} s: {p} passed, {f} failed, {s} skipped",
            self.duration.as_secs_f64()
        );
        out
    }

    /// JUnit XML: one suite per API, one test case per (operation, check).
    pub fn junit(&self) -> Result<String, String> {
        use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
        let mut report = quick_junit::Report::new("parkbench check");
        report.set_time(self.duration);
        for api in self.targets.keys() {
            let mut suite = TestSuite::new(api.to_string());
            for (key, tally) in self.tallies.iter().filter(|(k, _)| k.api == *api) {
                let status = if tally.failed > 0 {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    let first = tally.failures.first();
                    status.set_message(first.map_or_else(
                        || format!("{} failures", tally.failed),
                        |f| format!("expected {}; got {}", f.expectation, first_line(&f.actual)),
                    ));
                    status.set_type(key.check.clone());
                    let description: Vec<String> =
                        tally.failures.iter().map(failure_text).collect();
                    status.set_description(description.join("\n\n"));
                    status
                } else if tally.passed == 0 {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(tally.skip_reasons.join("; "));
                    status
                } else {
                    TestCaseStatus::success()
                };
                let mut case = TestCase::new(format!("{} · {}", key.operation, key.check), status);
                case.set_classname(format!("{api}.{}", key.operation));
                case.set_assertions((tally.passed + tally.failed) as usize);
                suite.add_test_case(case);
            }
            if let Some(reason) = self.incomplete.get(api) {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status.set_message(reason.clone());
                suite.add_test_case(TestCase::new("budget", status));
            }
            report.add_test_suite(suite);
        }
        report.to_string().map_err(|e| e.to_string())
    }

    /// The whole report as JSON.
    pub fn json(&self) -> serde_json::Value {
        let (passed, failed, skipped) = self.totals();
        let results: Vec<_> = self
            .tallies
            .iter()
            .map(|(k, t)| {
                serde_json::json!({
                    "api": k.api.as_str(),
                    "operation": k.operation,
                    "check": k.check,
                    "outcome": t.outcome(),
                    "passed": t.passed,
                    "failed": t.failed,
                    "skipped": t.skipped,
                    "skip_reasons": t.skip_reasons,
                    "failures": t.failures,
                })
            })
            .collect();
        serde_json::json!({
            "seed": self.seed,
            "run_id": self.run_id,
            "duration_secs": self.duration.as_secs_f64(),
            "exit_code": self.exit_code(),
            "totals": {"passed": passed, "failed": failed, "skipped": skipped},
            "targets": self.targets.iter().map(|(a, t)| (a.as_str(), t)).collect::<BTreeMap<_, _>>(),
            "requests": self.requests.iter().map(|(a, n)| (a.as_str(), n)).collect::<BTreeMap<_, _>>(),
            "waited_secs": self.waited_secs.iter().map(|(a, n)| (a.as_str(), n)).collect::<BTreeMap<_, _>>(),
            "incomplete": self.incomplete.iter().map(|(a, r)| (a.as_str(), r)).collect::<BTreeMap<_, _>>(),
            "notes": self.notes,
            "results": results,
        })
    }
}

fn api_name<S: serde::Serializer>(api: &ApiName, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(api.as_str())
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

fn indent(s: &str, prefix: &str) -> String {
    s.lines().collect::<Vec<_>>().join(&format!("\n{prefix}"))
}

fn failure_text(f: &Failure) -> String {
    let mut text = format!(
        "check: {}\nexpected: {}\ngot: {}\nseed: {}",
        f.check, f.expectation, f.actual, f.seed
    );
    if let Some(case) = &f.case {
        let _ = write!(text, "\ncase: {case}");
    }
    if let Some(curl) = &f.curl {
        let _ = write!(text, "\nrequest: {curl}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(op: &str, check: &str) -> Key {
        Key {
            api: ApiName::Opscom,
            operation: op.into(),
            check: check.into(),
        }
    }

    fn sample() -> Report {
        let mut report = Report {
            seed: 7,
            run_id: "pb-test".into(),
            ..Report::default()
        };
        report.targets.insert(
            ApiName::Opscom,
            TargetInfo {
                url: "http://127.0.0.1:1".into(),
                kind: "mock".into(),
                control: true,
            },
        );
        report.pass(key("permits/push", "schema"));
        report.pass(key("permits/push", "schema"));
        report.skip(
            key("violations/send_overdue_to_collections", "model"),
            "needs --allow-destructive",
        );
        report.fail(Failure {
            api: ApiName::Opscom,
            operation: "permits/delete".into(),
            check: "error-code".into(),
            flow: "negative".into(),
            expectation: "ErrorCode 9009".into(),
            actual: "200 {\"status\":\"success\"}".into(),
            case: Some("reference id of a deleted permit".into()),
            seed: 7,
            curl: Some("curl -sS -X POST 'http://x'".into()),
        });
        report
    }

    #[test]
    fn counts_and_exit_codes() {
        let mut report = sample();
        assert_eq!(report.totals(), (2, 1, 1));
        assert_eq!(report.exit_code(), 1);
        report.tallies.retain(|_, t| t.failed == 0);
        assert_eq!(report.exit_code(), 0);
        report.incomplete.insert(ApiName::Ofr, "budget".into());
        assert_eq!(report.exit_code(), 3);
    }

    #[test]
    fn the_summary_names_every_part_of_a_failure() {
        let text = sample().human();
        for needle in [
            "permits/delete",
            "error-code",
            "expected: ErrorCode 9009",
            "got:      200",
            "seed:     7",
            "curl -sS",
            "needs --allow-destructive",
            "2 passed, 1 failed, 1 skipped",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
    }

    #[test]
    fn junit_and_json_carry_the_outcomes() {
        let report = sample();
        let xml = report.junit().unwrap();
        assert!(
            xml.contains("<failure") && xml.contains("ErrorCode 9009"),
            "{xml}"
        );
        assert!(xml.contains("<skipped"), "{xml}");
        let json = report.json();
        assert_eq!(json["totals"]["failed"], 1);
        assert_eq!(json["exit_code"], 1);
        let failed = json["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["outcome"] == "failed")
            .unwrap();
        assert_eq!(failed["failures"][0]["curl"], "curl -sS -X POST 'http://x'");
    }

    #[test]
    fn only_a_few_failures_are_kept_in_full() {
        let mut report = Report::default();
        for i in 0..20 {
            report.fail(Failure {
                api: ApiName::Ofr,
                operation: "auth".into(),
                check: "status".into(),
                flow: "f".into(),
                expectation: "e".into(),
                actual: format!("a{i}"),
                case: None,
                seed: 1,
                curl: None,
            });
        }
        let tally = report.tallies.values().next().unwrap();
        assert_eq!((tally.failed, tally.failures.len()), (20, FAILURES_KEPT));
    }
}

//! Credentials come from environment variables and nothing else, and never appear in output:
//! every value read here, and every token a target issues, is registered with the
//! [`Redactor`] before the first request is sent.

use std::sync::{Arc, RwLock};

use parkbench_mocks::parkingplus::contract;

use crate::ApiName;

/// OPS-COM: a per-customer token and client code.
#[derive(Clone, Debug)]
pub struct Opscom {
    pub api_token: String,
    pub client_code: String,
    /// A token allowed to read only (stats, user types): known for the mocks' fixtures only.
    pub read_only_token: Option<String>,
    /// A token of another customer, for the 9002 cross-customer check: mocks only.
    pub other_customer_token: Option<String>,
}

/// OFR: client credentials and the operator the reports are generated for.
#[derive(Clone, Debug)]
pub struct Ofr {
    pub client_id: String,
    pub client_secret: String,
    pub operator_id: i64,
    /// A second client entitled to other operators: mocks only (403 and 404 checks).
    pub other_client: Option<(String, String)>,
    /// The fixture operator whose reports always fail: mocks only.
    pub failing_operator_id: Option<i64>,
    /// An operator with no data: mocks only.
    pub empty_operator_id: Option<i64>,
}

/// PARKING+PLUS: the client application and a driver.
#[derive(Clone, Debug)]
pub struct Parkingplus {
    pub client_app_id: String,
    pub client_secret: String,
    pub username: String,
    pub password: String,
    /// A second driver with a session of their own: mocks only (cross-driver checks).
    pub other_driver: Option<(String, String)>,
    /// The secured parking of the driver's fixture session: mocks only.
    pub secured_parking_id: Option<i64>,
}

/// One API's credentials.
#[derive(Clone, Debug)]
pub enum Credentials {
    Opscom(Opscom),
    Ofr(Ofr),
    Parkingplus(Parkingplus),
}

/// The environment variables each API reads, in the order they are reported when missing.
pub fn variables(api: ApiName) -> &'static [&'static str] {
    match api {
        ApiName::Ofr => &[
            "PARKBENCH_OFR_CLIENT_ID",
            "PARKBENCH_OFR_CLIENT_SECRET",
            "PARKBENCH_OFR_OPERATOR_ID",
        ],
        ApiName::Opscom => &["PARKBENCH_OPSCOM_API_TOKEN", "PARKBENCH_OPSCOM_CLIENT_CODE"],
        ApiName::Parkingplus => &[
            "PARKBENCH_PARKINGPLUS_CLIENT_APP_ID",
            "PARKBENCH_PARKINGPLUS_CLIENT_SECRET",
            "PARKBENCH_PARKINGPLUS_USERNAME",
            "PARKBENCH_PARKINGPLUS_PASSWORD",
        ],
    }
}

/// A configuration problem with credentials; names variables, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("{api}: missing environment variable(s) {}", .missing.join(", "))]
    Missing {
        api: ApiName,
        missing: Vec<&'static str>,
    },
    #[error("{api}: environment variable {variable} is not {expected}")]
    Invalid {
        api: ApiName,
        variable: &'static str,
        expected: &'static str,
    },
}

/// Reads one API's credentials through `get` (the process environment in `parkbench check`),
/// registering every value with `redactor`.
pub fn from_env(
    api: ApiName,
    get: &dyn Fn(&str) -> Option<String>,
    redactor: &Redactor,
) -> Result<Credentials, CredentialError> {
    let names = variables(api);
    let values: Vec<Option<String>> = names
        .iter()
        .map(|n| get(n).filter(|v| !v.trim().is_empty()))
        .collect();
    let missing: Vec<&'static str> = names
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(CredentialError::Missing { api, missing });
    }
    let values: Vec<String> = values.into_iter().flatten().collect();
    for (name, value) in names.iter().zip(&values) {
        redactor.add(value, Replacement::Variable(name));
    }
    let v = |i: usize| values[i].clone();
    Ok(match api {
        ApiName::Opscom => Credentials::Opscom(Opscom {
            api_token: v(0),
            client_code: v(1),
            read_only_token: None,
            other_customer_token: None,
        }),
        ApiName::Ofr => Credentials::Ofr(Ofr {
            client_id: v(0),
            client_secret: v(1),
            operator_id: v(2).trim().parse().map_err(|_| CredentialError::Invalid {
                api,
                variable: "PARKBENCH_OFR_OPERATOR_ID",
                expected: "an integer operator id",
            })?,
            other_client: None,
            failing_operator_id: None,
            empty_operator_id: None,
        }),
        ApiName::Parkingplus => Credentials::Parkingplus(Parkingplus {
            client_app_id: v(0),
            client_secret: v(1),
            username: v(2),
            password: v(3),
            other_driver: None,
            secured_parking_id: None,
        }),
    })
}

/// The values of the mocks' fixture contract: public, so they are not redacted.
pub fn fixtures(api: ApiName) -> Credentials {
    match api {
        ApiName::Opscom => Credentials::Opscom(Opscom {
            api_token: "opscom-demo-full-access-token-0001".into(),
            client_code: "OC-TOMA".into(),
            read_only_token: Some("opscom-demo-read-only-token-0001".into()),
            other_customer_token: Some("opscom-parkco-token-0001".into()),
        }),
        ApiName::Ofr => Credentials::Ofr(Ofr {
            client_id: "ofr-test-client".into(),
            client_secret: "ofr-test-secret".into(),
            operator_id: 60879,
            other_client: Some(("ofr-other-client".into(), "ofr-other-secret".into())),
            failing_operator_id: crate::apis::ofr::FIXTURE_FAILING_OPERATOR,
            empty_operator_id: crate::apis::ofr::FIXTURE_EMPTY_OPERATOR,
        }),
        ApiName::Parkingplus => Credentials::Parkingplus(Parkingplus {
            client_app_id: contract::CLIENT_APP_ID.into(),
            client_secret: contract::CLIENT_SECRET.into(),
            username: contract::DRIVER_EMAIL.into(),
            password: contract::DRIVER_PASSWORD.into(),
            other_driver: Some((
                contract::OTHER_EMAIL.into(),
                contract::OTHER_PASSWORD.into(),
            )),
            secured_parking_id: Some(contract::SECURED_PARKING_ID),
        }),
    }
}

/// What a secret is replaced with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replacement {
    /// A value read from this environment variable: shown as `$NAME`, so a rendered curl
    /// command runs as is in a shell that has the variable.
    Variable(&'static str),
    /// A token the target issued during the run.
    Issued,
}

/// Replaces every registered secret in text that leaves the process.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<(String, Replacement)>>>,
}

/// How the text is used: inside a single-quoted shell word (curl commands) or as plain text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    ShellSingleQuoted,
    Plain,
}

impl Redactor {
    /// Registers a secret. Values under four characters are not worth hiding and would mangle
    /// unrelated text, so they are ignored.
    pub fn add(&self, secret: &str, replacement: Replacement) {
        if secret.len() < 4 {
            return;
        }
        let mut secrets = self
            .secrets
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if secrets.iter().any(|(s, _)| s == secret) {
            return;
        }
        secrets.push((secret.to_owned(), replacement));
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    }

    pub fn redact(&self, text: &str, context: Context) -> String {
        let secrets = self
            .secrets
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = text.to_owned();
        for (secret, replacement) in secrets.iter() {
            if !out.contains(secret.as_str()) {
                continue;
            }
            let with = match (replacement, context) {
                (Replacement::Variable(name), Context::ShellSingleQuoted) => {
                    format!("'\"${name}\"'")
                }
                (Replacement::Variable(name), Context::Plain) => format!("${name}"),
                (Replacement::Issued, _) => "<redacted>".to_owned(),
            };
            out = out.replace(secret.as_str(), &with);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn a_missing_variable_is_named_and_no_value_is_shown() {
        let redactor = Redactor::default();
        let err = from_env(
            ApiName::Ofr,
            &env(&[
                ("PARKBENCH_OFR_CLIENT_ID", "id-1234"),
                ("PARKBENCH_OFR_OPERATOR_ID", " "),
            ]),
            &redactor,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("PARKBENCH_OFR_CLIENT_SECRET")
                && text.contains("PARKBENCH_OFR_OPERATOR_ID")
        );
        assert!(!text.contains("id-1234"), "{text}");
    }

    #[test]
    fn values_are_registered_and_redacted_in_both_contexts() {
        let redactor = Redactor::default();
        let creds = from_env(
            ApiName::Opscom,
            &env(&[
                ("PARKBENCH_OPSCOM_API_TOKEN", "tok-secret-value"),
                ("PARKBENCH_OPSCOM_CLIENT_CODE", "ACME"),
            ]),
            &redactor,
        )
        .unwrap();
        assert!(matches!(creds, Credentials::Opscom(ref o) if o.api_token == "tok-secret-value"));
        redactor.add("issued-jwt-abc", Replacement::Issued);
        let body = r#"{"apiToken":"tok-secret-value","t":"issued-jwt-abc"}"#;
        let shell = redactor.redact(body, Context::ShellSingleQuoted);
        assert_eq!(
            shell,
            r#"{"apiToken":"'"$PARKBENCH_OPSCOM_API_TOKEN"'","t":"<redacted>"}"#
        );
        let plain = redactor.redact(body, Context::Plain);
        assert!(plain.contains("$PARKBENCH_OPSCOM_API_TOKEN") && !plain.contains("tok-secret"));
        assert!(
            redactor
                .redact("/api/ACME/v1", Context::Plain)
                .contains("PARKBENCH_OPSCOM_CLIENT_CODE")
        );
    }

    #[test]
    fn a_non_numeric_operator_id_is_a_configuration_error() {
        let err = from_env(
            ApiName::Ofr,
            &env(&[
                ("PARKBENCH_OFR_CLIENT_ID", "a"),
                ("PARKBENCH_OFR_CLIENT_SECRET", "b"),
                ("PARKBENCH_OFR_OPERATOR_ID", "sixty"),
            ]),
            &Redactor::default(),
        )
        .unwrap_err();
        assert!(matches!(err, CredentialError::Invalid { .. }));
        assert!(!err.to_string().contains("sixty"));
    }
}

//! Requests and the exchanges they produce. Every exchange is kept whole (request and response)
//! so a failed check can show what came back and the request as a curl command, with secrets
//! redacted.

use std::fmt::Write as _;

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::Value;

use crate::creds::{Context, Redactor};

/// A request body.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    None,
    Json(Value),
    /// Bytes sent as they are (malformed JSON, say), with this content type.
    Raw {
        content_type: String,
        bytes: Vec<u8>,
    },
    /// `application/x-www-form-urlencoded`.
    Form(Vec<(String, String)>),
}

/// A request to send, named by the vendor operation it exercises.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub operation: &'static str,
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Request {
    pub fn new(operation: &'static str, method: Method, url: impl Into<String>) -> Self {
        Self {
            operation,
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Body::None,
        }
    }

    pub fn get(operation: &'static str, url: impl Into<String>) -> Self {
        Self::new(operation, Method::GET, url)
    }

    pub fn post(operation: &'static str, url: impl Into<String>) -> Self {
        Self::new(operation, Method::POST, url)
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    pub fn raw(mut self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Raw {
            content_type: content_type.to_owned(),
            bytes: bytes.into(),
        };
        self
    }

    pub fn form(mut self, fields: Vec<(String, String)>) -> Self {
        self.body = Body::Form(fields);
        self
    }

    fn content_type(&self) -> Option<&str> {
        match &self.body {
            Body::None => None,
            Body::Json(_) => Some("application/json"),
            Body::Raw { content_type, .. } => Some(content_type),
            Body::Form(_) => Some("application/x-www-form-urlencoded"),
        }
    }

    fn body_bytes(&self) -> Option<Vec<u8>> {
        match &self.body {
            Body::None => None,
            Body::Json(v) => Some(v.to_string().into_bytes()),
            Body::Raw { bytes, .. } => Some(bytes.clone()),
            Body::Form(fields) => Some(form_encode(fields).into_bytes()),
        }
    }

    /// The request as a curl command a person can paste, secrets redacted.
    pub fn curl(&self, redactor: &Redactor) -> String {
        let mut cmd = format!("curl -sS -i -X {} {}", self.method, quote(&self.url));
        let mut headers = self.headers.clone();
        if let Some(ct) = self.content_type()
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".into(), ct.into()));
        }
        for (name, value) in &headers {
            let _ = write!(cmd, " -H {}", quote(&format!("{name}: {value}")));
        }
        if let Some(bytes) = self.body_bytes() {
            let _ = write!(
                cmd,
                " --data-raw {}",
                quote(&String::from_utf8_lossy(&bytes))
            );
        }
        redactor.redact(&cmd, Context::ShellSingleQuoted)
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `application/x-www-form-urlencoded` encoding.
pub fn form_encode(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A request and what came back.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub request: Request,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Exchange {
    /// The media type of the response, lower-case, without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// "STATUS content-type body" in a few hundred characters, secrets redacted.
    pub fn summary(&self, redactor: &Redactor) -> String {
        const MAX: usize = 600;
        let mut body = self.text();
        if body.len() > MAX {
            let mut cut = MAX;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
            body.push_str(" …");
        }
        let mut extra = String::new();
        for name in ["location", "retry-after"] {
            if let Some(v) = self.header(name) {
                let _ = write!(extra, " {name}: {v};");
            }
        }
        let text = format!(
            "{} {}{} {}",
            self.status,
            self.header("content-type").unwrap_or("(no content type)"),
            if extra.is_empty() {
                String::new()
            } else {
                format!(" [{}]", extra.trim_end_matches(';').trim())
            },
            if body.is_empty() {
                "(empty body)".to_owned()
            } else {
                body
            }
        );
        redactor.redact(&text, Context::Plain)
    }
}

/// A failure to get any answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// Sends one request and reads the whole answer.
pub async fn exchange(
    http: &reqwest::Client,
    request: Request,
) -> Result<Exchange, TransportError> {
    let mut builder = http.request(request.method.clone(), &request.url);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if let Some(ct) = request.content_type()
        && !request
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        builder = builder.header("content-type", ct);
    }
    if let Some(bytes) = request.body_bytes() {
        builder = builder.body(bytes);
    }
    let response = builder
        .send()
        .await
        .map_err(|e| TransportError(describe(&e)))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| TransportError(format!("the body was cut off: {}", describe(&e))))?;
    Ok(Exchange {
        request,
        status,
        headers,
        body,
    })
}

fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::creds::Replacement;
    use serde_json::json;

    #[test]
    fn curl_quotes_and_redacts() {
        let redactor = Redactor::default();
        redactor.add(
            "s3cr3t-token",
            Replacement::Variable("PARKBENCH_OPSCOM_API_TOKEN"),
        );
        let request = Request::post(
            "permits/push",
            "http://127.0.0.1:1/api/OC-TOMA/v1/permits/push",
        )
        .header("Accept", "application/json")
        .json(json!({"apiToken": "s3cr3t-token", "zone": "Bob's lot"}));
        let curl = request.curl(&redactor);
        assert_eq!(
            curl,
            r#"curl -sS -i -X POST 'http://127.0.0.1:1/api/OC-TOMA/v1/permits/push' -H 'Accept: application/json' -H 'Content-Type: application/json' --data-raw '{"apiToken":"'"$PARKBENCH_OPSCOM_API_TOKEN"'","zone":"Bob'\''s lot"}'"#
        );
    }

    #[test]
    fn forms_are_encoded() {
        let fields = vec![
            ("card number".to_owned(), "4000 0000".to_owned()),
            ("cvv".into(), "".into()),
        ];
        assert_eq!(form_encode(&fields), "card%20number=4000%200000&cvv=");
    }
}

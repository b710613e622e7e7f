//! HAL+JSON, the format of every successful OFR response (seed 000: "All successful responses
//! use HAL+JSON format with hypermedia links").

use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use serde_json::{Value, json};

/// The media type of successful JSON answers.
pub const HAL_JSON: &str = "application/hal+json";

/// A HAL body with a status.
#[derive(Debug)]
pub struct Hal(pub StatusCode, pub Value);

impl IntoResponse for Hal {
    fn into_response(self) -> Response {
        let mut response = (self.0, self.1.to_string()).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(HAL_JSON));
        response
    }
}

/// `{"self": {"href": ...}}` plus any further named links.
pub fn links(self_href: &str, others: &[(&str, &str)]) -> Value {
    let mut links = serde_json::Map::new();
    links.insert("self".into(), json!({ "href": self_href }));
    for (name, href) in others {
        links.insert((*name).into(), json!({ "href": href }));
    }
    Value::Object(links)
}

//! Extractors the API crates share.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use http::request::Parts;

/// The base URL the client used to reach this service (`http://127.0.0.1:8401`), from the
/// `Host` header. Links and `Location` headers built from it work whatever port the service was
/// given, ephemeral ports included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl(pub String);

impl BaseUrl {
    /// `base` + `path`, `path` starting with `/`.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_')
}

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .filter(|h| !h.is_empty() && h.chars().all(is_host_char))
            .unwrap_or("localhost");
        Ok(BaseUrl(format!("http://{host}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Some("127.0.0.1:8403"), "http://127.0.0.1:8403")]
    #[case(Some("[::1]:9000"), "http://[::1]:9000")]
    #[case(Some("evil.test/<script>"), "http://localhost")]
    #[case(None, "http://localhost")]
    #[tokio::test]
    async fn base_url_comes_from_the_host_header(
        #[case] host: Option<&str>,
        #[case] expected: &str,
    ) {
        let mut request = http::Request::builder().uri("/x");
        if let Some(host) = host {
            request = request.header("host", host);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        let BaseUrl(url) = BaseUrl::from_request_parts(&mut parts, &()).await.unwrap();
        assert_eq!(url, expected);
    }
}

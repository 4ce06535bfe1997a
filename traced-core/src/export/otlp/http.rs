//! OTLP/HTTP with binary protobuf: `POST` of the encoded request from the
//! export thread itself, with a synchronous client (no runtime, no thread
//! hop, the body written from our buffer without a copy).

use super::response::{status_message, PartialSuccess};
use super::retry::Outcome;
use std::time::{Duration, SystemTime};
use ureq::http::{HeaderName, HeaderValue, Uri};

/// Answers over this are not read (a collector's answer is tiny).
const MAX_ANSWER: u64 = 4 << 20;

/// A collector's HTTP endpoint and the client that posts to it.
#[derive(Debug)]
pub(crate) struct HttpTransport {
    agent: ureq::Agent,
    uri: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    gzip: bool,
}

impl HttpTransport {
    pub(crate) fn new(url: &str, headers: &[(String, String)], gzip: bool) -> Result<Self, String> {
        let uri: Uri = url.parse().map_err(|e| format!("endpoint `{url}`: {e}"))?;
        match uri.scheme_str() {
            Some("http") if uri.host().is_some() => {}
            Some("https") => {
                return Err(format!("endpoint `{url}`: TLS is not supported yet; send to a local collector over http"))
            }
            _ => return Err(format!("endpoint `{url}`: expected http://host[:port]/path")),
        }
        let mut list =
            vec![(HeaderName::from_static("content-type"), HeaderValue::from_static("application/x-protobuf"))];
        if gzip {
            list.push((HeaderName::from_static("content-encoding"), HeaderValue::from_static("gzip")));
        }
        for (k, v) in headers {
            match (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
                (Ok(k), Ok(v)) => list.push((k, v)),
                _ => crate::diagnostics::warn(&format!("OTLP header `{k}` is not a valid HTTP header; it is skipped")),
            }
        }
        let agent = ureq::Agent::config_builder()
            .user_agent(super::USER_AGENT)
            // Statuses are classified below, not turned into errors.
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .build()
            .new_agent();
        Ok(HttpTransport { agent, uri, headers: list, gzip })
    }

    /// One attempt: posts `body` and classifies the answer (OTLP/HTTP
    /// specification: 429, 502, 503, 504 and no answer at all are
    /// transient; any other failure is final).
    pub(crate) fn send(&self, body: &[u8], timeout: Duration) -> Outcome {
        let mut request = self.agent.post(self.uri.clone()).config().timeout_global(Some(timeout)).build();
        for (k, v) in &self.headers {
            request = request.header(k, v);
        }
        let mut response = match request.send(body) {
            Ok(r) => r,
            Err(e) => return Outcome::Retryable { reason: e.to_string(), hint: None },
        };
        let status = response.status();
        let hint = response.headers().get("retry-after").and_then(|v| retry_after(v.to_str().ok()?));
        let answer = response.body_mut().with_config().limit(MAX_ANSWER).read_to_vec().unwrap_or_default();
        if status.is_success() {
            if let Some(partial) = PartialSuccess::read(&answer) {
                crate::diagnostics::warn_once(crate::diagnostics::Once::PartialSuccess, || {
                    format!("{} (further partial successes are not printed)", partial.describe())
                });
            }
            return Outcome::Accepted;
        }
        let reason = match status_message(&answer) {
            Some(message) => format!("HTTP {status}: {message}"),
            None => format!("HTTP {status}"),
        };
        match status.as_u16() {
            429 | 502 | 503 | 504 => Outcome::Retryable { reason, hint },
            _ => Outcome::Permanent(reason),
        }
    }

    pub(crate) fn gzip(&self) -> bool {
        self.gzip
    }
}

/// `Retry-After`: delay-seconds or an HTTP date (RFC 9110 10.2.3).
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        assert_eq!(retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO), "a past date: now");
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let delay = retry_after(&future).expect("date");
        assert!(delay > Duration::from_secs(100) && delay <= Duration::from_secs(120), "{delay:?}");
        assert_eq!(retry_after("soon"), None);
    }

    #[test]
    fn https_and_odd_schemes_are_refused_with_a_reason() {
        let e = HttpTransport::new("https://c:4318/v1/traces", &[], false).expect_err("no TLS");
        assert!(e.contains("TLS"), "{e}");
        assert!(HttpTransport::new("ftp://c/v1/traces", &[], false).is_err());
        assert!(HttpTransport::new("not a url", &[], false).is_err());
    }
}

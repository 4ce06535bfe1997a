//! OTLP/HTTP with binary protobuf: `POST` of the encoded request, on the
//! export thread, with a blocking client (no async runtime needed).

use super::response::{status_message, PartialSuccess};
use super::retry::Outcome;
use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use std::time::{Duration, SystemTime};

/// A collector's HTTP endpoint and the client that posts to it.
#[derive(Debug)]
pub(crate) struct HttpTransport {
    client: Client,
    url: reqwest::Url,
    headers: HeaderMap,
    gzip: bool,
}

impl HttpTransport {
    pub(crate) fn new(url: &str, headers: &[(String, String)], gzip: bool) -> Result<Self, String> {
        let url = reqwest::Url::parse(url).map_err(|e| format!("endpoint `{url}`: {e}"))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(format!("endpoint `{url}`: the scheme must be http or https"));
        }
        if url.scheme() == "https" {
            return Err(format!("endpoint `{url}`: TLS is not supported yet; send to a local collector over http"));
        }
        let mut map = HeaderMap::new();
        map.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf"));
        if gzip {
            map.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        for (k, v) in headers {
            match (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
                (Ok(k), Ok(v)) => {
                    map.insert(k, v);
                }
                _ => crate::diagnostics::warn(&format!("OTLP header `{k}` is not a valid HTTP header; it is skipped")),
            }
        }
        // reqwest's blocking client starts (and on drop, stops) a runtime of
        // its own, which panics inside an async context: `init` is often
        // called from `#[tokio::main]`, so it is built on a thread of its own.
        let client = std::thread::spawn(|| Client::builder().user_agent(super::USER_AGENT).build())
            .join()
            .map_err(|_| "the HTTP client could not be built".to_owned())?
            .map_err(|e| e.to_string())?;
        Ok(HttpTransport { client, url, headers: map, gzip })
    }

    /// One attempt: posts `body` and classifies the answer (OTLP/HTTP
    /// specification: 429, 502, 503, 504 and no answer at all are
    /// transient; any other failure is final).
    pub(crate) fn send(&self, body: &bytes::Bytes, timeout: Duration) -> Outcome {
        let request = self.client.post(self.url.clone()).headers(self.headers.clone()).timeout(timeout);
        let response = match request.body(body.clone()).send() {
            Ok(r) => r,
            Err(e) => return Outcome::Retryable { reason: describe(&e), hint: None },
        };
        let status = response.status();
        let hint = response.headers().get(RETRY_AFTER).and_then(|v| retry_after(v.to_str().ok()?));
        // Answers over 4 MiB are not read (a collector's answer is tiny).
        let answer = match response.bytes() {
            Ok(b) if b.len() <= 4 << 20 => b,
            _ => bytes::Bytes::new(),
        };
        if status.is_success() {
            if let Some(partial) = PartialSuccess::read(&answer) {
                crate::diagnostics::warn(&partial.describe());
            }
            return Outcome::Accepted;
        }
        let reason = match status_message(&answer) {
            Some(message) => format!("HTTP {status}: {message}"),
            None => format!("HTTP {status}"),
        };
        match status {
            StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => Outcome::Retryable { reason, hint },
            _ => Outcome::Permanent(reason),
        }
    }

    pub(crate) fn gzip(&self) -> bool {
        self.gzip
    }
}

fn describe(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
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

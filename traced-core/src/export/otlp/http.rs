//! OTLP/HTTP with binary protobuf: `POST` of the encoded request from the
//! export thread itself, with a synchronous client (no runtime, no thread
//! hop, the body written from our buffer without a copy).

use super::response::{status_message, PartialSuccess};
use super::retry::Outcome;
use crate::export::redact_url;
use crate::export::tls::{self, Tls};
use crate::export::Secrets;
use std::time::{Duration, SystemTime};
use ureq::http::{HeaderName, HeaderValue, Uri};

/// Answers over this are not read (a collector's answer is tiny).
const MAX_ANSWER: u64 = 4 << 20;

/// A collector's HTTP endpoint and the client that posts to it.
pub(crate) struct HttpTransport {
    agent: ureq::Agent,
    uri: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    gzip: bool,
    secrets: Secrets,
    /// TLS without a client certificate (see [`HttpTransport::failed`]).
    tls_without_identity: bool,
}

impl std::fmt::Debug for HttpTransport {
    // Header values are credentials: names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("HttpTransport")
            .field("uri", &redact_url(&self.uri.to_string()))
            .field("headers", &names)
            .field("gzip", &self.gzip)
            .finish()
    }
}

impl HttpTransport {
    /// `tls` is required for an `https://` endpoint and unused otherwise.
    pub(crate) fn new(url: &str, headers: &[(String, String)], gzip: bool, tls: Option<&Tls>) -> Result<Self, String> {
        let uri: Uri = url.parse().map_err(|e| format!("endpoint `{}`: {e}", redact_url(url)))?;
        let secure = match uri.scheme_str() {
            Some("http") if uri.host().is_some() => false,
            Some("https") if uri.host().is_some() => true,
            _ => return Err(format!("endpoint `{}`: expected http(s)://host[:port]/path", redact_url(url))),
        };
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
        let mut config = ureq::Agent::config_builder()
            .user_agent(super::USER_AGENT)
            // Statuses are classified below, not turned into errors.
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)));
        if secure {
            let tls = tls.ok_or_else(|| format!("endpoint `{}`: TLS settings missing", redact_url(url)))?;
            config = config.tls_config(tls::ureq_config(tls)?);
        }
        let agent = crate::export::resolve::agent(config.build());
        let tls_without_identity = secure && tls.is_some_and(|t| t.identity.is_none());
        Ok(HttpTransport {
            agent,
            uri,
            headers: list,
            gzip,
            secrets: Secrets::from_headers(headers),
            tls_without_identity,
        })
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
            Err(e) => return self.failed(e),
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
            Some(message) => self.secrets.redact(&format!("HTTP {status}: {message}")),
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

    /// No answer: a TLS failure is final (trying again cannot make a
    /// certificate trusted); anything else (refused, reset, timed out) is
    /// worth another attempt.
    fn failed(&self, error: ureq::Error) -> Outcome {
        let tls = match &error {
            ureq::Error::Rustls(e) => tls::explain(e),
            ureq::Error::Io(e) => tls::explain(e),
            _ => None,
        };
        if let Some(reason) = tls {
            return Outcome::Permanent(self.secrets.redact(&format!("{}: {reason}", self.host())));
        }
        let mut reason = error.to_string();
        // Over TLS 1.3 a server checks the client's certificate after the
        // client has finished its handshake and sent the request; a refusal
        // then comes as the server's alert or, when the connection closes
        // first, as a broken pipe or reset that looks like any other. It is
        // retried like one, and said.
        let closed = matches!(&error, ureq::Error::Io(e) if matches!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof
        ));
        if closed && self.tls_without_identity {
            reason.push_str(&format!(" (TLS: the collector closed the connection; {})", tls::CLIENT_CERTIFICATE_HINT));
        }
        Outcome::Retryable { reason: self.secrets.redact(&reason), hint: None }
    }

    fn host(&self) -> String {
        let host = self.uri.host().unwrap_or_default();
        match self.uri.port_u16() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
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
    fn odd_schemes_are_refused_with_a_reason_and_no_password() {
        let e = HttpTransport::new("ftp://u:pw@c/v1/traces", &[], false, None).expect_err("ftp");
        assert!(e.contains("expected http(s)://") && !e.contains("pw"), "{e}");
        assert!(HttpTransport::new("not a url", &[], false, None).is_err());
    }

    #[test]
    fn debug_shows_header_names_only() {
        let t = HttpTransport::new(
            "http://c:4318/v1/traces",
            &[("authorization".into(), "Bearer t0ken".into())],
            false,
            None,
        )
        .expect("transport");
        let debug = format!("{t:?}");
        assert!(debug.contains("authorization") && !debug.contains("t0ken"), "{debug}");
    }
}

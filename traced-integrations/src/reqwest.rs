//! Outgoing HTTP with `reqwest`: a CLIENT span per request, named after the
//! method, with the HTTP semantic-convention attributes, and the trace
//! headers (`traceparent`, `tracestate`, `baggage`, through the global
//! propagator) written from *this* span, so every call has its own parent id.
//!
//! ```no_run
//! use traced_integrations::reqwest::RequestBuilderExt;
//! # async fn run() -> Result<(), reqwest::Error> {
//! let response = reqwest::Client::new().get("http://127.0.0.1:8080/users/42").send_traced().await?;
//! # Ok(()) }
//! ```

use crate::carrier::HeaderInjector;
use crate::http::{method, protocol_version, redact_url};
use opentelemetry::trace::Status;
use opentelemetry::{Context, KeyValue};
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_REQUEST_METHOD_ORIGINAL, HTTP_RESPONSE_STATUS_CODE, NETWORK_PROTOCOL_VERSION,
    SERVER_ADDRESS, SERVER_PORT, URL_FULL,
};
use std::borrow::Cow;
use std::future::Future;
use traced_core::span::{ActiveSpan, Attributes, Kind, SpanStart};

/// Sends a request inside a CLIENT span. Build requests as usual; call
/// `send_traced()` where you would call `send()`.
pub trait RequestBuilderExt {
    /// Like `RequestBuilder::send`, traced.
    fn send_traced(self) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send;
}

impl RequestBuilderExt for reqwest::RequestBuilder {
    fn send_traced(self) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send {
        let (client, request) = self.build_split();
        // The span starts now, under the caller's context, even if the
        // future is polled later.
        let span = request.as_ref().map(start_span).unwrap_or_default();
        // With no span (nothing installed), the caller's context still goes
        // on the wire: propagation works with the SDK disabled.
        let carried = crate::outgoing_context(&span);
        execute(client, request, span, carried)
    }
}

/// Renamed to [`RequestBuilderExt`] (see the crate's naming convention).
#[deprecated(since = "0.2.0", note = "renamed to `RequestBuilderExt`")]
pub trait TracedSend {
    /// Like `RequestBuilder::send`, traced.
    fn send_traced(self) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send;
}

#[allow(deprecated)]
impl TracedSend for reqwest::RequestBuilder {
    fn send_traced(self) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send {
        RequestBuilderExt::send_traced(self)
    }
}

/// Starts the CLIENT span for `request`.
pub(crate) fn start_span(request: &reqwest::Request) -> ActiveSpan {
    let (name, method_attr, original) = method(request.method());
    let url = request.url();
    ActiveSpan::start_with(SpanStart {
        name: Cow::Borrowed(name),
        kind: Kind::Client,
        attributes: |a: &mut Attributes| {
            a.push(KeyValue::new(HTTP_REQUEST_METHOD, method_attr));
            if let Some(original) = original {
                a.push(KeyValue::new(HTTP_REQUEST_METHOD_ORIGINAL, original));
            }
            a.push(KeyValue::new(URL_FULL, redact_url(url.as_str())));
            if let Some(host) = url.host_str() {
                a.push(KeyValue::new(SERVER_ADDRESS, host.to_owned()));
            }
            if let Some(port) = url.port_or_known_default() {
                a.push(KeyValue::new(SERVER_PORT, i64::from(port)));
            }
        },
        attribute_capacity: 6,
        links: Vec::new,
        // Every outgoing call gets its own span id, sampled or not.
        skip_unsampled_child: false,
        parent: None,
    })
}

async fn execute(
    client: reqwest::Client,
    request: reqwest::Result<reqwest::Request>,
    mut span: ActiveSpan,
    carried: Context,
) -> reqwest::Result<reqwest::Response> {
    let mut request = request?;
    traced_core::propagation::inject(&carried, &mut HeaderInjector(request.headers_mut()));
    let result = client.execute(request).await;
    record_outcome(&mut span, result.as_ref().map_err(Some));
    result
}

/// Records the response (or the failure) and ends the span: after the
/// response headers, as the conventions say. `Err(None)` is a failure that
/// is not a `reqwest::Error` (a middleware's).
pub(crate) fn record_outcome(span: &mut ActiveSpan, outcome: Result<&reqwest::Response, Option<&reqwest::Error>>) {
    match outcome {
        Ok(response) => {
            let status = response.status();
            span.set_attribute(KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(status.as_u16())));
            if let Some(v) = protocol_version(response.version()) {
                span.set_attribute(KeyValue::new(NETWORK_PROTOCOL_VERSION, v));
            }
            // A client sees 4xx and 5xx as errors; the code says it all.
            if status.is_client_error() || status.is_server_error() {
                span.set_attribute(KeyValue::new(ERROR_TYPE, status.as_str().to_owned()));
                span.set_status(Status::error(""));
            }
        }
        Err(Some(err)) => {
            span.set_attribute(KeyValue::new(ERROR_TYPE, error_type(err)));
            span.set_status(Status::error(err.to_string()));
        }
        Err(None) => {
            span.set_attribute(KeyValue::new(ERROR_TYPE, "_OTHER"));
            span.set_status(Status::error(""));
        }
    }
    span.end();
}

/// A low-cardinality name for a transport failure.
fn error_type(err: &reqwest::Error) -> &'static str {
    if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connect"
    } else if err.is_redirect() {
        "redirect"
    } else if err.is_body() {
        "body"
    } else if err.is_decode() {
        "decode"
    } else if err.is_request() {
        "request"
    } else if err.is_builder() {
        "builder"
    } else {
        "_OTHER"
    }
}

//! The response future: polls the handler with the span current, records
//! the status, adds the response headers, and hands the span to the body.

use super::body::TracedBody;
use super::layer::{ResponseView, TracedHttpServerLayer};
use super::REQUEST_ID_HEADER;
use http::header::{HeaderName, HeaderValue};
use http::Response;
use opentelemetry::trace::Status;
use opentelemetry::KeyValue;
use opentelemetry_semantic_conventions::attribute::{ERROR_TYPE, HTTP_RESPONSE_STATUS_CODE};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use traced_core::span::ActiveSpan;

pin_project_lite::pin_project! {
    /// Future of [`super::TracedHttpServer`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        span: Option<ActiveSpan>,
        request_id: Option<HeaderValue>,
        config: TracedHttpServerLayer,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(
        inner: F,
        span: ActiveSpan,
        request_id: Option<HeaderValue>,
        config: TracedHttpServerLayer,
    ) -> Self {
        ResponseFuture { inner, span: Some(span), request_id, config }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<TracedBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let (result, mut span) = match crate::poll_in_span(this.span, this.inner, cx) {
            Poll::Ready(ready) => ready,
            Poll::Pending => return Poll::Pending,
        };
        match result {
            Ok(mut response) => {
                let status = response.status();
                span.set_attribute(KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(status.as_u16())));
                // By default a 4xx is the caller's mistake, not the server's.
                if this.config.is_error(status) {
                    span.set_attribute(KeyValue::new(ERROR_TYPE, status.as_str().to_owned()));
                    span.set_status(Status::error(""));
                }
                let headers = response.headers_mut();
                if let Some(id) = this.request_id.take() {
                    headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), id);
                }
                let timing = this.config.server_timing.then(|| server_timing(&span)).flatten();
                if let Some(value) = timing {
                    headers.append(HeaderName::from_static("server-timing"), value);
                }
                if let Some(on_response) = &this.config.on_response {
                    on_response(&ResponseView { status, headers: response.headers() }, &mut span);
                }
                Poll::Ready(Ok(response.map(|body| TracedBody::new(body, span))))
            }
            Err(err) => {
                // The service failed without a response: there is no status
                // code to name the error by.
                span.set_attribute(KeyValue::new(ERROR_TYPE, "_OTHER"));
                span.set_status(Status::error(""));
                span.end();
                Poll::Ready(Err(err))
            }
        }
    }
}

/// `server-timing: trace;desc=00-{trace}-{span}-{flags}`, when the span is valid.
fn server_timing(span: &ActiveSpan) -> Option<HeaderValue> {
    span.with_span_context(|sc| {
        if !sc.is_valid() {
            return None;
        }
        let flags = sc.trace_flags().to_u8() & 0x03;
        let value = format!("trace;desc=00-{}-{}-{flags:02x}", sc.trace_id(), sc.span_id());
        HeaderValue::try_from(value).ok()
    })
}

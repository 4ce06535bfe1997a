//! What client and server share: the response future (handler polled with
//! the span current) and the body that reads the final status.

use super::status::{code_name, from_http_status, grpc_status, is_server_error, GRPC_MESSAGE};
use http::Response;
use http_body::{Body, Frame, SizeHint};
use opentelemetry::trace::Status;
use opentelemetry::KeyValue;
use opentelemetry_semantic_conventions::attribute::{ERROR_TYPE, RPC_RESPONSE_STATUS_CODE};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use traced_core::span::ActiveSpan;

/// Which end of the call a span is on (they judge errors differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Client,
    Server,
}

/// Records the final status and ends the span.
fn finish(span: &mut ActiveSpan, side: Side, code: u16, message: Option<&str>) {
    let name = code_name(code);
    span.set_attribute(KeyValue::new(RPC_RESPONSE_STATUS_CODE, name));
    let error = match side {
        Side::Client => code != 0,
        Side::Server => is_server_error(code),
    };
    if error {
        span.set_attribute(KeyValue::new(ERROR_TYPE, name));
        span.set_status(Status::error(message.unwrap_or_default().to_owned()));
    }
    span.end();
}

fn grpc_message(headers: &http::HeaderMap) -> Option<String> {
    let raw = headers.get(&GRPC_MESSAGE)?.to_str().ok()?;
    Some(percent_decode(raw))
}

/// `grpc-message` is percent-encoded UTF-8.
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pin_project_lite::pin_project! {
    /// Future of the gRPC client and server services.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        span: Option<ActiveSpan>,
        side: Side,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, span: ActiveSpan, side: Side) -> Self {
        ResponseFuture { inner, span: Some(span), side }
    }
}

/// Whether a failure (or one of its causes) is an expired deadline.
fn is_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("timeout") || text.contains("timed out") {
            return true;
        }
        next = e.source();
    }
    false
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: std::error::Error + 'static,
{
    type Output = Result<Response<TracedBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let (result, mut span) = match crate::poll_in_span(this.span, this.inner, cx) {
            Poll::Ready(ready) => ready,
            Poll::Pending => return Poll::Pending,
        };
        let side = *this.side;
        match result {
            Ok(response) => {
                // Trailers-only: the status is in the headers; the call is over.
                if let Some(code) = grpc_status(response.headers()) {
                    finish(&mut span, side, code, grpc_message(response.headers()).as_deref());
                    return Poll::Ready(Ok(response.map(|b| TracedBody::new(b, None, side, 0))));
                }
                let fallback = from_http_status(response.status());
                Poll::Ready(Ok(response.map(|b| TracedBody::new(b, Some(span), side, fallback))))
            }
            Err(err) => {
                // No response at all: the client's deadline expired
                // (DEADLINE_EXCEEDED, whatever code the client library then
                // reports), the connection failed (UNAVAILABLE), or the
                // service did (INTERNAL).
                let code = match side {
                    Side::Client if is_timeout(&err) => 4,
                    Side::Client => 14,
                    Side::Server => 13,
                };
                finish(&mut span, side, code, None);
                Poll::Ready(Err(err))
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// A gRPC response body that ends the call's span on its trailers.
    pub struct TracedBody<B> {
        #[pin]
        inner: B,
        span: Option<ActiveSpan>,
        side: Side,
        // Status to record if the stream ends without trailers.
        fallback: u16,
    }
}

impl<B> TracedBody<B> {
    fn new(inner: B, span: Option<ActiveSpan>, side: Side, fallback: u16) -> Self {
        TracedBody { inner, span, side, fallback }
    }
}

impl<B: Body> Body for TracedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        // A streamed response is made as it is polled: inside the span.
        let polled = {
            let _scope = this.span.as_mut().map(ActiveSpan::enter);
            this.inner.poll_frame(cx)
        };
        if let Some(span) = this.span.as_mut() {
            match &polled {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Some(trailers) = frame.trailers_ref() {
                        let code = grpc_status(trailers).unwrap_or(*this.fallback);
                        finish(span, *this.side, code, grpc_message(trailers).as_deref());
                        *this.span = None;
                    }
                }
                Poll::Ready(Some(Err(_))) => {
                    // The stream broke: INTERNAL, as gRPC maps a reset.
                    finish(span, *this.side, 13, Some("response stream failed"));
                    *this.span = None;
                }
                Poll::Ready(None) => {
                    finish(span, *this.side, *this.fallback, None);
                    *this.span = None;
                }
                Poll::Pending => {}
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

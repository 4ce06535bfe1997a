//! The response body: the span ends when the last frame has been sent (or
//! the body fails, or is dropped), so streamed responses are covered whole.
//! Frames are polled with the span entered, so work a streamed body does
//! (a query per chunk) is the request's child.

use http_body::{Body, Frame, SizeHint};
use opentelemetry::trace::Status;
use opentelemetry::KeyValue;
use opentelemetry_semantic_conventions::attribute::ERROR_TYPE;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use traced_core::span::ActiveSpan;

pin_project_lite::pin_project! {
    /// A response body that ends its request's span when it is done.
    pub struct TracedBody<B> {
        #[pin]
        inner: B,
        span: ActiveSpan,
    }
}

impl<B> TracedBody<B> {
    pub(crate) fn new(inner: B, span: ActiveSpan) -> Self {
        TracedBody { inner, span }
    }
}

impl<B: Body> Body for TracedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let mut this = self.project();
        let polled = {
            let _scope = this.span.enter();
            this.inner.as_mut().poll_frame(cx)
        };
        match &polled {
            // A body that knows it is done (a whole response in memory)
            // ends the span with its last frame: the caller need not poll
            // again, and nothing is entered for the empty poll that follows.
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => finish(this.span),
            Poll::Ready(None) => finish(this.span),
            Poll::Ready(Some(Err(_))) => {
                this.span.set_attribute(KeyValue::new(ERROR_TYPE, "body"));
                this.span.set_status(Status::error("response body failed"));
                finish(this.span);
            }
            _ => {}
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

/// Ends the span and lets go of its context, so that later polls enter
/// nothing.
fn finish(span: &mut ActiveSpan) {
    span.end();
    *span = ActiveSpan::none();
}

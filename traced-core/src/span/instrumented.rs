//! A future that runs inside a span: the span is current during every poll,
//! ends when the future completes, records a panic that unwinds through a
//! poll, and, if the future is dropped before completing, ends marked
//! cancelled.

use super::active::ActiveSpan;
use opentelemetry::KeyValue;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

/// Attribute set to `true` on a span whose future was dropped before it
/// completed (a cancelled request, a lost `select!` branch, a timeout).
pub const CANCELLED: &str = "traced.cancelled";

pin_project_lite::pin_project! {
    /// A future instrumented with a span; see the module docs.
    pub struct Instrumented<F, C> {
        #[pin]
        inner: F,
        span: ActiveSpan,
        on_output: Option<C>,
        done: bool,
    }

    impl<F, C> PinnedDrop for Instrumented<F, C> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.done {
                if std::thread::panicking() {
                    this.span.record_panic();
                } else {
                    this.span.set_attribute(KeyValue::new(CANCELLED, true));
                }
                this.span.end();
            }
        }
    }
}

impl<F, C> Instrumented<F, C>
where
    F: Future,
    C: FnOnce(&mut ActiveSpan, &F::Output),
{
    /// Runs `inner` in `span`; `on_output` sees the output before the span
    /// ends (to record an error or the return value).
    #[inline]
    pub fn new(inner: F, span: ActiveSpan, on_output: C) -> Self {
        Instrumented { inner, span, on_output: Some(on_output), done: false }
    }
}

impl<F, C> Future for Instrumented<F, C>
where
    F: Future,
    C: FnOnce(&mut ActiveSpan, &F::Output),
{
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        // What the body queues on this thread is applied when the scope ends.
        let poll = {
            let _scope = this.span.enter();
            this.inner.poll(cx)
        };
        let output = match poll {
            Poll::Ready(output) => output,
            Poll::Pending => return Poll::Pending,
        };
        if let Some(on_output) = this.on_output.take() {
            on_output(this.span, &output);
        }
        *this.done = true;
        this.span.end();
        Poll::Ready(output)
    }
}

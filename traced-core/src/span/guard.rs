//! A span made current for a synchronous scope.

use super::active::ActiveSpan;
use super::current::RunningMark;
use opentelemetry::trace::TraceContextExt;
use opentelemetry::{Context, ContextGuard};

/// Keeps a span current until dropped, then ends it (recording a panic if the
/// scope is unwinding) and restores the previous context.
#[derive(Debug)]
#[must_use = "the span ends when the guard is dropped"]
pub struct SpanGuard {
    // Drop order matters: `Drop::drop` ends the span first, then the fields
    // drop in order: the running mark is popped, then the context detached.
    span: ActiveSpan,
    _running: Option<RunningMark>,
    _attached: Option<ContextGuard>,
}

impl SpanGuard {
    /// Makes `span` current.
    #[inline]
    pub fn enter(mut span: ActiveSpan) -> Self {
        let running = match (span.is_recording(), span.context()) {
            (true, Some(cx)) => Some(RunningMark::push(cx.span().span_context().span_id())),
            _ => None,
        };
        // The guard keeps the context on the stack; the span needs no copy.
        let attached = span.take_context().map(Context::attach);
        SpanGuard { span, _running: running, _attached: attached }
    }

    /// The span, to record attributes or errors on.
    #[inline]
    pub fn span(&mut self) -> &mut ActiveSpan {
        &mut self.span
    }
}

impl Drop for SpanGuard {
    #[inline]
    fn drop(&mut self) {
        self.span.end_checking_panic();
    }
}

//! A span made current for a synchronous scope.

use super::active::ActiveSpan;
use opentelemetry::ContextGuard;

/// Keeps a span current until dropped, then ends it (recording a panic if the
/// scope is unwinding) and restores the previous context.
#[derive(Debug)]
#[must_use = "the span ends when the guard is dropped"]
pub struct SpanGuard {
    // Field order matters: the span ends (Drop below) before the context is
    // detached, then `span` and `_attached` drop in this order.
    span: ActiveSpan,
    _attached: Option<ContextGuard>,
}

impl SpanGuard {
    /// Makes `span` current.
    #[inline]
    pub fn enter(span: ActiveSpan) -> Self {
        let attached = span.context().map(|cx| cx.clone().attach());
        SpanGuard { span, _attached: attached }
    }

    /// The span, to record attributes or errors on.
    #[inline]
    pub fn span(&self) -> &ActiveSpan {
        &self.span
    }
}

impl Drop for SpanGuard {
    #[inline]
    fn drop(&mut self) {
        self.span.end_checking_panic();
    }
}

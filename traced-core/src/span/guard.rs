//! A span made current for a synchronous scope.

use super::active::ActiveSpan;
use super::callsite::Callsite;
use super::current::RunningMark;
use super::record::Attributes;
use opentelemetry::trace::Link;
use opentelemetry::{Context, ContextGuard};
use std::mem::ManuallyDrop;

/// Keeps a span current until dropped, then ends it (recording a panic if the
/// scope is unwinding) and restores the previous context. Holds nothing at
/// all when no span was made, so that case costs one branch to drop.
#[derive(Debug)]
#[must_use = "the span ends when the guard is dropped"]
pub struct SpanGuard {
    // Dropped by hand in `drop`, only when present: the compiler's drop of
    // an `Option<Entered>` is a call even when it holds nothing.
    inner: ManuallyDrop<Option<Entered>>,
}

#[derive(Debug)]
struct Entered {
    // Drop order matters: `SpanGuard::drop` ends the span first, then the
    // fields drop in order: the running mark is popped, the context detached.
    span: ActiveSpan,
    _running: Option<RunningMark>,
    _attached: Option<ContextGuard>,
}

impl SpanGuard {
    /// Starts a span for a call site and makes it current: what a
    /// synchronous `#[traced]` function does first. With nothing installed
    /// it costs one relaxed load; everything else is out of line. `name` is
    /// only called when a span is made.
    #[inline]
    pub fn start(
        callsite: &'static Callsite,
        name: impl FnOnce() -> &'static str,
        attribute_capacity: usize,
        attributes: impl FnOnce(&mut Attributes),
        links: impl FnOnce() -> Vec<Link>,
    ) -> Self {
        if !crate::provider::any_installed() || super::active::under_skipped_parent() {
            return SpanGuard { inner: ManuallyDrop::new(None) };
        }
        Self::start_installed(callsite, name, attribute_capacity, attributes, links)
    }

    #[inline(never)]
    fn start_installed(
        callsite: &'static Callsite,
        name: impl FnOnce() -> &'static str,
        attribute_capacity: usize,
        attributes: impl FnOnce(&mut Attributes),
        links: impl FnOnce() -> Vec<Link>,
    ) -> Self {
        match ActiveSpan::try_start_at(callsite, name(), attribute_capacity, attributes, links) {
            Some(span) => Self::enter(span),
            None => SpanGuard { inner: ManuallyDrop::new(None) },
        }
    }

    /// Makes `span` current.
    #[inline]
    pub fn enter(mut span: ActiveSpan) -> Self {
        if !span.has_span() && span.context().is_none() {
            return SpanGuard { inner: ManuallyDrop::new(None) };
        }
        let running = span.running_mark();
        // The guard keeps the context on the stack; the span needs no copy.
        let attached = span.take_context().map(Context::attach);
        SpanGuard { inner: ManuallyDrop::new(Some(Entered { span, _running: running, _attached: attached })) }
    }

    /// The span, to record attributes or errors on (`None` when no span was
    /// made).
    #[inline]
    pub fn span(&mut self) -> Option<&mut ActiveSpan> {
        self.inner.as_mut().map(|e| &mut e.span)
    }
}

impl SpanGuard {
    /// Ends the span, then pops the running mark and detaches the context.
    #[inline(never)]
    fn end(&mut self) {
        if let Some(mut entered) = self.inner.take() {
            entered.span.end_checking_panic();
        }
    }
}

impl Drop for SpanGuard {
    #[inline]
    fn drop(&mut self) {
        if self.inner.is_some() {
            self.end();
        }
    }
}

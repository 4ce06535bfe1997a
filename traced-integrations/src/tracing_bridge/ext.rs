//! Reaching the `traced` span behind a `tracing::Span`: its context (to
//! inject, or to compare), and setting its parent from an extracted one.

use super::span::BridgeSpan;
use opentelemetry::trace::{SpanContext, TraceContextExt};
use opentelemetry::Context;
use tracing_core::span::Id;
use tracing_core::Dispatch;

/// Runs a closure on the bridge span of a span id, through the subscriber
/// it lives in. A plain function pointer, made where the subscriber's type
/// is known, so that it can be found by type from a `Dispatch`.
#[derive(Clone, Copy)]
pub(super) struct WithBridge(pub(super) WithBridgeFn);

/// What [`WithBridge`] holds.
pub(super) type WithBridgeFn = fn(&Dispatch, &Id, &mut dyn FnMut(&mut BridgeSpan));

/// Context methods on `tracing::Span` for spans bridged by
/// [`super::layer`].
pub trait TracedSpanExt {
    /// Makes `cx` (an extracted caller's context, usually) the parent of
    /// this span. Call it before the span is first entered: it then starts
    /// in the caller's trace. On a span that has already started, the
    /// caller's span is added as a link instead (the span's own context may
    /// have reached others already), `BridgeStats::late_parents` counts it,
    /// and `false` is returned.
    fn set_parent(&self, cx: &Context) -> bool;

    /// The context of the `traced` span behind this span (starting it if it
    /// has not started), for `propagation::inject` or plain OpenTelemetry
    /// code. Empty when the span is not bridged.
    fn context(&self) -> Context;

    /// The span context of [`Self::context`].
    fn span_context(&self) -> SpanContext {
        self.context().span().span_context().clone()
    }
}

impl TracedSpanExt for tracing::Span {
    fn set_parent(&self, cx: &Context) -> bool {
        let mut done = false;
        with_bridge(self, &mut |b| done = b.set_parent(cx));
        done
    }

    fn context(&self) -> Context {
        let mut cx = Context::new();
        with_bridge(self, &mut |b| cx = b.context());
        cx
    }
}

fn with_bridge(span: &tracing::Span, f: &mut dyn FnMut(&mut BridgeSpan)) {
    span.with_subscriber(|(id, dispatch)| {
        if let Some(with) = dispatch.downcast_ref::<WithBridge>() {
            (with.0)(dispatch, id, f);
        }
    });
}

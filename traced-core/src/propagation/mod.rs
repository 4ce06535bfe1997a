//! Context propagation: W3C Trace Context + Baggage by default; Jaeger, B3
//! (single and multiple headers) and AWS X-Ray on request; and the
//! `inject`/`extract` helpers every integration calls.

mod b3;
mod baggage;
mod hex;
mod jaeger;
mod trace_context;
mod xray;

pub use b3::{
    B3Debug, B3Encoding, B3Propagator, B3, X_B3_FLAGS, X_B3_PARENT_SPAN_ID, X_B3_SAMPLED, X_B3_SPAN_ID, X_B3_TRACE_ID,
};
pub use baggage::{format_baggage, parse_baggage, BaggagePropagator, BAGGAGE};
pub use jaeger::{format_uber_trace_id, parse_uber_trace_id, JaegerPropagator, UBERCTX_PREFIX, UBER_TRACE_ID};
pub use trace_context::{
    extract_span_context, format_trace_id, format_traceparent, parse_traceparent, parse_tracestate,
    TraceContextPropagator, TRACEPARENT, TRACESTATE,
};

pub use xray::{format_xray, parse_xray, XRayExtra, XRayPropagator, X_AMZN_TRACE_ID};

use opentelemetry::propagation::{Extractor, Injector, TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceFlags};
use opentelemetry::Context;

/// A trace flag bit (not on any wire) that B3 (no sampling state) and
/// X-Ray (`Sampled=?`) set on the remote span context they extract when the
/// caller sent ids but no decision: the span made under it is decided by
/// our sampler as a root is, in the caller's trace, instead of read as "not
/// sampled". Our W3C and Jaeger propagators never write it, and spans made
/// under such a parent do not inherit it. A bit of the flags, not a context
/// value, so that checking for it costs nothing on the unsampled path.
pub const SAMPLING_DEFERRED: TraceFlags = TraceFlags::new(DEFERRED_BIT);

/// The bit of [`SAMPLING_DEFERRED`].
pub(crate) const DEFERRED_BIT: u8 = 0x80;

/// Whether `sc` left its sampling decision to us.
#[inline]
pub fn is_deferred(sc: &SpanContext) -> bool {
    sc.trace_flags().to_u8() & DEFERRED_BIT != 0
}

/// A propagation format, as `OTEL_PROPAGATORS` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropagatorKind {
    /// `tracecontext`: W3C `traceparent` + `tracestate`.
    TraceContext,
    /// `baggage`: W3C `baggage`.
    Baggage,
    /// `jaeger`: `uber-trace-id` + `uberctx-*`.
    Jaeger,
    /// `b3`: Zipkin's single `b3` header (reads the multi-header form too).
    B3,
    /// `b3multi`: Zipkin's `X-B3-*` headers (reads the single header too).
    B3Multi,
    /// `xray`: AWS X-Ray's `X-Amzn-Trace-Id`.
    XRay,
}

impl PropagatorKind {
    /// The default list: `tracecontext,baggage`.
    pub const DEFAULT: [PropagatorKind; 2] = [PropagatorKind::TraceContext, PropagatorKind::Baggage];

    fn boxed(self) -> Box<dyn TextMapPropagator + Send + Sync> {
        match self {
            PropagatorKind::TraceContext => Box::new(TraceContextPropagator),
            PropagatorKind::Baggage => Box::new(BaggagePropagator),
            PropagatorKind::Jaeger => Box::new(JaegerPropagator),
            PropagatorKind::B3 => Box::new(B3Propagator::new(B3Encoding::SingleHeader)),
            PropagatorKind::B3Multi => Box::new(B3Propagator::new(B3Encoding::MultipleHeaders)),
            PropagatorKind::XRay => Box::new(XRayPropagator),
        }
    }
}

/// One propagator doing each of `kinds` in order (duplicates ignored). On
/// extraction, later formats win where they overlap.
pub fn composite(kinds: &[PropagatorKind]) -> TextMapCompositePropagator {
    let mut seen = Vec::new();
    for k in kinds {
        if !seen.contains(k) {
            seen.push(*k);
        }
    }
    TextMapCompositePropagator::new(seen.into_iter().map(PropagatorKind::boxed).collect())
}

/// Installs `kinds` as the global propagator.
pub fn install_global(kinds: &[PropagatorKind]) {
    opentelemetry::global::set_text_map_propagator(composite(kinds));
}

/// Writes `cx` into a carrier with the global propagator.
pub fn inject(cx: &Context, injector: &mut dyn Injector) {
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(cx, injector));
}

/// Writes the current context into a carrier with the global propagator.
pub fn inject_current(injector: &mut dyn Injector) {
    Context::map_current(|cx| inject(cx, injector));
}

/// Reads a context from a carrier with the global propagator, on top of
/// `base`. Malformed headers leave `base` unchanged (a new trace starts).
pub fn extract_with(base: &Context, extractor: &dyn Extractor) -> Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract_with_context(base, extractor))
}

/// Reads a context from a carrier with the global propagator, on top of an
/// empty context (what a server does with an incoming request).
pub fn extract(extractor: &dyn Extractor) -> Context {
    extract_with(&Context::new(), extractor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::baggage::BaggageExt;
    use opentelemetry::trace::TraceContextExt;
    use std::collections::HashMap;

    #[test]
    fn composite_round_trip_with_baggage() {
        let p = composite(&PropagatorKind::DEFAULT);
        let mut incoming = HashMap::new();
        incoming
            .insert("traceparent".to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string());
        incoming.insert("tracestate".to_string(), "rojo=00f067aa0ba902b7".to_string());
        incoming.insert("baggage".to_string(), "user.id=42,region=eu%20west".to_string());
        let cx = p.extract(&incoming);
        assert_eq!(cx.baggage().get("region").map(|v| v.as_str().to_owned()).as_deref(), Some("eu west"));
        let mut out = HashMap::new();
        p.inject_context(&cx, &mut out);
        assert_eq!(out["traceparent"], incoming["traceparent"]);
        assert_eq!(out["tracestate"], incoming["tracestate"]);
        let back = parse_baggage(&[&out["baggage"]]);
        assert_eq!(back.get("user.id").map(|v| v.as_str().to_owned()).as_deref(), Some("42"));
        assert_eq!(back.get("region").map(|v| v.as_str().to_owned()).as_deref(), Some("eu west"));
    }

    #[test]
    fn jaeger_and_tracecontext_together() {
        let p = composite(&[PropagatorKind::TraceContext, PropagatorKind::Jaeger, PropagatorKind::Jaeger]);
        let mut incoming = HashMap::new();
        incoming
            .insert("uber-trace-id".to_string(), "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1".to_string());
        let cx = p.extract(&incoming);
        assert!(cx.span().span_context().is_valid());
        let mut out = HashMap::new();
        p.inject_context(&cx, &mut out);
        assert_eq!(out["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        assert_eq!(out["uber-trace-id"], "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1");
        assert_eq!(p.fields().count(), 3);
    }
}

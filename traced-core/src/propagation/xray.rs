//! AWS X-Ray's trace header:
//! `X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`.
//!
//! The root is `1-` then the trace id's first 8 hex digits (in X-Ray's own
//! ids, the start time in seconds), `-`, the other 24. `Sampled=1` and `0`
//! are decisions; `?` or no `Sampled` leaves the decision to us (see
//! [`SAMPLING_DEFERRED`]). Any other field (`Lineage=`, `Self=` from load
//! balancers) is carried through to the next hop as it came.

use super::{is_deferred, SAMPLING_DEFERRED};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;
use std::sync::OnceLock;

/// The header.
pub const X_AMZN_TRACE_ID: &str = "x-amzn-trace-id";

/// The X-Ray propagator.
#[derive(Debug, Default, Clone, Copy)]
pub struct XRayPropagator;

/// The fields of an extracted header other than `Root`, `Parent` and
/// `Sampled`, for the trace they came with: written back on injection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XRayExtra {
    /// The trace they belong to.
    pub trace_id: TraceId,
    /// `key=value` pairs joined by `;`, in their order.
    pub fields: String,
}

/// What the header says: the span context (a deferred decision marked with
/// [`SAMPLING_DEFERRED`]) and the other fields.
pub fn parse_xray(value: &str) -> Option<(SpanContext, String)> {
    let (mut root, mut parent, mut sampled) = (None, None, None);
    let mut extra: Vec<&str> = Vec::new();
    for field in value.split(';').map(str::trim).filter(|f| !f.is_empty()) {
        let (key, val) = field.split_once('=')?;
        match key.trim() {
            "Root" => root = Some(val.trim()),
            "Parent" => parent = Some(val.trim()),
            "Sampled" => sampled = Some(val.trim()),
            _ => extra.push(field),
        }
    }
    let root = root?;
    let mut parts = root.split('-');
    let (version, epoch, random) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || version != "1" || epoch.len() != 8 || random.len() != 24 {
        return None;
    }
    let hex = format!("{epoch}{random}");
    let trace_id =
        u128::from_str_radix(&hex, 16).ok().filter(|&t| t != 0 && hex.bytes().all(|b| b.is_ascii_hexdigit()))?;
    let parent = parent?;
    if parent.len() != 16 || !parent.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let span_id = u64::from_str_radix(parent, 16).ok().filter(|&s| s != 0)?;
    let (is_sampled, deferred) = match sampled {
        Some("1") => (true, false),
        Some("0") => (false, false),
        Some("?") | None => (false, true),
        Some(_) => return None,
    };
    let flags = match (is_sampled, deferred) {
        (true, _) => TraceFlags::SAMPLED,
        (false, true) => SAMPLING_DEFERRED,
        (false, false) => TraceFlags::default(),
    };
    let sc = SpanContext::new(TraceId::from(trace_id), SpanId::from(span_id), flags, true, TraceState::NONE);
    Some((sc, extra.join(";")))
}

/// The header for `sc` (`Sampled=?` when it left the decision to us), with
/// `extra` fields after.
pub fn format_xray(sc: &SpanContext, extra: &str) -> String {
    let id = sc.trace_id().to_string();
    let sampled = if !sc.is_sampled() && is_deferred(sc) {
        "?"
    } else if sc.is_sampled() {
        "1"
    } else {
        "0"
    };
    let mut out = format!("Root=1-{}-{};Parent={};Sampled={sampled}", &id[..8], &id[8..], sc.span_id());
    if !extra.is_empty() {
        out.push(';');
        out.push_str(extra);
    }
    out
}

impl TextMapPropagator for XRayPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return;
        }
        let extra =
            cx.get::<XRayExtra>().filter(|e| e.trace_id == sc.trace_id()).map(|e| e.fields.as_str()).unwrap_or("");
        injector.set(X_AMZN_TRACE_ID, format_xray(sc, extra));
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let Some((sc, extra)) = extractor.get(X_AMZN_TRACE_ID).and_then(parse_xray) else {
            return cx.clone();
        };
        let trace_id = sc.trace_id();
        let mut out = cx.with_remote_span_context(sc);
        if !extra.is_empty() {
            out = out.with_value(XRayExtra { trace_id, fields: extra });
        }
        out
    }

    fn fields(&self) -> opentelemetry::propagation::text_map_propagator::FieldIter<'_> {
        static FIELDS: OnceLock<[String; 1]> = OnceLock::new();
        opentelemetry::propagation::text_map_propagator::FieldIter::new(
            FIELDS.get_or_init(|| [X_AMZN_TRACE_ID.to_owned()]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const HEADER: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

    fn extract(value: &str) -> Context {
        let map = HashMap::from([(X_AMZN_TRACE_ID.to_owned(), value.to_owned())]);
        XRayPropagator.extract_with_context(&Context::new(), &map)
    }

    fn inject(cx: &Context) -> Option<String> {
        let mut map = HashMap::new();
        XRayPropagator.inject_context(cx, &mut map);
        map.remove(X_AMZN_TRACE_ID)
    }

    #[test]
    fn the_documented_header_round_trips() {
        let cx = extract(HEADER);
        let sc = cx.span().span_context().clone();
        assert_eq!(sc.trace_id().to_string(), "5759e988bd862e3fe1be46a994272793");
        assert_eq!(sc.span_id().to_string(), "53995c3f42cd8ad8");
        assert!(sc.is_sampled() && sc.is_remote());
        assert_eq!(inject(&cx).as_deref(), Some(HEADER));
    }

    #[test]
    fn other_fields_are_carried_and_question_mark_defers() {
        let cx = extract("Self=1-67891234-12456789abcdef012345678;Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?;Lineage=a87bd80c:1|68fd508a:5");
        assert!(is_deferred(cx.span().span_context()));
        assert!(!cx.span().span_context().is_sampled());
        assert_eq!(
            inject(&cx).as_deref(),
            Some("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?;Self=1-67891234-12456789abcdef012345678;Lineage=a87bd80c:1|68fd508a:5")
        );
        let no_sampled = extract("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8");
        assert!(is_deferred(no_sampled.span().span_context()));
    }

    #[test]
    fn malformed_headers_continue_nothing() {
        for value in [
            "",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
            "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e98-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a99427279z;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=2",
            "garbage",
        ] {
            assert!(!extract(value).span().span_context().is_valid(), "{value:?}");
        }
    }
}

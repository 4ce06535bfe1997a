//! `traceparent`: any text parses to a valid context or to nothing, and
//! what parses formats back to the same ids and flags.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opentelemetry::trace::{SpanContext, TraceState};
use traced_core::propagation::{format_traceparent, parse_traceparent};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some((trace_id, span_id, flags)) = parse_traceparent(&text) {
        let sc = SpanContext::new(trace_id, span_id, flags, true, TraceState::NONE);
        assert!(sc.is_valid(), "a parsed context is valid: {text:?}");
        let again = format_traceparent(&sc);
        assert_eq!(parse_traceparent(&again), Some((trace_id, span_id, flags)), "{text:?} -> {again:?}");
    }
});

//! HTTP (and gRPC, whose metadata is an `http::HeaderMap`) extraction with
//! every propagator: arbitrary header names and byte values, repeated
//! headers, non-UTF-8 bytes. Never a panic; a context extracted is valid.
#![no_main]

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use opentelemetry::trace::TraceContextExt;
use traced_core::propagation::{composite, PropagatorKind};
use traced_integrations::carrier::HeaderExtractor;

const NAMES: [&str; 5] = ["traceparent", "tracestate", "baggage", "uber-trace-id", "uberctx-user"];

fuzz_target!(|data: &[u8]| {
    // Lines of `<name index byte><value bytes>`.
    let mut headers = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some((&which, value)) = line.split_first() else { continue };
        let name = HeaderName::from_static(NAMES[which as usize % NAMES.len()]);
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(name, value);
        }
    }
    let propagator = composite(&[PropagatorKind::TraceContext, PropagatorKind::Baggage, PropagatorKind::Jaeger]);
    let cx = opentelemetry::propagation::TextMapPropagator::extract(&propagator, &HeaderExtractor(&headers));
    let span = cx.span();
    let sc = span.span_context();
    assert!(!sc.is_valid() || sc.is_remote());
});

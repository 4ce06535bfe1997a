//! Jaeger's `uber-trace-id`: a valid context or nothing, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use traced_core::propagation::{format_uber_trace_id, parse_uber_trace_id};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(sc) = parse_uber_trace_id(&text) {
        assert!(sc.is_valid(), "{text:?}");
        let again = parse_uber_trace_id(&format_uber_trace_id(&sc)).expect("round trip");
        assert_eq!((again.trace_id(), again.span_id()), (sc.trace_id(), sc.span_id()));
    }
});

//! B3 (single and multiple headers) and X-Ray headers of any bytes: a
//! remote context or none, never a panic; what is read is written back in
//! a form that reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use std::collections::HashMap;
use traced_core::propagation::{B3Encoding, B3Propagator, XRayPropagator};

const NAMES: [&str; 6] = ["b3", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-b3-flags", "x-amzn-trace-id"];

fuzz_target!(|data: &[u8]| {
    let mut headers = HashMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some((&which, value)) = line.split_first() else { continue };
        let Ok(value) = std::str::from_utf8(value) else { continue };
        headers.insert(NAMES[which as usize % NAMES.len()].to_owned(), value.to_owned());
    }
    let propagators: [Box<dyn TextMapPropagator>; 3] = [
        Box::new(B3Propagator::new(B3Encoding::SingleHeader)),
        Box::new(B3Propagator::new(B3Encoding::MultipleHeaders)),
        Box::new(XRayPropagator),
    ];
    for p in &propagators {
        let cx = p.extract(&headers);
        let sc = cx.span().span_context().clone();
        if !sc.is_valid() {
            continue;
        }
        assert!(sc.is_remote());
        let mut written = HashMap::new();
        p.inject_context(&cx, &mut written);
        let again = p.extract(&written);
        let back = again.span().span_context().clone();
        assert_eq!((back.trace_id(), back.span_id(), back.is_sampled()), (sc.trace_id(), sc.span_id(), sc.is_sampled()));
    }
});

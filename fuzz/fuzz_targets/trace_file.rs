//! Trace files of any bytes (JSON of any shape, gzip, protobuf): every
//! reader reports and skips what it cannot read; never a panic. What it
//! reads builds traces and answers a query.
#![no_main]

use libfuzzer_sys::fuzz_target;
use traced_analyze::{read, Query, TraceSet};

fuzz_target!(|data: &[u8]| {
    let mut spans = Vec::new();
    let report = read::read_bytes("fuzz", data, |s| spans.push(s));
    assert_eq!(report.spans, spans.len());
    let traces = TraceSet::from_spans(spans);
    for t in &traces.traces {
        let _ = t.root();
        let _ = t.duration_nanos();
    }
    if let Ok(q) = Query::parse("{ } >> { status = error } | count() > 1") {
        let _ = q.run(&traces);
    }
});

//! Queries of any text, TraceQL or the SQL form: a parse error with a
//! column inside the query (or just past its end), or a query that runs;
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use traced_analyze::{Query, TraceSet};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Query::parse(text) {
        Ok(q) => {
            let _ = q.run(&TraceSet::default());
            let _ = Query::parse(q.traceql()).expect("the TraceQL a query runs as parses again");
        }
        Err(e) => {
            assert!(e.column >= 1 && e.column <= text.chars().count() + 1, "{e} in {text:?}");
            let _ = e.render(text);
        }
    }
});

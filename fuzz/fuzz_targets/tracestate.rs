//! `tracestate`, as one or several header lines: bounded (32 members) or
//! discarded whole, and a parsed state formats back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use traced_core::propagation::parse_tracestate;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    if let Some(state) = parse_tracestate(&lines) {
        let header = state.header();
        assert!(header.split(',').filter(|m| !m.is_empty()).count() <= 32, "{header:?}");
        let again = parse_tracestate(&[header.as_str()]).expect("a formatted state parses");
        assert_eq!(again.header(), header);
    }
});

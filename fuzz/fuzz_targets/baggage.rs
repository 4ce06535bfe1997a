//! `baggage`: bounded (64 members, 8192 bytes), and what it formats parses
//! back to the same entries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use traced_core::propagation::{format_baggage, parse_baggage};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    let baggage = parse_baggage(&lines);
    assert!(baggage.len() <= 64);
    if let Some(header) = format_baggage(&baggage) {
        let again = parse_baggage(&[header.as_str()]);
        assert_eq!(again.len(), baggage.len(), "{header:?}");
        for (key, (value, _)) in baggage.iter() {
            assert_eq!(again.get(key.as_str()), Some(value), "{key} in {header:?}");
        }
    }
});

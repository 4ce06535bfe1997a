//! `baggage`: bounded (64 members, 8192 bytes); what it formats is a valid
//! header of at most 8192 bytes (members that do not fit once encoded are
//! left out) and parses back to the same entries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use traced_core::propagation::{format_baggage, parse_baggage};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    let baggage = parse_baggage(&lines);
    assert!(baggage.len() <= 64);
    if let Some(header) = format_baggage(&baggage) {
        assert!(header.len() <= 8192);
        assert!(header.bytes().all(|c| (0x20..0x7f).contains(&c)), "not a valid header value: {header:?}");
        let again = parse_baggage(&[header.as_str()]);
        assert!(!again.is_empty());
        for (key, (value, metadata)) in again.iter() {
            let original = baggage.get_with_metadata(key.as_str());
            assert_eq!(original, Some(&(value.clone(), metadata.clone())), "{key} in {header:?}");
        }
    }
});

//! Consistent probability sampling (OpenTelemetry "TraceState handling:
//! probability sampling"): a 56-bit randomness value `R` per trace, a
//! rejection threshold `T` per sampler, and "keep when `R >= T`". The
//! threshold of a kept span travels in `tracestate` as `ot=th:<hex>`, so
//! any SDK downstream knows the probability the trace was sampled with and
//! makes decisions consistent with it.
//!
//! `R` is the `rv` sub-key when present (14 hex digits), else the 56
//! right-most bits of the trace id (random under the W3C Level 2 random
//! flag, which our ids always have).

use opentelemetry::trace::{TraceId, TraceState};

/// 2^56: thresholds and randomness are 56-bit values.
pub(crate) const MAX_THRESHOLD: u64 = 1 << 56;
const RANDOM_MASK: u64 = MAX_THRESHOLD - 1;

/// The rejection threshold for sampling probability `p`: `(1 - p) * 2^56`,
/// clamped so that `p >= 1` keeps everything (0) and `p <= 0` nothing
/// (`2^56`, which no randomness reaches).
pub(crate) fn threshold(p: f64) -> u64 {
    if p.is_nan() || p <= 0.0 {
        return MAX_THRESHOLD;
    }
    if p >= 1.0 {
        return 0;
    }
    // Rounded so that the encoded threshold and the one decided with agree.
    (((1.0 - p) * MAX_THRESHOLD as f64).round() as u64).min(MAX_THRESHOLD)
}

/// `th` as written: 14 hex digits with trailing zeros removed (`0` for 100 %).
pub(crate) fn encode_threshold(t: u64) -> String {
    if t == 0 {
        return "0".to_owned();
    }
    let hex = format!("{t:014x}");
    hex.trim_end_matches('0').to_owned()
}

/// Parses a `th` value: 1 to 14 hex digits, right-padded with zeros.
pub(crate) fn decode_threshold(th: &str) -> Option<u64> {
    if th.is_empty() || th.len() > 14 || !th.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let value = u64::from_str_radix(th, 16).ok()?;
    Some(value << (4 * (14 - th.len())))
}

/// The `ot` sub-key `key`'s value in `tracestate`, if any.
fn ot_value<'a>(ot: &'a str, key: &str) -> Option<&'a str> {
    ot.split(';').find_map(|kv| kv.strip_prefix(key)?.strip_prefix(':'))
}

/// The trace's randomness: `rv` if valid, else the trace id's low 56 bits.
pub(crate) fn randomness(trace_id: TraceId, state: &TraceState) -> u64 {
    let explicit = state.get("ot").and_then(|ot| ot_value(ot, "rv")).filter(|rv| rv.len() == 14);
    if let Some(rv) = explicit.and_then(|rv| u64::from_str_radix(rv, 16).ok()) {
        return rv & RANDOM_MASK;
    }
    let bytes = trace_id.to_bytes();
    let mut low = [0u8; 8];
    low.copy_from_slice(&bytes[8..16]);
    u64::from_be_bytes(low) & RANDOM_MASK
}

/// The threshold a parent's context carries, if valid.
pub(crate) fn parent_threshold(state: &TraceState) -> Option<u64> {
    state.get("ot").and_then(|ot| ot_value(ot, "th")).and_then(decode_threshold)
}

/// `state` with its `ot=th` set to `t` (or removed with `None`), keeping the
/// other `ot` sub-keys and every other vendor's entry.
pub(crate) fn with_threshold(state: &TraceState, t: Option<u64>) -> TraceState {
    let others: Vec<&str> = match state.get("ot") {
        Some(ot) => ot.split(';').filter(|kv| !kv.is_empty() && !kv.starts_with("th:")).collect(),
        None => Vec::new(),
    };
    let mut parts = Vec::with_capacity(others.len() + 1);
    if let Some(t) = t {
        parts.push(format!("th:{}", encode_threshold(t)));
    }
    parts.extend(others.into_iter().map(str::to_owned));
    let updated = if parts.is_empty() { state.delete("ot") } else { state.insert("ot", parts.join(";")) };
    // Only an invalid value can fail, and ours are valid; keep the old state then.
    updated.unwrap_or_else(|_| state.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn thresholds_of_the_specification_examples() {
        assert_eq!(encode_threshold(threshold(1.0)), "0");
        assert_eq!(encode_threshold(threshold(0.5)), "8");
        assert_eq!(encode_threshold(threshold(0.25)), "c");
        assert_eq!(encode_threshold(threshold(0.125)), "e");
        assert_eq!(decode_threshold("c"), Some(0xc0_0000_0000_0000));
        assert_eq!(decode_threshold("0"), Some(0));
        assert_eq!(decode_threshold("fffffffffffff"), Some(0xff_ffff_ffff_fff0));
        assert_eq!(decode_threshold(""), None);
        assert_eq!(decode_threshold("123456789abcdef"), None, "15 digits");
        assert_eq!(decode_threshold("xz"), None);
        for p in [0.1, 0.01, 0.333, 0.9] {
            let t = threshold(p);
            assert_eq!(decode_threshold(&encode_threshold(t)), Some(t), "round trip at {p}");
        }
    }

    #[test]
    fn randomness_prefers_rv() {
        let id = TraceId::from(0x0000_0000_0000_0000_00ab_cdef_0123_4567u128);
        assert_eq!(randomness(id, &TraceState::NONE), 0xab_cdef_0123_4567);
        let with_rv = TraceState::from_str("ot=rv:0102030405060a;th:8").unwrap_or_default();
        assert_eq!(randomness(id, &with_rv), 0x01_0203_0405_060a);
        let bad_rv = TraceState::from_str("ot=rv:12").unwrap_or_default();
        assert_eq!(randomness(id, &bad_rv), 0xab_cdef_0123_4567);
    }

    #[test]
    fn threshold_is_set_and_erased_keeping_the_rest() {
        let state = TraceState::from_str("ot=rv:0102030405060a;th:8,vendor=x").unwrap_or_default();
        assert_eq!(parent_threshold(&state), Some(0x80_0000_0000_0000));
        let set = with_threshold(&state, Some(threshold(0.25)));
        assert_eq!(set.get("ot"), Some("th:c;rv:0102030405060a"));
        assert_eq!(set.get("vendor"), Some("x"));
        let erased = with_threshold(&set, None);
        assert_eq!(erased.get("ot"), Some("rv:0102030405060a"));
        let gone = with_threshold(&TraceState::from_str("ot=th:8").unwrap_or_default(), None);
        assert_eq!(gone.get("ot"), None);
        assert_eq!(with_threshold(&TraceState::NONE, Some(0)).header(), "ot=th:0");
    }
}

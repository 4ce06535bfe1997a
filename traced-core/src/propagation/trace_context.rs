//! W3C Trace Context (`traceparent`, `tracestate`), parsed per Level 2.
//!
//! Unlike `opentelemetry_sdk`'s propagator this one keeps the Level 2
//! `random` flag (bit 1), so a trace started by a random-id SDK keeps saying
//! so across every hop. Anything malformed is ignored: the context is left as
//! it was and the caller starts a new trace.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;
use std::sync::OnceLock;

/// Header name of the parent.
pub const TRACEPARENT: &str = "traceparent";
/// Header name of the vendor state.
pub const TRACESTATE: &str = "tracestate";

/// Flags that may be sent: `sampled` and `random`; other bits MUST be zero.
const KNOWN_FLAGS: u8 = 0x03;
const MAX_TRACESTATE_MEMBERS: usize = 32;

/// The W3C Trace Context propagator.
#[derive(Debug, Default, Clone, Copy)]
pub struct TraceContextPropagator;

fn hex_lower(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn hex_field(s: &str) -> Option<u128> {
    if s.is_empty() || !hex_lower(s.as_bytes()) {
        return None;
    }
    u128::from_str_radix(s, 16).ok()
}

/// Parses a `traceparent` value. `None` for anything the spec says to ignore.
pub fn parse_traceparent(value: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
    let value = value.trim_matches([' ', '\t']);
    let b = value.as_bytes();
    if b.len() < 55 || !b.is_ascii() {
        return None;
    }
    let version = &value[0..2];
    if !hex_lower(version.as_bytes()) || version == "ff" || b[2] != b'-' {
        return None;
    }
    if version == "00" && b.len() != 55 {
        return None;
    }
    if b[35] != b'-' || b[52] != b'-' {
        return None;
    }
    // A future version may append fields, always after a `-`.
    if b.len() > 55 && b[55] != b'-' {
        return None;
    }
    let trace_id = hex_field(&value[3..35]).filter(|&t| t != 0)?;
    let span_id = hex_field(&value[36..52]).and_then(|s| u64::try_from(s).ok()).filter(|&s| s != 0)?;
    let flags = u8::try_from(hex_field(&value[53..55])?).ok()?;
    Some((TraceId::from(trace_id), SpanId::from(span_id), TraceFlags::new(flags & KNOWN_FLAGS)))
}

/// Formats the `traceparent` of a span context (version `00`).
pub fn format_traceparent(sc: &SpanContext) -> String {
    format!("00-{}-{}-{:02x}", sc.trace_id(), sc.span_id(), sc.trace_flags().to_u8() & KNOWN_FLAGS)
}

fn valid_key(key: &str) -> bool {
    let b = key.as_bytes();
    let simple = |s: &[u8]| s.iter().all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/'));
    match key.split_once('@') {
        // Level 1 multi-tenant form `tenant@system`.
        Some((tenant, system)) => {
            !tenant.is_empty()
                && tenant.len() <= 241
                && tenant.as_bytes()[0].is_ascii_lowercase() | tenant.as_bytes()[0].is_ascii_digit()
                && simple(tenant.as_bytes())
                && !system.is_empty()
                && system.len() <= 14
                && system.as_bytes()[0].is_ascii_lowercase()
                && simple(system.as_bytes())
        }
        None => !b.is_empty() && b.len() <= 256 && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit()) && simple(b),
    }
}

fn valid_value(value: &str) -> bool {
    let b = value.as_bytes();
    !b.is_empty()
        && b.len() <= 256
        && b.iter().all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
        && b[b.len() - 1] != b' '
}

/// Parses the (joined) `tracestate` values. An invalid member, a duplicate
/// key, or more than 32 members drops the whole header, as the spec allows.
pub fn parse_tracestate(values: &[&str]) -> Option<TraceState> {
    let mut members: Vec<(String, String)> = Vec::new();
    for value in values {
        for member in value.split(',') {
            let member = member.trim_matches([' ', '\t']);
            if member.is_empty() {
                continue;
            }
            let (key, val) = member.split_once('=')?;
            if !valid_key(key) || !valid_value(val) || members.iter().any(|(k, _)| k == key) {
                return None;
            }
            members.push((key.to_owned(), val.to_owned()));
            if members.len() > MAX_TRACESTATE_MEMBERS {
                return None;
            }
        }
    }
    TraceState::from_key_value(members).ok()
}

fn all_values<'a>(extractor: &'a dyn Extractor, key: &str) -> Vec<&'a str> {
    extractor.get_all(key).unwrap_or_else(|| extractor.get(key).into_iter().collect())
}

/// The remote span context in a carrier, if valid.
pub fn extract_span_context(extractor: &dyn Extractor) -> Option<SpanContext> {
    let parents = all_values(extractor, TRACEPARENT);
    // Two traceparent fields combine into a value that fails the grammar.
    let [parent] = parents.as_slice() else { return None };
    let (trace_id, span_id, flags) = parse_traceparent(parent)?;
    let state = parse_tracestate(&all_values(extractor, TRACESTATE)).unwrap_or_default();
    Some(SpanContext::new(trace_id, span_id, flags, true, state))
}

impl TextMapPropagator for TraceContextPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return;
        }
        injector.set(TRACEPARENT, format_traceparent(sc));
        let state = sc.trace_state().header();
        if !state.is_empty() {
            injector.set(TRACESTATE, state);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        match extract_span_context(extractor) {
            Some(sc) => cx.with_remote_span_context(sc),
            None => cx.clone(),
        }
    }

    fn fields(&self) -> opentelemetry::propagation::text_map_propagator::FieldIter<'_> {
        static FIELDS: OnceLock<[String; 2]> = OnceLock::new();
        let fields = FIELDS.get_or_init(|| [TRACEPARENT.to_owned(), TRACESTATE.to_owned()]);
        opentelemetry::propagation::text_map_propagator::FieldIter::new(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn extract(headers: &[(&str, &str)]) -> Option<SpanContext> {
        let map: HashMap<String, String> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        extract_span_context(&map)
    }

    #[test]
    fn parses_a_valid_traceparent() {
        let (t, s, f) = parse_traceparent(TP).unwrap();
        assert_eq!(t, TraceId::from(0x4bf92f3577b34da6a3ce929d0e0e4736u128));
        assert_eq!(s, SpanId::from(0x00f067aa0ba902b7u64));
        assert_eq!(f, TraceFlags::SAMPLED);
    }

    #[test]
    fn keeps_the_random_flag_and_clears_unknown_bits() {
        let (_, _, f) = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03").unwrap();
        assert_eq!(f.to_u8(), 0x03);
        let (_, _, f) = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff").unwrap();
        assert_eq!(f.to_u8(), 0x03);
    }

    #[test]
    fn rejects_what_the_spec_says_to_ignore() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", // short
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // uppercase
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero parent id
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // forbidden version
            "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // non-hex version
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", // v00 with more data
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", // non-hex
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // bad delimiter
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g", // bad flags
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", // future version, bad tail
        ] {
            assert!(parse_traceparent(bad).is_none(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn accepts_future_versions_and_whitespace() {
        assert!(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds")
            .is_some());
        assert!(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_some());
        assert!(parse_traceparent(&format!(" \t{TP} ")).is_some());
    }

    #[test]
    fn duplicate_traceparent_headers_restart() {
        struct Dup;
        impl Extractor for Dup {
            fn get(&self, _: &str) -> Option<&str> {
                Some(TP)
            }
            fn keys(&self) -> Vec<&str> {
                vec![TRACEPARENT]
            }
            fn get_all(&self, key: &str) -> Option<Vec<&str>> {
                (key == TRACEPARENT).then(|| vec![TP, TP])
            }
        }
        assert!(extract_span_context(&Dup).is_none());
    }

    #[test]
    fn tracestate_rules() {
        let s = parse_tracestate(&["rojo=00f067aa0ba902b7, congo=t61rcWkgMzE"]).unwrap();
        assert_eq!(s.header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
        assert!(parse_tracestate(&["a=1", "b=2"]).is_some());
        assert_eq!(parse_tracestate(&["a=1,,b=2"]).unwrap().header(), "a=1,b=2");
        assert!(parse_tracestate(&["tenant@vendor=x"]).is_some());
        // Trailing spaces are list whitespace, not part of the value.
        assert_eq!(parse_tracestate(&["a=x  "]).unwrap().header(), "a=x");
        for bad in ["A=1", "a=1,a=2", "a=", "=1", "a=x,y", "a=b=c", "a=\u{7f}", "a=caf\u{e9}"] {
            assert!(parse_tracestate(&[bad]).is_none(), "{bad:?} was accepted");
        }
        let max: Vec<String> = (0..32).map(|i| format!("k{i}=v")).collect();
        assert!(parse_tracestate(&[&max.join(",")]).is_some());
        let over: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        assert!(parse_tracestate(&[&over.join(",")]).is_none());
    }

    #[test]
    fn a_bad_tracestate_keeps_the_parent() {
        let sc = extract(&[("traceparent", TP), ("tracestate", "BAD")]).unwrap();
        assert!(sc.is_remote());
        assert_eq!(sc.trace_state().header(), "");
    }

    #[test]
    fn round_trip_through_headers() {
        let sc = extract(&[
            ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"),
            ("tracestate", "congo=t61rcWkgMzE"),
        ])
        .unwrap();
        let cx = Context::new().with_remote_span_context(sc);
        let mut out = HashMap::new();
        TraceContextPropagator.inject_context(&cx, &mut out);
        assert_eq!(out["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
        assert_eq!(out["tracestate"], "congo=t61rcWkgMzE");
    }

    #[test]
    fn nothing_is_injected_without_a_valid_span() {
        let mut out = HashMap::new();
        TraceContextPropagator.inject_context(&Context::new(), &mut out);
        assert!(out.is_empty());
    }
}

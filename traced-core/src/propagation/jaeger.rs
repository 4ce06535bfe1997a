//! The Jaeger client propagation format, for services still on Jaeger clients.
//!
//! `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}`: ids in
//! lowercase or uppercase hex, possibly shorter than their full width (leading
//! zeros dropped), trace ids of 64 or 128 bits; the parent span id is
//! deprecated and sent as `0`; flags is a hex bitmap (1 = sampled, 2 = debug).
//! The value may arrive URL-encoded (`%3A` for `:`). Baggage travels as one
//! `uberctx-{key}` header per item.

use opentelemetry::baggage::{Baggage, BaggageExt};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use std::sync::OnceLock;

/// The trace header.
pub const UBER_TRACE_ID: &str = "uber-trace-id";
/// Prefix of baggage headers.
pub const UBERCTX_PREFIX: &str = "uberctx-";

const FLAG_SAMPLED: u8 = 0x01;
const FLAG_DEBUG: u8 = 0x02;

/// The Jaeger propagator.
#[derive(Debug, Default, Clone, Copy)]
pub struct JaegerPropagator;

fn parse_hex(s: &str, max_len: usize) -> Option<u128> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(s, 16).ok()
}

/// Parses an `uber-trace-id` value into a remote span context.
pub fn parse_uber_trace_id(value: &str) -> Option<SpanContext> {
    let decoded = percent_decode_str(value.trim()).decode_utf8().ok()?;
    let mut parts = decoded.split(':');
    let (trace, span, _parent, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let trace_id = parse_hex(trace, 32).filter(|&t| t != 0)?;
    let span_id = parse_hex(span, 16).and_then(|s| u64::try_from(s).ok()).filter(|&s| s != 0)?;
    let flags = u8::try_from(parse_hex(flags, 2)?).ok()?;
    // Debug implies sampled.
    let sampled = flags & (FLAG_SAMPLED | FLAG_DEBUG) != 0;
    let trace_flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
    Some(SpanContext::new(TraceId::from(trace_id), SpanId::from(span_id), trace_flags, true, TraceState::NONE))
}

/// Formats a span context as an `uber-trace-id` value.
pub fn format_uber_trace_id(sc: &SpanContext) -> String {
    let flags = if sc.is_sampled() { FLAG_SAMPLED } else { 0 };
    format!("{}:{}:0:{:x}", sc.trace_id(), sc.span_id(), flags)
}

impl TextMapPropagator for JaegerPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let sc = span.span_context();
        if sc.is_valid() {
            injector.set(UBER_TRACE_ID, format_uber_trace_id(sc));
        }
        for (key, (value, _)) in cx.baggage().iter() {
            let value = utf8_percent_encode(value.as_str(), NON_ALPHANUMERIC).to_string();
            injector.set(&format!("{UBERCTX_PREFIX}{}", key.as_str()), value);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let mut out = match extractor.get(UBER_TRACE_ID).and_then(parse_uber_trace_id) {
            Some(sc) => cx.with_remote_span_context(sc),
            None => cx.clone(),
        };
        let mut baggage: Option<Baggage> = None;
        for key in extractor.keys() {
            let lower = key.to_ascii_lowercase();
            let Some(name) = lower.strip_prefix(UBERCTX_PREFIX) else { continue };
            let Some(value) = extractor.get(key) else { continue };
            let value = percent_decode_str(value).decode_utf8_lossy().into_owned();
            baggage
                .get_or_insert_with(|| {
                    let mut b = Baggage::new();
                    for (k, (v, m)) in cx.baggage().iter() {
                        b.insert_with_metadata(k.clone(), v.clone(), m.clone());
                    }
                    b
                })
                .insert(name.to_owned(), value);
        }
        if let Some(b) = baggage {
            out = out.with_baggage(b);
        }
        out
    }

    fn fields(&self) -> opentelemetry::propagation::text_map_propagator::FieldIter<'_> {
        static FIELDS: OnceLock<[String; 1]> = OnceLock::new();
        opentelemetry::propagation::text_map_propagator::FieldIter::new(
            FIELDS.get_or_init(|| [UBER_TRACE_ID.to_owned()]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn headers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn extracts_the_header_format() {
        let cx = JaegerPropagator
            .extract(&headers(&[("uber-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1")]));
        let span = cx.span();
        let sc = span.span_context();
        assert_eq!(sc.trace_id(), TraceId::from(0x4bf92f3577b34da6a3ce929d0e0e4736u128));
        assert_eq!(sc.span_id(), SpanId::from(0x00f067aa0ba902b7u64));
        assert!(sc.is_sampled() && sc.is_remote());
    }

    #[test]
    fn accepts_short_ids_uppercase_debug_and_url_encoding() {
        let sc = parse_uber_trace_id("ABC%3A1f%3A0%3A3").unwrap();
        assert_eq!(sc.trace_id(), TraceId::from(0xabcu128));
        assert_eq!(sc.span_id(), SpanId::from(0x1fu64));
        assert!(sc.is_sampled());
        let debug_only = parse_uber_trace_id("1:2:0:2").unwrap();
        assert!(debug_only.is_sampled());
        assert!(!parse_uber_trace_id("1:2:0:0").unwrap().is_sampled());
        // 64-bit trace ids from old clients.
        assert_eq!(
            parse_uber_trace_id("00f067aa0ba902b7:1:0:1").unwrap().trace_id(),
            TraceId::from(0x00f067aa0ba902b7u128)
        );
    }

    #[test]
    fn rejects_malformed_values() {
        for bad in [
            "",
            "1:2:0",
            "1:2:0:1:9",
            "0:2:0:1",
            "1:0:0:1",
            "xyz:2:0:1",
            "1:2:0:100",
            "1:12345678901234567:0:1",
            "1::0:1",
        ] {
            assert!(parse_uber_trace_id(bad).is_none(), "{bad:?} was accepted");
        }
        let cx = JaegerPropagator.extract(&headers(&[("uber-trace-id", "garbage")]));
        assert!(!cx.span().span_context().is_valid());
    }

    #[test]
    fn round_trip_with_baggage() {
        let sc = SpanContext::new(
            TraceId::from(0x1234u128),
            SpanId::from(0x42u64),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        );
        let cx =
            Context::new().with_remote_span_context(sc).with_baggage(vec![opentelemetry::KeyValue::new("user", "a b")]);
        let mut out = HashMap::new();
        JaegerPropagator.inject_context(&cx, &mut out);
        assert_eq!(out["uber-trace-id"], "00000000000000000000000000001234:0000000000000042:0:1");
        assert_eq!(out["uberctx-user"], "a%20b");
        let back = JaegerPropagator.extract(&out);
        assert_eq!(back.span().span_context().trace_id(), TraceId::from(0x1234u128));
        assert_eq!(back.baggage().get("user").map(|v| v.as_str().to_owned()).as_deref(), Some("a b"));
    }
}

//! Zipkin's B3 propagation, as openzipkin/b3-propagation and the
//! OpenTelemetry specification define it.
//!
//! - Single header (`b3`, the default inject form):
//!   `{TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]`, or the
//!   sampling state alone (`b3: 0`: do not sample).
//! - Multiple headers (`b3multi`): `X-B3-TraceId`, `X-B3-SpanId`,
//!   `X-B3-Sampled` (`1`/`0`), `X-B3-Flags` (`1`: debug);
//!   `X-B3-ParentSpanId` is read past, never written.
//!
//! Extraction reads both; the single header wins when it parses. A 64-bit
//! trace id is left-padded to 128 bits. Debug means sampled, and is written
//! back (`d`, or `X-B3-Flags: 1` instead of `X-B3-Sampled`). With no
//! sampling state the decision is deferred: the context carries
//! [`SAMPLING_DEFERRED`], and the span made under it is decided by our
//! sampler as for a root, in the caller's trace.

use super::{is_deferred, SAMPLING_DEFERRED};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;
use std::sync::OnceLock;

/// The single header.
pub const B3: &str = "b3";
/// Multiple headers: trace id.
pub const X_B3_TRACE_ID: &str = "x-b3-traceid";
/// Multiple headers: span id.
pub const X_B3_SPAN_ID: &str = "x-b3-spanid";
/// Multiple headers: parent span id (read past, never written).
pub const X_B3_PARENT_SPAN_ID: &str = "x-b3-parentspanid";
/// Multiple headers: `1` sampled, `0` not.
pub const X_B3_SAMPLED: &str = "x-b3-sampled";
/// Multiple headers: `1` debug.
pub const X_B3_FLAGS: &str = "x-b3-flags";

/// Which form [`B3Propagator`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum B3Encoding {
    /// The `b3` header (`OTEL_PROPAGATORS=b3`).
    #[default]
    SingleHeader,
    /// The `X-B3-*` headers (`OTEL_PROPAGATORS=b3multi`).
    MultipleHeaders,
}

/// Marks a context extracted with B3's debug flag, so it is written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct B3Debug(pub TraceId);

/// The B3 propagator; reads both forms, writes one.
#[derive(Debug, Default, Clone, Copy)]
pub struct B3Propagator {
    encoding: B3Encoding,
}

impl B3Propagator {
    /// A propagator writing `encoding`.
    pub const fn new(encoding: B3Encoding) -> Self {
        B3Propagator { encoding }
    }
}

/// A sampling state as B3 writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sampling {
    Accept,
    Deny,
    Debug,
    Deferred,
}

/// What a B3 carrier said.
#[derive(Debug, Clone, PartialEq, Eq)]
struct B3Context {
    ids: Option<(TraceId, SpanId)>,
    sampling: Sampling,
}

fn hex_id<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
    }
    Some(out)
}

fn trace_id(s: &str) -> Option<TraceId> {
    let id = match s.len() {
        16 => {
            let mut padded = [0u8; 16];
            padded[8..].copy_from_slice(&hex_id::<8>(s)?);
            padded
        }
        _ => hex_id::<16>(s)?,
    };
    (id != [0; 16]).then(|| TraceId::from_bytes(id))
}

fn span_id(s: &str) -> Option<SpanId> {
    hex_id::<8>(s).filter(|id| *id != [0; 8]).map(SpanId::from_bytes)
}

fn sampling_state(s: &str) -> Option<Sampling> {
    match s {
        "1" => Some(Sampling::Accept),
        "0" => Some(Sampling::Deny),
        "d" => Some(Sampling::Debug),
        _ => None,
    }
}

/// Parses a `b3` header value.
fn parse_single(value: &str) -> Option<B3Context> {
    let value = value.trim();
    let parts: Vec<&str> = value.split('-').collect();
    match parts.as_slice() {
        [state] => Some(B3Context { ids: None, sampling: sampling_state(state)? }),
        [trace, span, rest @ ..] if rest.len() <= 2 => {
            // An unknown sampling state keeps the ids, unsampled, as the
            // other OpenTelemetry SDKs read it: the trace stays connected.
            let sampling = match rest.first() {
                Some(state) => sampling_state(state).unwrap_or(Sampling::Deny),
                None => Sampling::Deferred,
            };
            if let Some(parent) = rest.get(1) {
                span_id(parent)?;
            }
            Some(B3Context { ids: Some((trace_id(trace)?, span_id(span)?)), sampling })
        }
        _ => None,
    }
}

/// Reads the `X-B3-*` headers.
fn parse_multi(extractor: &dyn Extractor) -> Option<B3Context> {
    let debug = extractor.get(X_B3_FLAGS).map(str::trim) == Some("1");
    let sampled = match extractor.get(X_B3_SAMPLED).map(str::trim) {
        Some("1") | Some("true") => Some(Sampling::Accept),
        // Unknown values read as "not sampled", as for the single header.
        Some(_) => Some(Sampling::Deny),
        None => None,
    };
    let sampling = if debug { Sampling::Debug } else { sampled.unwrap_or(Sampling::Deferred) };
    let ids = match (extractor.get(X_B3_TRACE_ID), extractor.get(X_B3_SPAN_ID)) {
        (Some(t), Some(s)) => Some((trace_id(t.trim())?, span_id(s.trim())?)),
        (None, None) if sampling != Sampling::Deferred => None,
        _ => return None,
    };
    Some(B3Context { ids, sampling })
}

impl TextMapPropagator for B3Propagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return;
        }
        let debug = sc.is_sampled() && cx.get::<B3Debug>().is_some_and(|d| d.0 == sc.trace_id());
        // Still undecided: the extracted remote context with no span made
        // under it (nothing installed). Pass the deferral on.
        let deferred = !sc.is_sampled() && is_deferred(sc);
        match self.encoding {
            B3Encoding::SingleHeader => {
                let state = match (debug, deferred, sc.is_sampled()) {
                    (true, _, _) => "-d",
                    (_, true, _) => "",
                    (_, _, true) => "-1",
                    _ => "-0",
                };
                injector.set(B3, format!("{}-{}{state}", sc.trace_id(), sc.span_id()));
            }
            B3Encoding::MultipleHeaders => {
                injector.set(X_B3_TRACE_ID, sc.trace_id().to_string());
                injector.set(X_B3_SPAN_ID, sc.span_id().to_string());
                if debug {
                    injector.set(X_B3_FLAGS, "1".into());
                } else if !deferred {
                    injector.set(X_B3_SAMPLED, if sc.is_sampled() { "1" } else { "0" }.into());
                }
            }
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let found = extractor.get(B3).and_then(parse_single).or_else(|| parse_multi(extractor));
        let Some(B3Context { ids: Some((trace_id, span_id)), sampling }) = found else {
            // No ids (`b3: 0` alone, or nothing): nothing to continue; a new
            // trace starts and our sampler decides it.
            return cx.clone();
        };
        let flags = match sampling {
            Sampling::Accept | Sampling::Debug => TraceFlags::SAMPLED,
            Sampling::Deferred => SAMPLING_DEFERRED,
            Sampling::Deny => TraceFlags::default(),
        };
        let sc = SpanContext::new(trace_id, span_id, flags, true, TraceState::NONE);
        let out = cx.with_remote_span_context(sc);
        if sampling == Sampling::Debug {
            return out.with_value(B3Debug(trace_id));
        }
        out
    }

    fn fields(&self) -> opentelemetry::propagation::text_map_propagator::FieldIter<'_> {
        static FIELDS: OnceLock<[String; 6]> = OnceLock::new();
        let fields = FIELDS.get_or_init(|| {
            [B3, X_B3_TRACE_ID, X_B3_SPAN_ID, X_B3_PARENT_SPAN_ID, X_B3_SAMPLED, X_B3_FLAGS].map(str::to_owned)
        });
        opentelemetry::propagation::text_map_propagator::FieldIter::new(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn extract(headers: &[(&str, &str)]) -> Context {
        // Header maps are case-insensitive; HashMap's extractor lowercases the name asked for.
        let map: HashMap<String, String> =
            headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect();
        B3Propagator::default().extract_with_context(&Context::new(), &map)
    }

    fn inject(cx: &Context, encoding: B3Encoding) -> HashMap<String, String> {
        let mut map = HashMap::new();
        B3Propagator::new(encoding).inject_context(cx, &mut map);
        map
    }

    const T: &str = "80f198ee56343ba864fe8b2a57d3eff7";
    const S: &str = "e457b5a2e4d86bd1";

    #[test]
    fn single_header_forms() {
        for (value, sampled, deferred) in [
            (format!("{T}-{S}-1"), true, false),
            (format!("{T}-{S}-0"), false, false),
            (format!("{T}-{S}-d"), true, false),
            (format!("{T}-{S}-1-05e3ac9a4f6e3b90"), true, false),
            (format!("{T}-{S}"), false, true),
        ] {
            let cx = extract(&[("b3", &value)]);
            let sc = cx.span().span_context().clone();
            assert_eq!((sc.trace_id().to_string(), sc.span_id().to_string()), (T.to_owned(), S.to_owned()), "{value}");
            assert!(sc.is_remote());
            assert_eq!(sc.is_sampled(), sampled, "{value}");
            assert_eq!(is_deferred(&sc), deferred, "{value}");
        }
    }

    #[test]
    fn malformed_and_id_less_headers_continue_nothing() {
        for value in ["0", "1", "d", "", "x", &format!("{T}-0000000000000000-1"), &format!("{T}-{S}-1-zz")] {
            assert!(!extract(&[("b3", value)]).span().span_context().is_valid(), "{value:?}");
        }
    }

    #[test]
    fn an_unknown_sampling_state_keeps_the_ids_unsampled() {
        let cx = extract(&[("b3", &format!("{T}-{S}-2"))]);
        let sc = cx.span().span_context().clone();
        assert!(sc.is_valid() && !sc.is_sampled());
        assert!(!is_deferred(&sc));
    }

    #[test]
    fn short_trace_ids_are_left_padded() {
        let cx = extract(&[("b3", "64fe8b2a57d3eff7-e457b5a2e4d86bd1-1")]);
        assert_eq!(cx.span().span_context().trace_id().to_string(), "000000000000000064fe8b2a57d3eff7");
    }

    #[test]
    fn multiple_headers_and_the_single_one_winning() {
        let cx = extract(&[("X-B3-TraceId", T), ("X-B3-SpanId", S), ("X-B3-Sampled", "1")]);
        assert!(cx.span().span_context().is_sampled());
        let cx = extract(&[("x-b3-traceid", T), ("x-b3-spanid", S), ("x-b3-flags", "1")]);
        assert!(cx.span().span_context().is_sampled(), "debug is sampled");
        let cx = extract(&[("x-b3-traceid", T), ("x-b3-spanid", S)]);
        assert!(is_deferred(cx.span().span_context()));
        let other = "0af7651916cd43dd8448eb211c80319c";
        let cx = extract(&[
            ("b3", &format!("{other}-{S}-0")),
            ("x-b3-traceid", T),
            ("x-b3-spanid", S),
            ("x-b3-sampled", "1"),
        ]);
        assert_eq!(cx.span().span_context().trace_id().to_string(), other, "single wins");
        assert!(!cx.span().span_context().is_sampled());
    }

    #[test]
    fn injection_in_both_forms_keeps_debug_and_deferral() {
        let sampled = extract(&[("b3", &format!("{T}-{S}-1"))]);
        assert_eq!(inject(&sampled, B3Encoding::SingleHeader)["b3"], format!("{T}-{S}-1"));
        let multi = inject(&sampled, B3Encoding::MultipleHeaders);
        assert_eq!(
            (multi["x-b3-traceid"].as_str(), multi["x-b3-spanid"].as_str(), multi["x-b3-sampled"].as_str()),
            (T, S, "1")
        );
        assert!(!multi.contains_key("x-b3-parentspanid"));
        let debug = extract(&[("b3", &format!("{T}-{S}-d"))]);
        assert_eq!(inject(&debug, B3Encoding::SingleHeader)["b3"], format!("{T}-{S}-d"));
        let multi = inject(&debug, B3Encoding::MultipleHeaders);
        assert_eq!(multi.get("x-b3-flags").map(String::as_str), Some("1"));
        assert!(!multi.contains_key("x-b3-sampled"), "debug replaces sampled");
        let deferred = extract(&[("b3", &format!("{T}-{S}"))]);
        assert_eq!(inject(&deferred, B3Encoding::SingleHeader)["b3"], format!("{T}-{S}"));
        assert!(!inject(&deferred, B3Encoding::MultipleHeaders).contains_key("x-b3-sampled"));
        let denied = extract(&[("b3", &format!("{T}-{S}-0"))]);
        assert_eq!(inject(&denied, B3Encoding::SingleHeader)["b3"], format!("{T}-{S}-0"));
    }
}

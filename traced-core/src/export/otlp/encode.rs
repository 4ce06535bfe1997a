//! `ExportTraceServiceRequest` written straight from [`SpanData`]
//! (opentelemetry-proto `collector/trace/v1`, `trace/v1`, `common/v1`,
//! `resource/v1`; field numbers below are the `.proto` files').

use super::wire::Writer;
use crate::span::{AnchorCache, Buffered};
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceState};
use opentelemetry::{Array, InstrumentationScope, KeyValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use opentelemetry_sdk::Resource;
use std::time::{SystemTime, UNIX_EPOCH};

/// `SpanFlags`: the parent's (or linked context's) remoteness is known...
const HAS_IS_REMOTE: u32 = 0x100;
/// ... and it is remote.
const IS_REMOTE: u32 = 0x200;

/// A span the encoder can write: the SDK's [`SpanData`], or a record as
/// `traced` keeps it (read in place: no conversion, no copy).
pub(crate) trait EncodeSpan {
    /// Its instrumentation scope (spans are grouped by it).
    fn scope(&self) -> &InstrumentationScope;
    /// Appends the body of its `Span` message.
    fn write(&self, w: &mut Writer, anchors: &mut AnchorCache);
}

impl EncodeSpan for SpanData {
    fn scope(&self) -> &InstrumentationScope {
        &self.instrumentation_scope
    }
    fn write(&self, w: &mut Writer, _: &mut AnchorCache) {
        span_body(
            w,
            &SpanParts {
                cx: &self.span_context,
                parent_span_id: self.parent_span_id,
                parent_is_remote: self.parent_span_is_remote,
                name: &self.name,
                kind: &self.span_kind,
                start: unix_nanos(self.start_time),
                end: unix_nanos(self.end_time),
                attributes: &self.attributes,
                dropped_attributes: self.dropped_attributes_count,
                value_limit: None,
                events: Some(&self.events),
                links: Some(&self.links),
                status: &self.status,
            },
        );
    }
}

impl EncodeSpan for Buffered {
    fn scope(&self) -> &InstrumentationScope {
        match self {
            Buffered::Traced(r) => &r.provider.scope,
            Buffered::Sdk(d) => &d.instrumentation_scope,
        }
    }
    fn write(&self, w: &mut Writer, anchors: &mut AnchorCache) {
        let r = match self {
            Buffered::Traced(r) => r,
            Buffered::Sdk(d) => return d.write(w, anchors),
        };
        let (start, end) = r.unix_nanos(anchors);
        let (events, links, status) = r.extras_parts();
        r.with_span_context(|cx| {
            span_body(
                w,
                &SpanParts {
                    cx,
                    parent_span_id: r.parent_span_id,
                    parent_is_remote: r.parent_is_remote,
                    name: &r.name,
                    kind: &r.kind.to_span_kind(),
                    start,
                    end,
                    attributes: &r.attributes,
                    dropped_attributes: r.dropped_attributes,
                    value_limit: r.value_length_limit(),
                    events,
                    links,
                    status,
                },
            )
        });
    }
}

/// What a `Span` message is written from.
struct SpanParts<'a> {
    cx: &'a SpanContext,
    parent_span_id: SpanId,
    parent_is_remote: bool,
    name: &'a str,
    kind: &'a SpanKind,
    start: u64,
    end: u64,
    attributes: &'a [KeyValue],
    dropped_attributes: u32,
    /// Longest attribute value in characters (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`),
    /// for records, whose values are cut while they are written.
    value_limit: Option<usize>,
    events: Option<&'a SpanEvents>,
    links: Option<&'a SpanLinks>,
    status: &'a Status,
}

/// Appends one request carrying `spans` (sampled spans of one process) under
/// `resource`, grouped by instrumentation scope.
pub(crate) fn request<S: EncodeSpan>(w: &mut Writer, resource: &Resource, spans: &[S]) {
    let mut anchors = AnchorCache::default();
    // ExportTraceServiceRequest.resource_spans = 1
    w.message(1, 3, |w| {
        // ResourceSpans.resource = 1
        w.message(1, 2, |w| {
            for (key, value) in resource.iter() {
                // Resource.attributes = 1
                w.message(1, 1, |w| key_value(w, key.as_str(), value, None));
            }
        });
        let mut written = 0;
        for (i, span) in spans.iter().enumerate() {
            let scope = span.scope();
            // A batch nearly always holds one scope; each new one found is
            // written with every later span that shares it.
            if spans[..i].iter().any(|s| same_scope(s.scope(), scope)) {
                continue;
            }
            // ResourceSpans.scope_spans = 2
            w.message(2, 3, |w| {
                // ScopeSpans.scope = 1
                w.message(1, 1, |w| instrumentation_scope(w, scope));
                for s in spans[i..].iter().filter(|s| same_scope(s.scope(), scope)) {
                    // ScopeSpans.spans = 2
                    w.message(2, 2, |w| s.write(w, &mut anchors));
                    written += 1;
                }
                // ScopeSpans.schema_url = 3
                w.string(3, scope.schema_url().unwrap_or(""));
            });
            if written == spans.len() {
                break;
            }
        }
        // ResourceSpans.schema_url = 3
        w.string(3, resource.schema_url().unwrap_or(""));
    });
}

/// Spans of one provider share its scope: the address settles it at once.
fn same_scope(a: &InstrumentationScope, b: &InstrumentationScope) -> bool {
    std::ptr::eq(a, b) || a == b
}

fn instrumentation_scope(w: &mut Writer, scope: &InstrumentationScope) {
    w.string(1, scope.name());
    w.string(2, scope.version().unwrap_or(""));
    for kv in scope.attributes() {
        w.message(3, 1, |w| key_value(w, kv.key.as_str(), &kv.value, None));
    }
}

fn span_body(w: &mut Writer, span: &SpanParts<'_>) {
    let cx = span.cx;
    w.bytes_always(1, &cx.trace_id().to_bytes());
    w.bytes_always(2, &cx.span_id().to_bytes());
    trace_state(w, 3, cx.trace_state());
    if span.parent_span_id != SpanId::INVALID {
        w.bytes_always(4, &span.parent_span_id.to_bytes());
    }
    w.string(5, span.name);
    w.uint(6, kind(span.kind));
    w.fixed64(7, span.start);
    w.fixed64(8, span.end);
    for kv in span.attributes {
        w.message(9, 1, |w| key_value(w, kv.key.as_str(), &kv.value, span.value_limit));
    }
    w.uint(10, u64::from(span.dropped_attributes));
    if let Some(events) = span.events {
        for event in events.iter() {
            w.message(11, 1, |w| {
                w.fixed64(1, unix_nanos(event.timestamp));
                w.string(2, &event.name);
                attributes(w, 3, &event.attributes, span.value_limit);
                w.uint(4, u64::from(event.dropped_attributes_count));
            });
        }
        w.uint(12, u64::from(events.dropped_count));
    }
    if let Some(links) = span.links {
        for link in links.iter() {
            w.message(13, 1, |w| {
                let cx = &link.span_context;
                w.bytes_always(1, &cx.trace_id().to_bytes());
                w.bytes_always(2, &cx.span_id().to_bytes());
                trace_state(w, 3, cx.trace_state());
                attributes(w, 4, &link.attributes, span.value_limit);
                w.uint(5, u64::from(link.dropped_attributes_count));
                w.fixed32(6, flags(cx, cx.is_remote()));
            });
        }
        w.uint(14, u64::from(links.dropped_count));
    }
    status(w, span.status);
    w.fixed32(16, flags(cx, span.parent_is_remote));
}

/// Trace flags in bits 0-7, and whether the parent (or linked context) is remote.
fn flags(cx: &SpanContext, remote: bool) -> u32 {
    // Our deferred-sampling mark (a linked remote context may carry it) is
    // not a W3C flag: it stays home.
    let w3c = cx.trace_flags().to_u8() & !crate::propagation::DEFERRED_BIT;
    u32::from(w3c) | HAS_IS_REMOTE | if remote { IS_REMOTE } else { 0 }
}

fn trace_state(w: &mut Writer, field: u32, state: &TraceState) {
    if *state != TraceState::NONE {
        w.string(field, &state.header());
    }
}

fn status(w: &mut Writer, status: &Status) {
    // Span.status = 15: Status.message = 2, Status.code = 3 (UNSET 0, OK 1, ERROR 2)
    match status {
        Status::Unset => {}
        Status::Ok => w.message(15, 1, |w| w.uint(3, 1)),
        Status::Error { description } => w.message(15, 1, |w| {
            w.string(2, description);
            w.uint(3, 2);
        }),
    }
}

fn kind(kind: &SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Event and link attributes: the span's value-length limit applies to
/// them too (the SDK specification's attribute limits).
fn attributes(w: &mut Writer, field: u32, attributes: &[KeyValue], limit: Option<usize>) {
    for kv in attributes {
        w.message(field, 1, |w| key_value(w, kv.key.as_str(), &kv.value, limit));
    }
}

/// `KeyValue { key = 1, value = 2 }`, string values cut to `limit` characters.
fn key_value(w: &mut Writer, key: &str, value: &Value, limit: Option<usize>) {
    w.string(1, key);
    w.message(2, 1, |w| any_value(w, value, limit));
}

/// The first `max` characters of `s` (all of it without a limit).
fn cut(s: &str, max: Option<usize>) -> &str {
    match max.and_then(|max| s.char_indices().nth(max)) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

/// The body of an `AnyValue`: one member of its `oneof`, written even when
/// it holds the type's default (the member says which type it is).
/// Strings are cut to `limit` characters.
fn any_value(w: &mut Writer, value: &Value, limit: Option<usize>) {
    match value {
        Value::String(s) => w.bytes_always(1, cut(s.as_str(), limit).as_bytes()),
        Value::Bool(b) => w.varint_always(2, u64::from(*b)),
        Value::I64(i) => w.varint_always(3, *i as u64),
        Value::F64(f) => w.fixed64_always(4, f.to_bits()),
        // AnyValue.array_value = 5: ArrayValue.values = 1
        Value::Array(array) => w.message(5, 1, |w| match array {
            Array::Bool(v) => v.iter().for_each(|b| w.message(1, 1, |w| w.varint_always(2, u64::from(*b)))),
            Array::I64(v) => v.iter().for_each(|i| w.message(1, 1, |w| w.varint_always(3, *i as u64))),
            Array::F64(v) => v.iter().for_each(|f| w.message(1, 1, |w| w.fixed64_always(4, f.to_bits()))),
            Array::String(v) => {
                v.iter().for_each(|s| w.message(1, 1, |w| w.bytes_always(1, cut(s.as_str(), limit).as_bytes())))
            }
            // `Array` may grow variants; their text is the best we can send.
            other => w.message(1, 1, |w| w.bytes_always(1, other.to_string().as_bytes())),
        }),
        other => w.bytes_always(1, other.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{Event, Link, SpanContext, TraceFlags, TraceId};
    use opentelemetry::{InstrumentationScope, KeyValue, StringValue};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::trace::v1 as proto;
    use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
    use prost::Message;
    use std::borrow::Cow;
    use std::time::Duration;

    fn context(trace: u128, span: u64, flags: u8, state: &str, remote: bool) -> SpanContext {
        let state = if state.is_empty() { TraceState::NONE } else { state.parse().expect("tracestate") };
        SpanContext::new(TraceId::from(trace), SpanId::from(span), TraceFlags::new(flags), remote, state)
    }

    fn every_kind_of_value() -> Vec<KeyValue> {
        vec![
            KeyValue::new("s", "text"),
            KeyValue::new("empty", ""),
            KeyValue::new("long", "x".repeat(300)),
            KeyValue::new("b", false),
            KeyValue::new("zero", 0i64),
            KeyValue::new("neg", -42i64),
            KeyValue::new("f", 1.5f64),
            KeyValue::new("fzero", 0.0f64),
            KeyValue::new("ab", Value::Array(Array::Bool(vec![true, false]))),
            KeyValue::new("ai", Value::Array(Array::I64(vec![0, i64::MIN, i64::MAX]))),
            KeyValue::new("af", Value::Array(Array::F64(vec![-0.5]))),
            KeyValue::new("as", Value::Array(Array::String(vec![StringValue::from("a"), StringValue::from("")]))),
            KeyValue::new("anone", Value::Array(Array::I64(vec![]))),
        ]
    }

    fn span(n: u64, scope: &InstrumentationScope) -> SpanData {
        let start = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789 + n);
        let mut events = SpanEvents::default();
        let mut links = SpanLinks::default();
        let (status, parent, remote, kind) = match n % 4 {
            0 => (Status::Unset, SpanId::INVALID, false, SpanKind::Server),
            1 => (Status::error("it broke: ünïcode"), SpanId::from(77), true, SpanKind::Client),
            2 => (Status::Ok, SpanId::from(78), false, SpanKind::Producer),
            _ => (Status::error(""), SpanId::from(79), false, SpanKind::Consumer),
        };
        if n % 2 == 1 {
            events.events.push(Event::new("exception", start, vec![KeyValue::new("exception.message", "boom")], 2));
            events.events.push(Event::with_name("plain"));
            events.dropped_count = 3;
            links.links.push(Link::new(context(5, 6, 1, "k=v,a=b", true), every_kind_of_value(), 1));
            links.links.push(Link::new(context(7, 8, 0, "", false), vec![], 0));
            links.dropped_count = 4;
        }
        SpanData {
            span_context: context(0xabc0 + u128::from(n), 0x10 + n, 3, if n == 1 { "ot=th:8" } else { "" }, false),
            parent_span_id: parent,
            parent_span_is_remote: remote,
            span_kind: kind,
            name: Cow::Owned(format!("UserService.op{n}")),
            start_time: start,
            end_time: start + Duration::from_micros(n * 17),
            attributes: if n % 2 == 0 { every_kind_of_value() } else { vec![KeyValue::new("n", n as i64)] },
            dropped_attributes_count: n as u32,
            events,
            links,
            status,
            instrumentation_scope: scope.clone(),
        }
    }

    /// An unset status is an absent message to us and an empty one to the
    /// upstream encoder: the same on the wire to any reader.
    fn normalise(mut request: ExportTraceServiceRequest) -> ExportTraceServiceRequest {
        for span in request.resource_spans.iter_mut().flat_map(|r| &mut r.scope_spans).flat_map(|s| &mut s.spans) {
            span.status.get_or_insert_with(proto::Status::default);
        }
        request
    }

    /// Decoded by the generated `opentelemetry-proto` types, our bytes give
    /// exactly the message the upstream exporter builds from the same spans.
    #[test]
    fn requests_decode_to_what_the_upstream_transform_builds() {
        let main = InstrumentationScope::builder("traced").with_version("0.1.0").build();
        let other = InstrumentationScope::builder("other")
            .with_schema_url("https://opentelemetry.io/schemas/1.26.0")
            .with_attributes([KeyValue::new("scope.attr", 1i64)])
            .build();
        let spans: Vec<SpanData> = (0..12).map(|n| span(n, if n % 3 == 2 { &other } else { &main })).collect();
        let resource = Resource::builder_empty()
            .with_schema_url([KeyValue::new("service.name", "checkout")], "https://opentelemetry.io/schemas/1.26.0")
            .build();
        let mut w = Writer::default();
        request(&mut w, &resource, &spans);
        let ours = ExportTraceServiceRequest::decode(&w.buf[..]).expect("valid protobuf");
        let theirs =
            ExportTraceServiceRequest { resource_spans: group_spans_by_resource_and_scope(spans, &(&resource).into()) };
        assert_eq!(ours.resource_spans[0].scope_spans.len(), 2);
        assert_eq!(ours.resource_spans[0].scope_spans[0].spans.len(), 8);
        assert_eq!(normalise(ours), normalise(theirs));
    }

    #[test]
    fn flags_carry_the_trace_flags_and_the_parents_remoteness() {
        let scope = InstrumentationScope::builder("traced").build();
        let mut w = Writer::default();
        let spans = [span(0, &scope), span(1, &scope)];
        request(&mut w, &Resource::builder_empty().build(), &spans);
        let decoded = ExportTraceServiceRequest::decode(&w.buf[..]).expect("valid protobuf");
        let got = &decoded.resource_spans[0].scope_spans[0].spans;
        assert_eq!(got[0].flags, 0x103, "local root: has-is-remote, sampled + random");
        assert_eq!(got[1].flags, 0x303, "remote parent");
        assert_eq!(got[1].links[0].flags, 0x301, "remote link");
        assert_eq!(got[1].trace_state, "ot=th:8");
        assert!(got[0].parent_span_id.is_empty());
        assert_eq!(got[1].parent_span_id, 77u64.to_be_bytes());
        assert_eq!(got[0].start_time_unix_nano, 1_700_000_000_123_456_789);
    }
}

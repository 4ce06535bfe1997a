//! OTLP JSON (`TracesData`), as the Collector's file exporter and OTLP/HTTP
//! write it, read leniently (see `lenient.rs`), plus the envelopes other
//! backends wrap it in: Jaeger v2's `{"result": ...}` and Tempo's
//! `{"batches": [...]}`.

use super::jaeger_json;
use super::lenient;
use super::Builder;
use crate::model::{Event, Link, Resource, Span, SpanId, SpanKind, StatusCode, TraceId, Value};
use serde::Deserialize;
use std::borrow::Cow;
use std::sync::Arc;

/// Any top-level object a trace file holds.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Document<'a> {
    #[serde(borrow)]
    resource_spans: Vec<ResourceSpans<'a>>,
    /// Jaeger v2 `/api/v3/traces`.
    #[serde(borrow)]
    result: Option<Envelope<'a>>,
    /// Tempo `/api/traces/{id}`.
    #[serde(borrow)]
    batches: Vec<ResourceSpans<'a>>,
    /// Jaeger JSON (UI download, v1 API).
    #[serde(borrow)]
    data: Option<Vec<jaeger_json::Trace<'a>>>,
    /// A bare Jaeger trace (`{"traceID", "spans", "processes"}`): its spans
    /// and processes (each span carries its trace id).
    #[serde(borrow)]
    spans: Vec<jaeger_json::SpanMessage<'a>>,
    #[serde(borrow)]
    processes: std::collections::HashMap<Cow<'a, str>, jaeger_json::Process<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Envelope<'a> {
    #[serde(borrow)]
    resource_spans: Vec<ResourceSpans<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ResourceSpans<'a> {
    #[serde(borrow)]
    resource: Option<ResourceMessage<'a>>,
    #[serde(borrow)]
    scope_spans: Vec<ScopeSpans<'a>>,
    /// The name before OTLP 0.15 (old Collectors, old Tempo).
    #[serde(borrow)]
    instrumentation_library_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ResourceMessage<'a> {
    #[serde(borrow)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ScopeSpans<'a> {
    #[serde(borrow, alias = "instrumentationLibrary")]
    scope: Option<Scope<'a>>,
    #[serde(borrow)]
    spans: Vec<SpanMessage<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Scope<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct SpanMessage<'a> {
    #[serde(deserialize_with = "lenient::trace_id")]
    trace_id: Option<TraceId>,
    #[serde(deserialize_with = "lenient::span_id")]
    span_id: Option<SpanId>,
    #[serde(deserialize_with = "lenient::span_id")]
    parent_span_id: Option<SpanId>,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(deserialize_with = "lenient::span_kind")]
    kind: SpanKind,
    #[serde(deserialize_with = "lenient::u64_any")]
    start_time_unix_nano: u64,
    #[serde(deserialize_with = "lenient::u64_any")]
    end_time_unix_nano: u64,
    #[serde(borrow)]
    attributes: Vec<KeyValue<'a>>,
    #[serde(borrow)]
    events: Vec<EventMessage<'a>>,
    #[serde(borrow)]
    links: Vec<LinkMessage<'a>>,
    #[serde(borrow)]
    status: Option<StatusMessage<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct EventMessage<'a> {
    #[serde(deserialize_with = "lenient::u64_any")]
    time_unix_nano: u64,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct LinkMessage<'a> {
    #[serde(deserialize_with = "lenient::trace_id")]
    trace_id: Option<TraceId>,
    #[serde(deserialize_with = "lenient::span_id")]
    span_id: Option<SpanId>,
    #[serde(borrow)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct StatusMessage<'a> {
    #[serde(deserialize_with = "lenient::status_code")]
    code: StatusCode,
    #[serde(borrow)]
    message: Cow<'a, str>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct KeyValue<'a> {
    #[serde(borrow)]
    key: Cow<'a, str>,
    #[serde(borrow)]
    value: Option<AnyValue<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct AnyValue<'a> {
    #[serde(borrow)]
    string_value: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "opt_i64")]
    int_value: Option<i64>,
    #[serde(deserialize_with = "opt_f64")]
    double_value: Option<f64>,
    bool_value: Option<bool>,
    #[serde(borrow)]
    bytes_value: Option<Cow<'a, str>>,
    #[serde(borrow)]
    array_value: Option<ArrayValue<'a>>,
    #[serde(borrow)]
    kvlist_value: Option<KvList<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ArrayValue<'a> {
    #[serde(borrow)]
    values: Vec<AnyValue<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KvList<'a> {
    #[serde(borrow)]
    values: Vec<KeyValue<'a>>,
}

fn opt_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    lenient::i64_any(d).map(Some)
}

fn opt_f64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    lenient::f64_any(d).map(Some)
}

impl AnyValue<'_> {
    fn into_value(self, b: &mut Builder) -> Option<Value> {
        use base64::Engine as _;
        if let Some(s) = self.string_value {
            return Some(Value::Str(Arc::from(&*s)));
        }
        if let Some(i) = self.int_value {
            return Some(Value::Int(i));
        }
        if let Some(d) = self.double_value {
            return Some(Value::Double(d));
        }
        if let Some(v) = self.bool_value {
            return Some(Value::Bool(v));
        }
        if let Some(bytes) = self.bytes_value {
            return Some(Value::Bytes(base64::engine::general_purpose::STANDARD.decode(&*bytes).unwrap_or_default()));
        }
        if let Some(array) = self.array_value {
            return Some(Value::Array(array.values.into_iter().filter_map(|v| v.into_value(b)).collect()));
        }
        if let Some(list) = self.kvlist_value {
            return Some(Value::Map(attributes(list.values, b)));
        }
        None
    }
}

/// Key-values with a value; an empty `AnyValue` (allowed by OTLP) is skipped.
pub(crate) fn attributes(kvs: Vec<KeyValue<'_>>, b: &mut Builder) -> Vec<(Arc<str>, Value)> {
    kvs.into_iter()
        .filter_map(|kv| {
            let value = kv.value?.into_value(b)?;
            Some((b.intern(&kv.key), value))
        })
        .collect()
}

impl Document<'_> {
    /// Hands every span in the document to `b`.
    pub(crate) fn emit(self, b: &mut Builder) {
        let mut batches = self.resource_spans;
        batches.extend(self.batches);
        if let Some(result) = self.result {
            batches.extend(result.resource_spans);
        }
        for rs in batches {
            emit_resource_spans(rs, b);
        }
        for trace in self.data.into_iter().flatten() {
            trace.emit(b);
        }
        if !self.spans.is_empty() {
            jaeger_json::Trace { spans: self.spans, processes: self.processes }.emit(b);
        }
    }
}

fn emit_resource_spans(rs: ResourceSpans<'_>, b: &mut Builder) {
    let attrs = attributes(rs.resource.map(|r| r.attributes).unwrap_or_default(), b);
    let resource = b.resource(attrs);
    for ss in rs.scope_spans.into_iter().chain(rs.instrumentation_library_spans) {
        let scope_name = b.intern(ss.scope.as_ref().map(|s| &*s.name).unwrap_or(""));
        for span in ss.spans {
            emit_span(span, &resource, &scope_name, b);
        }
    }
}

fn emit_span(m: SpanMessage<'_>, resource: &Arc<Resource>, scope_name: &Arc<str>, b: &mut Builder) {
    let (Some(trace_id), Some(span_id)) = (m.trace_id, m.span_id) else {
        b.problem(format!("span {:?} without a trace id or span id: skipped", m.name));
        return;
    };
    let status = m.status.unwrap_or_default();
    let span = Span {
        trace_id,
        span_id,
        parent_span_id: m.parent_span_id,
        name: b.intern(&m.name),
        kind: m.kind,
        start_unix_nano: m.start_time_unix_nano,
        end_unix_nano: m.end_time_unix_nano,
        status: status.code,
        status_message: Arc::from(&*status.message),
        attributes: attributes(m.attributes, b),
        resource: resource.clone(),
        scope_name: scope_name.clone(),
        events: m
            .events
            .into_iter()
            .map(|e| Event {
                time_unix_nano: e.time_unix_nano,
                name: b.intern(&e.name),
                attributes: attributes(e.attributes, b),
            })
            .collect(),
        links: m
            .links
            .into_iter()
            .filter_map(|l| {
                Some(Link { trace_id: l.trace_id?, span_id: l.span_id?, attributes: attributes(l.attributes, b) })
            })
            .collect(),
    };
    b.span(span);
}

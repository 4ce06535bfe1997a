//! Jaeger's JSON (the UI's "Download JSON", the v1 query API), mapped to the
//! OpenTelemetry model the way Jaeger's own OTLP translator maps it back:
//! tags become attributes, except `span.kind` (the kind), `otel.status_code`
//! and `otel.status_description` (the status), `error=true` (status Error)
//! and `otel.scope.name` (the scope); the first CHILD_OF reference is the
//! parent, the others and FOLLOWS_FROM are links; logs are events, named by
//! their `event` field; microseconds become nanoseconds.

use super::lenient;
use super::Builder;
use crate::model::{Event, Link, Resource, Span, SpanId, SpanKind, StatusCode, TraceId, Value};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Trace<'a> {
    #[serde(borrow)]
    pub(crate) spans: Vec<SpanMessage<'a>>,
    #[serde(borrow)]
    pub(crate) processes: HashMap<Cow<'a, str>, Process<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Process<'a> {
    #[serde(borrow, rename = "serviceName")]
    service_name: Cow<'a, str>,
    #[serde(borrow)]
    tags: Vec<Tag<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SpanMessage<'a> {
    #[serde(rename = "traceID", deserialize_with = "lenient::trace_id")]
    trace_id: Option<TraceId>,
    #[serde(rename = "spanID", deserialize_with = "lenient::span_id")]
    span_id: Option<SpanId>,
    /// Older v1 answers name the parent directly.
    #[serde(rename = "parentSpanID", deserialize_with = "lenient::span_id")]
    parent_span_id: Option<SpanId>,
    #[serde(borrow, rename = "operationName")]
    operation_name: Cow<'a, str>,
    #[serde(borrow)]
    references: Vec<Reference<'a>>,
    #[serde(rename = "startTime", deserialize_with = "lenient::u64_any")]
    start_time: u64,
    #[serde(deserialize_with = "lenient::u64_any")]
    duration: u64,
    #[serde(borrow)]
    tags: Vec<Tag<'a>>,
    #[serde(borrow)]
    logs: Vec<Log<'a>>,
    #[serde(borrow, rename = "processID")]
    process_id: Cow<'a, str>,
    /// Some exports inline the process instead of naming it.
    #[serde(borrow)]
    process: Option<Process<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Reference<'a> {
    #[serde(borrow, rename = "refType")]
    ref_type: Cow<'a, str>,
    #[serde(rename = "traceID", deserialize_with = "lenient::trace_id")]
    trace_id: Option<TraceId>,
    #[serde(rename = "spanID", deserialize_with = "lenient::span_id")]
    span_id: Option<SpanId>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Log<'a> {
    #[serde(deserialize_with = "lenient::u64_any")]
    timestamp: u64,
    #[serde(borrow)]
    fields: Vec<Tag<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Tag<'a> {
    #[serde(borrow)]
    key: Cow<'a, str>,
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
    value: Option<serde_json::Value>,
}

impl Tag<'_> {
    fn value(&self) -> Option<Value> {
        use serde_json::Value as J;
        let v = self.value.as_ref()?;
        Some(match (&*self.kind, v) {
            ("bool", J::Bool(b)) => Value::Bool(*b),
            ("bool", J::String(s)) => Value::Bool(s == "true"),
            ("int64", J::Number(n)) => Value::Int(n.as_i64().unwrap_or_default()),
            ("int64", J::String(s)) => Value::Int(s.parse().ok()?),
            ("float64", J::Number(n)) => Value::Double(n.as_f64().unwrap_or_default()),
            ("float64", J::String(s)) => Value::Double(s.parse().ok()?),
            ("binary", J::String(s)) => {
                use base64::Engine as _;
                Value::Bytes(base64::engine::general_purpose::STANDARD.decode(s).unwrap_or_default())
            }
            (_, J::String(s)) => Value::Str(Arc::from(s.as_str())),
            (_, J::Bool(b)) => Value::Bool(*b),
            (_, J::Number(n)) => {
                n.as_i64().map(Value::Int).unwrap_or_else(|| Value::Double(n.as_f64().unwrap_or_default()))
            }
            (_, other) => Value::Str(Arc::from(other.to_string())),
        })
    }
}

fn tags(tags: &[Tag<'_>], b: &mut Builder) -> Vec<(Arc<str>, Value)> {
    tags.iter().filter_map(|t| Some((b.intern(&t.key), t.value()?))).collect()
}

fn resource(process: &Process<'_>, b: &mut Builder) -> Arc<Resource> {
    let mut attrs = tags(&process.tags, b);
    if !process.service_name.is_empty() && !attrs.iter().any(|(k, _)| &**k == "service.name") {
        attrs.insert(0, (b.intern("service.name"), Value::Str(Arc::from(&*process.service_name))));
    }
    b.resource(attrs)
}

impl Trace<'_> {
    pub(crate) fn emit(self, b: &mut Builder) {
        let resources: HashMap<&str, Arc<Resource>> =
            self.processes.iter().map(|(id, p)| (&**id, resource(p, b))).collect();
        for m in &self.spans {
            let resource = match (&m.process, resources.get(&*m.process_id)) {
                (Some(inline), _) => resource(inline, b),
                (None, Some(r)) => r.clone(),
                (None, None) => b.resource(Vec::new()),
            };
            emit_span(m, resource, b);
        }
    }
}

fn emit_span(m: &SpanMessage<'_>, resource: Arc<Resource>, b: &mut Builder) {
    let (Some(trace_id), Some(span_id)) = (m.trace_id, m.span_id) else {
        b.problem(format!("Jaeger span {:?} without a traceID or spanID: skipped", m.operation_name));
        return;
    };
    let mut kind = SpanKind::Unspecified;
    let mut status = StatusCode::Unset;
    let mut status_message = String::new();
    let mut scope_name = String::new();
    let mut attributes = Vec::with_capacity(m.tags.len());
    for tag in &m.tags {
        let Some(value) = tag.value() else { continue };
        match (&*tag.key, &value) {
            ("span.kind", Value::Str(s)) => kind = lenient::kind_from_name(s).unwrap_or(SpanKind::Unspecified),
            ("otel.status_code", Value::Str(s)) => {
                status = status.max(lenient::status_from_name(s).unwrap_or_default())
            }
            ("otel.status_description", Value::Str(s)) => status_message = s.to_string(),
            ("error", Value::Bool(true)) => status = StatusCode::Error,
            ("otel.scope.name" | "otel.library.name", Value::Str(s)) => scope_name = s.to_string(),
            _ => attributes.push((b.intern(&tag.key), value)),
        }
    }
    let mut parent = m.parent_span_id;
    let mut links = Vec::new();
    for r in &m.references {
        let (Some(ref_trace), Some(ref_span)) = (r.trace_id, r.span_id) else { continue };
        if parent.is_none() && r.ref_type == "CHILD_OF" && ref_trace == trace_id {
            parent = Some(ref_span);
        } else if Some(ref_span) != parent {
            links.push(Link { trace_id: ref_trace, span_id: ref_span, attributes: Vec::new() });
        }
    }
    let events = m
        .logs
        .iter()
        .map(|log| {
            let mut name = String::new();
            let mut attributes = Vec::with_capacity(log.fields.len());
            for field in &log.fields {
                match (&*field.key, field.value()) {
                    ("event", Some(Value::Str(s))) => name = s.to_string(),
                    (_, Some(v)) => attributes.push((b.intern(&field.key), v)),
                    (_, None) => {}
                }
            }
            Event { time_unix_nano: log.timestamp.saturating_mul(1000), name: b.intern(&name), attributes }
        })
        .collect();
    let start = m.start_time.saturating_mul(1000);
    let name = b.intern(&m.operation_name);
    let scope_name = b.intern(&scope_name);
    b.span(Span {
        trace_id,
        span_id,
        parent_span_id: parent,
        name,
        kind,
        start_unix_nano: start,
        end_unix_nano: start.saturating_add(m.duration.saturating_mul(1000)),
        status,
        status_message: Arc::from(status_message),
        attributes,
        resource,
        scope_name,
        events,
        links,
    });
}

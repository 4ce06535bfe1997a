//! TraceQL in tests (features `test-util` and `analyze`): the spans a
//! [`crate::testing::SpanCapture`] took, as traces the `traced` command's
//! engine queries, so a test can say what it expects the way one asks
//! Tempo.
//!
//! ```
//! use traced::testing::capture;
//! use traced::trace_queries::CaptureQueries;
//!
//! #[traced::traced]
//! fn checkout(cart: u32) -> Result<(), String> {
//!     reserve(cart)
//! }
//! #[traced::traced]
//! fn reserve(_cart: u32) -> Result<(), String> {
//!     Err("out of stock".into())
//! }
//!
//! let spans = capture();
//! let _ = checkout(7);
//! // A free function's span is named `<module>.<fn>`.
//! let failed = spans.query(r#"{ name =~ ".*checkout" } > { status = error && statusMessage = "out of stock" }"#);
//! assert_eq!(failed.len(), 1, "{:?}", spans.names());
//! assert!(failed[0].name.ends_with(".reserve"));
//! ```

use crate::analyze::model::{Event, Link, Resource, Span, SpanId, SpanKind, StatusCode, TraceId, TraceSet, Value};
use crate::analyze::Query;
use crate::testing::{CapturedSpan, SpanCapture};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Queries over what a capture took.
pub trait CaptureQueries {
    /// The captured spans as traces.
    fn traces(&self) -> TraceSet;

    /// The spans that match a TraceQL query (or the SQL form), in start
    /// order; panics with the query marked where it does not parse.
    fn query(&self, query: &str) -> Vec<CapturedSpan>;
}

impl CaptureQueries for SpanCapture {
    fn traces(&self) -> TraceSet {
        let resource = resource(self.provider().resource());
        TraceSet::from_spans(self.spans().iter().map(|s| span(s, &resource)))
    }

    fn query(&self, query: &str) -> Vec<CapturedSpan> {
        let parsed = Query::parse(query).unwrap_or_else(|e| panic!("{}", e.render(query)));
        let traces = self.traces();
        let captured = self.spans();
        let mut out = Vec::new();
        for m in parsed.run(&traces) {
            for &i in &m.spans {
                let id = m.trace.spans[i].span_id.0;
                if let Some(c) = captured.iter().find(|c| c.span_context.span_id().to_bytes() == id) {
                    out.push(c.clone());
                }
            }
        }
        out
    }
}

fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

fn value(v: &opentelemetry::Value) -> Value {
    match v {
        opentelemetry::Value::Bool(b) => Value::Bool(*b),
        opentelemetry::Value::I64(i) => Value::Int(*i),
        opentelemetry::Value::F64(f) => Value::Double(*f),
        other => Value::Str(Arc::from(other.as_str().as_ref())),
    }
}

fn attributes<'a>(kvs: impl IntoIterator<Item = &'a opentelemetry::KeyValue>) -> Vec<(Arc<str>, Value)> {
    kvs.into_iter().map(|kv| (Arc::from(kv.key.as_str()), value(&kv.value))).collect()
}

fn resource(r: &opentelemetry_sdk::Resource) -> Arc<Resource> {
    let attributes: Vec<(Arc<str>, Value)> = r.iter().map(|(k, v)| (Arc::from(k.as_str()), value(v))).collect();
    let service_name = match crate::analyze::model::attribute(&attributes, "service.name") {
        Some(Value::Str(s)) => s.clone(),
        _ => Arc::from(""),
    };
    Arc::new(Resource { service_name, attributes })
}

fn span(s: &CapturedSpan, resource: &Arc<Resource>) -> Span {
    use opentelemetry::trace::{SpanKind as K, Status};
    let cx = &s.span_context;
    let parent = s.parent_span_id.to_bytes();
    let (status, message) = match &s.status {
        Status::Unset => (StatusCode::Unset, ""),
        Status::Ok => (StatusCode::Ok, ""),
        Status::Error { description } => (StatusCode::Error, description.as_ref()),
    };
    Span {
        trace_id: TraceId(cx.trace_id().to_bytes()),
        span_id: SpanId(cx.span_id().to_bytes()),
        parent_span_id: (parent != [0; 8]).then_some(SpanId(parent)),
        name: Arc::from(s.name.as_ref()),
        kind: match s.span_kind {
            K::Internal => SpanKind::Internal,
            K::Server => SpanKind::Server,
            K::Client => SpanKind::Client,
            K::Producer => SpanKind::Producer,
            K::Consumer => SpanKind::Consumer,
        },
        start_unix_nano: nanos(s.start_time),
        end_unix_nano: nanos(s.end_time),
        status,
        status_message: Arc::from(message),
        attributes: attributes(&s.attributes),
        resource: resource.clone(),
        scope_name: Arc::from(s.instrumentation_scope.name()),
        events: s
            .events
            .iter()
            .map(|e| Event {
                time_unix_nano: nanos(e.timestamp),
                name: Arc::from(e.name.as_ref()),
                attributes: attributes(&e.attributes),
            })
            .collect(),
        links: s
            .links
            .iter()
            .map(|l| Link {
                trace_id: TraceId(l.span_context.trace_id().to_bytes()),
                span_id: SpanId(l.span_context.span_id().to_bytes()),
                attributes: attributes(&l.attributes),
            })
            .collect(),
    }
}

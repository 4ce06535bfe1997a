//! OTLP protobuf (`TracesData`), decoded with the official message
//! definitions: one message per file, or a sequence of messages each
//! prefixed by its 4-byte big-endian length, as the Collector's file
//! exporter writes with `format: proto`.

use super::Builder;
use crate::model::{Event, Link, Span, SpanId, StatusCode, TraceId, Value};
use crate::read::lenient::{kind_from_number, status_from_number};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::TracesData;
use prost::Message;
use std::sync::Arc;

/// Decodes `bytes`; `Err` says why the file is not OTLP protobuf.
pub(crate) fn read(bytes: &[u8], b: &mut Builder) -> Result<(), String> {
    if let Some(messages) = length_prefixed(bytes) {
        for (i, message) in messages.into_iter().enumerate() {
            b.set_line(i + 1);
            match TracesData::decode(message) {
                Ok(data) => emit(data, b),
                Err(e) => b.problem(format!("message {}: not an OTLP TracesData: {e}", i + 1)),
            }
        }
        return Ok(());
    }
    let data = TracesData::decode(bytes).map_err(|e| format!("not OTLP JSON, Jaeger JSON or OTLP protobuf: {e}"))?;
    emit(data, b);
    Ok(())
}

/// Splits `bytes` into length-prefixed messages when the prefixes tile the
/// whole input exactly.
fn length_prefixed(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut rest = bytes;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let message = rest.get(4..4 + len)?;
        out.push(message);
        rest = &rest[4 + len..];
    }
    (!out.is_empty()).then_some(out)
}

fn id<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    bytes.try_into().ok().filter(|id: &[u8; N]| id.iter().any(|&b| b != 0))
}

fn value(v: AnyValue, b: &mut Builder) -> Option<Value> {
    Some(match v.value? {
        any_value::Value::StringValue(s) => Value::Str(Arc::from(s)),
        any_value::Value::BoolValue(v) => Value::Bool(v),
        any_value::Value::IntValue(i) => Value::Int(i),
        any_value::Value::DoubleValue(d) => Value::Double(d),
        any_value::Value::BytesValue(bytes) => Value::Bytes(bytes),
        any_value::Value::ArrayValue(a) => Value::Array(a.values.into_iter().filter_map(|v| value(v, b)).collect()),
        any_value::Value::KvlistValue(list) => Value::Map(attributes(list.values, b)),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

fn attributes(kvs: Vec<KeyValue>, b: &mut Builder) -> Vec<(Arc<str>, Value)> {
    kvs.into_iter().filter_map(|kv| Some((b.intern(&kv.key), value(kv.value?, b)?))).collect()
}

fn emit(data: TracesData, b: &mut Builder) {
    for rs in data.resource_spans {
        let attrs = attributes(rs.resource.map(|r| r.attributes).unwrap_or_default(), b);
        let resource = b.resource(attrs);
        for ss in rs.scope_spans {
            let scope_name = b.intern(ss.scope.as_ref().map(|s| s.name.as_str()).unwrap_or(""));
            for m in ss.spans {
                let (Some(trace_id), Some(span_id)) = (id::<16>(&m.trace_id), id::<8>(&m.span_id)) else {
                    b.problem(format!("span {:?} without a valid trace id or span id: skipped", m.name));
                    continue;
                };
                let status = m.status.unwrap_or_default();
                let span = Span {
                    trace_id: TraceId(trace_id),
                    span_id: SpanId(span_id),
                    parent_span_id: id::<8>(&m.parent_span_id).map(SpanId),
                    name: b.intern(&m.name),
                    kind: u64::try_from(m.kind).ok().and_then(kind_from_number).unwrap_or_default(),
                    start_unix_nano: m.start_time_unix_nano,
                    end_unix_nano: m.end_time_unix_nano,
                    status: u64::try_from(status.code).ok().and_then(status_from_number).unwrap_or(StatusCode::Unset),
                    status_message: Arc::from(status.message),
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
                            Some(Link {
                                trace_id: TraceId(id::<16>(&l.trace_id)?),
                                span_id: SpanId(id::<8>(&l.span_id)?),
                                attributes: attributes(l.attributes, b),
                            })
                        })
                        .collect(),
                };
                b.span(span);
            }
        }
    }
}

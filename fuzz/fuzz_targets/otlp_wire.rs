//! The OTLP exporter's wire code. Collector answers of any bytes are read
//! without a panic; spans made from any input encode to a request that
//! `opentelemetry-proto`'s generated types decode to exactly what the
//! upstream transform builds from the same spans.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opentelemetry::trace::{Event, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use opentelemetry_sdk::Resource;
use prost::Message;
use std::borrow::Cow;
use std::time::{Duration, UNIX_EPOCH};
use traced_core::export::otlp::__fuzz;

/// Pieces of the input: text split at `0xff`, each piece's first byte
/// choosing what it becomes.
fn spans(data: &[u8]) -> Vec<SpanData> {
    let scope = InstrumentationScope::builder("fuzz").build();
    let other = InstrumentationScope::builder("other").with_version("1").build();
    let mut out = Vec::new();
    for (n, piece) in data.split(|b| *b == 0xff).enumerate().take(64) {
        let (&kind, rest) = piece.split_first().unwrap_or((&0, &[]));
        let text = String::from_utf8_lossy(rest).into_owned();
        let number =
            i64::from_le_bytes(rest.iter().copied().chain([0; 8]).take(8).collect::<Vec<_>>().try_into().unwrap());
        let value = match kind % 8 {
            0 => Value::String(text.clone().into()),
            1 => Value::I64(number),
            2 => Value::F64(f64::from_bits(number as u64)),
            3 => Value::Bool(number & 1 == 1),
            4 => Value::Array(Array::String(text.split(' ').map(|s| StringValue::from(s.to_owned())).collect())),
            5 => Value::Array(Array::I64(rest.iter().map(|b| i64::from(*b) - 128).collect())),
            6 => Value::Array(Array::F64(vec![])),
            _ => Value::Array(Array::Bool(rest.iter().map(|b| b & 1 == 1).collect())),
        };
        let mut events = SpanEvents::default();
        if kind & 0x10 != 0 {
            events.events.push(Event::new(
                text.clone(),
                UNIX_EPOCH,
                vec![KeyValue::new(text.clone(), value.clone())],
                1,
            ));
        }
        let status = match kind >> 5 {
            0 => Status::Unset,
            1 => Status::Ok,
            _ => Status::error(text.clone()),
        };
        let state = TraceState::from_key_value([("k", "v")]).unwrap_or_default();
        out.push(SpanData {
            span_context: SpanContext::new(
                TraceId::from(number as u128 | 1),
                SpanId::from(n as u64 + 1),
                TraceFlags::new(kind & 3),
                false,
                if kind & 0x08 != 0 { state } else { TraceState::NONE },
            ),
            parent_span_id: SpanId::from(number as u64),
            parent_span_is_remote: kind & 0x40 != 0,
            span_kind: [SpanKind::Internal, SpanKind::Server, SpanKind::Client, SpanKind::Producer, SpanKind::Consumer]
                [usize::from(kind) % 5]
                .clone(),
            name: Cow::Owned(text.clone()),
            start_time: UNIX_EPOCH + Duration::from_nanos(number as u64 >> 1),
            end_time: UNIX_EPOCH + Duration::from_nanos(number as u64 >> 1),
            attributes: vec![KeyValue::new(text, value)],
            dropped_attributes_count: u32::from(kind),
            events,
            links: SpanLinks::default(),
            status,
            instrumentation_scope: if kind & 0x80 != 0 { other.clone() } else { scope.clone() },
        });
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let _ = __fuzz::read_answer(data);

    let spans = spans(data);
    let resource = Resource::builder_empty().with_attributes([KeyValue::new("service.name", "fuzz")]).build();
    let bytes = __fuzz::encode(&resource, &spans);
    let ours = ExportTraceServiceRequest::decode(&bytes[..]).expect("our request decodes");
    let mut theirs =
        ExportTraceServiceRequest { resource_spans: group_spans_by_resource_and_scope(spans, &(&resource).into()) };
    // An unset status: an absent message to us, an empty one upstream.
    let mut ours = ours;
    for r in [&mut ours, &mut theirs] {
        for span in r.resource_spans.iter_mut().flat_map(|r| &mut r.scope_spans).flat_map(|s| &mut s.spans) {
            span.status.get_or_insert_with(Default::default);
        }
    }
    // Compared as re-encoded bytes: equal messages encode alike, and NaN
    // doubles (which never equal themselves) compare by their bits.
    assert_eq!(ours.encode_to_vec(), theirs.encode_to_vec());
});

//! AMQP message headers: `traceparent`/`tracestate`/`baggage` as long
//! strings of any bytes, or as values of other types. Never a panic.
#![no_main]

use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use libfuzzer_sys::fuzz_target;
use opentelemetry::trace::TraceContextExt;
use traced_integrations::lapin::FieldTableExtractor;

const NAMES: [&str; 3] = ["traceparent", "tracestate", "baggage"];

fuzz_target!(|data: &[u8]| {
    let mut table = FieldTable::default();
    for line in data.split(|b| *b == b'\n') {
        let Some((&which, value)) = line.split_first() else { continue };
        let name = ShortString::from(NAMES[which as usize % NAMES.len()]);
        let value = match which / 3 % 4 {
            0 | 1 => AMQPValue::LongString(LongString::from(value.to_vec())),
            2 => AMQPValue::ByteArray(value.to_vec().into()),
            _ => AMQPValue::LongLongInt(value.len() as i64),
        };
        table.insert(name, value);
    }
    let cx = traced_core::propagation::extract_with(&opentelemetry::Context::new(), &FieldTableExtractor(&table));
    let span = cx.span();
    assert!(!span.span_context().is_valid() || span.span_context().is_remote());
});

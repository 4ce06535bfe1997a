//! `traced::current_span()` and `record!` from code that does not hold the
//! span: nothing they record is lost silently, however much of it there is.
#![cfg(feature = "test-util")]

use opentelemetry::{KeyValue, Value};
use traced::testing::capture;
use traced::traced;

#[traced]
fn count_rows(rows: u32) {
    for i in 1..=rows {
        traced::record!(rows.processed = i);
    }
}

#[traced]
fn many_events(n: u32) {
    for i in 0..n {
        traced::current_span().add_event("row", vec![KeyValue::new("row.index", i64::from(i))]);
    }
}

#[traced]
fn many_attributes(n: u32) {
    for i in 0..n {
        traced::current_span().set_attribute(KeyValue::new(format!("key.{i}"), i64::from(i)));
    }
}

#[traced]
fn many_statuses(n: u32) {
    for i in 0..n {
        let status =
            if i == n / 2 { opentelemetry::trace::Status::Ok } else { opentelemetry::trace::Status::error("x") };
        traced::current_span().set_status(status);
    }
}

#[traced]
async fn count_rows_across_polls(rows: u32) {
    for i in 1..=rows {
        traced::record!(rows.processed = i);
        if i % 1000 == 0 {
            tokio::task::yield_now().await;
        }
    }
}

#[test]
fn ten_thousand_records_of_one_key_end_with_the_last_value() {
    let spans = capture();
    count_rows(10_000);
    let span = spans.span("current_span.count_rows");
    assert_eq!(span.attr("rows.processed"), Some(&Value::I64(10_000)));
    assert_eq!(span.dropped_attributes_count, 0);
}

#[tokio::test]
async fn records_across_polls_reach_the_async_span() {
    let spans = capture();
    count_rows_across_polls(10_000).await;
    let span = spans.span("current_span.count_rows_across_polls");
    assert_eq!(span.attr("rows.processed"), Some(&Value::I64(10_000)));
}

#[test]
fn events_past_the_limit_are_counted_as_dropped() {
    let spans = capture();
    many_events(5_000);
    let span = spans.span("current_span.many_events");
    let limit = spans.provider().span_limits().event_count;
    assert_eq!(span.events.len(), limit as usize, "the configured event limit is kept");
    assert_eq!(span.events.dropped_count, 5_000 - limit, "the rest is counted");
    assert_eq!(span.events[0].attributes[0].value, Value::I64(0), "the first events are the ones kept");
}

#[test]
fn attributes_past_the_limit_are_counted_as_dropped() {
    let spans = capture();
    many_attributes(300);
    let span = spans.span("current_span.many_attributes");
    let limit = spans.provider().span_limits().attribute_count;
    assert_eq!(span.attributes.len(), limit as usize);
    assert_eq!(span.dropped_attributes_count, 300 - limit);
}

#[test]
fn many_statuses_keep_the_rule_ok_is_final() {
    let spans = capture();
    many_statuses(10_000);
    assert_eq!(spans.span("current_span.many_statuses").status, opentelemetry::trace::Status::Ok);
}

//! Hostile and oversized input: a 1 MB `tracestate` or `baggage`, 10,000
//! baggage members, non-UTF-8 header bytes, the same in AMQP headers, and
//! 10 MB attribute values. Each is handled in bounded time, never panics,
//! and the request is still served (with a fresh trace where the context
//! is unusable).
#![cfg(all(feature = "http-server", feature = "lapin", feature = "reqwest", feature = "test-util"))]

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::TraceContextExt;
use std::convert::Infallible;
use std::time::{Duration, Instant};
use tower_layer::Layer;
use tower_service::Service;
use traced::integrations::http_server::TracedHttpServerLayer;
use traced::integrations::lapin::FieldTableExtractor;
use traced::testing::capture;
use traced::traced;

const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// Generous for a debug build on a shared machine; unbounded work on a
/// megabyte would blow far past it.
const BOUND: Duration = Duration::from_millis(500);

fn propagators() {
    traced::propagation::install_global(&traced::propagation::PropagatorKind::DEFAULT);
}

/// What the handler saw: its trace id, and how many baggage entries.
async fn handler(_: Request<Body>) -> Result<Response<Body>, Infallible> {
    let (trace, baggage) =
        opentelemetry::Context::map_current(|cx| (cx.span().span_context().trace_id().to_string(), cx.baggage().len()));
    Ok(Response::new(Body::from(format!("{trace} {baggage}"))))
}

/// Sends one request with `headers` through the traced layer (no socket:
/// no HTTP server's own header limits in the way) and returns the status,
/// the handler's view and the time taken.
async fn serve(headers: Vec<(&'static str, HeaderValue)>) -> (StatusCode, String, Duration) {
    let mut service = TracedHttpServerLayer::new().layer(tower::service_fn(handler));
    let mut request = Request::builder().uri("/orders").body(Body::empty()).unwrap();
    for (name, value) in headers {
        request.headers_mut().append(name, value);
    }
    let started = Instant::now();
    std::future::poll_fn(|cx| service.poll_ready(cx)).await.unwrap();
    let response = service.call(request).await.unwrap();
    let took = started.elapsed();
    let status = response.status();
    let body = axum::body::to_bytes(Body::new(response.into_body()), usize::MAX).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned(), took)
}

fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap()
}

#[tokio::test]
async fn a_megabyte_tracestate_is_dropped_and_the_trace_kept() {
    propagators();
    let _spans = capture();
    let huge = format!("a={}", "x".repeat(1 << 20));
    let (status, seen, took) = serve(vec![("traceparent", value(VALID)), ("tracestate", value(&huge))]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(seen.starts_with("4bf92f3577b34da6a3ce929d0e0e4736"), "the traceparent still counts: {seen}");
    assert!(took < BOUND, "{took:?}");
}

#[tokio::test]
async fn a_megabyte_of_baggage_and_ten_thousand_members_are_bounded() {
    propagators();
    let _spans = capture();
    let many: Vec<String> = (0..10_000).map(|i| format!("k{i}=v{i}")).collect();
    let long = format!("big={}", "y".repeat(1 << 20));
    for baggage in [many.join(","), long] {
        let (status, seen, took) = serve(vec![("baggage", value(&baggage))]).await;
        assert_eq!(status, StatusCode::OK);
        let entries: usize = seen.split(' ').nth(1).and_then(|n| n.parse().ok()).unwrap();
        assert!(entries <= 64, "at most the W3C limit of 64 entries, got {entries}");
        assert!(took < BOUND, "{took:?}");
    }
}

#[tokio::test]
async fn non_utf8_header_bytes_start_a_fresh_trace() {
    propagators();
    let spans = capture();
    let bytes = HeaderValue::from_bytes(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-\xff\xfe").unwrap();
    let state = HeaderValue::from_bytes(b"a=\xc3\x28").unwrap();
    let bag = HeaderValue::from_bytes(b"k=\xf0\x28\x8c\x28").unwrap();
    let (status, seen, _) = serve(vec![("traceparent", bytes), ("tracestate", state), ("baggage", bag)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!seen.starts_with("4bf92f3577b34da6a3ce929d0e0e4736"), "a fresh trace: {seen}");
    // No router, so no route: the span is named by the method alone.
    let server = spans.span("GET");
    assert!(!server.parent_span_is_remote);
}

#[test]
fn amqp_headers_of_any_size_and_type_are_bounded() {
    let mut table = FieldTable::default();
    table.insert(ShortString::from("traceparent"), AMQPValue::LongString(LongString::from(VALID)));
    table.insert(ShortString::from("tracestate"), AMQPValue::LongString(LongString::from(vec![b'z'; 1 << 20])));
    let members: Vec<String> = (0..10_000).map(|i| format!("k{i}=v{i}")).collect();
    table.insert(ShortString::from("baggage"), AMQPValue::LongString(LongString::from(members.join(","))));
    let started = Instant::now();
    let cx = traced::propagation::extract_with(&opentelemetry::Context::new(), &FieldTableExtractor(&table));
    assert!(started.elapsed() < BOUND);
    assert_eq!(cx.span().span_context().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert!(cx.baggage().len() <= 64);

    let mut wrong = FieldTable::default();
    wrong.insert(ShortString::from("traceparent"), AMQPValue::LongString(LongString::from(vec![0xff; 55])));
    wrong.insert(ShortString::from("baggage"), AMQPValue::FieldArray(Default::default()));
    let cx = traced::propagation::extract_with(&opentelemetry::Context::new(), &FieldTableExtractor(&wrong));
    assert!(!cx.span().span_context().is_valid());
}

#[traced(fields(body.size = payload.len(), body = payload))]
fn store(payload: &str) -> usize {
    payload.len()
}

#[test]
fn ten_megabyte_attribute_values_are_recorded_and_truncated_by_the_limit() {
    let payload = "p".repeat(10 << 20);
    let spans = capture();
    let started = Instant::now();
    assert_eq!(store(&payload), 10 << 20);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(spans.span("bad_input.store").attr_str("body").map(|b| b.len()), Some(10 << 20));
    drop(spans);

    // With the value-length limit of the environment, it is cut.
    let exporter = traced::testing::MemoryExporter::default();
    let env = traced::config::EnvConfig::from_lookup(&|name| {
        (name == "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT").then(|| "4096".to_owned())
    });
    let traced::Pipeline { provider, .. } =
        traced::builder().env(env).exporter(exporter.clone()).simple_export().build().unwrap();
    let provider = provider.unwrap();
    {
        let _default = provider.set_default();
        store(&payload);
    }
    let span = exporter.spans().pop().unwrap();
    let body = span.attributes.iter().find(|kv| kv.key.as_str() == "body").unwrap();
    assert_eq!(body.value.as_str().len(), 4096);
}

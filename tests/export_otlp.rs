//! OTLP export verified against real receivers on 127.0.0.1: what arrives is
//! decoded and checked field by field (names, ids, parents, attributes,
//! resource).
#![cfg(all(feature = "otlp-grpc", feature = "otlp-http"))]

mod support;

use opentelemetry::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind as ProtoKind;
use std::time::Duration;
use support::otlp_receiver::{start_grpc, start_http, ReceivedSpan};
use traced::config::{EnvConfig, OtlpEnv, OtlpProtocol};
use traced::span::{ActiveSpan, Callsite, Kind, SpanGuard};

static ROOT: Callsite = Callsite::new("OrderService.place_order", Kind::Server);
static CHILD: Callsite = Callsite::new("OrderService.charge", Kind::Internal);

/// Runs a root span with one child under `provider` and flushes.
fn produce(provider: traced::Provider) -> (String, String, String) {
    let _default = provider.set_default();
    let (trace, root_id, child_id);
    {
        let mut root = SpanGuard::enter(ActiveSpan::start(
            &ROOT,
            ROOT.name(),
            2,
            |a| {
                a.push(KeyValue::new("order.id", 42i64));
                a.push(KeyValue::new("order.express", true));
            },
            Vec::new,
        ));
        let sc = root.span().unwrap().span_context();
        trace = sc.trace_id().to_string();
        root_id = sc.span_id().to_string();
        let mut child = SpanGuard::enter(ActiveSpan::start(
            &CHILD,
            CHILD.name(),
            1,
            |a| a.push(KeyValue::new("amount", 12.5)),
            Vec::new,
        ));
        child_id = child.span().unwrap().span_context().span_id().to_string();
        child.span().unwrap().record_error_message("payment::Declined", "card declined".into(), true);
    }
    provider.force_flush(Duration::from_secs(10)).expect("flush");
    (trace, root_id, child_id)
}

fn build(protocol: OtlpProtocol, endpoint: String) -> traced::Provider {
    let traced::Pipeline { provider, .. } = traced::builder()
        .env(EnvConfig::default())
        .service_name("orders")
        .service_version("2.1.0")
        .environment("test")
        .otlp_with(OtlpEnv { endpoint: Some(endpoint), protocol: Some(protocol), ..Default::default() })
        .build()
        .expect("provider");
    provider.expect("sdk enabled")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check(spans: Vec<ReceivedSpan>, trace: &str, root_id: &str, child_id: &str) {
    assert_eq!(spans.len(), 2, "{spans:?}");
    let root = spans.iter().find(|s| s.span.name == "OrderService.place_order").expect("root span");
    let child = spans.iter().find(|s| s.span.name == "OrderService.charge").expect("child span");
    assert_eq!(hex(&root.span.trace_id), trace);
    assert_eq!(hex(&child.span.trace_id), trace);
    assert_eq!(hex(&root.span.span_id), root_id);
    assert_eq!(hex(&child.span.span_id), child_id);
    assert!(root.span.parent_span_id.is_empty(), "root has no parent");
    assert_eq!(hex(&child.span.parent_span_id), root_id);
    assert_eq!(root.span.kind, ProtoKind::Server as i32);
    assert_eq!(child.span.kind, ProtoKind::Internal as i32);
    assert_eq!(root.attr("order.id"), Some(Any::IntValue(42)));
    assert_eq!(root.attr("order.express"), Some(Any::BoolValue(true)));
    assert_eq!(child.attr("amount"), Some(Any::DoubleValue(12.5)));
    assert_eq!(child.attr("error.type"), Some(Any::StringValue("payment::Declined".into())));
    let status = child.span.status.as_ref().expect("status");
    assert_eq!(status.code, 2, "STATUS_CODE_ERROR");
    assert_eq!(status.message, "card declined");
    let event = child.span.events.iter().find(|e| e.name == "exception").expect("exception event");
    assert!(event.attributes.iter().any(|kv| kv.key == "exception.message"));
    assert!(root.span.end_time_unix_nano >= child.span.end_time_unix_nano);
    // W3C Level 2: new traces carry the random flag; sampled.
    assert_eq!(root.span.flags & 0xff, 0x03);
    for s in [root, child] {
        assert_eq!(s.resource_attr("service.name"), Some(Any::StringValue("orders".into())));
        assert_eq!(s.resource_attr("service.version"), Some(Any::StringValue("2.1.0".into())));
        assert_eq!(s.resource_attr("deployment.environment.name"), Some(Any::StringValue("test".into())));
        assert_eq!(s.resource_attr("telemetry.sdk.language"), Some(Any::StringValue("rust".into())));
    }
}

#[test]
fn exports_over_grpc() {
    let receiver = start_grpc();
    let provider = build(OtlpProtocol::Grpc, format!("http://{}", receiver.addr));
    let (trace, root, child) = produce(provider);
    check(receiver.received.wait_for(2, Duration::from_secs(10)), &trace, &root, &child);
    provider.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn exports_over_http_protobuf() {
    let receiver = start_http();
    let provider = build(OtlpProtocol::HttpProtobuf, format!("http://{}", receiver.addr));
    let (trace, root, child) = produce(provider);
    check(receiver.received.wait_for(2, Duration::from_secs(10)), &trace, &root, &child);
    assert_eq!(provider.stats().exported, 2);
    provider.shutdown(Duration::from_secs(5)).unwrap();
}

/// Headers from the configuration, gzip and the User-Agent, as the
/// receivers see them on the wire.
#[test]
fn headers_and_gzip_reach_the_receiver_over_both_protocols() {
    for protocol in [OtlpProtocol::HttpProtobuf, OtlpProtocol::Grpc] {
        let receiver = if protocol == OtlpProtocol::Grpc { start_grpc() } else { start_http() };
        let traced::Pipeline { provider, .. } = traced::builder()
            .env(EnvConfig::default())
            .service_name("orders")
            .service_version("2.1.0")
            .environment("test")
            .otlp_with(OtlpEnv {
                endpoint: Some(format!("http://{}", receiver.addr)),
                protocol: Some(protocol),
                headers: vec![("X-Api-Key".into(), "s3cret value".into())],
                compression: Some(traced::config::Compression::Gzip),
                ..Default::default()
            })
            .build()
            .expect("provider");
        let (trace, root, child) = produce(provider.expect("enabled"));
        check(receiver.received.wait_for(2, Duration::from_secs(10)), &trace, &root, &child);
        let headers = receiver.received.headers();
        let h = &headers[0];
        assert_eq!(h.get("x-api-key").map(|v| v.to_str().unwrap()), Some("s3cret value"), "{protocol:?}");
        let encoding = if protocol == OtlpProtocol::Grpc { "grpc-encoding" } else { "content-encoding" };
        assert_eq!(h.get(encoding).map(|v| v.to_str().unwrap()), Some("gzip"), "{protocol:?}: {h:?}");
        let agent = h.get("user-agent").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        assert!(agent.starts_with("OTel-OTLP-Exporter-Rust/"), "{protocol:?}: {agent}");
    }
}

/// Spans are encoded straight from `traced`'s records: limits, events,
/// links and remote parents must come out as the specification says.
#[test]
fn records_are_encoded_with_limits_events_and_links() {
    use opentelemetry::trace::{Link, SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    use opentelemetry::{Array, StringValue, Value};
    static SITE: Callsite = Callsite::new("CartService.add", Kind::Consumer);
    let receiver = start_http();
    let traced::Pipeline { provider, .. } = traced::builder()
        .env(EnvConfig::default())
        .service_name("cart")
        .span_limits(traced::SpanLimits { attribute_value_length: Some(5), ..Default::default() })
        .otlp_with(OtlpEnv {
            endpoint: Some(format!("http://{}", receiver.addr)),
            protocol: Some(OtlpProtocol::HttpProtobuf),
            ..Default::default()
        })
        .build()
        .expect("provider");
    let provider = provider.expect("enabled");
    let linked = SpanContext::new(
        TraceId::from(0xfeed_u128),
        SpanId::from(0xbeef_u64),
        TraceFlags::SAMPLED,
        true,
        TraceState::from_key_value([("vendor", "x")]).expect("tracestate"),
    );
    {
        let _default = provider.set_default();
        let mut guard = SpanGuard::enter(ActiveSpan::start(
            &SITE,
            SITE.name(),
            2,
            |a| {
                a.push(KeyValue::new("long", "ééééééééé"));
                a.push(KeyValue::new("many", Value::Array(Array::String(vec![StringValue::from("abcdefgh")]))));
                a.push(KeyValue::new("n", 123456789i64));
            },
            || vec![Link::new(linked.clone(), vec![KeyValue::new("link.kind", "batch")], 0)],
        ));
        let span = guard.span().expect("span");
        span.add_event("cart.updated", vec![KeyValue::new("items", 3i64)]);
        span.set_status(opentelemetry::trace::Status::error("out of stock"));
    }
    provider.force_flush(Duration::from_secs(10)).expect("flush");
    let spans = receiver.received.wait_for(1, Duration::from_secs(10));
    let s = &spans[0];
    assert_eq!(s.span.name, "CartService.add");
    assert_eq!(s.span.kind, ProtoKind::Consumer as i32);
    assert_eq!(s.attr("long"), Some(Any::StringValue("ééééé".into())), "cut to 5 characters, not bytes");
    let many = match s.attr("many") {
        Some(Any::ArrayValue(a)) => a.values[0].value.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(many, Some(Any::StringValue("abcde".into())));
    assert_eq!(s.attr("n"), Some(Any::IntValue(123456789)));
    assert_eq!(s.span.events.len(), 1);
    assert_eq!(s.span.events[0].name, "cart.updated");
    assert!(s.span.events[0].time_unix_nano >= s.span.start_time_unix_nano);
    assert!(s.span.events[0].time_unix_nano <= s.span.end_time_unix_nano);
    let link = &s.span.links[0];
    assert_eq!((hex(&link.trace_id), hex(&link.span_id)), (format!("{:032x}", 0xfeed), format!("{:016x}", 0xbeef)));
    assert_eq!(link.trace_state, "vendor=x");
    assert_eq!(link.flags, 0x301, "sampled, remote, remoteness known");
    assert_eq!(link.attributes[0].key, "link.kind");
    let status = s.span.status.as_ref().expect("status");
    assert_eq!((status.code, status.message.as_str()), (2, "out of stock"));
    assert_eq!(s.span.flags, 0x103, "a root: sampled + random, parent not remote");
    assert!(s.span.end_time_unix_nano >= s.span.start_time_unix_nano && s.span.start_time_unix_nano > 0);
    provider.shutdown(Duration::from_secs(5)).unwrap();
}

/// A `tracestate` from the caller is on the wire for every span of the
/// trace (the records share it with the span's context; see `SpanRecord`).
#[test]
fn a_callers_tracestate_is_encoded_on_every_span() {
    use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
    let receiver = start_http();
    let provider = build(OtlpProtocol::HttpProtobuf, format!("http://{}", receiver.addr));
    let state = TraceState::from_key_value([("vendor", "x"), ("ot", "th:8")]).expect("tracestate");
    let caller = SpanContext::new(TraceId::from(0xabc_u128), SpanId::from(0xdef_u64), TraceFlags::SAMPLED, true, state);
    {
        let _default = provider.set_default();
        let _caller = opentelemetry::Context::new().with_remote_span_context(caller).attach();
        let _root = SpanGuard::enter(ActiveSpan::start(&ROOT, ROOT.name(), 0, |_| {}, Vec::new));
        let _child = SpanGuard::enter(ActiveSpan::start(&CHILD, CHILD.name(), 0, |_| {}, Vec::new));
    }
    provider.force_flush(Duration::from_secs(10)).expect("flush");
    let spans = receiver.received.wait_for(2, Duration::from_secs(10));
    assert_eq!(spans.len(), 2);
    for s in &spans {
        assert_eq!(s.span.trace_state, "vendor=x,ot=th:8", "{}", s.span.name);
        assert_eq!(hex(&s.span.trace_id), format!("{:032x}", 0xabc));
    }
    provider.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn redaction_applies_before_export() {
    use traced::processor::redact::{Action, Redaction};
    static SITE: Callsite = Callsite::new("UserService.get_user", Kind::Internal);
    let receiver = start_http();
    let traced::Pipeline { provider, .. } = traced::builder()
        .env(EnvConfig::default())
        .service_name("users")
        .otlp_with(OtlpEnv {
            endpoint: Some(format!("http://{}", receiver.addr)),
            protocol: Some(OtlpProtocol::HttpProtobuf),
            ..Default::default()
        })
        .redaction(Redaction::default().rule("user.email", Action::Replace))
        .build()
        .unwrap();
    let provider = provider.unwrap();
    {
        let _d = provider.set_default();
        let mut s = SpanGuard::start(
            &SITE,
            || SITE.name(),
            2,
            |a| {
                a.push(KeyValue::new("user.email", "alice@example.com"));
                a.push(KeyValue::new("user.id", 42i64));
            },
            Vec::new,
        );
        s.span().unwrap().record_error_message("app::NotFound", "no user alice@example.com".into(), true);
    }
    provider.force_flush(Duration::from_secs(10)).unwrap();
    let spans = receiver.received.wait_for(1, Duration::from_secs(10));
    let span = &spans[0];
    assert_eq!(span.attr("user.email"), Some(Any::StringValue("[REDACTED]".into())));
    assert_eq!(span.attr("user.id"), Some(Any::IntValue(42)));
    let status = span.span.status.as_ref().unwrap();
    assert_eq!(status.message, "no user [REDACTED]");
    let event = span.span.events.iter().find(|e| e.name == "exception").unwrap();
    let message = event.attributes.iter().find(|kv| kv.key == "exception.message").unwrap();
    assert_eq!(message.value.as_ref().unwrap().value, Some(Any::StringValue("no user [REDACTED]".into())));
    provider.shutdown(Duration::from_secs(5)).unwrap();
}

/// Synchronous export (`simple_export`) over OTLP/HTTP from inside an async
/// runtime, as in a `#[tokio::test]`: the HTTP client needs no runtime of its
/// own, so nothing panics and the span arrives.
#[tokio::test]
async fn simple_export_over_http_works_inside_an_async_runtime() {
    static SITE: Callsite = Callsite::new("AsyncService.handle", Kind::Server);
    // The receiver has a runtime of its own: made and dropped off this one.
    let receiver = std::thread::spawn(start_http).join().expect("receiver");
    let traced::Pipeline { provider, .. } = traced::builder()
        .env(EnvConfig::default())
        .service_name("async")
        .simple_export()
        .otlp_with(OtlpEnv {
            endpoint: Some(format!("http://{}", receiver.addr)),
            protocol: Some(OtlpProtocol::HttpProtobuf),
            ..Default::default()
        })
        .build()
        .expect("provider");
    let provider = provider.expect("enabled");
    {
        let _default = provider.set_default();
        let _span = SpanGuard::enter(ActiveSpan::start(&SITE, SITE.name(), 0, |_| {}, Vec::new));
    }
    let spans = receiver.received.wait_for(1, Duration::from_secs(10));
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].span.name, "AsyncService.handle");
    provider.shutdown(Duration::from_secs(5)).unwrap();
    std::thread::spawn(move || drop(receiver)).join().expect("receiver stopped");
}

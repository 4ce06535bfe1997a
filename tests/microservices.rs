//! The `microservices` example's flow against the real PostgreSQL and
//! RabbitMQ of this machine (`.ci/run` starts them; unreachable fails):
//! one checkout is one trace across HTTP, gRPC, SQL and AMQP, with every
//! span's name, kind and parent asserted.
#![cfg(all(feature = "full", feature = "test-util"))]

#[path = "../examples/microservices/system.rs"]
#[allow(dead_code)]
mod system;

use opentelemetry::trace::SpanKind;
use opentelemetry::Value;
use std::time::Duration;
use traced::testing::{capture, CapturedSpan, SpanCapture};

/// The one child of `parent` named `name`, of kind `kind`.
fn one(spans: &SpanCapture, name: &str, kind: SpanKind, parent: &CapturedSpan) -> CapturedSpan {
    let found: Vec<_> = spans.children_of(parent).into_iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "one {name:?} under {:?}; have {:?}", parent.name, spans.names());
    let span = found.into_iter().next().expect("one");
    assert_eq!(span.span_kind, kind, "{name}");
    span
}

#[tokio::test]
async fn one_checkout_is_one_trace_across_four_transports() {
    traced::propagation::install_global(&traced::propagation::PropagatorKind::DEFAULT);
    let spans = capture();
    let config = system::Config {
        database_url: Some("postgres://postgres@127.0.0.1:5432/test".into()),
        amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
        exchange: format!("traced-test-{}", traced::ids::new_span_id()),
    };
    let shop = system::System::start(&config).await.expect("PostgreSQL and RabbitMQ (`.ci/services.sh` starts them)");
    assert!(shop.broker_up, "RabbitMQ at 127.0.0.1:5672 (`.ci/services.sh` starts it)");
    spans.clear();

    let checkout = shop.checkout("ada", "book", 2).await.unwrap();
    assert!(checkout.confirmed, "the worker called back");
    assert!(shop.worker_finished(Duration::from_secs(10)).await);

    use SpanKind::{Client, Consumer, Internal, Producer, Server};
    let root = spans.span("client.checkout");
    assert_eq!(root.parent_span_id, opentelemetry::trace::SpanId::INVALID);
    let post = one(&spans, "POST", Client, &root);
    let gateway = one(&spans, "POST /orders", Server, &post);
    let create_order = one(&spans, "Gateway.create_order", Internal, &gateway);
    let grpc_client = one(&spans, "traced.demo.Orders/Create", Client, &create_order);
    let grpc_server = one(&spans, "traced.demo.Orders/Create", Server, &grpc_client);
    let create = one(&spans, "OrdersService.create", Internal, &grpc_server);
    let insert = one(&spans, "INSERT traced_demo_orders", Client, &create);
    assert_eq!(insert.attr("db.system.name"), Some(&Value::from("postgresql")));
    let announce = one(&spans, "OrdersService.announce", Internal, &create);
    let destination = format!("{}:order.created", config.exchange);
    let publish = one(&spans, &format!("publish {destination}"), Producer, &announce);
    let process = one(&spans, &format!("process {destination}"), Consumer, &publish);
    assert_eq!(process.attr("messaging.destination.anonymous"), Some(&Value::Bool(true)));
    let handle = one(&spans, "Worker.handle_order_created", Internal, &process);
    let callback = one(&spans, "POST", Client, &handle);
    let confirmation = one(&spans, "POST /callbacks/order-created", Server, &callback);
    let confirmed = one(&spans, "Gateway.order_confirmed", Internal, &confirmation);
    assert_eq!(confirmed.attr("order.id"), Some(&Value::I64(checkout.order_id)));

    // Nothing else, and all of it one trace.
    assert_eq!(spans.spans().len(), 15, "{:?}", spans.names());
    let trace_id = root.span_context.trace_id();
    assert!(spans.spans().iter().all(|s| s.span_context.trace_id() == trace_id));
}

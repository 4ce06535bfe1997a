//! Processing deliveries inside CONSUMER spans.

use super::headers::FieldTableExtractor;
use super::message_attributes;
use futures_core::Stream;
use lapin::message::Delivery;
use lapin::Consumer;
use opentelemetry::trace::{Link, TraceContextExt};
use opentelemetry::{Context, KeyValue};
use opentelemetry_semantic_conventions::attribute::{
    MESSAGING_DESTINATION_ANONYMOUS, MESSAGING_DESTINATION_NAME, MESSAGING_OPERATION_NAME, MESSAGING_OPERATION_TYPE,
    MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG,
};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use traced_core::span::{ActiveSpan, Attributes, Instrumented, Kind, SpanStart};

/// How a process span relates to the producer's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Relation {
    /// The producer's span is the parent: one trace from publish to handler.
    #[default]
    Parent,
    /// The process span continues the current context and links to the
    /// producer's span, as the conventions recommend for batches and
    /// fan-out.
    Link,
}

/// `messaging.destination.name` on the consumer side:
/// `{exchange}:{routing key}:{queue}`, empty parts dropped, and the routing
/// key written once when it is the queue's name.
pub(crate) fn consume_destination(exchange: &str, routing_key: &str, queue: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in [exchange, routing_key, queue] {
        if !part.is_empty() && parts.last() != Some(&part) {
            parts.push(part);
        }
    }
    parts.join(":")
}

/// Whether RabbitMQ named the queue (`queue_declare` with an empty name).
fn is_server_named(queue: &str) -> bool {
    queue.starts_with("amq.gen-")
}

fn start_process_span(delivery: &Delivery, queue: &str, relation: Relation) -> ActiveSpan {
    let exchange = delivery.exchange.as_str();
    let routing_key = delivery.routing_key.as_str();
    let destination = consume_destination(exchange, routing_key, queue);
    // A server-named queue is anonymous: kept out of the span name, which
    // must stay low-cardinality.
    let anonymous = is_server_named(queue);
    let name = if anonymous { consume_destination(exchange, routing_key, "") } else { destination.clone() };
    // Missing or unusable headers extract nothing: a new trace.
    let producer = match delivery.properties.headers() {
        Some(headers) => traced_core::propagation::extract(&FieldTableExtractor(headers)),
        None => Context::new(),
    };
    let current = Context::current();
    let (parent, link) = match relation {
        Relation::Parent => (producer, None),
        Relation::Link => {
            let sc = producer.span().span_context().clone();
            (current, sc.is_valid().then(|| Link::with_context(sc)))
        }
    };
    ActiveSpan::start_with(SpanStart {
        name: format!("process {name}").into(),
        kind: Kind::Consumer,
        attributes: |a: &mut Attributes| {
            a.push(KeyValue::new(MESSAGING_OPERATION_TYPE, "process"));
            a.push(KeyValue::new(MESSAGING_OPERATION_NAME, "process"));
            a.push(KeyValue::new(MESSAGING_DESTINATION_NAME, destination.clone()));
            a.push(KeyValue::new(MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG, delivery.delivery_tag as i64));
            if anonymous {
                a.push(KeyValue::new(MESSAGING_DESTINATION_ANONYMOUS, true));
            }
            message_attributes(a, routing_key, &delivery.properties, delivery.data.len());
        },
        attribute_capacity: 10,
        links: || link.into_iter().collect(),
        skip_unsampled_child: false,
        parent: Some(&parent),
    })
}

/// Runs `handler` for `delivery` (taken from `queue`) inside a CONSUMER
/// `process` span; a handler error sets status Error. The handler decides
/// about acking, as without tracing.
pub async fn process_delivery<F, Fut, T, E>(
    delivery: &Delivery,
    queue: &str,
    relation: Relation,
    handler: F,
) -> Result<T, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    run_in_span(start_process_span(delivery, queue, relation), handler).await
}

/// Builds the handler's future with `span` current, runs it in the span, and
/// marks the span an error when the handler fails.
async fn run_in_span<F, Fut, T, E>(mut span: ActiveSpan, handler: F) -> Result<T, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let future = {
        let _scope = span.enter();
        handler()
    };
    Instrumented::new(future, span, |span: &mut ActiveSpan, out: &Result<T, E>| {
        if let Err(err) = out {
            span.record_error_message(std::any::type_name::<E>(), err.to_string(), true);
        }
    })
    .await
}

/// A delivery from a [`TracedConsumer`], ready to be processed in its span.
#[derive(Debug)]
pub struct TracedDelivery {
    /// The delivery itself (ack it through `delivery.acker`).
    pub delivery: Delivery,
    queue: String,
    relation: Relation,
}

impl TracedDelivery {
    /// Runs `handler` with the delivery inside its `process` span.
    pub async fn process<F, Fut, T, E>(self, handler: F) -> Result<T, E>
    where
        F: FnOnce(Delivery) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        let span = start_process_span(&self.delivery, &self.queue, self.relation);
        run_in_span(span, || handler(self.delivery)).await
    }
}

pin_project_lite::pin_project! {
    /// A `lapin::Consumer` whose deliveries come ready to be processed in
    /// their spans.
    pub struct TracedConsumer {
        #[pin]
        inner: Consumer,
        queue: String,
        relation: Relation,
    }
}

impl TracedConsumer {
    /// Wraps a consumer of `queue`.
    pub fn new(inner: Consumer, queue: impl Into<String>, relation: Relation) -> Self {
        TracedConsumer { inner, queue: queue.into(), relation }
    }
}

impl Stream for TracedConsumer {
    type Item = lapin::Result<TracedDelivery>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        this.inner.poll_next(cx).map(|item| {
            item.map(|r| {
                r.map(|delivery| TracedDelivery { delivery, queue: this.queue.clone(), relation: *this.relation })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{consume_destination, is_server_named};

    #[test]
    fn destinations() {
        assert_eq!(consume_destination("", "orders", "orders"), "orders");
        assert_eq!(consume_destination("shop", "order.created", "billing"), "shop:order.created:billing");
        assert_eq!(consume_destination("shop", "", "billing"), "shop:billing");
        assert!(is_server_named("amq.gen-3bZCwfKYCtQxAC-O3xLwgA"));
        assert!(!is_server_named("billing"));
    }
}

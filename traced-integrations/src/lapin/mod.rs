//! AMQP 0-9-1 with lapin (RabbitMQ): the context travels in the message
//! headers as `traceparent`/`tracestate`/`baggage` long strings, the form the
//! OpenTelemetry instrumentations of other languages (pika, amqplib) read
//! and write.
//!
//! - Publish: [`ChannelExt::basic_publish_traced`] makes a PRODUCER
//!   `publish {destination}` span and writes its context into the headers,
//!   keeping the user's. With publisher confirms on, the span ends on the
//!   broker's ack or nack (a nack is an error).
//! - Consume: [`process_delivery`] (or [`TracedConsumer`] over a consumer
//!   stream) runs the handler in a CONSUMER `process {destination}` span
//!   whose parent is the producer's context, or which links to it
//!   ([`Relation::Link`]). Missing, malformed or wrongly typed headers start
//!   a new trace; the handler still runs.

mod consume;
mod headers;
mod publish;

pub use consume::{process_delivery, Relation, TracedConsumer, TracedDelivery};
pub use headers::{FieldTableExtractor, FieldTableInjector};
#[allow(deprecated)]
pub use publish::TracedPublish;
pub use publish::{ChannelExt, TracedChannel, TracedConfirm};

use opentelemetry::KeyValue;
use opentelemetry_semantic_conventions::attribute::{
    MESSAGING_MESSAGE_BODY_SIZE, MESSAGING_MESSAGE_CONVERSATION_ID, MESSAGING_MESSAGE_ID,
    MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY, MESSAGING_SYSTEM,
};
use traced_core::span::Attributes;

/// The attributes publish and process share.
fn message_attributes(a: &mut Attributes, routing_key: &str, properties: &lapin::BasicProperties, body_size: usize) {
    a.push(KeyValue::new(MESSAGING_SYSTEM, "rabbitmq"));
    if !routing_key.is_empty() {
        a.push(KeyValue::new(MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY, routing_key.to_owned()));
    }
    if let Some(id) = properties.message_id() {
        a.push(KeyValue::new(MESSAGING_MESSAGE_ID, id.as_str().to_owned()));
    }
    if let Some(id) = properties.correlation_id() {
        a.push(KeyValue::new(MESSAGING_MESSAGE_CONVERSATION_ID, id.as_str().to_owned()));
    }
    a.push(KeyValue::new(MESSAGING_MESSAGE_BODY_SIZE, body_size as i64));
}

//! Publishing inside a PRODUCER span.

use super::headers::FieldTableInjector;
use super::message_attributes;
use lapin::options::BasicPublishOptions;
use lapin::types::{FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Confirmation, PublisherConfirm};
use opentelemetry::trace::Status;
use opentelemetry::KeyValue;
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, MESSAGING_DESTINATION_NAME, MESSAGING_OPERATION_NAME, MESSAGING_OPERATION_TYPE, SERVER_ADDRESS,
    SERVER_PORT,
};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use traced_core::span::{ActiveSpan, Attributes, Kind, SpanStart};

/// `messaging.destination.name` of a publish: `{exchange}:{routing key}`,
/// one part when the other is empty, `amq.default` when both are.
pub(crate) fn publish_destination(exchange: &str, routing_key: &str) -> String {
    match (exchange.is_empty(), routing_key.is_empty()) {
        (true, true) => "amq.default".to_owned(),
        (true, false) => routing_key.to_owned(),
        (false, true) => exchange.to_owned(),
        (false, false) => format!("{exchange}:{routing_key}"),
    }
}

/// `basic_publish` inside a PRODUCER span.
pub trait ChannelExt {
    /// Like `Channel::basic_publish`, traced: the message carries the
    /// producer span's context in its headers. Await the returned confirm to
    /// end the span on the broker's answer (it ends when dropped otherwise).
    fn basic_publish_traced(
        &self,
        exchange: &str,
        routing_key: &str,
        options: BasicPublishOptions,
        payload: &[u8],
        properties: BasicProperties,
    ) -> impl Future<Output = lapin::Result<TracedConfirm>> + Send;
}

impl ChannelExt for Channel {
    fn basic_publish_traced(
        &self,
        exchange: &str,
        routing_key: &str,
        options: BasicPublishOptions,
        payload: &[u8],
        properties: BasicProperties,
    ) -> impl Future<Output = lapin::Result<TracedConfirm>> + Send {
        let (span, properties) = start(None, exchange, routing_key, payload.len(), properties);
        let publish = self.basic_publish(
            ShortString::from(exchange),
            ShortString::from(routing_key),
            options,
            payload,
            properties,
        );
        confirmed(publish, span)
    }
}

/// Renamed to [`ChannelExt`] (see the crate's naming convention).
#[deprecated(since = "0.2.0", note = "renamed to `ChannelExt`")]
pub trait TracedPublish {
    /// Like `Channel::basic_publish`, traced.
    fn basic_publish_traced(
        &self,
        exchange: &str,
        routing_key: &str,
        options: BasicPublishOptions,
        payload: &[u8],
        properties: BasicProperties,
    ) -> impl Future<Output = lapin::Result<TracedConfirm>> + Send;
}

#[allow(deprecated)]
impl TracedPublish for Channel {
    fn basic_publish_traced(
        &self,
        exchange: &str,
        routing_key: &str,
        options: BasicPublishOptions,
        payload: &[u8],
        properties: BasicProperties,
    ) -> impl Future<Output = lapin::Result<TracedConfirm>> + Send {
        ChannelExt::basic_publish_traced(self, exchange, routing_key, options, payload, properties)
    }
}

/// A channel that knows the broker it talks to, so publish spans carry
/// `server.address` and `server.port` (lapin does not expose the peer).
#[derive(Debug, Clone)]
pub struct TracedChannel {
    channel: Channel,
    server: (String, u16),
}

impl TracedChannel {
    /// `channel` to the broker at `host:port` (as in the AMQP URI).
    pub fn new(channel: Channel, host: impl Into<String>, port: u16) -> Self {
        TracedChannel { channel, server: (host.into(), port) }
    }

    /// The channel, for everything else.
    pub fn channel(&self) -> &Channel {
        &self.channel
    }
}

impl ChannelExt for TracedChannel {
    fn basic_publish_traced(
        &self,
        exchange: &str,
        routing_key: &str,
        options: BasicPublishOptions,
        payload: &[u8],
        properties: BasicProperties,
    ) -> impl Future<Output = lapin::Result<TracedConfirm>> + Send {
        let (span, properties) = start(Some(&self.server), exchange, routing_key, payload.len(), properties);
        let publish = self.channel.basic_publish(
            ShortString::from(exchange),
            ShortString::from(routing_key),
            options,
            payload,
            properties,
        );
        confirmed(publish, span)
    }
}

/// Starts the PRODUCER span and returns the properties with its context in
/// the headers (or, with nothing installed, the caller's context).
fn start(
    server: Option<&(String, u16)>,
    exchange: &str,
    routing_key: &str,
    body_size: usize,
    properties: BasicProperties,
) -> (ActiveSpan, BasicProperties) {
    let destination = publish_destination(exchange, routing_key);
    let span = ActiveSpan::start_with(SpanStart {
        name: format!("publish {destination}").into(),
        kind: Kind::Producer,
        attributes: |a: &mut Attributes| {
            a.push(KeyValue::new(MESSAGING_OPERATION_TYPE, "send"));
            a.push(KeyValue::new(MESSAGING_OPERATION_NAME, "publish"));
            a.push(KeyValue::new(MESSAGING_DESTINATION_NAME, destination.clone()));
            message_attributes(a, routing_key, &properties, body_size);
            if let Some((host, port)) = server {
                a.push(KeyValue::new(SERVER_ADDRESS, host.clone()));
                a.push(KeyValue::new(SERVER_PORT, i64::from(*port)));
            }
        },
        attribute_capacity: 10,
        links: Vec::new,
        skip_unsampled_child: false,
        parent: None,
    });
    let carried = crate::outgoing_context(&span);
    let mut headers: FieldTable = properties.headers().clone().unwrap_or_default();
    traced_core::propagation::inject(&carried, &mut FieldTableInjector(&mut headers));
    (span, properties.with_headers(headers))
}

/// Waits for lapin to take the message, then hands out the confirm that
/// ends the span.
async fn confirmed(
    publish: impl Future<Output = lapin::Result<PublisherConfirm>>,
    mut span: ActiveSpan,
) -> lapin::Result<TracedConfirm> {
    match publish.await {
        Ok(confirm) => Ok(TracedConfirm { confirm, span }),
        Err(err) => {
            span.set_attribute(KeyValue::new(ERROR_TYPE, "publish"));
            span.set_status(Status::error(err.to_string()));
            span.end();
            Err(err)
        }
    }
}

pin_project_lite::pin_project! {
    /// The broker's answer to a traced publish; ends the span when it comes.
    pub struct TracedConfirm {
        #[pin]
        confirm: PublisherConfirm,
        span: ActiveSpan,
    }
}

impl Future for TracedConfirm {
    type Output = lapin::Result<Confirmation>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = match this.confirm.poll(cx) {
            Poll::Ready(result) => result,
            Poll::Pending => return Poll::Pending,
        };
        match &result {
            Ok(Confirmation::Nack(_)) => {
                this.span.set_attribute(KeyValue::new(ERROR_TYPE, "nack"));
                this.span.set_status(Status::error("the broker rejected the message (nack)"));
            }
            Ok(_) => {}
            Err(err) => {
                this.span.set_attribute(KeyValue::new(ERROR_TYPE, "confirm"));
                this.span.set_status(Status::error(err.to_string()));
            }
        }
        this.span.end();
        Poll::Ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::publish_destination;

    #[test]
    fn destinations() {
        assert_eq!(publish_destination("", ""), "amq.default");
        assert_eq!(publish_destination("", "orders"), "orders");
        assert_eq!(publish_destination("shop", ""), "shop");
        assert_eq!(publish_destination("shop", "order.created"), "shop:order.created");
    }
}

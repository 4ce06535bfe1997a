//! AMQP with a real RabbitMQ at 127.0.0.1:5672 (guest/guest; `.ci/run`
//! starts it). Every test uses its own queue and deletes it. An unreachable
//! broker fails the test.
#![cfg(all(feature = "lapin", feature = "test-util"))]

use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::Value;
use tokio_stream::StreamExt;
use traced::integrations::lapin::{process_delivery, ChannelExt, Relation, TracedConsumer};
use traced::testing::capture;
use traced::traced;

const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

struct Queue {
    channel: Channel,
    name: String,
    _connection: Connection,
}

impl Queue {
    async fn new(mut arguments: FieldTable) -> Queue {
        // Deleted at the end of each test; gone within a minute even if a
        // test fails first.
        arguments.insert(ShortString::from("x-expires"), AMQPValue::LongInt(60_000));
        let connection = Connection::connect(AMQP_URL, ConnectionProperties::default())
            .await
            .expect("RabbitMQ at 127.0.0.1:5672 (`.ci/services.sh` starts it)");
        let channel = connection.create_channel().await.unwrap();
        let name = format!("traced-test-{}", traced::ids::new_span_id());
        channel
            .queue_declare(ShortString::from(name.as_str()), QueueDeclareOptions::default(), arguments)
            .await
            .unwrap();
        Queue { channel, name, _connection: connection }
    }

    async fn consumer(&self, tag: &str) -> lapin::Consumer {
        self.channel
            .basic_consume(
                ShortString::from(self.name.as_str()),
                ShortString::from(tag),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap()
    }

    /// The next delivery of `consumer`, acked.
    async fn take(consumer: &mut lapin::Consumer) -> lapin::message::Delivery {
        let delivery = tokio::time::timeout(std::time::Duration::from_secs(10), consumer.next())
            .await
            .expect("a delivery")
            .unwrap()
            .unwrap();
        delivery.ack(Default::default()).await.unwrap();
        delivery
    }

    async fn next(&self, tag: &str) -> lapin::message::Delivery {
        Self::take(&mut self.consumer(tag).await).await
    }

    async fn delete(self) {
        let _ = self.channel.queue_delete(ShortString::from(self.name.as_str()), QueueDeleteOptions::default()).await;
    }
}

fn propagators() {
    traced::propagation::install_global(&traced::propagation::PropagatorKind::DEFAULT);
}

#[traced]
async fn place_order(queue: &Queue) {
    let mut headers = FieldTable::default();
    headers.insert(ShortString::from("x-tenant"), AMQPValue::LongString(LongString::from("acme")));
    let properties = BasicProperties::default().with_message_id(ShortString::from("m-1")).with_headers(headers);
    queue
        .channel
        .basic_publish_traced("", &queue.name, BasicPublishOptions::default(), b"order 42", properties)
        .await
        .unwrap()
        .await
        .unwrap();
}

#[traced]
async fn bill(order: &[u8]) -> Result<usize, String> {
    Ok(order.len())
}

#[tokio::test]
async fn publish_then_process_is_one_trace() {
    propagators();
    let spans = capture();
    let queue = Queue::new(FieldTable::default()).await;
    place_order(&queue).await;
    let delivery = queue.next("one-trace").await;
    let billed = process_delivery(&delivery, &queue.name, Relation::Parent, || bill(&delivery.data)).await.unwrap();
    assert_eq!(billed, 8);

    let producer = spans.span(&format!("publish {}", queue.name));
    let process = spans.span(&format!("process {}", queue.name));
    let handler = spans.span("lapin.bill");
    assert!(producer.is_child_of(&spans.span("lapin.place_order")));
    assert!(process.is_child_of(&producer) && process.parent_span_is_remote);
    assert!(handler.is_child_of(&process));
    assert_eq!(producer.span_kind, SpanKind::Producer);
    assert_eq!(process.span_kind, SpanKind::Consumer);
    assert_eq!(producer.attr("messaging.system"), Some(&Value::from("rabbitmq")));
    assert_eq!(producer.attr("messaging.operation.type"), Some(&Value::from("send")));
    assert_eq!(producer.attr("messaging.operation.name"), Some(&Value::from("publish")));
    assert_eq!(producer.attr("messaging.destination.name"), Some(&Value::from(queue.name.clone())));
    assert_eq!(producer.attr("messaging.rabbitmq.destination.routing_key"), Some(&Value::from(queue.name.clone())));
    assert_eq!(producer.attr("messaging.message.id"), Some(&Value::from("m-1")));
    assert_eq!(producer.attr("messaging.message.body.size"), Some(&Value::I64(8)));
    assert_eq!(process.attr("messaging.operation.type"), Some(&Value::from("process")));
    assert_eq!(
        process.attr("messaging.rabbitmq.message.delivery_tag"),
        Some(&Value::I64(delivery.delivery_tag as i64))
    );
    queue.delete().await;
}

#[tokio::test]
async fn the_wire_carries_long_string_headers_and_keeps_the_users() {
    propagators();
    let spans = capture();
    let queue = Queue::new(FieldTable::default()).await;
    place_order(&queue).await;
    // A plain lapin consumer: no traced code on this side.
    let delivery = queue.next("wire").await;
    let headers = delivery.properties.headers().clone().unwrap();
    let producer = spans.span(&format!("publish {}", queue.name));
    let expected = format!("00-{}-{}-03", producer.span_context.trace_id(), producer.span_id());
    match headers.inner().get(&ShortString::from("traceparent")) {
        Some(AMQPValue::LongString(s)) => assert_eq!(s.to_string(), expected),
        other => panic!("traceparent is not a long string: {other:?}"),
    }
    assert_eq!(
        headers.inner().get(&ShortString::from("x-tenant")),
        Some(&AMQPValue::LongString(LongString::from("acme")))
    );
    queue.delete().await;
}

async fn publish_raw(queue: &Queue, headers: Option<FieldTable>) {
    let mut properties = BasicProperties::default();
    if let Some(h) = headers {
        properties = properties.with_headers(h);
    }
    queue
        .channel
        .basic_publish(
            ShortString::from(""),
            ShortString::from(queue.name.as_str()),
            BasicPublishOptions::default(),
            b"x",
            properties,
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_or_missing_headers_start_a_new_trace_and_the_message_is_handled() {
    propagators();
    let spans = capture();
    let queue = Queue::new(FieldTable::default()).await;
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let mut malformed = FieldTable::default();
    malformed.insert(ShortString::from("traceparent"), AMQPValue::LongString(LongString::from("00-zzz-01")));
    let mut as_number = FieldTable::default();
    as_number.insert(ShortString::from("traceparent"), AMQPValue::LongLongInt(42));
    let mut as_bytes = FieldTable::default();
    as_bytes.insert(ShortString::from("traceparent"), AMQPValue::ByteArray(tp.as_bytes().to_vec().into()));
    let mut consumer = queue.consumer("bad").await;
    for headers in [None, Some(malformed), Some(as_number), Some(as_bytes)] {
        publish_raw(&queue, headers).await;
        let delivery = Queue::take(&mut consumer).await;
        let handled =
            process_delivery(&delivery, &queue.name, Relation::Parent, || async { Ok::<_, String>(true) }).await;
        assert_eq!(handled, Ok(true));
    }
    let processed = spans.named(&format!("process {}", queue.name));
    assert_eq!(processed.len(), 4);
    for p in processed {
        assert!(!p.parent_span_is_remote, "a new trace");
        assert_ne!(p.span_context.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }
    queue.delete().await;
}

#[tokio::test]
async fn link_mode_and_handler_errors() {
    propagators();
    let spans = capture();
    let queue = Queue::new(FieldTable::default()).await;
    place_order(&queue).await;
    let consumer = queue
        .channel
        .basic_consume(
            ShortString::from(queue.name.as_str()),
            ShortString::from("link"),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut traced_consumer = TracedConsumer::new(consumer, queue.name.clone(), Relation::Link);
    let delivery = traced_consumer.next().await.unwrap().unwrap();
    let result = delivery
        .process(|d| async move {
            d.ack(Default::default()).await.map_err(|e| e.to_string())?;
            Err::<(), _>("invalid order".to_owned())
        })
        .await;
    assert!(result.is_err());
    let producer = spans.span(&format!("publish {}", queue.name));
    let process = spans.span(&format!("process {}", queue.name));
    assert!(!process.is_child_of(&producer), "linked, not parented");
    assert_eq!(process.links.links[0].span_context.span_id(), producer.span_id());
    assert_eq!(process.status, Status::error("invalid order"));
    queue.delete().await;
}

#[tokio::test]
async fn publisher_confirms_end_the_span_and_a_nack_is_an_error() {
    propagators();
    let spans = capture();
    // A queue that refuses every message: the broker nacks the publish.
    let mut arguments = FieldTable::default();
    arguments.insert(ShortString::from("x-max-length"), AMQPValue::LongInt(0));
    arguments.insert(ShortString::from("x-overflow"), AMQPValue::LongString(LongString::from("reject-publish")));
    let queue = Queue::new(arguments).await;
    queue.channel.confirm_select(ConfirmSelectOptions::default()).await.unwrap();
    let confirm = queue
        .channel
        .basic_publish_traced("", &queue.name, BasicPublishOptions::default(), b"x", BasicProperties::default())
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(confirm.is_nack());
    let producer = spans.span(&format!("publish {}", queue.name));
    assert!(producer.is_error());
    assert_eq!(producer.attr_str("error.type").as_deref(), Some("nack"));
    queue.delete().await;
}

#[tokio::test]
async fn a_traced_channel_names_its_broker() {
    propagators();
    let spans = capture();
    let queue = Queue::new(FieldTable::default()).await;
    let channel = traced::integrations::lapin::TracedChannel::new(queue.channel.clone(), "127.0.0.1", 5672);
    channel
        .basic_publish_traced("", &queue.name, BasicPublishOptions::default(), b"x", BasicProperties::default())
        .await
        .unwrap();
    let producer = spans.span(&format!("publish {}", queue.name));
    assert_eq!(producer.attr("server.address"), Some(&Value::from("127.0.0.1")));
    assert_eq!(producer.attr("server.port"), Some(&Value::I64(5672)));
    queue.delete().await;
}

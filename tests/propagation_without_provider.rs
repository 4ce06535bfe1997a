//! With `OTEL_SDK_DISABLED=true` no span is made, yet a server behind the
//! layers still passes the caller's trace on: the incoming context is
//! current for the handler, so outgoing calls carry the caller's trace id
//! and parent. Nothing in this binary installs a provider.
#![cfg(all(feature = "http-server", feature = "reqwest", feature = "tonic", feature = "lapin"))]

use axum::http::HeaderMap;
use axum::routing::get;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Connection, ConnectionProperties};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Once};
use tokio_stream::StreamExt;
use tonic::transport::Server;
use tonic::{Request, Response};
use traced::integrations::http_server::TracedHttpServerLayer;
use traced::integrations::lapin::{process_delivery, Relation};
use traced::integrations::reqwest::RequestBuilderExt;
use traced::integrations::tonic::TracedGrpcServerLayer;
use traced_test_support::echo::echo_server::{Echo, EchoServer};
use traced_test_support::echo::{EchoReply, EchoRequest};

const CALLER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// `init()` with the SDK disabled: propagators, no provider. The guard
/// lives for the whole test binary.
fn disabled() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("OTEL_SDK_DISABLED", "true");
        let guard = traced::init();
        assert!(guard.provider().is_none(), "OTEL_SDK_DISABLED installs no provider");
        std::mem::forget(guard);
    });
}

#[test]
fn no_span_may_start_without_a_provider() {
    disabled();
    assert!(!traced::span::may_start(false));
    assert!(!traced::span::may_start(true));
}

/// A server that records the `traceparent` of every request it gets.
async fn recorder() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let store = seen.clone();
    let app = axum::Router::new().route(
        "/seen",
        get(move |headers: HeaderMap| {
            let store = store.clone();
            async move {
                let tp = headers.get("traceparent").map(|v| v.to_str().unwrap_or_default().to_owned());
                store.lock().unwrap().push(tp.unwrap_or_default());
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

async fn call_out(to: SocketAddr) {
    reqwest::Client::new().get(format!("http://{to}/seen")).send_traced().await.unwrap();
}

fn assert_caller_passed_on(seen: &Arc<Mutex<Vec<String>>>) {
    let seen = seen.lock().unwrap();
    assert_eq!(seen.as_slice(), [CALLER], "the caller's trace id and parent id, unchanged");
}

#[tokio::test]
async fn http_server_layer_passes_the_callers_context_on() {
    disabled();
    let (recorder, seen) = recorder().await;
    let app = axum::Router::new()
        .route("/work", get(move || async move { call_out(recorder).await }))
        .layer(TracedHttpServerLayer::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let response =
        reqwest::Client::new().get(format!("http://{addr}/work")).header("traceparent", CALLER).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_caller_passed_on(&seen);
}

struct Forwarder(SocketAddr);

#[tonic::async_trait]
impl Echo for Forwarder {
    async fn unary(&self, request: Request<EchoRequest>) -> Result<Response<EchoReply>, tonic::Status> {
        call_out(self.0).await;
        Ok(Response::new(EchoReply { message: request.into_inner().message, metadata: Vec::new() }))
    }
    type ServerStreamStream =
        std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<EchoReply, tonic::Status>> + Send>>;
    async fn server_stream(
        &self,
        _: Request<EchoRequest>,
    ) -> Result<Response<Self::ServerStreamStream>, tonic::Status> {
        Err(tonic::Status::unimplemented("not used here"))
    }
    async fn client_stream(
        &self,
        _: Request<tonic::Streaming<EchoRequest>>,
    ) -> Result<Response<EchoReply>, tonic::Status> {
        Err(tonic::Status::unimplemented("not used here"))
    }
}

#[tokio::test]
async fn grpc_server_layer_passes_the_callers_context_on() {
    disabled();
    let (recorder, seen) = recorder().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tokio::spawn(async move {
        Server::builder()
            .layer(TracedGrpcServerLayer::new())
            .add_service(EchoServer::new(Forwarder(recorder)))
            .serve_with_incoming(incoming)
            .await
            .unwrap()
    });
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut client = traced_test_support::echo::echo_client::EchoClient::new(channel);
    let mut request = Request::new(EchoRequest { message: "hi".into(), action: String::new(), count: 0 });
    request.metadata_mut().insert("traceparent", CALLER.parse().unwrap());
    client.unary(request).await.unwrap();
    assert_caller_passed_on(&seen);
}

#[tokio::test]
async fn amqp_process_delivery_passes_the_producers_context_on() {
    disabled();
    let (recorder, seen) = recorder().await;
    let connection = Connection::connect("amqp://guest:guest@127.0.0.1:5672/%2f", ConnectionProperties::default())
        .await
        .expect("RabbitMQ at 127.0.0.1:5672 (`.ci/services.sh` starts it)");
    let channel = connection.create_channel().await.unwrap();
    let queue = format!("traced-test-{}", traced::ids::new_span_id());
    let mut arguments = FieldTable::default();
    arguments.insert(ShortString::from("x-expires"), AMQPValue::LongInt(60_000));
    channel.queue_declare(ShortString::from(queue.as_str()), QueueDeclareOptions::default(), arguments).await.unwrap();
    let mut headers = FieldTable::default();
    headers.insert(ShortString::from("traceparent"), AMQPValue::LongString(LongString::from(CALLER)));
    channel
        .basic_publish(
            ShortString::from(""),
            ShortString::from(queue.as_str()),
            BasicPublishOptions::default(),
            b"order",
            BasicProperties::default().with_headers(headers),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    let mut consumer = channel
        .basic_consume(
            ShortString::from(queue.as_str()),
            ShortString::from("no-provider"),
            BasicConsumeOptions { no_ack: true, ..Default::default() },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let delivery = tokio::time::timeout(std::time::Duration::from_secs(10), consumer.next())
        .await
        .expect("a delivery")
        .unwrap()
        .unwrap();
    process_delivery(&delivery, &queue, Relation::Parent, || async {
        call_out(recorder).await;
        Ok::<(), std::io::Error>(())
    })
    .await
    .unwrap();
    channel.queue_delete(ShortString::from(queue.as_str()), QueueDeleteOptions::default()).await.unwrap();
    assert_caller_passed_on(&seen);
}

//! The gRPC layers with a real tonic server and client on 127.0.0.1 (code
//! generated from `test-support/proto/echo.proto` with a vendored protoc).
#![cfg(all(feature = "tonic", feature = "test-util"))]

use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::Value;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;
use tokio_stream::{Stream, StreamExt};
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Request, Response, Streaming};
use tower_layer::Layer;
use traced::integrations::tonic::{TracedGrpcClient, TracedGrpcClientLayer, TracedGrpcServerLayer};
use traced::testing::capture;
use traced::traced;
use traced_test_support::echo::echo_client::EchoClient;
use traced_test_support::echo::echo_server::{Echo, EchoServer};
use traced_test_support::echo::{EchoReply, EchoRequest};

type Client = EchoClient<TracedGrpcClient<Channel>>;

struct Service {
    /// Where "forward" calls go.
    next: Option<SocketAddr>,
}

#[traced]
impl Service {
    async fn forward(&self, to: SocketAddr, message: String) -> Result<String, tonic::Status> {
        let mut client = client(to).await;
        let reply = client.unary(EchoRequest { message, action: "ok".into(), count: 0 }).await?;
        Ok(reply.into_inner().message)
    }
}

#[tonic::async_trait]
impl Echo for Service {
    async fn unary(&self, request: Request<EchoRequest>) -> Result<Response<EchoReply>, tonic::Status> {
        let metadata = request
            .metadata()
            .iter()
            .filter_map(|kv| match kv {
                tonic::metadata::KeyAndValueRef::Ascii(k, v) => Some(format!("{}={}", k, v.to_str().ok()?)),
                _ => None,
            })
            .collect();
        let req = request.into_inner();
        let message = match req.action.as_str() {
            "not_found" => return Err(tonic::Status::not_found("no such user")),
            "internal" => return Err(tonic::Status::internal("boom")),
            "slow" => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                req.message
            }
            "forward" => self.forward(self.next.expect("a next hop"), req.message).await?,
            "record" => {
                let recording = traced::current_span().is_recording();
                traced::record!(handler.recording = recording);
                tokio::task::yield_now().await;
                traced::current_span().set_attribute(opentelemetry::KeyValue::new("handler.attribute", "set"));
                format!("{recording}")
            }
            _ => req.message,
        };
        Ok(Response::new(EchoReply { message, metadata }))
    }

    type ServerStreamStream = Pin<Box<dyn Stream<Item = Result<EchoReply, tonic::Status>> + Send>>;

    async fn server_stream(
        &self,
        request: Request<EchoRequest>,
    ) -> Result<Response<Self::ServerStreamStream>, tonic::Status> {
        let req = request.into_inner();
        let replies = tokio_stream::iter(0..req.count)
            .map(move |i| Ok(EchoReply { message: format!("{} {i}", req.message), metadata: vec![] }));
        Ok(Response::new(Box::pin(replies.throttle(Duration::from_millis(20)))))
    }

    async fn client_stream(
        &self,
        request: Request<Streaming<EchoRequest>>,
    ) -> Result<Response<EchoReply>, tonic::Status> {
        let mut stream = request.into_inner();
        let mut n = 0;
        while let Some(item) = stream.next().await {
            item?;
            n += 1;
        }
        Ok(Response::new(EchoReply { message: n.to_string(), metadata: vec![] }))
    }
}

async fn start(next: Option<SocketAddr>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Served on the test's current-thread runtime, so the capture sees it.
    tokio::spawn(async move {
        Server::builder()
            .layer(TracedGrpcServerLayer::new())
            .add_service(EchoServer::new(Service { next }))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
            .unwrap()
    });
    addr
}

async fn client(addr: SocketAddr) -> Client {
    let channel = Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    EchoClient::new(TracedGrpcClientLayer::for_target(&addr.to_string()).layer(channel))
}

fn propagators() {
    traced::propagation::install_global(&traced::propagation::PropagatorKind::DEFAULT);
}

fn ask(action: &str) -> EchoRequest {
    EchoRequest { message: "hi".into(), action: action.into(), count: 0 }
}

#[tokio::test]
async fn unary_ok_with_metadata_on_the_wire() {
    propagators();
    let spans = capture();
    let addr = start(None).await;
    let mut c = client(addr).await;
    let mut request = Request::new(ask("ok"));
    request.metadata_mut().insert("x-user", "kept".parse().unwrap());
    let reply = c.unary(request).await.unwrap().into_inner();
    let client_span =
        spans.named("traced.test.Echo/Unary").into_iter().find(|s| s.span_kind == SpanKind::Client).unwrap();
    let server_span =
        spans.named("traced.test.Echo/Unary").into_iter().find(|s| s.span_kind == SpanKind::Server).unwrap();
    assert!(server_span.is_child_of(&client_span) && server_span.parent_span_is_remote);
    let traceparent = format!("traceparent=00-{}-{}-03", client_span.span_context.trace_id(), client_span.span_id());
    assert!(reply.metadata.contains(&traceparent), "{:?}", reply.metadata);
    assert!(reply.metadata.contains(&"x-user=kept".to_owned()));
    for s in [&client_span, &server_span] {
        assert_eq!(s.attr("rpc.system.name"), Some(&Value::from("grpc")));
        assert_eq!(s.attr("rpc.method"), Some(&Value::from("traced.test.Echo/Unary")));
        assert_eq!(s.attr("rpc.response.status_code"), Some(&Value::from("OK")));
        assert_eq!(s.status, Status::Unset);
    }
    // The server's from the request's authority, the same host and port.
    for s in [&client_span, &server_span] {
        assert_eq!(s.attr("server.address"), Some(&Value::from("127.0.0.1")));
        assert_eq!(s.attr("server.port"), Some(&Value::I64(i64::from(addr.port()))));
    }
}

#[tokio::test]
async fn error_statuses_client_and_server_judge_differently() {
    propagators();
    let spans = capture();
    let addr = start(None).await;
    let mut c = client(addr).await;
    assert_eq!(c.unary(ask("not_found")).await.unwrap_err().code(), tonic::Code::NotFound);
    assert_eq!(c.unary(ask("internal")).await.unwrap_err().code(), tonic::Code::Internal);
    let all = spans.named("traced.test.Echo/Unary");
    let by = |kind: SpanKind, code: &str| {
        all.iter()
            .find(|s| s.span_kind == kind && s.attr_str("rpc.response.status_code").as_deref() == Some(code))
            .cloned()
            .unwrap()
    };
    let client_nf = by(SpanKind::Client, "NOT_FOUND");
    assert_eq!(client_nf.attr_str("error.type").as_deref(), Some("NOT_FOUND"));
    assert_eq!(client_nf.status, Status::error("no such user"));
    let server_nf = by(SpanKind::Server, "NOT_FOUND");
    assert_eq!(server_nf.status, Status::Unset, "NOT_FOUND is the caller's problem");
    assert_eq!(server_nf.attr("error.type"), None);
    let server_internal = by(SpanKind::Server, "INTERNAL");
    assert_eq!(server_internal.status, Status::error("boom"));
    assert_eq!(server_internal.attr_str("error.type").as_deref(), Some("INTERNAL"));
}

#[tokio::test]
async fn streams_end_their_spans_when_the_stream_ends() {
    propagators();
    let spans = capture();
    let addr = start(None).await;
    let mut c = client(addr).await;
    let mut stream = c
        .server_stream(EchoRequest { message: "m".into(), action: String::new(), count: 3 })
        .await
        .unwrap()
        .into_inner();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.message, "m 0");
    assert!(spans.named("traced.test.Echo/ServerStream").is_empty(), "the calls are not over yet");
    let mut rest = 0;
    while let Some(item) = stream.next().await {
        item.unwrap();
        rest += 1;
    }
    assert_eq!(rest, 2);
    let calls = spans.wait_for("traced.test.Echo/ServerStream", 2, Duration::from_secs(10)).await;
    assert_eq!(calls.len(), 2);
    for s in &calls {
        assert_eq!(s.attr("rpc.response.status_code"), Some(&Value::from("OK")));
        assert!(s.end_time.duration_since(s.start_time).unwrap() >= Duration::from_millis(40));
    }
    let requests = tokio_stream::iter((0..4).map(|_| ask("ok")));
    let reply = c.client_stream(requests).await.unwrap().into_inner();
    assert_eq!(reply.message, "4");
    assert_eq!(spans.wait_for("traced.test.Echo/ClientStream", 2, Duration::from_secs(10)).await.len(), 2);
}

#[tokio::test]
async fn deadline_exceeded() {
    propagators();
    let spans = capture();
    let addr = start(None).await;
    let mut c = client(addr).await;
    let mut request = Request::new(ask("slow"));
    request.set_timeout(Duration::from_millis(50));
    let err = c.unary(request).await.unwrap_err();
    // tonic's client reports its own deadline as CANCELLED ("Timeout expired").
    assert!(matches!(err.code(), tonic::Code::Cancelled | tonic::Code::DeadlineExceeded), "{err:?}");
    // Both sides: the server's span ends when its slow handler does.
    let both = spans.wait_for("traced.test.Echo/Unary", 2, Duration::from_secs(10)).await;
    let client_span = both.into_iter().find(|s| s.span_kind == SpanKind::Client).unwrap();
    assert_eq!(client_span.attr_str("rpc.response.status_code").as_deref(), Some("DEADLINE_EXCEEDED"));
    assert!(client_span.is_error());
}

#[traced]
async fn entry(c: &mut Client) -> String {
    c.unary(ask("forward")).await.unwrap().into_inner().message
}

#[tokio::test]
async fn one_trace_across_client_server_traced_method_and_a_second_server() {
    propagators();
    let spans = capture();
    let second = start(None).await;
    let first = start(Some(second)).await;
    let mut c = client(first).await;
    assert_eq!(entry(&mut c).await, "hi");
    let root = spans.span("tonic.entry");
    let forward = spans.span("Service.forward");
    let unary = spans.wait_for("traced.test.Echo/Unary", 4, Duration::from_secs(10)).await;
    assert_eq!(unary.len(), 4, "client + server, twice");
    let kinds = |parent: &traced::testing::CapturedSpan, kind: SpanKind| {
        unary.iter().find(|s| s.span_kind == kind && s.is_child_of(parent)).cloned().expect("a child of that kind")
    };
    let c1 = kinds(&root, SpanKind::Client);
    let s1 = kinds(&c1, SpanKind::Server);
    assert!(forward.is_child_of(&s1));
    let c2 = kinds(&forward, SpanKind::Client);
    let _s2 = kinds(&c2, SpanKind::Server);
    assert!(spans.spans().iter().all(|s| s.span_context.trace_id() == root.span_context.trace_id()));
}

#[tokio::test]
async fn malformed_traceparent_starts_a_new_trace_and_the_call_succeeds() {
    propagators();
    let spans = capture();
    let addr = start(None).await;
    // A plain client (no layer) sending a broken header.
    let channel = Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut plain = EchoClient::new(channel);
    let mut request = Request::new(ask("ok"));
    request.metadata_mut().insert("traceparent", "00-not-a-valid-header-01".parse().unwrap());
    assert!(plain.unary(request).await.is_ok());
    let server = spans.span("traced.test.Echo/Unary");
    assert!(!server.parent_span_is_remote);
    assert_eq!(server.parent_span_id, opentelemetry::trace::SpanId::INVALID);
}

#[tokio::test]
async fn current_span_and_record_reach_the_server_span_from_the_handler() {
    let spans = capture();
    let addr = start(None).await;
    let mut c = client(addr).await;
    let reply = c.unary(EchoRequest { message: String::new(), action: "record".into(), count: 0 }).await.unwrap();
    assert_eq!(reply.into_inner().message, "true", "the handler sees a recording span");
    let server = spans
        .wait_for("traced.test.Echo/Unary", 2, Duration::from_secs(10))
        .await
        .into_iter()
        .find(|s| s.span_kind == SpanKind::Server)
        .expect("the SERVER span");
    assert_eq!(server.attr("handler.recording"), Some(&Value::Bool(true)));
    assert_eq!(server.attr("handler.attribute"), Some(&Value::from("set")), "set after an await, in a later poll");
}

//! OTLP trace receivers (gRPC and HTTP/protobuf) built from
//! `opentelemetry-proto`'s types, listening on 127.0.0.1, keeping every
//! request they decode.

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a receiver got.
#[derive(Clone, Default)]
pub struct Received {
    requests: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    headers: Arc<Mutex<Vec<axum::http::HeaderMap>>>,
    spans: Arc<std::sync::atomic::AtomicUsize>,
    /// Count only: every request is decoded, its spans counted, and dropped
    /// (for load tests, where keeping a million spans would make the
    /// receiver the heaviest thing on the machine).
    count_only: bool,
}

/// One received span with its resource attributes.
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    pub span: Span,
    pub resource: Vec<KeyValue>,
}

impl ReceivedSpan {
    pub fn attr(&self, key: &str) -> Option<any_value::Value> {
        find(&self.span.attributes, key)
    }
    pub fn resource_attr(&self, key: &str) -> Option<any_value::Value> {
        find(&self.resource, key)
    }
}

fn find(attrs: &[KeyValue], key: &str) -> Option<any_value::Value> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.clone()).and_then(|AnyValue { value }| value)
}

impl Received {
    fn push(&self, req: ExportTraceServiceRequest, headers: axum::http::HeaderMap) {
        let n: usize = req.resource_spans.iter().flat_map(|rs| &rs.scope_spans).map(|ss| ss.spans.len()).sum();
        self.spans.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        if !self.count_only {
            self.requests.lock().unwrap().push(req);
            self.headers.lock().unwrap().push(headers);
        }
    }

    /// The headers (gRPC: metadata) of every request, in order.
    pub fn headers(&self) -> Vec<axum::http::HeaderMap> {
        self.headers.lock().unwrap().clone()
    }

    /// How many spans arrived.
    pub fn count(&self) -> usize {
        self.spans.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until at least `n` spans arrived (or the timeout passes); how many did.
    pub fn wait_for_count(&self, n: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        while self.count() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.count()
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        let mut out = Vec::new();
        for req in self.requests.lock().unwrap().iter() {
            for rs in &req.resource_spans {
                let resource = rs.resource.as_ref().map(|r| r.attributes.clone()).unwrap_or_default();
                for ss in &rs.scope_spans {
                    for span in &ss.spans {
                        out.push(ReceivedSpan { span: span.clone(), resource: resource.clone() });
                    }
                }
            }
        }
        out
    }

    /// Waits until at least `n` spans arrived (or the timeout passes).
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedSpan> {
        let deadline = Instant::now() + timeout;
        loop {
            let spans = self.spans();
            if spans.len() >= n || Instant::now() > deadline {
                return spans;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

struct Grpc(Received);

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let headers = request.metadata().clone().into_headers();
        self.0.push(request.into_inner(), headers);
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

/// Answers go out at once, as a collector's do: with Nagle's algorithm on,
/// the answer's last small write waits for the client's delayed ACK (40 ms).
fn no_delay(conn: &tokio::net::TcpStream) {
    let _ = conn.set_nodelay(true);
}

/// A running receiver and the runtime that serves it.
pub struct Receiver {
    pub addr: SocketAddr,
    pub received: Received,
    _runtime: tokio::runtime::Runtime,
}

fn receiver_runtime() -> tokio::runtime::Runtime {
    // Named, so a measurement can tell the receiver's CPU time apart.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("otlp-receiver")
        .enable_all()
        .build()
        .unwrap()
}

/// Starts an OTLP/gRPC receiver.
pub fn start_grpc() -> Receiver {
    start_grpc_with(Received::default())
}

/// Starts an OTLP/gRPC receiver that only counts spans.
pub fn start_grpc_counting() -> Receiver {
    start_grpc_with(Received { count_only: true, ..Received::default() })
}

fn start_grpc_with(received: Received) -> Receiver {
    let runtime = receiver_runtime();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let service =
        TraceServiceServer::new(Grpc(received.clone())).accept_compressed(tonic::codec::CompressionEncoding::Gzip);
    runtime.spawn(async move {
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tokio_stream::StreamExt::map(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                |conn| conn.inspect(no_delay),
            ))
            .await
            .unwrap();
    });
    Receiver { addr, received, _runtime: runtime }
}

/// Starts an OTLP/HTTP (protobuf) receiver on `/v1/traces`.
pub fn start_http() -> Receiver {
    start_http_with(Received::default())
}

/// Starts an OTLP/HTTP receiver that only counts spans.
pub fn start_http_counting() -> Receiver {
    start_http_with(Received { count_only: true, ..Received::default() })
}

fn start_http_with(received: Received) -> Receiver {
    let runtime = receiver_runtime();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let app = http_app(received.clone());
    let listener = axum::serve::ListenerExt::tap_io(listener, |conn: &mut tokio::net::TcpStream| no_delay(conn));
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { addr, received, _runtime: runtime }
}

/// Starts an OTLP/HTTP receiver over TLS with `config`, on `addr` (to come
/// back where an earlier one was) or a free port.
pub fn start_http_tls(
    addr: Option<SocketAddr>,
    config: Arc<rustls::ServerConfig>,
) -> (Receiver, super::tls::Handshakes) {
    start_http_tls_with(Received::default(), addr, config)
}

/// Starts an OTLP/HTTP receiver over TLS that only counts spans.
pub fn start_http_tls_counting(config: Arc<rustls::ServerConfig>) -> (Receiver, super::tls::Handshakes) {
    start_http_tls_with(Received { count_only: true, ..Received::default() }, None, config)
}

fn start_http_tls_with(
    received: Received,
    addr: Option<SocketAddr>,
    config: Arc<rustls::ServerConfig>,
) -> (Receiver, super::tls::Handshakes) {
    let handshakes = super::tls::Handshakes::default();
    let runtime = receiver_runtime();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap())))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = http_app(received.clone());
    let counts = handshakes.clone();
    runtime.spawn(async move {
        let listener = super::tls::TlsListener { incoming: super::tls::accept(listener, config, counts), addr };
        axum::serve(listener, app).await.unwrap()
    });
    (Receiver { addr, received, _runtime: runtime }, handshakes)
}

/// Starts an OTLP/gRPC receiver over TLS with `config` (which must offer
/// ALPN `h2`).
pub fn start_grpc_tls(config: Arc<rustls::ServerConfig>) -> (Receiver, super::tls::Handshakes) {
    start_grpc_tls_with(Received::default(), config)
}

/// Starts an OTLP/gRPC receiver over TLS that only counts spans.
pub fn start_grpc_tls_counting(config: Arc<rustls::ServerConfig>) -> (Receiver, super::tls::Handshakes) {
    start_grpc_tls_with(Received { count_only: true, ..Received::default() }, config)
}

fn start_grpc_tls_with(received: Received, config: Arc<rustls::ServerConfig>) -> (Receiver, super::tls::Handshakes) {
    let handshakes = super::tls::Handshakes::default();
    let runtime = receiver_runtime();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let service =
        TraceServiceServer::new(Grpc(received.clone())).accept_compressed(tonic::codec::CompressionEncoding::Gzip);
    let counts = handshakes.clone();
    runtime.spawn(async move {
        let incoming = super::tls::accept(listener, config, counts);
        let incoming =
            tokio_stream::StreamExt::map(tokio_stream::wrappers::ReceiverStream::new(incoming), |(tls, _)| {
                Ok::<_, std::io::Error>(tls)
            });
        tonic::transport::Server::builder().add_service(service).serve_with_incoming(incoming).await.unwrap();
    });
    (Receiver { addr, received, _runtime: runtime }, handshakes)
}

/// The OTLP/HTTP route: decodes every request and keeps it.
fn http_app(store: Received) -> axum::Router {
    axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                assert_eq!(headers.get("content-type").unwrap(), "application/x-protobuf");
                let body = match headers.get("content-encoding").map(|v| v.as_bytes()) {
                    Some(b"gzip") => {
                        let mut plain = Vec::new();
                        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut plain)
                            .expect("gzip body");
                        axum::body::Bytes::from(plain)
                    }
                    None => body,
                    Some(other) => panic!("unexpected content-encoding {other:?}"),
                };
                let req = ExportTraceServiceRequest::decode(body).expect("a protobuf ExportTraceServiceRequest");
                store.push(req, headers);
                let body = ExportTraceServiceResponse { partial_success: None }.encode_to_vec();
                ([("content-type", "application/x-protobuf")], body)
            }
        }),
    )
}

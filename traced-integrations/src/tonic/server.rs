//! The server layer: the caller's context from the metadata, a SERVER span
//! current for the handler.

use super::call::{ResponseFuture, Side};
use super::{call_of, common_attributes};
use crate::scanned_headers::{ScannedHeaders, ServerHeader};
use http::Request;
use opentelemetry::KeyValue;
use opentelemetry_semantic_conventions::attribute::{SERVER_ADDRESS, SERVER_PORT};
use std::task::{Context as TaskContext, Poll};
use traced_core::span::{ActiveSpan, Attributes, Kind, SpanStart};

/// Wraps a tonic server's services in [`TracedGrpcServer`]
/// (`Server::builder().layer(TracedGrpcServerLayer::new())`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TracedGrpcServerLayer;

impl TracedGrpcServerLayer {
    /// The layer.
    pub fn new() -> Self {
        TracedGrpcServerLayer
    }
}

impl<S> tower_layer::Layer<S> for TracedGrpcServerLayer {
    type Service = TracedGrpcServer<S>;

    fn layer(&self, inner: S) -> TracedGrpcServer<S> {
        TracedGrpcServer { inner }
    }
}

/// A gRPC service with a SERVER span per call.
#[derive(Debug, Clone)]
pub struct TracedGrpcServer<S> {
    inner: S,
}

impl<S, B, RB> tower_service::Service<Request<B>> for TracedGrpcServer<S>
where
    S: tower_service::Service<Request<B>, Response = http::Response<RB>>,
    S::Error: std::error::Error + 'static,
{
    type Response = http::Response<super::TracedBody<RB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let headers = ScannedHeaders::scan(req.headers());
        // Malformed metadata leaves the context empty: a new trace.
        let parent = traced_core::propagation::extract(&headers);
        let (name, method) = call_of(req.uri().path());
        let server = match req.uri().authority() {
            Some(authority) => crate::repeated::host(authority.as_str()),
            None => headers.get(ServerHeader::Host).and_then(crate::repeated::host),
        };
        let mut span = ActiveSpan::start_with(SpanStart {
            name,
            kind: Kind::Server,
            attributes: |a: &mut Attributes| {
                common_attributes(method.as_ref(), a);
                if let Some((host, port)) = server {
                    a.push(KeyValue::new(SERVER_ADDRESS, host));
                    if let Some(port) = port {
                        a.push(KeyValue::new(SERVER_PORT, i64::from(port)));
                    }
                }
            },
            attribute_capacity: 4,
            links: Vec::new,
            skip_unsampled_child: false,
            parent: Some(&parent),
        });
        let inner = {
            let _scope = span.enter();
            self.inner.call(req)
        };
        ResponseFuture::new(inner, span, Side::Server)
    }
}

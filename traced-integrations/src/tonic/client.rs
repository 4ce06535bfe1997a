//! The client layer: a CLIENT span per call, its context in the metadata.

use super::call::{ResponseFuture, Side};
use super::{call_of, common_attributes};
use crate::carrier::HeaderInjector;
use http::Request;
use opentelemetry::{KeyValue, StringValue};
use opentelemetry_semantic_conventions::attribute::{SERVER_ADDRESS, SERVER_PORT};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use traced_core::span::{ActiveSpan, Attributes, Kind, SpanStart};

/// Wraps a tonic `Channel` (or any gRPC client service) in [`TracedGrpcClient`].
#[derive(Debug, Clone, Default)]
pub struct TracedGrpcClientLayer {
    server: Option<(StringValue, Option<u16>)>,
}

impl TracedGrpcClientLayer {
    /// A layer whose spans take `server.address`/`server.port` from each
    /// request's URI (tonic's generated clients send none: prefer
    /// [`TracedGrpcClientLayer::for_target`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// A layer for a channel to `target` (`host:port`, `dns://…/host:port`,
    /// `http(s)://host:port`, `unix:path`), as the conventions describe:
    /// `server.*` come from the target, not the socket.
    pub fn for_target(target: &str) -> Self {
        let (host, port) = parse_target(target);
        // Shared: each call's span holds a reference count, not a copy.
        TracedGrpcClientLayer { server: Some((StringValue::from(Arc::<str>::from(host)), port)) }
    }
}

/// `server.address` and `server.port` of a channel target.
fn parse_target(target: &str) -> (String, Option<u16>) {
    if let Some(path) = target.strip_prefix("unix:") {
        return (path.trim_start_matches("//").to_owned(), None);
    }
    let rest = target.split_once("://").map_or(target, |(_, r)| r);
    // `dns://authority/host:port`: the last segment names the server.
    let host_port = rest.rsplit('/').find(|s| !s.is_empty()).unwrap_or(rest);
    match host_port.parse::<http::uri::Authority>() {
        Ok(a) => (a.host().to_owned(), a.port_u16()),
        Err(_) => (target.to_owned(), None),
    }
}

impl<S> tower_layer::Layer<S> for TracedGrpcClientLayer {
    type Service = TracedGrpcClient<S>;

    fn layer(&self, inner: S) -> TracedGrpcClient<S> {
        TracedGrpcClient { inner, server: self.server.clone() }
    }
}

/// A gRPC client service with a CLIENT span per call.
#[derive(Debug, Clone)]
pub struct TracedGrpcClient<S> {
    inner: S,
    server: Option<(StringValue, Option<u16>)>,
}

impl<S, B, RB> tower_service::Service<Request<B>> for TracedGrpcClient<S>
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

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let server =
            self.server.clone().or_else(|| req.uri().authority().and_then(|a| crate::repeated::host(a.as_str())));
        let (name, method) = call_of(req.uri().path());
        let span = ActiveSpan::start_with(SpanStart {
            name,
            kind: Kind::Client,
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
            parent: None,
        });
        let carried = crate::outgoing_context(&span);
        traced_core::propagation::inject(&carried, &mut HeaderInjector(req.headers_mut()));
        ResponseFuture::new(self.inner.call(req), span, Side::Client)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_target;

    #[test]
    fn targets() {
        assert_eq!(parse_target("grpc.io:50051"), ("grpc.io".into(), Some(50051)));
        assert_eq!(parse_target("dns://1.2.3.4/grpc.io:50051"), ("grpc.io".into(), Some(50051)));
        assert_eq!(parse_target("http://127.0.0.1:9000"), ("127.0.0.1".into(), Some(9000)));
        assert_eq!(parse_target("unix:/tmp/sock"), ("/tmp/sock".into(), None));
        assert_eq!(parse_target("%%%"), ("%%%".into(), None));
    }
}

//! gRPC with tonic: tower layers for the client (`Channel`) and the server
//! (`Server`), carrying the context in request metadata.
//!
//! Spans are named `{package.Service}/{Method}` with `rpc.system.name =
//! grpc`, `rpc.method`, `rpc.response.status_code` (the status name),
//! `server.address`/`server.port` and `error.type`. The status is read from
//! the response headers for a trailers-only answer and from the trailers
//! otherwise, so a span ends when the call really ends (streamed responses
//! included). A client marks every non-OK status as an error; a server only
//! UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE and
//! DATA_LOSS.
//!
//! With tonic (this crate is generic over `tower` and `http`, so it needs
//! neither tonic nor tower; `tests/tonic.rs` runs this set-up with a real
//! server and client):
//!
//! ```no_run
//! use tower_layer::Layer;
//! use traced_integrations::tonic::{TracedGrpcClientLayer, TracedGrpcServerLayer};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Client: wrap the channel, then hand it to a generated client
//! // (`OrdersClient::new(channel)`).
//! let channel = tonic::transport::Endpoint::from_static("http://orders:50051").connect_lazy();
//! let channel = TracedGrpcClientLayer::for_target("orders:50051").layer(channel);
//! // Server: one layer for every service added after it
//! // (`.add_service(OrdersServer::new(service))`).
//! let server = tonic::transport::Server::builder().layer(TracedGrpcServerLayer::new());
//! # let _ = (channel, server);
//! # Ok(())
//! # }
//! ```

mod call;
mod client;
mod server;
pub mod status;

pub use call::{ResponseFuture, TracedBody};
pub use client::{TracedGrpcClient, TracedGrpcClientLayer};
pub use server::{TracedGrpcServer, TracedGrpcServerLayer};

/// Renamed to [`TracedGrpcServerLayer`] (see the crate's naming convention).
#[deprecated(since = "0.2.0", note = "renamed to `TracedGrpcServerLayer`")]
pub type GrpcServerLayer = TracedGrpcServerLayer;
/// The unit value under its old name, so `.layer(GrpcServerLayer)` still builds.
#[deprecated(since = "0.2.0", note = "renamed to `TracedGrpcServerLayer`")]
#[allow(non_upper_case_globals)]
pub const GrpcServerLayer: TracedGrpcServerLayer = TracedGrpcServerLayer;
/// Renamed to [`TracedGrpcServer`].
#[deprecated(since = "0.2.0", note = "renamed to `TracedGrpcServer`")]
pub type GrpcServer<S> = TracedGrpcServer<S>;
/// Renamed to [`TracedGrpcClientLayer`].
#[deprecated(since = "0.2.0", note = "renamed to `TracedGrpcClientLayer`")]
pub type GrpcClientLayer = TracedGrpcClientLayer;
/// Renamed to [`TracedGrpcClient`].
#[deprecated(since = "0.2.0", note = "renamed to `TracedGrpcClient`")]
pub type GrpcClient<S> = TracedGrpcClient<S>;
/// Renamed to [`TracedBody`].
#[deprecated(since = "0.2.0", note = "renamed to `TracedBody`")]
pub type GrpcBody<B> = TracedBody<B>;

use opentelemetry::{KeyValue, StringValue};
use opentelemetry_semantic_conventions::attribute::{RPC_METHOD, RPC_SYSTEM_NAME};
use std::borrow::Cow;
use traced_core::span::Attributes;

/// `{package.Service}/{Method}` from a request path; `grpc` when the path
/// does not look like one.
pub(crate) fn method_of(path: &str) -> Option<&str> {
    let method = path.strip_prefix('/')?;
    let (service, name) = method.split_once('/')?;
    (!service.is_empty() && !name.is_empty() && !name.contains('/')).then_some(method)
}

/// The span name and `rpc.method` of a call to `path`: the method
/// (`package.Service/Method`), made once per thread and shared; `grpc` and
/// no method when the path is not a gRPC method's.
pub(crate) fn call_of(path: &str) -> (Cow<'static, str>, Option<StringValue>) {
    match method_of(path) {
        Some(method) => {
            let (name, value) = crate::repeated::rpc(method);
            (name, Some(value))
        }
        None => (Cow::Borrowed("grpc"), None),
    }
}

/// The attributes every gRPC span has.
pub(crate) fn common_attributes(method: Option<&StringValue>, a: &mut Attributes) {
    a.push(KeyValue::new(RPC_SYSTEM_NAME, "grpc"));
    if let Some(method) = method {
        a.push(KeyValue::new(RPC_METHOD, method.clone()));
    }
}

//! Transport integrations for `traced`: one Cargo feature per transport, so
//! a service pulls only what it uses.
//!
//! - `reqwest`: [`reqwest::RequestBuilderExt`], a CLIENT span per request and the
//!   trace headers on the wire; `reqwest-middleware`:
//!   [`reqwest_middleware::TracedMiddleware`], the same for that stack.
//! - `http-server`: [`http_server::TracedHttpServerLayer`], a tower layer (axum, hyper)
//!   that continues the caller's trace in a SERVER span per request.
//! - `tonic`: [`tonic::TracedGrpcClientLayer`] and [`tonic::TracedGrpcServerLayer`], the
//!   same for gRPC, with the status read from headers or trailers.
//! - `sqlx` (or `sqlx-postgres`, `sqlx-mysql`, `sqlx-sqlite`):
//!   [`sqlx::TracedPool`], a CLIENT span per statement and the trace context
//!   appended to the SQL as a sqlcommenter comment.
//! - `lapin`: [`lapin::ChannelExt`] and [`lapin::process_delivery`], AMQP
//!   messages carrying the context in their headers.
//!
//! # Naming
//!
//! One pattern across transports, so a name says what a thing is:
//!
//! | Kind | Pattern | Examples |
//! |---|---|---|
//! | tower layer and its service | `Traced{Protocol}{Role}Layer`, `Traced{Protocol}{Role}<S>` | `TracedHttpServerLayer`, `TracedGrpcClient<S>` |
//! | wrapper around a library type | `Traced{Type}` | `TracedPool`, `TracedChannel`, `TracedBody` |
//! | extension trait on a library type | `{Type}Ext`, methods `{method}_traced` | `RequestBuilderExt::send_traced`, `ChannelExt::basic_publish_traced` |
//! | middleware of another stack | `TracedMiddleware` | `reqwest_middleware::TracedMiddleware` |
//!
//! The names used before this convention (`TracedLayer`, `Traced<S>`,
//! `GrpcServerLayer`, `GrpcClient<S>`, `TracingMiddleware`, `TracedSend`,
//! `TracedPublish`, ...) remain as deprecated aliases for one release.

#[cfg(any(feature = "reqwest", feature = "http-server-core", feature = "tonic"))]
pub mod carrier;
#[cfg(any(feature = "reqwest", feature = "http-server-core"))]
pub mod http;
#[cfg(feature = "http-server-core")]
pub mod http_server;
#[cfg(feature = "lapin")]
pub mod lapin;
#[cfg(any(feature = "http-server-core", feature = "tonic"))]
mod repeated;
#[cfg(feature = "reqwest")]
pub mod reqwest;
#[cfg(feature = "reqwest-middleware")]
pub mod reqwest_middleware;
#[cfg(any(feature = "http-server-core", feature = "tonic"))]
mod scanned_headers;
#[cfg(feature = "_sqlx")]
pub mod sqlx;
#[cfg(feature = "tonic")]
pub mod tonic;
#[cfg(feature = "tracing")]
pub mod tracing_bridge;

/// Polls `inner` with `span`'s context current, handing the span out once
/// `inner` is ready: how the server layers run a handler inside its span.
#[cfg(any(feature = "http-server-core", feature = "tonic"))]
pub(crate) fn poll_in_span<F: std::future::Future>(
    span: &mut Option<traced_core::span::ActiveSpan>,
    inner: std::pin::Pin<&mut F>,
    cx: &mut std::task::Context<'_>,
) -> std::task::Poll<(F::Output, traced_core::span::ActiveSpan)> {
    let output = {
        // Current for the handler: its context, and `current_span()`/`record!`.
        let _scope = span.as_mut().map(traced_core::span::ActiveSpan::enter);
        match inner.poll(cx) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => return std::task::Poll::Pending,
        }
    };
    std::task::Poll::Ready((output, span.take().unwrap_or_default()))
}

/// The context an outgoing request or message carries: its span's, or with no
/// span (nothing installed) the caller's, so propagation works with the SDK
/// disabled.
#[cfg(any(feature = "reqwest", feature = "tonic", feature = "lapin"))]
pub(crate) fn outgoing_context(span: &traced_core::span::ActiveSpan) -> opentelemetry::Context {
    span.context().cloned().unwrap_or_else(opentelemetry::Context::current)
}

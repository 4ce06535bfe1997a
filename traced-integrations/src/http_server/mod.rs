//! Incoming HTTP: a tower layer for axum and hyper services. For each
//! request it extracts the caller's context from the headers (malformed
//! headers start a new trace; the request is served either way), starts a
//! SERVER span named `{method} {route}` that is current while the handler
//! runs, so `#[traced]` functions in the handler are its children, and ends
//! it when the response body has been sent, not when the headers have.
//!
//! ```no_run
//! # async fn get_user() -> &'static str { "" }
//! use traced_integrations::http_server::TracedHttpServerLayer;
//! let app: axum::Router = axum::Router::new()
//!     .route("/users/{id}", axum::routing::get(get_user))
//!     // `Router::layer` wraps each route, so the route template is known.
//!     .layer(TracedHttpServerLayer::new());
//! ```
//!
//! Extension points, as tower-http users expect: [`TracedHttpServerLayer::name`]
//! names the span, [`TracedHttpServerLayer::on_request`] and
//! [`TracedHttpServerLayer::on_response`] add attributes, and
//! [`TracedHttpServerLayer::classify`] decides which statuses are errors. With the
//! `http-server-core` feature instead of `http-server`, the layer works
//! without axum (hyper alone); the route template then comes only from
//! [`TracedHttpServerLayer::name`].
//!
//! ```no_run
//! use opentelemetry::KeyValue;
//! use traced_integrations::http_server::TracedHttpServerLayer;
//! let layer = TracedHttpServerLayer::new()
//!     .name(|req| req.route.map(|route| format!("{} {route}", req.method)))
//!     .on_request(|req, attributes| {
//!         if let Some(tenant) = req.headers.get("x-tenant").and_then(|v| v.to_str().ok()) {
//!             attributes.push(KeyValue::new("tenant", tenant.to_owned()));
//!         }
//!     })
//!     .on_response(|res, span| {
//!         let cached = res.headers.contains_key("x-cache-hit");
//!         span.set_attribute(KeyValue::new("cache.hit", cached));
//!     })
//!     // 429 is ours to fix too.
//!     .classify(|status| status.is_server_error() || status.as_u16() == 429);
//! ```

mod body;
mod future;
mod layer;
mod service;

pub use body::TracedBody;
pub use future::ResponseFuture;
pub use layer::{RequestView, ResponseView, TracedHttpServerLayer};
pub use service::TracedHttpServer;

/// Renamed to [`TracedHttpServerLayer`] (see the crate's naming convention).
#[deprecated(since = "0.2.0", note = "renamed to `TracedHttpServerLayer`")]
pub type TracedLayer = TracedHttpServerLayer;
/// Renamed to [`TracedHttpServer`].
#[deprecated(since = "0.2.0", note = "renamed to `TracedHttpServer`")]
pub type Traced<S> = TracedHttpServer<S>;

/// Request header carrying the request id, echoed on the response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Span attribute holding the request id (not a semantic-convention name).
pub const REQUEST_ID: &str = "request.id";

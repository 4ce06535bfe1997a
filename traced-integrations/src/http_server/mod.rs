//! Incoming HTTP: a tower layer for axum and hyper services. For each
//! request it extracts the caller's context from the headers (malformed
//! headers start a new trace; the request is served either way), starts a
//! SERVER span named `{method} {route}` that is current while the handler
//! runs, so `#[traced]` functions in the handler are its children, and ends
//! it when the response body has been sent, not when the headers have.
//!
//! ```no_run
//! # async fn get_user() -> &'static str { "" }
//! use traced_integrations::http_server::TracedLayer;
//! let app: axum::Router = axum::Router::new()
//!     .route("/users/{id}", axum::routing::get(get_user))
//!     // `Router::layer` wraps each route, so the route template is known.
//!     .layer(TracedLayer::new());
//! ```

mod body;
mod future;
mod layer;
mod service;

pub use body::TracedBody;
pub use future::ResponseFuture;
pub use layer::TracedLayer;
pub use service::Traced;

/// Request header carrying the request id, echoed on the response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Span attribute holding the request id (not a semantic-convention name).
pub const REQUEST_ID: &str = "request.id";

//! The traced client as a `reqwest-middleware` middleware, for services
//! already on that stack.
//!
//! ```no_run
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(traced_integrations::reqwest_middleware::TracedMiddleware)
//!     .build();
//! ```

use crate::carrier::HeaderInjector;
use crate::reqwest::{record_outcome, start_span};
use http::Extensions;
use reqwest_middleware::{Middleware, Next, Result};

/// A CLIENT span per request, as [`crate::reqwest::RequestBuilderExt`] makes.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracedMiddleware;

/// Renamed to [`TracedMiddleware`] (see the crate's naming convention).
#[deprecated(since = "0.2.0", note = "renamed to `TracedMiddleware`")]
pub type TracingMiddleware = TracedMiddleware;
/// The unit value under its old name, so `.with(TracingMiddleware)` still builds.
#[deprecated(since = "0.2.0", note = "renamed to `TracedMiddleware`")]
#[allow(non_upper_case_globals)]
pub const TracingMiddleware: TracedMiddleware = TracedMiddleware;

#[async_trait::async_trait]
impl Middleware for TracedMiddleware {
    async fn handle(
        &self,
        mut req: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<reqwest::Response> {
        let mut span = start_span(&req);
        let carried = crate::outgoing_context(&span);
        traced_core::propagation::inject(&carried, &mut HeaderInjector(req.headers_mut()));
        let result = next.run(req, extensions).await;
        let outcome = match &result {
            Ok(response) => Ok(response),
            Err(reqwest_middleware::Error::Reqwest(err)) => Err(Some(err)),
            Err(_) => Err(None),
        };
        record_outcome(&mut span, outcome);
        result
    }
}

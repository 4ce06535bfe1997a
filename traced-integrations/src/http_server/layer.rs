//! The layer, its settings and its extension points.

use super::service::TracedHttpServer;
use http::{HeaderMap, Method, StatusCode, Uri};
use std::fmt;
use std::sync::Arc;
use traced_core::span::{ActiveSpan, Attributes};

/// What the extension points see of a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// The method.
    pub method: &'a Method,
    /// The URI as received.
    pub uri: &'a Uri,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The route template (`/users/{id}`), when the framework gives one.
    pub route: Option<&'a str>,
}

/// What the extension points see of a response.
#[derive(Debug, Clone, Copy)]
pub struct ResponseView<'a> {
    /// The status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: &'a HeaderMap,
}

type NameFn = dyn Fn(&RequestView<'_>) -> Option<String> + Send + Sync;
type OnRequestFn = dyn Fn(&RequestView<'_>, &mut Attributes) + Send + Sync;
type OnResponseFn = dyn Fn(&ResponseView<'_>, &mut ActiveSpan) + Send + Sync;
type ClassifyFn = dyn Fn(StatusCode) -> bool + Send + Sync;

/// Wraps a service in [`TracedHttpServer`]. See the module docs.
#[derive(Clone)]
pub struct TracedHttpServerLayer {
    pub(crate) request_id: bool,
    pub(crate) server_timing: bool,
    pub(crate) name: Option<Arc<NameFn>>,
    pub(crate) on_request: Option<Arc<OnRequestFn>>,
    pub(crate) on_response: Option<Arc<OnResponseFn>>,
    pub(crate) classify: Option<Arc<ClassifyFn>>,
}

impl fmt::Debug for TracedHttpServerLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracedHttpServerLayer")
            .field("request_id", &self.request_id)
            .field("server_timing", &self.server_timing)
            .field("name", &self.name.is_some())
            .field("on_request", &self.on_request.is_some())
            .field("on_response", &self.on_response.is_some())
            .field("classify", &self.classify.is_some())
            .finish()
    }
}

impl Default for TracedHttpServerLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl TracedHttpServerLayer {
    /// Request ids on (take `X-Request-ID`, else the trace id; record it as
    /// `request.id`; echo it on the response), trace response header off.
    pub fn new() -> Self {
        TracedHttpServerLayer {
            request_id: true,
            server_timing: false,
            name: None,
            on_request: None,
            on_response: None,
            classify: None,
        }
    }

    /// Whether to handle `X-Request-ID` (default on).
    pub fn request_id(mut self, on: bool) -> Self {
        self.request_id = on;
        self
    }

    /// Whether to answer `server-timing: trace;desc=00-{trace}-{span}-{flags}`
    /// (W3C Trace Context Level 3 draft), default off: it tells callers the
    /// ids of your spans.
    pub fn server_timing(mut self, on: bool) -> Self {
        self.server_timing = on;
        self
    }

    /// Names the span; `None` keeps the default (`{method} {route}`, else
    /// `{method}`). Keep names low-cardinality: never the raw path.
    pub fn name(mut self, name: impl Fn(&RequestView<'_>) -> Option<String> + Send + Sync + 'static) -> Self {
        self.name = Some(Arc::new(name));
        self
    }

    /// Adds attributes from the request, after the conventional ones (only
    /// called when the span is recorded).
    pub fn on_request(mut self, f: impl Fn(&RequestView<'_>, &mut Attributes) + Send + Sync + 'static) -> Self {
        self.on_request = Some(Arc::new(f));
        self
    }

    /// Records from the response headers, when they are in (the span ends
    /// later, with the body).
    pub fn on_response(mut self, f: impl Fn(&ResponseView<'_>, &mut ActiveSpan) + Send + Sync + 'static) -> Self {
        self.on_response = Some(Arc::new(f));
        self
    }

    /// Which statuses mark the span an error (default: 5xx, as the HTTP
    /// conventions say for servers). An error gets `error.type` = the code.
    pub fn classify(mut self, is_error: impl Fn(StatusCode) -> bool + Send + Sync + 'static) -> Self {
        self.classify = Some(Arc::new(is_error));
        self
    }

    pub(crate) fn is_error(&self, status: StatusCode) -> bool {
        match &self.classify {
            Some(classify) => classify(status),
            None => status.is_server_error(),
        }
    }
}

impl<S> tower_layer::Layer<S> for TracedHttpServerLayer {
    type Service = TracedHttpServer<S>;

    fn layer(&self, inner: S) -> TracedHttpServer<S> {
        TracedHttpServer { inner, config: self.clone() }
    }
}

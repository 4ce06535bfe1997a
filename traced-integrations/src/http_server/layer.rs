//! The layer and its settings.

use super::service::Traced;

/// Wraps a service in [`Traced`]. See the module docs.
#[derive(Debug, Clone, Copy)]
pub struct TracedLayer {
    pub(crate) request_id: bool,
    pub(crate) server_timing: bool,
}

impl Default for TracedLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl TracedLayer {
    /// Request ids on (take `X-Request-ID`, else the trace id; record it as
    /// `request.id`; echo it on the response), trace response header off.
    pub fn new() -> Self {
        TracedLayer { request_id: true, server_timing: false }
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
}

impl<S> tower_layer::Layer<S> for TracedLayer {
    type Service = Traced<S>;

    fn layer(&self, inner: S) -> Traced<S> {
        Traced { inner, config: *self }
    }
}

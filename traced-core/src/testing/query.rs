//! Looking up captured spans by name, parent and attribute.

use super::MemoryExporter;
use crate::provider::{DefaultGuard, Provider};
use opentelemetry::trace::{SpanId, Status};
use opentelemetry::{Key, Value};
use opentelemetry_sdk::trace::SpanData;
use std::ops::Deref;

/// Spans captured by [`super::capture`]. Keeps its provider as the thread
/// default until dropped.
#[derive(Debug)]
pub struct SpanCapture {
    provider: Provider,
    exporter: MemoryExporter,
    _default: DefaultGuard,
}

/// One finished span, with lookups. Derefs to the raw [`SpanData`].
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedSpan(pub SpanData);

impl Deref for CapturedSpan {
    type Target = SpanData;
    fn deref(&self) -> &SpanData {
        &self.0
    }
}

impl CapturedSpan {
    /// The attribute `key`, if set.
    pub fn attr(&self, key: &str) -> Option<&Value> {
        let key = Key::from(key.to_owned());
        self.0.attributes.iter().find(|kv| kv.key == key).map(|kv| &kv.value)
    }

    /// The attribute `key` as text (any type, displayed).
    pub fn attr_str(&self, key: &str) -> Option<String> {
        self.attr(key).map(|v| v.to_string())
    }

    /// The span id.
    pub fn span_id(&self) -> SpanId {
        self.0.span_context.span_id()
    }

    /// True when `parent` is this span's parent (same trace, parent id).
    pub fn is_child_of(&self, parent: &CapturedSpan) -> bool {
        self.0.parent_span_id == parent.span_id() && self.0.span_context.trace_id() == parent.span_context.trace_id()
    }

    /// True when the span ended with status Error.
    pub fn is_error(&self) -> bool {
        matches!(self.0.status, Status::Error { .. })
    }

    /// The first event named `name`.
    pub fn event(&self, name: &str) -> Option<&opentelemetry::trace::Event> {
        self.0.events.events.iter().find(|e| e.name == name)
    }
}

impl Drop for SpanCapture {
    fn drop(&mut self) {
        crate::claims::release(self.provider.inner);
    }
}

impl SpanCapture {
    pub(crate) fn new(provider: Provider, exporter: MemoryExporter) -> Self {
        crate::claims::register(provider.inner);
        let default = provider.set_default();
        SpanCapture { provider, exporter, _default: default }
    }

    /// The capturing provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Every span finished so far, in the order they ended.
    pub fn spans(&self) -> Vec<CapturedSpan> {
        self.exporter.spans().into_iter().map(CapturedSpan).collect()
    }

    /// Names of the spans finished so far, in order.
    pub fn names(&self) -> Vec<String> {
        self.spans().iter().map(|s| s.name.to_string()).collect()
    }

    /// Spans named `name`.
    pub fn named(&self, name: &str) -> Vec<CapturedSpan> {
        self.spans().into_iter().filter(|s| s.name == name).collect()
    }

    /// The one span named `name`; panics, listing what was captured, when
    /// there is none or more than one.
    pub fn span(&self, name: &str) -> CapturedSpan {
        let mut found = self.named(name);
        match found.len() {
            1 => found.remove(0),
            n => panic!("expected one span named {name:?}, found {n}; captured: {:?}", self.names()),
        }
    }

    /// Waits until `count` spans named `name` have ended, or `timeout`
    /// passed, and returns those ended by then (fewer on time-out, so the
    /// assertion that follows says what is missing). For spans that end on
    /// another task or thread (a server's span ends with its response body):
    /// wait for the event rather than sleep. Yields between checks, so it
    /// works on a current-thread runtime too.
    pub async fn wait_for(&self, name: &str, count: usize, timeout: std::time::Duration) -> Vec<CapturedSpan> {
        let deadline = std::time::Instant::now() + timeout;
        std::future::poll_fn(|cx| {
            let found = self.named(name);
            if found.len() >= count || std::time::Instant::now() >= deadline {
                return std::task::Poll::Ready(found);
            }
            // Let the tasks that end the spans run, then look again.
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        })
        .await
    }

    /// Children of `parent`, in the order they ended.
    pub fn children_of(&self, parent: &CapturedSpan) -> Vec<CapturedSpan> {
        self.spans().into_iter().filter(|s| s.is_child_of(parent)).collect()
    }

    /// Forgets everything captured so far.
    pub fn clear(&self) {
        self.exporter.clear();
    }
}

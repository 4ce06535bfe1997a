//! What a span records while it runs, and the finished span handed to
//! processors. Converting to the SDK's `SpanData` happens in the export
//! thread, not on the thread that ended the span.

use super::callsite::Kind;
use crate::limits::{truncate_value, SpanLimits};
use opentelemetry::trace::{Event, Link, SpanContext, SpanId, Status};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use std::borrow::Cow;
use std::time::SystemTime;

/// A recording span's data; lives inline in its [`super::ActiveSpan`].
#[derive(Debug)]
pub(crate) struct SpanRecord {
    pub(crate) span_context: SpanContext,
    pub(crate) parent_span_id: SpanId,
    pub(crate) parent_is_remote: bool,
    pub(crate) kind: Kind,
    pub(crate) name: Cow<'static, str>,
    pub(crate) start: SystemTime,
    pub(crate) end: SystemTime,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) dropped_attributes: u32,
    pub(crate) events: SpanEvents,
    pub(crate) links: SpanLinks,
    pub(crate) status: Status,
    pub(crate) scope: &'static InstrumentationScope,
    pub(crate) limits: &'static SpanLimits,
}

impl SpanRecord {
    /// Sets an attribute, replacing one with the same key, within the limit.
    pub(crate) fn set_attribute(&mut self, kv: KeyValue) {
        if let Some(existing) = self.attributes.iter_mut().find(|e| e.key == kv.key) {
            *existing = kv;
        } else if self.attributes.len() < self.limits.attribute_count as usize {
            self.attributes.push(kv);
        } else {
            self.dropped_attributes += 1;
        }
    }

    pub(crate) fn add_event(&mut self, name: Cow<'static, str>, timestamp: SystemTime, mut attributes: Vec<KeyValue>) {
        if self.events.events.len() >= self.limits.event_count as usize {
            self.events.dropped_count += 1;
            return;
        }
        let limit = self.limits.event_attribute_count as usize;
        let dropped = attributes.len().saturating_sub(limit) as u32;
        attributes.truncate(limit);
        self.events.events.push(Event::new(name, timestamp, attributes, dropped));
    }

    pub(crate) fn add_link(&mut self, span_context: SpanContext, mut attributes: Vec<KeyValue>) {
        if !span_context.is_valid() {
            return;
        }
        if self.links.links.len() >= self.limits.link_count as usize {
            self.links.dropped_count += 1;
            return;
        }
        let limit = self.limits.link_attribute_count as usize;
        let dropped = attributes.len().saturating_sub(limit) as u32;
        attributes.truncate(limit);
        self.links.links.push(Link::new(span_context, attributes, dropped));
    }

    /// Ok is final; Error beats Unset (the API's ordering).
    pub(crate) fn set_status(&mut self, status: Status) {
        if status > self.status {
            self.status = status;
        }
    }

    fn into_span_data(mut self) -> SpanData {
        if let Some(max) = self.limits.attribute_value_length {
            for kv in &mut self.attributes {
                truncate_value(&mut kv.value, max as usize);
            }
        }
        SpanData {
            span_context: self.span_context,
            parent_span_id: self.parent_span_id,
            parent_span_is_remote: self.parent_is_remote,
            span_kind: self.kind.to_span_kind(),
            name: self.name,
            start_time: self.start,
            end_time: self.end.max(self.start),
            attributes: self.attributes,
            dropped_attributes_count: self.dropped_attributes,
            events: self.events,
            links: self.links,
            status: self.status,
            instrumentation_scope: self.scope.clone(),
        }
    }
}

#[derive(Debug)]
enum Inner {
    Traced(SpanRecord),
    Sdk(SpanData),
}

/// A span that has ended, on its way to the exporters: one recorded by
/// `traced`, or one made through the `opentelemetry_sdk` tracer bridge.
#[derive(Debug)]
pub struct FinishedSpan(Inner);

impl FinishedSpan {
    pub(crate) fn traced(record: SpanRecord) -> Self {
        FinishedSpan(Inner::Traced(record))
    }

    /// The span context (ids and flags).
    pub fn span_context(&self) -> &SpanContext {
        match &self.0 {
            Inner::Traced(r) => &r.span_context,
            Inner::Sdk(d) => &d.span_context,
        }
    }

    /// True when the span is sampled (to be exported).
    pub fn is_sampled(&self) -> bool {
        self.span_context().is_sampled()
    }

    /// The exporters' form.
    pub fn into_span_data(self) -> SpanData {
        match self.0 {
            Inner::Traced(r) => r.into_span_data(),
            Inner::Sdk(d) => d,
        }
    }
}

impl From<SpanData> for FinishedSpan {
    fn from(data: SpanData) -> Self {
        FinishedSpan(Inner::Sdk(data))
    }
}

//! The recording span as OpenTelemetry sees it.
//!
//! A `LiveSpan` is placed in the [`opentelemetry::Context`] it starts, so code
//! using the plain OpenTelemetry API (`get_active_span`, propagators, other
//! libraries) finds it as the current span, can add events and attributes to
//! it, and parents its own spans on it. It ends once: explicitly when the
//! traced call returns, or when the last context holding it is dropped.

use crate::limits::truncate_value;
use crate::provider::ProviderInner;
use opentelemetry::trace::{Event, Link, SpanContext, SpanId, SpanKind, Status};
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use std::borrow::Cow;
use std::time::SystemTime;

/// What a span records until it ends.
pub(crate) struct Record {
    pub(crate) parent_span_id: SpanId,
    pub(crate) parent_is_remote: bool,
    pub(crate) kind: SpanKind,
    pub(crate) name: Cow<'static, str>,
    pub(crate) start: SystemTime,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) dropped_attributes: u32,
    pub(crate) events: SpanEvents,
    pub(crate) links: SpanLinks,
    pub(crate) status: Status,
}

pub(crate) struct LiveSpan {
    pub(crate) span_context: SpanContext,
    pub(crate) provider: &'static ProviderInner,
    /// `None` once ended.
    pub(crate) record: Option<Record>,
}

impl LiveSpan {
    fn finish(&mut self, end: SystemTime) {
        let Some(mut r) = self.record.take() else { return };
        let limits = &self.provider.limits;
        if let Some(max) = limits.attribute_value_length {
            for kv in &mut r.attributes {
                truncate_value(&mut kv.value, max as usize);
            }
        }
        self.provider.dispatch(SpanData {
            span_context: self.span_context.clone(),
            parent_span_id: r.parent_span_id,
            parent_span_is_remote: r.parent_is_remote,
            span_kind: r.kind,
            name: r.name,
            start_time: r.start,
            end_time: end.max(r.start),
            attributes: r.attributes,
            dropped_attributes_count: r.dropped_attributes,
            events: r.events,
            links: r.links,
            status: r.status,
            instrumentation_scope: self.provider.scope.clone(),
        });
    }
}

impl Record {
    /// Sets an attribute, replacing one with the same key, within the limit.
    pub(crate) fn set_attribute(&mut self, kv: KeyValue, limit: u32) {
        if let Some(existing) = self.attributes.iter_mut().find(|e| e.key == kv.key) {
            *existing = kv;
        } else if self.attributes.len() < limit as usize {
            self.attributes.push(kv);
        } else {
            self.dropped_attributes += 1;
        }
    }
}

fn cap_attributes(mut attributes: Vec<KeyValue>, limit: u32) -> (Vec<KeyValue>, u32) {
    let limit = limit as usize;
    let dropped = attributes.len().saturating_sub(limit) as u32;
    attributes.truncate(limit);
    (attributes, dropped)
}

impl opentelemetry::trace::Span for LiveSpan {
    fn add_event_with_timestamp<T>(&mut self, name: T, timestamp: SystemTime, attributes: Vec<KeyValue>)
    where
        T: Into<Cow<'static, str>>,
    {
        let limits = self.provider.limits;
        let Some(r) = self.record.as_mut() else { return };
        if r.events.events.len() >= limits.event_count as usize {
            r.events.dropped_count += 1;
            return;
        }
        let (attributes, dropped) = cap_attributes(attributes, limits.event_attribute_count);
        r.events.events.push(Event::new(name, timestamp, attributes, dropped));
    }

    fn span_context(&self) -> &SpanContext {
        &self.span_context
    }

    fn is_recording(&self) -> bool {
        self.record.is_some()
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        let limit = self.provider.limits.attribute_count;
        if let Some(r) = self.record.as_mut() {
            r.set_attribute(attribute, limit);
        }
    }

    fn set_status(&mut self, status: Status) {
        if let Some(r) = self.record.as_mut() {
            // Ok is final; Error beats Unset (the API's ordering).
            if status > r.status {
                r.status = status;
            }
        }
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<Cow<'static, str>>,
    {
        if let Some(r) = self.record.as_mut() {
            r.name = new_name.into();
        }
    }

    fn add_link(&mut self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        let limits = self.provider.limits;
        let Some(r) = self.record.as_mut() else { return };
        if !span_context.is_valid() {
            return;
        }
        if r.links.links.len() >= limits.link_count as usize {
            r.links.dropped_count += 1;
            return;
        }
        let (attributes, dropped) = cap_attributes(attributes, limits.link_attribute_count);
        r.links.links.push(Link::new(span_context, attributes, dropped));
    }

    fn end_with_timestamp(&mut self, timestamp: SystemTime) {
        self.finish(timestamp);
    }
}

impl Drop for LiveSpan {
    fn drop(&mut self) {
        if self.record.is_some() {
            self.finish(opentelemetry::time::now());
        }
    }
}

//! What a span records while it runs, and the finished span handed to
//! processors. Converting to the SDK's `SpanData` happens in the export
//! thread, not on the thread that ended the span.

use super::callsite::Kind;
use crate::clock::Clock;
use crate::limits::{truncate_value, SpanLimits};
use crate::provider::ProviderInner;
use opentelemetry::trace::{Event, Link, SpanContext, SpanId, Status, TraceContextExt};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use std::borrow::Cow;
use std::time::SystemTime;

/// A span's attributes: the first four inline, so most spans allocate
/// nothing for them on the thread that records them (memory allocated there
/// and freed by the export thread is what makes allocators slow).
pub type Attributes = smallvec::SmallVec<[KeyValue; 4]>;

/// A recording span's data; lives inline in its [`super::ActiveSpan`] and
/// moves into the export buffer when it ends, so it is kept small: times are
/// raw clock readings (converted in the export thread), and what most spans
/// never have (events, links, a status) sits behind one lazily made box.
#[derive(Debug)]
pub(crate) struct SpanRecord {
    /// The span's ids and flags; its `tracestate` too unless `state_cx`
    /// holds it (see there).
    pub(crate) span_context: SpanContext,
    /// The span's own context when its `tracestate` is not empty. The
    /// members are copied member by member, so rather than a second copy
    /// for the record, `span_context` holds an empty state and export
    /// reads it from here (a reference count). Read the full span context
    /// through [`SpanRecord::with_span_context`].
    pub(crate) state_cx: Option<opentelemetry::Context>,
    pub(crate) parent_span_id: SpanId,
    pub(crate) name: Cow<'static, str>,
    pub(crate) attributes: Attributes,
    pub(crate) start: minstant::Instant,
    pub(crate) end: minstant::Instant,
    pub(crate) provider: &'static ProviderInner,
    pub(crate) extras: Option<Box<Extras>>,
    pub(crate) dropped_attributes: u32,
    pub(crate) parent_is_remote: bool,
    pub(crate) kind: Kind,
}

/// The rarely used parts of a span.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    events: SpanEvents,
    links: SpanLinks,
    status: Status,
}

impl SpanRecord {
    /// Calls `f` with the span's context, `tracestate` included.
    #[inline]
    pub(crate) fn with_span_context<R>(&self, f: impl FnOnce(&SpanContext) -> R) -> R {
        match &self.state_cx {
            Some(cx) => f(cx.span().span_context()),
            None => f(&self.span_context),
        }
    }

    fn limits(&self) -> &'static SpanLimits {
        &self.provider.limits
    }

    fn extras(&mut self) -> &mut Extras {
        self.extras.get_or_insert_with(Box::default)
    }

    /// Sets an attribute, replacing one with the same key, within the limit.
    pub(crate) fn set_attribute(&mut self, kv: KeyValue) {
        if let Some(existing) = self.attributes.iter_mut().find(|e| e.key == kv.key) {
            *existing = kv;
        } else if self.attributes.len() < self.limits().attribute_count as usize {
            self.attributes.push(kv);
        } else {
            self.dropped_attributes += 1;
        }
    }

    pub(crate) fn add_event(&mut self, name: Cow<'static, str>, timestamp: SystemTime, mut attributes: Vec<KeyValue>) {
        let limits = self.limits();
        let events = &mut self.extras().events;
        if events.events.len() >= limits.event_count as usize {
            events.dropped_count += 1;
            return;
        }
        let limit = limits.event_attribute_count as usize;
        let dropped = attributes.len().saturating_sub(limit) as u32;
        attributes.truncate(limit);
        events.events.push(Event::new(name, timestamp, attributes, dropped));
    }

    pub(crate) fn add_link(&mut self, span_context: SpanContext, mut attributes: Vec<KeyValue>) {
        if !span_context.is_valid() {
            return;
        }
        let limits = self.limits();
        let links = &mut self.extras().links;
        if links.links.len() >= limits.link_count as usize {
            links.dropped_count += 1;
            return;
        }
        let limit = limits.link_attribute_count as usize;
        let dropped = attributes.len().saturating_sub(limit) as u32;
        attributes.truncate(limit);
        links.links.push(Link::new(span_context, attributes, dropped));
    }

    /// Adds to the dropped counts what was past the limits before it reached
    /// the record (see `current_span`).
    pub(crate) fn add_dropped(&mut self, attributes: u32, events: u32, links: u32) {
        self.dropped_attributes += attributes;
        if events + links > 0 {
            let extras = self.extras();
            extras.events.dropped_count += events;
            extras.links.dropped_count += links;
        }
    }

    /// Ok is final; Error beats Unset (the API's ordering).
    pub(crate) fn set_status(&mut self, status: Status) {
        if status > Status::Unset {
            let current = &mut self.extras().status;
            if status > *current {
                *current = status;
            }
        }
    }

    /// Events, links and status, for encoders reading the record in place.
    #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
    pub(crate) fn extras_parts(&self) -> (Option<&SpanEvents>, Option<&SpanLinks>, &Status) {
        static UNSET: Status = Status::Unset;
        match &self.extras {
            Some(e) => (Some(&e.events), Some(&e.links), &e.status),
            None => (None, None, &UNSET),
        }
    }

    /// Events and status, for redaction in place (`None`: the span has none).
    pub(crate) fn events_and_status_mut(&mut self) -> Option<(&mut SpanEvents, &mut Status)> {
        self.extras.as_mut().map(|e| (&mut e.events, &mut e.status))
    }

    /// Longest attribute value, in characters, the provider allows.
    #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
    pub(crate) fn value_length_limit(&self) -> Option<usize> {
        self.limits().attribute_value_length.map(|l| l as usize)
    }

    /// Unix nanoseconds of the start and end.
    #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
    pub(crate) fn unix_nanos(&self, anchors: &mut AnchorCache) -> (u64, u64) {
        let anchor = anchors.anchor_for(self.provider);
        let start = self.start.as_unix_nanos(&anchor);
        (start, self.end.as_unix_nanos(&anchor).max(start))
    }

    fn into_span_data(self, anchor: &minstant::Anchor) -> SpanData {
        let start_time = Clock::system_time(self.start, anchor);
        let end_time = Clock::system_time(self.end, anchor).max(start_time);
        let limits = self.limits();
        let Extras { events, links, status } = self.extras.map(|e| *e).unwrap_or_default();
        let span_context = match self.state_cx {
            Some(cx) => cx.span().span_context().clone(),
            None => self.span_context,
        };
        limited(
            SpanData {
                span_context,
                parent_span_id: self.parent_span_id,
                parent_span_is_remote: self.parent_is_remote,
                span_kind: self.kind.to_span_kind(),
                name: self.name,
                start_time,
                end_time,
                attributes: self.attributes.into_vec(),
                dropped_attributes_count: self.dropped_attributes,
                events,
                links,
                status,
                instrumentation_scope: self.provider.scope.clone(),
            },
            limits,
        )
    }

    /// The exporters' form as a copy, the record left as it is: what the
    /// copy allocates is allocated and freed on the export thread, and the
    /// record goes back to be dropped on the thread that made it.
    fn to_span_data(&self, anchor: &minstant::Anchor) -> SpanData {
        let start_time = Clock::system_time(self.start, anchor);
        let end_time = Clock::system_time(self.end, anchor).max(start_time);
        let (events, links, status) = match &self.extras {
            Some(e) => (e.events.clone(), e.links.clone(), e.status.clone()),
            None => Default::default(),
        };
        limited(
            SpanData {
                span_context: self.with_span_context(SpanContext::clone),
                parent_span_id: self.parent_span_id,
                parent_span_is_remote: self.parent_is_remote,
                span_kind: self.kind.to_span_kind(),
                name: self.name.clone(),
                start_time,
                end_time,
                attributes: self.attributes.to_vec(),
                dropped_attributes_count: self.dropped_attributes,
                events,
                links,
                status,
                instrumentation_scope: self.provider.scope.clone(),
            },
            self.limits(),
        )
    }
}

/// `data` with its attribute values (the span's, its events' and links')
/// cut to the provider's length limit.
fn limited(mut data: SpanData, limits: &SpanLimits) -> SpanData {
    if let Some(max) = limits.attribute_value_length {
        let events = data.events.events.iter_mut().flat_map(|e| e.attributes.iter_mut());
        let links = data.links.links.iter_mut().flat_map(|l| l.attributes.iter_mut());
        for kv in data.attributes.iter_mut().chain(events).chain(links) {
            truncate_value(&mut kv.value, max as usize);
        }
    }
    data
}

/// A span that has ended, on its way to the exporters: one recorded by
/// `traced`, or one made through the `opentelemetry_sdk` tracer bridge.
/// Two words wide, so handing it to processors copies nothing large.
#[derive(Debug)]
pub struct FinishedSpan(Inner);

#[derive(Debug)]
enum Inner {
    Traced(Box<SpanRecord>),
    Sdk(Box<SpanData>),
}

/// A finished span as a batch buffer keeps it: the record itself, so the
/// box is freed by the thread that made it (a free on the export thread
/// would send every next allocation of the recording thread down the
/// allocator's slow path).
// The large variant is the common one, by design; the rare one is boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Buffered {
    Traced(SpanRecord),
    Sdk(Box<SpanData>),
}

impl FinishedSpan {
    pub(crate) fn traced(record: Box<SpanRecord>) -> Self {
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
            Inner::Traced(r) => {
                let anchor = r.provider.clock.anchor();
                super::record_pool::unboxed(r).into_span_data(&anchor)
            }
            Inner::Sdk(d) => *d,
        }
    }

    /// Appends the span to a batch chunk, the record copied once.
    #[inline(always)]
    pub(crate) fn push_to(self, chunk: &mut Vec<Buffered>) {
        match self.0 {
            Inner::Traced(r) => super::record_pool::push_unboxed(r, chunk),
            Inner::Sdk(d) => chunk.push(Buffered::Sdk(d)),
        }
    }
}

/// The clock anchor of the last provider seen, so that many spans convert
/// their times with one anchor reading.
#[derive(Default)]
pub(crate) struct AnchorCache(Option<(*const ProviderInner, minstant::Anchor)>);

impl AnchorCache {
    fn anchor_for(&mut self, provider: &'static ProviderInner) -> minstant::Anchor {
        let key: *const ProviderInner = provider;
        match self.0 {
            Some((p, a)) if std::ptr::eq(p, key) => a,
            _ => {
                let a = provider.clock.anchor();
                self.0 = Some((key, a));
                a
            }
        }
    }
}

impl Buffered {
    /// The exporters' form, converting many spans with one clock anchor.
    pub(crate) fn into_span_data_cached(self, cache: &mut AnchorCache) -> SpanData {
        match self {
            Buffered::Traced(r) => {
                let anchor = cache.anchor_for(r.provider);
                r.into_span_data(&anchor)
            }
            Buffered::Sdk(d) => *d,
        }
    }

    /// True when dropping the span frees memory: its events, links or
    /// status, its `tracestate`, a name or attributes made at run time. Attribute text cannot
    /// be told from a `&'static str`, so any counts.
    pub(crate) fn owns_memory(&self) -> bool {
        match self {
            Buffered::Traced(r) => {
                r.extras.is_some()
                    || r.state_cx.is_some()
                    || matches!(r.name, Cow::Owned(_))
                    || r.attributes.spilled()
                    || r.attributes.iter().any(|kv| matches!(kv.value, Value::String(_) | Value::Array(_)))
            }
            Buffered::Sdk(_) => true,
        }
    }

    /// The exporters' form as a copy, converting many spans with one clock
    /// anchor (see [`SpanRecord::to_span_data`]).
    pub(crate) fn to_span_data_cached(&self, cache: &mut AnchorCache) -> SpanData {
        match self {
            Buffered::Traced(r) => {
                let anchor = cache.anchor_for(r.provider);
                r.to_span_data(&anchor)
            }
            Buffered::Sdk(d) => (**d).clone(),
        }
    }
}

impl From<SpanData> for FinishedSpan {
    fn from(data: SpanData) -> Self {
        FinishedSpan(Inner::Sdk(Box::new(data)))
    }
}

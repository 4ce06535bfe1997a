//! `tracing` spans and events in `traced`'s trace (feature `tracing`).
//!
//! [`layer`] is a `tracing_subscriber::Layer`: add it to the registry next
//! to `fmt` and the filters you already have. Every `tracing` span it lets
//! through becomes a `traced` span in the same tree as the `#[traced]` ones,
//! in both directions: an `#[instrument]` function called inside a
//! `#[traced]` one is its child, and a `#[traced]` function called inside an
//! `#[instrument]` span is that span's child. Events inside a span become
//! span events.
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//! use traced_integrations::tracing_bridge;
//!
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_bridge::layer())
//!     .with(tracing_bridge::fmt_layer());
//! tracing::subscriber::with_default(subscriber, || {
//!     let _span = tracing::info_span!("load_user", user.id = 42).entered();
//!     tracing::info!(rows = 1, "loaded");
//! });
//! ```
//!
//! # What becomes what
//! - **Spans.** The name is the span's name, or its `otel.name` field; the
//!   kind comes from `otel.kind` (`server`, `client`, `producer`,
//!   `consumer`; default internal); `otel.status_code` (`ok`, `error`) and
//!   `otel.status_message` set the status. Other fields are attributes,
//!   typed as `tracing-opentelemetry` types them (integers, floats,
//!   booleans, strings, `Debug` for the rest), plus `level`. Fields recorded
//!   later with `Span::record` are added (and `otel.name` renames).
//! - **When.** A span starts at its first enter (or when its context is
//!   first needed), timed from its creation, and ends when it closes. One
//!   dropped without ever being entered is still recorded.
//! - **Events.** An event inside a span (a bridged one or a `#[traced]`
//!   one) becomes a span event named by its message, its fields as
//!   attributes plus `level` and `target`. The span's event limit
//!   (`OTEL_SPAN_EVENT_COUNT_LIMIT`) applies; what is past it is counted in
//!   the span's dropped events. An ERROR event does not make the span an
//!   error unless [`TracedLayer::error_events_set_status`] asks for it.
//!   Events outside any span are counted ([`stats`]).
//! - **Context.** Entering a bridged span makes its context current, so
//!   `traced::current_span()`, OpenTelemetry code and propagation see it;
//!   `.instrument(span)` futures carry it across threads and polls.
//!   [`TracedSpanExt`] gives a span's context and sets its parent from an
//!   extracted one.
//!
//! # Which spans
//! [`layer`] bridges spans and events at INFO and above. Use
//! [`layer_with`] and a [`Targets`] filter of your own to keep a noisy
//! library out (`Targets::new().with_default(Level::INFO).with_target("h2",
//! LevelFilter::OFF)`). Filtering happens per callsite in
//! `tracing-subscriber`: an excluded span costs nothing here, and `fmt` and
//! other layers still see it.

mod ext;
mod fields;
mod format;
mod span;
mod stats;

pub use ext::TracedSpanExt;
pub use format::{fmt_layer, fmt_layer_json, TraceIdFormat};
pub use stats::{stats, BridgeStats};
pub use tracing_subscriber::filter::Targets;

use ext::WithBridge;
use fields::{EventVisitor, SpanFields, SpanVisitor, Typed};
use opentelemetry::trace::{Status, TraceContextExt};
use opentelemetry::{Context, KeyValue};
use span::BridgeSpan;
use std::any::TypeId;
use std::borrow::Cow;
use std::cell::RefCell;
use std::marker::PhantomData;
use traced_core::span::{AttachGuard, Attributes};
use tracing_core::span::{Attributes as SpanAttributes, Id, Record};
use tracing_core::{Dispatch, Event, Level, Subscriber};
use tracing_subscriber::filter::Filtered;
use tracing_subscriber::layer::{Context as LayerContext, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The bridge layer with the default filter: INFO and above.
pub fn layer<S>() -> Filtered<TracedLayer<S>, Targets, S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    layer_with(Targets::new().with_default(Level::INFO))
}

/// The bridge layer with a filter of yours: only what it enables is bridged.
pub fn layer_with<S>(filter: Targets) -> Filtered<TracedLayer<S>, Targets, S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    TracedLayer::new().with_filter(filter)
}

/// Bridges `tracing` spans and events into `traced` spans; see the module
/// documentation. Unfiltered: wrap it with a filter ([`layer`] does).
pub struct TracedLayer<S> {
    error_events_set_status: bool,
    with_bridge: WithBridge,
    _subscriber: PhantomData<fn(S)>,
}

impl<S> std::fmt::Debug for TracedLayer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracedLayer").field("error_events_set_status", &self.error_events_set_status).finish()
    }
}

impl<S> Default for TracedLayer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<S> TracedLayer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    /// A layer bridging everything it sees.
    pub fn new() -> Self {
        TracedLayer {
            error_events_set_status: false,
            with_bridge: WithBridge(with_bridge::<S>),
            _subscriber: PhantomData,
        }
    }

    /// With `true`, an ERROR-level event sets its span's status to Error
    /// (the event's message as the description). Off by default: a logged
    /// error is often handled, and the span's status is the function's.
    pub fn error_events_set_status(mut self, on: bool) -> Self {
        self.error_events_set_status = on;
        self
    }
}

fn with_bridge<S>(dispatch: &Dispatch, id: &Id, f: &mut dyn FnMut(&mut BridgeSpan))
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(subscriber) = dispatch.downcast_ref::<S>() else { return };
    let Some(span) = subscriber.span(id) else { return };
    let mut extensions = span.extensions_mut();
    if let Some(bridge) = extensions.get_mut::<BridgeSpan>() {
        f(bridge);
    }
}

thread_local! {
    /// The bridged spans entered on this thread, innermost last, with the
    /// guards that keep them current.
    static ENTERED: RefCell<Vec<(Id, AttachGuard)>> = const { RefCell::new(Vec::new()) };
}

impl<S> TracedLayer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    /// The context a new span with an explicit parent starts under: that
    /// parent's, or its nearest bridged ancestor's.
    fn explicit_parent(&self, parent: &Id, ctx: &LayerContext<'_, S>) -> Option<Context> {
        let span = ctx.span(parent)?;
        for ancestor in span.scope() {
            let mut extensions = ancestor.extensions_mut();
            if let Some(bridge) = extensions.get_mut::<BridgeSpan>() {
                return Some(bridge.context());
            }
        }
        None
    }
}

impl<S> Layer<S> for TracedLayer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &SpanAttributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let parent = if attrs.is_root() {
            Context::new()
        } else if let Some(parent) = attrs.parent() {
            self.explicit_parent(parent, &ctx).unwrap_or_else(Context::current)
        } else {
            // The innermost span running on this thread, bridged or
            // `#[traced]`: entering a bridged span makes its context current.
            Context::current()
        };
        let metadata = attrs.metadata();
        let mut attributes = Attributes::new();
        let mut fields = SpanFields::default();
        attrs.record(&mut Typed(SpanVisitor { attributes: &mut attributes, fields: &mut fields }));
        attributes.push(KeyValue::new("level", metadata.level().as_str()));
        span.extensions_mut().insert(BridgeSpan::new(metadata.name(), attributes, fields, parent));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(bridge) = extensions.get_mut::<BridgeSpan>() {
            bridge.record(values);
        }
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: LayerContext<'_, S>) {
        let Some(to) = self.explicit_parent(follows, &ctx) else { return };
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(bridge) = extensions.get_mut::<BridgeSpan>() {
            bridge.add_link(to.span().span_context().clone());
        }
    }

    fn on_enter(&self, id: &Id, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        let Some(guard) = extensions.get_mut::<BridgeSpan>().and_then(BridgeSpan::started).map(|s| s.attach()) else {
            return;
        };
        ENTERED.with(|e| e.borrow_mut().push((id.clone(), guard)));
    }

    fn on_exit(&self, id: &Id, ctx: LayerContext<'_, S>) {
        let guard = ENTERED.with(|e| {
            let mut entered = e.borrow_mut();
            let i = entered.iter().rposition(|(entered, _)| entered == id)?;
            Some(entered.remove(i))
        });
        // The guard is dropped outside the borrow: dropping a context may
        // run code that enters spans.
        drop(guard);
        // What `current_span()` queued for the span while it ran here is
        // applied now (it lives on this thread); mostly there is nothing.
        if traced_core::span::nothing_pending() {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(active) = extensions.get_mut::<BridgeSpan>().and_then(BridgeSpan::started) {
            active.apply_pending();
        }
    }

    fn on_close(&self, id: Id, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let bridge = span.extensions_mut().remove::<BridgeSpan>();
        if let Some(mut bridge) = bridge {
            bridge.end();
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: LayerContext<'_, S>) {
        let metadata = event.metadata();
        let mut visitor = Typed(EventVisitor::default());
        event.record(&mut visitor);
        let mut visitor = visitor.0;
        let name: Cow<'static, str> = match visitor.message.take() {
            Some(message) => Cow::Owned(message),
            None => Cow::Borrowed(metadata.name()),
        };
        let mut attributes = visitor.attributes;
        attributes.push(KeyValue::new("level", metadata.level().as_str()));
        attributes.push(KeyValue::new("target", metadata.target()));
        let status = (self.error_events_set_status && *metadata.level() == Level::ERROR)
            .then(|| Status::error(name.clone().into_owned()));
        if let Some(parent) = event.parent() {
            // `info!(parent: &span, ..)`: that span, wherever it runs.
            if let Some(span) = ctx.span(parent) {
                for ancestor in span.scope() {
                    let mut extensions = ancestor.extensions_mut();
                    if let Some(bridge) = extensions.get_mut::<BridgeSpan>() {
                        bridge.add_event(name, attributes, status);
                        return;
                    }
                }
            }
            stats::event_outside_spans();
            return;
        }
        if event.is_root() {
            stats::event_outside_spans();
            return;
        }
        // The innermost span running here, bridged or `#[traced]`.
        let current = traced_core::current_span();
        if !current.span_context().is_valid() {
            stats::event_outside_spans();
            return;
        }
        current.add_event(name, attributes);
        if let Some(status) = status {
            current.set_status(status);
        }
    }

    // Lets `TracedSpanExt` find the bridge from a `Dispatch` (the pattern
    // `tracing-subscriber` provides for this; the trait method is unsafe).
    #[allow(unsafe_code)]
    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            Some(self as *const Self as *const ())
        } else if id == TypeId::of::<WithBridge>() {
            Some(&self.with_bridge as *const WithBridge as *const ())
        } else {
            None
        }
    }
}

//! The `traced` span behind one `tracing` span. It starts lazily: at the
//! first enter, or when a child, an event or a caller needs its context.
//! Until then its parent can still be changed (`set_parent` on a span just
//! made, before it is entered: the pattern of a server that extracts the
//! caller's context after creating its request span), and it is timed from
//! when it was created either way.

use super::fields::{SpanFields, SpanVisitor, StatusFields, Typed};
use super::stats;
use opentelemetry::trace::{Link, SpanContext, Status, TraceContextExt};
use opentelemetry::{Context, KeyValue};
use std::borrow::Cow;
use traced_core::span::{ActiveSpan, Attributes, Kind, SpanStart, StartTime};
use tracing_core::span::Record;

/// A bridged span, kept in the `tracing` span's extensions.
#[derive(Debug)]
pub(super) struct BridgeSpan {
    state: State,
    /// Applied when the span ends: the fields may come in either order.
    status: StatusFields,
}

// The state lives in the extension's one heap allocation; boxing the
// pending variant would add an allocation to every span.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum State {
    Pending(Pending),
    Started(ActiveSpan),
    Ended,
}

/// What a span is made of, before it starts.
#[derive(Debug)]
struct Pending {
    name: Cow<'static, str>,
    kind: Kind,
    attributes: Attributes,
    links: Vec<Link>,
    parent: Context,
    created: StartTime,
}

impl BridgeSpan {
    pub(super) fn new(name: &'static str, attributes: Attributes, fields: SpanFields, parent: Context) -> BridgeSpan {
        let pending = Pending {
            name: fields.name.unwrap_or(Cow::Borrowed(name)),
            kind: fields.kind.unwrap_or(Kind::Internal),
            attributes,
            links: Vec::new(),
            parent,
            created: StartTime::now(),
        };
        BridgeSpan { state: State::Pending(pending), status: fields.status }
    }

    /// The span, started now if it was not yet.
    pub(super) fn started(&mut self) -> Option<&mut ActiveSpan> {
        if let State::Pending(_) = self.state {
            let State::Pending(p) = std::mem::replace(&mut self.state, State::Ended) else { unreachable!() };
            let Pending { name, kind, attributes, links, parent, created } = p;
            let capacity = attributes.len();
            let span = ActiveSpan::start_with_time(
                SpanStart {
                    name,
                    kind,
                    attributes: move |a: &mut Attributes| a.extend(attributes),
                    attribute_capacity: capacity,
                    links: move || links,
                    skip_unsampled_child: kind == Kind::Internal,
                    parent: Some(&parent),
                },
                created,
            );
            if span.is_recording() {
                stats::opened();
            }
            self.state = State::Started(span);
        }
        match &mut self.state {
            State::Started(span) => Some(span),
            _ => None,
        }
    }

    /// The context children and propagation see: the span's own, or the
    /// parent it carries when no span was made.
    pub(super) fn context(&mut self) -> Context {
        self.started().and_then(|s| s.context().cloned()).unwrap_or_default()
    }

    /// The span's context when it has started (no side effect: for readers
    /// such as the log formatter).
    pub(super) fn span_context(&self) -> Option<SpanContext> {
        match &self.state {
            State::Started(span) => span.context().map(|cx| cx.span().span_context().clone()),
            _ => None,
        }
    }

    /// Changes the parent of a span that has not started. Once it has (its
    /// context may have reached children or other services), the new
    /// parent becomes a link, and that is counted.
    pub(super) fn set_parent(&mut self, cx: &Context) -> bool {
        match &mut self.state {
            State::Pending(p) => {
                p.parent = cx.clone();
                true
            }
            State::Started(span) => {
                let linked = cx.span().span_context().clone();
                span.add_link(linked, Vec::new());
                stats::late_parent();
                false
            }
            State::Ended => false,
        }
    }

    /// Adds a link (`Span::follows_from`).
    pub(super) fn add_link(&mut self, to: SpanContext) {
        match &mut self.state {
            State::Pending(p) => p.links.push(Link::with_context(to)),
            State::Started(span) => span.add_link(to, Vec::new()),
            State::Ended => {}
        }
    }

    /// Fields recorded after creation (`Span::record`).
    pub(super) fn record(&mut self, values: &Record<'_>) {
        match &mut self.state {
            State::Pending(p) => {
                let mut fields = SpanFields::default();
                values.record(&mut Typed(SpanVisitor { attributes: &mut p.attributes, fields: &mut fields }));
                if let Some(name) = fields.name.take() {
                    p.name = name;
                }
                if let Some(kind) = fields.kind {
                    p.kind = kind;
                }
                self.status.merge(fields.status);
            }
            State::Started(span) => {
                let mut attributes = Attributes::new();
                let mut fields = SpanFields::default();
                values.record(&mut Typed(SpanVisitor { attributes: &mut attributes, fields: &mut fields }));
                for kv in attributes {
                    span.set_attribute(kv);
                }
                if let Some(name) = fields.name.take() {
                    span.set_name(name);
                }
                self.status.merge(fields.status);
            }
            State::Ended => {}
        }
    }

    /// Adds an event to the span (started for it if need be).
    pub(super) fn add_event(&mut self, name: Cow<'static, str>, attributes: Vec<KeyValue>, status: Option<Status>) {
        if let Some(span) = self.started() {
            span.add_event(name, attributes);
            if let Some(status) = status {
                span.set_status(status);
            }
        }
    }

    /// Ends the span (starting it first if it never was: a span dropped
    /// without being entered is still recorded, timed from its creation).
    pub(super) fn end(&mut self) {
        let status = self.status.status();
        if let Some(span) = self.started() {
            if span.is_recording() {
                stats::closed();
            }
            if let Some(status) = status {
                span.set_status(status);
            }
            span.end();
        }
        self.state = State::Ended;
    }
}

//! Recording on "the current span" from code that does not hold the span
//! handle: [`current_span`] and `record!`.
//!
//! A `#[traced]` span's data lives in its guard (or its future), not in the
//! `opentelemetry::Context`, so that starting a span costs one context
//! allocation and no lock. Code deeper in the call stack reaches it through
//! this module: the running spans of this thread are kept on a small stack,
//! and operations on the current one are queued here, then applied by the
//! span itself when its scope (or its future's poll) ends. When the current
//! span is an ordinary OpenTelemetry SDK span, operations go straight to it.

use super::error::Failure;
use super::record::SpanRecord;
use crate::limits::SpanLimits;
use opentelemetry::trace::{SpanContext, SpanId, Status, TraceContextExt};
use opentelemetry::{Context, KeyValue};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::time::SystemTime;

enum Op {
    Attribute(KeyValue),
    Event(Cow<'static, str>, SystemTime, Vec<KeyValue>),
    Status(Status),
    Link(SpanContext, Vec<KeyValue>),
    /// Attributes, events and links beyond the span's limits, counted as
    /// the span's dropped counts (one entry per span, added up).
    Dropped {
        attributes: u32,
        events: u32,
        links: u32,
    },
}

/// A recording span running on this thread, with the limits that bound
/// what may be queued for it.
struct Running {
    id: SpanId,
    limits: &'static SpanLimits,
}

thread_local! {
    /// The recording `traced` spans running on this thread, innermost last.
    static RUNNING: RefCell<Vec<Running>> = const { RefCell::new(Vec::new()) };
    /// Operations waiting for their span to collect them. Bounded per span
    /// by its limits: an attribute replaces a queued one with its key, and
    /// what is past a limit is only counted.
    static PENDING: RefCell<Vec<(SpanId, Op)>> = const { RefCell::new(Vec::new()) };
    /// Whether anything is queued in `PENDING`: checked at every span's end,
    /// and cheaper to read than the queue (no destructor to register).
    static ANY_PENDING: Cell<bool> = const { Cell::new(false) };
}

/// Marks a span as running on this thread until dropped.
#[derive(Debug)]
pub(crate) struct RunningMark {
    _not_send: PhantomData<*const ()>,
}

impl RunningMark {
    #[inline]
    pub(crate) fn push(span_id: SpanId, limits: &'static SpanLimits) -> Self {
        RUNNING.with(|r| r.borrow_mut().push(Running { id: span_id, limits }));
        RunningMark { _not_send: PhantomData }
    }
}

impl Drop for RunningMark {
    #[inline]
    fn drop(&mut self) {
        RUNNING.with(|r| r.borrow_mut().pop());
    }
}

/// A running mark removed by span id, for scopes that may end out of
/// order (a subscriber's enter and exit are separate calls).
#[derive(Debug)]
pub(crate) struct UnorderedMark {
    id: SpanId,
    _not_send: PhantomData<*const ()>,
}

impl UnorderedMark {
    pub(crate) fn push(span_id: SpanId, limits: &'static SpanLimits) -> Self {
        RUNNING.with(|r| r.borrow_mut().push(Running { id: span_id, limits }));
        UnorderedMark { id: span_id, _not_send: PhantomData }
    }
}

impl Drop for UnorderedMark {
    fn drop(&mut self) {
        RUNNING.with(|r| {
            let mut r = r.borrow_mut();
            if let Some(i) = r.iter().rposition(|running| running.id == self.id) {
                r.remove(i);
            }
        });
    }
}

/// True when no operation is queued on this thread for any span: a bridge
/// whose scopes end apart from their spans can skip looking its span up to
/// apply them.
#[inline]
pub fn nothing_pending() -> bool {
    !ANY_PENDING.with(Cell::get)
}

/// Applies the operations queued for `record`'s span.
#[inline]
pub(crate) fn collect_pending(record: &mut SpanRecord) {
    if nothing_pending() {
        return;
    }
    let id = record.span_context.span_id();
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        let mut i = 0;
        while i < p.len() {
            if p[i].0 == id {
                match p.remove(i).1 {
                    Op::Attribute(kv) => record.set_attribute(kv),
                    Op::Event(name, ts, attrs) => record.add_event(name, ts, attrs),
                    Op::Status(s) => record.set_status(s),
                    Op::Link(sc, attrs) => record.add_link(sc, attrs),
                    Op::Dropped { attributes, events, links } => record.add_dropped(attributes, events, links),
                }
            } else {
                i += 1;
            }
        }
        ANY_PENDING.with(|any| any.set(!p.is_empty()));
    });
}

/// Queues `op` for the running span `span`, within its limits.
fn queue(span: &Running, op: Op) {
    // Every path below leaves the queue non-empty.
    ANY_PENDING.with(|any| any.set(true));
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        let mine = || p.iter().filter(|(id, _)| *id == span.id);
        let (mut attributes, mut events, mut links) = (0u32, 0u32, 0u32);
        for (_, queued) in mine() {
            match queued {
                Op::Attribute(_) => attributes += 1,
                Op::Event(..) => events += 1,
                Op::Link(..) => links += 1,
                _ => {}
            }
        }
        let over = match &op {
            Op::Attribute(kv) => {
                let same_key =
                    p.iter_mut().find(|(id, q)| *id == span.id && matches!(q, Op::Attribute(a) if a.key == kv.key));
                if let Some((_, queued)) = same_key {
                    *queued = op;
                    return;
                }
                (attributes >= span.limits.attribute_count).then_some((1, 0, 0))
            }
            Op::Event(..) => (events >= span.limits.event_count).then_some((0, 1, 0)),
            Op::Link(..) => (links >= span.limits.link_count).then_some((0, 0, 1)),
            // The span keeps the highest status it is given (Ok over Error
            // over Unset), so one queued status, the highest, says the same.
            Op::Status(status) => {
                let queued = p.iter_mut().find(|(id, q)| *id == span.id && matches!(q, Op::Status(_)));
                if let Some((_, Op::Status(queued))) = queued {
                    if *status > *queued {
                        *queued = status.clone();
                    }
                    return;
                }
                None
            }
            Op::Dropped { .. } => None,
        };
        let Some((a, e, l)) = over else {
            p.push((span.id, op));
            return;
        };
        let dropped = p.iter_mut().find_map(|(id, q)| match q {
            Op::Dropped { attributes, events, links } if *id == span.id => Some((attributes, events, links)),
            _ => None,
        });
        match dropped {
            Some((attributes, events, links)) => {
                *attributes += a;
                *events += e;
                *links += l;
            }
            None => p.push((span.id, Op::Dropped { attributes: a, events: e, links: l })),
        }
    });
}

/// The span current on this thread, for recording on it.
///
/// ```
/// use opentelemetry::KeyValue;
/// traced_core::span::current_span().set_attribute(KeyValue::new("cache.hit", true));
/// ```
pub fn current_span() -> CurrentSpan {
    CurrentSpan { _not_send: PhantomData }
}

/// A handle on the current span; see [`current_span`]. Operations do
/// nothing when no span is recording.
#[derive(Debug, Clone, Copy)]
pub struct CurrentSpan {
    _not_send: PhantomData<*const ()>,
}

impl CurrentSpan {
    fn apply(&self, op: Op) {
        Context::map_current(|cx| {
            let span = cx.span();
            if span.is_recording() {
                // An SDK span: it records for itself.
                match op {
                    Op::Attribute(kv) => span.set_attribute(kv),
                    Op::Event(name, ts, attrs) => span.add_event_with_timestamp(name, ts, attrs),
                    Op::Status(s) => span.set_status(s),
                    Op::Link(sc, attrs) => span.add_link(sc, attrs),
                    Op::Dropped { .. } => {}
                }
                return;
            }
            let id = span.span_context().span_id();
            RUNNING.with(|r| match r.borrow().last() {
                Some(running) if running.id == id => queue(running, op),
                _ => {}
            });
        });
    }

    /// The current span's context (invalid when there is none).
    pub fn span_context(&self) -> SpanContext {
        Context::map_current(|cx| cx.span().span_context().clone())
    }

    /// True when the current span records (a `traced` span running on this
    /// thread, or a recording SDK span).
    pub fn is_recording(&self) -> bool {
        Context::map_current(|cx| {
            let span = cx.span();
            span.is_recording()
                || RUNNING.with(|r| r.borrow().last().map(|r| r.id) == Some(span.span_context().span_id()))
        })
    }

    /// Sets an attribute (replacing one with the same key).
    pub fn set_attribute(&self, kv: KeyValue) {
        self.apply(Op::Attribute(kv));
    }

    /// Adds an event, timestamped now.
    pub fn add_event(&self, name: impl Into<Cow<'static, str>>, attributes: Vec<KeyValue>) {
        self.apply(Op::Event(name.into(), SystemTime::now(), attributes));
    }

    /// Sets the status (Ok is final; Error beats Unset).
    pub fn set_status(&self, status: Status) {
        self.apply(Op::Status(status));
    }

    /// Adds a link to another span.
    pub fn add_link(&self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        self.apply(Op::Link(span_context, attributes));
    }

    /// Records an error as `#[traced]` does for a returned `Err`: status
    /// Error, `error.type`, and an `exception` event with the `source()` chain.
    pub fn record_error<E: std::error::Error + ?Sized>(&self, err: &E) {
        let parts = Failure::from_error(std::any::type_name::<E>(), &ErrorRef(err)).into_parts(true);
        self.set_attribute(parts.error_type);
        if let Some((name, attrs)) = parts.event {
            self.add_event(name, attrs);
        }
        self.set_status(parts.status);
    }
}

/// Lets an unsized error be walked as `&dyn Error`.
struct ErrorRef<'a, E: ?Sized>(&'a E);

impl<E: std::error::Error + ?Sized> std::fmt::Debug for ErrorRef<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}
impl<E: std::error::Error + ?Sized> std::fmt::Display for ErrorRef<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.0, f)
    }
}
impl<E: std::error::Error + ?Sized> std::error::Error for ErrorRef<'_, E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

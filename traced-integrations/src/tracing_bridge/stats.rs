//! What the bridge counts: what it could not put in a trace, and what it
//! could not do as asked.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

static EVENTS_OUTSIDE_SPANS: AtomicU64 = AtomicU64::new(0);
static LATE_PARENTS: AtomicU64 = AtomicU64::new(0);
static OPEN_SPANS: AtomicI64 = AtomicI64::new(0);

/// The bridge's counters, process-wide.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BridgeStats {
    /// `tracing` events seen outside any span: no trace to put them in.
    pub events_outside_spans: u64,
    /// `set_parent` calls on spans that had already started: the new parent
    /// became a link instead (see [`super::TracedSpanExt::set_parent`]).
    pub late_parents: u64,
    /// Recorded spans started and not yet closed. A count that only grows
    /// points at `tracing` spans that are never dropped (held in a
    /// long-lived value): they are never exported.
    pub open_spans: i64,
}

/// The counters now.
pub fn stats() -> BridgeStats {
    BridgeStats {
        events_outside_spans: EVENTS_OUTSIDE_SPANS.load(Ordering::Relaxed),
        late_parents: LATE_PARENTS.load(Ordering::Relaxed),
        open_spans: OPEN_SPANS.load(Ordering::Relaxed),
    }
}

pub(super) fn event_outside_spans() {
    EVENTS_OUTSIDE_SPANS.fetch_add(1, Ordering::Relaxed);
}

pub(super) fn late_parent() {
    LATE_PARENTS.fetch_add(1, Ordering::Relaxed);
}

pub(super) fn opened() {
    OPEN_SPANS.fetch_add(1, Ordering::Relaxed);
}

pub(super) fn closed() {
    OPEN_SPANS.fetch_sub(1, Ordering::Relaxed);
}

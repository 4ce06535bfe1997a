//! In-process tail sampling: decide whether to keep a trace once its local
//! part has ended, knowing whether it failed and how long it took.
//!
//! With tail sampling on, every span is recorded (a head decision to drop
//! becomes "record, unsampled"), and the export thread holds each trace's
//! spans until the *local root* ends: the span with no parent, or whose
//! parent is in another process. The fragment is then kept if any span has
//! status Error, or the local root took longer than the latency threshold,
//! and otherwise by ratio (the consistent probability decision on the trace
//! id, so processes using the same ratio agree).
//!
//! What it cannot see: only this process's part of the trace. The head
//! decision already went out with every outgoing call (the sampled flag),
//! so a trace kept here for its error may be missing downstream (where the
//! head said drop), and a trace dropped here may be kept elsewhere.
//!
//! Memory is bounded: at most `max_traces` fragments of at most
//! `max_spans_per_trace` spans, each held at most `max_wait`. When a bound
//! is hit, that fragment is decided by the head result (each span's sampled
//! flag) and the event is counted in [`TailStats`].

use crate::diagnostics;
use crate::probability::{randomness, threshold};
use opentelemetry::trace::{SpanContext, Status, TraceId, TraceState};
use opentelemetry_sdk::trace::SpanData;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Tail-sampling settings; give them to `builder().tail_sampling(..)`.
/// Set through the methods, which name what they set, as every builder in
/// `traced` does.
#[derive(Debug, Clone)]
pub struct TailSampling {
    /// Share of traces kept that neither failed nor were slow (0.1).
    pub(crate) keep_ratio: f64,
    /// A local root slower than this is kept (500 ms).
    pub(crate) latency_threshold: Duration,
    /// Most trace fragments held at once (10,000).
    pub(crate) max_traces: usize,
    /// Most spans held for one trace (1,000).
    pub(crate) max_spans_per_trace: usize,
    /// Longest a fragment is held waiting for its root (30 s).
    pub(crate) max_wait: Duration,
    counters: Arc<Counters>,
}

impl Default for TailSampling {
    fn default() -> Self {
        TailSampling {
            keep_ratio: 0.1,
            latency_threshold: Duration::from_millis(500),
            max_traces: 10_000,
            max_spans_per_trace: 1_000,
            max_wait: Duration::from_secs(30),
            counters: Arc::default(),
        }
    }
}

impl TailSampling {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keep this share of ordinary traces.
    pub fn keep_ratio(mut self, ratio: f64) -> Self {
        self.keep_ratio = ratio;
        self
    }

    /// Keep every trace whose local root took longer than this.
    pub fn latency_threshold(mut self, threshold: Duration) -> Self {
        self.latency_threshold = threshold;
        self
    }

    /// Most trace fragments held at once (at least 1).
    pub fn max_traces(mut self, max: usize) -> Self {
        self.max_traces = max.max(1);
        self
    }

    /// Most spans held for one trace (at least 1).
    pub fn max_spans_per_trace(mut self, max: usize) -> Self {
        self.max_spans_per_trace = max.max(1);
        self
    }

    /// Longest a fragment is held waiting for its root.
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// Bounds: fragments held, spans per fragment, and wait per fragment.
    pub fn bounds(mut self, max_traces: usize, max_spans_per_trace: usize, max_wait: Duration) -> Self {
        self.max_traces = max_traces.max(1);
        self.max_spans_per_trace = max_spans_per_trace.max(1);
        self.max_wait = max_wait;
        self
    }

    /// What the sampler has done so far (shared by clones of this value).
    pub fn stats(&self) -> TailStats {
        self.counters.snapshot()
    }
}

/// Counts of tail-sampling decisions, in traces (fragments) unless named
/// otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TailStats {
    /// Kept because a span had status Error.
    pub kept_error: u64,
    /// Kept because the local root was slower than the threshold.
    pub kept_slow: u64,
    /// Kept by ratio.
    pub kept_ratio: u64,
    /// Dropped by the tail decision.
    pub dropped: u64,
    /// Decided by the head result because `max_traces` fragments were held.
    pub fallback_max_traces: u64,
    /// Decided by the head result because a fragment reached `max_spans_per_trace`.
    pub fallback_max_spans: u64,
    /// Decided by the head result because a fragment waited `max_wait`.
    pub fallback_max_wait: u64,
    /// Decided by the head result at a flush or shutdown.
    pub fallback_flush: u64,
    /// Spans that ended after their trace was decided (they follow it).
    pub late_spans: u64,
    /// Spans held now.
    pub held_spans: u64,
    /// Most spans held at once.
    pub peak_held_spans: u64,
}

#[derive(Debug, Default)]
struct Counters {
    kept_error: AtomicU64,
    kept_slow: AtomicU64,
    kept_ratio: AtomicU64,
    dropped: AtomicU64,
    fallback_max_traces: AtomicU64,
    fallback_max_spans: AtomicU64,
    fallback_max_wait: AtomicU64,
    fallback_flush: AtomicU64,
    late_spans: AtomicU64,
    held_spans: AtomicU64,
    peak_held_spans: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> TailStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        TailStats {
            kept_error: get(&self.kept_error),
            kept_slow: get(&self.kept_slow),
            kept_ratio: get(&self.kept_ratio),
            dropped: get(&self.dropped),
            fallback_max_traces: get(&self.fallback_max_traces),
            fallback_max_spans: get(&self.fallback_max_spans),
            fallback_max_wait: get(&self.fallback_max_wait),
            fallback_flush: get(&self.fallback_flush),
            late_spans: get(&self.late_spans),
            held_spans: get(&self.held_spans),
            peak_held_spans: get(&self.peak_held_spans),
        }
    }
}

/// How a decided trace's later spans are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Keep,
    Drop,
    /// Each span by its own sampled flag.
    Head,
}

/// Why a fragment was decided by the head result.
#[derive(Debug, Clone, Copy)]
enum Fallback {
    MaxTraces,
    MaxSpans,
    MaxWait,
    Flush,
}

struct Fragment {
    spans: Vec<SpanData>,
    failed: bool,
}

/// The sampler's state, owned by the export thread (no locks).
pub(crate) struct TailSampler {
    config: TailSampling,
    ratio_threshold: u64,
    held: HashMap<TraceId, Fragment>,
    /// Fragments by arrival, oldest first (entries of decided traces are
    /// skipped when reached).
    arrivals: VecDeque<(TraceId, Instant)>,
    /// Recent verdicts, for spans that end after their trace was decided.
    decided: HashMap<TraceId, Verdict>,
    decided_order: VecDeque<TraceId>,
    held_spans: usize,
}

impl TailSampler {
    pub(crate) fn new(config: TailSampling) -> Self {
        TailSampler {
            ratio_threshold: threshold(config.keep_ratio),
            config,
            held: HashMap::new(),
            arrivals: VecDeque::new(),
            decided: HashMap::new(),
            decided_order: VecDeque::new(),
            held_spans: 0,
        }
    }

    /// Takes a batch of ended spans; returns those whose traces are decided
    /// and kept.
    pub(crate) fn filter(&mut self, batch: Vec<SpanData>, now: Instant) -> Vec<SpanData> {
        let mut out = Vec::new();
        for span in batch {
            let trace_id = span.span_context.trace_id();
            if let Some(verdict) = self.decided.get(&trace_id).copied() {
                self.config.counters.late_spans.fetch_add(1, Ordering::Relaxed);
                emit(&mut out, span, verdict);
                continue;
            }
            let is_local_root =
                span.parent_span_id == opentelemetry::trace::SpanId::INVALID || span.parent_span_is_remote;
            let fragment = match self.held.get_mut(&trace_id) {
                Some(fragment) => fragment,
                None => {
                    self.arrivals.push_back((trace_id, now));
                    self.held.entry(trace_id).or_insert(Fragment { spans: Vec::new(), failed: false })
                }
            };
            fragment.failed |= matches!(span.status, Status::Error { .. });
            if is_local_root {
                let slow =
                    span.end_time.duration_since(span.start_time).unwrap_or_default() > self.config.latency_threshold;
                fragment.spans.push(span);
                self.held_spans += 1;
                let Some(fragment) = self.held.remove(&trace_id) else { continue };
                let verdict = self.decide(trace_id, &fragment, slow);
                self.release(&mut out, trace_id, fragment, verdict);
            } else if fragment.spans.len() >= self.config.max_spans_per_trace {
                self.fallback(&mut out, trace_id, Fallback::MaxSpans);
                emit(&mut out, span, Verdict::Head);
            } else {
                fragment.spans.push(span);
                self.held_spans += 1;
            }
            self.note_held();
        }
        while self.held.len() > self.config.max_traces {
            let Some((oldest, _)) = self.arrivals.pop_front() else { break };
            if self.held.contains_key(&oldest) {
                self.fallback(&mut out, oldest, Fallback::MaxTraces);
            }
        }
        out.extend(self.expire(now));
        self.note_held();
        out
    }

    /// Fragments held longer than `max_wait`, decided by the head result.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<SpanData> {
        let mut out = Vec::new();
        while let Some(&(trace_id, since)) = self.arrivals.front() {
            if !self.held.contains_key(&trace_id) {
                self.arrivals.pop_front();
                continue;
            }
            if now.saturating_duration_since(since) < self.config.max_wait {
                break;
            }
            self.arrivals.pop_front();
            self.fallback(&mut out, trace_id, Fallback::MaxWait);
        }
        self.note_held();
        out
    }

    /// Everything held, decided by the head result (flush and shutdown).
    pub(crate) fn drain(&mut self) -> Vec<SpanData> {
        let mut out = Vec::new();
        let held: Vec<TraceId> = self.held.keys().copied().collect();
        for trace_id in held {
            self.fallback(&mut out, trace_id, Fallback::Flush);
        }
        self.arrivals.clear();
        self.note_held();
        out
    }

    fn decide(&self, trace_id: TraceId, fragment: &Fragment, slow: bool) -> Verdict {
        let counters = &self.config.counters;
        let counter = if fragment.failed {
            &counters.kept_error
        } else if slow {
            &counters.kept_slow
        } else if randomness(trace_id, &TraceState::NONE) >= self.ratio_threshold {
            &counters.kept_ratio
        } else {
            counters.dropped.fetch_add(1, Ordering::Relaxed);
            return Verdict::Drop;
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Verdict::Keep
    }

    fn fallback(&mut self, out: &mut Vec<SpanData>, trace_id: TraceId, why: Fallback) {
        let Some(fragment) = self.held.remove(&trace_id) else { return };
        let counters = &self.config.counters;
        let counter = match why {
            Fallback::MaxTraces => &counters.fallback_max_traces,
            Fallback::MaxSpans => &counters.fallback_max_spans,
            Fallback::MaxWait => &counters.fallback_max_wait,
            Fallback::Flush => &counters.fallback_flush,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if !matches!(why, Fallback::Flush) {
            diagnostics::warn_once(diagnostics::Once::TailFallback, || {
                format!(
                    "tail sampling: a bound was hit ({why:?}); deciding by the head result (further cases are counted)"
                )
            });
        }
        self.release(out, trace_id, fragment, Verdict::Head);
    }

    fn release(&mut self, out: &mut Vec<SpanData>, trace_id: TraceId, fragment: Fragment, verdict: Verdict) {
        self.held_spans -= fragment.spans.len();
        for span in fragment.spans {
            emit(out, span, verdict);
        }
        self.decided.insert(trace_id, verdict);
        self.decided_order.push_back(trace_id);
        while self.decided_order.len() > self.config.max_traces {
            if let Some(old) = self.decided_order.pop_front() {
                self.decided.remove(&old);
            }
        }
    }

    fn note_held(&self) {
        let counters = &self.config.counters;
        let held = self.held_spans as u64;
        counters.held_spans.store(held, Ordering::Relaxed);
        counters.peak_held_spans.fetch_max(held, Ordering::Relaxed);
    }
}

/// Adds `span` to `out` if `verdict` keeps it; a kept span is exported as
/// sampled.
fn emit(out: &mut Vec<SpanData>, mut span: SpanData, verdict: Verdict) {
    let keep = match verdict {
        Verdict::Keep => true,
        Verdict::Drop => false,
        Verdict::Head => span.span_context.is_sampled(),
    };
    if !keep {
        return;
    }
    if !span.span_context.is_sampled() {
        let cx = &span.span_context;
        span.span_context = SpanContext::new(
            cx.trace_id(),
            cx.span_id(),
            cx.trace_flags().with_sampled(true),
            cx.is_remote(),
            cx.trace_state().clone(),
        );
    }
    out.push(span);
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanId, SpanKind, TraceFlags};
    use opentelemetry::InstrumentationScope;
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
    use rand::{RngCore, SeedableRng};
    use std::time::UNIX_EPOCH;

    fn span(trace: u128, id: u64, parent: u64, millis: u64, error: bool, sampled: bool) -> SpanData {
        let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
        SpanData {
            span_context: SpanContext::new(TraceId::from(trace), SpanId::from(id), flags, false, TraceState::NONE),
            parent_span_id: SpanId::from(parent),
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: "op".into(),
            start_time: start,
            end_time: start + Duration::from_millis(millis),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: if error { Status::error("boom") } else { Status::Unset },
            instrumentation_scope: InstrumentationScope::builder("t").build(),
        }
    }

    /// A trace: two children (one possibly failed) ending before the root.
    fn trace(trace: u128, root_millis: u64, error: bool) -> Vec<SpanData> {
        vec![
            span(trace, 2, 1, 1, error, false),
            span(trace, 3, 1, 1, false, false),
            span(trace, 1, 0, root_millis, false, false),
        ]
    }

    fn seeded(seed: u64) -> impl FnMut() -> u128 {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
        move || ((rng.next_u64() as u128) << 64) | rng.next_u64() as u128
    }

    #[test]
    fn errors_and_slow_traces_are_always_kept_the_rest_by_ratio() {
        let tail = TailSampling::new().keep_ratio(0.1).latency_threshold(Duration::from_millis(100));
        let mut sampler = TailSampler::new(tail.clone());
        let mut next_id = seeded(3);
        let now = Instant::now();
        let (mut errors_kept, mut slow_kept, mut plain_kept) = (0, 0, 0);
        for i in 0..100_000u32 {
            let (millis, error) = match i % 10 {
                0 => (5, true),
                1 => (250, false),
                _ => (5, false),
            };
            let out = sampler.filter(trace(next_id(), millis, error), now);
            assert!(out.is_empty() || out.len() == 3, "a fragment is kept or dropped whole");
            assert!(out.iter().all(|s| s.span_context.is_sampled()), "kept spans are exported as sampled");
            match (i % 10, out.is_empty()) {
                (0, false) => errors_kept += 1,
                (1, false) => slow_kept += 1,
                (2.., false) => plain_kept += 1,
                _ => {}
            }
        }
        assert_eq!(errors_kept, 10_000, "every failed trace");
        assert_eq!(slow_kept, 10_000, "every slow trace");
        // 80,000 ordinary traces at 10 %: 8,000 within five deviations.
        assert!((7_580..=8_420).contains(&plain_kept), "kept {plain_kept} ordinary traces");
        let stats = tail.stats();
        assert_eq!((stats.kept_error, stats.kept_slow, stats.kept_ratio), (10_000, 10_000, plain_kept));
        assert_eq!(stats.held_spans, 0);
    }

    #[test]
    fn late_spans_follow_their_trace_and_remote_parents_are_roots() {
        let tail = TailSampling::new().keep_ratio(0.0);
        let mut sampler = TailSampler::new(tail.clone());
        let now = Instant::now();
        // A server span (remote parent) is the local root.
        let mut server = span(9, 5, 4, 1, true, false);
        server.parent_span_is_remote = true;
        assert_eq!(sampler.filter(vec![span(9, 6, 5, 1, false, false), server], now).len(), 2);
        // A detached task ending after its root: kept with its trace.
        assert_eq!(sampler.filter(vec![span(9, 7, 6, 1, false, false)], now).len(), 1);
        assert_eq!(tail.stats().late_spans, 1);
    }

    #[test]
    fn bounds_hold_under_a_million_spans() {
        let tail = TailSampling::new().keep_ratio(0.5).bounds(100, 50, Duration::from_secs(30));
        let mut sampler = TailSampler::new(tail.clone());
        let mut next_id = seeded(5);
        let now = Instant::now();
        let mut spans_in = 0u64;
        let mut spans_out = 0u64;
        // Traces whose roots never end here (so fragments pile up), some of
        // them huge; half head-sampled.
        while spans_in < 1_000_000 {
            let trace_id = next_id();
            let size = if trace_id % 7 == 0 { 400 } else { 20 };
            let sampled = trace_id % 2 == 0;
            let batch: Vec<_> = (0..size).map(|i| span(trace_id, i + 2, 1, 1, false, sampled)).collect();
            spans_in += size;
            spans_out += sampler.filter(batch, now).len() as u64;
        }
        spans_out += sampler.drain().len() as u64;
        let stats = tail.stats();
        assert!(stats.peak_held_spans <= 100 * 50, "peak {}", stats.peak_held_spans);
        assert!(stats.fallback_max_traces > 0 && stats.fallback_max_spans > 0, "{stats:?}");
        // By the head result: the sampled half, whole.
        let share = spans_out as f64 / spans_in as f64;
        assert!((0.45..=0.55).contains(&share), "exported {spans_out} of {spans_in}");
        assert_eq!(stats.held_spans, 0);
    }

    #[test]
    fn fragments_waiting_too_long_go_by_the_head_result() {
        let tail = TailSampling::new().bounds(10, 10, Duration::from_secs(1));
        let mut sampler = TailSampler::new(tail.clone());
        let t0 = Instant::now();
        assert!(sampler.filter(vec![span(1, 2, 1, 1, false, true), span(2, 2, 1, 1, false, false)], t0).is_empty());
        assert!(sampler.expire(t0 + Duration::from_millis(500)).is_empty());
        let expired = sampler.expire(t0 + Duration::from_secs(2));
        assert_eq!(expired.len(), 1, "only the head-sampled one");
        assert_eq!(tail.stats().fallback_max_wait, 2);
    }
}

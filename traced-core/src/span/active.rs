//! Starting spans: the hot path every `#[traced]` call and integration takes.
//!
//! Order of work, cheapest rejection first: is any provider installed (one
//! relaxed load); is the parent an unsampled span under a parent-based sampler
//! (then nothing is created: the parent's context stays current); only then
//! ids, clock, attributes and the new context.

use super::callsite::{Callsite, Kind};
use super::current::{collect_pending, RunningMark, UnorderedMark};
use super::error::{record_panic, Failure};
use super::record::{Attributes, FinishedSpan, SpanRecord};
use crate::ids::{new_span_id, RANDOM_FLAG};
use crate::provider::{resolve, ProviderInner, ScopedProvider};
use crate::sampler::{Decision, SampleInput, Sampler};
use opentelemetry::trace::{Link, SpanContext, SpanId, Status, TraceContextExt, TraceFlags, TraceState};
use opentelemetry::{Context, KeyValue};
use std::borrow::Cow;
use std::time::SystemTime;

/// Everything needed to start a span besides its parent.
pub struct SpanStart<'a, A, L> {
    /// Span name.
    pub name: Cow<'static, str>,
    /// Span kind.
    pub kind: Kind,
    /// Fills the initial attributes; called only if the span is recorded
    /// (or a custom sampler needs them).
    pub attributes: A,
    /// Expected number of attributes, to size the vector once.
    pub attribute_capacity: usize,
    /// Links, called only if the span is recorded.
    pub links: L,
    /// Under an unsampled parent, create no span at all and keep the parent
    /// current (true for internal spans). Transports set it false: every
    /// outgoing call carries its own span id even when not sampled.
    pub skip_unsampled_child: bool,
    /// Parent context; `None` means the current context.
    pub parent: Option<&'a Context>,
}

/// A started span, not yet current anywhere. Ends on [`ActiveSpan::end`] or
/// drop. `Send`, so it can travel inside a future.
///
/// The span's data lives here, inline; the [`Context`] it carries holds only
/// the span's ids, so that OpenTelemetry code sees it as the parent.
#[derive(Debug, Default)]
pub struct ActiveSpan {
    /// The context this span runs in (its own, or a parent's that it carries).
    cx: Option<Context>,
    /// The recording, while the span is recorded and not yet ended. Boxed:
    /// the handle moves through several frames, and a large inline record
    /// would be copied each time (unrecorded spans would pay for it too).
    record: Option<Box<SpanRecord>>,
    provider: Option<&'static ProviderInner>,
}

impl ActiveSpan {
    /// A handle that records nothing.
    #[inline]
    pub const fn none() -> Self {
        ActiveSpan { cx: None, record: None, provider: None }
    }

    /// Starts a span named `name` for a call site, under the current context.
    #[inline]
    pub fn start(
        callsite: &'static Callsite,
        name: &'static str,
        attribute_capacity: usize,
        attributes: impl FnOnce(&mut Attributes),
        links: impl FnOnce() -> Vec<Link>,
    ) -> Self {
        Self::try_start_at(callsite, name, attribute_capacity, attributes, links).unwrap_or_default()
    }

    /// [`Self::start`], `None` when no span is made.
    #[inline]
    pub(crate) fn try_start_at(
        callsite: &'static Callsite,
        name: &'static str,
        attribute_capacity: usize,
        attributes: impl FnOnce(&mut Attributes),
        links: impl FnOnce() -> Vec<Link>,
    ) -> Option<Self> {
        Self::try_start(SpanStart {
            name: Cow::Borrowed(name),
            kind: callsite.kind(),
            attributes,
            attribute_capacity,
            links,
            skip_unsampled_child: true,
            parent: None,
        })
    }

    /// Starts a span for a call site whose future may be polled elsewhere:
    /// when no span is created, the caller's context is still carried so the
    /// future's children see it as parent.
    #[inline]
    pub fn start_carrying(
        callsite: &'static Callsite,
        name: &'static str,
        attribute_capacity: usize,
        attributes: impl FnOnce(&mut Attributes),
        links: impl FnOnce() -> Vec<Link>,
    ) -> Self {
        let span = Self::start(callsite, name, attribute_capacity, attributes, links);
        if span.cx.is_some() || !crate::provider::any_installed() {
            return span;
        }
        ActiveSpan { cx: Some(Context::current()), record: None, provider: None }
    }

    /// Starts a span from its parts. When no span is made (nothing
    /// installed, `OTEL_SDK_DISABLED`, a shut-down provider) and a `parent`
    /// was given, the handle carries that parent instead: entering it makes
    /// the caller's context current, so the work still propagates the
    /// caller's trace.
    #[inline]
    pub fn start_with<A, L>(start: SpanStart<'_, A, L>) -> Self
    where
        A: FnOnce(&mut Attributes),
        L: FnOnce() -> Vec<Link>,
    {
        let parent = start.parent;
        match Self::try_start(start) {
            Some(span) => span,
            None => ActiveSpan { cx: parent.cloned(), record: None, provider: None },
        }
    }

    /// Starts a span from its parts; `None` (nothing to end or drop) when
    /// no span is made.
    #[inline]
    pub(crate) fn try_start<A, L>(start: SpanStart<'_, A, L>) -> Option<Self>
    where
        A: FnOnce(&mut Attributes),
        L: FnOnce() -> Vec<Link>,
    {
        Self::try_start_timed(start, None)
    }

    /// [`Self::start_with`], timed from `at` rather than now: for a span
    /// started lazily, after the moment it stands for began (a `tracing`
    /// span starts at its first enter and is timed from its creation).
    pub fn start_with_time<A, L>(start: SpanStart<'_, A, L>, at: StartTime) -> Self
    where
        A: FnOnce(&mut Attributes),
        L: FnOnce() -> Vec<Link>,
    {
        let parent = start.parent;
        match Self::try_start_timed(start, Some(at.0)) {
            Some(span) => span,
            None => ActiveSpan { cx: parent.cloned(), record: None, provider: None },
        }
    }

    #[inline]
    fn try_start_timed<A, L>(start: SpanStart<'_, A, L>, at: Option<minstant::Instant>) -> Option<Self>
    where
        A: FnOnce(&mut Attributes),
        L: FnOnce() -> Vec<Link>,
    {
        // Reject cheaply before anything is built or moved; with nothing
        // installed, before even reading the current context.
        if !crate::provider::any_installed() {
            return None;
        }
        let skip = start.skip_unsampled_child;
        let given = start.parent;
        // One look at the current context for both the check and the span.
        let made = |parent: &Context| {
            let (provider, scoped) = precheck(parent, skip)?;
            let (cx, record) = create_span(parent, provider, scoped, start, at);
            Some(ActiveSpan { cx: Some(cx), record, provider: Some(provider) })
        };
        match given {
            Some(parent) => made(parent),
            None => Context::map_current(made),
        }
    }

    /// The context to make current while the span's work runs, if any.
    #[inline]
    pub fn context(&self) -> Option<&Context> {
        self.cx.as_ref()
    }

    /// Makes the span's context current until the guard drops (for work
    /// done synchronously on the span's behalf, such as building a future).
    #[inline]
    pub fn enter_context(&self) -> Option<opentelemetry::ContextGuard> {
        self.cx.as_ref().map(|cx| cx.clone().attach())
    }

    /// Makes the span current on this thread until the returned scope drops:
    /// its context is attached (OpenTelemetry code and propagation see it as
    /// the parent) and [`super::current_span`] and `record!` reach it. What
    /// they recorded is applied to the span when the scope ends. Enter once
    /// per poll for work that runs in several steps.
    #[inline]
    pub fn enter(&mut self) -> SpanScope<'_> {
        let running = self.running_mark();
        let attached = self.cx.clone().map(Context::attach);
        SpanScope { span: self, _running: running, _attached: attached }
    }

    /// Makes the span current on this thread until the returned guard
    /// drops, like [`Self::enter`] but without borrowing the span: for a
    /// caller whose "enter" and "exit" are separate calls (a `tracing`
    /// subscriber layer). Guards may drop in any order. What
    /// [`super::current_span`] queued meanwhile is applied by
    /// [`Self::apply_pending`], which the caller runs after the guard drops.
    pub fn attach(&self) -> AttachGuard {
        AttachGuard {
            _running: self.record.as_ref().map(|r| UnorderedMark::push(r.span_context.span_id(), &r.provider.limits)),
            _attached: self.cx.clone().map(Context::attach),
        }
    }

    /// Applies what [`super::current_span`] queued for this span on this
    /// thread (see [`Self::attach`]).
    pub fn apply_pending(&mut self) {
        self.collect_pending();
    }

    /// Renames the span (a name known only after it started).
    pub fn set_name(&mut self, name: impl Into<Cow<'static, str>>) {
        if let Some(r) = &mut self.record {
            r.name = name.into();
        }
    }

    /// The mark that lets [`super::current_span`] reach this span while it
    /// runs on this thread; `None` when it does not record.
    #[inline]
    pub(crate) fn running_mark(&self) -> Option<RunningMark> {
        self.record.as_ref().map(|r| RunningMark::push(r.span_context.span_id(), &r.provider.limits))
    }

    /// The span's context (invalid when no span was created).
    pub fn span_context(&self) -> SpanContext {
        self.with_span_context(SpanContext::clone)
    }

    /// Calls `f` with the span's context (invalid when no span was
    /// created), without the copy [`Self::span_context`] makes: a trace
    /// carrying a `tracestate` copies each of its members.
    #[inline]
    pub fn with_span_context<R>(&self, f: impl FnOnce(&SpanContext) -> R) -> R {
        match (&self.record, &self.cx, self.provider) {
            (Some(r), _, _) => r.with_span_context(f),
            (None, Some(cx), Some(_)) => f(cx.span().span_context()),
            _ => f(&SpanContext::NONE),
        }
    }

    /// Gives the context away (to attach it) when nothing else needs it.
    #[inline]
    pub(crate) fn take_context(&mut self) -> Option<Context> {
        self.cx.take()
    }

    /// True when a span (recorded or not) was created.
    #[inline]
    pub(crate) fn has_span(&self) -> bool {
        self.provider.is_some()
    }

    /// True while this handle records a span.
    #[inline]
    pub fn is_recording(&self) -> bool {
        self.record.is_some()
    }

    /// Sets an attribute (replacing one with the same key).
    pub fn set_attribute(&mut self, kv: KeyValue) {
        if let Some(r) = &mut self.record {
            r.set_attribute(kv);
        }
    }

    /// Adds an event, timestamped now.
    pub fn add_event(&mut self, name: impl Into<Cow<'static, str>>, attributes: Vec<KeyValue>) {
        if let Some(r) = &mut self.record {
            r.add_event(name.into(), SystemTime::now(), attributes);
        }
    }

    /// Adds a link to another span (an invalid context is ignored).
    pub fn add_link(&mut self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        if let Some(r) = &mut self.record {
            r.add_link(span_context, attributes);
        }
    }

    /// Sets the status (Ok is final; Error beats Unset).
    pub fn set_status(&mut self, status: Status) {
        if let Some(r) = &mut self.record {
            r.set_status(status);
        }
    }

    /// Records an error: status Error, `error.type` = `type_name`, and if
    /// `event` an `exception` event with the message and `source()` chain.
    pub fn record_error(&mut self, type_name: &'static str, err: &dyn std::error::Error, event: bool) {
        if let Some(r) = &mut self.record {
            Failure::from_error(type_name, err).record(r, event);
        }
    }

    /// Records an error that is not a `std::error::Error`, by its message.
    pub fn record_error_message(&mut self, type_name: &'static str, message: String, event: bool) {
        if let Some(r) = &mut self.record {
            Failure { type_name, message, sources: Vec::new() }.record(r, event);
        }
    }

    /// Records the panic unwinding through this thread.
    pub fn record_panic(&mut self) {
        if let Some(r) = &mut self.record {
            record_panic(r);
        }
    }

    /// Applies what [`super::current_span`] queued for this span on this thread.
    #[inline]
    pub(crate) fn collect_pending(&mut self) {
        if let Some(r) = &mut self.record {
            collect_pending(r);
        }
    }

    /// Ends the span now. Later calls do nothing.
    #[inline]
    pub fn end(&mut self) {
        if let (Some(mut record), Some(provider)) = (self.record.take(), self.provider) {
            collect_pending(&mut record);
            record.end = minstant::Instant::now();
            provider.dispatch(FinishedSpan::traced(record));
        }
    }

    /// Ends the span, recording a panic if the thread is unwinding.
    #[inline]
    pub(crate) fn end_checking_panic(&mut self) {
        if self.record.is_some() && std::thread::panicking() {
            self.record_panic();
        }
        self.end();
    }
}

impl Drop for ActiveSpan {
    fn drop(&mut self) {
        self.end_checking_panic();
    }
}

type Started = (Context, Option<Box<SpanRecord>>);

/// True when the current context's span is unsampled and every installed
/// provider makes no span under such a parent: the commonest rejection,
/// checked inline by callers so that it costs no call.
#[inline]
pub(crate) fn under_skipped_parent() -> bool {
    crate::provider::all_skip_unsampled_children() && Context::map_current(has_unsampled_span)
}

/// Whether a span started now, under the current context, can be made:
/// false when no provider is installed, or (with `skip_unsampled_child`)
/// when the current span is unsampled and every installed provider makes no
/// span under such a parent. For an integration whose span needs work
/// before it starts (an SQL statement's summary for its name), to skip
/// that work where [`ActiveSpan::start_with`] would make nothing anyway.
/// `true` is no promise: a sampler may still drop the span.
#[inline]
pub fn may_start(skip_unsampled_child: bool) -> bool {
    crate::provider::any_installed() && !(skip_unsampled_child && under_skipped_parent())
}

/// True when `cx` holds a valid span that is not sampled (and, when remote,
/// did not leave the decision to us).
#[inline]
fn has_unsampled_span(cx: &Context) -> bool {
    let span = cx.span();
    let parent = span.span_context();
    // Sampled and deferred bits in one test.
    const DECIDES: u8 = 0x01 | crate::propagation::DEFERRED_BIT;
    parent.is_valid() && parent.trace_flags().to_u8() & DECIDES == 0
}

/// Whether a span would be made under `parent_cx`, and by which provider.
/// `None` when nothing is installed, the provider is shut down, or (with
/// `skip_unsampled_child`) the parent is unsampled under a parent-based
/// sampler.
#[inline]
fn precheck(parent_cx: &Context, skip_unsampled_child: bool) -> Option<(&'static ProviderInner, bool)> {
    let unsampled_parent = || has_unsampled_span(parent_cx);
    // When every provider skips them, an unsampled parent settles it
    // before any provider is looked up.
    let everyone_skips = crate::provider::all_skip_unsampled_children();
    if skip_unsampled_child && everyone_skips && unsampled_parent() {
        return None;
    }
    let (provider, scoped) = resolve(parent_cx)?;
    if provider.is_shut_down() {
        return None;
    }
    if skip_unsampled_child && !everyone_skips && provider.skips_unsampled_children() && unsampled_parent() {
        return None;
    }
    Some((provider, scoped))
}

/// Makes the span (its context and, when recorded, its record). Kept out of
/// line so the rejections in [`precheck`] stay a small function.
#[inline(never)]
fn create_span<A, L>(
    parent_cx: &Context,
    provider: &'static ProviderInner,
    scoped: bool,
    start: SpanStart<'_, A, L>,
    at: Option<minstant::Instant>,
) -> Started
where
    A: FnOnce(&mut Attributes),
    L: FnOnce() -> Vec<Link>,
{
    let parent_span = parent_cx.span();
    let parent = parent_span.span_context();
    let has_parent = parent.is_valid();
    let follows_parent = provider.sampler.follows_parent();
    let trace_id = if has_parent { parent.trace_id() } else { provider.id_generator.trace_id() };
    // A remote parent that left the decision to us (B3 or X-Ray without a
    // sampling state): decided as a root, in the caller's trace.
    let deferred = has_parent && crate::propagation::is_deferred(parent);
    if !has_parent && provider.claims_traces {
        crate::claims::claim(provider, trace_id);
    }

    let kind = start.kind.to_span_kind();
    // Filled before the decision only for a custom sampler, which may look
    // at them; otherwise in the record itself, and only if it records.
    // Boxed: rare, and a few hundred bytes that would be moved on every span.
    let mut early: Option<Box<(Attributes, Vec<Link>)>> = None;
    let mut fill = Some((start.attributes, start.links));
    let (decision, extra) = if has_parent && follows_parent && !deferred {
        let d = if parent.is_sampled() { Decision::RecordAndSample } else { Decision::Drop };
        (d, None)
    } else {
        if matches!(provider.sampler, Sampler::Custom(_)) {
            let mut attributes = Attributes::new();
            let mut links = Vec::new();
            if let Some((fill_attributes, fill_links)) = fill.take() {
                fill_attributes(&mut attributes);
                links = fill_links();
            }
            let sampled = provider.sampler.decide(&SampleInput {
                parent_cx,
                parent: (has_parent && !deferred).then_some(parent),
                trace_id,
                name: &start.name,
                kind: &kind,
                attributes: &attributes,
                links: &links,
            });
            early = Some(Box::new((attributes, links)));
            (sampled.decision, sampled.extra)
        } else {
            let sampled = provider.sampler.decide(&SampleInput {
                parent_cx,
                parent: (has_parent && !deferred).then_some(parent),
                trace_id,
                name: &start.name,
                kind: &kind,
                attributes: &[],
                links: &[],
            });
            (sampled.decision, sampled.extra)
        }
    };

    // Under tail sampling a head "drop" is only "not sampled yet".
    let decision =
        if decision == Decision::Drop && provider.record_unsampled { Decision::RecordOnly } else { decision };
    let sampled = decision == Decision::RecordAndSample;
    let flags = if has_parent {
        // The deferral was the parent's; our span has decided.
        let inherited = parent.trace_flags().to_u8() & !crate::propagation::DEFERRED_BIT;
        TraceFlags::new(inherited).with_sampled(sampled)
    } else {
        RANDOM_FLAG.with_sampled(sampled)
    };
    let trace_state = match &extra {
        Some(result) => result.trace_state.clone(),
        None if has_parent => parent.trace_state().clone(),
        None => TraceState::NONE,
    };
    let mut span_context = SpanContext::new(trace_id, new_span_id(), flags, false, trace_state);
    // A non-empty state is copied member by member: the context gets it,
    // and the record shares it through the context (`state_cx`).
    let shares_state = *span_context.trace_state() != TraceState::NONE;
    let cx = match shares_state {
        false => parent_cx.with_remote_span_context(span_context.clone()),
        true => context_taking_state(parent_cx, &mut span_context),
    };
    let cx = if scoped { cx.with_value(ScopedProvider(provider)) } else { cx };
    if decision == Decision::Drop {
        return (cx, None);
    }
    let state_cx = shares_state.then(|| cx.clone());
    let start_time = at.unwrap_or_else(minstant::Instant::now);
    // The record goes into a box of this thread's that a finished span left
    // (see `record_pool`), and its attributes are written there in place.
    let slot = super::record_pool::empty_box();
    let mut record = super::record_pool::fill(
        slot,
        SpanRecord {
            span_context,
            state_cx,
            parent_span_id: if has_parent { parent.span_id() } else { SpanId::INVALID },
            name: start.name,
            attributes: Attributes::new(),
            start: start_time,
            end: start_time,
            provider,
            extras: None,
            dropped_attributes: 0,
            parent_is_remote: has_parent && parent.is_remote(),
            kind: start.kind,
        },
    );
    let links = match (fill.take(), early) {
        (Some((fill_attributes, fill_links)), _) => {
            if start.attribute_capacity > record.attributes.inline_size() {
                record.attributes.reserve(start.attribute_capacity);
            }
            fill_attributes(&mut record.attributes);
            fill_links()
        }
        (None, Some(early)) => {
            let (attributes, links) = *early;
            record.attributes = attributes;
            links
        }
        (None, None) => Vec::new(),
    };
    if let Some(result) = extra {
        record.attributes.extend(result.attributes);
    }
    let limit = provider.limits.attribute_count as usize;
    if record.attributes.len() > limit {
        record.dropped_attributes = (record.attributes.len() - limit) as u32;
        record.attributes.truncate(limit);
    }
    // Checked first: consuming even an empty vector costs its drop.
    if !links.is_empty() {
        for link in links {
            record.add_link(link.span_context, link.attributes);
        }
    }
    (cx, Some(record))
}

/// The span's context under `parent_cx`, given `span_context` whole; what
/// is left in `span_context` is its ids and flags with an empty state.
#[cold]
#[inline(never)]
fn context_taking_state(parent_cx: &Context, span_context: &mut SpanContext) -> Context {
    let ids = SpanContext::new(
        span_context.trace_id(),
        span_context.span_id(),
        span_context.trace_flags(),
        false,
        TraceState::NONE,
    );
    parent_cx.with_remote_span_context(std::mem::replace(span_context, ids))
}

/// A moment on the clock spans are timed with, for
/// [`ActiveSpan::start_with_time`].
#[derive(Debug, Clone, Copy)]
pub struct StartTime(minstant::Instant);

impl StartTime {
    /// Now.
    #[inline]
    pub fn now() -> Self {
        StartTime(minstant::Instant::now())
    }
}

/// A span made current by [`ActiveSpan::attach`]; see there.
#[derive(Debug)]
#[must_use = "the span is current only while the guard lives"]
pub struct AttachGuard {
    // Drop order: the running mark, then the context.
    _running: Option<UnorderedMark>,
    _attached: Option<opentelemetry::ContextGuard>,
}

/// A span made current by [`ActiveSpan::enter`]; see there.
#[derive(Debug)]
#[must_use = "the span is current only while the scope lives"]
pub struct SpanScope<'a> {
    // Drop order: `drop` collects what was queued, then the running mark is
    // popped and the context detached.
    span: &'a mut ActiveSpan,
    _running: Option<RunningMark>,
    _attached: Option<opentelemetry::ContextGuard>,
}

impl SpanScope<'_> {
    /// The span, to record on directly.
    pub fn span(&mut self) -> &mut ActiveSpan {
        self.span
    }
}

impl Drop for SpanScope<'_> {
    #[inline]
    fn drop(&mut self) {
        self.span.collect_pending();
    }
}

// A span handle travels inside futures that cross threads.
const _: fn() = || {
    fn is_send<T: Send>() {}
    is_send::<ActiveSpan>();
};

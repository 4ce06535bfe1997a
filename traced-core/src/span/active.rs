//! Starting spans: the hot path every `#[traced]` call and integration takes.
//!
//! Order of work, cheapest rejection first: is any provider installed (one
//! relaxed load); is the parent an unsampled span under a parent-based sampler
//! (then nothing is created: the parent's context stays current); only then
//! ids, clock, attributes and the new context.

use super::callsite::{Callsite, Kind};
use super::error::{record_panic, Failure};
use super::live::{LiveSpan, Record};
use crate::ids::{new_span_id, new_trace_id, RANDOM_FLAG};
use crate::provider::{resolve, ScopedProvider};
use crate::sampler::{Decision, SampleInput, Sampler};
use opentelemetry::trace::{Link, SpanContext, SpanId, TraceContextExt, TraceState};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
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
#[derive(Debug, Default)]
pub struct ActiveSpan {
    /// The context this span runs in (its own, or a parent's that it carries).
    cx: Option<Context>,
    /// Whether `cx` holds a span this handle must end.
    owns_span: bool,
}

impl ActiveSpan {
    /// A handle that records nothing.
    #[inline]
    pub const fn none() -> Self {
        ActiveSpan { cx: None, owns_span: false }
    }

    /// Starts a span for a call site under the current context.
    #[inline]
    pub fn start(callsite: &'static Callsite, attribute_capacity: usize, attributes: impl FnOnce(&mut Vec<KeyValue>)) -> Self {
        Self::start_with(SpanStart {
            name: Cow::Borrowed(callsite.name()),
            kind: callsite.kind(),
            attributes,
            attribute_capacity,
            links: Vec::new,
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
        attribute_capacity: usize,
        attributes: impl FnOnce(&mut Vec<KeyValue>),
        links: impl FnOnce() -> Vec<Link>,
    ) -> Self {
        let span = Self::start_with(SpanStart {
            name: Cow::Borrowed(callsite.name()),
            kind: callsite.kind(),
            attributes,
            attribute_capacity,
            links,
            skip_unsampled_child: true,
            parent: None,
        });
        if span.cx.is_some() || !crate::provider::any_installed() {
            return span;
        }
        ActiveSpan { cx: Some(Context::current()), owns_span: false }
    }

    /// Starts a span from its parts.
    #[inline]
    pub fn start_with<A, L>(start: SpanStart<'_, A, L>) -> Self
    where
        A: FnOnce(&mut Vec<KeyValue>),
        L: FnOnce() -> Vec<Link>,
    {
        let cx = match start.parent {
            Some(parent) => new_context(parent, start),
            None => Context::map_current(|parent| new_context(parent, start)),
        };
        ActiveSpan { owns_span: cx.is_some(), cx }
    }

    /// The context to make current while the span's work runs, if any.
    #[inline]
    pub fn context(&self) -> Option<&Context> {
        self.cx.as_ref()
    }

    /// The span's context (invalid when no span was created).
    pub fn span_context(&self) -> SpanContext {
        match (&self.cx, self.owns_span) {
            (Some(cx), true) => cx.span().span_context().clone(),
            _ => SpanContext::empty_context(),
        }
    }

    /// True when this handle records a span.
    #[inline]
    pub fn is_recording(&self) -> bool {
        self.owns_span && self.cx.as_ref().is_some_and(|cx| cx.span().is_recording())
    }

    /// Runs `f` on the span, if this handle owns a recording one.
    #[inline]
    pub fn with_span(&self, f: impl FnOnce(&opentelemetry::trace::SpanRef<'_>)) {
        if let (Some(cx), true) = (&self.cx, self.owns_span) {
            f(&cx.span());
        }
    }

    /// Sets an attribute.
    pub fn set_attribute(&self, kv: KeyValue) {
        self.with_span(|s| s.set_attribute(kv));
    }

    /// Records an error: status Error, `error.type` = `type_name`, and if
    /// `event` an `exception` event with the message and `source()` chain.
    pub fn record_error(&self, type_name: &str, err: &dyn std::error::Error, event: bool) {
        self.with_span(|s| Failure::from_error(type_name, err).record(s, event));
    }

    /// Records an error that is not a `std::error::Error`, by its message.
    pub fn record_error_message(&self, type_name: &str, message: String, event: bool) {
        self.with_span(|s| Failure { type_name, message, sources: Vec::new() }.record(s, event));
    }

    /// Records the panic unwinding through this thread.
    pub fn record_panic(&self) {
        self.with_span(record_panic);
    }

    /// Ends the span now. Later calls do nothing.
    #[inline]
    pub fn end(&mut self) {
        if self.owns_span {
            self.owns_span = false;
            if let Some(cx) = &self.cx {
                cx.span().end();
            }
        }
    }

    /// Ends the span, recording a panic if the thread is unwinding.
    #[inline]
    pub(crate) fn end_checking_panic(&mut self) {
        if self.owns_span && std::thread::panicking() {
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

/// The context of a new span under `parent`, or `None` when no span is made.
#[inline]
fn new_context<A, L>(parent_cx: &Context, start: SpanStart<'_, A, L>) -> Option<Context>
where
    A: FnOnce(&mut Vec<KeyValue>),
    L: FnOnce() -> Vec<Link>,
{
    let (provider, scoped) = resolve(parent_cx)?;
    if provider.is_shut_down() {
        return None;
    }
    let parent_span = parent_cx.span();
    let parent = parent_span.span_context();
    let has_parent = parent.is_valid();
    let follows_parent = provider.sampler.follows_parent();
    if has_parent && follows_parent && !parent.is_sampled() && start.skip_unsampled_child {
        return None;
    }
    let trace_id = if has_parent { parent.trace_id() } else { new_trace_id() };

    let kind = start.kind.to_span_kind();
    let mut attributes = Vec::new();
    let mut links = Vec::new();
    let mut fill = Some((start.attributes, start.links));
    let (decision, extra) = if has_parent && follows_parent {
        let d = if parent.is_sampled() { Decision::RecordAndSample } else { Decision::Drop };
        (d, None)
    } else {
        if matches!(provider.sampler, Sampler::Custom(_)) {
            // A custom sampler may look at attributes and links.
            if let Some((fill_attributes, fill_links)) = fill.take() {
                attributes.reserve_exact(start.attribute_capacity);
                fill_attributes(&mut attributes);
                links = fill_links();
            }
            let sampled = provider.sampler.decide(&SampleInput {
                parent_cx,
                parent: has_parent.then_some(parent),
                trace_id,
                name: &start.name,
                kind: &kind,
                attributes: &attributes,
                links: &links,
            });
            (sampled.decision, sampled.extra)
        } else {
            let sampled = provider.sampler.decide(&SampleInput {
                parent_cx,
                parent: has_parent.then_some(parent),
                trace_id,
                name: &start.name,
                kind: &kind,
                attributes: &[],
                links: &[],
            });
            (sampled.decision, None)
        }
    };

    let sampled = decision == Decision::RecordAndSample;
    let flags = if has_parent {
        parent.trace_flags().with_sampled(sampled)
    } else {
        RANDOM_FLAG.with_sampled(sampled)
    };
    let trace_state = match &extra {
        Some(result) => result.trace_state.clone(),
        None if has_parent => parent.trace_state().clone(),
        None => TraceState::NONE,
    };
    let span_context = SpanContext::new(trace_id, new_span_id(), flags, false, trace_state);

    let cx = if decision == Decision::Drop {
        parent_cx.with_remote_span_context(span_context)
    } else {
        let start_time = SystemTime::now();
        if let Some((fill_attributes, fill_links)) = fill.take() {
            attributes.reserve_exact(start.attribute_capacity);
            fill_attributes(&mut attributes);
            links = fill_links();
        }
        if let Some(result) = extra {
            attributes.extend(result.attributes);
        }
        let limits = provider.limits;
        let dropped_attributes = attributes.len().saturating_sub(limits.attribute_count as usize) as u32;
        attributes.truncate(limits.attribute_count as usize);
        let mut span_links = SpanLinks::default();
        for link in links.into_iter().filter(|l| l.span_context.is_valid()) {
            if span_links.links.len() < limits.link_count as usize {
                span_links.links.push(link);
            } else {
                span_links.dropped_count += 1;
            }
        }
        let live = LiveSpan {
            span_context,
            provider,
            record: Some(Record {
                parent_span_id: if has_parent { parent.span_id() } else { SpanId::INVALID },
                parent_is_remote: has_parent && parent.is_remote(),
                kind,
                name: start.name,
                start: start_time,
                attributes,
                dropped_attributes,
                events: SpanEvents::default(),
                links: span_links,
                status: Default::default(),
            }),
        };
        parent_cx.with_span(live)
    };
    Some(if scoped { cx.with_value(ScopedProvider(provider)) } else { cx })
}

// A span handle travels inside futures that cross threads.
const _: fn() = || {
    fn is_send<T: Send>() {}
    is_send::<ActiveSpan>();
};

//! Providers that take the root spans of threads with no provider of their
//! own, for the traces they started: what lets a test capture
//! ([`crate::testing::capture`]) see the spans a multi-thread runtime makes
//! on its worker threads (a server's span for the test's request), while
//! captures of tests running in parallel stay apart.
//!
//! A claiming provider notes the trace id of every root span it makes. A
//! span started where nothing else provides (no provider in its parent's
//! context, no thread default) goes to the provider that claimed its
//! parent's trace. A new root there belongs to no one: which test made it
//! cannot be told, so it is not guessed, and a test sees the same spans
//! alone as beside others. Only consulted once a thread default was ever
//! set, so production code never reaches it.

use crate::provider::ProviderInner;
use opentelemetry::trace::{TraceContextExt, TraceId};
use opentelemetry::Context;
use std::collections::HashSet;
use std::sync::Mutex;

struct Claim {
    provider: &'static ProviderInner,
    traces: HashSet<TraceId>,
}

static CLAIMS: Mutex<Vec<Claim>> = Mutex::new(Vec::new());

fn with_claims<R>(f: impl FnOnce(&mut Vec<Claim>) -> R) -> R {
    let mut claims = CLAIMS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut claims)
}

/// `provider` claims the traces it starts from now on.
#[cfg(any(test, feature = "test-util"))]
pub(crate) fn register(provider: &'static ProviderInner) {
    with_claims(|c| c.push(Claim { provider, traces: HashSet::new() }));
}

/// `provider` claims nothing any more.
#[cfg(any(test, feature = "test-util"))]
pub(crate) fn release(provider: &'static ProviderInner) {
    with_claims(|c| c.retain(|claim| !std::ptr::eq(claim.provider, provider)));
}

/// `provider` started a trace.
#[cold]
pub(crate) fn claim(provider: &'static ProviderInner, trace_id: TraceId) {
    with_claims(|c| {
        if let Some(claim) = c.iter_mut().find(|claim| std::ptr::eq(claim.provider, provider)) {
            claim.traces.insert(trace_id);
        }
    });
}

/// The provider for a span started under `cx` where nothing else provides.
#[cold]
#[inline(never)]
pub(crate) fn claimant(cx: &Context) -> Option<&'static ProviderInner> {
    let span = cx.span();
    let parent = span.span_context();
    if !parent.is_valid() {
        return None;
    }
    let trace_id = parent.trace_id();
    with_claims(|c| c.iter().find(|claim| claim.traces.contains(&trace_id)).map(|claim| claim.provider))
}

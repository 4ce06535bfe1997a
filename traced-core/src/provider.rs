//! The tracer provider: sampler, limits, resource and processors of one
//! pipeline, and where spans find it.
//!
//! A provider is built once and lives for the rest of the process (it is
//! leaked on purpose): spans hold a plain `&'static` reference to it, so
//! starting and ending a span touches no shared reference count, which would
//! make threads fight over one cache line. Shut-down providers stay valid and
//! drop (and count) what reaches them.
//!
//! A span finds its provider in this order: the one its parent context was
//! started under when that was a scoped default ([`Provider::set_default`]),
//! the calling thread's scoped default, then the global one
//! ([`Provider::install_global`]).

use crate::error::LifecycleError;
use crate::limits::SpanLimits;
use crate::processor::{ExportStats, Processor};
use crate::sampler::Sampler;
use crate::span::FinishedSpan;
use opentelemetry::{Context, InstrumentationScope};
use opentelemetry_sdk::Resource;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::time::Duration;

pub(crate) struct ProviderInner {
    pub(crate) clock: crate::clock::Clock,
    pub(crate) sampler: Sampler,
    pub(crate) limits: SpanLimits,
    pub(crate) scope: InstrumentationScope,
    pub(crate) resource: Resource,
    /// Tail sampling: spans the head sampler drops are still recorded
    /// (unsampled), so the tail can keep them.
    pub(crate) record_unsampled: bool,
    pub(crate) id_generator: crate::ids::IdGenerator,
    processors: Vec<Box<dyn Processor>>,
    shut_down: AtomicBool,
    /// Notes the traces it starts, to take their spans on threads with no
    /// provider (see `claims`).
    pub(crate) claims_traces: bool,
}

impl ProviderInner {
    /// True when a span under an unsampled parent is not made at all (the
    /// sampler follows the parent, and nothing records unsampled spans).
    #[inline]
    pub(crate) fn skips_unsampled_children(&self) -> bool {
        self.sampler.follows_parent() && !self.record_unsampled
    }

    /// Hands a finished span to every processor.
    #[inline]
    pub(crate) fn dispatch(&self, span: FinishedSpan) {
        match self.processors.as_slice() {
            [one] => one.on_end(span),
            [] => {}
            [rest @ .., last] => {
                // Rare (several processors): convert once, clone the SDK form.
                let data = span.into_span_data();
                for p in rest {
                    p.on_end(data.clone().into());
                }
                last.on_end(data.into());
            }
        }
    }

    #[inline]
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Relaxed)
    }
}

/// A configured tracing pipeline. Cheap to copy.
#[derive(Clone, Copy)]
pub struct Provider {
    pub(crate) inner: &'static ProviderInner,
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("sampler", &self.inner.sampler)
            .field("processors", &self.inner.processors)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Provider {
    fn eq(&self, other: &Self) -> bool {
        ptr::eq(self.inner, other.inner)
    }
}

/// Builds a [`Provider`] from parts. Most services use
/// [`crate::TracedBuilder`] instead, which also reads the environment.
#[derive(Debug, Default)]
pub struct ProviderBuilder {
    sampler: Sampler,
    limits: SpanLimits,
    resource: Option<Resource>,
    processors: Vec<Box<dyn Processor>>,
    record_unsampled: bool,
    claims_traces: bool,
    id_generator: crate::ids::IdGenerator,
}

impl ProviderBuilder {
    /// The head sampler (default `parentbased_always_on`).
    pub fn sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = sampler;
        self
    }
    /// Span limits (default: the specification's).
    pub fn span_limits(mut self, limits: SpanLimits) -> Self {
        self.limits = limits;
        self
    }
    /// The resource exporters attach to every span.
    pub fn resource(mut self, resource: Resource) -> Self {
        self.resource = Some(resource);
        self
    }
    /// Record the spans the sampler drops too, as unsampled: for a processor
    /// that decides later (tail sampling). Every span then costs a record.
    pub fn unsampled_recorded(mut self, on: bool) -> Self {
        self.record_unsampled = on;
        self
    }
    /// How trace ids are made (default: all random).
    pub fn id_generator(mut self, generator: crate::ids::IdGenerator) -> Self {
        self.id_generator = generator;
        self
    }
    /// Adds a processor; each receives every finished span.
    pub fn processor(mut self, processor: impl Processor + 'static) -> Self {
        self.processors.push(Box::new(processor));
        self
    }
    /// The resource this builder will use (an empty one unless set), for
    /// building processors with it.
    pub fn resource_or_default(&mut self) -> &Resource {
        self.resource.get_or_insert_with(|| Resource::builder().build())
    }
    /// Renamed to [`ProviderBuilder::sampler`] (builders name setters after what they set).
    #[deprecated(since = "0.2.0", note = "renamed to `sampler`")]
    pub fn with_sampler(self, sampler: Sampler) -> Self {
        self.sampler(sampler)
    }
    /// Renamed to [`ProviderBuilder::span_limits`].
    #[deprecated(since = "0.2.0", note = "renamed to `span_limits`")]
    pub fn with_span_limits(self, limits: SpanLimits) -> Self {
        self.span_limits(limits)
    }
    /// Renamed to [`ProviderBuilder::resource`].
    #[deprecated(since = "0.2.0", note = "renamed to `resource`")]
    pub fn with_resource(self, resource: Resource) -> Self {
        self.resource(resource)
    }
    /// Renamed to [`ProviderBuilder::unsampled_recorded`].
    #[deprecated(since = "0.2.0", note = "renamed to `unsampled_recorded`")]
    pub fn with_unsampled_recorded(self, on: bool) -> Self {
        self.unsampled_recorded(on)
    }
    /// Renamed to [`ProviderBuilder::processor`].
    #[deprecated(since = "0.2.0", note = "renamed to `processor`")]
    pub fn with_processor(self, processor: impl Processor + 'static) -> Self {
        self.processor(processor)
    }
    /// Claim the traces this provider starts (test captures; see `claims`).
    #[cfg(any(test, feature = "test-util"))]
    pub(crate) fn claiming_traces(mut self) -> Self {
        self.claims_traces = true;
        self
    }
    /// Builds the provider. It is not installed anywhere yet.
    pub fn build(mut self) -> Provider {
        let resource = self.resource_or_default().clone();
        let inner = Box::leak(Box::new(ProviderInner {
            clock: crate::clock::Clock::new(),
            sampler: self.sampler,
            limits: self.limits,
            scope: InstrumentationScope::builder("traced").with_version(env!("CARGO_PKG_VERSION")).build(),
            resource,
            record_unsampled: self.record_unsampled,
            id_generator: self.id_generator,
            processors: self.processors,
            shut_down: AtomicBool::new(false),
            claims_traces: self.claims_traces,
        }));
        Provider { inner }
    }
}

static ANY_INSTALLED: AtomicBool = AtomicBool::new(false);
/// Whether a thread-scoped default was ever set: until then the per-thread
/// lookup is skipped.
static ANY_SCOPED: AtomicBool = AtomicBool::new(false);
/// Whether every provider installed so far makes no span under an
/// unsampled parent (parent-based sampling, no tail sampling): then that
/// case is rejected before a provider is even looked up.
static ALL_SKIP_UNSAMPLED_CHILDREN: AtomicBool = AtomicBool::new(true);
static GLOBAL: AtomicPtr<ProviderInner> = AtomicPtr::new(ptr::null_mut());

thread_local! {
    static SCOPED: Cell<Option<&'static ProviderInner>> = const { Cell::new(None) };
}

/// Marks a context whose spans belong to a scoped (not global) provider, so
/// their children find it on any thread.
#[derive(Clone, Copy)]
pub(crate) struct ScopedProvider(pub(crate) &'static ProviderInner);

/// The provider a span started under `cx` belongs to, and whether it must be
/// recorded in the new context (it came from a thread-scoped default).
#[inline]
pub(crate) fn resolve(cx: &Context) -> Option<(&'static ProviderInner, bool)> {
    if !ANY_INSTALLED.load(Ordering::Relaxed) {
        return None;
    }
    if let Some(p) = cx.get::<ScopedProvider>() {
        return Some((p.0, false));
    }
    if ANY_SCOPED.load(Ordering::Relaxed) {
        if let Some(p) = SCOPED.with(Cell::get) {
            return Some((p, true));
        }
        if let Some(p) = crate::claims::claimant(cx) {
            return Some((p, true));
        }
    }
    match global() {
        Some(p) => Some((p, false)),
        None => no_provider(),
    }
}

/// Set when a [`crate::ShutdownGuard`] shut the global set-up down.
static GUARD_SHUT_DOWN: AtomicBool = AtomicBool::new(false);

pub(crate) fn note_guard_shut_down() {
    GUARD_SHUT_DOWN.store(true, Ordering::Relaxed);
}

/// Nothing to record with. After a guard shut tracing down, say once why
/// spans vanish: the commonest cause is `let _ = traced::init();`, which
/// drops the guard at once.
#[cold]
fn no_provider() -> Option<(&'static ProviderInner, bool)> {
    if GUARD_SHUT_DOWN.load(Ordering::Relaxed) {
        crate::diagnostics::warn_once(crate::diagnostics::Once::SpanAfterShutdown, || {
            "a span was started after tracing was shut down, so it is not recorded: the guard from \
             `traced::init()` (or `install()`) was dropped. Keep it for the life of the program with \
             `let _guard = traced::init();` (`let _ = traced::init();` drops it at once)"
                .to_owned()
        });
    }
    None
}

/// True while a provider is installed globally.
pub(crate) fn global_installed() -> bool {
    global().is_some()
}

/// The global provider. A lock here would be taken by every root span on
/// every thread, so it is an atomic pointer instead.
#[inline]
#[allow(unsafe_code)]
fn global() -> Option<&'static ProviderInner> {
    let p = GLOBAL.load(Ordering::Acquire);
    // SAFETY: non-null pointers stored in GLOBAL come from `Box::leak` in
    // `ProviderBuilder::build` and are never freed, so they are valid for
    // 'static and only ever shared immutably.
    unsafe { p.as_ref() }
}

impl Provider {
    /// Starts building a provider.
    pub fn builder() -> ProviderBuilder {
        ProviderBuilder::default()
    }

    /// The provider spans on this thread would use as roots right now.
    pub fn current() -> Option<Provider> {
        Context::map_current(resolve).map(|(inner, _)| Provider { inner })
    }

    /// Makes this the global provider, used by spans with no other. The
    /// first install (here or [`Provider::set_default`]) also chains a panic
    /// hook, so spans ended by unwinding record the panic's message.
    pub fn install_global(&self) {
        self.note_installed();
        GLOBAL.store(ptr::from_ref(self.inner).cast_mut(), Ordering::Release);
        ANY_INSTALLED.store(true, Ordering::Release);
    }

    /// What installing (globally or as a thread's default) sets up once
    /// per process: a panic hook that chains to the one before it and
    /// remembers each thread's panic message, so a span ended by unwinding
    /// records it.
    fn note_installed(&self) {
        crate::span::error::install_panic_hook();
        if !self.inner.skips_unsampled_children() {
            ALL_SKIP_UNSAMPLED_CHILDREN.store(false, Ordering::Release);
        }
    }

    /// Removes this provider as the global one (if it is).
    pub(crate) fn uninstall_global(&self) {
        let me = ptr::from_ref(self.inner).cast_mut();
        let _ = GLOBAL.compare_exchange(me, ptr::null_mut(), Ordering::AcqRel, Ordering::Relaxed);
    }

    /// Makes this provider the default of the calling thread until the guard
    /// drops. Spans started under it carry it to their children on any
    /// thread. Used by tests to capture spans without touching the global.
    pub fn set_default(&self) -> DefaultGuard {
        self.note_installed();
        ANY_SCOPED.store(true, Ordering::Release);
        ANY_INSTALLED.store(true, Ordering::Release);
        let previous = SCOPED.with(|s| s.replace(Some(self.inner)));
        DefaultGuard { previous, _not_send: PhantomData }
    }

    /// Exports everything ended so far, waiting at most `timeout`.
    pub fn force_flush(&self, timeout: Duration) -> Result<(), LifecycleError> {
        self.inner.processors.iter().try_for_each(|p| p.force_flush(timeout))
    }

    /// Flushes and shuts the processors down, waiting at most `timeout` in
    /// all; spans ending later are dropped and counted.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), LifecycleError> {
        if self.inner.shut_down.swap(true, Ordering::AcqRel) {
            return Err(LifecycleError::AlreadyShutdown);
        }
        self.uninstall_global();
        let deadline = std::time::Instant::now() + timeout;
        let mut result = Ok(());
        for p in &self.inner.processors {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if let Err(e) = p.shutdown(left) {
                result = Err(e);
            }
        }
        result
    }

    /// What the processors exported and lost so far.
    pub fn stats(&self) -> ExportStats {
        let mut total = ExportStats::default();
        for p in &self.inner.processors {
            total += p.stats();
        }
        total
    }

    /// The resource attached to exported spans.
    pub fn resource(&self) -> &'static Resource {
        &self.inner.resource
    }

    /// The head sampler.
    pub fn sampler(&self) -> &'static Sampler {
        &self.inner.sampler
    }

    /// The span limits.
    pub fn span_limits(&self) -> &'static SpanLimits {
        &self.inner.limits
    }
}

/// Restores the previous thread default on drop.
#[derive(Debug)]
pub struct DefaultGuard {
    previous: Option<&'static ProviderInner>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for DefaultGuard {
    fn drop(&mut self) {
        SCOPED.with(|s| s.set(self.previous));
    }
}

impl fmt::Debug for ProviderInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProviderInner")
    }
}

/// True when no installed provider makes a span under an unsampled parent.
#[inline]
pub(crate) fn all_skip_unsampled_children() -> bool {
    ALL_SKIP_UNSAMPLED_CHILDREN.load(Ordering::Acquire)
}

/// Whether any provider was ever installed (globally or as a thread default).
#[inline]
pub(crate) fn any_installed() -> bool {
    ANY_INSTALLED.load(Ordering::Relaxed)
}

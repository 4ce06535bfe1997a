//! The guard that installs a pipeline globally and flushes it on shutdown,
//! and the bridge that hands spans of `opentelemetry::global`'s tracer to it.

use crate::diagnostics;
use crate::error::LifecycleError;
use crate::processor::ExportStats;
use crate::provider::{Provider, ProviderInner};
use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, Span, SpanData, SpanProcessor};
use std::time::Duration;

/// Hands spans made through `opentelemetry::global`'s tracer to our pipeline.
#[derive(Debug)]
struct Forward(&'static ProviderInner);

impl SpanProcessor for Forward {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}
    fn on_end(&self, span: SpanData) {
        if !self.0.is_shut_down() {
            self.0.dispatch(span.into());
        }
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// Flushes and shuts tracing down when dropped (see [`crate::init`]).
#[derive(Debug)]
#[must_use = "dropping the guard shuts tracing down at once"]
pub struct ShutdownGuard {
    provider: Option<Provider>,
    bridge: Option<SdkTracerProvider>,
    timeout: Duration,
    done: bool,
}

impl ShutdownGuard {
    pub(crate) fn install(provider: Option<Provider>, timeout: Duration) -> Self {
        if provider.is_some() && crate::provider::global_installed() {
            diagnostics::warn_once(diagnostics::Once::Reinstalled, || {
                "tracing was set up a second time: the new set-up replaces the first for every span from now \
                 on; the first guard still flushes what it recorded when it drops"
                    .to_owned()
            });
        }
        let bridge = provider.map(|p| {
            p.install_global();
            let bridge = SdkTracerProvider::builder()
                .with_sampler(p.inner.sampler.clone())
                .with_span_limits(p.inner.limits.to_sdk())
                .with_resource(p.inner.resource.clone())
                .with_span_processor(Forward(p.inner))
                .build();
            opentelemetry::global::set_tracer_provider(bridge.clone());
            bridge
        });
        ShutdownGuard { provider, bridge, timeout, done: false }
    }

    /// The installed provider (`None` when the SDK is disabled).
    pub fn provider(&self) -> Option<Provider> {
        self.provider
    }

    /// Exports everything ended so far.
    pub fn force_flush(&self) -> Result<(), LifecycleError> {
        self.provider.map_or(Ok(()), |p| p.force_flush(self.timeout))
    }

    /// Shuts down now, returning what was exported and lost.
    pub fn shutdown(mut self) -> Result<ExportStats, LifecycleError> {
        self.shutdown_inner()
    }

    fn shutdown_inner(&mut self) -> Result<ExportStats, LifecycleError> {
        if std::mem::replace(&mut self.done, true) {
            return Err(LifecycleError::AlreadyShutdown);
        }
        let Some(provider) = self.provider else { return Ok(ExportStats::default()) };
        if let Some(bridge) = self.bridge.take() {
            let _ = bridge.shutdown_with_timeout(self.timeout);
        }
        crate::provider::note_guard_shut_down();
        let result = provider.shutdown(self.timeout);
        let stats = provider.stats();
        // What is still pending now (the deadline passed) is lost as well.
        let lost = stats.lost() + stats.pending;
        if lost > 0 {
            diagnostics::warn(&format!(
                "{lost} spans were not exported ({} dropped on a full queue, {} in failed exports, {} ended after \
                 shutdown, {} still pending at the shutdown deadline)",
                stats.dropped_queue_full, stats.failed, stats.dropped_after_shutdown, stats.pending
            ));
        }
        result.map(|()| stats)
    }
}

impl Drop for ShutdownGuard {
    fn drop(&mut self) {
        if !self.done {
            if let Err(err) = self.shutdown_inner() {
                diagnostics::warn(&format!("shutdown: {err}"));
            }
        }
    }
}

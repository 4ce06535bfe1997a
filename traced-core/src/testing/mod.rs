//! In-memory capture of finished spans, for tests (feature `test-util`).
//!
//! [`capture`] installs a provider as the calling thread's default (not the
//! global one, so tests run in parallel without seeing each other's spans)
//! that exports every span synchronously as it ends. Spans started under it
//! carry it to their children on any thread, so spawned tasks are captured.
//!
//! ```
//! use traced_core::span::{ActiveSpan, Callsite, Kind, SpanGuard};
//! static SITE: Callsite = Callsite::new("Svc.op", Kind::Internal);
//! let spans = traced_core::testing::capture();
//! {
//!     let _span = SpanGuard::enter(ActiveSpan::start(&SITE, SITE.name(), 0, |_| {}, Vec::new));
//! }
//! assert_eq!(spans.span("Svc.op").name, "Svc.op");
//! ```

mod capture;
mod query;

pub use capture::MemoryExporter;
pub use query::{CapturedSpan, SpanCapture};

use crate::processor::{ExporterBox, SimpleProcessor};
use crate::provider::Provider;
use crate::sampler::Sampler;
use opentelemetry_sdk::Resource;

/// Captures the spans of this test: those started on this thread, those
/// started under them on any thread, and those the test's runtime starts on
/// its other threads for the traces this capture started (a server's span
/// for the test's request on a multi-thread runtime). Each capture takes only
/// the traces it started, so tests running in parallel never see each
/// other's spans; a new trace started on another thread with nothing
/// carried to it (`tokio::spawn(async { f().await })` without
/// `.in_current_span()`) belongs to no test and is not captured.
///
/// Installs the default propagators (W3C Trace Context and Baggage) unless a
/// propagator is installed already, so a client and server in one test make
/// one trace.
pub fn capture() -> SpanCapture {
    capture_with(Sampler::default())
}

/// Like [`capture`], with a given head sampler.
pub fn capture_with(sampler: Sampler) -> SpanCapture {
    let exporter = MemoryExporter::default();
    let resource = Resource::builder_empty().with_service_name("test").build();
    let no_propagator = opentelemetry::global::get_text_map_propagator(|p| p.fields().next().is_none());
    if no_propagator {
        crate::propagation::install_global(&crate::propagation::PropagatorKind::DEFAULT);
    }
    let provider = Provider::builder()
        .claiming_traces()
        .sampler(sampler)
        .resource(resource.clone())
        .processor(SimpleProcessor::new(ExporterBox::new(exporter.clone()), &resource))
        .build();
    SpanCapture::new(provider, exporter)
}

//! In-memory capture of finished spans, for tests (feature `test-util`).
//!
//! [`capture`] installs a provider as the calling thread's default (not the
//! global one, so tests run in parallel without seeing each other's spans)
//! that exports every span synchronously as it ends. Spans started under it
//! carry it to their children on any thread, so spawned tasks are captured.
//!
//! ```
//! use traced_core::__private::{ActiveSpan, Callsite, Kind, SpanGuard};
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

/// Captures the spans of this thread (and of spans started under them).
pub fn capture() -> SpanCapture {
    capture_with(Sampler::default())
}

/// Like [`capture`], with a given head sampler.
pub fn capture_with(sampler: Sampler) -> SpanCapture {
    let exporter = MemoryExporter::default();
    let resource = Resource::builder_empty().with_service_name("test").build();
    let provider = Provider::builder()
        .with_sampler(sampler)
        .with_resource(resource.clone())
        .with_processor(SimpleProcessor::new(ExporterBox::new(exporter.clone()), &resource))
        .build();
    SpanCapture::new(provider, exporter)
}

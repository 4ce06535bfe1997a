//! In-memory capture of finished spans, for tests (feature `test-util`).
//!
//! [`capture`] installs a provider as the calling thread's default (not the
//! global one, so tests run in parallel without seeing each other's spans)
//! that exports every span synchronously as it ends. Spans started under it
//! carry it to their children on any thread, so spawned tasks are captured.
//!
//! ```
//! use opentelemetry::trace::{Tracer, TracerProvider as _};
//! let spans = traced_core::testing::capture();
//! {
//!     let _outer = traced_core::__private::SpanGuard::enter(traced_core::__private::ActiveSpan::start(
//!         { static SITE: traced_core::__private::Callsite = traced_core::__private::Callsite::new("Svc.op", traced_core::__private::Kind::Internal); &SITE },
//!         0,
//!         |_| {},
//!     ));
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

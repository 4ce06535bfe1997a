//! What happens to a span once it ends: processors receive finished spans and
//! hand them to exporters.
//!
//! [`BatchProcessor`] is the production path: the ending thread only pushes
//! onto its own buffer; a background thread gathers the buffers and exports.
//! [`SimpleProcessor`] exports synchronously, for tests and tools.

mod batch;
mod exporter;
pub mod redact;
mod simple;
mod suppress;
mod tail;

pub use batch::{BatchConfig, BatchProcessor};
pub use exporter::ExporterBox;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
pub(crate) use exporter::RecordExporter;
pub use simple::SimpleProcessor;
pub use tail::{TailSampling, TailStats};

use crate::error::LifecycleError;
use crate::span::FinishedSpan;
use std::fmt;
use std::time::Duration;

/// Receives every finished, recorded span of a [`crate::Provider`].
///
/// `on_end` runs on the thread that ended the span: it must not block.
pub trait Processor: Send + Sync + fmt::Debug {
    /// A span ended. Unsampled (record-only) spans arrive too; exporting
    /// processors skip them.
    fn on_end(&self, span: FinishedSpan);
    /// Export everything received so far, waiting at most `timeout`.
    fn force_flush(&self, timeout: Duration) -> Result<(), LifecycleError>;
    /// Flush, then release the exporters. Later spans are dropped.
    fn shutdown(&self, timeout: Duration) -> Result<(), LifecycleError>;
    /// Counts of what this processor did, for diagnostics and tests.
    fn stats(&self) -> ExportStats {
        ExportStats::default()
    }
}

/// What a processor exported and lost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportStats {
    /// Spans the exporters accepted.
    pub exported: u64,
    /// Spans dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// Spans lost because an export failed or timed out.
    pub failed: u64,
    /// Spans that ended after shutdown.
    pub dropped_after_shutdown: u64,
    /// Spans accepted and not yet exported (queued, or in an export that
    /// has not finished): after a shutdown that timed out, these are lost too.
    pub pending: u64,
}

impl ExportStats {
    /// All spans that did not reach an exporter.
    pub fn lost(&self) -> u64 {
        self.dropped_queue_full + self.failed + self.dropped_after_shutdown
    }
}

impl std::ops::AddAssign for ExportStats {
    fn add_assign(&mut self, o: Self) {
        self.exported += o.exported;
        self.dropped_queue_full += o.dropped_queue_full;
        self.failed += o.failed;
        self.dropped_after_shutdown += o.dropped_after_shutdown;
        self.pending += o.pending;
    }
}

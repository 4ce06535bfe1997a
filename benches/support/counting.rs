//! The exporter every bench hands its spans to: it counts them and drops
//! them, so a bench can check that nothing was lost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Counts exported spans and drops them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counting(pub(crate) Arc<AtomicU64>);

impl opentelemetry_sdk::trace::SpanExporter for Counting {
    async fn export(&self, batch: Vec<opentelemetry_sdk::trace::SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

impl fastrace::collector::Reporter for Counting {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        self.0.fetch_add(spans.len() as u64, Ordering::Relaxed);
    }
}

//! An exporter that keeps finished spans in memory.

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::sync::{Arc, Mutex};

/// Keeps every exported span; clones share the same store.
#[derive(Debug, Clone, Default)]
pub struct MemoryExporter {
    spans: Arc<Mutex<Vec<SpanData>>>,
}

impl MemoryExporter {
    /// Everything exported so far, in order.
    pub fn spans(&self) -> Vec<SpanData> {
        self.spans.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Forgets everything exported so far, and frees the memory it took
    /// (a capture's provider lives as long as the process).
    pub fn clear(&self) {
        if let Ok(mut s) = self.spans.lock() {
            *s = Vec::new();
        }
    }
}

impl SpanExporter for MemoryExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if let Ok(mut s) = self.spans.lock() {
            s.extend(batch);
        }
        Ok(())
    }
}

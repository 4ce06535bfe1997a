//! Synchronous export on the ending thread: every span reaches the exporter
//! before `end` returns. For tests and short-lived tools, not for services.

use super::suppress::{is_exporting, Exporting};
use super::{ExportStats, ExporterBox, Processor};
use crate::error::LifecycleError;
use crate::span::FinishedSpan;
use opentelemetry_sdk::Resource;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Exports each sampled span as it ends.
#[derive(Debug)]
pub struct SimpleProcessor {
    exporter: Mutex<ExporterBox>,
    shut_down: AtomicBool,
    exported: AtomicU64,
    failed: AtomicU64,
    after_shutdown: AtomicU64,
}

impl SimpleProcessor {
    /// A processor that exports through `exporter`.
    pub fn new(mut exporter: ExporterBox, resource: &Resource) -> Self {
        exporter.set_resource(resource);
        SimpleProcessor {
            exporter: Mutex::new(exporter),
            shut_down: AtomicBool::new(false),
            exported: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            after_shutdown: AtomicU64::new(0),
        }
    }
}

impl Processor for SimpleProcessor {
    fn on_end(&self, span: FinishedSpan) {
        if !span.is_sampled() || is_exporting() {
            return;
        }
        if self.shut_down.load(Ordering::Acquire) {
            self.after_shutdown.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let Ok(exporter) = self.exporter.lock() else {
            self.failed.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let _exporting = Exporting::enter();
        match exporter.export_blocking(&mut vec![span.into_span_data()], Duration::from_secs(10)) {
            Ok(()) => self.exported.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.failed.fetch_add(1, Ordering::Relaxed),
        };
    }

    fn force_flush(&self, _timeout: Duration) -> Result<(), LifecycleError> {
        let exporter = self.exporter.lock().map_err(|_| LifecycleError::Export("poisoned".into()))?;
        let _exporting = Exporting::enter();
        exporter.force_flush().map_err(|e| LifecycleError::Export(e.to_string()))
    }

    fn shutdown(&self, timeout: Duration) -> Result<(), LifecycleError> {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Err(LifecycleError::AlreadyShutdown);
        }
        let exporter = self.exporter.lock().map_err(|_| LifecycleError::Export("poisoned".into()))?;
        let _exporting = Exporting::enter();
        exporter.shutdown_with_timeout(timeout).map_err(|e| LifecycleError::Export(e.to_string()))
    }

    fn stats(&self) -> ExportStats {
        ExportStats {
            exported: self.exported.load(Ordering::Relaxed),
            dropped_queue_full: 0,
            failed: self.failed.load(Ordering::Relaxed),
            dropped_after_shutdown: self.after_shutdown.load(Ordering::Relaxed),
            pending: 0,
        }
    }
}

//! An object-safe handle over any `opentelemetry_sdk` [`SpanExporter`], whose
//! `export` returns `impl Future` and so cannot be boxed as it is.

use crate::span::Buffered;
use futures_util::future::BoxFuture;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use std::fmt;
use std::time::Duration;

pub(crate) trait DynExporter: Send + Sync + fmt::Debug {
    fn export(&self, batch: Vec<SpanData>) -> BoxFuture<'_, OTelSdkResult>;
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult;
    fn force_flush(&self) -> OTelSdkResult;
    fn set_resource(&mut self, resource: &Resource);
}

impl<T: SpanExporter + 'static> DynExporter for T {
    fn export(&self, batch: Vec<SpanData>) -> BoxFuture<'_, OTelSdkResult> {
        Box::pin(SpanExporter::export(self, batch))
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        SpanExporter::shutdown_with_timeout(self, timeout)
    }
    fn force_flush(&self) -> OTelSdkResult {
        SpanExporter::force_flush(self)
    }
    fn set_resource(&mut self, resource: &Resource) {
        SpanExporter::set_resource(self, resource)
    }
}

/// An exporter that also takes spans as `traced` records them, encoding them
/// in place: the batch processor's fast path (no `SpanData`, no copy), and
/// its batch vector reused because the spans are only borrowed. Owned here,
/// so the dependency runs one way: exporters (OTLP today; Zipkin, a file)
/// implement it, and nothing in `processor` names an exporter.
pub(crate) trait RecordExporter: DynExporter + AsDyn + 'static {
    /// Exports spans as recorded.
    fn export_records<'a>(&'a self, records: &'a [Buffered]) -> BoxFuture<'a, OTelSdkResult>;
    /// Exports converted spans, borrowed.
    fn export_data<'a>(&'a self, batch: &'a [SpanData]) -> BoxFuture<'a, OTelSdkResult>;
}

/// A boxed span exporter: OTLP, Zipkin, the console exporter, an in-memory
/// exporter, or your own [`SpanExporter`].
#[derive(Debug)]
pub struct ExporterBox {
    inner: Inner,
    redaction: Option<super::redact::Redaction>,
    /// tonic's gRPC client must be built and driven inside a Tokio runtime; such
    /// an exporter carries its own single-threaded one, used only by the export
    /// thread, so the user's runtime (or its absence) does not matter.
    #[cfg(feature = "otlp-grpc")]
    runtime: Option<tokio::runtime::Runtime>,
}

/// Any exporter behind the object-safe trait, or one that takes records.
#[derive(Debug)]
enum Inner {
    Dyn(Box<dyn DynExporter>),
    #[cfg_attr(not(any(feature = "otlp-http", feature = "otlp-grpc")), allow(dead_code))]
    Records(Box<dyn RecordExporter>),
}

impl Inner {
    fn dyn_ref(&self) -> &dyn DynExporter {
        match self {
            Inner::Dyn(e) => &**e,
            Inner::Records(e) => e.as_dyn(),
        }
    }
}

/// `&dyn RecordExporter` as `&dyn DynExporter` (no trait upcasting before
/// Rust 1.86).
pub(crate) trait AsDyn {
    fn as_dyn(&self) -> &dyn DynExporter;
    fn as_dyn_mut(&mut self) -> &mut dyn DynExporter;
}

impl<T: DynExporter + 'static> AsDyn for T {
    fn as_dyn(&self) -> &dyn DynExporter {
        self
    }
    fn as_dyn_mut(&mut self) -> &mut dyn DynExporter {
        self
    }
}

impl Drop for ExporterBox {
    fn drop(&mut self) {
        // A runtime's own drop waits for its threads, which panics when it
        // happens inside async code (a failed set-up in `#[tokio::main]`,
        // a provider dropped in a task). Its work is over: do not wait.
        #[cfg(feature = "otlp-grpc")]
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl ExporterBox {
    /// Wraps an exporter.
    pub fn new<E: SpanExporter + 'static>(exporter: E) -> Self {
        Self::from_inner(Inner::Dyn(Box::new(exporter)))
    }

    fn from_inner(inner: Inner) -> Self {
        ExporterBox {
            inner,
            redaction: None,
            #[cfg(feature = "otlp-grpc")]
            runtime: None,
        }
    }

    /// Wraps an exporter that takes records.
    #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
    #[cfg_attr(not(feature = "otlp-http"), allow(dead_code))]
    pub(crate) fn records<E: RecordExporter>(exporter: E) -> Self {
        Self::from_inner(Inner::Records(Box::new(exporter)))
    }

    /// Wraps an exporter that takes records, built inside `runtime` and
    /// driven by it.
    #[cfg(feature = "otlp-grpc")]
    pub(crate) fn records_with_runtime<E: RecordExporter>(exporter: E, runtime: tokio::runtime::Runtime) -> Self {
        ExporterBox { inner: Inner::Records(Box::new(exporter)), redaction: None, runtime: Some(runtime) }
    }

    /// Exports one batch, blocking the calling (export) thread until the
    /// exporter answers or, where the exporter runs on Tokio, `timeout` passes.
    /// The batch may be left empty or as it was; the caller clears it.
    pub(crate) fn export_blocking(&self, batch: &mut Vec<SpanData>, timeout: Duration) -> OTelSdkResult {
        if let Some(r) = &self.redaction {
            batch.iter_mut().for_each(|span| r.apply_span(span));
        }
        let export = match &self.inner {
            Inner::Dyn(e) => e.export(std::mem::take(batch)),
            Inner::Records(e) => e.export_data(batch),
        };
        self.block_on(export, timeout)
    }

    /// Runs an export to its end on this thread: on the exporter's runtime
    /// with `timeout` if it has one (blocking exporters enforce their own).
    fn block_on(&self, export: BoxFuture<'_, OTelSdkResult>, timeout: Duration) -> OTelSdkResult {
        #[cfg(feature = "otlp-grpc")]
        if let Some(rt) = &self.runtime {
            return rt.block_on(async {
                match tokio::time::timeout(timeout, export).await {
                    Ok(result) => result,
                    Err(_) => Err(opentelemetry_sdk::error::OTelSdkError::Timeout(timeout)),
                }
            });
        }
        let _ = timeout;
        futures_executor::block_on(export)
    }

    /// Exports spans as recorded, encoding them in place, when this exporter
    /// takes records (`None`, the records untouched: it does not; convert
    /// them and call [`Self::export_blocking`]).
    pub(crate) fn export_records(&self, records: &mut [Buffered], timeout: Duration) -> Option<OTelSdkResult> {
        let Inner::Records(e) = &self.inner else { return None };
        if let Some(r) = &self.redaction {
            for span in records.iter_mut() {
                match span {
                    Buffered::Traced(record) => r.apply_record(record),
                    Buffered::Sdk(data) => r.apply_span(data),
                }
            }
        }
        Some(self.block_on(e.export_records(records), timeout))
    }

    pub(crate) fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.dyn_ref().shutdown_with_timeout(timeout)
    }
    pub(crate) fn force_flush(&self) -> OTelSdkResult {
        self.inner.dyn_ref().force_flush()
    }
    pub(crate) fn set_resource(&mut self, resource: &Resource) {
        let redacted;
        let resource = match &self.redaction {
            Some(r) => {
                redacted = r.apply_resource(resource);
                &redacted
            }
            None => resource,
        };
        match &mut self.inner {
            Inner::Dyn(e) => e.set_resource(resource),
            Inner::Records(e) => e.as_dyn_mut().set_resource(resource),
        }
    }

    /// Redacts every batch (and the resource) before this exporter sees it,
    /// in the export thread.
    pub fn with_redaction(mut self, redaction: super::redact::Redaction) -> Self {
        self.redaction = Some(redaction);
        self
    }
}

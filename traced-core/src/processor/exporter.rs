//! An object-safe handle over any `opentelemetry_sdk` [`SpanExporter`], whose
//! `export` returns `impl Future` and so cannot be boxed as it is.

use futures_util::future::BoxFuture;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use std::fmt;
use std::time::Duration;

trait DynExporter: Send + Sync + fmt::Debug {
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

/// A boxed span exporter: OTLP, Zipkin, the console exporter, an in-memory
/// exporter, or your own [`SpanExporter`].
#[derive(Debug)]
pub struct ExporterBox {
    inner: Box<dyn DynExporter>,
    redaction: Option<super::redact::Redaction>,
    /// tonic's gRPC client must be built and driven inside a Tokio runtime; such
    /// an exporter carries its own single-threaded one, used only by the export
    /// thread, so the user's runtime (or its absence) does not matter.
    #[cfg(feature = "otlp-grpc")]
    runtime: Option<tokio::runtime::Runtime>,
}

impl ExporterBox {
    /// Wraps an exporter.
    pub fn new<E: SpanExporter + 'static>(exporter: E) -> Self {
        ExporterBox {
            inner: Box::new(exporter),
            redaction: None,
            #[cfg(feature = "otlp-grpc")]
            runtime: None,
        }
    }

    /// Wraps an exporter that was built inside `runtime` and must be driven by it.
    #[cfg(feature = "otlp-grpc")]
    pub(crate) fn with_runtime<E: SpanExporter + 'static>(exporter: E, runtime: tokio::runtime::Runtime) -> Self {
        ExporterBox { inner: Box::new(exporter), redaction: None, runtime: Some(runtime) }
    }

    /// Exports one batch, blocking the calling (export) thread until the
    /// exporter answers or, where the exporter runs on Tokio, `timeout` passes.
    pub(crate) fn export_blocking(&self, mut batch: Vec<SpanData>, timeout: Duration) -> OTelSdkResult {
        if let Some(r) = &self.redaction {
            batch.iter_mut().for_each(|span| r.apply_span(span));
        }
        let export = self.inner.export(batch);
        #[cfg(feature = "otlp-grpc")]
        if let Some(rt) = &self.runtime {
            return rt.block_on(async {
                match tokio::time::timeout(timeout, export).await {
                    Ok(result) => result,
                    Err(_) => Err(opentelemetry_sdk::error::OTelSdkError::Timeout(timeout)),
                }
            });
        }
        let _ = timeout; // blocking exporters enforce their own request timeout
        futures_executor::block_on(export)
    }
    pub(crate) fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    pub(crate) fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    pub(crate) fn set_resource(&mut self, resource: &Resource) {
        match &self.redaction {
            Some(r) => self.inner.set_resource(&r.apply_resource(resource)),
            None => self.inner.set_resource(resource),
        }
    }

    /// Redacts every batch (and the resource) before this exporter sees it,
    /// in the export thread.
    pub fn with_redaction(mut self, redaction: super::redact::Redaction) -> Self {
        self.redaction = Some(redaction);
        self
    }
}

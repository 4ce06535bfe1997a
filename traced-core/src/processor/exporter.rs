//! An object-safe handle over any `opentelemetry_sdk` [`SpanExporter`], whose
//! `export` returns `impl Future` and so cannot be boxed as it is.

use crate::span::Buffered;
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
    inner: Inner,
    redaction: Option<super::redact::Redaction>,
    /// tonic's gRPC client must be built and driven inside a Tokio runtime; such
    /// an exporter carries its own single-threaded one, used only by the export
    /// thread, so the user's runtime (or its absence) does not matter.
    #[cfg(feature = "otlp-grpc")]
    runtime: Option<tokio::runtime::Runtime>,
}

/// Any exporter behind the object-safe trait, or ours for OTLP, which
/// encodes from a borrowed batch (so the batch processor reuses its vector).
#[derive(Debug)]
enum Inner {
    Dyn(Box<dyn DynExporter>),
    #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
    Otlp(Box<crate::export::otlp::OtlpExporter>),
}

impl Inner {
    fn dyn_ref(&self) -> &dyn DynExporter {
        match self {
            Inner::Dyn(e) => &**e,
            #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
            Inner::Otlp(e) => &**e,
        }
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

    /// Wraps our OTLP exporter for HTTP.
    #[cfg(feature = "otlp-http")]
    pub(crate) fn otlp(exporter: crate::export::otlp::OtlpExporter) -> Self {
        Self::from_inner(Inner::Otlp(Box::new(exporter)))
    }

    /// Wraps our OTLP exporter for gRPC, built inside `runtime` and driven by it.
    #[cfg(feature = "otlp-grpc")]
    pub(crate) fn otlp_with_runtime(
        exporter: crate::export::otlp::OtlpExporter,
        runtime: tokio::runtime::Runtime,
    ) -> Self {
        ExporterBox { inner: Inner::Otlp(Box::new(exporter)), redaction: None, runtime: Some(runtime) }
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
            #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
            Inner::Otlp(e) => Box::pin(e.export_slice(batch)),
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

    /// Exports spans as recorded, encoding them in place, when this is our
    /// OTLP exporter (`None`, the records untouched: it is not; convert them
    /// and call [`Self::export_blocking`]).
    pub(crate) fn export_records(&self, records: &mut [Buffered], timeout: Duration) -> Option<OTelSdkResult> {
        #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
        if let Inner::Otlp(e) = &self.inner {
            if let Some(r) = &self.redaction {
                for span in records.iter_mut() {
                    match span {
                        Buffered::Traced(record) => r.apply_record(record),
                        Buffered::Sdk(data) => r.apply_span(data),
                    }
                }
            }
            return Some(self.block_on(Box::pin(e.export_slice(records)), timeout));
        }
        let _ = (records, timeout);
        None
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
            #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
            Inner::Otlp(e) => SpanExporter::set_resource(&mut **e, resource),
        }
    }

    /// Redacts every batch (and the resource) before this exporter sees it,
    /// in the export thread.
    pub fn with_redaction(mut self, redaction: super::redact::Redaction) -> Self {
        self.redaction = Some(redaction);
        self
    }
}

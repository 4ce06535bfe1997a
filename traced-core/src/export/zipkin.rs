//! The Zipkin exporter (feature `zipkin`).

use crate::error::InitError;
use crate::processor::ExporterBox;

/// Default collector URL (`OTEL_EXPORTER_ZIPKIN_ENDPOINT`).
pub const DEFAULT_ENDPOINT: &str = "http://localhost:9411/api/v2/spans";

/// Builds a Zipkin exporter sending to `endpoint` (or the default).
// Upstream marks its Zipkin exporter deprecated in favour of Zipkin's own
// OTLP intake; services that still run a Zipkin collector need it.
#[cfg(feature = "zipkin")]
#[allow(deprecated)]
pub fn build(endpoint: Option<&str>) -> Result<ExporterBox, InitError> {
    let exporter = opentelemetry_zipkin::ZipkinExporter::builder()
        .with_collector_endpoint(endpoint.unwrap_or(DEFAULT_ENDPOINT))
        .build()
        .map_err(|e| InitError::Exporter { exporter: "zipkin", reason: e.to_string() })?;
    Ok(ExporterBox::new(exporter))
}

/// Without the `zipkin` feature: an error naming the feature.
#[cfg(not(feature = "zipkin"))]
pub fn build(_endpoint: Option<&str>) -> Result<ExporterBox, InitError> {
    Err(crate::error::ConfigError::MissingFeature {
        variable: "OTEL_TRACES_EXPORTER",
        value: "zipkin".into(),
        feature: "zipkin",
    }
    .into())
}

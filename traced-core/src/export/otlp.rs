//! OTLP exporters (gRPC with `otlp-grpc`, HTTP/protobuf with `otlp-http`),
//! configured from [`OtlpEnv`] and the builder.

use crate::config::{OtlpEnv, OtlpProtocol};
#[allow(unused_imports)]
use crate::error::{ConfigError, InitError};
use crate::processor::ExporterBox;
#[allow(unused_imports)]
use std::time::Duration;

/// Default per-export timeout (`OTEL_EXPORTER_OTLP_TIMEOUT`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(10_000);

/// The protocol used when none is set: `http/protobuf` as the specification
/// recommends, unless only the gRPC exporter is compiled in.
pub fn default_protocol() -> OtlpProtocol {
    if cfg!(feature = "otlp-http") || !cfg!(feature = "otlp-grpc") {
        OtlpProtocol::HttpProtobuf
    } else {
        OtlpProtocol::Grpc
    }
}

/// The URL spans are sent to: the trace-specific endpoint as is; the generic
/// one with `v1/traces` appended for HTTP; else the protocol's default.
pub fn resolve_endpoint(env: &OtlpEnv, protocol: OtlpProtocol) -> String {
    if let Some(e) = &env.traces_endpoint {
        return e.clone();
    }
    match (protocol, &env.endpoint) {
        (OtlpProtocol::HttpProtobuf, Some(base)) => format!("{}/v1/traces", base.trim_end_matches('/')),
        (OtlpProtocol::Grpc, Some(base)) => base.clone(),
        (OtlpProtocol::HttpProtobuf, None) => "http://localhost:4318/v1/traces".to_owned(),
        (OtlpProtocol::Grpc, None) => "http://localhost:4317".to_owned(),
    }
}

/// Builds the OTLP exporter `env` describes.
pub fn build(env: &OtlpEnv) -> Result<ExporterBox, InitError> {
    let protocol = env.protocol.unwrap_or_else(default_protocol);
    let endpoint = resolve_endpoint(env, protocol);
    let timeout = env.timeout.filter(|t| !t.is_zero()).unwrap_or(DEFAULT_TIMEOUT);
    match protocol {
        OtlpProtocol::HttpProtobuf => build_http(env, endpoint, timeout),
        OtlpProtocol::Grpc => build_grpc(env, endpoint, timeout),
    }
}

#[cfg(feature = "otlp-http")]
fn build_http(env: &OtlpEnv, endpoint: String, timeout: Duration) -> Result<ExporterBox, InitError> {
    use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
    let mut b = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_timeout(timeout)
        .with_headers(env.headers.iter().cloned().collect());
    if env.compression == Some(crate::config::Compression::Gzip) {
        b = b.with_compression(opentelemetry_otlp::Compression::Gzip);
    }
    let exporter = b.build().map_err(|e| InitError::Exporter { exporter: "otlp http", reason: e.to_string() })?;
    Ok(ExporterBox::new(exporter))
}

#[cfg(not(feature = "otlp-http"))]
fn build_http(_: &OtlpEnv, _: String, _: Duration) -> Result<ExporterBox, InitError> {
    Err(ConfigError::MissingFeature {
        variable: "OTEL_EXPORTER_OTLP_PROTOCOL",
        value: "http/protobuf".into(),
        feature: "otlp-http",
    }
    .into())
}

#[cfg(feature = "otlp-grpc")]
fn build_grpc(env: &OtlpEnv, endpoint: String, timeout: Duration) -> Result<ExporterBox, InitError> {
    use opentelemetry_otlp::{WithExportConfig, WithTonicConfig};
    // tonic needs a runtime to build its channel and to drive it. It gets its
    // own, so it works with any (or no) user runtime, with one worker thread
    // that keeps the HTTP/2 connection serviced between exports (a
    // current-thread runtime only runs it inside each export).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("traced-otlp-grpc")
        .enable_all()
        .build()
        .map_err(InitError::Thread)?;
    let _entered = runtime.enter();
    let mut metadata = tonic::metadata::MetadataMap::new();
    for (k, v) in &env.headers {
        let key = tonic::metadata::MetadataKey::from_bytes(k.to_ascii_lowercase().as_bytes());
        let value = tonic::metadata::MetadataValue::try_from(v.as_str());
        match (key, value) {
            (Ok(k), Ok(v)) => {
                metadata.insert(k, v);
            }
            _ => crate::diagnostics::warn(&format!("OTLP header `{k}` is not valid gRPC metadata; it is skipped")),
        }
    }
    let mut b = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(timeout)
        .with_metadata(metadata);
    if env.compression == Some(crate::config::Compression::Gzip) {
        b = b.with_compression(opentelemetry_otlp::Compression::Gzip);
    }
    let exporter = b.build().map_err(|e| InitError::Exporter { exporter: "otlp grpc", reason: e.to_string() })?;
    drop(_entered);
    Ok(ExporterBox::with_runtime(exporter, runtime))
}

#[cfg(not(feature = "otlp-grpc"))]
fn build_grpc(_: &OtlpEnv, _: String, _: Duration) -> Result<ExporterBox, InitError> {
    Err(ConfigError::MissingFeature {
        variable: "OTEL_EXPORTER_OTLP_PROTOCOL",
        value: "grpc".into(),
        feature: "otlp-grpc",
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_the_specification() {
        let mut env = OtlpEnv { endpoint: Some("http://c:4318/x/".into()), ..Default::default() };
        assert_eq!(resolve_endpoint(&env, OtlpProtocol::HttpProtobuf), "http://c:4318/x/v1/traces");
        assert_eq!(resolve_endpoint(&env, OtlpProtocol::Grpc), "http://c:4318/x/");
        env.traces_endpoint = Some("http://t:4318".into());
        assert_eq!(resolve_endpoint(&env, OtlpProtocol::HttpProtobuf), "http://t:4318");
        let none = OtlpEnv::default();
        assert_eq!(resolve_endpoint(&none, OtlpProtocol::HttpProtobuf), "http://localhost:4318/v1/traces");
        assert_eq!(resolve_endpoint(&none, OtlpProtocol::Grpc), "http://localhost:4317");
    }
}

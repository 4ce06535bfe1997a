//! OTLP exporters (gRPC with `otlp-grpc`, HTTP/protobuf with `otlp-http`),
//! configured from [`OtlpEnv`] and the builder.
//!
//! Our own exporter rather than `opentelemetry-otlp`'s: spans are written as
//! protobuf straight into one reusable buffer (`encode.rs`), which the
//! transports send as bytes, so a retry resends the buffer rather than a
//! deep copy of the batch. That took the export thread from the larger part
//! of the CPU a span costs to a small one (see BENCHMARKS.md).

#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
mod encode;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
mod exporter;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
pub(crate) use exporter::OtlpExporter;
#[cfg(feature = "otlp-grpc")]
mod grpc;
#[cfg(feature = "otlp-http")]
mod http;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
mod response;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
mod retry;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
mod wire;

use crate::config::{OtlpEnv, OtlpProtocol};
#[allow(unused_imports)]
use crate::error::{ConfigError, InitError};
use crate::processor::ExporterBox;
#[allow(unused_imports)]
use std::time::Duration;

/// `User-Agent` of both transports (OTLP specification: exporter, language, version).
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
const USER_AGENT: &str = concat!("OTel-OTLP-Exporter-Rust/", env!("CARGO_PKG_VERSION"), " traced");

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
    let gzip = env.compression == Some(crate::config::Compression::Gzip);
    match protocol {
        OtlpProtocol::HttpProtobuf => build_http(env, &endpoint, timeout, gzip),
        OtlpProtocol::Grpc => build_grpc(env, &endpoint, timeout, gzip),
    }
}

/// The TLS settings of `env`, loaded when `secure` (the endpoint uses TLS).
/// Certificate settings for a plaintext endpoint are said to be unused.
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
fn tls(env: &OtlpEnv, secure: bool) -> Result<Option<crate::export::tls::Tls>, String> {
    let files = crate::export::tls::TlsFiles {
        ca: env.certificate.as_ref(),
        client_certificate: env.client_certificate.as_ref(),
        client_key: env.client_key.as_ref(),
    };
    if !secure {
        if files.ca.is_some() || files.client_certificate.is_some() || files.client_key.is_some() {
            crate::diagnostics::warn(
                "OTLP certificate settings are set but the endpoint is not https://: they are not used",
            );
        }
        return Ok(None);
    }
    crate::export::tls::Tls::load(&files, "OTEL_EXPORTER_OTLP").map(Some)
}

#[cfg(feature = "otlp-http")]
fn build_http(env: &OtlpEnv, endpoint: &str, timeout: Duration, gzip: bool) -> Result<ExporterBox, InitError> {
    let error = |reason| InitError::Exporter { exporter: "otlp http", reason };
    let tls = tls(env, endpoint.starts_with("https://")).map_err(error)?;
    let transport = http::HttpTransport::new(endpoint, &env.headers, gzip, tls.as_ref()).map_err(error)?;
    Ok(ExporterBox::records(OtlpExporter::new(exporter::Transport::Http(transport), timeout)))
}

#[cfg(not(feature = "otlp-http"))]
fn build_http(_: &OtlpEnv, _: &str, _: Duration, _: bool) -> Result<ExporterBox, InitError> {
    Err(ConfigError::MissingFeature {
        variable: "OTEL_EXPORTER_OTLP_PROTOCOL",
        value: "http/protobuf".into(),
        feature: "otlp-http",
    }
    .into())
}

#[cfg(feature = "otlp-grpc")]
fn build_grpc(env: &OtlpEnv, endpoint: &str, timeout: Duration, gzip: bool) -> Result<ExporterBox, InitError> {
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
    let (url, secure) = grpc::target(endpoint, env.insecure.unwrap_or(false));
    let transport = tls(env, secure).and_then(|tls| {
        let _entered = runtime.enter();
        grpc::GrpcTransport::new(&url, &env.headers, gzip, tls.as_ref())
    });
    let transport = match transport {
        Ok(transport) => transport,
        Err(reason) => {
            // Dropping a runtime blocks, which panics inside async code
            // (`init()` in `#[tokio::main]`): let it go without waiting.
            runtime.shutdown_background();
            return Err(InitError::Exporter { exporter: "otlp grpc", reason });
        }
    };
    let exporter = OtlpExporter::new(exporter::Transport::Grpc(transport), timeout);
    Ok(ExporterBox::records_with_runtime(exporter, runtime))
}

#[cfg(not(feature = "otlp-grpc"))]
fn build_grpc(_: &OtlpEnv, _: &str, _: Duration, _: bool) -> Result<ExporterBox, InitError> {
    Err(ConfigError::MissingFeature {
        variable: "OTEL_EXPORTER_OTLP_PROTOCOL",
        value: "grpc".into(),
        feature: "otlp-grpc",
    }
    .into())
}

/// Entry points for the fuzz targets (`fuzz/`): the exporter's wire code on
/// arbitrary input. Not an API.
#[doc(hidden)]
#[cfg(all(feature = "otlp-http", feature = "otlp-grpc"))]
pub mod __fuzz {
    use opentelemetry_sdk::trace::SpanData;
    use opentelemetry_sdk::Resource;
    use std::time::Duration;

    /// The request our exporter sends for `spans`.
    pub fn encode(resource: &Resource, spans: &[SpanData]) -> Vec<u8> {
        let mut w = super::wire::Writer::default();
        super::encode::request(&mut w, resource, spans);
        w.buf
    }

    /// What the exporter reads from a collector's answer: partial success
    /// (rejected spans, message), an error status' message, a retry delay.
    pub fn read_answer(bytes: &[u8]) -> (Option<(i64, String)>, Option<String>, Option<Duration>) {
        let partial = super::response::PartialSuccess::read(bytes).map(|p| (p.rejected_spans, p.error_message));
        (partial, super::response::status_message(bytes), super::response::retry_delay(bytes))
    }
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

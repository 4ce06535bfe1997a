//! The Zipkin v2 JSON exporter (feature `zipkin`).
//!
//! Written here rather than taken from `opentelemetry-zipkin` 0.33, which is
//! deprecated upstream and sends no `localEndpoint.serviceName`, so Zipkin
//! shows every span without its service. Mapping per the OpenTelemetry
//! specification's Zipkin exporter: kind (none for internal), micro-second
//! timestamps, attributes as string tags, `otel.status_code` and `error`
//! tags for status, events as annotations, `service.name` as the local
//! endpoint's service name.

use crate::error::InitError;
use crate::processor::ExporterBox;

/// Default collector URL (`OTEL_EXPORTER_ZIPKIN_ENDPOINT`).
pub const DEFAULT_ENDPOINT: &str = "http://localhost:9411/api/v2/spans";

#[cfg(feature = "zipkin")]
mod imp {
    use crate::error::InitError;
    use crate::export::tls::{self, Tls, TlsFiles};
    use opentelemetry::trace::{SpanId, SpanKind, Status};
    use opentelemetry::Key;
    use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
    use opentelemetry_sdk::trace::{SpanData, SpanExporter};
    use opentelemetry_sdk::Resource;
    use serde_json::{json, Map, Value as Json};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    /// Sends spans to a Zipkin collector as v2 JSON.
    #[derive(Debug)]
    pub struct ZipkinExporter {
        agent: ureq::Agent,
        endpoint: String,
        service_name: String,
    }

    impl ZipkinExporter {
        /// An exporter posting to `endpoint` (e.g. `http://host:9411/api/v2/spans`);
        /// an `https://` endpoint is trusted through the system's roots.
        pub fn new(endpoint: impl Into<String>, timeout: Duration) -> Result<Self, InitError> {
            Self::with_tls(endpoint.into(), timeout, None)
        }

        /// An exporter posting to an `https://` endpoint whose certificate is
        /// signed by the CA in `certificate` (PEM; then only that CA is trusted).
        pub fn with_certificate(
            endpoint: impl Into<String>,
            timeout: Duration,
            certificate: crate::config::Pem,
        ) -> Result<Self, InitError> {
            Self::with_tls(endpoint.into(), timeout, Some(&certificate))
        }

        fn with_tls(endpoint: String, timeout: Duration, ca: Option<&crate::config::Pem>) -> Result<Self, InitError> {
            let error = |reason: String| InitError::Exporter { exporter: "zipkin", reason };
            let shown = crate::export::redact_url(&endpoint);
            let mut config = ureq::Agent::config_builder()
                .timeout_global(Some(timeout))
                .timeout_connect(Some(Duration::from_secs(5)))
                .http_status_as_error(false);
            match endpoint.split_once("://").map(|(scheme, _)| scheme) {
                Some("https") => {
                    let tls = Tls::load(&TlsFiles { ca, ..TlsFiles::default() }, "zipkin").map_err(error)?;
                    config = config.tls_config(tls::ureq_config(&tls).map_err(error)?);
                }
                Some("http") => {}
                _ => return Err(error(format!("endpoint `{shown}`: expected http(s)://host[:port]/path"))),
            }
            Ok(ZipkinExporter {
                agent: crate::export::resolve::agent(config.build()),
                endpoint,
                service_name: "unknown_service".into(),
            })
        }
    }

    fn micros(t: SystemTime) -> u64 {
        t.duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
    }

    /// One span in Zipkin's v2 model.
    pub(crate) fn to_zipkin(span: &SpanData, service_name: &str) -> Json {
        let mut tags = Map::new();
        for kv in &span.attributes {
            tags.insert(kv.key.to_string(), Json::String(kv.value.to_string()));
        }
        match &span.status {
            Status::Error { description } => {
                tags.insert("otel.status_code".into(), "ERROR".into());
                tags.insert("error".into(), Json::String(description.to_string()));
            }
            Status::Ok => {
                tags.insert("otel.status_code".into(), "OK".into());
            }
            Status::Unset => {}
        }
        tags.insert("otel.scope.name".into(), Json::String(span.instrumentation_scope.name().to_owned()));
        if let Some(v) = span.instrumentation_scope.version() {
            tags.insert("otel.scope.version".into(), Json::String(v.to_owned()));
        }
        let annotations: Vec<Json> = span
            .events
            .iter()
            .map(|e| {
                let value = if e.attributes.is_empty() {
                    e.name.to_string()
                } else {
                    let attrs: Map<String, Json> = e
                        .attributes
                        .iter()
                        .map(|kv| (kv.key.to_string(), Json::String(kv.value.to_string())))
                        .collect();
                    format!("\"{}\":{}", e.name, Json::Object(attrs))
                };
                json!({ "timestamp": micros(e.timestamp), "value": value })
            })
            .collect();
        let start = micros(span.start_time);
        let mut out = json!({
            "traceId": span.span_context.trace_id().to_string(),
            "id": span.span_context.span_id().to_string(),
            "name": span.name,
            "timestamp": start,
            "duration": micros(span.end_time).saturating_sub(start).max(1),
            "localEndpoint": { "serviceName": service_name },
            "tags": tags,
        });
        let obj = out.as_object_mut().expect("json object literal");
        if span.parent_span_id != SpanId::INVALID {
            obj.insert("parentId".into(), Json::String(span.parent_span_id.to_string()));
        }
        let kind = match span.span_kind {
            SpanKind::Client => Some("CLIENT"),
            SpanKind::Server => Some("SERVER"),
            SpanKind::Producer => Some("PRODUCER"),
            SpanKind::Consumer => Some("CONSUMER"),
            SpanKind::Internal => None,
        };
        if let Some(kind) = kind {
            obj.insert("kind".into(), kind.into());
        }
        if !annotations.is_empty() {
            obj.insert("annotations".into(), Json::Array(annotations));
        }
        out
    }

    impl SpanExporter for ZipkinExporter {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            let body = Json::Array(batch.iter().map(|s| to_zipkin(s, &self.service_name)).collect());
            let response = self
                .agent
                .post(&self.endpoint)
                .header("content-type", "application/json")
                .send(body.to_string())
                .map_err(|e| {
                    let tls = match &e {
                        ureq::Error::Rustls(tls) => tls::explain(tls),
                        ureq::Error::Io(io) => tls::explain(io),
                        _ => None,
                    };
                    OTelSdkError::InternalFailure(tls.unwrap_or_else(|| crate::export::redact_url(&e.to_string())))
                })?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(OTelSdkError::InternalFailure(format!("zipkin collector answered {}", response.status())))
            }
        }

        fn set_resource(&mut self, resource: &Resource) {
            if let Some(name) = resource.get(&Key::from_static_str("service.name")) {
                self.service_name = name.to_string();
            }
        }
    }
}

#[cfg(feature = "zipkin")]
pub use imp::ZipkinExporter;

/// Builds a Zipkin exporter sending to `endpoint` (or the default).
#[cfg(feature = "zipkin")]
pub fn build(endpoint: Option<&str>) -> Result<ExporterBox, InitError> {
    let exporter = ZipkinExporter::new(endpoint.unwrap_or(DEFAULT_ENDPOINT), std::time::Duration::from_secs(10))?;
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

//! The standard `OTEL_*` environment variables, parsed into a model
//! ([`EnvConfig`]). Each variable is read once, by the module it belongs to
//! (`otlp`, `sampling`, `resource`; the rules of reading in `reader`); a
//! malformed value is reported (collected in [`EnvConfig::warnings`]) and
//! ignored, never a panic.

use super::otlp::{otlp, OtlpEnv};
use super::reader::{list, Reader};
use crate::error::ConfigError;
use crate::limits::SpanLimits;
use crate::processor::BatchConfig;
use crate::propagation::PropagatorKind;
use crate::sampler::Sampler;
use opentelemetry::KeyValue;
use std::time::Duration;

/// Where spans go, as `OTEL_TRACES_EXPORTER` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExporterKind {
    /// OTLP over gRPC or HTTP (`otlp`).
    Otlp,
    /// Zipkin JSON over HTTP (`zipkin`).
    Zipkin,
    /// The readable tree on stdout (`console`, and the deprecated `logging`).
    Console,
    /// OTLP JSON lines in a file (`otlp_file`; see [`crate::export::file`]).
    OtlpFile,
}

/// Batch settings given by `OTEL_BSP_*`; `None` where unset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchEnv {
    /// `OTEL_BSP_SCHEDULE_DELAY`.
    pub schedule_delay: Option<Duration>,
    /// `OTEL_BSP_EXPORT_TIMEOUT`.
    pub export_timeout: Option<Duration>,
    /// `OTEL_BSP_MAX_QUEUE_SIZE`.
    pub max_queue_size: Option<usize>,
    /// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`.
    pub max_export_batch_size: Option<usize>,
}

impl BatchEnv {
    /// Applies the set values over `base`.
    pub fn apply(&self, mut base: BatchConfig) -> BatchConfig {
        if let Some(v) = self.schedule_delay {
            base.schedule_delay = v;
        }
        if let Some(v) = self.export_timeout {
            base.export_timeout = v;
        }
        if let Some(v) = self.max_queue_size {
            base.max_queue_size = v;
        }
        if let Some(v) = self.max_export_batch_size {
            base.max_export_batch_size = v;
        }
        base
    }
}

/// Span limits given by the environment; `None` where unset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimitsEnv {
    /// `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, else `OTEL_ATTRIBUTE_COUNT_LIMIT`.
    pub attribute_count: Option<u32>,
    /// `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`, else `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`.
    pub attribute_value_length: Option<u32>,
    /// `OTEL_SPAN_EVENT_COUNT_LIMIT`.
    pub event_count: Option<u32>,
    /// `OTEL_SPAN_LINK_COUNT_LIMIT`.
    pub link_count: Option<u32>,
    /// `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`.
    pub event_attribute_count: Option<u32>,
    /// `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`.
    pub link_attribute_count: Option<u32>,
}

impl LimitsEnv {
    /// Applies the set values over `base`.
    pub fn apply(&self, mut base: SpanLimits) -> SpanLimits {
        base.attribute_count = self.attribute_count.unwrap_or(base.attribute_count);
        base.attribute_value_length = self.attribute_value_length.or(base.attribute_value_length);
        base.event_count = self.event_count.unwrap_or(base.event_count);
        base.link_count = self.link_count.unwrap_or(base.link_count);
        base.event_attribute_count = self.event_attribute_count.unwrap_or(base.event_attribute_count);
        base.link_attribute_count = self.link_attribute_count.unwrap_or(base.link_attribute_count);
        base
    }
}

/// Everything the environment says about tracing.
#[derive(Debug, Clone, Default)]
pub struct EnvConfig {
    /// `OTEL_SDK_DISABLED=true`: no spans are recorded; propagation still works.
    pub sdk_disabled: bool,
    /// `OTEL_SERVICE_NAME`.
    pub service_name: Option<String>,
    /// `OTEL_RESOURCE_ATTRIBUTES`, decoded.
    pub resource_attributes: Vec<KeyValue>,
    /// `OTEL_PROPAGATORS` (`Some(vec![])` for `none`).
    pub propagators: Option<Vec<PropagatorKind>>,
    /// `OTEL_TRACES_SAMPLER` with its argument.
    pub sampler: Option<Sampler>,
    /// `OTEL_TRACES_EXPORTER` (`Some(vec![])` for `none`).
    pub exporters: Option<Vec<ExporterKind>>,
    /// `OTEL_EXPORTER_OTLP_*`.
    pub otlp: OtlpEnv,
    /// `OTEL_EXPORTER_ZIPKIN_ENDPOINT`.
    pub zipkin_endpoint: Option<String>,
    /// `TRACED_FILE_PATH`, `TRACED_FILE_MAX_BYTES`, `TRACED_FILE_MAX_FILES`
    /// (not OpenTelemetry variables), for `otlp_file`.
    pub file: crate::export::FileSettings,
    /// `OTEL_BSP_*`.
    pub batch: BatchEnv,
    /// Span limits.
    pub limits: LimitsEnv,
    /// `TRACED_ID_GENERATOR`: `random` (default) or `xray` (not an
    /// OpenTelemetry variable).
    pub id_generator: Option<crate::ids::IdGenerator>,
    /// `TRACED_RESOURCE_DETECTORS`: `none`, `all` or a list (not an
    /// OpenTelemetry variable; see [`crate::config::detect`]).
    pub resource_detectors: Option<Vec<crate::config::Detector>>,
    /// `TRACED_TAIL_SAMPLING` (not an OpenTelemetry variable).
    pub tail_sampling: Option<crate::processor::TailSampling>,
    /// Values that were malformed and ignored.
    pub warnings: Vec<ConfigError>,
}

impl EnvConfig {
    /// Reads the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (tests pass a map).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Self {
        let mut r = Reader { lookup, warnings: Vec::new() };
        let mut c = EnvConfig { sdk_disabled: r.bool("OTEL_SDK_DISABLED"), ..Default::default() };
        c.service_name = r.get("OTEL_SERVICE_NAME");
        c.resource_attributes = super::resource::resource_attributes(&mut r);
        c.propagators = propagators(&mut r);
        let root = super::sampling::sampler(&mut r);
        c.sampler = super::sampling::with_rules(&mut r, root);
        c.tail_sampling = super::sampling::tail(&mut r);
        c.exporters = exporters(&mut r);
        if let Some(raw) = r.get("TRACED_RESOURCE_DETECTORS") {
            match super::detect::parse_detectors(&raw) {
                Ok(list) => c.resource_detectors = Some(list),
                Err(name) => r.warn(
                    "TRACED_RESOURCE_DETECTORS",
                    &raw,
                    format!("unknown detector `{name}` (expected none, all, service, process, host, os, container, k8s); all run"),
                ),
            }
        }
        c.id_generator = match r.get("TRACED_ID_GENERATOR").as_deref() {
            None => None,
            Some("random") => Some(crate::ids::IdGenerator::Random),
            Some("xray") => Some(crate::ids::IdGenerator::XRay),
            Some(other) => {
                let raw = other.to_owned();
                r.warn("TRACED_ID_GENERATOR", &raw, "expected `random` or `xray`; ignored".to_owned());
                None
            }
        };
        c.otlp = otlp(&mut r);
        c.zipkin_endpoint = r.get("OTEL_EXPORTER_ZIPKIN_ENDPOINT");
        let defaults = crate::export::FileSettings::default();
        c.file = crate::export::FileSettings {
            path: r.get("TRACED_FILE_PATH").map(Into::into).unwrap_or(defaults.path),
            max_bytes: r.number("TRACED_FILE_MAX_BYTES").unwrap_or(defaults.max_bytes),
            max_files: r.number("TRACED_FILE_MAX_FILES").unwrap_or(defaults.max_files),
        };
        c.batch = BatchEnv {
            schedule_delay: r.millis("OTEL_BSP_SCHEDULE_DELAY"),
            export_timeout: r.millis("OTEL_BSP_EXPORT_TIMEOUT"),
            max_queue_size: r.number("OTEL_BSP_MAX_QUEUE_SIZE"),
            max_export_batch_size: r.number("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
        };
        if let (Some(batch), Some(queue)) = (c.batch.max_export_batch_size, c.batch.max_queue_size) {
            if batch > queue {
                r.warn(
                    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                    &batch.to_string(),
                    format!("must not exceed OTEL_BSP_MAX_QUEUE_SIZE ({queue}); using {queue}"),
                );
                c.batch.max_export_batch_size = Some(queue);
            }
        }
        c.limits = LimitsEnv {
            attribute_count: r
                .count("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT")
                .or_else(|| r.count("OTEL_ATTRIBUTE_COUNT_LIMIT")),
            attribute_value_length: r
                .count("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT")
                .or_else(|| r.count("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT")),
            event_count: r.count("OTEL_SPAN_EVENT_COUNT_LIMIT"),
            link_count: r.count("OTEL_SPAN_LINK_COUNT_LIMIT"),
            event_attribute_count: r.count("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"),
            link_attribute_count: r.count("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT"),
        };
        c.warnings = r.warnings;
        c
    }
}

fn propagators(r: &mut Reader<'_>) -> Option<Vec<PropagatorKind>> {
    const VAR: &str = "OTEL_PROPAGATORS";
    let raw = r.get(VAR)?;
    let mut out = Vec::new();
    for name in list(&raw) {
        let kind = match name.as_str() {
            "tracecontext" => PropagatorKind::TraceContext,
            "baggage" => PropagatorKind::Baggage,
            "jaeger" => PropagatorKind::Jaeger,
            "b3" => PropagatorKind::B3,
            "b3multi" => PropagatorKind::B3Multi,
            "xray" => PropagatorKind::XRay,
            "none" => continue,
            "ottrace" => {
                r.warn(VAR, &raw, format!("`{name}` is not supported by traced; it is skipped"));
                continue;
            }
            _ => {
                r.warn(VAR, &raw, format!("unknown propagator `{name}`; it is skipped"));
                continue;
            }
        };
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    if list(&raw).any(|n| n == "none") {
        return Some(Vec::new());
    }
    Some(out)
}

fn exporters(r: &mut Reader<'_>) -> Option<Vec<ExporterKind>> {
    const VAR: &str = "OTEL_TRACES_EXPORTER";
    let raw = r.get(VAR)?;
    let mut out = Vec::new();
    for name in list(&raw) {
        let kind = match name.as_str() {
            "otlp" => ExporterKind::Otlp,
            "zipkin" => ExporterKind::Zipkin,
            "console" | "logging" => ExporterKind::Console,
            "otlp_file" => ExporterKind::OtlpFile,
            "none" => return Some(Vec::new()),
            _ => {
                r.warn(VAR, &raw, format!("unknown exporter `{name}`; it is skipped"));
                continue;
            }
        };
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    // Only unknown names: behave as if unset.
    if out.is_empty() {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Compression, OtlpProtocol};
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> EnvConfig {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        EnvConfig::from_lookup(&move |k| map.get(k).cloned())
    }

    fn warned(c: &EnvConfig, var: &str) -> bool {
        c.warnings.iter().any(|w| matches!(w, ConfigError::InvalidValue { variable, .. } if *variable == var))
    }

    #[test]
    fn nothing_set_gives_defaults() {
        let c = read(&[]);
        assert!(!c.sdk_disabled);
        assert!(c.service_name.is_none() && c.sampler.is_none() && c.exporters.is_none() && c.propagators.is_none());
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn sdk_disabled_is_true_only_for_true() {
        assert!(read(&[("OTEL_SDK_DISABLED", "TRUE")]).sdk_disabled);
        assert!(!read(&[("OTEL_SDK_DISABLED", "false")]).sdk_disabled);
        let c = read(&[("OTEL_SDK_DISABLED", "yes")]);
        assert!(!c.sdk_disabled);
        assert!(warned(&c, "OTEL_SDK_DISABLED"));
        assert!(!read(&[("OTEL_SDK_DISABLED", "")]).sdk_disabled);
    }

    #[test]
    fn service_name_and_empty_values() {
        assert_eq!(read(&[("OTEL_SERVICE_NAME", "checkout")]).service_name.as_deref(), Some("checkout"));
        assert_eq!(read(&[("OTEL_SERVICE_NAME", "  ")]).service_name, None);
    }

    #[test]
    fn resource_attributes_are_percent_decoded() {
        let c = read(&[("OTEL_RESOURCE_ATTRIBUTES", "service.namespace=shop, team=a%2Cb%3Dc,note=caf%C3%A9")]);
        assert_eq!(
            c.resource_attributes,
            vec![
                KeyValue::new("service.namespace", "shop"),
                KeyValue::new("team", "a,b=c"),
                KeyValue::new("note", "café")
            ]
        );
    }

    #[test]
    fn malformed_resource_attributes_are_dropped_and_reported() {
        for bad in ["a=1,broken", "a=%ZZ,b=2", "a=%FF", "a=%C3", "a=50%", "bad%2=1"] {
            let c = read(&[("OTEL_RESOURCE_ATTRIBUTES", bad)]);
            assert!(c.resource_attributes.is_empty(), "{bad}");
            assert!(warned(&c, "OTEL_RESOURCE_ATTRIBUTES"), "{bad}");
        }
    }

    #[test]
    fn propagators() {
        assert_eq!(
            read(&[("OTEL_PROPAGATORS", "tracecontext,baggage")]).propagators,
            Some(PropagatorKind::DEFAULT.to_vec())
        );
        assert_eq!(
            read(&[("OTEL_PROPAGATORS", "Jaeger, tracecontext,jaeger")]).propagators,
            Some(vec![PropagatorKind::Jaeger, PropagatorKind::TraceContext])
        );
        assert_eq!(read(&[("OTEL_PROPAGATORS", "none")]).propagators, Some(vec![]));
        let c = read(&[("OTEL_PROPAGATORS", "ottrace,tracecontext,bogus")]);
        assert_eq!(c.propagators, Some(vec![PropagatorKind::TraceContext]));
        assert_eq!(c.warnings.len(), 2);
        assert_eq!(
            read(&[("OTEL_PROPAGATORS", "tracecontext,baggage,b3,b3multi,jaeger,xray")]).propagators,
            Some(vec![
                PropagatorKind::TraceContext,
                PropagatorKind::Baggage,
                PropagatorKind::B3,
                PropagatorKind::B3Multi,
                PropagatorKind::Jaeger,
                PropagatorKind::XRay
            ])
        );
        assert_eq!(read(&[("TRACED_ID_GENERATOR", "xray")]).id_generator, Some(crate::ids::IdGenerator::XRay));
    }

    #[test]
    fn operator_style_references_expand_from_the_environment() {
        let c = read(&[
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),team=pay,k8s.node.name=$(NOPE)",
            ),
            ("OTEL_RESOURCE_ATTRIBUTES_POD_NAME", "checkout-1"),
        ]);
        let attrs: Vec<(String, String)> =
            c.resource_attributes.iter().map(|kv| (kv.key.to_string(), kv.value.to_string())).collect();
        assert_eq!(attrs, [("k8s.pod.name".into(), "checkout-1".into()), ("team".into(), "pay".into())]);
        assert_eq!(c.warnings.len(), 1, "the unset one is reported");
        assert_eq!(read(&[("TRACED_RESOURCE_DETECTORS", "host,os")]).resource_detectors.map(|d| d.len()), Some(2));
    }

    #[test]
    fn every_standard_sampler() {
        let s = |name: &str, arg: Option<&str>| {
            let mut vars = vec![("OTEL_TRACES_SAMPLER", name)];
            if let Some(a) = arg {
                vars.push(("OTEL_TRACES_SAMPLER_ARG", a));
            }
            let c = read(&vars);
            (format!("{:?}", c.sampler), c.warnings.len())
        };
        assert_eq!(s("always_on", None), ("Some(AlwaysOn)".into(), 0));
        assert_eq!(s("always_off", None), ("Some(AlwaysOff)".into(), 0));
        assert_eq!(s("traceidratio", Some("0.25")), ("Some(TraceIdRatio(0.25))".into(), 0));
        assert_eq!(s("traceidratio", None), ("Some(TraceIdRatio(1))".into(), 0));
        assert_eq!(s("parentbased_always_on", None), ("Some(ParentBased(AlwaysOn))".into(), 0));
        assert_eq!(s("parentbased_always_off", None), ("Some(ParentBased(AlwaysOff))".into(), 0));
        assert_eq!(s("ParentBased_TraceIdRatio", Some("0.5")), ("Some(ParentBased(TraceIdRatio(0.5)))".into(), 0));
        assert_eq!(s("traceidratio", Some("1.5")), ("Some(TraceIdRatio(1))".into(), 1));
        assert_eq!(s("traceidratio", Some("half")), ("Some(TraceIdRatio(1))".into(), 1));
        assert_eq!(s("jaeger_remote", None), ("None".into(), 1));
        assert_eq!(s("parentbased_jaeger_remote", None), ("None".into(), 1));
        assert_eq!(s("xray", None), ("None".into(), 1));
        assert_eq!(s("sometimes", None), ("None".into(), 1));
    }

    #[test]
    fn exporters() {
        assert_eq!(read(&[("OTEL_TRACES_EXPORTER", "otlp")]).exporters, Some(vec![ExporterKind::Otlp]));
        assert_eq!(
            read(&[("OTEL_TRACES_EXPORTER", "otlp,console,zipkin")]).exporters,
            Some(vec![ExporterKind::Otlp, ExporterKind::Console, ExporterKind::Zipkin])
        );
        assert_eq!(read(&[("OTEL_TRACES_EXPORTER", "none")]).exporters, Some(vec![]));
        assert_eq!(read(&[("OTEL_TRACES_EXPORTER", "logging")]).exporters, Some(vec![ExporterKind::Console]));
        let file = read(&[
            ("OTEL_TRACES_EXPORTER", "otlp_file"),
            ("TRACED_FILE_PATH", "/var/log/app/spans.jsonl"),
            ("TRACED_FILE_MAX_BYTES", "1000"),
        ]);
        assert_eq!(file.exporters, Some(vec![ExporterKind::OtlpFile]));
        assert_eq!(
            file.file,
            crate::export::FileSettings { path: "/var/log/app/spans.jsonl".into(), max_bytes: 1000, max_files: 10 }
        );
        let c = read(&[("OTEL_TRACES_EXPORTER", "kafka")]);
        assert_eq!(c.exporters, None);
        assert!(warned(&c, "OTEL_TRACES_EXPORTER"));
    }

    #[test]
    fn otlp_settings_signal_specific_first() {
        let c = read(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/v1/traces"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=secret%20value,x=1"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x=2"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ]);
        assert_eq!(c.otlp.endpoint.as_deref(), Some("http://collector:4318"));
        assert_eq!(c.otlp.traces_endpoint.as_deref(), Some("http://traces:4318/v1/traces"));
        assert_eq!(c.otlp.protocol, Some(OtlpProtocol::HttpProtobuf));
        assert_eq!(c.otlp.headers, vec![("api-key".into(), "secret value".into()), ("x".into(), "2".into())]);
        assert_eq!(c.otlp.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(c.otlp.compression, Some(Compression::Gzip));
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn otlp_tls_settings_signal_specific_first_and_debug_hides_secrets() {
        use crate::config::Pem;
        let c = read(&[
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"),
            ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/etc/traces-ca.pem"),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/etc/client.pem"),
            ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "/etc/client-key.pem"),
            ("OTEL_EXPORTER_OTLP_INSECURE", "TRUE"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20s3cr3t"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://user:pa55word@collector:4318"),
        ]);
        assert_eq!(c.otlp.certificate, Some(Pem::Path("/etc/traces-ca.pem".into())));
        assert_eq!(c.otlp.client_certificate, Some(Pem::Path("/etc/client.pem".into())));
        assert_eq!(c.otlp.client_key, Some(Pem::Path("/etc/client-key.pem".into())));
        assert_eq!(c.otlp.insecure, Some(true));
        assert!(c.warnings.is_empty());
        let debug = format!("{c:?}");
        assert!(!debug.contains("s3cr3t") && !debug.contains("pa55word"), "{debug}");
        assert!(debug.contains("authorization"), "{debug}");
        let key = Pem::Inline(b"-----BEGIN PRIVATE KEY-----\nMIIE".to_vec());
        assert_eq!(format!("{key:?}"), "Inline(<32 bytes>)");
        let bad = read(&[("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "yes")]);
        assert_eq!(bad.otlp.insecure, None);
        assert!(warned(&bad, "OTEL_EXPORTER_OTLP_TRACES_INSECURE"));
    }

    #[test]
    fn malformed_otlp_settings_are_reported_without_leaking_secrets() {
        let c = read(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "authorization"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "-5"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
        ]);
        assert_eq!(c.otlp.protocol, None);
        assert!(c.otlp.headers.is_empty());
        assert_eq!(c.otlp.timeout, None);
        assert_eq!(c.otlp.compression, None);
        assert_eq!(c.warnings.len(), 4);
        assert!(!format!("{:?}", c.warnings).contains("authorization"));
        let json = read(&[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")]);
        assert_eq!(json.otlp.protocol, Some(OtlpProtocol::HttpProtobuf));
        assert_eq!(json.warnings.len(), 1);
    }

    #[test]
    fn batch_settings() {
        let c = read(&[
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_BSP_EXPORT_TIMEOUT", "2000"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "64"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "128"),
        ]);
        let b = c.batch.apply(BatchConfig::default());
        assert_eq!(b.schedule_delay, Duration::from_millis(100));
        assert_eq!(b.export_timeout, Duration::from_millis(2000));
        assert_eq!(b.max_queue_size, 64);
        assert_eq!(b.max_export_batch_size, 64, "batch size is capped at the queue size");
        assert!(warned(&c, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"));
        let bad = read(&[("OTEL_BSP_MAX_QUEUE_SIZE", "lots")]);
        assert_eq!(bad.batch.max_queue_size, None);
        assert!(warned(&bad, "OTEL_BSP_MAX_QUEUE_SIZE"));
    }

    #[test]
    fn span_limits() {
        let c = read(&[
            ("OTEL_ATTRIBUTE_COUNT_LIMIT", "10"),
            ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "5"),
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "20"),
            ("OTEL_SPAN_EVENT_COUNT_LIMIT", "3"),
            ("OTEL_SPAN_LINK_COUNT_LIMIT", "0"),
            ("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "2"),
            ("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "1"),
        ]);
        let l = c.limits.apply(SpanLimits::default());
        assert_eq!(
            l,
            SpanLimits {
                attribute_count: 5,
                attribute_value_length: Some(20),
                event_count: 3,
                link_count: 0,
                event_attribute_count: 2,
                link_attribute_count: 1
            }
        );
        let bad = read(&[("OTEL_SPAN_EVENT_COUNT_LIMIT", "1e3")]);
        assert_eq!(bad.limits.event_count, None);
        assert!(warned(&bad, "OTEL_SPAN_EVENT_COUNT_LIMIT"));
    }
}

//! The standard `OTEL_*` environment variables, parsed into a model.
//!
//! Rules from the specification: an empty value is unset; booleans are true
//! only for a case-insensitive `true`; enum values are case-insensitive;
//! durations are milliseconds; a malformed value is reported (collected in
//! [`EnvConfig::warnings`]) and ignored, never a panic.

use crate::error::ConfigError;
use crate::limits::SpanLimits;
use crate::processor::BatchConfig;
use crate::propagation::PropagatorKind;
use crate::sampler::Sampler;
use opentelemetry::KeyValue;
use percent_encoding::percent_decode_str;
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
}

/// OTLP transport (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// `grpc`, port 4317.
    Grpc,
    /// `http/protobuf`, port 4318.
    HttpProtobuf,
}

/// OTLP payload compression (`OTEL_EXPORTER_OTLP_COMPRESSION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// `gzip`.
    Gzip,
    /// `none`.
    None,
}

/// OTLP exporter settings; `None` where nothing was set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OtlpEnv {
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` (gets `/v1/traces` appended for HTTP).
    pub endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is).
    pub traces_endpoint: Option<String>,
    /// Protocol, trace-specific variable first.
    pub protocol: Option<OtlpProtocol>,
    /// Extra request headers (generic ones, then trace-specific ones).
    pub headers: Vec<(String, String)>,
    /// Per-export timeout.
    pub timeout: Option<Duration>,
    /// Compression.
    pub compression: Option<Compression>,
}

impl OtlpEnv {
    /// True when an endpoint was given (so OTLP is the default exporter).
    pub fn has_endpoint(&self) -> bool {
        self.endpoint.is_some() || self.traces_endpoint.is_some()
    }
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
    /// `OTEL_BSP_*`.
    pub batch: BatchEnv,
    /// Span limits.
    pub limits: LimitsEnv,
    /// `TRACED_TAIL_SAMPLING` (not an OpenTelemetry variable).
    pub tail_sampling: Option<crate::processor::TailSampling>,
    /// Values that were malformed and ignored.
    pub warnings: Vec<ConfigError>,
}

pub(super) struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    warnings: Vec<ConfigError>,
}

impl Reader<'_> {
    pub(super) fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    pub(super) fn warn(&mut self, variable: &'static str, value: &str, reason: impl Into<String>) {
        self.warnings.push(ConfigError::InvalidValue { variable, value: value.to_owned(), reason: reason.into() });
    }

    fn bool(&mut self, name: &'static str) -> bool {
        match self.get(name) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                self.warn(name, &v, "expected `true` or `false`");
                false
            }
        }
    }

    fn number<T: std::str::FromStr>(&mut self, name: &'static str) -> Option<T> {
        let v = self.get(name)?;
        match v.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                self.warn(name, &v, "expected a non-negative integer");
                None
            }
        }
    }

    fn millis(&mut self, name: &'static str) -> Option<Duration> {
        self.number::<u64>(name).map(Duration::from_millis)
    }

    /// A count limit; `0` is valid (record none).
    fn count(&mut self, name: &'static str) -> Option<u32> {
        self.number(name)
    }
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
        c.resource_attributes = resource_attributes(&mut r);
        c.propagators = propagators(&mut r);
        let root = sampler(&mut r);
        c.sampler = super::sampling::with_rules(&mut r, root);
        c.tail_sampling = super::sampling::tail(&mut r);
        c.exporters = exporters(&mut r);
        c.otlp = otlp(&mut r);
        c.zipkin_endpoint = r.get("OTEL_EXPORTER_ZIPKIN_ENDPOINT");
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

/// `k=v,k2=v2` with percent-encoded keys and values. Any malformed pair or
/// bad encoding drops the whole variable, as the specification says.
fn resource_attributes(r: &mut Reader<'_>) -> Vec<KeyValue> {
    const VAR: &str = "OTEL_RESOURCE_ATTRIBUTES";
    let Some(raw) = r.get(VAR) else { return Vec::new() };
    let mut out = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            r.warn(VAR, &raw, format!("`{pair}` is not key=value; all resource attributes from it are ignored"));
            return Vec::new();
        };
        let (k, v) = (k.trim(), v.trim());
        match (strict_decode(k), strict_decode(v)) {
            (Some(k), Some(v)) if !k.is_empty() => out.push(KeyValue::new(k, v)),
            _ => {
                r.warn(
                    VAR,
                    &raw,
                    format!("`{pair}` is not valid percent-encoded UTF-8; all resource attributes from it are ignored"),
                );
                return Vec::new();
            }
        }
    }
    out
}

/// Percent-decodes `s`, failing on a `%` not followed by two hex digits or on
/// invalid UTF-8 (a lenient decoder would keep `%ZZ` as text).
fn strict_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    for (i, _) in s.match_indices('%') {
        if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)) {
            return None;
        }
    }
    percent_decode_str(s).decode_utf8().ok().map(|c| c.into_owned())
}

fn list(raw: &str) -> impl Iterator<Item = String> + '_ {
    raw.split(',').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty())
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
            "none" => continue,
            "b3" | "b3multi" | "xray" | "ottrace" => {
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

fn sampler(r: &mut Reader<'_>) -> Option<Sampler> {
    const VAR: &str = "OTEL_TRACES_SAMPLER";
    const ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
    let raw = r.get(VAR)?;
    let ratio = |r: &mut Reader<'_>| match r.get(ARG) {
        None => 1.0,
        Some(v) => match v.parse::<f64>() {
            Ok(p) if (0.0..=1.0).contains(&p) => p,
            _ => {
                r.warn(ARG, &v, "expected a ratio between 0 and 1; using 1.0");
                1.0
            }
        },
    };
    let parent_based = |s: Sampler| Sampler::ParentBased(Box::new(s));
    Some(match raw.to_ascii_lowercase().as_str() {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "traceidratio" => Sampler::TraceIdRatio(ratio(r)),
        "parentbased_always_on" => parent_based(Sampler::AlwaysOn),
        "parentbased_always_off" => parent_based(Sampler::AlwaysOff),
        "parentbased_traceidratio" => parent_based(Sampler::TraceIdRatio(ratio(r))),
        "traced_ratelimited" | "parentbased_traced_ratelimited" | "traced_adaptive" | "parentbased_traced_adaptive" => {
            return super::sampling::traffic_sampler(r, &raw.to_ascii_lowercase());
        }
        "jaeger_remote" | "parentbased_jaeger_remote" | "xray" => {
            r.warn(VAR, &raw, "this sampler is not supported by traced; using parentbased_always_on");
            return None;
        }
        _ => {
            r.warn(VAR, &raw, "unknown sampler; using parentbased_always_on");
            return None;
        }
    })
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

fn otlp(r: &mut Reader<'_>) -> OtlpEnv {
    let mut o = OtlpEnv {
        endpoint: r.get("OTEL_EXPORTER_OTLP_ENDPOINT"),
        traces_endpoint: r.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        ..Default::default()
    };
    o.protocol = first_valid(
        r,
        ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"],
        "expected `grpc` or `http/protobuf`",
        |r, var, v| match v {
            "grpc" => Some(OtlpProtocol::Grpc),
            "http/protobuf" => Some(OtlpProtocol::HttpProtobuf),
            "http/json" => {
                r.warn(var, v, "http/json is not supported; using http/protobuf");
                Some(OtlpProtocol::HttpProtobuf)
            }
            _ => None,
        },
    );
    for var in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
        let Some(v) = r.get(var) else { continue };
        match parse_headers(&v) {
            Some(h) => {
                for (k, val) in h {
                    o.headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(&k));
                    o.headers.push((k, val));
                }
            }
            None => r.warn(
                var,
                "<hidden>",
                "expected key=value pairs separated by commas (values are not shown: they may hold credentials)",
            ),
        }
    }
    o.timeout = r.millis("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT").or_else(|| r.millis("OTEL_EXPORTER_OTLP_TIMEOUT"));
    o.compression = first_valid(
        r,
        ["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"],
        "expected `gzip` or `none`",
        |_, _, v| match v {
            "gzip" => Some(Compression::Gzip),
            "none" => Some(Compression::None),
            _ => None,
        },
    );
    o
}

/// The first of `vars` (signal-specific first) holding a value `parse`
/// accepts (case-insensitively); invalid values are reported and skipped.
fn first_valid<T>(
    r: &mut Reader<'_>,
    vars: [&'static str; 2],
    expected: &str,
    parse: impl Fn(&mut Reader<'_>, &'static str, &str) -> Option<T>,
) -> Option<T> {
    for var in vars {
        let Some(raw) = r.get(var) else { continue };
        match parse(r, var, raw.to_ascii_lowercase().as_str()) {
            Some(v) => return Some(v),
            None => r.warn(var, &raw, expected),
        }
    }
    None
}

/// `k=v,k2=v2` in W3C Baggage form, values percent-decoded.
fn parse_headers(raw: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=')?;
        let k = k.trim();
        if k.is_empty() {
            return None;
        }
        let v = percent_decode_str(v.trim()).decode_utf8().ok()?;
        out.push((k.to_owned(), v.into_owned()));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let c = read(&[("OTEL_PROPAGATORS", "b3,tracecontext,bogus")]);
        assert_eq!(c.propagators, Some(vec![PropagatorKind::TraceContext]));
        assert_eq!(c.warnings.len(), 2);
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

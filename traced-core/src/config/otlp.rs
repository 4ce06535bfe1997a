//! `OTEL_EXPORTER_OTLP_*`: the OTLP exporter's settings, trace-specific
//! variables over the generic ones.

use super::reader::{first_valid, Reader};
use percent_encoding::percent_decode_str;
use std::time::Duration;

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

pub(super) fn otlp(r: &mut Reader<'_>) -> OtlpEnv {
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

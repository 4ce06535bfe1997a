//! `OTEL_EXPORTER_OTLP_*`: the OTLP exporter's settings, trace-specific
//! variables over the generic ones.

use super::reader::{first_valid, Reader};
use percent_encoding::percent_decode_str;
use std::path::PathBuf;
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

/// PEM data for TLS: a file (what the variables name) or the bytes
/// themselves (from code, e.g. a secret mounted elsewhere).
#[derive(Clone, PartialEq, Eq)]
pub enum Pem {
    /// A PEM file, read when the exporter is built.
    Path(PathBuf),
    /// PEM text.
    Inline(Vec<u8>),
}

impl From<PathBuf> for Pem {
    fn from(path: PathBuf) -> Self {
        Pem::Path(path)
    }
}

impl std::fmt::Debug for Pem {
    // Inline PEM may be a private key: only its size is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pem::Path(path) => f.debug_tuple("Path").field(path).finish(),
            Pem::Inline(bytes) => write!(f, "Inline(<{} bytes>)", bytes.len()),
        }
    }
}

/// OTLP exporter settings; `None` where nothing was set.
///
/// `Debug` shows header names only: their values are credentials.
#[derive(Clone, Default, PartialEq, Eq)]
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
    /// CA certificates (PEM) trusted for the collector's certificate
    /// (`OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE`); when set they are the
    /// only ones trusted, as in the other OpenTelemetry SDKs; unset, the
    /// system's roots are.
    pub certificate: Option<Pem>,
    /// Client certificate chain (PEM) for mutual TLS
    /// (`OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE`).
    pub client_certificate: Option<Pem>,
    /// The client certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1;
    /// `OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_KEY`).
    pub client_key: Option<Pem>,
    /// gRPC only: plaintext for an endpoint given without a scheme
    /// (`OTEL_EXPORTER_OTLP_[TRACES_]INSECURE`); without it such an
    /// endpoint uses TLS. `http://` and `https://` always win.
    pub insecure: Option<bool>,
}

impl std::fmt::Debug for OtlpEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<String> = self.headers.iter().map(|(k, _)| format!("{k}: <redacted>")).collect();
        f.debug_struct("OtlpEnv")
            .field("endpoint", &self.endpoint.as_deref().map(crate::export::redact_url))
            .field("traces_endpoint", &self.traces_endpoint.as_deref().map(crate::export::redact_url))
            .field("protocol", &self.protocol)
            .field("headers", &headers)
            .field("timeout", &self.timeout)
            .field("compression", &self.compression)
            .field("certificate", &self.certificate)
            .field("client_certificate", &self.client_certificate)
            .field("client_key", &self.client_key)
            .field("insecure", &self.insecure)
            .finish()
    }
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
    let path = |r: &mut Reader<'_>, vars: [&str; 2]| vars.iter().find_map(|v| r.get(v)).map(|p| Pem::Path(p.into()));
    o.certificate = path(r, ["OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "OTEL_EXPORTER_OTLP_CERTIFICATE"]);
    o.client_certificate =
        path(r, ["OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"]);
    o.client_key = path(r, ["OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "OTEL_EXPORTER_OTLP_CLIENT_KEY"]);
    o.insecure = first_valid(
        r,
        ["OTEL_EXPORTER_OTLP_TRACES_INSECURE", "OTEL_EXPORTER_OTLP_INSECURE"],
        "expected `true` or `false`",
        |_, _, v| match v {
            "true" => Some(true),
            "false" => Some(false),
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

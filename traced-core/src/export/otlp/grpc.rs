//! OTLP/gRPC: the encoded request sent as the message of
//! `TraceService/Export` over a tonic channel, as bytes: nothing is decoded
//! into or copied out of generated types, and a retry resends the same
//! buffer (reference counted) instead of a deep copy of the batch.

use super::response::{retry_delay, PartialSuccess};
use super::retry::Outcome;
use crate::export::redact_url;
use crate::export::tls::{self, Tls};
use crate::export::Secrets;
use bytes::{Buf, BufMut, Bytes};
use std::time::Duration;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::{Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Status};

const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// A collector's gRPC endpoint.
#[derive(Clone)]
pub(crate) struct GrpcTransport {
    channel: Channel,
    metadata: MetadataMap,
    gzip: bool,
    host: String,
    secrets: Secrets,
    /// TLS without a client certificate (see [`GrpcTransport::hint`]).
    tls_without_identity: bool,
}

impl std::fmt::Debug for GrpcTransport {
    // Metadata values are credentials: keys only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<String> = self.metadata.keys().map(|k| format!("{k:?}")).collect();
        f.debug_struct("GrpcTransport")
            .field("host", &self.host)
            .field("metadata", &keys)
            .field("gzip", &self.gzip)
            .finish()
    }
}

/// The URL to connect to and whether it uses TLS. The specification allows
/// a bare `host:port`: TLS unless `insecure` (`OTEL_EXPORTER_OTLP_INSECURE`)
/// says otherwise; an explicit `http://` or `https://` always wins.
pub(crate) fn target(endpoint: &str, insecure: bool) -> (String, bool) {
    if endpoint.starts_with("https://") {
        (endpoint.to_owned(), true)
    } else if endpoint.contains("://") {
        (endpoint.to_owned(), false)
    } else if insecure {
        (format!("http://{endpoint}"), false)
    } else {
        (format!("https://{endpoint}"), true)
    }
}

impl GrpcTransport {
    /// Must run inside the Tokio runtime that will drive the channel.
    /// `url` comes from [`target`]; `tls` is required when it is `https://`.
    pub(crate) fn new(url: &str, headers: &[(String, String)], gzip: bool, tls: Option<&Tls>) -> Result<Self, String> {
        let shown = redact_url(url);
        let mut endpoint = Endpoint::from_shared(url.to_owned())
            .map_err(|e| format!("endpoint `{shown}`: {e}"))?
            .user_agent(super::USER_AGENT)
            .map_err(|e| e.to_string())?
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(5));
        let host = endpoint.uri().authority().map(|a| a.to_string()).unwrap_or_default();
        if url.starts_with("https://") {
            let tls = tls.ok_or_else(|| format!("endpoint `{shown}`: TLS settings missing"))?;
            let mut config = ClientTlsConfig::new().trust_anchors(tls.roots.roots.clone());
            if let Some(id) = &tls.identity {
                config = config.identity(Identity::from_pem(&id.chain_pem, &id.key_pem));
            }
            endpoint = endpoint.tls_config(config).map_err(|e| format!("endpoint `{shown}`: {e}"))?;
        }
        let channel = endpoint.connect_lazy();
        let mut metadata = MetadataMap::new();
        for (k, v) in headers {
            match (MetadataKey::from_bytes(k.to_ascii_lowercase().as_bytes()), MetadataValue::try_from(v.as_str())) {
                (Ok(k), Ok(v)) => {
                    metadata.insert(k, v);
                }
                _ => crate::diagnostics::warn(&format!("OTLP header `{k}` is not valid gRPC metadata; it is skipped")),
            }
        }
        let tls_without_identity = tls.is_some_and(|t| t.identity.is_none());
        Ok(GrpcTransport {
            channel,
            metadata,
            gzip,
            host,
            secrets: Secrets::from_headers(headers),
            tls_without_identity,
        })
    }

    /// One attempt, classified by the OTLP/gRPC specification's table of
    /// transient codes (RESOURCE_EXHAUSTED only when the server says when
    /// to come back).
    pub(crate) async fn send(&self, body: Bytes, timeout: Duration) -> Outcome {
        let mut client = tonic::client::Grpc::new(self.channel.clone());
        if self.gzip {
            client = client.send_compressed(tonic::codec::CompressionEncoding::Gzip);
        }
        if let Err(e) = client.ready().await {
            return match tls::explain(&e) {
                // Final: trying again cannot make a certificate trusted.
                Some(reason) => Outcome::Permanent(self.secrets.redact(&format!("{}: {reason}", self.host))),
                None => Outcome::Retryable { reason: self.secrets.redact(&format!("not connected: {e}")), hint: None },
            };
        }
        let mut request = tonic::Request::new(body);
        *request.metadata_mut() = self.metadata.clone();
        request.set_timeout(timeout);
        let path = http::uri::PathAndQuery::from_static(EXPORT);
        match client.unary::<Bytes, Bytes, _>(request, path, RawCodec).await {
            Ok(answer) => {
                if let Some(partial) = PartialSuccess::read(answer.get_ref()) {
                    crate::diagnostics::warn_once(crate::diagnostics::Once::PartialSuccess, || {
                        format!("{} (further partial successes are not printed)", partial.describe())
                    });
                }
                Outcome::Accepted
            }
            Err(status) => match tls::explain(&status) {
                Some(reason) => Outcome::Permanent(self.secrets.redact(&format!("{}: {reason}", self.host))),
                None => self.hint(classify(&status), &status).redacted(&self.secrets),
            },
        }
    }
}

impl GrpcTransport {
    /// Over TLS 1.3 a server checks the client's certificate after the
    /// client thinks the handshake done; its refusal then reaches us as a
    /// connection closed under the first request, the alert lost inside
    /// HTTP/2. Without a client certificate of ours, say what that likely means.
    fn hint(&self, outcome: Outcome, status: &Status) -> Outcome {
        let closed_under_us = status.code() == Code::Unknown
            && std::error::Error::source(status).is_some_and(|e| e.is::<tonic::transport::Error>());
        match outcome {
            Outcome::Permanent(reason) if self.tls_without_identity && closed_under_us => Outcome::Permanent(format!(
                "{reason} (TLS: the collector closed the connection; {})",
                tls::CLIENT_CERTIFICATE_HINT
            )),
            other => other,
        }
    }
}

fn classify(status: &Status) -> Outcome {
    let reason = format!("gRPC {:?}: {}", status.code(), status.message());
    let hint = retry_delay(status.details());
    match status.code() {
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => Outcome::Retryable { reason, hint },
        Code::ResourceExhausted if hint.is_some() => Outcome::Retryable { reason, hint },
        _ => Outcome::Permanent(reason),
    }
}

/// Messages as already-encoded protobuf.
#[derive(Debug, Clone, Copy)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_endpoints_use_tls_unless_insecure() {
        assert_eq!(target("c:4317", false), ("https://c:4317".to_owned(), true));
        assert_eq!(target("c:4317", true), ("http://c:4317".to_owned(), false));
        assert_eq!(target("http://c:4317", false), ("http://c:4317".to_owned(), false));
        assert_eq!(target("https://c:4317", true), ("https://c:4317".to_owned(), true), "the scheme wins");
    }

    #[test]
    fn codes_are_classified_as_the_specification_says() {
        let retryable = |s: Status| matches!(classify(&s), Outcome::Retryable { .. });
        for code in [
            Code::Cancelled,
            Code::DeadlineExceeded,
            Code::Aborted,
            Code::OutOfRange,
            Code::Unavailable,
            Code::DataLoss,
        ] {
            assert!(retryable(Status::new(code, "x")), "{code:?}");
        }
        for code in
            [Code::InvalidArgument, Code::Unauthenticated, Code::PermissionDenied, Code::Internal, Code::Unimplemented]
        {
            assert!(!retryable(Status::new(code, "x")), "{code:?}");
        }
        assert!(!retryable(Status::new(Code::ResourceExhausted, "no hint")));
        let mut details = super::super::wire::Writer::default();
        details.message(3, 1, |w| {
            w.string(1, "type.googleapis.com/google.rpc.RetryInfo");
            w.message(2, 1, |w| w.message(1, 1, |w| w.uint(1, 1)));
        });
        let with_hint = Status::with_details(Code::ResourceExhausted, "later", details.buf.into());
        match classify(&with_hint) {
            Outcome::Retryable { hint, .. } => assert_eq!(hint, Some(Duration::from_secs(1))),
            other => panic!("{other:?}"),
        }
    }
}

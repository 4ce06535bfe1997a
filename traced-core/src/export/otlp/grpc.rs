//! OTLP/gRPC: the encoded request sent as the message of
//! `TraceService/Export` over a tonic channel, as bytes: nothing is decoded
//! into or copied out of generated types, and a retry resends the same
//! buffer (reference counted) instead of a deep copy of the batch.

use super::response::{retry_delay, PartialSuccess};
use super::retry::Outcome;
use bytes::{Buf, BufMut, Bytes};
use std::time::Duration;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// A collector's gRPC endpoint.
#[derive(Debug, Clone)]
pub(crate) struct GrpcTransport {
    channel: Channel,
    metadata: MetadataMap,
    gzip: bool,
}

impl GrpcTransport {
    /// Must run inside the Tokio runtime that will drive the channel.
    pub(crate) fn new(endpoint: &str, headers: &[(String, String)], gzip: bool) -> Result<Self, String> {
        // The specification allows a bare `host:port`; without TLS support
        // that can only mean plaintext.
        let endpoint = if endpoint.contains("://") { endpoint.to_owned() } else { format!("http://{endpoint}") };
        if endpoint.starts_with("https://") {
            return Err(format!(
                "endpoint `{endpoint}`: TLS is not supported yet; send to a local collector over http"
            ));
        }
        let channel = Endpoint::from_shared(endpoint.clone())
            .map_err(|e| format!("endpoint `{endpoint}`: {e}"))?
            .user_agent(super::USER_AGENT)
            .map_err(|e| e.to_string())?
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(5))
            .connect_lazy();
        let mut metadata = MetadataMap::new();
        for (k, v) in headers {
            match (MetadataKey::from_bytes(k.to_ascii_lowercase().as_bytes()), MetadataValue::try_from(v.as_str())) {
                (Ok(k), Ok(v)) => {
                    metadata.insert(k, v);
                }
                _ => crate::diagnostics::warn(&format!("OTLP header `{k}` is not valid gRPC metadata; it is skipped")),
            }
        }
        Ok(GrpcTransport { channel, metadata, gzip })
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
            return Outcome::Retryable { reason: format!("not connected: {e}"), hint: None };
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
            Err(status) => classify(&status),
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

//! What a collector answers: `ExportTraceServiceResponse.partial_success`,
//! the `google.rpc.Status` of a failure and its `RetryInfo`. Read leniently:
//! an answer we cannot parse changes nothing about the export's result.

use super::wire::{Field, Reader};
#[cfg(feature = "otlp-grpc")]
use std::time::Duration;

/// `ExportTracePartialSuccess`: spans the collector refused although the
/// request succeeded (never retried; reported).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PartialSuccess {
    pub(crate) rejected_spans: i64,
    pub(crate) error_message: String,
}

impl PartialSuccess {
    /// The partial success in a successful answer, if it says anything.
    pub(crate) fn read(body: &[u8]) -> Option<Self> {
        // ExportTraceServiceResponse.partial_success = 1
        let inner = Reader::new(body).find_map(|f| match f {
            Field::Bytes(1, b) => Some(b),
            _ => None,
        })?;
        let mut out = PartialSuccess::default();
        for field in Reader::new(inner) {
            match field {
                Field::Varint(1, v) => out.rejected_spans = v as i64,
                Field::Bytes(2, b) => out.error_message = String::from_utf8_lossy(b).into_owned(),
                _ => {}
            }
        }
        (out != PartialSuccess::default()).then_some(out)
    }

    /// A line for the diagnostics.
    pub(crate) fn describe(&self) -> String {
        match (self.rejected_spans, self.error_message.as_str()) {
            (0, message) => format!("the collector accepted every span with a warning: {message}"),
            (n, "") => format!("the collector rejected {n} span(s)"),
            (n, message) => format!("the collector rejected {n} span(s): {message}"),
        }
    }
}

/// `google.rpc.Status.message` (field 2) of an error body.
#[cfg(feature = "otlp-http")]
pub(crate) fn status_message(body: &[u8]) -> Option<String> {
    Reader::new(body).find_map(|f| match f {
        Field::Bytes(2, b) => std::str::from_utf8(b).ok().filter(|m| !m.is_empty()).map(str::to_owned),
        _ => None,
    })
}

#[cfg(feature = "otlp-grpc")]
const RETRY_INFO: &[u8] = b"type.googleapis.com/google.rpc.RetryInfo";

/// `RetryInfo.retry_delay` among the details (`google.rpc.Status.details`,
/// field 3, each a `google.protobuf.Any`) of a gRPC status.
#[cfg(feature = "otlp-grpc")]
pub(crate) fn retry_delay(status: &[u8]) -> Option<Duration> {
    Reader::new(status).find_map(|f| match f {
        Field::Bytes(3, any) => {
            let mut type_url = None;
            let mut value = None;
            for field in Reader::new(any) {
                match field {
                    Field::Bytes(1, b) => type_url = Some(b),
                    Field::Bytes(2, b) => value = Some(b),
                    _ => {}
                }
            }
            (type_url? == RETRY_INFO).then_some(())?;
            // RetryInfo.retry_delay = 1: google.protobuf.Duration { seconds = 1, nanos = 2 }
            let delay = Reader::new(value?).find_map(|f| match f {
                Field::Bytes(1, d) => Some(d),
                _ => None,
            })?;
            let (mut seconds, mut nanos) = (0u64, 0u32);
            for field in Reader::new(delay) {
                match field {
                    Field::Varint(1, s) => seconds = s,
                    Field::Varint(2, n) => nanos = u32::try_from(n).unwrap_or(0).min(999_999_999),
                    _ => {}
                }
            }
            // Negative durations come as huge varints: not a usable hint.
            (seconds < 1 << 40).then(|| Duration::new(seconds, nanos))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::otlp::wire::Writer;

    #[test]
    fn partial_success_is_read_and_an_empty_one_is_nothing() {
        let mut w = Writer::default();
        w.message(1, 1, |w| {
            w.varint_always(1, 3);
            w.string(2, "too big");
        });
        let p = PartialSuccess::read(&w.buf).expect("partial success");
        assert_eq!((p.rejected_spans, p.error_message.as_str()), (3, "too big"));
        assert_eq!(p.describe(), "the collector rejected 3 span(s): too big");
        let mut empty = Writer::default();
        empty.message(1, 1, |_| {});
        assert_eq!(PartialSuccess::read(&empty.buf), None);
        assert_eq!(PartialSuccess::read(b""), None);
        assert_eq!(PartialSuccess::read(b"<html>"), None);
    }

    #[test]
    #[cfg(all(feature = "otlp-grpc", feature = "otlp-http"))]
    fn retry_info_is_found_among_the_details() {
        let mut w = Writer::default();
        w.varint_always(1, 8); // code RESOURCE_EXHAUSTED
        w.string(2, "slow down");
        w.message(3, 1, |w| w.string(1, "type.googleapis.com/google.rpc.DebugInfo"));
        w.message(3, 1, |w| {
            w.string(1, "type.googleapis.com/google.rpc.RetryInfo");
            w.message(2, 1, |w| {
                w.message(1, 1, |w| {
                    w.uint(1, 2);
                    w.uint(2, 500_000_000);
                })
            });
        });
        assert_eq!(retry_delay(&w.buf), Some(Duration::from_millis(2500)));
        assert_eq!(status_message(&w.buf).as_deref(), Some("slow down"));
        assert_eq!(retry_delay(b""), None);
    }
}

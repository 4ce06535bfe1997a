//! The OTLP span exporter: encodes a batch once, then sends it with retries
//! over HTTP or gRPC.

use super::encode;
use super::retry::{Backoff, Outcome};
use super::wire::Writer;
use bytes::Bytes;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Requests above this are not sent (OTLP: receivers may refuse them); a
/// batch that encodes larger is sent in halves.
const MAX_REQUEST: usize = 64 << 20;

/// Where encoded batches go.
#[derive(Debug)]
pub(crate) enum Transport {
    #[cfg(feature = "otlp-http")]
    Http(super::http::HttpTransport),
    #[cfg(feature = "otlp-grpc")]
    Grpc(super::grpc::GrpcTransport),
}

/// Sends spans to an OpenTelemetry collector (or any OTLP receiver).
#[derive(Debug)]
pub(crate) struct OtlpExporter {
    transport: Transport,
    resource: Resource,
    timeout: Duration,
    /// The encoding buffer, kept between batches so that its capacity is
    /// reused; only the export thread takes it.
    buffer: Mutex<Writer>,
    shut_down: AtomicBool,
}

impl OtlpExporter {
    pub(crate) fn new(transport: Transport, timeout: Duration) -> Self {
        OtlpExporter {
            transport,
            resource: Resource::builder_empty().build(),
            timeout,
            buffer: Mutex::default(),
            shut_down: AtomicBool::new(false),
        }
    }

    /// The batch as request bodies (one unless it is over [`MAX_REQUEST`]),
    /// and how many spans were too large to send even alone.
    fn encode(&self, spans: &[SpanData]) -> (Vec<Bytes>, usize) {
        let mut w = self.buffer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut bodies = Vec::with_capacity(1);
        let mut oversized = 0;
        self.encode_into(&mut w, spans, &mut bodies, &mut oversized);
        // Keep a typical batch's capacity, not the largest one ever seen.
        if w.buf.capacity() > 8 << 20 {
            w.buf = Vec::new();
        }
        (bodies, oversized)
    }

    fn encode_into(&self, w: &mut Writer, spans: &[SpanData], bodies: &mut Vec<Bytes>, oversized: &mut usize) {
        if spans.is_empty() {
            return;
        }
        w.buf.clear();
        encode::request(w, &self.resource, spans);
        if w.buf.len() <= MAX_REQUEST {
            bodies.push(self.body(&w.buf));
        } else if spans.len() == 1 {
            *oversized += 1;
        } else {
            let (a, b) = spans.split_at(spans.len() / 2);
            self.encode_into(w, a, bodies, oversized);
            self.encode_into(w, b, bodies, oversized);
        }
    }

    fn body(&self, encoded: &[u8]) -> Bytes {
        #[cfg(feature = "otlp-http")]
        #[allow(irrefutable_let_patterns)] // without the gRPC transport
        if let Transport::Http(http) = &self.transport {
            if http.gzip() {
                return gzip(encoded);
            }
        }
        Bytes::copy_from_slice(encoded)
    }

    async fn send(&self, body: Bytes) -> Result<(), String> {
        let mut backoff = Backoff::new(self.timeout);
        loop {
            let Some(remaining) = backoff.remaining() else {
                return Err(format!("no answer within the export timeout of {:?}", self.timeout));
            };
            let outcome = match &self.transport {
                #[cfg(feature = "otlp-http")]
                Transport::Http(http) => http.send(&body, remaining),
                #[cfg(feature = "otlp-grpc")]
                Transport::Grpc(grpc) => grpc.send(body.clone(), remaining).await,
            };
            match outcome {
                Outcome::Accepted => return Ok(()),
                Outcome::Permanent(reason) => return Err(reason),
                Outcome::Retryable { reason, hint } => match backoff.delay(hint) {
                    Some(delay) => self.sleep(delay).await,
                    None => return Err(format!("{reason} (no time left to retry)")),
                },
            }
        }
    }

    async fn sleep(&self, delay: Duration) {
        match &self.transport {
            #[cfg(feature = "otlp-http")]
            Transport::Http(_) => std::thread::sleep(delay),
            // Inside the exporter's own runtime, which keeps the
            // connection serviced while we wait.
            #[cfg(feature = "otlp-grpc")]
            Transport::Grpc(_) => tokio::time::sleep(delay).await,
        }
    }
}

#[cfg(feature = "otlp-http")]
fn gzip(data: &[u8]) -> Bytes {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 4), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().map(Bytes::from).unwrap_or_default()
}

impl SpanExporter for OtlpExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if self.shut_down.load(Ordering::Relaxed) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let (bodies, oversized) = self.encode(&batch);
        drop(batch);
        let mut failures = Vec::new();
        if oversized > 0 {
            failures.push(format!("{oversized} span(s) larger than 64 MiB encoded were not sent"));
        }
        for body in bodies {
            if let Err(reason) = self.send(body).await {
                failures.push(reason);
            }
        }
        match failures.is_empty() {
            true => Ok(()),
            false => Err(OTelSdkError::InternalFailure(format!("OTLP export failed: {}", failures.join("; ")))),
        }
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.shut_down.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.clone();
    }
}

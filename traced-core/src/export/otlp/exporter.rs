//! The OTLP span exporter: encodes a batch once, then sends it with retries
//! over HTTP or gRPC.

use super::encode::{self, EncodeSpan};
use super::retry::{Backoff, Step};
use super::wire::Writer;
#[cfg(feature = "otlp-grpc")]
use bytes::Bytes;
use futures_util::future::BoxFuture;
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

    /// Exports spans borrowed from the caller (the batch processor keeps
    /// and reuses its vector).
    pub(crate) async fn export_slice<S: EncodeSpan + Sync>(&self, spans: &[S]) -> OTelSdkResult {
        if self.shut_down.load(Ordering::Relaxed) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let mut failures = Vec::new();
        match &self.transport {
            #[cfg(feature = "otlp-http")]
            Transport::Http(http) => {
                // Sent synchronously from the encoding buffer: no copy.
                let mut w = self.writer();
                self.each_request(&mut w, spans, &mut failures, &mut |body| match http.gzip() {
                    true => self.send_http(http, &gzip(body)),
                    false => self.send_http(http, body),
                });
            }
            #[cfg(feature = "otlp-grpc")]
            Transport::Grpc(grpc) => {
                // tonic needs owned bytes; the buffer is not held across the await.
                let mut bodies = Vec::with_capacity(1);
                self.each_request(&mut self.writer(), spans, &mut failures, &mut |body| {
                    bodies.push(Bytes::copy_from_slice(body));
                    Ok(())
                });
                for body in bodies {
                    if let Err(reason) = self.send_grpc(grpc, body).await {
                        failures.push(reason);
                    }
                }
            }
        }
        match failures.is_empty() {
            true => Ok(()),
            false => Err(OTelSdkError::InternalFailure(format!("OTLP export failed: {}", failures.join("; ")))),
        }
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        self.buffer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Encodes `spans` as one request, or as several when one would be
    /// over [`MAX_REQUEST`], and hands each to `send`.
    fn each_request<S: EncodeSpan>(
        &self,
        w: &mut Writer,
        spans: &[S],
        failures: &mut Vec<String>,
        send: &mut dyn FnMut(&[u8]) -> Result<(), String>,
    ) {
        if spans.is_empty() {
            return;
        }
        w.buf.clear();
        encode::request(w, &self.resource, spans);
        if w.buf.len() <= MAX_REQUEST {
            if let Err(reason) = send(&w.buf) {
                failures.push(reason);
            }
        } else if spans.len() == 1 {
            failures.push("a span larger than 64 MiB encoded was not sent".to_owned());
        } else {
            let (a, b) = spans.split_at(spans.len() / 2);
            self.each_request(w, a, failures, send);
            self.each_request(w, b, failures, send);
        }
        // Keep a typical batch's capacity, not the largest one ever seen.
        if w.buf.capacity() > 8 << 20 {
            w.buf = Vec::new();
        }
    }

    #[cfg(feature = "otlp-http")]
    fn send_http(&self, http: &super::http::HttpTransport, body: &[u8]) -> Result<(), String> {
        let mut backoff = Backoff::new(self.timeout);
        loop {
            let remaining = backoff.remaining().ok_or_else(|| self.out_of_time())?;
            match backoff.after(http.send(body, remaining)) {
                Step::Done(result) => return result,
                Step::Wait(delay) => std::thread::sleep(delay),
            }
        }
    }

    #[cfg(feature = "otlp-grpc")]
    async fn send_grpc(&self, grpc: &super::grpc::GrpcTransport, body: Bytes) -> Result<(), String> {
        let mut backoff = Backoff::new(self.timeout);
        loop {
            let remaining = backoff.remaining().ok_or_else(|| self.out_of_time())?;
            match backoff.after(grpc.send(body.clone(), remaining).await) {
                Step::Done(result) => return result,
                // Waits inside the exporter's own runtime, which keeps the
                // connection serviced meanwhile.
                Step::Wait(delay) => tokio::time::sleep(delay).await,
            }
        }
    }

    fn out_of_time(&self) -> String {
        format!("no answer within the export timeout of {:?}", self.timeout)
    }
}

#[cfg(feature = "otlp-http")]
fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 4), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

impl crate::processor::RecordExporter for OtlpExporter {
    fn export_records<'a>(&'a self, records: &'a [crate::span::Buffered]) -> BoxFuture<'a, OTelSdkResult> {
        Box::pin(self.export_slice(records))
    }
    fn export_data<'a>(&'a self, batch: &'a [SpanData]) -> BoxFuture<'a, OTelSdkResult> {
        Box::pin(self.export_slice(batch))
    }
}

impl SpanExporter for OtlpExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.export_slice(&batch).await
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.shut_down.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.clone();
    }
}

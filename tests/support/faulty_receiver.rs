//! An OTLP/HTTP receiver on 127.0.0.1 that a test can stop, restart on the
//! same port, slow down, make answer error statuses or garbage: a minimal
//! HTTP/1.1 server over raw TCP, so that every fault is exactly the one
//! asked for.

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the receiver answers the next requests.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    /// Decode, keep, answer 200 with an `ExportTraceServiceResponse`.
    Accept,
    /// Answer this status with an empty body (the spans are not kept).
    Status(u16),
    /// Answer `first` for the next `times` requests, then accept.
    StatusThenAccept { first: u16, times: usize },
    /// Wait this long, then accept.
    Slow(Duration),
    /// Write bytes that are not HTTP, then close the connection.
    Garbage,
    /// Accept, keep the spans, and answer a partial success rejecting this many.
    PartialSuccess(i64),
    /// Answer 503 with `Retry-After: seconds` for the next `times` requests, then accept.
    RetryAfter { seconds: u64, times: usize },
    /// Answer `status` with a `google.rpc.Status` body carrying `message`.
    Refuse { status: u16, message: String },
}

/// A controllable receiver.
pub struct FaultyReceiver {
    pub addr: SocketAddr,
    spans: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    behaviour: Arc<Mutex<Behaviour>>,
    runtime: tokio::runtime::Runtime,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl FaultyReceiver {
    /// Starts accepting on a free port.
    pub fn start() -> FaultyReceiver {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otlp-receiver")
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut receiver = FaultyReceiver {
            addr,
            spans: Arc::default(),
            requests: Arc::default(),
            behaviour: Arc::new(Mutex::new(Behaviour::Accept)),
            runtime,
            server: None,
        };
        receiver.serve(listener);
        receiver
    }

    /// The OTLP/HTTP traces endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}/v1/traces", self.addr)
    }

    /// Spans accepted so far.
    pub fn spans(&self) -> usize {
        self.spans.load(Ordering::SeqCst)
    }

    /// Requests seen so far (any outcome).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    /// Closes the port and every open connection: connecting is refused.
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            // Aborting drops the listener and the connection tasks with it.
            let _ = self.runtime.block_on(server);
        }
    }

    /// Listens on the same port again.
    pub fn restart(&mut self) {
        let listener = self.runtime.block_on(async {
            for _ in 0..100 {
                if let Ok(l) = TcpListener::bind(self.addr).await {
                    return l;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("port {} did not come free", self.addr)
        });
        self.serve(listener);
    }

    /// Waits until at least `n` spans were accepted, or `timeout`.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> usize {
        let deadline = std::time::Instant::now() + timeout;
        while self.spans() < n && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.spans()
    }

    fn serve(&mut self, listener: TcpListener) {
        let (spans, requests, behaviour) = (self.spans.clone(), self.requests.clone(), self.behaviour.clone());
        self.server = Some(self.runtime.spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let (spans, requests, behaviour) = (spans.clone(), requests.clone(), behaviour.clone());
                // Owned by the set: aborting the server closes them all.
                connections.spawn(connection(stream, spans, requests, behaviour));
            }
        }));
    }
}

impl Drop for FaultyReceiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One keep-alive connection: request after request until it closes.
async fn connection(
    mut stream: TcpStream,
    spans: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    behaviour: Arc<Mutex<Behaviour>>,
) {
    let mut buf = Vec::new();
    loop {
        let Some(body) = read_request(&mut stream, &mut buf).await else { return };
        let seen = requests.fetch_add(1, Ordering::SeqCst);
        let current = behaviour.lock().unwrap().clone();
        let mut rejected = 0;
        let mut retry_after = 0;
        let mut error_body = Vec::new();
        let status = match current {
            Behaviour::Refuse { status, message } => {
                // google.rpc.Status, field 2 (message), by hand: one string field.
                error_body.push(0x12);
                error_body.push(u8::try_from(message.len()).expect("a short message"));
                error_body.extend_from_slice(message.as_bytes());
                status
            }
            Behaviour::Accept => 200,
            Behaviour::PartialSuccess(n) => {
                rejected = n;
                200
            }
            Behaviour::RetryAfter { seconds, times } if seen < times => {
                retry_after = seconds;
                503
            }
            Behaviour::RetryAfter { .. } => 200,
            Behaviour::Status(code) => code,
            Behaviour::StatusThenAccept { first, times } if seen < times => first,
            Behaviour::StatusThenAccept { .. } => 200,
            Behaviour::Slow(delay) => {
                tokio::time::sleep(delay).await;
                200
            }
            Behaviour::Garbage => {
                let _ = stream.write_all(b"\x00\xffNOT HTTP AT ALL\r\n\x01\x02garbage").await;
                return;
            }
        };
        let answer = if status == 200 {
            let Ok(request) = ExportTraceServiceRequest::decode(body.as_slice()) else { return };
            let n: usize = request.resource_spans.iter().flat_map(|r| &r.scope_spans).map(|s| s.spans.len()).sum();
            spans.fetch_add(n, Ordering::SeqCst);
            let partial_success = (rejected != 0).then(|| ExportTracePartialSuccess {
                rejected_spans: rejected,
                error_message: "spans over the tenant's quota".into(),
            });
            let body = ExportTraceServiceResponse { partial_success }.encode_to_vec();
            let mut head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            head.extend_from_slice(&body);
            head
        } else {
            let mut head = format!(
                "HTTP/1.1 {status} Error\r\ncontent-type: application/x-protobuf\r\ncontent-length: {}\r\nretry-after: {retry_after}\r\n\r\n",
                error_body.len()
            )
            .into_bytes();
            head.extend_from_slice(&error_body);
            head
        };
        if stream.write_all(&answer).await.is_err() {
            return;
        }
    }
}

/// Reads one request's body (by `content-length`); `None` at end of stream.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let length: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    while buf.len() < header_end + length {
        let mut chunk = vec![0u8; 64 * 1024];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[header_end..header_end + length].to_vec();
    buf.drain(..header_end + length);
    Some(body)
}

//! Shutdown through the guard `install()` returns: every span ended before
//! it reaches the exporter, and an unreachable collector cannot hang it.
#![cfg(all(feature = "test-util", feature = "otlp-grpc", feature = "otlp-http"))]

use std::sync::Mutex;
use std::time::{Duration, Instant};
use traced::config::{EnvConfig, OtlpEnv, OtlpProtocol};
use traced::span::{ActiveSpan, Callsite, Kind, SpanGuard};
use traced::testing::MemoryExporter;
use traced::BatchConfig;

/// Tests here install globally; one at a time.
static GLOBAL: Mutex<()> = Mutex::new(());

static SITE: Callsite = Callsite::new("Worker.step", Kind::Internal);

fn spans_on_threads(threads: usize, per_thread: usize) {
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    let _s = SpanGuard::enter(ActiveSpan::start(
                        &SITE,
                        SITE.name(),
                        1,
                        |a| a.push(opentelemetry::KeyValue::new("i", i as i64)),
                        Vec::new,
                    ));
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
}

#[test]
fn shutdown_delivers_every_span() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let exporter = MemoryExporter::default();
    let guard = traced::builder()
        .env(EnvConfig::default())
        .exporter(exporter.clone())
        // Nothing would be exported on schedule during the test.
        .batch(BatchConfig { schedule_delay: Duration::from_secs(3600), ..BatchConfig::default() })
        .install()
        .unwrap();
    spans_on_threads(4, 500);
    let stats = guard.shutdown().unwrap();
    assert_eq!(exporter.spans().len(), 2000);
    assert_eq!(stats.exported, 2000);
    assert_eq!(stats.lost(), 0);
}

/// A port nothing listens on.
fn dead_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

fn shutdown_with_dead_collector(protocol: OtlpProtocol) {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let timeout = Duration::from_secs(2);
    let guard = traced::builder()
        .env(EnvConfig::default())
        .otlp_with(OtlpEnv {
            endpoint: Some(dead_endpoint()),
            protocol: Some(protocol),
            timeout: Some(Duration::from_secs(30)),
            ..OtlpEnv::default()
        })
        .shutdown_timeout(timeout)
        .install()
        .unwrap();
    let started = Instant::now();
    spans_on_threads(2, 100);
    assert!(started.elapsed() < Duration::from_secs(1), "spans never wait for the collector");
    let started = Instant::now();
    let result = guard.shutdown();
    let took = started.elapsed();
    assert!(took < timeout + Duration::from_millis(500), "shutdown took {took:?}");
    // The spans could not be delivered: shutdown says so instead of pretending.
    match result {
        Err(_) => {}
        Ok(stats) => assert_eq!(stats.exported, 0, "{stats:?}"),
    }
}

#[test]
fn shutdown_with_unreachable_grpc_collector_keeps_its_timeout() {
    shutdown_with_dead_collector(OtlpProtocol::Grpc);
}

#[test]
fn shutdown_with_unreachable_http_collector_keeps_its_timeout() {
    shutdown_with_dead_collector(OtlpProtocol::HttpProtobuf);
}

#[test]
fn spans_of_the_plain_opentelemetry_api_share_the_pipeline() {
    use opentelemetry::trace::{Tracer, TracerProvider as _};
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let exporter = MemoryExporter::default();
    let guard = traced::builder().env(EnvConfig::default()).exporter(exporter.clone()).install().unwrap();
    let tracer = opentelemetry::global::tracer_provider().tracer("some-library");
    {
        let _ours = SpanGuard::enter(ActiveSpan::start(&SITE, SITE.name(), 0, |_| {}, Vec::new));
        tracer.in_span("library.call", |_| {});
    }
    guard.shutdown().unwrap();
    let spans = exporter.spans();
    let ours = spans.iter().find(|s| s.name == "Worker.step").expect("traced span");
    let theirs = spans.iter().find(|s| s.name == "library.call").expect("library span exported by our pipeline");
    assert_eq!(theirs.parent_span_id, ours.span_context.span_id());
    assert_eq!(theirs.span_context.trace_id(), ours.span_context.trace_id());
}

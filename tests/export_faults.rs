//! Collector faults against a receiver on 127.0.0.1 that the test stops,
//! restarts, slows down and makes answer errors or garbage: the traced call
//! never waits for export, memory stays bounded by the queue, losses are
//! counted, and export resumes by itself. Each test prints its figures.
#![cfg(all(feature = "otlp-http", feature = "test-util"))]

mod support;

use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::faulty_receiver::{Behaviour, FaultyReceiver};
use traced::config::{EnvConfig, OtlpEnv, OtlpProtocol};
use traced::processor::BatchConfig;
use traced::traced;

#[global_allocator]
static GLOBAL: support::heap::Measuring = support::heap::Measuring;

const QUEUE: usize = 2048;

/// One fault scenario at a time: the heap figures are process-wide.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn pipeline(receiver: &FaultyReceiver, export_timeout: Duration) -> traced::Provider {
    pipeline_with_headers(receiver, export_timeout, Vec::new())
}

fn pipeline_with_headers(
    receiver: &FaultyReceiver,
    export_timeout: Duration,
    headers: Vec<(String, String)>,
) -> traced::Provider {
    let traced::Pipeline { provider, .. } = traced::builder()
        .env(EnvConfig::default())
        .service_name("faults")
        .otlp_with(OtlpEnv {
            traces_endpoint: Some(receiver.endpoint()),
            protocol: Some(OtlpProtocol::HttpProtobuf),
            timeout: Some(export_timeout),
            headers,
            ..Default::default()
        })
        .batch(BatchConfig {
            schedule_delay: Duration::from_millis(100),
            max_queue_size: QUEUE,
            max_export_batch_size: 512,
            ..BatchConfig::default()
        })
        .build()
        .expect("pipeline");
    provider.expect("enabled")
}

#[traced(fields(order.id = n))]
fn handle(n: u64) -> u64 {
    std::hint::black_box(n.wrapping_mul(31))
}

/// Call latencies of one phase, sorted.
struct Phase(Vec<Duration>);

impl Phase {
    fn quantile(&self, q: f64) -> Duration {
        self.0[((self.0.len() - 1) as f64 * q) as usize]
    }
}

/// Calls `handle` at `rate` per second for `length`, timing every call.
fn produce(provider: traced::Provider, rate: u64, length: Duration) -> Phase {
    let _default = provider.set_default();
    let start = Instant::now();
    let mut latencies = Vec::with_capacity((rate as f64 * length.as_secs_f64()) as usize);
    let mut n = 0u64;
    while start.elapsed() < length {
        // Bursts of 100 calls, paced to the rate.
        for _ in 0..100 {
            let t = Instant::now();
            handle(n);
            latencies.push(t.elapsed());
            n += 1;
        }
        let due = start + Duration::from_secs_f64(n as f64 / rate as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    latencies.sort();
    Phase(latencies)
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[test]
fn collector_down_for_30_seconds_at_10k_spans_per_second() {
    let _serial = serial();
    let mut receiver = FaultyReceiver::start();
    let export_timeout = Duration::from_secs(2);
    let provider = pipeline(&receiver, export_timeout);
    let up = produce(provider, 10_000, Duration::from_secs(3));
    provider.force_flush(Duration::from_secs(10)).expect("flush while up");
    let exported_before = receiver.spans();
    assert_eq!(exported_before, up.0.len(), "everything exported while the collector is up");

    receiver.stop();
    let heap_before = support::heap::reset_peak();
    let down = produce(provider, 10_000, Duration::from_secs(30));
    let heap_growth = support::heap::peak_growth(heap_before);
    let during = provider.stats();

    receiver.restart();
    let after = produce(provider, 10_000, Duration::from_secs(5));
    provider.force_flush(Duration::from_secs(20)).expect("flush after the collector returned");
    let stats = provider.stats();
    let produced = up.0.len() + down.0.len() + after.0.len();
    println!(
        "collector down 30 s at 10k/s: produced {produced}, exported {}, dropped on a full queue {}, in failed \
         exports {}; peak heap growth while down {} KiB; call latency up p50 {:.2} us p99 {:.2} us, down p50 {:.2} us \
         p99 {:.2} us, max down {:.0} us",
        stats.exported,
        stats.dropped_queue_full,
        stats.failed,
        heap_growth >> 10,
        micros(up.quantile(0.5)),
        micros(up.quantile(0.99)),
        micros(down.quantile(0.5)),
        micros(down.quantile(0.99)),
        micros(down.quantile(1.0)),
    );

    // No call waits for the export: the median is what it was, and no call
    // comes near an export attempt's duration.
    assert!(down.quantile(0.5) <= up.quantile(0.5) * 3 + Duration::from_micros(5));
    // Blocking on export would take seconds (an attempt times out after 2 s);
    // the bound leaves room for a shared machine's preemptions.
    assert!(down.quantile(0.999) < Duration::from_millis(100), "{:?}", down.quantile(0.999));
    // Bounded by the queue: 300,000 spans would be ~150 MB.
    assert!(heap_growth < 32 << 20, "heap grew {} KiB", heap_growth >> 10);
    assert!(during.dropped_queue_full + during.failed > 0, "losses are counted: {during:?}");
    // Export resumed by itself: what was made after the restart arrived, but
    // for its first moments: the queue is still full of spans from the outage
    // while the batch in flight waits for its next retry, which comes within
    // the export timeout (then the batch fails and the next one starts
    // afresh). Seen here: 4,000-8,000 lost, the timing of the retry's jitter.
    let arrived_after = receiver.spans() - exported_before;
    let first_moments = (10_000.0 * (export_timeout.as_secs_f64() + 0.5)) as usize;
    assert!(
        arrived_after + first_moments >= after.0.len(),
        "{arrived_after} of {} arrived: more lost than the first {first_moments} after the restart",
        after.0.len()
    );
    assert_eq!(stats.exported as usize, receiver.spans(), "what the receiver got is what we count");
    assert_eq!(
        stats.exported + stats.dropped_queue_full + stats.failed,
        produced as u64,
        "every span is exported or counted as lost"
    );
    provider.shutdown(Duration::from_secs(5)).expect("shutdown");
}

#[test]
fn retryable_statuses_are_retried_and_others_are_not() {
    let _serial = serial();
    for (status, retried) in [(503, true), (429, true), (502, true), (400, false), (500, false)] {
        let receiver = FaultyReceiver::start();
        receiver.set(Behaviour::StatusThenAccept { first: status, times: 2 });
        let provider = pipeline(&receiver, Duration::from_secs(10));
        {
            let _default = provider.set_default();
            for n in 0..10 {
                handle(n);
            }
        }
        let _ = provider.force_flush(Duration::from_secs(20));
        let stats = provider.stats();
        if retried {
            assert_eq!(receiver.requests(), 3, "{status}: two failures, then accepted");
            assert_eq!((receiver.spans(), stats.exported, stats.failed), (10, 10, 0), "{status}");
        } else {
            assert_eq!(receiver.requests(), 1, "{status}: not retried");
            assert_eq!((receiver.spans(), stats.exported, stats.failed), (0, 0, 10), "{status}");
        }
        provider.shutdown(Duration::from_secs(5)).expect("shutdown");
    }
}

/// OTLP: a partial success is a success (never retried, spans counted as
/// exported); `Retry-After` is waited for, unless it points past the
/// export's deadline, when the batch fails at once instead of blocking.
/// A collector that echoes the API key in its error: the failure we report
/// (and print) has the key redacted, and the status and message otherwise.
#[test]
fn a_credential_echoed_by_the_collector_is_redacted_from_the_error() {
    let _serial = serial();
    const KEY: &str = "hcaik_01j9secretvalue42";
    let receiver = FaultyReceiver::start();
    receiver.set(Behaviour::Refuse { status: 401, message: format!("unknown API key {KEY}") });
    let provider =
        pipeline_with_headers(&receiver, Duration::from_secs(10), vec![("x-honeycomb-team".into(), KEY.into())]);
    {
        let _default = provider.set_default();
        handle(1);
    }
    let said = format!("{:?}", provider.force_flush(Duration::from_secs(10)));
    assert!(said.contains("HTTP 401") && said.contains("unknown API key <redacted>"), "{said}");
    assert!(!said.contains(KEY), "{said}");
    assert_eq!(provider.stats().failed, 1);
    provider.shutdown(Duration::from_secs(5)).expect("shutdown");
}

#[test]
fn partial_success_and_retry_after_are_followed() {
    let _serial = serial();
    let export = |behaviour: Behaviour| {
        let receiver = FaultyReceiver::start();
        receiver.set(behaviour);
        let provider = pipeline(&receiver, Duration::from_secs(10));
        {
            let _default = provider.set_default();
            (0..10).for_each(|n| {
                handle(n);
            });
        }
        let started = Instant::now();
        let _ = provider.force_flush(Duration::from_secs(30));
        let took = started.elapsed();
        let stats = provider.stats();
        provider.shutdown(Duration::from_secs(5)).expect("shutdown");
        (receiver.requests(), stats.exported, stats.failed, took)
    };

    let (requests, exported, failed, _) = export(Behaviour::PartialSuccess(3));
    assert_eq!((requests, exported, failed), (1, 10, 0), "partial success: accepted, not retried");

    let (requests, exported, failed, took) = export(Behaviour::RetryAfter { seconds: 1, times: 1 });
    assert_eq!((requests, exported, failed), (2, 10, 0));
    assert!(took >= Duration::from_secs(1), "Retry-After: 1 waited for: {took:?}");

    let (requests, exported, failed, took) = export(Behaviour::RetryAfter { seconds: 60, times: 1 });
    assert_eq!((requests, exported, failed), (1, 0, 10), "a hint past the 10 s deadline: give up");
    assert!(took < Duration::from_secs(5), "without waiting: {took:?}");
}

#[test]
fn a_slow_collector_and_one_answering_garbage_do_not_slow_the_caller() {
    let _serial = serial();
    for behaviour in [Behaviour::Slow(Duration::from_secs(2)), Behaviour::Garbage] {
        let receiver = FaultyReceiver::start();
        let provider = pipeline(&receiver, Duration::from_secs(3));
        let baseline = produce(provider, 10_000, Duration::from_secs(1));
        provider.force_flush(Duration::from_secs(10)).expect("flush");
        receiver.set(behaviour.clone());
        let heap_before = support::heap::reset_peak();
        let faulty = produce(provider, 10_000, Duration::from_secs(6));
        let growth = support::heap::peak_growth(heap_before);
        let stats = provider.stats();
        println!(
            "{behaviour:?}: produced {}, exported {}, dropped {}, failed {}, heap growth {} KiB, p50 {:.2} us -> {:.2} us, \
             p99.9 {:.0} us",
            baseline.0.len() + faulty.0.len(),
            stats.exported,
            stats.dropped_queue_full,
            stats.failed,
            growth >> 10,
            micros(baseline.quantile(0.5)),
            micros(faulty.quantile(0.5)),
            micros(faulty.quantile(0.999)),
        );
        assert!(faulty.quantile(0.5) <= baseline.quantile(0.5) * 3 + Duration::from_micros(5));
        assert!(faulty.quantile(0.999) < Duration::from_millis(100), "{:?}", faulty.quantile(0.999));
        assert!(growth < 32 << 20, "heap grew {} KiB", growth >> 10);
        assert!(stats.dropped_queue_full + stats.failed > 0, "{stats:?}");
        let started = Instant::now();
        let _ = provider.shutdown(Duration::from_secs(3));
        assert!(started.elapsed() < Duration::from_secs(5), "shutdown took {:?}", started.elapsed());
    }
}

#[test]
fn shutdown_while_the_collector_is_down_keeps_its_deadline_and_counts_the_loss() {
    let _serial = serial();
    let mut receiver = FaultyReceiver::start();
    // A long export timeout: only the shutdown deadline can end the wait.
    let provider = pipeline(&receiver, Duration::from_secs(30));
    receiver.stop();
    {
        let _default = provider.set_default();
        for n in 0..5_000 {
            handle(n);
        }
    }
    let started = Instant::now();
    let result = provider.shutdown(Duration::from_secs(2));
    let took = started.elapsed();
    let stats = provider.stats();
    println!("shutdown with the collector down: {took:?}, {result:?}, {stats:?}");
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    assert_eq!(
        stats.dropped_queue_full + stats.failed + stats.pending,
        5_000,
        "every span is accounted for as lost: {stats:?}"
    );
}

/// An exporter that itself runs traced code, and whose shutdown drops a
/// value that does too.
#[derive(Debug)]
struct Reentrant;

struct TracedOnDrop;

impl Drop for TracedOnDrop {
    fn drop(&mut self) {
        handle(7);
    }
}

impl opentelemetry_sdk::trace::SpanExporter for Reentrant {
    async fn export(&self, batch: Vec<opentelemetry_sdk::trace::SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        for n in 0..batch.len() as u64 {
            handle(n);
        }
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> opentelemetry_sdk::error::OTelSdkResult {
        drop(TracedOnDrop);
        Ok(())
    }
}

#[test]
fn traced_code_inside_an_exporter_or_a_drop_at_shutdown_does_not_deadlock() {
    let _serial = serial();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let guard = traced::builder().env(EnvConfig::default()).exporter(Reentrant).install().expect("install");
        for n in 0..5_000 {
            handle(n);
        }
        guard.force_flush().expect("flush");
        {
            let _late = TracedOnDrop;
        }
        let stats = guard.shutdown();
        let _ = done.send(stats);
    });
    let stats = finished.recv_timeout(Duration::from_secs(30)).expect("finished without deadlock");
    assert!(stats.is_ok(), "{stats:?}");
}

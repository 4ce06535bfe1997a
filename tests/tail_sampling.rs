//! Tail sampling through the real pipeline (batch export thread, memory
//! exporter): failed and slow traces kept whole although the head sampler
//! dropped them, ordinary ones dropped, and the memory held under a
//! long-running trace bounded (measured with a counting allocator).
#![cfg(feature = "test-util")]

mod support;

use std::time::Duration;
use traced::processor::{BatchConfig, TailSampling};
use traced::testing::MemoryExporter;
use traced::{traced, Sampler};

#[global_allocator]
static GLOBAL: support::heap::Measuring = support::heap::Measuring;

/// A provider whose head sampler drops every root, with tail sampling.
fn pipeline(tail: TailSampling) -> (traced::Provider, MemoryExporter) {
    let exporter = MemoryExporter::default();
    let traced::Pipeline { provider, .. } = traced::builder()
        .env(traced::config::EnvConfig::default())
        .sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)))
        .exporter(exporter.clone())
        .batch(BatchConfig { schedule_delay: Duration::from_millis(20), ..BatchConfig::default() })
        .tail_sampling(tail)
        .build()
        .expect("pipeline");
    (provider.expect("enabled"), exporter)
}

#[traced]
fn load_cart(fail: bool) -> Result<u32, String> {
    if fail {
        Err("cart service unavailable".into())
    } else {
        Ok(3)
    }
}

#[traced]
fn checkout(fail: bool, slow: bool) -> Result<u32, String> {
    if slow {
        std::thread::sleep(Duration::from_millis(400));
    }
    let items = load_cart(fail)?;
    // What goes out on the wire is the head decision: unsampled.
    let mut headers = std::collections::HashMap::new();
    traced::propagation::inject_current(&mut headers);
    assert!(headers.get("traceparent").is_some_and(|tp| tp.ends_with("-02")), "{headers:?}");
    Ok(items)
}

#[test]
fn failed_and_slow_traces_are_kept_whole_ordinary_ones_dropped() {
    traced::propagation::install_global(&traced::propagation::PropagatorKind::DEFAULT);
    let tail = TailSampling::new().keep_ratio(0.0).latency_threshold(Duration::from_millis(200));
    let (provider, exporter) = pipeline(tail.clone());
    {
        let _default = provider.set_default();
        for _ in 0..20 {
            let _ = checkout(false, false);
        }
        let _ = checkout(true, false);
        let _ = checkout(false, true);
    }
    provider.force_flush(Duration::from_secs(10)).expect("flush");
    let spans = exporter.spans();
    let names: Vec<_> = spans.iter().map(|s| s.name.to_string()).collect();
    assert_eq!(spans.len(), 4, "{names:?}");
    let failed = spans.iter().find(|s| {
        matches!(s.status, opentelemetry::trace::Status::Error { .. }) && s.name == "tail_sampling.load_cart"
    });
    let failed = failed.expect("the failed call's span");
    let traces: std::collections::HashSet<_> = spans.iter().map(|s| s.span_context.trace_id()).collect();
    assert_eq!(traces.len(), 2, "two traces, each whole (root and child)");
    assert!(spans.iter().any(|s| s.span_context.span_id() == failed.parent_span_id), "its parent came with it");
    assert!(spans.iter().all(|s| s.span_context.is_sampled()), "exported as sampled");
    let stats = tail.stats();
    assert_eq!((stats.kept_error, stats.kept_slow, stats.dropped), (1, 1, 20));
    provider.shutdown(Duration::from_secs(5)).expect("shutdown");
}

#[traced]
fn step(i: u64) -> u64 {
    std::hint::black_box(i)
}

#[traced]
fn nightly_job(steps: u64) {
    for i in 0..steps {
        step(i);
        if i % 20_000 == 0 {
            // Let the export thread keep up, as real work would.
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[test]
fn a_long_running_trace_holds_bounded_memory() {
    let tail = TailSampling::new().bounds(100, 1_000, Duration::from_secs(30));
    let (provider, _exporter) = pipeline(tail.clone());
    let before = support::heap::reset_peak();
    {
        let _default = provider.set_default();
        nightly_job(1_000_000);
    }
    provider.force_flush(Duration::from_secs(30)).expect("flush");
    let growth = support::heap::peak_growth(before);
    let stats = tail.stats();
    println!("1,000,000-span trace under tail sampling: peak heap growth {} KiB, {stats:?}", growth >> 10);
    assert!(stats.peak_held_spans <= 1_000, "{stats:?}");
    assert!(stats.fallback_max_spans >= 1, "{stats:?}");
    // 1,000,000 spans held would be ~500 MB; the bound holds 1,000 (plus the
    // batch queue's 2,048 and the test's other threads).
    assert!(growth < 16 << 20, "peak heap growth {} KiB", growth >> 10);
    provider.shutdown(Duration::from_secs(5)).expect("shutdown");
}

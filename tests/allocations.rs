//! Heap allocations per `#[traced]` call, counted by a counting allocator on
//! the calling thread: none with nothing installed or under an unsampled
//! parent; for a sampled span, only the new `Context`'s `Arc` (the record's
//! box is reused per thread), and nothing for up to four attributes.
#![cfg(feature = "test-util")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_per_call(calls: u64, f: impl Fn(u64)) -> f64 {
    // Warm up: first-use allocations (thread buffers, chunks, names).
    for i in 0..2_000 {
        f(i);
    }
    let before = ALLOCATIONS.with(Cell::get);
    for i in 0..calls {
        f(i);
    }
    (ALLOCATIONS.with(Cell::get) - before) as f64 / calls as f64
}

#[traced::traced(fields(n = n, db.table = "users", flag = true, ratio = 0.5))]
fn four_attributes(n: u64) -> u64 {
    n + 1
}

#[test]
fn allocations_per_call_by_case() {
    // One test, in order: a provider cannot be uninstalled.
    let nothing = allocations_per_call(10_000, |i| {
        four_attributes(i);
    });
    assert_eq!(nothing, 0.0, "nothing installed: no allocation");

    let exporter = traced::testing::MemoryExporter::default();
    let _guard = traced::builder()
        .env(traced::config::EnvConfig::default())
        .exporter(exporter)
        .batch(traced::BatchConfig { max_queue_size: 1 << 20, ..traced::BatchConfig::default() })
        .install()
        .unwrap();

    let sampled = allocations_per_call(10_000, |i| {
        four_attributes(i);
    });
    // The Context's Arc, which OpenTelemetry's `Context` makes for every
    // span it carries; the record's box is reused. Chunk hand-offs amortised.
    assert!((1.0..1.05).contains(&sampled), "sampled span: {sampled} allocations per call");

    let unsampled_parent = opentelemetry::trace::SpanContext::new(
        opentelemetry::trace::TraceId::from(1u128),
        opentelemetry::trace::SpanId::from(1u64),
        opentelemetry::trace::TraceFlags::default(),
        true,
        Default::default(),
    );
    use opentelemetry::trace::TraceContextExt;
    let _cx = opentelemetry::Context::new().with_remote_span_context(unsampled_parent).attach();
    let unsampled = allocations_per_call(10_000, |i| {
        four_attributes(i);
    });
    assert_eq!(unsampled, 0.0, "unsampled parent: no allocation");
}

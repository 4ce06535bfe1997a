//! Spans end correctly however a `#[traced]` function ends: 10,000 levels
//! deep, panicking, cancelled mid-await, or polled on threads with no async
//! runtime at all. Nothing leaks: every span started is exported, the
//! thread's context is back to empty, and the heap returns to where it was.
#![cfg(feature = "test-util")]

mod support;

use opentelemetry::trace::{Status, TraceContextExt};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use traced::testing::capture;
use traced::traced;

#[global_allocator]
static GLOBAL: support::heap::Measuring = support::heap::Measuring;

/// One scenario at a time: the heap count is process-wide.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `scenario` twice on a fresh big-stack thread and checks that the
/// second run leaves the heap as it found it (the first warms up
/// per-thread and one-time allocations). Scenarios clear their capture:
/// a provider lives for the whole process, and so would what its memory
/// exporter holds.
fn without_leaks(scenario: impl Fn() + Send + Sync + 'static) {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let scenario = std::sync::Arc::new(scenario);
    let run = |s: std::sync::Arc<dyn Fn() + Send + Sync>| {
        std::thread::Builder::new().stack_size(512 << 20).spawn(move || s()).unwrap().join().unwrap();
    };
    run(scenario.clone());
    let before = support::heap::live();
    run(scenario);
    let after = support::heap::live();
    assert!((after - before).abs() < 64 << 10, "heap moved by {} bytes", after - before);
}

fn context_is_empty() -> bool {
    !opentelemetry::Context::map_current(|cx| cx.has_active_span())
}

#[traced]
fn descend(n: u32) -> u32 {
    if n == 0 {
        0
    } else {
        descend(n - 1) + 1
    }
}

#[traced]
fn descend_async(n: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move {
        if n == 0 {
            0
        } else {
            descend_async(n - 1).await + 1
        }
    })
}

#[test]
fn ten_thousand_levels_deep_sync_and_async() {
    without_leaks(|| {
        let spans = capture();
        assert_eq!(descend(10_000), 10_000);
        assert!(context_is_empty());
        let all = spans.named("span_lifecycle.descend");
        assert_eq!(all.len(), 10_001);
        let roots = all.iter().filter(|s| s.parent_span_id == opentelemetry::trace::SpanId::INVALID).count();
        assert_eq!(roots, 1, "one root, every other span a child of the one above");
        spans.clear();

        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert_eq!(runtime.block_on(descend_async(10_000)), 10_000);
        assert_eq!(spans.named("span_lifecycle.descend_async").len(), 10_001);
        assert!(context_is_empty());
        spans.clear();
    });
}

#[traced]
fn explode(depth: u32) -> u32 {
    if depth == 0 {
        panic!("boom at the bottom");
    }
    explode(depth - 1)
}

#[test]
fn a_panic_through_nested_spans_ends_all_of_them() {
    without_leaks(|| {
        let spans = capture();
        let caught = std::panic::catch_unwind(|| explode(50));
        assert!(caught.is_err());
        assert!(context_is_empty(), "the context stack unwound too");
        let all = spans.named("span_lifecycle.explode");
        assert_eq!(all.len(), 51);
        assert!(all.iter().all(|s| matches!(&s.status, Status::Error { description } if description.contains("boom"))));
        spans.clear();
    });
}

#[traced]
async fn wait_forever() {
    std::future::pending::<()>().await
}

#[traced]
async fn outer_wait() {
    wait_forever().await
}

/// Polls `future` once with a no-op waker, on this thread, no runtime.
fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
    let mut cx = TaskContext::from_waker(std::task::Waker::noop());
    future.poll(&mut cx)
}

#[test]
fn a_future_dropped_mid_await_ends_its_spans_marked_cancelled() {
    without_leaks(|| {
        let spans = capture();
        for _ in 0..100 {
            let mut future = Box::pin(outer_wait());
            assert!(poll_once(future.as_mut()).is_pending());
            drop(future);
        }
        assert!(context_is_empty());
        for name in ["span_lifecycle.outer_wait", "span_lifecycle.wait_forever"] {
            let all = spans.named(name);
            assert_eq!(all.len(), 100, "{name}");
            assert!(all.iter().all(|s| s.attr("traced.cancelled") == Some(&opentelemetry::Value::Bool(true))));
        }
        spans.clear();
    });
}

#[traced]
async fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[traced]
fn sync_child() -> u32 {
    1
}

#[test]
fn threads_without_any_runtime() {
    without_leaks(|| {
        let spans = capture();
        // A plain executor on a plain thread.
        assert_eq!(futures_executor_block_on(add(1, 2)), 3);
        // And futures started here, polled on other plain threads.
        let futures: Vec<_> = (0..8).map(|i| add(i, i)).collect();
        let handles: Vec<_> =
            futures.into_iter().map(|f| std::thread::spawn(move || futures_executor_block_on(f))).collect();
        let sum: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sum, 56);
        let threads: Vec<_> = (0..8).map(|_| std::thread::spawn(sync_child)).collect();
        assert_eq!(threads.into_iter().map(|t| t.join().unwrap()).sum::<u32>(), 8);
        assert_eq!(spans.named("span_lifecycle.add").len(), 9);
        // Fresh threads with no span current and no provider of their own
        // (the capture is this thread's default) record nothing, and keep
        // nothing behind.
        assert_eq!(spans.named("span_lifecycle.sync_child").len(), 0);
        assert!(context_is_empty());
        spans.clear();
    });
}

/// A minimal `block_on`: poll, park until woken.
fn futures_executor_block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

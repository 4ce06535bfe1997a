//! Work spawned from inside a traced span stays in its trace when carried
//! with `.in_current_span()` / `with_current_span`, on both runtimes.
#![cfg(feature = "test-util")]

use traced::testing::capture;
use traced::{traced, with_current_span, InCurrentSpan};

#[traced]
async fn child() {}

#[traced]
fn child_sync() {}

#[traced]
async fn parent() {
    tokio::spawn(async { child().await }.in_current_span()).await.unwrap();
    tokio::task::spawn_blocking(with_current_span(child_sync)).await.unwrap();
    // Without the one word: a new trace (the rule the README states).
    tokio::spawn(async { child().await }).await.unwrap();
}

fn check(spans: &traced::testing::SpanCapture) {
    let parent = spans.span("spawn.parent");
    let children = spans.named("spawn.child");
    assert!(children[0].is_child_of(&parent), "a spawned task carried with .in_current_span()");
    assert!(spans.span("spawn.child_sync").is_child_of(&parent), "spawn_blocking carried with with_current_span");
    // Not carried: a new trace, which belongs to no test and so is captured
    // only where the capture is the thread's own (a current-thread runtime).
    for other in &children[1..] {
        assert_ne!(other.span_context.trace_id(), parent.span_context.trace_id(), "not carried: a new trace");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn carried_on_a_current_thread_runtime() {
    let spans = capture();
    parent().await;
    check(&spans);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carried_on_a_multi_thread_runtime() {
    let spans = capture();
    parent().await;
    check(&spans);
}

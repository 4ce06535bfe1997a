//! Async: the span covers the future, keeps the parent current when the
//! function was called (even when spawned), stays current across awaits,
//! and ends marked cancelled when the future is dropped.
#![cfg(feature = "test-util")]

use opentelemetry::{KeyValue, Value};
use std::future::Future;
use std::time::Duration;
use traced::testing::capture;
use traced::traced;

struct Orders {
    prefix: String,
}

#[traced]
impl Orders {
    async fn place(&self, id: u64) -> Result<String, std::io::Error> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.validate(id).await?;
        Ok(format!("{}{id}", self.prefix))
    }

    async fn validate(&self, id: u64) -> Result<(), std::io::Error> {
        tokio::task::yield_now().await;
        traced::span::current_span().set_attribute(KeyValue::new("validated", true));
        if id == 0 {
            return Err(std::io::Error::other("id must not be zero"));
        }
        Ok(())
    }

    async fn borrow_str<'a>(&self, s: &'a str, _unused: &str) -> &'a str {
        s
    }
}

#[traced(fields(order.id = id))]
async fn spawned_child(id: u64) -> u64 {
    tokio::task::yield_now().await;
    id
}

#[traced]
async fn parent_spawning() -> u64 {
    // The future is created here, under the parent, then polled on another task.
    let fut = spawned_child(7);
    tokio::spawn(fut).await.unwrap()
}

#[traced]
fn returns_impl_future(n: u32) -> impl Future<Output = u32> {
    async move {
        tokio::task::yield_now().await;
        n + 1
    }
}

#[traced]
fn returns_boxed(n: u32) -> std::pin::Pin<Box<dyn Future<Output = Result<u32, String>> + Send>> {
    Box::pin(async move {
        if n > 1 {
            Ok(n)
        } else {
            Err(format!("{n} is too small"))
        }
    })
}

#[traced]
async fn pattern_args((a, b): (u32, u32), _: String) -> u32 {
    a + b
}

#[tokio::test]
async fn nested_async_methods_are_parented_across_awaits() {
    let spans = capture();
    let orders = Orders { prefix: "o-".into() };
    assert_eq!(orders.place(3).await.unwrap(), "o-3");
    let place = spans.span("Orders.place");
    let validate = spans.span("Orders.validate");
    assert!(validate.is_child_of(&place));
    assert_eq!(validate.attr("validated"), Some(&Value::Bool(true)));
    assert!(!place.is_error());
}

#[tokio::test]
async fn errors_through_question_mark_mark_both_spans() {
    let spans = capture();
    let orders = Orders { prefix: "o-".into() };
    let err = orders.place(0).await.unwrap_err();
    assert_eq!(err.to_string(), "id must not be zero");
    for name in ["Orders.place", "Orders.validate"] {
        let s = spans.span(name);
        assert!(s.is_error(), "{name}");
        assert_eq!(s.attr_str("error.type").as_deref(), Some("io::Error"));
    }
}

#[tokio::test]
async fn borrowed_arguments_and_lifetimes_still_compile_and_work() {
    let spans = capture();
    let orders = Orders { prefix: String::new() };
    let owned = String::from("kept");
    assert_eq!(orders.borrow_str(&owned, "x").await, "kept");
    spans.span("Orders.borrow_str");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawned_future_keeps_the_parent_current_when_it_was_called() {
    let spans = capture();
    assert_eq!(parent_spawning().await, 7);
    let parent = spans.span("macro_async.parent_spawning");
    let child = spans.span("macro_async.spawned_child");
    assert!(child.is_child_of(&parent));
    assert_eq!(child.attr("order.id"), Some(&Value::I64(7)));
}

#[tokio::test]
async fn fn_returning_a_future_covers_its_execution() {
    let spans = capture();
    let fut = returns_impl_future(1);
    assert!(spans.spans().is_empty(), "the span ends with the future, not when it is built");
    assert_eq!(fut.await, 2);
    spans.span("macro_async.returns_impl_future");
    assert_eq!(returns_boxed(5).await, Ok(5));
    assert!(returns_boxed(1).await.is_err());
    let boxed = spans.named("macro_async.returns_boxed");
    assert_eq!(boxed.len(), 2);
    assert!(!boxed[0].is_error() && boxed[1].is_error());
}

#[tokio::test]
async fn dropping_the_future_ends_the_span_cancelled() {
    let spans = capture();
    let orders = Orders { prefix: String::new() };
    let result = tokio::time::timeout(Duration::from_micros(1), async {
        orders.place(1).await.ok();
        std::future::pending::<()>().await
    })
    .await;
    assert!(result.is_err());
    let s = spans.span("Orders.place");
    assert_eq!(s.attr(traced::span::CANCELLED), Some(&Value::Bool(true)));
}

#[tokio::test]
async fn destructured_and_ignored_parameters() {
    let spans = capture();
    assert_eq!(pattern_args((1, 2), String::new()).await, 3);
    spans.span("macro_async.pattern_args");
}

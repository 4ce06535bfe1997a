//! Carrying the current span into work that runs elsewhere.
//!
//! A `#[traced]` call takes its parent from the context current where it is
//! *called*. `tokio::spawn(async { child().await })` calls `child` inside the
//! new task, where nothing is current, so `child` starts a new trace; the
//! same holds for `spawn_blocking(|| child_sync())` and `std::thread::spawn`.
//! (`tokio::spawn(child())` is fine: `child()` is called here.) One word
//! fixes each: `.in_current_span()` on the future, [`with_current_span`]
//! around the closure.

use opentelemetry::context::{FutureExt, WithContext};
use opentelemetry::Context;

/// `.in_current_span()`: the future runs with the context current now (its
/// span the parent of what the future starts), on whatever thread polls it.
///
/// ```
/// use traced_core::InCurrentSpan;
/// # async fn child() {}
/// # async fn run() {
/// tokio::spawn(async { child().await }.in_current_span());
/// # }
/// ```
pub trait InCurrentSpan: Sized {
    /// Wraps the future so the current context is current while it is polled.
    fn in_current_span(self) -> WithContext<Self>;
}

impl<F: std::future::Future> InCurrentSpan for F {
    fn in_current_span(self) -> WithContext<Self> {
        self.with_current_context()
    }
}

/// Wraps a closure so it runs with the context current now, for
/// `spawn_blocking` and threads: `spawn_blocking(with_current_span(|| work()))`.
pub fn with_current_span<R>(work: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let cx = Context::current();
    move || {
        let _attached = cx.attach();
        work()
    }
}

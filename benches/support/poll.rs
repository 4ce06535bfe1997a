//! Driving a future to its end on the calling thread, without a runtime:
//! what the instruction-counting benches need, where a runtime's own work
//! would be counted too.

/// Polls `f` with a waker that does nothing until it is ready.
pub(crate) fn poll_once<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

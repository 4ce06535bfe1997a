//! Code that runs inside an export (an exporter's own HTTP client, a
//! `#[traced]` function it calls, a `Drop` during shutdown) makes no spans
//! that reach a processor: otherwise exporting would feed itself, without
//! end on the export thread, and re-enter a synchronous exporter's lock.

use std::cell::Cell;

thread_local! {
    static EXPORTING: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is exporting now (its spans are not processed).
#[inline]
pub(crate) fn is_exporting() -> bool {
    EXPORTING.with(Cell::get)
}

/// Marks this thread as exporting until dropped.
pub(crate) struct Exporting(bool);

impl Exporting {
    pub(crate) fn enter() -> Self {
        Exporting(EXPORTING.with(|e| e.replace(true)))
    }
}

impl Drop for Exporting {
    fn drop(&mut self) {
        EXPORTING.with(|e| e.set(self.0));
    }
}

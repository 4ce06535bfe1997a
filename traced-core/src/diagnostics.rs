//! Reports of problems the span path cannot return: dropped spans, failed
//! exports, configuration ignored. Each kind is printed once to stderr, so a
//! dead collector does not flood the user's logs; the counts stay in
//! [`crate::processor::ExportStats`].

use std::sync::atomic::{AtomicBool, Ordering};

/// A kind of problem that is reported at most once per process.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Once {
    QueueFull,
    ExportFailed,
    TailFallback,
    #[cfg_attr(not(any(feature = "otlp-http", feature = "otlp-grpc")), allow(dead_code))]
    PartialSuccess,
    /// A span started after the guard of the set-up shut tracing down.
    SpanAfterShutdown,
    /// A second set-up replaced the first.
    Reinstalled,
}

impl Once {
    /// Each kind's own flag: a new kind cannot be forgotten here.
    fn seen(self) -> &'static AtomicBool {
        static QUEUE_FULL: AtomicBool = AtomicBool::new(false);
        static EXPORT_FAILED: AtomicBool = AtomicBool::new(false);
        static TAIL_FALLBACK: AtomicBool = AtomicBool::new(false);
        static PARTIAL_SUCCESS: AtomicBool = AtomicBool::new(false);
        static SPAN_AFTER_SHUTDOWN: AtomicBool = AtomicBool::new(false);
        static REINSTALLED: AtomicBool = AtomicBool::new(false);
        match self {
            Once::QueueFull => &QUEUE_FULL,
            Once::ExportFailed => &EXPORT_FAILED,
            Once::TailFallback => &TAIL_FALLBACK,
            Once::PartialSuccess => &PARTIAL_SUCCESS,
            Once::SpanAfterShutdown => &SPAN_AFTER_SHUTDOWN,
            Once::Reinstalled => &REINSTALLED,
        }
    }
}

/// Prints `message()` the first time `kind` happens.
pub(crate) fn warn_once(kind: Once, message: impl FnOnce() -> String) {
    if !kind.seen().swap(true, Ordering::Relaxed) {
        warn(&message());
    }
}

/// Prints a warning unless `OTEL_LOG_LEVEL` asks for errors only or nothing.
pub(crate) fn warn(message: &str) {
    let quiet = std::env::var("OTEL_LOG_LEVEL")
        .map(|l| matches!(l.to_ascii_lowercase().as_str(), "error" | "none" | "off"))
        .unwrap_or(false);
    if !quiet {
        eprintln!("traced: {message}");
    }
}

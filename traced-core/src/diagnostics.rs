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
}

static SEEN: [AtomicBool; 4] = [const { AtomicBool::new(false) }; 4];

/// Prints `message()` the first time `kind` happens.
pub(crate) fn warn_once(kind: Once, message: impl FnOnce() -> String) {
    if !SEEN[kind as usize].swap(true, Ordering::Relaxed) {
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

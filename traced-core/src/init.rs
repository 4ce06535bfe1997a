//! Set-up from the environment: [`init`].

use crate::builder::TracedBuilder;
use crate::diagnostics;
use crate::shutdown::ShutdownGuard;
use std::time::Duration;

/// Configures tracing from the standard `OTEL_*` environment and installs it
/// globally. Never fails: a configuration problem is reported on stderr and
/// the closest working set-up is used (the console exporter when the
/// requested one cannot be built).
///
/// Keep the guard alive for the life of the program: dropping it flushes
/// pending spans and shuts the exporters down, waiting at most the shutdown
/// timeout (5 s) even when the collector is unreachable.
///
/// ```
/// let _guard = traced_core::init();
/// ```
pub fn init() -> ShutdownGuard {
    match TracedBuilder::default().install() {
        Ok(guard) => guard,
        Err(err) => {
            diagnostics::warn(&format!("{err}; printing spans to the console instead"));
            TracedBuilder::default()
                .console()
                .install()
                .unwrap_or_else(|_| ShutdownGuard::install(None, Duration::ZERO))
        }
    }
}

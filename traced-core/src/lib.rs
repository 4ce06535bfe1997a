//! The runtime and set-up of `traced`.
//!
//! - Set-up: [`init`] reads the standard `OTEL_*` environment; [`builder`]
//!   does the same in code. Both install a provider, the propagators and a
//!   bridge so spans made with the plain `opentelemetry` API flow into the
//!   same exporters, and return a [`ShutdownGuard`] that flushes on drop.
//! - The hot path `#[traced]` expands to lives in [`span`] (and is reached
//!   through the hidden `__private` module).
//! - Propagation ([`propagation`]): W3C Trace Context (Level 2, keeping the
//!   `random` flag), W3C Baggage and Jaeger, with `inject`/`extract` helpers.
//! - Exporters ([`export`]): console (the default), OTLP gRPC/HTTP and Zipkin
//!   behind features; processors ([`processor`]) batch off the hot path.
//!
//! # Why the hot path is ours
//!
//! The raw `opentelemetry_sdk` tracer builds a span through a generic
//! builder, clones the instrumentation scope into each span, and its batch
//! processor sends every ended span through one channel shared by all
//! threads. `traced` keeps the parts users see (spans are ordinary
//! `opentelemetry::Context` spans, so any OpenTelemetry code parents on them,
//! adds events to them and propagates them; exporters are the standard
//! `SpanExporter`s) and owns the rest:
//!
//! - Names and kinds are fixed per call site ([`span::Callsite`]); a
//!   method's `Type.method` name is computed once.
//! - The cheapest rejection comes first: with no provider installed a call
//!   costs one relaxed atomic load; under an unsampled parent no span is
//!   created at all (the parent stays current, so propagation is unchanged).
//! - Attributes are only evaluated for recorded spans.
//! - Providers are leaked once and referenced as `&'static`, so starting and
//!   ending spans touches no shared reference count across threads.
//! - Ending a span pushes it onto a buffer owned by the ending thread (an
//!   uncontended lock); a background thread gathers the buffers and exports.
//!   Threads never contend on one queue; a full buffer drops and counts.
//! - Ids come from a per-thread generator seeded by the OS.
//!
//! One allocation per span remains unavoidable while spans are visible
//! through `opentelemetry::Context`: the context itself (`Arc`) and the boxed
//! span it holds. See `BENCHMARKS.md` for the measured cost against the raw
//! SDK, `tracing-opentelemetry` and `fastrace`.

mod builder;
mod clock;
pub mod config;
pub(crate) mod diagnostics;
pub mod error;
pub mod export;
pub mod ids;
mod init;
mod limits;
mod macro_support;
pub mod processor;
pub mod propagation;
mod provider;
mod sampler;
pub mod span;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use builder::{TracedBuilder, DEFAULT_SHUTDOWN_TIMEOUT};
pub use error::{ConfigError, InitError, LifecycleError};
pub use init::{init, ShutdownGuard};
pub use limits::SpanLimits;
pub use processor::{BatchConfig, ExportStats};
pub use provider::{DefaultGuard, Provider, ProviderBuilder};
pub use sampler::Sampler;

/// Starts configuring tracing in code.
///
/// ```no_run
/// let _guard = traced_core::builder()
///     .service_name("user-service")
///     .service_version("1.0.0")
///     .environment("production")
///     .install()
///     .expect("tracing set-up");
/// ```
pub fn builder() -> TracedBuilder {
    TracedBuilder::default()
}

pub use span::{current_span, CurrentSpan};

/// Sets attributes on the current span: `record!(user.id = id, "http.route" = route)`.
/// Values keep their type (numbers, bools, text); anything else is recorded
/// by its `Debug` text. Does nothing when no span is recording.
#[macro_export]
macro_rules! record {
    () => {};
    ($key:literal = $value:expr $(, $($rest:tt)*)?) => {
        $crate::record!(@set $key, $value);
        $($crate::record!($($rest)*);)?
    };
    ($($key:ident).+ = $value:expr $(, $($rest:tt)*)?) => {
        $crate::record!(@set ::core::stringify!($($key).+), $value);
        $($crate::record!($($rest)*);)?
    };
    (@set $key:expr, $value:expr) => {{
        #[allow(unused_imports)]
        use $crate::__private::{DebugAttribute as _, TypedAttribute as _};
        $crate::span::current_span().set_attribute($crate::__private::KeyValue::new(
            $key,
            (&&$crate::__private::AttributeRef(&$value)).traced_attribute_value(),
        ));
    }};
}

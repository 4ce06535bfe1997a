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
//! - Sampling ([`Sampler`]): ratio decisions follow OpenTelemetry's
//!   consistent probability sampling (`ot=th` in `tracestate`), plus rules
//!   by span name, a rate limit and an adaptive ratio; in-process tail
//!   sampling ([`processor::TailSampling`]) decides in the export thread.
//! - Data protection ([`processor::redact`]): redaction in the export thread,
//!   with built-ins on by default (URL credentials and query values, SQL
//!   literals; [`sql`] reads the SQL), and span limits.
//! - Safety: nothing a `#[traced]` call does waits for export; spans made
//!   while exporting (an exporter's own HTTP calls, a `Drop` at shutdown)
//!   are suppressed, so export never feeds itself; every span that does not
//!   reach an exporter is counted ([`ExportStats`]) and reported once.
//!
//! Every builder here ([`TracedBuilder`], [`ProviderBuilder`],
//! [`processor::redact::Redaction`], [`processor::TailSampling`]) follows
//! one convention: a setter is named after what it sets (`sampler(..)`,
//! `exporter(..)`, `keep_ratio(..)`), a method that adds one of many is
//! named in the singular (`processor(..)`, `rule(..)`,
//! `resource_attribute(..)`), and settings are private fields. The older
//! `with_*` names remain as deprecated aliases for one release.
//!
//! # Why the hot path is ours
//!
//! The raw `opentelemetry_sdk` tracer builds each span through a generic
//! builder, boxes it behind the `Context` with a mutex, reads the wall clock
//! twice, clones the instrumentation scope into every span and sends every
//! ended span through one channel shared by all threads. `traced` keeps what
//! users see (spans are ordinary `opentelemetry::Context` spans, so any
//! OpenTelemetry code parents on them and propagates them; exporters are the
//! standard `SpanExporter`s) and owns the rest. Measured choices (figures in
//! `BENCHMARKS.md`):
//!
//! - The cheapest rejection comes first: with no provider installed a call
//!   costs one relaxed load; under an unsampled parent no span is created
//!   (the parent stays current, so propagation is unchanged). All of it is a
//!   small inlined function; making a span is out of line.
//! - The `Context` holds only the span's ids (one allocation); the span's
//!   data lives in a boxed record owned by the guard or future, so recording
//!   takes no lock and a handle is two words to move. The price: plain
//!   OpenTelemetry calls that *mutate* the current span (`add_event` through
//!   `get_active_span`) do not reach a `#[traced]` span; [`current_span`]
//!   and `record!` do, and route to SDK spans too.
//! - Names and kinds are fixed per call site ([`span::Callsite`]); a lone
//!   method's `Type.method` is computed once per type. Attributes are only
//!   evaluated for recorded spans; the first four are stored inline and
//!   string literals are static, so most spans allocate nothing for them.
//! - Timestamps are CPU counter readings (`minstant`, about a third of the
//!   cost of `SystemTime::now`), converted to wall-clock time in the export
//!   thread against an anchor refreshed every minute.
//! - Providers are leaked once and referenced as `&'static`: no shared
//!   reference count is touched per span.
//! - Ending a span copies its record once into a chunk owned by the ending
//!   thread (an uncontended lock) and frees the box on that thread (frees on
//!   another thread send the allocator down its slow path). Full chunks are
//!   handed to the export thread whole and come back for reuse.
//! - Ids come from a per-thread generator seeded by the OS.

mod builder;
mod claims;
mod clock;
pub mod config;
pub(crate) mod diagnostics;
pub mod error;
pub mod export;
mod glob;
pub mod ids;
mod init;
mod limits;
mod macro_support;
mod probability;
pub mod processor;
pub mod propagation;
mod provider;
mod sampler;
mod shutdown;
pub mod span;
pub mod sql;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use builder::{Pipeline, TracedBuilder, DEFAULT_SHUTDOWN_TIMEOUT};
pub use error::{ConfigError, InitError, LifecycleError};
pub use init::init;
pub use limits::SpanLimits;
pub use processor::{BatchConfig, ExportStats};
pub use provider::{DefaultGuard, Provider, ProviderBuilder};
pub use sampler::{AdaptiveSampler, RateLimiter, Sampler};
pub use shutdown::ShutdownGuard;

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

pub use span::{current_span, with_current_span, CurrentSpan, InCurrentSpan};

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

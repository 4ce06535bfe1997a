// The guide is the README: set-up, the `#[traced]` arguments, each
// integration with an example, sampling and redaction. Its code blocks are
// compiled as doc tests.
#![doc = include_str!("../README.md")]

pub use traced_core::*;
pub use traced_macros::traced;

/// Transport integrations, one Cargo feature each.
pub use traced_integrations as integrations;

/// Reading recorded traces (OTLP JSON, OTLP protobuf, Jaeger JSON) and
/// querying them with TraceQL: the engine of the `traced` command (feature
/// `analyze`).
#[cfg(feature = "analyze")]
pub use traced_analyze as analyze;

#[cfg(all(feature = "analyze", feature = "test-util"))]
pub mod trace_queries;

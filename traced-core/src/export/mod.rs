//! Exporters: console and OTLP JSON files (always), OTLP and Zipkin (behind
//! features).

mod console;
pub mod file;
pub mod otlp;
mod redact;
#[cfg(any(feature = "otlp-http", feature = "zipkin"))]
pub(crate) mod resolve;
#[cfg(feature = "tls")]
pub(crate) mod tls;
pub mod zipkin;

pub use console::{render_trace, ConsoleExporter, SharedBuffer};
pub use file::{FileExporter, FileSettings};
pub use redact::redact_url;
#[allow(unused_imports)]
pub(crate) use redact::Secrets;

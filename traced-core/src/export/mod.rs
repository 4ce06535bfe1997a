//! Exporters: console (always), OTLP and Zipkin (behind features).

mod console;
pub mod otlp;
pub mod zipkin;

pub use console::{render_trace, ConsoleExporter, SharedBuffer};

//! Exporters: console and OTLP JSON files (always), OTLP and Zipkin (behind
//! features).

mod console;
pub mod file;
pub mod otlp;
pub mod zipkin;

pub use console::{render_trace, ConsoleExporter, SharedBuffer};
pub use file::{FileExporter, FileSettings};

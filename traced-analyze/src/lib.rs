//! Reads recorded traces and answers questions about them, with no backend
//! running: the engine of the `traced` command and of `traced::testing`'s
//! trace queries.
//!
//! - [`read`]: OTLP JSON (the Collector's file exporter NDJSON, single
//!   documents, Jaeger v2 and Tempo envelopes), Jaeger JSON and OTLP
//!   protobuf; gzip, directories and standard input.
//! - [`model`]: traces of spans, one model whatever the format.
//! - [`query`]: TraceQL (the language Grafana Tempo speaks, so a query
//!   outgrows files unchanged) and the seed SQL form.
//! - [`output`]: the table and JSON the command prints.
//!
//! ```
//! use traced_analyze::{read, Query};
//! let line = br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
//!   "scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",
//!   "name":"GET /users/{id}","kind":2,"startTimeUnixNano":"1000000000","endTimeUnixNano":"1250000000",
//!   "status":{"code":2}}]}]}]}"#;
//! let mut spans = Vec::new();
//! read::read_bytes("example.jsonl", line, |s| spans.push(s));
//! let traces = traced_analyze::TraceSet::from_spans(spans);
//! let slow_failures = Query::parse("{ status = error && duration > 200ms }")?.run(&traces);
//! assert_eq!(slow_failures.len(), 1);
//! # Ok::<(), traced_analyze::QueryError>(())
//! ```

pub mod analysis;
pub mod model;
pub mod output;
pub mod query;
pub mod read;
pub mod report;

pub use model::{Span, Trace, TraceSet};
pub use query::{Match, Query, QueryError};

//! What `#[traced]` expansions call. Hidden; no semver promise.

pub use crate::macro_support::*;
pub use crate::span::{
    ActiveSpan, Attributes, Callsite, DebugValue, DisplayValue, Instrumented, Kind, SpanGuard, ToAttributeValue,
};
pub use opentelemetry::trace::Link;
pub use opentelemetry::{Key, KeyValue, Value};

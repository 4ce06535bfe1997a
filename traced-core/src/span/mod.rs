//! The hot path: starting, entering and ending spans.

mod active;
mod callsite;
mod carry;
mod current;
pub(crate) mod error;
mod guard;
mod instrumented;
mod record;
mod value;

pub use active::{ActiveSpan, SpanScope, SpanStart};
pub use callsite::{short_type_name, Callsite, Kind};
pub use carry::{with_current_span, InCurrentSpan};
pub use current::{current_span, CurrentSpan};
pub use error::EXCEPTION_SOURCE_CHAIN;
pub use guard::SpanGuard;
pub use instrumented::{Instrumented, CANCELLED};
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
pub(crate) use record::SpanRecord;
pub(crate) use record::{AnchorCache, Buffered};
pub use record::{Attributes, FinishedSpan};
pub use value::{DebugValue, DisplayValue, ToAttributeValue};

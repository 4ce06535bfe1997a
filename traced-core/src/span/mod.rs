//! The hot path: starting, entering and ending spans.

mod active;
mod callsite;
pub(crate) mod error;
mod guard;
mod instrumented;
mod live;
mod record;

pub use active::{ActiveSpan, SpanStart};
pub use callsite::{short_type_name, Callsite, Kind};
pub use error::EXCEPTION_SOURCE_CHAIN;
pub use guard::SpanGuard;
pub use instrumented::{Instrumented, CANCELLED};
pub use record::{DebugValue, DisplayValue, ToAttributeValue};

//! Spans: the hot path `#[traced]` expands to, and the API integrations are
//! written on.
//!
//! # Writing an integration
//!
//! `traced`'s own integrations (HTTP, gRPC, SQL, AMQP) use only what is
//! public here, and so can a crate of yours:
//!
//! - [`ActiveSpan::start_with`] starts a span from a [`SpanStart`]: its name,
//!   [`Kind`], attributes (filled only when the span is recorded), links,
//!   and the parent context (`None`: the current one; an extracted context
//!   for a server or consumer). When no span is made (nothing installed,
//!   `OTEL_SDK_DISABLED`), the handle carries that parent instead, so the
//!   work still propagates the caller's trace.
//! - [`ActiveSpan::enter`] makes it current for a step of work (a call, one
//!   poll): OpenTelemetry code sees it as the parent, and `current_span()`
//!   and `record!` reach it. [`Instrumented`] does this for every poll of a
//!   future and ends the span when the future completes.
//! - [`ActiveSpan::set_attribute`], [`ActiveSpan::record_error`] and
//!   [`ActiveSpan::set_status`] record; [`ActiveSpan::end`] (or dropping the
//!   handle) ends it.
//! - [`crate::propagation::inject`] writes the span's context into outgoing
//!   headers; [`crate::propagation::extract`] reads a caller's.
//!
//! A client span around a Redis command, as a third-party crate would write
//! it:
//!
//! ```
//! use opentelemetry::KeyValue;
//! use std::borrow::Cow;
//! use traced_core::span::{ActiveSpan, Attributes, Kind, SpanStart};
//!
//! /// Runs `command` on `key` inside a CLIENT span named like `GET`.
//! fn traced_command<T, E: std::error::Error>(
//!     command: &'static str,
//!     key: &str,
//!     run: impl FnOnce() -> Result<T, E>,
//! ) -> Result<T, E> {
//!     let mut span = ActiveSpan::start_with(SpanStart {
//!         name: Cow::Borrowed(command),
//!         kind: Kind::Client,
//!         attributes: |a: &mut Attributes| {
//!             a.push(KeyValue::new("db.system.name", "redis"));
//!             a.push(KeyValue::new("db.operation.name", command));
//!             a.push(KeyValue::new("db.query.summary", format!("{command} {key}")));
//!         },
//!         attribute_capacity: 3,
//!         links: Vec::new,
//!         // Like every outgoing call: a span id of its own even when unsampled.
//!         skip_unsampled_child: false,
//!         parent: None,
//!     });
//!     let result = {
//!         let _scope = span.enter();
//!         run()
//!     };
//!     if let Err(err) = &result {
//!         span.record_error(std::any::type_name::<E>(), err, true);
//!     }
//!     span.end();
//!     result
//! }
//!
//! # #[cfg(feature = "test-util")] {
//! let spans = traced_core::testing::capture();
//! let value = traced_command("GET", "user:42", || Ok::<_, std::io::Error>("alice"));
//! assert_eq!(value.unwrap(), "alice");
//! let span = spans.span("GET");
//! assert_eq!(span.span_kind, opentelemetry::trace::SpanKind::Client);
//! assert_eq!(span.attr_str("db.query.summary").as_deref(), Some("GET user:42"));
//! # }
//! ```

mod active;
mod callsite;
mod carry;
mod current;
pub(crate) mod error;
mod guard;
mod instrumented;
mod record;
mod record_pool;
mod value;

pub use active::{may_start, ActiveSpan, AttachGuard, SpanScope, SpanStart, StartTime};
pub use callsite::{short_type_name, Callsite, Kind};
pub use carry::{with_current_span, InCurrentSpan};
pub use current::{current_span, nothing_pending, CurrentSpan};
pub use error::EXCEPTION_SOURCE_CHAIN;
pub use guard::SpanGuard;
pub use instrumented::{Instrumented, CANCELLED};
pub(crate) use record::SpanRecord;
pub(crate) use record::{AnchorCache, Buffered};
pub use record::{Attributes, FinishedSpan};
pub use value::{DebugValue, DisplayValue, ToAttributeValue};

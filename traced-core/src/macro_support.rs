//! Helpers `#[traced]` expansions call: recording a function's result, its
//! return value and its links. The dispatch on what an error or value
//! implements uses autoref specialisation: the most specific impl sits on the
//! most-referenced wrapper, the expansion calls the method on one reference
//! more (`&&&&&ErrorRef(e)`), and method lookup, dereferencing step by step,
//! takes the first level whose bounds hold. Chosen at compile time, with no
//! trait bound asked of the user's types.

use crate::span::{ActiveSpan, DebugValue, ToAttributeValue};
use opentelemetry::trace::{Link, SpanContext};
use opentelemetry::KeyValue;
use std::fmt;

/// Attribute holding a function's return value (`ret`).
pub const RETURN_VALUE: &str = "return.value";

/// Wraps an error value for recording.
pub struct ErrorRef<'a, E: ?Sized>(pub &'a E);

/// Errors that can be seen as `&dyn Error` (what `Deref` targets such as
/// `Box<dyn Error + Send + Sync>` and `anyhow::Error` point at).
pub trait AsDynError {
    /// The error as a trait object.
    fn as_dyn_error(&self) -> &(dyn std::error::Error + 'static);
}
impl<T: std::error::Error + 'static> AsDynError for T {
    fn as_dyn_error(&self) -> &(dyn std::error::Error + 'static) {
        self
    }
}
impl AsDynError for dyn std::error::Error + 'static {
    fn as_dyn_error(&self) -> &(dyn std::error::Error + 'static) {
        self
    }
}
impl AsDynError for dyn std::error::Error + Send + 'static {
    fn as_dyn_error(&self) -> &(dyn std::error::Error + 'static) {
        self
    }
}
impl AsDynError for dyn std::error::Error + Send + Sync + 'static {
    fn as_dyn_error(&self) -> &(dyn std::error::Error + 'static) {
        self
    }
}

/// Level 1: a `std::error::Error`: message, type, `source()` chain.
pub trait RecordStdError {
    /// Records the error on `span`.
    fn traced_record_error(&self, span: &mut ActiveSpan, event: bool);
}
impl<E: std::error::Error> RecordStdError for &&&&ErrorRef<'_, E> {
    fn traced_record_error(&self, span: &mut ActiveSpan, event: bool) {
        span.record_error(std::any::type_name::<E>(), self.0, event);
    }
}

/// Level 2: something that dereferences to an error (boxed errors, `anyhow`).
pub trait RecordDerefError {
    /// Records the error on `span`.
    fn traced_record_error(&self, span: &mut ActiveSpan, event: bool);
}
impl<E> RecordDerefError for &&&ErrorRef<'_, E>
where
    E: std::ops::Deref,
    E::Target: AsDynError,
{
    fn traced_record_error(&self, span: &mut ActiveSpan, event: bool) {
        span.record_error(std::any::type_name::<E>(), (**self.0).as_dyn_error(), event);
    }
}

/// Level 3: anything `Display`: the message only.
pub trait RecordDisplayError {
    /// Records the error on `span`.
    fn traced_record_error(&self, span: &mut ActiveSpan, event: bool);
}
impl<E: fmt::Display + ?Sized> RecordDisplayError for &&ErrorRef<'_, E> {
    fn traced_record_error(&self, span: &mut ActiveSpan, event: bool) {
        span.record_error_message(std::any::type_name::<E>(), self.0.to_string(), event);
    }
}

/// Level 4: anything `Debug`.
pub trait RecordDebugError {
    /// Records the error on `span`.
    fn traced_record_error(&self, span: &mut ActiveSpan, event: bool);
}
impl<E: fmt::Debug + ?Sized> RecordDebugError for &ErrorRef<'_, E> {
    fn traced_record_error(&self, span: &mut ActiveSpan, event: bool) {
        span.record_error_message(std::any::type_name::<E>(), format!("{:?}", self.0), event);
    }
}

/// Level 5: anything at all: the type name stands for the message.
pub trait RecordOpaqueError {
    /// Records the error on `span`.
    fn traced_record_error(&self, span: &mut ActiveSpan, event: bool);
}
impl<E: ?Sized> RecordOpaqueError for ErrorRef<'_, E> {
    fn traced_record_error(&self, span: &mut ActiveSpan, event: bool) {
        let name = std::any::type_name::<E>();
        span.record_error_message(name, name.to_owned(), event);
    }
}

/// Wraps a return value for recording.
pub struct ValueRef<'a, T: ?Sized>(pub &'a T);

/// Level 1 of `ret`: a typed attribute (numbers, bools, text).
pub trait RecordTypedValue {
    /// Records the value as `return.value`.
    fn traced_record_ret(&self, span: &mut ActiveSpan);
}
impl<T: ToAttributeValue + ?Sized> RecordTypedValue for &ValueRef<'_, T> {
    fn traced_record_ret(&self, span: &mut ActiveSpan) {
        span.set_attribute(KeyValue::new(RETURN_VALUE, self.0.to_attribute_value()));
    }
}

/// Level 2 of `ret`: the `Debug` form.
pub trait RecordDebugValue {
    /// Records the value as `return.value`.
    fn traced_record_ret(&self, span: &mut ActiveSpan);
}
impl<T: fmt::Debug + ?Sized> RecordDebugValue for ValueRef<'_, T> {
    fn traced_record_ret(&self, span: &mut ActiveSpan) {
        span.set_attribute(KeyValue::new(RETURN_VALUE, DebugValue(self.0).to_attribute_value()));
    }
}

/// `ret(Display)`.
pub fn record_ret_display<T: fmt::Display + ?Sized>(span: &mut ActiveSpan, value: &T) {
    span.set_attribute(KeyValue::new(RETURN_VALUE, value.to_string()));
}

/// `ret(Debug)`.
pub fn record_ret_debug<T: fmt::Debug + ?Sized>(span: &mut ActiveSpan, value: &T) {
    span.set_attribute(KeyValue::new(RETURN_VALUE, format!("{value:?}")));
}

/// What `links(...)` accepts: span contexts or links.
pub trait IntoLink {
    /// The link.
    fn into_link(self) -> Link;
}
impl IntoLink for SpanContext {
    fn into_link(self) -> Link {
        Link::with_context(self)
    }
}
impl IntoLink for &SpanContext {
    fn into_link(self) -> Link {
        Link::with_context(self.clone())
    }
}
impl IntoLink for Link {
    fn into_link(self) -> Link {
        self
    }
}

/// `links(expr)`: any iterable of span contexts or links.
pub fn links_from<I>(links: I) -> Vec<Link>
where
    I: IntoIterator,
    I::Item: IntoLink,
{
    links.into_iter().map(IntoLink::into_link).collect()
}

/// Lets an `impl Future` returned by a desugared `async fn` capture a
/// lifetime (edition 2021 captures only those named in its bounds).
pub trait Captures<'a> {}
impl<T: ?Sized> Captures<'_> for T {}

/// Lets an `impl Future` capture every lifetime of a type (`Self`'s).
pub trait CapturesType<T: ?Sized> {}
impl<T: ?Sized, U: ?Sized> CapturesType<T> for U {}

/// Wraps a field or argument value for recording.
pub struct AttributeRef<'a, T: ?Sized>(pub &'a T);

/// Level 1 of a field: a typed attribute.
pub trait TypedAttribute {
    /// The attribute value.
    fn traced_attribute_value(&self) -> opentelemetry::Value;
}
impl<T: ToAttributeValue + ?Sized> TypedAttribute for &AttributeRef<'_, T> {
    fn traced_attribute_value(&self) -> opentelemetry::Value {
        self.0.to_attribute_value()
    }
}

/// Level 2 of a field: the `Debug` text (for `Option`, enums, ids...).
pub trait DebugAttribute {
    /// The attribute value.
    fn traced_attribute_value(&self) -> opentelemetry::Value;
}
impl<T: fmt::Debug + ?Sized> DebugAttribute for AttributeRef<'_, T> {
    fn traced_attribute_value(&self) -> opentelemetry::Value {
        DebugValue(self.0).to_attribute_value()
    }
}

/// Calls the body of a synchronous `#[traced]` function whose result is
/// recorded. Asking for `FnOnce` makes the closure own its captures, so the
/// body may return borrows of the function's arguments.
#[inline(always)]
pub fn call_once<R>(body: impl FnOnce() -> R) -> R {
    body()
}

/// `?` on stable Rust, for `#[track_caller]` bodies whose `?` must leave
/// through the macro's block: splits a value into what continues and what
/// returns early.
pub trait TracedTry {
    /// What `?` evaluates to.
    type Output;
    /// What `?` returns early with.
    type Residual;
    /// Continue with the output, or break with the residual.
    fn traced_branch(self) -> std::ops::ControlFlow<Self::Residual, Self::Output>;
}

impl<T, E> TracedTry for Result<T, E> {
    type Output = T;
    type Residual = Result<std::convert::Infallible, E>;
    #[inline(always)]
    fn traced_branch(self) -> std::ops::ControlFlow<Self::Residual, T> {
        match self {
            Ok(v) => std::ops::ControlFlow::Continue(v),
            Err(e) => std::ops::ControlFlow::Break(Err(e)),
        }
    }
}

impl<T> TracedTry for Option<T> {
    type Output = T;
    type Residual = Option<std::convert::Infallible>;
    #[inline(always)]
    fn traced_branch(self) -> std::ops::ControlFlow<Self::Residual, T> {
        match self {
            Some(v) => std::ops::ControlFlow::Continue(v),
            None => std::ops::ControlFlow::Break(None),
        }
    }
}

/// The early return `?` makes from a residual, converting the error with
/// `From` as `?` does.
pub trait TracedFromResidual<R> {
    /// The value returned early.
    fn traced_from_residual(residual: R) -> Self;
}

impl<T, E, F: From<E>> TracedFromResidual<Result<std::convert::Infallible, E>> for Result<T, F> {
    #[inline(always)]
    fn traced_from_residual(residual: Result<std::convert::Infallible, E>) -> Self {
        match residual {
            Err(e) => Err(F::from(e)),
            Ok(never) => match never {},
        }
    }
}

impl<T> TracedFromResidual<Option<std::convert::Infallible>> for Option<T> {
    #[inline(always)]
    fn traced_from_residual(_: Option<std::convert::Infallible>) -> Self {
        None
    }
}

/// What `#[traced]` reads of a returned `Result` to record an `Err`.
#[diagnostic::on_unimplemented(
    message = "`#[traced(err)]` needs a function that returns a `Result`, not `{Self}`",
    label = "`err` records a returned `Err`"
)]
pub trait ReturnedResult {
    /// The `Ok` type.
    type Ok;
    /// The `Err` type.
    type Err;
    /// The result by reference.
    fn traced_parts(&self) -> Result<&Self::Ok, &Self::Err>;
}

impl<T, E> ReturnedResult for Result<T, E> {
    type Ok = T;
    type Err = E;
    #[inline(always)]
    fn traced_parts(&self) -> Result<&T, &E> {
        self.as_ref()
    }
}

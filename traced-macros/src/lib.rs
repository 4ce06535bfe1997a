//! The `#[traced]` attribute macro. Use it through the `traced` crate.
//!
//! Three stages, as in `serde_derive`: [`attr`] reads the arguments,
//! [`ast`] models the item and [`check`] rejects what makes no sense (all
//! errors collected in [`ctxt::Ctxt`], each pointing at its token), then
//! [`expand`] writes the instrumented code, which calls into
//! `traced::__private`. On any error, [`fallback`] emits the item unchanged
//! with the messages, so one typo gives one error.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod fallback;
mod name;

use proc_macro::TokenStream;

/// Wraps a function, method, or every method of an impl block in an
/// OpenTelemetry span. See the `traced` crate for the arguments.
#[proc_macro_attribute]
pub fn traced(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::traced(args.into(), item.into()).into()
}

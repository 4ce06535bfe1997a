//! Synchronous functions: the span is current for the body and ends when it
//! returns or unwinds.
//!
//! The body is never a closure that could change what it may do: borrows
//! it returns from its arguments, `#[track_caller]` and lints behave as in
//! the function the user wrote.

use super::{result, Plan};
use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{Block, Expr, Path};

pub(crate) fn generate(plan: &Plan<'_>) -> TokenStream {
    let k = &plan.krate;
    let f = plan.f;
    let (attrs, vis, sig, block) = (f.attrs, f.vis, f.sig, f.block);
    let (callsite, name) = plan.callsite();
    let start_args = plan.start_args();
    let start = quote!(#k::__private::SpanGuard::start(&__TRACED_CALLSITE, || #name, #start_args));
    let record = result::record(plan, &quote!(&__traced_result), &quote!(__traced_span));
    let Some(record) = record else {
        // Nothing to look at afterwards: the body's statements run as
        // written, in the function's own block.
        let stmts = &block.stmts;
        return quote! {
            #(#attrs)*
            #vis #sig {
                #callsite
                let __traced_guard = #start;
                #(#stmts)*
            }
        };
    };
    // The result is inspected, so every way out of the body must come back
    // here. The type is given so `return`s and the tail coerce as they did.
    let annotation = match (&f.output, f.output_is_nameable()) {
        (Some(ty), true) => quote!(: #ty),
        _ => quote!(),
    };
    let body = if has_track_caller(f.attrs) { labelled_body(k, block) } else { once_body(plan, block) };
    quote! {
        #(#attrs)*
        #vis #sig {
            #callsite
            let mut __traced_guard = #start;
            let __traced_result #annotation = #body;
            if let ::core::option::Option::Some(__traced_span) = __traced_guard.span() {
                #record
            }
            __traced_result
        }
    }
}

/// The body as a closure called once. `call_once` takes `FnOnce`, so the
/// closure owns what it captures and may return borrows of the arguments
/// (a closure inferred `FnMut` could not); a `return` made by a macro in the
/// body (`bail!`) still comes back here.
fn once_body(plan: &Plan<'_>, block: &Block) -> TokenStream {
    let k = &plan.krate;
    let ret = match (&plan.f.output, plan.f.output_is_nameable()) {
        (Some(ty), true) => quote!(-> #ty),
        _ => quote!(),
    };
    quote!(#k::__private::call_once(move || #ret #block))
}

/// For `#[track_caller]`, where a closure would hide the caller: the body
/// as a labelled block, its `return`s and `?`s rewritten as breaks out of
/// it. (A `return` written by a macro inside the body cannot be seen and
/// leaves without its result being recorded; the span still ends.)
fn labelled_body(k: &Path, block: &Block) -> TokenStream {
    let mut block = block.clone();
    BreakOut { krate: k }.visit_block_mut(&mut block);
    let stmts = &block.stmts;
    quote!('__traced_body: { #(#stmts)* })
}

fn has_track_caller(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("track_caller"))
}

/// Rewrites the body's own `return e` and `e?` (not those of nested
/// closures, async blocks or items) as breaks out of `'__traced_body`.
struct BreakOut<'a> {
    krate: &'a Path,
}

impl VisitMut for BreakOut<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let k = self.krate;
        match expr {
            Expr::Return(ret) => {
                let value = match ret.expr.take() {
                    None => quote!(()),
                    // `break 'l ::path` would read as a labelled `'l:`.
                    Some(e) if quote!(#e).to_string().starts_with(':') => quote!((#e)),
                    Some(e) => quote!(#e),
                };
                *expr = syn::parse_quote!(break '__traced_body #value);
            }
            Expr::Try(t) => {
                let inner = &t.expr;
                *expr = syn::parse_quote! {
                    match #k::__private::TracedTry::traced_branch(#inner) {
                        ::core::ops::ControlFlow::Continue(__traced_value) => __traced_value,
                        ::core::ops::ControlFlow::Break(__traced_residual) => break '__traced_body
                            <_ as #k::__private::TracedFromResidual<_>>::traced_from_residual(__traced_residual),
                    }
                };
            }
            _ => {}
        }
    }
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_expr_async_mut(&mut self, _: &mut syn::ExprAsync) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

//! Synchronous functions: the span is current for the body and ends when it
//! returns or unwinds.

use super::{result, Plan};
use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn generate(plan: &Plan<'_>) -> TokenStream {
    let k = &plan.krate;
    let f = plan.f;
    let (attrs, vis, sig, block) = (f.attrs, f.vis, f.sig, f.block);
    let (callsite, name) = plan.callsite();
    let start_args = plan.start_args();
    let start = quote!(#k::__private::SpanGuard::start(&__TRACED_CALLSITE, || #name, #start_args));
    let record = result::record(plan, &quote!(&__traced_result), &quote!(__traced_span));
    match record {
        // Nothing to look at afterwards: the body runs as written.
        None => quote! {
            #(#attrs)*
            #vis #sig {
                #callsite
                let __traced_guard = #start;
                #block
            }
        },
        // The result is inspected: `return` in the body must come back here,
        // so the body runs in a closure called on the spot.
        Some(record) => {
            // The closure declares the function's return type so `return` and
            // the tail coerce (`Box<E>` to `Box<dyn Error>`) as they did.
            let (annotation, closure_ret) = match (&f.output, f.output_is_nameable()) {
                (Some(ty), true) => (quote!(: #ty), quote!(-> #ty)),
                _ => (quote!(), quote!()),
            };
            quote! {
                #(#attrs)*
                #vis #sig {
                    #callsite
                    let mut __traced_guard = #start;
                    #[allow(clippy::redundant_closure_call)]
                    let __traced_result #annotation = (move || #closure_ret #block)();
                    if let ::core::option::Option::Some(__traced_span) = __traced_guard.span() {
                        #record
                    }
                    __traced_result
                }
            }
        }
    }
}

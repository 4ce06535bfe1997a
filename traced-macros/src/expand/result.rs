//! Recording what a function produced: a returned `Err` (status, `error.type`,
//! `exception` event) and, with `ret`, the value.

use super::Plan;
use crate::attr::RetMode;
use proc_macro2::TokenStream;
use quote::quote;

/// Statements recording `value` (an expression of type `&Output`) on `span`
/// (an expression of type `&mut ActiveSpan`), or `None` when nothing is
/// recorded.
pub(crate) fn record(plan: &Plan<'_>, value: &TokenStream, span: &TokenStream) -> Option<TokenStream> {
    let k = &plan.krate;
    let errors = plan.args.err.is_some() || plan.f.returns_result();
    let event = plan.args.err.as_ref().map(|e| e.value).unwrap_or(true);
    let ret = plan.args.ret.as_ref().map(|r| r.value);
    if !errors {
        return ret.map(|mode| record_ret(plan, mode, value, span));
    }
    let ok_arm = match ret {
        Some(mode) => {
            let rec = record_ret(plan, mode, &quote!(__traced_ok), span);
            quote!(::core::result::Result::Ok(__traced_ok) => { #rec })
        }
        None => quote!(::core::result::Result::Ok(_) => {}),
    };
    // Through a trait implemented for `Result` alone: a type that is not one
    // (with `err` on an alias that is not) fails here, pointing at `err`.
    let at = plan.args.err.as_ref().map_or_else(proc_macro2::Span::call_site, |e| e.span);
    let trait_path: TokenStream = quote!(#k::__private::ReturnedResult)
        .into_iter()
        .map(|mut token| {
            token.set_span(at);
            token
        })
        .collect();
    let parts = quote::quote_spanned!(at=> #trait_path::traced_parts(#value));
    Some(quote! {
        match #parts {
            #ok_arm
            ::core::result::Result::Err(__traced_err) => {
                #[allow(unused_imports)]
                use #k::__private::{
                    RecordDebugError as _, RecordDerefError as _, RecordDisplayError as _, RecordOpaqueError as _,
                    RecordStdError as _,
                };
                (&&&&&#k::__private::ErrorRef(__traced_err)).traced_record_error(#span, #event);
            }
        }
    })
}

fn record_ret(plan: &Plan<'_>, mode: RetMode, value: &TokenStream, span: &TokenStream) -> TokenStream {
    let k = &plan.krate;
    match mode {
        RetMode::Auto => quote! {
            {
                #[allow(unused_imports)]
                use #k::__private::{RecordDebugValue as _, RecordTypedValue as _};
                (&&#k::__private::ValueRef(#value)).traced_record_ret(#span);
            }
        },
        RetMode::Display => quote!(#k::__private::record_ret_display(#span, #value);),
        RetMode::Debug => quote!(#k::__private::record_ret_debug(#span, #value);),
    }
}

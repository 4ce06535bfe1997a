//! On error: the item as written (so the rest of the crate still
//! type-checks and the user sees one message per mistake), plus the errors.

use crate::ast::is_traced_attr;
use crate::ast::Item;
use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::quote;
use syn::ImplItem;

/// The item could not even be parsed.
pub(crate) fn raw(item: TokenStream, cx: Ctxt) -> TokenStream {
    let errors = cx.into_compile_errors().unwrap_or_default();
    quote!(#item #errors)
}

/// The item unchanged (an impl without its methods' `#[traced]`), plus errors.
pub(crate) fn item(item: &Item, errors: TokenStream) -> TokenStream {
    match item {
        Item::Fn(f) => quote!(#f #errors),
        Item::Impl(i) => {
            let mut i = i.clone();
            for it in &mut i.items {
                if let ImplItem::Fn(m) = it {
                    m.attrs.retain(|a| !is_traced_attr(a));
                }
            }
            quote!(#i #errors)
        }
    }
}

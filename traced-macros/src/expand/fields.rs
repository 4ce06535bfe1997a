//! The attribute closure (`fields(...)`, `args(...)`) and the links closure.
//! Values are taken by reference, so recording never moves a value.

use super::Plan;
use crate::attr::FieldValue;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

/// `(count, |attrs| { ... })`.
pub(crate) fn attributes(plan: &Plan<'_>) -> (usize, TokenStream) {
    let k = &plan.krate;
    let mut pushes = Vec::new();
    if let Some(fields) = &plan.args.fields {
        for field in &fields.value {
            let key = &field.key;
            let value = match &field.value {
                // A string literal is recorded as a static string: no allocation.
                FieldValue::Typed(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(lit), .. })) => {
                    quote!(#k::__private::Value::from(#lit))
                }
                FieldValue::Typed(e) => typed_or_debug(k, &quote!(&(#e))),
                FieldValue::Display(e) => {
                    quote!(#k::__private::ToAttributeValue::to_attribute_value(&#k::__private::DisplayValue(&(#e))))
                }
                FieldValue::Debug(e) => {
                    quote!(#k::__private::ToAttributeValue::to_attribute_value(&#k::__private::DebugValue(&(#e))))
                }
            };
            pushes.push(
                quote_spanned!(field.key_span=> __traced_attrs.push(#k::__private::KeyValue::new(#key, #value));),
            );
        }
    }
    if let Some(args) = &plan.args.args {
        for ident in &args.value {
            let key = ident.to_string();
            let key = key.strip_prefix("r#").unwrap_or(&key).to_owned();
            let value = typed_or_debug(k, &quote!(&#ident));
            pushes
                .push(quote_spanned!(ident.span()=> __traced_attrs.push(#k::__private::KeyValue::new(#key, #value));));
        }
    }
    let count = pushes.len();
    let closure = if pushes.is_empty() {
        quote!(|_: &mut #k::__private::Attributes| {})
    } else {
        quote!(|__traced_attrs: &mut #k::__private::Attributes| { #(#pushes)* })
    };
    (count, closure)
}

/// A typed attribute when the value has one, else its `Debug` text.
fn typed_or_debug(k: &syn::Path, reference: &TokenStream) -> TokenStream {
    quote!({
        #[allow(unused_imports)]
        use #k::__private::{DebugAttribute as _, TypedAttribute as _};
        (&&#k::__private::AttributeRef(#reference)).traced_attribute_value()
    })
}

/// `|| links_from(expr)` or `Vec::new`.
pub(crate) fn links(plan: &Plan<'_>) -> TokenStream {
    let k = &plan.krate;
    match &plan.args.links {
        Some(links) => {
            let e = &links.value;
            quote!(|| #k::__private::links_from(#e))
        }
        None => quote!(::std::vec::Vec::new),
    }
}

//! Stage 3: writing the instrumented item. Nothing here fails: every check
//! ran before, and a use with errors goes to [`crate::fallback`] instead.

mod fields;
mod future;
mod result;
mod sync;
#[cfg(test)]
mod tests;

use crate::ast::{has_async_trait, Item, Shape, TracedFn};
use crate::attr::{Arg, SpanKind, TracedArgs};
use crate::check;
use crate::ctxt::Ctxt;
use crate::fallback;
use crate::name::{span_name, Owner, SpanName};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, ImplItem, ItemFn, ItemImpl, Meta, Path};

/// `#[traced(args)] item` → the instrumented item (or the item unchanged
/// plus the errors).
pub(crate) fn traced(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = TracedArgs::from_tokens(&cx, args);
    let parsed = match Item::from_tokens(item.clone()) {
        Ok(parsed) => parsed,
        Err(e) => {
            cx.syn_error(e);
            return fallback::raw(item, cx);
        }
    };
    let expanded = match &parsed {
        Item::Fn(f) => expand_lone_fn(&cx, &args, f),
        Item::Impl(i) => expand_impl(&cx, &args, i),
    };
    match cx.into_compile_errors() {
        None => expanded,
        Some(errors) => fallback::item(&parsed, errors),
    }
}

/// Everything the generators need about one function.
pub(crate) struct Plan<'a> {
    pub(crate) krate: Path,
    pub(crate) args: &'a TracedArgs,
    pub(crate) f: &'a TracedFn<'a>,
    pub(crate) name: SpanName,
    /// `Self` can be named in the body (inside an impl).
    pub(crate) self_available: bool,
}

impl Plan<'_> {
    /// `static __TRACED_CALLSITE` and the expression of the span name.
    pub(crate) fn callsite(&self) -> (TokenStream, TokenStream) {
        let k = &self.krate;
        let kind = match self.args.kind.as_ref().map(|a| a.value).unwrap_or(SpanKind::Internal) {
            SpanKind::Internal => quote!(#k::__private::Kind::Internal),
            SpanKind::Server => quote!(#k::__private::Kind::Server),
            SpanKind::Client => quote!(#k::__private::Kind::Client),
            SpanKind::Producer => quote!(#k::__private::Kind::Producer),
            SpanKind::Consumer => quote!(#k::__private::Kind::Consumer),
        };
        let (init, name) = match &self.name {
            SpanName::Fixed(n) => (quote!(#k::__private::Callsite::new(#n, #kind)), quote!(__TRACED_CALLSITE.name())),
            SpanName::ModuleFn(f) => (
                quote!(#k::__private::Callsite::module_fn(::core::module_path!(), #f, #kind)),
                quote!(__TRACED_CALLSITE.name()),
            ),
            SpanName::Method(m) => (
                quote!(#k::__private::Callsite::method(#m, #kind)),
                quote!(__TRACED_CALLSITE.name_for(::core::any::type_name::<Self>())),
            ),
        };
        (quote!(static __TRACED_CALLSITE: #k::__private::Callsite = #init;), name)
    }

    /// The arguments of `ActiveSpan::start*` after the call site and name:
    /// attribute count, attribute closure, links closure.
    pub(crate) fn start_args(&self) -> TokenStream {
        let (count, fill) = fields::attributes(self);
        let links = fields::links(self);
        quote!(#count, #fill, #links)
    }
}

fn krate(args: &TracedArgs) -> Path {
    args.krate.as_ref().map(|k| k.value.clone()).unwrap_or_else(|| syn::parse_quote!(::traced))
}

fn generate(plan: &Plan<'_>) -> TokenStream {
    match plan.f.shape {
        Shape::Sync => sync::generate(plan),
        Shape::Async => future::generate_async(plan),
        Shape::AsyncForAsyncTrait => future::generate_async_in_place(plan),
        Shape::ImplFuture | Shape::BoxedFuture => future::generate_returned_future(plan),
    }
}

fn expand_lone_fn(cx: &Ctxt, args: &TracedArgs, item: &ItemFn) -> TokenStream {
    check::check_lone_fn(cx, args, item);
    let f = TracedFn::from_item_fn(item, false);
    check::check_fn(cx, args, &f);
    if cx.has_errors() || args.enabled.as_ref().is_some_and(|e| !e.value) {
        return quote!(#item);
    }
    let has_receiver = item.sig.receiver().is_some();
    let plan = Plan {
        krate: krate(args),
        args,
        f: &f,
        name: span_name(args, &item.sig.ident, None, has_receiver),
        self_available: has_receiver,
    };
    generate(&plan)
}

/// Is this attribute `#[traced]` / `#[traced(...)]` / `#[traced::traced]`?
pub(crate) fn is_traced_attr(attr: &Attribute) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == "traced")
}

/// Method arguments over the impl block's: the method's win where given.
fn merge(outer: &TracedArgs, own: TracedArgs) -> TracedArgs {
    fn or<T: Clone>(own: Option<Arg<T>>, outer: &Option<Arg<T>>) -> Option<Arg<T>> {
        own.or_else(|| outer.clone())
    }
    TracedArgs {
        service: or(own.service, &outer.service),
        kind: or(own.kind, &outer.kind),
        err: or(own.err, &outer.err),
        enabled: or(own.enabled, &outer.enabled),
        krate: or(own.krate, &outer.krate),
        ..own
    }
}

fn expand_impl(cx: &Ctxt, args: &TracedArgs, item: &ItemImpl) -> TokenStream {
    check::check_impl_args(cx, args);
    let under_async_trait = has_async_trait(&item.attrs);
    let owner = Owner::of(item);
    let mut out = item.clone();
    for impl_item in &mut out.items {
        let ImplItem::Fn(method) = impl_item else { continue };
        // The method's own `#[traced(...)]`, removed so it does not expand again.
        let mut own = TracedArgs::default();
        let mut found = false;
        method.attrs.retain(|attr| {
            if !is_traced_attr(attr) {
                return true;
            }
            if found {
                cx.error_spanned_by(attr, "duplicate `#[traced]` on this method");
            }
            found = true;
            if let Meta::List(list) = &attr.meta {
                own = TracedArgs::from_tokens(cx, list.tokens.clone());
            }
            false
        });
        if own.skip.is_some() {
            check::check_skip_alone(cx, &own);
            continue;
        }
        let merged = merge(args, own);
        let f = TracedFn::from_impl_fn(method, under_async_trait);
        check::check_fn(cx, &merged, &f);
        if cx.has_errors() || merged.enabled.as_ref().is_some_and(|e| !e.value) {
            continue;
        }
        let plan = Plan {
            krate: krate(&merged),
            args: &merged,
            f: &f,
            name: span_name(&merged, &method.sig.ident, Some(&owner), method.sig.receiver().is_some()),
            self_available: true,
        };
        let generated = generate(&plan);
        *impl_item = ImplItem::Verbatim(generated);
    }
    quote!(#out)
}

//! Stage 3: writing the instrumented item. Nothing here fails: every check
//! ran before, and a use with errors goes to [`crate::fallback`] instead.

mod fields;
mod future;
mod result;
mod sync;
#[cfg(test)]
mod tests;

use crate::ast::{has_async_trait, Item, Shape, TracedFn, TracedImpl};
use crate::attr::{Arg, SpanKind, TracedArgs};
use crate::check;
use crate::ctxt::Ctxt;
use crate::fallback;
use crate::name::{span_name, Owner, SpanName};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{ImplItem, ItemFn, ItemImpl, Path};

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
    // Stage 2: the model, then every check, before anything is written.
    check::check_impl_args(cx, args);
    let model = TracedImpl::from_item(cx, item);
    let under_async_trait = has_async_trait(&item.attrs);
    let mut planned = Vec::new();
    for (index, own) in &model.methods {
        let Some(method) = model.method(*index) else { continue };
        if own.skip.is_some() {
            check::check_skip_alone(cx, own);
            continue;
        }
        let merged = merge(args, own.clone());
        check::check_fn(cx, &merged, &TracedFn::from_impl_fn(method, under_async_trait));
        if merged.enabled.as_ref().is_none_or(|e| e.value) {
            planned.push((*index, merged));
        }
    }
    if cx.has_errors() {
        return TokenStream::new();
    }
    // Stage 3: only writing tokens from here.
    let owner = Owner::of(item);
    let mut out = model.item.clone();
    for (index, merged) in planned {
        let Some(method) = model.method(index) else { continue };
        let f = TracedFn::from_impl_fn(method, under_async_trait);
        let plan = Plan {
            krate: krate(&merged),
            args: &merged,
            f: &f,
            name: span_name(&merged, &method.sig.ident, Some(&owner), method.sig.receiver().is_some()),
            self_available: true,
        };
        out.items[index] = ImplItem::Verbatim(generate(&plan));
    }
    quote!(#out)
}

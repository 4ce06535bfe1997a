//! Asynchronous work: `async fn`, `fn -> impl Future` and boxed futures.
//!
//! An `async fn` runs nothing until first polled, yet its span must have the
//! parent current when it is *called* (the future may be spawned and polled
//! elsewhere). So it is rewritten as the `fn -> impl Future` it stands for:
//! the span starts in the call, and an `async move` block (taking every
//! parameter, as `async fn` does) runs the body inside `Instrumented`.

use super::{result, Plan};
use crate::ast::Shape;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::{FnArg, GenericParam, Lifetime, LifetimeParam, Pat, PatIdent, ReturnType, Signature, Type};

/// The closure that records the output: `|span, out| { ... }`.
fn on_output(plan: &Plan<'_>) -> TokenStream {
    let k = &plan.krate;
    let out_ty = match (&plan.f.output, plan.f.output_is_nameable()) {
        (Some(ty), true) => quote!(&#ty),
        (None, _) => quote!(&()),
        _ => quote!(&_),
    };
    match result::record(plan, &quote!(__traced_output), &quote!(__traced_span)) {
        Some(record) => quote!(|__traced_span: &mut #k::__private::ActiveSpan, __traced_output: #out_ty| { #record }),
        None => quote!(|_: &mut #k::__private::ActiveSpan, _: #out_ty| {}),
    }
}

/// The body as an `async move` block whose output type is pinned down (so
/// `?` and `return` inside it infer as they did in the `async fn`).
fn async_body(plan: &Plan<'_>, moves: &[TokenStream]) -> TokenStream {
    let mut block = plan.f.block.clone();
    let annotation = match (&plan.f.output, plan.f.output_is_nameable()) {
        (Some(ty), true) => {
            // An async block learns its output type from its first `return`,
            // before any annotation is seen; give each `return` the declared
            // type so its value coerces as it did in the `async fn`.
            TypedReturns { ty }.visit_block_mut(&mut block);
            quote!(: #ty)
        }
        (None, _) => quote!(: ()),
        _ => quote!(),
    };
    quote! {
        async move {
            #(#moves)*
            // (A body that always diverges is not a diverging sub-expression
            // the user wrote.)
            #[allow(clippy::diverging_sub_expression)]
            let __traced_ret #annotation = #block;
            #[allow(unreachable_code)]
            __traced_ret
        }
    }
}

/// Rewrites `return e` of the body itself (not of nested closures, async
/// blocks or items) as `return identity::<R>(e)`.
struct TypedReturns<'a> {
    ty: &'a Type,
}

impl VisitMut for TypedReturns<'_> {
    fn visit_expr_return_mut(&mut self, ret: &mut syn::ExprReturn) {
        if let Some(e) = &mut ret.expr {
            self.visit_expr_mut(e);
            let ty = self.ty;
            let inner = &**e;
            **e = syn::parse_quote!(::core::convert::identity::<#ty>(#inner));
        }
    }
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_expr_async_mut(&mut self, _: &mut syn::ExprAsync) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// `async fn` → `fn -> impl Future` with the span started in the call.
pub(crate) fn generate_async(plan: &Plan<'_>) -> TokenStream {
    let k = &plan.krate;
    let f = plan.f;
    let (attrs, vis) = (f.attrs, f.vis);
    let (sig, moves) = desugar(plan);
    let (callsite, name) = plan.callsite();
    let start_args = plan.start_args();
    let body = async_body(plan, &moves);
    let on_output = on_output(plan);
    quote! {
        #(#attrs)*
        #[allow(refining_impl_trait)]
        #vis #sig {
            #callsite
            let __traced_span = #k::__private::ActiveSpan::start_carrying(&__TRACED_CALLSITE, #name, #start_args);
            #k::__private::Instrumented::new(#body, __traced_span, #on_output)
        }
    }
}

/// `async fn` that `#[async_trait]` will rewrite after us: instrumented in
/// place, so the span starts when the boxed future is first polled. (Put
/// `#[async_trait]` above `#[traced]` to have the span start in the call.)
pub(crate) fn generate_async_in_place(plan: &Plan<'_>) -> TokenStream {
    let k = &plan.krate;
    let f = plan.f;
    let (attrs, vis, sig) = (f.attrs, f.vis, f.sig);
    let (callsite, name) = plan.callsite();
    let start_args = plan.start_args();
    let body = async_body(plan, &[]);
    let on_output = on_output(plan);
    quote! {
        #(#attrs)*
        #vis #sig {
            #callsite
            let __traced_span = #k::__private::ActiveSpan::start_carrying(&__TRACED_CALLSITE, #name, #start_args);
            #k::__private::Instrumented::new(#body, __traced_span, #on_output).await
        }
    }
}

/// `fn -> impl Future` / `Pin<Box<dyn Future>>`: the span starts in the
/// call, is current while the future is built, and covers its execution.
pub(crate) fn generate_returned_future(plan: &Plan<'_>) -> TokenStream {
    let k = &plan.krate;
    let f = plan.f;
    let (attrs, vis, sig, block) = (f.attrs, f.vis, f.sig, f.block);
    let (callsite, name) = plan.callsite();
    let start_args = plan.start_args();
    let on_output = on_output(plan);
    let instrumented = quote!(#k::__private::Instrumented::new(__traced_future, __traced_span, #on_output));
    let wrapped =
        if f.shape == Shape::BoxedFuture { quote!(::std::boxed::Box::pin(#instrumented)) } else { instrumented };
    // A boxed future is built as the declared type, so early `return`s of
    // different futures coerce to it as before.
    let declared = match (&f.sig.output, f.shape) {
        (ReturnType::Type(_, ty), Shape::BoxedFuture) => quote!(-> #ty),
        _ => quote!(),
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #callsite
            let __traced_span = #k::__private::ActiveSpan::start_carrying(&__TRACED_CALLSITE, #name, #start_args);
            let __traced_future = {
                let __traced_entered = __traced_span.enter_context();
                #[allow(clippy::redundant_closure_call)]
                let __traced_built = (move || #declared #block)();
                ::core::mem::drop(__traced_entered);
                __traced_built
            };
            #wrapped
        }
    }
}

/// Names every elided lifetime of the inputs (`&self`, `&T`, `'_`), so the
/// returned `impl Future` can say it captures them.
struct NameElided {
    created: Vec<Lifetime>,
}

impl NameElided {
    fn fresh(&mut self) -> Lifetime {
        let lt = Lifetime::new(&format!("'__traced_life{}", self.created.len()), Span::call_site());
        self.created.push(lt.clone());
        lt
    }
}

impl VisitMut for NameElided {
    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        if r.lifetime.is_none() {
            r.lifetime = Some(self.fresh());
        }
        self.visit_type_mut(&mut r.elem);
    }
    fn visit_lifetime_mut(&mut self, lt: &mut Lifetime) {
        if lt.ident == "_" {
            *lt = self.fresh();
        }
    }
    // Elided lifetimes in `fn(&T)` and `Fn(&T)` are higher-ranked: leave them.
    fn visit_type_bare_fn_mut(&mut self, _: &mut syn::TypeBareFn) {}
    fn visit_parenthesized_generic_arguments_mut(&mut self, _: &mut syn::ParenthesizedGenericArguments) {}
}

/// The lifetime elision gives the output's elided lifetimes: the receiver's
/// when it is a reference, else the only lifetime of the inputs.
fn elided_output_lifetime(sig: &Signature) -> Option<Lifetime> {
    if let Some(FnArg::Receiver(r)) = sig.inputs.first() {
        if let Some((_, Some(lt))) = &r.reference {
            return Some(lt.clone());
        }
    }
    let mut found = LifetimesIn(Vec::new());
    for input in &sig.inputs {
        if let FnArg::Typed(pt) = input {
            syn::visit::Visit::visit_type(&mut found, &pt.ty);
        }
    }
    match found.0.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    }
}

struct LifetimesIn(Vec<Lifetime>);

impl<'ast> syn::visit::Visit<'ast> for LifetimesIn {
    fn visit_lifetime(&mut self, lt: &'ast Lifetime) {
        if lt.ident != "static" && !self.0.contains(lt) {
            self.0.push(lt.clone());
        }
    }
    fn visit_type_bare_fn(&mut self, _: &'ast syn::TypeBareFn) {}
    fn visit_parenthesized_generic_arguments(&mut self, _: &'ast syn::ParenthesizedGenericArguments) {}
}

/// Gives the output's elided lifetimes (`&T`, `'_`) the name elision means.
struct NameOutputElided {
    lifetime: Lifetime,
}

impl VisitMut for NameOutputElided {
    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        if r.lifetime.is_none() {
            r.lifetime = Some(self.lifetime.clone());
        }
        self.visit_type_mut(&mut r.elem);
    }
    fn visit_lifetime_mut(&mut self, lt: &mut Lifetime) {
        if lt.ident == "_" {
            *lt = self.lifetime.clone();
        }
    }
    fn visit_type_bare_fn_mut(&mut self, _: &mut syn::TypeBareFn) {}
    fn visit_parenthesized_generic_arguments_mut(&mut self, _: &mut syn::ParenthesizedGenericArguments) {}
    // A trait object's default lifetime bound is not elision's business.
    fn visit_type_trait_object_mut(&mut self, _: &mut syn::TypeTraitObject) {}
}

/// The `fn -> impl Future` signature for an `async fn`, and the statements
/// that move every parameter into the body's `async move` block.
fn desugar(plan: &Plan<'_>) -> (Signature, Vec<TokenStream>) {
    let k = &plan.krate;
    let mut sig = plan.f.sig.clone();
    sig.asyncness = None;
    let mut namer = NameElided { created: Vec::new() };
    let mut moves = Vec::new();
    for (i, input) in sig.inputs.iter_mut().enumerate() {
        match input {
            FnArg::Receiver(r) => {
                if let Some((_, lt)) = &mut r.reference {
                    let lt = lt.get_or_insert_with(|| namer.fresh()).clone();
                    // Keep the receiver's written form and its type in step.
                    let mutability = &r.mutability;
                    *r.ty = syn::parse_quote!(&#lt #mutability Self);
                } else {
                    // `self: Box<Self>`, `self: Pin<&mut Self>`...
                    namer.visit_type_mut(&mut r.ty);
                }
                moves.push(quote!(let _ = &self;));
            }
            FnArg::Typed(pt) => {
                namer.visit_type_mut(&mut pt.ty);
                match &*pt.pat {
                    // `ref x` binds to the parameter's place: it is rebound
                    // inside the block below, like any other pattern.
                    Pat::Ident(PatIdent { ident, subpat: None, by_ref: None, .. }) => {
                        let ident = ident.clone();
                        moves.push(quote!(let _ = &#ident;));
                    }
                    Pat::Wild(_) => {
                        let name = format_ident!("__traced_arg{}", i);
                        let keep = format_ident!("__traced_keep{}", i);
                        *pt.pat = syn::parse_quote!(#name);
                        moves.push(quote!(let #keep = #name;));
                    }
                    pattern => {
                        let pattern = pattern.clone();
                        let name = format_ident!("__traced_arg{}", i);
                        *pt.pat = syn::parse_quote!(#name);
                        moves.push(quote!(let #pattern = #name;));
                    }
                }
            }
        }
    }
    // Elided lifetimes of the output get the one elision would give them,
    // spelled as the inputs now spell it (mixing `&str` with a named
    // `&'a self` draws `mismatched_lifetime_syntaxes` in user code).
    let mut output_ty = plan.f.output.clone();
    if let (Some(ty), Some(lifetime)) = (&mut output_ty, elided_output_lifetime(&sig)) {
        NameOutputElided { lifetime }.visit_type_mut(ty);
    }
    for lt in namer.created.iter().rev() {
        sig.generics.params.insert(0, GenericParam::Lifetime(LifetimeParam::new(lt.clone())));
    }
    let output: Type = match output_ty {
        Some(ty) => ty,
        None => syn::parse_quote!(()),
    };
    let captures = sig.generics.params.iter().filter_map(|p| match p {
        GenericParam::Lifetime(l) => {
            let lt = &l.lifetime;
            Some(quote!(+ #k::__private::Captures<#lt>))
        }
        _ => None,
    });
    let self_capture = plan.self_available.then(|| quote!(+ #k::__private::CapturesType<Self>));
    sig.output = ReturnType::Type(
        Default::default(),
        Box::new(syn::parse_quote!(impl ::core::future::Future<Output = #output> #(#captures)* #self_capture)),
    );
    (sig, moves)
}

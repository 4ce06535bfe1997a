//! Stage 2: the annotated item as a model: a lone function or an impl block,
//! and for each function what the expansion needs to know about it.

use crate::attr::TracedArgs;
use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use syn::{
    Attribute, Block, GenericArgument, ImplItemFn, ItemFn, ItemImpl, PathArguments, ReturnType, Signature, Type,
    TypeParamBound, Visibility,
};

/// What `#[traced]` was put on.
pub(crate) enum Item {
    Fn(ItemFn),
    Impl(ItemImpl),
}

impl Item {
    /// Parses the item, or says what `#[traced]` cannot go on.
    pub(crate) fn from_tokens(tokens: TokenStream) -> syn::Result<Self> {
        match syn::parse2::<syn::Item>(tokens.clone()) {
            Ok(syn::Item::Fn(f)) => Ok(Item::Fn(f)),
            Ok(syn::Item::Impl(i)) => Ok(Item::Impl(i)),
            // A trait method without a body.
            Ok(syn::Item::Verbatim(v)) => match syn::parse2::<syn::TraitItemFn>(v.clone()) {
                Ok(f) => Err(syn::Error::new_spanned(&f.sig.ident, "#[traced] needs a function body to wrap")),
                Err(_) => Err(syn::Error::new_spanned(v, "#[traced] applies to functions, methods and impl blocks")),
            },
            Ok(other) => Err(syn::Error::new_spanned(
                item_keyword(&other),
                "#[traced] applies to functions, methods and impl blocks",
            )),
            // A trait method without a body parses as neither.
            Err(_) => match syn::parse2::<syn::TraitItemFn>(tokens) {
                Ok(f) if f.default.is_none() => {
                    Err(syn::Error::new_spanned(&f.sig.ident, "#[traced] needs a function body to wrap"))
                }
                Ok(f) => Ok(Item::Fn(ItemFn {
                    attrs: f.attrs,
                    vis: Visibility::Inherited,
                    sig: f.sig,
                    block: Box::new(f.default.unwrap_or_else(|| syn::parse_quote!({}))),
                })),
                Err(e) => Err(e),
            },
        }
    }
}

/// A `#[traced]` impl block as a model: the block with every method's own
/// `#[traced(...)]` taken off (so nothing expands twice), and those
/// arguments, read, per method.
pub(crate) struct TracedImpl {
    pub(crate) item: ItemImpl,
    /// `(index in item.items, the method's own arguments)` for every method.
    pub(crate) methods: Vec<(usize, TracedArgs)>,
}

impl TracedImpl {
    /// Reads each method's own `#[traced(...)]`; a second one on a method
    /// is reported here.
    pub(crate) fn from_item(cx: &Ctxt, item: &ItemImpl) -> Self {
        let mut item = item.clone();
        let mut methods = Vec::new();
        for (index, impl_item) in item.items.iter_mut().enumerate() {
            let syn::ImplItem::Fn(method) = impl_item else { continue };
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
                if let syn::Meta::List(list) = &attr.meta {
                    own = TracedArgs::from_tokens(cx, list.tokens.clone());
                }
                false
            });
            methods.push((index, own));
        }
        TracedImpl { item, methods }
    }

    /// The method at `index`.
    pub(crate) fn method(&self, index: usize) -> Option<&ImplItemFn> {
        match self.item.items.get(index) {
            Some(syn::ImplItem::Fn(f)) => Some(f),
            _ => None,
        }
    }
}

/// Is this attribute `#[traced]` / `#[traced(...)]` / `#[traced::traced]`?
pub(crate) fn is_traced_attr(attr: &Attribute) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == "traced")
}

/// The token that names an item's kind (`struct`, `enum`...), for errors.
fn item_keyword(item: &syn::Item) -> TokenStream {
    use quote::ToTokens;
    match item {
        syn::Item::Struct(s) => s.struct_token.to_token_stream(),
        syn::Item::Enum(e) => e.enum_token.to_token_stream(),
        syn::Item::Trait(t) => t.trait_token.to_token_stream(),
        syn::Item::Mod(m) => m.mod_token.to_token_stream(),
        syn::Item::Const(c) => c.const_token.to_token_stream(),
        syn::Item::Static(s) => s.static_token.to_token_stream(),
        syn::Item::Type(t) => t.type_token.to_token_stream(),
        syn::Item::Use(u) => u.use_token.to_token_stream(),
        other => other.to_token_stream(),
    }
}

/// How a function's work is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Runs to completion in the call.
    Sync,
    /// `async fn`: the span covers the future; created when called.
    Async,
    /// `async fn` that `#[async_trait]` will rewrite after us: instrumented
    /// inside, so its span starts at the first poll.
    AsyncForAsyncTrait,
    /// `fn -> impl Future`: the span covers the returned future.
    ImplFuture,
    /// `fn -> Pin<Box<dyn Future>>` (what `#[async_trait]` emits, `BoxFuture`).
    BoxedFuture,
}

/// One function to instrument, borrowed from the item.
pub(crate) struct TracedFn<'a> {
    pub(crate) attrs: &'a [Attribute],
    pub(crate) vis: &'a Visibility,
    pub(crate) sig: &'a Signature,
    pub(crate) block: &'a Block,
    pub(crate) shape: Shape,
    /// The type the work produces (the future's output for async shapes).
    pub(crate) output: Option<Type>,
}

impl<'a> TracedFn<'a> {
    pub(crate) fn from_item_fn(f: &'a ItemFn, under_async_trait: bool) -> Self {
        Self::new(&f.attrs, &f.vis, &f.sig, &f.block, under_async_trait)
    }

    pub(crate) fn from_impl_fn(f: &'a ImplItemFn, under_async_trait: bool) -> Self {
        Self::new(&f.attrs, &f.vis, &f.sig, &f.block, under_async_trait)
    }

    fn new(
        attrs: &'a [Attribute],
        vis: &'a Visibility,
        sig: &'a Signature,
        block: &'a Block,
        under_async_trait: bool,
    ) -> Self {
        let returned = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        let (shape, output) = if sig.asyncness.is_some() {
            let shape =
                if under_async_trait || has_async_trait(attrs) { Shape::AsyncForAsyncTrait } else { Shape::Async };
            (shape, returned)
        } else if let Some(out) = returned.as_ref().and_then(impl_future_output) {
            (Shape::ImplFuture, out)
        } else if let Some(out) = returned.as_ref().and_then(boxed_future_output) {
            (Shape::BoxedFuture, out)
        } else {
            (Shape::Sync, returned)
        };
        TracedFn { attrs, vis, sig, block, shape, output }
    }

    /// True when the function produces `()`.
    pub(crate) fn returns_unit(&self) -> bool {
        match &self.output {
            None => true,
            Some(Type::Tuple(t)) => t.elems.is_empty(),
            Some(_) => false,
        }
    }

    /// True when what the function produces is spelled `...Result<...>`.
    pub(crate) fn returns_result(&self) -> bool {
        match &self.output {
            Some(Type::Path(p)) => p.path.segments.last().is_some_and(|s| s.ident == "Result"),
            _ => false,
        }
    }

    /// True when the output type can be written in a `let` (no `impl Trait`).
    pub(crate) fn output_is_nameable(&self) -> bool {
        self.output.as_ref().is_some_and(|t| !contains_impl_trait(t))
    }
}

/// `#[async_trait]` or `#[async_trait::async_trait]` among `attrs`.
pub(crate) fn has_async_trait(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| a.path().segments.last().is_some_and(|s| s.ident == "async_trait"))
}

/// `Output = T` of an `impl Future<Output = T>` return type.
fn impl_future_output(ty: &Type) -> Option<Option<Type>> {
    let Type::ImplTrait(it) = ty else { return None };
    it.bounds.iter().find_map(|b| match b {
        TypeParamBound::Trait(t) => {
            let last = t.path.segments.last()?;
            (last.ident == "Future").then(|| future_output(&last.arguments))
        }
        _ => None,
    })
}

/// `Output = T` of `Pin<Box<dyn Future<Output = T> + ...>>` or `BoxFuture<'a, T>`.
fn boxed_future_output(ty: &Type) -> Option<Option<Type>> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident == "BoxFuture" {
        let PathArguments::AngleBracketed(args) = &last.arguments else { return Some(None) };
        return Some(args.args.iter().find_map(|a| match a {
            GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        }));
    }
    if last.ident != "Pin" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    let Some(GenericArgument::Type(Type::Path(boxed))) = args.args.first() else { return None };
    let boxed = boxed.path.segments.last()?;
    if boxed.ident != "Box" {
        return None;
    }
    let PathArguments::AngleBracketed(inner) = &boxed.arguments else { return None };
    let Some(GenericArgument::Type(Type::TraitObject(obj))) = inner.args.first() else { return None };
    obj.bounds.iter().find_map(|b| match b {
        TypeParamBound::Trait(t) => {
            let last = t.path.segments.last()?;
            (last.ident == "Future").then(|| future_output(&last.arguments))
        }
        _ => None,
    })
}

fn future_output(args: &PathArguments) -> Option<Type> {
    let PathArguments::AngleBracketed(args) = args else { return None };
    args.args.iter().find_map(|a| match a {
        GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(assoc.ty.clone()),
        _ => None,
    })
}

fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
        fn visit_type_infer(&mut self, _: &'ast syn::TypeInfer) {
            self.0 = true;
        }
    }
    let mut f = Finder(false);
    syn::visit::Visit::visit_type(&mut f, ty);
    f.0
}

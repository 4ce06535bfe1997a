//! Span names: `Type.method`, `module.function`, or what the user asked for.

use crate::attr::TracedArgs;
use syn::{Ident, Type};

/// How the span name is found.
pub(crate) enum SpanName {
    /// Known now.
    Fixed(String),
    /// `module.function`: the module comes from `module_path!()`.
    ModuleFn(String),
    /// `Type.method` for a method whose type only the compiler knows.
    Method(String),
}

/// The impl block a method is in.
pub(crate) struct Owner<'a> {
    pub(crate) self_ty: &'a Type,
    /// `Describe` in `impl Describe for (u8, String)`.
    pub(crate) trait_name: Option<String>,
    /// The impl's type parameters (`T` in `impl<T: Display> Trait for T`).
    pub(crate) type_params: Vec<&'a Ident>,
}

impl<'a> Owner<'a> {
    pub(crate) fn of(item: &'a syn::ItemImpl) -> Self {
        Owner {
            self_ty: &item.self_ty,
            trait_name: item.trait_.as_ref().and_then(|(_, path, _)| path.segments.last()).map(|s| s.ident.to_string()),
            type_params: item.generics.type_params().map(|p| &p.ident).collect(),
        }
    }
}

/// The span name for function `ident`, in `owner` when it is in a
/// `#[traced]` impl block. The part before the dot, when not given:
/// - a named type: its name (`UserService` for `UserService<T>`);
/// - a type parameter of the impl (`impl<T: Display> Trait for T`): the
///   concrete type at run time, computed once per type;
/// - a type without a name of its own (tuple, array, slice, `fn`, `dyn`):
///   the trait's name in a trait impl (`Describe.describe` for
///   `impl Describe for (u8, String)`), else the type as written at run
///   time without module paths (`(u8, String)`).
pub(crate) fn span_name(args: &TracedArgs, ident: &Ident, owner: Option<&Owner<'_>>, has_receiver: bool) -> SpanName {
    let function = ident.to_string();
    let function = function.strip_prefix("r#").unwrap_or(&function).to_owned();
    if let Some(name) = &args.name {
        return SpanName::Fixed(name.value.value());
    }
    if let Some(service) = &args.service {
        return SpanName::Fixed(format!("{}.{function}", service.value.value()));
    }
    let Some(owner) = owner else {
        return if has_receiver { SpanName::Method(function) } else { SpanName::ModuleFn(function) };
    };
    match type_ident(owner.self_ty) {
        Some(ty) if owner.type_params.iter().any(|p| **p == ty) => SpanName::Method(function),
        Some(ty) => SpanName::Fixed(format!("{ty}.{function}")),
        None => match &owner.trait_name {
            Some(trait_name) => SpanName::Fixed(format!("{trait_name}.{function}")),
            None => SpanName::Method(function),
        },
    }
}

/// The type's own name: `UserService` for `crate::svc::UserService<T>` or
/// `&UserService`. `None` when it has none (tuples, trait objects...).
fn type_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Reference(r) => type_ident(&r.elem),
        Type::Paren(p) => type_ident(&p.elem),
        Type::Group(g) => type_ident(&g.elem),
        _ => None,
    }
}

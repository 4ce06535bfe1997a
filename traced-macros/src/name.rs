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

/// The span name for function `ident`. `impl_type` is the type of the
/// enclosing `#[traced]` impl block, when there is one.
pub(crate) fn span_name(args: &TracedArgs, ident: &Ident, impl_type: Option<&Type>, has_receiver: bool) -> SpanName {
    let function = ident.to_string();
    let function = function.strip_prefix("r#").unwrap_or(&function).to_owned();
    if let Some(name) = &args.name {
        return SpanName::Fixed(name.value.value());
    }
    if let Some(service) = &args.service {
        return SpanName::Fixed(format!("{}.{function}", service.value.value()));
    }
    match impl_type.and_then(type_ident) {
        Some(ty) => SpanName::Fixed(format!("{ty}.{function}")),
        None if impl_type.is_some() || has_receiver => SpanName::Method(function),
        None => SpanName::ModuleFn(function),
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

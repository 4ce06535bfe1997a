//! Stage 2 checks: what is syntactically fine but means nothing (or
//! something wrong) for this item. Every problem goes to the context.

use crate::ast::TracedFn;
use crate::attr::TracedArgs;
use crate::ctxt::Ctxt;
use syn::{FnArg, Pat};

/// `#[traced(...)]` on a lone function or method (`item`).
pub(crate) fn check_lone_fn(cx: &Ctxt, args: &TracedArgs, item: &syn::ItemFn) {
    if let Some(second) = item.attrs.iter().find(|a| crate::ast::is_traced_attr(a)) {
        cx.error_spanned_by(second, "duplicate `#[traced]` on this function: one span per call is made by one");
    }
    // `#[tokio::main]`, `#[actix_web::main]`, `#[tokio::test]`...: they need
    // the `async fn` that `#[traced]` would already have rewritten.
    if item.sig.asyncness.is_some() {
        let runtime_entry = item.attrs.iter().find(|a| {
            let segments = &a.path().segments;
            segments.len() >= 2 && segments.last().is_some_and(|s| s.ident == "main" || s.ident == "test")
        });
        if let Some(entry) = runtime_entry {
            let entry_name = quote::ToTokens::to_token_stream(entry.path()).to_string().replace(' ', "");
            cx.error_spanned_by(
                entry,
                format!(
                    "put `#[traced]` below `#[{entry_name}]`: it must see the `async fn` first, and `#[traced]` \
                         then instruments the body it runs"
                ),
            );
        }
    }
    if let Some(skip) = &args.skip {
        cx.error_at(
            skip.span,
            "`skip` is only meaningful on a method inside a `#[traced]` impl block; remove `#[traced]` instead",
        );
    }
}

/// `#[traced(...)]` on an impl block: only what applies to every method.
pub(crate) fn check_impl_args(cx: &Ctxt, args: &TracedArgs) {
    let per_method = [
        ("name", args.name.as_ref().map(|a| a.span)),
        ("fields", args.fields.as_ref().map(|a| a.span)),
        ("args", args.args.as_ref().map(|a| a.span)),
        ("ret", args.ret.as_ref().map(|a| a.span)),
        ("links", args.links.as_ref().map(|a| a.span)),
        ("skip", args.skip.as_ref().map(|a| a.span)),
    ];
    for (name, span) in per_method {
        if let Some(span) = span {
            cx.error_at(
                span,
                format!("`{name}` cannot be set on an impl block; put `#[traced({name} ...)]` on the method"),
            );
        }
    }
}

/// `#[traced(skip, ...)]` on a method: skip takes nothing else.
pub(crate) fn check_skip_alone(cx: &Ctxt, args: &TracedArgs) {
    let Some(skip) = &args.skip else { return };
    let others = args.name.is_some()
        || args.service.is_some()
        || args.kind.is_some()
        || args.fields.is_some()
        || args.args.is_some()
        || args.ret.is_some()
        || args.err.is_some()
        || args.links.is_some()
        || args.enabled.is_some()
        || args.krate.is_some();
    if others {
        cx.error_at(skip.span, "`skip` leaves the method untraced; it cannot be combined with other arguments");
    }
}

/// Checks that hold for every function.
pub(crate) fn check_fn(cx: &Ctxt, args: &TracedArgs, f: &TracedFn<'_>) {
    if let Some(constness) = &f.sig.constness {
        cx.error_spanned_by(constness, "#[traced] cannot instrument a `const fn`: spans are started at run time");
    }
    if let Some(variadic) = &f.sig.variadic {
        cx.error_spanned_by(variadic, "#[traced] cannot instrument a variadic function");
    }
    check_args_name_parameters(cx, args, f);
    check_ret(cx, args, f);
    check_err(cx, args, f);
}

/// `err` on a function that cannot return an `Err`. A type not spelled
/// `Result` may still be an alias of one: the expansion asks the compiler,
/// with the error pointing at `err` too.
fn check_err(cx: &Ctxt, args: &TracedArgs, f: &TracedFn<'_>) {
    let Some(err) = &args.err else { return };
    if f.returns_unit() {
        cx.error_at(err.span, format!("`err` records a returned `Err`, but `{}` returns nothing", f.sig.ident));
    } else if f.output.as_ref().is_some_and(never_a_result) {
        cx.error_at(
            err.span,
            format!("`err` records a returned `Err`, but `{}` does not return a `Result`", f.sig.ident),
        );
    }
}

/// Types that are spelled so that they cannot be a `Result`.
fn never_a_result(ty: &syn::Type) -> bool {
    use syn::Type;
    match ty {
        Type::Tuple(_) | Type::Reference(_) | Type::Array(_) | Type::Slice(_) | Type::Ptr(_) | Type::BareFn(_) => true,
        Type::Path(p) => p.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "Option"
                    | "String"
                    | "Vec"
                    | "bool"
                    | "char"
                    | "str"
                    | "u8"
                    | "u16"
                    | "u32"
                    | "u64"
                    | "u128"
                    | "usize"
                    | "i8"
                    | "i16"
                    | "i32"
                    | "i64"
                    | "i128"
                    | "isize"
                    | "f32"
                    | "f64"
            )
        }),
        _ => false,
    }
}

fn check_args_name_parameters(cx: &Ctxt, args: &TracedArgs, f: &TracedFn<'_>) {
    let Some(listed) = &args.args else { return };
    for name in &listed.value {
        if name == "self" {
            cx.error_spanned_by(
                name,
                "`self` cannot be recorded with `args`; record what you need with `fields(key = self.field)`",
            );
            continue;
        }
        let found = f.sig.inputs.iter().any(|input| match input {
            FnArg::Typed(pt) => matches!(&*pt.pat, Pat::Ident(pi) if pi.ident == *name && pi.subpat.is_none()),
            FnArg::Receiver(_) => false,
        });
        if !found {
            cx.error_spanned_by(
                name,
                format!("`args` names `{name}`, which is not a parameter of `{}` (only parameters bound to a plain name can be listed)", f.sig.ident),
            );
        }
    }
}

fn check_ret(cx: &Ctxt, args: &TracedArgs, f: &TracedFn<'_>) {
    let Some(ret) = &args.ret else { return };
    if f.returns_unit() {
        cx.error_at(ret.span, format!("`ret` records the return value, but `{}` returns nothing", f.sig.ident));
    }
}

//! Stage 2 checks: what is syntactically fine but means nothing (or
//! something wrong) for this item. Every problem goes to the context.

use crate::ast::TracedFn;
use crate::attr::TracedArgs;
use crate::ctxt::Ctxt;
use syn::{FnArg, Pat};

/// `#[traced(...)]` on a lone function or method.
pub(crate) fn check_lone_fn(cx: &Ctxt, args: &TracedArgs) {
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

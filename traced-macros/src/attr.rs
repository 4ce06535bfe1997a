//! Stage 1: the arguments of `#[traced(...)]`, read into [`TracedArgs`].
//! Syntax errors, unknown and duplicate arguments are reported here, each
//! pointing at its token.

use crate::ctxt::Ctxt;
use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{parenthesized, Expr, Ident, LitBool, LitStr, Path, Token};

const KNOWN: &str = "`name`, `service`, `kind`, `fields`, `args`, `ret`, `err`, `links`, `enabled`, `skip`, `crate`";

/// `kind = ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SpanKind {
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

/// How a field value is turned into an attribute.
#[derive(Clone)]
pub(crate) enum FieldValue {
    Typed(Expr),
    Display(Expr),
    Debug(Expr),
}

/// One `key = value` of `fields(...)`.
#[derive(Clone)]
pub(crate) struct Field {
    pub(crate) key: String,
    pub(crate) key_span: Span,
    pub(crate) value: FieldValue,
}

/// `ret`, `ret(Display)`, `ret(Debug)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetMode {
    Auto,
    Display,
    Debug,
}

/// An argument given with the token that introduced it (for errors).
#[derive(Clone)]
pub(crate) struct Arg<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

/// Everything `#[traced(...)]` can say; `None` where not given.
#[derive(Clone, Default)]
pub(crate) struct TracedArgs {
    pub(crate) skip: Option<Arg<()>>,
    pub(crate) name: Option<Arg<LitStr>>,
    pub(crate) service: Option<Arg<LitStr>>,
    pub(crate) kind: Option<Arg<SpanKind>>,
    pub(crate) fields: Option<Arg<Vec<Field>>>,
    pub(crate) args: Option<Arg<Vec<Ident>>>,
    pub(crate) ret: Option<Arg<RetMode>>,
    /// `err(event = ...)`: whether a returned `Err` adds an exception event.
    pub(crate) err: Option<Arg<bool>>,
    pub(crate) links: Option<Arg<Expr>>,
    pub(crate) enabled: Option<Arg<bool>>,
    pub(crate) krate: Option<Arg<Path>>,
}

impl TracedArgs {
    /// Reads the arguments; errors go to `cx`.
    pub(crate) fn from_tokens(cx: &Ctxt, tokens: TokenStream) -> Self {
        let mut args = TracedArgs::default();
        // A mistake in one argument is reported and reading goes on at the
        // next top-level comma, so every mistake shows in one compile.
        let parser = |input: ParseStream<'_>| {
            while !input.is_empty() {
                if let Err(e) = args.parse_one(cx, input) {
                    cx.syn_error(e);
                    while !input.is_empty() && !input.peek(Token![,]) {
                        input.parse::<proc_macro2::TokenTree>()?;
                    }
                }
                if input.is_empty() {
                    break;
                }
                input.parse::<Token![,]>()?;
            }
            Ok(())
        };
        if let Err(e) = parser.parse2(tokens) {
            cx.syn_error(e);
        }
        args
    }

    fn parse_one(&mut self, cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<()> {
        if input.peek(Token![crate]) {
            let token = input.parse::<Token![crate]>()?;
            input.parse::<Token![=]>()?;
            let path =
                if input.peek(LitStr) { input.parse::<LitStr>()?.parse::<Path>()? } else { input.parse::<Path>()? };
            set(cx, &mut self.krate, "crate", token.span, path);
            return Ok(());
        }
        let key: Ident = input.call(Ident::parse_any)?;
        let span = key.span();
        match key.to_string().as_str() {
            "skip" if input.peek(syn::token::Paren) => {
                let content;
                parenthesized!(content in input);
                content.parse::<TokenStream>()?;
                return Err(syn::Error::new(
                    span,
                    "`traced` records no parameters unless `args(...)` names them: remove `skip(...)`, and list \
                     the parameters to record with `args(...)`",
                ));
            }
            "skip" => set(cx, &mut self.skip, "skip", span, ()),
            "name" => {
                input.parse::<Token![=]>()?;
                let lit: LitStr = input.parse()?;
                if lit.value().is_empty() {
                    cx.error_spanned_by(&lit, "`name` must not be empty");
                }
                set(cx, &mut self.name, "name", span, lit);
            }
            "service" => {
                input.parse::<Token![=]>()?;
                let lit: LitStr = input.parse()?;
                if lit.value().is_empty() || lit.value().contains(char::is_whitespace) {
                    cx.error_spanned_by(
                        &lit,
                        "`service` must be a non-empty name without spaces, e.g. \"UserService\"",
                    );
                }
                set(cx, &mut self.service, "service", span, lit);
            }
            "kind" => {
                input.parse::<Token![=]>()?;
                let value: Ident = input.parse()?;
                let kind = match value.to_string().as_str() {
                    "internal" => SpanKind::Internal,
                    "server" => SpanKind::Server,
                    "client" => SpanKind::Client,
                    "producer" => SpanKind::Producer,
                    "consumer" => SpanKind::Consumer,
                    other => {
                        return Err(syn::Error::new(
                            value.span(),
                            format!("unknown span kind `{other}`; expected `server`, `client`, `producer`, `consumer` or `internal`"),
                        ))
                    }
                };
                set(cx, &mut self.kind, "kind", span, kind);
            }
            "fields" => {
                let content;
                parenthesized!(content in input);
                let mut fields: Vec<Field> = Vec::new();
                while !content.is_empty() {
                    let field = parse_field(&content)?;
                    if fields.iter().any(|f| f.key == field.key) {
                        cx.error_at(field.key_span, format!("duplicate field `{}`", field.key));
                    }
                    fields.push(field);
                    if content.is_empty() {
                        break;
                    }
                    content.parse::<Token![,]>()?;
                }
                set(cx, &mut self.fields, "fields", span, fields);
            }
            "args" => {
                let content;
                parenthesized!(content in input);
                let names = content.parse_terminated(Ident::parse_any, Token![,])?;
                let mut seen: Vec<Ident> = Vec::new();
                for n in names {
                    if seen.contains(&n) {
                        cx.error_spanned_by(&n, format!("`{n}` is listed twice in `args`"));
                    } else {
                        seen.push(n);
                    }
                }
                set(cx, &mut self.args, "args", span, seen);
            }
            "ret" => {
                let mode = if input.peek(syn::token::Paren) {
                    let content;
                    parenthesized!(content in input);
                    let how: Ident = content.parse()?;
                    match how.to_string().as_str() {
                        "Display" => RetMode::Display,
                        "Debug" => RetMode::Debug,
                        other => {
                            content.parse::<TokenStream>()?;
                            return Err(syn::Error::new(
                                how.span(),
                                format!(
                                    "unknown `ret` format `{other}`; expected `ret`, `ret(Display)` or `ret(Debug)`"
                                ),
                            ));
                        }
                    }
                } else {
                    RetMode::Auto
                };
                set(cx, &mut self.ret, "ret", span, mode);
            }
            "err" => {
                let mut event = true;
                if input.peek(syn::token::Paren) {
                    let content;
                    parenthesized!(content in input);
                    let what: Ident = content.parse()?;
                    if what != "event" {
                        content.parse::<TokenStream>()?;
                        return Err(syn::Error::new(
                            what.span(),
                            format!("unknown `err` option `{what}`; expected `err(event = true|false)`"),
                        ));
                    }
                    content.parse::<Token![=]>()?;
                    event = content.parse::<LitBool>()?.value;
                }
                set(cx, &mut self.err, "err", span, event);
            }
            "links" => {
                let content;
                parenthesized!(content in input);
                let expr: Expr = content.parse()?;
                set(cx, &mut self.links, "links", span, expr);
            }
            "enabled" => {
                input.parse::<Token![=]>()?;
                let value: LitBool = input.parse()?;
                set(cx, &mut self.enabled, "enabled", span, value.value);
            }
            other => {
                return Err(syn::Error::new(span, format!("unknown argument `{other}`; expected one of {KNOWN}")));
            }
        }
        Ok(())
    }
}

/// Sets an argument once; a second occurrence is reported at its token.
fn set<T>(cx: &Ctxt, slot: &mut Option<Arg<T>>, name: &str, span: Span, value: T) {
    if slot.is_some() {
        cx.error_at(span, format!("duplicate argument `{name}`"));
    } else {
        *slot = Some(Arg { value, span });
    }
}

/// `user.id = expr`, `"http.route" = expr`, `name = %expr`, `x = ?expr`.
fn parse_field(input: ParseStream<'_>) -> syn::Result<Field> {
    let (key, key_span) = if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        (lit.value(), lit.span())
    } else {
        let first: Ident = input.call(Ident::parse_any)?;
        let mut key = first.to_string();
        while input.peek(Token![.]) {
            input.parse::<Token![.]>()?;
            let next: Ident = input.call(Ident::parse_any)?;
            key.push('.');
            key.push_str(&next.to_string());
        }
        (key, first.span())
    };
    if !input.peek(Token![=]) {
        return Err(syn::Error::new(key_span, format!("field `{key}` needs a value: `{key} = expression`")));
    }
    input.parse::<Token![=]>()?;
    let value = if input.peek(Token![%]) {
        input.parse::<Token![%]>()?;
        FieldValue::Display(input.parse()?)
    } else if input.peek(Token![?]) {
        input.parse::<Token![?]>()?;
        FieldValue::Debug(input.parse()?)
    } else {
        FieldValue::Typed(input.parse()?)
    };
    Ok(Field { key, key_span, value })
}

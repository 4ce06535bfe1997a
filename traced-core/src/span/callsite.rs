//! Per-call-site constants: the span name and kind, fixed when the macro
//! expands or, where only the compiler knows a part of it (the module of a
//! free function, the type of a lone method), computed on the first call and
//! kept for the life of the program.

use opentelemetry::trace::SpanKind;
use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

/// The kind of a span, as a `Copy` type usable in `static`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An operation inside the service.
    Internal,
    /// Handles a request from a remote caller.
    Server,
    /// Calls a remote service.
    Client,
    /// Sends a message.
    Producer,
    /// Processes a message.
    Consumer,
}

impl Kind {
    /// The OpenTelemetry form.
    #[inline]
    pub fn to_span_kind(self) -> SpanKind {
        match self {
            Kind::Internal => SpanKind::Internal,
            Kind::Server => SpanKind::Server,
            Kind::Client => SpanKind::Client,
            Kind::Producer => SpanKind::Producer,
            Kind::Consumer => SpanKind::Consumer,
        }
    }
}

#[derive(Debug)]
enum Name {
    /// Known at expansion: `Type.method`, `Service.fn`, or an explicit name.
    Fixed(&'static str),
    /// `module.function`, the module read from `module_path!()`.
    Module { module_path: &'static str, function: &'static str, resolved: OnceLock<&'static str> },
    /// `Type.method`, the type read from `std::any::type_name::<Self>()`.
    Method {
        method: &'static str,
        first: OnceLock<(&'static str, &'static str)>,
        others: Mutex<Vec<(&'static str, &'static str)>>,
    },
}

/// A place in the code that starts spans: its name and kind.
#[derive(Debug)]
pub struct Callsite {
    name: Name,
    kind: Kind,
}

/// Leaks a name: call sites live as long as the program, and so do names.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl Callsite {
    /// A call site whose span name is known at compile time.
    pub const fn new(name: &'static str, kind: Kind) -> Self {
        Callsite { name: Name::Fixed(name), kind }
    }

    /// A free function: `module.function`, `module` being the last segment
    /// of `module_path` (the crate name at the crate root).
    pub const fn module_fn(module_path: &'static str, function: &'static str, kind: Kind) -> Self {
        Callsite { name: Name::Module { module_path, function, resolved: OnceLock::new() }, kind }
    }

    /// A method of a type the macro cannot name (a lone method with a `self`
    /// receiver): `Type.method`, see [`Callsite::name_for`].
    pub const fn method(method: &'static str, kind: Kind) -> Self {
        Callsite { name: Name::Method { method, first: OnceLock::new(), others: Mutex::new(Vec::new()) }, kind }
    }

    /// The span name of a fixed or module call site.
    #[inline]
    pub fn name(&self) -> &'static str {
        match &self.name {
            Name::Fixed(n) => n,
            Name::Module { module_path, function, resolved } => resolved.get_or_init(|| {
                let module = module_path.rsplit("::").next().unwrap_or(module_path);
                leak(format!("{module}.{function}"))
            }),
            Name::Method { method, .. } => method,
        }
    }

    /// The span name of a method call site for `Self` = `type_name`
    /// (`std::any::type_name::<Self>()`): module path and generics removed.
    /// Computed once per type; the common case is one pointer comparison.
    #[inline]
    pub fn name_for(&self, type_name: &'static str) -> &'static str {
        let Name::Method { method, first, others } = &self.name else { return self.name() };
        let (seen, name) = *first.get_or_init(|| (type_name, leak(format!("{}.{method}", short_type_name(type_name)))));
        if std::ptr::eq(seen, type_name) {
            return name;
        }
        // Another instantiation: usually the same short name.
        let short = short_type_name(type_name);
        if name.len() == short.len() + 1 + method.len() && name.starts_with(&*short) {
            return name;
        }
        let Ok(mut others) = others.lock() else { return method };
        if let Some((_, n)) = others.iter().find(|(t, _)| *t == type_name) {
            return n;
        }
        let n = leak(format!("{short}.{method}"));
        others.push((type_name, n));
        n
    }

    /// The span kind.
    #[inline]
    pub fn kind(&self) -> Kind {
        self.kind
    }
}

/// `my_crate::users::UserService<alloc::string::String>` → `UserService`;
/// a type without a name of its own keeps its shape without module paths:
/// `(u8, alloc::string::String)` → `(u8, String)`.
pub fn short_type_name(full: &str) -> Cow<'_, str> {
    let mut s = full.trim_start_matches('&').trim_start();
    if let Some(rest) = s.strip_prefix("mut ") {
        s = rest;
    }
    if s.starts_with(|c: char| c.is_alphanumeric() || c == '_') && !s.starts_with("dyn ") && !s.starts_with("fn(") {
        let without_generics = s.split('<').next().unwrap_or(s);
        return Cow::Borrowed(without_generics.rsplit("::").next().unwrap_or(without_generics));
    }
    Cow::Owned(without_paths(s))
}

/// Every path in a type written without its leading segments.
fn without_paths(ty: &str) -> String {
    let mut out = String::with_capacity(ty.len());
    let mut path_start = 0;
    let mut chars = ty.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            out.truncate(path_start);
            continue;
        }
        out.push(c);
        if !(c.is_alphanumeric() || c == '_') {
            path_start = out.len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct UserService<T>(#[allow(dead_code)] T);
    struct Other;

    #[test]
    fn type_names_lose_path_and_generics() {
        assert_eq!(short_type_name("a::b::UserService<alloc::string::String>"), "UserService");
        assert_eq!(short_type_name("&mut a::Foo"), "Foo");
        assert_eq!(short_type_name("Plain"), "Plain");
        assert_eq!(short_type_name(std::any::type_name::<UserService<u8>>()), "UserService");
        assert_eq!(short_type_name(std::any::type_name::<(u8, String)>()), "(u8, String)");
        assert_eq!(short_type_name(std::any::type_name::<[Vec<String>; 2]>()), "[Vec<String>; 2]");
        assert_eq!(short_type_name("dyn a::b::Describe + core::marker::Send"), "dyn Describe + Send");
    }

    #[test]
    fn method_names_are_resolved_once_per_type() {
        static SITE: Callsite = Callsite::method("get_user", Kind::Internal);
        let a = SITE.name_for(std::any::type_name::<UserService<u8>>());
        let b = SITE.name_for(std::any::type_name::<UserService<u8>>());
        let c = SITE.name_for(std::any::type_name::<UserService<String>>());
        assert_eq!(a, "UserService.get_user");
        assert!(std::ptr::eq(a, b) && std::ptr::eq(a, c));
        assert_eq!(SITE.name_for(std::any::type_name::<Other>()), "Other.get_user");
        assert_eq!(SITE.name_for(std::any::type_name::<Other>()), "Other.get_user");
    }

    #[test]
    fn module_functions_use_the_last_module_segment() {
        static SITE: Callsite = Callsite::module_fn("my_crate::handlers::users", "list", Kind::Internal);
        assert_eq!(SITE.name(), "users.list");
        static ROOT: Callsite = Callsite::module_fn("my_crate", "main", Kind::Internal);
        assert_eq!(ROOT.name(), "my_crate.main");
    }
}

//! Per-call-site constants: the span name and kind, fixed when the macro
//! expands (or, for a method whose type only the compiler knows, computed on
//! the first call and kept).

use opentelemetry::trace::SpanKind;
use std::sync::OnceLock;

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
    Fixed(&'static str),
    /// `Type.method`, with `Type` read from `std::any::type_name::<Self>()`.
    Method {
        method: &'static str,
        type_name: fn() -> &'static str,
        resolved: OnceLock<&'static str>,
    },
}

/// A place in the code that starts spans: its name and kind.
#[derive(Debug)]
pub struct Callsite {
    name: Name,
    kind: Kind,
}

impl Callsite {
    /// A call site whose span name is known at compile time.
    pub const fn new(name: &'static str, kind: Kind) -> Self {
        Callsite { name: Name::Fixed(name), kind }
    }

    /// A method of a type the macro cannot name (a lone method with a `self`
    /// receiver): the name is `Type.method`, with `Type` taken from
    /// `type_name` (module path and generics removed) on the first call.
    pub const fn method(method: &'static str, type_name: fn() -> &'static str, kind: Kind) -> Self {
        Callsite { name: Name::Method { method, type_name, resolved: OnceLock::new() }, kind }
    }

    /// The span name.
    #[inline]
    pub fn name(&self) -> &'static str {
        match &self.name {
            Name::Fixed(n) => n,
            Name::Method { method, type_name, resolved } => resolved.get_or_init(|| {
                // Leaked once per call site: names live as long as the program.
                Box::leak(format!("{}.{}", short_type_name(type_name()), method).into_boxed_str())
            }),
        }
    }

    /// The span kind.
    #[inline]
    pub fn kind(&self) -> Kind {
        self.kind
    }
}

/// `my_crate::users::UserService<alloc::string::String>` → `UserService`.
pub fn short_type_name(full: &str) -> &str {
    let mut s = full.trim_start_matches('&').trim_start();
    if let Some(rest) = s.strip_prefix("mut ") {
        s = rest;
    }
    let without_generics = s.split('<').next().unwrap_or(s);
    without_generics.rsplit("::").next().unwrap_or(without_generics)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct UserService<T>(T);

    #[test]
    fn type_names_lose_path_and_generics() {
        assert_eq!(short_type_name("a::b::UserService<alloc::string::String>"), "UserService");
        assert_eq!(short_type_name("&mut a::Foo"), "Foo");
        assert_eq!(short_type_name("Plain"), "Plain");
        assert_eq!(short_type_name(std::any::type_name::<UserService<u8>>()), "UserService");
    }

    #[test]
    fn method_names_are_resolved_once() {
        static SITE: Callsite = Callsite::method("get_user", std::any::type_name::<UserService<u8>>, Kind::Internal);
        let a = SITE.name();
        let b = SITE.name();
        assert_eq!(a, "UserService.get_user");
        assert!(std::ptr::eq(a, b));
        let _ = UserService(0u8).0;
    }
}

//! Strings a server span repeats on every request (its name, `http.route`,
//! `server.address`), made once per thread instead of once per request.
//! Route and host become shared values, so a span holds a reference count
//! rather than an allocation of its own; span names are interned.
//!
//! Every cache is bounded: a `Host` header is the client's to choose, and a
//! value past the bound is simply made per request, as it would be without
//! the cache.

use opentelemetry::StringValue;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Entries each thread keeps per cache.
const PER_THREAD: usize = 256;
/// Span names interned in all. Names are `{method} {route}`: the route
/// templates are the application's and the methods a fixed set, so real
/// services stay far below this.
const INTERNED_NAMES: usize = 4096;

/// A route's attribute value and the span names made from it, by method.
struct Route {
    value: StringValue,
    names: Vec<(&'static str, &'static str)>,
}

/// A host header's `server.address` and `server.port`, when it parses.
type Host = Option<(StringValue, Option<u16>)>;

thread_local! {
    static ROUTES: RefCell<HashMap<Box<str>, Route>> = RefCell::new(HashMap::new());
    static HOSTS: RefCell<HashMap<Box<str>, Host>> = RefCell::new(HashMap::new());
}

/// Names interned so far (kept for the life of the process).
static NAMES: Mutex<Option<HashMap<String, &'static str>>> = Mutex::new(None);

/// The `http.route` value for `route` and the span name `{method} {route}`.
pub(super) fn route(method: &'static str, route: &str) -> (StringValue, Cow<'static, str>) {
    let cached = ROUTES.with(|routes| {
        let mut routes = routes.borrow_mut();
        if !routes.contains_key(route) {
            if routes.len() >= PER_THREAD {
                return None;
            }
            let value = StringValue::from(Arc::<str>::from(route));
            routes.insert(route.into(), Route { value, names: Vec::new() });
        }
        let entry = routes.get_mut(route)?;
        let name = match entry.names.iter().find(|(m, _)| *m == method) {
            Some((_, name)) => Some(*name),
            None => {
                let name = intern(format!("{method} {route}"));
                if let Some(name) = name {
                    entry.names.push((method, name));
                }
                name
            }
        };
        Some((entry.value.clone(), name))
    });
    match cached {
        Some((value, Some(name))) => (value, Cow::Borrowed(name)),
        Some((value, None)) => (value, Cow::Owned(format!("{method} {route}"))),
        None => (StringValue::from(route.to_owned()), Cow::Owned(format!("{method} {route}"))),
    }
}

/// `name` as a `'static` string, shared by every thread; `None` once the
/// bound is reached.
fn intern(name: String) -> Option<&'static str> {
    let mut names = NAMES.lock().ok()?;
    let names = names.get_or_insert_with(HashMap::new);
    if let Some(interned) = names.get(name.as_str()) {
        return Some(interned);
    }
    if names.len() >= INTERNED_NAMES {
        return None;
    }
    let interned: &'static str = Box::leak(name.clone().into_boxed_str());
    names.insert(name, interned);
    Some(interned)
}

/// `server.address` and `server.port` from a host header value
/// (`host[:port]`, an IPv6 host in brackets).
pub(super) fn host(raw: &str) -> Host {
    HOSTS.with(|hosts| {
        let mut hosts = hosts.borrow_mut();
        if let Some(host) = hosts.get(raw) {
            return host.clone();
        }
        let parsed = parse_host(raw);
        if hosts.len() < PER_THREAD {
            hosts.insert(raw.into(), parsed.clone());
        }
        parsed
    })
}

fn parse_host(raw: &str) -> Host {
    let authority: http::uri::Authority = raw.parse().ok()?;
    let host = StringValue::from(Arc::<str>::from(authority.host()));
    Some((host, authority.port_u16()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_gives_its_value_and_the_name_per_method() {
        let (value, name) = route("GET", "/users/{id}");
        assert_eq!(value.as_str(), "/users/{id}");
        assert_eq!(name, "GET /users/{id}");
        let (_, again) = route("GET", "/users/{id}");
        // Interned: the same string, not an equal copy.
        assert!(matches!((&name, &again), (Cow::Borrowed(a), Cow::Borrowed(b)) if std::ptr::eq(*a, *b)));
        assert_eq!(route("POST", "/users/{id}").1, "POST /users/{id}");
    }

    #[test]
    fn hosts_parse_with_and_without_port() {
        let (address, port) = host("example.com:8443").expect("parses");
        assert_eq!((address.as_str(), port), ("example.com", Some(8443)));
        let (address, port) = host("[::1]:80").expect("parses");
        assert_eq!((address.as_str(), port), ("[::1]", Some(80)));
        let (address, port) = host("example.com").expect("parses");
        assert_eq!((address.as_str(), port), ("example.com", None));
        assert!(host("bad host").is_none());
        // Asked again: the cached answer, the same.
        assert!(host("bad host").is_none());
        let again = host("example.com:8443").map(|(address, port)| (address.as_str().to_owned(), port));
        assert_eq!(again, Some(("example.com".to_owned(), Some(8443))));
    }

    #[test]
    fn past_the_bound_values_are_still_right() {
        for i in 0..PER_THREAD + 10 {
            let raw = format!("h{i}.example:{}", 1000 + i);
            let (address, port) = host(&raw).expect("parses");
            assert_eq!((address.as_str(), port), (format!("h{i}.example").as_str(), Some(1000 + i as u16)));
        }
        for i in 0..PER_THREAD + 10 {
            let template = format!("/r{i}");
            assert_eq!(route("GET", &template).1, format!("GET /r{i}"));
        }
    }
}

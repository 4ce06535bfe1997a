//! Strings a span of a transport repeats on every request (its name,
//! `http.route`, `rpc.method`, `server.address`), made once per thread
//! instead of once per request. They become shared values, so a span holds
//! a reference count rather than an allocation of its own; span names are
//! interned.
//!
//! Every cache is bounded: a `Host` header and a gRPC path are the client's
//! to choose, and a value past a bound is simply made per request, as it
//! would be without the cache.

use opentelemetry::StringValue;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Entries each thread keeps per cache.
const PER_THREAD: usize = 256;
/// Bytes of span names interned in all, kept for the life of the process.
/// HTTP names are `{method} {route}` (the routes are the application's);
/// gRPC names are paths a client may make up, hence a budget in bytes.
const INTERNED_BYTES: usize = 256 << 10;
/// Longer names are not interned.
const INTERNED_NAME_MAX: usize = 256;

/// A route's attribute value and the span names made from it, by method
/// (`None`: not interned, past the budget; made per request).
#[cfg(feature = "http-server-core")]
struct Route {
    value: StringValue,
    names: Vec<(&'static str, Option<&'static str>)>,
}

/// What [`route`] answers for one method and route.
#[cfg(feature = "http-server-core")]
type RouteAnswer = (StringValue, Option<&'static str>);

/// A host header's `server.address` and `server.port`, when it parses.
type Host = Option<(StringValue, Option<u16>)>;

/// A gRPC path's span name and `rpc.method` (`package.Service/Method`).
#[cfg(feature = "tonic")]
type Rpc = Option<(&'static str, StringValue)>;

/// A per-thread cache: the key asked last is answered by comparing bytes,
/// without hashing (a service sees the same host, and mostly the same
/// route, request after request); other keys from a bounded map.
struct Recent<K, E, A> {
    /// The last key and its answer; the key's buffer is reused.
    last: Option<(String, K, A)>,
    all: HashMap<Box<str>, E>,
}

impl<K: PartialEq + Copy, E, A: Clone> Recent<K, E, A> {
    fn new() -> Self {
        Recent { last: None, all: HashMap::new() }
    }

    /// The answer for `key` (and `tag`, a second part of the key that is
    /// not in the map's key, such as a route's method), if it was the last.
    #[inline]
    fn last(&self, key: &str, tag: K) -> Option<A> {
        match &self.last {
            Some((last, last_tag, answer)) if *last_tag == tag && last == key => Some(answer.clone()),
            _ => None,
        }
    }

    fn remember(&mut self, key: &str, tag: K, answer: A) {
        match &mut self.last {
            Some((last, last_tag, last_answer)) => {
                last.clear();
                last.push_str(key);
                *last_tag = tag;
                *last_answer = answer;
            }
            None => self.last = Some((key.to_owned(), tag, answer)),
        }
    }
}

impl<A: Clone> Recent<(), A, A> {
    /// The answer for `key`, made by `make` once per thread while the map
    /// has room (past it, once per call), for caches whose map holds the
    /// answers themselves.
    fn get_or_make(&mut self, key: &str, make: impl FnOnce() -> A) -> A {
        if let Some(answer) = self.last(key, ()) {
            return answer;
        }
        let answer = match self.all.get(key) {
            Some(answer) => answer.clone(),
            None => {
                let made = make();
                if self.all.len() < PER_THREAD {
                    self.all.insert(key.into(), made.clone());
                }
                made
            }
        };
        self.remember(key, (), answer.clone());
        answer
    }
}

thread_local! {
    static HOSTS: RefCell<Recent<(), Host, Host>> = RefCell::new(Recent::new());
}
#[cfg(feature = "http-server-core")]
thread_local! {
    static ROUTES: RefCell<Recent<&'static str, Route, RouteAnswer>> = RefCell::new(Recent::new());
}
#[cfg(feature = "tonic")]
thread_local! {
    static RPCS: RefCell<Recent<(), Rpc, Rpc>> = RefCell::new(Recent::new());
}

/// Names interned so far, and their bytes.
static NAMES: Mutex<Option<Interned>> = Mutex::new(None);

#[derive(Default)]
struct Interned {
    names: HashMap<String, &'static str>,
    bytes: usize,
}

/// The `http.route` value for `route` and the span name `{method} {route}`.
#[cfg(feature = "http-server-core")]
pub(crate) fn route(method: &'static str, route: &str) -> (StringValue, Cow<'static, str>) {
    let cached = ROUTES.with(|routes| {
        let mut routes = routes.borrow_mut();
        if let Some(answer) = routes.last(route, method) {
            return Some(answer);
        }
        let full = routes.all.len() >= PER_THREAD;
        let entry = match routes.all.get_mut(route) {
            Some(entry) => entry,
            None if full => return None,
            None => {
                let value = StringValue::from(Arc::<str>::from(route));
                routes.all.entry(route.into()).or_insert(Route { value, names: Vec::new() })
            }
        };
        let name = match entry.names.iter().find(|(m, _)| *m == method) {
            Some((_, name)) => *name,
            None => {
                // Asked once per thread, answered either way.
                let name = intern(format!("{method} {route}"));
                entry.names.push((method, name));
                name
            }
        };
        let answer = (entry.value.clone(), name);
        routes.remember(route, method, answer.clone());
        Some(answer)
    });
    match cached {
        Some((value, Some(name))) => (value, Cow::Borrowed(name)),
        Some((value, None)) => (value, Cow::Owned(format!("{method} {route}"))),
        None => (StringValue::from(route.to_owned()), Cow::Owned(format!("{method} {route}"))),
    }
}

/// `name` as a `'static` string, shared by every thread; `None` once the
/// budget is spent or for a long name.
fn intern(name: String) -> Option<&'static str> {
    intern_into(&NAMES, name)
}

fn intern_into(table: &Mutex<Option<Interned>>, name: String) -> Option<&'static str> {
    if name.len() > INTERNED_NAME_MAX {
        return None;
    }
    let mut interned = table.lock().ok()?;
    let interned = interned.get_or_insert_with(Interned::default);
    if let Some(name) = interned.names.get(name.as_str()) {
        return Some(name);
    }
    if interned.bytes + name.len() > INTERNED_BYTES {
        return None;
    }
    let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
    interned.bytes += name.len();
    interned.names.insert(name, leaked);
    Some(leaked)
}

/// The span name and `rpc.method` of a gRPC call to `method`
/// (`package.Service/Method`, the path without its leading slash).
#[cfg(feature = "tonic")]
pub(crate) fn rpc(method: &str) -> (Cow<'static, str>, StringValue) {
    let cached = RPCS.with(|rpcs| {
        rpcs.borrow_mut().get_or_make(method, || intern(method.to_owned()).map(|name| (name, StringValue::from(name))))
    });
    match cached {
        Some((name, value)) => (Cow::Borrowed(name), value),
        None => (Cow::Owned(method.to_owned()), StringValue::from(method.to_owned())),
    }
}

/// `server.address` and `server.port` from a host header value
/// (`host[:port]`, an IPv6 host in brackets).
pub(crate) fn host(raw: &str) -> Host {
    HOSTS.with(|hosts| hosts.borrow_mut().get_or_make(raw, || parse_host(raw)))
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
    #[cfg(feature = "http-server-core")]
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
    #[cfg(feature = "tonic")]
    fn rpc_methods_are_named_once() {
        let (name, method) = rpc("helloworld.Greeter/SayHello");
        assert_eq!((name.as_ref(), method.as_str()), ("helloworld.Greeter/SayHello", "helloworld.Greeter/SayHello"));
        let (again, _) = rpc("helloworld.Greeter/SayHello");
        assert!(matches!((&name, &again), (Cow::Borrowed(a), Cow::Borrowed(b)) if std::ptr::eq(*a, *b)));
        // Too long to intern: still named right.
        let long = format!("pkg.Service/{}", "m".repeat(INTERNED_NAME_MAX));
        let (name, method) = rpc(&long);
        assert!(matches!(name, Cow::Owned(_)));
        assert_eq!((name.as_ref(), method.as_str()), (long.as_str(), long.as_str()));
    }

    #[test]
    fn the_last_answer_is_given_only_for_the_same_key() {
        for _ in 0..3 {
            assert_eq!(
                host("a.example:1").map(|(a, p)| (a.as_str().to_owned(), p)),
                Some(("a.example".into(), Some(1)))
            );
            assert_eq!(
                host("a.example:1").map(|(a, p)| (a.as_str().to_owned(), p)),
                Some(("a.example".into(), Some(1)))
            );
            // A key that starts like the last one is its own.
            assert_eq!(host("a.example:10").map(|(_, p)| p), Some(Some(10)));
            assert_eq!(host("a.exampl").map(|(a, _)| a.as_str().to_owned()), Some("a.exampl".into()));
        }
        #[cfg(feature = "http-server-core")]
        for _ in 0..3 {
            assert_eq!(route("GET", "/a").1, "GET /a");
            assert_eq!(route("GET", "/a").1, "GET /a");
            assert_eq!(route("PUT", "/a").1, "PUT /a");
            let (value, name) = route("PUT", "/ab");
            assert_eq!((value.as_str(), name.as_ref()), ("/ab", "PUT /ab"));
        }
        #[cfg(feature = "tonic")]
        for _ in 0..3 {
            assert_eq!(rpc("p.S/A").1.as_str(), "p.S/A");
            assert_eq!(rpc("p.S/A").0, "p.S/A");
            assert_eq!(rpc("p.S/B").1.as_str(), "p.S/B");
        }
    }

    #[test]
    fn past_the_bound_values_are_still_right() {
        for i in 0..PER_THREAD + 10 {
            let raw = format!("h{i}.example:{}", 1000 + i);
            let (address, port) = host(&raw).expect("parses");
            assert_eq!((address.as_str(), port), (format!("h{i}.example").as_str(), Some(1000 + i as u16)));
        }
        #[cfg(feature = "http-server-core")]
        for i in 0..PER_THREAD + 10 {
            let template = format!("/r{i}");
            assert_eq!(route("GET", &template).1, format!("GET /r{i}"));
        }
    }

    #[test]
    fn interning_stops_at_its_budget() {
        // A table of the test's own: the shared one serves the other tests.
        static TABLE: Mutex<Option<Interned>> = Mutex::new(None);
        let filler = "x".repeat(200);
        let fits = INTERNED_BYTES / 204;
        for i in 0..fits {
            let name = format!("{filler}{i:04}");
            assert_eq!(intern_into(&TABLE, name.clone()), Some(name.as_str()));
        }
        assert_eq!(intern_into(&TABLE, format!("{filler}new")), None, "over budget");
        // Names already interned are still found.
        assert_eq!(intern_into(&TABLE, format!("{filler}0000")), Some(format!("{filler}0000").as_str()));
    }
}

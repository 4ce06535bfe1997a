//! Recording failures on a span: a returned error or a panic becomes status
//! Error, `error.type`, and (unless turned off) an `exception` event.

use super::record::SpanRecord;
use opentelemetry::trace::Status;
use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_semantic_conventions::attribute::{ERROR_TYPE, EXCEPTION_MESSAGE, EXCEPTION_TYPE};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::sync::{Mutex, Once};
use std::time::SystemTime;

/// Event attribute holding the messages of an error's `source()` chain,
/// outermost first, when the error has sources. Not a semantic-convention
/// name: the conventions have no place for causes yet.
pub const EXCEPTION_SOURCE_CHAIN: &str = "exception.source_chain";

/// How a failure is described: type, message, causes.
pub(crate) struct Failure {
    /// A type name from `std::any::type_name`: static, so recording it
    /// allocates nothing.
    pub(crate) type_name: &'static str,
    pub(crate) message: String,
    pub(crate) sources: Vec<String>,
}

/// What recording a failure does to a span.
pub(crate) struct FailureParts {
    pub(crate) error_type: KeyValue,
    pub(crate) event: Option<(Cow<'static, str>, Vec<KeyValue>)>,
    pub(crate) status: Status,
}

impl Failure {
    /// From a `std::error::Error`, walking its `source()` chain.
    pub(crate) fn from_error(type_name: &'static str, err: &dyn std::error::Error) -> Self {
        let mut sources = Vec::new();
        let mut next = err.source();
        // Broken impls can make cyclic chains; stop at a sane depth.
        while let Some(e) = next {
            if sources.len() >= 32 {
                break;
            }
            sources.push(e.to_string());
            next = e.source();
        }
        Failure { type_name, message: err.to_string(), sources }
    }

    pub(crate) fn into_parts(self, event: bool) -> FailureParts {
        let type_name = readable_type_name(self.type_name);
        let event = event.then(|| {
            let mut attributes = Vec::with_capacity(if self.sources.is_empty() { 2 } else { 3 });
            attributes.push(KeyValue::new(EXCEPTION_TYPE, type_name));
            attributes.push(KeyValue::new(EXCEPTION_MESSAGE, self.message.clone()));
            if !self.sources.is_empty() {
                let chain = self.sources.into_iter().map(StringValue::from).collect();
                attributes.push(KeyValue::new(EXCEPTION_SOURCE_CHAIN, Value::Array(Array::String(chain))));
            }
            (Cow::Borrowed("exception"), attributes)
        });
        FailureParts { error_type: KeyValue::new(ERROR_TYPE, type_name), event, status: Status::error(self.message) }
    }

    /// Records status Error, `error.type` and, if `event`, an `exception` event.
    pub(crate) fn record(self, span: &mut SpanRecord, event: bool) {
        let parts = self.into_parts(event);
        span.set_attribute(parts.error_type);
        if let Some((name, attrs)) = parts.event {
            span.add_event(name, SystemTime::now(), attrs);
        }
        span.set_status(parts.status);
    }
}

/// `error.type` must be low-cardinality and meaningful: a type name as
/// `std::any::type_name` gives it, with the module paths of the standard
/// library's own types left out (`Box<dyn Error + Send + Sync>`, not
/// `alloc::boxed::Box<dyn core::error::Error + core::marker::Send + ...>`;
/// `io::Error` for `std::io::error::Error`). Other crates' paths are kept
/// whole (`anyhow::Error`, `my_app::db::DbError`), as the conventions ask
/// for a fully qualified name. Computed once per type.
pub(crate) fn readable_type_name(type_name: &'static str) -> &'static str {
    // A type name is looked up by where it lies (its address and length),
    // first among the names this thread saw last, then in the shared table.
    let key = (type_name.as_ptr() as usize, type_name.len());
    if let Some(readable) =
        RECENT_TYPES.with(|recent| recent.get().iter().flatten().find(|(k, _)| *k == key).map(|e| e.1))
    {
        return readable;
    }
    let readable = readable_type_name_shared(type_name, key);
    RECENT_TYPES.with(|recent| {
        let [newest, _] = recent.get();
        recent.set([Some((key, readable)), newest]);
    });
    readable
}

/// Type names as they lie in the binary: (address, length).
type TypeKey = (usize, usize);

thread_local! {
    /// The two type names this thread recorded last and their readable
    /// forms: a service fails with a few types over and over, and this
    /// spares each failure the shared table's lock.
    static RECENT_TYPES: Cell<[Option<(TypeKey, &'static str)>; 2]> = const { Cell::new([None, None]) };
}

fn readable_type_name_shared(type_name: &'static str, key: TypeKey) -> &'static str {
    if !["core::", "alloc::", "std::"].iter().any(|p| type_name.contains(p)) {
        return type_name;
    }
    static SEEN: Mutex<Vec<(TypeKey, &'static str)>> = Mutex::new(Vec::new());
    let Ok(mut seen) = SEEN.lock() else { return type_name };
    if let Some((_, readable)) = seen.iter().find(|(k, _)| *k == key) {
        return readable;
    }
    let readable: &'static str = Box::leak(shorten_std_paths(type_name).into_boxed_str());
    seen.push((key, readable));
    readable
}

fn shorten_std_paths(type_name: &str) -> String {
    let mut out = String::with_capacity(type_name.len());
    let mut rest = type_name;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
        if end == 0 {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let path = &rest[..end];
        let segments: Vec<&str> = path.split("::").collect();
        match segments.as_slice() {
            [krate, .., last] if matches!(*krate, "core" | "alloc" | "std") => {
                if *last == "Error" && segments.len() >= 3 && segments[1] != "error" {
                    out.push_str(segments[1]);
                    out.push_str("::");
                }
                out.push_str(last);
            }
            _ => out.push_str(path),
        }
        rest = &rest[end..];
    }
    out
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Chains a panic hook that remembers the panic message of each thread, so a
/// span dropped during unwinding can record it. The previous hook still runs.
pub(crate) fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic with a non-string payload".to_owned());
            let _ = LAST_PANIC.try_with(|p| *p.borrow_mut() = Some(message));
            previous(info);
        }));
    });
}

/// Records the panic unwinding through the current thread.
pub(crate) fn record_panic(span: &mut SpanRecord) {
    let message = LAST_PANIC.try_with(|p| p.borrow().clone()).ok().flatten().unwrap_or_else(|| "panic".to_owned());
    Failure { type_name: "panic", message, sources: Vec::new() }.record(span, true);
}

#[cfg(test)]
mod tests {
    use super::readable_type_name;

    #[test]
    fn error_types_are_readable_and_low_cardinality() {
        let boxed = std::any::type_name::<Box<dyn std::error::Error + Send + Sync>>();
        assert_eq!(readable_type_name(boxed), "Box<dyn Error + Send + Sync>");
        assert_eq!(readable_type_name(std::any::type_name::<std::io::Error>()), "io::Error");
        assert_eq!(readable_type_name(std::any::type_name::<std::fmt::Error>()), "fmt::Error");
        assert_eq!(readable_type_name(std::any::type_name::<std::num::ParseIntError>()), "ParseIntError");
        assert_eq!(readable_type_name("anyhow::Error"), "anyhow::Error");
        assert_eq!(readable_type_name("my_app::db::DbError<alloc::string::String>"), "my_app::db::DbError<String>");
        assert!(std::ptr::eq(readable_type_name(boxed), readable_type_name(boxed)), "computed once per type");
    }

    #[test]
    fn types_taking_turns_keep_their_own_names() {
        // More types than the per-thread memory holds, in turn.
        let names = [
            (std::any::type_name::<std::io::Error>(), "io::Error"),
            (std::any::type_name::<std::fmt::Error>(), "fmt::Error"),
            (std::any::type_name::<std::num::ParseIntError>(), "ParseIntError"),
            ("my_app::Error", "my_app::Error"),
        ];
        for _ in 0..3 {
            for (type_name, readable) in names {
                assert_eq!(readable_type_name(type_name), readable);
            }
        }
        // A name that begins where another lies is still its own.
        let long: &'static str = "std::io::error::Error";
        assert_eq!(readable_type_name(long), "io::Error");
        assert_eq!(readable_type_name(&long[..7]), "io");
        let other: &'static str = "anyhow::Error";
        assert_eq!(readable_type_name(other), "anyhow::Error");
        assert_eq!(readable_type_name(&other[..6]), "anyhow");
    }
}

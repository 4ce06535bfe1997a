//! Errors and panics: status Error, `error.type`, and the `exception` event
//! with the whole `source()` chain; `err(event = false)`; panics recorded
//! and unwound unchanged.
#![cfg(feature = "test-util")]

use opentelemetry::trace::Status;
use opentelemetry::{Array, StringValue, Value};
use std::fmt;
use traced::testing::capture;
use traced::traced;

#[derive(Debug)]
struct Root;
impl fmt::Display for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection reset")
    }
}
impl std::error::Error for Root {}

#[derive(Debug)]
struct Middle(Root);
impl fmt::Display for Middle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("query failed")
    }
}
impl std::error::Error for Middle {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[derive(Debug)]
struct Top(Middle);
impl fmt::Display for Top {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("could not load user")
    }
}
impl std::error::Error for Top {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[traced]
fn three_deep() -> Result<(), Top> {
    Err(Top(Middle(Root)))
}

#[traced(err(event = false))]
fn no_event() -> Result<(), Top> {
    Err(Top(Middle(Root)))
}

#[traced]
fn boxed() -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    Err(Box::new(Middle(Root)))
}

#[traced]
fn display_only() -> Result<u8, String> {
    Err("plain message".to_string())
}

#[derive(Debug)]
struct OnlyDebug {
    #[allow(dead_code)]
    code: u16,
}

#[traced]
fn debug_only() -> Result<u8, OnlyDebug> {
    Err(OnlyDebug { code: 7 })
}

#[traced]
fn ok_is_unset() -> Result<u8, Top> {
    Ok(1)
}

type AppResult<T> = std::io::Result<T>;

/// Only a type spelled `Result` is taken for one; an alias says so with `err`.
#[traced(err)]
fn alias_named_result() -> AppResult<()> {
    Err(std::io::Error::other("disk full"))
}

/// A type whose name merely ends in `Result` is an ordinary return value.
struct QueryResult {
    rows: u64,
}

#[traced]
fn query_result() -> QueryResult {
    QueryResult { rows: 3 }
}

#[traced]
fn panics(flag: bool) -> u8 {
    if flag {
        panic!("invariant broken: {}", 42);
    }
    1
}

#[traced]
async fn panics_async() {
    panic!("async boom");
}

fn string_array(v: &Value) -> Vec<String> {
    match v {
        Value::Array(Array::String(items)) => items.iter().map(StringValue::to_string).collect(),
        other => panic!("not a string array: {other:?}"),
    }
}

#[test]
fn std_errors_record_status_type_and_source_chain() {
    let spans = capture();
    assert!(three_deep().is_err());
    let s = spans.span("macro_errors.three_deep");
    assert_eq!(s.status, Status::error("could not load user"));
    assert_eq!(s.attr_str("error.type").as_deref(), Some("macro_errors::Top"));
    let event = s.event("exception").expect("exception event");
    let attr = |k: &str| event.attributes.iter().find(|kv| kv.key.as_str() == k).map(|kv| kv.value.clone());
    assert_eq!(attr("exception.type"), Some(Value::from("macro_errors::Top")));
    assert_eq!(attr("exception.message"), Some(Value::from("could not load user")));
    assert_eq!(string_array(&attr("exception.source_chain").unwrap()), ["query failed", "connection reset"]);
}

#[test]
fn event_can_be_turned_off() {
    let spans = capture();
    assert!(no_event().is_err());
    let s = spans.span("macro_errors.no_event");
    assert!(s.is_error());
    assert_eq!(s.attr_str("error.type").as_deref(), Some("macro_errors::Top"));
    assert!(s.events.events.is_empty());
}

#[test]
fn boxed_display_and_debug_errors() {
    let spans = capture();
    assert!(boxed().is_err());
    assert!(display_only().is_err());
    assert!(debug_only().is_err());
    let b = spans.span("macro_errors.boxed");
    assert_eq!(b.status, Status::error("query failed"));
    let chain = b
        .event("exception")
        .unwrap()
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == "exception.source_chain")
        .map(|kv| kv.value.clone());
    assert_eq!(string_array(&chain.unwrap()), ["connection reset"]);
    assert_eq!(
        b.attr_str("error.type").as_deref(),
        Some("Box<dyn Error + Send + Sync>"),
        "readable and low-cardinality, without the standard library's module paths"
    );
    let d = spans.span("macro_errors.display_only");
    assert_eq!(d.status, Status::error("plain message"));
    assert_eq!(d.attr_str("error.type").as_deref(), Some("String"));
    let g = spans.span("macro_errors.debug_only");
    assert_eq!(g.status, Status::error("OnlyDebug { code: 7 }"));
}

#[test]
fn success_leaves_status_unset_and_aliases_named_result_are_seen() {
    let spans = capture();
    assert!(ok_is_unset().is_ok());
    assert_eq!(spans.span("macro_errors.ok_is_unset").status, Status::Unset);
    assert!(alias_named_result().is_err());
    assert_eq!(spans.span("macro_errors.alias_named_result").status, Status::error("disk full"));
    assert_eq!(query_result().rows, 3);
    assert_eq!(spans.span("macro_errors.query_result").status, Status::Unset);
}

#[test]
fn panics_are_recorded_and_unwind_unchanged() {
    let spans = capture();
    assert_eq!(panics(false), 1);
    let payload = std::panic::catch_unwind(|| panics(true)).unwrap_err();
    let message =
        payload.downcast_ref::<String>().map(String::as_str).or_else(|| payload.downcast_ref::<&str>().copied());
    assert_eq!(message, Some("invariant broken: 42"), "the payload is the one panic! made");
    let all = spans.named("macro_errors.panics");
    assert_eq!(all.len(), 2);
    assert!(!all[0].is_error());
    assert_eq!(all[1].status, Status::error("invariant broken: 42"));
    assert_eq!(all[1].attr_str("error.type").as_deref(), Some("panic"));
}

#[test]
fn panics_in_async_functions_are_recorded() {
    let spans = capture();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(panics_async())));
    assert!(result.is_err());
    assert_eq!(spans.span("macro_errors.panics_async").status, Status::error("async boom"));
}

/// A borrow of an argument returned through an inspected `Result`.
#[traced]
fn first_mut(v: &mut [u32]) -> Result<&mut u32, String> {
    v.first_mut().ok_or_else(|| "empty".to_owned())
}

#[test]
fn a_borrow_of_an_argument_can_be_returned_and_its_error_recorded() {
    let spans = capture();
    let mut v = vec![1];
    *first_mut(&mut v).unwrap() = 5;
    assert_eq!(v, [5]);
    assert!(first_mut(&mut []).is_err());
    let all = spans.named("macro_errors.first_mut");
    assert!(!all[0].is_error());
    assert_eq!(all[1].status, Status::error("empty"));
}

#[traced]
#[track_caller]
fn located(fail: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = fail.parse()?;
    if n == 0 {
        return Ok(std::panic::Location::caller().line());
    }
    Ok(n)
}

#[test]
fn track_caller_sees_the_caller_and_errors_of_question_mark_are_recorded() {
    let spans = capture();
    let line = line!() + 1;
    assert_eq!(located("0"), Ok(line), "Location::caller() is the caller's line, as without #[traced]");
    assert!(located("x").is_err());
    let all = spans.named("macro_errors.located");
    assert_eq!(all.len(), 2);
    assert!(!all[0].is_error());
    assert!(all[1].is_error(), "an Err leaving through `?` is recorded");
    assert_eq!(all[1].attr_str("error.type").as_deref(), Some("ParseIntError"));
}

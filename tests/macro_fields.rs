//! Attributes: `fields(...)` with typed values, `%` Display and `?` Debug,
//! `args(...)`, `ret`, `links(...)`; and `traced::span::current_span()`.
#![cfg(feature = "test-util")]

use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use opentelemetry::Value;
use std::net::Ipv4Addr;
use traced::testing::capture;
use traced::traced;

struct Config {
    retries: u32,
}

#[derive(Debug)]
enum Tier {
    Gold,
}

#[traced(fields(
    user.id = user_id,
    db.table = "users",
    retries = cfg.retries,
    ratio = 0.5,
    cached = true,
    peer = %Ipv4Addr::LOCALHOST,
    tier = ?Tier::Gold,
    "http.route" = "/users/{id}",
))]
fn with_fields(user_id: u64, cfg: &Config) -> u64 {
    user_id + u64::from(cfg.retries)
}

#[traced(args(user_id, name, limit))]
fn with_args(user_id: u64, name: &str, limit: Option<u8>, secret: &str) -> usize {
    let _ = limit;
    name.len() + secret.len() + user_id as usize
}

#[traced(ret)]
fn ret_typed() -> u32 {
    42
}

#[traced(ret)]
fn ret_result() -> Result<&'static str, std::io::Error> {
    Ok("done")
}

#[traced(ret(Debug))]
fn ret_debug() -> Option<Tier> {
    Some(Tier::Gold)
}

#[traced(ret(Display))]
fn ret_display() -> Ipv4Addr {
    Ipv4Addr::LOCALHOST
}

#[traced(ret)]
fn ret_struct() -> Vec<u8> {
    vec![1, 2]
}

#[traced(links(batch.iter()))]
fn consume(batch: &[SpanContext]) -> usize {
    batch.len()
}

#[test]
fn fields_keep_their_types() {
    let spans = capture();
    let cfg = Config { retries: 3 };
    assert_eq!(with_fields(7, &cfg), 10);
    let s = spans.span("macro_fields.with_fields");
    assert_eq!(s.attr("user.id"), Some(&Value::I64(7)));
    assert_eq!(s.attr("db.table"), Some(&Value::from("users")));
    assert_eq!(s.attr("retries"), Some(&Value::I64(3)));
    assert_eq!(s.attr("ratio"), Some(&Value::F64(0.5)));
    assert_eq!(s.attr("cached"), Some(&Value::Bool(true)));
    assert_eq!(s.attr("peer"), Some(&Value::from("127.0.0.1")));
    assert_eq!(s.attr("tier"), Some(&Value::from("Gold")));
    assert_eq!(s.attr("http.route"), Some(&Value::from("/users/{id}")));
    assert_eq!(s.attributes.len(), 8);
}

#[test]
fn only_listed_arguments_are_recorded() {
    let spans = capture();
    with_args(5, "ann", Some(2), "hunter2");
    let s = spans.span("macro_fields.with_args");
    assert_eq!(s.attr("user_id"), Some(&Value::I64(5)));
    assert_eq!(s.attr("name"), Some(&Value::from("ann")));
    // `Option<u8>` has no typed form: the Debug text.
    assert_eq!(s.attr("limit"), Some(&Value::from("Some(2)")));
    assert_eq!(s.attr("secret"), None, "parameters are never recorded unless listed");
}

#[test]
fn return_values() {
    let spans = capture();
    ret_typed();
    ret_result().unwrap();
    ret_debug();
    ret_display();
    ret_struct();
    let ret = |name: &str| spans.span(name).attr("return.value").cloned();
    assert_eq!(ret("macro_fields.ret_typed"), Some(Value::I64(42)));
    assert_eq!(ret("macro_fields.ret_result"), Some(Value::from("done")));
    assert_eq!(ret("macro_fields.ret_debug"), Some(Value::from("Some(Gold)")));
    assert_eq!(ret("macro_fields.ret_display"), Some(Value::from("127.0.0.1")));
    assert_eq!(ret("macro_fields.ret_struct"), Some(Value::from("[1, 2]")));
}

#[test]
fn links_point_at_the_given_contexts() {
    let spans = capture();
    let a = SpanContext::new(TraceId::from(11u128), SpanId::from(1u64), TraceFlags::SAMPLED, true, TraceState::NONE);
    let b = SpanContext::new(TraceId::from(22u128), SpanId::from(2u64), TraceFlags::SAMPLED, true, TraceState::NONE);
    assert_eq!(consume(&[a.clone(), b.clone()]), 2);
    let s = spans.span("macro_fields.consume");
    let linked: Vec<_> = s.links.links.iter().map(|l| l.span_context.clone()).collect();
    assert_eq!(linked, vec![a, b]);
}

#[traced]
fn records_inside(id: u64) {
    traced::record!(user.id = id, "cache.hit" = true, note = "x", tier = Tier::Gold);
    traced::current_span().add_event("checkpoint", vec![]);
}

#[test]
fn record_macro_and_current_span_inside_the_body() {
    let spans = capture();
    records_inside(9);
    let s = spans.span("macro_fields.records_inside");
    assert_eq!(s.attr("user.id"), Some(&Value::I64(9)));
    assert_eq!(s.attr("cache.hit"), Some(&Value::Bool(true)));
    assert_eq!(s.attr("note"), Some(&Value::from("x")));
    assert_eq!(s.attr("tier"), Some(&Value::from("Gold")));
    assert!(s.event("checkpoint").is_some());
}

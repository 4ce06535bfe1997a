//! Span names and kinds for every form `#[traced]` takes.
#![cfg(feature = "test-util")]

use traced::testing::capture;
use traced::traced;

#[traced]
fn free_function() {}

mod billing {
    #[traced::traced(service = "BillingService")]
    pub fn charge() {}

    #[traced::traced(name = "custom span name", kind = client)]
    pub fn renamed() {}
}

struct UserService;

#[traced]
impl UserService {
    fn get_user(&self) {}
    fn associated() {}
    #[traced(skip)]
    fn untraced(&self) {}
    #[traced(name = "UserService.lookup", kind = server)]
    fn own_args(&self) {}
}

struct Generic<T>(T);

#[traced]
impl<T: Clone> Generic<T> {
    fn get(&self) -> T {
        self.0.clone()
    }
}

struct Lone;

impl Lone {
    #[traced]
    fn method(&self) {}
    #[traced]
    fn by_value(self) {}
    #[traced]
    fn by_mut(&mut self) {}
}

struct Wrapper<T>(T);

impl<T> Wrapper<T> {
    #[traced]
    fn lone_generic(&self) {}
}

trait Greeter {
    fn greet(&self) -> String;
}

#[traced(kind = server)]
impl Greeter for UserService {
    fn greet(&self) -> String {
        "hi".into()
    }
}

#[test]
fn free_functions_use_their_module() {
    let spans = capture();
    free_function();
    billing::charge();
    billing::renamed();
    assert_eq!(spans.names(), ["macro_names.free_function", "BillingService.charge", "custom span name"]);
    assert_eq!(spans.span("custom span name").span_kind, opentelemetry::trace::SpanKind::Client);
}

#[test]
fn impl_blocks_name_every_method_type_dot_method() {
    let spans = capture();
    let svc = UserService;
    svc.get_user();
    UserService::associated();
    svc.untraced();
    svc.own_args();
    svc.greet();
    Generic(5u8).get();
    assert_eq!(
        spans.names(),
        ["UserService.get_user", "UserService.associated", "UserService.lookup", "UserService.greet", "Generic.get"]
    );
    assert_eq!(spans.span("UserService.lookup").span_kind, opentelemetry::trace::SpanKind::Server);
    assert_eq!(spans.span("UserService.greet").span_kind, opentelemetry::trace::SpanKind::Server);
}

#[test]
fn lone_methods_find_their_type() {
    let spans = capture();
    let mut lone = Lone;
    lone.method();
    lone.by_mut();
    lone.by_value();
    Wrapper(1u8).lone_generic();
    Wrapper("x").lone_generic();
    assert_eq!(
        spans.names(),
        ["Lone.method", "Lone.by_mut", "Lone.by_value", "Wrapper.lone_generic", "Wrapper.lone_generic"]
    );
}

trait Describe {
    fn describe(&self) -> String;
}

#[traced]
impl Describe for (u8, String) {
    fn describe(&self) -> String {
        format!("{} {}", self.0, self.1)
    }
}

trait Blanket {
    fn blanket(&self) -> String;
}

#[traced]
impl<T: std::fmt::Display> Blanket for T {
    fn blanket(&self) -> String {
        self.to_string()
    }
}

#[test]
fn types_without_a_name_take_the_trait_and_blanket_impls_the_concrete_type() {
    let spans = capture();
    (1u8, "x".to_owned()).describe();
    7u32.blanket();
    "s".blanket();
    assert_eq!(spans.names(), ["Describe.describe", "u32.blanket", "str.blanket"]);
}

//! `tracing` fields as span attributes, typed as `tracing-opentelemetry`
//! types them (integers, floats, booleans, strings; anything else by its
//! `Debug`), with the `otel.*` fields read as what they name instead.

use opentelemetry::trace::Status;
use opentelemetry::{Key, KeyValue, Value};
use std::borrow::Cow;
use traced_core::span::{Attributes, Kind};
use tracing_core::field::{Field, Visit};

/// What a span's fields said, besides its attributes.
#[derive(Debug, Default)]
pub(super) struct SpanFields {
    pub(super) name: Option<Cow<'static, str>>,
    pub(super) kind: Option<Kind>,
    pub(super) status: StatusFields,
}

/// `otel.status_code` and `otel.status_message`, which may be recorded
/// apart and in either order: combined when the span ends.
#[derive(Debug, Default)]
pub(super) struct StatusFields {
    code: Option<Status>,
    message: Option<String>,
}

impl StatusFields {
    /// Takes what `other` says over what this says.
    pub(super) fn merge(&mut self, other: StatusFields) {
        if other.code.is_some() {
            self.code = other.code;
        }
        if other.message.is_some() {
            self.message = other.message;
        }
    }

    /// The status, with its message when both were given.
    pub(super) fn status(&self) -> Option<Status> {
        match (&self.code, &self.message) {
            (Some(Status::Error { .. }), Some(message)) => Some(Status::error(message.clone())),
            (code, _) => code.clone(),
        }
    }
}

/// Both visitors take each field as a typed OpenTelemetry value.
pub(super) trait Push {
    fn push(&mut self, field: &Field, value: Value);
}

/// Collects a span's fields into its attributes and [`SpanFields`].
pub(super) struct SpanVisitor<'a> {
    pub(super) attributes: &'a mut Attributes,
    pub(super) fields: &'a mut SpanFields,
}

impl Push for SpanVisitor<'_> {
    fn push(&mut self, field: &Field, value: Value) {
        let name = field.name();
        if let Some(special) = name.strip_prefix("otel.") {
            match special {
                "name" => self.fields.name = Some(Cow::Owned(value.as_str().into_owned())),
                "kind" => self.fields.kind = kind(&value.as_str()),
                "status_code" => self.fields.status.code = status(&value.as_str()),
                "status_message" | "status_description" => {
                    self.fields.status.message = Some(value.as_str().into_owned())
                }
                _ => set(self.attributes, KeyValue::new(Key::from_static_str(name), value)),
            }
            return;
        }
        set(self.attributes, KeyValue::new(Key::from_static_str(name), value));
    }
}

/// Replaces an attribute with the same key (a field recorded twice).
fn set(attributes: &mut Attributes, kv: KeyValue) {
    match attributes.iter_mut().find(|a| a.key == kv.key) {
        Some(existing) => *existing = kv,
        None => attributes.push(kv),
    }
}

fn kind(value: &str) -> Option<Kind> {
    match value.to_ascii_lowercase().as_str() {
        "server" => Some(Kind::Server),
        "client" => Some(Kind::Client),
        "producer" => Some(Kind::Producer),
        "consumer" => Some(Kind::Consumer),
        "internal" => Some(Kind::Internal),
        _ => None,
    }
}

fn status(value: &str) -> Option<Status> {
    match value.to_ascii_lowercase().as_str() {
        "ok" => Some(Status::Ok),
        "error" => Some(Status::error("")),
        _ => None,
    }
}

/// An event's message (its name) and fields (its attributes).
#[derive(Default)]
pub(super) struct EventVisitor {
    pub(super) message: Option<String>,
    pub(super) attributes: Vec<KeyValue>,
}

impl Push for EventVisitor {
    fn push(&mut self, field: &Field, value: Value) {
        match field.name() {
            "message" => self.message = Some(value.as_str().into_owned()),
            // `log` records through tracing-log: their origin, not attributes.
            name if name.starts_with("log.") => {}
            name => self.attributes.push(KeyValue::new(Key::from_static_str(name), value)),
        }
    }
}

/// A visitor handing field values to `T`, typed as `tracing-opentelemetry`
/// types them.
pub(super) struct Typed<T>(pub(super) T);

impl<T: Push> Visit for Typed<T> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.push(field, Value::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        // OpenTelemetry has no unsigned integers: past `i64::MAX`, a string.
        match i64::try_from(value) {
            Ok(v) => self.0.push(field, Value::I64(v)),
            Err(_) => self.0.push(field, Value::from(value.to_string())),
        }
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.push(field, Value::F64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.push(field, Value::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push(field, Value::from(value.to_owned()));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.push(field, Value::from(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push(field, Value::from(format!("{value:?}")));
    }
}

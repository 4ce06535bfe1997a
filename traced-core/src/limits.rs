//! Span limits (`OTEL_SPAN_*_LIMIT`, `OTEL_ATTRIBUTE_*`): what a span keeps,
//! and counts of what it dropped.

/// How much one span may hold. Defaults are the specification's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanLimits {
    /// Attributes per span (128).
    pub attribute_count: u32,
    /// Longest string attribute value in characters; longer ones are cut (none).
    pub attribute_value_length: Option<u32>,
    /// Events per span (128).
    pub event_count: u32,
    /// Links per span (128).
    pub link_count: u32,
    /// Attributes per event (128).
    pub event_attribute_count: u32,
    /// Attributes per link (128).
    pub link_attribute_count: u32,
}

impl Default for SpanLimits {
    fn default() -> Self {
        SpanLimits {
            attribute_count: 128,
            attribute_value_length: None,
            event_count: 128,
            link_count: 128,
            event_attribute_count: 128,
            link_attribute_count: 128,
        }
    }
}

impl SpanLimits {
    /// The `opentelemetry_sdk` form, for spans made through its tracer.
    pub fn to_sdk(&self) -> opentelemetry_sdk::trace::SpanLimits {
        opentelemetry_sdk::trace::SpanLimits {
            max_events_per_span: self.event_count,
            max_attributes_per_span: self.attribute_count,
            max_links_per_span: self.link_count,
            max_attributes_per_event: self.event_attribute_count,
            max_attributes_per_link: self.link_attribute_count,
        }
    }
}

/// Cuts string values (and strings in arrays) to `max` characters.
pub(crate) fn truncate_value(value: &mut opentelemetry::Value, max: usize) {
    use opentelemetry::{Array, StringValue, Value};
    fn cut(s: &StringValue, max: usize) -> Option<StringValue> {
        let s = s.as_str();
        let (idx, _) = s.char_indices().nth(max)?;
        Some(StringValue::from(s[..idx].to_owned()))
    }
    match value {
        Value::String(s) => {
            if let Some(c) = cut(s, max) {
                *s = c;
            }
        }
        Value::Array(Array::String(items)) => {
            for s in items.iter_mut() {
                if let Some(c) = cut(s, max) {
                    *s = c;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::Value;

    #[test]
    fn truncates_on_char_boundaries() {
        let mut v = Value::from("héllo wörld".to_string());
        truncate_value(&mut v, 4);
        assert_eq!(v, Value::from("héll".to_string()));
        let mut short = Value::from("ab");
        truncate_value(&mut short, 4);
        assert_eq!(short, Value::from("ab"));
        let mut n = Value::I64(123456);
        truncate_value(&mut n, 2);
        assert_eq!(n, Value::I64(123456));
    }
}
